// The cold side of latency accounting: a thread drains the engine's stage records, turns TSC
// differences into nanoseconds and records them in one HdrHistogram per stage and one end to
// end; it also keeps every order's decision record (its trigger's sequence number and feed
// time) for the decision log, which `tickwire latency` uses to pair orders with triggers.
import CShims
import Inference
import Strategy
import Foundation
public import Histogram
public import TickwireCore

/// p50/p90/p99/p99.9/max of one distribution, in nanoseconds.
public struct LatencySummary: Sendable, Equatable, Codable {
    public var count: UInt64
    public var p50: UInt64
    public var p90: UInt64
    public var p99: UInt64
    public var p999: UInt64
    public var max: UInt64

    public init(count: UInt64 = 0, p50: UInt64 = 0, p90: UInt64 = 0, p99: UInt64 = 0, p999: UInt64 = 0, max: UInt64 = 0) {
        (self.count, self.p50, self.p90, self.p99, self.p999, self.max) = (count, p50, p90, p99, p999, max)
    }

    public init(_ h: Histogram<UInt64>) {
        guard h.totalCount > 0 else {
            self.init()
            return
        }
        self.init(count: h.totalCount, p50: h.valueAtPercentile(50), p90: h.valueAtPercentile(90),
                  p99: h.valueAtPercentile(99), p999: h.valueAtPercentile(99.9), max: h.max)
    }

    /// Summary of raw values (the capture's wire-to-wire pairs).
    public init(values: [UInt64]) {
        var h = Histogram<UInt64>(highestTrackableValue: 60_000_000_000, numberOfSignificantValueDigits: .three)
        for v in values { _ = h.record(v) }
        self.init(h)
    }
}

/// The stages of tick-to-trade, in order; each is the time from the previous stamp.
public enum LatencyStage: String, CaseIterable, Sendable, Codable {
    case decode, book, model, strategy, risk, encode, send

    /// Position in `allCases`.
    public var index: Int {
        switch self {
        case .decode: 0
        case .book: 1
        case .model: 2
        case .strategy: 3
        case .risk: 4
        case .encode: 5
        case .send: 6
        }
    }
}

/// One order on the wire and the tick that triggered it (the decision log's row).
public struct DecisionRecord: Sendable, Equatable {
    public var orderID: UInt32
    public var action: UInt8
    public var locate: UInt16
    public var side: UInt8
    public var shares: UInt32
    public var price: Int64
    public var triggerSequence: UInt64
    public var feedTime: UInt64
    public var tickToTradeNanos: UInt64
    /// CLOCK_REALTIME (ns since the epoch, the clock a tcpdump tap stamps with) of the rx
    /// stamp, of the moment before the send call and of its return, through the telemetry
    /// thread's clock model; 0 when the model was not ready. With a tap's capture they split
    /// wire to wire into what the software saw and what it did not.
    public var rxWallNanos: Int64 = 0
    public var encodedWallNanos: Int64 = 0
    public var sentWallNanos: Int64 = 0
    /// Why the strategy placed (or kept) the order: `DecisionReason`'s raw value.
    public var reason: UInt8 = 0
    /// The strategy's regime: 0 none, else 1 + `MarketRegime`'s raw value.
    public var regime: UInt8 = 0

    /// Action names by code: a `hold` line is an order kept in place (no wire message).
    public static let actionNames = ["new", "replace", "cancel", "hold"]

    /// True for an order message on the wire (new, replace, cancel); false for a `hold`.
    public var isWireMessage: Bool { action <= 2 }

    /// The reason's name ("rule", "widened", "take", "held").
    public var reasonName: String { (DecisionReason(rawValue: reason) ?? .rule).description }

    /// The regime's name, "none" without a regime model.
    public var regimeName: String { Self.regimeName(regime) }

    public static func regimeName(_ code: UInt8) -> String {
        code == 0 ? "none" : (MarketRegime(rawValue: code &- 1)?.description ?? "none")
    }

    /// The log's header line.
    public static let csvHeader = "order_id,action,locate,side,shares,price,trigger_sequence,feed_time_ns,tick_to_trade_ns,rx_wall_ns,encoded_wall_ns,sent_wall_ns,reason,regime"

