// The reference market maker: one bid and one ask per stock, around the microprice, skewed
// against inventory. Parameters are public and may change between callbacks.
//
// With the trained models (`models:`), four of them steer it (all off the hot path's common
// case: a touch change costs a feature update; models run when a decision needs them):
//   - regime: `MarketState` over every stock of the feed (the engine tells it every touch and
//     trade, as the training recorder sees them), classified every 100 ms with hysteresis;
//   - parameter adaptation: every 100 ms per stock, the adapt model's forecast of the next
//     second's mid move, with the regime, sets that stock's width, size and inventory limit
//     (`QuoteAdaptation`);
//   - fill probability: a live quote the fair price has left by one tick is kept, not moved,
//     while P(fill) of its place in the queue is at least `holdFillProbability` (moving it
//     would send it to the back of a queue);
//   - toxicity: after a fill, P(toxic) at or above `toxicThreshold` widens that side by
//     `toxicWidenTicks` for `toxicCooldownNanos`.
#if canImport(Glibc)
import Glibc
#endif
public import Inference
import OrderBook
public import OrderEvents
public import TickwireCore

public struct MarketMakerParameters: Sendable, Equatable {
    /// Minimum price increment, in price units (NASDAQ: $0.01 = 100).
    public var tick: Int64 = 100
    /// Distance of each quote from the fair price, in ticks.
    public var halfWidthTicks: Int64 = 1
    /// Shares per quote.
    public var size: UInt32 = 100
    /// Ticks the fair price moves against each `size` shares of inventory.
    public var skewTicksPerLot: Int64 = 1
    /// No more buying at or above this long position, no more selling at or below its negative.
    public var maxInventory: Int64 = 500
    /// A live quote is moved when its wanted price is this many ticks away...
    public var requoteTicks: Int64 = 1
    /// ...and it was last sent at least this long ago (feed clock): a microprice that flickers
    /// across a tick boundary would otherwise replace on every message, into the throttle.
    public var minRequoteNanos: UInt64 = 2_000_000
    /// With models: hold a live quote one tick off while its P(fill) is at least this (on the
    /// simulator's held-out day, the top ~40% of places in a queue).
    public var holdFillProbability: Double = 0.75
    /// With models: after a fill with P(toxic) at or above this (the top ~10% of fills on the
    /// held-out day), widen that side...
    public var toxicThreshold: Double = 0.52
    /// ...by this many ticks...
    public var toxicWidenTicks: Int64 = 2
    /// ...for this long (feed clock).
    public var toxicCooldownNanos: UInt64 = 200_000_000
    /// After the gateway or risk refuses a quote (a new order or a replace), that quote is not
    /// asked again for this long (feed clock), doubling with each refusal in a row up to
    /// `maxRefusalBackoffNanos`; a quote that goes out resets it. Asking again at every touch
    /// change would be a stream of refusals: risk's reject-streak guard reads that as a runaway
    /// strategy and fires the kill switch.
    public var refusalBackoffNanos: UInt64 = 10_000_000
    public var maxRefusalBackoffNanos: UInt64 = 1_000_000_000
    public init() {}
}

/// How the market maker turns the adapt model's forecast and the regime into one stock's
/// quoting parameters: a forecast of `volatileMoveTicks` or more widens by one tick, and by one
/// more at 1.5 times that; a volatile regime widens by one tick more and halves size and
/// inventory limit; a drought halves size.
public struct QuoteAdaptation: Sendable, Equatable {
    /// The held-out day's forecasts: median 2.3 ticks a second, 75th percentile 3, 90th 4.2.
    public var volatileMoveTicks: Double = 3
    public init() {}

    /// Extra half-width ticks, size and inventory limit for a forecast |move| in ticks.
    @inline(__always)
    public func adapt(forecastTicks: Double, regime: MarketRegime, base: MarketMakerParameters) -> (extraTicks: Int64, size: UInt32, maxInventory: Int64) {
        var extra: Int64 = forecastTicks >= volatileMoveTicks ? 1 : 0
        if forecastTicks >= 1.5 * volatileMoveTicks { extra += 1 }
        var size = base.size, limit = base.maxInventory
        switch regime {
        case .calm: break
        case .volatile:
            extra += 1
            size = max(size / 2 / 100 * 100, 100)
            limit /= 2
        case .drought:
            size = max(size / 2 / 100 * 100, 100)
        }
        return (extra, size, limit)
    }
}

