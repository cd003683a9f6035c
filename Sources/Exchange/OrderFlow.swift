// Background order flow for the venue simulator: participants whose orders make the feed look
// like a trading session, not uniform noise.
//
// Queue-reactive (after Huang, Lehalle and Rosenbaum, "Simulating and analyzing order book data:
// the queue-reactive model", 2015): at every event, each of a symbol's queues within `depth`
// ticks of its best price has intensities that depend on its own size q (in average event sizes,
// AES): limit orders arrive at a rate that falls as the queue grows, cancellations at a rate
// proportional to the queue (each resting order may leave), and market orders hit the touch at a
// rate that rises when the touch is thin against the other side (queue imbalance, the best-known
// short-term predictor of the next price move). Orders inside a wide spread, and cancel-replaces
// that move a resting order by a tick (the ITCH U messages of a real feed), complete the events.
// One event is drawn from these intensities, the matching engine applies it, and the clock
// advances by an exponential waiting time: arrivals are Poisson.
//
// Symbols differ in activity: the symbol of each event is drawn from a Zipf law (exponent 0.75
// by default over the symbols), so a few names carry most of the flow and many are quiet.
//
// Regimes, market-wide: calm; volatile (more and larger marketable orders that walk the book,
// faster cancellations, more events); liquidity drought (fewer limit orders, faster
// cancellations: thin books and wide spreads). They follow a schedule when one is given, else
// switch at random (exponential durations). The current regime is public, so that tests of the
// regime and toxicity models can check what they learn against the truth.
//
// Everything is drawn from one seeded SplitMix64 stream: the same seed and configuration give
// the same events, byte for byte.
public import TickwireCore
#if os(Linux)
import Glibc
#endif

public enum Regime: UInt8, Sendable, CaseIterable, CustomStringConvertible {
    case calm
    case volatile
    case drought

    public var description: String {
        switch self {
        case .calm: "calm"
        case .volatile: "volatile"
        case .drought: "drought"
        }
    }
}

/// How a regime scales the base intensities.
public struct RegimeProfile: Sendable {
    public var rate: Double
    public var limit: Double
    public var cancel: Double
    public var market: Double
    /// Probability that a marketable order is larger than the touch (walks the book).
    public var walk: Double
    public var replace: Double

    public static let calm = RegimeProfile(rate: 1.0, limit: 1.0, cancel: 1.0, market: 1.0, walk: 0.03, replace: 1.0)
    public static let volatile = RegimeProfile(rate: 3.0, limit: 1.0, cancel: 1.6, market: 3.5, walk: 0.35, replace: 1.4)
    public static let drought = RegimeProfile(rate: 0.6, limit: 0.45, cancel: 1.8, market: 1.0, walk: 0.15, replace: 0.6)
}

public struct RegimeChange: Sendable, Equatable {
    /// Seconds after the start of the flow.
    public var atSecond: Double
    public var regime: Regime
    public init(atSecond: Double, regime: Regime) {
        self.atSecond = atSecond
        self.regime = regime
    }
}

public struct OrderFlowConfiguration: Sendable {
    public var seed: UInt64 = 1
    public var symbols: Int = 100
    /// Background firms (each with one session); firm ids start at 1000.
    public var firms: Int = 8
    public var zipfExponent: Double = 0.75
    /// Price increment, in 1/10,000 dollars (100 = one cent).
    public var tick: Int64 = 100
    /// Queues the model acts on, in ticks from each side's best.
    public var depth: Int = 5
    /// Average event size, shares.
    public var averageSize: UInt32 = 100
    /// Events per second of venue time in the calm regime (timestamps only: generation runs as
    /// fast as it can).
    public var eventsPerSecond: Double = 100_000
    /// Venue time of the first event.
    public var start = VenueTime(nanosSinceMidnight: 34_200_000_000_000)
    /// Regime changes in time order; empty: random switching with these mean durations.
    public var schedule: [RegimeChange] = []
    public var meanRegimeSeconds: (calm: Double, volatile: Double, drought: Double) = (20, 3, 5)
    /// Share of added orders published with attribution (ITCH F).
    public var attributedShare: Double = 0.05
    /// Share of events that are trades against hidden liquidity (ITCH P).
    public var hiddenTradeShare: Double = 0.004
    /// Whether the flow sees the trading clients' orders when it decides (the touch, the
    /// queue sizes, the spread, which order to cancel or move, what its orders executed). Off,
    /// it decides on a shadow book of its own orders alone, which never meets a client: every
    /// request it makes is the one it makes without clients (a backtest's premise: the recorded
    /// flow does not react to us), and the venue's engine matches each against the real book,
    /// clients' orders in it, by price and time. `tickwire exchange --reaction off|on`.
    public var reactsToClients = true

