// `tickwire validate`: one strategy, one seeded simulator day, three ways, side by side:
// (a) backtest: the day's flow, generated alone (no participant), through `tickwire backtest`
//     with the latencies measured in (b);
// (b) paper: the demo's live run (DPDK, Tickwire's TCP) against the venue simulator, the true
//     matching engine, paced by event time so that its market runs on the same clock as (a)'s;
// (c) replay: (b)'s capture, its feed through the strategy again (echo venue) and its order
//     session read for fills (TCA from the wire).
// Then the order-by-order agreement of (a) and (b): the same orders placed (stock, side, price,
// shares, on the same trigger), the same filled or not, and where they first part on each stock.
import Appliance
import Capture
import CShims
import Packets
import ArgumentParser
import Exchange
import Foundation
import MarketData
import OrderEntry
import TCA
import TickwireCore

struct ValidateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "validate",
        abstract: "Backtest vs paper vs replay on one seeded simulator day: fills, filled shares, PnL, and order-by-order agreement.",
        discussion: """
        The paper run is the demo's (venue in a namespace, DPDK, Tickwire's TCP; needs root), \
        with the venue paced by event time so that its market is the backtest's day on the same \
        clock while we do not trade with it. --reaction off keeps the flow from seeing our orders \
        (what the backtest assumes), so what remains between (a) and (b) is model error: queue \
        position, latency, and our fills' own impact on the flow; --reaction on adds the flow's \
        reaction to our quotes.
        """
    )

    @Option(help: "Seconds of paper trading.")
    var seconds: Double = 20

    @Option(help: "The flow's events a second in its calm regime (about as many ITCH messages).")
    var rate: Double = 50_000

    @Option(help: "Symbols of the simulated venue.")
    var symbols: Int = 100

    @Option(help: "Seed of the day's flow.")
    var seed: UInt64 = 1

    @OptionGroup var strategyOptions: StrategyOptions

    @Option(help: "off: the flow does not see our orders when it decides (the backtest's premise); on: it does.")
    var reaction: FlowReaction = .off

    @Option(name: .customLong("order-port"), help: "The venue's SoupBinTCP port.")
    var orderPort: UInt16 = 26520

    @Option(name: .customLong("match-window-us"), help: "Two orders of the same stock, side, price and shares are the same order when their triggers' venue stamps are this close (orders made on the venue's answers: sent within 50 ms).")
    var matchWindowMicros: Double = 1_000

    @Flag(name: .customLong("paper-twice"), help: "Run the paper run a second time (same seed, same clock) and report how far the two agree: the floor under any backtest's agreement with paper.")
    var paperTwice = false

    @Option(help: "How the backtest takes the paper run's latencies: trace (the paper venue's own lag message by message, as --venue-delay: the venue falls behind where it fell; the feed and the venue's answers to us at their medians; order entry drawn from the run's values), traces (every stream as the paper run had it, moment by moment on the venue's clock: the venue's lag, our receive path, order entry and the answers; nothing drawn at random) or empirical (feed, order entry and answers all drawn from the run's values, per message; no venue lag).")
    var latencies: ValidateLatencies = .trace

    @Option(name: .customLong("backtest-draws"), help: "Backtest each day this many times, each with its own draw of the latencies (--seed, then --seed + 1000 k): one draw's PnL over twenty days moves by several percent with the draw alone, so the PnL gap is taken against their mean. The agreement and the files are the first draw's.")
    var backtestDraws: Int = 1

    @Option(help: "Validate this many seeds in a row (--seed, --seed + 1, ...), each in OUT/seed-N, and report their totals: a 20-s day's PnL varies more between two paper runs than the 10% asked of the backtest.")
    var seeds: Int = 1

    @Option(help: "Where everything goes: paper/ (the demo's files), day.itch, latencies/, backtest/, replay.csv, report.json.")
    var out: String = "out/validate"

    @Flag(help: "Print the report as one JSON object.")
    var json = false

    func log(_ s: String) {
        FileHandle.standardError.write(Data(("validate: " + s + "\n").utf8))
    }

    func run() throws {
        guard seconds >= 2, seconds <= 600 else { throw ValidationError("--seconds must be in [2, 600]") }
        guard rate >= 1_000, rate <= 500_000 else { throw ValidationError("--rate must be in [1000, 500000]") }
        guard symbols >= 1, symbols <= 10_000 else { throw ValidationError("--symbols must be in 1...10000") }
        guard matchWindowMicros >= 0, matchWindowMicros <= 1e6 else { throw ValidationError("--match-window-us must be in [0, 1e6]") }
        guard strategyOptions.strategy != "fixed" else { throw ValidationError("--strategy is mm or taker") }
        guard seeds >= 1, seeds <= 100 else { throw ValidationError("--seeds must be in 1...100") }
        guard backtestDraws >= 1, backtestDraws <= 100 else { throw ValidationError("--backtest-draws must be in 1...100") }
        guard backtestDraws == 1 || latencies != .traces else { throw ValidationError("--latencies traces draws nothing at random: --backtest-draws would repeat one backtest") }
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        if getuid() == 0, let holder = DemoNetwork.lock() { throw fail(holder) }
        guard seeds > 1 else {
            let report = try validateOnce()
            if json { printJSON(report) } else { report.printText() }
            return
        }
        // Several days, one after the other: each seed's run in out/seed-N, and the totals.
        var reports: [ValidateReport] = []
        for k in 0..<seeds {
            var one = self
            one.seed = seed &+ UInt64(k)
            one.out = out + "/seed-\(one.seed)"
            log("seed \(one.seed) (\(k + 1) of \(seeds))")
            reports.append(try one.validateOnce())
        }
        let series = ValidateSeries(reports)
        try jsonString(series).write(toFile: out + "/series.json", atomically: true, encoding: .utf8)
        if json { printJSON(series) } else { series.printText() }
    }

    /// One seed's three runs (and the second paper run with --paper-twice); writes its
    /// report.json into `out`.
    func validateOnce() throws -> ValidateReport {
        let spec = try strategyOptions.spec(symbols: symbols)
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)

        // The flow's start: about when the venue's feed will start (it waits for our login, a
        // few seconds), so that venue time is close to the time of day; 09:30 if the run would
        // pass midnight.
        let day: UInt64 = 86_400_000_000_000
        var flowStart = (UInt64(tw_clock_realtime_ns()) &+ 3_500_000_000) % day
        if flowStart + UInt64((seconds + 10) * 1e9) >= day { flowStart = 34_200_000_000_000 }
        let sessionSeconds = seconds + 1  // the demo runs its venue a second longer than it trades

        // (b) paper.
        log("paper: \(Int(seconds)) s against the venue (seed \(seed), reaction \(reaction.rawValue), paced by event time)")
        let demo = try DemoCommand.parse(["--seconds", String(seconds), "--rate", String(rate), "--symbols", String(symbols),
                                          "--out", out + "/paper", "--order-port", String(orderPort), "--strategy", strategyOptions.strategy,
                                          "--traded", String(strategyOptions.traded), "--max-position", String(strategyOptions.maxPosition),
                                          "--models", strategyOptions.models])
        demo.flagForSignals()
        let venue = ["--seed", String(seed), "--reaction", reaction.rawValue, "--pace", "events", "--flow-start-ns", String(flowStart)]
        let paper = try demo.runOnce(transport: .tickwire, spec: spec, version: .v42, out: out + "/paper", venue: venue)
        guard paper.mode == "netns+dpdk" else {
            throw fail("the paper run fell back to loopback (\(paper.fallbackReason ?? "?")): validate needs the demo's namespace and DPDK (root)")
        }
        let capture = out + "/paper/capture.pcap"
        let paperDecisions = out + "/paper/decisions.csv"

        // The latencies the paper run had, per order, for the backtest.
        let records = try Self.decisionRecords(paperDecisions)
        let measured: WireToWire.Split
        do { (_, _, measured) = try WireToWire.analyzeSplit(capture: capture, decisions: records, orderEntryPort: orderPort) } catch {
            throw fail("the paper capture: \(error)")
        }
        let split = try LatencyCommand.writeLatencies(measured, to: out + "/latencies")
        let lineA = FeedAddress(ip: IPv4Address(239, 192, 10, 1), port: 26477)
        let lineB = FeedAddress(ip: IPv4Address(239, 192, 10, 2), port: 26477)
        let lagByMessage = try Self.venueLagByMessage(capture: capture, line: lineA)
        let tracePoints = try Self.writeVenueDelayTrace(lag: lagByMessage.messages, to: out + "/latencies")
        let feedMedian = Self.median(split.wireToRx.indices.map { split.wireToRx[$0] &+ split.rxToSend[$0] })
        let responseMedian = Self.median(split.response)
        // The paper venue's feed copy of our orders, and of the events that filled them, after its
        // answers, moment by moment (its slow spells are the venue's lag), or drawn with the rest.
        func ownArgs(_ kind: String) -> [String] {
            let ext = kind == "trace" ? "trace" : "ns"
            return (split.answerToFeedCopy.isEmpty ? [] : ["--own-feed-delay", "\(kind):\(out)/latencies/own.\(ext)"])
                + (split.fillToFeedCopy.isEmpty ? [] : ["--fill-feed-delay", "\(kind):\(out)/latencies/fill.\(ext)"])
        }
        let latencyArgs: [String]
        switch latencies {
        case .trace:
            // The venue's lag moment by moment; the feed and the answers to us (the venue's
            // segment on the wire -> our send on hearing it) at their medians; order entry
            // drawn per order. Drawn per message, our receive path's rare slow
            // values (0.4% of them over 1 ms) would blind the strategy: a stream is delivered in
            // order, so one slow draw holds every message behind it, and at 50,000 messages a
            // second a 1-ms draw comes every few milliseconds (five days: PnL -19.9% against
            // paper with them, -5.1% without).
            latencyArgs = ["--feed-latency", "\(feedMedian)ns", "--entry-latency", "empirical:\(out)/latencies/entry.ns",
                           "--response-latency", "\(responseMedian)ns", "--venue-delay", "trace:\(out)/latencies/venue.trace"] + ownArgs("trace")
        case .traces:
            // Every stream as the paper run had it, moment by moment on the venue's clock.
            latencyArgs = ["--feed-latency", "trace:\(out)/latencies/feed.trace", "--entry-latency", "trace:\(out)/latencies/entry.trace",
                           "--response-latency", "trace:\(out)/latencies/response.trace", "--venue-delay", "trace:\(out)/latencies/venue.trace"]
                + ownArgs("trace")
        case .empirical:
            latencyArgs = ["--feed-latency", "empirical:\(out)/latencies/feed.ns", "--entry-latency", "empirical:\(out)/latencies/entry.ns",
                           "--response-latency", "empirical:\(out)/latencies/response.ns"] + ownArgs("empirical")
        }

        // (a) the day alone, and its backtest.
        var flow = OrderFlowConfiguration(seed: seed, symbols: symbols)
        flow.eventsPerSecond = rate / 1.02
        flow.start = VenueTime(nanosSinceMidnight: flowStart)
        let dayPath = out + "/day.itch"
        guard FileManager.default.createFile(atPath: dayPath, contents: nil), let fh = FileHandle(forWritingAtPath: dayPath) else {
            throw fail("cannot write \(dayPath)")
        }
        // The day ends where the paper run stopped trading (its last decision), not where its
        // venue stopped (a second later, for the wind-down): a backtest that trades on through
        // that second places about 5% more orders than paper, and looked like model bias.
        let paperEnd = records.map(\.feedTime).max() ?? 0
        let until = paperEnd > flowStart ? min(paperEnd &+ 1, flowStart + UInt64(sessionSeconds * 1e9)) : flowStart + UInt64(sessionSeconds * 1e9)
        let generated = FlowDay.generate(flow, messages: Int(sessionSeconds * rate * 4) + 100_000, eventTimes: true,
                                         untilNanos: until) { fh.write(Data($0)) }
        try? fh.close()
        log("backtest: the day alone, \(generated.messages) messages, with the paper run's latencies")
        try FileManager.default.createDirectory(atPath: out + "/backtest", withIntermediateDirectories: true)
        let backtestArgs = [dayPath, "--strategy", strategyOptions.strategy, "--traded", String(strategyOptions.traded),
                            "--max-position", String(strategyOptions.maxPosition), "--models", strategyOptions.models,
                            "--hidden-prints", "ignore"] + latencyArgs
        let bt = try BacktestCommand.parse(backtestArgs + ["--seed", String(seed), "--fills-out", out + "/backtest/fills.csv",
                                                           "--decisions-out", out + "/backtest/decisions.csv", "--tca-out", out + "/backtest/tca"]).execute()
        var draws = [ValidateSide(orders: Int(bt.orders + bt.replaces), fills: Int(bt.fills), filledShares: Int(bt.filledShares), pnl: bt.pnl)]
        if backtestDraws > 1 { log("backtest: \(backtestDraws - 1) more draws of the latencies") }
        for k in 1..<backtestDraws {
            let again = try BacktestCommand.parse(backtestArgs + ["--seed", String(seed &+ 1_000 &* UInt64(k))]).execute()
            draws.append(ValidateSide(orders: Int(again.orders + again.replaces), fills: Int(again.fills), filledShares: Int(again.filledShares), pnl: again.pnl))
        }

        // (c) replay of the paper capture: the strategy's orders on it, the venue's fills in it.
        log("replay: the paper capture")
        let replayed: StrategyReplayReport
        switch spec.kind {
        case .marketMaker:
            replayed = try replayWithStrategy(spec.marketMaker(symbols: symbols), spec: spec, capture: capture, symbols: symbols, lineA: lineA,
                                              lineB: lineB, maxOrders: 1 << 22, decisionsOut: out + "/replay.csv")
        case .taker:
            replayed = try replayWithStrategy(spec.taker(symbols: symbols), spec: spec, capture: capture, symbols: symbols, lineA: lineA,
                                              lineB: lineB, maxOrders: 1 << 22, decisionsOut: out + "/replay.csv")
        }
        var wire = try TCAInput.fromCapture(capture, orderEntryPort: orderPort, lineA: lineA, lineB: lineB)
        wire.decisions = try TCAInput.decisionLog(paperDecisions).byOrder
        let lag = VenueLag(lagByMessage.packets)
        var tcaConf = TCAConfiguration()
        tcaConf.maxLocates = symbols + 1
        let wireTCA = try runTCA(wire, configuration: tcaConf)
        try TCAOutput.write(wireTCA, to: out + "/paper/tca")

        // Side by side, both runs' decisions on the venue's clock (`paperOrders`).
        let paperOrders = try Self.paperOrders(paperDecisions, records: records)
        let btOrders = try Self.orders(out + "/backtest/decisions.csv", time: "sent_ns") { $0 }
        let paperFills = Self.filledByOrder(wire.fills)
        let btFills = try Self.filledByOrder(out + "/backtest/fills.csv")
        let agreement = Self.agree(paper: paperOrders, backtest: btOrders, paperFilled: paperFills, backtestFilled: btFills,
                                   window: UInt64(matchWindowMicros * 1_000))
        var report = ValidateReport(
            seed: seed, seconds: seconds, rate: rate, symbols: symbols, strategy: spec.kind.rawValue, traded: spec.traded,
            reaction: reaction.rawValue, flowStartNs: flowStart,
            backtest: draws[0], backtestDraws: draws.count > 1 ? draws : nil,
            paper: ValidateSide(paper),
            replay: ValidateSide(orders: Int(replayed.orders + replayed.replaces), fills: wireTCA.report.pnl.fills,
                                 filledShares: Int(wireTCA.report.pnl.shares), pnl: wireTCA.report.pnl.spreadUsd + wireTCA.report.pnl.inventoryUsd),
            agreement: agreement,
            latenciesNs: ["feed_p50": feedMedian, "entry_p50": Self.median(split.entry), "response_p50": responseMedian,
                          "own_feed_p50": Self.median(split.answerToFeedCopy), "fill_feed_p50": Self.median(split.fillToFeedCopy)],
            latencyModel: latencies.rawValue, tracePoints: ["venue_delay": tracePoints], dayUntilNs: until,
            backtestFillCauses: bt.fillCauses, paperFeedGaps: paper.feedGaps, paperRiskRejects: paper.riskRejects, paperVenueLag: lag,
            files: ["paper": out + "/paper", "day": dayPath, "latencies": out + "/latencies", "backtest": out + "/backtest",
                    "replay_decisions": out + "/replay.csv", "report": out + "/report.json"])
        report.agreement.filledSharesDiff = Self.relative(report.backtest.filledShares, report.paper.filledShares)
        report.agreement.pnlDiff = Self.relative(report.backtest.pnl, report.paper.pnl)
        if paperTwice {
            // The same day on the same clock, traded again: what timing alone makes of it.
            log("paper, again: the floor under the agreement")
            let again = try demo.runOnce(transport: .tickwire, spec: spec, version: .v42, out: out + "/paper2", venue: venue)
            let records2 = try Self.decisionRecords(out + "/paper2/decisions.csv")
            let wire2 = try TCAInput.fromCapture(out + "/paper2/capture.pcap", orderEntryPort: orderPort, lineA: lineA, lineB: lineB)
            var floor = Self.agree(paper: paperOrders, backtest: try Self.paperOrders(out + "/paper2/decisions.csv", records: records2),
                                   paperFilled: paperFills, backtestFilled: Self.filledByOrder(wire2.fills), window: UInt64(matchWindowMicros * 1_000))
            floor.filledSharesDiff = Self.relative(Int(again.filledShares), Int(paper.filledShares))
            floor.pnlDiff = Self.relative(again.pnl, paper.pnl)
            report.paperAgain = ValidateSide(again)
            report.paperVsPaper = floor
        }
        try jsonString(report).write(toFile: out + "/report.json", atomically: true, encoding: .utf8)
        return report
    }

    // MARK: - Reading

    /// A paper run's orders, their wall-clock sends moved onto the venue's clock by the least
    /// (rx - trigger's venue stamp) of its decisions (the clocks' offset, to within the fastest
    /// feed path).
    static func paperOrders(_ path: String, records: [DecisionRecord]) throws -> [PlacedOrder] {
        let offset = records.filter { $0.feedTime > 0 && $0.rxWallNanos > 0 }
            .map { Int64($0.rxWallNanos % 86_400_000_000_000) - Int64($0.feedTime) }.min() ?? 0
        return try orders(path, time: "sent_wall_ns") { t in UInt64(max(0, Int64(t % 86_400_000_000_000) - offset)) }
    }

    static func filledByOrder(_ fills: [TCAFill]) -> [UInt32: UInt64] {
        var out: [UInt32: UInt64] = [:]
        for f in fills { out[f.orderID, default: 0] += UInt64(f.shares) }
        return out
    }

    /// How far the paper venue's feed fell behind its own clock: each line-A message's packet
    /// time at the tap less the message's venue stamp, less the least of these (the clocks'
    /// offset and the fastest send). Paced by event time, a packet leaves when the clock reaches
    /// its stamp; a venue that cannot keep up (a volatile regime's burst on a shared core) sends
    /// late, and our orders then meet the flow where it stands, not where the clock is.
    /// `packets`: the first message's lag of each packet (the report's summary).
    static func venueLagByMessage(capture: String, line: FeedAddress) throws -> (messages: [(stamp: UInt64, late: UInt64)], packets: [UInt64]) {
        let reader: PcapReader
        do { reader = try PcapReader(path: capture) } catch { throw fail("\(capture): \(error)") }
        var p = tw_pkt()
        var late: [(stamp: UInt64, late: Int64)] = []
        var firsts: [Int] = []
        do {
            while try reader.next(&p) {
                let frame = UnsafeRawBufferPointer(start: p.data, count: Int(p.len))
                guard let eth = EthernetView(frame), eth.etherType == 0x0800, let ip = IPv4View(eth.payload), !ip.isFragment, ip.ipProtocol == 17,
                      ip.destination == line.ip, ip.payload.count > 8 else { continue }
                let l4 = ip.payload
                guard UInt16(l4[2]) << 8 | UInt16(l4[3]) == line.port,
                      let mold = MoldUDP64Packet(UnsafeRawBufferPointer(rebasing: l4[8...])), mold.messageCount > 0 else { continue }
                let tap = Int64(p.rx_timestamp % 86_400_000_000_000)
                var first = true
                mold.forEachMessage { m, _ in
                    guard let stamp = ITCH.timestamp(m) else { return }
                    if first { firsts.append(late.count) }
                    first = false
                    late.append((stamp, tap - Int64(stamp)))
                }
            }
        } catch {
            throw fail("\(capture): \(error)")
        }
        guard let least = late.map(\.late).min() else { return ([], []) }
        return (late.map { ($0.stamp, UInt64($0.late - least)) }, firsts.map { UInt64(late[$0].late - least) })
    }

    /// The paper venue's lag, message by message, for a backtest's `--venue-delay trace:`: per
    /// line-A message its venue stamp and how late its packet left (`venueLagByMessage`), in the
    /// order they were sent, so that the messages of one stamp (the opening's book) keep the
    /// spread they had. The venue handled each message that late, and our orders met the flow
    /// there: the backtest's venue does the same, and the feed and order-entry latencies are
    /// then the paper run's own, from the tap (`feed.ns`, `entry.ns`).
    static func writeVenueDelayTrace(lag: [(stamp: UInt64, late: UInt64)], to dir: String) throws -> Int {
        // A stable sort: the messages of one stamp stay in the order they left.
        let points = lag.enumerated().sorted { ($0.element.stamp, $0.offset) < ($1.element.stamp, $1.offset) }.map(\.element)
        guard !points.isEmpty else { throw fail("the paper capture has no line-A message: no venue delay to learn") }
        let text = "# venue_time_ns delay_ns (tickwire validate: how late the paper venue sent each feed message)\n"
            + points.map { "\($0.stamp) \($0.late)" }.joined(separator: "\n") + "\n"
        do { try text.write(toFile: dir + "/venue.trace", atomically: true, encoding: .utf8) } catch { throw fail("cannot write \(dir)/venue.trace: \(error)") }
        return points.count
    }

    static func decisionRecords(_ path: String) throws -> [DecisionRecord] {
        try LatencyCommand.decisionLog(path, unreadable: "cannot read \(path)")
    }

    /// An order placed: a new order or a replacement (a new price or size under a new id).
    struct PlacedOrder {
        var id: UInt32
        /// When it was sent, on the venue's clock.
        var time: UInt64
        /// Its trigger's venue stamp (0: not a market-data decision).
        var trigger: UInt64
        var locate: UInt16
        var side: String
        var shares: UInt32
        var price: Int64
        var key: String { "\(locate) \(side) \(price) \(shares)" }
    }

    /// The new and replace rows of a decision log (the live one's or the backtest's: read by
    /// the header's names).
    static func orders(_ path: String, time: String, venueTime: (UInt64) -> UInt64) throws -> [PlacedOrder] {
        guard let text = TextFile.readWhole(path) else { throw fail("cannot read \(path)") }
        var lines = text.split(separator: "\n")
        guard let header = lines.first?.split(separator: ",").map(String.init) else { return [] }
        lines.removeFirst()
        func col(_ n: String) throws -> Int {
            guard let i = header.firstIndex(of: n) else { throw fail("\(path): no column \(n)") }
            return i
        }
        let (ci, ca, cl, cs, csh, cp, ct, cf) = (try col("order_id"), try col("action"), try col("locate"), try col("side"), try col("shares"),
                                                 try col("price"), try col(time), try col("feed_time_ns"))
        var out: [PlacedOrder] = []
        for line in lines {
            let f = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            guard f.count == header.count, f[ca] == "new" || f[ca] == "replace", let id = UInt32(f[ci]), let l = UInt16(f[cl]),
                  let sh = UInt32(f[csh]), let p = Int64(f[cp]), let t = UInt64(f[ct]), let trigger = UInt64(f[cf]) else { continue }
            out.append(PlacedOrder(id: id, time: venueTime(t), trigger: trigger, locate: l, side: f[cs], shares: sh, price: p))
        }
        return out
    }

    static func filledByOrder(_ path: String) throws -> [UInt32: UInt64] {
        guard let text = TextFile.readWhole(path) else { throw fail("cannot read \(path)") }
        var lines = text.split(separator: "\n")
        guard let header = lines.first?.split(separator: ",").map(String.init),
              let ci = header.firstIndex(of: "order_id"), let cs = header.firstIndex(of: "shares") else { return [:] }
        lines.removeFirst()
        var out: [UInt32: UInt64] = [:]
        for line in lines {
            let f = line.split(separator: ",", omittingEmptySubsequences: false)
            guard f.count == header.count, let id = UInt32(f[ci]), let s = UInt64(f[cs]) else { continue }
            out[id, default: 0] += s
        }
        return out
    }

    // MARK: - Agreement

    /// Two orders of the same stock, side, price and shares are one: on triggers (venue stamps)
    /// within `window` of each other; or, both made on the venue's answers (no trigger), sent
    /// within 50 ms (the paper run's sends are on the wall clock, which a lagging venue's clock
    /// trails by milliseconds).
    static func same(_ p: PlacedOrder, _ b: PlacedOrder, window: UInt64) -> Bool {
        func near(_ x: UInt64, _ y: UInt64, _ w: UInt64) -> Bool { x &- y < w || y &- x < w }
        if p.trigger != 0 && b.trigger != 0 { return near(p.trigger, b.trigger, window) }
        return p.trigger == 0 && b.trigger == 0 && near(p.time, b.time, 50_000_000)
    }

    /// Pairs the two runs' orders: per stock, side, price and shares, in the order they were sent,
    /// the same order (`same`) in both. Agreement: of all orders either
    /// run placed, the share that both placed and both filled (any part) or both left unfilled.
    /// Each stock's first disagreement is its cause; what follows on that stock may be its
    /// consequence (positions and quotes differ from there), so they are counted apart.
    static func agree(paper: [PlacedOrder], backtest: [PlacedOrder], paperFilled: [UInt32: UInt64], backtestFilled: [UInt32: UInt64],
                      window: UInt64) -> ValidateAgreement {
        var a = ValidateAgreement()
        a.paperOrders = paper.count
        a.backtestOrders = backtest.count
        struct Event { var time: UInt64; var locate: UInt16; var kind: String }
        var disagreements: [Event] = []
        let p = Dictionary(grouping: paper, by: \.key).mapValues { $0.sorted { $0.time < $1.time } }
        let b = Dictionary(grouping: backtest, by: \.key).mapValues { $0.sorted { $0.time < $1.time } }
        for key in Set(p.keys).union(b.keys) {
            let ps = p[key] ?? [], bs = b[key] ?? []
            var i = 0, j = 0
            while i < ps.count || j < bs.count {
                if i < ps.count, j < bs.count, Self.same(ps[i], bs[j], window: window) {
                    let pf = (paperFilled[ps[i].id] ?? 0) > 0, bf = (backtestFilled[bs[j].id] ?? 0) > 0
                    if ps[i].trigger != 0 && ps[i].trigger == bs[j].trigger { a.sameTrigger += 1 }
                    switch (pf, bf) {
                    case (true, true): a.bothFilled += 1
                    case (false, false): a.neitherFilled += 1
                    case (true, false):
                        a.filledInPaperOnly += 1
                        disagreements.append(Event(time: ps[i].time, locate: ps[i].locate, kind: "filled in paper only"))
                    case (false, true):
                        a.filledInBacktestOnly += 1
                        disagreements.append(Event(time: ps[i].time, locate: ps[i].locate, kind: "filled in backtest only"))
                    }
                    i += 1
                    j += 1
                } else if j >= bs.count || (i < ps.count && ps[i].time < bs[j].time) {
                    a.placedInPaperOnly += 1
                    disagreements.append(Event(time: ps[i].time, locate: ps[i].locate, kind: "placed in paper only"))
                    i += 1
                } else {
                    a.placedInBacktestOnly += 1
                    disagreements.append(Event(time: bs[j].time, locate: bs[j].locate, kind: "placed in backtest only"))
                    j += 1
                }
            }
        }
        let union = a.bothFilled + a.neitherFilled + a.filledInPaperOnly + a.filledInBacktestOnly + a.placedInPaperOnly + a.placedInBacktestOnly
        a.orderFillAgreement = union == 0 ? 1 : Double(a.bothFilled + a.neitherFilled) / Double(union)
        let paired = a.bothFilled + a.neitherFilled + a.filledInPaperOnly + a.filledInBacktestOnly
        a.pairedFillAgreement = paired == 0 ? 1 : Double(a.bothFilled + a.neitherFilled) / Double(paired)
        // Per stock, the first disagreement in time, by kind.
        var first: [UInt16: Event] = [:]
        for d in disagreements where first[d.locate].map({ d.time < $0.time }) ?? true { first[d.locate] = d }
        for d in first.values { a.firstDivergenceByKind[d.kind, default: 0] += 1 }
        a.stocksDiverged = first.count
        a.disagreementsAfterFirst = disagreements.count - first.count
        if let earliest = first.values.map(\.time).min(), earliest > 0 { a.firstDivergenceNs = earliest }
        return a
    }

    static func relative(_ x: Int, _ reference: Int) -> Double {
        reference == 0 ? (x == 0 ? 0 : .infinity) : Double(x - reference) / Double(reference)
    }

    static func relative(_ x: Double, _ reference: Double) -> Double {
        reference == 0 ? (x == 0 ? 0 : .infinity) : (x - reference) / abs(reference)
    }

    static func median(_ v: [UInt64]) -> UInt64 {
        guard !v.isEmpty else { return 0 }
        return v.sorted()[v.count / 2]
    }
}

