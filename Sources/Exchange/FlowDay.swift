// A day of the order-flow model as an ITCH 5.0 BinaryFILE (`tickwire gen itch`): the session's
// system events, the stock directory and trading actions, the pre-open book, the flow, and the
// end-of-day system events, with exactly the number of messages asked for (a short request cuts
// the day where it reaches the count).
public import MarketData
public import TickwireCore

/// Forwards the engine's market-data events to the ITCH publisher, stamped with the model's
/// clock; owner events are dropped (nobody is logged in to a generated day).
public struct PublishingSink<Out: ITCHMessageSink>: EngineSink {
    public let publisher: ITCHPublisher
    public var time: VenueTime
    public var out: Out
    public init(publisher: ITCHPublisher, time: VenueTime, out: Out) {
        self.publisher = publisher
        self.time = time
        self.out = out
    }
    @inline(__always)
    public mutating func on(_ e: EngineEvent) { publisher.publish(e, at: time, to: &out) }
}

/// Length-prefixed messages into a buffer, up to a limit (later ones are counted, not kept).
public struct LimitedFileSink: ITCHMessageSink {
    public var bytes: [UInt8] = []
    public var limit: Int
    public private(set) var kept = 0
    public private(set) var dropped = 0
    public init(limit: Int, capacity: Int = 1 << 21) {
        self.limit = limit
        bytes.reserveCapacity(capacity)
    }
    public mutating func message(_ m: UnsafeRawBufferPointer) {
        guard kept < limit else {
            dropped += 1
            return
        }
        bytes.append(UInt8(m.count >> 8))
        bytes.append(UInt8(m.count & 0xFF))
        bytes.append(contentsOf: m)
        kept += 1
    }
}

public struct FlowDaySummary: Sendable {
    public var messages: Int
    public var bytes: Int
    public var events: UInt64
    public var liveOrders: Int
    public var venueSeconds: Double
    /// Venue seconds spent in each regime.
    public var regimeSeconds: [String: Double]
}

public enum FlowDay {
    /// Symbols of a generated day: "SYN0001"... (as the simple synthetic day names them).
    public static func symbols(_ n: Int) -> [Symbol] { (1...max(n, 1)).map { SyntheticDay.symbol(locate: $0) } }

    /// Generates the day, handing about a megabyte at a time to `write`. `rate` > 0 stamps the
    /// flow as the paced venue does (`VenueSimulator.venueTime`): the later of the model's clock
    /// and `rate` messages a second from the start, so that a generated day runs at the speed of
    /// the demo's feed; 0 keeps the model's own clock.
    ///
    /// `eventTimes`: each event stamped with its own time, as the venue paced by event time
    /// stamps it (`VenueConfiguration.paceByEventTime`; `rate` is then not used), and
    /// `untilNanos` (venue time) ends the day at the first event past it, as that venue's
    /// session ends when the wall clock passes it.
    public static func generate(_ c: OrderFlowConfiguration, messages: Int, rate: Double = 0, eventTimes: Bool = false,
                                untilNanos: UInt64 = .max,
                                write: (UnsafeRawBufferPointer) throws -> Void) rethrows -> FlowDaySummary {
        let model = OrderFlowModel(configuration: c, maxOrders: 1 << 22)
        let publisher = ITCHPublisher(symbols: symbols(c.symbols))
        // Room kept at the end for the closing cross (when the day is long enough) and M, E, C.
        let closing = messages > 10 * (c.symbols + 3) ? c.symbols : 0
        var sink = PublishingSink(publisher: publisher, time: c.start, out: LimitedFileSink(limit: max(messages - 3 - closing, 0)))
        var total = 0
        var bytes = 0
        func flush(_ sink: inout PublishingSink<LimitedFileSink>) throws {
            try sink.out.bytes.withUnsafeBytes { try write($0) }
            bytes += sink.out.bytes.count
            total += sink.out.kept
            sink.out.limit -= sink.out.kept
            sink.out = LimitedFileSink(limit: sink.out.limit)
        }
        publisher.systemEvent("O", at: c.start, to: &sink.out)
        publisher.directory(at: c.start, to: &sink.out)
        publisher.systemEvent("S", at: c.start, to: &sink.out)
        model.openingBook(&sink)
        publisher.systemEvent("Q", at: c.start, to: &sink.out)
        model.cross(UInt8(ascii: "O"), &sink)
        var regimeNs: [Regime: UInt64] = [:]
        var last = model.now
        let start = c.start.nanosSinceMidnight
        func stamp(_ written: Int) -> UInt64 {
            rate > 0 ? max(model.now, start &+ UInt64(Double(written) / rate * 1e9)) : model.now
        }
        sink.time = VenueTime(nanosSinceMidnight: stamp(total + sink.out.kept))
        while sink.out.limit > sink.out.kept {
            if eventTimes {
                model.advance()
                if model.now > untilNanos { break }
                sink.time = VenueTime(nanosSinceMidnight: model.now)
                model.act(&sink)
                regimeNs[model.regime, default: 0] += model.now - last
                last = model.now
            } else {
                model.step(&sink)
                let now = stamp(total + sink.out.kept)
                sink.time = VenueTime(nanosSinceMidnight: now)
                regimeNs[model.regime, default: 0] += now - last
                last = now
            }
            if sink.out.bytes.count >= 1 << 20 { try flush(&sink) }
        }
        sink.out.limit = sink.out.kept + (messages - total - sink.out.kept)
        if closing > 0 { model.cross(UInt8(ascii: "C"), &sink) }
        for code in ["M", "E", "C"] as [Character] {
            publisher.systemEvent(code, at: VenueTime(nanosSinceMidnight: max(model.now, last)), to: &sink.out)
        }
        try flush(&sink)
        var seconds: [String: Double] = [:]
        for (r, ns) in regimeNs { seconds[r.description] = Double(ns) / 1e9 }
        return FlowDaySummary(messages: total, bytes: bytes, events: model.events, liveOrders: model.engine.liveOrders,
                              venueSeconds: Double(max(model.now, last) - c.start.nanosSinceMidnight) / 1e9, regimeSeconds: seconds)
    }

    /// The whole day in memory.
    public static func generate(_ c: OrderFlowConfiguration, messages: Int, rate: Double = 0, eventTimes: Bool = false,
                                untilNanos: UInt64 = .max) -> (bytes: [UInt8], summary: FlowDaySummary) {
        var out: [UInt8] = []
        out.reserveCapacity(min(messages, 1 << 20) * 34)
        let s = generate(c, messages: messages, rate: rate, eventTimes: eventTimes, untilNanos: untilNanos) { out.append(contentsOf: $0) }
        return (out, s)
    }
}
