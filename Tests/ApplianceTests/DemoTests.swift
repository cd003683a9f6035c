import TestSupport
import Appliance
import Foundation
import Synchronization
import Testing

enum Paths {
    static var root: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    }
    static var binary: String { root.appendingPathComponent(".build/debug/tickwire").path }
    /// This process's scratch directory (demo outputs, captures: about 100 MB a test run),
    /// removed when the test process exits.
    static let tempDir: URL = scratchDirectory("tw-appliance")
    static func temp(_ name: String) -> String {
        try? FileManager.default.createDirectory(at: tempDir, withIntermediateDirectories: true)
        return tempDir.appendingPathComponent(name).path
    }
}

/// Runs the tickwire binary; returns its stdout (throws with its stderr on a non-zero exit).
func tickwire(_ args: [String]) throws -> Data {
    try run(Paths.binary, args)
}

/// Runs `tickwire demo ARGS` in a network namespace of its own, as `tickwire(_:)` does.
func demo(_ args: [String]) throws -> Data {
    let own = try DemoNamespace.Own()
    return try withExtendedLifetime(own) { try run(DemoNamespace.ip, own.arguments(["demo"] + args)) }
}

/// Runs `executable` (tickwire unless given) with `args` and no stdin; its exit status and what it
/// wrote to stderr (stdout is dropped): for the commands that must refuse, with a message, and
/// for tools that report on stderr.
func runForStderr(_ args: [String], executable: String = Paths.binary) throws -> (status: Int32, stderr: String) {
    let r = try runProcess(executable, args, keepStdout: false)
    return (r.status, r.stderrText)
}

/// `executable`'s stdout; throws with its stderr when it exits with a status other than 0.
func run(_ executable: String, _ args: [String]) throws -> Data { try runChecked(executable, args) }

/// True when `a`'s elements appear in `b` in the same order (not necessarily adjacent).
func isSubsequence<T: Equatable>(_ a: [T], of b: [T]) -> Bool {
    var i = b.startIndex
    for x in a {
        guard let j = b[i...].firstIndex(of: x) else { return false }
        i = j + 1
    }
    return true
}

/// The new orders of a decision log: trigger sequence, locate, side, shares, price.
func newOrders(_ path: String) throws -> [[Substring]] {
    let text = try String(contentsOfFile: path, encoding: .utf8)
    var rows: [[Substring]] = []
    for line in text.split(separator: "\n").dropFirst() {
        let f: [Substring] = line.split(separator: ",", omittingEmptySubsequences: false)
        guard f.count >= 9, f[1] == "new" else { continue }
        rows.append([f[6], f[2], f[3], f[4], f[5]])
    }
    return rows
}

/// The demo's venue runs in a network namespace. Probed once: this process may create one and
/// run a command inside it (a chroot can allow the first and refuse the second). Elsewhere the
/// demo falls back to loopback sockets, which is not what the demo tests check: they skip.
enum DemoNamespace {
    static var ip: String { FileManager.default.isExecutableFile(atPath: "/usr/sbin/ip") ? "/usr/sbin/ip" : "/sbin/ip" }

    static let usable: Bool = {
        guard getuid() == 0 else { return false }
        let ip = Self.ip
        guard FileManager.default.isExecutableFile(atPath: ip) else { return false }
        func status(_ args: [String]) -> Int32 {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: ip)
            p.arguments = args
            p.standardOutput = FileHandle.nullDevice
            p.standardError = FileHandle.nullDevice
            do { try p.run() } catch { return -1 }
            p.waitUntilExit()
            return p.terminationStatus
        }
        let name = "twdprobe\(getpid() % 100_000)"
        guard status(["netns", "add", name]) == 0 else { return false }
        defer { _ = status(["netns", "del", name]) }
        return status(["netns", "exec", name, ip, "link", "show", "lo"]) == 0
    }()
    static let skipReason: Comment = "needs root and a network namespace it can create and enter (the demo's venue runs in one)"

    /// A namespace for one demo under test, loopback up; deleted with it. The demo's appliance
    /// opens DPDK's af_packet, whose 22.11 PACKET_FANOUT group id is getpid() XOR ifindex: in
    /// the test runner's namespace it could meet an equal id of another af_packet user (this
    /// process's own ports in WireTests) on another device, and the kernel refuses the second
    /// (EINVAL). Alone in a namespace it cannot. `ip netns exec` keeps the pid.
    final class Own {
        let name: String
        private static let count = Atomic<Int>(0)

        init() throws {
            name = "twdemo\(getpid() % 100_000)o\(Self.count.add(1, ordering: .relaxed).newValue)"
            for args in [["netns", "add", name], ["netns", "exec", name, DemoNamespace.ip, "link", "set", "lo", "up"]] {
                let p = Process()
                p.executableURL = URL(fileURLWithPath: DemoNamespace.ip)
                p.arguments = args
                p.standardOutput = FileHandle.nullDevice
                p.standardError = FileHandle.nullDevice
                try p.run()
                p.waitUntilExit()
                guard p.terminationStatus == 0 else {
                    throw NSError(domain: "ip", code: Int(p.terminationStatus), userInfo: [NSLocalizedDescriptionKey: "ip \(args.joined(separator: " ")) failed"])
                }
            }
        }

        func arguments(_ tickwireArguments: [String]) -> [String] {
            ["netns", "exec", name, Paths.binary] + tickwireArguments
        }

        deinit {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: DemoNamespace.ip)
            p.arguments = ["netns", "del", name]
            p.standardOutput = FileHandle.nullDevice
            p.standardError = FileHandle.nullDevice
            if (try? p.run()) != nil { p.waitUntilExit() }
        }
    }
}