/// Several seeds' validations and their totals (`validate --seeds N`).
struct ValidateSeries: Encodable {
    struct Seed: Encodable {
        var seed: UInt64
        var backtest: ValidateSide
        /// With --backtest-draws: every draw's (the first is `backtest`).
        var backtestDraws: [ValidateSide]?
        var paper: ValidateSide
        var paperAgain: ValidateSide?
        var orderFillAgreement: Double
        var filledSharesDiff: Double
        var pnlDiff: Double
        var paperVsPaperFilledSharesDiff: Double?
    }
    var seeds: [Seed]
    /// Summed over the seeds.
    var backtest: ValidateSide
    var paper: ValidateSide
    var paperAgain: ValidateSide?
    /// The totals' relative differences, backtest against paper (and the second paper run
    /// against the first, with --paper-twice: the floor).
    var filledSharesDiff: Double
    var pnlDiff: Double
    var ordersDiff: Double
    var paperVsPaperFilledSharesDiff: Double?
    var paperVsPaperPnlDiff: Double?
    /// Mean and standard deviation of the per-seed filled-shares differences.
    var filledSharesDiffMean: Double
    var filledSharesDiffStdev: Double
    /// The backtest's PnL against paper's day by day: is the gap a bias or the noise of one run?
    var pnlGap: PnLGap

