// The strategy interface: one set of callbacks that runs unchanged live (the appliance's hot
// loop) and in replay (`tickwire replay --strategy`). A strategy sees the top of the book of
// the stocks it trades, trades printed on the feed, and the venue's answers to its own orders;
// it answers with actions (new, cancel, replace) that the caller sends through pre-trade risk.
//
// Time is the feed's own clock (the ITCH timestamp of the message being applied, nanoseconds
// since midnight), never the host's: a strategy fed the same messages decides the same things,
// which is what makes a replay of a capture reproduce the live run's orders.
public import Inference
public import OrderBook
public import OrderEvents
public import TickwireCore

/// The touch of one stock after a book update.
@frozen
public struct BookTop: Sendable, Equatable {
    public var locate: StockLocate
    /// Price 0 and shares 0 when the side is empty.
    public var bid: Price
    public var bidShares: UInt64
    public var ask: Price
    public var askShares: UInt64
    /// Shares of the second level on each side (0 when absent): depth for imbalance signals.
    public var bid2Shares: UInt64
    public var ask2Shares: UInt64
    /// Orders in the touch level of each side.
    public var bidOrders: Int
    public var askOrders: Int
    /// Prices of the second level on each side (0 when absent): where a side's touch goes when
    /// the best level is only our own order (`MarketMaker`, `FixedOffsetMaker`).
    public var bid2: Price
    public var ask2: Price

    @inlinable
    public init(locate: StockLocate, bid: Price, bidShares: UInt64, ask: Price, askShares: UInt64,
                bid2Shares: UInt64 = 0, ask2Shares: UInt64 = 0, bidOrders: Int = 0, askOrders: Int = 0,
                bid2: Price = .zero, ask2: Price = .zero) {
        self.locate = locate
        self.bid = bid
        self.bidShares = bidShares
        self.ask = ask
        self.askShares = askShares
        self.bid2Shares = bid2Shares
        self.ask2Shares = ask2Shares
        self.bidOrders = bidOrders
        self.askOrders = askOrders
        self.bid2 = bid2
        self.ask2 = ask2
    }

    /// This touch without one order of ours resting at `price` on `side` with `shares` left:
    /// the level's shares less ours, or the next level where ours is all of the best one (a
    /// quote priced off the touch must not price off itself; that level's order count is not
    /// known here: 0). `price` 0: nothing of ours.
    /// Always inlined: called out of line, its 96-byte result went back through memory, and the
    /// caller's 16-byte reads of the callee's 8-byte stores could not be forwarded (perf: a
    /// fifth of `MarketMaker.requote`'s own time stalled on two such reads).
    @inlinable @inline(__always)
    public func without(side: Side, price: Price, shares: UInt32) -> BookTop {
        var t = self
        guard price.rawValue != 0 else { return t }
        if side == .buy, bidShares > 0, price == bid {
            if bidShares > UInt64(shares) {
                t.bidShares = bidShares - UInt64(shares)
            } else {
                (t.bid, t.bidShares, t.bidOrders, t.bid2, t.bid2Shares) = (bid2, bid2Shares, 0, .zero, 0)
            }
        } else if side == .sell, askShares > 0, price == ask {
            if askShares > UInt64(shares) {
                t.askShares = askShares - UInt64(shares)
            } else {
                (t.ask, t.askShares, t.askOrders, t.ask2, t.ask2Shares) = (ask2, ask2Shares, 0, .zero, 0)
            }
        }
        return t
    }

    /// Both sides present and not crossed or locked.
    @inlinable public var isTwoSided: Bool { bidShares > 0 && askShares > 0 && bid < ask }

    /// Size-weighted mid in price units, rounded down: (bid * askShares + ask * bidShares) /
    /// (bidShares + askShares). Integer arithmetic; the caller checks `isTwoSided`.
    @inlinable public var microprice: Int64 {
        let bs = Int64(truncatingIfNeeded: min(bidShares, 1 << 30)), asz = Int64(truncatingIfNeeded: min(askShares, 1 << 30))
        let total = bs + asz
        // What holds: ITCH prices are 32-bit and sizes are clamped to 2^30, so each product is
        // below 2^62 and their sum below 2^63. A price outside [0, 2^32) (a feed with 64-bit
        // prices, or a lying one) takes the plain mid rather than trapping on overflow.
        guard bid.rawValue >= 0, ask.rawValue >= 0, bid.rawValue < 1 << 32, ask.rawValue < 1 << 32 else {
            return bid.rawValue / 2 + ask.rawValue / 2
        }
        guard total > 0 else { return (bid.rawValue + ask.rawValue) >> 1 }
        return (bid.rawValue * asz + ask.rawValue * bs) / total
    }

