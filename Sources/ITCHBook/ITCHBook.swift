// ITCH 5.0 into the L3 order book: the handler that the feed (MoldUDP64 session or a BinaryFILE
// walk) hands each message to. It keeps the stock directory (locate -> symbol, from R), applies
// A/F/E/C/X/D/U to the book, counts P/Q trades (reported, they never touch the book) and every
// message by type, and counts top-of-book changes for consumers downstream.
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

public struct ITCHBookBuilder: ITCHHandler, MoldUDP64Consumer {
    public let book: OrderBook
    public let directory: SymbolDirectory
    public var counters = ITCHCounters()
    public private(set) var trades: UInt64 = 0
    public private(set) var crossTrades: UInt64 = 0
    public private(set) var bboChanges: UInt64 = 0
    /// The last message's sequence number (MoldUDP64) or index (file), for tracing.
    public private(set) var lastSequence: UInt64 = 0

    public init(book: OrderBook, directory: SymbolDirectory = SymbolDirectory()) {
        self.book = book
        self.directory = directory
    }

    @inline(__always)
    public mutating func onMessage(_ message: UnsafeRawBufferPointer, sequence: UInt64) {
        lastSequence = sequence
        let r = ITCH.dispatch(message, to: &self)
        counters.record(r)
    }

    @inline(__always)
    mutating func note(_ u: BookUpdate) {
        if u.bboChanged { bboChanges &+= 1 }
    }

    public mutating func onStockDirectory(_ m: ITCH.StockDirectory) { directory.set(m.stockLocate, m.stock) }

    @inline(__always)
    public mutating func onAddOrder(_ m: ITCH.AddOrder) {
        guard let side = m.side else { return }
        directory.learn(m.stockLocate, m.stock)
        note(book.add(locate: m.stockLocate, ref: m.orderRef, side: side, shares: m.shares, price: m.price))
    }

    @inline(__always)
    public mutating func onAddOrderMPID(_ m: ITCH.AddOrderMPID) {
        guard let side = m.side else { return }
        directory.learn(m.stockLocate, m.stock)
        note(book.add(locate: m.stockLocate, ref: m.orderRef, side: side, shares: m.shares, price: m.price))
    }

    @inline(__always)
    public mutating func onOrderExecuted(_ m: ITCH.OrderExecuted) {
        note(book.execute(ref: m.orderRef, shares: m.executedShares))
    }

    @inline(__always)
    public mutating func onOrderExecutedWithPrice(_ m: ITCH.OrderExecutedWithPrice) {
        note(book.execute(ref: m.orderRef, shares: m.executedShares))
    }

    @inline(__always)
    public mutating func onOrderCancel(_ m: ITCH.OrderCancel) {
        note(book.cancel(ref: m.orderRef, shares: m.cancelledShares))
    }

    @inline(__always)
    public mutating func onOrderDelete(_ m: ITCH.OrderDelete) {
        note(book.delete(ref: m.orderRef))
    }

    @inline(__always)
    public mutating func onOrderReplace(_ m: ITCH.OrderReplace) {
        note(book.replace(old: m.originalOrderRef, new: m.newOrderRef, shares: m.shares, price: m.price))
    }

    public mutating func onTrade(_ m: ITCH.Trade) { trades &+= 1 }
    public mutating func onCrossTrade(_ m: ITCH.CrossTrade) { crossTrades &+= 1 }

    /// The book in the dump format of the design card, symbols from the directory.
    public func dump(write: (String) -> Void) {
        book.dump(symbols: { directory.name($0) }, write: write)
    }
}

// MARK: - Software-pipelined apply

extension ITCHBookBuilder {
    /// Distances, in messages, at which the three prefetch stages run ahead of the message being
    /// applied (stage 1 farthest). A ring of `pipelineRing` message views holds the window.
    static let pipelineRing = 16
    static let stageDistance = (reference: 12, order: 6, queue: 3)

    /// Issues prefetch stage `stage` (1, 2 or 3) for one message; types that do not touch an
    /// order, and short messages, are ignored.
    @inline(__always)
    static func prefetch(_ book: OrderBook, _ m: UnsafeRawBufferPointer, stage: Int) {
        guard m.count >= 20 else { return }
        let type = m[0]
        let ref = OrderRef(rawValue: m.loadUnaligned(fromByteOffset: 11, as: UInt64.self).bigEndian)
        switch type {
        case UInt8(ascii: "A"), UInt8(ascii: "F"):
            if stage == 1 {
                book.prefetchReference(ref)
            } else if stage == 3 {
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
