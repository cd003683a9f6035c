import Appliance
import CShims
import Exchange
import MarketData
import OrderBook
import OrderEntry
import Risk
import Strategy
import Testing
import TickwireCore

/// The book can go wrong without anyone noticing (issue 14, defect 6). On the main of
/// 2026-12-03 a capacity overflow was only counted: the stock's book had missed an order and the
/// strategy went on trading against it. Now the stock's book is marked unusable, risk refuses
/// every order in it (`bookUnusable`) and what was open there is cancelled.
@Suite struct BookOverflowTests {
    @Test func aCapacityOverflowMarksOnlyThatStocksBookUnusable() throws {
        let book = try OrderBook(configuration: OrderBookConfiguration(maxOrders: 2, maxLocates: 4))
        #expect(book.add(locate: StockLocate(rawValue: 1), ref: OrderRef(rawValue: 1), side: .buy, shares: Shares(rawValue: 1), price: Price(rawValue: 10)).outcome == .applied)
        #expect(book.add(locate: StockLocate(rawValue: 2), ref: OrderRef(rawValue: 2), side: .buy, shares: Shares(rawValue: 1), price: Price(rawValue: 10)).outcome == .applied)
        #expect(book.add(locate: StockLocate(rawValue: 3), ref: OrderRef(rawValue: 3), side: .sell, shares: Shares(rawValue: 1), price: Price(rawValue: 11)).outcome == .capacityExceeded)
        #expect(!book.isUsable(StockLocate(rawValue: 3)) && book.isUsable(StockLocate(rawValue: 1)) && book.isUsable(StockLocate(rawValue: 2)))
        #expect(book.counters.unusableBooks == 1)
        // A locate beyond the book's range: counted as such, and never usable.
        #expect(book.add(locate: StockLocate(rawValue: 9), ref: OrderRef(rawValue: 4), side: .buy, shares: Shares(rawValue: 1), price: Price(rawValue: 10)).outcome == .capacityExceeded)
        #expect(book.counters.locatesOutOfRange == 1 && !book.isUsable(StockLocate(rawValue: 9)))
    }

    /// The live loop with a book too small for the day: the stocks whose messages it refused
    /// stop trading, their open orders are cancelled, and risk refuses new orders in them.
    @Test func theEngineStopsTradingAStockWhoseBookOverflowed() throws {
        let d = try TakerDay(seed: 3, messages: 40_000, maxOrders: 120)
        let (frames, rig, locates) = (d.frames, d.rig, d.locates)
        #expect(rig.isLoggedIn)
        for i in 0..<frames.count {
            rig.burst(frames, from: i, count: 1)
            while rig.engine.stamps.pop() != nil {}
        }
        let g = rig.engine.gateway
        let risk = try #require(g.risk)
        #expect(rig.engine.counters.bookOverflows > 0, "the day outgrew 120 live orders")
        let unusable = locates.filter { !rig.engine.book.isUsable($0) }
        #expect(!unusable.isEmpty)
        for l in unusable { #expect(risk.isBookUnusable(l)) }
        for l in locates where !unusable.contains(l) { #expect(!risk.isBookUnusable(l)) }
        // Nothing of ours stays open in an unusable stock.
        var openThere = 0
        g.store.forEachOpen { if unusable.contains($0.locate) && $0.status != .pendingCancel { openThere += 1 } }
        #expect(openThere == 0)
        // A new order there is refused by risk, with the reason.
        let r = g.submit(locate: unusable[0], side: .buy, shares: 100, price: Price(rawValue: 100_000), now: tw_clock_monotonic_raw_ns())
        #expect(r == .refused(reason: RiskReject.bookUnusable.rawValue))
        #expect(rig.engine.counters.ordersSent > 0, "the others traded")
    }
}
