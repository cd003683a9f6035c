// Worst-case exposure: position and gross limits at their boundaries with open orders counted,
// the reservation's life through fills, cancels, rejects and replaces, and stale handles.
import Testing
import Risk
import TickwireCore

@Suite struct ExposureTests {
    @Test func positionLimitCountsOpenOrders() {
        let e = makeEngine { $0.maxPositionPerSymbol = 100 }
        mustAccept(e, order(L1, .buy, 99))               // worst case 99
        mustAccept(e, order(L1, .buy, 1))                // 100: the limit
        mustReject(e, order(L1, .buy, 1), .maxPosition)  // 101
        #expect(e.positions.position(L1) == 0)           // nothing has filled: open orders alone count
        #expect(e.worstCaseExposure(locate: L1) == 100)
        // The short side has its own room: 100 short in the worst case.
        mustAccept(e, order(L1, .sell, 99))
        mustAccept(e, order(L1, .sell, 1))
        mustReject(e, order(L1, .sell, 1), .maxPosition)
        #expect(e.worstCaseExposure(locate: L1) == 100)
        #expect(e.openShares(locate: L1, side: .buy) == 100)
        #expect(e.openShares(locate: L1, side: .sell) == 100)
        #expect(e.rejectCount(.maxPosition) == 2)
    }

    @Test func positionLimitWithAFilledPosition() {
        let e = makeEngine { $0.maxPositionPerSymbol = 100 }
        let a = mustAccept(e, order(L1, .buy, 60))
        e.onFill(a, shares: sh(60), price: px(ten))
        #expect(e.positions.position(L1) == 60)
        #expect(e.openOrderCount == 0)
        mustAccept(e, order(L1, .buy, 39))
        mustAccept(e, order(L1, .buy, 1))
        mustReject(e, order(L1, .buy, 1), .maxPosition)
        // Long 60: sells can go to 160 before the worst case is 100 short.
        mustAccept(e, order(L1, .sell, 159))
        mustAccept(e, order(L1, .sell, 1))
        mustReject(e, order(L1, .sell, 1), .maxPosition)
    }

    @Test func shortPositionLimit() {
        let e = makeEngine { $0.maxPositionPerSymbol = 50 }
        let a = mustAccept(e, order(L2, .sell, 50))
        e.onFill(a, shares: sh(20), price: px(ten))
        #expect(e.positions.position(L2) == -20)
        #expect(e.openShares(of: a) == sh(30))
        mustReject(e, order(L2, .sell, 1), .maxPosition)   // -20 - 30 - 1
        mustAccept(e, order(L2, .buy, 70))                  // -20 + 70 = 50
        mustReject(e, order(L2, .buy, 1), .maxPosition)
    }

    @Test func grossLimitAcrossSymbols() {
        let e = makeEngine { $0.maxPositionPerSymbol = 100; $0.maxGrossPosition = 150 }
        let a = mustAccept(e, order(L1, .buy, 100))
        let b = mustAccept(e, order(L2, .sell, 49))   // 149
        mustAccept(e, order(L3, .buy, 1))             // 150: the limit
        mustReject(e, order(L3, .buy, 1), .maxGrossPosition)
        mustReject(e, order(L2, .sell, 1), .maxGrossPosition)
        // A sell on L1 opposite its open buy does not raise L1's worst case (100 either way).
        mustAccept(e, order(L1, .sell, 100))
        mustReject(e, order(L1, .sell, 1), .maxPosition)
        #expect(e.worstCaseGross == 150)
        // A fill moves shares from open into the position: the worst case does not move.
        e.onFill(a, shares: sh(100), price: px(ten))
        #expect(e.positions.position(L1) == 100)
        #expect(e.worstCaseGross == 150)
        mustReject(e, order(L3, .buy, 1), .maxGrossPosition)
        // A cancel frees room.
        e.onCanceled(b, shares: sh(49))
        #expect(e.worstCaseGross == 101)
        mustAccept(e, order(L3, .sell, 48))   // L3: max(|0 + 1|, |0 - 48|) = 48 → 148
        mustAccept(e, order(L2, .buy, 1))     // 149
        mustAccept(e, order(L2, .sell, 1))    // L2: max(1, 1) = 1 → still 149
        mustAccept(e, order(L3, .buy, 1))     // L3 high end 2 < 48: no change
        mustAccept(e, order(L2, .buy, 1))     // L2 worst 2 → 150
        mustReject(e, order(L2, .buy, 1), .maxGrossPosition)
    }

    @Test func anOverfilledPositionCanOnlyBeReduced() {
        let e = makeEngine { $0.maxPositionPerSymbol = 100; $0.maxGrossPosition = 100 }
        let a = mustAccept(e, order(L1, .buy, 100))
        e.onFill(a, shares: sh(150), price: px(ten))   // the venue filled more than was open
        #expect(e.counters.overfills == 1)
        #expect(e.positions.position(L1) == 150)
        #expect(e.openOrderCount == 0)
        #expect(e.worstCaseExposure(locate: L1) == 150)
        mustReject(e, order(L1, .buy, 1), .maxPosition)
        mustReject(e, order(L2, .buy, 1), .maxGrossPosition)
        mustAccept(e, order(L1, .sell, 150))           // to flat
        mustAccept(e, order(L1, .sell, 100))           // and to the short limit
        mustReject(e, order(L1, .sell, 1), .maxPosition)
    }

