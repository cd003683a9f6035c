// Market-wide state for regime detection, and the online regime classifier.
//
// A regime (calm, volatile, liquidity drought) is a property of the whole market, not of one
// stock, so its features are averages over every stock the caller follows, kept up to date in
// O(1) per touch change or trade: the rate of touch changes and of trades, the share of events
// that are trades, the mean spread and touch depth across stocks (running sums, adjusted by the
// one stock that changed), the share of touch changes that moved a price, and the volatility of
// mids. Rates are EWMAs over the feed clock, as in `FeatureState`.
//
// The classifier runs three one-vs-rest logistic models over that row at a fixed feed-time
// cadence and switches state only with hysteresis: a challenger must beat the current state's
// probability by a margin on several evaluations in a row. A regime read off a single noisy
// evaluation would flip the market maker's parameters back and forth.
#if canImport(Glibc)
import Glibc
#endif
public import TickwireCore

/// The regime row, in order. `MarketState.schema` is what regime models are checked against.
public enum RegimeFeature: Int, CaseIterable, Sendable {
    case bboRate, tradeRate, tradeShare, meanSpreadTicks, meanLogDepth, touchMoveShare, midVolTicks

    public var name: String {
        switch self {
        case .bboRate: "bbo_rate"
        case .tradeRate: "trade_rate"
        case .tradeShare: "trade_share"
        case .meanSpreadTicks: "mean_spread_ticks"
        case .meanLogDepth: "mean_log_depth"
        case .touchMoveShare: "touch_move_share"
        case .midVolTicks: "mid_vol_ticks"
        }
    }
}

/// The market regimes, numbered as the simulator numbers them (and as training labels are).
public enum MarketRegime: UInt8, CaseIterable, Sendable, CustomStringConvertible {
    case calm = 0, volatile = 1, drought = 2

    public var description: String {
        switch self {
        case .calm: "calm"
        case .volatile: "volatile"
        case .drought: "drought"
        }
    }
}

/// Market-wide features over the stocks a caller follows. Preallocates one small record per
/// locate; updates allocate nothing.
public final class MarketState {
    public static let schema = FeatureSchema(names: RegimeFeature.allCases.map(\.name), version: 1)
    /// `RegimeFeature.allCases.count`, as a literal (see `FeatureState.count`).
    public static let count = 7

    public var tick: Double = 100
    public var tauNanos: Double = 1e9 { didSet { unit = 1e9 / tauNanos } }
    /// The weight of one event, 1e9 / `tauNanos` (kept: a division less on every touch change).
    var unit: Double = 1

    struct Stock {
        var bid: Int64 = 0, ask: Int64 = 0
        /// What this stock adds to the running sums (0 while it is not two-sided).
        var spreadTicks: Double = 0
        var logDepth: Double = 0
        var counted = false
    }

    let stocks: UnsafeMutablePointer<Stock>
    let maxLocates: Int
    /// `depthLogs`, read through the instance: the static's lazy initialization is checked
    /// once here, not on every touch change.
    let depths: Log1pTable<Double>
    var twoSided: Double = 0
    var spreadSum: Double = 0
    var depthSum: Double = 0
    var bboRate: Double = 0, tradeRate: Double = 0
    var tradeShare: Double = 0, moveShare: Double = 0
    var volVar: Double = 0
    var lastAt: UInt64 = 0

    public init(maxLocates: Int = 1 << 16) {
        self.maxLocates = maxLocates
        stocks = .allocate(capacity: maxLocates)
        stocks.initialize(repeating: Stock(), count: maxLocates)
        depths = Self.depthLogs
    }

    deinit { stocks.deallocate() }

    /// Decays the rates to `now`; returns the weight of one new event.
    @inline(__always)
    func advance(_ now: UInt64) -> Double {
        let dt = lastAt == 0 || now <= lastAt ? 0 : Double(now - lastAt)
        lastAt = max(lastAt, now)
        let keep = tauNanos / (tauNanos + dt)
        bboRate *= keep
        tradeRate *= keep
        return unit
    }

    /// The touch of stock `locate` changed.
    @inline(__always)
    public func onBook(locate: StockLocate, bid: Int64, bidShares: UInt64, ask: Int64, askShares: UInt64, now: UInt64) {
        let l = Int(locate.rawValue)
        guard l < maxLocates else { return }
        let unit = advance(now)
        bboRate += unit
        tradeShare *= 0.99
        let s = stocks + l
        let moved = s.pointee.bid != bid || s.pointee.ask != ask
        moveShare = moveShare * 0.99 + (moved ? 0.01 : 0)
        let ok = bidShares > 0 && askShares > 0 && bid < ask
        if ok, s.pointee.counted, s.pointee.bid > 0 {
            let move = Double((bid + ask) - (s.pointee.bid + s.pointee.ask)) / (2 * tick)
            volVar = volVar * 0.99 + move * move * 0.01
        }
        if s.pointee.counted {
            spreadSum -= s.pointee.spreadTicks
            depthSum -= s.pointee.logDepth
            twoSided -= 1
        }
        s.pointee.counted = ok
        if ok {
            s.pointee.spreadTicks = Double(ask - bid) / tick
            s.pointee.logDepth = log1pOfDepth(bidShares + askShares)
            spreadSum += s.pointee.spreadTicks
            depthSum += s.pointee.logDepth
            twoSided += 1
        }
        s.pointee.bid = bid
        s.pointee.ask = ask
    }

