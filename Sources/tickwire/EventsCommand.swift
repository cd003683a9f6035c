// `tickwire events`: a day's feed as the research catalogue's tables (research/tickwire_research).
// The feed goes through the one ITCH -> book path (ITCHBookFeed) with a sink that writes
// fixed-width little-endian records: normalized order events, top of book on change, the
// touched side's 10 levels on change, and trades. Each table goes to its own file, which may be
// a FIFO: the research side reads the records as they come and writes Parquet row groups, so
// neither side holds a day in memory. The record layouts are the catalogue's schema files
// (research/tickwire_research/schemas/*.json): a change here is a new schema version there.
import ArgumentParser
import Capture
import CShims
import Foundation
import ITCHBook
import MarketData
import OrderBook
import TickwireCore
#if canImport(Glibc)
import Glibc
#endif

/// A buffered writer of fixed-width records to a path (a regular file or a FIFO).
final class RecordFile {
    let path: String
    let fd: Int32
    let buffer: UnsafeMutableRawPointer
    let capacity = 1 << 20
    var used = 0
    private(set) var rows: UInt64 = 0
    private(set) var failure: String?

    init(path: String) throws {
        self.path = path
        fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw ValidationError("cannot open \(path) for writing: \(String(cString: strerror(errno)))") }
        buffer = .allocate(byteCount: capacity, alignment: 64)
    }

    deinit {
        flush()
        close(fd)
        buffer.deallocate()
    }

    /// Room for one record of `size` bytes; the caller writes all of them (the layouts' `write`
    /// zeroes what no field covers), then `commit`.
    @inline(__always)
    func reserve(_ size: Int) -> UnsafeMutableRawPointer {
        if used + size > capacity { flush() }
        return buffer + used
    }

    @inline(__always)
    func commit(_ size: Int) {
        used += size
        rows &+= 1
    }

    func flush() {
        var off = 0
        while off < used, failure == nil {
            let n = write(fd, buffer + off, used - off)
            if n < 0 {
                if errno == EINTR { continue }
                failure = "write \(path): \(String(cString: strerror(errno)))"
                break
            }
            off += n
        }
        used = 0
    }
}

/// The catalogue's record layouts (byte offsets; little-endian; the symbol is 8 ASCII bytes,
/// space-padded). `research/tickwire_research/schemas/` describes the same bytes.
enum EventRecord {
    static let size = 72
    enum Action: UInt8 { case add = 1, cancel = 2, modify = 3, execute = 4, trade = 5, clear = 6 }
    enum Flag: UInt8 {
        case snapshot = 1
        case lastInPacket = 2
        /// The book could not apply the message as sent (unknown or duplicate reference,
        /// over-execution, capacity): the book is no longer the venue's for this stock.
        case badBook = 4
    }
}

enum TopRecord { static let size = 72 }
enum DepthRecord { static let size = 200; static let levels = 10 }
enum TradeRecord { static let size = 72 }

/// The three fields every record starts with: receive time, venue time, sequence.
struct RecordStamp {
    var receive: Int64
    var venue: Int64
    var sequence: UInt64

    @inline(__always)
    func store(_ p: UnsafeMutableRawPointer) {
        p.storeBytes(of: receive.littleEndian, toByteOffset: 0, as: Int64.self)
        p.storeBytes(of: venue.littleEndian, toByteOffset: 8, as: Int64.self)
        p.storeBytes(of: sequence.littleEndian, toByteOffset: 16, as: UInt64.self)
    }
}

/// A stock name as the records hold it: its first 8 ASCII bytes, space-padded, byte 0 lowest.
func packedSymbol(_ name: String) -> UInt64 {
    let bytes = Array(name.utf8.prefix(8))
    var raw: UInt64 = 0
    for k in 0..<8 { raw |= UInt64(k < bytes.count ? bytes[k] : 0x20) << (8 * UInt64(k)) }
    return raw
}

/// "B", "S", or " " for none.
@inline(__always) func sideByte(_ side: Side?) -> UInt8 {
    side.map { $0 == .buy ? UInt8(ascii: "B") : UInt8(ascii: "S") } ?? UInt8(ascii: " ")
}

