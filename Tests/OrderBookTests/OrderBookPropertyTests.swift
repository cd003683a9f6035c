// Random order flows applied to OrderBook and to the naive ReferenceBook must give the same
// results message by message, the same BBOs after every message, and the same books (levels,
// totals, FIFO order of refs, queue positions, orders, counters) every few messages.
import Testing
@testable import OrderBook
import TickwireCore

/// SplitMix64: a small, fast, seedable generator (Steele, Lea, Flood 2014).
/// (TickwireCore's.)
extension SplitMix64 {
    mutating func chance(_ percent: Int) -> Bool { below(100) < percent }
}

/// The fast book's levels in the reference's shape (refs in FIFO order).
func levels(of book: OrderBook, _ locate: UInt16, _ side: Side) -> [ReferenceBook.Level] {
    var out: [ReferenceBook.Level] = []
    book.forEachLevel(locate: StockLocate(rawValue: locate), side: side) { l in
        var refs: [UInt64] = []
        book.forEachOrder(locate: StockLocate(rawValue: locate), side: side, price: l.price) { ref, _ in refs.append(ref.rawValue) }
        #expect(refs.count == l.orders)
        out.append(ReferenceBook.Level(price: l.price.rawValue, shares: l.shares, refs: refs))
    }
    return out
}

/// Compares everything observable; returns false at the first difference (recorded as an issue).
@discardableResult
func expectSameBooks(_ book: OrderBook, _ ref: ReferenceBook, locates: Int, step: Int,
                     sourceLocation: SourceLocation = #_sourceLocation) -> Bool {
    #expect(book.liveOrders == ref.liveOrders, "live orders at step \(step)", sourceLocation: sourceLocation)
    #expect(book.counters == ref.counters, "counters at step \(step)", sourceLocation: sourceLocation)
    var levelCount = 0
    for loc in 0 ..< UInt16(locates) {
        for side in [Side.buy, .sell] {
            let mine = levels(of: book, loc, side)
            let theirs = ref.levels(loc, side)
            levelCount += mine.count
            #expect(book.levelCount(locate: StockLocate(rawValue: loc), side: side) == mine.count)
            guard mine == theirs else {
                Issue.record("locate \(loc) \(side) differs at step \(step):\n fast \(mine)\n  ref \(theirs)", sourceLocation: sourceLocation)
                return false
            }
            for (i, l) in theirs.enumerated() {
                let q = book.level(locate: StockLocate(rawValue: loc), side: side, index: i)
                #expect(q == PriceLevel(price: Price(rawValue: l.price), shares: l.shares, orders: l.refs.count))
            }
        }
    }
    #expect(book.liveLevels == levelCount, "live levels at step \(step)", sourceLocation: sourceLocation)
    for (r, o) in ref.orders {
        let mine = book.order(OrderRef(rawValue: r))
        #expect(mine == BookOrder(locate: StockLocate(rawValue: o.locate), side: o.side, price: Price(rawValue: o.price),
                                  shares: Shares(rawValue: o.shares)), "order \(r) at step \(step)", sourceLocation: sourceLocation)
        #expect(book.queuePosition(OrderRef(rawValue: r)) == ref.queuePosition(r), "queue position of \(r) at step \(step)",
                sourceLocation: sourceLocation)
    }
    let violations = book.invariantViolations()
    #expect(violations.isEmpty, "invariants at step \(step): \(violations)", sourceLocation: sourceLocation)
    return violations.isEmpty
}

/// A random flow over a few stocks and a narrow band of prices (so levels fill, empty and get
/// re-made all the time), with unknown refs, duplicate adds, over-executions, zero shares,
/// replaces at the same price, duplicate and reused new refs, and out-of-range locates.
struct RandomFlow {
    var rng: SplitMix64
    let locates: Int
    let priceBand: Int
    var nextRef: UInt64 = 1_000
    var live: [UInt64] = []
    var dead: [UInt64] = []

    init(seed: UInt64, locates: Int, priceBand: Int) {
        rng = SplitMix64(seed: seed)
        self.locates = locates
        self.priceBand = priceBand
    }

    mutating func freshRef() -> UInt64 {
        // Mostly sequential in steps of 1 or 4, sometimes a jump to far away numbers.
        if rng.chance(2) { return rng.next() | 1 << 63 }
        nextRef += rng.chance(50) ? 4 : 1
        return nextRef
    }

    mutating func price() -> Int64 {
        if rng.chance(3) { return Int64(rng.below(1_000_000)) * 100 }   // far away
        return Int64(10_000 + rng.below(priceBand)) * 100
    }

    mutating func shares() -> UInt32 {
        if rng.chance(2) { return 0 }
        return UInt32(1 + rng.below(rng.chance(20) ? 100_000 : 500))
    }

    mutating func someRef() -> UInt64 {
        let roll = rng.below(100)
        if roll < 80, !live.isEmpty { return live[rng.below(live.count)] }
        if roll < 90, !dead.isEmpty { return dead[rng.below(dead.count)] }
        return UInt64(rng.below(1 << 20)) + (1 << 40)   // never added
    }

