// IEXDeepBook.swift: a price-level book per symbol, built from DEEP 1.0 Price Level Updates.
//
// DEEP publishes, per symbol and side, the new aggregate displayed size at a price (0 removes the
// level). One matching-engine event can produce several updates; only the last carries the
// "event processing complete" flag, and in between the book may look locked or crossed. This
// book applies every update immediately and tracks, per symbol, whether an event is open:
// `isInEvent(_:)` says whether the symbol's book is consistent right now, and the crossed/locked
// checks are counted only when an event completes.
//
// Storage: a symbol table (dictionary, sized up front) into a contiguous array of per-symbol
// books. Each side is two parallel sorted arrays (keys, sizes) with the best level at the END, so
// the common updates near the top shift few elements. Bid keys are prices; ask keys are the
// bitwise complement of prices (order-reversing, and unlike negation it cannot overflow), so both
// sides sort ascending with the best last. Level arrays get `levelsPerSide` capacity when a
// symbol first appears and keep it across `clear()`.
//
// Nothing traps: any price, size and symbol is accepted. To bound memory under hostile input, a
// side holds at most `maxLevelsPerSide` levels (a new level beyond that evicts the worst one) and
// the book at most `maxSymbols` symbols (updates for further symbols are ignored); both counted.

public import TickwireCore

/// One price level: price and aggregate displayed size.
@frozen
public struct IEXBookLevel: Hashable, Sendable, CustomStringConvertible {
    public var price: Price
    public var size: Shares

    @inlinable
    public init(price: Price, size: Shares) {
        self.price = price
        self.size = size
    }

    public var description: String { "\(size)@\(price)" }
}

/// Best bid and offer of one symbol.
@frozen
public struct IEXBBO: Hashable, Sendable {
    public var bid: IEXBookLevel?
    public var ask: IEXBookLevel?
    /// True while an atomic event is open for the symbol (the book may be transiently crossed).
    public var inEvent: Bool

    @inlinable
    public init(bid: IEXBookLevel?, ask: IEXBookLevel?, inEvent: Bool) {
        self.bid = bid
        self.ask = ask
        self.inEvent = inEvent
    }

    /// Best bid above best ask.
    @inlinable public var isCrossed: Bool {
        guard let b = bid, let a = ask else { return false }
        return b.price > a.price
    }

    /// Best bid equal to best ask.
    @inlinable public var isLocked: Bool {
        guard let b = bid, let a = ask else { return false }
        return b.price == a.price
    }
}

/// Counters of what the book has been fed.
@frozen
public struct IEXDeepBookCounters: Hashable, Sendable {
    public var updates: UInt64 = 0
    public var levelsAdded: UInt64 = 0
    public var levelsChanged: UInt64 = 0
    public var levelsRemoved: UInt64 = 0
    /// Size-0 updates for a level the book does not hold (joined late, or lost messages).
    public var removalsOfUnknownLevels: UInt64 = 0
    /// Updates carrying the event-complete flag.
    public var eventsCompleted: UInt64 = 0
    /// Events that completed with the symbol's best bid above its best ask.
    public var crossedAtEventEnd: UInt64 = 0
    /// Events that completed with best bid equal to best ask.
    public var lockedAtEventEnd: UInt64 = 0
    /// Levels evicted because a side reached `maxLevelsPerSide`.
    public var levelsEvicted: UInt64 = 0
    /// Updates ignored because the book already held `maxSymbols` symbols.
    public var updatesForRejectedSymbols: UInt64 = 0

    @inlinable public init() {}
}

public struct IEXDeepBook: Sendable {
    @usableFromInline
    struct BookSide: Sendable {
        /// Ascending; the best level is last.
        @usableFromInline var keys: ContiguousArray<Int64>
        @usableFromInline var sizes: ContiguousArray<UInt32>

        @usableFromInline
        init(capacity: Int) {
            keys = []
            sizes = []
            keys.reserveCapacity(capacity)
            sizes.reserveCapacity(capacity)
        }

        /// First index whose key is >= `key`.
        @usableFromInline
        func lowerBound(_ key: Int64) -> Int {
            var lo = 0
            var hi = keys.count
            // Most updates land near the top (the end): check there before bisecting.
            if hi > 0 && keys[hi - 1] < key { return hi }
            while lo < hi {
                let mid = lo &+ (hi &- lo) / 2
                if keys[mid] < key { lo = mid &+ 1 } else { hi = mid }
            }
            return lo
        }

