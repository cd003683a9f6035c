// The kill switch: engaged by the operator and by each guard (at each guard's boundary), blocking
// every new order and replace on every symbol until reset, while fills and cancels go on.
import Testing
import Risk
import TickwireCore

/// Every kind of new order on several symbols is refused `.killSwitch`, and so is a replace.
func expectBlocked(_ e: RiskEngine, _ open: RiskOrderID? = nil, now: UInt64,
                   sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(e.isEngaged, sourceLocation: sourceLocation)
    for loc in [L1, L2, L3] {
        for side in [Side.buy, .sell] {
            for kind in [OrderKind.limit, .market, .ioc] {
                let d = e.check(order(loc, side, 1, ten, kind), now: now)
                #expect(d == .rejected(.killSwitch), "\(loc) \(side) \(kind): \(d)", sourceLocation: sourceLocation)
            }
        }
    }
    if let id = open {
        #expect(e.onReplace(id, shares: sh(1), price: px(ten), now: now) == .rejected(.killSwitch),
                sourceLocation: sourceLocation)
    }
}

/// After a reset, orders pass again.
func expectUnblocked(_ e: RiskEngine, now: UInt64, sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(!e.isEngaged, sourceLocation: sourceLocation)
    #expect(e.killReason == nil, sourceLocation: sourceLocation)
    e.setReference(locate: L2, price: px(ten))   // for engines made without quotes
    let d = e.check(order(L2, .buy, 1), now: now)
    #expect(d.isAccepted, "\(d)", sourceLocation: sourceLocation)
}

@Suite struct KillSwitchTests {
    @Test func operatorEngageAndReset() {
        let e = makeEngine()
        let a = mustAccept(e, order(L1, .buy, 10))
        #expect(e.engage(reason: .operator))
        #expect(!e.engage(reason: .feedGap))          // already engaged: the first reason stays
        #expect(e.killReason == .operator)
        #expect(e.hasTripped(.feedGap))
        expectBlocked(e, a, now: 1)
        #expect(e.rejectCount(.killSwitch) == 19)
        // Fills and cancels still apply while engaged.
        e.onFill(a, shares: sh(4), price: px(ten))
        e.onCanceled(a, shares: sh(6))
        #expect(e.positions.position(L1) == 4)
        #expect(e.openOrderCount == 0)
        e.reset()
        #expect(!e.hasTripped(.operator))
        expectUnblocked(e, now: 2)
        #expect(e.counters.killEngagements == 1)
    }

    @Test func feedGapEngages() {
        let e = makeEngine()
        #expect(e.feedGap())
        #expect(e.killReason == .feedGap)
        expectBlocked(e, now: 1)
        e.reset()
        expectUnblocked(e, now: 2)
    }

    @Test func lossLimitBoundaryOnTheMark() {
        // Long 1 share at 10.0000, max loss 1,000 units ($0.10): the mark may fall to 9.9000.
        let e = makeEngine { $0.maxLoss = 1_000 }
        let a = mustAccept(e, order(L1, .buy, 1))
        #expect(!e.onFill(a, shares: sh(1), price: px(ten)))
        #expect(!e.onBBO(locate: L1, bid: px(99_001), ask: px(99_001), now: 1))   // -999
        #expect(e.positions.totalPnL == -999)
        #expect(!e.onBBO(locate: L1, bid: px(99_000), ask: px(99_000), now: 2))   // -1,000: at the limit
        #expect(!e.isEngaged)
        #expect(e.onBBO(locate: L1, bid: px(98_999), ask: px(98_999), now: 3))    // -1,001
        #expect(e.killReason == .lossLimit)
        expectBlocked(e, now: 4)
        // Reset while the loss persists: the next evaluation trips again.
        e.reset()
        #expect(!e.isEngaged)
        #expect(e.onBBO(locate: L1, bid: px(98_999), ask: px(98_999), now: 5))
        #expect(e.killReason == .lossLimit)
        // Recovered: reset holds.
        e.reset()
        #expect(!e.onBBO(locate: L1, bid: px(ten), ask: px(ten), now: 6))
        expectUnblocked(e, now: 7)
    }

