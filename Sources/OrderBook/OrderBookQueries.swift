// Read-only queries of the order book, the book dump, and the invariant check used by tests.
public import TickwireCore

extension OrderBook {
    /// Live orders, all stocks.
    public var liveOrders: Int { state.pointee.liveOrders }

    /// Live price levels, all stocks and sides.
    public var liveLevels: Int { state.pointee.liveLevels }

    /// Message and anomaly counts since the book was made.
    public var counters: OrderBookCounters { state.pointee.counters }

    /// Best bid of a stock: price, total shares and order count of the top level.
    public func bestBid(_ locate: StockLocate) -> PriceLevel? { level(locate: locate, side: .buy, index: 0) }

    /// Best offer of a stock.
    public func bestAsk(_ locate: StockLocate) -> PriceLevel? { level(locate: locate, side: .sell, index: 0) }

    /// A stock's two best levels on each side in one call (what four `level` calls give; the
    /// strategies' `BookTop` is made from it on every touch change): the best levels come from
    /// the sides' copy of their top, so only a second level reads the sorted level array.
    public func touch(locate: StockLocate) -> (bid: PriceLevel?, ask: PriceLevel?, bid2: PriceLevel?, ask2: PriceLevel?) {
        let loc = Int(locate.rawValue)
        guard loc < locateCount else { return (nil, nil, nil, nil) }
        let b = sides[loc << 1], a = sides[loc << 1 | 1]
        return (b.count > 0 ? levelInfo(b.topLevel) : nil, a.count > 0 ? levelInfo(a.topLevel) : nil,
                b.count > 1 ? levelInfo(entries[Int(b.base) + Int(b.count) - 2].level) : nil,
                a.count > 1 ? levelInfo(entries[Int(a.base) + Int(a.count) - 2].level) : nil)
    }

    /// Number of price levels on one side of a stock.
    public func levelCount(locate: StockLocate, side: Side) -> Int {
        let loc = Int(locate.rawValue)
        guard loc < locateCount else { return 0 }
        return Int(sides[loc << 1 | (side == .sell ? 1 : 0)].count)
    }

    /// The best price of one side of a stock (nil when the side is empty), from the side's own
    /// record: no level is read.
    public func bestPrice(locate: StockLocate, side: Side) -> Price? {
        let loc = Int(locate.rawValue)
        guard loc < locateCount else { return nil }
        let i = loc << 1 | (side == .sell ? 1 : 0)
        guard sides[i].topLevel >= 0 else { return nil }
        return Price(rawValue: Self.key(i, sides[i].topKey))  // the sort key is its own inverse
    }

    /// The level `index` places from the best (0 = best), or nil past the last.
    public func level(locate: StockLocate, side: Side, index: Int) -> PriceLevel? {
        let loc = Int(locate.rawValue)
        guard loc < locateCount, index >= 0 else { return nil }
        let sb = sides[loc << 1 | (side == .sell ? 1 : 0)]
        let n = Int(sb.count)
        guard index < n else { return nil }
        // The best is kept in the side record too: no read of the level arena for it.
        return levelInfo(index == 0 ? sb.topLevel : entries[Int(sb.base) + n - 1 - index].level)
    }

    /// Calls `body` for each level of one side of a stock, best first (for the top N only, see
    /// `level(locate:side:index:)`).
    public func forEachLevel(locate: StockLocate, side: Side, _ body: (PriceLevel) -> Void) {
        let loc = Int(locate.rawValue)
        guard loc < locateCount else { return }
        let sb = sides[loc << 1 | (side == .sell ? 1 : 0)]
        var i = Int(sb.base) + Int(sb.count) - 1
        while i >= Int(sb.base) {
            body(levelInfo(entries[i].level))
            i -= 1
        }
    }

