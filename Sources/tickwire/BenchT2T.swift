import Appliance
import ArgumentParser
import CShims
import Exchange
import Foundation
import Inference
import MarketData
import Risk
import Strategy
import TickwireCore

/// `tickwire bench t2t`: in-process software tick-to-trade. A simulated day's ITCH, in
/// MoldUDP64 datagrams inside Ethernet frames, goes in bursts through the live loop's
/// `Appliance` (feed handler, book, strategy, risk, OUCH encode) to an echo venue; every order
/// a tick triggers carries TSC stamps from the rx-burst return to the send call's return, drained by
/// the telemetry thread into HdrHistograms as in a live run.
struct BenchT2T: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "t2t",
        abstract: "In-process tick-to-trade (rx-burst return to the send call's return) over a simulated day: p50/p99 per stage."
    )

    @Option(help: "ITCH messages of the day.")
    var messages: Int = 3_000_000

    @Option(help: "Symbols of the day (all traded).")
    var symbols: Int = 100

    @Option(help: "Frames per rx burst (1: the loop keeps up with the feed, as in a live run at normal rates).")
    var burst: Int = 1

    @Option(name: .customLong("per-packet"), help: "ITCH messages per MoldUDP64 datagram.")
    var perPacket: Int = 3

    @Option(help: "Taker threshold on P(uptick) (lower: more triggering ticks).")
    var threshold: Double = 0.6

    @Option(help: "A models folder (models/): the taker predicts with its trained uptick model (GBDT) and its features. Without it, the hand-written imbalance-uptick model.")
    var models: String?

    @Option(help: "taker (crosses the spread on the uptick model) or mm (the demo's market maker, which quotes with the models folder's features, regime, adapt, fill and toxicity models; --models is then required).")
    var strategy: String = "taker"

    @Option(help: "KiB of other memory the hot thread writes between bursts (0: none): stands in for what else runs on the hot core in a live run (the kernel's transmit path under af_packet or a socket after a send, interrupts, the idle poll between packets), to measure what cold caches cost each stage.")
    var evict: Int = 0

    @Option(name: .customLong("evict-every"), help: "When --evict writes: order (after each burst that sent an order) or burst (after every burst).")
    var evictEvery: String = "order"

    @Option(name: .customLong("gap-us"), help: "Microseconds the hot loop idles after each burst, polling as a live loop does between packets (betweenBursts, idle), before the next burst (0: back to back). The demo's feed leaves about 40 us between packets: what an idle hot core costs each stage.")
    var gapMicros: Int = 0

    @Flag(name: .customLong("demo-limits"), help: "Risk as the demo configures it (collar, throttles, loss limit, the tail and market guards), with positions and open orders left wide so that nothing is refused; without it, wide limits and no guards.")
    var demoLimits = false

    @Flag(help: "Print one JSON object.")
    var json = false

    struct Report: Encodable {
        var messages: Int
        var frames: Int
        var seconds: Double
        var msgsPerSec: Double
        var triggeringTicks: UInt64
        var orders: UInt64
        var tickToTradeNs: LatencySummary
        var stagesNs: [String: LatencySummary]
        /// The decode stage split at the trigger's frame, and book to the strategy's return
        /// (`LatencyRecorder.stageDetail`).
        var stageDetailNs: [String: LatencySummary]
        /// The risk stage by action (its median moves with the mix of new, replace and cancel).
        var riskByActionNs: [String: LatencySummary]
        var stampsDropped: UInt64
        var rxTimestampSource: String
        var txTimestampSource = "tsc_after_send"
        /// "imbalance_uptick" or "trained" (with the models folder).
        var model: String
        /// "taker" or "mm".
        var strategy: String
        /// KiB written between bursts, and when ("order" or "burst").
        var evictKib: Int
        var evictEvery: String
        var gapMicros: Int
    }

    func run() throws {
        guard messages >= 10_000, symbols >= 1, symbols <= 10_000, burst >= 1, burst <= 64, perPacket >= 1, perPacket <= 64 else {
            throw ValidationError("need --messages >= 10000, 1 <= --symbols <= 10000, 1 <= --burst <= 64")
        }
        guard gapMicros >= 0, gapMicros <= 1_000_000 else { throw ValidationError("--gap-us is 0...1000000") }
        let day = FlowDay.generate(OrderFlowConfiguration(seed: 1, symbols: symbols), messages: messages).bytes
        let frames = TickToTradeFrames(itch: day, perPacket: perPacket)
        var p = TakerParameters()
        p.threshold = threshold
        p.cooldownNanos = 0
        p.maxPosition = 1 << 40
        let locates = (1...symbols).map { StockLocate(rawValue: UInt16($0)) }
        let clock = TSCClock.calibrate(windowNanos: 50_000_000)
        guard strategy == "taker" || strategy == "mm" else { throw ValidationError("--strategy is taker or mm") }
        var limits: RiskLimits?
        if demoLimits {
            var l = StrategySpec(kind: strategy == "mm" ? .marketMaker : .taker, traded: symbols, maxPosition: 1 << 40, models: nil).limits
            l.maxOpenOrders = 1 << 20
            l.maxGrossPosition = 1 << 50
            limits = l
        }
        if strategy == "mm" {
            guard let models else { throw ValidationError("--strategy mm needs --models (the market maker quotes with them)") }
            let set: ModelSet
            do { set = try ModelSet.load(directory: models) } catch { throw fail("--models \(models): \(error)") }
            var mp = MarketMakerParameters()
            mp.halfWidthTicks = 0
            mp.maxInventory = 1 << 40
            let rig: TickToTradeRig<MarketMaker>
            do {
                rig = try TickToTradeRig(strategy: MarketMaker(symbols: locates, maxLocates: symbols + 1, parameters: mp, models: set),
                                         symbols: symbols, clock: clock, limits: limits)
            } catch { throw fail("\(error)") }
            try measure(rig, frames: frames, clock: clock, model: "trained")
        } else if let models {
            let set: ModelSet
            do { set = try ModelSet.load(directory: models) } catch { throw fail("--models \(models): \(error)") }
            let rig: TickToTradeRig<Taker<UptickPredictor>>
            do {
                rig = try TickToTradeRig(strategy: Taker(symbols: locates, model: UptickPredictor(models: set), models: set,
                                                         maxLocates: symbols + 1, parameters: p),
                                         symbols: symbols, clock: clock, limits: limits)
            } catch { throw fail("\(error)") }
            try measure(rig, frames: frames, clock: clock, model: "trained")
        } else {
            let rig: TickToTradeRig<Taker<ImbalanceUptickModel>>
            do {
                rig = try TickToTradeRig(strategy: Taker(symbols: locates, model: ImbalanceUptickModel(), maxLocates: symbols + 1, parameters: p),
                                         symbols: symbols, clock: clock, limits: limits)
            } catch { throw fail("\(error)") }
            try measure(rig, frames: frames, clock: clock, model: "imbalance_uptick")
        }
    }

    func measure<S: Strategy>(_ rig: TickToTradeRig<S>, frames: TickToTradeFrames, clock: TSCClock, model: String) throws {
        guard rig.isLoggedIn else { throw fail("the echo venue did not log us in") }
        let cpus = ProcessInfo.processInfo.activeProcessorCount
        let telemetry = TelemetryDrain(ring: rig.engine.stamps, clock: clock)
        telemetry.start(core: cpus >= 2 ? 0 : nil)
        if cpus >= 2 { try? ThreadPlacement.pinCurrentThread(to: cpus - 1) }
        try? ThreadPlacement.nameCurrentThread("tw-hot")
        let t0 = tw_clock_monotonic_raw_ns()
        guard evictEvery == "order" || evictEvery == "burst" else { throw ValidationError("--evict-every is order or burst") }
        let everyBurst = evictEvery == "burst"
        let evictBytes = max(0, evict) * 1024
        let scratch = UnsafeMutableRawPointer.allocate(byteCount: max(64, evictBytes), alignment: 64)
        defer { scratch.deallocate() }
        scratch.initializeMemory(as: UInt8.self, repeating: 0, count: max(64, evictBytes))
        let gapTicks = UInt64(gapMicros) * clock.hz / 1_000_000
        var i = 0
        var sent = rig.engine.counters.ordersSent
        while i < frames.count {
            let n = min(burst, frames.count - i)
            rig.burst(frames, from: i, count: n)
            i += n
            if gapTicks > 0 {
                let until = tw_rdtsc() &+ gapTicks
                var now = tw_rdtsc()
                while now < until {
                    rig.appliance.betweenBursts(idle: true, tsc: now)
                    now = tw_rdtsc()
                }
            }
            if evictBytes > 0, everyBurst || rig.engine.counters.ordersSent != sent {
                sent = rig.engine.counters.ordersSent
                var o = 0
                while o < evictBytes { scratch.storeBytes(of: UInt64(o), toByteOffset: o, as: UInt64.self); o += 64 }
            }
        }
        let seconds = Double(tw_clock_monotonic_raw_ns() - t0) / 1e9
        let rec = telemetry.finish()
        let c = rig.engine.counters
        let report = Report(messages: frames.messages, frames: frames.count, seconds: (seconds * 1000).rounded() / 1000,
                            msgsPerSec: (Double(frames.messages) / seconds).rounded(), triggeringTicks: c.triggeringTicks,
                            orders: c.ordersSent, tickToTradeNs: LatencySummary(rec.tickToTrade), stagesNs: rec.stageSummaries, stageDetailNs: rec.stageDetail, riskByActionNs: rec.riskByAction,
                            stampsDropped: c.stampsDropped, rxTimestampSource: "tsc_at_rx_burst", model: model, strategy: strategy, evictKib: max(0, evict), evictEvery: evictEvery, gapMicros: gapMicros)
        if ProcessInfo.processInfo.environment["TW_DEBUG"] != nil {
            FileHandle.standardError.write(Data("\(c)\n\(rig.appliance.counters)\n\(rig.appliance.feed.frameCounters)\n\(rig.appliance.feed.session.counters)\n".utf8))
        }
        if json {
            printJSON(report)
        } else {
            let t = report.tickToTradeNs
            print("tick-to-trade over \(report.triggeringTicks) triggering ticks (\(report.messages) messages, \(Int(report.msgsPerSec)) msgs/s):")
            print("  p50 \(t.p50) ns  p90 \(t.p90)  p99 \(t.p99)  p99.9 \(t.p999)  max \(t.max)")
            for st in LatencyStage.allCases {
                if let s = report.stagesNs[st.rawValue] { print("  \(st.rawValue): p50 \(s.p50)  p99 \(s.p99)  max \(s.max)") }
            }
            for k in ["decode_wait", "decode_frame", "decode_frame_first", "decode_frame_later", "decode_frame_later_per_message", "decode_frame_after_send", "model_and_strategy"] {
                if let s = report.stageDetailNs[k] { print("  \(k): p50 \(s.p50)  p99 \(s.p99)  max \(s.max)") }
            }
            for a in DecisionRecord.actionNames {
                if let s = report.riskByActionNs[a] { print("  risk, \(a) (\(s.count)): p50 \(s.p50)  p99 \(s.p99)") }
            }
        }
    }
}