public struct MarketMakerCounters: Sendable, Equatable {
    public var quotesSent: UInt64 = 0
    public var replacesSent: UInt64 = 0
    public var cancelsSent: UInt64 = 0
    public var fills: UInt64 = 0
    public var refused: UInt64 = 0
    /// Refusals after which a quote waited before being asked again (`refusalBackoffNanos`).
    public var backoffs: UInt64 = 0
    /// With models: requotes skipped because P(fill) of the quote's place was high.
    public var holds: UInt64 = 0
    /// With models: fills after which the side was widened as toxic.
    public var toxicFills: UInt64 = 0
    /// With models: adapt-model evaluations, and regime changes.
    public var adaptations: UInt64 = 0
    public var regimeChanges: UInt64 = 0
    public init() {}
}

public final class MarketMaker: Strategy {
    public var parameters: MarketMakerParameters {
        didSet { (holdCut, toxicCut) = Self.cuts(parameters, models) }
    }
    /// `holdFillProbability` and `toxicThreshold` prepared for the fill and toxicity models.
    var holdCut: ProbabilityCut
    var toxicCut: ProbabilityCut
    public private(set) var counters = MarketMakerCounters()
    let maxLocates: Int
    let traded: UnsafeMutablePointer<Bool>
    /// Per locate: two quotes (bid at 2*l, ask at 2*l+1).
    let quotes: UnsafeMutablePointer<Quote>
    let inventory: UnsafeMutablePointer<Int64>
    let lastTop: UnsafeMutablePointer<BookTop>
    /// Order number -> quote slot, direct-mapped (order numbers are consecutive; a slot is
    /// trusted only when its id matches).
    let owners: UnsafeMutablePointer<Owner>
    let ownerMask: Int
    /// The trained models, when quoting with them.
    public let models: ModelSet?
    public var adaptation = QuoteAdaptation()
    let market: MarketState?
    let classifier: RegimeClassifier?
    /// The same two, unretained, for the hot path (loading a class reference from a stored
    /// property costs a retain and a release per use).
    let uMarket: Unmanaged<MarketState>?
    let uClassifier: Unmanaged<RegimeClassifier>?
    /// The three stock models, unretained (`models` keeps them alive).
    let adaptModel: Unmanaged<GBDTModel>?
    let fillModel: Unmanaged<GBDTModel>?
    let toxicityModel: Unmanaged<GBDTModel>?
    let features: UnsafeMutablePointer<FeatureState>
    /// Per stock, what the models set: see `Tuned`.
    let tuned: UnsafeMutablePointer<Tuned>

    struct Tuned {
        var extraTicks: Int64 = 0
        var size: UInt32 = 0
        var maxInventory: Int64 = 0
        var adaptedAt: UInt64 = 0
        /// Feed time until which each side is widened after a toxic fill.
        var toxicUntil: (bid: UInt64, ask: UInt64) = (0, 0)
    }

    enum QuoteState: UInt8 { case none, sending, pendingNew, live, pendingReplace, pendingCancel }

    struct Quote {
        var state: QuoteState = .none
        var id: UInt32 = 0
        var price: Price = .zero
        var pendingPrice: Price = .zero
        var shares: UInt32 = 0
        var sentAt: UInt64 = 0
        /// Shares estimated ahead of the quote in its queue (with models), and of the pending
        /// replacement.
        var ahead: UInt64 = 0
        var pendingAhead: UInt64 = 0
        var pendingShares: UInt32 = 0
        /// Not asked again before this feed time after a refusal, and the wait that set it.
        var retryAt: UInt64 = 0
        var backoff: UInt64 = 0
        /// The fill model kept this placement in place at least once (logged once per placement).
        var held = false
        /// An order of this quote the venue has taken out (cancelled, or moved by a replace) that
        /// the feed may still show at this price and size: kept out of the market's touch until
        /// the feed's touch no longer holds it (`onBook`).
        var ghost: Price = .zero
        var ghostShares: UInt32 = 0
        /// The venue's references of this quote's latest order and of the one before it (0:
        /// none known). While the feed still shows either, it is ours, not the market's: with
        /// the engine's book at hand (`StrategyContext.bookOrder`) the touch is taken without
        /// them exactly, whichever of the feed and the venue's answer came first. `ghost` is the
        /// guess for a context without a book.
        var ref: OrderRef = OrderRef(rawValue: 0)
        var previousRef: OrderRef = OrderRef(rawValue: 0)
        /// The venue has named this quote's orders by reference (taken out by them from then on).
        var byRef = false
        /// Where the book held `ref` and `previousRef` when last asked (-1: not known): a hint
        /// for the next lookup (`StrategyContext.bookOrder(_:hint:)`), checked before it is used.
        var refSlot: Int32 = -1
        var previousRefSlot: Int32 = -1

