// Pre-trade risk: every order the gateway sends passes `check` first, inline on the order path.
//
// DESIGN NOTE
//
// Storage. Everything is allocated in init from RiskLimits and maxLocates and freed in deinit:
// per-symbol records indexed by StockLocate.rawValue (index 0, "no stock", is never used), an
// open-order table of exactly maxOpenOrders slots with a LIFO free list, the throttle's ring of
// throttleOrders timestamps, a list of the symbols that have open orders (for the stale guard),
// and the mutable scalars in one allocated `EngineState`. Buffers are UnsafeMutablePointers in
// `let` properties: the hot calls do no allocation, no ARC, no locks, no syscalls, no
// existentials or closures, no dictionary or String, and no dynamic exclusivity checks. Money is
// Int64 in 1/10,000 dollars; products that could overflow are checked (the notional, with
// multipliedReportingOverflow, an overflow being a breach) or formed in 128 bits (the collar and
// volatility comparisons, which are then exact).
//
// Order of the checks in `check` (the first failure is the reason returned and counted):
//   1. kill switch            - one load; when engaged nothing else matters.
//   2. symbol                 - locate 0 or out of range; everything below indexes by it.
//   3. shares > 0, <= maxOrderShares
//   4. price                  - limit/IOC: > 0; market: the far side of the BBO must be known
//                               (`noQuote`) and is the price used by the checks that follow.
//   5. reference and collar   - reference = the BBO mid when both sides are known, else the
//                               symbol's reference price; none: `noReference` unless allowed.
//   6. notional               - price × shares.
//   7. self-match             - would it trade with an open limit order of ours on the other
//                               side (a buy at or above our sell, a sell at or below our buy;
//                               a market order with any)? Each symbol keeps its open orders of
//                               each side in a list through the order slots (a few at most), with
//                               the price each rests at (a replace's from the moment it is
//                               asked: the venue handles one session in order; the old one back
//                               if the venue refuses it). Off with `selfMatchPrevention`.
//   8. open orders            - new orders only: a replace keeps its slot.
//   9. position, then gross   - worst case, with every open order filled (below).
//  10. throttle               - last.
// Why this order: first what is wrong with the order itself, independent of any state (a
// malformed or fat-fingered order is reported as such, whatever else is true), then what
// depends on the market (collar, notional at the checked price), then on our own state
// (capacity, exposure), and the rate last, so a window slot is only spent by an order that
// passes everything else, and `throttle` means exactly "would have gone out but for the rate".
// No check changes state; only an order that passes all of them reserves (below), so a reject
// leaves the engine exactly as it was except for its reject counter.
//
// Exposure and reservation. Per symbol the engine keeps openBuy and openSell (the open shares of
// its orders on each side) and reads the position P from the PositionBook. If every open order
// filled, P would end anywhere in [P - openSell, P + openBuy], so the worst-case exposure is
// w = max(|P + openBuy|, |P - openSell|), and the worst-case gross is the sum of w over
// symbols, kept as a running total. A buy moves the high end P + openBuy up, a sell the low end
// down; the order passes if the end it moves stays within ±maxPositionPerSymbol and the gross,
// with the order, stays <= maxGrossPosition. While both ends are within the limit that is
// exactly w <= limit. A fill moves shares from open to the position (the range shrinks), a
// cancel removes them (it shrinks), so a limit that held at the check holds whatever fills
// later: the actual |P| and sum |P| are always <= the worst case. An order that moves its end
// (or the gross) toward zero, or not at all, also passes when it is already over the limit, so a
// position pushed past its limit by an over-fill can always be reduced, never increased.
//   - Made: inside `check`, when it returns `.accepted(id)`. Checking and reserving are one step,
//     so two checks in a row can never both spend the same headroom, and the gateway cannot
//     forget to reserve. The throttle's window counts the order at the same moment.
//   - `onSent` and `onAccepted` (venue ack) only record the order's state; exposure is the same
//     in every state, because an order can fill from the moment it leaves.
//   - Released: by `onFill` (the filled shares move from open into the position), `onCanceled`
//     (the canceled shares), `onRejectedByVenue` and `onNotSent` (all open shares). The order
//     closes, its slot is freed and the open-order count drops when its open shares reach 0.
//   - `onReplace(id, shares:, price:)`: the new open quantity and price are checked as an order
//     with the old order's open shares taken out of the exposure, and on success the reservation
//     is switched from the old quantity to the new in the same call; on failure nothing changes
//     and the old order stays as it was. The handle stays the same (the gateway maps the new
//     venue token to it). `shares` is the open quantity wanted after the replace; the gateway
//     turns it into the venue's field (OUCH: shares liable for the whole chain = executed + open),
//     so fills of the old order still in flight reduce the new one, as they reduce our count.
//     A replace counts in the throttle, not in the open-order count.
//   - `onReplaceRefused(id, open:)`: a replace that passed did not happen (the venue refused it,
//     or the order left the book before the replace reached it); the reservation goes back to
//     what the order still has open at the venue, and the order closes at 0.
//
// Kill switch. Engaged by `engage(reason:)` (operator) or by a guard: loss limit (checked after
// each fill and each mid change), volatility (each mid change), crossed book (each BBO), stale
// book (`tick(now:)`), feed gap (`feedGap()`). Once engaged, every `check` and `onReplace` is
// rejected `.killSwitch` until `reset()`, which only an operator should call. The engine only
// blocks: it does not cancel anything and does not list what to cancel. The gateway owns its
// order table and must cancel its open orders itself when it sees the switch engaged (the
// guards' entry points return true when they engage it, and `isEngaged` can be polled). Fills,
// cancels and venue rejects go on being applied while engaged, so positions and reservations
// stay right. `reset()` clears the switch and the volatility windows; it does not clear a cause:
// a guard whose condition still holds trips again at its next evaluation.
//
// Guards, exactly:
//   - Loss: total PnL (PositionBook: realized + unrealized at the mid) < -maxLoss.
//   - Volatility: per symbol, mids (kept doubled, bid + ask, so exact) fall into consecutive
//     buckets of volatilityWindowNanos; the guard trips when (hi - lo) × 10,000 > volatilityBps ×
//     lo over the current and previous bucket. Any two mids less than a window apart are in the
//     same or adjacent buckets, so every move of more than K bp within a window trips; a move
//     spread over one to two windows may also trip (the guard errs toward stopping).
//   - Crossed: bid > ask on an update with both sides (only when killOnCrossedBook).
//   - Stale: at `tick(now:)`, for each symbol with open orders, now - max(last BBO update, time
//     it last went from no open orders to one) > staleBookNanos. Counting from that moment too
//     means a symbol that has had no update for a while may be traded, but is watched from then.
//
// Time is the caller's `now` in nanoseconds. If it goes backwards the throttle refuses until it
// catches up with the ring (the safe side), a volatility window restarts, and the stale guard
// sees no time elapsed.
public import TickwireCore

