import Testing
@testable import OrderBook
import TickwireCore

// Short names for the scalars, tests only.
func L(_ v: UInt16) -> StockLocate { StockLocate(rawValue: v) }
func R(_ v: UInt64) -> OrderRef { OrderRef(rawValue: v) }
func Q(_ v: UInt32) -> Shares { Shares(rawValue: v) }
func P(_ v: Int64) -> Price { Price(rawValue: v) }

func makeBook(maxOrders: Int = 1_000, maxLocates: Int = 16, levelsPerSide: Int = 4,
              maxLevels: Int? = nil, levelArenaSlots: Int? = nil) -> OrderBook {
    try! OrderBook(configuration: OrderBookConfiguration(
        maxOrders: maxOrders, maxLocates: maxLocates, levelsPerSide: levelsPerSide,
        maxLevels: maxLevels, levelArenaSlots: levelArenaSlots))
}

/// Refs of one level in queue order.
func fifo(_ book: OrderBook, _ locate: UInt16, _ side: Side, _ price: Int64) -> [UInt64] {
    var refs: [UInt64] = []
    book.forEachOrder(locate: L(locate), side: side, price: P(price)) { r, _ in refs.append(r.rawValue) }
    return refs
}

func expectSound(_ book: OrderBook, sourceLocation: SourceLocation = #_sourceLocation) {
    let v = book.invariantViolations()
    #expect(v.isEmpty, "\(v)", sourceLocation: sourceLocation)
}

@Suite struct OrderBookTests {
    @Test func fifoPriorityWithinALevel() {
        let book = makeBook()
        for r in [10, 11, 12] as [UInt64] {
            #expect(book.add(locate: L(1), ref: R(r), side: .buy, shares: Q(100), price: P(1_000_000)).outcome == .applied)
        }
        #expect(fifo(book, 1, .buy, 1_000_000) == [10, 11, 12])
        #expect(book.bestBid(L(1)) == PriceLevel(price: P(1_000_000), shares: 300, orders: 3))
        // Executions hit the front.
        _ = book.execute(ref: R(10), shares: Q(100))
        #expect(fifo(book, 1, .buy, 1_000_000) == [11, 12])
        expectSound(book)
    }

    @Test func pricePriorityAcrossLevels() {
        let book = makeBook()
        _ = book.add(locate: L(2), ref: R(1), side: .buy, shares: Q(100), price: P(99_0000))
        _ = book.add(locate: L(2), ref: R(2), side: .buy, shares: Q(200), price: P(101_0000))
        _ = book.add(locate: L(2), ref: R(3), side: .buy, shares: Q(300), price: P(100_0000))
        _ = book.add(locate: L(2), ref: R(4), side: .sell, shares: Q(10), price: P(103_0000))
        _ = book.add(locate: L(2), ref: R(5), side: .sell, shares: Q(20), price: P(102_0000))
        _ = book.add(locate: L(2), ref: R(6), side: .sell, shares: Q(30), price: P(104_0000))
        var bids: [Int64] = []
        book.forEachLevel(locate: L(2), side: .buy) { bids.append($0.price.rawValue) }
        var asks: [Int64] = []
        book.forEachLevel(locate: L(2), side: .sell) { asks.append($0.price.rawValue) }
        #expect(bids == [101_0000, 100_0000, 99_0000])
        #expect(asks == [102_0000, 103_0000, 104_0000])
        #expect(book.level(locate: L(2), side: .sell, index: 1) == PriceLevel(price: P(103_0000), shares: 10, orders: 1))
        #expect(book.level(locate: L(2), side: .sell, index: 3) == nil)
        #expect(book.level(locate: L(2), side: .sell, index: -1) == nil)
        #expect(book.levelCount(locate: L(2), side: .buy) == 3)
        #expect(book.bestAsk(L(3)) == nil)
        #expect(book.bestBid(L(500)) == nil, "a locate beyond the configured range is simply empty")
        expectSound(book)
    }