        /// A new reference for this quote's order (accepted, or replaced by a new one).
        mutating func learn(_ r: OrderRef) {
            guard r != ref, r.rawValue != 0 else { return }
            if ref.rawValue != 0 { (previousRef, previousRefSlot) = (ref, refSlot) }
            ref = r
            refSlot = -1
            byRef = true
        }
    }

    struct Owner {
        var id: UInt32 = 0
        var slot: Int32 = -1
    }

    /// `symbols`: the locates to quote (others are ignored).
    public init(symbols: [StockLocate], maxLocates: Int = 1 << 16, parameters: MarketMakerParameters = .init(), models: ModelSet? = nil) {
        self.parameters = parameters
        self.maxLocates = maxLocates
        self.models = models
        (holdCut, toxicCut) = Self.cuts(parameters, models)
        adaptModel = models.map { .passUnretained($0.adapt) }
        fillModel = models.map { .passUnretained($0.fill) }
        toxicityModel = models.map { .passUnretained($0.toxicity) }
        market = models.map { _ in MarketState(maxLocates: maxLocates) }
        classifier = models.map { RegimeClassifier(models: $0.regime) }
        uMarket = market.map { .passUnretained($0) }
        uClassifier = classifier.map { .passUnretained($0) }
        var f = FeatureState()
        f.tick = Double(parameters.tick)
        features = .allocate(capacity: maxLocates)
        features.initialize(repeating: f, count: maxLocates)
        tuned = .allocate(capacity: maxLocates)
        tuned.initialize(repeating: Tuned(size: parameters.size, maxInventory: parameters.maxInventory), count: maxLocates)
        traded = .allocate(capacity: maxLocates)
        traded.initialize(repeating: false, count: maxLocates)
        for s in symbols where Int(s.rawValue) < maxLocates { traded[Int(s.rawValue)] = true }
        quotes = .allocate(capacity: 2 * maxLocates)
        quotes.initialize(repeating: Quote(), count: 2 * maxLocates)
        inventory = .allocate(capacity: maxLocates)
        inventory.initialize(repeating: 0, count: maxLocates)
        lastTop = .allocate(capacity: maxLocates)
        lastTop.initialize(repeating: BookTop(locate: StockLocate(rawValue: 0), bid: .zero, bidShares: 0, ask: .zero, askShares: 0),
                           count: maxLocates)
        let n = 1 << 16
        owners = .allocate(capacity: n)
        owners.initialize(repeating: Owner(), count: n)
        ownerMask = n - 1
    }

    deinit {
        traded.deallocate()
        quotes.deallocate()
        inventory.deallocate()
        lastTop.deallocate()
        owners.deallocate()
        features.deallocate()
        tuned.deallocate()
    }

    /// The regime the classifier holds (calm without models).
    public var regime: MarketRegime { classifier?.state ?? .calm }

    /// Volatile or drought, by the regime model (never without models).
    public var regimeIsAdverse: Bool { (classifier?.state ?? .calm) != .calm }

    /// The regime model's state (nil without models).
    public var currentRegime: MarketRegime? { classifier?.state }

    public func modelSummary() -> [String: String] {
        guard let models, let classifier else { return [:] }
        return ["folder": models.directory, "regime": "\(classifier.state)", "regime_changes": "\(counters.regimeChanges)",
                "regime_evaluations": "\(classifier.evaluations)", "adaptations": "\(counters.adaptations)",
                "holds": "\(counters.holds)", "toxic_fills": "\(counters.toxicFills)", "fills": "\(counters.fills)"]
    }

    public func inventory(_ locate: StockLocate) -> Int64 {
        Int(locate.rawValue) < maxLocates ? inventory[Int(locate.rawValue)] : 0
    }

    @inline(__always)
    public func trades(_ locate: StockLocate) -> Bool {
        let l = Int(locate.rawValue)
        return l < maxLocates && traded[l]
    }

