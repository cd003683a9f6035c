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
    case tradeFlowImbalance, arrivalRateBid, arrivalRateAsk, cancelRateBid, cancelRateAsk, realizedVolTicks, logMillisSinceTrade
    case queueAheadShares, cancelRateAhead, inventory, logBidOrders, logAskOrders, lastMoveSign

    public var name: String {
        switch self {
        case .spreadTicks: "spread_ticks"
        case .micropriceOffsetTicks: "microprice_offset_ticks"
        case .imbalanceL1: "imbalance_l1"
        case .imbalanceL2: "imbalance_l2"
        case .logBidShares: "log_bid_shares"
        case .logAskShares: "log_ask_shares"
        case .tradeFlowImbalance: "trade_flow_imbalance"
        case .arrivalRateBid: "arrival_rate_bid"
        case .arrivalRateAsk: "arrival_rate_ask"
        case .cancelRateBid: "cancel_rate_bid"
        case .cancelRateAsk: "cancel_rate_ask"
        case .realizedVolTicks: "realized_vol_ticks"
        case .logMillisSinceTrade: "log_ms_since_trade"
        case .queueAheadShares: "queue_ahead_shares"
        case .cancelRateAhead: "cancel_rate_ahead"
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
    /// Version 2: arrival and cancellation rates per side, and the cancellation rate ahead of
    /// our order (version 1 had one rate of each for both sides together).
    public static let schema = FeatureSchema(names: Feature.allCases.map(\.name), version: 2)
    /// `Feature.allCases.count`, as a literal: a constant needs no lazy initialization (a
    /// swift_once on every decision that sized its row with it). A test checks it.
    public static let count = 19

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
    var arrivalsBid: Double = 0, arrivalsAsk: Double = 0
    var cancelsBid: Double = 0, cancelsAsk: Double = 0
    var volVar: Double = 0
    var flow: Double = 0
    var lastTradeAt: UInt64 = 0
    /// Shares traded against each side's resting orders since the last touch update.
    var tradedBidSinceBook: UInt64 = 0, tradedAskSinceBook: UInt64 = 0
    /// Set by the strategy: shares ahead of our resting order, and our position.
    public var queueAhead: UInt64 = 0
    public var inventory: Int64 = 0

    /// Fills the count-logarithm table on first use: when the strategy is made, not on the
    /// first decision.
    public init() { _ = Self.countLogs.count }

    @inline(__always)
    static func weight(_ dt: Double, _ tau: Double) -> Double { dt / (tau + dt) }

    /// A new touch at feed time `now` (ns), with the second level's sizes and the order counts
    /// of the touch. Size added at an unchanged touch price counts as arrivals; size removed
    /// that trades do not explain counts as cancellations.
    @inline(__always)
    public mutating func onBook(bid: Int64, bidShares: UInt64, ask: Int64, askShares: UInt64,
                                bid2Shares: UInt64, ask2Shares: UInt64, bidOrders: Int = 0, askOrders: Int = 0, now: UInt64) {
        let dt = lastBookAt == 0 || now <= lastBookAt ? 0 : Double(now - lastBookAt)
        var addedBid: Double = 0, removedBid: Double = 0, addedAsk: Double = 0, removedAsk: Double = 0
        if bid == self.bid {
            if bidShares > self.bidShares { addedBid = Double(bidShares - self.bidShares) } else { removedBid = Double(self.bidShares - bidShares) }
        }
        if ask == self.ask {
            if askShares > self.askShares { addedAsk = Double(askShares - self.askShares) } else { removedAsk = Double(self.askShares - askShares) }
        }
        // Size removed that trades against that side do not explain was cancelled.
        let cancelledBid = max(0, removedBid - Double(tradedBidSinceBook))
        let cancelledAsk = max(0, removedAsk - Double(tradedAskSinceBook))
        tradedBidSinceBook = 0
        tradedAskSinceBook = 0
        // Rates in shares per second: decay the average, add this event's amount / tau.
        let w = Self.weight(dt, rateTauNanos)
        let unit = 1e9 / rateTauNanos
        arrivalsBid = arrivalsBid * (1 - w) + addedBid * unit
        arrivalsAsk = arrivalsAsk * (1 - w) + addedAsk * unit
        cancelsBid = cancelsBid * (1 - w) + cancelledBid * unit
        cancelsAsk = cancelsAsk * (1 - w) + cancelledAsk * unit
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
        // The aggressor bought: the ask's resting orders traded.
        if buyerInitiated { tradedAskSinceBook &+= UInt64(shares) } else { tradedBidSinceBook &+= UInt64(shares) }
    }

    /// Writes the row (`FeatureState.count` Floats) for feed time `now`, as the buy side sees
    /// the book. `side: .sell` writes it as the sell side sees it: bid and ask swap roles (the
    /// imbalances, the microprice offset, the trade flow and the inventory change sign; the two
    /// touch sizes swap), so that one model trained on buy-side rows answers for both sides:
    /// P(uptick) of the sell-side row is P(downtick), P(fill) of it is the fill probability of a
    /// sell order. `queueAhead` is written as it is.
    @inline(__always)
    public func write(into row: UnsafeMutablePointer<Float>, now: UInt64, side: Side) {
        guard side == .sell else { return write(into: row, now: now) }
        writeSharedFeatures(into: row, now: now)
        row[Feature.micropriceOffsetTicks.rawValue] = -row[Feature.micropriceOffsetTicks.rawValue]
        row[Feature.imbalanceL1.rawValue] = -row[Feature.imbalanceL1.rawValue]
        row[Feature.imbalanceL2.rawValue] = -row[Feature.imbalanceL2.rawValue]
        row[Feature.tradeFlowImbalance.rawValue] = -row[Feature.tradeFlowImbalance.rawValue]
        row[Feature.inventory.rawValue] = -row[Feature.inventory.rawValue]
        row[Feature.lastMoveSign.rawValue] = -row[Feature.lastMoveSign.rawValue]
        Self.swap(row, .logBidShares, .logAskShares)
        Self.swap(row, .logBidOrders, .logAskOrders)
        Self.swap(row, .arrivalRateBid, .arrivalRateAsk)
        Self.swap(row, .cancelRateBid, .cancelRateAsk)
        row[Feature.cancelRateAhead.rawValue] = Float(cancelRateAhead(cancels: cancelsAsk, touch: askShares))
    }

    @inline(__always)
    static func swap(_ row: UnsafeMutablePointer<Float>, _ a: Feature, _ b: Feature) {
        let t = row[a.rawValue]
        row[a.rawValue] = row[b.rawValue]
        row[b.rawValue] = t
    }

    /// Shares per second cancelled ahead of our order, log1p: the side's cancellation rate times
    /// the part of its touch queue that is ahead of us (cancellations taken as spread evenly
    /// over the queue; arrivals join behind us, so none is ahead).
    @inline(__always)
    func cancelRateAhead(cancels: Double, touch: UInt64) -> Double {
        guard queueAhead > 0, touch > 0 else { return 0 }
        return log1p(cancels * min(1, Double(queueAhead) / Double(touch)))
    }

    /// Float(log1p(n)) for a count (shares, orders), read from a table below 4,096: the same
    /// bits as computing it (the table is filled by the same expression), without the ~8-20 ns
    /// of a log1p on the decision's path. Four of a row's ten logarithms are of counts.
    @inline(__always)
    static func log1pOfCount(_ n: UInt64) -> Float {
        n < UInt64(countLogs.count) ? countLogs.table[Int(n)] : Float(log1p(Double(n)))
    }

    @inline(__always)
    static func log1pOfCount(_ n: Int) -> Float {
        n >= 0 ? log1pOfCount(UInt64(n)) : Float(log1p(Double(n)))
    }

    static let countLogs = Log1pTable<Float>(count: 4_096)

    /// The row as `side` sees it at feed time `now`, written on the stack and handed to `body`
    /// (what a model's prediction or decision reads; no allocation).
    @inlinable @inline(__always)
    public func withRow<R>(now: UInt64, side: Side, _ body: (UnsafePointer<Float>) -> R) -> R {
        withUnsafeTemporaryAllocation(of: Float.self, capacity: FeatureState.count) { row in
            let p = row.baseAddress.unsafelyUnwrapped
            write(into: p, now: now, side: side)
            return body(p)
        }
    }

    /// Writes the row (`FeatureState.count` Floats) for feed time `now`, buy side's view.
    @inline(__always)
    public func write(into row: UnsafeMutablePointer<Float>, now: UInt64) {
        writeSharedFeatures(into: row, now: now)
        row[Feature.cancelRateAhead.rawValue] = Float(cancelRateAhead(cancels: cancelsBid, touch: bidShares))
    }

    /// Every feature of the buy side's row but the cancellation rate ahead, the one whose
    /// logarithm differs by side: each side's `write` adds its own (a sell row computed the
    /// buy side's first, a log1p thrown away).
    @inline(__always)
    func writeSharedFeatures(into row: UnsafeMutablePointer<Float>, now: UInt64) {
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
        row[Feature.logBidShares.rawValue] = Self.log1pOfCount(bidShares)
        row[Feature.logAskShares.rawValue] = Self.log1pOfCount(askShares)
        let scale = max(a + b, 1)
        row[Feature.tradeFlowImbalance.rawValue] = Float(max(-1, min(1, flow / scale)))
        row[Feature.arrivalRateBid.rawValue] = Float(log1p(arrivalsBid))
        row[Feature.arrivalRateAsk.rawValue] = Float(log1p(arrivalsAsk))
        row[Feature.cancelRateBid.rawValue] = Float(log1p(cancelsBid))
        row[Feature.cancelRateAsk.rawValue] = Float(log1p(cancelsAsk))
        row[Feature.realizedVolTicks.rawValue] = Float(volVar.squareRoot())
        let sinceTrade = lastTradeAt == 0 || now < lastTradeAt ? 3_600_000.0 : Double(now - lastTradeAt) / 1e6
        row[Feature.logMillisSinceTrade.rawValue] = Float(log1p(sinceTrade))
        row[Feature.queueAheadShares.rawValue] = Float(queueAhead)
        row[Feature.inventory.rawValue] = Float(inventory)
        row[Feature.logBidOrders.rawValue] = Self.log1pOfCount(bidOrders)
        row[Feature.logAskOrders.rawValue] = Self.log1pOfCount(askOrders)
        row[Feature.lastMoveSign.rawValue] = lastMove
    }
}

/// log1p(n) for n in 0 ..< count, as `T` (Float for the feature rows, Double for the market
/// state), filled once by the same call and conversion as computing it: the same bits.
struct Log1pTable<T: BinaryFloatingPoint>: @unchecked Sendable {
    let table: UnsafeMutablePointer<T>
    let count: Int
    init(count: Int) {
        self.count = count
        table = .allocate(capacity: count)
        for i in 0 ..< count { table[i] = T(log1p(Double(i))) }
    }
}
