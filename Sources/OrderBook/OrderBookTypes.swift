// The public value types of the order book: its configuration, what each message did, the
// counters, and the shapes queries answer with. The layout itself is described in OrderBook.swift.
public import TickwireCore

/// Sizes of everything the book preallocates. Nothing grows after `OrderBook.init`: an add that
/// needs more than this is refused and counted (`capacityExceeded`).
public struct OrderBookConfiguration: Sendable, Equatable {
    /// Most live orders at once (a real NASDAQ day peaked at 1.65 million).
    public var maxOrders: Int
    /// Books are kept for stock locates `0 ..< maxLocates` (at most 65,536, every UInt16).
    /// An add for a locate at or above it is refused as `capacityExceeded`.
    public var maxLocates: Int
    /// Initial room of a side's sorted level array (rounded up to a power of two). A side that
    /// outgrows it moves to a twice larger block of the preallocated level arena: a copy, never
    /// a system allocation.
    public var levelsPerSide: Int
    /// Most live price levels at once, all stocks and sides together. A level holds at least one
    /// order, so `maxLevels == maxOrders` can never be the limit that refuses an add.
    public var maxLevels: Int
    /// Slots of the arena that holds every side's sorted level array (12 bytes each).
    public var levelArenaSlots: Int
    /// The live orders the book will hold at its peak, when that is known (a backtest of a
    /// recorded day): the reference table is then made large enough to be at most 1/8 full at
    /// that peak, never less than 2 slots per order of `maxOrders`. A table filled past 1/8 has
    /// the dense runs of recent references meet, and searches and deletions walk the entries
    /// they displaced; a table far larger than its orders costs TLB reach. Measured (bench book
    /// and backtest, deep day of 264,000 live orders, books sized for 524,288): 8 slots per live
    /// order at the peak took 0.27 extra probes per lookup and 0.36 moves per delete, 2 per
    /// order of the capacity (1/4 full) 3.1 and 5.1; the backtest (fixed maker) ran 15% faster
    /// (median of 6 alternations). On the flow day (10,000 live orders) a table 8 x the
    /// capacity was slower: the table follows the peak.
    public var peakOrders: Int?

    /// - Parameters:
    ///   - maxLevels: default `maxOrders`.
    ///   - levelArenaSlots: default `2 * maxLevels + 2 * maxLocates * levelsPerSide`, which
    ///     leaves room for every side's block to be up to twice its level count.
    public init(
        maxOrders: Int,
        maxLocates: Int = 65_536,
        levelsPerSide: Int = 16,
        maxLevels: Int? = nil,
        levelArenaSlots: Int? = nil,
        peakOrders: Int? = nil
    ) {
        self.maxOrders = maxOrders
        self.peakOrders = peakOrders
        self.maxLocates = maxLocates
        self.levelsPerSide = levelsPerSide
        let levels = maxLevels ?? maxOrders
        self.maxLevels = levels
        self.levelArenaSlots = levelArenaSlots ?? (2 * levels + 2 * maxLocates * max(levelsPerSide, 1))
    }
}

/// A configuration `OrderBook.init` refuses (a size out of range), with the reason.
public struct OrderBookConfigurationError: Error, CustomStringConvertible, Equatable, Sendable {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// What one message did to the book.
public enum BookOutcome: UInt8, Sendable {
    /// The message was applied as sent.
    case applied
    /// The order reference is not in the book (a feed joined mid-day, or a gap). Counted, no change.
    case unknownRef
    /// An add (or the new reference of a replace) names an order that is already live. Counted,
    /// ignored: the book is unchanged.
    case duplicateRef
    /// An execute or cancel for more shares than the order has left: the order was removed and
    /// the excess counted.
    case overExecution
    /// A configured capacity (orders, levels, level arena, locate range) would be exceeded: the
    /// add was refused and counted. For a replace the old order is already gone (see `replace`).
    case capacityExceeded
}

/// The result of one message: outcome, the stock and side it touched, and whether that stock's
/// best bid or best offer (price, total shares or order count at the top level) changed.
/// `locate` and `side` are those of the add, or of the order the message named; for
/// `unknownRef` there is none: locate 0, side buy.
public struct BookUpdate: Sendable, Equatable {
    public var outcome: BookOutcome
    /// True when the top level of the touched side now differs in price, shares or order count
    /// from before the message. Only the touched side can change: a message affects one side.
    public var bboChanged: Bool
    public var side: Side
    public var locate: StockLocate

