// The appliance's tick-to-trade loop in steady state: one iteration = 300 MoldUDP64 frames of
// a simulated day (3 ITCH messages each) through the live loop's `Appliance` (frame parse,
// MoldUDP64 session, ITCH decode, L3 book, taker strategy, pre-trade risk, OUCH encode, hand-off
// to the echo venue), one frame per burst, the venue's answers read between bursts. About a
// third of the messages trigger an order. The telemetry ring is emptied outside the
// measurement, as the telemetry thread would.
import Appliance
import CShims
import Benchmark
import Exchange
import Strategy
import TickwireCore

final class TickToTradeFixture: @unchecked Sendable {
    let frames: TickToTradeFrames
    var rig: TickToTradeRig<Taker<ImbalanceUptickModel>>
    var cursor = 0
    /// Frames carry NIC stamps and the rig's appliance uses them.
    var nicStamps = false
    /// With a sampled NIC clock (its published map), instead of the arrival envelope.
    var nicSampler: NICClockSampler?
    /// The real TSC rate (see ModelRigFixture: a made-up one dropped the session).
    let clock = TSCClock.calibrate(windowNanos: 20_000_000)

    init() {
        let day = FlowDay.generate(OrderFlowConfiguration(seed: 1, symbols: 100), messages: 600_000).bytes
        frames = TickToTradeFrames(itch: day, perPacket: 3)
        rig = Self.freshRig(clock)
    }

    static func freshRig(_ clock: TSCClock) -> TickToTradeRig<Taker<ImbalanceUptickModel>> {
        let p = benchTakerParameters
        let locates = (1...100).map { StockLocate(rawValue: UInt16($0)) }
        return try! TickToTradeRig(strategy: Taker(symbols: locates, model: ImbalanceUptickModel(), maxLocates: 101, parameters: p),
                                   symbols: 100, clock: clock)
    }
}

nonisolated(unsafe) var t2tFixture: TickToTradeFixture?

func tickToTradeBenchmarks() {
    Benchmark("TickToTrade_taker_300_frames",
              configuration: .init(setup: {
                  if t2tFixture == nil { t2tFixture = TickToTradeFixture() }
              })) { benchmark in
        t2tIteration(t2tFixture!, benchmark, losingEvery: nil)
    }

    /// The same loop with every 50th frame lost on the line: gap detection, early packets held,
    /// the re-request, the answers on the recovery line and the drain, all inside the measurement.
    /// A hole waits its 200 us arbitration window before the re-request, so an iteration mostly
    /// holds packets and a later one drains them: this proves the recovery path allocation- and
    /// ARC-free, its times are not a latency figure.
    /// The same loop with a NIC stamp on every frame: the arrival clock (NICArrivalClock) per
    /// frame and stage 0 at the arrival.
    Benchmark("TickToTrade_taker_300_frames_nic_stamps",
              configuration: .init(setup: {
                  if t2tNICFixture == nil { t2tNICFixture = nicStampedFixture() }
              })) { benchmark in
        t2tIteration(t2tNICFixture!, benchmark, losingEvery: nil)
        precondition(t2tNICFixture!.rig.appliance.counters.nicStamped > 0, "no frame went through the arrival clock")
    }

    /// The same with the NIC clock read on a cold thread: the seqlock's map loaded once per
    /// burst, each stamp converted with it.
    Benchmark("TickToTrade_taker_300_frames_nic_clock",
              configuration: .init(setup: {
                  if t2tNICClockFixture == nil { t2tNICClockFixture = nicStampedFixture(sampled: true) }
              })) { benchmark in
        t2tIteration(t2tNICClockFixture!, benchmark, losingEvery: nil)
        precondition(t2tNICClockFixture!.rig.appliance.counters.nicStamped > 0, "no frame went through the sampled clock")
    }

    Benchmark("TickToTrade_taker_300_frames_loss_and_recovery",
              configuration: .init(setup: {
                  if t2tLossyFixture == nil { t2tLossyFixture = TickToTradeFixture() }
              })) { benchmark in
        t2tIteration(t2tLossyFixture!, benchmark, losingEvery: 50)
    }
}

nonisolated(unsafe) var t2tLossyFixture: TickToTradeFixture?
nonisolated(unsafe) var t2tNICFixture: TickToTradeFixture?
nonisolated(unsafe) var t2tNICClockFixture: TickToTradeFixture?

/// Every frame with a NIC stamp (10 µs apart): the arrival clock and stage 0 from the stamp;
/// `sampled`: through a NIC clock sampler's map instead (two pairs of a clock 100 ppm fast).
func nicStampedFixture(sampled: Bool = false) -> TickToTradeFixture {
    let f = TickToTradeFixture()
    for i in 0..<f.frames.count {
        f.frames.pkts[i].flags |= UInt32(TW_PKT_HW_TIMESTAMP)
        f.frames.pkts[i].rx_timestamp = 1_700_000_000_000_000_000 + UInt64(i) * 10_000
    }
    f.nicStamps = true
    if sampled {
        var k: UInt64 = 0
        let s = NICClockSampler(clock: f.clock) {
            k += 1
            return (k * 1_000_000_000, 1_700_000_000_000_000_000 + Int64(k) * 400_040_000)
        }
        s.sample()
        s.sample()
        f.nicSampler = s
    }
    useStamps(f)
    return f
}

func useStamps(_ f: TickToTradeFixture) {
    if let s = f.nicSampler {
        f.rig.appliance.useNICStamps(unit: .nanoseconds, sampler: s)
    } else {
        f.rig.appliance.useNICStamps(unit: .nanoseconds)
    }
}

/// One iteration: 300 frames, one per burst (every `losingEvery`-th lost and recovered), then
/// checks outside the measurement that the session is up and nothing went unrecovered.
func t2tIteration(_ f: TickToTradeFixture, _ benchmark: Benchmark, losingEvery: Int?) {
    if f.cursor + 300 > f.frames.count {
        f.rig = TickToTradeFixture.freshRig(f.clock)
        if f.nicStamps { useStamps(f) }
        f.cursor = 0
    }
    let rig = f.rig
    let start = f.cursor
    benchmark.startLoop()
    if let k = losingEvery {
        for i in start..<(start + 300) { rig.burst(f.frames, from: i, count: 1, losingEvery: k) }
    } else {
        for i in start..<(start + 300) { rig.burst(f.frames, from: i, count: 1) }
    }
    benchmark.stopLoop()
    f.cursor += 300
    while rig.engine.stamps.pop() != nil {}
    precondition(rig.isLoggedIn, "the session dropped: the iteration measured refusals, not orders")
    precondition(rig.appliance.feed.session.counters.unrecoveredMessages == 0, "a lost frame was not recovered")
    blackHole(rig.engine.counters.ordersSent)
}

/// The benchmarks' taker: trades on every strong enough signal, no cool-down, no position limit
/// that would stop it within a run.
let benchTakerParameters: TakerParameters = {
    var p = TakerParameters()
    p.threshold = 0.6
    p.cooldownNanos = 0
    p.maxPosition = 1 << 40
    return p
}()