    /// The backtest's PnL against the paper runs' (their mean with --paper-twice), per day and in
    /// total, with the standard error of the total from the days' spread, and the spread of one
    /// paper run against the other per day (the floor).
    struct PnLGap: Encodable {
        /// "paper" or "paper mean".
        var reference: String
        var days: Int
        var totalUSD: Double
        /// The total's difference, relative to the reference's total.
        var totalDiff: Double
        var perDayMeanUSD: Double
        var perDayStdevUSD: Double
        /// perDayStdevUSD x sqrt(days): the total's standard error, were the days independent.
        var totalStandardErrorUSD: Double
        var daysBacktestLower: Int
        /// Standard deviation of paper again minus paper, per day (--paper-twice).
        var paperVsPaperPerDayStdevUSD: Double?
        /// "one draw", or "mean of K latency draws" (--backtest-draws): what the gap takes as the backtest's PnL.
        var backtest: String
        /// With draws: each draw's PnL summed over the days, and their standard deviation (what
        /// the latencies' draw alone does to the total).
        var drawTotalsUSD: [Double]?
        var drawTotalStdevUSD: Double?
    }

    init(_ reports: [ValidateReport]) {
        func sum(_ sides: [ValidateSide]) -> ValidateSide {
            ValidateSide(orders: sides.reduce(0) { $0 + $1.orders }, fills: sides.reduce(0) { $0 + $1.fills },
                         filledShares: sides.reduce(0) { $0 + $1.filledShares }, pnl: sides.reduce(0) { $0 + $1.pnl })
        }
        seeds = reports.map {
            Seed(seed: $0.seed, backtest: $0.backtest, backtestDraws: $0.backtestDraws, paper: $0.paper, paperAgain: $0.paperAgain,
                 orderFillAgreement: $0.agreement.orderFillAgreement, filledSharesDiff: $0.agreement.filledSharesDiff,
                 pnlDiff: $0.agreement.pnlDiff, paperVsPaperFilledSharesDiff: $0.paperVsPaper?.filledSharesDiff)
        }
        backtest = sum(reports.map(\.backtest))
        paper = sum(reports.map(\.paper))
        let again = reports.compactMap(\.paperAgain)
        paperAgain = again.count == reports.count ? sum(again) : nil
        filledSharesDiff = ValidateCommand.relative(backtest.filledShares, paper.filledShares)
        pnlDiff = ValidateCommand.relative(backtest.pnl, paper.pnl)
        ordersDiff = ValidateCommand.relative(backtest.orders, paper.orders)
        let first = paper
        paperVsPaperFilledSharesDiff = paperAgain.map { ValidateCommand.relative($0.filledShares, first.filledShares) }
        paperVsPaperPnlDiff = paperAgain.map { ValidateCommand.relative($0.pnl, first.pnl) }
        let d = reports.map(\.agreement.filledSharesDiff)
        let mean = d.reduce(0, +) / Double(max(d.count, 1))
        filledSharesDiffMean = mean
        filledSharesDiffStdev = Self.stdev(d)
        let reference = reports.map { r in r.paperAgain.map { (r.paper.pnl + $0.pnl) / 2 } ?? r.paper.pnl }
        // The backtest's PnL per day: its draws' mean where there are several.
        let backtestPnl = reports.map { r in r.backtestDraws.map { $0.reduce(0) { $0 + $1.pnl } / Double(max($0.count, 1)) } ?? r.backtest.pnl }
        let gaps = zip(backtestPnl, reference).map { $0 - $1 }
        let drawCounts = Set(reports.map { $0.backtestDraws?.count ?? 1 })
        let k = drawCounts.count == 1 ? drawCounts.first! : 0
        let drawTotals: [Double]? = k > 1 ? (0..<k).map { i in reports.reduce(0) { $0 + $1.backtestDraws![i].pnl } } : nil
        let total = gaps.reduce(0, +), referenceTotal = reference.reduce(0, +)
        let gapStdev = Self.stdev(gaps)
        let floor = reports.compactMap { r in r.paperAgain.map { $0.pnl - r.paper.pnl } }
        pnlGap = PnLGap(reference: paperAgain != nil ? "paper mean" : "paper", days: gaps.count, totalUSD: total,
                        totalDiff: referenceTotal == 0 ? 0 : total / abs(referenceTotal),
                        perDayMeanUSD: gaps.isEmpty ? 0 : total / Double(gaps.count), perDayStdevUSD: gapStdev,
                        totalStandardErrorUSD: gapStdev * Double(gaps.count).squareRoot(),
                        daysBacktestLower: gaps.filter { $0 < 0 }.count,
                        paperVsPaperPerDayStdevUSD: floor.count == reports.count && floor.count > 1 ? Self.stdev(floor) : nil,
                        backtest: drawCounts == [1] ? "one draw" : k > 1 ? "mean of \(k) latency draws" : "mean of each day's latency draws",
                        drawTotalsUSD: drawTotals, drawTotalStdevUSD: drawTotals.map(Self.stdev))
    }

