// The reference taker: crosses the spread when the probability of a mid-price uptick (or
// downtick) passes a threshold, and otherwise stays out. The probability comes from an
// `UptickModel`: `TrainedUptickModel` (the shipped GBDT over `FeatureState`, issue 7) or
// `ImbalanceUptickModel` (a logistic on the first two levels' imbalance, no training needed).
//
// Its decisions depend on the feed alone (the book, the trades, the feed's clock for the
// cooldown and the features' averages) and on its fills only through the position limit: a
// replay of a capture makes the same orders as the live run as long as the limit is not
// reached. (The inventory feature is left at 0, as in the training rows.)
#if canImport(Glibc)
import Glibc
#endif
public import Inference
import OrderBook
public import OrderEvents
public import TickwireCore

/// P(next mid move is up | the stock's state) and P(down). Implementations are value types used
/// as generic parameters. Only the side the book leans to is asked (up when the bid is at least
/// as heavy as the ask, down otherwise): one model evaluation per touch change.
public protocol UptickModel {
    /// False: the taker need not keep `FeatureState` for this model (`f` is then stale).
    var usesFeatures: Bool { get }
    func probabilityUp(_ top: BookTop, _ f: UnsafePointer<FeatureState>, now: UInt64) -> Double
    func probabilityDown(_ top: BookTop, _ f: UnsafePointer<FeatureState>, now: UInt64) -> Double
    /// `threshold` prepared for `upExceeds` and `downExceeds` (cold).
    func cut(_ threshold: Double) -> ProbabilityCut
    /// Whether `probabilityUp` is above `cut.probability`: always the same answer, but a model
    /// may settle it without its whole output (`GBDTModel.exceeds`).
    func upExceeds(_ top: BookTop, _ f: UnsafePointer<FeatureState>, now: UInt64, _ cut: ProbabilityCut) -> Bool
    /// Whether `probabilityDown` is above `cut.probability`.
    func downExceeds(_ top: BookTop, _ f: UnsafePointer<FeatureState>, now: UInt64, _ cut: ProbabilityCut) -> Bool
}

extension UptickModel {
    public func cut(_ threshold: Double) -> ProbabilityCut { ProbabilityCut(probability: threshold) }

    @inline(__always)
    public func upExceeds(_ top: BookTop, _ f: UnsafePointer<FeatureState>, now: UInt64, _ cut: ProbabilityCut) -> Bool {
        probabilityUp(top, f, now: now) > cut.probability
    }

    @inline(__always)
    public func downExceeds(_ top: BookTop, _ f: UnsafePointer<FeatureState>, now: UInt64, _ cut: ProbabilityCut) -> Bool {
        probabilityDown(top, f, now: now) > cut.probability
    }
}

/// A logistic on L1 and L2 imbalance: p = 1 / (1 + exp(-(l1 * I1 + l2 * I2 + bias))).
public struct ImbalanceUptickModel: UptickModel, Sendable {
    public var l1: Double
    public var l2: Double
    public var bias: Double
    public init(l1: Double = 3.0, l2: Double = 1.0, bias: Double = 0) {
        self.l1 = l1
        self.l2 = l2
        self.bias = bias
    }

    public var usesFeatures: Bool { false }

    @inline(__always)
    public func probabilityUp(_ top: BookTop) -> Double {
        let b2 = Double(top.bidShares + top.bid2Shares), a2 = Double(top.askShares + top.ask2Shares)
        let i2 = b2 + a2 > 0 ? (b2 - a2) / (b2 + a2) : 0
        let z = l1 * top.imbalance + l2 * i2 + bias
        return 1 / (1 + exp(-z))
    }

    @inline(__always)
    public func probabilityUp(_ top: BookTop, _ f: UnsafePointer<FeatureState>, now: UInt64) -> Double { probabilityUp(top) }

    @inline(__always)
    public func probabilityDown(_ top: BookTop, _ f: UnsafePointer<FeatureState>, now: UInt64) -> Double { 1 - probabilityUp(top) }
}

/// The shipped uptick GBDT (`models/uptick.json`) over the stock's `FeatureState` row; the down
/// probability is the same model on the row as the sell side sees it. Holds the model
/// unretained: whoever made it keeps the `ModelSet` alive (`Taker.models`).
public struct TrainedUptickModel: UptickModel {
    let model: Unmanaged<GBDTModel>

    public init(_ models: ModelSet) { model = .passUnretained(models.uptick) }

    public var usesFeatures: Bool { true }

