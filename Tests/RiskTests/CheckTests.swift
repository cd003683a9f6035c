// Each per-order check at its boundary: limit - 1 and limit accepted, limit + 1 refused.
import Testing
import Risk
import TickwireCore

@Suite struct OrderCheckTests {
    @Test func maxOrderSharesBoundary() {
        let e = makeEngine { $0.maxOrderShares = 100 }
        mustAccept(e, order(shares: 99))
        mustAccept(e, order(shares: 100))
        mustReject(e, order(shares: 101), .maxOrderShares)
        mustReject(e, order(L1, .sell, 101), .maxOrderShares)
        mustReject(e, order(shares: 0), .invalidShares)
        #expect(e.rejectCount(.maxOrderShares) == 2)
        #expect(e.rejectCount(.invalidShares) == 1)
        #expect(e.counters.accepted == 2)
    }

    @Test func maxOrderNotionalBoundary() {
        // 50 shares at $10.0000 = 5,000,000 units of 1/10,000 dollar.
        let e = makeEngine { $0.maxOrderNotional = 5_000_000 }
        mustAccept(e, order(shares: 49))
        mustAccept(e, order(shares: 50))
        mustReject(e, order(shares: 51), .maxOrderNotional)
        // One unit of price more on the limit quantity is over too.
        mustReject(e, order(L1, .sell, 50, ten + 1), .maxOrderNotional)
        mustAccept(e, order(L1, .sell, 50, ten - 1))
    }

    @Test func notionalOverflowIsABreach() {
        let e = makeEngine(quotes: false) { $0.allowWithoutReference = true; $0.maxOrderNotional = .max }
        // Int64.max / 2 × 3 overflows Int64.
        mustReject(e, order(L1, .buy, 3, Int64.max / 2), .maxOrderNotional)
        mustAccept(e, order(L1, .buy, 1, Int64.max / 2))
    }

    @Test func invalidInputs() {
        let e = makeEngine(locates: 8)
        mustReject(e, order(StockLocate(rawValue: 0), .buy, 10), .unknownSymbol)
        mustReject(e, order(StockLocate(rawValue: 8), .buy, 10), .unknownSymbol)
        mustReject(e, order(StockLocate(rawValue: 7), .buy, 10), .noReference)  // a known locate, no quote
        mustReject(e, order(L1, .buy, 10, 0), .invalidPrice)
        mustReject(e, order(L1, .sell, 10, -5, .ioc), .invalidPrice)
        mustReject(e, order(L1, .buy, 0), .invalidShares)
    }

    // Mid 10.0000 from 9.9900 x 10.0100; collar 100 bp: [9.9000, 10.1000] for both sides.
    @Test func collarUpperBoundBothSides() {
        let e = makeEngine { $0.collarBps = 100 }
        for side in [Side.buy, .sell] {
            mustAccept(e, order(L1, side, 1, 101_000 - 1))
            mustAccept(e, order(L1, side, 1, 101_000))
            mustReject(e, order(L1, side, 1, 101_000 + 1), .priceCollar)
        }
    }

    @Test func collarLowerBoundBothSides() {
        let e = makeEngine { $0.collarBps = 100 }
        for side in [Side.buy, .sell] {
            mustAccept(e, order(L1, side, 1, 99_000 + 1))
            mustAccept(e, order(L1, side, 1, 99_000))
            mustReject(e, order(L1, side, 1, 99_000 - 1), .priceCollar)
        }
        #expect(e.rejectCount(.priceCollar) == 2)
    }

    @Test func collarOnAHalfUnitMidIsExact() {
        // 10.0000 x 10.0001: the mid is 10.00005, which no price equals; a 0 bp collar refuses both.
        let e = makeEngine(quotes: false) { $0.collarBps = 0 }
        e.onBBO(locate: L1, bid: px(ten), ask: px(ten + 1), now: 0)
        mustReject(e, order(L1, .buy, 1, ten), .priceCollar)
        mustReject(e, order(L1, .buy, 1, ten + 1), .priceCollar)
        // At 1 bp of 10.00005 (0.001 dollars) both are inside.
        let f = makeEngine(quotes: false) { $0.collarBps = 1 }
        f.onBBO(locate: L1, bid: px(ten), ask: px(ten + 1), now: 0)
        mustAccept(f, order(L1, .buy, 1, ten))
        mustAccept(f, order(L1, .sell, 1, ten + 1))
    }

