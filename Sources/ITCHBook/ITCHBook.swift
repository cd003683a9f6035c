// ITCH 5.0 into the L3 order book, once for every use: `ITCHBookFeed` is the handler that the
// feed (MoldUDP64 session, live or replayed, or a BinaryFILE walk) hands each message to. It
// keeps the stock directory (locate -> symbol, from R), applies A/F/E/C/X/D/U to the book,
// counts every message by type, and tells its `BookFeedSink` around each change: the live
// engine, the replay, the training recorder and the backtester are sinks, not copies.
//
// Its own module, on the book's side of the data flow: MarketData decodes the feed and knows
// nothing of books; this is where ITCH meets the book.
public import MarketData
public import OrderBook
public import TickwireCore

/// Stock locate -> symbol, from the Stock Directory messages; preallocated for every UInt16.
public final class SymbolDirectory: @unchecked Sendable {
    private let symbols: UnsafeMutablePointer<Symbol>
    public private(set) var count = 0

    public init() {
        symbols = .allocate(capacity: 65_536)
        symbols.initialize(repeating: Symbol(rawValue: 0), count: 65_536)
    }

    deinit { symbols.deallocate() }

    @inline(__always)
    public func set(_ locate: StockLocate, _ symbol: Symbol) {
        if symbols[Int(locate.rawValue)].rawValue == 0 { count += 1 }
        symbols[Int(locate.rawValue)] = symbol
    }

    /// Records `symbol` for a locate the directory has not named yet (Add Orders carry the
    /// symbol too, so a feed joined after the directory still gets names).
    @inline(__always)
    public func learn(_ locate: StockLocate, _ symbol: Symbol) {
        if symbols[Int(locate.rawValue)].rawValue == 0 { set(locate, symbol) }
    }

    /// The symbol, or nil when no directory message named this locate.
    public subscript(_ locate: StockLocate) -> Symbol? {
        let s = symbols[Int(locate.rawValue)]
        return s.rawValue == 0 ? nil : s
    }

    /// The name the book dump prints: the symbol, or "?" when the directory never named it.
    public func name(_ locate: StockLocate) -> String { self[locate]?.description ?? "?" }
}

/// What the one path from ITCH to the book tells whoever consumes it, around each change of the
/// book: the live engine (its strategy, risk and stage stamps), the replay and book benchmark
/// (counts), the training recorder (features and labels), the backtester. The book itself is
/// changed only by `ITCHBookFeed`, in one place, so that every use sees the same book after every
/// message. Every method has a default that does nothing; a sink is a struct, specialized into
/// the feed (no existential, no allocation).
public protocol BookFeedSink {
    /// True when the sink wants the order a cancel, delete or replace removes (`willRemove`
    /// gets it): one lookup of the order before the book's own. False skips that lookup.
    static var wantsRemovedOrders: Bool { get }
    /// Each message of the stream, before it is dispatched (MoldUDP64 sequence, or file index).
    mutating func message(sequence: UInt64)
    /// What dispatch made of it (delivered, unknown type, wrong length).
    mutating func dispatched(_ result: ITCH.DispatchResult)
    mutating func systemEvent(_ m: ITCH.SystemEvent)
    /// A message that changes the book was decoded; nothing of the book has been read yet (the
    /// live engine's decode stamp).
    mutating func decoded()
    /// An order is about to be added (the directory has learnt its symbol): the message's stock,
    /// reference, side, shares and price.
    mutating func willAdd(locate: StockLocate, ref: OrderRef, side: Side, shares: Shares, price: Price, time: VenueTime)
    /// A displayed order is about to be executed: `order` as it rests before the execution
    /// (nil: the reference is not in the book). Trades are told before the touch they change.
    mutating func willExecute(_ order: BookOrder?, ref: OrderRef, shares: Shares, time: VenueTime)
    /// Shares are about to leave the book by a cancel (`removed` of them), a delete or a replace
    /// (all of them; `replacement` is the new reference). `order` is the resting order when
    /// `wantsRemovedOrders`, else nil.
    mutating func willRemove(_ order: BookOrder?, ref: OrderRef, removed: UInt32, replacement: OrderRef?, time: VenueTime)
    /// The book applied the message (every add, execute, cancel, delete, replace).
    mutating func applied(_ update: BookUpdate, time: VenueTime)
    /// A non-displayed execution (P); it never touches the book.
    mutating func hiddenTrade(_ m: ITCH.Trade)
    mutating func crossTrade(_ m: ITCH.CrossTrade)
}