    public var csvLine: String {
        let a = Self.actionNames[Int(min(action, 3))]
        let s = side == 0 ? "" : String(UnicodeScalar(side))
        return "\(orderID),\(a),\(locate),\(s),\(shares),\(price),\(triggerSequence),\(feedTime),\(tickToTradeNanos),\(rxWallNanos),\(encodedWallNanos),\(sentWallNanos),\(reasonName),\(regimeName)"
    }

    /// Parses a line written by `csvLine` (nil: not one). Logs of earlier versions, without the
    /// wall-clock columns or the reason and regime, parse with those at 0.
    public init?(csv line: Substring) {
        let f = line.split(separator: ",", omittingEmptySubsequences: false)
        guard f.count == 9 || f.count == 12 || f.count == 14, let id = UInt32(f[0]), let l = UInt16(f[2]), let sh = UInt32(f[4]), let p = Int64(f[5]),
              let seq = UInt64(f[6]), let ft = UInt64(f[7]), let t = UInt64(f[8]),
              let act = Self.actionNames.firstIndex(where: { $0 == f[1] }) else { return nil }
        self.init(orderID: id, action: UInt8(act), locate: l, side: f[3].utf8.first ?? 0, shares: sh, price: p,
                  triggerSequence: seq, feedTime: ft, tickToTradeNanos: t)
        if f.count >= 12 {
            guard let r = Int64(f[9]), let e = Int64(f[10]), let x = Int64(f[11]) else { return nil }
            (rxWallNanos, encodedWallNanos, sentWallNanos) = (r, e, x)
        }
        if f.count == 14 {
            guard let why = DecisionReason.allCases.first(where: { $0.description == f[12] }) else { return nil }
            reason = why.rawValue
            if f[13] != "none" {
                guard let g = MarketRegime.allCases.first(where: { $0.description == f[13] }) else { return nil }
                regime = g.rawValue + 1
            }
        }
    }

    public init(orderID: UInt32, action: UInt8, locate: UInt16, side: UInt8, shares: UInt32, price: Int64,
                triggerSequence: UInt64, feedTime: UInt64, tickToTradeNanos: UInt64) {
        (self.orderID, self.action, self.locate, self.side, self.shares, self.price) = (orderID, action, locate, side, shares, price)
        (self.triggerSequence, self.feedTime, self.tickToTradeNanos) = (triggerSequence, feedTime, tickToTradeNanos)
    }
}

/// Histograms per stage and end to end, fed from stage records. Not thread-safe: the telemetry
/// thread owns it while the run lasts, the reporter after.
public struct LatencyRecorder: Sendable {
    public let clock: TSCClock
    /// One histogram per stage, in `LatencyStage.allCases` order (an array, mutated in place: a
    /// dictionary of histograms copied one on every record, a malloc and a free per stage).
    var stageHistograms: [Histogram<UInt64>]
    public func stage(_ s: LatencyStage) -> Histogram<UInt64> { stageHistograms[s.index] }
    public private(set) var tickToTrade: Histogram<UInt64>
    /// NIC arrival to rx-burst return (ring and burst wait), for triggers with a NIC stamp;
    /// empty without them. With it, tick-to-trade starts at the NIC arrival.
    public private(set) var nicToRx: Histogram<UInt64>
    /// The risk stage of the recorded orders split by action (new, replace, cancel): a cancel
    /// passes no risk check and a replace checks against the order it replaces, so the stage's
    /// percentiles move with the strategy's mix of actions.
    var riskByActionHistograms: [Histogram<UInt64>]
    /// The decode stage split where the trigger's frame was stamped: `decodeWait`, rx to the
    /// frame's start (the earlier frames of its burst), and `decodeFrame`, the frame's start to
    /// the trigger decoded (its parse and checksum, the session, the datagram's earlier
    /// messages with whatever they triggered, and its own decode).
    public private(set) var decodeWait: Histogram<UInt64>
    public private(set) var decodeFrame: Histogram<UInt64>
    /// `decodeFrame` of the triggers that were their frame's first message; of those after
    /// earlier messages of it that sent nothing; and of those after an earlier message's send.
    public private(set) var decodeFrameFirst: Histogram<UInt64>
    public private(set) var decodeFrameLater: Histogram<UInt64>
    public private(set) var decodeFrameAfterSend: Histogram<UInt64>
    /// `decodeFrameLater` divided by the earlier messages each of those triggers followed: what
    /// one earlier message of a datagram costs the trigger (a datagram of more messages holds a
    /// trigger more often, so later triggers follow more than one where datagrams vary).
    public private(set) var decodeFrameLaterPerMessage: Histogram<UInt64>
    /// Book to strategy return, models included: the strategy's whole decision. The model and
    /// strategy stages split it where a model ran, so their percentiles move with the share of
    /// decisions that ran one; this one does not.
    public private(set) var modelAndStrategy: Histogram<UInt64>
    public private(set) var decisions: [DecisionRecord] = []
    /// Records of orders a venue event (not a tick) triggered: logged, not in the histograms.
    public private(set) var venueTriggered: UInt64 = 0
    /// Second and later orders of one tick: logged, not in the histograms (their stages
    /// include the risk checks and encodes of the orders before them; all leave in one send).
    public private(set) var laterOrders: UInt64 = 0
    /// `hold` records (orders kept in place): logged, not in the histograms.
    public private(set) var holds: UInt64 = 0
    /// Stamps out of order (a later stage before an earlier one): counted, not recorded.
    public private(set) var inconsistent: UInt64 = 0
    /// Every recorded order's stage durations (ns, in `stageRowColumns` order: nic_to_rx, 0
    /// when the trigger carried no NIC stamp, then `LatencyStage.allCases`; one row after the
    /// other; the first `maxStageRows` orders): the stacked chart's data, where each order's
    /// columns add up to its tick-to-trade.
    public private(set) var stageRows: [UInt32] = []
    public static let maxStageRows = 1 << 20
    public static let stageRowColumns = ["nic_to_rx"] + LatencyStage.allCases.map(\.rawValue)

