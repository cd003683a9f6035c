// `tickwire tca`: transaction cost analysis (Sources/TCA) of a live run or of a backtest, the
// same analysis and the same report for both:
//   --capture C               a run's capture (the demo's capture.pcap): the feed from its
//                             MoldUDP64 packets, our fills from the OUCH session in it
//   --feed F --fills F.csv    a backtest's --feed-out and --fills-out (and --decisions-out for
//                             the order counts)
// `tickwire backtest --tca-out DIR` runs the same analysis in process.
import Appliance
import ArgumentParser
import Capture
import CShims
import Foundation
import MarketData
import OrderEntry
import Packets
import TCA
import TickwireCore

struct TCACommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tca",
        abstract: "Transaction cost analysis of a run's capture or of a backtest's records: markouts, spreads, queue positions, PnL decomposition.",
        discussion: """
        Writes summary.json, fills.csv (one row per fill: arrival mid, the mid and markout at each \
        horizon, queue position at entry and at fill, fee), pnl.csv and two PNGs: markouts.png \
        (markout per share at 100 ms, 1 s, 5 s, 30 s with 95% bands, by liquidity) and pnl.png \
        (spread capture, inventory, fees and total over the day).
        """
    )

    @Option(help: "A run's capture (pcap): the MoldUDP64 feed and the OUCH 4.2 session.")
    var capture: String?

    @Option(help: "The feed the engine saw, an ITCH BinaryFILE (tickwire backtest --feed-out).")
    var feed: String?

    @Option(help: "A backtest's fills (tickwire backtest --fills-out).")
    var fills: String?

    @Option(help: "The run's decision log (a live run's decisions.csv, or tickwire backtest --decisions-out): fills by decision and by regime; for a backtest also the order counts.")
    var decisions: String?

    @Option(name: .customLong("order-entry-port"), help: "Capture: the venue's SoupBinTCP port.")
    var orderEntryPort: UInt16 = 26500

    @Option(name: .customLong("feed-a"), help: "Capture: line A group:port.")
    var feedA: String = FeedAddress.defaultA.description

    @Option(name: .customLong("feed-b"), help: "Capture: line B group:port.")
    var feedB: String = FeedAddress.defaultB.description

    @Option(help: "Fees per share in dollars by liquidity (negative: a rebate).")
    var fees: String = "add=-0.0020,remove=0.0030"

    @Option(help: "Folder for summary.json, fills.csv, pnl.csv and the PNGs.")
    var out: String?

    @Flag(help: "Print the summary as one line of JSON.")
    var json = false

    func run() throws {
        guard let schedule = FeeSchedule(fees) else { throw ValidationError("--fees is add=D,remove=D (dollars per share)") }
        var conf = TCAConfiguration()
        conf.fees = schedule
        let input: TCAInput
        if let capture {
            guard feed == nil, fills == nil else { throw ValidationError("give --capture, or --feed with --fills, not both") }
            for f in [capture] + (decisions.map { [$0] } ?? []) where !FileManager.default.fileExists(atPath: f) { throw fail("no such file: \(f)") }
            guard let a = FeedAddress(feedA), let b = FeedAddress(feedB) else { throw ValidationError("--feed-a/--feed-b take IP:PORT") }
            var i = try TCAInput.fromCapture(capture, orderEntryPort: orderEntryPort, lineA: a, lineB: b)
            if let decisions { i.decisions = try TCAInput.decisionLog(decisions).byOrder }
            input = i
        } else {
            guard let feed, let fills else { throw ValidationError("give --capture, or --feed with --fills") }
            for f in [feed, fills] + (decisions.map { [$0] } ?? []) where !FileManager.default.fileExists(atPath: f) {
                throw fail("no such file: \(f)")
            }
            input = try TCAInput.fromBacktest(feed: feed, fills: fills, decisions: decisions)
        }
        let result = try runTCA(input, configuration: conf)
        if let out { try TCAOutput.write(result, to: out) }
        if json {
            printJSON(result.report)
        } else {
            TCAOutput.printText(result.report)
            if let out { print("  wrote \(out)/summary.json, fills.csv, pnl.csv, markouts.png, pnl.png") }
        }
    }
}

