// `tickwire backtest FILE`: a strategy as it runs live (the engine, the gateway, pre-trade risk)
// against an exchange model over the recorded day's L3 book (Sources/Backtest), with a queue
// model and three latency models. Input: an ITCH 5.0 BinaryFILE or a pcap capture of MoldUDP64
// (decoded through the live feed handler's session first). Prints what the strategy did and
// earned; `--fills-out` and `--decisions-out` write the per-fill and per-order records.
import ArgumentParser
import Appliance
import Backtest
import Capture
import CShims
import Foundation
import ITCHBook
import MarketData
import OrderEntry
import Risk
import Strategy
import TCA
import TickwireCore

struct BacktestCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backtest",
        abstract: "Backtest a strategy on an ITCH file or a MoldUDP64 capture: the live engine, gateway and risk against an L3 exchange model.",
        discussion: """
        The strategy, the book path, the gateway (OUCH 4.2 over SoupBinTCP) and pre-trade risk are \
        the live ones; the venue is a model over the recorded book: our orders join the back of \
        their price level's FIFO queue when they reach it, executions of orders behind ours (or \
        through our price) fill us, marketable orders take the displayed book at arrival. \
        Latencies: feed (venue stamp -> our decision), order entry (our send -> venue), response \
        (venue -> us); a constant (20us) or empirical:FILE (ns per line, drawn at random, seeded).
        """
    )

    @Argument(help: "An ITCH 5.0 BinaryFILE, or a pcap/pcapng capture of MoldUDP64.")
    var file: String

    @OptionGroup var strategyOptions: StrategyOptions

    @Option(name: .customLong("offset-ticks"), help: "With --strategy fixed: how many ticks behind the touch its quotes rest (0: at the touch).")
    var offsetTicks: Int64 = 0

    @Flag(name: .customLong("most-active"), help: "Trade the --traded stocks with the most order messages in the file (a real day's locates 1...N are arbitrary stocks), not locates 1...N.")
    var mostActive = false

    @Option(name: .customLong("queue-model"), help: "l3 (FIFO by order identity), prob-power:N or prob-log (level sizes only). Default: l3, or prob-power:2 with --iex.")
    var queueModel: String?

    @Flag(help: "The file is a pcap (.gz too) of IEX-TP: DEEP price levels (or TOPS quotes) and trades, backtested through their translation into ITCH orders (IEXToITCH) with a probabilistic queue model.")
    var iex = false

    @Option(name: .customLong("iex-port"), help: "With --iex: only this UDP port.")
    var iexPort: UInt16?

    @Option(name: .customLong("feed-latency"), help: "Venue timestamp -> our decision: e.g. 20us, empirical:FILE (values drawn at random) or trace:FILE (venue time and latency per line: the latency as it was at each moment).")
    var feedLatency: String = "20us"

    @Option(name: .customLong("entry-latency"), help: "Our send -> the venue acting on it.")
    var entryLatency: String = "15us"

    @Option(name: .customLong("response-latency"), help: "The venue's answer -> our receipt.")
    var responseLatency: String = "15us"

    @Option(name: .customLong("venue-delay"), help: "The venue's own lag: a recorded message stamped t is handled (matched, published) at t + this, our orders meeting the flow where it stands then; e.g. trace:FILE from a run whose venue fell behind its clock (validate writes one). Default 0: a venue that keeps its clock.")
    var venueDelay: String = "0"
    @Option(name: .customLong("own-feed-delay"), help: "How long after its answer to our order the venue's feed publishes what the order did (its add, replace, cancel, the executions it took): a venue whose order entry answers before its feed (validate measures the paper venue's, 20us at the median). Default 0: both at once.")
    var ownFeedDelay: String = "0"
    @Option(name: .customLong("fill-feed-delay"), help: "How long before it publishes a recorded event the venue answers the fills of our resting orders the event made (validate measures the paper venue's, 35-65us at the median): the answers leave that much before the publication, out of --venue-delay, and the publication waits for the rest. Default 0: both at once.")
    var fillFeedDelay: String = "0"

    @Option(help: "Seed of the empirical latency draws.")
    var seed: UInt64 = 1

    @Option(name: .customLong("hidden-prints"), help: "What an ITCH P does to our resting orders: through (a print below our bid / above our ask fills us), at-price (also at our price), ignore (the simulator's synthetic prints).")
    var hiddenPrints: String = "through"

    @Option(name: .customLong("through-fills"), help: "all: a recorded execution fills every order of ours priced better than it (price priority); from-touch: only ours no better than the recorded book's own touch (hftbacktest's L3 rule, for comparing with it).")
    var throughFills: String = "all"

    @Flag(name: .customLong("no-displacement"), help: "A recorded execution that fills ours also executes the recorded order in full (the day as it was, our fills on top, as hftbacktest's L3 model); by default the recorded order keeps what the aggressor gave us first.")
    var noDisplacement = false

    @Option(name: .customLong("consumed-liquidity"), help: "Where a recorded execution goes when the order it names is gone or short because our orders took its shares earlier: walk (on through the book, as a market order: the simulator's flow), at-price (what rests at that order's price or better), drop (lost with the order).")
    var consumedLiquidity: String = "walk"

    @Option(name: .customLong("feed-a"), help: "Capture input: line A group:port.")
    var feedA: String = FeedAddress.defaultA.description

    @Option(name: .customLong("feed-b"), help: "Capture input: line B group:port.")
    var feedB: String = FeedAddress.defaultB.description

    @Option(name: .customLong("max-orders"), help: "Live orders the books preallocate for (default: sized from the day: its live orders at their peak, bounded from above, and room for ours).")
    var maxOrders: Int?

    @Option(name: .customLong("fills-out"), help: "Write one CSV row per fill here.")
    var fillsOut: String?

    @Option(name: .customLong("decisions-out"), help: "Write one CSV row per order sent (new, replace, cancel) here.")
    var decisionsOut: String?

    @Option(name: .customLong("feed-out"), help: "Write the feed the engine heard (the recorded day with our orders in it, as the venue published it) as an ITCH BinaryFILE: tickwire tca --feed reads it.")
    var feedOut: String?

    @Option(name: .customLong("tca-out"), help: "Run the transaction cost analysis on the fills and write its files into this folder (as tickwire tca).")
    var tcaOut: String?

    @Option(help: "With --tca-out: fees per share in dollars by liquidity (negative: a rebate).")
    var fees: String = "add=-0.0020,remove=0.0030"

    @Flag(help: "Print the summary as one line of JSON.")
    var json = false

    func run() throws {
        let report = try execute()
        if json {
            printJSON(report)
        } else {
            report.printText()
        }
    }

    /// The backtest, its files written; the report.
    func execute() throws -> BacktestReport {
        guard FileManager.default.fileExists(atPath: file) else { throw fail("no such file: \(file)") }
        let queueModel = self.queueModel ?? (iex ? "prob-power:2" : "l3")
        guard let qm = QueueModel(name: queueModel) else {
            throw ValidationError("--queue-model is l3, prob-power:N (0...16) or prob-log, not \(queueModel)")
        }
        if iex, qm == .l3FIFO {
            throw ValidationError("an IEX feed has no order identity (its levels become orders of the translation's making): --queue-model prob-power:N or prob-log")
        }
        var conf = BacktestConfiguration()
        do {
            conf.venue.latencies = BacktestLatencies(feed: FeedLatency(try LatencyModel.parse(feedLatency, seed: seed)),
                                                     entry: OrderEntryLatency(try LatencyModel.parse(entryLatency, seed: seed &+ 1)),
                                                     response: ResponseLatency(try LatencyModel.parse(responseLatency, seed: seed &+ 2)),
                                                     venue: VenueDelay(try LatencyModel.parse(venueDelay, seed: seed &+ 3)),
                                                     own: OwnFeedDelay(try LatencyModel.parse(ownFeedDelay, seed: seed &+ 4)),
                                                     fill: FillFeedDelay(try LatencyModel.parse(fillFeedDelay, seed: seed &+ 5)))
        } catch {
            throw ValidationError("\(error)")
        }
        conf.venue.queueModel = qm
        guard let hp = HiddenPrintPolicy(rawValue: hiddenPrints) else { throw ValidationError("--hidden-prints is ignore, through or at-price") }
        conf.venue.hiddenPrints = hp
        conf.venue.displaceRecordedExecutions = !noDisplacement
        guard let cl = ConsumedLiquidity(rawValue: consumedLiquidity) else { throw ValidationError("--consumed-liquidity is walk, at-price or drop") }
        conf.venue.consumedLiquidity = cl
        guard throughFills == "all" || throughFills == "from-touch" else { throw ValidationError("--through-fills is all or from-touch") }
        conf.venue.throughFillsBetterThanTouch = throughFills == "all"
        if let maxOrders { guard TradingSetup.maxOrdersRange.contains(maxOrders) else { throw ValidationError("--max-orders must be in [1000, 64e6]") } }

        let input = iex ? try BacktestInput.loadIEX(path: file, port: iexPort) : try BacktestInput.load(path: file, feedA: feedA, feedB: feedB)
        guard input.messages > 0 else { throw fail("\(file): no ITCH messages in it") }
        // The books hold at most the day's live orders plus ours: sized from the day (an upper
        // bound on its live orders at their peak), not for the largest day there is.
        let sized = maxOrders ?? input.ordersBound
        conf.venue.maxOrders = sized
        conf.engineMaxOrders = sized
        conf.venue.peakOrders = input.peakLiveBound
        conf.peakOrders = input.peakLiveBound
        // `--strategy fixed`: the fixed-offset market maker for comparing backtesters (no models;
        // risk's limits are the market maker's).
        let fixed = strategyOptions.strategy == "fixed"
        var spec: StrategySpec
        if fixed {
            spec = StrategySpec(kind: .marketMaker, traded: strategyOptions.traded, maxPosition: strategyOptions.maxPosition, models: nil)
            try spec.validate(symbols: input.symbols.count - 1)
        } else {
            spec = try strategyOptions.spec(symbols: input.symbols.count - 1)
        }
        if mostActive {
            let ranked = input.activity.enumerated().filter { $0.offset > 0 && $0.element > 0 }.sorted { ($1.element, $0.offset) < ($0.element, $1.offset) }
            spec.locates = ranked.prefix(spec.traded).map { StockLocate(rawValue: UInt16($0.offset)) }.sorted { $0.rawValue < $1.rawValue }
            guard spec.locates?.isEmpty == false else { throw fail("\(file): no stock has an order message") }
        }
        var report: BacktestReport
        if fixed {
            guard offsetTicks >= 0, offsetTicks <= 100 else { throw ValidationError("--offset-ticks must be in [0, 100]") }
            report = try runBacktest(FixedOffsetMaker(symbols: spec.tradedLocates, maxLocates: input.symbols.count, offsetTicks: offsetTicks,
                                                      maxPosition: spec.maxPosition), spec: spec, input: input, configuration: conf)
            report.strategy = "fixed"
        } else {
        switch spec.kind {
        case .marketMaker:
            report = try runBacktest(spec.marketMaker(symbols: input.symbols.count - 1), spec: spec, input: input, configuration: conf)
        case .taker:
            report = try runBacktest(spec.taker(symbols: input.symbols.count - 1), spec: spec, input: input, configuration: conf)
        }
        }
        return report
    }

    func runBacktest<S: Strategy>(_ strategy: S, spec: StrategySpec, input: BacktestInput, configuration: BacktestConfiguration) throws -> BacktestReport {
        var conf = configuration
        conf.maxLocates = input.symbols.count
        conf.venue.maxLocates = input.symbols.count
        let risk = try RiskEngine(limits: spec.limits, maxLocates: input.symbols.count)
        // The decision log is kept only for what reads it (a 5 M-message day logs ~300,000
        // decisions, holds included: an array grown and copied inside the timed walk).
        let b = try Backtester(strategy: strategy, risk: risk, symbols: input.symbols, configuration: conf,
                               keepDecisions: decisionsOut != nil || tcaOut != nil)
        b.keepFeed = feedOut != nil || tcaOut != nil
        let started = tw_clock_monotonic_raw_ns()
        input.bytes.withUnsafeBytes { raw in
            var walker = ITCHFileWalker(raw, framing: input.framing)
            var seq: UInt64 = 0
            b.onRecorded(walking: &walker, sequence: &seq)
        }
        b.finish()
        let elapsed = tw_clock_monotonic_raw_ns() - started
        if let fillsOut { try writeFills(b, to: fillsOut) }
        if let decisionsOut { try writeDecisions(b, to: decisionsOut) }
        if let feedOut {
            do { try Data(b.feedSeen).write(to: URL(fileURLWithPath: feedOut)) } catch { throw fail("cannot write \(feedOut): \(error)") }
        }
        var tca: TCAReport?
        if let tcaOut {
            guard let schedule = FeeSchedule(fees) else { throw ValidationError("--fees is add=D,remove=D (dollars per share)") }
            var tc = TCAConfiguration()
            tc.fees = schedule
            let fills = b.venue.fills.map { f in
                TCAFill(time: f.time, orderID: f.orderID, ref: f.ref, locate: f.locate, side: f.side, shares: f.shares, price: f.price.rawValue, liquidity: f.liquidity)
            }
            let c = b.engine.counters
            let byOrder = TCAInput.decisions(b.decisions.map { ($0.orderID, $0.actionName, $0.reasonName, $0.regimeName) }).byOrder
            let input = TCAInput(feed: b.feedSeen, fills: fills, counts: TCAOrderCounts(orders: Int(c.ordersSent), replaces: Int(c.replacesSent), cancels: Int(c.cancelsSent)),
                                 names: TCAInput.directoryNames(b.feedSeen), decisions: byOrder)
            let result = try runTCA(input, configuration: tc)
            try TCAOutput.write(result, to: tcaOut)
            tca = result.report
        }
        var report = BacktestReport(backtester: b, input: input, file: file, queueModel: conf.venue.queueModel.description, elapsedNs: elapsed, spec: spec)
        report.tca = tca
        return report
    }

    func writeFills<S: Strategy>(_ b: Backtester<S>, to path: String) throws {
        var s = "time_ns,order_id,locate,symbol,side,shares,price,liquidity,joined_ns,ahead_at_entry,ahead_at_fill,match,ref,cause,trigger_ref\n"
        for f in b.venue.fills {
            s += "\(f.time),\(f.orderID),\(f.locate.rawValue),\(Int(f.locate.rawValue) < b.gateway.symbols.count ? b.gateway.symbols[Int(f.locate.rawValue)].description.trimmingCharacters(in: .whitespaces) : "?"),\(f.side == .buy ? "B" : "S"),\(f.shares),"
            s += "\(f.price.rawValue),\(Character(Unicode.Scalar(f.liquidity))),\(f.joinedAt),\(f.aheadAtEntry),\(f.aheadAtFill),\(f.match),\(f.ref),"
            s += "\(f.cause.rawValue),\(f.trigger)\n"
        }
        do { try s.write(toFile: path, atomically: true, encoding: .utf8) } catch { throw fail("cannot write \(path): \(error)") }
    }

    func writeDecisions<S: Strategy>(_ b: Backtester<S>, to path: String) throws {
        var s = "feed_time_ns,sent_ns,order_id,locate,side,action,shares,price,reason,regime\n"
        for d in b.decisions {
            s += "\(d.feedTime),\(d.sentAt),\(d.orderID),\(d.locate),\(d.side == 0 ? "" : String(Character(Unicode.Scalar(d.side)))),\(d.actionName),"
            s += "\(d.shares),\(d.price),\(d.reasonName),\(d.regimeName)\n"
        }
        do { try s.write(toFile: path, atomically: true, encoding: .utf8) } catch { throw fail("cannot write \(path): \(error)") }
    }
}