        /// Sets the size at `key` (0 removes); at most `maxLevels` levels are kept.
        @usableFromInline
        mutating func set(key: Int64, size: UInt32, maxLevels: Int) -> LevelChange {
            let at = lowerBound(key)
            let found = at < keys.count && keys[at] == key
            if size == 0 {
                guard found else { return .removedUnknown }
                keys.remove(at: at)
                sizes.remove(at: at)
                return .removed
            }
            if found {
                sizes[at] = size
                return .changed
            }
            var position = at
            var evicted = false
            if keys.count >= maxLevels {
                // Evict the worst level (index 0), unless the new level would itself be the worst.
                if position == 0 { return .rejected }
                keys.remove(at: 0)
                sizes.remove(at: 0)
                position -= 1
                evicted = true
            }
            keys.insert(key, at: position)
            sizes.insert(size, at: position)
            return evicted ? .addedWithEviction : .added
        }

        @usableFromInline
        mutating func removeAll() {
            keys.removeAll(keepingCapacity: true)
            sizes.removeAll(keepingCapacity: true)
        }
    }

    @usableFromInline
    enum LevelChange {
        case added, addedWithEviction, changed, removed, removedUnknown, rejected
    }

    @usableFromInline
    struct SymbolBook: Sendable {
        @usableFromInline var bids: BookSide
        @usableFromInline var asks: BookSide
        @usableFromInline var inEvent = false
        @usableFromInline var lastTimestamp: Int64 = 0

        @usableFromInline
        init(capacity: Int) {
            bids = BookSide(capacity: capacity)
            asks = BookSide(capacity: capacity)
        }
    }

    @usableFromInline var index: [IEXSymbol: Int]
    @usableFromInline var books: ContiguousArray<SymbolBook>
    @usableFromInline var symbolList: ContiguousArray<IEXSymbol>
    public let levelsPerSide: Int
    public let maxLevelsPerSide: Int
    public let maxSymbols: Int
    public private(set) var counters = IEXDeepBookCounters()

    /// - Parameters:
    ///   - symbolCapacity: symbols to size the tables for (they grow past it).
    ///   - levelsPerSide: levels each side of a new symbol gets room for (grows past it).
    ///   - maxLevelsPerSide: hard bound per side; the worst level is evicted beyond it.
    ///   - maxSymbols: hard bound on symbols; updates for further symbols are ignored.
    public init(symbolCapacity: Int = 1024, levelsPerSide: Int = 64,
                maxLevelsPerSide: Int = 16_384, maxSymbols: Int = 65_536) {
        self.levelsPerSide = Swift.max(levelsPerSide, 1)
        self.maxLevelsPerSide = Swift.max(maxLevelsPerSide, 1)
        self.maxSymbols = Swift.max(maxSymbols, 1)
        index = [:]
        index.reserveCapacity(Swift.max(symbolCapacity, 1))
        books = []
        books.reserveCapacity(Swift.max(symbolCapacity, 1))
        symbolList = []
        symbolList.reserveCapacity(Swift.max(symbolCapacity, 1))
    }

    @inlinable @inline(__always)
    static func key(_ price: Int64, _ side: Side) -> Int64 { side == .buy ? price : ~price }

    // MARK: Updates

    /// Applies a Price Level Update (buy side for type 8, sell side for type 5).
    @inlinable
    public mutating func apply(_ update: IEXPriceLevelUpdate) {
        apply(symbol: update.symbol, side: update.side, price: update.price, size: update.size,
              eventComplete: update.isEventComplete, timestamp: update.timestamp)
    }

    /// Sets the size at `price` on `side` of `symbol` (0 removes the level). `eventComplete`
    /// closes the symbol's open event; otherwise the update opens or continues one.
    public mutating func apply(symbol: IEXSymbol, side: Side, price: Price, size: Shares,
                               eventComplete: Bool, timestamp: Int64 = 0) {
        counters.updates &+= 1
        let i: Int
        if let known = index[symbol] {
            i = known
        } else {
            guard books.count < maxSymbols else {
                counters.updatesForRejectedSymbols &+= 1
                return
            }
            i = books.count
            index[symbol] = i
            books.append(SymbolBook(capacity: levelsPerSide))
            symbolList.append(symbol)
        }
        let key = IEXDeepBook.key(price.rawValue, side)
        let change = side == .buy
            ? books[i].bids.set(key: key, size: size.rawValue, maxLevels: maxLevelsPerSide)
            : books[i].asks.set(key: key, size: size.rawValue, maxLevels: maxLevelsPerSide)
        switch change {
        case .added: counters.levelsAdded &+= 1
        case .addedWithEviction:
            counters.levelsAdded &+= 1
            counters.levelsEvicted &+= 1
        case .changed: counters.levelsChanged &+= 1
        case .removed: counters.levelsRemoved &+= 1
        case .removedUnknown: counters.removalsOfUnknownLevels &+= 1
        case .rejected: counters.levelsEvicted &+= 1
        }
        books[i].lastTimestamp = timestamp
        if eventComplete {
            books[i].inEvent = false
            counters.eventsCompleted &+= 1
            if let bid = books[i].bids.keys.last, let askKey = books[i].asks.keys.last {
                let ask = ~askKey
                if bid > ask {
                    counters.crossedAtEventEnd &+= 1
                } else if bid == ask {
                    counters.lockedAtEventEnd &+= 1
                }
            }
        } else {
            books[i].inEvent = true
        }
    }

