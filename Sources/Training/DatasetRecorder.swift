// Turns an ITCH feed into the training sets of the five models (`tickwire record-features`).
//
// The recorder keeps the book and, per stock, the same `FeatureState` the strategies keep live,
// fed the same way: every execution and hidden trade first (`onTrade`, the aggressor opposite
// the resting order), then every change of the touch (`onBook`). A row is what a strategy would
// have seen at that moment; its label is read later from the feed. Labels:
//
//   uptick    at a touch change: 1 if the next change of the mid is up, 0 if down; no row
//             when the mid does not move within the horizon.
//   fill      at a touch change, a hypothetical order of the buy (and the sell) side is put in
//             the touch queue: at the back (half the probes: a new quote) or behind a random
//             number of the orders already there (a quote that has been resting a while):
//             1 if it would fill within the horizon. Shares ahead of it
//             fall with executions at its price (FIFO: they hit the front first) and with
//             cancellations of orders that were there before it (order references are issued in
//             increasing order, so an order ahead has a smaller reference); it fills when an
//             execution at its price finds nothing ahead, or when its side trades at a worse
//             price (the level was swept through). The row is that side's view (`side:`), with
//             the shares ahead as `queue_ahead_shares`.
//   toxicity  at each such fill: 1 if the mid one horizon later is below the buy price (above
//             the sell price): the fill lost money marked to the market. Row at the fill.
//   adapt     at a touch change: |mid one horizon later - mid now| in ticks (a volatility
//             forecast the market maker turns into its width and size).
//   regime    every `regimeIntervalNanos`: `MarketState`'s row and the simulator's regime.
//
// Rows are sampled, not taken at every event: a stock has at most a few samples of each kind
// pending at once, spaced by `spacingNanos`, which keeps the most active stocks from filling
// the sets. With models loaded (`models:`), every row also gets the Swift runtime's prediction,
// and regime rows the online classifier's state: the held-out report reads both.
#if canImport(Glibc)
import Glibc
#endif
public import Inference
import ITCHBook
import MarketData
import Strategy
public import OrderBook
public import TickwireCore

public struct DatasetOptions: Sendable {
    /// Horizon of the fill, toxicity and adapt labels, and the longest wait for an uptick label.
    public var horizonNanos: UInt64 = 1_000_000_000
    /// Least feed time between two samples of one kind in one stock.
    public var spacingNanos: UInt64 = 50_000_000
    /// Regime rows: one per interval (the classifier's cadence).
    public var regimeIntervalNanos: UInt64 = 100_000_000
    /// Price units per tick.
    public var tick: Int64 = 100
    /// Half the fill probes go behind a random number of the queue's orders, not at the back.
    public var midQueueProbes = true
    public init() {}
}

/// One task's labelled rows: written to CSV as they come, and (with models) the predictions
/// kept in memory for the report and the tests.
public enum Task: Int, CaseIterable, Sendable {
    case uptick, fill, toxicity, adapt

    public var name: String {
        switch self {
        case .uptick: "uptick"
        case .fill: "fill"
        case .toxicity: "toxicity"
        case .adapt: "adapt"
        }
    }
}

public final class DatasetRecorder {
    public let options: DatasetOptions
    public let book: OrderBook
    /// The one ITCH-to-book path, with this recorder as its sink (made at the first message).
    var feed: ITCHBookFeed<Sink>?
    let maxLocates: Int
    var features: [FeatureState]
    let market = MarketState()
    /// 2 x mid of each stock (0 while not two-sided).
    var mid2: [Int64]
    var maxRef: UInt64 = 0
    /// The simulator's regime for the messages being applied (nil: unknown, no regime rows).
    public var truth: MarketRegime?
    public private(set) var messages: UInt64 = 0
    /// Between the start (Q) and the end (M) of market hours.
    var sampling = false
    var nextRegimeRowAt: UInt64 = 0
    /// Where in the queue fill probes go (seeded: the same feed gives the same rows).
    var rng = SplitMix64(state: 0x7157_1ABE)