    public init(seed: UInt64 = 1, symbols: Int = 100) {
        self.seed = seed
        self.symbols = symbols
    }
}

public final class OrderFlowModel {
    public let configuration: OrderFlowConfiguration
    public let engine: MatchingEngine
    public private(set) var regime: Regime = .calm
    public private(set) var now: UInt64
    public private(set) var events: UInt64 = 0
    var rng: FlowRandom
    var cumulative: [Double] = []
    var reference: [Int64]
    let owners: [OrderOwner]
    var nextSwitch: UInt64
    var scheduleIndex = 0
    var profile = RegimeProfile.calm
    /// Scratch, reused every event: queue sizes by tick distance, per side, and intensities.
    let queue: UnsafeMutablePointer<Double>
    let levelAt: UnsafeMutablePointer<Int>
    let weight: UnsafeMutablePointer<Double>
    let weightCount: Int
    /// With the reaction to clients off: the flow's book without them, where it decides, and
    /// its orders' references there -> in `engine` (while live in both).
    let shadow: MatchingEngine?
    var shadowToReal: [UInt64: UInt64] = [:]
    var shadowSink = ShadowSink()

    /// The engine is made here, with one locate per symbol (1...symbols).
    public init(configuration c: OrderFlowConfiguration, maxOrders: Int = 1 << 20) {
        configuration = c
        var ec = MatchingEngineConfiguration(symbols: c.symbols, maxOrders: maxOrders)
        ec.firstRef = 1
        engine = MatchingEngine(configuration: ec)
        shadow = c.reactsToClients ? nil : MatchingEngine(configuration: ec)
        rng = FlowRandom(seed: c.seed)
        now = c.start.nanosSinceMidnight
        var acc = 0.0
        var w: [Double] = []
        for i in 0..<c.symbols { w.append(1 / pow(Double(i + 1), c.zipfExponent)) }
        let total = w.reduce(0, +)
        for x in w {
            acc += x / total
            cumulative.append(acc)
        }
        reference = [0]
        owners = (0..<max(c.firms, 1)).map { OrderOwner(session: UInt32(1000 + $0), firm: UInt32(1000 + $0)) }
        queue = .allocate(capacity: 2 * c.depth)
        queue.initialize(repeating: 0, count: 2 * c.depth)
        levelAt = .allocate(capacity: 2 * c.depth)
        levelAt.initialize(repeating: -1, count: 2 * c.depth)
        weightCount = 4 * c.depth + 6
        weight = .allocate(capacity: weightCount)
        weight.initialize(repeating: 0, count: weightCount)
        nextSwitch = 0
        for _ in 0..<c.symbols {
            // $5 to $300, on the tick grid.
            let dollars = 5 + rng.below(296)
            reference.append(Int64(dollars) * 10_000 + Int64(rng.below(100)) * c.tick)
        }
        nextSwitch = c.schedule.isEmpty ? now &+ duration(.calm) : UInt64.max
        if !c.schedule.isEmpty { applySchedule() }
    }

    deinit {
        queue.deallocate()
        levelAt.deallocate()
        weight.deallocate()
    }