/// What the analysis needs, wherever it came from.
struct TCAInput {
    /// The feed as an ITCH BinaryFILE (length-prefixed).
    var feed: [UInt8]
    var fills: [TCAFill]
    var counts: TCAOrderCounts
    /// Locate -> name, from the feed's directory.
    var names: [Int: String] = [:]
    /// Order ID -> the decision behind it (from a decision log; empty without one).
    var decisions: [UInt32: TCAOrderDecision] = [:]

    /// A decision log, live (`decisions.csv`) or a backtest's (`--decisions-out`): the columns
    /// are found by name. Per order: why it was placed (its new or replace line), "held" once a
    /// `hold` line kept it, and the regime when it was placed. Logs written before the reason
    /// and regime columns give "unknown".
    static func decisionLog(_ path: String) throws -> (byOrder: [UInt32: TCAOrderDecision], counts: TCAOrderCounts) {
        guard let text = TextFile.readWhole(path) else { throw fail("cannot read \(path)") }
        var lines = text.split(separator: "\n")
        guard let header = lines.first?.split(separator: ",").map(String.init),
              let ci = header.firstIndex(of: "order_id"), let ca = header.firstIndex(of: "action") else {
            throw fail("\(path): not a decision log (no order_id and action columns)")
        }
        lines.removeFirst()
        let cr = header.firstIndex(of: "reason"), cg = header.firstIndex(of: "regime")
        return decisions(lines.map { line in
            let f = line.split(separator: ",", omittingEmptySubsequences: false)
            guard f.count == header.count, let id = UInt32(f[ci]) else { return nil }
            return (id, String(f[ca]), cr.map { String(f[$0]) } ?? "unknown", cg.map { String(f[$0]) } ?? "unknown")
        })
    }

    /// Per order, from (order id, action, reason, regime) in log order (nil: an unreadable line).
    static func decisions(_ rows: [(UInt32, String, String, String)?]) -> (byOrder: [UInt32: TCAOrderDecision], counts: TCAOrderCounts) {
        var out: [UInt32: TCAOrderDecision] = [:]
        var counts = TCAOrderCounts()
        for case let (id, action, reason, regime)? in rows {
            switch action {
            case "new", "replace":
                out[id] = TCAOrderDecision(reason: reason, regime: regime)
                if action == "new" { counts.orders += 1 } else { counts.replaces += 1 }
            case "hold":
                out[id, default: TCAOrderDecision(reason: "held", regime: regime)].reason = "held"
            case "cancel":
                counts.cancels += 1
            default:
                break
            }
        }
        return (out, counts)
    }

    /// A backtest's records: its feed (--feed-out), fills (--fills-out), decisions.
    static func fromBacktest(feed: String, fills: String, decisions: String?) throws -> TCAInput {
        let bytes: [UInt8]
        do { bytes = try ITCHFile.load(path: feed) } catch { throw fail("\(error)") }
        guard let text = TextFile.readWhole(fills) else { throw fail("cannot read \(fills)") }
        var lines = text.split(separator: "\n")
        guard let header = lines.first?.split(separator: ",").map(String.init) else { throw fail("\(fills): empty") }
        lines.removeFirst()
        func col(_ name: String) throws -> Int {
            guard let i = header.firstIndex(of: name) else { throw fail("\(fills): no column \(name) (a file of tickwire backtest --fills-out)") }
            return i
        }
        let (ct, co, cl, cs, csh, cp, cq, cr) = (try col("time_ns"), try col("order_id"), try col("locate"), try col("side"), try col("shares"),
                                                 try col("price"), try col("liquidity"), try col("ref"))
        var out: [TCAFill] = []
        for (n, line) in lines.enumerated() {
            let f = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            guard f.count == header.count, let t = UInt64(f[ct]), let o = UInt32(f[co]), let l = UInt16(f[cl]), let sh = UInt32(f[csh]),
                  let p = Int64(f[cp]), let r = UInt64(f[cr]), f[cs] == "B" || f[cs] == "S", f[cq] == "A" || f[cq] == "R" else {
                throw fail("\(fills):\(n + 2): not a fill row")
            }
            out.append(TCAFill(time: t, orderID: o, ref: r, locate: StockLocate(rawValue: l), side: f[cs] == "B" ? .buy : .sell, shares: sh,
                               price: p, liquidity: f[cq] == "A" ? UInt8(ascii: "A") : UInt8(ascii: "R")))
        }
        var counts = TCAOrderCounts()
        var byOrder: [UInt32: TCAOrderDecision] = [:]
        if let decisions { (byOrder, counts) = try decisionLog(decisions) }
        return TCAInput(feed: bytes, fills: out, counts: counts, names: directoryNames(bytes), decisions: byOrder)
    }

