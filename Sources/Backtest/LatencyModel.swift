// The three latencies a backtest must model, each its own named type so that a feed latency is
// never passed where an order-entry latency is meant:
//
//   FeedLatency       the venue's timestamp of a market-data event -> our decision on it (the
//                     feed's wire and our receive path; the engine sees the event then)
//   OrderEntryLatency our send -> the venue acting on it (our NIC, the wire, the venue's gateway)
//   ResponseLatency   the venue's answer (accept, fill, cancel) -> our receipt of it
//   VenueDelay        the venue's own lag: a recorded event stamped t is handled (matched and
//                     published) at t + lag, our orders meeting the flow where it stands then;
//                     0 for a venue that keeps its clock, a trace for one that fell behind it in
//                     its bursts (the simulator on a shared core: what validate measures)
//   OwnFeedDelay      the venue's answer to our order -> its feed copy of what the order did
//                     (our add, replace, cancel, the executions our order took) leaving: a venue
//                     whose order entry answers before its feed publishes (the simulator answers
//                     at once and flushes its feed once per batch of events: 20 us later at the
//                     median in validate's paper runs, never earlier). 0: both at once
//   FillFeedDelay     the same for a recorded event that fills our resting order: the venue's
//                     answer (the execution) -> its publication of the event (the simulator
//                     answers within its batch of events and publishes the batch after: 35 to
//                     65 us later at the median in validate's paper runs, never earlier). The
//                     answer leaves that much before the publication, out of the VenueDelay
//                     (measured on the wire, it holds the wait); past it the publication waits
//
// Each is drawn from a `LatencyModel`: a constant; empirical: the values of a recorded run
// (a demo's or a live run's), drawn at random with a seeded generator, so that a backtest is
// repeatable and its latencies have the recorded run's spread and tail; or a trace: the recorded
// run's latency as it was at each moment (venue clock), so that its slow spells (a venue that
// fell behind its own clock in a burst) fall on the same moments of the day. Streams stay ordered: the
// backtester never lets a later event of one stream overtake an earlier one (a feed and a TCP
// session deliver in order), whatever the draws.
import Foundation

/// Where a latency's values come from.
public enum LatencyModel: Sendable, Equatable, CustomStringConvertible {
    /// Every event takes this long (ns).
    case constant(nanos: UInt64)
    /// Values recorded in a run (ns), drawn uniformly at random (seeded).
    case empirical(samples: [UInt64], seed: UInt64)
    /// A recorded run's latency by venue time, one point per recorded event: events at a time
    /// the trace has points for take those points' values in turn (a burst stamped with one
    /// time, as a day's opening, keeps the spread its messages had), and an event at any other
    /// time the value of the last point before it (the first point's before the trace).
    /// `times` never goes back.
    case trace(times: [UInt64], values: [UInt64])

    /// "20us", "1.5ms", "800ns", "0" (constant), "empirical:FILE" (one value in ns per line),
    /// or "trace:FILE" (per line the venue time in ns since midnight and the latency then in ns,
    /// times never going back). Lines that do not parse are refused, naming the line.
    public static func parse(_ text: String, seed: UInt64 = 1) throws -> LatencyModel {
        if text.hasPrefix("trace:") {
            let path = String(text.dropFirst("trace:".count))
            var times: [UInt64] = [], values: [UInt64] = []
            for (n, t) in try dataLines(path) {
                let f = t.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "," })
                guard f.count == 2, let at = UInt64(f[0]), let v = UInt64(f[1]) else {
                    throw LatencyModelError("\(path):\(n): not 'venue_time_ns latency_ns': \(t)")
                }
                guard at >= (times.last ?? 0) else { throw LatencyModelError("\(path):\(n): the time goes back (\(at) after \(times.last!))") }
                times.append(at)
                values.append(v)
            }
            return .trace(times: times, values: values)
        }
        if text.hasPrefix("empirical:") {
            let path = String(text.dropFirst("empirical:".count))
            let v = try dataLines(path).map { n, t in
                guard let x = UInt64(t) else { throw LatencyModelError("\(path):\(n): not a latency in ns: \(t)") }
                return x
            }
            return .empirical(samples: v, seed: seed)
        }
        guard let ns = parseDuration(text) else {
            throw LatencyModelError("not a latency: \(text) (e.g. 20us, 1.5ms, 800ns, or empirical:FILE)")
        }
        return .constant(nanos: ns)
    }

    /// A latency file's lines that hold something (blank lines and # comments skipped), with
    /// their line numbers for the errors; at least one.
    static func dataLines(_ path: String) throws -> [(Int, String)] {
        guard let data = FileManager.default.contents(atPath: path), let s = String(data: data, encoding: .utf8) else {
            throw LatencyModelError("cannot read \(path)")
        }
        var lines: [(Int, String)] = []
        for (i, line) in s.split(whereSeparator: \.isNewline).enumerated() {
            let t = line.trimmingCharacters(in: .whitespaces)
            if !t.isEmpty, !t.hasPrefix("#") { lines.append((i + 1, t)) }
        }
        guard !lines.isEmpty else { throw LatencyModelError("\(path): no latencies in it") }
        return lines
    }

    /// "20us" -> 20000. Units ns, us, ms, s; a bare number is ns.
    public static func parseDuration(_ text: String) -> UInt64? {
        let t = text.trimmingCharacters(in: .whitespaces).lowercased()
        let units: [(String, Double)] = [("ns", 1), ("us", 1e3), ("µs", 1e3), ("ms", 1e6), ("s", 1e9)]
        for (u, scale) in units where t.hasSuffix(u) {
            guard let v = Double(t.dropLast(u.count)), v >= 0, v * scale < 1e15 else { return nil }
            return UInt64((v * scale).rounded())
        }
        guard let v = UInt64(t) else { return nil }
        return v
    }

    public var description: String {
        switch self {
        case .constant(let ns): "constant \(ns) ns"
        case .empirical(let s, let seed): "empirical (\(s.count) values, median \(s.sorted()[s.count / 2]) ns, seed \(seed))"
        case .trace(let t, let v): "trace (\(t.count) points from \(t[0]) to \(t[t.count - 1]) ns, median \(v.sorted()[v.count / 2]) ns)"
        }
    }
}