/// Per-symbol record. The first 64 bytes are what `check` reads.
struct SymbolRisk {
    /// Best bid and ask, raw price; `none` when unknown.
    var bid: Int64
    var ask: Int64
    /// bid + ask when both are known (and the book is usable), else 0: twice the mid.
    var mid2: Int64
    /// Twice the reference price set by `setReference`, 0 = none.
    var reference2: Int64
    var openBuy: Int64
    var openSell: Int64
    /// max(|P + openBuy|, |P - openSell|), kept current; the gross total is the sum of these.
    var worst: Int64
    var openOrders: Int32
    /// Index in the active list, -1 when the symbol has no open orders.
    var activeIndex: Int32
    // Second line: read by guards only.
    var lastUpdate: UInt64
    var activeSince: UInt64
    /// MarketGuard bits that halt the symbol (its book unusable, a market guard set to halt):
    /// every order in it is refused.
    var blocked: UInt8
    /// MarketGuard bits that reduce the symbol (orders above `tail.reduceFactor` of the size
    /// limit are refused).
    var reduced: UInt8
    /// MarketGuard bits that widen the symbol (orders must rest `widenBy` behind the touch).
    var widened: UInt8
    /// The symbol's open orders on each side, a list through the order slots (-1: none), for
    /// self-match prevention.
    var buyHead: Int32
    var sellHead: Int32

    static let none = Int64.min
}

/// Volatility guard state of one symbol, in doubled-mid units. lo == 0: empty.
struct VolatilityWindow {
    var start: UInt64
    var lo: Int64
    var hi: Int64
    var prevLo: Int64
    var prevHi: Int64
    static let empty = VolatilityWindow(start: 0, lo: 0, hi: 0, prevLo: 0, prevHi: 0)
}

/// An open order: 48 bytes. `nextFree` chains free slots; a free slot has state 0.
struct RiskOrderSlot {
    var open: UInt32
    var generation: UInt32
    var nextFree: Int32
    var locate: UInt16
    var sell: Bool
    var kind: UInt8
    var state: UInt8
    /// The limit price it rests at (the last replace's, once asked: the venue reads one session
    /// in order, so the replace is done before any later order arrives), and the one before
    /// that replace (back when the venue refuses it).
    var price: Int64
    var priceBefore: Int64
    /// Neighbours in its symbol's list of open orders on its side (-1: none).
    var prev: Int32
    var next: Int32
}

struct EngineState {
    var engaged: Bool
    /// KillReason raw value of the first engagement, 0xFF when never engaged since reset.
    var firstReason: UInt8
    /// Bit per KillReason seen since the last reset.
    var reasonMask: UInt16
    var orderFree: Int32
    var openCount: Int
    var grossWorst: Int64
    var activeCount: Int
    var throttleHead: Int
    var throttleCount: Int
    var counters: RiskCounters
}

/// The pre-trade risk engine of one gateway. Single-threaded: one owner calls everything; it is
/// not Sendable.
public final class RiskEngine {
    public let limits: RiskLimits
    /// Positions and PnL, updated by `onFill` and by the engine's market data. Read it freely;
    /// feeding it fills directly would bypass the open-order accounting.
    public let positions: PositionBook

    let locateCount: Int
    let symbols: UnsafeMutablePointer<SymbolRisk>
    let windows: UnsafeMutablePointer<VolatilityWindow>
    /// Locates with open orders, `activeCount` of them, in no order.
    let active: UnsafeMutablePointer<UInt16>
    let orders: UnsafeMutablePointer<RiskOrderSlot>
    let orderCapacity: Int
    /// Accept times of the last `throttleOrders` orders, oldest at `throttleHead` once full.
    let ring: UnsafeMutablePointer<UInt64>
    let ringSize: Int
    let rejects: UnsafeMutablePointer<UInt64>
    let state: UnsafeMutablePointer<EngineState>