    public func onBook(_ top: BookTop, _ ctx: inout StrategyContext) {
        let l = Int(top.locate.rawValue)
        guard l < maxLocates else { return }
        lastTop[l] = top
        forgetGhosts(l, top)
        if let adaptModel { observe(l, top, adaptModel, &ctx) }
        requote(l, top, &ctx)
    }

    /// A gone order of ours leaves the feed's touch with the venue's delete (or move): once a
    /// side's touch is elsewhere or holds fewer shares than it had, it is no longer counted out.
    @inline(__always)
    func forgetGhosts(_ l: Int, _ top: BookTop) {
        let b = quotes + 2 * l, a = quotes + 2 * l + 1
        if b.pointee.ghost.rawValue != 0, top.bid != b.pointee.ghost || top.bidShares < UInt64(b.pointee.ghostShares) {
            b.pointee.ghost = .zero
        }
        if a.pointee.ghost.rawValue != 0, top.ask != a.pointee.ghost || top.askShares < UInt64(a.pointee.ghostShares) {
            a.pointee.ghost = .zero
        }
    }

    public func onTrade(locate: StockLocate, price: Price, shares: UInt32, aggressor: Side, _ ctx: inout StrategyContext) {
        let l = Int(locate.rawValue)
        guard uMarket != nil, l < maxLocates else { return }
        features[l].onTrade(shares: shares, buyerInitiated: aggressor == .buy, now: ctx.now)
    }

    /// With models: the regime's market-wide state follows every stock of the feed, as the
    /// training recorder's does (the classifier was trained on that).
    public var followsMarket: Bool { uMarket != nil }

    @inline(__always)
    public func onMarketTouch(locate: StockLocate, bid: Int64, bidShares: UInt64, ask: Int64, askShares: UInt64, now: UInt64) {
        guard let uMarket else { return }
        uMarket._withUnsafeGuaranteedRef { $0.onBook(locate: locate, bid: bid, bidShares: bidShares, ask: ask, askShares: askShares, now: now) }
    }

    @inline(__always)
    public func onMarketTrade(locate: StockLocate, now: UInt64) {
        guard let uMarket, Int(locate.rawValue) < maxLocates else { return }
        uMarket._withUnsafeGuaranteedRef { $0.onTrade(now: now) }
    }

    /// The market-wide state the regime classifier reads (nil without models); cold.
    public var marketState: MarketState? { market }

    // MARK: - Models

    /// Folds a touch change into the features, the regime and (every 100 ms) the stock's
    /// adapted parameters; updates the queue estimates of its live quotes.
    @inline(__always)
    func observe(_ l: Int, _ top: BookTop, _ adaptModel: Unmanaged<GBDTModel>, _ ctx: inout StrategyContext) {
        let now = ctx.now
        features[l].onBook(top, now: now)
        features[l].inventory = inventory[l]
        // The market-wide state hears this touch after the decision (`onMarketTouch`).
        let market = uMarket.unsafelyUnwrapped
        var ran = false
        let (evaluated, state, changed) = uClassifier.unsafelyUnwrapped._withUnsafeGuaranteedRef { c in
            market._withUnsafeGuaranteedRef { m in
                let before = c.state
                let ran = c.update(m, now: now)
                return (ran, c.state, c.state != before)
            }
        }
        if evaluated {
            ran = true
            if changed { counters.regimeChanges &+= 1 }
        }
        let t = tuned + l
        if top.isTwoSided, t.pointee.adaptedAt == 0 || now &- t.pointee.adaptedAt >= 100_000_000 {
            t.pointee.adaptedAt = max(now, 1)
            let forecast = predict(adaptModel, l, side: .buy, ahead: 0, now: now)
            let a = adaptation.adapt(forecastTicks: forecast, regime: state, base: parameters)
            (t.pointee.extraTicks, t.pointee.size, t.pointee.maxInventory) = (a.extraTicks, a.size, a.maxInventory)
            counters.adaptations &+= 1
            ran = true
        }
        // Queue estimates: shares at our price on our side, less our own, bound what is ahead.
        queueMoved(quotes + 2 * l, top.bid, top.bidShares)
        queueMoved(quotes + 2 * l + 1, top.ask, top.askShares)
        if ran { ctx.markModel() }
    }