    /// A run's capture: the MoldUDP64 feed through the live session (A/B), and the OUCH 4.2
    /// session both ways: orders, replaces and cancels out; acceptances (the venue's reference
    /// of each order), replacements and executions in.
    static func fromCapture(_ path: String, orderEntryPort: UInt16, lineA: FeedAddress, lineB: FeedAddress) throws -> TCAInput {
        let (feed, _) = try BacktestInput.decodeCapture(path: path, lineA: lineA, lineB: lineB)
        guard !feed.isEmpty else {
            throw fail("\(path): no MoldUDP64 packets to \(lineA) or \(lineB) (give the feed's lines with --feed-a and --feed-b)")
        }
        let names = directoryNames(feed)
        var locateOf: [String: StockLocate] = [:]
        for (l, n) in names { locateOf[n] = StockLocate(rawValue: UInt16(l)) }
        struct Order { var locate: StockLocate; var side: Side; var ref: UInt64 }
        var byToken: [Alpha14: Order] = [:]
        var fills: [TCAFill] = []
        var counts = TCAOrderCounts()
        var streams: [WireToWire.StreamKey: WireToWire.Stream] = [:]
        let reader: PcapReader
        do { reader = try PcapReader(path: path) } catch { throw fail("\(error)") }
        var p = tw_pkt()
        var holes = 0
        do {
            while try reader.next(&p) {
                let frame = UnsafeRawBufferPointer(start: p.data, count: Int(p.len))
                guard let eth = EthernetView(frame), eth.etherType == 0x0800, let ip = IPv4View(eth.payload), !ip.isFragment, ip.ipProtocol == 6 else { continue }
                let l4 = ip.payload
                guard l4.count >= 20 else { continue }
                let sport = UInt16(l4[0]) << 8 | UInt16(l4[1]), dport = UInt16(l4[2]) << 8 | UInt16(l4[3])
                guard sport == orderEntryPort || dport == orderEntryPort else { continue }
                let fromVenue = sport == orderEntryPort
                let seq = UInt32(l4[4]) << 24 | UInt32(l4[5]) << 16 | UInt32(l4[6]) << 8 | UInt32(l4[7])
                let dataOffset = Int(l4[12] >> 4) * 4
                guard dataOffset >= 20, dataOffset <= l4.count else { continue }
                let key = WireToWire.StreamKey(source: ip.source.value, sourcePort: sport, destination: ip.destination.value)
                if l4[13] & 0x02 != 0 {
                    streams[key] = WireToWire.Stream(next: seq &+ 1, fromServer: fromVenue)
                    continue
                }
                let payload = UnsafeRawBufferPointer(rebasing: l4[dataOffset...])
                guard !payload.isEmpty else { continue }
                let st = streams[key] ?? WireToWire.Stream(next: seq, fromServer: fromVenue)
                streams[key] = st
                st.append(payload, seq: seq, holes: &holes) { type, body in
                    if !fromVenue {
                        guard type == UInt8(ascii: "U"), case .success(let m) = OUCH42.decodeInbound(body) else { return }
                        switch m {
                        case .enterOrder: counts.orders += 1
                        case .replaceOrder: counts.replaces += 1
                        case .cancelOrder: counts.cancels += 1
                        case .modifyOrder: break
                        }
                        return
                    }
                    guard type == UInt8(ascii: "S"), case .success(let m) = OUCH42.decodeOutbound(body) else { return }
                    switch m {
                    case .accepted(let v):
                        let a = v.message
                        guard let side = a.side.bookSide, let l = locateOf[a.stock.description.trimmingCharacters(in: .whitespaces)] else { return }
                        byToken[a.orderToken] = Order(locate: l, side: side, ref: a.orderReferenceNumber.rawValue)
                    case .replaced(let v):
                        let r = v.message
                        guard let o = byToken[r.previousOrderToken] else { return }
                        byToken[r.replacementOrderToken] = Order(locate: o.locate, side: o.side, ref: r.orderReferenceNumber.rawValue)
                    case .executed(let v):
                        let e = v.message
                        guard let o = byToken[e.orderToken] else { return }
                        fills.append(TCAFill(time: e.timestamp.nanosSinceMidnight, orderID: OrderTokens.orderNumber(e.orderToken) ?? 0, ref: o.ref,
                                             locate: o.locate, side: o.side, shares: e.executedShares.rawValue, price: e.executionPrice.rawValue,
                                             liquidity: e.liquidityFlag.rawValue == UInt8(ascii: "R") ? UInt8(ascii: "R") : UInt8(ascii: "A")))
                    default:
                        return
                    }
                }
            }
        } catch {
            throw fail("\(path): \(error)")
        }
        if holes > 0 { FileHandle.standardError.write(Data("tickwire: \(holes) bytes of the order session missing from the capture: fills after them are not seen\n".utf8)) }
        return TCAInput(feed: feed, fills: fills, counts: counts, names: names)
    }