    /// TSC -> CLOCK_REALTIME, fed by `sampleWallClock` on the telemetry thread.
    public private(set) var wallClock = ClockModel(capacity: 64, stepThresholdNanos: 20_000)
    var lastWallSample: UInt64 = 0

    public init(clock: TSCClock) {
        self.clock = clock
        tickToTrade = Self.histogram()
        nicToRx = Self.histogram()
        stageHistograms = LatencyStage.allCases.map { _ in Self.histogram() }
        riskByActionHistograms = (0..<3).map { _ in Self.histogram() }
        decodeWait = Self.histogram()
        decodeFrame = Self.histogram()
        decodeFrameFirst = Self.histogram()
        decodeFrameLater = Self.histogram()
        decodeFrameAfterSend = Self.histogram()
        decodeFrameLaterPerMessage = Self.histogram()
        modelAndStrategy = Self.histogram()
    }

    static func histogram() -> Histogram<UInt64> {
        Histogram<UInt64>(highestTrackableValue: 60_000_000_000, numberOfSignificantValueDigits: .three)
    }

    public mutating func record(_ s: StageStamps) {
        let clock = self.clock
        let ns = { (a: UInt64, b: UInt64) -> UInt64 in b >= a ? clock.nanoseconds(cycles: b - a) : 0 }
        // From the NIC arrival when the trigger carried a stamp (not after the rx return: the
        // arrival clock's envelope never puts it there), else from the burst's return.
        let fromNIC = s.nic != 0 && s.nic <= s.rx
        let start = fromNIC ? s.nic : s.rx
        let total = s.sent >= start ? clock.nanoseconds(cycles: s.sent - start) : 0
        var d = DecisionRecord(orderID: s.orderID, action: s.action, locate: s.locate, side: s.side, shares: s.shares,
                               price: s.price, triggerSequence: s.triggerSequence, feedTime: s.feedTime,
                               tickToTradeNanos: s.triggerSequence == 0 || s.action > 2 ? 0 : total)
        d.reason = s.reason
        d.regime = s.regime
        if wallClock.isReady {
            d.rxWallNanos = wallClock.convert(s.rx) ?? 0
            d.encodedWallNanos = wallClock.convert(s.encoded) ?? 0
            d.sentWallNanos = wallClock.convert(s.sent) ?? 0
        }
        decisions.append(d)
        guard s.action <= 2 else {
            holds &+= 1
            return
        }
        guard s.triggerSequence != 0 else {
            venueTriggered &+= 1
            return
        }
        guard s.position == 0 else {
            laterOrders &+= 1
            return
        }
        guard s.rx <= s.decoded, s.decoded <= s.book, s.book <= s.model, s.model <= s.strategy, s.strategy <= s.risk, s.risk <= s.encoded, s.encoded <= s.sent else {
            inconsistent &+= 1
            return
        }
        _ = stageHistograms[0].record(ns(s.rx, s.decoded))
        _ = stageHistograms[1].record(ns(s.decoded, s.book))
        _ = stageHistograms[2].record(ns(s.book, s.model))
        _ = stageHistograms[3].record(ns(s.model, s.strategy))
        _ = stageHistograms[4].record(ns(s.strategy, s.risk))
        _ = riskByActionHistograms[Int(s.action)].record(ns(s.strategy, s.risk))
        _ = stageHistograms[5].record(ns(s.risk, s.encoded))
        _ = stageHistograms[6].record(ns(s.encoded, s.sent))
        _ = tickToTrade.record(total)
        if fromNIC { _ = nicToRx.record(ns(start, s.rx)) }
        if s.frame != 0, s.rx <= s.frame, s.frame <= s.decoded {
            let own = ns(s.frame, s.decoded)
            _ = decodeWait.record(ns(s.rx, s.frame))
            _ = decodeFrame.record(own)
            if s.frameSends > 0 {
                _ = decodeFrameAfterSend.record(own)
            } else if s.frameIndex == 0 {
                _ = decodeFrameFirst.record(own)
            } else {
                _ = decodeFrameLater.record(own)
                _ = decodeFrameLaterPerMessage.record(own / UInt64(s.frameIndex))
            }
        }
        _ = modelAndStrategy.record(ns(s.book, s.strategy))
        if stageRows.count < Self.maxStageRows * Self.stageRowColumns.count {
            for (a, b) in [(start, s.rx), (s.rx, s.decoded), (s.decoded, s.book), (s.book, s.model), (s.model, s.strategy), (s.strategy, s.risk),
                           (s.risk, s.encoded), (s.encoded, s.sent)] {
                stageRows.append(UInt32(clamping: ns(a, b)))
            }
        }
    }