    // Hot copies of limits, so a check reads plain stored lets.
    let maxShares: UInt32
    let maxNotional: Int64
    let collar: Int128
    let allowNoReference: Bool
    let maxPosition: Int64
    let maxGross: Int64
    let throttleWindow: UInt64
    let selfMatchPrevention: Bool
    // Tail-risk guards (TailGuards.swift).
    let tail: TailGuardLimits
    let baselines: UnsafeMutablePointer<GuardBaseline>
    let runaway: UnsafeMutablePointer<RunawayState>
    let orderBuckets: UnsafeMutablePointer<UInt32>
    let peakBuckets: UnsafeMutablePointer<Int64>
    let guardTrips: UnsafeMutablePointer<UInt64>
    let halts: UnsafeMutablePointer<UInt16>
    let haltCapacity = 256
    /// Per locate: how far behind its touch a widen guard makes orders rest (raw price, 0:
    /// none). Strategies read it through `StrategyContext.requiredOffset` (`wideningTable`).
    let widenBy: UnsafeMutablePointer<Int64>
    /// Symbols a market guard halted that `takeHalts` has not handed over yet.
    public internal(set) var haltCount = 0

    /// - Parameter maxLocates: per-symbol arrays cover locates `1 ..< maxLocates` (2...65,536).
    public init(limits l: RiskLimits, maxLocates: Int) throws(RiskConfigurationError) {
        func need(_ ok: Bool, _ what: @autoclosure () -> String) throws(RiskConfigurationError) {
            if !ok { throw RiskConfigurationError(what()) }
        }
        try need(maxLocates >= 2 && maxLocates <= 65_536, "maxLocates \(maxLocates) not in 2...65536")
        try need(l.maxOpenOrders >= 1 && l.maxOpenOrders <= 1 << 24, "maxOpenOrders \(l.maxOpenOrders) not in 1...\(1 << 24)")
        try need(l.throttleOrders >= 1 && l.throttleOrders <= 1 << 20, "throttleOrders \(l.throttleOrders) not in 1...\(1 << 20)")
        try need(l.throttleWindowNanos >= 1, "throttleWindowNanos must be >= 1")
        try need(l.volatilityWindowNanos >= 1, "volatilityWindowNanos must be >= 1")
        try need(l.maxOrderNotional >= 0, "maxOrderNotional must be >= 0")
        try need(l.collarBps >= 0, "collarBps must be >= 0")
        try need(l.maxPositionPerSymbol >= 0, "maxPositionPerSymbol must be >= 0")
        try need(l.maxGrossPosition >= 0, "maxGrossPosition must be >= 0")
        try need(l.maxLoss >= 0, "maxLoss must be >= 0")
        try need(l.volatilityBps >= 0, "volatilityBps must be >= 0")

        limits = l
        positions = try PositionBook(maxLocates: maxLocates)
        locateCount = maxLocates
        symbols = .allocate(capacity: maxLocates)
        symbols.initialize(repeating: SymbolRisk(bid: SymbolRisk.none, ask: SymbolRisk.none, mid2: 0, reference2: 0,
                                                 openBuy: 0, openSell: 0, worst: 0, openOrders: 0, activeIndex: -1,
                                                 lastUpdate: 0, activeSince: 0, blocked: 0, reduced: 0, widened: 0,
                                                 buyHead: -1, sellHead: -1),
                           count: maxLocates)
        windows = .allocate(capacity: maxLocates)
        windows.initialize(repeating: .empty, count: maxLocates)
        active = .allocate(capacity: maxLocates)
        active.initialize(repeating: 0, count: maxLocates)
        orderCapacity = l.maxOpenOrders
        orders = .allocate(capacity: l.maxOpenOrders)
        for i in 0 ..< l.maxOpenOrders {
            (orders + i).initialize(to: RiskOrderSlot(open: 0, generation: 1,
                                                      nextFree: i + 1 < l.maxOpenOrders ? Int32(i + 1) : -1,
                                                      locate: 0, sell: false, kind: 0, state: 0,
                                                      price: 0, priceBefore: 0, prev: -1, next: -1))
        }
        ringSize = l.throttleOrders
        ring = .allocate(capacity: l.throttleOrders)
        ring.initialize(repeating: 0, count: l.throttleOrders)
        rejects = .allocate(capacity: RiskReject.allCases.count)
        rejects.initialize(repeating: 0, count: RiskReject.allCases.count)
        state = .allocate(capacity: 1)
        state.initialize(to: EngineState(engaged: false, firstReason: 0xFF, reasonMask: 0, orderFree: 0,
                                         openCount: 0, grossWorst: 0, activeCount: 0, throttleHead: 0,
                                         throttleCount: 0, counters: RiskCounters()))
        maxShares = l.maxOrderShares
        maxNotional = l.maxOrderNotional
        collar = Int128(l.collarBps)
        allowNoReference = l.allowWithoutReference
        maxPosition = l.maxPositionPerSymbol
        maxGross = l.maxGrossPosition
        throttleWindow = l.throttleWindowNanos
        selfMatchPrevention = l.selfMatchPrevention
        tail = l.tail
        baselines = .allocate(capacity: maxLocates)
        baselines.initialize(repeating: GuardBaseline(depthShort: 0, depthLong: 0, spreadShort: 0, spreadLong: 0, gapShort: 0, gapLong: 0, last: 0,
                                                   updates: 0, tripped: 0),
                             count: maxLocates)
        runaway = .allocate(capacity: 1)
        runaway.initialize(to: RunawayState(bucketStart: 0, bucketIndex: 0, rejectStreak: 0, orders: 0, fills: 0, peakBucketStart: 0, peakIndex: 0))
        orderBuckets = .allocate(capacity: 10)
        orderBuckets.initialize(repeating: 0, count: 10)
        peakBuckets = .allocate(capacity: 10)
        peakBuckets.initialize(repeating: 0, count: 10)
        guardTrips = .allocate(capacity: 8)
        guardTrips.initialize(repeating: 0, count: 8)
        halts = .allocate(capacity: haltCapacity)
        halts.initialize(repeating: 0, count: haltCapacity)
        widenBy = .allocate(capacity: maxLocates)
        widenBy.initialize(repeating: 0, count: maxLocates)
    }