    /// Sample standard deviation (0 for fewer than two values).
    static func stdev(_ v: [Double]) -> Double {
        TCAStatistic.sampleVariance(v, mean: v.reduce(0, +) / Double(max(v.count, 1))).squareRoot()
    }

    func printText() {
        print("validate: \(seeds.count) seeds (\(seeds.map { String($0.seed) }.joined(separator: ", "))), totals")
        print(backtest.row("backtest"))
        print(paper.row("paper"))
        if let paperAgain { print(paperAgain.row("paper 2")) }
        print(String(format: "  backtest vs paper: filled shares %+.1f%% (per seed %+.1f%% +- %.1f%%), orders %+.1f%%, PnL %+.1f%%",
                     filledSharesDiff * 100, filledSharesDiffMean * 100, filledSharesDiffStdev * 100, ordersDiff * 100, pnlDiff * 100))
        if let f = paperVsPaperFilledSharesDiff, let p = paperVsPaperPnlDiff {
            print(String(format: "  paper vs paper: filled shares %+.1f%%, PnL %+.1f%%", f * 100, p * 100))
        }
        let g = pnlGap
        print("  PnL against the \(g.reference): " + String(format: "%+.2f USD (%+.1f%%), per day %+.2f +- %.2f USD, standard error of the total %.2f USD; lower on %d of %d days",
                     g.totalUSD, g.totalDiff * 100, g.perDayMeanUSD, g.perDayStdevUSD, g.totalStandardErrorUSD, g.daysBacktestLower, g.days))
        if let f = g.paperVsPaperPerDayStdevUSD { print(String(format: "  paper vs paper per day: +- %.2f USD", f)) }
        if let t = g.drawTotalsUSD, let sd = g.drawTotalStdevUSD {
            print("  backtest: \(g.backtest); the total by draw " + t.map { String(format: "%.2f", $0) }.joined(separator: ", ")
                  + String(format: " USD (+- %.2f USD)", sd))
        }
        for s in seeds {
            print(String(format: "  seed %llu: filled shares %+.1f%%, PnL %.2f vs %.2f USD, order-by-order %.1f%%", s.seed, s.filledSharesDiff * 100,
                         s.backtest.pnl, s.paper.pnl, s.orderFillAgreement * 100))
        }
    }
}