extension BookFeedSink {
    @inlinable public static var wantsRemovedOrders: Bool { false }
    @inlinable public mutating func message(sequence: UInt64) {}
    @inlinable public mutating func dispatched(_ result: ITCH.DispatchResult) {}
    @inlinable public mutating func systemEvent(_ m: ITCH.SystemEvent) {}
    @inlinable public mutating func decoded() {}
    @inlinable public mutating func willAdd(locate: StockLocate, ref: OrderRef, side: Side, shares: Shares, price: Price, time: VenueTime) {}
    @inlinable public mutating func willExecute(_ order: BookOrder?, ref: OrderRef, shares: Shares, time: VenueTime) {}
    @inlinable public mutating func willRemove(_ order: BookOrder?, ref: OrderRef, removed: UInt32, replacement: OrderRef?, time: VenueTime) {}
    @inlinable public mutating func applied(_ update: BookUpdate, time: VenueTime) {}
    @inlinable public mutating func hiddenTrade(_ m: ITCH.Trade) {}
    @inlinable public mutating func crossTrade(_ m: ITCH.CrossTrade) {}
}

/// The one adapter from ITCH 5.0 to the L3 book (`BookFeedSink` says who uses it). It keeps
/// the stock directory, applies A/F/E/C/X/D/U, counts every message by type, and tells its
/// sink around each change. A MoldUDP64 consumer (live and capture replay) and a handler for a
/// BinaryFILE walk alike.
public struct ITCHBookFeed<Sink: BookFeedSink>: ITCHHandler, MoldUDP64Consumer {
    /// Kept alive here; the hot calls go through the unretained copies below (loading a class
    /// reference from a stored property and calling it cost a retain and a release per use).
    public let book: OrderBook
    public let directory: SymbolDirectory
    @usableFromInline let uBook: Unmanaged<OrderBook>
    @usableFromInline let uDirectory: Unmanaged<SymbolDirectory>
    public var sink: Sink
    public var counters = ITCHCounters()
    /// The last message's sequence number (MoldUDP64) or index (file), for tracing.
    public private(set) var lastSequence: UInt64 = 0

    public init(book: OrderBook, directory: SymbolDirectory = SymbolDirectory(), sink: Sink) {
        self.book = book
        self.directory = directory
        uBook = .passUnretained(book)
        uDirectory = .passUnretained(directory)
        self.sink = sink
    }

    @inline(__always)
    public mutating func onMessage(_ message: UnsafeRawBufferPointer, sequence: UInt64) {
        lastSequence = sequence
        sink.message(sequence: sequence)
        let r = ITCH.dispatch(message, to: &self)
        counters.record(r)
        sink.dispatched(r)
    }

    @inline(__always)
    func withBook<R>(_ body: (OrderBook) -> R) -> R { uBook._withUnsafeGuaranteedRef(body) }

    public mutating func onSystemEvent(_ m: ITCH.SystemEvent) { sink.systemEvent(m) }

    public mutating func onStockDirectory(_ m: ITCH.StockDirectory) {
        uDirectory._withUnsafeGuaranteedRef { $0.set(m.stockLocate, m.stock) }
    }

    @inline(__always)
    mutating func add(_ locate: StockLocate, _ ref: OrderRef, _ side: Side?, _ shares: Shares, _ price: Price, _ stock: Symbol,
                      _ time: VenueTime) {
        guard let side else { return }
        sink.decoded()
        uDirectory._withUnsafeGuaranteedRef { $0.learn(locate, stock) }
        sink.willAdd(locate: locate, ref: ref, side: side, shares: shares, price: price, time: time)
        sink.applied(withBook { $0.add(locate: locate, ref: ref, side: side, shares: shares, price: price) }, time: time)
    }

