import Exchange
import MarketData
import ITCHBook
import OrderBook
import Testing
import TickwireCore

let alice = OrderOwner(session: 1, firm: 10)
let bob = OrderOwner(session: 2, firm: 20)
let bob2 = OrderOwner(session: 3, firm: 20)  // another session of bob's firm
let AAPL = StockLocate(rawValue: 1)

func px(_ dollars: Double) -> Price { Price(rawValue: Int64((dollars * 10_000).rounded())) }
func sh(_ n: UInt32) -> Shares { Shares(rawValue: n) }

func limit(_ side: Side, _ n: UInt32, _ p: Double, _ who: OrderOwner, _ kind: OrderKind = .limit) -> NewOrder {
    NewOrder(locate: AAPL, side: side, shares: sh(n), price: px(p), kind: kind, owner: who)
}

func engine(symbols: Int = 2, selfMatch: [UInt32: SelfMatchPolicy] = [:]) -> MatchingEngine {
    var c = MatchingEngineConfiguration(symbols: symbols, maxOrders: 10_000)
    c.selfMatch = selfMatch
    return MatchingEngine(configuration: c)
}

/// Executions reported to `who`, as (ref, shares, price, resting).
func fills(_ log: EventLog, _ who: OrderOwner) -> [(UInt64, UInt32, Int64, Bool)] {
    log.events.compactMap {
        if case let .executed(o, ref, s, p, _, resting) = $0, o == who { return (ref.rawValue, s.rawValue, p.rawValue, resting) }
        return nil
    }
}

@Suite struct MatchingEngineTests {
    @Test func priceThenTimePriority() throws {
        let e = engine()
        var log = EventLog()
        let a1 = try #require(e.submit(limit(.sell, 100, 10.01, alice), &log))
        let a2 = try #require(e.submit(limit(.sell, 100, 10.00, alice), &log))
        let a3 = try #require(e.submit(limit(.sell, 100, 10.00, bob2), &log))
        #expect(e.bestAsk(AAPL) == PriceLevel(price: px(10.00), shares: 200, orders: 2))
        log = EventLog()
        // Buys 250 up to 10.01: the better price first, and at 10.00 the earlier order first.
        let b = try #require(e.submit(limit(.buy, 250, 10.01, bob), &log))
        let got = fills(log, bob).map { $0.1 }
        #expect(got == [100, 100, 50])
        #expect(fills(log, alice).map { $0.0 } == [a2.rawValue, a1.rawValue])
        #expect(fills(log, bob2).map { $0.0 } == [a3.rawValue])
        #expect(fills(log, bob).allSatisfy { $0.0 == b.rawValue && !$0.3 })
        // Trades at the resting prices.
        #expect(fills(log, bob).map { $0.2 } == [100_000, 100_000, 100_100])
        #expect(e.bestAsk(AAPL) == PriceLevel(price: px(10.01), shares: 50, orders: 1))
        #expect(e.bestBid(AAPL) == nil, "the buy filled completely and does not rest")
        #expect(e.order(a1)?.shares == sh(50))
    }

    @Test func partialFillRestsTheRemainder() throws {
        let e = engine()
        var log = EventLog()
        e.submit(limit(.sell, 30, 5.00, alice), &log)
        let b = try #require(e.submit(limit(.buy, 100, 5.00, bob), &log))
        #expect(e.order(b)?.shares == sh(70))
        #expect(e.bestBid(AAPL) == PriceLevel(price: px(5.00), shares: 70, orders: 1))
        #expect(e.bestAsk(AAPL) == nil)
        // The market data: the sell's add and execution, then the buy's add of 70 only.
        let md = log.events.filter {
            switch $0 { case .mdAdd, .mdExecute, .mdCancel, .mdDelete, .mdReplace: return true; default: return false }
        }
        #expect(md.count == 3)
        if case let .mdAdd(_, ref, side, shares, _, _) = md[2] {
            #expect(ref == b && side == .buy && shares == sh(70))
        } else {
            Issue.record("expected an add, got \(md[2])")
        }
    }