// One writer per layout, for the ITCH and the IEX sinks alike. Each writes a whole record into
// `p` (EventRecord.size, ... bytes), the bytes no field covers zeroed.
extension EventRecord {
    @inline(__always)
    static func write(_ p: UnsafeMutableRawPointer, _ stamp: RecordStamp, action: Action, locate: UInt16, side: Side?, price: Int64,
                      size: UInt32, remaining: UInt32, ref: UInt64, newRef: UInt64, flags: UInt8, type: UInt8, symbol: UInt64) {
        p.initializeMemory(as: UInt8.self, repeating: 0, count: Self.size)
        stamp.store(p)
        p.storeBytes(of: ref.littleEndian, toByteOffset: 24, as: UInt64.self)
        p.storeBytes(of: newRef.littleEndian, toByteOffset: 32, as: UInt64.self)
        p.storeBytes(of: price.littleEndian, toByteOffset: 40, as: Int64.self)
        p.storeBytes(of: size.littleEndian, toByteOffset: 48, as: UInt32.self)
        p.storeBytes(of: remaining.littleEndian, toByteOffset: 52, as: UInt32.self)
        p.storeBytes(of: locate.littleEndian, toByteOffset: 56, as: UInt16.self)
        p.storeBytes(of: action.rawValue, toByteOffset: 58, as: UInt8.self)
        p.storeBytes(of: sideByte(side), toByteOffset: 59, as: UInt8.self)
        p.storeBytes(of: flags, toByteOffset: 60, as: UInt8.self)
        p.storeBytes(of: type, toByteOffset: 61, as: UInt8.self)
        p.storeBytes(of: symbol, toByteOffset: 64, as: UInt64.self)
    }
}

extension TopRecord {
    /// A side: price, shares, orders.
    @inline(__always)
    static func write(_ p: UnsafeMutableRawPointer, _ stamp: RecordStamp, bid: (Int64, UInt32, UInt32), ask: (Int64, UInt32, UInt32),
                      locate: UInt16, symbol: UInt64) {
        p.initializeMemory(as: UInt8.self, repeating: 0, count: Self.size)
        stamp.store(p)
        p.storeBytes(of: bid.0.littleEndian, toByteOffset: 24, as: Int64.self)
        p.storeBytes(of: ask.0.littleEndian, toByteOffset: 32, as: Int64.self)
        p.storeBytes(of: bid.1.littleEndian, toByteOffset: 40, as: UInt32.self)
        p.storeBytes(of: ask.1.littleEndian, toByteOffset: 44, as: UInt32.self)
        p.storeBytes(of: bid.2.littleEndian, toByteOffset: 48, as: UInt32.self)
        p.storeBytes(of: ask.2.littleEndian, toByteOffset: 52, as: UInt32.self)
        p.storeBytes(of: locate.littleEndian, toByteOffset: 56, as: UInt16.self)
        p.storeBytes(of: symbol, toByteOffset: 64, as: UInt64.self)
    }
}

extension DepthRecord {
    /// `count` levels, best first: `level(i)` is (price, shares, orders); the rest zero.
    @inline(__always)
    static func write(_ p: UnsafeMutableRawPointer, _ stamp: RecordStamp, locate: UInt16, side: Side, symbol: UInt64, count: Int,
                      level: (Int) -> (Int64, UInt32, UInt32)) {
        p.initializeMemory(as: UInt8.self, repeating: 0, count: Self.size)
        stamp.store(p)
        p.storeBytes(of: locate.littleEndian, toByteOffset: 24, as: UInt16.self)
        p.storeBytes(of: sideByte(side), toByteOffset: 26, as: UInt8.self)
        p.storeBytes(of: UInt8(count), toByteOffset: 27, as: UInt8.self)
        p.storeBytes(of: symbol, toByteOffset: 32, as: UInt64.self)
        for i in 0..<min(count, levels) {
            let (price, shares, orders) = level(i)
            p.storeBytes(of: price.littleEndian, toByteOffset: 40 + 16 * i, as: Int64.self)
            p.storeBytes(of: shares.littleEndian, toByteOffset: 48 + 16 * i, as: UInt32.self)
            p.storeBytes(of: orders.littleEndian, toByteOffset: 52 + 16 * i, as: UInt32.self)
        }
    }
}