    @inline(__always)
    func predict(_ f: UnsafePointer<FeatureState>, now: UInt64, side: Side) -> Double {
        f.pointee.withRow(now: now, side: side) { row in model._withUnsafeGuaranteedRef { $0.predictProbability(row) } }
    }

    @inline(__always)
    public func probabilityUp(_ top: BookTop, _ f: UnsafePointer<FeatureState>, now: UInt64) -> Double { predict(f, now: now, side: .buy) }

    @inline(__always)
    public func probabilityDown(_ top: BookTop, _ f: UnsafePointer<FeatureState>, now: UInt64) -> Double { predict(f, now: now, side: .sell) }

    public func cut(_ threshold: Double) -> ProbabilityCut { model._withUnsafeGuaranteedRef { $0.cut(probability: threshold) } }

    /// The row as `side` sees it passes `cut` (the model stops summing trees once it is settled).
    @inline(__always)
    func exceeds(_ f: UnsafePointer<FeatureState>, now: UInt64, side: Side, _ cut: ProbabilityCut) -> Bool {
        f.pointee.withRow(now: now, side: side) { row in model._withUnsafeGuaranteedRef { $0.exceeds(row, cut) } }
    }

    @inline(__always)
    public func upExceeds(_ top: BookTop, _ f: UnsafePointer<FeatureState>, now: UInt64, _ cut: ProbabilityCut) -> Bool {
        exceeds(f, now: now, side: .buy, cut)
    }

    @inline(__always)
    public func downExceeds(_ top: BookTop, _ f: UnsafePointer<FeatureState>, now: UInt64, _ cut: ProbabilityCut) -> Bool {
        exceeds(f, now: now, side: .sell, cut)
    }
}

/// The command line's taker model: the trained one when models are loaded, else the imbalance
/// logistic. One concrete type, so the appliance is specialized once for the taker.
public struct UptickPredictor: UptickModel {
    let trained: TrainedUptickModel?
    let imbalance = ImbalanceUptickModel()

    public init(models: ModelSet?) { trained = models.map(TrainedUptickModel.init) }

    public var usesFeatures: Bool { trained != nil }

    @inline(__always)
    public func probabilityUp(_ top: BookTop, _ f: UnsafePointer<FeatureState>, now: UInt64) -> Double {
        if let trained { return trained.probabilityUp(top, f, now: now) }
        return imbalance.probabilityUp(top)
    }

    @inline(__always)
    public func probabilityDown(_ top: BookTop, _ f: UnsafePointer<FeatureState>, now: UInt64) -> Double {
        if let trained { return trained.probabilityDown(top, f, now: now) }
        return 1 - imbalance.probabilityUp(top)
    }

    public func cut(_ threshold: Double) -> ProbabilityCut { trained?.cut(threshold) ?? ProbabilityCut(probability: threshold) }

    @inline(__always)
    public func upExceeds(_ top: BookTop, _ f: UnsafePointer<FeatureState>, now: UInt64, _ cut: ProbabilityCut) -> Bool {
        if let trained { return trained.upExceeds(top, f, now: now, cut) }
        return imbalance.probabilityUp(top) > cut.probability
    }

    @inline(__always)
    public func downExceeds(_ top: BookTop, _ f: UnsafePointer<FeatureState>, now: UInt64, _ cut: ProbabilityCut) -> Bool {
        if let trained { return trained.downExceeds(top, f, now: now, cut) }
        return 1 - imbalance.probabilityUp(top) > cut.probability
    }
}

public struct TakerParameters: Sendable, Equatable {
    /// Cross when P(uptick) > threshold (buy) or P(downtick) > threshold (sell).
    public var threshold: Double = 0.85
    /// Shares per order (capped by the size shown at the touch).
    public var size: UInt32 = 100
    /// No buying at or above this position, no selling at or below its negative.
    public var maxPosition: Int64 = 1_000
    /// Feed-clock nanoseconds between two orders in one stock.
    public var cooldownNanos: UInt64 = 5_000_000
    public init() {}
}

public struct TakerCounters: Sendable, Equatable {
    public var signals: UInt64 = 0
    public var ordersSent: UInt64 = 0
    public var refused: UInt64 = 0
    public var fills: UInt64 = 0
    public init() {}
}

public final class Taker<Model: UptickModel>: Strategy {
    public var parameters: TakerParameters {
        didSet { cut = model.cut(parameters.threshold) }
    }
    /// `parameters.threshold` prepared for the model.
    var cut: ProbabilityCut
    public let model: Model
    /// The trained models `model` reads (kept alive here), if any.
    public let models: ModelSet?
    public private(set) var counters = TakerCounters()
    let maxLocates: Int
    let traded: UnsafeMutablePointer<Bool>
    let position: UnsafeMutablePointer<Int64>
    let lastOrderAt: UnsafeMutablePointer<UInt64>
    let features: UnsafeMutablePointer<FeatureState>
    let usesFeatures: Bool