    deinit {
        symbols.deallocate()
        windows.deallocate()
        active.deallocate()
        orders.deallocate()
        ring.deallocate()
        rejects.deallocate()
        state.deallocate()
        baselines.deallocate()
        runaway.deallocate()
        orderBuckets.deallocate()
        peakBuckets.deallocate()
        guardTrips.deallocate()
        halts.deallocate()
        widenBy.deallocate()
    }

    // MARK: - Orders

    /// Checks a new order; on `.accepted(id)` its exposure is reserved under `id` and it counts as
    /// open and in the throttle window. On `.rejected` nothing changes but the reject counter.
    public func check(_ o: OrderIntent, now: UInt64) -> RiskDecision {
        if let r = evaluate(locate: o.locate, sell: o.side == .sell, shares: o.shares, price: o.price,
                            kind: o.kind, releasing: 0, isNew: true, now: now) {
            rejects[Int(r.rawValue)] &+= 1
            if r != .killSwitch { noteRefusal() }
            return .rejected(r)
        }
        guard runawayAdmits(now: now) else {
            rejects[Int(RiskReject.killSwitch.rawValue)] &+= 1
            return .rejected(.killSwitch)
        }
        return .accepted(reserve(o, now: now))
    }

    /// Checks a replace of open order `id` to `shares` open at `price` (ignored for a market
    /// order), with the order's current open shares taken out of the exposure. On success the
    /// reservation is switched to the new quantity and `id` is returned; on failure the order is
    /// unchanged.
    public func onReplace(_ id: RiskOrderID, shares: Shares, price: Price, now: UInt64) -> RiskDecision {
        let r: RiskReject?
        let i = id.slot
        if state.pointee.engaged {
            r = .killSwitch
        } else if !isOpen(id) {
            state.pointee.counters.unknownOrderEvents &+= 1
            r = .unknownOrder
        } else {
            let o = orders[i]
            r = evaluate(locate: StockLocate(rawValue: o.locate), sell: o.sell, shares: shares, price: price,
                         kind: OrderKind(rawValue: o.kind).unsafelyUnwrapped, releasing: Int64(o.open),
                         isNew: false, now: now)
        }
        if let r {
            rejects[Int(r.rawValue)] &+= 1
            if r != .killSwitch { noteRefusal() }
            return .rejected(r)
        }
        guard runawayAdmits(now: now) else {
            rejects[Int(RiskReject.killSwitch.rawValue)] &+= 1
            return .rejected(.killSwitch)
        }
        let o = orders[i]
        let loc = Int(o.locate)
        let delta = Int64(shares.rawValue) - Int64(o.open)
        if o.sell { symbols[loc].openSell += delta } else { symbols[loc].openBuy += delta }
        orders[i].open = shares.rawValue
        orders[i].priceBefore = o.price
        orders[i].price = price.rawValue
        refreshWorst(loc)
        recordThrottle(now)
        state.pointee.counters.replacesAccepted &+= 1
        return .accepted(id)
    }

