// IEX DEEP (price levels) and TOPS (top of book) as ITCH 5.0 order messages, so that a feed
// without order identity takes the one ITCH-to-book path (the backtester's venue and engine,
// the TCA) unchanged. What is known of such a feed is each level's total size; the translation
// keeps exactly that, as orders of its own making:
//   - a level grows: the increase is added as a new order at the back of the level (it joins
//     behind whoever was there);
//   - a level shrinks and a trade report at that price came in the same event (the same
//     symbol and timestamp: IEX publishes a trade before the level update it causes, and other
//     symbols' messages may come between them): the traded shares are executions (E) of the
//     level's orders, oldest first;
//   - a level shrinks otherwise: cancels (X, or D for a whole order) of its newest orders first;
//   - a trade that no displayed level paid for (a non-displayed or midpoint order at IEX) is a
//     hidden print (P), on the side the price leans to;
//   - a session restart that cleared the DEEP book deletes every order (the book is rebuilt
//     from the updates that follow).
// The updates of one DEEP event (up to the one flagged complete) are applied together, the
// decreases before the increases, so that a book that moves does not cross on the way. Times
// never go back in the output (a print found at its event's end, a replayed session, carry the
// latest time written).
// So a book built from the translation has, after every complete event, the levels the feed
// published, and trades as executions: what a queue model over level sizes needs (the
// probabilistic family, `QueueModel.probabilistic`). The order identities are ours and carry no
// information; an L3 FIFO model over them would assume cancels come from the back.
//
// Each symbol gets a locate (1, 2, ... in order of appearance) and a stock directory message.
// Times: IEX's nanoseconds since the epoch, as nanoseconds since that UTC midnight. Prices: IEX's
// 1/10,000 $, ITCH's unit; a price ITCH's 32 bits cannot carry is counted and left out.
public import TickwireCore

public struct IEXTranslationCounters: Sendable, Equatable, Encodable {
    /// ITCH messages written, by kind.
    public var directory: UInt64 = 0
    public var adds: UInt64 = 0
    public var executions: UInt64 = 0
    public var cancels: UInt64 = 0
    public var deletes: UInt64 = 0
    public var hiddenPrints: UInt64 = 0
    /// IEX messages read: price level updates, quote updates, trade reports.
    public var levelUpdates: UInt64 = 0
    public var quoteUpdates: UInt64 = 0
    public var trades: UInt64 = 0
    /// Traded shares that a level's decrease paid for (executions), and those none did (prints).
    public var executedShares: UInt64 = 0
    public var printedShares: UInt64 = 0
    /// Book clears (session restarts): every order deleted.
    public var clears: UInt64 = 0
    /// Updates left out: a price or size ITCH cannot carry, or a locate past 65,535 symbols.
    public var unencodable: UInt64 = 0
    public init() {}
}

public struct IEXToITCH: IEXHandler {
    /// The ITCH messages so far, framed as a BinaryFILE (2-byte big-endian length, message).
    public private(set) var bytes: [UInt8] = []
    public private(set) var counters = IEXTranslationCounters()
    /// Symbol names by locate (index 0 unused).
    public private(set) var names: [String] = [""]

    struct LevelKey: Hashable {
        var symbol: UInt64
        var side: Side
        var price: Int64
    }

    /// A level's orders, oldest first, and its total.
    struct Level {
        var refs: [UInt64] = []
        var shares: [UInt32] = []
        var total: UInt64 = 0
    }

    struct Trade {
        var price: Int64
        var size: UInt32
        var time: Int64
    }

