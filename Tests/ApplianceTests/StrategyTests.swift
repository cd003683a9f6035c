import Foundation
import Inference
import OrderBook
import OrderEntry
import Strategy
import Testing
import TickwireCore

@Suite struct StrategyTests {
    func outbox() -> (UnsafeMutablePointer<StrategyAction>, StrategyContext) {
        let p = UnsafeMutablePointer<StrategyAction>.allocate(capacity: 8)
        return (p, StrategyContext(slots: p, capacity: 8, now: 1_000))
    }

    /// A market maker (no models) on stock 1 whose first two quotes, placed on `top` at
    /// `placed`, the venue accepted (order numbers 1 and 2).
    func liveMarketMaker(_ params: MarketMakerParameters, _ top: BookTop, placed: (Int64, Int64), _ ctx: inout StrategyContext) -> MarketMaker {
        let mm = MarketMaker(symbols: [top.locate], maxLocates: 4, parameters: params)
        mm.onBook(top, &ctx)
        var prices: [Int64] = []
        for i in 0..<ctx.count { if case let .new(_, _, _, _, px, _) = ctx[i] { prices.append(px.rawValue) } }
        #expect(prices == [placed.0, placed.1])
        mm.onSubmitted(tag: 2, result: .sent(id: 1), &ctx)
        mm.onSubmitted(tag: 3, result: .sent(id: 2), &ctx)
        mm.onOrder(.accepted(id: 1, ref: OrderRef(rawValue: 10)), &ctx)
        mm.onOrder(.accepted(id: 2, ref: OrderRef(rawValue: 11)), &ctx)
        return mm
    }

    @Test func micropriceLeansTowardTheThinSide() {
        let top = BookTop(locate: StockLocate(rawValue: 1), bid: Price(rawValue: 100_000), bidShares: 900,
                          ask: Price(rawValue: 100_100), askShares: 100)
        // Heavy bid: the fair price sits near the ask.
        #expect(top.microprice == (100_000 * 100 + 100_100 * 900) / 1000)
        #expect(top.imbalance > 0.79 && top.imbalance < 0.81)
        #expect(top.isTwoSided)
    }

    /// Prices outside ITCH's 32 bits (a 64-bit feed, or a lying one) with large sizes: the
    /// products would pass 2^63; the plain mid comes back instead of a trap.
    @Test func micropriceOfPricesBeyond32BitsIsTheMidNotATrap() {
        let big = Int64(1) << 40
        let top = BookTop(locate: StockLocate(rawValue: 1), bid: Price(rawValue: big), bidShares: 1 << 29,
                          ask: Price(rawValue: big + 200), askShares: 1 << 40)
        #expect(top.microprice == big + 100)
        let negative = BookTop(locate: StockLocate(rawValue: 1), bid: Price(rawValue: -500), bidShares: 10,
                               ask: Price(rawValue: 500), askShares: 10)
        #expect(negative.microprice == 0)
    }

    @Test func marketMakerQuotesBothSidesPassivelyAndSkewsWithInventory() {
        let (p, c) = outbox()
        defer { p.deallocate() }
        var ctx = c
        var params = MarketMakerParameters()
        params.halfWidthTicks = 1
        // Two ticks a lot: after the fill the fair price comes off the market's touch without
        // our resting ask (400 of the 500 shown), a tick's skew would not move the ask a tick.
        params.skewTicksPerLot = 2
        let mm = MarketMaker(symbols: [StockLocate(rawValue: 1)], maxLocates: 4, parameters: params)
        let l = StockLocate(rawValue: 1)
        let top = BookTop(locate: l, bid: Price(rawValue: 100_000), bidShares: 500, ask: Price(rawValue: 100_200), askShares: 500)
        mm.onBook(top, &ctx)
        #expect(ctx.count == 2)
        guard case let .new(tagB, _, sideB, _, bid, _) = ctx[0], case let .new(tagA, _, sideA, _, ask, _) = ctx[1] else {
            Issue.record("expected two new orders")
            return
        }
        #expect(sideB == .buy && sideA == .sell)
        #expect(bid.rawValue == 100_000 && ask.rawValue == 100_200, "mid 100100, one tick each side: \(bid) \(ask)")
        // While the quotes are in flight, another touch change sends nothing more.
        ctx.reset(now: 2_000)
        mm.onSubmitted(tag: tagB, result: .sent(id: 1), &ctx)
        mm.onSubmitted(tag: tagA, result: .sent(id: 2), &ctx)
        mm.onBook(top, &ctx)
        #expect(ctx.count == 0)
        mm.onOrder(.accepted(id: 1, ref: OrderRef(rawValue: 10)), &ctx)
        mm.onOrder(.accepted(id: 2, ref: OrderRef(rawValue: 11)), &ctx)
        // A fill of the bid makes us long: the fair price drops, the ask is replaced lower
        // and a new bid goes out lower than before.
        ctx.reset(now: 5_000_000)  // past minRequoteNanos since the quotes went out
        mm.onOrder(.executed(id: 1, locate: l, side: .buy, shares: 100, price: Price(rawValue: 100_000), match: 1), &ctx)
        #expect(mm.inventory(l) == 100)
        var newBid: Price?
        var replacedAsk: Price?
        for i in 0..<ctx.count {
            switch ctx[i] {
            case let .new(_, _, .buy, _, px, _): newBid = px
            case let .replace(2, _, px): replacedAsk = px
            default: break
            }
        }
        #expect(newBid.map { $0.rawValue < 100_000 } == true, "bid after a buy fill: \(String(describing: newBid))")
        #expect(replacedAsk.map { $0.rawValue < 100_200 } == true, "ask after a buy fill: \(String(describing: replacedAsk))")
    }