    /// Every check, in the order of the design note: the first failure, or nil when all pass.
    @inline(__always)
    func evaluate(locate: StockLocate, sell: Bool, shares: Shares, price: Price, kind: OrderKind,
                  releasing: Int64, isNew: Bool, now: UInt64) -> RiskReject? {
        if state.pointee.engaged { return .killSwitch }
        let loc = Int(locate.rawValue)
        guard loc != 0, loc < locateCount else { return .unknownSymbol }
        let s = symbols + loc
        if s.pointee.blocked | s.pointee.reduced | s.pointee.widened != 0,
           let r = guardRefusal(s, loc, shares: shares, price: price, sell: sell, kind: kind) { return r }
        guard shares.rawValue != 0 else { return .invalidShares }
        guard shares.rawValue <= maxShares else { return .maxOrderShares }
        let px: Int64
        if kind == .market {
            px = sell ? s.pointee.bid : s.pointee.ask
            guard px != SymbolRisk.none, px > 0 else { return .noQuote }
        } else {
            px = price.rawValue
            guard px > 0 else { return .invalidPrice }
        }
        let ref2 = s.pointee.mid2 != 0 ? s.pointee.mid2 : s.pointee.reference2
        if ref2 > 0 {
            // |2p - 2ref| × 10,000 <= bps × 2ref, exactly, in 128 bits.
            let d = Int128(px) &* 2 &- Int128(ref2)
            if (d < 0 ? 0 &- d : d) &* 10_000 > collar &* Int128(ref2) {
                return .priceCollar
            }
        } else if !allowNoReference {
            return .noReference
        }
        let q = Int64(shares.rawValue)
        let (notional, overflow) = px.multipliedReportingOverflow(by: q)
        guard !overflow, notional <= maxNotional else { return .maxOrderNotional }
        if selfMatchPrevention && crossesOurs(s, sell: sell, price: px, market: kind == .market) { return .selfMatch }
        if isNew && state.pointee.openCount >= orderCapacity { return .maxOpenOrders }

        // The order moves one end of the range [P - openSell, P + openBuy]; that end must stay
        // within ±maxPosition, or at least not move further out than it is.
        let pos = positions.slots[loc].position
        let high = pos + s.pointee.openBuy
        let low = pos - s.pointee.openSell
        let w: UInt64
        if sell {
            let newLow = low - (q - releasing)
            if newLow < -maxPosition && newLow < low { return .maxPosition }
            w = Swift.max(high.magnitude, newLow.magnitude)
        } else {
            let newHigh = high + (q - releasing)
            if newHigh > maxPosition && newHigh > high { return .maxPosition }
            w = Swift.max(newHigh.magnitude, low.magnitude)
        }
        let gross = state.pointee.grossWorst - s.pointee.worst + Int64(w)
        if gross > maxGross && gross > state.pointee.grossWorst { return .maxGrossPosition }

        if state.pointee.throttleCount == ringSize {
            let oldest = ring[state.pointee.throttleHead]
            if now < oldest || now - oldest < throttleWindow { return .throttle }
        }
        return nil
    }

    /// Whether an order on side `sell` at `price` would trade with an open limit order of ours on
    /// the other side of symbol `s` (a market order: with any). Market and IOC orders of ours
    /// never rest, so they are not in the way. The lists hold a stock's few open orders.
    @inline(__always)
    func crossesOurs(_ s: UnsafeMutablePointer<SymbolRisk>, sell: Bool, price: Int64, market: Bool) -> Bool {
        var i = sell ? s.pointee.buyHead : s.pointee.sellHead
        while i >= 0 {
            let o = orders + Int(i)
            if o.pointee.kind == OrderKind.limit.rawValue && (market || (sell ? o.pointee.price >= price : o.pointee.price <= price)) {
                return true
            }
            i = o.pointee.next
        }
        return false
    }

    /// Takes a slot and reserves a passed order's exposure.
    @inline(__always)
    func reserve(_ o: OrderIntent, now: UInt64) -> RiskOrderID {
        let loc = Int(o.locate.rawValue)
        let i = state.pointee.orderFree
        let slot = orders + Int(i)
        state.pointee.orderFree = slot.pointee.nextFree
        slot.pointee.open = o.shares.rawValue
        slot.pointee.nextFree = -1
        slot.pointee.locate = o.locate.rawValue
        slot.pointee.sell = o.side == .sell
        slot.pointee.kind = o.kind.rawValue
        slot.pointee.state = RiskOrderState.checked.rawValue
        slot.pointee.price = o.price.rawValue
        slot.pointee.priceBefore = o.price.rawValue
        state.pointee.openCount += 1

        let s = symbols + loc
        // At the head of its side's list.
        let head = o.side == .sell ? s.pointee.sellHead : s.pointee.buyHead
        slot.pointee.prev = -1
        slot.pointee.next = head
        if head >= 0 { orders[Int(head)].prev = i }
        if o.side == .sell { s.pointee.sellHead = i } else { s.pointee.buyHead = i }
        if o.side == .sell { s.pointee.openSell += Int64(o.shares.rawValue) } else { s.pointee.openBuy += Int64(o.shares.rawValue) }
        s.pointee.openOrders += 1
        if s.pointee.openOrders == 1 {
            let n = state.pointee.activeCount
            active[n] = o.locate.rawValue
            s.pointee.activeIndex = Int32(n)
            s.pointee.activeSince = now
            state.pointee.activeCount = n + 1
        }
        refreshWorst(loc)
        recordThrottle(now)
        state.pointee.counters.accepted &+= 1
        return RiskOrderID(slot: i, generation: slot.pointee.generation)
    }

    @inline(__always)
    func recordThrottle(_ now: UInt64) {
        let n = state.pointee.throttleCount
        if n < ringSize {
            var at = state.pointee.throttleHead + n
            if at >= ringSize { at -= ringSize }
            ring[at] = now
            state.pointee.throttleCount = n + 1
        } else {
            let h = state.pointee.throttleHead
            ring[h] = now
            state.pointee.throttleHead = h + 1 == ringSize ? 0 : h + 1
        }
    }

    /// Recomputes a symbol's worst-case exposure and moves the gross total by the change.
    @inline(__always)
    func refreshWorst(_ loc: Int) {
        let s = symbols + loc
        let pos = positions.slots[loc].position
        let w = Int64(Swift.max((pos + s.pointee.openBuy).magnitude, (pos - s.pointee.openSell).magnitude))
        state.pointee.grossWorst += w - s.pointee.worst
        s.pointee.worst = w
    }

    @inline(__always)
    func isOpen(_ id: RiskOrderID) -> Bool {
        let i = id.slot
        return i < orderCapacity && orders[i].state != 0 && orders[i].generation == id.generation
    }

