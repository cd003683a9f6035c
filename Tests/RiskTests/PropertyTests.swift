// Random limits and random order flows (new orders, replaces, fills, cancels, venue rejects,
// quotes, references, ticks, resets), checked after every step against a naive model kept in
// plain arrays: every decision must be the one the model predicts (same reason, in the same
// order of checks), and no limit may be breached, neither by the actual positions nor by the
// worst case with every open order filled.
import Testing
import Risk
import TickwireCore

private struct ModelOrder {
    var id: RiskOrderID
    var loc: Int
    var sell: Bool
    var open: Int64
    var kind: OrderKind
}

/// The risk rules restated the simple way: sums over a list of orders, bounds instead of
/// distances, 128-bit products instead of overflow checks.
private struct Model {
    let l: RiskLimits
    let locates: Int
    var bid: [Int64?]
    var ask: [Int64?]
    var reference: [Int64?]
    var pos: [Int64]
    var cash: [Int64]
    var mark2: [Int64]
    var orders: [ModelOrder] = []
    var sendTimes: [UInt64] = []

    init(_ l: RiskLimits, locates: Int) {
        self.l = l
        self.locates = locates
        bid = .init(repeating: nil, count: locates)
        ask = .init(repeating: nil, count: locates)
        reference = .init(repeating: nil, count: locates)
        pos = .init(repeating: 0, count: locates)
        cash = .init(repeating: 0, count: locates)
        mark2 = .init(repeating: 0, count: locates)
    }

    /// bid + ask when both are known and usable.
    func mid2(_ loc: Int) -> Int64? {
        guard let b = bid[loc], let a = ask[loc], b > 0, a > 0 else { return nil }
        if b > a && l.killOnCrossedBook { return nil }
        return b + a
    }

    func open(_ loc: Int, sell: Bool, excluding: RiskOrderID? = nil) -> Int64 {
        orders.filter { $0.loc == loc && $0.sell == sell && $0.id != excluding }.reduce(0) { $0 + $1.open }
    }

    func worst(_ loc: Int, extraBuy: Int64 = 0, extraSell: Int64 = 0, excluding: RiskOrderID? = nil) -> Int64 {
        let hi = pos[loc] + open(loc, sell: false, excluding: excluding) + extraBuy
        let lo = pos[loc] - open(loc, sell: true, excluding: excluding) - extraSell
        return max(abs(hi), abs(lo))
    }

    func gross() -> Int64 { (1 ..< locates).reduce(0) { $0 + worst($1) } }

    func inWindow(_ now: UInt64) -> Int {
        sendTimes.filter { now < l.throttleWindowNanos || $0 > now - l.throttleWindowNanos }.count
    }

    func expected(loc: Int, sell: Bool, shares q: Int64, price: Int64, kind: OrderKind,
                  replacing: ModelOrder?, engaged: Bool, now: UInt64) -> RiskReject? {
        if engaged { return .killSwitch }
        guard loc >= 1 && loc < locates else { return .unknownSymbol }
        if q == 0 { return .invalidShares }
        if q > Int64(l.maxOrderShares) { return .maxOrderShares }
        var p = price
        if kind == .market {
            guard let far = sell ? bid[loc] : ask[loc], far > 0 else { return .noQuote }
            p = far
        } else if p <= 0 {
            return .invalidPrice
        }
        if let r2 = mid2(loc) ?? reference[loc].map({ $0 * 2 }) {
            // p must lie in [ref × (1 - c), ref × (1 + c)], ref = r2 / 2, c = bps / 10,000.
            let lowest = (Int128(r2) * (10_000 - Int128(l.collarBps)) + 19_999) / 20_000  // ceiling for >= 0
            let highest = Int128(r2) * (10_000 + Int128(l.collarBps)) / 20_000
            if Int128(p) > highest || (lowest > 0 && Int128(p) < lowest) { return .priceCollar }
        } else if !l.allowWithoutReference {
            return .noReference
        }
        if Int128(p) * Int128(q) > Int128(l.maxOrderNotional) { return .maxOrderNotional }
        if replacing == nil && orders.count >= l.maxOpenOrders { return .maxOpenOrders }
        let ex = replacing?.id
        let hiOld = pos[loc] + open(loc, sell: false)
        let loOld = pos[loc] - open(loc, sell: true)
        let hi = pos[loc] + open(loc, sell: false, excluding: ex) + (sell ? 0 : q)
        let lo = pos[loc] - open(loc, sell: true, excluding: ex) - (sell ? q : 0)
        if sell ? (lo < -l.maxPositionPerSymbol && lo < loOld) : (hi > l.maxPositionPerSymbol && hi > hiOld) {
            return .maxPosition
        }
        let oldGross = gross()
        let newGross = oldGross - worst(loc) + max(abs(hi), abs(lo))
        if newGross > l.maxGrossPosition && newGross > oldGross { return .maxGrossPosition }
        if inWindow(now) >= l.throttleOrders { return .throttle }
        return nil
    }
}