    mutating func next(reference book: ReferenceBook) -> BookMessage {
        // Keep the generator's view of live refs in sync with the reference.
        live.removeAll { book.orders[$0] == nil }
        let roll = rng.below(100)
        if roll < 40 || live.isEmpty {
            var ref = freshRef()
            if rng.chance(4), !live.isEmpty { ref = live[rng.below(live.count)] }       // duplicate
            else if rng.chance(3), !dead.isEmpty { ref = dead[rng.below(dead.count)] }  // reused after removal
            var locate = UInt16(rng.below(locates))
            if rng.chance(1) { locate = UInt16(locates + rng.below(100)) }             // out of range
            let m = BookMessage.add(locate: StockLocate(rawValue: locate), ref: OrderRef(rawValue: ref),
                                    side: rng.chance(50) ? .buy : .sell, shares: Shares(rawValue: shares()),
                                    price: Price(rawValue: price()))
            live.append(ref)
            return m
        }
        let ref = someRef()
        if roll < 60 {
            var n = shares()
            if let o = book.orders[ref] {
                switch rng.below(4) {
                case 0: n = o.shares
                case 1: n = o.shares &+ UInt32(1 + rng.below(10))
                case 2: n = o.shares > 1 ? UInt32(1 + rng.below(Int(o.shares) - 1)) : 0
                default: break
                }
            }
            noteRemoval(ref, book)
            return roll < 52 ? .execute(ref: OrderRef(rawValue: ref), shares: Shares(rawValue: n))
                             : .cancel(ref: OrderRef(rawValue: ref), shares: Shares(rawValue: n))
        }
        if roll < 80 {
            noteRemoval(ref, book)
            return .delete(ref: OrderRef(rawValue: ref))
        }
        var new = freshRef()
        let r2 = rng.below(100)
        if r2 < 5, !live.isEmpty { new = live[rng.below(live.count)] }
        else if r2 < 7 { new = ref }
        else if r2 < 10, !dead.isEmpty { new = dead[rng.below(dead.count)] }
        var p = price()
        if let o = book.orders[ref], rng.chance(35) { p = o.price }
        noteRemoval(ref, book)
        live.append(new)
        return .replace(old: OrderRef(rawValue: ref), new: OrderRef(rawValue: new), shares: Shares(rawValue: shares()),
                        price: Price(rawValue: p))
    }

    mutating func noteRemoval(_ ref: UInt64, _ book: ReferenceBook) {
        if book.orders[ref] != nil, dead.count < 5_000 { dead.append(ref) }
    }
}

@Suite struct OrderBookPropertyTests {
    /// Applies `count` random messages to both books, checking every result and every BBO
    /// after every message, and the full state every `fullEvery` messages.
    @discardableResult
    func run(seed: UInt64, count: Int, locates: Int, priceBand: Int, levelsPerSide: Int, fullEvery: Int = 50,
             maxOrders: Int = 20_000) -> OrderBook {
        let book = try! OrderBook(configuration: OrderBookConfiguration(
            maxOrders: maxOrders, maxLocates: locates, levelsPerSide: levelsPerSide))
        let ref = ReferenceBook(maxLocates: locates)
        var flow = RandomFlow(seed: seed, locates: locates, priceBand: priceBand)
        var kinds = [Int](repeating: 0, count: 5)
        var outcomes = [Int](repeating: 0, count: 5)
        for step in 1 ... count {
            let m = flow.next(reference: ref)
            kinds[Int(m.kind.rawValue)] += 1
            let want = ref.apply(m)
            outcomes[Int(want.outcome.rawValue)] += 1
            let got = book.apply(m)
            guard got == want else {
                Issue.record("seed \(seed) step \(step) \(m): fast \(got) reference \(want)")
                return book
            }
            for loc in 0 ..< UInt16(locates) {
                guard book.bestBid(StockLocate(rawValue: loc)) == ref.top(loc, .buy),
                      book.bestAsk(StockLocate(rawValue: loc)) == ref.top(loc, .sell) else {
                    Issue.record("seed \(seed) step \(step): BBO of locate \(loc) differs")
                    return book
                }
            }
            if step % fullEvery == 0 {
                guard expectSameBooks(book, ref, locates: locates, step: step) else { return book }
            }
        }
        expectSameBooks(book, ref, locates: locates, step: count)
        // The flow really exercised every kind of message and every outcome.
        #expect(kinds.allSatisfy { $0 > 0 }, "message kinds \(kinds)")
        #expect(outcomes.allSatisfy { $0 > 0 }, "outcomes \(outcomes)")  // capacity: out-of-range locates
        return book
    }

    @Test(arguments: [1, 2, 3, 4, 5, 6] as [UInt64])
    func fewStocksNarrowPrices(seed: UInt64) {
        run(seed: seed, count: 4_000, locates: 3, priceBand: 6, levelsPerSide: 1)
    }

    @Test(arguments: [11, 12, 13] as [UInt64])
    func manyStocksWiderPrices(seed: UInt64) {
        run(seed: seed, count: 6_000, locates: 40, priceBand: 40, levelsPerSide: 2, fullEvery: 200)
    }

    @Test(arguments: [31, 32, 33] as [UInt64])
    func crowdedTable(seed: UInt64) {
        // A reference table of 2,048 slots (8 blocks of 256): the runs of consecutive
        // references of different blocks overlap, so inserts move runs on and deletes move them
        // back (Robin Hood order, checked with the rest every 25 messages).
        let book = run(seed: seed, count: 5_000, locates: 3, priceBand: 12, levelsPerSide: 2, fullEvery: 25, maxOrders: 1_000)
        #expect(book.hashStatistics().slots == 2_048)
        #expect(book.hashStatistics().maxDistance >= 2, "the table was not crowded: \(book.hashStatistics())")
    }

    @Test(arguments: [21, 22] as [UInt64])
    func deepBooks(seed: UInt64) {
        // One stock, many levels: the sorted arrays grow through several arena blocks and the
        // binary search past the last 8 levels is used.
        run(seed: seed, count: 5_000, locates: 1, priceBand: 300, levelsPerSide: 4, fullEvery: 100)
    }
}
