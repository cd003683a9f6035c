// The venue as one object, standalone (`tickwire exchange`) or inside a test or the demo: the
// order-flow model trades on the matching engine, the engine's market data goes out as ITCH in
// MoldUDP64 on lines A and B through the kernel's UDP stack (multicast, loopback by default),
// every message is kept for the re-request server, and everything sent can be captured.
//
// One thread runs the flow and the feed, paced to a message rate (or unpaced, to measure how
// fast the simulator is); the re-request server answers on its own thread.
import CShims
public import MarketData
import TickwireCore
public import Packets
import Sockets
import Capture
#if os(Linux)
import Glibc
#endif

public struct VenueConfiguration: Sendable {
    public var flow = OrderFlowConfiguration()
    public var session = "TWSIM00001"
    public var feedA = FeedAddress.defaultA
    public var feedB = FeedAddress.defaultB
    public var faultsA = LineFaults.none
    public var faultsB = LineFaults.none
    /// Interface for multicast sends (loopback: the appliance on the same box).
    public var interface = IPv4Address(127, 0, 0, 1)
    /// Where the re-request server listens (port 0: any free port).
    public var rerequest = FeedAddress(ip: IPv4Address(127, 0, 0, 1), port: 0)
    /// ITCH messages per second; 0: as fast as the simulator can (to measure it).
    public var rate: Double = 50_000
    /// Microbursts: for the first `microburstNanos` of every second the feed runs at
    /// `microburstFactor` times `rate`, and slower for the rest of the second so that the mean
    /// stays `rate` (1: none).
    public var microburstFactor: Double = 1
    public var microburstNanos: Int64 = 10_000_000
    /// Pace by the flow's own event times instead of `rate` messages a second: each event goes
    /// out when the wall clock reaches its time (venue time runs with the wall clock, and a
    /// volatile regime is faster on the wire too), stamped with that time. What is published
    /// then equals `FlowDay.generate(eventTimes: true)` of the same flow, stamps included, as
    /// long as no client trades; so a backtest of that day and a paper run against this venue
    /// see the same market on the same clock (`tickwire validate`).
    public var paceByEventTime = false
    public var heartbeatSeconds: Double = 1
    public var maxPacketBytes = 1400
    /// Write everything sent as pcap (ns timestamps).
    public var capturePath: String?
    /// Send on the kernel's sockets (false: capture only, e.g. for generating a capture file).
    public var sendUDP = true
    /// SoupBinTCP/OUCH order entry; nil: none.
    public var orderEntry: OrderEntryConfiguration? = OrderEntryConfiguration()
    public init() {}
}

extension VenueSimulator {
    /// Messages due `elapsed` ns after the start at a mean of `rate` a second, the first
    /// `burstNanos` of every second at `burstFactor` times the mean and the rest of the second
    /// slower, so that every whole second carries `rate` (a factor of 1: evenly paced).
    public static func messagesDue(after elapsed: Int64, rate: Double, burstFactor: Double, burstNanos: Int64) -> UInt64 {
        guard elapsed > 0 else { return 0 }
        let seconds = Double(elapsed / 1_000_000_000)
        let into = Double(elapsed % 1_000_000_000)
        let burst = Double(min(max(burstNanos, 0), 999_999_999))
        let factor = burstFactor > 1 && burst > 0 ? min(burstFactor, 1e9 / burst) : 1
        let inBurst = rate * factor * burst / 1e9                   // messages of the burst
        let restRate = (rate - inBurst) / ((1e9 - burst) / 1e9)     // per second, after it
        let partial = factor == 1 ? rate * into / 1e9
            : into < burst ? rate * factor * into / 1e9 : inBurst + restRate * (into - burst) / 1e9
        return UInt64(seconds * rate + partial)
    }
}