    var locates: [UInt64: UInt16] = [:]
    var levels: [LevelKey: Level] = [:]
    /// Each symbol's ask prices with a level (for the side of a print), kept with `levels`.
    var askPrices: [UInt64: Set<Int64>] = [:]
    /// Trades of the current event not yet paid for by a level, per symbol.
    var pending: [UInt64: [Trade]] = [:]
    /// TOPS: the last quote per symbol (bid price, bid size, ask price, ask size).
    var quotes: [UInt64: (Int64, UInt32, Int64, UInt32)] = [:]
    var nextRef: UInt64 = 1
    var match: UInt64 = 0
    /// The latest IEX time seen (a clear's deletes carry it).
    var lastTime: Int64 = 0
    /// The latest time written: no message goes out before it.
    var lastOut: UInt64 = 0
    /// The open DEEP event's level updates per symbol: (side, price, size, time).
    var event: [UInt64: [(Side, Int64, UInt32, Int64)]] = [:]
    var scratch = [UInt8](repeating: 0, count: 64)

    public init() {}

    static func time(_ t: Int64) -> VenueTime {
        VenueTime(nanosSinceMidnight: UInt64(max(t, 0)) % 86_400_000_000_000)
    }

    /// `t` as an output time: never before the latest written.
    mutating func stamp(_ t: Int64) -> VenueTime {
        lastOut = max(lastOut, Self.time(t).nanosSinceMidnight)
        return VenueTime(nanosSinceMidnight: lastOut)
    }

    mutating func emit(_ write: (UnsafeMutableRawBufferPointer) -> Int?) -> Bool {
        guard let n = scratch.withUnsafeMutableBytes(write), n > 0 else {
            counters.unencodable &+= 1
            return false
        }
        bytes.append(UInt8(truncatingIfNeeded: n >> 8))
        bytes.append(UInt8(truncatingIfNeeded: n))
        bytes.append(contentsOf: scratch[0..<n])
        return true
    }

    mutating func locate(_ s: IEXSymbol, time: Int64) -> StockLocate? {
        if let l = locates[s.rawValue] { return StockLocate(rawValue: l) }
        guard locates.count < 65_535 else { return nil }
        let l = UInt16(locates.count + 1)
        locates[s.rawValue] = l
        names.append(s.description)
        let stock = Symbol(s.description)
        let at = stamp(time)
        if emit({ ITCHEncoder.stockDirectory(
            into: $0, stockLocate: StockLocate(rawValue: l), timestamp: at, stock: stock, marketCategory: 0x20,
            financialStatusIndicator: 0x20, roundLotSize: 100, roundLotsOnly: 0x4E, issueClassification: 0x20, issueSubType: "  ",
            authenticity: 0x50, shortSaleThresholdIndicator: 0x20, ipoFlag: 0x20, luldReferencePriceTier: 0x20, etpFlag: 0x20,
            etpLeverageFactor: 0, inverseIndicator: 0x20) }) {
            counters.directory &+= 1
        }
        return StockLocate(rawValue: l)
    }

