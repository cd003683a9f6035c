// The tail-risk guards (issue 14): runaway strategies stopped before their limits, market
// guards against each symbol's own baseline.
import Testing
@testable import Risk
import TickwireCore

@Suite struct RunawayGuardTests {
    func engine(_ configure: (inout TailGuardLimits) -> Void) -> RiskEngine {
        makeEngine { l in
            l.maxOpenOrders = 10_000
            l.throttleOrders = 5_000
            l.throttleWindowNanos = 1_000_000_000
            configure(&l.tail)
        }
    }

    @Test func anOrderFloodIsStoppedBeforeTheThrottleOrTheOpenOrderLimit() {
        let e = engine { $0.maxOrdersPerSecond = 200 }
        var accepted = 0
        var now: UInt64 = 1_000_000_000
        for _ in 0..<1_000 {
            if case .accepted = e.check(order(L1, .buy, 10, 100_000), now: now) { accepted += 1 }
            now += 1_000_000  // one every millisecond: 1,000 a second
        }
        #expect(e.killReason == .runawayOrderRate)
        #expect(accepted == 200, "the guard stops the 201st order of the second")
        #expect(e.rejectCount(.throttle) == 0 && e.rejectCount(.maxOpenOrders) == 0, "no limit was reached first")
    }

    @Test func aSteadyRateUnderTheLimitPasses() {
        let e = engine { $0.maxOrdersPerSecond = 200 }
        var now: UInt64 = 1_000_000_000
        for i in 0..<2_000 {
            if case .accepted(let id) = e.check(order(L1, i % 2 == 0 ? .buy : .sell, 10, 100_000), now: now) { e.onCanceled(id, shares: sh(10)) }
            now += 10_000_000  // 100 a second
        }
        #expect(e.killReason == nil)
    }

    @Test func aStreakOfRefusalsFiresTheKillSwitch() {
        let e = engine { $0.maxRejectStreak = 5 }
        for _ in 0..<4 { _ = e.check(order(L1, .buy, 0, 100_000), now: 1) }  // zero shares: refused
        #expect(e.killReason == nil)
        if case .accepted(let id) = e.check(order(L1, .buy, 10, 100_000), now: 2) { e.onAccepted(id) }  // the streak ends
        for _ in 0..<4 { _ = e.check(order(L1, .buy, 0, 100_000), now: 3) }
        #expect(e.killReason == nil)
        _ = e.check(order(L1, .buy, 0, 100_000), now: 4)
        #expect(e.killReason == .rejectStreak)
    }

    @Test func tooManyOrdersPerFillFiresTheKillSwitch() {
        let e = engine { $0.maxOrderToFill = 20; $0.minOrdersForRatio = 100 }
        var n = 0
        for i in 0..<500 {
            guard case .accepted(let id) = e.check(order(L1, .buy, 10, 100_000), now: UInt64(i)) else { break }
            n += 1
            if i % 10 == 0 { e.onFill(id, shares: sh(10), price: px(100_000)) } else { e.onCanceled(id, shares: sh(10)) }
        }
        #expect(e.killReason == nil, "one fill in ten orders is fine")
        // Then orders that never fill: past 20 per fill (1,000 orders for the 50 fills), stopped.
        var more = 0
        for i in 0..<1_000 {
            guard case .accepted(let id) = e.check(order(L1, .buy, 10, 100_000), now: UInt64(1_000 + i)) else { break }
            more += 1
            e.onCanceled(id, shares: sh(10))
        }
        #expect(e.killReason == .orderToFill)
        #expect(n + more == 1_000, "the 1,001st order is the one refused")
    }

    @Test func aFastDrawdownFiresTheKillSwitch() {
        let e = engine { $0.maxDrawdown = 50_000_000; $0.drawdownWindowNanos = 10_000_000_000 }  // $5,000 within 10 s
        guard case .accepted(let id) = e.check(order(L1, .buy, 1_000, 100_000), now: 0) else { Issue.record("refused"); return }
        e.onFill(id, shares: sh(1_000), price: px(100_000))
        e.onBBO(locate: L1, bid: px(100_000), ask: px(100_100), now: 1_000_000_000)
        e.onBBO(locate: L1, bid: px(70_000), ask: px(70_100), now: 2_000_000_000)  // -$3,000: within the bound
        #expect(e.killReason == nil)
        e.onBBO(locate: L1, bid: px(40_000), ask: px(40_100), now: 3_000_000_000)  // -$6,000 in 2 s
        #expect(e.killReason == .drawdownSpeed)
    }