extension TradeRecord {
    @inline(__always)
    static func write(_ p: UnsafeMutableRawPointer, _ stamp: RecordStamp, ref: UInt64, match: UInt64, price: Int64, size: UInt64,
                      locate: UInt16, side: Side?, type: UInt8, printable: Bool, symbol: UInt64) {
        p.initializeMemory(as: UInt8.self, repeating: 0, count: Self.size)
        stamp.store(p)
        p.storeBytes(of: ref.littleEndian, toByteOffset: 24, as: UInt64.self)
        p.storeBytes(of: match.littleEndian, toByteOffset: 32, as: UInt64.self)
        p.storeBytes(of: price.littleEndian, toByteOffset: 40, as: Int64.self)
        p.storeBytes(of: size.littleEndian, toByteOffset: 48, as: UInt64.self)
        p.storeBytes(of: locate.littleEndian, toByteOffset: 56, as: UInt16.self)
        p.storeBytes(of: sideByte(side), toByteOffset: 58, as: UInt8.self)
        p.storeBytes(of: type, toByteOffset: 59, as: UInt8.self)
        p.storeBytes(of: UInt8(printable ? 1 : 0), toByteOffset: 60, as: UInt8.self)
        p.storeBytes(of: symbol, toByteOffset: 64, as: UInt64.self)
    }
}

/// The sink that writes the tables. `current` is the raw message being applied (set before
/// `onMessage`), so the callbacks can read the fields the book's interface does not carry.
struct CatalogueSink: BookFeedSink {
    static var wantsRemovedOrders: Bool { true }
    let book: OrderBook
    let directory: SymbolDirectory
    let events: RecordFile?
    let tops: RecordFile?
    let depth: RecordFile?
    let trades: RecordFile?
    var current = UnsafeRawBufferPointer(start: nil, count: 0)
    var receiveNs: Int64 = 0
    var sequence: UInt64 = 0
    /// The last event record, held back until the next (its last-in-packet flag is decided by
    /// what follows): a copy of its bytes.
    var held = [UInt8](repeating: 0, count: EventRecord.size)
    var holding = false
    /// The price and side of the order the current message touched, for the depth check.
    var touchedPrice: Int64 = 0
    var touchedSide: Side = .buy
    var touchedNewPrice: Int64 = 0
    var pendingEvent = false
    /// Last 10-level snapshot written per (locate, side): (price, shares, orders) per level.
    /// Per (locate, side): the offset of its last written snapshot in `depthStore`, + 1 (0: none).
    var depthSlot: [Int32]
    var depthStore: [Int64] = []
    var depthScratch = [Int64](repeating: 0, count: 3 * DepthRecord.levels)
    var symbolCache: [UInt64]
    var badBookMessages: UInt64 = 0

    init(book: OrderBook, directory: SymbolDirectory, events: RecordFile?, tops: RecordFile?, depth: RecordFile?, trades: RecordFile?) {
        self.book = book
        self.directory = directory
        self.events = events
        self.tops = tops
        self.depth = depth
        self.trades = trades
        depthSlot = [Int32](repeating: 0, count: 2 * 65_536)
        symbolCache = [UInt64](repeating: 0, count: 65_536)
    }

    var type: UInt8 { current.count > 0 ? current[0] : 0 }
    var stamp: RecordStamp { RecordStamp(receive: receiveNs, venue: venueNs, sequence: sequence) }
    var venueNs: Int64 {
        guard current.count >= 11 else { return 0 }
        return Int64((5..<11).reduce(UInt64(0)) { $0 << 8 | UInt64(current[$1]) })
    }

    func u64(_ at: Int) -> UInt64 {
        guard current.count >= at + 8 else { return 0 }
        return (at..<at + 8).reduce(UInt64(0)) { $0 << 8 | UInt64(current[$1]) }
    }

    /// The message's own locate (bytes 1-2): the stock of an order the book does not know.
    var messageLocate: StockLocate {
        guard current.count >= 3 else { return StockLocate(rawValue: 0) }
        return StockLocate(rawValue: UInt16(current[1]) << 8 | UInt16(current[2]))
    }

    func u32(_ at: Int) -> UInt32 {
        guard current.count >= at + 4 else { return 0 }
        return (at..<at + 4).reduce(UInt32(0)) { $0 << 8 | UInt32(current[$1]) }
    }

    /// The stock's name as 8 space-padded ASCII bytes (little-endian in a UInt64), cached per
    /// locate once the directory (or an add) has named it.
    mutating func symbol(_ locate: StockLocate) -> UInt64 {
        let i = Int(locate.rawValue)
        if symbolCache[i] != 0 { return symbolCache[i] }
        guard let s = directory[locate] else { return 0x2020_2020_2020_2020 }
        symbolCache[i] = packedSymbol(s.description)
        return symbolCache[i]
    }

    mutating func message(sequence: UInt64) { self.sequence = sequence }

    /// Writes the held event, if any, to the events file.
    mutating func flushHeld() {
        guard holding, let events else { holding = false; return }
        let p = events.reserve(EventRecord.size)
        held.withUnsafeBytes { p.copyMemory(from: $0.baseAddress!, byteCount: EventRecord.size) }
        events.commit(EventRecord.size)
        holding = false
    }