    @Test func referencePriceWhenNoTwoSidedQuote() {
        let e = makeEngine(quotes: false) { $0.collarBps = 200 }
        mustReject(e, order(L1, .buy, 1, ten), .noReference)
        e.setReference(locate: L1, price: px(50_000))  // $5.0000, 200 bp: [4.9000, 5.1000]
        mustAccept(e, order(L1, .buy, 1, 51_000))
        mustReject(e, order(L1, .buy, 1, 51_001), .priceCollar)
        mustAccept(e, order(L1, .sell, 1, 49_000))
        mustReject(e, order(L1, .sell, 1, 48_999), .priceCollar)
        // A one-sided quote leaves the reference in use.
        e.onBBO(locate: L1, bid: px(60_000), ask: nil, now: 1)
        mustReject(e, order(L1, .buy, 1, 60_000), .priceCollar)
        // A two-sided quote takes over: mid 6.0000.
        e.onBBO(locate: L1, bid: px(59_900), ask: px(60_100), now: 2)
        mustAccept(e, order(L1, .buy, 1, 61_200))
        mustReject(e, order(L1, .buy, 1, 51_000), .priceCollar)
        // Both sides gone: back to the reference; reference cleared: no reference.
        e.onBBO(locate: L1, bid: nil, ask: nil, now: 3)
        mustAccept(e, order(L1, .buy, 1, 51_000))
        e.setReference(locate: L1, price: nil)
        mustReject(e, order(L1, .buy, 1, 51_000), .noReference)
    }

    @Test func allowWithoutReferenceSkipsTheCollar() {
        let e = makeEngine(quotes: false) { $0.collarBps = 0; $0.allowWithoutReference = true }
        mustAccept(e, order(L1, .buy, 1, 123_456))
        mustAccept(e, order(L1, .sell, 1, 1))
        mustReject(e, order(L1, .buy, 1, ten, .market), .noQuote)
        // The collar still applies once there is a reference.
        e.setReference(locate: L1, price: px(ten))
        mustReject(e, order(L1, .buy, 1, ten + 1), .priceCollar)
        mustAccept(e, order(L1, .buy, 1, ten))
    }

    @Test func marketOrdersUseTheFarSide() {
        // Bid 9.9000, ask 10.1000: mid 10.0000, the far sides are 100 bp away.
        let e = makeEngine(quotes: false) { $0.collarBps = 100; $0.maxOrderNotional = 101_000 * 10 }
        e.onBBO(locate: L1, bid: px(99_000), ask: px(101_000), now: 0)
        mustAccept(e, order(L1, .buy, 10, 0, .market))   // price ignored, ask 10.1000 × 10 = the notional limit
        mustReject(e, order(L1, .buy, 11, 0, .market), .maxOrderNotional)
        mustAccept(e, order(L1, .sell, 10, 0, .market))
        // One unit wider on the ask: its distance from the mid is over 100 bp.
        e.onBBO(locate: L1, bid: px(99_000), ask: px(101_001), now: 1)
        mustReject(e, order(L1, .buy, 1, ten, .market), .priceCollar)
        mustReject(e, order(L1, .sell, 1, ten, .market), .priceCollar)  // the bid is as far off the new mid
        // Far side unknown: refused, even with a reference.
        e.setReference(locate: L1, price: px(ten))
        e.onBBO(locate: L1, bid: px(99_000), ask: nil, now: 2)
        mustReject(e, order(L1, .buy, 1, ten, .market), .noQuote)
        mustAccept(e, order(L1, .sell, 1, ten, .market))   // bid 9.9000, reference 10.0000: at the collar
        e.onBBO(locate: L1, bid: nil, ask: nil, now: 3)
        mustReject(e, order(L1, .sell, 1, ten, .market), .noQuote)
        // IOC is checked at its own price.
        mustAccept(e, order(L1, .buy, 1, 101_000, .ioc))
        mustReject(e, order(L1, .buy, 1, 101_001, .ioc), .priceCollar)
    }