    /// The peak counts while its one-second bucket is inside the window, across rotations of
    /// the others, and not once it has rotated out.
    @Test func aDrawdownIsMeasuredFromThePeakInsideTheWindow() {
        func long1000() -> RiskEngine {
            let e = engine { $0.maxDrawdown = 50_000_000; $0.drawdownWindowNanos = 10_000_000_000 }  // $5,000 within 10 s
            guard case .accepted(let id) = e.check(order(L1, .buy, 1_000, 100_000), now: 0) else { Issue.record("refused"); return e }
            e.onFill(id, shares: sh(1_000), price: px(100_000))
            return e
        }
        // Mids in 1/10,000 dollars: $10.00 flat, $16.00 is +$6,000 on 1,000 shares.
        let kept = long1000()
        kept.onBBO(locate: L1, bid: px(99_950), ask: px(100_050), now: 500_000_000)
        kept.onBBO(locate: L1, bid: px(159_950), ask: px(160_050), now: 1_000_000_000)  // peak +$6,000
        kept.onBBO(locate: L1, bid: px(149_950), ask: px(150_050), now: 6_000_000_000)  // +$5,000: five buckets rotated
        #expect(kept.killReason == nil)
        kept.onBBO(locate: L1, bid: px(108_950), ask: px(109_050), now: 9_000_000_000)  // +$900: $5,100 below the peak
        #expect(kept.killReason == .drawdownSpeed)

        let forgotten = long1000()
        forgotten.onBBO(locate: L1, bid: px(99_950), ask: px(100_050), now: 500_000_000)
        forgotten.onBBO(locate: L1, bid: px(159_950), ask: px(160_050), now: 1_000_000_000)  // peak +$6,000
        forgotten.onBBO(locate: L1, bid: px(104_950), ask: px(105_050), now: 12_000_000_000)  // +$500, 11 s later
        #expect(forgotten.killReason == nil, "the peak's bucket has left the window")
        forgotten.onBBO(locate: L1, bid: px(159_950), ask: px(160_050), now: 12_500_000_000)
        forgotten.onBBO(locate: L1, bid: px(99_950), ask: px(100_050), now: 13_000_000_000)  // -$6,000 from the new peak
        #expect(forgotten.killReason == .drawdownSpeed)
    }
}

@Suite struct MarketGuardTests {
    func engine(action: GuardAction = .halt) -> RiskEngine {
        makeEngine { l in
            l.tail.depthCollapseRatio = 0.3
            l.tail.spreadBlowoutRatio = 3
            l.tail.warmupUpdates = 50
            l.tail.marketAction = action
            l.collarBps = 100_000
        }
    }

    /// Steady quotes, then the touch thins to a tenth: halted, the order refused, the symbol
    /// handed to the gateway once; the book recovers: orders pass again.
    @Test func aCollapsingTouchHaltsTheSymbolUntilItRecovers() {
        let e = engine()
        var now: UInt64 = 0
        func quote(_ shares: UInt64, spread: Int64 = 100, n: Int) {
            for _ in 0..<n {
                now += 100_000_000
                e.onBBO(locate: L1, bid: px(100_000), ask: px(100_000 + spread), bidShares: shares, askShares: shares, now: now)
            }
        }
        quote(1_000, n: 400)
        #expect(e.trippedGuards(L1).isEmpty)
        quote(100, n: 20)
        #expect(e.trippedGuards(L1) == [.liquidityCompression])
        #expect(e.check(order(L1, .buy, 10, 100_000), now: now).reject == .liquidityGuard)
        var halted: [StockLocate] = []
        e.takeHalts { halted.append($0) }
        #expect(halted == [L1])
        #expect(e.killReason == nil, "a market guard halts the symbol, not the book")
        quote(1_000, n: 40)
        #expect(e.trippedGuards(L1).isEmpty)
        #expect(e.check(order(L1, .buy, 10, 100_000), now: now).isAccepted)
        #expect(e.tripCount(.liquidityCompression) == 1)
    }

