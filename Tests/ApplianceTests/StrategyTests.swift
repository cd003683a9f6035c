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

    @Test func micropriceLeansTowardTheThinSide() {
        let top = BookTop(locate: StockLocate(rawValue: 1), bid: Price(rawValue: 100_000), bidShares: 900,
                          ask: Price(rawValue: 100_100), askShares: 100)
        // Heavy bid: the fair price sits near the ask.
        #expect(top.microprice == (100_000 * 100 + 100_100 * 900) / 1000)
        #expect(top.imbalance > 0.79 && top.imbalance < 0.81)
        #expect(top.isTwoSided)
    }

    @Test func marketMakerQuotesBothSidesPassivelyAndSkewsWithInventory() {
        let (p, c) = outbox()
        defer { p.deallocate() }
        var ctx = c
        var params = MarketMakerParameters()
        params.halfWidthTicks = 1
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
}