    /// Calls `body` with each order (reference, shares) of one price level in queue (FIFO) order,
    /// front first. Nothing if there is no such level.
    public func forEachOrder(locate: StockLocate, side: Side, price: Price, _ body: (OrderRef, Shares) -> Void) {
        let loc = Int(locate.rawValue)
        guard loc < locateCount else { return }
        let sideIndex = loc << 1 | (side == .sell ? 1 : 0)
        let sb = sides[sideIndex]
        let at = search(Int(sb.base), Int(sb.count), Self.key(sideIndex, price.rawValue))
        guard at.found else { return }
        var o = levels[Int(entries[Int(sb.base) + at.index].level)].head
        while o >= 0 {
            body(OrderRef(rawValue: orders[Int(o)].ref), Shares(rawValue: orders[Int(o)].shares))
            o = orders[Int(o)].next
        }
    }

    /// The order in live slot `o`, as `order(_:)` answers.
    @inline(__always)
    func liveOrder(_ o: Int32) -> BookOrder {
        let level = levels[Int(orders[Int(o)].level)]
        let sideIndex = Int(level.side)
        return BookOrder(locate: Self.locate(sideIndex), side: Self.side(sideIndex),
                         price: Price(rawValue: level.price), shares: Shares(rawValue: orders[Int(o)].shares))
    }

    /// A live order: stock, side, price and remaining shares.
    public func order(_ ref: OrderRef) -> BookOrder? {
        let o = lookup(ref.rawValue).handle
        guard o >= 0 else { return nil }
        return liveOrder(o)
    }

    /// `order(_:)` for a caller that asks about the same reference again and again (a strategy
    /// about its own orders, on every touch): `hint` is the order's slot from the last call
    /// (-1: none yet), read first; only when that slot no longer holds the reference live is
    /// the table searched, and `hint` updated. A reference is live in one slot at most (an add
    /// or replace to a live reference is refused), so the answer is `order(_:)`'s.
    public func order(_ ref: OrderRef, hint: inout Int32) -> BookOrder? {
        var o = hint
        if o < 0 || Int(o) >= orderCapacity || orders[Int(o)].ref != ref.rawValue || orders[Int(o)].level < 0 {
            o = lookup(ref.rawValue).handle
            hint = o
            guard o >= 0 else { return nil }
        }
        return liveOrder(o)
    }

    /// Shares and orders ahead of a live order in its level's queue (walks from the front).
    public func queuePosition(_ ref: OrderRef) -> QueuePosition? {
        let target = lookup(ref.rawValue).handle
        guard target >= 0 else { return nil }
        var shares: UInt64 = 0
        var count = 0
        var o = levels[Int(orders[Int(target)].level)].head
        while o != target {
            shares += UInt64(orders[Int(o)].shares)
            count += 1
            o = orders[Int(o)].next
        }
        return QueuePosition(sharesAhead: shares, ordersAhead: count)
    }

    func levelInfo(_ lv: Int32) -> PriceLevel {
        let l = levels[Int(lv)]
        return PriceLevel(price: Price(rawValue: l.price), shares: l.shares, orders: Int(l.count))
    }

    // MARK: - Dump

    /// Writes the book in the project's dump format, one line per price level (each passed to
    /// `write` with its trailing newline): stocks by ascending locate, bids best-first then asks
    /// best-first, `<locate> <symbol> <B|S> <price> <shares> <orders>`, the price as the raw
    /// integer in 1/10,000 dollars.
    public func dump(symbols: (StockLocate) -> String, write: (String) -> Void) {
        for loc in 0 ..< locateCount {
            let b = sides[loc << 1]
            let s = sides[loc << 1 | 1]
            if b.count == 0 && s.count == 0 { continue }
            let locate = StockLocate(rawValue: UInt16(loc))
            let prefix = "\(loc) \(symbols(locate)) "
            for side in [Side.buy, Side.sell] {
                forEachLevel(locate: locate, side: side) { l in
                    write("\(prefix)\(side.letter) \(l.price.rawValue) \(l.shares) \(l.orders)\n")
                }
            }
        }
    }