public struct VenueSummary: Sendable, Encodable {
    public var seconds: Double
    public var messages: UInt64
    public var msgsPerSec: Double
    public var events: UInt64
    /// Packets sent per line ("a", "b"): duplicates included, losses excluded.
    public var packets: [String: UInt64]
    public var packetsBuilt: UInt64
    public var lost: [String: UInt64]
    public var duplicated: [String: UInt64]
    public var reordered: [String: UInt64]
    public var heartbeats: UInt64
    public var rerequestsServed: UInt64
    public var rerequestPort: UInt16
    public var ordersReceived: UInt64
    public var orderPort: UInt16?
    public var orderEntry: OrderEntryCounters?
    public var liveOrders: Int
    public var sendErrors: UInt64
    public var captureFrames: UInt64
    public var regimeSeconds: [String: Double]
    public var session: String
    /// Venue time of the flow's start (nanoseconds since midnight).
    public var flowStartNs: UInt64 = 0
    /// Each order-entry user's state at the end of continuous trading, before the closing cross:
    /// open orders (venue reference -> open shares) and positions (locate -> net shares), to
    /// compare with what a client believed when it stopped.
    public var users: [String: VenueUserState] = [:]
}

public struct VenueUserState: Sendable, Encodable {
    public var openOrders: [String: UInt32]
    public var positions: [String: Int64]
}

public final class VenueSimulator {
    public let configuration: VenueConfiguration
    public let model: OrderFlowModel
    public let publisher: ITCHPublisher
    public let store: MoldMessageStore
    public let server: MoldRetransmitServer
    public let capture: VenueCapture?
    let packer: MoldPacker<UDPFeedOutput>
    public let orderEntry: OrderEntryServer?

    public init(configuration c: VenueConfiguration) throws {
        configuration = c
        model = OrderFlowModel(configuration: c.flow, maxOrders: 1 << 22)
        publisher = ITCHPublisher(symbols: FlowDay.symbols(c.flow.symbols))
        let session = MoldSession(c.session)
        store = MoldMessageStore(session: session)
        server = try MoldRetransmitServer(store: store, address: c.rerequest.ip, port: c.rerequest.port)
        capture = try c.capturePath.map { p throws(CaptureError) in try VenueCapture(path: p) }
        let sender = c.sendUDP ? try KernelUDPSender(interface: c.interface, ttl: 1, loopback: true) : nil
        let lines = [FaultyLine(line: .a, destination: c.feedA, faults: c.faultsA, seed: c.flow.seed),
                     FaultyLine(line: .b, destination: c.feedB, faults: c.faultsB, seed: c.flow.seed)]
        packer = MoldPacker(session: session, store: store, lines: lines,
                            output: UDPFeedOutput(sender: sender, capture: capture, source: FeedAddress(ip: c.interface, port: 26_400)),
                            maxPacketBytes: c.maxPacketBytes)
        if let oe = c.orderEntry {
            orderEntry = try OrderEntryServer(configuration: oe, engine: model.engine, symbols: Array(publisher.symbols.dropFirst()),
                                              capture: capture)
        } else {
            orderEntry = nil
        }
    }

    /// Venue time now: the model's clock, never behind the wall clock's progress when paced.
    func venueClock(_ now: Int64, _ t0: Int64) -> VenueTime {
        let wall = wallClock(now, t0)
        // Paced by event time, model.now is the next event's, not yet made. The venue's clock is
        // the wall clock, except while the flow lags it (a burst, a slow build): then a client's
        // message is placed just before the next event, after every event already out, so that
        // stamps stay in sequence and the client meets the market as it stood when its message
        // was handled (what a backtest's venue does with an order arriving at that time).
        if configuration.paceByEventTime { return VenueTime(nanosSinceMidnight: min(wall, model.now)) }
        return VenueTime(nanosSinceMidnight: max(model.now, wall))
    }

    /// The wall clock's progress since the feed's start `t0`, as venue time.
    @inline(__always)
    func wallClock(_ now: Int64, _ t0: Int64) -> UInt64 {
        configuration.flow.start.nanosSinceMidnight &+ UInt64(max(now - t0, 0))
    }

    /// The order-entry port (useful when configured as 0).
    public var orderPort: UInt16? { orderEntry?.port }

    /// The re-request server's port (useful when configured as 0).
    public var rerequestPort: UInt16 { server.port }