    /// Empties every symbol's book (as at a session restart); storage and symbols are kept.
    public mutating func clear() {
        for i in books.indices {
            books[i].bids.removeAll()
            books[i].asks.removeAll()
            books[i].inEvent = false
        }
    }

    /// Empties one symbol's book.
    public mutating func clear(symbol: IEXSymbol) {
        guard let i = index[symbol] else { return }
        books[i].bids.removeAll()
        books[i].asks.removeAll()
        books[i].inEvent = false
    }

    /// Zeroes the counters (the books are kept).
    public mutating func resetCounters() { counters = IEXDeepBookCounters() }

    // MARK: Queries

    /// Symbols that have had at least one update, in first-seen order.
    public var symbols: [IEXSymbol] { Array(symbolList) }
    /// Symbols that have had at least one update.
    public var symbolCount: Int { books.count }
    /// Symbols with at least one level on either side now.
    public var nonEmptySymbolCount: Int {
        books.reduce(0) { $0 + ($1.bids.keys.isEmpty && $1.asks.keys.isEmpty ? 0 : 1) }
    }

    @inlinable
    public func bestBid(_ symbol: IEXSymbol) -> IEXBookLevel? {
        guard let i = index[symbol], let k = books[i].bids.keys.last,
              let s = books[i].bids.sizes.last else { return nil }
        return IEXBookLevel(price: Price(rawValue: k), size: Shares(rawValue: s))
    }

    @inlinable
    public func bestAsk(_ symbol: IEXSymbol) -> IEXBookLevel? {
        guard let i = index[symbol], let k = books[i].asks.keys.last,
              let s = books[i].asks.sizes.last else { return nil }
        return IEXBookLevel(price: Price(rawValue: ~k), size: Shares(rawValue: s))
    }

    @inlinable
    public func bbo(_ symbol: IEXSymbol) -> IEXBBO {
        IEXBBO(bid: bestBid(symbol), ask: bestAsk(symbol), inEvent: isInEvent(symbol))
    }

    /// True while an event is open for `symbol` (an update without the complete flag was the
    /// last one applied).
    @inlinable
    public func isInEvent(_ symbol: IEXSymbol) -> Bool {
        guard let i = index[symbol] else { return false }
        return books[i].inEvent
    }

    /// Number of levels on one side.
    public func depth(_ symbol: IEXSymbol, side: Side) -> Int {
        guard let i = index[symbol] else { return 0 }
        return side == .buy ? books[i].bids.keys.count : books[i].asks.keys.count
    }

    /// The size at `price` on `side`, 0 when there is no such level.
    public func size(_ symbol: IEXSymbol, side: Side, price: Price) -> Shares {
        guard let i = index[symbol] else { return Shares(rawValue: 0) }
        let s = side == .buy ? books[i].bids : books[i].asks
        let key = IEXDeepBook.key(price.rawValue, side)
        let at = s.lowerBound(key)
        guard at < s.keys.count, s.keys[at] == key else { return Shares(rawValue: 0) }
        return Shares(rawValue: s.sizes[at])
    }

    /// Up to `limit` levels of one side, best first (allocates: for tools and tests).
    public func levels(_ symbol: IEXSymbol, side: Side, limit: Int = .max) -> [IEXBookLevel] {
        guard let i = index[symbol] else { return [] }
        let s = side == .buy ? books[i].bids : books[i].asks
        var out: [IEXBookLevel] = []
        var j = s.keys.count - 1
        while j >= 0 && out.count < limit {
            let p = side == .buy ? s.keys[j] : ~s.keys[j]
            out.append(IEXBookLevel(price: Price(rawValue: p), size: Shares(rawValue: s.sizes[j])))
            j -= 1
        }
        return out
    }

    /// Timestamp of the last update applied to `symbol` (0 if none).
    public func lastUpdateTime(_ symbol: IEXSymbol) -> Int64 {
        guard let i = index[symbol] else { return 0 }
        return books[i].lastTimestamp
    }
}