/// The recorded day, in memory as an ITCH BinaryFILE (a capture's in-sequence messages are
/// framed the same way), with the stock names its directory gives each locate.
struct BacktestInput {
    var bytes: [UInt8]
    var framing: ITCHFileWalker.Framing
    var messages: Int
    /// Locate -> OUCH stock name (index 0 unused); as many as the highest locate seen.
    var symbols: [Alpha8]
    var kind: String
    /// Order messages (add, execute, cancel, delete, replace) per locate.
    var activity: [Int] = []
    /// Capture input: messages lost on both lines (the session gave them up; no re-requests here).
    var unrecovered: UInt64 = 0
    /// IEX input: what the translation into ITCH did.
    var iex: IEXTranslationCounters?
    /// The most recorded orders live at once, bounded from above (`peakLiveOrders`).
    var peakLiveBound = 0

    /// What a book of this day must hold: the peak bound, and room for our own orders and those
    /// in flight (65,536), a power of two; at least 2^16, at most 2^26.
    var ordersBound: Int { bookCapacity(peakLive: peakLiveBound) }

    /// An IEX-TP capture translated into ITCH order messages (`IEXToITCH`): its levels as orders,
    /// its trades as executions of them or as hidden prints.
    static func loadIEX(path: String, port: UInt16?) throws -> BacktestInput {
        var book = IEXDeepBook()
        var translator = IEXToITCH()
        let stats: IEXReplayStats
        do { stats = try IEXReplay.replayIEX(pcapPath: path, port: port, book: &book, handler: &translator) } catch { throw fail("\(path): \(error)") }
        translator.finish()
        guard stats.messages > 0 else { throw fail("\(path): no IEX-TP messages in it\(port.map { " on port \($0)" } ?? "")") }
        let bytes = translator.bytes
        var input = try fromBytes(bytes, framing: .lengthPrefixed, kind: "iex", unrecovered: stats.gaps)
        input.iex = translator.counters
        return input
    }