    /// Fills every book with `levels` levels of `orders` orders per side around its reference
    /// price (the pre-open build-up).
    public func openingBook<S: EngineSink>(levels: Int = 5, orders: Int = 3, _ sink: inout S) {
        let c = configuration
        for s in 1...c.symbols {
            let locate = StockLocate(rawValue: UInt16(s))
            for i in 0..<levels {
                for _ in 0..<orders {
                    for side in [Side.buy, .sell] {
                        let price = reference[s] + (side == .buy ? -Int64(i + 1) : Int64(i + 1)) * c.tick
                        submit(locate, side, price, size(), &sink)
                    }
                }
            }
        }
    }

    /// The opening ("O") or closing ("C") cross of every symbol (ITCH Q): the auction volume is
    /// a few average sizes per unit of activity, at the symbol's mid (its reference price when a
    /// side is empty).
    public func cross<S: EngineSink>(_ type: UInt8, _ sink: inout S) {
        let c = configuration
        for s in 1...c.symbols {
            let locate = StockLocate(rawValue: UInt16(s))
            let activity = (cumulative[s - 1] - (s > 1 ? cumulative[s - 2] : 0)) * Double(c.symbols)
            let shares = UInt64(max(1, Int(activity * 20 * (0.5 + rng.uniform())))) * UInt64(c.averageSize)
            var price = reference[s]
            if let b = viewBest(locate, .buy), let a = viewBest(locate, .sell) { price = (b + a) / 2 / c.tick * c.tick }
            sink.on(.mdCross(locate: locate, shares: shares, price: Price(rawValue: price), match: engine.nextMatchNumber(), type: type))
        }
    }

    /// One event of the flow (one request to the engine, or a hidden trade).
    public func step<S: EngineSink>(_ sink: inout S) {
        advance()
        act(&sink)
    }

    /// The first half of `step`: the clock moves to the next event's time (`now`), which
    /// `act` then makes. Apart, so that a venue paced by event time can wait for `now` before
    /// making the event; the random draws are the same, in the same order, as `step`'s.
    public func advance() {
        advanceClock()
        events &+= 1
    }