    // Pending samples.
    struct Uptick { var locate: Int; var mid2: Int64; var at: UInt64; var row: Int }
    struct Probe { var locate: Int; var side: Side; var price: Int64; var ahead: Int64; var refMark: UInt64; var at: UInt64; var row: Int }
    struct Markout { var locate: Int; var side: Side; var price: Int64; var due: UInt64; var row: Int }
    struct Adapt { var locate: Int; var mid2: Int64; var due: UInt64; var row: Int }
    var upticks: [[Uptick]]
    var probes: [[Probe]]
    var markouts: [[Markout]]
    var adapts: [[Adapt]]
    var lastSample: [UInt64]  // per locate x 4 kinds
    /// Rows waiting for their labels, by slot; slots are reused.
    var rowStore: [Float] = []
    var freeRows: [Int] = []

    let models: ModelSet?
    let classifier: RegimeClassifier?
    let writers: [CSVWriter]
    let regimeWriter: CSVWriter?
    /// Predictions and labels, per task (kept when models are loaded).
    public private(set) var scored: [[(score: Double, label: Double)]] = Array(repeating: [], count: Task.allCases.count)
    public private(set) var rows: [Int] = Array(repeating: 0, count: Task.allCases.count)
    public private(set) var regimeRows = 0
    /// Regime rows by truth (row) and classifier state (column), with models.
    public private(set) var regimeConfusion = [[Int]](repeating: [0, 0, 0], count: 3)

    /// - Parameters:
    ///   - directory: where the CSVs go (nil: nothing is written; tests keep only `scored`).
    ///   - regime: write regime rows (the input knows the true regime).
    ///   - maxLocates: stock locates followed (`0 ..< maxLocates`).
    public init(directory: String?, options: DatasetOptions = .init(), models: ModelSet? = nil, regime: Bool,
                maxLocates: Int = 1 << 12) throws {
        self.options = options
        self.maxLocates = maxLocates
        book = try OrderBook(configuration: OrderBookConfiguration(maxOrders: 1 << 21, maxLocates: maxLocates))
        var f = FeatureState()
        f.tick = Double(options.tick)
        features = Array(repeating: f, count: maxLocates)
        mid2 = Array(repeating: 0, count: maxLocates)
        upticks = Array(repeating: [], count: maxLocates)
        probes = Array(repeating: [], count: maxLocates)
        markouts = Array(repeating: [], count: maxLocates)
        adapts = Array(repeating: [], count: maxLocates)
        lastSample = Array(repeating: 0, count: maxLocates * 4)
        market.tick = Double(options.tick)
        self.models = models
        classifier = models.map { RegimeClassifier(models: $0.regime) }
        let pred = models == nil ? [] : ["pred"]
        let stockHeader = ["time_ns", "locate"] + FeatureState.schema.names + ["label"] + pred
        if let directory {
            var w: [CSVWriter] = []
            for t in Task.allCases { w.append(try CSVWriter(path: directory + "/\(t.name).csv", header: stockHeader)) }
            writers = w
            let extra = models == nil ? [] : ["p_calm", "p_volatile", "p_drought", "state"]
            regimeWriter = regime ? try CSVWriter(path: directory + "/regime.csv", header: ["time_ns"] + MarketState.schema.names + ["label"] + extra) : nil
        } else {
            writers = []
            regimeWriter = nil
        }
    }

    /// The features of `locate` as the recorder keeps them (nil beyond its locates).
    public func featureState(_ locate: StockLocate) -> FeatureState? {
        Int(locate.rawValue) < maxLocates ? features[Int(locate.rawValue)] : nil
    }

    /// The market-wide state (the regime model's input) as the recorder keeps it.
    public var marketState: MarketState { market }

    /// Flushes the files.
    public func finish() throws(SystemError) {
        for w in writers { try w.close() }
        try regimeWriter?.close()
    }

    // MARK: - Feed

    /// One ITCH message (no length prefix), through the one ITCH-to-book path (`ITCHBookFeed`)
    /// with this recorder as its sink.
    public func consume(_ message: UnsafeRawBufferPointer) {
        messages &+= 1
        if feed == nil { feed = ITCHBookFeed(book: book, sink: Sink(recorder: self)) }
        feed!.onMessage(message, sequence: messages)
    }