    static func load(path: String, feedA: String, feedB: String) throws -> BacktestInput {
        let kind = try InputKind.detect(path: path)
        var bytes: [UInt8]
        var framing = ITCHFileWalker.Framing.auto
        var unrecovered: UInt64 = 0
        switch kind {
        case .itchFile:
            do { bytes = try ITCHFile.load(path: path) } catch { throw fail("\(error)") }
            framing = bytes.withUnsafeBytes { ITCHFileWalker.detect($0) }
        case .capture:
            guard let a = FeedAddress(feedA), let b = FeedAddress(feedB) else {
                throw ValidationError("--feed-a/--feed-b take IP:PORT, e.g. 233.54.12.111:26477")
            }
            (bytes, unrecovered) = try decodeCapture(path: path, lineA: a, lineB: b)
            framing = .lengthPrefixed
        }
        return try fromBytes(bytes, framing: framing, kind: kind == .itchFile ? "itch" : "capture", unrecovered: unrecovered)
    }

    /// The day's messages in memory: the stock names and each stock's order activity.
    static func fromBytes(_ bytes: [UInt8], framing: ITCHFileWalker.Framing, kind: String, unrecovered: UInt64) throws -> BacktestInput {
        // The directory's names, and the highest locate any message uses.
        var names: [Int: Alpha8] = [:]
        var maxLocate = 0
        var count = 0
        var activity = [Int](repeating: 0, count: 65_536)
        bytes.withUnsafeBytes { raw in
            var w = ITCHFileWalker(raw, framing: framing)
            while let m = w.next() {
                count += 1
                guard m.count >= 3 else { continue }
                let l = Int(m[1]) << 8 | Int(m[2])
                maxLocate = max(maxLocate, l)
                switch m[0] {
                case UInt8(ascii: "A"), UInt8(ascii: "F"), UInt8(ascii: "E"), UInt8(ascii: "C"), UInt8(ascii: "X"), UInt8(ascii: "D"), UInt8(ascii: "U"):
                    activity[l] += 1
                default: break
                }
                if m[0] == UInt8(ascii: "R"), m.count >= 19 {
                    let s = String(decoding: UnsafeRawBufferPointer(rebasing: m[11..<19]), as: UTF8.self).trimmingCharacters(in: .whitespaces)
                    if let a = Alpha8(s) { names[l] = a }
                } else if m[0] == UInt8(ascii: "A") || m[0] == UInt8(ascii: "F"), m.count >= 32, names[l] == nil {
                    // A day joined after its directory (a snippet): the adds name their stock.
                    let s = String(decoding: UnsafeRawBufferPointer(rebasing: m[24..<32]), as: UTF8.self).trimmingCharacters(in: .whitespaces)
                    if let a = Alpha8(s) { names[l] = a }
                }
            }
        }
        var symbols: [Alpha8] = [.blank]
        if maxLocate >= 1 {
            for l in 1...maxLocate {
                symbols.append(names[l] ?? Alpha8(SyntheticDay.symbol(locate: l).description) ?? .blank)
            }
        }
        var input = BacktestInput(bytes: bytes, framing: framing, messages: count, symbols: symbols, kind: kind,
                                  activity: Array(activity.prefix(maxLocate + 1)), unrecovered: unrecovered)
        input.peakLiveBound = bytes.withUnsafeBytes { peakLiveOrders($0, framing: framing) }
        return input
    }