    /// The slot of an open order, or nil (counted as an unknown-order event).
    @inline(__always)
    func openSlot(_ id: RiskOrderID) -> UnsafeMutablePointer<RiskOrderSlot>? {
        guard isOpen(id) else {
            state.pointee.counters.unknownOrderEvents &+= 1
            return nil
        }
        return orders + id.slot
    }

    /// Takes `shares` off an order's open quantity (at most what it has) and closes it at 0.
    @inline(__always)
    func release(_ o: UnsafeMutablePointer<RiskOrderSlot>, _ shares: UInt32) {
        let loc = Int(o.pointee.locate)
        let q = Swift.min(shares, o.pointee.open)
        let s = symbols + loc
        if o.pointee.sell { s.pointee.openSell -= Int64(q) } else { s.pointee.openBuy -= Int64(q) }
        o.pointee.open -= q
        refreshWorst(loc)
        if o.pointee.open == 0 { close(o, loc) }
    }

    func close(_ o: UnsafeMutablePointer<RiskOrderSlot>, _ loc: Int) {
        o.pointee.state = 0
        o.pointee.generation &+= 1
        o.pointee.nextFree = state.pointee.orderFree
        state.pointee.orderFree = Int32(o - orders)
        state.pointee.openCount -= 1
        let s = symbols + loc
        let prev = o.pointee.prev, next = o.pointee.next
        if prev >= 0 { orders[Int(prev)].next = next } else if o.pointee.sell { s.pointee.sellHead = next } else { s.pointee.buyHead = next }
        if next >= 0 { orders[Int(next)].prev = prev }
        o.pointee.prev = -1
        o.pointee.next = -1
        s.pointee.openOrders -= 1
        if s.pointee.openOrders == 0 {
            // Swap-remove from the active list.
            let idx = Int(s.pointee.activeIndex)
            let last = state.pointee.activeCount - 1
            let moved = active[last]
            active[idx] = moved
            symbols[Int(moved)].activeIndex = Int32(idx)
            s.pointee.activeIndex = -1
            state.pointee.activeCount = last
        }
    }

    // MARK: - Lifecycle

    /// The order went out on the wire. State only.
    public func onSent(_ id: RiskOrderID) {
        guard let o = openSlot(id) else { return }
        if o.pointee.state == RiskOrderState.checked.rawValue { o.pointee.state = RiskOrderState.sent.rawValue }
    }

    /// The venue acknowledged the order (a refusal streak ends).
    public func onAccepted(_ id: RiskOrderID) {
        runaway.pointee.rejectStreak = 0
        guard let o = openSlot(id) else { return }
        o.pointee.state = RiskOrderState.live.rawValue
    }

    /// An execution of `shares` at `price`: the position and PnL take it, the order's open shares
    /// drop by it (the order closes at 0). More shares than open: the position takes all of them,
    /// the reservation is released in full and `overfills` counted. Returns true if this fill
    /// engaged the kill switch (loss limit).
    @discardableResult
    public func onFill(_ id: RiskOrderID, shares: Shares, price: Price) -> Bool {
        runaway.pointee.fills &+= 1
        guard let o = openSlot(id) else { return false }
        state.pointee.counters.fills &+= 1
        if shares.rawValue > o.pointee.open { state.pointee.counters.overfills &+= 1 }
        positions.apply(Int(o.pointee.locate), buy: !o.pointee.sell, shares: Int64(shares.rawValue), price: price.rawValue)
        release(o, shares.rawValue)
        return checkLoss()
    }

    /// A fill of an order `id` that risk no longer holds open (its reservation was released
    /// early by a bookkeeping mismatch, or it never had one) still moves the position: a fill
    /// is a fact, and a position or a loss limit that missed it would be wrong from then on.
    /// Counted as `unreservedFills`. Returns true if the loss limit engaged the kill switch.
    public func onFill(_ id: RiskOrderID, locate: StockLocate, side: Side, shares: Shares, price: Price) -> Bool {
        if isOpen(id) { return onFill(id, shares: shares, price: price) }
        return onUnreservedFill(locate: locate, side: side, shares: shares, price: price)
    }

    /// A fill of an order risk never held (adopted from the venue before it was given a
    /// reservation): the position takes it all the same. Counted as `unreservedFills`. Returns
    /// true if the loss limit engaged the kill switch.
    @discardableResult
    public func onUnreservedFill(locate: StockLocate, side: Side, shares: Shares, price: Price) -> Bool {
        state.pointee.counters.unreservedFills &+= 1
        positions.onFill(locate: locate, side: side, shares: shares, price: price)
        return checkLoss()
    }

    /// The venue canceled `shares` of the order (OUCH's decrement; a full cancel or an IOC's
    /// expiry passes the open shares, or more). The order closes when nothing is left open.
    public func onCanceled(_ id: RiskOrderID, shares: Shares) {
        guard let o = openSlot(id) else { return }
        state.pointee.counters.cancels &+= 1
        release(o, shares.rawValue)
    }

    /// A replace that `onReplace` passed did not happen (the venue refused it, or the order
    /// left the book before the replace reached it): the reservation goes back from the
    /// replacement's size to `open`, what the order still has open at the venue (the gateway's
    /// count), and the order closes at 0.
    public func onReplaceRefused(_ id: RiskOrderID, open: Shares) {
        guard let o = openSlot(id) else { return }
        state.pointee.counters.replacesRefused &+= 1
        let loc = Int(o.pointee.locate)
        let delta = Int64(open.rawValue) - Int64(o.pointee.open)
        let s = symbols + loc
        if o.pointee.sell { s.pointee.openSell += delta } else { s.pointee.openBuy += delta }
        o.pointee.open = open.rawValue
        o.pointee.price = o.pointee.priceBefore
        refreshWorst(loc)
        if open.rawValue == 0 { close(o, loc) }
    }