    /// Locate -> stock name from the Stock Directory messages of a BinaryFILE.
    static func directoryNames(_ bytes: [UInt8]) -> [Int: String] {
        var names: [Int: String] = [:]
        bytes.withUnsafeBytes { raw in
            var w = ITCHFileWalker(raw, framing: .lengthPrefixed)
            while let m = w.next() {
                guard m.count >= 19, m[0] == UInt8(ascii: "R") else { continue }
                names[Int(m[1]) << 8 | Int(m[2])] = String(decoding: UnsafeRawBufferPointer(rebasing: m[11..<19]), as: UTF8.self).trimmingCharacters(in: .whitespaces)
            }
        }
        return names
    }
}

struct TCAResult {
    var report: TCAReport
    var rows: [TCAFillRow]
    var pnl: [TCAPnLPoint]
    var names: [Int: String]
    var horizons: [UInt64]
    var decisions: [UInt32: TCAOrderDecision] = [:]
}

func runTCA(_ input: TCAInput, configuration: TCAConfiguration) throws -> TCAResult {
    var configuration = configuration
    // The analysis's book holds the feed's live orders: sized from the feed, not for any day.
    let peak = input.feed.withUnsafeBytes { peakLiveOrders($0, framing: .lengthPrefixed) }
    configuration.maxOrders = min(configuration.maxOrders, bookCapacity(peakLive: peak))
    configuration.peakOrders = peak
    let tca: TCA
    do { tca = try TCA(fills: input.fills, counts: input.counts, decisions: input.decisions, configuration: configuration) } catch { throw fail("\(error)") }
    input.feed.withUnsafeBytes { raw in
        var w = ITCHFileWalker(raw, framing: .lengthPrefixed)
        var seq: UInt64 = 0
        while let m = w.next() {
            seq &+= 1
            tca.onMessage(m, sequence: seq)
        }
    }
    let names = input.names
    let r = tca.finish(symbol: { names[Int($0.rawValue)] ?? "L\($0.rawValue)" })
    return TCAResult(report: r.report, rows: r.rows, pnl: r.pnl, names: names, horizons: configuration.horizons, decisions: input.decisions)
}

