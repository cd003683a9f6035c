// Transaction cost analysis: what each fill earned, what it cost, and where the PnL came from.
// One code path for a backtest and a live run: both hand it the same two things, the feed our
// engine saw (ITCH messages in order, our own orders in it as the venue published them) and our
// fills (time, order, venue reference, side, shares, price, liquidity); a backtest gets them
// from its venue, a live run from its capture (the MoldUDP64 feed and the OUCH session).
//
// The feed is replayed through the one ITCH-to-book path into a book; from it:
// - the arrival mid of a fill: the mid just before the first message at the fill's time;
// - markouts at each horizon h (100 ms, 1 s, 5 s, 30 s): the mid once every message up to
//   t + h is applied, signed by our side: (mid(t+h) - price) for a buy, (price - mid(t+h)) for
//   a sell, per share, in ticks and in dollars for the fill's shares. Positive: the market moved
//   our way after the fill. A horizon past the end of the feed takes the last mid (counted);
// - effective spread: 2 x signed (arrival mid - price): what the fill earned against the mid at
//   once (positive for a passive fill at the touch); realized spread at h: 2 x the markout at h;
//   adverse selection at h: effective - realized = 2 x signed (arrival mid - mid(t+h))
//   (positive: the mid moved against us after the fill);
// - queue position: shares ahead of our order when it joined its level, and just before each
//   execution of it, from the book itself (our references are in the feed); time in queue;
// - slippage of takes: signed (price - arrival mid) per share, positive = paid over the mid;
// - PnL: spread capture (sum over fills of signed (arrival mid - price) x shares), fees and
//   rebates (a schedule per share by liquidity), and inventory (the rest of the mark-to-market
//   PnL: the position held while the mid moved); total = spread + inventory + fees, marked at
//   the last mid of each stock.
// Integers for prices (1/10,000 $); doubles only for the statistics.
public import MarketData
public import OrderBook
public import ITCHBook
public import TickwireCore
import Foundation

/// One fill of ours.
public struct TCAFill: Sendable, Equatable {
    /// Venue time of the execution (ns since midnight).
    public var time: UInt64
    public var orderID: UInt32
    /// The venue's reference of the order when it filled (0: unknown; then no queue position).
    public var ref: UInt64
    public var locate: StockLocate
    public var side: Side
    public var shares: UInt32
    public var price: Int64
    /// "A": our resting order was hit; "R": ours took liquidity.
    public var liquidity: UInt8
    public init(time: UInt64, orderID: UInt32, ref: UInt64, locate: StockLocate, side: Side, shares: UInt32, price: Int64, liquidity: UInt8) {
        self.time = time
        self.orderID = orderID
        self.ref = ref
        self.locate = locate
        self.side = side
        self.shares = shares
        self.price = price
        self.liquidity = liquidity
    }
}

/// The strategy's decision behind one order of ours (from the decision log, live or backtest):
/// why it was placed or kept ("rule", "widened", "take", "held") and the regime then ("none"
/// without a regime model). Fills are grouped by them.
public struct TCAOrderDecision: Sendable, Equatable {
    public var reason: String
    public var regime: String
    public init(reason: String, regime: String) {
        self.reason = reason
        self.regime = regime
    }
}

/// What we sent: for the fill, cancel and replace ratios.
public struct TCAOrderCounts: Sendable, Equatable, Encodable {
    public var orders: Int = 0
    public var replaces: Int = 0
    public var cancels: Int = 0
    public init(orders: Int = 0, replaces: Int = 0, cancels: Int = 0) {
        self.orders = orders
        self.replaces = replaces
        self.cancels = cancels
    }
}

/// Fees per share in 1/10,000 $ by liquidity: positive is paid, negative is a rebate.
public struct FeeSchedule: Sendable, Equatable, Encodable {
    public var addPerShare: Int64
    public var removePerShare: Int64
    /// NASDAQ-like: a 0.20 cent rebate for adding, 0.30 cent for removing.
    public init(addPerShare: Int64 = -20, removePerShare: Int64 = 30) {
        self.addPerShare = addPerShare
        self.removePerShare = removePerShare
    }

