// Tail-risk guards: what takes trading firms down besides the limits. Two families.
//
// Market guards, per symbol, each against the symbol's own recent baseline in feed time (so
// one threshold serves a thick and a thin stock alike): liquidity compression (the touch's
// thinner side, averaged over `shortWindowNanos`, falls below `depthCollapseRatio` of its
// average over `longWindowNanos`) and a liquidity gap (the spread's short average exceeds
// `spreadBlowoutRatio` times its long one), and an activity burst (top-of-book changes come more
// than `activityBurstRatio` times as often as in the long run: a volatile spell). The averages
// are time-weighted EWMAs updated on every top-of-book change of a traded stock (weight
// min(1, dt / window)); a symbol's baseline is trusted after `warmupUpdates` changes, and is held
// (the long averages frozen) while one of its guards is tripped, so that a long spell does not
// become the new normal and clear its own guard. A tripped guard's action: `halt` (every order in the
// symbol refused, what is open there cancelled by the gateway), `reduce` (orders above
// `reduceFactor` of the size limit refused) or `widen` (orders must rest `widenSpreads` of the
// symbol's normal spread behind the touch; quoting strategies read the distance and quote
// wider). It clears with hysteresis: once the ratio is back halfway between the threshold and 1. A structural-change guard (`onRegime`): the strategy's
// regime model, when it says volatile or drought, trips the symbol's regime guard the same way.
//
// Runaway guards, for the whole book (they fire the kill switch): more than `maxOrdersPerSecond`
// new orders and replaces in the last second (ten 100 ms buckets); `maxRejectStreak` refusals in
// a row (risk's or the venue's) without an order accepted in between; more than `maxOrderToFill`
// orders per fill once `minOrdersForRatio` orders went out; a drawdown of more than
// `maxDrawdown` from the PnL's peak within `drawdownWindowNanos` (ten buckets).
//
// Nothing here allocates after init; the market guards cost a few floating-point operations per
// traded top-of-book change, the runaway guards a few integer ones per order.
public import TickwireCore

/// What a tripped market guard does to its symbol.
public enum GuardAction: UInt8, Sendable, Equatable {
    /// Nothing (the guard only counts).
    case observe
    /// Orders larger than `reduceFactor` of `maxOrderShares` are refused.
    case reduce
    /// Orders must rest `widenSpreads` of the symbol's normal spread (its long-run average, held
    /// while the guard is tripped) behind the touch: a quoting strategy quotes wider, reading
    /// the distance from `StrategyContext.requiredOffset`; an order inside it is refused.
    case widen
    /// Every order in the symbol is refused; what is open there is cancelled.
    case halt
}

/// The tail-risk guards' thresholds (0 = that guard off). See TailGuards.swift.
public struct TailGuardLimits: Sendable, Equatable {
    public var depthCollapseRatio: Double = 0
    public var spreadBlowoutRatio: Double = 0
    public var activityBurstRatio: Double = 0
    public var shortWindowNanos: UInt64 = 1_000_000_000
    public var longWindowNanos: UInt64 = 30_000_000_000
    public var warmupUpdates: Int = 200
    public var marketAction: GuardAction = .halt
    /// The regime guard's action (the strategy's model says volatile or drought).
    public var regimeAction: GuardAction = .observe
    public var reduceFactor: Double = 0.25
    /// The widen action's distance behind the touch, in the symbol's normal spreads.
    public var widenSpreads: Double = 1
    public var maxOrdersPerSecond: Int = 0
    public var maxRejectStreak: Int = 0
    public var maxOrderToFill: Double = 0
    public var minOrdersForRatio: Int = 1_000
    /// 1/10,000 dollars.
    public var maxDrawdown: Int64 = 0
    public var drawdownWindowNanos: UInt64 = 60_000_000_000
    public init() {}
}