    @Test func lossLimitOnARealizedLoss() {
        let e = makeEngine { $0.maxLoss = 10_000 }   // $1.00
        let a = mustAccept(e, order(L1, .buy, 100))
        e.onFill(a, shares: sh(100), price: px(ten))
        e.onBBO(locate: L1, bid: px(99_900), ask: px(99_900), now: 1)   // -10,000 unrealized
        #expect(!e.isEngaged)
        let b = mustAccept(e, order(L1, .sell, 100, 99_900))
        #expect(!e.onFill(b, shares: sh(50), price: px(99_900)))          // -5,000 realized, -5,000 unrealized
        #expect(e.positions.totalRealized == -5_000)
        #expect(e.onFill(b, shares: sh(50), price: px(99_899)))           // -10,050 realized
        #expect(e.positions.totalRealized == -10_050)
        #expect(e.killReason == .lossLimit)
    }

    @Test func crossedBookEngages() {
        let e = makeEngine()
        #expect(!e.onBBO(locate: L2, bid: px(ten), ask: px(ten), now: 1))       // locked: not crossed
        #expect(!e.onBBO(locate: L2, bid: px(ten), ask: nil, now: 2))
        #expect(e.onBBO(locate: L2, bid: px(ten + 1), ask: px(ten), now: 3))    // crossed by one unit
        #expect(e.killReason == .crossedBook)
        expectBlocked(e, now: 4)
        e.reset()
        e.onBBO(locate: L2, bid: px(ten - 100), ask: px(ten + 100), now: 5)
        expectUnblocked(e, now: 6)
        // Off: a crossed book is only a quote.
        let f = makeEngine { $0.killOnCrossedBook = false }
        #expect(!f.onBBO(locate: L2, bid: px(ten + 1), ask: px(ten), now: 1))
        #expect(!f.isEngaged)
    }

    @Test func volatilityBoundaryWithinTheWindow() {
        // 100 bp within 1,000 ns. Mids are doubled: 200,000 is 10.0000.
        let e = makeEngine(quotes: false) { $0.volatilityBps = 100; $0.volatilityWindowNanos = 1_000 }
        #expect(!e.onBBO(locate: L1, bid: px(ten), ask: px(ten), now: 0))
        #expect(!e.onBBO(locate: L1, bid: px(100_999), ask: px(100_999), now: 100))   // 0.999%
        #expect(!e.onBBO(locate: L1, bid: px(101_000), ask: px(101_000), now: 200))   // 1%: at the limit
        #expect(!e.isEngaged)
        #expect(e.onBBO(locate: L1, bid: px(101_000), ask: px(101_001), now: 300))    // 1.0005%
        #expect(e.killReason == .volatility)
        expectBlocked(e, now: 301)
        e.reset()
        // After a reset the window restarts from the next mid.
        #expect(!e.onBBO(locate: L1, bid: px(101_000), ask: px(101_001), now: 400))
        expectUnblocked(e, now: 401)
    }