    /// L1 order-book imbalance in [-1, 1]: positive when the bid is heavier.
    @inlinable public var imbalance: Double {
        let b = Double(bidShares), a = Double(askShares)
        return b + a > 0 ? (b - a) / (b + a) : 0
    }

    /// The book's touch of `locate`, with the second level's sizes and the touch's order counts.
    @inlinable
    public init(book: borrowing OrderBook, locate: StockLocate) {  // borrowing: an init takes its arguments owned (a retain per call)
        let (b, a, b2, a2) = book.touch(locate: locate)
        self.init(locate: locate, bid: b?.price ?? .zero, bidShares: b?.shares ?? 0,
                  ask: a?.price ?? .zero, askShares: a?.shares ?? 0,
                  bid2Shares: b2?.shares ?? 0, ask2Shares: a2?.shares ?? 0,
                  bidOrders: b?.orders ?? 0, askOrders: a?.orders ?? 0,
                  bid2: b2?.price ?? .zero, ask2: a2?.price ?? .zero)
    }
}

extension FeatureState {
    /// The one mapping from the book's touch to a stock's features, for every use: the live
    /// strategies on each touch change they hear, the training recorder on each it sees (and the
    /// backtester, through the same strategies). A feature row is the same wherever it is made.
    @inline(__always)
    public mutating func onBook(_ top: BookTop, now: UInt64) {
        onBook(bid: top.bid.rawValue, bidShares: top.bidShares, ask: top.ask.rawValue, askShares: top.askShares,
               bid2Shares: top.bid2Shares, ask2Shares: top.ask2Shares, bidOrders: top.bidOrders, askOrders: top.askOrders, now: now)
    }
}

/// What a strategy asks for. `tag` is the strategy's own handle for a new order: the caller
/// reports the order number the gateway gave it through `Strategy.onSubmitted`.
@frozen
public enum StrategyAction: Sendable, Equatable {
    case new(tag: UInt32, locate: StockLocate, side: Side, shares: UInt32, price: Price, kind: OrderKindRequest)
    case cancel(id: UInt32)
    case replace(id: UInt32, shares: UInt32, price: Price)
}

/// Why an order was placed, or kept where it was: the model decision the TCA groups fills by
/// (`tickwire tca`'s `by_decision`), logged with every order in the decision log.
public enum DecisionReason: UInt8, Sendable, CaseIterable, CustomStringConvertible {
    /// Placed where the strategy's rule puts it, no model moved it.
    case rule = 0
    /// Placed wider than the rule by a model (the adapt model's extra ticks, a toxic fill's
    /// widening).
    case widened = 1
    /// Took liquidity on a model's signal (the taker).
    case take = 2
    /// Kept in place by a model instead of moved (the fill model's hold): a decision without a
    /// message on the wire, logged as action `hold`.
    case held = 3

    public var description: String {
        switch self {
        case .rule: "rule"
        case .widened: "widened"
        case .take: "take"
        case .held: "held"
        }
    }
}