    @inline(__always)
    public mutating func onAddOrder(_ m: ITCH.AddOrder) {
        add(m.stockLocate, m.orderRef, m.side, m.shares, m.price, m.stock, m.timestamp)
    }

    @inline(__always)
    public mutating func onAddOrderMPID(_ m: ITCH.AddOrderMPID) {
        add(m.stockLocate, m.orderRef, m.side, m.shares, m.price, m.stock, m.timestamp)
    }

    @inline(__always)
    mutating func execute(_ ref: OrderRef, _ shares: Shares, _ time: VenueTime) {
        sink.decoded()
        sink.willExecute(withBook { $0.order(ref) }, ref: ref, shares: shares, time: time)
        sink.applied(withBook { $0.execute(ref: ref, shares: shares) }, time: time)
    }

    @inline(__always)
    public mutating func onOrderExecuted(_ m: ITCH.OrderExecuted) { execute(m.orderRef, m.executedShares, m.timestamp) }

    @inline(__always)
    public mutating func onOrderExecutedWithPrice(_ m: ITCH.OrderExecutedWithPrice) { execute(m.orderRef, m.executedShares, m.timestamp) }

    @inline(__always)
    public mutating func onOrderCancel(_ m: ITCH.OrderCancel) {
        let ref = m.orderRef
        sink.decoded()
        let o = Sink.wantsRemovedOrders ? withBook({ $0.order(ref) }) : nil
        sink.willRemove(o, ref: ref, removed: min(m.cancelledShares.rawValue, o?.shares.rawValue ?? m.cancelledShares.rawValue),
                        replacement: nil, time: m.timestamp)
        sink.applied(withBook { $0.cancel(ref: ref, shares: m.cancelledShares) }, time: m.timestamp)
    }

    @inline(__always)
    public mutating func onOrderDelete(_ m: ITCH.OrderDelete) {
        let ref = m.orderRef
        sink.decoded()
        let o = Sink.wantsRemovedOrders ? withBook({ $0.order(ref) }) : nil
        sink.willRemove(o, ref: ref, removed: o?.shares.rawValue ?? 0, replacement: nil, time: m.timestamp)
        sink.applied(withBook { $0.delete(ref: ref) }, time: m.timestamp)
    }

    @inline(__always)
    public mutating func onOrderReplace(_ m: ITCH.OrderReplace) {
        let old = m.originalOrderRef
        sink.decoded()
        let o = Sink.wantsRemovedOrders ? withBook({ $0.order(old) }) : nil
        sink.willRemove(o, ref: old, removed: o?.shares.rawValue ?? 0, replacement: m.newOrderRef, time: m.timestamp)
        sink.applied(withBook { $0.replace(old: old, new: m.newOrderRef, shares: m.shares, price: m.price) }, time: m.timestamp)
    }

    public mutating func onTrade(_ m: ITCH.Trade) { sink.hiddenTrade(m) }
    public mutating func onCrossTrade(_ m: ITCH.CrossTrade) { sink.crossTrade(m) }

    /// The book in the dump format of the design card, symbols from the directory.
    public func dump(write: (String) -> Void) {
        book.dump(symbols: { directory.name($0) }, write: write)
    }
}

/// The replay's and the book benchmark's sink: counts of what the book did.
public struct BookStatistics: BookFeedSink {
    public var trades: UInt64 = 0
    public var crossTrades: UInt64 = 0
    public var bboChanges: UInt64 = 0
    public init() {}
    @inline(__always) public mutating func applied(_ update: BookUpdate, time: VenueTime) { if update.bboChanged { bboChanges &+= 1 } }
    @inline(__always) public mutating func hiddenTrade(_ m: ITCH.Trade) { trades &+= 1 }
    @inline(__always) public mutating func crossTrade(_ m: ITCH.CrossTrade) { crossTrades &+= 1 }
}

/// ITCH into the book with nothing downstream but counts: `tickwire replay`, `bench book`.
public typealias ITCHBookBuilder = ITCHBookFeed<BookStatistics>