    /// The touch of a live quote's side: at the quote's price, everything but the quote itself
    /// may be ahead of it, and no more than before (orders behind it do not pass it).
    @inline(__always)
    func queueMoved(_ q: UnsafeMutablePointer<Quote>, _ price: Price, _ shown: UInt64) {
        guard q.pointee.state == .live, q.pointee.price == price else { return }
        let others = shown > UInt64(q.pointee.shares) ? shown - UInt64(q.pointee.shares) : 0
        q.pointee.ahead = min(q.pointee.ahead, others)
    }

    /// A fill of our `side` quote in stock `l`: widen that side for a while if the toxicity
    /// model expects the price to keep going against it.
    @inline(__always)
    func judgeFill(_ l: Int, side: Side, _ model: Unmanaged<GBDTModel>, _ ctx: inout StrategyContext) {
        features[l].inventory = inventory[l]
        let toxic = reaches(model, l, side: side, ahead: 0, now: ctx.now, toxicCut)
        ctx.markModel()
        guard toxic else { return }
        counters.toxicFills &+= 1
        let until = ctx.now &+ parameters.toxicCooldownNanos
        if side == .buy { tuned[l].toxicUntil.bid = until } else { tuned[l].toxicUntil.ask = until }
    }

    static func cuts(_ p: MarketMakerParameters, _ models: ModelSet?) -> (hold: ProbabilityCut, toxic: ProbabilityCut) {
        (models?.fill.cut(probability: p.holdFillProbability) ?? ProbabilityCut(probability: p.holdFillProbability),
         models?.toxicity.cut(probability: p.toxicThreshold) ?? ProbabilityCut(probability: p.toxicThreshold))
    }

    /// Whether one stock model's output for stock `l`'s row as `side` sees it is at or above
    /// `cut` (the model stops summing trees once that is settled: `GBDTModel.reaches`).
    @inline(__always)
    func reaches(_ model: Unmanaged<GBDTModel>, _ l: Int, side: Side, ahead: UInt64, now: UInt64, _ cut: ProbabilityCut) -> Bool {
        withRow(l, side: side, ahead: ahead, now: now) { row in model._withUnsafeGuaranteedRef { $0.reaches(row, cut) } }
    }

    /// Stock `l`'s row as `side` sees it, with `ahead` shares ahead of our order, handed to `body`.
    @inline(__always)
    func withRow<R>(_ l: Int, side: Side, ahead: UInt64, now: UInt64, _ body: (UnsafePointer<Float>) -> R) -> R {
        features[l].queueAhead = ahead
        defer { features[l].queueAhead = 0 }
        return features[l].withRow(now: now, side: side, body)
    }

    /// One stock model's output for stock `l`'s row as `side` sees it.
    @inline(__always)
    func predict(_ model: Unmanaged<GBDTModel>, _ l: Int, side: Side, ahead: UInt64, now: UInt64) -> Double {
        withRow(l, side: side, ahead: ahead, now: now) { row in model._withUnsafeGuaranteedRef { $0.predictProbability(row) } }
    }

    /// Where the quotes should be for this touch and inventory (nil: no quote on that side),
    /// and their size. With models, stock `l`'s adapted width, size and inventory limit, and a
    /// toxic fill's widening, apply. `widen`: how far behind the touch risk's widen guard makes
    /// orders rest (0: no guard).
    @inline(__always)
    func wanted(_ top: BookTop, inventory inv: Int64, _ l: Int, now: UInt64, widen: Int64 = 0) -> (bid: Price?, ask: Price?, size: UInt32) {
        let w = wantedWithReasons(top, inventory: inv, l, now: now, widen: widen)
        return (w.bid, w.ask, w.size)
    }

