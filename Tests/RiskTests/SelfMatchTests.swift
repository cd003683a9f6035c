// Self-match prevention: no order of ours may trade with another of ours.
import Testing
import Risk
import TickwireCore

@Suite struct SelfMatchTests {
    func engine() -> RiskEngine { makeEngine { $0.selfMatchPrevention = true } }

    @Test func aBuyAtOrAboveOurSellIsRefusedBelowItPasses() {
        let e = engine()
        mustAccept(e, order(L1, .sell, 100, ten))
        mustReject(e, order(L1, .buy, 100, ten), .selfMatch)
        mustReject(e, order(L1, .buy, 100, ten + 1), .selfMatch)
        mustAccept(e, order(L1, .buy, 100, ten - 1))
        // Another stock is another book.
        mustAccept(e, order(L2, .buy, 100, ten + 50))
        // And a sell at or below our open buy (ten - 1) is refused, above it passes.
        mustReject(e, order(L1, .sell, 100, ten - 1), .selfMatch)
        mustReject(e, order(L1, .sell, 100, ten - 50), .selfMatch)
        mustAccept(e, order(L1, .sell, 100, ten + 20))
        #expect(e.rejectCount(.selfMatch) == 4)
    }

    @Test func marketAndIOCOrdersAreCheckedButNeverInTheWay() {
        let e = engine()
        let sell = mustAccept(e, order(L1, .sell, 100, ten + 30))
        // A market buy would take whatever is offered, ours included; an IOC through our price too.
        mustReject(e, order(L1, .buy, 100, 0, .market), .selfMatch)
        mustReject(e, order(L1, .buy, 100, ten + 30, .ioc), .selfMatch)
        mustAccept(e, order(L1, .buy, 100, ten + 29, .ioc))
        e.onCanceled(sell, shares: sh(100))
        // Our IOC and market orders in flight never rest: nothing crosses them.
        mustAccept(e, order(L1, .sell, 100, ten - 100, .ioc))
        mustAccept(e, order(L1, .sell, 100, 0, .market))
        mustAccept(e, order(L1, .buy, 100, ten + 90))
    }

    @Test func aClosedOrderIsNoLongerInTheWay() {
        let e = engine()
        let a = mustAccept(e, order(L1, .sell, 100, ten))
        let b = mustAccept(e, order(L1, .sell, 100, ten + 10))
        let c = mustAccept(e, order(L1, .sell, 100, ten + 20))
        mustReject(e, order(L1, .buy, 100, ten), .selfMatch)
        e.onCanceled(a, shares: sh(100))                               // the head of the list
        mustAccept(e, order(L1, .buy, 100, ten))
        mustReject(e, order(L1, .buy, 100, ten + 10), .selfMatch)
        #expect(!e.onFill(b, shares: sh(100), price: px(ten + 10)))   // the middle, filled in full
        mustAccept(e, order(L1, .buy, 100, ten + 15))
        mustReject(e, order(L1, .buy, 100, ten + 20), .selfMatch)
        e.onRejectedByVenue(c)                                         // the last
        mustAccept(e, order(L1, .buy, 100, ten + 50))
    }

    @Test func aReplaceIsCheckedAndMovesThePriceInTheWay() {
        let e = engine()
        let buy = mustAccept(e, order(L1, .buy, 100, ten - 10))
        let sell = mustAccept(e, order(L1, .sell, 100, ten + 10))
        // Down through our buy: refused, and the sell stays where it was.
        #expect(e.onReplace(sell, shares: sh(100), price: px(ten - 10), now: 0) == .rejected(.selfMatch))
        mustReject(e, order(L1, .buy, 100, ten + 10), .selfMatch)
        mustAccept(e, order(L1, .buy, 100, ten + 9))
        // Up: from the moment it is asked, the old price is free (the venue reads the session in
        // order) and the new one is in the way.
        #expect(e.onReplace(sell, shares: sh(100), price: px(ten + 40), now: 0).isAccepted)
        mustAccept(e, order(L1, .buy, 100, ten + 10))
        mustReject(e, order(L1, .buy, 100, ten + 40), .selfMatch)
        // The venue refused the replace: the order rests at its old price again.
        e.onReplaceRefused(sell, open: sh(100))
        mustReject(e, order(L1, .buy, 100, ten + 10), .selfMatch)
        // A buy replaced up to our sell is refused the same way.
        #expect(e.onReplace(buy, shares: sh(100), price: px(ten + 10), now: 0) == .rejected(.selfMatch))
    }

    @Test func offItLetsOrdersMeet() {
        let e = makeEngine { $0.selfMatchPrevention = false }
        mustAccept(e, order(L1, .sell, 100, ten))
        mustAccept(e, order(L1, .buy, 100, ten + 5))
    }

    /// Random orders, replaces, fills and cancels on three stocks against a plain list of what is
    /// open: an order is refused `selfMatch` exactly when it would meet one of our open limit
    /// orders on the other side, whatever the history.
    @Test(arguments: Array(1 ... 8) as [UInt64])
    func refusedExactlyWhenItWouldMeetOurs(seed: UInt64) {
        var rng = SplitMix64(seed: seed)
        let e = engine()
        struct Open { var id: RiskOrderID; var locate: StockLocate; var side: Side; var price: Int64; var kind: OrderKind; var open: UInt32 }
        var open: [Open] = []
        func meets(_ locate: StockLocate, _ side: Side, _ price: Int64, _ kind: OrderKind, except: Int? = nil) -> Bool {
            open.indices.contains { i in
                let o = open[i]
                guard i != except, o.locate == locate, o.side != side, o.kind == .limit else { return false }
                return kind == .market || (side == .buy ? o.price <= price : o.price >= price)
            }
        }
        var refused = 0
        for step in 0 ..< 3_000 {
            let now = UInt64(step)
            let locate = [L1, L2, L3][rng.below(3)]
            switch rng.below(10) {
            case 0 ..< 5:
                let side: Side = rng.chance(50) ? .buy : .sell
                let kind: OrderKind = rng.chance(80) ? .limit : (rng.chance(50) ? .ioc : .market)
                let price = ten + rng.range(-20 ... 20)
                let expectMeet = meets(locate, side, price, kind)
                let d = e.check(order(locate, side, 100, price, kind), now: now)
                #expect((d == .rejected(.selfMatch)) == expectMeet)
                if expectMeet { refused += 1 }
                if let id = d.orderID { open.append(Open(id: id, locate: locate, side: side, price: price, kind: kind, open: 100)) }
            case 5, 6:
                guard !open.isEmpty else { continue }
                let i = rng.below(open.count)
                guard open[i].kind == .limit else { continue }
                let price = ten + rng.range(-20 ... 20)
                let expectMeet = meets(open[i].locate, open[i].side, price, .limit, except: i)
                let d = e.onReplace(open[i].id, shares: sh(100), price: px(price), now: now)
                #expect((d == .rejected(.selfMatch)) == expectMeet)
                if d.isAccepted { open[i].price = price }
            case 7:
                guard !open.isEmpty else { continue }
                let i = rng.below(open.count)
                _ = e.onFill(open[i].id, shares: sh(open[i].open), price: px(open[i].price))
                open.remove(at: i)
            default:
                guard !open.isEmpty else { continue }
                let i = rng.below(open.count)
                e.onCanceled(open[i].id, shares: sh(open[i].open))
                open.remove(at: i)
            }
        }
        #expect(refused > 50, "the walk must meet our own orders often: \(refused)")
    }
}