/// The outbox of one callback: a fixed number of actions, no allocation. Actions past the
/// capacity are refused (`add` returns false) and counted by the caller as overflow.
public struct StrategyContext {
    /// The feed's time of the event (ns since midnight, from the ITCH timestamp).
    public var now: UInt64
    @usableFromInline let slots: UnsafeMutablePointer<StrategyAction>
    public let capacity: Int
    @usableFromInline var _count: Int = 0
    @usableFromInline var _overflow: Int = 0
    /// The reasons of the first 16 actions, 4 bits each (later ones read `.rule`).
    @usableFromInline var _reasons: UInt64 = 0
    /// Orders the strategy kept in place in this callback (`noteHeld`): at most 4.
    @usableFromInline var _held: (UInt32, UInt32, UInt32, UInt32) = (0, 0, 0, 0)
    @usableFromInline var _heldCount: Int = 0
    /// TSC after the strategy's models ran in this callback (0: none ran), for the appliance's
    /// "model" stage: set with `markModel()`.
    public var modelTSC: UInt64 = 0
    /// False where no stage is timed (a backtest: its clock is the recorded day's, and a TSC read
    /// costs ~10 ns a call): `markModel()` then reads no TSC.
    public var stampsModel = true
    /// Per locate, how far behind its touch risk's widen guard makes orders rest (raw price, 0:
    /// no requirement; `RiskEngine.wideningTable`), `offsetCount` entries. nil: no such table.
    public var offsets: UnsafePointer<Int64>?
    public var offsetCount = 0
    /// How far behind the touch an order in `locate` must rest to pass risk's widen guard (0:
    /// anywhere passive): a quoting strategy widens by it.
    @inlinable public func requiredOffset(_ locate: StockLocate) -> Int64 {
        let l = Int(locate.rawValue)
        guard let offsets, l < offsetCount else { return 0 }
        return offsets[l]
    }
    /// The engine's book (the feed's orders, ours among them), for a strategy that tells its own
    /// orders from the market's by the venue's references. nil: none (a unit test's context).
    public var book: Unmanaged<OrderBook>?
    @inlinable public var hasBook: Bool { book != nil }
    /// The book's order under `ref`, nil when it holds none (or there is no book).
    @inlinable public func bookOrder(_ ref: OrderRef) -> BookOrder? {
        guard let book, ref.rawValue != 0 else { return nil }
        return book._withUnsafeGuaranteedRef { $0.order(ref) }
    }
    /// `bookOrder(_:)` with the order's slot in the book from the last call (`OrderBook.order(_:hint:)`):
    /// for a strategy's own orders, asked about on every touch.
    @inlinable public func bookOrder(_ ref: OrderRef, hint: inout Int32) -> BookOrder? {
        guard let book, ref.rawValue != 0 else { return nil }
        return book._withUnsafeGuaranteedRef { $0.order(ref, hint: &hint) }
    }
    /// Actions in the outbox.
    @inlinable public var count: Int { _count }
    /// Actions refused because the outbox was full.
    @inlinable public var overflow: Int { _overflow }

    /// `slots` must hold `capacity` actions and outlive the context (the appliance allocates
    /// one outbox at start and reuses it for every callback).
    public init(slots: UnsafeMutablePointer<StrategyAction>, capacity: Int, now: UInt64 = 0) {
        self.slots = slots
        self.capacity = capacity
        self.now = now
    }

    @inlinable
    @discardableResult
    public mutating func add(_ a: StrategyAction, reason: DecisionReason = .rule) -> Bool {
        guard _count < capacity else { _overflow &+= 1; return false }
        (slots + _count).initialize(to: a)
        if reason != .rule, _count < 16 { _reasons |= UInt64(reason.rawValue) << UInt64(4 * _count) }
        _count &+= 1
        return true
    }

    @inlinable public subscript(i: Int) -> StrategyAction { slots[i] }

    /// Why action `i` was added.
    @inlinable public func reason(at i: Int) -> DecisionReason {
        guard i >= 0, i < 16 else { return .rule }
        return DecisionReason(rawValue: UInt8(truncatingIfNeeded: (_reasons >> UInt64(4 * i)) & 0xF)) ?? .rule
    }

    /// The strategy kept its live order `id` where it is on a model's word (a `held` decision,
    /// logged without a wire message). Past 4 in one callback they are not logged.
    @inlinable public mutating func noteHeld(id: UInt32) {
        switch _heldCount {
        case 0: _held.0 = id
        case 1: _held.1 = id
        case 2: _held.2 = id
        case 3: _held.3 = id
        default: return
        }
        _heldCount &+= 1
    }

    /// Orders kept in place in this callback.
    @inlinable public var heldCount: Int { _heldCount }
    @inlinable public func held(at i: Int) -> UInt32 {
        switch i {
        case 0: _held.0
        case 1: _held.1
        case 2: _held.2
        default: _held.3
        }
    }