    /// `wanted`, and for each side whether a model put the quote wider than the rule.
    @inline(__always)
    func wantedWithReasons(_ top: BookTop, inventory inv: Int64, _ l: Int, now: UInt64, widen: Int64 = 0)
        -> (bid: Price?, ask: Price?, size: UInt32, bidWidened: Bool, askWidened: Bool) {
        let p = parameters
        guard top.isTwoSided else { return (nil, nil, p.size, false, false) }
        var extraBid: Int64 = 0, extraAsk: Int64 = 0
        var size = p.size, limit = p.maxInventory
        if adaptModel != nil {
            let t = tuned[l]
            (extraBid, extraAsk, size, limit) = (t.extraTicks, t.extraTicks, t.size, min(t.maxInventory, p.maxInventory))
            if now < t.toxicUntil.bid { extraBid += p.toxicWidenTicks }
            if now < t.toxicUntil.ask { extraAsk += p.toxicWidenTicks }
        }
        let tick = max(p.tick, 1)
        let lot = Int64(max(size, 1))
        let fair = top.microprice - (inv * p.skewTicksPerLot * tick) / lot
        var bid = floorTo(fair - (p.halfWidthTicks + extraBid) * tick, tick)
        var ask = ceilTo(fair + (p.halfWidthTicks + extraAsk) * tick, tick)
        // Our two quotes never meet: with no half width and the fair price on a tick, both
        // would sit at it and trade with each other (a wash trade). The side that would add to
        // the inventory steps back (the ask when flat).
        if ask <= bid {
            if inv > 0 { bid = ask - tick } else { ask = bid + tick }
        }
        // Passive only: never at or through the other side's touch.
        bid = min(bid, top.ask.rawValue - tick)
        ask = max(ask, top.bid.rawValue + tick)
        // Risk's widen guard: at least `widen` behind our own side's touch.
        if widen > 0 {
            bid = min(bid, floorTo(top.bid.rawValue - widen, tick))
            ask = max(ask, ceilTo(top.ask.rawValue + widen, tick))
        }
        return (inv < limit && bid > 0 ? Price(rawValue: bid) : nil,
                inv > -limit ? Price(rawValue: ask) : nil, size, extraBid > 0, extraAsk > 0)
    }

    @inline(__always) func floorTo(_ v: Int64, _ t: Int64) -> Int64 { v >= 0 ? v / t * t : -((-v + t - 1) / t) * t }
    @inline(__always) func ceilTo(_ v: Int64, _ t: Int64) -> Int64 { -floorTo(-v, t) }

    func requote(_ l: Int, _ book: BookTop, _ ctx: inout StrategyContext) {
        // The market's touch, not our own: where our resting quote is all of a side's best
        // level, that side's touch is the next level. Priced off itself, a quote left alone at
        // the touch (the rest of the level traded or gone) chases its own price, and a side
        // that holds only our order reads as two-sided.
        let top = withoutOwn(withoutOwn(book, slot: 2 * l, side: .buy, ctx), slot: 2 * l + 1, side: .sell, ctx)
        let w = wantedWithReasons(top, inventory: inventory[l], l, now: ctx.now, widen: ctx.requiredOffset(top.locate))
        var bid = w.bid, ask = w.ask
        // Never at or through our own other side, where it rests or is about to (a quote the
        // feed has not shown yet is not in `top`): no self-trade while one side waits to move.
        let tick = max(parameters.tick, 1)
        if let b = bid, let own = ownPrices(2 * l + 1), b.rawValue >= own.low {
            bid = own.low - tick > 0 ? Price(rawValue: own.low - tick) : nil
        }
        if let a = ask, let own = ownPrices(2 * l), a.rawValue <= own.high {
            ask = Price(rawValue: own.high + tick)
        }
        // Shares ahead of a quote placed at the wanted price: the whole level when it joins it.
        let aheadBid = bid == top.bid ? top.bidShares : 0
        let aheadAsk = ask == top.ask ? top.askShares : 0
        manage(slot: 2 * l, locate: top.locate, side: .buy, want: bid, size: w.size, ahead: aheadBid, reason: w.bidWidened ? .widened : .rule, &ctx)
        manage(slot: 2 * l + 1, locate: top.locate, side: .sell, want: ask, size: w.size, ahead: aheadAsk, reason: w.askWidened ? .widened : .rule, &ctx)
    }

    /// `top` without the orders of the quote in `slot` that the feed still shows. With the
    /// engine's book and the venue's references: exactly those the book holds (a reference the
    /// book no longer holds is forgotten: the venue never reuses one). Otherwise a guess from
    /// the quote's state: the order resting at its price, and its last gone order (`ghost`)
    /// while the touch still holds that price and size.
    @inline(__always)
    func withoutOwn(_ top: BookTop, slot: Int, side: Side, _ ctx: StrategyContext) -> BookTop {
        let q = quotes + slot
        guard ctx.hasBook, q.pointee.byRef else {
            return top.without(side: side, price: restingPrice(slot), shares: q.pointee.shares)
                .without(side: side, price: q.pointee.ghost, shares: q.pointee.ghostShares)
        }
        var t = top
        if let o = ctx.bookOrder(q.pointee.ref, hint: &q.pointee.refSlot) {
            t = t.without(side: o.side, price: o.price, shares: o.shares.rawValue)
        } else if q.pointee.state == .none {
            q.pointee.ref = OrderRef(rawValue: 0)  // filled or cancelled, and the feed has shown it
        }
        if q.pointee.previousRef.rawValue != 0 {
            if let o = ctx.bookOrder(q.pointee.previousRef, hint: &q.pointee.previousRefSlot) {
                t = t.without(side: o.side, price: o.price, shares: o.shares.rawValue)
            } else {
                q.pointee.previousRef = OrderRef(rawValue: 0)
            }
        }
        return t
    }