    /// A MoldUDP64 capture through the live feed handler's session (A/B arbitration, in
    /// sequence), its messages framed as a BinaryFILE (2-byte length prefix).
    static func decodeCapture(path: String, lineA: FeedAddress, lineB: FeedAddress) throws -> ([UInt8], UInt64) {
        final class Sink { var bytes: [UInt8] = [] }
        struct Collect: MoldUDP64Consumer {
            let sink: Sink
            mutating func onMessage(_ message: UnsafeRawBufferPointer, sequence: UInt64) {
                sink.bytes.append(UInt8(truncatingIfNeeded: message.count >> 8))
                sink.bytes.append(UInt8(truncatingIfNeeded: message.count))
                sink.bytes.append(contentsOf: message)
            }
        }
        let sink = Sink()
        let feed: MoldFeedHandler<Collect, NoRecovery>
        do { feed = try replayMoldCapture(path, lineA: lineA, lineB: lineB, consumer: Collect(sink: sink)) } catch { throw fail("\(error)") }
        return (sink.bytes, feed.session.counters.unrecoveredMessages)
    }
}

struct BacktestReport: Encodable {
    var file: String
    var input: String
    var strategy: String
    var traded: Int
    /// The stocks traded, by name.
    var tradedStocks: [String]
    var queueModel: String
    var latencies: [String: String]
    var messages: UInt64
    var msgsPerSec: Double
    var elapsedS: Double
    var venueSeconds: Double
    var orders: UInt64
    var replaces: UInt64
    var cancels: UInt64
    var riskRejects: UInt64
    var refused: UInt64
    var fills: UInt64
    var filledShares: UInt64
    var passiveFills: UInt64
    var aggressiveFills: UInt64
    var fillCauses: [String: UInt64]
    /// Market guard trips by guard (as the live run's report): the strategy quotes wider or not
    /// at all while one is tripped.
    var guardTrips: [String: UInt64]
    var pnl: Double
    var realizedPnl: Double
    var openOrdersAtEnd: Int
    var killSwitch: String?
    var unrecoveredMessages: UInt64
    /// Recorded timestamps past midnight (applied at the last good time) or going back.
    var timesOutOfDay: UInt64
    var timesBack: UInt64
    var venue: BacktestVenueCounters
    /// Live orders each book (the venue's, the engine's) was made for: `--max-orders`, or sized
    /// from the day.
    var bookCapacity: Int
    /// With --iex: the translation's counts (levels added, executions, cancels, hidden prints).
    var iexTranslation: IEXTranslationCounters?
    /// With --tca-out: the analysis's summary (as tickwire tca prints it).
    var tca: TCAReport?
    /// The strategy's model counters (adaptations, holds, toxic fills, regime), as the live
    /// run's report has them; empty without models.
    var models: [String: String]