enum ValidateLatencies: String, ExpressibleByArgument, CaseIterable, Sendable {
    case trace, traces, empirical
}

struct VenueLag: Encodable {
    var packets = 0
    var p50Ns: UInt64 = 0
    var p99Ns: UInt64 = 0
    var maxNs: UInt64 = 0
    /// Share of the packets sent more than a millisecond behind the venue's clock.
    var overOneMs = 0.0
}

extension VenueLag {
    /// The summary of each packet's lag (`ValidateCommand.venueLagByMessage`).
    init(_ late: [UInt64]) {
        guard !late.isEmpty else {
            self.init()
            return
        }
        let v = late.sorted()
        self.init(packets: v.count, p50Ns: v[v.count / 2], p99Ns: v[min(v.count - 1, v.count * 99 / 100)], maxNs: v[v.count - 1],
                  overOneMs: Double(v.filter { $0 > 1_000_000 }.count) / Double(v.count))
    }
}

struct ValidateSide: Encodable {
    /// Orders placed: new orders and replacements.
    var orders: Int
    var fills: Int
    var filledShares: Int
    var pnl: Double
}

extension ValidateSide {
    /// One line of the text report.
    func row(_ name: String) -> String {
        "  \(name.padding(toLength: 9, withPad: " ", startingAt: 0)) orders \(orders)  fills \(fills)  filled shares \(filledShares)  PnL \(String(format: "%.2f", pnl)) USD"
    }