    /// The price the quote in `slot` rests at in the venue's book (0: none known to rest): a
    /// live one, or one with a replace or cancel in flight (the old order rests until it is done).
    @inline(__always)
    func restingPrice(_ slot: Int) -> Price {
        let q = quotes[slot]
        switch q.state {
        case .live, .pendingReplace, .pendingCancel: return q.price
        case .none, .sending, .pendingNew: return .zero
        }
    }

    /// The lowest and highest price the quote in `slot` rests at or is about to (a replace in
    /// flight: the old price and the new); nil when it has no order.
    @inline(__always)
    func ownPrices(_ slot: Int) -> (low: Int64, high: Int64)? {
        let q = quotes[slot]
        switch q.state {
        case .none: return nil
        case .pendingReplace:
            return (min(q.price.rawValue, q.pendingPrice.rawValue), max(q.price.rawValue, q.pendingPrice.rawValue))
        case .sending, .pendingNew, .live, .pendingCancel:
            return (q.price.rawValue, q.price.rawValue)
        }
    }

    @inline(__always)
    func manage(slot: Int, locate: StockLocate, side: Side, want: Price?, size: UInt32, ahead: UInt64, reason: DecisionReason = .rule,
                _ ctx: inout StrategyContext) {
        let q = quotes + slot
        switch q.pointee.state {
        case .none:
            guard let want, ctx.now >= q.pointee.retryAt else { return }
            if ctx.add(.new(tag: UInt32(slot), locate: locate, side: side, shares: size, price: want, kind: .day), reason: reason) {
                q.pointee = Quote(state: .sending, id: 0, price: want, pendingPrice: want, shares: size, sentAt: ctx.now, ahead: ahead, pendingAhead: ahead,
                                  retryAt: q.pointee.retryAt, backoff: q.pointee.backoff, ghost: q.pointee.ghost, ghostShares: q.pointee.ghostShares,
                                  ref: q.pointee.ref, previousRef: q.pointee.previousRef, byRef: q.pointee.byRef,
                                  refSlot: q.pointee.refSlot, previousRefSlot: q.pointee.previousRefSlot)
            }
        case .live:
            guard let want else {
                if ctx.add(.cancel(id: q.pointee.id)) { q.pointee.state = .pendingCancel }
                return
            }
            let tick = max(parameters.tick, 1)
            let away = abs(want.rawValue - q.pointee.price.rawValue)
            guard away >= parameters.requoteTicks * tick, ctx.now &- q.pointee.sentAt >= parameters.minRequoteNanos,
                  ctx.now >= q.pointee.retryAt else { return }
            // One tick off: keep the place in the queue while it is likely to fill.
            if away <= tick, let fillModel {
                let likely = reaches(fillModel, slot >> 1, side: side, ahead: q.pointee.ahead, now: ctx.now, holdCut)
                ctx.markModel()
                if likely {
                    counters.holds &+= 1
                    if !q.pointee.held {
                        q.pointee.held = true
                        ctx.noteHeld(id: q.pointee.id)
                    }
                    q.pointee.sentAt = ctx.now  // decided now: not asked again before minRequoteNanos
                    return
                }
            }
            if ctx.add(.replace(id: q.pointee.id, shares: size, price: want), reason: reason) {
                q.pointee.state = .pendingReplace
                q.pointee.held = false
                q.pointee.pendingPrice = want
                q.pointee.pendingShares = size
                q.pointee.pendingAhead = ahead
                q.pointee.sentAt = ctx.now
            }
        case .sending, .pendingNew, .pendingReplace, .pendingCancel:
            return  // one request in flight per quote
        }
    }

    /// A refused quote waits before it is asked again: the first wait, then twice the last, up
    /// to the cap.
    @inline(__always)
    func backOff(_ q: UnsafeMutablePointer<Quote>, now: UInt64) {
        let b = q.pointee.backoff == 0 ? parameters.refusalBackoffNanos : min(q.pointee.backoff &* 2, parameters.maxRefusalBackoffNanos)
        q.pointee.backoff = b
        q.pointee.retryAt = now &+ b
        counters.backoffs &+= 1
    }