    /// Sets a level to `size`: trades pending at its price are paid first (executions), the
    /// rest of a decrease is cancelled from the back, an increase is added at the back.
    mutating func setLevel(_ s: IEXSymbol, _ side: Side, price: Int64, size: UInt64, time: Int64) {
        guard let loc = locate(s, time: time) else {
            counters.unencodable &+= 1
            return
        }
        lastTime = max(lastTime, time)
        let key = LevelKey(symbol: s.rawValue, side: side, price: price)
        var level = levels[key] ?? Level()
        let t = stamp(time)
        let stock = Symbol(s.description)
        if size < level.total {
            var decrease = level.total - size
            // Trades at this price in this event: executions of the oldest orders.
            if var trades = pending[s.rawValue] {
                var k = 0
                while k < trades.count, decrease > 0 {
                    guard trades[k].price == price else { k += 1; continue }
                    var paid = UInt64(min(UInt64(trades[k].size), decrease))
                    decrease -= paid
                    trades[k].size -= UInt32(paid)
                    counters.executedShares &+= paid
                    while paid > 0, !level.refs.isEmpty {
                        let x = UInt32(min(UInt64(level.shares[0]), paid))
                        match &+= 1
                        let ref = OrderRef(rawValue: level.refs[0]), m = match
                        if emit({ ITCHEncoder.orderExecuted(into: $0, stockLocate: loc, timestamp: t, orderRef: ref, executedShares: Shares(rawValue: x),
                                                           matchNumber: m) }) { counters.executions &+= 1 }
                        level.shares[0] -= x
                        level.total -= UInt64(x)
                        paid -= UInt64(x)
                        if level.shares[0] == 0 {
                            level.refs.removeFirst()
                            level.shares.removeFirst()
                        }
                    }
                    if trades[k].size == 0 { trades.remove(at: k) } else { k += 1 }
                }
                pending[s.rawValue] = trades.isEmpty ? nil : trades
            }
            // The rest: cancels of the newest orders.
            while decrease > 0, let last = level.shares.last {
                let ref = OrderRef(rawValue: level.refs[level.refs.count - 1])
                if UInt64(last) <= decrease {
                    if emit({ ITCHEncoder.orderDelete(into: $0, stockLocate: loc, timestamp: t, orderRef: ref) }) { counters.deletes &+= 1 }
                    decrease -= UInt64(last)
                    level.total -= UInt64(last)
                    level.refs.removeLast()
                    level.shares.removeLast()
                } else {
                    let x = UInt32(decrease)
                    if emit({ ITCHEncoder.orderCancel(into: $0, stockLocate: loc, timestamp: t, orderRef: ref, cancelledShares: Shares(rawValue: x)) }) {
                        counters.cancels &+= 1
                    }
                    level.shares[level.shares.count - 1] -= x
                    level.total -= UInt64(x)
                    decrease = 0
                }
            }
        } else if size > level.total {
            let add = size - level.total
            guard add <= UInt64(UInt32.max), price >= 0, price <= Int64(UInt32.max) else {
                counters.unencodable &+= 1
                return
            }
            let ref = nextRef
            if emit({ ITCHEncoder.addOrder(into: $0, stockLocate: loc, timestamp: t, orderRef: OrderRef(rawValue: ref), side: side,
                                           shares: Shares(rawValue: UInt32(add)), stock: stock, price: Price(rawValue: price)) }) {
                nextRef &+= 1
                counters.adds &+= 1
                level.refs.append(ref)
                level.shares.append(UInt32(add))
                level.total = size
            }
        }
        levels[key] = level.total == 0 ? nil : level
        if side == .sell {
            if level.total == 0 { askPrices[s.rawValue]?.remove(price) } else { askPrices[s.rawValue, default: []].insert(price) }
        }
    }

    /// The trades of `s`'s event that no level paid for: hidden prints.
    mutating func flush(_ s: IEXSymbol) {
        guard let trades = pending.removeValue(forKey: s.rawValue), let loc = locate(s, time: trades.first?.time ?? 0) else { return }
        let stock = Symbol(s.description)
        for tr in trades where tr.size > 0 {
            // The side the price leans to: at or above the best ask a resting sell, else a buy.
            let ask = bestAsk(s)
            let side: Side = ask.map { tr.price >= $0 } ?? false ? .sell : .buy
            match &+= 1
            let m = match
            guard tr.price >= 0, tr.price <= Int64(UInt32.max) else {
                counters.unencodable &+= 1
                continue
            }
            let at = stamp(tr.time)
            if emit({ ITCHEncoder.trade(into: $0, stockLocate: loc, timestamp: at, orderRef: OrderRef(rawValue: 0), side: side,
                                        shares: Shares(rawValue: tr.size), stock: stock, price: Price(rawValue: tr.price), matchNumber: m) }) {
                counters.hiddenPrints &+= 1
                counters.printedShares &+= UInt64(tr.size)
            }
        }
    }

    func bestAsk(_ s: IEXSymbol) -> Int64? {
        if let q = quotes[s.rawValue], q.3 > 0 { return q.2 }
        return askPrices[s.rawValue]?.min()
    }

    /// A message of `s` at another time than its pending trades: their event is over.
    mutating func endEvent(_ s: IEXSymbol, at time: Int64) {
        if let first = pending[s.rawValue]?.first, first.time != time { flush(s) }
    }