    /// The venue rejected the order: all its open shares are released and it closes.
    public func onRejectedByVenue(_ id: RiskOrderID) {
        noteRefusal()
        guard let o = openSlot(id) else { return }
        state.pointee.counters.venueRejects &+= 1
        release(o, .max)
    }

    /// The gateway did not send an order that passed `check` (e.g. the session was down): all
    /// its shares are released and it closes. Same accounting as a venue reject.
    public func onNotSent(_ id: RiskOrderID) {
        guard let o = openSlot(id) else { return }
        release(o, .max)
    }

    // MARK: - Market data and guards

    /// A new top of book for a symbol (nil: that side is empty or unknown). Updates the collar
    /// reference and the mark, and runs the crossed-book, volatility and loss guards. Returns true
    /// if this update engaged the kill switch.
    @discardableResult
    public func onBBO(locate: StockLocate, bid: Price?, ask: Price?, bidShares: UInt64 = 0, askShares: UInt64 = 0, now: UInt64) -> Bool {
        let loc = Int(locate.rawValue)
        guard loc != 0, loc < locateCount else { return false }
        let s = symbols + loc
        let b = bid?.rawValue ?? SymbolRisk.none
        let a = ask?.rawValue ?? SymbolRisk.none
        s.pointee.bid = b
        s.pointee.ask = a
        s.pointee.lastUpdate = now
        guard b != SymbolRisk.none, a != SymbolRisk.none, b > 0, a > 0 else {
            s.pointee.mid2 = 0
            return false
        }
        if b > a && limits.killOnCrossedBook {
            s.pointee.mid2 = 0
            return engage(reason: .crossedBook)
        }
        let (m, overflow) = b.addingReportingOverflow(a)
        guard !overflow else {
            s.pointee.mid2 = 0
            return false
        }
        s.pointee.mid2 = m
        positions.setMark2(loc, m)
        if bidShares > 0 && askShares > 0 { marketGuards(loc, bid: b, ask: a, bidShares: bidShares, askShares: askShares, now: now) }
        let vol = volatilityUpdate(loc, m, now) || drawdownGuard(now: now)
        let loss = checkLoss()
        return vol || loss
    }

    /// Sets (or, with nil, clears) a symbol's reference price, used for the collar when there is
    /// no two-sided BBO, and as the mark then.
    public func setReference(locate: StockLocate, price: Price?) {
        let loc = Int(locate.rawValue)
        guard loc != 0, loc < locateCount else { return }
        guard let p = price, p.rawValue > 0 else {
            symbols[loc].reference2 = 0
            return
        }
        symbols[loc].reference2 = p.rawValue &* 2
        if symbols[loc].mid2 == 0 {
            positions.setMark(locate: locate, price: p)
            _ = checkLoss()
        }
    }

    /// The book of `locate` can no longer be trusted (a capacity overflow made it miss an order):
    /// every order in the stock is refused from now on (`bookUnusable`). False when it already
    /// was, or the locate is out of range.
    @discardableResult
    public func markBookUnusable(_ locate: StockLocate) -> Bool {
        let loc = Int(locate.rawValue)
        guard loc != 0, loc < locateCount, symbols[loc].blocked & MarketGuard.bookUnusable.rawValue == 0 else { return false }
        symbols[loc].blocked |= MarketGuard.bookUnusable.rawValue
        return true
    }

    /// Whether `markBookUnusable` was called for this stock.
    public func isBookUnusable(_ locate: StockLocate) -> Bool {
        let loc = Int(locate.rawValue)
        return loc != 0 && loc < locateCount && symbols[loc].blocked & MarketGuard.bookUnusable.rawValue != 0
    }

    /// The feed has a gap it has not recovered: engages the kill switch. Returns true if it was
    /// not engaged before.
    @discardableResult
    public func feedGap() -> Bool { engage(reason: .feedGap) }

    /// Periodic guard pass (call it every millisecond or so): the stale-book guard over the
    /// symbols with open orders. Returns true if it engaged the kill switch.
    @discardableResult
    public func tick(now: UInt64) -> Bool {
        let limit = limits.staleBookNanos
        let n = state.pointee.activeCount
        var i = 0
        while i < n {
            let s = symbols + Int(active[i])
            let since = Swift.max(s.pointee.lastUpdate, s.pointee.activeSince)
            if now > since && now - since > limit { return engage(reason: .staleBook) }
            i += 1
        }
        return drawdownGuard(now: now)
    }