    public init(symbols: [StockLocate], model: Model, models: ModelSet? = nil, maxLocates: Int = 1 << 16,
                parameters: TakerParameters = .init()) {
        self.parameters = parameters
        self.model = model
        self.models = models
        cut = model.cut(parameters.threshold)
        usesFeatures = model.usesFeatures
        features = .allocate(capacity: maxLocates)
        features.initialize(repeating: FeatureState(), count: maxLocates)
        self.maxLocates = maxLocates
        traded = .allocate(capacity: maxLocates)
        traded.initialize(repeating: false, count: maxLocates)
        for s in symbols where Int(s.rawValue) < maxLocates { traded[Int(s.rawValue)] = true }
        position = .allocate(capacity: maxLocates)
        position.initialize(repeating: 0, count: maxLocates)
        lastOrderAt = .allocate(capacity: maxLocates)
        lastOrderAt.initialize(repeating: 0, count: maxLocates)
    }

    deinit {
        traded.deallocate()
        position.deallocate()
        lastOrderAt.deallocate()
        features.deallocate()
    }

    public func modelSummary() -> [String: String] {
        ["uptick_model": models.map { $0.directory + "/uptick.json" } ?? "imbalance logistic", "threshold": "\(parameters.threshold)",
         "signals": "\(counters.signals)"]
    }

    /// The features of `locate` as this strategy keeps them (nil beyond its locates); cold.
    public func featureState(_ locate: StockLocate) -> FeatureState? {
        Int(locate.rawValue) < maxLocates ? features[Int(locate.rawValue)] : nil
    }

    public func position(_ locate: StockLocate) -> Int64 {
        Int(locate.rawValue) < maxLocates ? position[Int(locate.rawValue)] : 0
    }

    @inline(__always)
    public func trades(_ locate: StockLocate) -> Bool {
        let l = Int(locate.rawValue)
        return l < maxLocates && traded[l]
    }

    public func onBook(_ top: BookTop, _ ctx: inout StrategyContext) {
        let l = Int(top.locate.rawValue)
        guard l < maxLocates else { return }
        if usesFeatures {
            features[l].onBook(top, now: ctx.now)
        }
        guard top.isTwoSided else { return }
        let last = lastOrderAt[l]
        guard last == 0 || ctx.now &- last >= parameters.cooldownNanos else { return }
        let side: Side
        let price: Price
        let shown: UInt64
        if top.bidShares >= top.askShares {
            let up = model.upExceeds(top, features + l, now: ctx.now, cut)
            ctx.markModel()
            guard up, position[l] < parameters.maxPosition else { return }
            (side, price, shown) = (.buy, top.ask, top.askShares)
        } else {
            let down = model.downExceeds(top, features + l, now: ctx.now, cut)
            ctx.markModel()
            guard down, position[l] > -parameters.maxPosition else { return }
            (side, price, shown) = (.sell, top.bid, top.bidShares)
        }
        counters.signals &+= 1
        let shares = UInt32(truncatingIfNeeded: min(UInt64(parameters.size), shown))
        guard shares > 0, ctx.add(.new(tag: UInt32(l), locate: top.locate, side: side, shares: shares, price: price, kind: .ioc), reason: .take) else { return }
        lastOrderAt[l] = max(ctx.now, 1)
    }

    public func onTrade(locate: StockLocate, price: Price, shares: UInt32, aggressor: Side, _ ctx: inout StrategyContext) {
        let l = Int(locate.rawValue)
        guard usesFeatures, l < maxLocates else { return }
        features[l].onTrade(shares: shares, buyerInitiated: aggressor == .buy, now: ctx.now)
    }

    public func onSubmitted(tag: UInt32, result: SubmitResult, _ ctx: inout StrategyContext) {
        if case .sent = result { counters.ordersSent &+= 1 } else { counters.refused &+= 1 }
    }

    public func onOrder(_ event: GatewayEvent, _ ctx: inout StrategyContext) {
        guard case .executed(_, let locate, let side, let shares, _, _) = event else { return }
        let l = Int(locate.rawValue)
        guard l < maxLocates else { return }
        position[l] &+= side == .buy ? Int64(shares) : -Int64(shares)
        counters.fills &+= 1
    }
}