    @Test func partialExecutionThenFull() {
        let book = makeBook()
        _ = book.add(locate: L(1), ref: R(7), side: .sell, shares: Q(500), price: P(20_0000))
        let r = book.execute(ref: R(7), shares: Q(200))
        #expect(r == BookUpdate(outcome: .applied, bboChanged: true, side: .sell, locate: L(1)))
        #expect(book.order(R(7)) == BookOrder(locate: L(1), side: .sell, price: P(20_0000), shares: Q(300)))
        #expect(book.bestAsk(L(1)) == PriceLevel(price: P(20_0000), shares: 300, orders: 1))
        #expect(book.execute(ref: R(7), shares: Q(300)).outcome == .applied)
        #expect(book.order(R(7)) == nil)
        #expect(book.bestAsk(L(1)) == nil)
        #expect(book.liveOrders == 0 && book.liveLevels == 0)
        #expect(book.counters.executes == 2)
        expectSound(book)
    }

    @Test func cancelIsPartialAndDeleteRemoves() {
        let book = makeBook()
        _ = book.add(locate: L(3), ref: R(1), side: .buy, shares: Q(1_000), price: P(5_0000))
        _ = book.add(locate: L(3), ref: R(2), side: .buy, shares: Q(400), price: P(5_0000))
        #expect(book.cancel(ref: R(1), shares: Q(600)).outcome == .applied)
        #expect(book.order(R(1))?.shares == Q(400))
        #expect(fifo(book, 3, .buy, 5_0000) == [1, 2], "a partial cancel keeps priority")
        #expect(book.bestBid(L(3)) == PriceLevel(price: P(5_0000), shares: 800, orders: 2))
        #expect(book.delete(ref: R(1)) == BookUpdate(outcome: .applied, bboChanged: true, side: .buy, locate: L(3)))
        #expect(book.bestBid(L(3)) == PriceLevel(price: P(5_0000), shares: 400, orders: 1))
        #expect(book.cancel(ref: R(2), shares: Q(400)).outcome == .applied, "cancelling all of it removes it")
        #expect(book.liveOrders == 0)
        #expect(book.counters.cancels == 2 && book.counters.deletes == 1)
        expectSound(book)
    }

    @Test func replaceLosesPriorityEvenAtTheSamePrice() {
        let book = makeBook()
        for r in [1, 2, 3] as [UInt64] {
            _ = book.add(locate: L(1), ref: R(r), side: .buy, shares: Q(100), price: P(10_0000))
        }
        // Same price, same size: to the back, the top level's totals unchanged.
        let u = book.replace(old: R(1), new: R(4), shares: Q(100), price: P(10_0000))
        #expect(u == BookUpdate(outcome: .applied, bboChanged: false, side: .buy, locate: L(1)))
        #expect(fifo(book, 1, .buy, 10_0000) == [2, 3, 4])
        #expect(book.order(R(1)) == nil)
        // Same price, new size: to the back, BBO size changed.
        let v = book.replace(old: R(2), new: R(5), shares: Q(50), price: P(10_0000))
        #expect(v.bboChanged)
        #expect(fifo(book, 1, .buy, 10_0000) == [3, 4, 5])
        #expect(book.bestBid(L(1)) == PriceLevel(price: P(10_0000), shares: 250, orders: 3))
        // The last order replaced at its own price stays last.
        #expect(book.replace(old: R(5), new: R(6), shares: Q(60), price: P(10_0000)).outcome == .applied)
        #expect(fifo(book, 1, .buy, 10_0000) == [3, 4, 6])
        // A new price: to the back of that level, keeping side and stock.
        _ = book.add(locate: L(1), ref: R(7), side: .buy, shares: Q(10), price: P(9_0000))
        #expect(book.replace(old: R(3), new: R(8), shares: Q(70), price: P(9_0000)).bboChanged)
        #expect(fifo(book, 1, .buy, 9_0000) == [7, 8])
        #expect(book.order(R(8)) == BookOrder(locate: L(1), side: .buy, price: P(9_0000), shares: Q(70)))
        #expect(book.counters.replaces == 4)
        expectSound(book)
    }