    /// Why a blocked or reduced symbol refuses this order, or nil (reduced, and small enough).
    @inline(never)
    func guardRefusal(_ s: UnsafeMutablePointer<SymbolRisk>, _ loc: Int, shares: Shares, price: Price, sell: Bool,
                      kind: OrderKind) -> RiskReject? {
        let b = s.pointee.blocked
        if b != 0 {
            if b & MarketGuard.bookUnusable.rawValue != 0 { return .bookUnusable }
            if b & MarketGuard.liquidityCompression.rawValue != 0 { return .liquidityGuard }
            if b & MarketGuard.liquidityGap.rawValue != 0 { return .spreadGuard }
            if b & MarketGuard.activityBurst.rawValue != 0 { return .activityGuard }
            return .regimeGuard
        }
        if s.pointee.reduced != 0 && Double(shares.rawValue) > tail.reduceFactor * Double(maxShares) { return .guardReduced }
        if s.pointee.widened != 0 {
            // Passive and behind the touch by widenBy: a buy at or below bid - w, a sell at or
            // above ask + w. A market order, or a side with no touch to measure from, is refused.
            guard kind != .market else { return .guardWidened }
            let w = widenBy[loc]
            if sell {
                let a = s.pointee.ask
                guard a != SymbolRisk.none, a > 0, price.rawValue >= a &+ w else { return .guardWidened }
            } else {
                let bid = s.pointee.bid
                guard bid != SymbolRisk.none, bid > 0, price.rawValue <= bid &- w else { return .guardWidened }
            }
        }
        return nil
    }

    func volatilityUpdate(_ loc: Int, _ m: Int64, _ now: UInt64) -> Bool {
        let k = limits.volatilityBps
        guard k != .max else { return false }
        let width = limits.volatilityWindowNanos
        let v = windows + loc
        let elapsed = now &- v.pointee.start
        if v.pointee.lo == 0 || now < v.pointee.start || (elapsed >= width && elapsed - width >= width) {
            v.pointee = VolatilityWindow(start: now, lo: m, hi: m, prevLo: 0, prevHi: 0)
            return false
        }
        if elapsed >= width {
            v.pointee.prevLo = v.pointee.lo
            v.pointee.prevHi = v.pointee.hi
            v.pointee.start += width
            v.pointee.lo = m
            v.pointee.hi = m
        } else {
            v.pointee.lo = Swift.min(v.pointee.lo, m)
            v.pointee.hi = Swift.max(v.pointee.hi, m)
        }
        var lo = v.pointee.lo
        var hi = v.pointee.hi
        if v.pointee.prevLo != 0 {
            lo = Swift.min(lo, v.pointee.prevLo)
            hi = Swift.max(hi, v.pointee.prevHi)
        }
        if (Int128(hi) - Int128(lo)) * 10_000 > Int128(k) * Int128(lo) {
            return engage(reason: .volatility)
        }
        return false
    }

    @inline(__always)
    func checkLoss() -> Bool {
        if positions.overflowed { return engage(reason: .positionOverflow) }
        if positions.totalPnL < -limits.maxLoss { return engage(reason: .lossLimit) }
        return false
    }

    // MARK: - Kill switch

    /// Engages the kill switch (an operator's stop, or a guard's). Returns true if it was off.
    @discardableResult
    public func engage(reason: KillReason) -> Bool {
        state.pointee.reasonMask |= 1 << reason.rawValue
        if state.pointee.engaged { return false }
        state.pointee.engaged = true
        state.pointee.firstReason = reason.rawValue
        state.pointee.counters.killEngagements &+= 1
        return true
    }

    public var isEngaged: Bool { state.pointee.engaged }

    /// The reason that engaged the switch (the first, if several tripped); nil when not engaged.
    public var killReason: KillReason? {
        state.pointee.engaged ? KillReason(rawValue: state.pointee.firstReason) : nil
    }

    /// Whether `reason` tripped (or was engaged) since the last reset.
    public func hasTripped(_ reason: KillReason) -> Bool {
        state.pointee.reasonMask & (1 << reason.rawValue) != 0
    }

    /// Operator only: clears the switch and the volatility windows. Positions, open orders and
    /// the throttle window are untouched, and a guard whose cause persists trips again.
    public func reset() {
        state.pointee.engaged = false
        state.pointee.firstReason = 0xFF
        state.pointee.reasonMask = 0
        windows.update(repeating: .empty, count: locateCount)
    }

    // MARK: - Queries

    public var counters: RiskCounters { state.pointee.counters }
    public func rejectCount(_ reason: RiskReject) -> UInt64 { rejects[Int(reason.rawValue)] }
    /// Orders checked and not yet closed.
    public var openOrderCount: Int { state.pointee.openCount }
    /// Sum over symbols of max(|P + openBuy|, |P - openSell|).
    public var worstCaseGross: Int64 { state.pointee.grossWorst }

    public func openOrders(locate: StockLocate) -> Int { symbol(locate).map { Int($0.openOrders) } ?? 0 }
    public func openShares(locate: StockLocate, side: Side) -> Int64 {
        symbol(locate).map { side == .buy ? $0.openBuy : $0.openSell } ?? 0
    }
    /// max(|P + openBuy|, |P - openSell|): the largest |position| if any subset of the open orders fills.
    public func worstCaseExposure(locate: StockLocate) -> Int64 { symbol(locate)?.worst ?? 0 }
    public func openShares(of id: RiskOrderID) -> Shares? {
        isOpen(id) ? Shares(rawValue: orders[id.slot].open) : nil
    }
    public func state(of id: RiskOrderID) -> RiskOrderState? {
        isOpen(id) ? RiskOrderState(rawValue: orders[id.slot].state) : nil
    }

    private func symbol(_ locate: StockLocate) -> SymbolRisk? {
        let loc = Int(locate.rawValue)
        guard loc != 0, loc < locateCount else { return nil }
        return symbols[loc]
    }
}