    /// The recorder as a sink of the book feed: features and pending labels move with each
    /// message, told as the live engine tells a strategy (the trade before the touch).
    struct Sink: BookFeedSink {
        unowned(unsafe) let recorder: DatasetRecorder
        static var wantsRemovedOrders: Bool { true }

        mutating func systemEvent(_ m: ITCH.SystemEvent) {
            // Samples are taken in market hours only: the pre-open build-up is not a market.
            switch m.eventCode {
            case UInt8(ascii: "Q"): recorder.sampling = true
            case UInt8(ascii: "M"): recorder.sampling = false
            default: break
            }
        }
        mutating func willAdd(locate: StockLocate, ref: OrderRef, side: Side, shares: Shares, price: Price, time: VenueTime) {
            recorder.willAdd(locate, ref, time.nanosSinceMidnight)
        }
        mutating func willExecute(_ order: BookOrder?, ref: OrderRef, shares: Shares, time: VenueTime) {
            recorder.willExecute(order, shares, time.nanosSinceMidnight)
        }
        mutating func willRemove(_ order: BookOrder?, ref: OrderRef, removed: UInt32, replacement: OrderRef?, time: VenueTime) {
            recorder.willRemove(order, ref, removed: removed, replacement: replacement, time.nanosSinceMidnight)
        }
        mutating func applied(_ update: BookUpdate, time: VenueTime) {
            guard update.bboChanged else { return }
            recorder.touchChanged(Int(update.locate.rawValue), time.nanosSinceMidnight)
        }
        mutating func hiddenTrade(_ m: ITCH.Trade) {
            recorder.hiddenTrade(m.stockLocate, shares: m.shares.rawValue, resting: m.side, m.timestamp.nanosSinceMidnight)
        }
    }

    func willAdd(_ locate: StockLocate, _ ref: OrderRef, _ now: UInt64) {
        tick(now)
        maxRef = max(maxRef, ref.rawValue)
        let l = Int(locate.rawValue)
        guard l < maxLocates else { return }
        resolveDue(l, now)
    }

    /// An execution of `o` (nil: a reference not in the book), before the book applies it.
    func willExecute(_ o: BookOrder?, _ shares: Shares, _ now: UInt64) {
        tick(now)
        guard let o else { return }
        let l = Int(o.locate.rawValue)
        guard l < maxLocates else { return }
        resolveDue(l, now)
        // The trade first, then the touch: as the engine tells a strategy.
        features[l].onTrade(shares: shares.rawValue, buyerInitiated: o.side == .sell, now: now)
        market.onTrade(now: now)
        let x = Int64(shares.rawValue)
        var i = 0
        while i < probes[l].count {
            let p = probes[l][i]
            var filled = false
            if p.side == o.side {
                if o.price.rawValue == p.price {
                    probes[l][i].ahead -= x
                    filled = p.ahead - x < 0
                } else {
                    // The side traded at a worse price than the probe's: swept through it.
                    filled = p.side == .buy ? o.price.rawValue < p.price : o.price.rawValue > p.price
                }
            }
            if filled {
                emit(.fill, l, p.row, label: 1, at: p.at)
                startMarkout(l, side: p.side, price: p.price, now: now)
                probes[l].remove(at: i)
            } else {
                i += 1
            }
        }
    }

    /// `removed` shares of `o` leave the book (cancel, delete, or replace by `replacement`),
    /// before the book applies it.
    func willRemove(_ o: BookOrder?, _ ref: OrderRef, removed: UInt32, replacement: OrderRef?, _ now: UInt64) {
        tick(now)
        if let replacement { maxRef = max(maxRef, replacement.rawValue) }
        guard let o else { return }
        let l = Int(o.locate.rawValue)
        guard l < maxLocates else { return }
        resolveDue(l, now)
        // A replacement goes to the back of its queue: the old order left the one it was in.
        leaveQueue(l, o, ref, removed: removed)
    }

    func hiddenTrade(_ locate: StockLocate, shares: UInt32, resting: Side?, _ now: UInt64) {
        tick(now)
        let l = Int(locate.rawValue)
        guard l < maxLocates, let resting else { return }
        resolveDue(l, now)
        features[l].onTrade(shares: shares, buyerInitiated: resting == .sell, now: now)
        market.onTrade(now: now)
    }

