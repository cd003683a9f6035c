// The hot loop: run to completion on one core. Each turn takes an rx burst (DPDK port or the
// kernel's UDP sockets), stamps the TSC at its return, and pushes every frame through the
// MoldUDP64 session into the trading engine; between bursts it reads the order session (the
// venue's answers), drives the feed's gap timers and risk's time guards. Telemetry leaves
// through the engine's SPSC ring; nothing here allocates or locks.
public import CShims
public import MarketData
import OrderEntry
public import Strategy
public import TickwireCore
public import DPDK
public import Sockets
public import Packets
import Synchronization

/// Raised by a signal handler or the control thread; read by the hot loop once per turn.
public final class RunFlag: Sendable {
    let running = Atomic<Bool>(true)
    let kill = Atomic<Bool>(false)
    public init() {}
    public var isRunning: Bool { running.load(ordering: .relaxed) }
    public func stop() { running.store(false, ordering: .relaxed) }
    /// The operator's kill switch (a signal, the control file): the loop fires it between bursts.
    public func requestKill() { kill.store(true, ordering: .relaxed) }
    /// True once per request.
    @inline(__always)
    public func takeKillRequest() -> Bool {
        guard kill.load(ordering: .relaxed) else { return false }  // a plain load per turn, no locked RMW
        return kill.exchange(false, ordering: .relaxed)
    }
}

/// The counters the hot loop publishes every 10 ms (through an SPSC ring, to the telemetry
/// thread, which feeds the metrics exporter): plain integers, no sharing of the loop's state.
@frozen
public struct CountersSnapshot: Sendable, Equatable, BitwiseCopyable {
    public var messages: UInt64 = 0
    public var feedPackets: UInt64 = 0
    public var feedGaps: UInt64 = 0
    public var recoveredMessages: UInt64 = 0
    public var unrecoveredMessages: UInt64 = 0
    public var strategyCalls: UInt64 = 0
    public var triggeringTicks: UInt64 = 0
    public var ordersSent: UInt64 = 0
    public var replacesSent: UInt64 = 0
    public var cancelsSent: UInt64 = 0
    public var riskRejects: UInt64 = 0
    public var fills: UInt64 = 0
    public var filledShares: UInt64 = 0
    public var killSwitches: UInt64 = 0
    public var venueViolations: UInt64 = 0
    /// Market guards tripped (risk's tail guards).
    public var guardTrips: UInt64 = 0
    public var stampsDropped: UInt64 = 0
    public var openOrders: Int64 = 0
    /// Realized + unrealized, in 1/10000 dollars.
    public var pnl: Int64 = 0
    public var killSwitchEngaged: Bool = false
    // Tickwire's TCP and network stack (0 over the kernel's TCP).
    public var tcpSegmentsIn: UInt64 = 0
    public var tcpSegmentsOut: UInt64 = 0
    public var tcpRetransmits: UInt64 = 0
    public var tcpTimeouts: UInt64 = 0
    public var tcpOutOfOrderHeld: UInt64 = 0
    public var tcpDrops: UInt64 = 0
    public var tcpReconnects: UInt64 = 0
    public var netDrops: UInt64 = 0
    public init() {}
}

public struct ApplianceCounters: Sendable, Equatable {
    public var bursts: UInt64 = 0
    public var frames: UInt64 = 0
    public var datagrams: UInt64 = 0
    public var venuePolls: UInt64 = 0
    public var turns: UInt64 = 0
    /// Feed gaps given up (the kill switch fired for them).
    public var feedGapsUnrecovered: UInt64 = 0
    /// Times the NIC's imissed rose during the run (frames dropped because the rx ring was
    /// full; each a feed gap for risk, so the kill switch fired at the first).
    public var nicDropEvents: UInt64 = 0
    /// Frames the NIC dropped during the run (imissed since the start, the last published).
    public var nicMissed: UInt64 = 0
    /// Frames whose NIC stamp (in a known unit, `useNICStamps`) was put on the TSC's line.
    public var nicStamped: UInt64 = 0
    public init() {}
}

