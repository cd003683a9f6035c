// The reference taker: crosses the spread when the probability of a mid-price uptick (or
// downtick) passes a threshold, and otherwise stays out. The probability comes from an
// `UptickModel`; until the models issue ships a trained one, `ImbalanceUptickModel` (a
// logistic on the first two levels' imbalance) stands in.
//
// Its decisions depend on the feed alone (the book, the feed's clock for the cooldown) and on
// its fills only through the position limit: a replay of a capture makes the same orders as
// the live run as long as the limit is not reached.
#if canImport(Glibc)
import Glibc
#endif
import OrderBook
public import OrderEntry
public import TickwireCore

/// P(next mid move is up | touch). Implementations are value types used as generic parameters.
public protocol UptickModel {
    func probabilityUp(_ top: BookTop) -> Double
}

/// A logistic on L1 and L2 imbalance: p = 1 / (1 + exp(-(l1 * I1 + l2 * I2 + bias))).
public struct ImbalanceUptickModel: UptickModel, Sendable {
    public var l1: Double
    public var l2: Double
    public var bias: Double
    public init(l1: Double = 3.0, l2: Double = 1.0, bias: Double = 0) {
        self.l1 = l1
        self.l2 = l2
        self.bias = bias
    }

    @inline(__always)
    public func probabilityUp(_ top: BookTop) -> Double {
        let b2 = Double(top.bidShares + top.bid2Shares), a2 = Double(top.askShares + top.ask2Shares)
        let i2 = b2 + a2 > 0 ? (b2 - a2) / (b2 + a2) : 0
        let z = l1 * top.imbalance + l2 * i2 + bias
        return 1 / (1 + exp(-z))
    }
}

public struct TakerParameters: Sendable, Equatable {
    /// Cross when P(uptick) > threshold (buy) or P(uptick) < 1 - threshold (sell).
    public var threshold: Double = 0.85
    /// Shares per order (capped by the size shown at the touch).
    public var size: UInt32 = 100
    /// No buying at or above this position, no selling at or below its negative.
    public var maxPosition: Int64 = 1_000
    /// Feed-clock nanoseconds between two orders in one stock.
    public var cooldownNanos: UInt64 = 5_000_000
    public init() {}
}

public struct TakerCounters: Sendable, Equatable {
    public var signals: UInt64 = 0
    public var ordersSent: UInt64 = 0
    public var refused: UInt64 = 0
    public var fills: UInt64 = 0
    public init() {}
}

public final class Taker<Model: UptickModel>: Strategy {
    public var parameters: TakerParameters
    public var model: Model
    public private(set) var counters = TakerCounters()
    let maxLocates: Int
    let traded: UnsafeMutablePointer<Bool>
    let position: UnsafeMutablePointer<Int64>
    let lastOrderAt: UnsafeMutablePointer<UInt64>

    public init(symbols: [StockLocate], model: Model, maxLocates: Int = 1 << 16, parameters: TakerParameters = .init()) {
        self.parameters = parameters
        self.model = model
        self.maxLocates = maxLocates
        traded = .allocate(capacity: maxLocates)
        traded.initialize(repeating: false, count: maxLocates)
        for s in symbols where Int(s.rawValue) < maxLocates { traded[Int(s.rawValue)] = true }
        position = .allocate(capacity: maxLocates)
        position.initialize(repeating: 0, count: maxLocates)
        lastOrderAt = .allocate(capacity: maxLocates)
        lastOrderAt.initialize(repeating: 0, count: maxLocates)
    }

    deinit {
        traded.deallocate()
        position.deallocate()
        lastOrderAt.deallocate()
    }

    public func position(_ locate: StockLocate) -> Int64 {
        Int(locate.rawValue) < maxLocates ? position[Int(locate.rawValue)] : 0
    }

    @inline(__always)
    public func trades(_ locate: StockLocate) -> Bool {
        let l = Int(locate.rawValue)
        return l < maxLocates && traded[l]
    }

    public func onBook(_ top: BookTop, _ ctx: inout StrategyContext) {
        guard top.isTwoSided else { return }
        let l = Int(top.locate.rawValue)
        guard l < maxLocates else { return }
        let last = lastOrderAt[l]
        guard last == 0 || ctx.now &- last >= parameters.cooldownNanos else { return }
        let p = model.probabilityUp(top)
        let side: Side
        let price: Price
        let shown: UInt64
        if p > parameters.threshold, position[l] < parameters.maxPosition {
            (side, price, shown) = (.buy, top.ask, top.askShares)
        } else if p < 1 - parameters.threshold, position[l] > -parameters.maxPosition {
            (side, price, shown) = (.sell, top.bid, top.bidShares)
        } else {
            return
        }
        counters.signals &+= 1
        let shares = UInt32(truncatingIfNeeded: min(UInt64(parameters.size), shown))
        guard shares > 0, ctx.add(.new(tag: UInt32(l), locate: top.locate, side: side, shares: shares, price: price, kind: .ioc)) else { return }
        lastOrderAt[l] = max(ctx.now, 1)
    }

    public func onTrade(locate: StockLocate, price: Price, shares: UInt32, _ ctx: inout StrategyContext) {}

    public func onSubmitted(tag: UInt32, result: SubmitResult, _ ctx: inout StrategyContext) {
        if case .sent = result { counters.ordersSent &+= 1 } else { counters.refused &+= 1 }
    }

    public func onOrder(_ event: GatewayEvent, _ ctx: inout StrategyContext) {
        guard case .executed(_, let locate, let side, let shares, _, _) = event else { return }
        let l = Int(locate.rawValue)
        guard l < maxLocates else { return }
        position[l] &+= side == .buy ? Int64(shares) : -Int64(shares)
        counters.fills &+= 1
    }
}