    @Test func iocAndMarketNeverRest() throws {
        let e = engine()
        var log = EventLog()
        e.submit(limit(.sell, 100, 20.00, alice), &log)
        e.submit(limit(.sell, 100, 20.05, alice), &log)
        log = EventLog()
        let ioc = try #require(e.submit(limit(.buy, 150, 20.00, bob, .ioc), &log))
        #expect(fills(log, bob).map { $0.1 } == [100])
        #expect(log.events.contains(.canceled(owner: bob, ref: ioc, shares: sh(50), remaining: sh(0), reason: .immediateOrCancel)))
        #expect(e.bestBid(AAPL) == nil)
        log = EventLog()
        let mkt = try #require(e.submit(NewOrder(locate: AAPL, side: .buy, shares: sh(500), price: .zero, kind: .market, owner: bob), &log))
        #expect(fills(log, bob).map { $0.1 } == [100])
        #expect(fills(log, bob).map { $0.2 } == [200_500])
        #expect(log.events.contains(.canceled(owner: bob, ref: mkt, shares: sh(400), remaining: sh(0), reason: .immediateOrCancel)))
        #expect(e.liveOrders == 0)
    }

    @Test func replaceKeepsPriorityOnlyWhenSizeGoesDownAtTheSamePrice() throws {
        let e = engine()
        var log = EventLog()
        let first = try #require(e.submit(limit(.buy, 100, 9.00, alice), &log))
        let second = try #require(e.submit(limit(.buy, 100, 9.00, bob), &log))
        // Size down, same price: same reference, still first; published as a partial cancel.
        log = EventLog()
        #expect(e.replace(ref: first, owner: alice, shares: sh(60), price: px(9.00), &log) == first)
        #expect(log.events.contains(.mdCancel(locate: AAPL, ref: first, shares: sh(40))))
        #expect(e.queue(AAPL, .buy, px(9.00)).map(\.ref) == [first, second])
        // Size up at the same price: new reference, to the back.
        log = EventLog()
        let up = try #require(e.replace(ref: first, owner: alice, shares: sh(80), price: px(9.00), &log))
        #expect(up != first)
        #expect(e.queue(AAPL, .buy, px(9.00)).map(\.ref) == [second, up])
        #expect(log.events.contains(.mdReplace(locate: AAPL, old: first, new: up, shares: sh(80), price: px(9.00))))
        #expect(e.order(first) == nil)
        // New price: new reference, new level.
        let moved = try #require(e.replace(ref: second, owner: bob, shares: sh(100), price: px(9.01), &log))
        #expect(e.bestBid(AAPL) == PriceLevel(price: px(9.01), shares: 100, orders: 1))
        #expect(e.order(moved)?.owner == bob)
        // Not the owner: rejected, nothing changes.
        log = EventLog()
        #expect(e.replace(ref: moved, owner: alice, shares: sh(1), price: px(1.00), &log) == nil)
        #expect(log.events == [.cancelRejected(owner: alice, ref: moved, reason: .notOwner)])
        #expect(e.order(moved)?.shares == sh(100))
    }

    @Test func replaceThatCrossesTrades() throws {
        let e = engine()
        var log = EventLog()
        let ask = try #require(e.submit(limit(.sell, 100, 10.00, alice), &log))
        let bid = try #require(e.submit(limit(.buy, 150, 9.90, bob), &log))
        log = EventLog()
        let rest = try #require(e.replace(ref: bid, owner: bob, shares: sh(150), price: px(10.00), &log))
        #expect(log.events.first == .mdDelete(locate: AAPL, ref: bid))
        #expect(fills(log, alice).map { $0.0 } == [ask.rawValue])
        #expect(e.order(rest)?.shares == sh(50))
        #expect(e.bestBid(AAPL) == PriceLevel(price: px(10.00), shares: 50, orders: 1))
        #expect(e.bestAsk(AAPL) == nil)
    }