    @Test func reservationLifecycle() {
        let e = makeEngine { $0.maxPositionPerSymbol = 1_000 }
        let a = mustAccept(e, order(L1, .buy, 300))
        #expect(e.state(of: a) == .checked)
        e.onSent(a)
        #expect(e.state(of: a) == .sent)
        e.onAccepted(a)
        #expect(e.state(of: a) == .live)
        #expect(e.openShares(locate: L1, side: .buy) == 300)
        e.onFill(a, shares: sh(100), price: px(ten))
        #expect(e.openShares(of: a) == sh(200))
        #expect(e.openShares(locate: L1, side: .buy) == 200)
        #expect(e.worstCaseExposure(locate: L1) == 300)
        e.onCanceled(a, shares: sh(50))                // partial cancel
        #expect(e.openShares(of: a) == sh(150))
        #expect(e.openOrderCount == 1)
        e.onCanceled(a, shares: sh(150))               // the rest
        #expect(e.openShares(of: a) == nil)
        #expect(e.state(of: a) == nil)
        #expect(e.openOrderCount == 0)
        #expect(e.openOrders(locate: L1) == 0)
        #expect(e.worstCaseExposure(locate: L1) == 100)

        // A stale handle is ignored, even after its slot is reused.
        let b = mustAccept(e, order(L1, .sell, 10))
        e.onFill(a, shares: sh(10), price: px(ten))
        e.onCanceled(a, shares: sh(10))
        #expect(e.openShares(of: b) == sh(10))
        #expect(e.positions.position(L1) == 100)
        #expect(e.counters.unknownOrderEvents == 2)

        e.onRejectedByVenue(b)
        #expect(e.openOrderCount == 0)
        let c = mustAccept(e, order(L1, .sell, 10))
        e.onNotSent(c)
        #expect(e.openOrderCount == 0)
        #expect(e.openShares(locate: L1, side: .sell) == 0)
        #expect(e.counters.venueRejects == 1)
        // An over-large cancel releases what is open.
        let d = mustAccept(e, order(L1, .buy, 5))
        e.onCanceled(d, shares: sh(UInt32.max))
        #expect(e.openOrderCount == 0)
        #expect(e.openShares(locate: L1, side: .buy) == 0)
    }

    @Test func replaceReleasesTheOldReservationAtomically() {
        let e = makeEngine { $0.maxPositionPerSymbol = 100 }
        let a = mustAccept(e, order(L1, .buy, 100))
        // Same quantity at a new price: passes only because the old 100 are released.
        #expect(e.onReplace(a, shares: sh(100), price: px(ten + 10), now: 1) == .accepted(a))
        #expect(e.onReplace(a, shares: sh(101), price: px(ten), now: 2) == .rejected(.maxPosition))
        #expect(e.openShares(of: a) == sh(100))        // a refused replace changes nothing
        #expect(e.openShares(locate: L1, side: .buy) == 100)
        e.onFill(a, shares: sh(30), price: px(ten))
        #expect(e.onReplace(a, shares: sh(71), price: px(ten), now: 3) == .rejected(.maxPosition))
        #expect(e.onReplace(a, shares: sh(70), price: px(ten), now: 4) == .accepted(a))
        #expect(e.onReplace(a, shares: sh(69), price: px(ten), now: 5) == .accepted(a))
        #expect(e.openShares(locate: L1, side: .buy) == 69)
        #expect(e.worstCaseExposure(locate: L1) == 99)
        mustAccept(e, order(L1, .buy, 1))
        #expect(e.openOrderCount == 2)                 // a replace keeps its slot
        #expect(e.counters.replacesAccepted == 3)
        // The replace goes through the other checks too.
        #expect(e.onReplace(a, shares: sh(1), price: px(ten * 3), now: 6) == .rejected(.priceCollar))
        #expect(e.onReplace(a, shares: sh(0), price: px(ten), now: 7) == .rejected(.invalidShares))
        // A closed order cannot be replaced.
        e.onCanceled(a, shares: sh(69))
        #expect(e.onReplace(a, shares: sh(1), price: px(ten), now: 8) == .rejected(.unknownOrder))
        #expect(e.rejectCount(.unknownOrder) == 1)
    }

    @Test func replaceCountsInTheThrottleNotInOpenOrders() {
        let e = makeEngine { $0.maxOpenOrders = 1; $0.throttleOrders = 2; $0.throttleWindowNanos = 100 }
        let a = mustAccept(e, order(L1, .buy, 10), now: 0)
        mustReject(e, order(L1, .buy, 10), .maxOpenOrders, now: 0)
        #expect(e.onReplace(a, shares: sh(20), price: px(ten), now: 10) == .accepted(a))
        #expect(e.onReplace(a, shares: sh(30), price: px(ten), now: 20) == .rejected(.throttle))
        #expect(e.onReplace(a, shares: sh(30), price: px(ten), now: 100) == .accepted(a))
    }

    @Test func marketOrderReservesItsShares() {
        let e = makeEngine { $0.maxPositionPerSymbol = 100 }
        let a = mustAccept(e, order(L1, .buy, 100, 0, .market))
        mustReject(e, order(L1, .buy, 1, ten, .ioc), .maxPosition)
        e.onFill(a, shares: sh(40), price: px(ten + 100))
        e.onCanceled(a, shares: sh(60))                // the rest expired
        #expect(e.positions.position(L1) == 40)
        mustAccept(e, order(L1, .buy, 60, ten, .ioc))
        mustReject(e, order(L1, .buy, 1, ten, .ioc), .maxPosition)
    }
}
