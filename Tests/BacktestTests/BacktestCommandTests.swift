import Exchange
import Foundation
import MarketData
import TestSupport
import Testing
import TickwireCore

enum CLI {
    static var binary: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent(".build/debug/tickwire").path
    }
    static func temp(_ name: String) -> String {
        scratchDirectory("tw-backtest").appendingPathComponent(name).path
    }
    /// Runs tickwire; its exit status, stdout and stderr.
    static func run(_ args: [String]) throws -> (status: Int32, out: String, err: String) {
        let r = try runProcess(binary, args)
        return (r.status, r.stdoutText, r.stderrText)
    }
    static func json(_ args: [String]) throws -> [String: Any] {
        let r = try run(args)
        #expect(r.status == 0, "\(args): \(r.err)")
        return try JSONSerialization.jsonObject(with: Data(r.out.utf8)) as? [String: Any] ?? [:]
    }
}

@Suite(.serialized) struct BacktestCommandTests {
    static let day: String = {
        let path = CLI.temp("day.itch")
        _ = try? CLI.run(["gen", "itch", "--messages", "200000", "--rate", "50000", "--stocks", "60", "--out", path])
        return path
    }()

    /// The contract: the keys, on a simulated day, with the market maker at the demo's settings.
    @Test func backtestPrintsTheContractKeysAndWritesItsRecords() throws {
        let fills = CLI.temp("fills.csv"), decisions = CLI.temp("decisions.csv")
        let j = try CLI.json(["backtest", Self.day, "--strategy", "mm", "--traded", "20", "--json", "--fills-out", fills, "--decisions-out", decisions])
        for k in ["messages", "msgs_per_sec", "orders", "fills", "filled_shares", "pnl"] { #expect(j[k] != nil, "\(k)") }
        #expect(j["messages"] as? Int == 200_000)
        let nFills = j["fills"] as? Int ?? 0
        #expect(nFills > 10)
        #expect((j["orders"] as? Int ?? 0) > 10)
        #expect((j["filled_shares"] as? Int ?? 0) >= nFills)
        #expect(j["kill_switch"] == nil)
        let rows = try String(contentsOfFile: fills, encoding: .utf8).split(separator: "\n")
        #expect(rows.count == nFills + 1)
        #expect(rows.first?.hasPrefix("time_ns,order_id,locate,symbol,side,shares,price,liquidity") == true)
        let d = try String(contentsOfFile: decisions, encoding: .utf8).split(separator: "\n")
        #expect(d.count > (j["orders"] as? Int ?? 0))
        // The fixed-offset market maker (for comparing backtesters) cancels and enters again, never
        // replaces.
        let f = try CLI.json(["backtest", Self.day, "--strategy", "fixed", "--traded", "1", "--offset-ticks", "1", "--json"])
        #expect(f["strategy"] as? String == "fixed")
        #expect((f["orders"] as? Int ?? 0) > 10 && f["replaces"] as? Int == 0 && (f["cancels"] as? Int ?? 0) > 0)
        // The taker and the probabilistic model run too.
        let t = try CLI.json(["backtest", Self.day, "--strategy", "taker", "--traded", "20", "--queue-model", "prob-power:2", "--json"])
        #expect(t["messages"] as? Int == 200_000)
        #expect(t["queue_model"] as? String == "prob-power:2")
    }

    /// A MoldUDP64 capture of a day on two lossy lines backtests exactly as the same messages in
    /// a BinaryFILE: the capture goes through the live feed handler's A/B session first.
    @Test func aCaptureAndItsBinaryFileBacktestTheSame() throws {
        let cap = CLI.temp("ab.pcap"), file = CLI.temp("ab.itch")
        // Line A loses 5% of its packets, line B none but it duplicates and reorders: the A/B
        // session must rebuild the whole day from the two.
        let lines = [FaultyLine(line: .a, destination: .defaultA, faults: LineFaults(loss: 0.05), seed: 3),
                     FaultyLine(line: .b, destination: .defaultB, faults: LineFaults(duplicate: 0.02, reorder: 0.02), seed: 4)]
        let day = try LossyFeedCapture(path: cap, symbols: 20, seed: 5, steps: 60_000, lines: lines)
        var bytes: [UInt8] = []
        day.store.forEachMessage { m in
            bytes.append(UInt8(m.count >> 8))
            bytes.append(UInt8(m.count & 0xFF))
            bytes.append(contentsOf: m)
        }
        try Data(bytes).write(to: URL(fileURLWithPath: file))
        let a = try CLI.json(["backtest", cap, "--strategy", "mm", "--traded", "10", "--models", "none", "--json"])
        let b = try CLI.json(["backtest", file, "--strategy", "mm", "--traded", "10", "--models", "none", "--json"])
        #expect(a["input"] as? String == "capture")
        #expect(a["unrecovered_messages"] as? Int == 0)
        #expect(a["messages"] as? Int == day.store.count)
        for k in ["messages", "orders", "replaces", "cancels", "fills", "filled_shares", "pnl"] {
            #expect("\(a[k] ?? "-")" == "\(b[k] ?? "-")", "\(k)")
        }
        #expect((a["fills"] as? Int ?? 0) > 0)
    }

    /// Wrong input gets a clear error, never a trap.
    @Test func badInputIsRefusedClearly() throws {
        let missing = try CLI.run(["backtest", CLI.temp("nope.itch")])
        #expect(missing.status == 1 && missing.err.contains("no such file"))
        let badModel = try CLI.run(["backtest", Self.day, "--queue-model", "fifo-ish"])
        #expect(badModel.status != 0 && badModel.err.contains("--queue-model"))
        let badLatency = try CLI.run(["backtest", Self.day, "--feed-latency", "fast"])
        #expect(badLatency.status != 0 && badLatency.err.contains("not a latency"))
        let noSamples = CLI.temp("empty.txt")
        try "# nothing\n".write(toFile: noSamples, atomically: true, encoding: .utf8)
        let emptyEmpirical = try CLI.run(["backtest", Self.day, "--entry-latency", "empirical:\(noSamples)"])
        #expect(emptyEmpirical.status != 0 && emptyEmpirical.err.contains("no latencies"))
        // Garbage, and a day cut in the middle of a message: decoded as far as it goes.
        let junk = CLI.temp("junk.itch")
        var rng = SystemRandomNumberGenerator()
        try Data((0..<100_000).map { _ in UInt8.random(in: 0...255, using: &rng) }).write(to: URL(fileURLWithPath: junk))
        let j = try CLI.run(["backtest", junk, "--json"])
        #expect(j.status == 0 || j.status == 1, "\(j.err)")
        let cut = CLI.temp("cut.itch")
        let whole = try Data(contentsOf: URL(fileURLWithPath: Self.day))
        try whole.prefix(whole.count / 2 + 7).write(to: URL(fileURLWithPath: cut))
        let c = try CLI.json(["backtest", cut, "--strategy", "mm", "--traded", "20", "--json"])
        #expect((c["messages"] as? Int ?? 0) > 50_000)
        // Empirical latencies from a file.
        let samples = CLI.temp("lat.txt")
        try "12000\n15000\n40000\n".write(toFile: samples, atomically: true, encoding: .utf8)
        let e = try CLI.json(["backtest", Self.day, "--entry-latency", "empirical:\(samples)", "--json"])
        #expect((e["latencies"] as? [String: String])?["entry"]?.hasPrefix("empirical (3 values") == true)
    }

    /// The `trace:` latency model: a one-point trace is a constant: the same backtest, byte for byte in its report, as the
    /// constant model of that value. Files that do not parse are refused by line.
    @Test func aOnePointTraceIsTheConstant() throws {
        let day = Self.day
        let trace = CLI.temp("one.trace"), entry = CLI.temp("entry.trace")
        try "# venue_time_ns latency_ns\n0 250000\n".write(toFile: trace, atomically: true, encoding: .utf8)
        try "0 40000\n".write(toFile: entry, atomically: true, encoding: .utf8)
        let a = try CLI.json(["backtest", day, "--strategy", "mm", "--traded", "20", "--feed-latency", "250us", "--entry-latency", "40us", "--json"])
        let b = try CLI.json(["backtest", day, "--strategy", "mm", "--traded", "20", "--feed-latency", "trace:\(trace)",
                              "--entry-latency", "trace:\(entry)", "--json"])
        for k in ["orders", "replaces", "cancels", "fills", "filled_shares", "pnl"] {
            #expect("\(a[k] ?? "-")" == "\(b[k] ?? "-")", "\(k)")
        }
        #expect((a["fills"] as? Int ?? 0) > 0)
        #expect((b["latencies"] as? [String: String])?["feed"]?.hasPrefix("trace (1 points") == true)
        let back = CLI.temp("back.trace")
        try "20 5\n10 5\n".write(toFile: back, atomically: true, encoding: .utf8)
        let r = try CLI.run(["backtest", day, "--feed-latency", "trace:\(back)"])
        #expect(r.status != 0 && r.err.contains("back.trace:2: the time goes back"))
        let bad = CLI.temp("bad.trace")
        try "10\n".write(toFile: bad, atomically: true, encoding: .utf8)
        let r2 = try CLI.run(["backtest", day, "--feed-latency", "trace:\(bad)"])
        #expect(r2.status != 0 && r2.err.contains("bad.trace:1: not 'venue_time_ns latency_ns'"))
    }

    /// A venue that runs a constant time behind its clock (`--venue-delay`) handles and
    /// publishes every message that much later, and our orders meet the flow there: the whole
    /// time line shifts, stamps included, and nothing the strategy decides changes. (A venue
    /// that falls behind only in bursts, a trace, is what changes the answer.)
    @Test func aConstantVenueDelayShiftsTheTimeLineOnly() throws {
        let da = CLI.temp("delay0.csv"), db = CLI.temp("delay300.csv"), ta = CLI.temp("delay0-tca"), tb = CLI.temp("delay300-tca")
        let a = try CLI.json(["backtest", Self.day, "--strategy", "mm", "--traded", "20", "--json", "--decisions-out", da, "--tca-out", ta])
        let b = try CLI.json(["backtest", Self.day, "--strategy", "mm", "--traded", "20", "--venue-delay", "300us", "--json", "--decisions-out", db,
                              "--tca-out", tb])
        // The fills' times are on the feed's clock, as the venue stamps them: the same TCA (an
        // arrival mid taken after the fill's own messages would show here).
        let summaryA = try String(contentsOfFile: ta + "/summary.json", encoding: .utf8), summaryB = try String(contentsOfFile: tb + "/summary.json", encoding: .utf8)
        #expect(summaryA == summaryB, "the TCA of the shifted run")
        // The same decisions on the same triggers, each sent 300 us later on the venue's clock.
        func firstDecision(_ path: String) throws -> (feed: Int, sent: Int) {
            let row = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n")[1].split(separator: ",")
            return (Int(row[0]) ?? 0, Int(row[1]) ?? 0)
        }
        let (fa, sa) = try firstDecision(da), (fb, sb) = try firstDecision(db)
        #expect(fa == fb && sb - sa == 300_000, "first decision: trigger \(fa) vs \(fb), sent \(sa) vs \(sb)")
        for k in ["orders", "replaces", "cancels", "fills", "filled_shares", "pnl"] {
            #expect("\(a[k] ?? "-")" == "\(b[k] ?? "-")", "\(k)")
        }
        #expect(a["fill_causes"] as? [String: Int] == b["fill_causes"] as? [String: Int])
        #expect((a["fills"] as? Int ?? 0) > 0)
        #expect((b["latencies"] as? [String: String])?["venue_delay"] == "constant 300000 ns")
        let bad = try CLI.run(["backtest", Self.day, "--venue-delay", "soon"])
        #expect(bad.status != 0 && bad.err.contains("not a latency"))
    }

    /// The analysis of a backtest in process (--tca-out) and from its records (tickwire tca
    /// --feed --fills --decisions) is one code path: the same summary, byte for byte, and PNGs.
    @Test func tcaInProcessAndFromTheRecordsAgree() throws {
        let dir = CLI.temp("tca-a"), dir2 = CLI.temp("tca-b")
        let feed = CLI.temp("tca.feed"), fills = CLI.temp("tca.fills"), decisions = CLI.temp("tca.decisions")
        let j = try CLI.json(["backtest", Self.day, "--strategy", "mm", "--traded", "20", "--tca-out", dir, "--feed-out", feed,
                              "--fills-out", fills, "--decisions-out", decisions, "--json"])
        let tca = try #require(j["tca"] as? [String: Any])
        #expect(tca["fills"] as? Int == j["fills"] as? Int)
        let pnl = try #require(tca["pnl"] as? [String: Any])
        // The decomposition adds up, and before fees it is the backtest's own mark-to-market PnL.
        let spread = pnl["spread_usd"] as? Double ?? .nan, inventory = pnl["inventory_usd"] as? Double ?? .nan
        let fees = pnl["fees_usd"] as? Double ?? .nan, total = pnl["pnl_usd"] as? Double ?? .nan
        #expect(abs(spread + inventory + fees - total) < 1e-6)
        #expect(abs(spread + inventory - (j["pnl"] as? Double ?? .nan)) < 0.01, "\(pnl) vs \(j["pnl"] ?? "")")
        let markouts = try #require(tca["markouts"] as? [[String: Any]])
        #expect(markouts.map { $0["horizon_ms"] as? Double } == [100, 1_000, 5_000, 30_000])
        let r = try CLI.run(["tca", "--feed", feed, "--fills", fills, "--decisions", decisions, "--out", dir2])
        #expect(r.status == 0, "\(r.err)")
        let a = try Data(contentsOf: URL(fileURLWithPath: dir + "/summary.json"))
        let b = try Data(contentsOf: URL(fileURLWithPath: dir2 + "/summary.json"))
        #expect(a == b)
        for f in ["fills.csv", "pnl.csv", "markouts.png", "pnl.png"] {
            #expect(FileManager.default.fileExists(atPath: dir2 + "/" + f), "\(f)")
        }
        let rows = try String(contentsOfFile: dir2 + "/fills.csv", encoding: .utf8).split(separator: "\n")
        #expect(rows.count == (j["fills"] as? Int ?? -1) + 1)
        #expect(rows.first?.hasSuffix(",decision,regime") == true)
        // By decision and by regime: every fill in one group; with the models the market maker
        // holds quotes (a hold line per kept placement, each naming an order placed before it)
        // and widens some.
        let byDecision = try #require(tca["by_decision"] as? [String: [String: Any]])
        let byRegime = try #require(tca["by_regime"] as? [String: [String: Any]])
        #expect(byDecision.values.reduce(0) { $0 + ($1["fills"] as? Int ?? 0) } == j["fills"] as? Int)
        #expect(byRegime.values.reduce(0) { $0 + ($1["fills"] as? Int ?? 0) } == j["fills"] as? Int)
        #expect(Set(byDecision.keys).isSubset(of: ["rule", "widened", "held"]), "\(byDecision.keys)")
        #expect(Set(byRegime.keys).isSubset(of: ["calm", "volatile", "drought"]), "\(byRegime.keys)")
        let log = try String(contentsOfFile: decisions, encoding: .utf8).split(separator: "\n").map { $0.split(separator: ",", omittingEmptySubsequences: false) }
        #expect(log.first?.suffix(2) == ["reason", "regime"])
        var placed = Set<Substring>(), holds = 0, widened = 0
        for f in log.dropFirst() {
            switch f[5] {
            case "new", "replace":
                placed.insert(f[2])
                if f[8] == "widened" { widened += 1 }
            case "hold":
                holds += 1
                #expect(placed.contains(f[2]) && f[8] == "held", "a hold names an order placed before it: \(f)")
            default: break
            }
        }
        let models = try #require(j["models"] as? [String: String])
        #expect(holds > 0 && widened > 0 && holds <= Int(models["holds"] ?? "") ?? 0, "\(holds) hold lines, \(widened) widened, \(models)")
        // No fills: the summary, and no charts (said, not an error).
        let empty = CLI.temp("tca-empty.csv"), dir3 = CLI.temp("tca-c")
        let header = try String(contentsOfFile: fills, encoding: .utf8).split(separator: "\n")[0]
        try (String(header) + "\n").write(toFile: empty, atomically: true, encoding: .utf8)
        let e = try CLI.run(["tca", "--feed", feed, "--fills", empty, "--out", dir3, "--json"])
        #expect(e.status == 0 && e.err.contains("no fills"), "\(e.err)")
        #expect(FileManager.default.fileExists(atPath: dir3 + "/summary.json"))
        // Wrong input: a clear error.
        let bad = try CLI.run(["tca", "--feed", feed, "--fills", decisions])
        #expect(bad.status != 0 && bad.err.contains("no column"))
        let none = try CLI.run(["tca"])
        #expect(none.status != 0 && none.err.contains("--capture"))
    }

    /// The books are sized from the day (its live orders at their peak, and room for ours), not
    /// for the largest day there is: the same backtest as with 4 M orders preallocated.
    @Test func theBooksAreSizedFromTheDay() throws {
        let args = ["backtest", Self.day, "--strategy", "mm", "--traded", "20", "--json"]
        let sized = try CLI.json(args), big = try CLI.json(args + ["--max-orders", "4000000"])
        #expect(sized["book_capacity"] as? Int == 1 << 17, "\(sized["book_capacity"] ?? "")")
        #expect(big["book_capacity"] as? Int == 4_000_000)
        func canon(_ v: Any?) -> String {
            guard let v, let d = try? JSONSerialization.data(withJSONObject: v, options: [.sortedKeys, .fragmentsAllowed]) else { return "nil" }
            return String(decoding: d, as: UTF8.self)
        }
        for k in ["messages", "orders", "replaces", "cancels", "fills", "filled_shares", "pnl", "fill_causes", "guard_trips", "venue"] {
            #expect(canon(sized[k]) == canon(big[k]), "\(k)")
        }
        let snippet = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("shared/data/itch/12302019_SNIPPET.NASDAQ_ITCH50").path
        let s = try CLI.json(["backtest", snippet, "--most-active", "--traded", "5", "--json"])
        #expect(s["book_capacity"] as? Int == 1 << 17 && (s["fills"] as? Int ?? 0) > 0, "\(s["book_capacity"] ?? "")")
    }

    /// Real IEX data (../shared/data): level feeds, backtested through their translation into
    /// ITCH orders with the probabilistic queue model; the L3 model refused.
    @Test func iexCapturesBacktestWithTheProbabilisticModel() throws {
        let data = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("shared/data/iex").path
        let tops = data + "/TOPS16.pcap", deep = data + "/DEEP10.pcap.gz"
        try #require(FileManager.default.fileExists(atPath: tops) && FileManager.default.fileExists(atPath: deep), "real captures not found in \(data)")
        // TOPS: quotes as the top levels; a fixed-offset maker a tick behind the touch on the 5
        // most active stocks fills, some by the model's estimate of the shares ahead, none by
        // order identity.
        for qm in ["prob-power:2", "prob-log"] {
            let j = try CLI.json(["backtest", tops, "--iex", "--most-active", "--traded", "5", "--strategy", "fixed", "--offset-ticks", "1",
                                  "--queue-model", qm, "--json"])
            #expect(j["input"] as? String == "iex" && j["queue_model"] as? String == qm)
            let tr = try #require(j["iex_translation"] as? [String: Any])
            #expect((tr["quote_updates"] as? Int ?? 0) > 20_000 && (tr["executions"] as? Int ?? 0) > 0, "\(tr)")
            let venue = try #require(j["venue"] as? [String: Any])
            #expect(venue["bad_input"] as? Int == 0 && j["times_back"] as? Int == 0, "a well-formed day: \(venue)")
            #expect(j["kill_switch"] == nil, "\(j["kill_switch"] ?? "")")
            let causes = try #require(j["fill_causes"] as? [String: Int])
            #expect(causes["behind"] == 0 && (causes["estimate"] ?? 0) > 0 && (j["fills"] as? Int ?? 0) > 0, "\(causes)")
        }
        // DEEP: IEX's sample book is crossed at the end of most of its events (24,729 of 26,426,
        // counted from the capture): risk's crossed-book kill switch stops the strategy, as it
        // must on a book it cannot trust. The translation itself is checked level by level in
        // IEXToITCHTests.
        let j = try CLI.json(["backtest", deep, "--iex", "--most-active", "--traded", "5", "--strategy", "fixed", "--json"])
        #expect(j["queue_model"] as? String == "prob-power:2", "the default on an IEX feed")
        let tr = try #require(j["iex_translation"] as? [String: Any])
        #expect((tr["level_updates"] as? Int ?? 0) == 27_568 && (tr["clears"] as? Int ?? 0) == 11, "\(tr)")
        #expect(j["kill_switch"] as? String == "crossedBook" && j["times_back"] as? Int == 0)
        let l3 = try CLI.run(["backtest", deep, "--iex", "--queue-model", "l3"])
        #expect(l3.status != 0 && l3.err.contains("no order identity"), "\(l3.err)")
    }

    /// Real NASDAQ data (../shared/data): a snippet joined after the directory, so the stocks
    /// are named by their adds; the most active ones traded; the venue takes every order.
    @Test func aRealNasdaqSnippetBacktests() throws {
        let snippet = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("shared/data/itch/12302019_SNIPPET.NASDAQ_ITCH50").path
        try #require(FileManager.default.fileExists(atPath: snippet), "../shared/data is beside the repository")
        let j = try CLI.json(["backtest", snippet, "--strategy", "mm", "--traded", "5", "--most-active", "--hidden-prints", "at-price", "--json"])
        #expect(j["messages"] as? Int == 1_000)
        let stocks = j["traded_stocks"] as? [String] ?? []
        #expect(stocks.count == 5 && stocks.contains("QQQ"), "\(stocks)")
        #expect((j["orders"] as? Int ?? 0) > 0)
        #expect((j["venue"] as? [String: Any])?["orders_rejected"] as? Int == 0, "the venue knows every stock the gateway names")
    }
}