    /// A paper run's, from its report.
    init(_ r: DemoReport) {
        self.init(orders: Int(r.orders + r.replaces), fills: Int(r.fills), filledShares: Int(r.filledShares), pnl: r.pnl)
    }
}

struct ValidateAgreement: Encodable {
    /// Of all orders either run placed, the share both placed and both filled or both did not.
    var orderFillAgreement: Double = 0
    /// Of the orders both runs placed, the share filled in both or in neither: the fill model
    /// alone, the decisions' divergence left out.
    var pairedFillAgreement: Double = 0
    /// (backtest - paper) / paper.
    var filledSharesDiff: Double = 0
    var pnlDiff: Double = 0
    var paperOrders = 0
    var backtestOrders = 0
    /// Pairs on the very same trigger (the same venue time).
    var sameTrigger = 0
    var bothFilled = 0
    var neitherFilled = 0
    var filledInPaperOnly = 0
    var filledInBacktestOnly = 0
    var placedInPaperOnly = 0
    var placedInBacktestOnly = 0
    /// Each diverging stock's first disagreement, by kind (the causes), and how many followed.
    var firstDivergenceByKind: [String: Int] = [:]
    var stocksDiverged = 0
    var disagreementsAfterFirst = 0
    /// Venue time of the earliest divergence (ns since midnight).
    var firstDivergenceNs: UInt64?
}