    /// An order ahead of a probe (placed before it, at its price and side) left the queue.
    @inline(__always)
    func leaveQueue(_ l: Int, _ o: BookOrder, _ ref: OrderRef, removed: UInt32) {
        for i in probes[l].indices where probes[l][i].side == o.side && probes[l][i].price == o.price.rawValue
            && ref.rawValue <= probes[l][i].refMark {
            probes[l][i].ahead = max(0, probes[l][i].ahead - Int64(removed))
        }
    }

    // MARK: - Sampling

    func touchChanged(_ l: Int, _ now: UInt64) {
        guard l < maxLocates else { return }
        let loc = StockLocate(rawValue: UInt16(l))
        // The touch as the engine hands it to a strategy, into the features by the same call.
        let top = BookTop(book: book, locate: loc)
        let bid = top.bid.rawValue, ask = top.ask.rawValue
        let bs = top.bidShares, asz = top.askShares
        features[l].onBook(top, now: now)
        market.onBook(locate: loc, bid: bid, bidShares: bs, ask: ask, askShares: asz, now: now)
        let twoSided = bs > 0 && asz > 0 && bid < ask
        let m2 = twoSided ? bid + ask : 0
        mid2[l] = m2
        guard twoSided, sampling else { return }
        // Upticks waiting for the mid to move.
        settle(&upticks[l], when: { m2 != $0.mid2 }) { emit(.uptick, l, $0.row, label: m2 > $0.mid2 ? 1 : 0, at: $0.at) }
        if due(l, .uptick, now), upticks[l].count < 4 {
            upticks[l].append(Uptick(locate: l, mid2: m2, at: now, row: snapshot(l, now, side: .buy, ahead: 0)))
        }
        if due(l, .fill, now), probes[l].count < 8 {
            probe(l, .buy, price: bid, now: now)
            probe(l, .sell, price: ask, now: now)
        }
        if due(l, .adapt, now), adapts[l].count < 32 {
            adapts[l].append(Adapt(locate: l, mid2: m2, due: now + options.horizonNanos, row: snapshot(l, now, side: .buy, ahead: 0)))
        }
    }

    /// Starts a fill probe in the touch queue of `side`: at the back, or (every other probe, by
    /// a seeded draw) behind the first k of its n orders, k uniform in 0..<n. The queue is in
    /// time order, and references are issued in time order, so the orders ahead of the probe
    /// are exactly those with a reference up to the k-th order's.
    func probe(_ l: Int, _ side: Side, price: Int64, now: UInt64) {
        var ahead: UInt64 = 0
        var refMark: UInt64 = 0
        var orders: [(ref: UInt64, shares: UInt64)] = []
        book.forEachOrder(locate: StockLocate(rawValue: UInt16(l)), side: side, price: Price(rawValue: price)) {
            orders.append(($0.rawValue, UInt64($1.rawValue)))
        }
        let k = !options.midQueueProbes || rng.next() & 1 == 0 || orders.isEmpty ? orders.count : Int(rng.next() % UInt64(orders.count))
        for o in orders.prefix(k) {
            ahead += o.shares
            refMark = o.ref
        }
        if k == orders.count { refMark = maxRef }
        probes[l].append(Probe(locate: l, side: side, price: price, ahead: Int64(ahead), refMark: refMark, at: now,
                               row: snapshot(l, now, side: side, ahead: ahead)))
    }

    /// True (and the clock of that kind restarted) when the stock's last sample of `task` is at
    /// least `spacingNanos` old.
    @inline(__always)
    func due(_ l: Int, _ task: Task, _ now: UInt64) -> Bool {
        let k = l * 4 + task.rawValue
        guard lastSample[k] == 0 || now &- lastSample[k] >= options.spacingNanos else { return false }
        lastSample[k] = max(now, 1)
        return true
    }

    func startMarkout(_ l: Int, side: Side, price: Int64, now: UInt64) {
        markouts[l].append(Markout(locate: l, side: side, price: price, due: now + options.horizonNanos,
                                   row: snapshot(l, now, side: side, ahead: 0)))
    }