    @inlinable
    public init(outcome: BookOutcome, bboChanged: Bool, side: Side, locate: StockLocate) {
        self.outcome = outcome
        self.bboChanged = bboChanged
        self.side = side
        self.locate = locate
    }
}

/// Message and anomaly counts since the book was made. `adds` ... `replaces` count messages that
/// changed the book (an over-execution counts as an execute or cancel and in `overExecutions`).
public struct OrderBookCounters: Sendable, Equatable {
    public var adds: UInt64 = 0
    public var executes: UInt64 = 0
    public var cancels: UInt64 = 0
    public var deletes: UInt64 = 0
    public var replaces: UInt64 = 0
    public var unknownRefs: UInt64 = 0
    public var duplicateRefs: UInt64 = 0
    public var overExecutions: UInt64 = 0
    public var capacityExceeded: UInt64 = 0
    /// Adds for a locate at or above `maxLocates` (also counted in `capacityExceeded`).
    public var locatesOutOfRange: UInt64 = 0
    /// Stocks whose book a capacity overflow made unusable (see `OrderBook.isUsable`).
    public var unusableBooks: UInt64 = 0
    public init() {}
}

/// One price level: its price, the total shares of its orders, and how many orders it has.
public struct PriceLevel: Sendable, Equatable, CustomStringConvertible {
    public var price: Price
    public var shares: UInt64
    public var orders: Int
    @inlinable
    public init(price: Price, shares: UInt64, orders: Int) {
        self.price = price
        self.shares = shares
        self.orders = orders
    }
    public var description: String { "\(price.rawValue)x\(shares)(\(orders))" }
}

/// A live order as the book holds it.
public struct BookOrder: Sendable, Equatable {
    public var locate: StockLocate
    public var side: Side
    public var price: Price
    public var shares: Shares
    @inlinable
    public init(locate: StockLocate, side: Side, price: Price, shares: Shares) {
        self.locate = locate
        self.side = side
        self.price = price
        self.shares = shares
    }
}

/// Where an order stands in its level's FIFO queue: the shares and orders ahead of it.
public struct QueuePosition: Sendable, Equatable {
    public var sharesAhead: UInt64
    public var ordersAhead: Int
    @inlinable
    public init(sharesAhead: UInt64, ordersAhead: Int) {
        self.sharesAhead = sharesAhead
        self.ordersAhead = ordersAhead
    }
}

/// One decoded book message, for `OrderBook.apply(_:)`. 32 bytes.
public struct BookMessage: Sendable, Equatable {
    public enum Kind: UInt8, Sendable {
        case add, execute, cancel, delete, replace
    }
    public var kind: Kind
    /// Add only.
    public var side: Side
    /// Add only.
    public var locate: StockLocate
    /// Add, execute, cancel, replace.
    public var shares: Shares
    /// The order (for a replace, the old one).
    public var ref: OrderRef
    /// Replace only: the new reference.
    public var newRef: OrderRef
    /// Add and replace.
    public var price: Price

    @inlinable
    public init(kind: Kind, side: Side, locate: StockLocate, shares: Shares, ref: OrderRef, newRef: OrderRef, price: Price) {
        self.kind = kind
        self.side = side
        self.locate = locate
        self.shares = shares
        self.ref = ref
        self.newRef = newRef
        self.price = price
    }

    /// Add Order (A) or Add Order with MPID (F).
    @inlinable
    public static func add(locate: StockLocate, ref: OrderRef, side: Side, shares: Shares, price: Price) -> BookMessage {
        BookMessage(kind: .add, side: side, locate: locate, shares: shares, ref: ref, newRef: OrderRef(rawValue: 0), price: price)
    }

    /// Order Executed (E) or Order Executed with Price (C).
    @inlinable
    public static func execute(ref: OrderRef, shares: Shares) -> BookMessage {
        BookMessage(kind: .execute, side: .buy, locate: StockLocate(rawValue: 0), shares: shares, ref: ref,
                    newRef: OrderRef(rawValue: 0), price: .zero)
    }

    /// Order Cancel (X).
    @inlinable
    public static func cancel(ref: OrderRef, shares: Shares) -> BookMessage {
        BookMessage(kind: .cancel, side: .buy, locate: StockLocate(rawValue: 0), shares: shares, ref: ref,
                    newRef: OrderRef(rawValue: 0), price: .zero)
    }

    /// Order Delete (D).
    @inlinable
    public static func delete(ref: OrderRef) -> BookMessage {
        BookMessage(kind: .delete, side: .buy, locate: StockLocate(rawValue: 0), shares: Shares(rawValue: 0), ref: ref,
                    newRef: OrderRef(rawValue: 0), price: .zero)
    }

    /// Order Replace (U).
    @inlinable
    public static func replace(old: OrderRef, new: OrderRef, shares: Shares, price: Price) -> BookMessage {
        BookMessage(kind: .replace, side: .buy, locate: StockLocate(rawValue: 0), shares: shares, ref: old,
                    newRef: new, price: price)
    }
}