struct ValidateReport: Encodable {
    var seed: UInt64
    var seconds: Double
    var rate: Double
    var symbols: Int
    var strategy: String
    var traded: Int
    var reaction: String
    var flowStartNs: UInt64
    var backtest: ValidateSide
    /// With --backtest-draws K > 1: every draw's (the first is `backtest`).
    var backtestDraws: [ValidateSide]?
    var paper: ValidateSide
    var replay: ValidateSide
    var agreement: ValidateAgreement
    /// The paper run's latencies (medians), which the backtest took.
    var latenciesNs: [String: UInt64]
    /// How the backtest took them: trace (moment by moment) or empirical (drawn at random),
    /// and the traces' points.
    var latencyModel: String
    var tracePoints: [String: Int]
    /// The backtest's day ends here (venue time, ns since midnight): the paper run's last decision.
    var dayUntilNs: UInt64
    var backtestFillCauses: [String: UInt64]
    var paperFeedGaps: UInt64
    var paperRiskRejects: UInt64
    /// How far the paper venue's feed fell behind its clock (`ValidateCommand.venueLag`).
    var paperVenueLag: VenueLag
    /// With --paper-twice: the second paper run, and its agreement with the first (in the
    /// agreement's terms, the second run in the backtest's place).
    var paperAgain: ValidateSide?
    var paperVsPaper: ValidateAgreement?
    var files: [String: String]