    /// Labels whatever has come due in stock `l` by `now`, before the message at `now` changes
    /// the book: the mid that held at the deadline is the mid now.
    func resolveDue(_ l: Int, _ now: UInt64) {
        let h = options.horizonNanos
        let m2 = mid2[l]
        settle(&upticks[l], when: { now &- $0.at > h }) { release($0.row) }  // the mid never moved
        settle(&probes[l], when: { now &- $0.at > h }) { emit(.fill, l, $0.row, label: 0, at: $0.at) }
        settle(&markouts[l], when: { now > $0.due }) { m in
            guard m2 != 0 else { return release(m.row) }
            let toxic = m.side == .buy ? m2 < 2 * m.price : m2 > 2 * m.price
            emit(.toxicity, l, m.row, label: toxic ? 1 : 0, at: m.due - h)
        }
        settle(&adapts[l], when: { now > $0.due }) { a in
            guard m2 != 0 else { return release(a.row) }
            emit(.adapt, l, a.row, label: Double(abs(m2 - a.mid2)) / Double(2 * options.tick), at: a.due - h)
        }
    }

    /// Takes out of `list`, in order, the samples `when` says are settled, handing each to `body`.
    @inline(__always)
    func settle<T>(_ list: inout [T], when: (T) -> Bool, _ body: (T) -> Void) {
        list.removeAll { e in
            guard when(e) else { return false }
            body(e)
            return true
        }
    }

    /// Copies stock `l`'s row, as `side` sees it, into a free slot of the row store.
    func snapshot(_ l: Int, _ now: UInt64, side: Side, ahead: UInt64) -> Int {
        let n = FeatureState.count
        let slot: Int
        if let s = freeRows.popLast() {
            slot = s
        } else {
            slot = rowStore.count / n
            rowStore.append(contentsOf: repeatElement(0, count: n))
        }
        features[l].queueAhead = ahead
        rowStore.withUnsafeMutableBufferPointer { features[l].write(into: $0.baseAddress! + slot * n, now: now, side: side) }
        features[l].queueAhead = 0
        return slot
    }

    func release(_ slot: Int) { freeRows.append(slot) }

    func emit(_ task: Task, _ l: Int, _ slot: Int, label: Double, at: UInt64) {
        let n = FeatureState.count
        rows[task.rawValue] += 1
        var pred: Double?
        if let models {
            let model = switch task {
            case .uptick: models.uptick
            case .fill: models.fill
            case .toxicity: models.toxicity
            case .adapt: models.adapt
            }
            pred = rowStore.withUnsafeBufferPointer { model.predictProbability($0.baseAddress! + slot * n) }
            scored[task.rawValue].append((pred!, label))
        }
        if !writers.isEmpty {
            let w = writers[task.rawValue]
            w.field(at)
            w.field(UInt64(l))
            rowStore.withUnsafeBufferPointer { for i in 0..<n { w.field($0[slot * n + i]) } }
            if task == .adapt { w.field(label) } else { w.field(UInt64(label)) }
            if let pred { w.field(pred) }
            w.endRow()
        }
        release(slot)
    }

    // MARK: - Regime rows

    /// Writes a regime row when the interval has passed.
    @inline(__always)
    func tick(_ now: UInt64) {
        guard let truth, sampling, now >= nextRegimeRowAt else { return }
        let first = nextRegimeRowAt == 0
        nextRegimeRowAt = now + options.regimeIntervalNanos
        if first { return }  // the rates start from nothing: no row at the very first message
        var row = [Float](repeating: 0, count: MarketState.count)
        row.withUnsafeMutableBufferPointer { market.write(into: $0.baseAddress!, now: now) }
        regimeRows += 1
        var p: SIMD4<Double>?
        if let classifier {
            let probs = row.withUnsafeBufferPointer { classifier.models.probabilities($0.baseAddress!) }
            classifier.observe(probs)
            p = probs
            regimeConfusion[Int(truth.rawValue)][Int(classifier.state.rawValue)] += 1
        }
        guard let w = regimeWriter else { return }
        w.field(now)
        for v in row { w.field(v) }
        w.field(UInt64(truth.rawValue))
        if let p, let classifier {
            w.field(p[0])
            w.field(p[1])
            w.field(p[2])
            w.field(UInt64(classifier.state.rawValue))
        }
        w.endRow()
    }
}