@Suite struct RiskPropertyTests {
    /// Self-match prevention off: the reference model here does not keep prices
    /// (`SelfMatchTests` has its own property).
    static func randomLimits(_ rng: inout SplitMix64) -> RiskLimits {
        var l = RiskLimits(
            maxOrderShares: UInt32(rng.range(1 ... 300)),
            maxOrderNotional: rng.range(20 ... 400) * 100_000,
            collarBps: rng.range(0 ... 400),
            allowWithoutReference: rng.chance(50),
            maxPositionPerSymbol: rng.range(0 ... 1_000),
            maxGrossPosition: rng.range(0 ... 2_500),
            maxOpenOrders: Int(rng.range(1 ... 40)),
            throttleOrders: Int(rng.range(1 ... 8)),
            throttleWindowNanos: UInt64(rng.range(1 ... 5_000)),
            maxLoss: rng.chance(30) ? .max : rng.range(100_000 ... 50_000_000),
            volatilityBps: rng.chance(50) ? .max : rng.range(50 ... 1_000),
            volatilityWindowNanos: UInt64(rng.range(1_000 ... 100_000)),
            killOnCrossedBook: rng.chance(50),
            staleBookNanos: rng.chance(50) ? .max : UInt64(rng.range(5_000 ... 50_000)))
        l.selfMatchPrevention = false
        return l
    }