extension ITCHBookFeed where Sink == BookStatistics {
    public init(book: OrderBook, directory: SymbolDirectory = SymbolDirectory()) {
        self.init(book: book, directory: directory, sink: BookStatistics())
    }
    public var trades: UInt64 { sink.trades }
    public var crossTrades: UInt64 { sink.crossTrades }
    public var bboChanges: UInt64 { sink.bboChanges }
}

// MARK: - Software-pipelined apply

extension ITCHBookFeed {
    /// Distances, in messages, at which the three prefetch stages run ahead of the message being
    /// applied (stage 1 farthest). A ring of `pipelineRing` message views holds the window.
    static var pipelineRing: Int { 16 }
    static var stageDistance: (reference: Int, order: Int, queue: Int) { (12, 6, 3) }

    /// Issues prefetch stage `stage` (1, 2 or 3) for one message; types that do not touch an
    /// order, and short messages, are ignored.
    @inline(__always)
    public static func prefetch(_ book: OrderBook, _ m: UnsafeRawBufferPointer, stage: Int) {
        // 19 bytes hold the ref (at 11): a delete (D) is no longer. (At >= 20, as this was,
        // no delete was ever prefetched, and the pipeline ran slower than no pipeline at all
        // on a deep day: 11.1-11.6 M msgs/s against 13.2-13.3 M; now 13.8-14.0 M.)
        guard m.count >= 19 else { return }
        let type = m[0]
        let ref = OrderRef(rawValue: m.loadUnaligned(fromByteOffset: 11, as: UInt64.self).bigEndian)
        switch type {
        case UInt8(ascii: "A"), UInt8(ascii: "F"):
            if stage == 1 {
                book.prefetchReference(ref)
            } else if stage == 3, m.count >= 20 {
                let locate = StockLocate(rawValue: m.loadUnaligned(fromByteOffset: 1, as: UInt16.self).bigEndian)
                book.prefetchSide(locate: locate, side: m[19] == UInt8(ascii: "S") ? .sell : .buy)
            }
        case UInt8(ascii: "E"), UInt8(ascii: "C"), UInt8(ascii: "X"), UInt8(ascii: "D"), UInt8(ascii: "U"):
            switch stage {
            case 1:
                book.prefetchReference(ref)
                if type == UInt8(ascii: "U"), m.count >= 27 {
                    book.prefetchReference(OrderRef(rawValue: m.loadUnaligned(fromByteOffset: 19, as: UInt64.self).bigEndian))
                }
            case 2: book.prefetchOrder(ref)
            default: book.prefetchQueue(ref)
            }
        default:
            return
        }
    }

    /// Applies every message the walker yields, in order, numbering them from `sequence` + 1,
    /// with prefetches running ahead (see OrderBookPrefetch.swift). The book ends exactly as
    /// with `onMessage` per message; only the order of cache misses changes. Returns the number
    /// of messages applied. One small allocation per call (the window), none per message.
    public mutating func applyPipelined(_ walker: inout ITCHFileWalker, sequence: inout UInt64) -> UInt64 {
        let ringSize = Self.pipelineRing
        let mask = ringSize &- 1
        let (d1, d2, d3) = Self.stageDistance
        let ring = UnsafeMutablePointer<UnsafeRawBufferPointer>.allocate(capacity: ringSize)
        defer { ring.deallocate() }
        let book = self.book
        var head = 0  // messages pulled from the walker
        var tail = 0  // messages applied
        var exhausted = false
        while true {
            // Keep the window d1 deep: pull (stage 1) until it is, or the walker ends.
            while !exhausted && head &- tail < d1 {
                if let m = walker.next() {
                    ring[head & mask] = m
                    Self.prefetch(book, m, stage: 1)
                    head &+= 1
                } else {
                    exhausted = true
                }
            }
            if tail == head { break }
            if tail &+ d2 < head { Self.prefetch(book, ring[(tail &+ d2) & mask], stage: 2) }
            if tail &+ d3 < head { Self.prefetch(book, ring[(tail &+ d3) & mask], stage: 3) }
            sequence &+= 1
            onMessage(ring[tail & mask], sequence: sequence)
            tail &+= 1
        }
        return UInt64(tail)
    }
}