    public mutating func onPriceLevelUpdate(_ m: IEXPriceLevelUpdate) {
        counters.levelUpdates &+= 1
        event[m.symbol.rawValue, default: []].append((m.side, m.price.rawValue, m.size.rawValue, m.timestamp))
        if m.isEventComplete { applyEvent(m.symbol) }
    }

    /// The symbol's open event: decreases first, then increases; then its unpaid trades.
    mutating func applyEvent(_ s: IEXSymbol) {
        guard let updates = event.removeValue(forKey: s.rawValue) else { return }
        endEvent(s, at: updates[0].3)
        func current(_ u: (Side, Int64, UInt32, Int64)) -> UInt64 { levels[LevelKey(symbol: s.rawValue, side: u.0, price: u.1)]?.total ?? 0 }
        // The last update of a level in the event is its size at the end.
        var last: [LevelKey: Int] = [:]
        for (i, u) in updates.enumerated() { last[LevelKey(symbol: s.rawValue, side: u.0, price: u.1)] = i }
        let final = last.values.sorted().map { updates[$0] }
        for u in final where UInt64(u.2) < current(u) { setLevel(s, u.0, price: u.1, size: UInt64(u.2), time: u.3) }
        for u in final where UInt64(u.2) > current(u) { setLevel(s, u.0, price: u.1, size: UInt64(u.2), time: u.3) }
        flush(s)
    }

    public mutating func onTradeReport(_ m: IEXTradeReport) {
        counters.trades &+= 1
        endEvent(m.symbol, at: m.timestamp)
        guard m.size.rawValue > 0 else { return }
        pending[m.symbol.rawValue, default: []].append(Trade(price: m.price.rawValue, size: m.size.rawValue, time: m.timestamp))
    }

    /// TOPS: the quote is the top level of each side; a price that moved empties the old level.
    public mutating func onQuoteUpdate(_ m: IEXQuoteUpdate) {
        counters.quoteUpdates &+= 1
        let s = m.symbol
        endEvent(s, at: m.timestamp)
        let old = quotes[s.rawValue] ?? (0, 0, 0, 0)
        let bid = (m.bidPrice.rawValue, m.bidSize.rawValue), ask = (m.askPrice.rawValue, m.askSize.rawValue)
        quotes[s.rawValue] = (bid.0, bid.1, ask.0, ask.1)
        if old.1 > 0, old.0 != bid.0 || bid.1 == 0 { setLevel(s, .buy, price: old.0, size: 0, time: m.timestamp) }
        if old.3 > 0, old.2 != ask.0 || ask.1 == 0 { setLevel(s, .sell, price: old.2, size: 0, time: m.timestamp) }
        if bid.1 > 0 { setLevel(s, .buy, price: bid.0, size: UInt64(bid.1), time: m.timestamp) }
        if ask.1 > 0 { setLevel(s, .sell, price: ask.0, size: UInt64(ask.1), time: m.timestamp) }
        flush(s)
    }

    /// Every open event applied and every pending trade printed (in symbol order: repeatable).
    mutating func flushAll() {
        for k in event.keys.sorted() { applyEvent(IEXSymbol(rawValue: k)) }
        for k in pending.keys.sorted() { flush(IEXSymbol(rawValue: k)) }
    }

    /// A restart cleared the DEEP book: every order deleted.
    public mutating func onBookCleared() {
        flushAll()
        counters.clears &+= 1
        let t = stamp(lastTime)
        for (key, level) in levels.sorted(by: { ($0.key.symbol, $0.key.side.rawValue, $0.key.price) < ($1.key.symbol, $1.key.side.rawValue, $1.key.price) }) {
            guard let l = locates[key.symbol] else { continue }
            for r in level.refs where emit({ ITCHEncoder.orderDelete(into: $0, stockLocate: StockLocate(rawValue: l), timestamp: t,
                                                                     orderRef: OrderRef(rawValue: r)) }) {
                counters.deletes &+= 1
            }
        }
        levels.removeAll()
        askPrices.removeAll()
        quotes.removeAll()
        pending.removeAll()
        event.removeAll()
    }

    /// Ends the last event (call after the replay).
    public mutating func finish() { flushAll() }
}