/// A market guard's reason, as a bit of a symbol's `blocked` mask.
public enum MarketGuard: UInt8, Sendable, CaseIterable, CustomStringConvertible {
    case bookUnusable = 1
    case liquidityCompression = 2
    case liquidityGap = 4
    case regime = 8
    case activityBurst = 16
    public var description: String {
        switch self {
        case .activityBurst: "activity burst"
        case .bookUnusable: "book unusable"
        case .liquidityCompression: "liquidity compression"
        case .liquidityGap: "liquidity gap"
        case .regime: "regime"
        }
    }
}

/// A symbol's guard baselines (not on `check`'s cache line).
struct GuardBaseline {
    var depthShort: Double
    var depthLong: Double
    var spreadShort: Double
    var spreadLong: Double
    /// Averages of the time between top-of-book changes.
    var gapShort: Double
    var gapLong: Double
    var last: UInt64
    var updates: Int32
    /// Which market guards are tripped (MarketGuard bits), and which of those halt.
    var tripped: UInt8
}

/// The runaway guards' state, behind one pointer.
struct RunawayState {
    var bucketStart: UInt64
    var bucketIndex: Int
    var rejectStreak: Int
    var orders: UInt64
    var fills: UInt64
    var peakBucketStart: UInt64
    var peakIndex: Int
    /// The largest of the ten peak buckets (kept with them: a bucket only rises between
    /// rotations, so the maximum is recomputed only when they rotate).
    var peakMax: Int64 = 0
}

extension RiskEngine {
    // MARK: - Market guards

    /// Runs the market guards on a traded symbol's new top of book (both sides present).
    @inline(__always)
    func marketGuards(_ loc: Int, bid: Int64, ask: Int64, bidShares: UInt64, askShares: UInt64, now: UInt64) {
        let t = tail
        guard t.depthCollapseRatio > 0 || t.spreadBlowoutRatio > 0 || t.activityBurstRatio > 0 else { return }
        let g = baselines + loc
        let depth = Double(Swift.min(bidShares, askShares))
        let spread = Double(Swift.max(ask &- bid, 0))
        if g.pointee.updates == 0 {
            g.pointee.depthShort = depth; g.pointee.depthLong = depth
            g.pointee.spreadShort = spread; g.pointee.spreadLong = spread
        } else {
            let dt = Double(now &- g.pointee.last)
            let ws = Swift.min(1, dt / Double(t.shortWindowNanos))
            // The long averages are held while a guard is tripped (see the header).
            let wl = g.pointee.tripped == 0 ? Swift.min(1, dt / Double(t.longWindowNanos)) : 0
            g.pointee.depthShort += ws * (depth - g.pointee.depthShort)
            g.pointee.depthLong += wl * (depth - g.pointee.depthLong)
            g.pointee.spreadShort += ws * (spread - g.pointee.spreadShort)
            g.pointee.spreadLong += wl * (spread - g.pointee.spreadLong)
            if g.pointee.updates == 1 {
                g.pointee.gapShort = dt; g.pointee.gapLong = dt
            } else {
                // Gaps are averaged per change (not per time): 100 changes short, 1,000 long.
                g.pointee.gapShort += 0.01 * (dt - g.pointee.gapShort)
                if g.pointee.tripped == 0 { g.pointee.gapLong += 0.001 * (dt - g.pointee.gapLong) }
            }
        }
        g.pointee.last = now
        if g.pointee.updates < Int32.max { g.pointee.updates += 1 }
        guard Int(g.pointee.updates) >= t.warmupUpdates, g.pointee.depthLong > 0, g.pointee.spreadLong > 0 else { return }
        if t.depthCollapseRatio > 0 {
            let r = g.pointee.depthShort / g.pointee.depthLong
            setGuard(loc, .liquidityCompression, tripped: r < t.depthCollapseRatio, cleared: r >= (1 + t.depthCollapseRatio) / 2,
                     action: t.marketAction)
        }
        if t.spreadBlowoutRatio > 0 {
            let r = g.pointee.spreadShort / g.pointee.spreadLong
            setGuard(loc, .liquidityGap, tripped: r > t.spreadBlowoutRatio, cleared: r <= (1 + t.spreadBlowoutRatio) / 2,
                     action: t.marketAction)
        }
        if t.activityBurstRatio > 0, g.pointee.gapShort > 0 {
            let r = g.pointee.gapLong / g.pointee.gapShort
            setGuard(loc, .activityBurst, tripped: r > t.activityBurstRatio, cleared: r <= (1 + t.activityBurstRatio) / 2,
                     action: t.marketAction)
        }
    }