    /// Risk's widen guard publishes a distance for the stock: the market maker quotes at least
    /// that far behind each side's touch (rounded out to its tick), and at its usual place in a
    /// stock without one.
    @Test func marketMakerQuotesBehindRisksWidenDistance() {
        let (p, c) = outbox()
        defer { p.deallocate() }
        var ctx = c
        let offsets = UnsafeMutablePointer<Int64>.allocate(capacity: 4)
        defer { offsets.deallocate() }
        offsets.initialize(repeating: 0, count: 4)
        offsets[1] = 250  // 2.5 ticks
        ctx.offsets = UnsafePointer(offsets)
        ctx.offsetCount = 4
        var params = MarketMakerParameters()
        params.halfWidthTicks = 1
        let l1 = StockLocate(rawValue: 1), l2 = StockLocate(rawValue: 2)
        let mm = MarketMaker(symbols: [l1, l2], maxLocates: 4, parameters: params)
        var quoted: [UInt16: (bid: Int64, ask: Int64)] = [:]
        for l in [l1, l2] {
            ctx.reset(now: 1_000)
            mm.onBook(BookTop(locate: l, bid: Price(rawValue: 100_000), bidShares: 500, ask: Price(rawValue: 100_200), askShares: 500), &ctx)
            var q: (bid: Int64, ask: Int64) = (0, 0)
            for i in 0..<ctx.count {
                if case let .new(_, _, side, _, px, _) = ctx[i] { if side == .buy { q.bid = px.rawValue } else { q.ask = px.rawValue } }
            }
            quoted[l.rawValue] = q
        }
        #expect(quoted[1]?.bid == 99_700 && quoted[1]?.ask == 100_500, "250 behind each touch, out to the tick: \(String(describing: quoted[1]))")
        #expect(quoted[2]?.bid == 100_000 && quoted[2]?.ask == 100_200, "no guard: one tick from the mid: \(String(describing: quoted[2]))")
    }

