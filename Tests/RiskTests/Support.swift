// Helpers shared by the risk tests.
import Testing
import Risk
import TickwireCore

/// SplitMix64: a small, fast, seedable generator (Steele, Lea, Flood 2014).
/// (TickwireCore's generator.)
extension SplitMix64 {
    mutating func range(_ r: ClosedRange<Int64>) -> Int64 { r.lowerBound + Int64(next() % UInt64(r.upperBound - r.lowerBound + 1)) }
    mutating func chance(_ percent: Int) -> Bool { below(100) < percent }
}

let L1 = StockLocate(rawValue: 1)
let L2 = StockLocate(rawValue: 2)
let L3 = StockLocate(rawValue: 3)

/// $10.0000 in 1/10,000 dollars.
let ten: Int64 = 100_000

/// Limits under which nothing but what a test tightens can refuse an order (self-match
/// prevention off: the tests of the other checks put buys and sells at one price; its own tests
/// turn it on).
func openLimits() -> RiskLimits {
    var l = RiskLimits(maxOrderShares: 1_000_000, maxOrderNotional: .max, collarBps: 10_000,
                       maxPositionPerSymbol: 1_000_000_000, maxGrossPosition: 1_000_000_000,
                       maxOpenOrders: 1_000, throttleOrders: 1_000, throttleWindowNanos: 1)
    l.selfMatchPrevention = false
    return l
}

/// An engine with `configure` applied to `openLimits()`, and a 9.9900 x 10.0100 quote (mid
/// 10.0000) on locates 1 to 3 at time 0.
func makeEngine(locates: Int = 8, quotes: Bool = true, _ configure: (inout RiskLimits) -> Void = { _ in }) -> RiskEngine {
    var l = openLimits()
    configure(&l)
    let e = try! RiskEngine(limits: l, maxLocates: locates)
    if quotes {
        for loc in [L1, L2, L3] {
            e.onBBO(locate: loc, bid: Price(rawValue: ten - 100), ask: Price(rawValue: ten + 100), now: 0)
        }
    }
    return e
}

func order(_ locate: StockLocate = L1, _ side: Side = .buy, _ shares: UInt32, _ price: Int64 = ten,
           _ kind: OrderKind = .limit) -> OrderIntent {
    OrderIntent(locate: locate, side: side, shares: Shares(rawValue: shares), price: Price(rawValue: price), kind: kind)
}

func sh(_ n: UInt32) -> Shares { Shares(rawValue: n) }
func px(_ raw: Int64) -> Price { Price(rawValue: raw) }

/// Checks an order that must pass and returns its handle.
@discardableResult
func mustAccept(_ e: RiskEngine, _ o: OrderIntent, now: UInt64 = 0,
                sourceLocation: SourceLocation = #_sourceLocation) -> RiskOrderID {
    let d = e.check(o, now: now)
    #expect(d.isAccepted, "expected accepted, got \(d)", sourceLocation: sourceLocation)
    return d.orderID ?? RiskOrderID(rawValue: .max)
}

/// Checks an order that must be refused for `reason`.
func mustReject(_ e: RiskEngine, _ o: OrderIntent, _ reason: RiskReject, now: UInt64 = 0,
                sourceLocation: SourceLocation = #_sourceLocation) {
    let d = e.check(o, now: now)
    #expect(d == .rejected(reason), "expected \(reason), got \(d)", sourceLocation: sourceLocation)
}

/// A limit buy of `shares` on locate 1 at 10.0000.
func order(shares: UInt32) -> OrderIntent { order(L1, .buy, shares) }