    /// Trips or clears one market guard of a symbol (with hysteresis: between `tripped` and
    /// `cleared` nothing changes).
    @inline(__always)
    func setGuard(_ loc: Int, _ guardBit: MarketGuard, tripped: Bool, cleared: Bool, action: GuardAction) {
        let g = baselines + loc
        let bit = guardBit.rawValue
        let on = g.pointee.tripped & bit != 0
        if !on && tripped {
            g.pointee.tripped |= bit
            state.pointee.counters.guardTrips &+= 1
            guardTrips[Int(bit.trailingZeroBitCount)] &+= 1
            apply(loc, bit, action, on: true)
        } else if on && cleared {
            g.pointee.tripped &= ~bit
            apply(loc, bit, action, on: false)
        }
    }

    func apply(_ loc: Int, _ bit: UInt8, _ action: GuardAction, on: Bool) {
        let s = symbols + loc
        switch action {
        case .observe:
            break
        case .reduce:
            if on { s.pointee.reduced |= bit } else { s.pointee.reduced &= ~bit }
        case .widen:
            if on { s.pointee.widened |= bit } else { s.pointee.widened &= ~bit }
            // The distance: the normal spread (held while tripped), at least one price unit.
            let normal = (baselines + loc).pointee.spreadLong
            widenBy[loc] = s.pointee.widened == 0 ? 0 : Swift.max(1, Int64((tail.widenSpreads * normal).rounded(.up)))
        case .halt:
            if on {
                s.pointee.blocked |= bit
                if haltCount < haltCapacity {
                    halts[haltCount] = UInt16(loc)
                    haltCount += 1
                }
            } else {
                s.pointee.blocked &= ~bit
            }
        }
    }

    /// The strategy's regime model says whether the symbol's market is in a regime to stand
    /// aside in (volatile or drought): trips or clears its regime guard (`regimeAction`).
    public func onRegime(locate: StockLocate, adverse: Bool) {
        let loc = Int(locate.rawValue)
        guard loc != 0, loc < locateCount else { return }
        setGuard(loc, .regime, tripped: adverse, cleared: !adverse, action: tail.regimeAction)
    }

    /// Per locate, how far behind the touch a widen guard makes orders rest (0: no guard), for
    /// `StrategyContext.requiredOffset`; valid while the engine lives, `locateCount` entries.
    public var wideningTable: UnsafePointer<Int64> { UnsafePointer(widenBy) }
    /// Entries of the per-locate tables (`maxLocates` at init).
    public var locateTableCount: Int { locateCount }

    /// Symbols a market guard halted since the last call (the gateway cancels what is open in
    /// them). Cold.
    public func takeHalts(_ body: (StockLocate) -> Void) {
        for i in 0..<haltCount { body(StockLocate(rawValue: halts[i])) }
        haltCount = 0
    }

    /// The market guards tripped on a symbol now.
    public func trippedGuards(_ locate: StockLocate) -> [MarketGuard] {
        let loc = Int(locate.rawValue)
        guard loc != 0, loc < locateCount else { return [] }
        let t = (baselines + loc).pointee.tripped | (symbols[loc].blocked & MarketGuard.bookUnusable.rawValue)
        return MarketGuard.allCases.filter { t & $0.rawValue != 0 }
    }