    /// The end of a packet (or, for a file, of every message): the held event is its last.
    mutating func endOfPacket() {
        if holding { held[60] |= EventRecord.Flag.lastInPacket.rawValue }
        flushHeld()
    }

    mutating func event(_ action: EventRecord.Action, locate: StockLocate, side: Side?, price: Int64, size: UInt32,
                        remaining: UInt32, ref: UInt64, newRef: UInt64, bad: Bool) {
        guard events != nil else { return }
        flushHeld()
        let (st, ty, sym) = (stamp, type, symbol(locate))
        held.withUnsafeMutableBytes { b in
            EventRecord.write(b.baseAddress!, st, action: action, locate: locate.rawValue, side: side, price: price, size: size,
                              remaining: remaining, ref: ref, newRef: newRef, flags: bad ? EventRecord.Flag.badBook.rawValue : 0, type: ty, symbol: sym)
        }
        holding = true
    }

    mutating func trade(locate: StockLocate, side: Side?, price: Int64, size: UInt64, ref: UInt64, match: UInt64, printable: Bool) {
        guard let trades else { return }
        let sym = symbol(locate)
        TradeRecord.write(trades.reserve(TradeRecord.size), stamp, ref: ref, match: match, price: price, size: size, locate: locate.rawValue,
                          side: side, type: type, printable: printable, symbol: sym)
        trades.commit(TradeRecord.size)
    }

    mutating func willAdd(locate: StockLocate, ref: OrderRef, side: Side, shares: Shares, price: Price, time: VenueTime) {}

    mutating func willExecute(_ order: BookOrder?, ref: OrderRef, shares: Shares, time: VenueTime) {
        let printable = type == UInt8(ascii: "C") ? (current.count > 31 && current[31] == UInt8(ascii: "Y")) : true
        let price = type == UInt8(ascii: "C") ? Int64(u32(32)) : (order?.price.rawValue ?? 0)
        let left = order.map { $0.shares.rawValue > shares.rawValue ? $0.shares.rawValue - shares.rawValue : 0 } ?? 0
        let locate = order?.locate ?? messageLocate
        event(.execute, locate: locate, side: order?.side, price: price, size: shares.rawValue, remaining: left,
              ref: ref.rawValue, newRef: 0, bad: order == nil || order!.shares.rawValue < shares.rawValue)
        trade(locate: locate, side: order?.side, price: price, size: UInt64(shares.rawValue), ref: ref.rawValue,
              match: u64(23), printable: printable)
        touchedPrice = order?.price.rawValue ?? 0
        touchedSide = order?.side ?? .buy
        touchedNewPrice = touchedPrice
    }

    mutating func willRemove(_ order: BookOrder?, ref: OrderRef, removed: UInt32, replacement: OrderRef?, time: VenueTime) {
        let locate = order?.locate ?? messageLocate
        touchedPrice = order?.price.rawValue ?? 0
        touchedSide = order?.side ?? .buy
        touchedNewPrice = touchedPrice
        if let replacement {
            // U: new shares at 31, new price at 35 - 4 ... offsets: old ref 11, new ref 19, shares 27, price 31.
            let newShares = u32(27), newPrice = Int64(u32(31))
            touchedNewPrice = newPrice
            event(.modify, locate: locate, side: order?.side, price: newPrice, size: newShares, remaining: newShares,
                  ref: ref.rawValue, newRef: replacement.rawValue, bad: order == nil)
        } else {
            let isDelete = type == UInt8(ascii: "D")
            let asked = isDelete ? (order?.shares.rawValue ?? 0) : u32(19)
            let left = order.map { $0.shares.rawValue > asked ? $0.shares.rawValue - asked : 0 } ?? 0
            event(.cancel, locate: locate, side: order?.side, price: order?.price.rawValue ?? 0, size: isDelete ? removed : asked,
                  remaining: isDelete ? 0 : left, ref: ref.rawValue, newRef: 0,
                  bad: order == nil || (!isDelete && order!.shares.rawValue < asked))
        }
    }