    /// The whole dump as one string.
    public func dump(symbols: (StockLocate) -> String) -> String {
        var out = ""
        dump(symbols: symbols) { out += $0 }
        return out
    }

    // MARK: - Invariants (for tests)

    /// Checks every structural invariant (hash table, queues, level totals, sorted sides, free
    /// lists, arena blocks) and returns the violations found; empty when the book is sound.
    /// O(everything): tests only.
    func invariantViolations() -> [String] {
        var errors: [String] = []
        func fail(_ s: String) { if errors.count < 20 { errors.append(s) } }
        let st = state.pointee

        // Hash table: each entry reachable from its home without crossing an empty slot, its distance
        // from home kept, runs in Robin Hood order (homes never decrease along a run),
        // handles point at live orders carrying the same ref, and no handle twice.
        var hashed = 0
        var seen = [Bool](repeating: false, count: orderCapacity)
        for i in 0 ... tableMask {
            let s = table[i]
            if s.handle < 0 { continue }
            hashed += 1
            var j = home(s.key)
            while j != i {
                if table[j].handle < 0 { fail("hash slot \(i) ref \(s.key) unreachable from home"); break }
                j = (j + 1) & tableMask
            }
            let d = (i - home(s.key)) & tableMask
            if Int(s.distance) != d { fail("hash slot \(i) ref \(s.key) keeps distance \(s.distance), is \(d) from home") }
            let next = table[(i + 1) & tableMask]
            if next.handle >= 0 && Int(next.distance) > d + 1 { fail("hash slot \((i + 1) & tableMask) out of Robin Hood order") }
            let o = Int(s.handle)
            guard o < orderCapacity else { fail("hash handle \(o) out of range"); continue }
            if seen[o] { fail("handle \(o) hashed twice") }
            seen[o] = true
            if orders[o].ref != s.key { fail("order \(o) ref \(orders[o].ref) != hashed \(s.key)") }
            if orders[o].level < 0 { fail("hashed order \(o) has no level") }
        }
        if hashed != st.liveOrders { fail("hashed \(hashed) != liveOrders \(st.liveOrders)") }

        // Sides: sorted keys, levels pointing back, queues consistent with totals.
        var levelsSeen = 0
        var ordersSeen = 0
        var levelSeen = [Bool](repeating: false, count: levelCapacity)
        for sideIndex in 0 ..< 2 * locateCount {
            let sb = sides[sideIndex]
            let n = Int(sb.count)
            if n == 0 {
                if sb.topLevel != -1 { fail("empty side \(sideIndex) has a top level") }
                continue
            }
            if sb.sizeClass < 0 { fail("side \(sideIndex) has levels and no block"); continue }
            if n > 1 << (minBlockShift + Int(sb.sizeClass)) { fail("side \(sideIndex) overflows its block") }
            if Int(sb.base) + n > st.arenaBump { fail("side \(sideIndex) beyond the arena bump") }
            let top = entries[Int(sb.base) + n - 1]
            if sb.topLevel != top.level || sb.topKey != top.key { fail("side \(sideIndex) top copy stale") }
            for i in 0 ..< n {
                let k = entries[Int(sb.base) + i].key
                if i > 0 && entries[Int(sb.base) + i - 1].key >= k { fail("side \(sideIndex) keys not ascending at \(i)") }
                let lv = Int(entries[Int(sb.base) + i].level)
                guard lv >= 0 && lv < levelCapacity else { fail("side \(sideIndex) bad level handle"); continue }
                if levelSeen[lv] { fail("level \(lv) listed twice") }
                levelSeen[lv] = true
                levelsSeen += 1
                let l = levels[lv]
                if Int(l.side) != sideIndex { fail("level \(lv) side \(l.side) != \(sideIndex)") }
                if Self.key(sideIndex, l.price) != k { fail("level \(lv) key mismatch") }
                if l.count <= 0 { fail("empty level \(lv) listed") }
                var o = l.head
                var prev: Int32 = -1
                var count = 0
                var shares: UInt64 = 0
                while o >= 0 && count <= orderCapacity {
                    let os = orders[Int(o)]
                    if os.prev != prev { fail("order \(o) prev link broken") }
                    if os.level != Int32(lv) { fail("order \(o) level \(os.level) != \(lv)") }
                    if os.side != l.side { fail("order \(o) side \(os.side) != level side \(l.side)") }
                    if !seen[Int(o)] { fail("queued order \(o) not hashed") }
                    if lookup(os.ref).handle != o { fail("order \(o) ref \(os.ref) does not look up to it") }
                    count += 1
                    shares += UInt64(os.shares)
                    prev = o
                    o = os.next
                }
                if l.tail != prev { fail("level \(lv) tail mismatch") }
                if count != Int(l.count) { fail("level \(lv) count \(l.count) != queue \(count)") }
                if shares != l.shares { fail("level \(lv) shares \(l.shares) != queue \(shares)") }
                ordersSeen += count
            }
        }
        if levelsSeen != st.liveLevels { fail("listed levels \(levelsSeen) != liveLevels \(st.liveLevels)") }
        if ordersSeen != st.liveOrders { fail("queued orders \(ordersSeen) != liveOrders \(st.liveOrders)") }

        // Free lists: exactly the slots not in use.
        var freeOrders = 0
        var o = st.orderFree
        while o >= 0 && freeOrders <= orderCapacity {
            if seen[Int(o)] { fail("live order \(o) on the free list") }
            freeOrders += 1
            o = orders[Int(o)].next
        }
        if freeOrders + st.liveOrders != orderCapacity { fail("free orders \(freeOrders) + live != capacity") }
        var freeLevels = 0
        var l = st.levelFree
        while l >= 0 && freeLevels <= levelCapacity {
            if levelSeen[Int(l)] { fail("live level \(l) on the free list") }
            freeLevels += 1
            l = levels[Int(l)].head
        }
        if freeLevels + st.liveLevels != levelCapacity { fail("free levels \(freeLevels) + live != capacity") }

        // Arena: side blocks and free blocks are disjoint and inside the bump pointer.
        var owner = [Int32](repeating: -1, count: st.arenaBump)
        func claim(_ base: Int, _ size: Int, _ who: Int32) {
            guard base >= 0, base + size <= st.arenaBump else { fail("block \(base)+\(size) beyond bump"); return }
            for i in base ..< base + size {
                if owner[i] != -1 { fail("arena slot \(i) owned twice"); return }
                owner[i] = who
            }
        }
        for sideIndex in 0 ..< 2 * locateCount where sides[sideIndex].sizeClass >= 0 {
            let sb = sides[sideIndex]
            claim(Int(sb.base), 1 << (minBlockShift + Int(sb.sizeClass)), Int32(sideIndex))
        }
        for c in 0 ..< Self.sizeClasses {
            var b = Int(classFree[c])
            var guardCount = 0
            while b >= 0 && guardCount <= st.arenaBump {
                claim(b, 1 << (minBlockShift + c), -2)
                b = Int(entries[b].level)
                guardCount += 1
            }
        }
        return errors
    }
}

extension OrderBook {
    /// Health of the reference hash table (a diagnostic, O(table size)): live entries, table
    /// slots, and the mean and longest distance of an entry from its home slot.
    public func hashStatistics() -> (entries: Int, slots: Int, meanDistance: Double, maxDistance: Int) {
        var entries = 0
        var total = 0
        var longest = 0
        for i in 0 ... tableMask where table[i].handle >= 0 {
            let d = (i - home(table[i].key)) & tableMask
            entries += 1
            total += d
            longest = max(longest, d)
        }
        return (entries, tableMask + 1, entries == 0 ? 0 : Double(total) / Double(entries), longest)
    }
}