    init<S: Strategy>(backtester b: Backtester<S>, input: BacktestInput, file: String, queueModel: String, elapsedNs: Int64, spec: StrategySpec) {
        self.file = file
        self.input = input.kind
        strategy = spec.kind.rawValue
        traded = spec.traded
        tradedStocks = spec.tradedLocates.map { l in
            Int(l.rawValue) < input.symbols.count ? input.symbols[Int(l.rawValue)].description.trimmingCharacters(in: .whitespaces) : "?"
        }
        self.queueModel = queueModel
        let l = b.configuration.venue.latencies
        latencies = ["feed": l.feed.model.description, "entry": l.entry.model.description, "response": l.response.model.description,
                     "venue_delay": l.venue.model.description]
        messages = b.recordedMessages
        elapsedS = Double(elapsedNs) / 1e9
        msgsPerSec = (Double(messages) / max(elapsedS, 1e-9)).rounded()
        venueSeconds = Double(b.lastTime &- b.firstTime) / 1e9
        let c = b.engine.counters
        orders = c.ordersSent
        replaces = c.replacesSent
        cancels = b.gateway.counters.cancelsSent
        riskRejects = c.riskRejects
        refused = c.refused
        fills = c.fills
        filledShares = c.filledShares
        let v = b.venue.counters
        passiveFills = v.passiveFills
        aggressiveFills = v.aggressiveFills
        fillCauses = ["behind": v.fillsBehind, "through": v.fillsThrough, "crossing_add": v.fillsByCrossingAdd,
                      "hidden_print": v.fillsByHiddenPrint, "estimate": v.fillsByEstimate, "own_order": v.selfTrades, "took": v.aggressiveFills,
                      "rerouted": v.fillsRerouted]
        var trips: [String: UInt64] = [:]
        for g in MarketGuard.allCases where b.risk.tripCount(g) > 0 { trips["\(g)"] = b.risk.tripCount(g) }
        guardTrips = trips
        pnl = Double(b.risk.positions.totalPnL) / 10_000
        realizedPnl = Double(b.risk.positions.totalRealized) / 10_000
        openOrdersAtEnd = b.openOrders
        killSwitch = b.risk.killReason.map { "\($0)" }
        unrecoveredMessages = input.unrecovered
        timesOutOfDay = b.timesOutOfDay
        timesBack = b.timesBack
        venue = v
        models = b.strategy.modelSummary()
        iexTranslation = input.iex
        bookCapacity = b.configuration.venue.maxOrders
    }