    mutating func applied(_ update: BookUpdate, time: VenueTime) {
        let locate = update.locate
        if type == UInt8(ascii: "A") || type == UInt8(ascii: "F") {
            let ref = u64(11)
            let o = book.order(OrderRef(rawValue: ref))
            let shares = u32(20), price = Int64(u32(32))
            event(.add, locate: locate, side: update.side, price: price, size: shares, remaining: shares, ref: ref, newRef: 0,
                  bad: update.outcome != .applied || o == nil)
            touchedPrice = price
            touchedSide = update.side
            touchedNewPrice = price
        }
        if update.outcome != .applied { badBookMessages &+= 1 }
        guard update.outcome != .unknownRef else { return }
        if update.bboChanged, let tops { writeTop(locate, tops) }
        if let depth { writeDepth(locate, update.side, depth) }
    }

    mutating func writeTop(_ locate: StockLocate, _ out: RecordFile) {
        let sym = symbol(locate)
        let bid = book.bestBid(locate), ask = book.bestAsk(locate)
        func side(_ l: PriceLevel?) -> (Int64, UInt32, UInt32) {
            (l?.price.rawValue ?? 0, UInt32(clamping: l?.shares ?? 0), UInt32(clamping: l?.orders ?? 0))
        }
        TopRecord.write(out.reserve(TopRecord.size), stamp, bid: side(bid), ask: side(ask), locate: locate.rawValue, symbol: sym)
        out.commit(TopRecord.size)
    }

    /// The touched side's first 10 levels, written when they differ from the last written.
    mutating func writeDepth(_ locate: StockLocate, _ side: Side, _ out: RecordFile) {
        let key = Int(locate.rawValue) << 1 | (side == .sell ? 1 : 0)
        let width = 3 * DepthRecord.levels
        var count = 0
        depthScratch.withUnsafeMutableBufferPointer { now in
            for i in 0..<width { now[i] = 0 }
            while count < DepthRecord.levels, let l = book.level(locate: locate, side: side, index: count) {
                now[3 * count] = l.price.rawValue
                now[3 * count + 1] = Int64(clamping: l.shares)
                now[3 * count + 2] = Int64(l.orders)
                count += 1
            }
        }
        if depthSlot[key] == 0 {
            depthStore.append(contentsOf: repeatElement(-1, count: width))
            depthSlot[key] = Int32(depthStore.count / width)
        }
        let base = (Int(depthSlot[key]) - 1) * width
        var same = true
        for i in 0..<width where depthStore[base + i] != depthScratch[i] { same = false; break }
        if same { return }
        for i in 0..<width { depthStore[base + i] = depthScratch[i] }
        let sym = symbol(locate)
        depthScratch.withUnsafeBufferPointer { now in
            DepthRecord.write(out.reserve(DepthRecord.size), stamp, locate: locate.rawValue, side: side, symbol: sym, count: count) { i in
                (now[3 * i], UInt32(clamping: now[3 * i + 1]), UInt32(clamping: now[3 * i + 2]))
            }
        }
        out.commit(DepthRecord.size)
    }

    mutating func hiddenTrade(_ m: ITCH.Trade) {
        directory.learn(m.stockLocate, m.stock)
        event(.trade, locate: m.stockLocate, side: m.side, price: m.price.rawValue, size: m.shares.rawValue, remaining: 0,
              ref: m.orderRef.rawValue, newRef: 0, bad: false)
        trade(locate: m.stockLocate, side: m.side, price: m.price.rawValue, size: UInt64(m.shares.rawValue),
              ref: m.orderRef.rawValue, match: m.matchNumber, printable: true)
    }

    mutating func crossTrade(_ m: ITCH.CrossTrade) {
        directory.learn(m.stockLocate, m.stock)
        event(.trade, locate: m.stockLocate, side: nil, price: m.crossPrice.rawValue, size: UInt32(clamping: m.shares),
              remaining: 0, ref: 0, newRef: 0, bad: false)
        trade(locate: m.stockLocate, side: nil, price: m.crossPrice.rawValue, size: m.shares, ref: 0, match: m.matchNumber,
              printable: true)
    }
}

/// IEX DEEP and TOPS into the same tables. DEEP has no order identity: a price level update
/// becomes an add (a new level), a modify (a new size) or a cancel (size 0) with order id 0;
/// TOPS quote updates become top-of-book rows; trade reports, trades. IEX has no locates: a
/// stock gets the next number the first time it is seen (deterministic for a capture). IEX
/// timestamps are ns since the epoch: venue time; the receive time is the same (the replay does
/// not pass the capture's). A sequence restart that clears the book writes a `clear` event.
struct IEXCatalogueSink: IEXHandler {
    let events: RecordFile?
    let tops: RecordFile?
    let depth: RecordFile?
    let trades: RecordFile?
    var locates: [UInt64: UInt16] = [:]
    /// (symbol, side) -> price -> size: the DEEP book as the events describe it.
    var levels: [UInt64: [Int64: UInt32]] = [:]
    var lastTop: [UInt64: [Int64]] = [:]
    var lastDepth: [UInt64: [Int64]] = [:]
    var sequence: UInt64 = 0
    var messages: UInt64 = 0