    @Test func maxOpenOrdersBoundary() {
        let e = makeEngine { $0.maxOpenOrders = 3 }
        let a = mustAccept(e, order(shares: 1))
        mustAccept(e, order(shares: 1))       // limit - 1 open before
        mustAccept(e, order(shares: 1))       // the limit
        mustReject(e, order(shares: 1), .maxOpenOrders)
        #expect(e.openOrderCount == 3)
        e.onCanceled(a, shares: sh(1))
        #expect(e.openOrderCount == 2)
        mustAccept(e, order(L2, .sell, 1))
        mustReject(e, order(L2, .sell, 1), .maxOpenOrders)
    }

    @Test func throttleSlidingWindow() {
        // At most 3 orders in any 1,000 ns.
        let e = makeEngine { $0.throttleOrders = 3; $0.throttleWindowNanos = 1_000 }
        mustAccept(e, order(shares: 1), now: 10)
        mustAccept(e, order(shares: 1), now: 20)   // limit - 1
        mustAccept(e, order(shares: 1), now: 30)   // the limit
        mustReject(e, order(shares: 1), .throttle, now: 30)
        mustReject(e, order(shares: 1), .throttle, now: 1_009)
        mustAccept(e, order(shares: 1), now: 1_010)   // the order at 10 has left (10, 1010]... window
        mustReject(e, order(shares: 1), .throttle, now: 1_019)
        mustAccept(e, order(shares: 1), now: 1_020)
        mustAccept(e, order(shares: 1), now: 1_030)
        mustReject(e, order(shares: 1), .throttle, now: 1_030)
        // A long pause frees the whole window.
        for _ in 0 ..< 3 { mustAccept(e, order(shares: 1), now: 5_000) }
        mustReject(e, order(shares: 1), .throttle, now: 5_000)
        // Rejected checks do not spend the window.
        let f = makeEngine { $0.throttleOrders = 1; $0.throttleWindowNanos = 100; $0.maxOrderShares = 5 }
        mustReject(f, order(shares: 6), .maxOrderShares, now: 0)
        mustAccept(f, order(shares: 1), now: 0)
        mustReject(f, order(shares: 1), .throttle, now: 99)
        mustAccept(f, order(shares: 1), now: 100)
        // A clock going backwards is refused until it catches up.
        mustReject(f, order(shares: 1), .throttle, now: 50)
        #expect(f.rejectCount(.throttle) == 2)
    }

    @Test func checkOrderKillSwitchFirst() {
        // An order wrong in every way is reported as the first check it fails.
        let e = makeEngine { $0.maxOrderShares = 1; $0.collarBps = 0; $0.maxOpenOrders = 1 }
        e.engage(reason: .operator)
        mustReject(e, order(StockLocate(rawValue: 0), .buy, 0, -1), .killSwitch)
        e.reset()
        mustReject(e, order(StockLocate(rawValue: 0), .buy, 0, -1), .unknownSymbol)
        mustReject(e, order(L1, .buy, 0, -1), .invalidShares)
        mustReject(e, order(L1, .buy, 2, -1), .maxOrderShares)
        mustReject(e, order(L1, .buy, 1, -1), .invalidPrice)
        mustReject(e, order(L1, .buy, 1, ten + 1), .priceCollar)
    }

    @Test func configurationIsValidated() {
        var l = openLimits()
        l.maxOpenOrders = 0
        #expect(throws: RiskConfigurationError.self) { try RiskEngine(limits: l, maxLocates: 8) }
        l = openLimits()
        l.throttleOrders = 0
        #expect(throws: RiskConfigurationError.self) { try RiskEngine(limits: l, maxLocates: 8) }
        #expect(throws: RiskConfigurationError.self) { try RiskEngine(limits: openLimits(), maxLocates: 65_537) }
        #expect(throws: RiskConfigurationError.self) { try RiskEngine(limits: openLimits(), maxLocates: 1) }
        l = openLimits()
        l.maxLoss = -1
        #expect(throws: RiskConfigurationError.self) { try RiskEngine(limits: l, maxLocates: 8) }
    }
}
