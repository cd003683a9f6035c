// Microstructure features of one stock, kept up to date in O(1) per book or trade event, with
// no allocation: the row a model reads is written straight into the caller's buffer. Prices and
// sizes arrive as integers (price units of 1/10000 $, shares); features are Float, scaled to
// be of order one (ticks, log sizes, rates per second) so that models trained on them do not
// depend on the price level of the stock.
//
// Rates and averages decay with time, not with event count: an EWMA over the feed's clock with
// time constant tau, weight dt / (tau + dt) per update (a first-order approximation of
// 1 - exp(-dt/tau) that needs no exp on the hot path and stays in (0, 1) for any dt).
#if canImport(Glibc)
import Glibc
#endif
public import TickwireCore

/// The feature row, in order. `FeatureState.schema` is what models are checked against.
public enum Feature: Int, CaseIterable, Sendable {
    case spreadTicks, micropriceOffsetTicks, imbalanceL1, imbalanceL2, logBidShares, logAskShares
    case tradeFlowImbalance, arrivalRateTouch, cancelRateTouch, realizedVolTicks, logMillisSinceTrade
    case queueAheadShares, inventory, logBidOrders, logAskOrders, lastMoveSign

    public var name: String {
        switch self {
        case .spreadTicks: "spread_ticks"
        case .micropriceOffsetTicks: "microprice_offset_ticks"
        case .imbalanceL1: "imbalance_l1"
        case .imbalanceL2: "imbalance_l2"
        case .logBidShares: "log_bid_shares"
        case .logAskShares: "log_ask_shares"
        case .tradeFlowImbalance: "trade_flow_imbalance"
        case .arrivalRateTouch: "arrival_rate_touch"
        case .cancelRateTouch: "cancel_rate_touch"
        case .realizedVolTicks: "realized_vol_ticks"
        case .logMillisSinceTrade: "log_ms_since_trade"
        case .queueAheadShares: "queue_ahead_shares"
        case .inventory: "inventory"
        case .logBidOrders: "log_bid_orders"
        case .logAskOrders: "log_ask_orders"
        case .lastMoveSign: "last_move_sign"
        }
    }
}

/// One stock's feature state. A value type: the caller keeps one per traded stock in its own
/// preallocated storage and mutates it in place.
public struct FeatureState: Sendable {
    public static let schema = FeatureSchema(names: Feature.allCases.map(\.name), version: 1)
    public static let count = Feature.allCases.count

    /// Price units per tick ($0.01 = 100).
    public var tick: Double = 100
    /// Time constants (ns) of the rate and volatility averages.
    public var rateTauNanos: Double = 1e9
    public var volTauNanos: Double = 5e9
    public var flowTauNanos: Double = 2e9

    // The touch as last seen.
    var bid: Int64 = 0, ask: Int64 = 0
    var bidShares: UInt64 = 0, askShares: UInt64 = 0
    var bid2Shares: UInt64 = 0, ask2Shares: UInt64 = 0
    var bidOrders: Int = 0, askOrders: Int = 0
    /// +1 / -1: the last change of the mid was up / down; 0: none yet.
    var lastMove: Float = 0
    var lastBookAt: UInt64 = 0
    var lastMid2: Int64 = 0  // 2 x mid, integer
    // Averages.
    var arrivals: Double = 0, cancels: Double = 0
    var volVar: Double = 0
    var flow: Double = 0
    var lastTradeAt: UInt64 = 0
    var tradedSinceBook: UInt64 = 0
    /// Set by the strategy: shares ahead of our resting order, and our position.
    public var queueAhead: UInt64 = 0
    public var inventory: Int64 = 0

    public init() {}

    @inline(__always)
    static func weight(_ dt: Double, _ tau: Double) -> Double { dt / (tau + dt) }

    /// A new touch at feed time `now` (ns), with the second level's sizes and the order counts
    /// of the touch. Size added at an unchanged touch price counts as arrivals; size removed
    /// that trades do not explain counts as cancellations.
    @inline(__always)
    public mutating func onBook(bid: Int64, bidShares: UInt64, ask: Int64, askShares: UInt64,
                                bid2Shares: UInt64, ask2Shares: UInt64, bidOrders: Int = 0, askOrders: Int = 0, now: UInt64) {
        let dt = lastBookAt == 0 || now <= lastBookAt ? 0 : Double(now - lastBookAt)
        var added: Double = 0, removed: Double = 0
        if bid == self.bid {
            if bidShares > self.bidShares { added += Double(bidShares - self.bidShares) } else { removed += Double(self.bidShares - bidShares) }
        }
        if ask == self.ask {
            if askShares > self.askShares { added += Double(askShares - self.askShares) } else { removed += Double(self.askShares - askShares) }
        }
        let unexplained = max(0, removed - Double(tradedSinceBook))
        tradedSinceBook = 0
        // Rates in shares per second: decay the average, add this event's amount / tau.
        let w = Self.weight(dt, rateTauNanos)
        arrivals = arrivals * (1 - w) + added * 1e9 / rateTauNanos
        cancels = cancels * (1 - w) + unexplained * 1e9 / rateTauNanos
        // Realized volatility of the mid, in ticks.
        let mid2 = bid + ask
        if lastMid2 != 0, bidShares > 0, askShares > 0 {
            let move = Double(mid2 - lastMid2) / (2 * tick)
            let wv = Self.weight(max(dt, 1), volTauNanos)
            volVar = volVar * (1 - wv) + move * move * wv
            if mid2 != lastMid2 { lastMove = mid2 > lastMid2 ? 1 : -1 }
        }
        if bidShares > 0 && askShares > 0 { lastMid2 = mid2 }
        (self.bid, self.ask, self.bidShares, self.askShares) = (bid, ask, bidShares, askShares)
        (self.bid2Shares, self.ask2Shares) = (bid2Shares, ask2Shares)
        (self.bidOrders, self.askOrders) = (bidOrders, askOrders)
        lastBookAt = now
    }