    func printText() {
        print("validate: \(strategy) on \(traded) of \(symbols) stocks, seed \(seed), \(Int(seconds)) s at \(Int(rate)) events/s, flow reaction \(reaction)")
        print(backtest.row("backtest"))
        if let d = backtestDraws {
            print("  backtest, PnL by latency draw: " + d.map { String(format: "%.2f", $0.pnl) }.joined(separator: ", ")
                  + String(format: " USD (mean %.2f)", d.reduce(0) { $0 + $1.pnl } / Double(d.count)))
        }
        print(paper.row("paper"))
        print(replay.row("replay"))
        let a = agreement
        print(String(format: "  agreement: order-by-order fills %.1f%% (of the orders both placed: %.1f%%), filled shares %+.1f%%, PnL %+.1f%%",
                     a.orderFillAgreement * 100, a.pairedFillAgreement * 100, a.filledSharesDiff * 100, a.pnlDiff * 100))
        print("    both filled \(a.bothFilled), neither \(a.neitherFilled), filled in paper only \(a.filledInPaperOnly), in backtest only \(a.filledInBacktestOnly), placed in paper only \(a.placedInPaperOnly), in backtest only \(a.placedInBacktestOnly)")
        print("    first divergence per stock (\(a.stocksDiverged) stocks): \(a.firstDivergenceByKind.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")); \(a.disagreementsAfterFirst) disagreements after them")
        if let f = paperVsPaper, let again = paperAgain {
            print(again.row("paper 2"))
            print(String(format: "  paper vs paper: order-by-order fills %.1f%% (of the orders both placed: %.1f%%), filled shares %+.1f%%, PnL %+.1f%%",
                         f.orderFillAgreement * 100, f.pairedFillAgreement * 100, f.filledSharesDiff * 100, f.pnlDiff * 100))
        }
        let l = paperVenueLag
        print(String(format: "  paper venue behind its clock: p50 %.0f us, p99 %.1f ms, max %.1f ms; %.1f%% of packets over 1 ms", Double(l.p50Ns) / 1e3,
                     Double(l.p99Ns) / 1e6, Double(l.maxNs) / 1e6, l.overOneMs * 100))
        print("  files: \(files["report"] ?? "")")
    }
}