    /// "add=-0.0020,remove=0.0030" (dollars per share).
    public init?(_ text: String) {
        var add: Int64?, remove: Int64?
        for part in text.split(separator: ",") {
            let kv = part.split(separator: "=")
            guard kv.count == 2, let v = Double(kv[1]), abs(v) < 1 else { return nil }
            let x = Int64((v * 10_000).rounded())
            switch kv[0] {
            case "add": add = x
            case "remove": remove = x
            default: return nil
            }
        }
        guard let add, let remove else { return nil }
        self.init(addPerShare: add, removePerShare: remove)
    }
}

public struct TCAConfiguration: Sendable {
    /// Markout horizons (ns).
    public var horizons: [UInt64] = [100_000_000, 1_000_000_000, 5_000_000_000, 30_000_000_000]
    public var fees = FeeSchedule()
    /// One tick in price units (1/10,000 $): a cent.
    public var tick: Int64 = 100
    public var maxOrders = 1 << 22
    /// The feed's live orders at their peak, when known (the book's table is sized for it:
    /// `OrderBookConfiguration.peakOrders`).
    public var peakOrders: Int?
    public var maxLocates = 65_536
    public init() {}
}

/// One fill as the analysis saw it (a row of the per-fill CSV).
public struct TCAFillRow: Sendable {
    public var fill: TCAFill
    /// Arrival mid in price units (NaN: the stock never had two sides before the fill).
    public var arrivalMid: Double
    /// Mid at each horizon, same order as the configuration's.
    public var mids: [Double]
    public var aheadAtEntry: UInt64?
    public var aheadAtFill: UInt64?
    public var joinedAt: UInt64?
    public var fee: Int64
}

/// Mean, a 95% confidence half-width, and how many.
public struct TCAStatistic: Sendable, Encodable, Equatable {
    public var mean: Double
    public var ci95: Double
    public var n: Int
    init(_ values: [Double]) {
        n = values.count
        guard n > 0 else { mean = 0; ci95 = 0; return }
        let m = values.reduce(0, +) / Double(n)
        mean = m
        guard n > 1 else { ci95 = 0; return }
        let v = Self.sampleVariance(values, mean: m)
        ci95 = 1.96 * (v / Double(n)).squareRoot()
    }

    /// The sample variance of `values` around their `mean` (divided by n - 1; 0 for fewer than
    /// two values).
    public static func sampleVariance(_ values: [Double], mean m: Double) -> Double {
        guard values.count > 1 else { return 0 }
        return values.reduce(0) { $0 + ($1 - m) * ($1 - m) } / Double(values.count - 1)
    }
}

public struct TCAMarkout: Sendable, Encodable, Equatable {
    public var horizonMs: Double
    /// Per share, signed for us, in ticks (the confidence band is over fills).
    public var ticks: TCAStatistic
    /// Dollars for the fills' shares, summed.
    public var usd: Double
    /// Fills whose horizon ran past the end of the feed (marked at the last mid).
    public var pastEnd: Int
}

public struct TCAGroup: Sendable, Encodable, Equatable {
    public var fills: Int = 0
    public var shares: UInt64 = 0
    /// Net shares held at the end (by symbol; 0 in the other groups).
    public var position: Int64 = 0
    public var spreadUsd: Double = 0
    public var inventoryUsd: Double = 0
    public var feesUsd: Double = 0
    public var pnlUsd: Double = 0
    /// Markout per share in ticks at each horizon.
    public var markoutTicks: [Double] = []
}