    @Test func cancelAndPartialCancel() throws {
        let e = engine()
        var log = EventLog()
        let o = try #require(e.submit(limit(.sell, 300, 1.25, alice), &log))
        log = EventLog()
        e.cancel(ref: o, owner: alice, remaining: sh(100), &log)
        #expect(log.events == [.mdCancel(locate: AAPL, ref: o, shares: sh(200)),
                               .canceled(owner: alice, ref: o, shares: sh(200), remaining: sh(100), reason: .user)])
        log = EventLog()
        e.cancel(ref: o, owner: alice, remaining: sh(500), &log)
        #expect(log.events.isEmpty, "asking to keep more than is left changes nothing")
        e.cancel(ref: o, owner: bob, &log)
        #expect(log.events == [.cancelRejected(owner: bob, ref: o, reason: .notOwner)])
        log = EventLog()
        e.cancel(ref: o, owner: alice, &log)
        #expect(log.events == [.mdDelete(locate: AAPL, ref: o),
                               .canceled(owner: alice, ref: o, shares: sh(100), remaining: sh(0), reason: .user)])
        #expect(e.liveOrders == 0 && e.depth(AAPL, .sell) == 0)
        log = EventLog()
        e.cancel(ref: o, owner: alice, &log)
        #expect(log.events == [.cancelRejected(owner: alice, ref: o, reason: .unknownOrder)])
    }

    @Test func rejects() {
        let e = engine()
        var log = EventLog()
        #expect(e.submit(NewOrder(locate: StockLocate(rawValue: 9), side: .buy, shares: sh(1), price: px(1), owner: alice), &log) == nil)
        #expect(e.submit(limit(.buy, 0, 1, alice), &log) == nil)
        #expect(e.submit(limit(.buy, 2_000_000, 1, alice), &log) == nil)
        #expect(e.submit(limit(.buy, 1, 0, alice), &log) == nil)
        #expect(e.submit(limit(.buy, 1, 500_000, alice), &log) == nil, "above Price(4)")
        #expect(log.events == [.rejected(owner: alice, reason: .unknownSymbol), .rejected(owner: alice, reason: .invalidShares),
                               .rejected(owner: alice, reason: .invalidShares), .rejected(owner: alice, reason: .invalidPrice),
                               .rejected(owner: alice, reason: .invalidPrice)])
    }

    @Test func selfMatchPreventionCancelsTheRestingOrder() throws {
        let e = engine(selfMatch: [20: .cancelResting])
        var log = EventLog()
        let own = try #require(e.submit(limit(.sell, 100, 10.00, bob2), &log))
        let other = try #require(e.submit(limit(.sell, 100, 10.00, alice), &log))
        log = EventLog()
        e.submit(limit(.buy, 100, 10.00, bob), &log)
        #expect(log.events.contains(.canceled(owner: bob2, ref: own, shares: sh(100), remaining: sh(0), reason: .selfMatch)))
        #expect(fills(log, alice).map { $0.0 } == [other.rawValue], "it went on to trade with the other firm")
        #expect(fills(log, bob2).isEmpty)
        #expect(e.liveOrders == 0)
    }

    @Test func selfMatchPreventionCancelsTheIncomingOrder() throws {
        let e = engine(selfMatch: [20: .cancelIncoming])
        var log = EventLog()
        let own = try #require(e.submit(limit(.sell, 100, 10.00, bob2), &log))
        log = EventLog()
        let b = try #require(e.submit(limit(.buy, 100, 10.00, bob), &log))
        #expect(log.events.contains(.canceled(owner: bob, ref: b, shares: sh(100), remaining: sh(0), reason: .selfMatch)))
        #expect(e.order(own)?.shares == sh(100))
        #expect(e.bestBid(AAPL) == nil, "the incoming order did not rest across its own firm's order")
        // Without prevention, the same firm trades with itself.
        let plain = engine()
        var l2 = EventLog()
        plain.submit(limit(.sell, 100, 10.00, bob2), &l2)
        plain.submit(limit(.buy, 100, 10.00, bob), &l2)
        #expect(fills(l2, bob).count == 1)
    }

    /// Random flows: shares are conserved order by order, the book never crosses, and the
    /// published ITCH rebuilds the engine's book level by level.
    @Test(arguments: [1, 2, 3] as [UInt64])
    func randomFlowConservesSharesAndPublishesTheBook(seed: UInt64) throws {
        let e = engine(symbols: 3, selfMatch: [20: .cancelResting, 30: .cancelIncoming])
        let owners = [alice, bob, bob2, OrderOwner(session: 4, firm: 30), OrderOwner(session: 5, firm: 30)]
        var rng = SplitMix64(state: seed)
        var log = EventLog()
        var live: [OrderRef] = []
        for _ in 0..<6_000 {
            let locate = StockLocate(rawValue: UInt16(1 + rng.below(3)))
            let who = owners[rng.below(owners.count)]
            let r = rng.below(100)
            if r < 55 || live.isEmpty {
                let kind: OrderKind = r < 3 ? .market : (r < 8 ? .ioc : .limit)
                let price = Price(rawValue: Int64(1_000_000 + 100 * (rng.below(21) - 10)))
                if let ref = e.submit(NewOrder(locate: locate, side: rng.below(2) == 0 ? .buy : .sell, shares: sh(UInt32(1 + rng.below(500))),
                                               price: price, kind: kind, owner: who, attributed: rng.below(4) == 0), &log) {
                    live.append(ref)
                }
            } else {
                let i = rng.below(live.count)
                let ref = live[i]
                guard let o = e.order(ref) else { live.swapAt(i, live.count - 1); live.removeLast(); continue }
                if r < 80 {
                    e.cancel(ref: ref, owner: o.owner, remaining: sh(rng.below(3) == 0 ? o.shares.rawValue / 2 : 0), &log)
                } else if let new = e.replace(ref: ref, owner: o.owner, shares: sh(UInt32(1 + rng.below(500))),
                                              price: Price(rawValue: Int64(1_000_000 + 100 * (rng.below(21) - 10))), &log) {
                    live.append(new)
                }
            }
            for l in 1...3 {
                let loc = StockLocate(rawValue: UInt16(l))
                if let b = e.bestBid(loc), let a = e.bestAsk(loc) { #expect(b.price < a.price, "crossed book") }
            }
        }
        // Conservation: per order, entered = filled + cancelled + resting. A replace starts a new
        // ledger: under a new reference with its new size, or in place (size down) with the
        // new size plus what was already filled or cancelled.
        var entered: [UInt64: Int64] = [:], done: [UInt64: Int64] = [:]
        var replacedAway = Set<UInt64>()
        for ev in log.events {
            switch ev {
            case let .accepted(_, ref, o): entered[ref.rawValue] = Int64(o.shares.rawValue)
            case let .executed(_, ref, s, _, _, _): done[ref.rawValue, default: 0] += Int64(s.rawValue)
            case let .canceled(_, ref, s, _, _): done[ref.rawValue, default: 0] += Int64(s.rawValue)
            case let .replaced(_, old, new, s, _):
                if old == new {
                    entered[old.rawValue] = Int64(s.rawValue) + done[old.rawValue, default: 0]
                } else {
                    replacedAway.insert(old.rawValue)
                    entered[new.rawValue] = Int64(s.rawValue)
                }
            default: break
            }
        }
        for (ref, n) in entered where !replacedAway.contains(ref) {
            let resting = Int64(e.order(OrderRef(rawValue: ref))?.shares.rawValue ?? 0)
            #expect(n == done[ref, default: 0] + resting, "order \(ref)")
        }
        // Executions pair up: every match number has exactly two reports of the same size.
        var byMatch: [UInt64: [UInt32]] = [:]
        for ev in log.events { if case let .executed(_, _, s, _, m, _) = ev { byMatch[m, default: []].append(s.rawValue) } }
        #expect(byMatch.values.allSatisfy { $0.count == 2 && $0[0] == $0[1] })
        #expect(byMatch.count > 500 && e.liveOrders > 50, "the flow trades and leaves a book: \(byMatch.count) matches, \(e.liveOrders) live")
        #expect(log.events.contains { if case .canceled(_, _, _, _, .selfMatch) = $0 { return true } else { return false } })

        // The published ITCH rebuilds the engine's book.
        let publisher = ITCHPublisher(symbols: ["AAA", "BBB", "CCC"])
        var file = BinaryFileSink()
        var t: UInt64 = 34_200_000_000_000
        for ev in log.events {
            t += 1_000
            publisher.publish(ev, at: VenueTime(nanosSinceMidnight: t), to: &file)
        }
        var builder = ITCHBookBuilder(book: try OrderBook(configuration: OrderBookConfiguration(maxOrders: 1 << 16)))
        let applied = file.bytes.withUnsafeBytes { raw in
            var w = ITCHFileWalker(raw)
            var seq: UInt64 = 0
            return builder.applyPipelined(&w, sequence: &seq)
        }
        #expect(applied == UInt64(file.count))
        #expect(builder.book.counters.unknownRefs == 0 && builder.book.counters.duplicateRefs == 0)
        #expect(builder.book.liveOrders == e.liveOrders)
        for l in 1...3 {
            let loc = StockLocate(rawValue: UInt16(l))
            for side in [Side.buy, .sell] {
                var fromFeed: [PriceLevel] = []
                builder.book.forEachLevel(locate: loc, side: side) { fromFeed.append($0) }
                #expect(fromFeed == e.levels(loc, side), "locate \(l) \(side)")
            }
        }
    }
}

