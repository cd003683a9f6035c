// The public value types of the risk module: limits, the order intent, decisions and reasons,
// order handles and counters. How they are used is described in RiskEngine.swift.
public import TickwireCore

/// Every limit and guard threshold the engine enforces. Money is in 1/10,000 dollars (the scale
/// of `Price`), shares are shares, times are nanoseconds on the caller's clock.
///
/// A guard is off when its threshold is the type's `.max` (`volatilityBps`, `staleBookNanos`,
/// `maxLoss`) or its flag is false (`killOnCrossedBook`). `maxOpenOrders` and `throttleOrders`
/// also size preallocated storage, so the limits are fixed for the engine's lifetime.
public struct RiskLimits: Sendable, Equatable {
    /// Largest quantity of one order (or of the open quantity a replace asks for).
    public var maxOrderShares: UInt32
    /// Largest price × shares of one order, in 1/10,000 dollars. An overflowing product is a breach.
    public var maxOrderNotional: Int64
    /// Price collar: |price - reference| <= collarBps / 10,000 × reference, on both sides of the
    /// reference, for buys and sells alike.
    public var collarBps: Int64
    /// Accept orders for a symbol with neither a two-sided BBO nor a reference price (the collar
    /// is then skipped); when false they are rejected `noReference`.
    public var allowWithoutReference: Bool
    /// Largest |position| of one symbol, in shares, counting every open order as filled.
    public var maxPositionPerSymbol: Int64
    /// Largest sum over symbols of |position|, in shares, counting every open order as filled.
    public var maxGrossPosition: Int64
    /// Most open orders (checked and not yet closed) at once. Also the size of the order table.
    public var maxOpenOrders: Int
    /// Throttle: at most `throttleOrders` new orders and replaces in any `throttleWindowNanos`
    /// (a sliding window: the order at `now` is refused if the `throttleOrders`-th previous one is
    /// less than `throttleWindowNanos` ago). Also the size of the timestamp ring.
    public var throttleOrders: Int
    public var throttleWindowNanos: UInt64
    /// Kill switch when realized + unrealized PnL < -maxLoss (1/10,000 dollars, >= 0).
    public var maxLoss: Int64
    /// Kill switch when a symbol's mid moves more than `volatilityBps` within
    /// `volatilityWindowNanos` (see RiskEngine.swift for the exact window rule).
    public var volatilityBps: Int64
    public var volatilityWindowNanos: UInt64
    /// Kill switch when a BBO update shows bid > ask (a locked book, bid == ask, is not crossed).
    public var killOnCrossedBook: Bool
    /// Kill switch, evaluated by `tick(now:)`, when a symbol with open orders has had no BBO
    /// update for more than this many nanoseconds.
    public var staleBookNanos: UInt64
    /// The tail-risk guards (market guards per symbol, runaway guards for the book); all off by
    /// default. See TailGuards.swift.
    public var tail = TailGuardLimits()
    /// Self-match prevention: an order that would trade with one of our own resting orders (a
    /// buy at or above an open limit sell of ours in the same stock, a sell at or below an open
    /// limit buy; a market order against any) is refused `selfMatch`. A trade with ourselves is
    /// a wash trade: no position change, two fees, and a print the market reads as volume. On by
    /// default.
    public var selfMatchPrevention = true

    public init(
        maxOrderShares: UInt32,
        maxOrderNotional: Int64,
        collarBps: Int64,
        allowWithoutReference: Bool = false,
        maxPositionPerSymbol: Int64,
        maxGrossPosition: Int64,
        maxOpenOrders: Int,
        throttleOrders: Int,
        throttleWindowNanos: UInt64,
        maxLoss: Int64 = .max,
        volatilityBps: Int64 = .max,
        volatilityWindowNanos: UInt64 = 1_000_000_000,
        killOnCrossedBook: Bool = true,
        staleBookNanos: UInt64 = .max
    ) {
        self.maxOrderShares = maxOrderShares
        self.maxOrderNotional = maxOrderNotional
        self.collarBps = collarBps
        self.allowWithoutReference = allowWithoutReference
        self.maxPositionPerSymbol = maxPositionPerSymbol
        self.maxGrossPosition = maxGrossPosition
        self.maxOpenOrders = maxOpenOrders
        self.throttleOrders = throttleOrders
        self.throttleWindowNanos = throttleWindowNanos
        self.maxLoss = maxLoss
        self.volatilityBps = volatilityBps
        self.volatilityWindowNanos = volatilityWindowNanos
        self.killOnCrossedBook = killOnCrossedBook
        self.staleBookNanos = staleBookNanos
    }
}