    /// IEX has one clock: the venue's time is the receive time.
    func stamp(_ time: Int64) -> RecordStamp { RecordStamp(receive: time, venue: time, sequence: sequence) }

    mutating func locate(_ s: IEXSymbol) -> UInt16 {
        if let l = locates[s.rawValue] { return l }
        let l = UInt16(truncatingIfNeeded: locates.count + 1)
        locates[s.rawValue] = l
        return l
    }

    static func name(_ s: IEXSymbol) -> UInt64 { packedSymbol(s.description) }

    mutating func event(_ action: EventRecord.Action, _ type: UInt8, _ s: IEXSymbol, side: Side?, price: Int64, size: UInt32,
                        remaining: UInt32, flags: UInt8, time: Int64) {
        sequence &+= 1
        guard let events else { return }
        let loc = locate(s)
        EventRecord.write(events.reserve(EventRecord.size), stamp(time), action: action, locate: loc, side: side, price: price, size: size,
                          remaining: remaining, ref: 0, newRef: 0, flags: flags, type: type, symbol: Self.name(s))
        events.commit(EventRecord.size)
    }

    mutating func top(_ s: IEXSymbol, bid: (Int64, UInt32, UInt32), ask: (Int64, UInt32, UInt32), time: Int64) {
        guard let tops else { return }
        let now: [Int64] = [bid.0, Int64(bid.1), Int64(bid.2), ask.0, Int64(ask.1), Int64(ask.2)]
        if lastTop[s.rawValue] == now { return }
        lastTop[s.rawValue] = now
        let loc = locate(s)
        TopRecord.write(tops.reserve(TopRecord.size), stamp(time), bid: bid, ask: ask, locate: loc, symbol: Self.name(s))
        tops.commit(TopRecord.size)
    }

    /// A side's best `count` levels, best first.
    func best(_ s: IEXSymbol, _ side: Side, _ count: Int) -> [(Int64, UInt32)] {
        let book = levels[s.rawValue << 1 | (side == .sell ? 1 : 0)] ?? [:]
        let sorted = book.sorted { side == .buy ? $0.key > $1.key : $0.key < $1.key }
        return sorted.prefix(count).map { ($0.key, $0.value) }
    }

    mutating func writeDepth(_ s: IEXSymbol, _ side: Side, time: Int64) {
        guard let depth else { return }
        let b = best(s, side, DepthRecord.levels)
        let key = Self.name(s) ^ (side == .sell ? 1 : 0) << 63
        let now = b.flatMap { [$0.0, Int64($0.1)] }
        if lastDepth[key] == now { return }
        lastDepth[key] = now
        let loc = locate(s)
        // DEEP publishes sizes, not orders: the order count stays 0.
        DepthRecord.write(depth.reserve(DepthRecord.size), stamp(time), locate: loc, side: side, symbol: Self.name(s), count: b.count) { i in
            (b[i].0, b[i].1, 0)
        }
        depth.commit(DepthRecord.size)
    }

    mutating func onPriceLevelUpdate(_ m: IEXPriceLevelUpdate) {
        messages &+= 1
        let key = m.symbol.rawValue << 1 | (m.side == .sell ? 1 : 0)
        let price = m.price.rawValue, size = m.size.rawValue
        let before = levels[key]?[price] ?? 0
        let action: EventRecord.Action = size == 0 ? .cancel : (before == 0 ? .add : .modify)
        if size == 0 { levels[key]?[price] = nil } else { levels[key, default: [:]][price] = size }
        event(action, m.bytes[0], m.symbol, side: m.side, price: price, size: size == 0 ? before : size, remaining: size,
              flags: m.isEventComplete ? EventRecord.Flag.lastInPacket.rawValue : 0, time: m.timestamp)
        if m.isEventComplete {
            let bid = best(m.symbol, .buy, 1).first ?? (0, 0), ask = best(m.symbol, .sell, 1).first ?? (0, 0)
            top(m.symbol, bid: (bid.0, bid.1, 0), ask: (ask.0, ask.1, 0), time: m.timestamp)
            writeDepth(m.symbol, .buy, time: m.timestamp)
            writeDepth(m.symbol, .sell, time: m.timestamp)
        }
    }