    /// The second half of `step`: the event at `now`.
    public func act<S: EngineSink>(_ sink: inout S) {
        let c = configuration
        let s = pickSymbol()
        let locate = StockLocate(rawValue: UInt16(s))
        guard let bid = viewBest(locate, .buy), let ask = viewBest(locate, .sell) else {
            // An empty side refills at once, a few ticks from the reference.
            let side: Side = viewBest(locate, .buy) == nil ? .buy : .sell
            let other = viewBest(locate, side.opposite)
            let anchor = other.map { side == .buy ? $0 - c.tick : $0 + c.tick } ?? reference[s]
            let ticks = Int64(rng.below(3))
            submit(locate, side, side == .buy ? anchor - ticks * c.tick : anchor + ticks * c.tick, size(), &sink)
            return
        }
        reference[s] = (bid + ask) / 2
        if rng.uniform() < c.hiddenTradeShare {
            let side: Side = rng.below(2) == 0 ? .buy : .sell
            sink.on(.mdHiddenTrade(locate: locate, side: side, shares: Shares(rawValue: size()), price: Price(rawValue: side == .buy ? bid : ask),
                                   match: engine.nextMatchNumber()))
            return
        }
        // Queue sizes (in AES) by tick distance from each side's best.
        let k = c.depth
        let aes = Double(c.averageSize)
        for side in 0..<2 {
            let sd: Side = side == 0 ? .buy : .sell
            let best = side == 0 ? bid : ask
            for d in 0..<k {
                queue[side * k + d] = 0
                levelAt[side * k + d] = -1
            }
            var j = 0
            while j < k {
                let l = viewLevel(locate, sd, j)
                if l.orders == 0 { break }
                let d = Int((best - l.price).magnitude / UInt64(c.tick))
                if d >= k { break }
                queue[side * k + d] = Double(l.shares) / aes
                levelAt[side * k + d] = j
                j += 1
            }
        }
        let spreadTicks = Int((ask - bid) / c.tick)
        let p = profile
        // Intensities: [insert side,d] [cancel side,d] market(2) replace(2) inside(2).
        var total = 0.0
        for side in 0..<2 {
            for d in 0..<k {
                let q = queue[side * k + d]
                let decay = 1.0 / (1.0 + 0.35 * Double(d))
                let insert = 1.0 * p.limit * decay / (1.0 + q / 4.0)
                let cancel = 0.11 * p.cancel * q
                weight[side * 2 * k + d] = insert
                weight[side * 2 * k + k + d] = cancel
                total += insert + cancel
            }
        }
        let qb = queue[0], qa = queue[k]
        let imbalance = (qb - qa) / max(qb + qa, 1e-9)  // > 0: bids heavier, price tends up
        let base = 4 * k
        weight[base] = 0.055 * p.market * (1 + 0.8 * imbalance)      // market buy (lifts the ask)
        weight[base + 1] = 0.055 * p.market * (1 - 0.8 * imbalance)  // market sell
        weight[base + 2] = 1.4 * p.replace * min(qb, 8) / 4
        weight[base + 3] = 1.4 * p.replace * min(qa, 8) / 4
        let inside = spreadTicks > 1 ? 0.5 * p.limit * Double(spreadTicks - 1) : 0
        weight[base + 4] = inside
        weight[base + 5] = inside
        for i in base..<(base + 6) { total += weight[i] }
        var r = rng.uniform() * total
        var pick = 0
        while pick < weightCount - 1 && r >= weight[pick] {
            r -= weight[pick]
            pick += 1
        }
        if pick < base {
            let side = pick / (2 * k)
            let within = pick % (2 * k)
            let sd: Side = side == 0 ? .buy : .sell
            let best = side == 0 ? bid : ask
            if within < k {
                let d = Int64(within)
                submit(locate, sd, sd == .buy ? best - d * c.tick : best + d * c.tick, size(), &sink)
            } else {
                let j = levelAt[side * k + within - k]
                guard j >= 0 else { return }
                let n = viewLevel(locate, sd, j).orders
                // Only the background's own orders: a client's order is its owner's to cancel.
                guard let o = viewOrder(locate, sd, level: j, position: rng.below(n)), o.owner.isBackground else { return }
                let keep: UInt32 = rng.below(100) < 12 && o.shares.rawValue > 100 ? o.shares.rawValue / 2 : 0
                cancel(o, remaining: keep, &sink)
            }
            return
        }
        switch pick - base {
        case 0, 1:
            let sd: Side = pick == base ? .buy : .sell
            let touch = Double(viewLevel(locate, sd.opposite, 0).shares)
            var shares = size()
            if rng.uniform() < p.walk { shares = UInt32(min(touch * (1.2 + 2 * rng.uniform()), 900_000)) + shares }
            let owner = owners[rng.below(owners.count)]
            if rng.below(10) < 7 {
                request(NewOrder(locate: locate, side: sd, shares: Shares(rawValue: shares), price: .zero, kind: .market, owner: owner), &sink)
            } else {
                let limit = sd == .buy ? ask + 2 * c.tick : max(bid - 2 * c.tick, c.tick)
                request(NewOrder(locate: locate, side: sd, shares: Shares(rawValue: shares), price: Price(rawValue: limit), kind: .ioc,
                                 owner: owner), &sink)
            }
        case 2, 3:
            let sd: Side = pick == base + 2 ? .buy : .sell
            let side = sd == .buy ? 0 : 1
            // Mostly near the touch.
            var d = 0
            while d < k - 1 && rng.below(100) < 40 { d += 1 }
            let j = levelAt[side * k + d]
            guard j >= 0 else { return }
            let n = viewLevel(locate, sd, j).orders
            guard let o = viewOrder(locate, sd, level: j, position: rng.below(n)), o.owner.isBackground else { return }
            // One tick away from or toward the touch (never through the other side), new size.
            var price = o.price.rawValue
            let away = sd == .buy ? -c.tick : c.tick
            if d == 0 || rng.below(2) == 0 { price += away } else { price -= away }
            if sd == .buy ? price >= ask : price <= bid { price = o.price.rawValue + away }
            if price <= 0 { return }
            let shares = max(100, Int(o.shares.rawValue) + 100 * (rng.below(5) - 2))
            replace(o, shares: UInt32(shares), price: price, &sink)
        default:
            let sd: Side = pick == base + 4 ? .buy : .sell
            submit(locate, sd, sd == .buy ? bid + c.tick : ask - c.tick, size(), &sink)
        }
    }