    @Test func aBlownOutSpreadReducesTheSymbolWhenSetToReduce() {
        let e = engine(action: .reduce)
        var now: UInt64 = 0
        for _ in 0..<400 { now += 100_000_000; e.onBBO(locate: L1, bid: px(100_000), ask: px(100_100), bidShares: 500, askShares: 500, now: now) }
        for _ in 0..<20 { now += 100_000_000; e.onBBO(locate: L1, bid: px(99_000), ask: px(101_000), bidShares: 500, askShares: 500, now: now) }
        #expect(e.trippedGuards(L1) == [.liquidityGap])
        #expect(e.check(order(L1, .buy, 300_000, 100_000), now: now).reject == .guardReduced)
        #expect(e.check(order(L1, .buy, 100, 100_000), now: now).isAccepted, "small orders still pass")
    }

    /// Set to widen: while the spread is blown out, orders must rest one normal spread (100)
    /// behind the touch; the distance is published for quoting strategies; it clears with the
    /// guard.
    @Test func aBlownOutSpreadWidensTheSymbolWhenSetToWiden() {
        let e = engine(action: .widen)
        var now: UInt64 = 0
        for _ in 0..<400 { now += 100_000_000; e.onBBO(locate: L1, bid: px(100_000), ask: px(100_100), bidShares: 500, askShares: 500, now: now) }
        #expect(e.wideningTable[Int(L1.rawValue)] == 0)
        for _ in 0..<20 { now += 100_000_000; e.onBBO(locate: L1, bid: px(99_000), ask: px(101_000), bidShares: 500, askShares: 500, now: now) }
        #expect(e.trippedGuards(L1) == [.liquidityGap])
        let w = e.wideningTable[Int(L1.rawValue)]
        // One normal spread: the long-run average, held from the trip on (it took in a little of
        // the blow-out during the updates before the short average crossed 3x).
        #expect(w >= 100 && w <= 130, "one normal spread: \(w)")
        // Buys: at the bid or inside refused, at bid - w accepted; sells the mirror.
        #expect(e.check(order(L1, .buy, 100, 99_000), now: now).reject == .guardWidened)
        #expect(e.check(order(L1, .buy, 100, 99_000 - w + 1), now: now).reject == .guardWidened)
        #expect(e.check(order(L1, .buy, 100, 99_000 - w), now: now).isAccepted)
        #expect(e.check(order(L1, .sell, 100, 101_000 + w - 1), now: now).reject == .guardWidened)
        #expect(e.check(order(L1, .sell, 100, 101_000 + w), now: now).isAccepted)
        #expect(e.check(order(L1, .sell, 100, 0, .market), now: now).reject == .guardWidened, "a market order cannot rest")
        #expect(e.check(order(L2, .buy, 100, 100_000), now: now).isAccepted, "other symbols untouched")
        #expect(e.killReason == nil)
        for _ in 0..<60 { now += 100_000_000; e.onBBO(locate: L1, bid: px(100_000), ask: px(100_100), bidShares: 500, askShares: 500, now: now) }
        #expect(e.trippedGuards(L1).isEmpty)
        #expect(e.wideningTable[Int(L1.rawValue)] == 0)
        #expect(e.check(order(L1, .buy, 100, 100_000), now: now).isAccepted)
    }

    /// The strategy's regime model says volatile or drought: with the regime guard set to
    /// halt, the symbol refuses orders until the model says calm again.
    @Test func theRegimeGuardFollowsTheModel() {
        let e = makeEngine { $0.tail.regimeAction = .halt }
        e.onRegime(locate: L1, adverse: true)
        #expect(e.trippedGuards(L1) == [.regime])
        #expect(e.check(order(L1, .buy, 10, 100_000), now: 1).reject == .regimeGuard)
        #expect(e.check(order(L2, .buy, 10, 100_000), now: 1).isAccepted, "only the symbols told")
        var halted: [StockLocate] = []
        e.takeHalts { halted.append($0) }
        #expect(halted == [L1])
        e.onRegime(locate: L1, adverse: false)
        #expect(e.check(order(L1, .buy, 10, 100_000), now: 2).isAccepted)
        #expect(e.tripCount(.regime) == 1)
    }
}