/// Limits or sizes `RiskEngine.init` / `PositionBook.init` refuse, with the reason.
public struct RiskConfigurationError: Error, CustomStringConvertible, Equatable, Sendable {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// How an order executes. `limit` and `ioc` are checked at their price; `market` at the far side
/// of the BBO (the ask for a buy, the bid for a sell), and refused without it.
public enum OrderKind: UInt8, Sendable {
    case limit = 0
    case market = 1
    case ioc = 2
}

/// A new order as the strategy wants to send it.
@frozen public struct OrderIntent: Sendable, Equatable {
    public var locate: StockLocate
    public var side: Side
    public var shares: Shares
    /// Limit price; ignored for `.market`.
    public var price: Price
    public var kind: OrderKind

    @inlinable
    public init(locate: StockLocate, side: Side, shares: Shares, price: Price, kind: OrderKind = .limit) {
        self.locate = locate
        self.side = side
        self.shares = shares
        self.price = price
        self.kind = kind
    }
}

/// Why an order (or a replace) was refused. One code per check, in the order they are made.
public enum RiskReject: UInt8, Sendable, CaseIterable {
    /// The kill switch is engaged: nothing new goes out until an operator `reset()`.
    case killSwitch = 0
    /// Locate 0, or at or above the engine's `maxLocates`.
    case unknownSymbol
    /// Zero shares.
    case invalidShares
    /// More shares than `maxOrderShares`.
    case maxOrderShares
    /// A limit or IOC price <= 0.
    case invalidPrice
    /// A market order whose far side of the BBO is unknown.
    case noQuote
    /// No two-sided BBO and no reference price, and `allowWithoutReference` is false.
    case noReference
    /// Outside the price collar around the reference.
    case priceCollar
    /// Price × shares above `maxOrderNotional`, or overflowing Int64.
    case maxOrderNotional
    /// `maxOpenOrders` orders are already open (new orders only; a replace keeps its slot).
    case maxOpenOrders
    /// The symbol's worst-case position would exceed `maxPositionPerSymbol`.
    case maxPosition
    /// The worst-case gross position would exceed `maxGrossPosition`.
    case maxGrossPosition
    /// `throttleOrders` orders already went out in the last `throttleWindowNanos`.
    case throttle
    /// A replace named an order the engine does not hold open (closed, or a stale handle).
    case unknownOrder
    /// The stock's book is unusable (a capacity overflow made it miss an order): no trading in
    /// it until a restart.
    case bookUnusable
    /// The symbol is halted by its liquidity-compression guard (the touch's depth collapsed).
    case liquidityGuard
    /// The symbol is halted by its liquidity-gap guard (the spread blew out).
    case spreadGuard
    /// The symbol is halted by its regime guard (the model says volatile or drought).
    case regimeGuard
    /// The symbol is halted by its activity-burst guard (a volatile spell).
    case activityGuard
    /// A guard reduced the symbol: orders above `tail.reduceFactor` of the size limit are refused.
    case guardReduced
    /// A guard widened the symbol: the order would rest less than `tail.widenSpreads` of its
    /// normal spread behind the touch (or is a market order).
    case guardWidened
    /// The order would trade with an open limit order of ours on the other side of the stock
    /// (`RiskLimits.selfMatchPrevention`).
    case selfMatch
}

/// Why the kill switch was engaged.
public enum KillReason: UInt8, Sendable, CaseIterable {
    case `operator` = 0
    case lossLimit
    case volatility
    case crossedBook
    case staleBook
    case feedGap
    /// The venue sent what cannot be true (an execution beyond an order's open shares or through
    /// its limit, for an order never entered, at an impossible price, ...): see the gateway's
    /// `VenueViolation`. A venue that lies about fills is one we stop trading with.
    case venueViolation
    /// A fill or a mark could not be represented (PositionBook's overflow): positions and PnL
    /// are no longer known.
    case positionOverflow
    /// The journal failed (a write or sync error, or no room for a venue answer's record):
    /// orders would go out without a durable record.
    case journalFailure
    /// Runaway strategy: more orders in a second than `tail.maxOrdersPerSecond`.
    case runawayOrderRate
    /// Runaway strategy: `tail.maxRejectStreak` refusals in a row.
    case rejectStreak
    /// Runaway strategy: more than `tail.maxOrderToFill` orders per fill.
    case orderToFill
    /// The PnL fell more than `tail.maxDrawdown` from its peak within `tail.drawdownWindowNanos`.
    case drawdownSpeed
}

/// The engine's handle of an open order: slot (low 32 bits) and the slot's generation (high 32
/// bits), so a handle kept after its order closed is recognised as stale, never aliased to the
/// slot's next order.
@frozen public struct RiskOrderID: Hashable, Sendable, CustomStringConvertible {
    public var rawValue: UInt64
    @inlinable public init(rawValue: UInt64) { self.rawValue = rawValue }
    @inlinable init(slot: Int32, generation: UInt32) {
        rawValue = UInt64(generation) << 32 | UInt64(UInt32(bitPattern: slot))
    }
    @inlinable var slot: Int { Int(rawValue & 0xFFFF_FFFF) }
    @inlinable var generation: UInt32 { UInt32(truncatingIfNeeded: rawValue >> 32) }
    public var description: String { "\(slot)#\(generation)" }
}

/// The answer to `check` and `onReplace`.
public enum RiskDecision: Sendable, Equatable {
    /// Passed; the exposure is reserved under this handle (see RiskEngine.swift).
    case accepted(RiskOrderID)
    /// Refused; nothing was reserved or changed, except the reject counter.
    case rejected(RiskReject)