    @Test func marketMakerNeverCrossesAndStopsBuyingAtItsLimit() {
        let (p, c) = outbox()
        defer { p.deallocate() }
        var ctx = c
        var params = MarketMakerParameters()
        params.halfWidthTicks = 0
        params.maxInventory = 100
        let mm = MarketMaker(symbols: [StockLocate(rawValue: 1)], maxLocates: 4, parameters: params)
        let l = StockLocate(rawValue: 1)
        // One-tick spread, very heavy bid: the microprice is next to the ask, yet the bid stays
        // below the ask and the ask above the bid.
        let top = BookTop(locate: l, bid: Price(rawValue: 100_000), bidShares: 100_000, ask: Price(rawValue: 100_100), askShares: 100)
        mm.onBook(top, &ctx)
        for i in 0..<ctx.count {
            if case let .new(_, _, side, _, px, _) = ctx[i] {
                if side == .buy { #expect(px.rawValue <= 100_000) } else { #expect(px.rawValue >= 100_100) }
            }
        }
        // Long 100 (the limit): no bid.
        let mm2 = MarketMaker(symbols: [l], maxLocates: 4, parameters: params)
        ctx.reset(now: 1)
        mm2.onOrder(.executed(id: 99, locate: l, side: .buy, shares: 100, price: Price(rawValue: 100_000), match: 1), &ctx)
        ctx.reset(now: 2)
        mm2.onBook(top, &ctx)
        for i in 0..<ctx.count {
            if case let .new(_, _, side, _, _, _) = ctx[i] { #expect(side == .sell) }
        }
    }

    /// A touch without one order of ours: its shares leave the level, or the level goes when
    /// ours is all of it (the next level takes its place); elsewhere, nothing changes.
    @Test func aTouchWithoutOurOrder() {
        let l = StockLocate(rawValue: 1)
        let t = BookTop(locate: l, bid: Price(rawValue: 100_100), bidShares: 300, ask: Price(rawValue: 100_200), askShares: 100,
                        bid2Shares: 500, ask2Shares: 700, bidOrders: 2, askOrders: 1, bid2: Price(rawValue: 100_000), ask2: Price(rawValue: 100_300))
        let partOfBid = t.without(side: .buy, price: Price(rawValue: 100_100), shares: 100)
        #expect(partOfBid.bid.rawValue == 100_100 && partOfBid.bidShares == 200 && partOfBid.ask == t.ask)
        let allOfAsk = t.without(side: .sell, price: Price(rawValue: 100_200), shares: 100)
        #expect(allOfAsk.ask.rawValue == 100_300 && allOfAsk.askShares == 700 && allOfAsk.ask2 == .zero && allOfAsk.ask2Shares == 0)
        #expect(t.without(side: .buy, price: Price(rawValue: 100_000), shares: 100) == t, "not at the touch")
        #expect(t.without(side: .sell, price: .zero, shares: 100) == t, "nothing of ours")
        let onlySide = BookTop(locate: l, bid: Price(rawValue: 100_000), bidShares: 500, ask: Price(rawValue: 100_200), askShares: 100)
        #expect(!onlySide.without(side: .sell, price: Price(rawValue: 100_200), shares: 100).isTwoSided, "a side that is only ours is empty")
    }

    /// The market maker prices off the market's touch, not its own quote: with our bid alone at
    /// the best bid, the fair price comes from the next level.
    @Test func marketMakerPricesOffTheMarketNotItself() {
        let (p, c) = outbox()
        defer { p.deallocate() }
        var ctx = c
        var params = MarketMakerParameters()
        params.halfWidthTicks = 1
        let l = StockLocate(rawValue: 1)
        ctx.reset(now: 10_000)
        let mm = liveMarketMaker(params, BookTop(locate: l, bid: Price(rawValue: 100_000), bidShares: 500, ask: Price(rawValue: 100_400), askShares: 500),
                                 placed: (100_100, 100_300), &ctx)
        // The feed now shows our bid alone at 100,100 above the market's 100,000; the market's
        // ask came in to 100,200, heavy. Off the market: fair 100,071, bid 99,900. (Off our own
        // bid it would be fair 100,110 and bid 100,000.)
        ctx.reset(now: 10_000 + 3_000_000)
        mm.onBook(BookTop(locate: l, bid: Price(rawValue: 100_100), bidShares: 100, ask: Price(rawValue: 100_200), askShares: 900,
                          bid2Shares: 500, ask2Shares: 100, bidOrders: 1, askOrders: 3, bid2: Price(rawValue: 100_000), ask2: Price(rawValue: 100_300)), &ctx)
        var bid: Int64?
        for i in 0..<ctx.count { if case let .replace(1, _, px) = ctx[i] { bid = px.rawValue } }
        #expect(bid == 99_900, "\(String(describing: bid))")
    }

    /// An order the venue has cancelled stays in the feed's touch until the venue's delete
    /// reaches us: the market maker keeps it out of the market's touch until then (else it
    /// requotes off its own ghost, steps up a tick each time and churns: 12,535 cancels on a
    /// 5 M-message backtest day before this).
    @Test func marketMakerDoesNotPriceOffItsCancelledOrder() {
        let (p, c) = outbox()
        defer { p.deallocate() }
        var ctx = c
        var params = MarketMakerParameters()
        params.halfWidthTicks = 1
        let l = StockLocate(rawValue: 1)
        ctx.reset(now: 10_000)
        let mm = liveMarketMaker(params, BookTop(locate: l, bid: Price(rawValue: 100_000), bidShares: 500, ask: Price(rawValue: 100_400), askShares: 500),
                                 placed: (100_100, 100_300), &ctx)
        // Our bid 100,100 and ask 100,300 are each alone at the touch; the market's asks are
        // gone (swept): one-sided without us, so both quotes are cancelled.
        ctx.reset(now: 5_000_000)
        let swept = BookTop(locate: l, bid: Price(rawValue: 100_100), bidShares: 100, ask: Price(rawValue: 100_300), askShares: 100,
                            bid2Shares: 500, ask2Shares: 0, bid2: Price(rawValue: 100_000), ask2: .zero)
        mm.onBook(swept, &ctx)
        var cancels = 0
        for i in 0..<ctx.count { if case .cancel = ctx[i] { cancels += 1 } }
        #expect(cancels == 2)
        // The venue confirms; the feed still shows both orders. Nothing new goes out.
        ctx.reset(now: 5_050_000)
        mm.onOrder(.canceled(id: 1, shares: 100), &ctx)
        mm.onOrder(.canceled(id: 2, shares: 100), &ctx)
        #expect(ctx.count == 0, "no quote priced off our own cancelled orders: \((0..<ctx.count).map { ctx[$0] })")
        // The deletes arrive and an ask comes back: quotes around the market again.
        ctx.reset(now: 5_100_000)
        mm.onBook(BookTop(locate: l, bid: Price(rawValue: 100_000), bidShares: 500, ask: Price(rawValue: 100_400), askShares: 500), &ctx)
        var placed: [Int64] = []
        for i in 0..<ctx.count { if case let .new(_, _, _, _, px, _) = ctx[i] { placed.append(px.rawValue) } }
        #expect(placed == [100_100, 100_300])
    }

    /// Live, the feed and the venue's answers come over two paths, and either may be first.
    /// Our ask shares its price with a market order behind it; the venue takes our ask out and
    /// the feed's delete arrives before the venue's answer. Guessing from prices, the market
    /// maker counted the gone ask out of the touch twice (as resting, then as a ghost while the
    /// touch kept its price and size), saw no asks, and pulled both quotes, again and again:
    /// 207 such cancel pairs on one validate paper day (seed 5) against 5 in its backtest. With
    /// the engine's book in the context it takes out the orders the book holds under our
    /// references, and only those.
    @Test func marketMakerTellsItsOrdersByReferenceWhicheverPathIsFirst() throws {
        let (p, c) = outbox()
        defer { p.deallocate() }
        var ctx = c
        let book = try OrderBook(configuration: OrderBookConfiguration(maxOrders: 64, maxLocates: 4))
        ctx.book = .passUnretained(book)
        var params = MarketMakerParameters()
        params.halfWidthTicks = 1
        let l = StockLocate(rawValue: 1)
        func add(_ ref: UInt64, _ side: Side, _ px: Int64) {
            _ = book.add(locate: l, ref: OrderRef(rawValue: ref), side: side, shares: Shares(rawValue: 100), price: Price(rawValue: px))
        }
        func top() -> BookTop { BookTop(book: book, locate: l) }
        func actions() -> [StrategyAction] { (0..<ctx.count).map { ctx[$0] } }
        func cancels(_ a: [StrategyAction]) -> Int { a.filter { if case .cancel = $0 { true } else { false } }.count }
        // The market: 100 bid at 100,100 and 100 offered at 100,300; our quotes join both.
        add(1, .buy, 100_100)
        add(3, .sell, 100_300)
        ctx.reset(now: 10_000)
        let mm = liveMarketMaker(params, top(), placed: (100_100, 100_300), &ctx)  // our refs 10 and 11
        add(10, .buy, 100_100)
        add(11, .sell, 100_300)
        ctx.reset(now: 5_000_000)
        mm.onBook(top(), &ctx)
        #expect(actions().isEmpty, "the market's touch without us is where it was: \(actions())")
        // The venue takes our ask out; its delete reaches the book before its answer reaches us.
        _ = book.delete(ref: OrderRef(rawValue: 11))
        ctx.reset(now: 5_010_000)
        mm.onBook(top(), &ctx)
        #expect(actions().isEmpty, "the market's ask at 100,300 is still there: \(actions())")
        ctx.reset(now: 5_020_000)
        mm.onOrder(.canceled(id: 2, shares: 100), &ctx)
        let after = actions()
        #expect(cancels(after) == 0, "the bid stays: \(after)")
        #expect(after.contains { if case let .new(_, _, side, _, px, _) = $0 { side == .sell && px.rawValue == 100_300 } else { false } },
                "a new ask where the old one was: \(after)")

        // Without the book (the guess from prices), the same events pull the bid.
        ctx.book = nil
        ctx.reset(now: 10_000)
        let market = BookTop(locate: l, bid: Price(rawValue: 100_100), bidShares: 100, ask: Price(rawValue: 100_300), askShares: 100)
        let guess = liveMarketMaker(params, market, placed: (100_100, 100_300), &ctx)
        ctx.reset(now: 5_010_000)
        guess.onBook(BookTop(locate: l, bid: Price(rawValue: 100_100), bidShares: 200, ask: Price(rawValue: 100_300), askShares: 100), &ctx)
        #expect(actions().contains { if case .cancel(1) = $0 { true } else { false } }, "the guess sees no asks and pulls the bid: \(actions())")
    }

    /// The command line's market maker quotes with no half width: on a two-tick spread with
    /// equal sizes the fair price is on a tick, and both quotes used to go out at it and trade
    /// with each other (the validate day's opening, stock 2). Now the side that would add to the
    /// inventory steps back; and a quote never goes at or through our own other side while that
    /// one waits to move (not yet in the feed's touch).
    @Test func marketMakerNeverQuotesAgainstItself() {
        let (p, c) = outbox()
        defer { p.deallocate() }
        var ctx = c
        var params = MarketMakerParameters()
        params.halfWidthTicks = 0
        let l = StockLocate(rawValue: 1)
        func quotes(_ ctx: StrategyContext) -> (bid: Int64?, ask: Int64?) {
            var q: (bid: Int64?, ask: Int64?) = (nil, nil)
            for i in 0..<ctx.count {
                switch ctx[i] {
                case let .new(_, _, side, _, px, _):
                    if side == .buy { q.bid = px.rawValue } else { q.ask = px.rawValue }
                default: break
                }
            }
            return q
        }
        let even = BookTop(locate: l, bid: Price(rawValue: 2_209_800), bidShares: 200, ask: Price(rawValue: 2_210_000), askShares: 200)
        let flat = MarketMaker(symbols: [l], maxLocates: 4, parameters: params)
        flat.onBook(even, &ctx)
        #expect(quotes(ctx) == (2_209_900, 2_210_000), "flat: the bid at the fair price, the ask a tick above")
        let long = MarketMaker(symbols: [l], maxLocates: 4, parameters: params)
        ctx.reset(now: 2_000)
        long.onOrder(.executed(id: 99, locate: l, side: .buy, shares: 50, price: Price(rawValue: 2_209_800), match: 1), &ctx)
        ctx.reset(now: 3_000)
        long.onBook(even, &ctx)
        let q = quotes(ctx)
        #expect(q.bid != nil && q.ask != nil && q.bid! < q.ask!, "long: never crossed: \(q)")

        // Both quotes live at 100,100 / 100,200; the touch jumps two ticks up. The bid would go
        // to 100,400, through our ask, which rests at 100,200 until its replace is done: the bid
        // waits below it, the ask moves.
        ctx.reset(now: 10_000)
        let mm = liveMarketMaker(params, BookTop(locate: l, bid: Price(rawValue: 100_000), bidShares: 500, ask: Price(rawValue: 100_200), askShares: 500),
                                 placed: (100_100, 100_200), &ctx)
        ctx.reset(now: 10_000 + 3_000_000)  // past the minimum interval
        let up = BookTop(locate: l, bid: Price(rawValue: 100_300), bidShares: 500, ask: Price(rawValue: 100_500), askShares: 500)
        mm.onBook(up, &ctx)
        var movedBid: Int64?, movedAsk: Int64?
        for i in 0..<ctx.count {
            if case let .replace(id, _, px) = ctx[i] { if id == 1 { movedBid = px.rawValue } else { movedAsk = px.rawValue } }
        }
        #expect(movedBid == nil, "the bid stays below our resting ask: \(String(describing: movedBid))")
        #expect(movedAsk == 100_500)
        // Once the ask's replace is done, the bid follows.
        mm.onReplaceSent(id: 2, newID: 3, &ctx)
        mm.onOrder(.replaced(old: 2, new: 3, ref: OrderRef(rawValue: 12)), &ctx)
        ctx.reset(now: 10_000 + 6_000_000)
        mm.onBook(up, &ctx)
        movedBid = nil
        for i in 0..<ctx.count { if case let .replace(1, _, px) = ctx[i] { movedBid = px.rawValue } }
        #expect(movedBid == 100_400)
    }

    @Test func takerCrossesOnStrongImbalanceOnlyAndRespectsItsCooldown() {
        let (p, c) = outbox()
        defer { p.deallocate() }
        var ctx = c
        let l = StockLocate(rawValue: 1)
        var params = TakerParameters()
        params.cooldownNanos = 1_000_000
        let t = Taker(symbols: [l], model: ImbalanceUptickModel(), maxLocates: 4, parameters: params)
        let balanced = BookTop(locate: l, bid: Price(rawValue: 100_000), bidShares: 500, ask: Price(rawValue: 100_100), askShares: 500)
        t.onBook(balanced, &ctx)
        #expect(ctx.count == 0)
        let heavyBid = BookTop(locate: l, bid: Price(rawValue: 100_000), bidShares: 5_000, ask: Price(rawValue: 100_100), askShares: 60,
                               bid2Shares: 3_000, ask2Shares: 100)
        ctx.reset(now: 10_000_000)
        t.onBook(heavyBid, &ctx)
        #expect(ctx.count == 1)
        if case let .new(_, _, side, shares, price, kind) = ctx[0] {
            #expect(side == .buy && price.rawValue == 100_100 && kind == .ioc && shares == 60, "capped by the size shown")
        }
        // Inside the cooldown: nothing; after it: again.
        ctx.reset(now: 10_500_000)
        t.onBook(heavyBid, &ctx)
        #expect(ctx.count == 0)
        ctx.reset(now: 11_000_001)
        t.onBook(heavyBid, &ctx)
        #expect(ctx.count == 1)
        // A heavy ask: a sell at the bid.
        let heavyAsk = BookTop(locate: l, bid: Price(rawValue: 100_000), bidShares: 60, ask: Price(rawValue: 100_100), askShares: 5_000,
                               bid2Shares: 100, ask2Shares: 3_000)
        ctx.reset(now: 20_000_000)
        t.onBook(heavyAsk, &ctx)
        if case let .new(_, _, side, _, price, _) = ctx[0] { #expect(side == .sell && price.rawValue == 100_000) }
    }

    @Test func outboxRefusesPastCapacity() {
        let p = UnsafeMutablePointer<StrategyAction>.allocate(capacity: 2)
        defer { p.deallocate() }
        var ctx = StrategyContext(slots: p, capacity: 2)
        let a = ctx.add(.cancel(id: 1)), b = ctx.add(.cancel(id: 2)), c = ctx.add(.cancel(id: 3))
        #expect(a && b && !c)
        #expect(ctx.count == 2 && ctx.overflow == 1)
        ctx.reset(now: 5)
        #expect(ctx.count == 0 && ctx.overflow == 0 && ctx.now == 5)
    }

    /// Each action keeps its reason; holds are noted apart (4 at most); reset forgets both.
    @Test func outboxKeepsEachActionsReasonAndTheHolds() {
        let p = UnsafeMutablePointer<StrategyAction>.allocate(capacity: 20)
        defer { p.deallocate() }
        var ctx = StrategyContext(slots: p, capacity: 20)
        let reasons: [DecisionReason] = [.rule, .widened, .take, .widened, .rule]
        for (i, r) in reasons.enumerated() { ctx.add(.cancel(id: UInt32(i)), reason: r) }
        #expect((0..<5).map { ctx.reason(at: $0) } == reasons)
        for i in 5..<18 { ctx.add(.cancel(id: UInt32(i)), reason: .take) }
        #expect(ctx.reason(at: 15) == .take && ctx.reason(at: 16) == .rule, "past 16 actions the reason reads rule")
        for id in 1...6 { ctx.noteHeld(id: UInt32(id * 10)) }
        #expect(ctx.heldCount == 4 && (0..<4).map { ctx.held(at: $0) } == [10, 20, 30, 40])
        ctx.reset(now: 1)
        #expect(ctx.heldCount == 0 && ctx.reason(at: 1) == .rule)
    }
}

/// The strategies with the shipped models (`models/`).
@Suite struct ModelStrategyTests {
    static let models = try! ModelSet.load(directory: URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("models").path)
    let l = StockLocate(rawValue: 1)

    func outbox() -> (UnsafeMutablePointer<StrategyAction>, StrategyContext) {
        let p = UnsafeMutablePointer<StrategyAction>.allocate(capacity: 8)
        return (p, StrategyContext(slots: p, capacity: 8, now: 1_000))
    }

    func top(bid: Int64, bidShares: UInt64, ask: Int64, askShares: UInt64) -> BookTop {
        BookTop(locate: l, bid: Price(rawValue: bid), bidShares: bidShares, ask: Price(rawValue: ask), askShares: askShares,
                bid2Shares: 500, ask2Shares: 500, bidOrders: 3, askOrders: 3)
    }

    /// A live market maker with both quotes accepted at the touch of `t`.
    func quoting(_ params: MarketMakerParameters, _ t: BookTop, _ ctx: inout StrategyContext) -> MarketMaker {
        let mm = MarketMaker(symbols: [l], maxLocates: 4, parameters: params, models: Self.models)
        mm.onBook(t, &ctx)
        #expect(ctx.count == 2)
        #expect(ctx.modelTSC != 0, "the adapt model ran on the first touch")
        ctx.reset(now: ctx.now + 1_000)
        mm.onSubmitted(tag: 2, result: .sent(id: 1), &ctx)
        mm.onSubmitted(tag: 3, result: .sent(id: 2), &ctx)
        mm.onOrder(.accepted(id: 1, ref: OrderRef(rawValue: 10)), &ctx)
        mm.onOrder(.accepted(id: 2, ref: OrderRef(rawValue: 11)), &ctx)
        return mm
    }

    /// With P(fill) always enough (threshold 0) a quote one tick off stays; never enough
    /// (threshold above 1), it is moved; the same when the threshold is changed after the
    /// market maker was made (its prepared cut follows its parameters).
    @Test(arguments: [false, true])
    func fillProbabilityDecidesBetweenHoldingAndRequoting(setLater: Bool) {
        let (p, c) = outbox()
        defer { p.deallocate() }
        for hold in [true, false] {
            var ctx = c
            var params = MarketMakerParameters()
            // A tick either side of the fair price, so that a one-tick move of both quotes
            // keeps each clear of our other side.
            params.halfWidthTicks = 1
            params.holdFillProbability = hold != setLater ? 0 : 1.1
            let mm = quoting(params, top(bid: 1_000_000, bidShares: 500, ask: 1_000_100, askShares: 500), &ctx)
            if setLater { mm.parameters.holdFillProbability = hold ? 0 : 1.1 }
            // The touch moves up a tick (bid now 100.01): the fair price left both quotes by a tick.
            ctx.reset(now: 50_000_000)
            mm.onBook(top(bid: 1_000_100, bidShares: 500, ask: 1_000_200, askShares: 500), &ctx)
            var replaces = 0
            for i in 0..<ctx.count { if case .replace = ctx[i] { replaces += 1 } }
            if hold {
                #expect(replaces == 0 && mm.counters.holds > 0, "held: \(mm.counters)")
                // Each held quote is noted once for the decision log, by its order number.
                #expect(Set((0..<ctx.heldCount).map { ctx.held(at: $0) }) == [1, 2])
                ctx.reset(now: 53_000_000)
                mm.onBook(top(bid: 1_000_100, bidShares: 400, ask: 1_000_200, askShares: 400), &ctx)
                #expect(mm.counters.holds > 2 && ctx.heldCount == 0, "held again: not noted twice for one placement")
            } else {
                #expect(replaces > 0 && mm.counters.holds == 0, "requoted: \(mm.counters)")
                #expect(ctx.heldCount == 0)
            }
        }
    }

    /// A fill judged toxic (threshold 0: every fill) widens that side; not judged toxic (above
    /// 1: none), the side comes back at the usual distance.
    @Test func toxicFillWidensThatSide() {
        let (p, c) = outbox()
        defer { p.deallocate() }
        var bids: [Bool: Int64] = [:]
        for toxic in [true, false] {
            var ctx = c
            var params = MarketMakerParameters()
            params.halfWidthTicks = 0
            params.skewTicksPerLot = 0
            params.toxicThreshold = toxic ? 0 : 1.1
            let t = top(bid: 1_000_000, bidShares: 500, ask: 1_000_100, askShares: 500)
            let mm = quoting(params, t, &ctx)
            ctx.reset(now: 60_000_000)
            mm.onOrder(.executed(id: 1, locate: l, side: .buy, shares: 100, price: Price(rawValue: 1_000_000), match: 1), &ctx)
            #expect(mm.counters.toxicFills == (toxic ? 1 : 0))
            for i in 0..<ctx.count {
                if case let .new(_, _, .buy, _, px, _) = ctx[i] {
                    bids[toxic] = px.rawValue
                    #expect(ctx.reason(at: i) == (toxic ? .widened : .rule), "the widened quote says why")
                }
            }
        }
        let toxicBid = bids[true], normalBid = bids[false]
        #expect(toxicBid != nil && normalBid != nil)
        if let toxicBid, let normalBid { #expect(toxicBid <= normalBid - 2 * 100, "widened by toxicWidenTicks: \(toxicBid) vs \(normalBid)") }
    }

    @Test func adaptationWidensAndShrinksWithForecastAndRegime() {
        let a = QuoteAdaptation()
        var base = MarketMakerParameters()
        base.size = 400
        base.maxInventory = 2_000
        #expect(a.adapt(forecastTicks: 1, regime: .calm, base: base) == (0, 400, 2_000))
        #expect(a.adapt(forecastTicks: 3.5, regime: .calm, base: base).extraTicks == 1)
        #expect(a.adapt(forecastTicks: 5, regime: .calm, base: base).extraTicks == 2)
        #expect(a.adapt(forecastTicks: 1, regime: .volatile, base: base) == (1, 200, 1_000))
        #expect(a.adapt(forecastTicks: 1, regime: .drought, base: base) == (0, 200, 2_000))
    }

    /// The trained taker reads the features it keeps from the feed: on the same touches and
    /// trades, a threshold just under the model's probability for the row written by hand
    /// makes it buy, one just over does not; the same when the threshold is set after the taker
    /// was made (its prepared cut follows its parameters).
    @Test(arguments: [false, true])
    func trainedTakerActsOnTheModelsProbabilityOfTheFeaturesItKept(setLater: Bool) {
        let (p, c) = outbox()
        defer { p.deallocate() }
        var f = FeatureState()
        var now: UInt64 = 1_000_000
        let tops = (0..<20).map { i in top(bid: 1_000_000, bidShares: UInt64(500 + 100 * i), ask: 1_000_100, askShares: 300) }
        for t in tops {
            now += 5_000_000
            f.onTrade(shares: 100, buyerInitiated: true, now: now)
            f.onBook(bid: 1_000_000, bidShares: t.bidShares, ask: 1_000_100, askShares: 300, bid2Shares: 500, ask2Shares: 500,
                     bidOrders: 3, askOrders: 3, now: now)
        }
        var row = [Float](repeating: 0, count: FeatureState.count)
        let pUp = row.withUnsafeMutableBufferPointer { b -> Double in
            f.write(into: b.baseAddress!, now: now)
            return Self.models.uptick.predictProbability(b.baseAddress!)
        }
        #expect(pUp > 0.01 && pUp < 0.99)
        for (threshold, buys) in [(pUp - 1e-9, true), (pUp + 1e-9, false)] {
            var ctx = c
            var params = TakerParameters()
            params.threshold = setLater ? (buys ? 2 : -1) : threshold
            params.cooldownNanos = 0
            let t = Taker(symbols: [l], model: UptickPredictor(models: Self.models), models: Self.models, maxLocates: 4, parameters: params)
            if setLater { t.parameters.threshold = threshold }
            var now: UInt64 = 1_000_000
            for top in tops {
                now += 5_000_000
                ctx.reset(now: now)
                t.onTrade(locate: l, price: Price(rawValue: 1_000_100), shares: 100, aggressor: .buy, &ctx)
                ctx.reset(now: now)
                t.onBook(top, &ctx)
            }
            #expect(ctx.modelTSC != 0)
            #expect(ctx.count == (buys ? 1 : 0), "threshold \(threshold) vs P(up) \(pUp)")
            if buys, case let .new(_, _, side, _, _, _) = ctx[0] { #expect(side == .buy) }
            #expect(t.modelSummary()["uptick_model"]?.hasSuffix("uptick.json") == true)
        }
    }
}