    /// How many times each market guard tripped.
    public func tripCount(_ g: MarketGuard) -> UInt64 { guardTrips[Int(g.rawValue.trailingZeroBitCount)] }

    // MARK: - Runaway guards

    /// An order or replace is about to be accepted at `now`: false (and the kill switch engaged)
    /// when it would make the last second's orders exceed `maxOrdersPerSecond`, or the orders
    /// per fill exceed `maxOrderToFill`.
    @inline(__always)
    func runawayAdmits(now: UInt64) -> Bool {
        let t = tail
        let r = runaway
        if t.maxOrdersPerSecond > 0 {
            advanceBuckets(now)
            var n = 0
            for i in 0..<10 { n &+= Int(orderBuckets[i]) }
            if n >= t.maxOrdersPerSecond {
                engage(reason: .runawayOrderRate)
                return false
            }
            orderBuckets[r.pointee.bucketIndex] &+= 1
        }
        r.pointee.orders &+= 1
        if t.maxOrderToFill > 0, r.pointee.orders >= UInt64(t.minOrdersForRatio),
           Double(r.pointee.orders) > t.maxOrderToFill * Double(Swift.max(r.pointee.fills, 1)) {
            engage(reason: .orderToFill)
            return false
        }
        return true
    }

    @inline(__always)
    func advanceBuckets(_ now: UInt64) {
        let r = runaway
        let width: UInt64 = 100_000_000
        if now &- r.pointee.bucketStart < width { return }
        let steps = (now &- r.pointee.bucketStart) / width
        if steps >= 10 {
            for i in 0..<10 { orderBuckets[i] = 0 }
        } else {
            for _ in 0..<Int(steps) {
                r.pointee.bucketIndex = (r.pointee.bucketIndex + 1) % 10
                orderBuckets[r.pointee.bucketIndex] = 0
            }
        }
        r.pointee.bucketStart &+= steps &* width
        if now &- r.pointee.bucketStart >= width { r.pointee.bucketStart = now }
    }

    /// A refusal (risk's, other than the kill switch's own, or the venue's): one more in the
    /// streak; the kill switch past `maxRejectStreak`.
    @inline(__always)
    func noteRefusal() {
        let t = tail
        guard t.maxRejectStreak > 0 else { return }
        runaway.pointee.rejectStreak &+= 1
        if runaway.pointee.rejectStreak >= t.maxRejectStreak { engage(reason: .rejectStreak) }
    }

    /// The PnL's drawdown from its peak in the last `drawdownWindowNanos`: the kill switch past
    /// `maxDrawdown`. Returns true if it engaged.
    @inline(__always)
    func drawdownGuard(now: UInt64) -> Bool {
        let t = tail
        guard t.maxDrawdown > 0 else { return false }
        let r = runaway
        let pnl = positions.totalPnL
        let width = Swift.max(t.drawdownWindowNanos / 10, 1)
        var peak = r.pointee.peakMax
        if now &- r.pointee.peakBucketStart >= width {
            let steps = (now &- r.pointee.peakBucketStart) / width
            for _ in 0..<Int(Swift.min(steps, 10)) {
                r.pointee.peakIndex = (r.pointee.peakIndex + 1) % 10
                peakBuckets[r.pointee.peakIndex] = pnl
            }
            r.pointee.peakBucketStart = now
            // Buckets were overwritten (some may have fallen): the maximum is found again.
            peak = Int64.min
            for i in 0..<10 where peakBuckets[i] > peak { peak = peakBuckets[i] }
        }
        if pnl > peakBuckets[r.pointee.peakIndex] { peakBuckets[r.pointee.peakIndex] = pnl }
        peak = Swift.max(peak, peakBuckets[r.pointee.peakIndex])
        r.pointee.peakMax = peak
        if peak > pnl, peak &- pnl > t.maxDrawdown { return engage(reason: .drawdownSpeed) }
        return false
    }
}