/// The most frames one rx burst of the loop takes (its descriptors are allocated once).
let maxBurst = 64

public final class Appliance<S: Strategy, T: ByteStreamTransport, R: MoldUDP64Requester> {
    public let engine: TradingEngine<S, T>
    public let feed: MoldFeedHandler<EngineConsumer<S, T>, R>
    public let clock: TSCClock
    public internal(set) var counters = ApplianceCounters()
    /// Turns between two reads of the order session while the feed is busy (an idle turn
    /// always reads it).
    public var venuePollInterval: UInt64 = 64
    /// Unretained copies for the loop (a method call through a stored class reference costs a
    /// retain and a release).
    let uEngine: Unmanaged<TradingEngine<S, T>>
    let uFeed: Unmanaged<MoldFeedHandler<EngineConsumer<S, T>, R>>
    /// `snapshots` unretained (`snapshots` keeps it alive).
    let uSnapshots: Unmanaged<SPSCRing<CountersSnapshot>>
    var unrecoveredSeen: UInt64 = 0
    /// NIC stamps: the arrival clock (owned here, read unretained by the loop) and the unit.
    public private(set) var nicClock: NICArrivalClock?
    var uNIC: Unmanaged<NICArrivalClock>?
    var nicUnit = NICTimestampUnit.nanoseconds
    /// A sampled NIC clock's published map (`useNICStamps(unit:sampler:)`), instead of `nicClock`.
    var nicMap: PublishedClockMap?
    /// The last map `nicMap` gave whole: used when a read meets the sampler's thread in the middle
    /// of a publish (preempted there, it would otherwise leave the burst without NIC stamps; a
    /// map one sample old is as good to tens of ns). Seen in a CI rehearsal: 3 of 20,827
    /// triggers unstamped under load.
    var lastNICMap: ClockMap?
    var nicStamping = false
    /// imissed since the start of the run, summed over the ports, published by the cold
    /// thread's `NICWatch` (read here every 10 ms: a rise is a feed gap).
    public let nicMissed = SharedCounter()
    var lastHousekeeping: UInt64 = 0
    /// Counter snapshots for the telemetry thread (metrics), every 10 ms.
    public let snapshots = SPSCRing<CountersSnapshot>(capacity: 64)
    /// Adds Tickwire's TCP and stack counters to a snapshot (nil over the kernel's TCP). Read
    /// through `uNetCounters`: calling a closure or a method of an object loaded from a stored
    /// property retains it for the call, every 10 ms on the hot thread.
    var netCounters: NetCountersReader? {
        didSet { uNetCounters = netCounters.map { .passUnretained($0) } }
    }
    var uNetCounters: Unmanaged<NetCountersReader>?

    public init(engine: TradingEngine<S, T>, lineA: FeedAddress, lineB: FeedAddress, requester: R, clock: TSCClock,
                configuration: MoldUDP64Configuration = .init()) {
        self.engine = engine
        self.clock = clock
        feed = MoldFeedHandler(lineA: lineA, lineB: lineB, consumer: engine.consumer, requester: requester,
                               configuration: configuration, verifyIPChecksum: true)
        uEngine = .passUnretained(engine)
        uFeed = .passUnretained(feed)
        uSnapshots = .passUnretained(snapshots)
    }

    deinit {
        nicMissed.destroy()
        rxPkts.deallocate()
    }

    /// The loop's descriptors (allocated once: `run` allocates nothing).
    let rxPkts = UnsafeMutablePointer<tw_pkt>.allocate(capacity: maxBurst)

    /// CLOCK_MONOTONIC_RAW nanoseconds of a TSC reading: the time base of the order session's
    /// timers and risk's throttle, which are also driven with `tw_clock_monotonic_raw_ns` outside
    /// the loop (login, wind-down); mixing two bases would move time backwards for them.
    @inline(__always)
    public func nanos(_ tsc: UInt64) -> Int64 { clock.monotonicRawNanos(tsc: tsc) }