enum TCAOutput {
    static func printText(_ r: TCAReport) {
        print("TCA: \(r.fills) fills (\(r.filledShares) shares; \(r.passiveFills) added, \(r.aggressiveFills) took) of \(r.counts.orders) orders, \(r.counts.replaces) replaces, \(r.counts.cancels) cancels")
        print(String(format: "  fill ratio %.3f, cancel ratio %.3f, replace ratio %.3f", r.fillRatio, r.cancelRatio, r.replaceRatio))
        for m in r.markouts {
            print(String(format: "  markout %7.0f ms: %+.3f ticks/share (±%.3f), %+.2f USD%@", m.horizonMs, m.ticks.mean, m.ticks.ci95, m.usd,
                         m.pastEnd > 0 ? " (\(m.pastEnd) past the feed's end)" : ""))
        }
        print(String(format: "  effective spread %+.3f ticks; take slippage %+.3f ticks; queue ahead at entry %.0f shares, at fill %.0f; %.1f ms in queue",
                     r.effectiveSpreadTicks.mean, r.takeSlippageTicks.mean, r.aheadAtEntryShares.mean, r.aheadAtFillShares.mean, r.timeInQueueMs.mean))
        print(String(format: "  PnL %.2f USD = spread %.2f + inventory %.2f + fees %.2f", r.pnl.pnlUsd, r.pnl.spreadUsd, r.pnl.inventoryUsd, r.pnl.feesUsd))
        for (title, table) in [("decision", r.byDecision), ("regime", r.byRegime)] where !table.isEmpty {
            for (k, g) in table.sorted(by: { $0.key < $1.key }) {
                let mk = g.markoutTicks.map { String(format: "%+.3f", $0) }.joined(separator: " ")
                let name = k.padding(toLength: max(k.count, 8), withPad: " ", startingAt: 0)
                print("  by \(title) \(name) \(g.fills) fills, \(g.shares) shares; " + String(format: "spread %+.2f, fees %+.2f USD; ", g.spreadUsd, g.feesUsd)
                      + "markouts \(mk) ticks/share")
            }
        }
    }

