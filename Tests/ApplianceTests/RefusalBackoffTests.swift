import Appliance
import Exchange
import Foundation
import OrderBook
import OrderEntry
import Risk
import Strategy
import Testing
import TickwireCore

/// A market maker whose quotes risk refuses (here: the worst-case gross position, every open
/// order filled, would pass its limit) must not ask again at every touch change: 500 refusals
/// in a row are risk's sign of a runaway strategy, and fire the kill switch. This was the kill
/// switch that `tickwire run` engaged by itself within seconds.
@Suite struct RefusalBackoffTests {
    @Test func aMarketMakerAtItsGrossLimitDoesNotTripTheRejectStreakGuard() throws {
        let symbols = 20
        var limits = RiskLimits(maxOrderShares: 10_000, maxOrderNotional: 1 << 50, collarBps: 10_000, allowWithoutReference: true,
                                maxPositionPerSymbol: 1 << 30, maxGrossPosition: 1_000, maxOpenOrders: 1 << 16,
                                throttleOrders: 1 << 20, throttleWindowNanos: 1_000, killOnCrossedBook: false)
        limits.tail.maxRejectStreak = 500
        var mp = MarketMakerParameters()
        mp.halfWidthTicks = 0
        mp.maxInventory = 1 << 30
        let traded = (1...symbols).map { StockLocate(rawValue: UInt16($0)) }
        let maker = MarketMaker(symbols: traded, maxLocates: symbols + 1, parameters: mp)
        // The day first: the rig logs in when it is made, and a session that hears nothing for
        // 5 s is dropped (dead peer), which generating 300,000 messages in a debug build on a
        // loaded machine can take.
        let day = FlowDay.generate(OrderFlowConfiguration(seed: 5, symbols: symbols), messages: 300_000).bytes
        let frames = TickToTradeFrames(itch: day, perPacket: 3)
        let rig = try TickToTradeRig(strategy: maker, symbols: symbols, clock: TSCClock.calibrate(windowNanos: 10_000_000), limits: limits)
        #expect(rig.isLoggedIn)
        var i = 0
        while i < frames.count {
            rig.burst(frames, from: i, count: 1)
            i += 1
        }
        let risk = try #require(rig.engine.gateway.risk)
        // Twenty stocks, two quotes of 100 each: 2,000 shares of worst case against a limit of
        // 1,000, so about half the quotes are refused for as long as the day lasts.
        #expect(risk.rejectCount(.maxGrossPosition) > 0, "the limit was reached")
        #expect(risk.killReason == nil, "the kill switch fired: \(String(describing: risk.killReason))")
        #expect(maker.counters.quotesSent > 0)
        #expect(rig.engine.gateway.client.counters.deadPeerTimeouts == 0 && rig.isLoggedIn, "the session stayed up")
    }

    /// The wait itself: a refused quote is not asked again for 10 ms of feed time, then 20, 40...
    /// (the other side, not refused, is unaffected); a quote that goes out resets it.
    @Test func aRefusedQuoteWaitsTwiceAsLongEachTimeAndGoingOutResetsIt() {
        let slots = UnsafeMutablePointer<StrategyAction>.allocate(capacity: 8)
        defer { slots.deallocate() }
        var ctx = StrategyContext(slots: slots, capacity: 8, now: 1_000_000_000)
        var mp = MarketMakerParameters()
        mp.halfWidthTicks = 1
        let l = StockLocate(rawValue: 1)
        let mm = MarketMaker(symbols: [l], maxLocates: 4, parameters: mp)
        let top = BookTop(locate: l, bid: Price(rawValue: 100_000), bidShares: 500, ask: Price(rawValue: 100_200), askShares: 500)
        func touch(at t: UInt64) -> [StrategyAction] {
            ctx.reset(now: t)
            mm.onBook(top, &ctx)
            return (0..<ctx.count).map { ctx[$0] }
        }
        func tags(_ a: [StrategyAction]) -> [UInt32] { a.compactMap { if case let .new(tag, _, _, _, _, _) = $0 { tag } else { nil } } }
        var t: UInt64 = 1_000_000_000
        let first = tags(touch(at: t))
        #expect(first.count == 2)
        let (bid, ask) = (first[0], first[1])
        // Risk refuses the bid; the ask goes out.
        mm.onSubmitted(tag: bid, result: .refused(reason: 8), &ctx)
        mm.onSubmitted(tag: ask, result: .sent(id: 1), &ctx)
        #expect(tags(touch(at: t + 9_000_000)).isEmpty, "9 ms after the refusal: not yet")
        #expect(tags(touch(at: t + 10_000_000)) == [bid], "10 ms: asked again")
        t += 10_000_000
        mm.onSubmitted(tag: bid, result: .refused(reason: 8), &ctx)
        #expect(tags(touch(at: t + 19_000_000)).isEmpty, "second refusal: 20 ms")
        #expect(tags(touch(at: t + 20_000_000)) == [bid])
        t += 20_000_000
        mm.onSubmitted(tag: bid, result: .sent(id: 2), &ctx)
        #expect(mm.counters.backoffs == 2 && mm.counters.refused == 2)
        // Out now; were it refused again later, the wait starts over at 10 ms.
        mm.onOrder(.accepted(id: 2, ref: OrderRef(rawValue: 20)), &ctx)
        ctx.reset(now: t + 1_000_000)
        mm.onOrder(.canceled(id: 2, shares: 100), &ctx)  // the venue cancelled it: quoted again at once
        let again = tags((0..<ctx.count).map { ctx[$0] })
        #expect(again == [bid], "\(again)")
        mm.onSubmitted(tag: bid, result: .refused(reason: 8), &ctx)
        #expect(tags(touch(at: t + 1_000_000 + 9_999_999)).isEmpty)
        #expect(tags(touch(at: t + 1_000_000 + 10_000_000)) == [bid], "the wait started over at 10 ms")
    }
}