/// The report: the same shape for a backtest and a live run.
public struct TCAReport: Sendable, Encodable {
    public var fills: Int
    public var filledShares: UInt64
    public var counts: TCAOrderCounts
    /// Orders with at least one fill over orders placed (new orders, replaces counted as new
    /// placements); cancels and replaces over new orders.
    public var fillRatio: Double
    public var cancelRatio: Double
    public var replaceRatio: Double
    public var passiveFills: Int
    public var aggressiveFills: Int
    public var markouts: [TCAMarkout]
    /// Per share, ticks: 2 x signed (arrival mid - price).
    public var effectiveSpreadTicks: TCAStatistic
    /// At the horizons, per share, ticks: 2 x the markout; and effective - realized.
    public var realizedSpreadTicks: [TCAStatistic]
    public var adverseSelectionTicks: [TCAStatistic]
    /// Takes: signed (price - arrival mid) per share, ticks (paid over the mid).
    public var takeSlippageTicks: TCAStatistic
    public var aheadAtEntryShares: TCAStatistic
    public var aheadAtFillShares: TCAStatistic
    public var timeInQueueMs: TCAStatistic
    public var pnl: TCAGroup
    public var bySymbol: [String: TCAGroup]
    public var byLiquidity: [String: TCAGroup]
    /// By the decision behind the filled order (its log line: "rule", "widened", "take", or
    /// "held" when a model kept it in place before it filled; "unknown": not in the log), and
    /// by the strategy's regime when it was placed. Empty without a decision log. Spread, fees
    /// and markouts per group; inventory and PnL are the whole book's, not split by group.
    public var byDecision: [String: TCAGroup]
    public var byRegime: [String: TCAGroup]
    public var fees: FeeSchedule
    public var horizonsMs: [Double]
    public var feedMessages: UInt64
}

/// A point of the PnL decomposition over the day (after each fill, and at the end).
public struct TCAPnLPoint: Sendable {
    public var time: UInt64
    public var spread: Double
    public var inventory: Double
    public var fees: Double
    public var total: Double
}

public final class TCA {
    public let configuration: TCAConfiguration
    let book: OrderBook
    var feed: ITCHBookFeed<TCASink>
    /// Fills by time.
    public private(set) var fills: [TCAFill]
    var rows: [TCAFillRow]
    /// Pending mid samples: (due time, fill index, slot: -1 arrival, else horizon index), by time.
    var targets: [(UInt64, Int, Int)] = []
    var nextTarget = 0
    var lastMid: [Double]
    var pastEnd: [Int]
    public private(set) var messages: UInt64 = 0
    var lastTime: UInt64 = 0
    let counts: TCAOrderCounts
    /// Our references in the feed: ref -> (joined at, shares ahead then).
    var ourRefs: [UInt64: (UInt64, UInt64)?] = [:]
    /// Shares ahead of our order just before each of its executions: (ref) -> queue of values.
    var aheadAtExecution: [UInt64: [UInt64]] = [:]
    var names: [StockLocate: String] = [:]
    /// Order ID -> the decision behind it (empty: no decision log).
    let decisions: [UInt32: TCAOrderDecision]

    public init(fills: [TCAFill], counts: TCAOrderCounts, decisions: [UInt32: TCAOrderDecision] = [:],
                configuration: TCAConfiguration = TCAConfiguration()) throws {
        self.configuration = configuration
        self.counts = counts
        self.decisions = decisions
        book = try OrderBook(configuration: OrderBookConfiguration(maxOrders: configuration.maxOrders, maxLocates: configuration.maxLocates,
                                                                   peakOrders: configuration.peakOrders))
        feed = ITCHBookFeed(book: book, directory: SymbolDirectory(), sink: TCASink(tca: nil))
        let sorted = fills.enumerated().sorted { ($0.element.time, $0.offset) < ($1.element.time, $1.offset) }.map(\.element)
        self.fills = sorted
        lastMid = Array(repeating: .nan, count: configuration.maxLocates)
        pastEnd = Array(repeating: 0, count: configuration.horizons.count)
        rows = sorted.map { f in
            TCAFillRow(fill: f, arrivalMid: .nan, mids: Array(repeating: .nan, count: configuration.horizons.count), aheadAtEntry: nil, aheadAtFill: nil,
                       joinedAt: nil, fee: Int64(f.shares) * (f.liquidity == UInt8(ascii: "R") ? configuration.fees.removePerShare : configuration.fees.addPerShare))
        }
        for (i, f) in sorted.enumerated() {
            targets.append((f.time, i, -1))
            for (h, d) in configuration.horizons.enumerated() { targets.append((f.time &+ d &+ 1, i, h)) }
            if f.ref != 0 { ourRefs[f.ref] = .some(nil) }
        }
        targets.sort { ($0.0, $0.1, $0.2) < ($1.0, $1.1, $1.2) }
        feed.sink = TCASink(tca: .passUnretained(self))
    }