    @inlinable public var isAccepted: Bool {
        if case .accepted = self { return true }
        return false
    }
    @inlinable public var orderID: RiskOrderID? {
        if case .accepted(let id) = self { return id }
        return nil
    }
    @inlinable public var reject: RiskReject? {
        if case .rejected(let r) = self { return r }
        return nil
    }
}

/// Where an open order is in its life. Only informational: exposure is the same in every state.
public enum RiskOrderState: UInt8, Sendable {
    /// Passed `check`, not yet reported sent.
    case checked = 1
    /// `onSent`: on the wire.
    case sent = 2
    /// `onAccepted`: acknowledged by the venue.
    case live = 3
}

/// Event counts since the engine was made. Rejects are counted per reason by `rejectCount(_:)`.
public struct RiskCounters: Sendable, Equatable {
    /// Market guards tripped (each trip once until it clears).
    public var guardTrips: UInt64 = 0
    /// New orders that passed `check`.
    public var accepted: UInt64 = 0
    /// Replaces that passed.
    public var replacesAccepted: UInt64 = 0
    /// Replaces that passed but did not happen (`onReplaceRefused`).
    public var replacesRefused: UInt64 = 0
    public var fills: UInt64 = 0
    public var cancels: UInt64 = 0
    public var venueRejects: UInt64 = 0
    /// Lifecycle calls naming a closed or unknown order (ignored).
    public var unknownOrderEvents: UInt64 = 0
    /// Fills for more shares than the order had open (the position takes them all).
    public var overfills: UInt64 = 0
    /// Fills of orders risk did not hold open (the position takes them all the same).
    public var unreservedFills: UInt64 = 0
    /// Times the kill switch went from off to on.
    public var killEngagements: UInt64 = 0
    public init() {}
}