    func printText() {
        print("backtest \(file) (\(input)): \(strategy) on \(traded) stocks, queue model \(queueModel)")
        print("  messages   \(messages) in \(String(format: "%.2f", elapsedS)) s (\(String(format: "%.2f", msgsPerSec / 1e6)) M msgs/s), \(String(format: "%.1f", venueSeconds)) s of venue time")
        print("  latencies  feed \(latencies["feed"] ?? ""), entry \(latencies["entry"] ?? ""), response \(latencies["response"] ?? "")")
        print("  orders     \(orders) new, \(replaces) replaces, \(cancels) cancels; \(riskRejects) risk rejects")
        print("  fills      \(fills) (\(filledShares) shares): \(passiveFills) passive, \(aggressiveFills) took liquidity")
        print("  PnL        \(String(format: "%.2f", pnl)) USD (realized \(String(format: "%.2f", realizedPnl)))")
        if let killSwitch { print("  kill switch: \(killSwitch)") }
        if unrecoveredMessages > 0 { print("  warning: \(unrecoveredMessages) messages lost on both lines of the capture (the books of their stocks may be wrong)") }
    }
}

/// The most orders live at once in a day of ITCH, bounded from above: every added reference
/// (A, F, the new one of a U) counts until a delete or replace names it (an order executed or
/// cancelled in full without one still counts; one named but never added, as in a day joined
/// late, changes nothing).
func peakLiveOrders(_ raw: UnsafeRawBufferPointer, framing: ITCHFileWalker.Framing) -> Int {
    var w = ITCHFileWalker(raw, framing: framing)
    var live = RefSet()
    var peak = 0
    @inline(__always) func ref(_ m: UnsafeRawBufferPointer, _ at: Int) -> UInt64 {
        m.loadUnaligned(fromByteOffset: at, as: UInt64.self).bigEndian
    }
    while let m = w.next() {
        guard m.count >= 19 else { continue }
        switch m[0] {
        case UInt8(ascii: "A"), UInt8(ascii: "F"):
            live.insert(ref(m, 11))
            peak = max(peak, live.count)
        case UInt8(ascii: "D"):
            live.remove(ref(m, 11))
        case UInt8(ascii: "U"):
            guard m.count >= 27 else { continue }
            live.remove(ref(m, 11))
            live.insert(ref(m, 19))
            peak = max(peak, live.count)
        default:
            continue
        }
    }
    return peak
}

/// A book's capacity for a day whose live orders peak at `peakLive`: room for ours and those in
/// flight too (65,536), a power of two, at least 2^16 and at most 2^26.
func bookCapacity(peakLive: Int) -> Int {
    let need = peakLive + (1 << 16)
    var n = 1 << 16
    while n < need, n < 1 << 26 { n <<= 1 }
    return n
}

/// A backtest decision's codes by name, as the live decision log writes them.
extension BacktestDecision {
    var actionName: String { DecisionRecord.actionNames[Int(min(action, 3))] }
    var reasonName: String { (DecisionReason(rawValue: reason) ?? .rule).description }
    var regimeName: String { DecisionRecord.regimeName(regime) }
}