    // MARK: - Parts

    // The book as the flow sees it: the venue's (clients' orders in it), or its shadow.
    @inline(__always)
    func viewBest(_ locate: StockLocate, _ side: Side) -> Int64? {
        (shadow ?? engine).bestPrice(locate, side)
    }

    @inline(__always)
    func viewLevel(_ locate: StockLocate, _ side: Side, _ j: Int) -> (price: Int64, shares: UInt64, orders: Int) {
        (shadow ?? engine).levelSize(locate, side, j)
    }

    @inline(__always)
    func viewOrder(_ locate: StockLocate, _ side: Side, level j: Int, position: Int) -> MatchingEngine.LiveOrder? {
        (shadow ?? engine).order(locate, side, level: j, position: position)
    }

    // The flow's requests: to the venue's engine; with a shadow, there first, then to the
    // venue's engine with the shadow's references mapped to the venue's.

    /// A new order (limit, market or IOC).
    func request<S: EngineSink>(_ o: NewOrder, _ sink: inout S) {
        guard let shadow else {
            engine.submit(o, &sink)
            return
        }
        let s = shadow.submit(o, &shadowSink)
        let r = engine.submit(o, &sink)
        if let s, let r, shadow.order(s) != nil, engine.order(r) != nil { shadowToReal[s.rawValue] = r.rawValue }
        forgetExecuted()
    }

    /// Cancels `o` (the flow's view of it) down to `remaining` shares.
    func cancel<S: EngineSink>(_ o: MatchingEngine.LiveOrder, remaining: UInt32, _ sink: inout S) {
        guard let shadow else {
            engine.cancel(ref: o.ref, owner: o.owner, remaining: Shares(rawValue: remaining), &sink)
            return
        }
        shadow.cancel(ref: o.ref, owner: o.owner, remaining: Shares(rawValue: remaining), &shadowSink)
        if let r = shadowToReal[o.ref.rawValue] {
            // The venue's copy may hold fewer shares (a client traded with it): OUCH's rule
            // (cancel down to the size asked for, nothing if it is below) applies there.
            if engine.order(OrderRef(rawValue: r)) != nil {
                engine.cancel(ref: OrderRef(rawValue: r), owner: o.owner, remaining: Shares(rawValue: remaining), &sink)
            }
            if remaining == 0 || engine.order(OrderRef(rawValue: r)) == nil { shadowToReal[o.ref.rawValue] = nil }
        }
        if shadow.order(o.ref) == nil { shadowToReal[o.ref.rawValue] = nil }
        shadowSink.executed.removeAll(keepingCapacity: true)
    }

    /// Moves `o` (the flow's view of it) to `price` with `shares`.
    func replace<S: EngineSink>(_ o: MatchingEngine.LiveOrder, shares: UInt32, price: Int64, _ sink: inout S) {
        guard let shadow else {
            engine.replace(ref: o.ref, owner: o.owner, shares: Shares(rawValue: shares), price: Price(rawValue: price), &sink)
            return
        }
        let s = shadow.replace(ref: o.ref, owner: o.owner, shares: Shares(rawValue: shares), price: Price(rawValue: price), &shadowSink)
        var r: OrderRef?
        if let old = shadowToReal.removeValue(forKey: o.ref.rawValue), engine.order(OrderRef(rawValue: old)) != nil {
            r = engine.replace(ref: OrderRef(rawValue: old), owner: o.owner, shares: Shares(rawValue: shares), price: Price(rawValue: price), &sink)
        }
        if let s, let r, shadow.order(s) != nil, engine.order(r) != nil { shadowToReal[s.rawValue] = r.rawValue }
        forgetExecuted()
    }