public struct LatencyModelError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ d: String) { description = d }
}

/// Draws one latency per event from a model (xorshift64* for the empirical draws: seeded,
/// allocation-free).
public struct LatencySampler: @unchecked Sendable {
    let constant: UInt64
    let samples: UnsafeMutableBufferPointer<UInt64>?
    /// A trace's times (`samples` holds its values).
    let times: UnsafeMutableBufferPointer<UInt64>?
    var state: UInt64
    /// A trace's point in use, and the time last asked.
    var cursor = 0
    var asked: UInt64 = .max

    public init(_ model: LatencyModel) {
        switch model {
        case .constant(let ns):
            constant = ns
            samples = nil
            times = nil
            state = 1
        case .empirical(let v, let seed):
            constant = 0
            let b = UnsafeMutableBufferPointer<UInt64>.allocate(capacity: v.count)
            _ = b.initialize(from: v)
            samples = b
            times = nil
            state = seed == 0 ? 0x9E37_79B9_7F4A_7C15 : seed
        case .trace(let t, let v):
            constant = 0
            let n = min(t.count, v.count)
            let b = UnsafeMutableBufferPointer<UInt64>.allocate(capacity: n)
            _ = b.initialize(from: v.prefix(n))
            let tb = UnsafeMutableBufferPointer<UInt64>.allocate(capacity: n)
            _ = tb.initialize(from: t.prefix(n))
            samples = b
            times = tb
            state = 1
        }
    }

    /// The sample storage is kept for the life of the backtest (owned by its venue).
    public func release() {
        samples?.deallocate()
        times?.deallocate()
    }

    /// The latency of an event at venue time `t` (a constant's or a random draw's ignore it).
    @inline(__always)
    public mutating func next(at t: UInt64) -> UInt64 {
        guard let tt = times, let v = samples else { return next() }
        if t == asked {
            // The next event at the same time: the next point at it, if the trace has one.
            if cursor &+ 1 < tt.count, tt[cursor &+ 1] == t { cursor &+= 1 }
            return v[cursor]
        }
        if t < asked, asked != .max {
            // Back in time (not in a backtest's time line, but allowed): start over.
            cursor = 0
        }
        asked = t
        // The last point before t, then the first at t if there is one. Times asked mostly go
        // forward: the walk goes on from the last point.
        while cursor &+ 1 < tt.count, tt[cursor &+ 1] < t { cursor &+= 1 }
        if cursor &+ 1 < tt.count, tt[cursor &+ 1] == t, tt[cursor] < t { cursor &+= 1 }
        return v[cursor]
    }

    /// Whether the latency depends on the time asked (a trace): the venue then asks per event.
    var isTrace: Bool { times != nil }

    @inline(__always)
    mutating func next() -> UInt64 {
        guard let s = samples else { return constant }
        if times != nil { return s[cursor] }
        state ^= state >> 12
        state ^= state << 25
        state ^= state >> 27
        let r = state &* 0x2545_F491_4F6C_DD1D
        return s[Int(r % UInt64(s.count))]
    }
}

public struct FeedLatency: Sendable, Equatable {
    public var model: LatencyModel
    public init(_ model: LatencyModel) { self.model = model }
}

public struct OrderEntryLatency: Sendable, Equatable {
    public var model: LatencyModel
    public init(_ model: LatencyModel) { self.model = model }
}

public struct ResponseLatency: Sendable, Equatable {
    public var model: LatencyModel
    public init(_ model: LatencyModel) { self.model = model }
}

public struct VenueDelay: Sendable, Equatable {
    public var model: LatencyModel
    public init(_ model: LatencyModel) { self.model = model }
}

public struct OwnFeedDelay: Sendable, Equatable {
    public var model: LatencyModel
    public init(_ model: LatencyModel) { self.model = model }
}

public struct FillFeedDelay: Sendable, Equatable {
    public var model: LatencyModel
    public init(_ model: LatencyModel) { self.model = model }
}

/// The three latencies of a backtest. The defaults are round figures near what the demo
/// measures on this machine's veth (feed ~20 µs from the venue's stamp to our decision; order
/// entry and answers ~15 µs each way): set them from a recorded run for a real estimate.
public struct BacktestLatencies: Sendable, Equatable {
    public var feed: FeedLatency
    public var entry: OrderEntryLatency
    public var response: ResponseLatency
    public var venue: VenueDelay
    public var own: OwnFeedDelay
    public var fill: FillFeedDelay
    public init(feed: FeedLatency = FeedLatency(.constant(nanos: 20_000)),
                entry: OrderEntryLatency = OrderEntryLatency(.constant(nanos: 15_000)),
                response: ResponseLatency = ResponseLatency(.constant(nanos: 15_000)),
                venue: VenueDelay = VenueDelay(.constant(nanos: 0)),
                own: OwnFeedDelay = OwnFeedDelay(.constant(nanos: 0)),
                fill: FillFeedDelay = FillFeedDelay(.constant(nanos: 0))) {
        self.feed = feed
        self.entry = entry
        self.response = response
        self.venue = venue
        self.own = own
        self.fill = fill
    }
}