    /// A burst of Ethernet frames (DPDK, or a capture) that returned at `tsc`.
    @inline(__always)
    public func onFrames(_ pkts: UnsafeMutablePointer<tw_pkt>, count: Int, tsc: UInt64) {
        onFrames(DescriptorFrames(pkts), count: count, tsc: tsc, now: nanos(tsc))
    }

    /// The same with the host time given: a replay drives the session's timers and risk's
    /// throttle with the capture's clock, as the live run saw them.
    @inline(__always)
    public func onFrames(_ pkts: UnsafeMutablePointer<tw_pkt>, count: Int, tsc: UInt64, now: Int64) {
        onFrames(DescriptorFrames(pkts), count: count, tsc: tsc, now: now)
    }

    /// The same for any source of frames: descriptors, or a DPDK burst's mbufs read in place.
    @inline(__always)
    public func onFrames<F: RxFrames>(_ frames: F, count: Int, tsc: UInt64, now: Int64) {
        uEngine._withUnsafeGuaranteedRef {
            $0.burstTSC = tsc
            $0.burstNanos = now
            $0.frameTSC = tsc
        }
        counters.bursts &+= 1
        counters.frames &+= UInt64(count)
        let nic = uNIC, unit = nicUnit, stamping = nicStamping
        // A sampled NIC clock's map, loaded once per burst (nil: not published yet).
        var map = nicMap?.load()
        if map != nil { lastNICMap = map } else { map = lastNICMap }
        uFeed._withUnsafeGuaranteedRef { feed in
            for i in 0..<count {
                let p = frames.frame(i)
                uEngine._withUnsafeGuaranteedRef { $0.beginFrame(afterFirst: i > 0) }
                if stamping {
                    // NIC stamps in a known unit: the frame's arrival on the TSC's line (through
                    // the sampled NIC clock, else the port's arrival envelope) is stage 0 of
                    // what it triggers (`nic_to_rx` before decode).
                    var arrival: UInt64 = 0
                    if p.flags & UInt32(TW_PKT_HW_TIMESTAMP) != 0 {
                        let ns = unit.nanoseconds(p.rx_timestamp)
                        if let nic {
                            arrival = nic._withUnsafeGuaranteedRef { c in
                                c.observe(nicNanos: ns, rx: tsc)
                                return c.tsc(nicNanos: ns)
                            }
                        } else if let map {
                            arrival = map.tsc(at: Int64(bitPattern: ns))
                        }
                        if arrival != 0 { counters.nicStamped &+= 1 }
                    }
                    uEngine._withUnsafeGuaranteedRef { $0.frameNicTSC = arrival }
                }
                feed.onFrame(UnsafeRawBufferPointer(start: p.data, count: Int(p.len)), now: UInt64(now), flags: p.flags)
            }
        }
        if stamping { uEngine._withUnsafeGuaranteedRef { $0.frameNicTSC = 0 } }
    }

    /// Takes each frame's NIC stamp (in `unit`) as its arrival: a `NICArrivalClock` maps the
    /// stamps onto the TSC from the stamps themselves, and the decisions a frame triggers get
    /// stage 0 at its arrival (`StageStamps.nic`). Call before the loop runs.
    public func useNICStamps(unit: NICTimestampUnit, windowNanos: UInt64 = 10_000_000) {
        let c = NICArrivalClock(clock: clock, windowNanos: windowNanos)
        nicClock = c
        nicUnit = unit
        uNIC = .passUnretained(c)
        nicMap = nil
        lastNICMap = nil
        nicStamping = true
    }

    /// The same with the port's NIC clock read on the cold thread (`NICClockSampler`): the
    /// stamps are converted by the map it publishes, the true arrival rather than the
    /// envelope's. The sampler must outlive the loop.
    public func useNICStamps(unit: NICTimestampUnit, sampler: NICClockSampler) {
        nicClock = nil
        uNIC = nil
        nicUnit = unit
        nicMap = sampler.published
        lastNICMap = nil
        nicStamping = true
    }