    /// Shadow orders a request executed in full are gone from the map (their venue copies,
    /// where a client took the execution instead, stay and trade on).
    func forgetExecuted() {
        guard let shadow else { return }
        for ref in shadowSink.executed where shadow.order(OrderRef(rawValue: ref)) == nil { shadowToReal[ref] = nil }
        shadowSink.executed.removeAll(keepingCapacity: true)
    }

    func submit<S: EngineSink>(_ locate: StockLocate, _ side: Side, _ price: Int64, _ shares: UInt32, _ sink: inout S) {
        guard price > 0 else { return }
        let owner = owners[rng.below(owners.count)]
        let attributed = rng.uniform() < configuration.attributedShare
        request(NewOrder(locate: locate, side: side, shares: Shares(rawValue: shares), price: Price(rawValue: price),
                         kind: .limit, owner: owner, attributed: attributed), &sink)
    }

    /// Mostly round lots around the average size, some odd lots.
    func size() -> UInt32 {
        if rng.below(100) < 8 { return UInt32(1 + rng.below(99)) }
        var lots: UInt32 = 1
        while lots < 50 && rng.below(100) < 45 { lots += 1 }
        return lots * configuration.averageSize
    }

    func pickSymbol() -> Int {
        let u = rng.uniform()
        var lo = 0, hi = cumulative.count - 1
        while lo < hi {
            let m = (lo + hi) / 2
            if cumulative[m] < u { lo = m + 1 } else { hi = m }
        }
        return lo + 1
    }

    func advanceClock() {
        let rate = configuration.eventsPerSecond * profile.rate
        let dt = -log(max(rng.uniform(), 1e-12)) / rate
        now &+= UInt64(dt * 1e9) &+ 1
        if now >= nextSwitch { switchRegime() }
    }

    func duration(_ r: Regime) -> UInt64 {
        let m = configuration.meanRegimeSeconds
        let mean = r == .calm ? m.calm : (r == .volatile ? m.volatile : m.drought)
        return UInt64(-log(max(rng.uniform(), 1e-12)) * mean * 1e9) &+ 1
    }

    func switchRegime() {
        if !configuration.schedule.isEmpty {
            applySchedule()
            return
        }
        // From calm to one of the others; from the others back to calm, mostly.
        let next: Regime
        switch regime {
        case .calm: next = rng.below(2) == 0 ? .volatile : .drought
        default: next = rng.below(10) < 8 ? .calm : (regime == .volatile ? .drought : .volatile)
        }
        setRegime(next)
        nextSwitch = now &+ duration(next)
    }

    func applySchedule() {
        let sched = configuration.schedule
        let elapsed = Double(now - configuration.start.nanosSinceMidnight) / 1e9
        while scheduleIndex < sched.count && sched[scheduleIndex].atSecond <= elapsed {
            setRegime(sched[scheduleIndex].regime)
            scheduleIndex += 1
        }
        nextSwitch = scheduleIndex < sched.count
            ? configuration.start.nanosSinceMidnight &+ UInt64(sched[scheduleIndex].atSecond * 1e9)
            : UInt64.max
    }

    func setRegime(_ r: Regime) {
        regime = r
        profile = r == .calm ? .calm : (r == .volatile ? .volatile : .drought)
    }
}

/// SplitMix64 with the draws the model needs.
struct FlowRandom {
    var g: SplitMix64
    init(seed: UInt64) { g = SplitMix64(state: seed &* 0x2545_F491_4F6C_DD1D &+ 0x1234_5678) }
    @inline(__always) mutating func next() -> UInt64 { g.next() }
    @inline(__always)
    mutating func below(_ n: Int) -> Int { n <= 1 ? 0 : Int(g.next() % UInt64(n)) }
    /// Uniform in [0, 1).
    @inline(__always) mutating func uniform() -> Double { g.uniform() }
}

/// What the flow's shadow book does, for the flow model: the references it executed.
struct ShadowSink: EngineSink {
    var executed: [UInt64] = []
    mutating func on(_ e: EngineEvent) {
        if case let .mdExecute(_, ref, _, _) = e { executed.append(ref.rawValue) }
    }
}
