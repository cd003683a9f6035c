import Appliance
import ArgumentParser
import CShims
import Exchange
import Foundation
import Inference
import MarketData
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
        var stampsDropped: UInt64
        var rxTimestampSource: String
        var txTimestampSource = "tsc_after_send"
        /// "imbalance_uptick" or "trained" (with the models folder).
        var model: String
    }

    func run() throws {
        guard messages >= 10_000, symbols >= 1, symbols <= 10_000, burst >= 1, burst <= 64, perPacket >= 1, perPacket <= 64 else {
            throw ValidationError("need --messages >= 10000, 1 <= --symbols <= 10000, 1 <= --burst <= 64")
        }
        let day = FlowDay.generate(OrderFlowConfiguration(seed: 1, symbols: symbols), messages: messages).bytes
        let frames = TickToTradeFrames(itch: day, perPacket: perPacket)
        var p = TakerParameters()
        p.threshold = threshold
        p.cooldownNanos = 0
        p.maxPosition = 1 << 40
        let locates = (1...symbols).map { StockLocate(rawValue: UInt16($0)) }
        let clock = TSCClock.calibrate(windowNanos: 50_000_000)
        if let models {
            let set: ModelSet
            do { set = try ModelSet.load(directory: models) } catch { throw fail("--models \(models): \(error)") }
            let rig: TickToTradeRig<Taker<UptickPredictor>>
            do {
                rig = try TickToTradeRig(strategy: Taker(symbols: locates, model: UptickPredictor(models: set), models: set,
                                                         maxLocates: symbols + 1, parameters: p),
                                         symbols: symbols, clock: clock)
            } catch { throw fail("\(error)") }
            try measure(rig, frames: frames, clock: clock, model: "trained")
        } else {
            let rig: TickToTradeRig<Taker<ImbalanceUptickModel>>
            do {
                rig = try TickToTradeRig(strategy: Taker(symbols: locates, model: ImbalanceUptickModel(), maxLocates: symbols + 1, parameters: p),
                                         symbols: symbols, clock: clock)
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
        var i = 0
        while i < frames.count {
            let n = min(burst, frames.count - i)
            rig.burst(frames, from: i, count: n)
            i += n
        }
        let seconds = Double(tw_clock_monotonic_raw_ns() - t0) / 1e9
        let rec = telemetry.finish()
        let c = rig.engine.counters
        let report = Report(messages: frames.messages, frames: frames.count, seconds: (seconds * 1000).rounded() / 1000,
                            msgsPerSec: (Double(frames.messages) / seconds).rounded(), triggeringTicks: c.triggeringTicks,
                            orders: c.ordersSent, tickToTradeNs: LatencySummary(rec.tickToTrade), stagesNs: rec.stageSummaries,
                            stampsDropped: c.stampsDropped, rxTimestampSource: "tsc_at_rx_burst", model: model)
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
        }
    }
}