    /// Runs the session for `seconds` (or until `messages` ITCH messages when given), ends it,
    /// and keeps answering re-requests for `linger` seconds more.
    /// `startDelay`: seconds during which order entry is up (logins are answered) before the
    /// feed's first packet, so that a trading client can log in and join the feed from its start.
    /// `startOnLogin`: the feed starts 100 ms after the first client's login instead, the start
    /// delay being then the longest wait (a client that takes its time to come up, as a debug
    /// build's EAL and book do, misses nothing of the feed).
    /// `stop`: asked once per turn; true ends the session early (a signal, a test).
    /// `ended`: called once the session has ended and its capture is complete and closed, before
    /// the linger (what the venue's book holds then is final: a client may compare it while its
    /// re-requests are still answered).
    public func run(seconds: Double, messages limit: UInt64? = nil, linger: Double = 0.5, startDelay: Double = 0, startOnLogin: Bool = false,
                    stop: (() -> Bool)? = nil, ended: (() -> Void)? = nil) -> VenueSummary {
        server.start()
        let c = configuration
        var sink = VenueSink(feed: PublishingSink(publisher: publisher, time: c.flow.start, out: packer), orderEntry: orderEntry)
        if startDelay > 0, let orderEntry {
            var until = tw_clock_monotonic_raw_ns() + Int64(startDelay * 1e9)
            var loggedIn = false
            while true {
                let now = tw_clock_monotonic_raw_ns()
                if now >= until || stop?() == true { break }
                if startOnLogin && !loggedIn && orderEntry.counters.logins > 0 {
                    loggedIn = true
                    until = min(until, now + 100_000_000)
                }
                orderEntry.poll(monotonicNs: now, venueTime: c.flow.start, &sink)
                usleep(500)
            }
        }
        let t0 = tw_clock_monotonic_raw_ns()
        publisher.systemEvent("O", at: sink.feed.time, to: &sink.feed.out)
        publisher.systemEvent("S", at: sink.feed.time, to: &sink.feed.out)
        publisher.directory(at: sink.feed.time, to: &sink.feed.out)
        model.openingBook(&sink)
        publisher.systemEvent("Q", at: sink.feed.time, to: &sink.feed.out)
        model.cross(UInt8(ascii: "O"), &sink)
        orderEntry?.systemEvent("S", at: sink.feed.time)
        packer.flush()
        if c.paceByEventTime { model.advance() }
        let end = t0 + Int64(seconds * 1e9)
        let heartbeatNs = Int64(c.heartbeatSeconds * 1e9)
        var lastSend = t0
        var regimeNs: [Regime: UInt64] = [:]
        var lastVenue = model.now
        while true {
            let now = tw_clock_monotonic_raw_ns()
            if now >= end || stop?() == true { break }
            if let orderEntry {
                let before = publisher.published
                // Paced by event time, what a client's order makes on the feed is stamped with
                // the venue's clock when it arrives (else with the last flow event's time).
                let clock = venueClock(now, t0)
                if c.paceByEventTime { sink.feed.time = clock }
                orderEntry.poll(monotonicNs: now, venueTime: clock, &sink)
                if publisher.published != before { packer.flush() }
            }
            if let limit, publisher.published >= limit { break }
            if c.paceByEventTime {
                // The event at model.now (drawn by the previous advance) goes out once the wall
                // clock reaches it.
                let wall = wallClock(now, t0)
                // Order entry is read between every two events: a venue that lags the clock (a
                // burst, a slow build, a busy core) and catches up still meets a client's message
                // where it arrived in the flow, not a batch later (a batch of sixteen events is
                // most of a millisecond of venue time at 20,000 a second). The feed goes out
                // once per batch.
                var batch = 0
                while model.now <= wall && batch < 64 {
                    sink.feed.time = VenueTime(nanosSinceMidnight: model.now)
                    model.act(&sink)
                    regimeNs[model.regime, default: 0] += model.now - lastVenue
                    lastVenue = model.now
                    model.advance()
                    batch += 1
                    if let limit, publisher.published >= limit { break }
                    if let orderEntry {
                        let t = tw_clock_monotonic_raw_ns()
                        sink.feed.time = venueClock(t, t0)
                        orderEntry.poll(monotonicNs: t, venueTime: sink.feed.time, &sink)
                    }
                }
                if batch > 0 {
                    packer.flush()
                    lastSend = now
                } else if now - lastSend >= heartbeatNs {
                    packer.heartbeat()
                    lastSend = now
                } else if Int64(model.now &- wall) > 200_000 {
                    usleep(100)
                }
                continue
            }
            let due = c.rate > 0 ? Self.messagesDue(after: now - t0, rate: c.rate, burstFactor: c.microburstFactor, burstNanos: c.microburstNanos)
                                 : publisher.published + 4096
            if publisher.published < due {
                var batch = 0
                while publisher.published < due && batch < 4096 {
                    model.step(&sink)
                    sink.feed.time = VenueTime(nanosSinceMidnight: model.now)
                    regimeNs[model.regime, default: 0] += model.now - lastVenue
                    lastVenue = model.now
                    batch += 1
                    if let limit, publisher.published >= limit { break }
                }
                packer.flush()
                lastSend = now
            } else if now - lastSend >= heartbeatNs {
                packer.heartbeat()
                lastSend = now
            } else {
                usleep(100)
            }
        }
        let elapsed = Double(tw_clock_monotonic_raw_ns() - t0) / 1e9
        let t = VenueTime(nanosSinceMidnight: model.now)
        let users = Dictionary(uniqueKeysWithValues: (orderEntry?.configuration.users ?? []).compactMap { u in
            orderEntry?.snapshot(user: u.username).map { snap in
                (u.username, VenueUserState(openOrders: Dictionary(uniqueKeysWithValues: snap.orders.map { (String($0.key), $0.value) }),
                                            positions: Dictionary(uniqueKeysWithValues: snap.positions.map { (String($0.key), $0.value) })))
            }
        })
        model.cross(UInt8(ascii: "C"), &sink)
        orderEntry?.systemEvent("E", at: t)
        orderEntry?.endOfSession(monotonicNs: tw_clock_monotonic_raw_ns())
        publisher.systemEvent("M", at: t, to: &sink.feed.out)
        publisher.systemEvent("E", at: t, to: &sink.feed.out)
        publisher.systemEvent("C", at: t, to: &sink.feed.out)
        packer.endSession()
        try? capture?.close()
        ended?()
        if linger > 0 { usleep(UInt32(min(linger, 3600) * 1e6)) }
        server.stop()
        var regimes: [String: Double] = [:]
        for (r, ns) in regimeNs { regimes[r.description] = (Double(ns) / 1e6).rounded() / 1e3 }
        let a = packer.lines[0].counters, b = packer.lines[1].counters
        return VenueSummary(
            seconds: (elapsed * 1000).rounded() / 1000, messages: publisher.published,
            msgsPerSec: (Double(publisher.published) / max(elapsed, 1e-9)).rounded(), events: model.events,
            packets: ["a": a.sent, "b": b.sent], packetsBuilt: packer.packets,
            lost: ["a": a.lost, "b": b.lost], duplicated: ["a": a.duplicated, "b": b.duplicated],
            reordered: ["a": a.reordered, "b": b.reordered], heartbeats: packer.heartbeats,
            rerequestsServed: server.served, rerequestPort: server.port, ordersReceived: orderEntry?.counters.ordersReceived ?? 0,
            orderPort: orderEntry?.port, orderEntry: orderEntry?.counters,
            liveOrders: model.engine.liveOrders, sendErrors: packer.output.sendErrors,
            captureFrames: capture?.frames ?? 0, regimeSeconds: regimes, session: c.session,
            flowStartNs: c.flow.start.nanosSinceMidnight, users: users)
    }
}

/// The venue's engine sink: market data to the feed, owner events to order entry.
struct VenueSink: EngineSink {
    var feed: PublishingSink<MoldPacker<UDPFeedOutput>>
    let orderEntry: OrderEntryServer?
    @inline(__always)
    mutating func on(_ e: EngineEvent) {
        if !feed.publisher.publish(e, at: feed.time, to: &feed.out), let orderEntry {
            orderEntry.route(e)
        }
    }
}