    @Test func replaceEdgeCases() {
        let book = makeBook()
        _ = book.add(locate: L(4), ref: R(1), side: .sell, shares: Q(100), price: P(10_0000))
        _ = book.add(locate: L(4), ref: R(2), side: .sell, shares: Q(100), price: P(11_0000))
        // Unknown old: nothing added.
        #expect(book.replace(old: R(99), new: R(100), shares: Q(1), price: P(1)).outcome == .unknownRef)
        #expect(book.order(R(100)) == nil)
        // New ref already live, or equal to the old one: refused, book unchanged.
        #expect(book.replace(old: R(1), new: R(2), shares: Q(5), price: P(12_0000))
                == BookUpdate(outcome: .duplicateRef, bboChanged: false, side: .sell, locate: L(4)))
        #expect(book.replace(old: R(1), new: R(1), shares: Q(5), price: P(12_0000)).outcome == .duplicateRef)
        #expect(book.order(R(1)) == BookOrder(locate: L(4), side: .sell, price: P(10_0000), shares: Q(100)))
        #expect(book.counters.duplicateRefs == 2 && book.counters.unknownRefs == 1)
        // Moving the only order of the best level away: BBO changes, old level gone.
        #expect(book.replace(old: R(1), new: R(3), shares: Q(100), price: P(12_0000)).bboChanged)
        #expect(book.bestAsk(L(4)) == PriceLevel(price: P(11_0000), shares: 100, orders: 1))
        #expect(book.levelCount(locate: L(4), side: .sell) == 2)
        // An old ref may be added again once it is gone.
        #expect(book.add(locate: L(4), ref: R(1), side: .buy, shares: Q(1), price: P(1_0000)).outcome == .applied)
        expectSound(book)
    }

    /// The hinted lookup answers as `order(_:)` does whatever the hint: none yet, right, a slot
    /// freed, a slot reused by another order, a reference replaced, nonsense.
    @Test func aHintedLookupAnswersAsTheTableDoes() {
        let book = makeBook(maxOrders: 8)
        var hint: Int32 = -1
        _ = book.add(locate: L(1), ref: R(10), side: .buy, shares: Q(100), price: P(1_000))
        #expect(book.order(R(10), hint: &hint) == book.order(R(10)))
        let first = hint
        #expect(first >= 0)
        _ = book.execute(ref: R(10), shares: Q(40))
        #expect(book.order(R(10), hint: &hint) == book.order(R(10)))
        #expect(hint == first, "a right hint is kept")
        // Replaced: the slot now holds the new reference; the old one is gone.
        _ = book.replace(old: R(10), new: R(11), shares: Q(50), price: P(1_001))
        #expect(book.order(R(10), hint: &hint) == nil)
        var newHint = first
        #expect(book.order(R(11), hint: &newHint) == book.order(R(11)))
        // Deleted, and the freed slot taken by another stock's order: no answer for 11 from it.
        _ = book.delete(ref: R(11))
        #expect(book.order(R(11), hint: &newHint) == nil)
        _ = book.add(locate: L(2), ref: R(12), side: .sell, shares: Q(7), price: P(2_000))
        var stale = first
        #expect(book.order(R(11), hint: &stale) == nil)
        #expect(book.order(R(12), hint: &stale) == BookOrder(locate: L(2), side: .sell, price: P(2_000), shares: Q(7)))
        // Re-added under a reference the hint's slot once held, elsewhere: found by the table.
        _ = book.add(locate: L(3), ref: R(11), side: .buy, shares: Q(3), price: P(900))
        var old = first
        #expect(book.order(R(11), hint: &old) == BookOrder(locate: L(3), side: .buy, price: P(900), shares: Q(3)))
        for bad: Int32 in [-5, 8, 1_000, .max] {
            var h = bad
            #expect(book.order(R(12), hint: &h) == book.order(R(12)), "hint \(bad)")
        }
        expectSound(book)
    }

    @Test func queuePositionCountsSharesAndOrdersAhead() {
        let book = makeBook()
        _ = book.add(locate: L(1), ref: R(1), side: .sell, shares: Q(100), price: P(7_0000))
        _ = book.add(locate: L(1), ref: R(2), side: .sell, shares: Q(250), price: P(7_0000))
        _ = book.add(locate: L(1), ref: R(3), side: .sell, shares: Q(50), price: P(7_0000))
        _ = book.add(locate: L(1), ref: R(4), side: .sell, shares: Q(75), price: P(7_0100))
        #expect(book.queuePosition(R(1)) == QueuePosition(sharesAhead: 0, ordersAhead: 0))
        #expect(book.queuePosition(R(3)) == QueuePosition(sharesAhead: 350, ordersAhead: 2))
        #expect(book.queuePosition(R(4)) == QueuePosition(sharesAhead: 0, ordersAhead: 0), "ahead at its own level only")
        _ = book.execute(ref: R(1), shares: Q(60))
        #expect(book.queuePosition(R(3)) == QueuePosition(sharesAhead: 290, ordersAhead: 2))
        _ = book.delete(ref: R(2))
        #expect(book.queuePosition(R(3)) == QueuePosition(sharesAhead: 40, ordersAhead: 1))
        #expect(book.queuePosition(R(99)) == nil)
    }

    @Test func bboChangeFlag() {
        let book = makeBook()
        func add(_ r: UInt64, _ side: Side, _ q: UInt32, _ p: Int64) -> Bool {
            book.add(locate: L(5), ref: R(r), side: side, shares: Q(q), price: P(p)).bboChanged
        }
        #expect(add(1, .buy, 100, 100), "first bid")
        #expect(add(2, .buy, 100, 99) == false, "below the best")
        #expect(add(3, .buy, 100, 100), "joins the best: size changes")
        #expect(add(4, .buy, 100, 101), "improves")
        #expect(add(5, .sell, 100, 105), "first offer")
        #expect(add(6, .sell, 100, 106) == false)
        #expect(book.execute(ref: R(2), shares: Q(10)).bboChanged == false, "not at the top")
        #expect(book.execute(ref: R(4), shares: Q(0)).bboChanged == false, "zero shares change nothing")
        #expect(book.cancel(ref: R(4), shares: Q(10)).bboChanged)
        #expect(book.delete(ref: R(6)).bboChanged == false)
        #expect(book.delete(ref: R(4)).bboChanged, "best level emptied: the next one is the top")
        #expect(book.bestBid(L(5)) == PriceLevel(price: P(100), shares: 200, orders: 2))
        let u = book.delete(ref: R(5))
        #expect(u == BookUpdate(outcome: .applied, bboChanged: true, side: .sell, locate: L(5)))
        #expect(book.bestAsk(L(5)) == nil)
        #expect(book.replace(old: R(2), new: R(7), shares: Q(100), price: P(98)).bboChanged == false, "deep to deeper")
        #expect(book.replace(old: R(7), new: R(8), shares: Q(100), price: P(102)).bboChanged, "deep to a new best")
        #expect(book.delete(ref: R(999)).bboChanged == false)
    }

    @Test func unknownRefsAreCountedNeverFatal() {
        let book = makeBook()
        #expect(book.execute(ref: R(1), shares: Q(100)) == BookUpdate(outcome: .unknownRef, bboChanged: false, side: .buy, locate: L(0)))
        #expect(book.cancel(ref: R(2), shares: Q(100)).outcome == .unknownRef)
        #expect(book.delete(ref: R(3)).outcome == .unknownRef)
        #expect(book.replace(old: R(4), new: R(5), shares: Q(1), price: P(1)).outcome == .unknownRef)
        #expect(book.counters.unknownRefs == 4)
        #expect(book.liveOrders == 0)
        // A removed order is unknown afterwards.
        _ = book.add(locate: L(1), ref: R(6), side: .buy, shares: Q(1), price: P(1))
        _ = book.delete(ref: R(6))
        #expect(book.delete(ref: R(6)).outcome == .unknownRef)
        #expect(book.counters.unknownRefs == 5)
        expectSound(book)
    }

    @Test func duplicateAddsAreCountedAndIgnored() {
        let book = makeBook()
        #expect(book.add(locate: L(1), ref: R(42), side: .buy, shares: Q(100), price: P(10)).outcome == .applied)
        let d = book.add(locate: L(2), ref: R(42), side: .sell, shares: Q(7), price: P(20))
        #expect(d == BookUpdate(outcome: .duplicateRef, bboChanged: false, side: .sell, locate: L(2)))
        #expect(book.order(R(42)) == BookOrder(locate: L(1), side: .buy, price: P(10), shares: Q(100)))
        #expect(book.bestAsk(L(2)) == nil)
        #expect(book.counters.duplicateRefs == 1 && book.counters.adds == 1)
        expectSound(book)
    }

    @Test func overExecutionRemovesAndCounts() {
        let book = makeBook()
        _ = book.add(locate: L(1), ref: R(1), side: .buy, shares: Q(100), price: P(10))
        _ = book.add(locate: L(1), ref: R(2), side: .buy, shares: Q(100), price: P(10))
        #expect(book.execute(ref: R(1), shares: Q(150)) == BookUpdate(outcome: .overExecution, bboChanged: true, side: .buy, locate: L(1)))
        #expect(book.order(R(1)) == nil)
        #expect(book.cancel(ref: R(2), shares: Q(101)).outcome == .overExecution)
        #expect(book.counters.overExecutions == 2)
        #expect(book.counters.executes == 1 && book.counters.cancels == 1)
        #expect(book.liveOrders == 0 && book.bestBid(L(1)) == nil)
        expectSound(book)
    }

    @Test func orderCapacityIsRefusedNotFatal() {
        let book = makeBook(maxOrders: 3)
        for r in 1 ... 3 as ClosedRange<UInt64> {
            #expect(book.add(locate: L(1), ref: R(r), side: .buy, shares: Q(1), price: P(Int64(r))).outcome == .applied)
        }
        let refused = book.add(locate: L(1), ref: R(4), side: .buy, shares: Q(1), price: P(100))
        #expect(refused == BookUpdate(outcome: .capacityExceeded, bboChanged: false, side: .buy, locate: L(1)))
        #expect(book.counters.capacityExceeded == 1)
        #expect(book.bestBid(L(1))?.price == P(3))
        _ = book.delete(ref: R(2))
        #expect(book.add(locate: L(1), ref: R(4), side: .buy, shares: Q(1), price: P(100)).outcome == .applied)
        expectSound(book)
    }

    @Test func levelAndLocateCapacity() {
        let book = makeBook(maxOrders: 10, maxLocates: 4, maxLevels: 2)
        _ = book.add(locate: L(1), ref: R(1), side: .buy, shares: Q(10), price: P(10))
        _ = book.add(locate: L(1), ref: R(2), side: .buy, shares: Q(10), price: P(10))
        _ = book.add(locate: L(2), ref: R(3), side: .sell, shares: Q(10), price: P(20))
        #expect(book.add(locate: L(1), ref: R(4), side: .buy, shares: Q(10), price: P(11)).outcome == .capacityExceeded,
                "a third level")
        #expect(book.add(locate: L(1), ref: R(4), side: .buy, shares: Q(10), price: P(10)).outcome == .applied,
                "an existing level needs no new one")
        #expect(book.add(locate: L(4), ref: R(5), side: .buy, shares: Q(10), price: P(10)).outcome == .capacityExceeded,
                "locate 4 is beyond maxLocates 4")
        // A replace to a new price with no level left: the old order is gone, the new not added.
        let r = book.replace(old: R(1), new: R(6), shares: Q(10), price: P(12))
        #expect(r == BookUpdate(outcome: .capacityExceeded, bboChanged: true, side: .buy, locate: L(1)))
        #expect(book.order(R(1)) == nil && book.order(R(6)) == nil)
        #expect(fifo(book, 1, .buy, 10) == [2, 4])
        #expect(book.counters.capacityExceeded == 3)
        // A replace that empties its own level frees it for the new price.
        #expect(book.replace(old: R(3), new: R(7), shares: Q(5), price: P(21)).outcome == .applied)
        #expect(book.bestAsk(L(2)) == PriceLevel(price: P(21), shares: 5, orders: 1))
        expectSound(book)
    }

    @Test func levelArenaGrowsReusesSplitsAndRefuses() {
        // Minimum block 1 slot, 64 slots in all. One side grows to 32 levels through blocks of
        // 1, 2, 4, 8, 16 and 32 (63 slots, the smaller ones freed); then single-level sides take
        // the freed blocks, the last bump slot, then halves split off larger free blocks, until
        // the arena is full.
        let book = makeBook(maxOrders: 1_000, maxLocates: 200, levelsPerSide: 1, levelArenaSlots: 64)
        for i in 0 ..< 32 {
            #expect(book.add(locate: L(0), ref: R(UInt64(i)), side: .buy, shares: Q(1), price: P(Int64(100 + i))).outcome == .applied)
        }
        #expect(book.levelCount(locate: L(0), side: .buy) == 32)
        expectSound(book)
        var placed = 0
        var refusedAt: Int?
        for loc in 1 ..< 100 as Range<UInt16> {
            let r = book.add(locate: L(loc), ref: R(1_000 + UInt64(loc)), side: .sell, shares: Q(1), price: P(50))
            if r.outcome == .applied { placed += 1 } else {
                #expect(r.outcome == .capacityExceeded)
                refusedAt = Int(loc)
                break
            }
            expectSound(book)
        }
        #expect(placed == 32, "31 freed slots plus 1 bump slot")
        #expect(refusedAt == 33)
        // The full side can still use its own block, and its deep levels still work.
        #expect(book.add(locate: L(0), ref: R(5_000), side: .buy, shares: Q(1), price: P(100)).outcome == .applied)
        #expect(book.delete(ref: R(0)).outcome == .applied)
        #expect(book.level(locate: L(0), side: .buy, index: 31) == PriceLevel(price: P(100), shares: 1, orders: 1))
        expectSound(book)
    }

    @Test func dumpFormat() {
        let book = makeBook()
        _ = book.add(locate: L(7), ref: R(1), side: .buy, shares: Q(100), price: P(1_234_500))
        _ = book.add(locate: L(7), ref: R(2), side: .buy, shares: Q(50), price: P(1_234_500))
        _ = book.add(locate: L(7), ref: R(3), side: .buy, shares: Q(10), price: P(1_230_000))
        _ = book.add(locate: L(7), ref: R(4), side: .sell, shares: Q(300), price: P(1_240_000))
        _ = book.add(locate: L(7), ref: R(5), side: .sell, shares: Q(20), price: P(1_235_000))
        _ = book.add(locate: L(2), ref: R(6), side: .sell, shares: Q(1), price: P(99))
        let symbols: [UInt16: String] = [2: "AAPL", 7: "MSFT"]
        let text = book.dump { symbols[$0.rawValue] ?? "?" }
        #expect(text == """
            2 AAPL S 99 1 1
            7 MSFT B 1234500 150 2
            7 MSFT B 1230000 10 1
            7 MSFT S 1235000 20 1
            7 MSFT S 1240000 300 1

            """)
        var lines: [String] = []
        book.dump(symbols: { _ in "X" }) { lines.append($0) }
        #expect(lines.count == 5 && lines.allSatisfy { $0.hasSuffix("\n") })
        #expect(makeBook().dump { _ in "X" } == "")
    }

    @Test func manyStocksStayApart() {
        let book = makeBook(maxOrders: 100_000, maxLocates: 65_536, levelsPerSide: 2)
        // 5,000 stocks, each with 3 bid and 3 ask levels of 2 orders, prices depending on the stock.
        var ref: UInt64 = 1
        for loc in 0 ..< 5_000 {
            let mid = Int64(10_000 + loc * 7)
            for k in 0 ..< 3 {
                for _ in 0 ..< 2 {
                    _ = book.add(locate: L(UInt16(loc)), ref: R(ref), side: .buy, shares: Q(UInt32(loc + 1)), price: P(mid - 1 - Int64(k)))
                    ref += 1
                    _ = book.add(locate: L(UInt16(loc)), ref: R(ref), side: .sell, shares: Q(UInt32(loc + 1)), price: P(mid + 1 + Int64(k)))
                    ref += 1
                }
            }
        }
        #expect(book.liveOrders == 60_000 && book.liveLevels == 30_000)
        for loc in stride(from: 0, to: 5_000, by: 37) {
            let mid = Int64(10_000 + loc * 7)
            #expect(book.bestBid(L(UInt16(loc))) == PriceLevel(price: P(mid - 1), shares: UInt64(2 * (loc + 1)), orders: 2))
            #expect(book.bestAsk(L(UInt16(loc))) == PriceLevel(price: P(mid + 1), shares: UInt64(2 * (loc + 1)), orders: 2))
            #expect(book.levelCount(locate: L(UInt16(loc)), side: .sell) == 3)
        }
        #expect(book.bestBid(L(5_000)) == nil && book.bestBid(L(65_535)) == nil)
        // Clearing one stock leaves the others alone.
        for r in 1 ... 12 as ClosedRange<UInt64> { _ = book.delete(ref: R(r)) }
        #expect(book.bestBid(L(0)) == nil && book.bestAsk(L(0)) == nil)
        #expect(book.bestBid(L(1)) == PriceLevel(price: P(10_006), shares: 4, orders: 2))
        let dumped = book.dump { _ in "S" }
        #expect(dumped.split(separator: "\n").count == 30_000 - 6)
        #expect(dumped.hasPrefix("1 S B 10006 4 2\n"))
        expectSound(book)
    }

    /// The morning build-up: hundreds of thousands of orders from NASDAQ's four interleaved
    /// sequences, all still live (the densest the table gets), keep probes short.
    @Test func denseNASDAQMorningKeepsProbesShort() {
        let book = makeBook(maxOrders: 1_000_000, maxLocates: 4)
        let bases: [UInt64] = [5_676_634, 7_856_425, 9_899_132, 7_508_039]
        var n = 0
        for i in 0 ..< 100_000 as Range<UInt64> {
            for b in bases {
                _ = book.add(locate: L(UInt16(n % 4)), ref: R(b + 4 * i), side: n % 2 == 0 ? .buy : .sell, shares: Q(1), price: P(Int64(n % 100)))
                n += 1
            }
        }
        let stats = book.hashStatistics()
        #expect(stats.entries == 400_000)
        #expect(stats.meanDistance < 2, "mean probe distance \(stats.meanDistance)")
        #expect(stats.maxDistance < 256, "max probe distance \(stats.maxDistance)")
    }

    @Test func referenceTableFollowsAKnownPeak() {
        // 2 slots per order of the capacity; 8 per order of a known peak when that is more; a
        // peak above the capacity counts as the capacity.
        func slots(_ maxOrders: Int, _ peak: Int?) -> Int {
            (try! OrderBook(configuration: OrderBookConfiguration(maxOrders: maxOrders, maxLocates: 4, peakOrders: peak))).hashStatistics().slots
        }
        #expect(slots(1_000, nil) == 2_048)
        #expect(slots(1_000, 100) == 2_048)
        #expect(slots(1_000, 600) == 8_192)
        #expect(slots(1_000, 5_000) == 8_192)
        #expect(slots(1_000, -1) == 2_048)
    }

    @Test func awkwardReferencesHashWell() {
        // Stepping by powers of two, only high bits differing, extreme values: all must go in,
        // be found, and come out, with short probe distances. (The table is sized as a real
        // book's: several times the live orders. Blocks of 256 consecutive references share a
        // page, so in a table of only a few hundred blocks dense runs would meet often.)
        let book = makeBook(maxOrders: 400_000, maxLocates: 4)
        var refs: [UInt64] = [0, 1, .max, .max - 1, 1 << 63]
        for i in 1 ..< 10_000 as Range<UInt64> { refs.append(i << 32) }
        for i in 0 ..< 10_000 as Range<UInt64> { refs.append(7 + i * 4) }
        for i in 0 ..< 10_000 as Range<UInt64> { refs.append((i << 48) | 3) }
        for (i, r) in refs.enumerated() {
            let u = book.add(locate: L(UInt16(i % 4)), ref: R(r), side: i % 2 == 0 ? .buy : .sell, shares: Q(1), price: P(Int64(i % 50)))
            #expect(u.outcome == .applied, "ref \(r)")
        }
        let stats = book.hashStatistics()
        #expect(stats.entries == refs.count)
        #expect(stats.meanDistance < 4, "mean probe distance \(stats.meanDistance)")
        for r in refs { #expect(book.order(R(r)) != nil) }
        expectSound(book)
        for r in refs.reversed() { #expect(book.delete(ref: R(r)).outcome == .applied) }
        #expect(book.liveOrders == 0 && book.liveLevels == 0)
        #expect(book.hashStatistics().entries == 0)
        expectSound(book)
    }

    @Test func extremePricesAndZeroShares() {
        let book = makeBook()
        _ = book.add(locate: L(1), ref: R(1), side: .sell, shares: Q(1), price: P(.max))
        _ = book.add(locate: L(1), ref: R(2), side: .sell, shares: Q(1), price: P(.min))
        _ = book.add(locate: L(1), ref: R(3), side: .buy, shares: Q(0), price: P(.min))
        _ = book.add(locate: L(1), ref: R(4), side: .buy, shares: Q(.max), price: P(.max))
        _ = book.add(locate: L(1), ref: R(5), side: .buy, shares: Q(.max), price: P(.max))
        #expect(book.bestAsk(L(1))?.price == P(.min))
        #expect(book.level(locate: L(1), side: .sell, index: 1)?.price == P(.max))
        #expect(book.bestBid(L(1)) == PriceLevel(price: P(.max), shares: 2 * UInt64(UInt32.max), orders: 2))
        #expect(book.level(locate: L(1), side: .buy, index: 1) == PriceLevel(price: P(.min), shares: 0, orders: 1))
        #expect(book.execute(ref: R(3), shares: Q(0)).outcome == .applied, "0 of 0 shares: filled")
        #expect(book.order(R(3)) == nil)
        expectSound(book)
    }

    @Test func invalidConfigurationsAreRefused() {
        #expect(throws: OrderBookConfigurationError.self) { _ = try OrderBook(configuration: OrderBookConfiguration(maxOrders: 0)) }
        #expect(throws: OrderBookConfigurationError.self) {
            _ = try OrderBook(configuration: OrderBookConfiguration(maxOrders: 10, maxLocates: 70_000))
        }
        #expect(throws: OrderBookConfigurationError.self) {
            _ = try OrderBook(configuration: OrderBookConfiguration(maxOrders: 10, levelsPerSide: 0))
        }
        let c = OrderBookConfiguration(maxOrders: 1_000, maxLocates: 100, levelsPerSide: 8)
        #expect(c.maxLevels == 1_000 && c.levelArenaSlots == 2 * 1_000 + 2 * 100 * 8)
    }

    @Test func messageValuesApplyLikeCalls() {
        let calls = makeBook()
        let values = makeBook()
        let expected = [
            calls.add(locate: L(1), ref: R(1), side: .buy, shares: Q(100), price: P(10)),
            calls.add(locate: L(1), ref: R(2), side: .buy, shares: Q(100), price: P(10)),
            calls.add(locate: L(1), ref: R(3), side: .sell, shares: Q(100), price: P(12)),
            calls.execute(ref: R(1), shares: Q(40)),
            calls.cancel(ref: R(2), shares: Q(10)),
            calls.replace(old: R(2), new: R(4), shares: Q(70), price: P(11)),
            calls.delete(ref: R(3)),
            calls.delete(ref: R(3)),
            calls.add(locate: L(1), ref: R(4), side: .buy, shares: Q(1), price: P(1)),
            calls.add(locate: L(99), ref: R(5), side: .buy, shares: Q(1), price: P(1)),
            calls.execute(ref: R(1), shares: Q(100)),
        ]
        let messages: [BookMessage] = [
            .add(locate: L(1), ref: R(1), side: .buy, shares: Q(100), price: P(10)),
            .add(locate: L(1), ref: R(2), side: .buy, shares: Q(100), price: P(10)),
            .add(locate: L(1), ref: R(3), side: .sell, shares: Q(100), price: P(12)),
            .execute(ref: R(1), shares: Q(40)),
            .cancel(ref: R(2), shares: Q(10)),
            .replace(old: R(2), new: R(4), shares: Q(70), price: P(11)),
            .delete(ref: R(3)),
            .delete(ref: R(3)),
            .add(locate: L(1), ref: R(4), side: .buy, shares: Q(1), price: P(1)),
            .add(locate: L(99), ref: R(5), side: .buy, shares: Q(1), price: P(1)),
            .execute(ref: R(1), shares: Q(100)),
        ]
        #expect(messages.map { values.apply($0) } == expected)
        #expect(expected.map(\.outcome) == [.applied, .applied, .applied, .applied, .applied, .applied, .applied,
                                            .unknownRef, .duplicateRef, .capacityExceeded, .overExecution])
        #expect(values.dump { _ in "X" } == calls.dump { _ in "X" })
        #expect(values.counters == calls.counters)
        #expect(MemoryLayout<BookMessage>.size <= 32)
    }
}