    /// log1p(n) for a touch's shares, read from a table below 16,384 (128 KiB): the same bits as
    /// computing it (the table is filled by the same call), without a log1p on every touch change
    /// of every followed stock (2.7% of a backtest's message loop on the simulator's day).
    @inline(__always)
    func log1pOfDepth(_ n: UInt64) -> Double {
        n < UInt64(depths.count) ? depths.table[Int(n)] : log1p(Double(n))
    }

    static let depthLogs = Log1pTable<Double>(count: 16_384)

    /// A trade printed in one of the followed stocks.
    @inline(__always)
    public func onTrade(now: UInt64) {
        tradeRate += advance(now)
        tradeShare = tradeShare * 0.99 + 0.01
    }

    /// Writes the row (`MarketState.count` Floats) as of feed time `now`.
    @inline(__always)
    public func write(into row: UnsafeMutablePointer<Float>, now: UInt64) {
        let dt = lastAt == 0 || now <= lastAt ? 0 : Double(now - lastAt)
        let keep = tauNanos / (tauNanos + dt)
        let n = max(twoSided, 1)
        row[RegimeFeature.bboRate.rawValue] = Float(log1p(bboRate * keep))
        row[RegimeFeature.tradeRate.rawValue] = Float(log1p(tradeRate * keep))
        row[RegimeFeature.tradeShare.rawValue] = Float(tradeShare)
        row[RegimeFeature.meanSpreadTicks.rawValue] = Float(twoSided > 0 ? spreadSum / n : 0)
        row[RegimeFeature.meanLogDepth.rawValue] = Float(twoSided > 0 ? depthSum / n : 0)
        row[RegimeFeature.touchMoveShare.rawValue] = Float(moveShare)
        row[RegimeFeature.midVolTicks.rawValue] = Float(volVar.squareRoot())
    }
}

/// The online regime classifier: three one-vs-rest logistic models, evaluated every
/// `intervalNanos` of feed time, and a state that changes only when a challenger's probability
/// beats the current state's by `margin` on `confirmations` evaluations in a row.
public final class RegimeClassifier {
    public let models: RegimeModels
    public var intervalNanos: UInt64 = 100_000_000
    public var margin: Double = 0.1
    public var confirmations: Int = 3
    public private(set) var state: MarketRegime = .calm
    /// The last evaluation's probabilities, by `MarketRegime.rawValue`.
    public private(set) var probabilities: SIMD4<Double> = .zero
    public private(set) var evaluations: UInt64 = 0
    public private(set) var switches: UInt64 = 0
    var challenger: MarketRegime = .calm
    var streak = 0
    var lastAt: UInt64 = 0
    let row: UnsafeMutablePointer<Float>

    public init(models: RegimeModels) {
        self.models = models
        row = .allocate(capacity: MarketState.count)
        row.initialize(repeating: 0, count: MarketState.count)
    }

    deinit { row.deallocate() }

    /// Evaluates when the interval has passed since the last evaluation; returns true when it did.
    @inline(__always)
    @discardableResult
    public func update(_ market: MarketState, now: UInt64) -> Bool {
        guard lastAt == 0 || now &- lastAt >= intervalNanos else { return false }
        lastAt = max(now, 1)
        market.write(into: row, now: now)
        observe(models.probabilities(row))
        return true
    }

    /// One evaluation's probabilities (by `MarketRegime.rawValue`) through the hysteresis.
    public func observe(_ p: SIMD4<Double>) {
        probabilities = p
        evaluations &+= 1
        var best = MarketRegime.calm
        for r in MarketRegime.allCases where p[Int(r.rawValue)] > p[Int(best.rawValue)] { best = r }
        guard best != state, p[Int(best.rawValue)] - p[Int(state.rawValue)] >= margin else {
            streak = 0
            return
        }
        if best == challenger { streak &+= 1 } else { (challenger, streak) = (best, 1) }
        if streak >= confirmations {
            state = best
            streak = 0
            switches &+= 1
        }
    }
}

/// The three one-vs-rest regime models (`regime_calm.json`, `regime_volatile.json`,
/// `regime_drought.json`), checked against `MarketState.schema`.
public final class RegimeModels: Sendable {
    public let calm: LogisticModel
    public let volatile: LogisticModel
    public let drought: LogisticModel

    public init(calm: LogisticModel, volatile: LogisticModel, drought: LogisticModel) {
        self.calm = calm
        self.volatile = volatile
        self.drought = drought
    }

    public static func load(directory: String) throws(ModelLoadError) -> RegimeModels {
        func one(_ name: String) throws(ModelLoadError) -> LogisticModel {
            try LogisticModel.load(path: directory + "/regime_\(name).json", schema: MarketState.schema)
        }
        return RegimeModels(calm: try one("calm"), volatile: try one("volatile"), drought: try one("drought"))
    }

    /// P(regime) by `MarketRegime.rawValue` (each model's own probability; they need not sum to 1).
    @inline(__always)
    public func probabilities(_ row: UnsafePointer<Float>) -> SIMD4<Double> {
        SIMD4(calm.predictProbability(row), volatile.predictProbability(row), drought.predictProbability(row), 0)
    }
}