@Suite(.serialized) struct DemoTests {
    /// One demo per machine: a second one, while the first holds the lock, is refused with who
    /// holds it, before it touches the namespace the first one runs in. The test holds the lock
    /// itself, as a running demo would (flock on the lock file, its pid inside).
    @Test(.enabled(if: getuid() == 0, "the demo's lock is root's (/run)"))
    func aSecondDemoIsRefusedWhileOneRuns() throws {
        let path = "/run/tickwire-demo.lock"
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        try #require(fd >= 0)
        defer { close(fd) }
        // Wait for a running demo to end (none should run: this suite runs its demos one at a time).
        var locked = false
        for _ in 0..<600 where !locked {
            locked = flock(fd, LOCK_EX | LOCK_NB) == 0
            if !locked { usleep(100_000) }
        }
        try #require(locked, "the demo lock stayed taken for a minute")
        defer { flock(fd, LOCK_UN) }
        let me = Array("\(getpid())\n".utf8)
        _ = ftruncate(fd, 0)
        _ = pwrite(fd, me, me.count, 0)
        let out = Paths.temp("demo-locked")
        do {
            _ = try demo(["--seconds", "1", "--out", out])
            Issue.record("a second demo ran while the lock was held")
        } catch {
            let text = "\(error)"
            #expect(text.contains("another tickwire demo (pid \(getpid()))"), "\(text)")
        }
    }