    /// A trade of `shares`; `buyerInitiated`: the aggressor bought (true), sold (false).
    @inline(__always)
    public mutating func onTrade(shares: UInt32, buyerInitiated: Bool, now: UInt64) {
        let dt = lastTradeAt == 0 || now <= lastTradeAt ? 0 : Double(now - lastTradeAt)
        let w = Self.weight(dt, flowTauNanos)
        let signed = buyerInitiated ? Double(shares) : -Double(shares)
        flow = flow * (1 - w) + signed
        lastTradeAt = now
        tradedSinceBook &+= UInt64(shares)
    }

    /// Writes the row (`FeatureState.count` Floats) for feed time `now`, as the buy side sees
    /// the book. `side: .sell` writes it as the sell side sees it: bid and ask swap roles (the
    /// imbalances, the microprice offset, the trade flow and the inventory change sign; the two
    /// touch sizes swap), so that one model trained on buy-side rows answers for both sides:
    /// P(uptick) of the sell-side row is P(downtick), P(fill) of it is the fill probability of a
    /// sell order. `queueAhead` is written as it is.
    @inline(__always)
    public func write(into row: UnsafeMutablePointer<Float>, now: UInt64, side: Side) {
        write(into: row, now: now)
        guard side == .sell else { return }
        row[Feature.micropriceOffsetTicks.rawValue] = -row[Feature.micropriceOffsetTicks.rawValue]
        row[Feature.imbalanceL1.rawValue] = -row[Feature.imbalanceL1.rawValue]
        row[Feature.imbalanceL2.rawValue] = -row[Feature.imbalanceL2.rawValue]
        row[Feature.tradeFlowImbalance.rawValue] = -row[Feature.tradeFlowImbalance.rawValue]
        row[Feature.inventory.rawValue] = -row[Feature.inventory.rawValue]
        row[Feature.lastMoveSign.rawValue] = -row[Feature.lastMoveSign.rawValue]
        let b = row[Feature.logBidShares.rawValue]
        row[Feature.logBidShares.rawValue] = row[Feature.logAskShares.rawValue]
        row[Feature.logAskShares.rawValue] = b
        let o = row[Feature.logBidOrders.rawValue]
        row[Feature.logBidOrders.rawValue] = row[Feature.logAskOrders.rawValue]
        row[Feature.logAskOrders.rawValue] = o
    }

    /// Writes the row (`FeatureState.count` Floats) for feed time `now`, buy side's view.
    @inline(__always)
    public func write(into row: UnsafeMutablePointer<Float>, now: UInt64) {
        let twoSided = bidShares > 0 && askShares > 0 && bid < ask
        let spread = twoSided ? Double(ask - bid) / tick : 0
        let b = Double(bidShares), a = Double(askShares)
        let micro = twoSided && a + b > 0 ? (Double(bid) * a + Double(ask) * b) / (a + b) : 0
        let mid = Double(bid + ask) / 2
        row[Feature.spreadTicks.rawValue] = Float(spread)
        row[Feature.micropriceOffsetTicks.rawValue] = Float(twoSided ? (micro - mid) / tick : 0)
        row[Feature.imbalanceL1.rawValue] = Float(a + b > 0 ? (b - a) / (b + a) : 0)
        let b2 = b + Double(bid2Shares), a2 = a + Double(ask2Shares)
        row[Feature.imbalanceL2.rawValue] = Float(a2 + b2 > 0 ? (b2 - a2) / (b2 + a2) : 0)
        row[Feature.logBidShares.rawValue] = Float(log1p(b))
        row[Feature.logAskShares.rawValue] = Float(log1p(a))
        let scale = max(a + b, 1)
        row[Feature.tradeFlowImbalance.rawValue] = Float(max(-1, min(1, flow / scale)))
        row[Feature.arrivalRateTouch.rawValue] = Float(log1p(arrivals))
        row[Feature.cancelRateTouch.rawValue] = Float(log1p(cancels))
        row[Feature.realizedVolTicks.rawValue] = Float(volVar.squareRoot())
        let sinceTrade = lastTradeAt == 0 || now < lastTradeAt ? 3_600_000.0 : Double(now - lastTradeAt) / 1e6
        row[Feature.logMillisSinceTrade.rawValue] = Float(log1p(sinceTrade))
        row[Feature.queueAheadShares.rawValue] = Float(queueAhead)
        row[Feature.inventory.rawValue] = Float(inventory)
        row[Feature.logBidOrders.rawValue] = Float(log1p(Double(bidOrders)))
        row[Feature.logAskOrders.rawValue] = Float(log1p(Double(askOrders)))
        row[Feature.lastMoveSign.rawValue] = lastMove
    }
}