    /// Adds a (TSC, CLOCK_REALTIME) pair to the wall clock model when `minimumSpacingNanos`
    /// have passed since the last one (cold: the telemetry thread, between drains).
    public mutating func sampleWallClock(minimumSpacingNanos: UInt64 = 10_000_000) {
        let now = TSCClock.now()
        guard lastWallSample == 0 || clock.nanoseconds(cycles: now &- lastWallSample) >= minimumSpacingNanos else { return }
        let p = ClockPair.realtime()
        wallClock.add(x: p.tsc, y: p.nanos)
        lastWallSample = now
    }

    /// The risk stage by action ("new", "replace", "cancel"; an action with no record is left out).
    public var riskByAction: [String: LatencySummary] {
        var out: [String: LatencySummary] = [:]
        for (i, h) in riskByActionHistograms.enumerated() where h.totalCount > 0 { out[DecisionRecord.actionNames[i]] = LatencySummary(h) }
        return out
    }

    public var stageSummaries: [String: LatencySummary] {
        var out: [String: LatencySummary] = [:]
        for k in LatencyStage.allCases { out[k.rawValue] = LatencySummary(stage(k)) }
        if nicToRx.totalCount > 0 { out["nic_to_rx"] = LatencySummary(nicToRx) }
        return out
    }

    /// `decode_wait` and `decode_frame` (the decode stage split at the trigger's frame; absent
    /// when no record had its frame stamped), `decode_frame_first`, `decode_frame_later` and
    /// `decode_frame_after_send` (`decode_frame` of triggers first in their frame, after earlier
    /// messages of it that sent nothing, and after an earlier message's send; each absent without
    /// a record), `decode_frame_later_per_message` (the later ones per earlier message) and
    /// `model_and_strategy` (book to the strategy's return).
    public var stageDetail: [String: LatencySummary] {
        var out: [String: LatencySummary] = ["model_and_strategy": LatencySummary(modelAndStrategy)]
        if decodeWait.totalCount > 0 {
            out["decode_wait"] = LatencySummary(decodeWait)
            out["decode_frame"] = LatencySummary(decodeFrame)
        }
        if decodeFrameFirst.totalCount > 0 { out["decode_frame_first"] = LatencySummary(decodeFrameFirst) }
        if decodeFrameLater.totalCount > 0 {
            out["decode_frame_later"] = LatencySummary(decodeFrameLater)
            out["decode_frame_later_per_message"] = LatencySummary(decodeFrameLaterPerMessage)
        }
        if decodeFrameAfterSend.totalCount > 0 { out["decode_frame_after_send"] = LatencySummary(decodeFrameAfterSend) }
        return out
    }