    /// Empties the outbox for the next callback.
    @inlinable public mutating func reset(now: UInt64) {
        _count = 0
        _overflow = 0
        _reasons = 0
        _heldCount = 0
        modelTSC = 0
        self.now = now
    }

    /// Stamps the end of the models' work in this callback (one `rdtsc`).
    @inlinable public mutating func markModel() { if stampsModel { modelTSC = TSCClock.now() } }
}

/// A trading strategy. Conformers are final classes used as generic parameters (no existential
/// on the hot path; the engine holds them unretained, so a callback costs no ARC traffic);
/// every callback may add actions to `ctx`.
public protocol Strategy: AnyObject {
    /// True for the stocks the strategy trades: the caller builds `BookTop` and calls `onBook`
    /// only for those, and only when their touch changed.
    func trades(_ locate: StockLocate) -> Bool
    /// The touch of a traded stock changed.
    func onBook(_ top: BookTop, _ ctx: inout StrategyContext)
    /// A trade printed on the feed: an execution of a displayed order (told before the touch it
    /// changed) or a hidden one (ITCH P). `aggressor`: the side that took liquidity, the
    /// opposite of the resting order's.
    func onTrade(locate: StockLocate, price: Price, shares: UInt32, aggressor: Side, _ ctx: inout StrategyContext)
    /// The gateway's answer to a `new` action: the order number it was sent under, or why not.
    func onSubmitted(tag: UInt32, result: SubmitResult, _ ctx: inout StrategyContext)
    /// The gateway's answer to a `replace` action: the replacement's order number, or nil when
    /// nothing was sent (the order is not open, or the session is down).
    func onReplaceSent(id: UInt32, newID: UInt32?, _ ctx: inout StrategyContext)
    /// The gateway's answer to a `cancel` action.
    func onCancelSent(id: UInt32, sent: Bool, _ ctx: inout StrategyContext)
    /// The venue's answer to one of our orders (accepted, executed, canceled, replaced, rejected).
    func onOrder(_ event: GatewayEvent, _ ctx: inout StrategyContext)
    /// What the strategy's models did, for the run's report (cold path; empty without models).
    func modelSummary() -> [String: String]
    /// True while the strategy's regime model says the market is in a regime to stand aside in
    /// (volatile or drought): risk's regime guard follows it (`RiskLimits.tail.regimeAction`).
    var regimeIsAdverse: Bool { get }
    /// True when the strategy keeps a market-wide state (the regime model's input): the caller
    /// then tells it every touch change and every trade of every stock, traded or not, as the
    /// training recorder sees them (for a traded stock after `onBook` or `onTrade` returned and
    /// its orders went out, so that the decision does not wait for it). False: neither is called.
    var followsMarket: Bool { get }
    /// The regime the strategy's regime model holds now, for the decision log and the TCA's
    /// `by_regime` (nil: the strategy has no regime model).
    var currentRegime: MarketRegime? { get }
    /// The touch of any stock changed (bid/ask 0 and shares 0 on an empty side).
    func onMarketTouch(locate: StockLocate, bid: Int64, bidShares: UInt64, ask: Int64, askShares: UInt64, now: UInt64)
    /// A trade of any stock printed (an execution of a displayed order, or a hidden one).
    func onMarketTrade(locate: StockLocate, now: UInt64)
}

extension Strategy {
    public func modelSummary() -> [String: String] { [:] }
    public var regimeIsAdverse: Bool { false }
    public var currentRegime: MarketRegime? { nil }
    public var followsMarket: Bool { false }
    public func onMarketTouch(locate: StockLocate, bid: Int64, bidShares: UInt64, ask: Int64, askShares: UInt64, now: UInt64) {}
    public func onMarketTrade(locate: StockLocate, now: UInt64) {}
    public func onReplaceSent(id: UInt32, newID: UInt32?, _ ctx: inout StrategyContext) {}
    public func onCancelSent(id: UInt32, sent: Bool, _ ctx: inout StrategyContext) {}
}

/// The strategies the command line knows by name.
public enum StrategyKind: String, Sendable, CaseIterable {
    case marketMaker = "mm"
    case taker = "taker"
}