    /// Adds references of ours the fills do not name (an order replaced before it filled), so
    /// that their queue positions are followed too.
    public func follow(refs: [UInt64]) {
        for r in refs where ourRefs[r] == nil { ourRefs[r] = .some(nil) }
    }

    /// One message of the feed, in order.
    public func onMessage(_ m: UnsafeRawBufferPointer, sequence: UInt64) {
        guard m.count >= 11 else { return }
        var t: UInt64 = 0
        for i in 5..<11 { t = t << 8 | UInt64(m[i]) }
        t = max(t, lastTime)
        lastTime = t
        resolve(before: t)
        messages &+= 1
        feed.onMessage(m, sequence: sequence)
    }

    /// Samples every target due before `t` with the book as it stands.
    func resolve(before t: UInt64) {
        while nextTarget < targets.count, targets[nextTarget].0 <= t {
            let (_, i, h) = targets[nextTarget]
            nextTarget += 1
            let mid = midNow(rows[i].fill.locate)
            if h < 0 { rows[i].arrivalMid = mid } else { rows[i].mids[h] = mid }
        }
    }

    func midNow(_ l: StockLocate) -> Double {
        let i = Int(l.rawValue)
        if let b = book.bestBid(l), let a = book.bestAsk(l), b.price.rawValue < a.price.rawValue {
            let m = Double(b.price.rawValue + a.price.rawValue) / 2
            if i < lastMid.count { lastMid[i] = m }
            return m
        }
        return i < lastMid.count ? lastMid[i] : .nan
    }

    // Called by the sink.
    func added(_ ref: OrderRef, time: VenueTime) {
        guard let e = ourRefs[ref.rawValue], e == nil else { return }
        let q = book.queuePosition(ref)?.sharesAhead ?? 0
        ourRefs[ref.rawValue] = .some((time.nanosSinceMidnight, q))
    }

    func executing(_ ref: OrderRef) {
        guard ourRefs[ref.rawValue] != nil else { return }
        aheadAtExecution[ref.rawValue, default: []].append(book.queuePosition(ref)?.sharesAhead ?? 0)
    }