    /// The decision log (CSV, one order per line).
    public func decisionLog() -> String {
        var s = DecisionRecord.csvHeader + "\n"
        for d in decisions { s += d.csvLine + "\n" }
        return s
    }

    /// Percentile curves per stage (value at each percentile), for plotting.
    public func percentileTable() -> String {
        let ps: [Double] = [1, 5, 10, 25, 50, 75, 90, 95, 99, 99.5, 99.9, 99.95, 99.99, 100]
        var out = "percentile " + LatencyStage.allCases.map(\.rawValue).joined(separator: " ") + " tick_to_trade\n"
        for p in ps {
            var row = String(p)
            for st in LatencyStage.allCases {
                let h = stage(st)
                row += " \(h.totalCount > 0 ? h.valueAtPercentile(p) : 0)"
            }
            row += " \(tickToTrade.totalCount > 0 ? tickToTrade.valueAtPercentile(p) : 0)"
            out += row + "\n"
        }
        return out
    }
}

/// The telemetry thread: drains the ring into a recorder until stopped, then once more.
public final class TelemetryDrain: @unchecked Sendable {
    let ring: SPSCRing<StageStamps>
    /// Counter snapshots from the loop, handed to `onCounters` on this thread.
    public var counters: SPSCRing<CountersSnapshot>?
    public var onCounters: (@Sendable (CountersSnapshot) -> Void)?
    /// Cold work done on this thread about once a second (the NIC's counters), and once more
    /// at the end.
    public var everySecond: (@Sendable () -> Void)?
    /// Cold work done at every drain (about every millisecond): a clock sampler that keeps its
    /// own spacing.
    public var everyDrain: (@Sendable () -> Void)?
    var lastSecond: Int64 = 0
    let lock = NSLock()
    var recorder: LatencyRecorder
    var stopping = false
    var thread: Thread?
    let done = DispatchSemaphore(value: 0)

    public init(ring: SPSCRing<StageStamps>, clock: TSCClock) {
        self.ring = ring
        recorder = LatencyRecorder(clock: clock)
        // Two pairs 2 ms apart: the wall clock converts from the first drain on.
        recorder.sampleWallClock()
        usleep(2_000)
        recorder.sampleWallClock(minimumSpacingNanos: 0)
    }

    public func start(core: Int? = nil) {
        let t = Thread { [self] in
            try? ThreadPlacement.nameCurrentThread("tw-telemetry")
            if let core { try? ThreadPlacement.pinCurrentThread(to: core) }
            while true {
                let stop = lock.withLock { stopping }
                drainOnce()
                if stop { break }
                usleep(1_000)
            }
            done.signal()
        }
        thread = t
        t.start()
    }

    func drainOnce() {
        lock.withLock {
            recorder.sampleWallClock()
            while let s = ring.pop() { recorder.record(s) }
        }
        everyDrain?()
        if let everySecond, lastSecond == 0 || tw_clock_monotonic_raw_ns() &- lastSecond >= 1_000_000_000 {
            lastSecond = tw_clock_monotonic_raw_ns()
            everySecond()
        }
        if let counters, let onCounters {
            var last: CountersSnapshot?
            while let c = counters.pop() { last = c }
            if let last { onCounters(last) }
        }
    }

    /// Stops the thread after a last drain and returns the recorder.
    public func finish() -> LatencyRecorder {
        lock.withLock { stopping = true }
        if thread != nil { done.wait() } else { drainOnce() }
        everySecond?()
        // Let go of what the thread and the hooks hold: the thread's block holds this drain
        // (a cycle through `thread`), and a hook may hold a DPDK port, whose mempool's name the
        // demo's second run needs again.
        thread = nil
        everySecond = nil
        everyDrain = nil
        onCounters = nil
        return lock.withLock { recorder }
    }
}