    @inline(__always)
    func own(_ id: UInt32, slot: Int) { owners[Int(id) & ownerMask] = Owner(id: id, slot: Int32(slot)) }

    @inline(__always)
    func slot(of id: UInt32) -> Int? {
        let o = owners[Int(id) & ownerMask]
        return o.id == id && o.slot >= 0 ? Int(o.slot) : nil
    }

    public func onSubmitted(tag: UInt32, result: SubmitResult, _ ctx: inout StrategyContext) {
        let s = Int(tag)
        guard s < 2 * maxLocates else { return }
        if case .sent(let id) = result {
            quotes[s].id = id
            quotes[s].state = .pendingNew
            own(id, slot: s)
            counters.quotesSent &+= 1
            quotes[s].backoff = 0
        } else {
            quotes[s].state = .none
            counters.refused &+= 1
            backOff(quotes + s, now: ctx.now)
        }
    }

    /// The gateway's answer to a replace action (the replacement's number, nil: not sent) or a
    /// cancel action (sent or not).
    public func onReplaceSent(id: UInt32, newID: UInt32?, _ ctx: inout StrategyContext) {
        guard let s = slot(of: id) else { return }
        if let newID {
            own(newID, slot: s)
            counters.replacesSent &+= 1
            quotes[s].backoff = 0
        } else {
            quotes[s].state = .live
            counters.refused &+= 1
            backOff(quotes + s, now: ctx.now)
        }
    }

    public func onCancelSent(id: UInt32, sent: Bool, _ ctx: inout StrategyContext) {
        guard let s = slot(of: id) else { return }
        if sent { counters.cancelsSent &+= 1 } else { quotes[s].state = .none }
    }

    public func onOrder(_ event: GatewayEvent, _ ctx: inout StrategyContext) {
        switch event {
        case .accepted(let id, let ref), .adopted(let id, let ref):
            guard let s = slot(of: id), quotes[s].id == id, quotes[s].state == .pendingNew else { return }
            quotes[s].state = .live
            quotes[s].learn(ref)
        case .executed(let id, let locate, let side, let shares, _, _):
            let l = Int(locate.rawValue)
            guard l < maxLocates else { return }
            inventory[l] &+= side == .buy ? Int64(shares) : -Int64(shares)
            counters.fills &+= 1
            if let s = slot(of: id), quotes[s].id == id {
                quotes[s].shares = quotes[s].shares > shares ? quotes[s].shares - shares : 0
                quotes[s].ahead = 0
                if quotes[s].shares == 0 { quotes[s].state = .none }
            }
            if let toxicityModel { judgeFill(l, side: side, toxicityModel, &ctx) }
            // Inventory moved the fair price: requote both sides at once from the last touch.
            if traded[l] { requote(l, lastTop[l], &ctx) }
        case .canceled(let id, _):
            guard let s = slot(of: id), quotes[s].id == id else { return }
            quotes[s].ghost = quotes[s].price
            quotes[s].ghostShares = quotes[s].shares
            quotes[s].state = .none
            let l = s >> 1
            requote(l, lastTop[l], &ctx)
        case .replaced(let old, let new, let ref):
            guard let s = slot(of: new) else { return }
            if quotes[s].id == old || quotes[s].state == .pendingReplace {
                quotes[s].learn(ref)
                if quotes[s].pendingPrice != quotes[s].price {
                    quotes[s].ghost = quotes[s].price
                    quotes[s].ghostShares = quotes[s].shares
                }
                quotes[s].id = new
                quotes[s].price = quotes[s].pendingPrice
                quotes[s].shares = quotes[s].pendingShares
                quotes[s].ahead = quotes[s].pendingAhead
                quotes[s].state = .live
            }
        case .rejected(let id, _):
            guard let s = slot(of: id) else { return }
            if quotes[s].id == id { quotes[s].state = .none }
            else if quotes[s].state == .pendingReplace { quotes[s].state = .live }  // the replacement was refused
        case .cancelRejected(let id):
            guard let s = slot(of: id), quotes[s].id == id, quotes[s].state == .pendingCancel else { return }
            quotes[s].state = .live
        case .systemEvent:
            return
        }
    }
}