    /// The report, the per-fill rows and the PnL over the day. Call once, after the feed.
    public func finish(symbol: (StockLocate) -> String) -> (report: TCAReport, rows: [TCAFillRow], pnl: [TCAPnLPoint]) {
        // Targets past the end of the feed: the last mid.
        while nextTarget < targets.count {
            let (_, i, h) = targets[nextTarget]
            nextTarget += 1
            let mid = midNow(rows[i].fill.locate)
            if h < 0 { rows[i].arrivalMid = mid } else {
                rows[i].mids[h] = mid
                pastEnd[h] += 1
            }
        }
        // Queue positions from the feed: at entry, and before each execution (in order).
        var used: [UInt64: Int] = [:]
        for i in rows.indices {
            let f = rows[i].fill
            guard f.ref != 0, f.liquidity == UInt8(ascii: "A") else { continue }
            if let e = ourRefs[f.ref], let (joined, ahead) = e {
                rows[i].joinedAt = joined
                rows[i].aheadAtEntry = ahead
            }
            let k = used[f.ref, default: 0]
            if let list = aheadAtExecution[f.ref], k < list.count { rows[i].aheadAtFill = list[k] }
            used[f.ref] = k + 1
        }
        let tick = Double(configuration.tick)
        func sign(_ s: Side) -> Double { s == .buy ? 1 : -1 }
        var markouts: [[Double]] = Array(repeating: [], count: configuration.horizons.count)
        var markoutUsd = Array(repeating: 0.0, count: configuration.horizons.count)
        var effective: [Double] = [], slippage: [Double] = []
        var realized: [[Double]] = Array(repeating: [], count: configuration.horizons.count)
        var adverse: [[Double]] = Array(repeating: [], count: configuration.horizons.count)
        var aheadEntry: [Double] = [], aheadFill: [Double] = [], inQueue: [Double] = []
        // PnL decomposition over the day: per stock, position and cash; spread and fees summed.
        var position: [StockLocate: Int64] = [:]
        var cash: [StockLocate: Double] = [:]
        var spreadBy: [StockLocate: Double] = [:], feesBy: [StockLocate: Double] = [:]
        var mark: [StockLocate: Double] = [:]
        var groups: [String: TCAGroup] = [:], liq: [String: TCAGroup] = [:]
        var byDecision: [String: TCAGroup] = [:], byRegime: [String: TCAGroup] = [:]
        var series: [TCAPnLPoint] = []
        var spreadTotal = 0.0, feesTotal = 0.0
        func mtm() -> Double {
            var v = 0.0
            for (l, p) in position { v += (cash[l] ?? 0) + Double(p) * (mark[l] ?? 0) }
            for (l, c) in cash where position[l] == nil { v += c }
            return v / 10_000
        }
        for r in rows {
            let f = r.fill
            let s = sign(f.side)
            let px = Double(f.price)
            let sh = Double(f.shares)
            let arrival = r.arrivalMid.isNaN ? px : r.arrivalMid
            mark[f.locate] = arrival
            let eff = 2 * s * (arrival - px) / tick
            effective.append(eff)
            if f.liquidity == UInt8(ascii: "R") { slippage.append(s * (px - arrival) / tick) }
            var mk: [Double] = []
            for h in configuration.horizons.indices {
                let m = r.mids[h].isNaN ? arrival : r.mids[h]
                let v = s * (m - px) / tick
                markouts[h].append(v)
                markoutUsd[h] += s * (m - px) * sh / 10_000
                realized[h].append(2 * v)
                adverse[h].append(eff - 2 * v)
                mk.append(v)
            }
            if let a = r.aheadAtEntry { aheadEntry.append(Double(a)) }
            if let a = r.aheadAtFill { aheadFill.append(Double(a)) }
            if let j = r.joinedAt, f.time >= j { inQueue.append(Double(f.time - j) / 1e6) }
            let spread = s * (arrival - px) * sh / 10_000
            let fee = Double(r.fee) / 10_000
            spreadTotal += spread
            feesTotal -= fee
            spreadBy[f.locate, default: 0] += spread
            feesBy[f.locate, default: 0] -= fee
            position[f.locate, default: 0] += f.side == .buy ? Int64(f.shares) : -Int64(f.shares)
            cash[f.locate, default: 0] -= s * px * sh
            let name = symbol(f.locate)
            for key in [name] {
                var g = groups[key] ?? TCAGroup(markoutTicks: Array(repeating: 0, count: configuration.horizons.count))
                g.fills += 1
                g.shares += UInt64(f.shares)
                for h in mk.indices { g.markoutTicks[h] += mk[h] * sh }
                groups[key] = g
            }
            func add(_ key: String, to table: inout [String: TCAGroup]) {
                var g = table[key] ?? TCAGroup(markoutTicks: Array(repeating: 0, count: configuration.horizons.count))
                g.fills += 1
                g.shares += UInt64(f.shares)
                g.spreadUsd += spread
                g.feesUsd -= fee
                for h in mk.indices { g.markoutTicks[h] += mk[h] * sh }
                table[key] = g
            }
            add(f.liquidity == UInt8(ascii: "R") ? "took" : "added", to: &liq)
            if !decisions.isEmpty {
                let d = decisions[f.orderID]
                add(d?.reason ?? "unknown", to: &byDecision)
                add(d?.regime ?? "unknown", to: &byRegime)
            }
            let total = mtm()
            series.append(TCAPnLPoint(time: f.time, spread: spreadTotal, inventory: total - spreadTotal, fees: feesTotal, total: total + feesTotal))
        }
        // Marked at each stock's last mid.
        for l in Array(position.keys) {
            let m = midNow(l)
            if !m.isNaN { mark[l] = m }
        }
        let total = mtm()
        if !rows.isEmpty { series.append(TCAPnLPoint(time: max(lastTime, rows.last!.fill.time), spread: spreadTotal, inventory: total - spreadTotal, fees: feesTotal, total: total + feesTotal)) }
        // Per symbol: spread, fees, inventory = its MTM less its spread.
        for l in Set(position.keys) {
            let name = symbol(l)
            guard var g = groups[name] else { continue }
            let mtmL = ((cash[l] ?? 0) + Double(position[l] ?? 0) * (mark[l] ?? 0)) / 10_000
            g.spreadUsd = spreadBy[l] ?? 0
            g.feesUsd = feesBy[l] ?? 0
            g.inventoryUsd = mtmL - g.spreadUsd
            g.pnlUsd = mtmL + g.feesUsd
            g.position = position[l] ?? 0
            if g.shares > 0 { g.markoutTicks = g.markoutTicks.map { $0 / Double(g.shares) } }
            groups[name] = g
        }
        func perShare(_ table: inout [String: TCAGroup]) {
            for k in Array(table.keys) {
                if var g = table[k], g.shares > 0 {
                    g.markoutTicks = g.markoutTicks.map { $0 / Double(g.shares) }
                    table[k] = g
                }
            }
        }
        perShare(&liq)
        perShare(&byDecision)
        perShare(&byRegime)
        var pnl = TCAGroup()
        pnl.fills = rows.count
        pnl.shares = rows.reduce(0) { $0 + UInt64($1.fill.shares) }
        pnl.spreadUsd = spreadTotal
        pnl.feesUsd = feesTotal
        pnl.inventoryUsd = total - spreadTotal
        pnl.pnlUsd = total + feesTotal
        pnl.markoutTicks = markouts.map { TCAStatistic($0).mean }
        let filledOrders = Set(rows.map(\.fill.orderID)).count
        let placed = max(counts.orders + counts.replaces, 1)
        let report = TCAReport(
            fills: rows.count, filledShares: pnl.shares, counts: counts,
            fillRatio: Double(filledOrders) / Double(placed),
            cancelRatio: Double(counts.cancels) / Double(max(counts.orders, 1)),
            replaceRatio: Double(counts.replaces) / Double(max(counts.orders, 1)),
            passiveFills: rows.filter { $0.fill.liquidity != UInt8(ascii: "R") }.count,
            aggressiveFills: rows.filter { $0.fill.liquidity == UInt8(ascii: "R") }.count,
            markouts: configuration.horizons.indices.map { h in
                TCAMarkout(horizonMs: Double(configuration.horizons[h]) / 1e6, ticks: TCAStatistic(markouts[h]), usd: markoutUsd[h], pastEnd: pastEnd[h])
            },
            effectiveSpreadTicks: TCAStatistic(effective),
            realizedSpreadTicks: realized.map { TCAStatistic($0) },
            adverseSelectionTicks: adverse.map { TCAStatistic($0) },
            takeSlippageTicks: TCAStatistic(slippage),
            aheadAtEntryShares: TCAStatistic(aheadEntry), aheadAtFillShares: TCAStatistic(aheadFill),
            timeInQueueMs: TCAStatistic(inQueue),
            pnl: pnl, bySymbol: groups, byLiquidity: liq, byDecision: byDecision, byRegime: byRegime, fees: configuration.fees,
            horizonsMs: configuration.horizons.map { Double($0) / 1e6 }, feedMessages: messages)
        return (report, rows, series)
    }
}

/// The analysis as a sink of the one ITCH-to-book path: it follows our references.
struct TCASink: BookFeedSink {
    let tca: Unmanaged<TCA>?
    var added: OrderRef?
    var addedAt = VenueTime(nanosSinceMidnight: 0)

    mutating func willAdd(locate: StockLocate, ref: OrderRef, side: Side, shares: Shares, price: Price, time: VenueTime) {
        added = ref
        addedAt = time
    }

    mutating func willRemove(_ order: BookOrder?, ref: OrderRef, removed: UInt32, replacement: OrderRef?, time: VenueTime) {
        if let r = replacement {
            added = r
            addedAt = time
        }
    }

    mutating func willExecute(_ order: BookOrder?, ref: OrderRef, shares: Shares, time: VenueTime) {
        tca?._withUnsafeGuaranteedRef { $0.executing(ref) }
    }

    mutating func applied(_ update: BookUpdate, time: VenueTime) {
        guard let r = added else { return }
        added = nil
        tca?._withUnsafeGuaranteedRef { $0.added(r, time: addedAt) }
    }
}