    static func write(_ res: TCAResult, to dir: String) throws {
        do { try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true) } catch { throw fail("cannot create \(dir): \(error)") }
        let enc = JSONEncoder()
        enc.keyEncodingStrategy = .convertToSnakeCase
        enc.outputFormatting = [.sortedKeys, .prettyPrinted]
        let hs = res.horizons.map { "\($0 / 1_000_000)ms" }
        var csv = "time_ns,order_id,ref,locate,symbol,side,shares,price,liquidity,arrival_mid," + hs.map { "mid_\($0)" }.joined(separator: ",") + ","
            + hs.map { "markout_ticks_\($0)" }.joined(separator: ",") + ",ahead_at_entry,ahead_at_fill,joined_ns,fee,decision,regime\n"
        for r in res.rows {
            let f = r.fill
            let s: Double = f.side == .buy ? 1 : -1
            var line = "\(f.time),\(f.orderID),\(f.ref),\(f.locate.rawValue),\(res.names[Int(f.locate.rawValue)] ?? ""),\(f.side == .buy ? "B" : "S"),\(f.shares),\(f.price),"
            line += "\(Character(Unicode.Scalar(f.liquidity))),\(r.arrivalMid),"
            line += r.mids.map { "\($0)" }.joined(separator: ",") + ","
            line += r.mids.map { String(format: "%.4f", s * ($0 - Double(f.price)) / 100) }.joined(separator: ",") + ","
            let d = res.decisions[f.orderID]
            line += "\(r.aheadAtEntry.map(String.init) ?? ""),\(r.aheadAtFill.map(String.init) ?? ""),\(r.joinedAt.map(String.init) ?? ""),\(r.fee),"
            line += "\(d?.reason ?? ""),\(d?.regime ?? "")\n"
            csv += line
        }
        var pnl = "time_ns,spread_usd,inventory_usd,fees_usd,total_usd\n"
        for p in res.pnl { pnl += "\(p.time),\(p.spread),\(p.inventory),\(p.fees),\(p.total)\n" }
        do {
            try enc.encode(res.report).write(to: URL(fileURLWithPath: dir + "/summary.json"))
            try csv.write(toFile: dir + "/fills.csv", atomically: true, encoding: .utf8)
            try pnl.write(toFile: dir + "/pnl.csv", atomically: true, encoding: .utf8)
        } catch { throw fail("cannot write into \(dir): \(error)") }
        charts(res, dir: dir)
    }

    /// markouts.png and pnl.png (gnuplot; none, said on stderr, when it is missing).
    static func charts(_ res: TCAResult, dir: String) {
        guard !res.rows.isEmpty else {
            // Nothing to draw (gnuplot refuses a plot without points): said, not failed.
            FileHandle.standardError.write(Data("tickwire: no fills: no charts\n".utf8))
            return
        }
        guard Subprocess.run(["gnuplot", "--version"]).0 == 0 else {
            FileHandle.standardError.write(Data("tickwire: gnuplot is not installed: no PNG (make deps installs gnuplot-nox)\n".utf8))
            return
        }
        // Markout curves: all fills, then by liquidity, mean and 95% band per horizon.
        var dat = "# horizon_ms all all_ci added added_ci took took_ci\n"
        func stats(_ rows: [TCAFillRow], _ h: Int) -> (Double, Double) {
            let v = rows.map { r -> Double in
                let s: Double = r.fill.side == .buy ? 1 : -1
                return s * (r.mids[h] - Double(r.fill.price)) / 100
            }.filter { !$0.isNaN }
            guard !v.isEmpty else { return (.nan, .nan) }
            let m = v.reduce(0, +) / Double(v.count)
            let sd = v.count > 1 ? (v.reduce(0) { $0 + ($1 - m) * ($1 - m) } / Double(v.count - 1)).squareRoot() : 0
            return (m, 1.96 * sd / Double(v.count).squareRoot())
        }
        let added = res.rows.filter { $0.fill.liquidity != UInt8(ascii: "R") }, took = res.rows.filter { $0.fill.liquidity == UInt8(ascii: "R") }
        for (h, ns) in res.horizons.enumerated() {
            let a = stats(res.rows, h), b = stats(added, h), c = stats(took, h)
            dat += "\(Double(ns) / 1e6) \(a.0) \(a.1) \(b.0) \(b.1) \(c.0) \(c.1)\n"
        }
        let mdat = dir + "/markouts.dat", pdat = dir + "/pnl.csv"
        try? dat.write(toFile: mdat, atomically: true, encoding: .utf8)
        let script = """
        set terminal png size 1000,600 noenhanced
        set output '\(dir)/markouts.png'
        set title 'Markout per share after each fill (95% band), ticks; positive: the market moved our way'
        set logscale x
        set xlabel 'horizon (ms)'
        set ylabel 'ticks per share'
        set grid
        set key outside right
        plot '\(mdat)' using 1:2:3 with yerrorlines lw 2 title 'all fills', \\
             '\(mdat)' using 1:4:5 with yerrorlines title 'added liquidity', \\
             '\(mdat)' using 1:6:7 with yerrorlines title 'took liquidity'
        set output '\(dir)/pnl.png'
        unset logscale x
        set datafile separator ','
        set title 'PnL over the day, decomposed (USD)'
        set xlabel 'venue time (s since midnight)'
        set ylabel 'USD'
        plot '\(pdat)' using ($1/1e9):2 with lines lw 2 title 'spread capture', \\
             '' using ($1/1e9):3 with lines lw 2 title 'inventory', \\
             '' using ($1/1e9):4 with lines lw 2 title 'fees and rebates', \\
             '' using ($1/1e9):5 with lines lw 3 lc rgb 'black' title 'total'
        """
        let gp = dir + "/tca.gp"
        try? script.write(toFile: gp, atomically: true, encoding: .utf8)
        let (rc, err) = Subprocess.run(["gnuplot", gp])
        if rc != 0 { FileHandle.standardError.write(Data("tickwire: gnuplot failed: \(err)\n".utf8)) }
    }
}