    @Test(arguments: Array(1 ... 12) as [UInt64])
    func noLimitIsEverBreached(seed: UInt64) throws {
        var rng = SplitMix64(seed: seed)
        let limits = Self.randomLimits(&rng)
        let locates = 5
        let e = try RiskEngine(limits: limits, maxLocates: locates)
        var m = Model(limits, locates: locates)
        var mids = [Int64](repeating: 100_000, count: locates)
        var now: UInt64 = 0
        var accepted = 0, rejected = 0, fills = 0

        func randomPrice(_ loc: Int) -> Int64 {
            let base = mids[min(max(loc, 1), locates - 1)]
            let band = base * limits.collarBps / 10_000 + 20
            return base + rng.range(-band - 10 ... band + 10)
        }

        for step in 0 ..< 4_000 {
            now += UInt64(rng.range(0 ... Int64(limits.throttleWindowNanos / UInt64(limits.throttleOrders))))
            var pnlChanged = false
            var crossed = false
            let action = rng.below(100)
            if action < 35 {
                // New order.
                var loc = 1 + rng.below(locates - 1)
                if rng.chance(2) { loc = rng.chance(50) ? 0 : locates }
                let sell = rng.chance(50)
                let q = rng.range(0 ... Int64(limits.maxOrderShares) * 11 / 10 + 2)
                let kind: OrderKind = [.limit, .limit, .ioc, .market][rng.below(4)]
                let p = rng.chance(2) ? 0 : randomPrice(loc)
                let want = m.expected(loc: loc, sell: sell, shares: q, price: p, kind: kind,
                                      replacing: nil, engaged: e.isEngaged, now: now)
                let d = e.check(OrderIntent(locate: StockLocate(rawValue: UInt16(loc)), side: sell ? .sell : .buy,
                                            shares: sh(UInt32(q)), price: px(p), kind: kind), now: now)
                guard d.reject == want else {
                    Issue.record("step \(step): check \(loc) \(sell ? "S" : "B") \(q) @\(p) \(kind): engine \(d), model \(String(describing: want))")
                    return
                }
                if let id = d.orderID {
                    m.orders.append(ModelOrder(id: id, loc: loc, sell: sell, open: q, kind: kind))
                    m.sendTimes.append(now)
                    accepted += 1
                    if rng.chance(50) { e.onSent(id) }
                } else {
                    rejected += 1
                }
            } else if action < 45, !m.orders.isEmpty {
                // Replace.
                let k = rng.below(m.orders.count)
                let o = m.orders[k]
                let q = rng.range(0 ... Int64(limits.maxOrderShares) + 10)
                let p = randomPrice(o.loc)
                let want = m.expected(loc: o.loc, sell: o.sell, shares: q, price: p, kind: o.kind,
                                      replacing: o, engaged: e.isEngaged, now: now)
                let d = e.onReplace(o.id, shares: sh(UInt32(q)), price: px(p), now: now)
                guard d.reject == want else {
                    Issue.record("step \(step): replace \(o) to \(q) @\(p): engine \(d), model \(String(describing: want))")
                    return
                }
                if d.isAccepted {
                    #expect(d.orderID == o.id)
                    m.orders[k].open = q
                    m.sendTimes.append(now)
                }
            } else if action < 65, !m.orders.isEmpty {
                // Fill part or all of an open order.
                let k = rng.below(m.orders.count)
                let o = m.orders[k]
                let q = rng.range(1 ... o.open)
                let p = max(1, randomPrice(o.loc))
                e.onFill(o.id, shares: sh(UInt32(q)), price: px(p))
                m.pos[o.loc] += o.sell ? -q : q
                m.cash[o.loc] += o.sell ? p * q : -p * q
                if m.mark2[o.loc] == 0 { m.mark2[o.loc] = 2 * p }
                m.orders[k].open -= q
                if m.orders[k].open == 0 { m.orders.remove(at: k) }
                pnlChanged = true
                fills += 1
            } else if action < 75, !m.orders.isEmpty {
                // Cancel part, all, or more than open.
                let k = rng.below(m.orders.count)
                let o = m.orders[k]
                let q = rng.range(1 ... o.open + 3)
                e.onCanceled(o.id, shares: sh(UInt32(q)))
                m.orders[k].open -= min(q, o.open)
                if m.orders[k].open == 0 { m.orders.remove(at: k) }
            } else if action < 78, !m.orders.isEmpty {
                let k = rng.below(m.orders.count)
                if rng.chance(50) { e.onRejectedByVenue(m.orders[k].id) } else { e.onNotSent(m.orders[k].id) }
                m.orders.remove(at: k)
            } else if action < 92 {
                // A quote: the mid walks; sometimes one side is missing, sometimes it crosses.
                let loc = 1 + rng.below(locates - 1)
                mids[loc] = max(1_000, mids[loc] + rng.range(-100 ... 100))
                let half = rng.range(0 ... 50)
                var b: Int64? = mids[loc] - half
                var a: Int64? = mids[loc] + half
                if rng.chance(5) { b = nil }
                if rng.chance(5) { a = nil }
                if rng.chance(3), let bb = b, let aa = a { b = aa + 1; a = bb }
                m.bid[loc] = b
                m.ask[loc] = a
                if let m2 = m.mid2(loc) { m.mark2[loc] = m2 }
                if let bb = b, let aa = a, bb > aa, limits.killOnCrossedBook { crossed = true }
                e.onBBO(locate: StockLocate(rawValue: UInt16(loc)), bid: b.map(px), ask: a.map(px), now: now)
                pnlChanged = true
            } else if action < 94 {
                let loc = 1 + rng.below(locates - 1)
                let r: Int64? = rng.chance(20) ? nil : mids[loc] + rng.range(-50 ... 50)
                m.reference[loc] = r
                if let r, m.mid2(loc) == nil { m.mark2[loc] = 2 * r }
                e.setReference(locate: StockLocate(rawValue: UInt16(loc)), price: r.map(px))
                pnlChanged = true
            } else if action < 97 {
                e.tick(now: now)
            } else if e.isEngaged {
                e.reset()
            }
            if m.sendTimes.count > limits.throttleOrders { m.sendTimes.removeFirst(m.sendTimes.count - limits.throttleOrders) }

            // Invariants after every step.
            var ok = true
            func check(_ c: Bool, _ what: @autoclosure () -> String) {
                if ok && !c {
                    Issue.record("step \(step): \(what())")
                    ok = false
                }
            }
            var grossActual: Int64 = 0
            var grossWorst: Int64 = 0
            var pnl: Int64 = 0
            for loc in 1 ..< locates {
                let l = StockLocate(rawValue: UInt16(loc))
                let w = m.worst(loc)
                check(e.positions.position(l) == m.pos[loc], "position \(loc): \(e.positions.position(l)) vs \(m.pos[loc])")
                check(abs(m.pos[loc]) <= limits.maxPositionPerSymbol, "position \(loc) \(m.pos[loc]) over \(limits.maxPositionPerSymbol)")
                check(w <= limits.maxPositionPerSymbol, "worst case \(loc) \(w) over \(limits.maxPositionPerSymbol)")
                check(e.worstCaseExposure(locate: l) == w, "worst case \(loc): \(e.worstCaseExposure(locate: l)) vs \(w)")
                check(e.openShares(locate: l, side: .buy) == m.open(loc, sell: false), "open buys \(loc)")
                check(e.openShares(locate: l, side: .sell) == m.open(loc, sell: true), "open sells \(loc)")
                check(e.openOrders(locate: l) == m.orders.filter { $0.loc == loc }.count, "open orders \(loc)")
                let expectedPnL = m.cash[loc] + ((m.pos[loc] * m.mark2[loc]) >> 1)
                let actualPnL = e.positions.realizedPnL(l) + e.positions.unrealizedPnL(l)
                check(actualPnL == expectedPnL, "pnl \(loc): \(actualPnL) vs \(expectedPnL)")
                grossActual += abs(m.pos[loc])
                grossWorst += w
                pnl += expectedPnL
            }
            check(grossActual <= limits.maxGrossPosition, "gross \(grossActual) over \(limits.maxGrossPosition)")
            check(grossWorst <= limits.maxGrossPosition, "worst gross \(grossWorst) over \(limits.maxGrossPosition)")
            check(e.worstCaseGross == grossWorst, "worst gross \(e.worstCaseGross) vs \(grossWorst)")
            check(e.openOrderCount == m.orders.count, "open orders \(e.openOrderCount) vs \(m.orders.count)")
            check(m.orders.count <= limits.maxOpenOrders, "open orders over the limit")
            check(m.inWindow(now) <= limits.throttleOrders, "throttle window over the limit")
            for o in m.orders { check(e.openShares(of: o.id) == sh(UInt32(o.open)), "open shares of \(o.id)") }
            check(e.positions.totalPnL == pnl, "total pnl \(e.positions.totalPnL) vs \(pnl)")
            if pnlChanged && pnl < -limits.maxLoss { check(e.isEngaged, "loss \(pnl) past \(limits.maxLoss) not engaged") }
            if crossed { check(e.isEngaged && e.hasTripped(.crossedBook), "crossed book not engaged") }
            if !ok { return }
        }
        // The flow must have exercised both outcomes.
        #expect(accepted > 50)
        #expect(rejected > 50)
        #expect(fills > 50)
    }
}