    @Test func volatilityDownMovesAndWindows() {
        let e = makeEngine(quotes: false) { $0.volatilityBps = 100; $0.volatilityWindowNanos = 1_000 }
        // Down: 1% of the lower mid. 99,010 × 1.01 = 100,000.1, so 99,010 → 10.0000 is within 1%.
        e.onBBO(locate: L1, bid: px(ten), ask: px(ten), now: 0)
        #expect(!e.onBBO(locate: L1, bid: px(99_010), ask: px(99_010), now: 500))
        #expect(e.onBBO(locate: L1, bid: px(99_009), ask: px(99_009), now: 999))
        #expect(e.killReason == .volatility)

        // Moves that straddle a bucket boundary (buckets start at the first mid, here 0) trip too,
        // down (the low is in the previous bucket's high) and up.
        for (first, second) in [(ten, Int64(98_000)), (ten, Int64(102_000))] {
            let h = makeEngine(quotes: false) { $0.volatilityBps = 100; $0.volatilityWindowNanos = 1_000 }
            #expect(!h.onBBO(locate: L1, bid: px(ten), ask: px(ten), now: 0))
            #expect(!h.onBBO(locate: L1, bid: px(first), ask: px(first), now: 900))
            #expect(h.onBBO(locate: L1, bid: px(second), ask: px(second), now: 1_100))
            #expect(h.killReason == .volatility)
        }
        // A move spread over more than two windows never trips; one within a window always does.
        let f = makeEngine(quotes: false) { $0.volatilityBps = 100; $0.volatilityWindowNanos = 1_000 }
        var now: UInt64 = 0
        var mid: Int64 = ten
        for _ in 0 ..< 20 {
            #expect(!f.onBBO(locate: L1, bid: px(mid), ask: px(mid), now: now))
            mid += 500       // 0.5% per 2,000 ns
            now += 2_000
        }
        #expect(!f.isEngaged)
        #expect(f.onBBO(locate: L1, bid: px(mid * 102 / 100), ask: px(mid * 102 / 100), now: now - 2_000 + 999))
        // Other symbols have their own windows.
        let g = makeEngine(quotes: false) { $0.volatilityBps = 100; $0.volatilityWindowNanos = 1_000 }
        g.onBBO(locate: L1, bid: px(ten), ask: px(ten), now: 0)
        #expect(!g.onBBO(locate: L2, bid: px(ten * 2), ask: px(ten * 2), now: 1))
    }

    @Test func staleBookBoundary() {
        // Stale after 1,000 ns without an update, for symbols with open orders only.
        let e = makeEngine { $0.staleBookNanos = 1_000 }
        #expect(!e.tick(now: 1_000_000))                   // no open orders: nothing to watch
        e.onBBO(locate: L1, bid: px(ten - 100), ask: px(ten + 100), now: 1_000_000)
        let a = mustAccept(e, order(L1, .buy, 10), now: 1_000_000)
        #expect(!e.tick(now: 1_000_999))
        #expect(!e.tick(now: 1_001_000))                   // exactly the limit
        e.onBBO(locate: L1, bid: px(ten - 100), ask: px(ten + 100), now: 1_000_500)
        #expect(!e.tick(now: 1_001_500))
        #expect(e.tick(now: 1_001_501))                    // one over
        #expect(e.killReason == .staleBook)
        expectBlocked(e, a, now: 1_001_502)
        // The order is canceled by the gateway; with nothing open nothing is stale.
        e.onCanceled(a, shares: sh(10))
        e.reset()
        #expect(!e.tick(now: 9_000_000))
        expectUnblocked(e, now: 9_000_000)
    }

    @Test func staleClockStartsAtTheFirstOpenOrder() {
        // L2's last update was at 0; its first order at 5,000 starts the watch from then.
        let e = makeEngine { $0.staleBookNanos = 1_000 }
        let a = mustAccept(e, order(L2, .sell, 10), now: 5_000)
        #expect(!e.tick(now: 6_000))
        #expect(e.tick(now: 6_001))
        e.reset()
        e.onCanceled(a, shares: sh(10))
        // Several symbols: one stale one is enough, the list follows opens and closes.
        let f = makeEngine { $0.staleBookNanos = 1_000 }
        let b = mustAccept(f, order(L1, .buy, 1), now: 0)
        let c = mustAccept(f, order(L2, .buy, 1), now: 0)
        mustAccept(f, order(L3, .buy, 1), now: 0)
        f.onCanceled(b, shares: sh(1))
        f.onCanceled(c, shares: sh(1))
        #expect(f.openOrders(locate: L3) == 1)
        for loc in [L1, L2] { f.onBBO(locate: loc, bid: px(ten - 100), ask: px(ten + 100), now: 2_000) }
        #expect(f.tick(now: 2_000))                         // L3: 2,000 since its first order
    }
}