    mutating func onQuoteUpdate(_ m: IEXQuoteUpdate) {
        messages &+= 1
        sequence &+= 1
        top(m.symbol, bid: (m.bidPrice.rawValue, m.bidSize.rawValue, 0), ask: (m.askPrice.rawValue, m.askSize.rawValue, 0),
            time: m.timestamp)
    }

    mutating func onTradeReport(_ m: IEXTradeReport) {
        messages &+= 1
        event(.trade, m.bytes[0], m.symbol, side: nil, price: m.price.rawValue, size: m.size.rawValue, remaining: 0,
              flags: EventRecord.Flag.lastInPacket.rawValue, time: m.timestamp)
        guard let trades else { return }
        let loc = locate(m.symbol)
        TradeRecord.write(trades.reserve(TradeRecord.size), stamp(m.timestamp), ref: 0, match: m.tradeID, price: m.price.rawValue,
                          size: UInt64(m.size.rawValue), locate: loc, side: nil, type: m.bytes[0], printable: true, symbol: Self.name(m.symbol))
        trades.commit(TradeRecord.size)
    }

    mutating func onBookCleared() {
        guard !levels.isEmpty else { return }
        levels.removeAll()
        lastDepth.removeAll()
        sequence &+= 1
        if let events {
            // No stock, no time: the whole book.
            EventRecord.write(events.reserve(EventRecord.size), RecordStamp(receive: 0, venue: 0, sequence: sequence), action: .clear, locate: 0,
                              side: nil, price: 0, size: 0, remaining: 0, ref: 0, newRef: 0, flags: EventRecord.Flag.lastInPacket.rawValue,
                              type: 0, symbol: 0x2020_2020_2020_2020)
            events.commit(EventRecord.size)
        }
    }
}