    /// A burst of UDP payloads from the kernel socket of one line.
    @inline(__always)
    public func onDatagrams(_ pkts: UnsafeMutablePointer<tw_pkt>, count: Int, destination: FeedAddress, tsc: UInt64) {
        let now = nanos(tsc)
        uEngine._withUnsafeGuaranteedRef {
            $0.burstTSC = tsc
            $0.burstNanos = now
            $0.frameTSC = tsc
        }
        counters.bursts &+= 1
        counters.datagrams &+= UInt64(count)
        uFeed._withUnsafeGuaranteedRef { feed in
            for i in 0..<count {
                let p = pkts[i]
                uEngine._withUnsafeGuaranteedRef { $0.beginFrame(afterFirst: i > 0) }
                feed.onDatagram(UnsafeRawBufferPointer(start: p.data, count: Int(p.len)), destination: destination, now: UInt64(now))
            }
        }
    }

    /// Re-request answers (the recovery line), when a gap is being recovered.
    public func onRecovery(_ pkts: UnsafeMutablePointer<tw_pkt>, count: Int, tsc: UInt64) {
        let now = nanos(tsc)
        uEngine._withUnsafeGuaranteedRef {
            $0.burstTSC = tsc
            $0.burstNanos = now
            $0.frameTSC = tsc
        }
        uFeed._withUnsafeGuaranteedRef { feed in
            for i in 0..<count {
                let p = pkts[i]
                uEngine._withUnsafeGuaranteedRef { $0.beginFrame(afterFirst: i > 0) }
                feed.session.onPacket(UnsafeRawBufferPointer(start: p.data, count: Int(p.len)), line: .recovery, now: UInt64(now))
            }
        }
    }

    /// Between bursts: the venue's answers, the feed's gap timers, risk's time guards.
    /// `idle`: the last burst was empty.
    @inline(__always)
    public func betweenBursts(idle: Bool, tsc: UInt64) { betweenBursts(idle: idle, tsc: tsc, now: nanos(tsc)) }

    /// The operator's kill switch (cold). A call of its own: written out in the kernel-bypass
    /// loop, it kept that loop from being serialized for its callers (`runKernelBypass`).
    @inline(never)
    public func operatorKill() { engine.gateway.kill(reason: .operator, now: nanos(tw_rdtsc())) }

    /// Not `@inline(__always)`: see `runKernelBypass` (a call per turn of the loop).
    public func betweenBursts(idle: Bool, tsc: UInt64, now: Int64) {
        counters.turns &+= 1
        if idle || counters.turns % venuePollInterval == 0 {
            counters.venuePolls &+= 1
            _ = uEngine._withUnsafeGuaranteedRef { $0.pollVenue(now: now) }
            let unrecovered = uFeed._withUnsafeGuaranteedRef { f in
                f.session.poll(now: UInt64(now))
                return f.session.counters.unrecoveredMessages
            }
            if unrecovered != unrecoveredSeen {
                unrecoveredSeen = unrecovered
                counters.feedGapsUnrecovered &+= 1
                engine.gateway.feedGap(now: now)
            }
            if tsc &- lastHousekeeping > clock.hz / 100 {  // every 10 ms: stale-book guard, NIC drops, counters out
                lastHousekeeping = tsc
                let missed = nicMissed.load()
                if missed != counters.nicMissed {
                    // Frames the NIC dropped may be feed packets: the book can no longer be
                    // trusted to be whole, whatever the sequence numbers say later.
                    counters.nicMissed = missed
                    counters.nicDropEvents &+= 1
                    engine.gateway.feedGap(now: now)
                }
                uEngine._withUnsafeGuaranteedRef { e in e.uGateway._withUnsafeGuaranteedRef { $0.tick(now: now) } }
                publishCounters()
            }
        }
    }
}