    /// The demo end to end (venue in a namespace, feed through DPDK af_packet, orders over
    /// Tickwire's TCP; skipped where namespaces are not allowed), then the two claims built on its
    /// capture: the wire-to-wire pairing, and a replay through `tickwire replay --strategy`
    /// making the same orders in the same order as the live run.
    @Test(.enabled(if: DemoNamespace.usable, DemoNamespace.skipReason))
    func demoTradesAndReplayOfItsCaptureMakesTheSameOrders() throws {
        try #require(FileManager.default.isExecutableFile(atPath: Paths.binary), "build tickwire first")
        let out = Paths.temp("demo")
        let data = try demo(["--seconds", "4", "--rate", "20000", "--strategy", "taker", "--max-position", "1000000",
                                 "--models", Paths.root.appendingPathComponent("models").path, "--order-port", "26611", "--out", out, "--json"])
        let r = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect(r["mode"] as? String == "netns+dpdk", "the demo ran on DPDK against the venue's namespace, not the loopback fallback")
        let orders = r["orders"] as? Int ?? 0
        #expect(orders > 0)
        #expect((r["fills"] as? Int ?? 0) > 0)
        #expect((r["ticks"] as? Int ?? 0) > 10_000)
        #expect(r["risk_rejects"] != nil && r["pnl"] != nil)
        for key in ["tick_to_trade_ns", "wire_to_wire_ns"] {
            let s = try #require(r[key] as? [String: Any], "\(key)")
            for f in ["p50", "p99", "p999", "max"] { #expect(s[f] is Int, "\(key).\(f)") }
            #expect((s["p50"] as? Int ?? 0) > 0)
        }
        let stages = try #require(r["stages_ns"] as? [String: Any])
        #expect(Set(stages.keys) == Set(["decode", "book", "model", "strategy", "risk", "encode", "send"]))
        let detail = try #require(r["stage_detail_ns"] as? [String: Any])
        #expect(detail["decode_wait"] != nil && detail["decode_frame"] != nil && detail["model_and_strategy"] != nil, "\(detail.keys.sorted())")
        #expect(r["open_orders_at_end"] as? Int == 0, "the wind-down cancels what is open")
        let nic = try #require(r["nic"] as? [String: [String: Any]], "the NIC's counters per port")
        let port = try #require(nic.values.first)
        #expect(nic.count == 1 && (port["ipackets"] as? Int ?? 0) > 10_000 && port["imissed"] is Int && port["rx_nombuf"] is Int, "\(nic)")
        // The hot core holds the hot loop and nothing else the demo started (read from /proc
        // during the run: this process's threads, the venue's, the tap's).
        if ProcessInfo.processInfo.activeProcessorCount >= 2 {
            let a = try #require(r["affinity"] as? [String: Any], "the report says where every thread ran")
            #expect(a["hot_core_alone"] as? Bool == true, "\(a["problems"] ?? "")")
            let threads = try #require(a["threads"] as? [[String: Any]])
            let hot = a["hot_core"] as? Int ?? -1
            #expect(threads.filter { ($0["cpus"] as? [Int] ?? []).contains(hot) }.map { $0["thread"] as? String } == ["tw-hot"])
            #expect(Set(threads.compactMap { $0["process"] as? String }) == ["tickwire", "venue", "tcpdump"], "\(threads)")
        }

        // Wire to wire from the capture, by the command a user runs.
        let lat = try JSONSerialization.jsonObject(with: try tickwire(["latency", out + "/capture.pcap", "--order-entry-port", "26611", "--json"]))
            as? [String: Any]
        #expect((lat?["pairs"] as? Int ?? 0) == orders, "every order paired with its trigger")
        // The split at the software's stamps: what they do not cover is part of wire to wire.
        let w2w = try #require(lat?["wire_to_wire_nanos"] as? [String: Any])
        let notSeen = try #require(lat?["outside_software_nanos"] as? [String: Any], "the decision log has wall-clock stamps")
        #expect((notSeen["p50"] as? Int ?? .max) <= (w2w["p50"] as? Int ?? 0) && (notSeen["count"] as? Int ?? 0) > orders / 2, "\(notSeen) \(w2w)")

        // Replay the capture with the same strategy: the same orders, in the same order.
        _ = try tickwire(["replay", out + "/capture.pcap", "--feed-a", "239.192.10.1:26477", "--feed-b", "239.192.10.2:26477",
                          "--strategy", "taker", "--max-position", "1000000",
                          "--models", Paths.root.appendingPathComponent("models").path, "--decisions-out", out + "/replay.csv"])
        let live = try newOrders(out + "/decisions.csv")
        let replay = try newOrders(out + "/replay.csv")
        let lastTrigger = live.map { UInt64($0[0]) ?? 0 }.max() ?? 0
        let replayed = replay.filter { (UInt64($0[0]) ?? 0) <= lastTrigger }
        #expect(live.count == orders)
        // The replay's venue answers at once; the live venue answers a round trip later, so a
        // burst (a gap's recovery delivers tens of thousands of messages at once) can fill the
        // live run's open-order limit, and risk refuses there what the replay sends. Those are
        // the only orders one has and not the other: the live orders are the replay's, in order,
        // less as many as the live run's open-order rejects (none on an idle machine; 9 of
        // 1,144 in one run beside the network tests).
        let openRejects = (r["risk_reject_reasons"] as? [String: Int])?["maxOpenOrders"] ?? 0
        #expect(openRejects == (r["risk_rejects"] as? Int ?? -1), "no other risk reject: \(r["risk_reject_reasons"] ?? "-")")
        #expect(replayed.count == live.count + openRejects)
        if openRejects == 0 {
            let first = zip(live, replayed).enumerated().first { $0.element.0 != $0.element.1 }?.offset
            #expect(replayed == live, "first difference at \(first.map(String.init) ?? "-")")
        } else {
            #expect(isSubsequence(live, of: replayed), "every live order is the replay's, in order")
        }

        // The capture as a training set: record-features reads the same feed and the shipped
        // models rank its held-out labels better than chance.
        let rf = try JSONSerialization.jsonObject(with: try tickwire([
            "record-features", "--capture", out + "/capture.pcap", "--feed-a", "239.192.10.1:26477", "--feed-b", "239.192.10.2:26477",
            "--out", out + "/features", "--models", Paths.root.appendingPathComponent("models").path, "--json"])) as? [String: Any]
        let rows = rf?["rows"] as? [String: Int] ?? [:]
        #expect((rows["uptick"] ?? 0) > 1_000, "\(rows)")
        let auc = rf?["auc"] as? [String: Double] ?? [:]
        #expect((auc["uptick"] ?? 0) > 0.55, "\(auc)")

        // Transaction cost analysis of the live run from its capture (the feed, and our fills from
        // the OUCH session in it), and of a backtest of the same capture: one analysis, one shape.
        let lines = ["--feed-a", "239.192.10.1:26477", "--feed-b", "239.192.10.2:26477"]
        let liveTCA = try #require(try JSONSerialization.jsonObject(with: try tickwire(
            ["tca", "--capture", out + "/capture.pcap", "--order-entry-port", "26611", "--decisions", out + "/decisions.csv", "--out", out + "/tca",
             "--json"] + lines)) as? [String: Any])
        #expect(liveTCA["fills"] as? Int == r["fills"] as? Int, "every fill of the run, read back from the capture")
        // Every fill of the run traced to the decision behind its order in the run's log: the
        // taker's takes, without a regime model.
        let byDecision = try #require(liveTCA["by_decision"] as? [String: [String: Any]])
        if (r["fills"] as? Int ?? 0) > 0 {
            #expect(Set(byDecision.keys) == ["take"] && byDecision["take"]?["fills"] as? Int == r["fills"] as? Int, "\(byDecision.keys)")
            #expect(Set((liveTCA["by_regime"] as? [String: Any] ?? [:]).keys) == ["none"])
        }
        let livePnL = try #require(liveTCA["pnl"] as? [String: Any])
        // Every position, share for share, as the run's risk engine holds it.
        let bySymbol = try #require(liveTCA["by_symbol"] as? [String: [String: Any]])
        let positions = try #require(r["positions"] as? [String: Int])
        for (symbol, shares) in positions where shares != 0 {
            #expect(bySymbol[symbol]?["position"] as? Int == shares, "\(symbol)")
        }
        // The decomposition adds up. (Its total is not the run's to the cent: the run marks each
        // stock at the last touch it heard before its wind-down, the TCA at the feed's last mid,
        // and the taker here holds thousands of shares: a cent of difference is tens of dollars.)
        let parts = ["spread_usd", "inventory_usd", "fees_usd"].map { livePnL[$0] as? Double ?? .nan }.reduce(0, +)
        #expect(abs(parts - (livePnL["pnl_usd"] as? Double ?? .nan)) < 1e-6, "\(livePnL)")
        for f in ["summary.json", "fills.csv", "markouts.png", "pnl.png"] {
            #expect(FileManager.default.fileExists(atPath: out + "/tca/" + f), "\(f)")
        }
        let bt = try #require(try JSONSerialization.jsonObject(with: try tickwire(
            ["backtest", out + "/capture.pcap", "--strategy", "taker", "--max-position", "1000000",
             "--models", Paths.root.appendingPathComponent("models").path, "--tca-out", out + "/backtest-tca", "--json"] + lines)) as? [String: Any])
        let btTCA = try #require(bt["tca"] as? [String: Any])
        #expect(Set(btTCA.keys) == Set(liveTCA.keys))
        #expect(Set((btTCA["pnl"] as? [String: Any] ?? [:]).keys) == Set(livePnL.keys))
    }

    /// `make demo`'s command, short: both transports one after the other in one process (the
    /// second run must be able to set its DPDK port up again: a leaked port once kept the
    /// first run's mempool name taken), both measured from their captures, the ratio reported.
    @Test(.enabled(if: DemoNamespace.usable, DemoNamespace.skipReason))
    func compareTransportsRunsBothAndReportsTheRatio() throws {
        try #require(FileManager.default.isExecutableFile(atPath: Paths.binary), "build tickwire first")
        let out = Paths.temp("compare")
        let data = try demo(["--compare-transports", "--seconds", "3", "--rate", "20000", "--strategy", "taker",
                                 "--max-position", "1000000", "--models", "none", "--order-port", "26613", "--out", out, "--json"])
        let r = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect(r["mode"] as? String == "netns+dpdk")
        let by = try #require(r["wire_to_wire_by_transport"] as? [String: [String: Any]])
        #expect(Set(by.keys) == ["kernel", "tickwire"])
        for (t, s) in by { #expect((s["p50"] as? Int ?? 0) > 0 && (s["count"] as? Int ?? 0) > 0, "\(t): \(s)") }
        let ratio = try #require(r["wire_to_wire_ratio"] as? [String: Any])
        #expect((ratio["p50"] as? Double ?? 0) > 0)
        #expect(r["order_transport"] as? String == "tickwire")
    }

    // In this suite, not RunCommandTests: it runs the demo, whose namespace and veth pair are
    // one per machine, so it must not run beside the other demo test.
    /// `tickwire validate`: the backtest of the day alone, the paper run against the venue paced
    /// by event time with the flow's reaction off, the replay of its capture, side by side, and
    /// the paper run again (the floor). The contract's keys; the backtest's day is the paper
    /// run's market on the same clock (orders on the very same trigger, stamp for stamp, at the
    /// start); the agreement's counts add up. Two seeds (`--seeds 2`): each seed's report, and the
    /// series' totals are the sums of them, the PnL gap day by day among them; the backtest took
    /// the paper venue's lag as a trace and its day ends at the paper run's last decision.
    @Test(.enabled(if: DemoNamespace.usable, DemoNamespace.skipReason))
    func validateReportsTheThreeRunsSideBySide() throws {
        try #require(FileManager.default.isExecutableFile(atPath: Paths.binary), "build tickwire first")
        let out = Paths.temp("validate")
        let own = try DemoNamespace.Own()
        let data = try withExtendedLifetime(own) {
            try run(DemoNamespace.ip, own.arguments(["validate", "--seconds", "3", "--rate", "20000", "--symbols", "10", "--traded", "3",
                                                     "--models", Paths.root.appendingPathComponent("models").path, "--paper-twice",
                                                     "--backtest-draws", "3", "--seeds", "2", "--out", out, "--json"]))
        }
        let series = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let perSeed = try #require(series["seeds"] as? [[String: Any]])
        #expect(perSeed.map { $0["seed"] as? Int } == [1, 2])
        for side in ["backtest", "paper", "paper_again"] {
            let total = try #require(series[side] as? [String: Any], "series.\(side)")
            let sum = perSeed.reduce(0) { $0 + (($1[side] as? [String: Any])?["filled_shares"] as? Int ?? 0) }
            #expect(total["filled_shares"] as? Int == sum, "\(side): the total is the seeds' sum")
        }
        #expect(series["filled_shares_diff"] is Double && series["filled_shares_diff_stdev"] is Double && series["paper_vs_paper_filled_shares_diff"] is Double)
        // The PnL gap day by day, against the two paper runs' mean: its total is the seeds' sum.
        let gap = try #require(series["pnl_gap"] as? [String: Any])
        #expect(gap["reference"] as? String == "paper mean" && gap["days"] as? Int == 2)
        let pnl = { (seed: [String: Any], side: String) in (seed[side] as? [String: Any])?["pnl"] as? Double ?? .nan }
        // The backtest's side of the gap: each day's three latency draws' mean; the first draw is
        // the seed's `backtest`.
        let drawPnl = perSeed.map { seed in ((seed["backtest_draws"] as? [[String: Any]]) ?? []).map { $0["pnl"] as? Double ?? .nan } }
        #expect(drawPnl.allSatisfy { $0.count == 3 }, "\(drawPnl)")
        #expect(zip(perSeed, drawPnl).allSatisfy { pnl($0, "backtest") == $1.first }, "the first draw is the seed's backtest")
        let gaps = zip(perSeed, drawPnl).map { seed, draws in
            draws.reduce(0, +) / Double(max(draws.count, 1)) - (pnl(seed, "paper") + pnl(seed, "paper_again")) / 2
        }
        #expect(abs((gap["total_usd"] as? Double ?? .nan) - gaps.reduce(0, +)) < 0.01, "\(gap) against \(gaps)")
        #expect(gap["backtest"] as? String == "mean of 3 latency draws")
        let drawTotals = try #require(gap["draw_totals_usd"] as? [Double])
        #expect(drawTotals.count == 3 && (0..<3).allSatisfy { k in abs(drawTotals[k] - drawPnl.reduce(0) { $0 + $1[k] }) < 0.01 }, "\(drawTotals)")
        #expect(gap["draw_total_stdev_usd"] is Double)
        #expect(gap["days_backtest_lower"] as? Int == gaps.filter { $0 < 0 }.count)
        #expect(gap["total_standard_error_usd"] is Double && gap["paper_vs_paper_per_day_stdev_usd"] is Double)
        let second = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out + "/seed-2/report.json"))) as? [String: Any])
        #expect((second["backtest"] as? [String: Any])?["filled_shares"] as? Int == (perSeed[1]["backtest"] as? [String: Any])?["filled_shares"] as? Int)
        let seedOut = out + "/seed-1"
        let r = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: seedOut + "/report.json"))) as? [String: Any])
        #expect(r["latency_model"] as? String == "trace")
        let points = try #require(r["trace_points"] as? [String: Int])
        #expect((points["venue_delay"] ?? 0) > 1_000, "\(points)")
        let flowStart = r["flow_start_ns"] as? Int ?? 0, until = r["day_until_ns"] as? Int ?? 0
        #expect(until > flowStart && until <= flowStart + 4_000_000_000, "the backtest's day ends with the paper run's trading: \(until - flowStart) ns")
        for side in ["backtest", "paper", "replay"] {
            let s = try #require(r[side] as? [String: Any], "\(side)")
            for k in ["orders", "fills", "filled_shares"] { #expect(s[k] is Int, "\(side).\(k)") }
            #expect(s["pnl"] is Double, "\(side).pnl")
            #expect((s["orders"] as? Int ?? 0) > 0, "\(side) placed orders")
        }
        let a = try #require(r["agreement"] as? [String: Any])
        for k in ["order_fill_agreement", "paired_fill_agreement", "filled_shares_diff", "pnl_diff"] { #expect(a[k] is Double, "agreement.\(k)") }
        // The floor: the paper run again, on the same day and clock.
        let again = try #require(r["paper_again"] as? [String: Any])
        #expect((again["orders"] as? Int ?? 0) > 0)
        let floor = try #require(r["paper_vs_paper"] as? [String: Any])
        #expect((floor["same_trigger"] as? Int ?? 0) >= 3 && floor["order_fill_agreement"] is Double, "\(floor)")
        let lag = try #require(r["paper_venue_lag"] as? [String: Any], "how far the paper venue fell behind its clock")
        #expect((lag["packets"] as? Int ?? 0) > 1_000 && lag["p99_ns"] is Int)
        // entry.ns: our send to the venue's answer on the wire, one per answered order message.
        let entry = try String(contentsOfFile: seedOut + "/latencies/entry.ns", encoding: .utf8).split(separator: "\n").filter { !$0.hasPrefix("#") }
        // (A replace of an order filled meanwhile has no answer of its own, nor what the session's end cut off.)
        #expect(Double(entry.count) >= 0.9 * Double(a["paper_orders"] as? Int ?? 0), "an answer for nearly every order and replace: \(entry.count)")
        // The same latencies by when they happened, on the venue's clock: inside the day's
        // span, never going back, one feed point per feed.ns value.
        let feedValues = try String(contentsOfFile: seedOut + "/latencies/feed.ns", encoding: .utf8).split(separator: "\n").filter { !$0.hasPrefix("#") }
        // own.ns: the venue's answer to each order it accepted or replaced -> the feed's copy of
        // that order, both on the wire: one for nearly every order the capture holds both of.
        let ownValues = try String(contentsOfFile: seedOut + "/latencies/own.ns", encoding: .utf8).split(separator: "\n").filter { !$0.hasPrefix("#") }
        #expect(Double(ownValues.count) >= 0.8 * Double(a["paper_orders"] as? Int ?? 0), "a feed copy for nearly every order: \(ownValues.count)")
        // fill.ns: the venue's answer to each fill of a resting order of ours -> the feed's print
        // of the same match: at most one per fill of the paper run.
        let fillValues = try String(contentsOfFile: seedOut + "/latencies/fill.ns", encoding: .utf8).split(separator: "\n").filter { !$0.hasPrefix("#") }
        let paperFills = (r["paper"] as? [String: Any])?["fills"] as? Int ?? 0
        #expect(!fillValues.isEmpty && fillValues.count <= paperFills, "a print for the paper run's passive fills: \(fillValues.count) of \(paperFills) fills")
        for name in ["feed", "entry", "response", "own", "fill"] {
            let lines = try String(contentsOfFile: seedOut + "/latencies/\(name).trace", encoding: .utf8).split(separator: "\n").filter { !$0.hasPrefix("#") }
            let times = lines.compactMap { $0.split(separator: " ").first.flatMap { Int($0) } }
            #expect(times.count == lines.count && !times.isEmpty, "\(name).trace")
            #expect(zip(times, times.dropFirst()).allSatisfy { $0 <= $1 }, "\(name).trace goes back")
            #expect((times.first ?? 0) >= flowStart - 1_000_000_000 && (times.last ?? 0) <= until + 2_000_000_000,
                    "\(name).trace on the venue's clock: \(times.first ?? 0)...\(times.last ?? 0) against \(flowStart)...\(until)")
            if name == "feed" { #expect(lines.count == feedValues.count) }
            if name == "own" { #expect(lines.count == ownValues.count) }
            if name == "fill" { #expect(lines.count == fillValues.count) }
        }
        let agreement = a["order_fill_agreement"] as? Double ?? -1
        #expect(agreement >= 0 && agreement <= 1)
        #expect((a["same_trigger"] as? Int ?? 0) >= 3, "the first orders of both runs on the very same trigger: \(a)")
        let counted = ["both_filled", "neither_filled", "filled_in_paper_only", "filled_in_backtest_only"].reduce(0) { $0 + (a[$1] as? Int ?? 0) }
        #expect(counted + (a["placed_in_paper_only"] as? Int ?? 0) == (a["paper_orders"] as? Int ?? -1))
        #expect(counted + (a["placed_in_backtest_only"] as? Int ?? 0) == (a["backtest_orders"] as? Int ?? -1))
        // (Gaps are reported, not required to be none: under CI's parallel load the af_packet
        // ring overflows now and then and the session recovers by re-request. The start is
        // checked above: both runs' first orders on the very same triggers.)
        #expect(r["paper_feed_gaps"] is Int)
        for f in ["/report.json", "/day.itch", "/latencies/feed.ns", "/latencies/venue.trace", "/backtest/fills.csv",
                  "/paper/capture.pcap", "/replay.csv"] {
            #expect(FileManager.default.fileExists(atPath: seedOut + f), "\(f)")
        }
        #expect(FileManager.default.fileExists(atPath: out + "/series.json"))
    }

    /// With Tickwire's TCP the hot thread calls the kernel for nothing but the af_packet PMD's
    /// transmit kick (sendto, once per tx burst; a hardware PMD writes a doorbell register
    /// instead): strace -c on the hot thread in the middle of a demo.
    @Test(.enabled(if: DemoNamespace.usable, DemoNamespace.skipReason),
          .enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/strace"), "needs strace (make deps installs it)"))
    func hotThreadMakesNoSyscallButThePMDsTxKick() throws {
        try #require(FileManager.default.isExecutableFile(atPath: Paths.binary), "build tickwire first")
        let out = Paths.temp("strace-demo")
        let own = try DemoNamespace.Own()
        let demo = Process()
        demo.executableURL = URL(fileURLWithPath: DemoNamespace.ip)
        demo.arguments = own.arguments(["demo", "--seconds", "6", "--rate", "20000", "--strategy", "taker", "--max-position", "1000000",
                                        "--order-port", "26612", "--out", out, "--json"])
        let stdout = Pipe()
        demo.standardOutput = stdout
        demo.standardError = FileHandle.nullDevice
        try demo.run()
        // The hot thread is named tw-hot once the loop starts (after the login).
        var tid: String?
        let deadline = Date().addingTimeInterval(20)
        while tid == nil && Date() < deadline && demo.isRunning {
            usleep(200_000)
            let tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(demo.processIdentifier)/task")) ?? []
            tid = tasks.first { (try? String(contentsOfFile: "/proc/\(demo.processIdentifier)/task/\($0)/comm", encoding: .utf8))?.hasPrefix("tw-hot") == true }
        }
        let hot = try #require(tid, "the hot loop started")
        usleep(500_000)
        // The test runner's blocked signals are inherited across exec: unblock SIGINT for timeout
        // and strace, or strace would never stop and print its table.
        let (_, table) = try runForStderr([
            "python3", "-c", "import os, signal; signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT, signal.SIGTERM}); "
                + "os.execv('/usr/bin/timeout', ['timeout', '-s', 'INT', '2', '/usr/bin/strace', '-c', '-p', '\(hot)'])"], executable: "/usr/bin/env")
        let report = stdout.fileHandleForReading.readDataToEndOfFile()
        demo.waitUntilExit()
        withExtendedLifetime(own) {}
        let r = try #require(try JSONSerialization.jsonObject(with: report) as? [String: Any])
        #expect(r["order_transport"] as? String == "tickwire")
        #expect((r["orders"] as? Int ?? 0) > 0)
        // Rows of strace's summary: "% time seconds usecs/call calls errors syscall".
        var calls: [String: Int] = [:]
        for line in table.split(separator: "\n") {
            let f = line.split(separator: " ", omittingEmptySubsequences: true)
            guard f.count >= 5, Double(f[0]) != nil, let name = f.last, name != "total" else { continue }
            calls[String(name)] = Int(f[3]) ?? 0
        }
        #expect((calls["sendto"] ?? 0) > 0, "strace watched the hot thread while it sent (orders, ACKs): \(table)")
        #expect(Set(calls.keys).isSubset(of: ["sendto"]), "the hot thread called the kernel for \(calls)")
    }
}

@Suite(.serialized) struct RunCommandTests {
    /// `tickwire run --profile hw-profiles/dev-vm.yaml` against a venue on loopback: the hot
    /// loop runs on the profile's hot core and the telemetry thread on its housekeeping core
    /// (read from /proc/PID/task/*/status once both threads are up and the feed is in the
    /// metrics); a "kill" line in the control file fires the kill switch; SIGTERM then ends the
    /// run cleanly with nothing left open. The test runner starts children with SIGTERM blocked:
    /// before the run unblocked the signals it handles, it ignored SIGTERM until its --seconds.
    @Test func runPinsThreadsAsTheProfileSaysAndTheControlFileKills() throws {
        try #require(FileManager.default.isExecutableFile(atPath: Paths.binary), "build tickwire first")
        let venue = Process()
        venue.executableURL = URL(fileURLWithPath: Paths.binary)
        venue.arguments = ["exchange", "--seconds", "300", "--interface", "127.0.0.1", "--feed-a", "239.192.20.1:26487",
                           "--feed-b", "239.192.20.2:26487", "--rerequest", "127.0.0.1:26488", "--order-entry", "127.0.0.1:26720",
                           "--rate", "20000", "--start-delay", "3", "--json"]
        venue.standardOutput = FileHandle.nullDevice
        venue.standardError = FileHandle.nullDevice
        try venue.run()
        defer { if venue.isRunning { venue.terminate() } }
        let cfgPath = Paths.temp("run.yaml"), control = Paths.temp("control")
        try? FileManager.default.removeItem(atPath: control)
        let cfg = try String(contentsOf: Paths.root.appendingPathComponent("config/sim-loopback.yaml"), encoding: .utf8)
            .replacingOccurrences(of: "127.0.0.1:26500", with: "127.0.0.1:26720")
            .replacingOccurrences(of: "127.0.0.1:26478", with: "127.0.0.1:26488")
            .replacingOccurrences(of: "239.192.10.1:26477", with: "239.192.20.1:26487")
            .replacingOccurrences(of: "239.192.10.2:26477", with: "239.192.20.2:26487")
            .replacingOccurrences(of: "out/run/journal.twj", with: Paths.temp("run-journal.twj"))
        try cfg.write(toFile: cfgPath, atomically: true, encoding: .utf8)
        let run = Process()
        run.executableURL = URL(fileURLWithPath: Paths.binary)
        run.arguments = ["run", "--profile", Paths.root.appendingPathComponent("hw-profiles/dev-vm.yaml").path, "--config", cfgPath,
                         "--seconds", "300", "--control", control, "--metrics-port", "26731", "--json"]
        var env = ProcessInfo.processInfo.environment
        env["TICKWIRE_OUCH_USER"] = "TW1"
        env["TICKWIRE_OUCH_PASSWORD"] = "secret"
        run.environment = env
        let out = Pipe()
        run.standardOutput = out
        run.standardError = FileHandle.nullDevice
        try run.run()
        defer { if run.isRunning { run.terminate() } }
        func threadAffinity() -> [String: String] {
            var affinity: [String: String] = [:]
            let tasks = "/proc/\(run.processIdentifier)/task"
            for t in (try? FileManager.default.contentsOfDirectory(atPath: tasks)) ?? [] {
                let comm = (try? String(contentsOfFile: "\(tasks)/\(t)/comm", encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
                let status = (try? String(contentsOfFile: "\(tasks)/\(t)/status", encoding: .utf8)) ?? ""
                if let line = status.split(separator: "\n").first(where: { $0.hasPrefix("Cpus_allowed_list:") }) {
                    affinity[comm] = line.split(separator: ":")[1].trimmingCharacters(in: .whitespaces)
                }
            }
            return affinity
        }
        // The Prometheus endpoint, as a scraper reads it.
        func scrape() -> String {
            let scrape = Process()
            scrape.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            scrape.arguments = ["python3", "-c", "import urllib.request;print(urllib.request.urlopen('http://127.0.0.1:26731/metrics',timeout=5).read().decode())"]
            let scraped = Pipe()
            scrape.standardOutput = scraped
            scrape.standardError = FileHandle.nullDevice
            guard (try? scrape.run()) != nil else { return "" }
            let text = String(decoding: scraped.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            scrape.waitUntilExit()
            return text
        }
        func feedMessages(_ metrics: String) -> Int {
            metrics.split(separator: "\n").first { $0.hasPrefix("tickwire_feed_messages_total ") }.flatMap { Int($0.split(separator: " ").last ?? "") } ?? 0
        }
        // Ready when the hot loop and the telemetry thread are up and the feed has reached the
        // metrics (the run lasts until the control file says kill, so no timing decides it).
        var metrics = "", affinity: [String: String] = [:]
        let deadline = Date().addingTimeInterval(90)
        while Date() < deadline && run.isRunning {
            affinity = threadAffinity()
            if affinity["tw-hot"] != nil && affinity["tw-telemetry"] != nil {
                metrics = scrape()
                if feedMessages(metrics) > 0 { break }
            }
            usleep(100_000)
        }
        #expect(feedMessages(metrics) > 0, "metrics: \(metrics.prefix(400))")
        #expect(metrics.contains("# TYPE tickwire_orders_sent_total counter"))
        // Nothing but the operator engages the kill switch here (a market maker refused at its
        // gross limit once tripped the reject-streak guard within seconds).
        let before = scrape()
        let engagedBefore = before.split(separator: "\n").first { $0.hasPrefix("tickwire_kill_switch_engaged ") }
            .flatMap { Double($0.split(separator: " ").last ?? "") }
        #expect(engagedBefore == 0, "engaged before the operator's kill: \(before.split(separator: "\n").filter { $0.contains("kill") })")
        try "kill\n".write(toFile: control, atomically: true, encoding: .utf8)
        // The run goes on after a kill (flat, quoting nothing) until told to stop: SIGTERM once
        // the metrics show the operator's kill taken (the gateway's kill count).
        let engaged = {
            scrape().split(separator: "\n").contains { $0.hasPrefix("tickwire_kill_switches_total ") && !$0.hasSuffix(" 0") }
        }
        var killed = false
        let killDeadline = Date().addingTimeInterval(60)
        while !killed && Date() < killDeadline && run.isRunning {
            killed = engaged()
            if !killed { usleep(100_000) }
        }
        #expect(killed, "the control file's kill engaged the kill switch")
        let terminated = Date()
        run.terminate()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        run.waitUntilExit()
        #expect(run.terminationStatus == 0)
        // SIGTERM ended it (a clean wind-down takes about 2 s), not its --seconds (300): with
        // the signal left blocked as the runner passed it on, the run went on to the end.
        #expect(Date().timeIntervalSince(terminated) < 60, "the run ignored SIGTERM")
        if ProcessInfo.processInfo.activeProcessorCount >= 2 {
            #expect(affinity["tw-hot"] == "1", "hot loop on the profile's hot core: \(affinity)")
            #expect(affinity["tw-telemetry"] == "0", "telemetry on housekeeping: \(affinity)")
        }
        let r = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect((r["ticks"] as? Int ?? 0) > 1_000)
        #expect(r["kill_switch"] as? String == "operator")
        #expect(r["open_orders_at_end"] as? Int == 0)
    }

    /// A profile whose hot core is on another NUMA node than its NIC is refused before anything
    /// starts, with a message that names the nodes.
    @Test func runRefusesAHotCoreOffTheNICsNode() throws {
        try #require(FileManager.default.isExecutableFile(atPath: Paths.binary), "build tickwire first")
        let (status, e) = try runForStderr(["run", "--profile", Paths.root.appendingPathComponent("Tests/HostTuningTests/Fixtures/profiles/bad-numa.yaml").path,
                                          "--config", Paths.root.appendingPathComponent("config/sim-loopback.yaml").path, "--seconds", "1"])
        #expect(status != 0)
        #expect(e.contains("NUMA node 0") && e.contains("NUMA node 1"), "\(e)")
        #expect(e.contains("refused"))
    }

    /// `run --check` with the colo profile and a kernel-bypass configuration: on a fixture of a
    /// tuned colo box (isolated cores, 1G hugepages, the E810 ports bound to vfio-pci) it passes
    /// and builds the EAL arguments with the PCI addresses and hugepages; on this machine it is
    /// refused, each finding with its remedy (no hugepages, no such NIC or no vfio-pci).
    @Test func runCheckBuildsThePCIPlanAndRefusesThisBox() throws {
        try #require(FileManager.default.isExecutableFile(atPath: Paths.binary), "build tickwire first")
        func check(_ sysroot: String) throws -> (Int32, [String: Any]) {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: Paths.binary)
            p.arguments = ["run", "--profile", Paths.root.appendingPathComponent("hw-profiles/colo-single-socket.yaml").path,
                           "--config", Paths.root.appendingPathComponent("config/colo-tickwire.yaml").path,
                           "--sysroot", sysroot, "--check", "--json", "--metrics-port", "0"]
            let out = Pipe()
            p.standardOutput = out
            p.standardError = FileHandle.nullDevice
            try p.run()
            let data = out.fileHandleForReading.readDataToEndOfFile()
            p.waitUntilExit()
            return (p.terminationStatus, (try? JSONSerialization.jsonObject(with: data) as? [String: Any]) ?? [:])
        }
        let (ok, tuned) = try check(Paths.root.appendingPathComponent("Tests/HostTuningTests/Fixtures/tuned").path)
        #expect(ok == 0 && tuned["refused"] as? Bool == false, "\(tuned)")
        let eal = (tuned["eal_arguments"] as? [String] ?? []).joined(separator: " ")
        #expect(eal.contains("-a 0000:17:00.0") && eal.contains("--socket-mem 4096") && !eal.contains("--no-huge"), "\(eal)")
        #expect(tuned["order_transport"] as? String == "tickwire" && tuned["net_address"] as? String == "10.50.0.21/24")
        let (bad, here) = try check("/")
        #expect(bad != 0 && here["refused"] as? Bool == true)
        let findings = (here["findings"] as? [String] ?? []).joined(separator: "\n")
        #expect(findings.contains("[hugepages_free]") && findings.contains("hugepages="), "\(findings)")
        #expect(findings.contains("[nic_driver]") && findings.contains("fix:"), "\(findings)")
        // The book's sizing from the configuration's `book` section.
        #expect(tuned["book_max_orders"] as? Int == 4_194_304 && tuned["book_peak_orders"] as? Int == 1_700_000, "\(tuned)")
    }

    /// A `book` section out of range is refused with a message naming the key, before anything runs.
    @Test func runRefusesABookSizeOutOfRange() throws {
        try #require(FileManager.default.isExecutableFile(atPath: Paths.binary), "build tickwire first")
        let base = try String(contentsOf: Paths.root.appendingPathComponent("config/colo-tickwire.yaml"), encoding: .utf8)
        let dir = scratchDirectory("tw-book-config")
        for (book, key) in [("  max_orders: 10\n", "book.max_orders"), ("  max_orders: 100000\n  peak_orders: 200000\n", "book.peak_orders"),
                            ("  peak_orders: 0\n", "book.peak_orders")] {
            let text = base.replacingOccurrences(of: "  max_orders: 4194304", with: "#").replacingOccurrences(of: "  peak_orders: 1700000", with: "#")
                .replacingOccurrences(of: "book:\n", with: "book:\n" + book)
            let path = dir.appendingPathComponent("c.yaml").path
            try text.write(toFile: path, atomically: true, encoding: .utf8)
            let (status, e) = try runForStderr(["run", "--profile", Paths.root.appendingPathComponent("hw-profiles/colo-single-socket.yaml").path,
                                              "--config", path, "--sysroot", Paths.root.appendingPathComponent("Tests/HostTuningTests/Fixtures/tuned").path,
                                              "--check", "--metrics-port", "0"])
            #expect(status != 0 && e.contains(key), "\(book): \(e)")
        }
    }

}
