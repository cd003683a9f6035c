// The three latencies a backtest must model, each its own named type so that a feed latency is
// never passed where an order-entry latency is meant:
//
//   FeedLatency       the venue's timestamp of a market-data event -> our decision on it (the
//                     feed's wire and our receive path; the engine sees the event then)
//   OrderEntryLatency our send -> the venue acting on it (our NIC, the wire, the venue's gateway)
//   ResponseLatency   the venue's answer (accept, fill, cancel) -> our receipt of it
//
// Each is drawn from a `LatencyModel`: a constant, or empirical: the values of a recorded run
// (a demo's or a live run's), drawn at random with a seeded generator, so that a backtest is
// repeatable and its latencies have the recorded run's spread and tail. Streams stay ordered: the
// backtester never lets a later event of one stream overtake an earlier one (a feed and a TCP
// session deliver in order), whatever the draws.
import Foundation

/// Where a latency's values come from.
public enum LatencyModel: Sendable, Equatable, CustomStringConvertible {
    /// Every event takes this long (ns).
    case constant(nanos: UInt64)
    /// Values recorded in a run (ns), drawn uniformly at random (seeded).
    case empirical(samples: [UInt64], seed: UInt64)

    /// "20us", "1.5ms", "800ns", "0" (constant), or "empirical:FILE" (one value in ns per line;
    /// lines that do not parse are refused, naming the line).
    public static func parse(_ text: String, seed: UInt64 = 1) throws -> LatencyModel {
        if text.hasPrefix("empirical:") {
            let path = String(text.dropFirst("empirical:".count))
            guard let data = FileManager.default.contents(atPath: path), let s = String(data: data, encoding: .utf8) else {
                throw LatencyModelError("cannot read \(path)")
            }
            var v: [UInt64] = []
            for (i, line) in s.split(whereSeparator: \.isNewline).enumerated() {
                let t = line.trimmingCharacters(in: .whitespaces)
                if t.isEmpty || t.hasPrefix("#") { continue }
                guard let x = UInt64(t) else { throw LatencyModelError("\(path):\(i + 1): not a latency in ns: \(t)") }
                v.append(x)
            }
            guard !v.isEmpty else { throw LatencyModelError("\(path): no latencies in it") }
            return .empirical(samples: v, seed: seed)
        }
        guard let ns = parseDuration(text) else {
            throw LatencyModelError("not a latency: \(text) (e.g. 20us, 1.5ms, 800ns, or empirical:FILE)")
        }
        return .constant(nanos: ns)
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
    var state: UInt64

    init(_ model: LatencyModel) {
        switch model {
        case .constant(let ns):
            constant = ns
            samples = nil
            state = 1
        case .empirical(let v, let seed):
            constant = 0
            let b = UnsafeMutableBufferPointer<UInt64>.allocate(capacity: v.count)
            _ = b.initialize(from: v)
            samples = b
            state = seed == 0 ? 0x9E37_79B9_7F4A_7C15 : seed
        }
    }

    /// The sample storage is kept for the life of the backtest (owned by its venue).
    func release() { samples?.deallocate() }

    @inline(__always)
    mutating func next() -> UInt64 {
        guard let s = samples else { return constant }
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

/// The three latencies of a backtest. The defaults are round figures near what the demo
/// measures on this machine's veth (feed ~20 µs from the venue's stamp to our decision; order
/// entry and answers ~15 µs each way): set them from a recorded run for a real estimate.
public struct BacktestLatencies: Sendable, Equatable {
    public var feed: FeedLatency
    public var entry: OrderEntryLatency
    public var response: ResponseLatency
    public init(feed: FeedLatency = FeedLatency(.constant(nanos: 20_000)),
                entry: OrderEntryLatency = OrderEntryLatency(.constant(nanos: 15_000)),
                response: ResponseLatency = ResponseLatency(.constant(nanos: 15_000))) {
        self.feed = feed
        self.entry = entry
        self.response = response
    }
}