extension Appliance {
    /// Pushes a snapshot of the counters (dropped if the telemetry thread is behind).
    public func publishCounters() {
        var c = CountersSnapshot()
        // Through the unretained references: this runs on the hot thread every 10 ms.
        let e = uEngine._withUnsafeGuaranteedRef { $0.counters }
        let f = uFeed._withUnsafeGuaranteedRef { $0.session.counters }
        (c.messages, c.strategyCalls, c.triggeringTicks) = (e.messages, e.strategyCalls, e.triggeringTicks)
        (c.ordersSent, c.replacesSent, c.cancelsSent, c.riskRejects) = (e.ordersSent, e.replacesSent, e.cancelsSent, e.riskRejects)
        (c.fills, c.filledShares, c.stampsDropped) = (e.fills, e.filledShares, e.stampsDropped)
        c.feedPackets = f.packets.total
        (c.feedGaps, c.recoveredMessages, c.unrecoveredMessages) = (f.gaps, f.recoveredMessages, f.unrecoveredMessages)
        let (gc, risk) = uEngine._withUnsafeGuaranteedRef { e in e.uGateway._withUnsafeGuaranteedRef { ($0.counters, $0.riskSnapshot()) } }
        c.killSwitches = gc.killSwitches
        c.venueViolations = gc.venueViolations
        if let risk {
            c.openOrders = Int64(risk.openOrders)
            c.pnl = risk.pnl
            c.killSwitchEngaged = risk.engaged
            c.guardTrips = risk.guardTrips
        }
        if let u = uNetCounters { u._withUnsafeGuaranteedRef { $0.read(into: &c) } }
        _ = uSnapshots._withUnsafeGuaranteedRef { $0.push(c) }
    }

    /// No gap is open and no re-request is outstanding: what the loops' `untilIdle` waits for
    /// at an empty poll.
    @inline(__always)
    var feedIsSettled: Bool {
        uFeed._withUnsafeGuaranteedRef { !$0.session.hasGap && !$0.session.awaitingRecovery }
    }
}

extension Appliance where R == UDPRecoveryClient {
    /// The DPDK path: rx bursts from `port` (queue 0) until `flag` drops. `untilIdle`: also
    /// return at the first empty poll with no gap open and no re-request outstanding (a port
    /// fed in advance, as the benchmark of this loop does through net_ring).
    public func run(port: DPDKPort, flag: RunFlag, burst: Int = 32, untilIdle: Bool = false) {
        let pkts = rxPkts
        let burst = min(burst, maxBurst)
        while flag.isRunning {
            if flag.takeKillRequest() { engine.gateway.kill(reason: .operator, now: nanos(tw_rdtsc())) }
            let n = port.receive(capacity: burst)
            let tsc = tw_rdtsc()
            if n > 0 {
                onFrames(port.frames(), count: n, tsc: tsc, now: nanos(tsc))
                port.release(count: n)
            }
            pumpRecovery(pkts, tsc: tsc)
            betweenBursts(idle: n == 0, tsc: tsc)
            if untilIdle && n == 0 && feedIsSettled { return }
        }
    }

    /// The kernel-socket path (no DPDK, or no rights for it): one socket per line.
    public func run(lineA: KernelUDPReceiver, lineB: KernelUDPReceiver, flag: RunFlag, burst: Int = 32) {
        let pkts = rxPkts
        let burst = min(burst, maxBurst)
        let a = feed.lineA, b = feed.lineB
        while flag.isRunning {
            if flag.takeKillRequest() { engine.gateway.kill(reason: .operator, now: nanos(tw_rdtsc())) }
            let na = max(lineA.receive(into: pkts, capacity: burst), 0)
            var tsc = tw_rdtsc()
            if na > 0 { onDatagrams(pkts, count: na, destination: a, tsc: tsc) }
            let nb = max(lineB.receive(into: pkts, capacity: burst), 0)
            if nb > 0 {
                tsc = tw_rdtsc()
                onDatagrams(pkts, count: nb, destination: b, tsc: tsc)
            }
            pumpRecovery(pkts, tsc: tsc)
            betweenBursts(idle: na == 0 && nb == 0, tsc: tsc)
        }
    }

    @inline(__always)
    func pumpRecovery(_ pkts: UnsafeMutablePointer<tw_pkt>, tsc: UInt64) {
        let n = uFeed._withUnsafeGuaranteedRef { f in
            f.session.awaitingRecovery ? f.session.requester.receive(into: pkts, capacity: 32) : 0
        }
        if n > 0 { onRecovery(pkts, count: n, tsc: tsc) }
    }
}