struct EventsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "events",
        abstract: "A day's feed as the research catalogue's tables: order events, top of book, 10 levels, trades (fixed-width records).",
        discussion: """
            Every message goes through the same ITCH -> book path as live, replay and the backtester. \
            Each --*-out path (a file or a FIFO) gets little-endian records whose layouts are \
            research/tickwire_research/schemas/*.json: events 72 bytes, tob 72, depth 200, trades 72. \
            Prints one JSON line: messages, counts by ITCH type, rows per table, bad-book messages.
            """
    )

    @Option(help: "An ITCH 5.0 BinaryFILE.")
    var itch: String?

    @Option(help: "A pcap capture of a MoldUDP64 feed (lines A and B arbitrated; a gap is counted, not recovered).")
    var capture: String?

    @Option(help: "A pcap capture (.gz too) of IEX-TP: DEEP price levels or TOPS quotes, and trades.")
    var iex: String?

    @Option(name: .customLong("iex-port"), help: "With --iex: only this UDP port.")
    var iexPort: UInt16?

    @Option(name: .customLong("feed-a"), help: "With --capture: line A group:port.")
    var feedA: String = FeedAddress.defaultA.description

    @Option(name: .customLong("feed-b"), help: "With --capture: line B group:port.")
    var feedB: String = FeedAddress.defaultB.description

    @Option(name: .customLong("events-out"), help: "Normalized order events.")
    var eventsOut: String?

    @Option(name: .customLong("tob-out"), help: "Top of book, on every change of a stock's best bid or offer.")
    var tobOut: String?

    @Option(name: .customLong("depth-out"), help: "The touched side's 10 levels, on every change of them.")
    var depthOut: String?

    @Option(name: .customLong("trades-out"), help: "Trades: executions of displayed orders, hidden (P) and cross (Q) trades.")
    var tradesOut: String?

    @Option(name: .customLong("max-orders"), help: "Live orders the book preallocates for (default: with --itch, sized from the day; else 4,000,000).")
    var maxOrders: Int?

    struct Report: Encodable {
        var source: String
        var input: String
        var messages: UInt64
        var byType: [String: UInt64]
        var rows: [String: UInt64]
        var badBookMessages: UInt64
        var gaps: UInt64
        var firstVenueNs: Int64
        var lastVenueNs: Int64
    }

    func run() throws {
        guard [itch, capture, iex].compactMap({ $0 }).count == 1 else {
            throw ValidationError("give one input: --itch FILE, --capture FILE or --iex FILE")
        }
        let files = try [eventsOut, tobOut, depthOut, tradesOut].map { try $0.map { try RecordFile(path: $0) } }
        if let iex {
            var handler = IEXCatalogueSink(events: files[0], tops: files[1], depth: files[2], trades: files[3])
            var book = IEXDeepBook()
            let stats: IEXReplayStats
            do { stats = try IEXReplay.replayIEX(pcapPath: iex, port: iexPort, book: &book, handler: &handler) } catch {
                throw ValidationError("\(iex): \(error)")
            }
            var byType: [String: UInt64] = [:]
            for (t, n) in stats.messagesByType { byType[String(t)] = n }
            try finish(files, Report(source: iex, input: "iex", messages: stats.messages, byType: byType, rows: [:], badBookMessages: 0,
                                     gaps: stats.gaps, firstVenueNs: Int64(clamping: stats.firstSendTime),
                                     lastVenueNs: Int64(clamping: stats.lastSendTime)))
            return
        }
        var mapped: MappedITCHFile?
        if let itch {
            do { mapped = try MappedITCHFile(path: itch) } catch { throw ValidationError("cannot read \(itch): \(error)") }
        }
        // A file's book is sized from the day (its live orders at their peak, bounded from
        // above); a capture's, for a large day.
        let peak = mapped.map { m in m.withUnsafeBytes { peakLiveOrders($0, framing: ITCHFileWalker.detect($0)) } }
        let capacity = maxOrders ?? peak.map { bookCapacity(peakLive: $0) } ?? 4_000_000
        let book: OrderBook
        do { book = try OrderBook(configuration: OrderBookConfiguration(maxOrders: capacity, peakOrders: peak)) } catch { throw ValidationError("\(error)") }
        let directory = SymbolDirectory()
        let sink = CatalogueSink(book: book, directory: directory, events: files[0], tops: files[1], depth: files[2], trades: files[3])
        var feed = ITCHBookFeed(book: book, directory: directory, sink: sink)
        var first: Int64 = -1, last: Int64 = 0
        var gaps: UInt64 = 0
        if let bytes = mapped {
            bytes.withUnsafeBytes { raw in
                var walker = ITCHFileWalker(raw)
                var seq: UInt64 = 0
                while let m = walker.next() {
                    seq &+= 1
                    feed.sink.current = m
                    let t = feed.sink.venueNs
                    feed.sink.receiveNs = t
                    if first < 0 && m.count >= 11 { first = t }
                    last = max(last, t)
                    feed.onMessage(m, sequence: seq)
                    feed.sink.endOfPacket()
                }
            }
        } else if let capture {
            guard let a = FeedAddress(feedA), let b = FeedAddress(feedB) else { throw ValidationError("--feed-a/--feed-b take IP:PORT") }
            struct Consumer: MoldUDP64Consumer {
                var feed: ITCHBookFeed<CatalogueSink>
                var first: Int64 = -1, last: Int64 = 0
                mutating func onMessage(_ m: UnsafeRawBufferPointer, sequence: UInt64) {
                    feed.sink.current = m
                    let t = feed.sink.venueNs
                    if first < 0 && m.count >= 11 { first = t }
                    last = max(last, t)
                    feed.onMessage(m, sequence: sequence)
                }
            }
            let mold: MoldFeedHandler<Consumer, NoRecovery>
            do {
                mold = try replayMoldCapture(capture, lineA: a, lineB: b, consumer: Consumer(feed: feed),
                                             beforeFrame: { session, now in session.consumer.feed.sink.receiveNs = Int64(bitPattern: now) },
                                             afterFrame: { session in session.consumer.feed.sink.endOfPacket() })
            } catch { throw ValidationError("\(error)") }
            feed = mold.session.consumer.feed
            first = mold.session.consumer.first
            last = mold.session.consumer.last
            gaps = mold.session.counters.gaps
        }
        feed.sink.endOfPacket()
        var byType: [String: UInt64] = [:]
        for (t, n) in feed.counters.byType { byType[String(t)] = n }
        try finish(files, Report(source: itch ?? capture ?? "", input: itch != nil ? "itch" : "capture", messages: feed.counters.total,
                                 byType: byType, rows: [:], badBookMessages: feed.sink.badBookMessages, gaps: gaps,
                                 firstVenueNs: max(first, 0), lastVenueNs: last))
    }

    /// Every table flushed (a failed write is the run's error), its rows into the report, printed.
    func finish(_ files: [RecordFile?], _ report: Report) throws {
        var report = report
        for (name, f) in zip(["events", "tob", "depth", "trades"], files) {
            guard let f else { continue }
            f.flush()
            if let failure = f.failure { throw ValidationError(failure) }
            report.rows[name] = f.rows
        }
        printJSON(report)
    }
}
