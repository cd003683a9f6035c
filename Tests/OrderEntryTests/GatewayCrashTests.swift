import Exchange
import Foundation
import OrderEntry
import Testing
import TickwireCore
import TestSupport

/// The debug build's binary, or TICKWIRE_BINARY (to check that a test fails on an older build).
let tickwireBinary = ProcessInfo.processInfo.environment["TICKWIRE_BINARY"]
    ?? URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().appendingPathComponent(".build/debug/tickwire").path

func gatewayProcess(port: UInt16, journal: String, orders: Int, version: String = "4.2", user: String = "TW1",
                    extra: [String] = []) throws -> (Process, Pipe) {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: tickwireBinary)
    p.arguments = ["gateway", "--order-entry", "127.0.0.1:\(port)", "--ouch", version, "--journal", journal, "--orders", String(orders),
                   "--rate", "4000", "--symbols", "5", "--json"] + extra
    var env = ProcessInfo.processInfo.environment
    env["TICKWIRE_OUCH_USER"] = user
    env["TICKWIRE_OUCH_PASSWORD"] = "secret"
    p.environment = env
    let out = Pipe()
    p.standardOutput = out
    p.standardError = FileHandle.nullDevice
    try p.run()
    return (p, out)
}

@Suite(.serialized) struct GatewayCrashTests {
    /// The gateway is killed with SIGKILL in the middle of a burst of orders, fills, cancels and
    /// replaces (some crossing the spread, so replacements trade), then restarted from its
    /// journal: its open orders and positions equal the venue's, and the venue never saw an
    /// order number twice.
    @Test(arguments: ["4.2", "5.0"])
    func sigkillMidBurstThenRestartAgreesWithTheVenue(version: String) throws {
        try #require(FileManager.default.isExecutableFile(atPath: tickwireBinary), "build tickwire first")
        let user = version == "4.2" ? "TW1" : "TW2"
        let v = try TestVenue(seconds: 300)
        defer { _ = v.stop() }
        let journal = tempPath("crash-\(version).journal")
        let (first, _) = try gatewayProcess(port: v.port, journal: journal, orders: 1_000_000, version: version, user: user)
        // Ready to crash once the journal shows the burst well under way (5,000 records: about a
        // second of orders and answers, with orders resting) and replacements trading.
        func underWay() -> Bool {
            guard let r = JournalWriter.read(path: journal), r.records.count > 5_000 else { return false }
            let replacements = Set(r.records.filter { $0.journalKind == .replaceSent }.map(\.id))
            return r.records.contains { $0.journalKind == .executed && replacements.contains($0.id) }
        }
        let ready = waitUntil(underWay)
        kill(first.processIdentifier, SIGKILL)
        #expect(ready, "the burst did not get under way in 60 s")
        first.waitUntilExit()
        #expect(first.terminationReason == .uncaughtSignal)
        let written = try #require(JournalWriter.read(path: journal))
        #expect(written.records.count > 100, "the burst was under way: \(written.records.count) records")
        // Crossing replaces were under way too: replacements that traded.
        let replacements = Set(written.records.filter { $0.journalKind == .replaceSent }.map(\.id))
        let replacementFills = written.records.filter { $0.journalKind == .executed && replacements.contains($0.id) }.count
        #expect(replacementFills > 0, "replacements executed before the crash")
        let (second, out) = try gatewayProcess(port: v.port, journal: journal, orders: 0, version: version, user: user)
        let data = out.fileHandleForReading.readDataToEndOfFile()
        second.waitUntilExit()
        #expect(second.terminationStatus == 0)
        let report = try JSONSerialization.jsonObject(with: data) as? [String: Any] ?? [:]
        let s = try #require(v.stop())
        let venue = try #require(v.venue.orderEntry?.snapshot(user: user))
        let open = (report["open_orders"] as? [String: Int] ?? [:]).mapValues(UInt32.init)
        let positions = (report["positions"] as? [String: Int] ?? [:]).mapValues(Int64.init)
        #expect(open.count > 10, "resting orders survived the crash")
        let venueOpen = Dictionary(uniqueKeysWithValues: venue.orders.map { (String($0.key), $0.value) })
        let differing = Set(open.keys).union(venueOpen.keys).filter { open[$0] != venueOpen[$0] }.sorted()
        #expect(differing.isEmpty, "open orders differ (venue ref: gateway vs venue): \(differing.prefix(20).map { "\($0): \(open[$0].map(String.init) ?? "-") vs \(venueOpen[$0].map(String.init) ?? "-")" })")
        #expect(positions == Dictionary(uniqueKeysWithValues: venue.positions.map { (String($0.key), $0.value) }), "positions agree")
        #expect(!positions.isEmpty, "the burst traded")
        #expect(report["violations"] as? Int == 0)
        #expect(report["risk_open_orders"] as? Int == open.count, "risk counts the restored open orders again")
        #expect(report["kill_switch"] == nil || report["kill_switch"] is NSNull)
        #expect(s.orderEntry?.duplicateTokens == 0 && s.orderEntry?.rejects == 0, "no order number used twice")
        #expect((report["restored_records"] as? Int ?? 0) == written.records.count)
        print("crash \(version): journal \(written.records.count) records, open \(open.count), positions \(positions), lost \(report["lost_in_transit"] ?? "?"), adopted \(report["adopted"] ?? "?"), venue orders received \(s.ordersReceived)")
    }
}


@Suite(.serialized) struct GatewayKillSwitchTests {
    /// SIGUSR1 mid-burst (the operator's kill switch; a control file line "kill" does the same):
    /// every open order is cancelled, nothing new goes out, and the venue holds no order of ours.
    @Test(arguments: ["signal", "control"])
    func operatorKillLeavesNothingOpenAtTheVenue(how: String) throws {
        try #require(FileManager.default.isExecutableFile(atPath: tickwireBinary), "build tickwire first")
        let v = try TestVenue(seconds: 300)
        defer { _ = v.stop() }
        let control = tempPath("control-\(how)")
        _ = FileManager.default.createFile(atPath: control, contents: Data("run\n".utf8))
        let journal = tempPath("kill-\(how).journal")
        let (p, out) = try gatewayProcess(port: v.port, journal: journal, orders: 10_000, extra: ["--control", control])
        // Mid-burst: the journal holds 200 records (of 10,000 orders and their answers).
        #expect(waitUntil { (JournalWriter.read(path: journal)?.records.count ?? 0) >= 200 }, "the burst did not start in 60 s")
        if how == "signal" {
            kill(p.processIdentifier, SIGUSR1)
        } else {
            try Data("kill\n".utf8).write(to: URL(fileURLWithPath: control))
        }
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        #expect(p.terminationStatus == 0)
        let report = try JSONSerialization.jsonObject(with: data) as? [String: Any] ?? [:]
        #expect(report["kill_switch"] as? String == "operator")
        #expect((report["refused_after_kill"] as? Int ?? 0) > 100, "the burst went on and was refused")
        #expect((report["open_orders"] as? [String: Any])?.isEmpty == true)
        _ = v.stop()
        let venue = try #require(v.venue.orderEntry?.snapshot(user: "TW1"))
        #expect(venue.orders.isEmpty, "zero open orders at the venue")
    }
}

@Suite(.serialized) struct GatewayCaptureTests {
    /// A gateway session captured by the venue decodes in tshark as SoupBinTCP and OUCH 4.x
    /// with no malformed packets or warnings.
    @Test func gatewaySessionDecodesInTshark() throws {
        try #require(FileManager.default.isExecutableFile(atPath: tickwireBinary), "build tickwire first")
        let cap = tempPath("gateway-session.pcap")
        let v = try TestVenue(seconds: 3, capture: cap)
        let (p, _) = try gatewayProcess(port: v.port, journal: tempPath("capture.journal"), orders: 200)
        p.waitUntilExit()
        #expect(p.terminationStatus == 0)
        _ = v.wait()
        guard let tshark = tsharkPath else {
            Issue.record("tshark is not installed (make deps installs it)")
            return
        }
        let decode = ["-r", cap, "-d", "tcp.port==\(v.port),soupbintcp"]
        let bad = try #require(commandOutput(tshark, decode + ["-Y", "_ws.malformed or _ws.expert.severity >= 6291456"]))
        #expect(bad.isEmpty, "\(bad.prefix(600))")
        let types = try #require(commandOutput(tshark, decode + ["-Y", "ouch", "-T", "fields", "-e", "ouch.packet_type"]))
        var counts: [String: Int] = [:]
        for t in types.split(separator: "\n").flatMap({ $0.split(separator: ",") }) { counts[String(t.filter { $0 != "'" }), default: 0] += 1 }
        // Enter, Replace, Cancel in; Accepted, Replaced, Canceled, Executed out.
        for t in ["O", "U", "X", "A", "C", "E"] { #expect(counts[t, default: 0] > 0, "OUCH \(t): \(counts)") }
        let soup = try #require(commandOutput(tshark, decode + ["-Y", "soupbintcp", "-T", "fields", "-e", "soupbintcp.packet_type"]))
        #expect(soup.contains("'L'") && soup.contains("'A'") && soup.contains("'O'"), "login, accepted, logout")
    }
}

@Suite struct BenchGatewayCommandTests {
    /// `tickwire bench gateway --json` reports both timings with the keys the README names (the
    /// figures themselves are measured on the release build, not asserted here), in rank order.
    /// 20,000 orders run past the throttle's ring (5,000) in both loops: the second loop's clock
    /// continues the first's (a clock going back is refused by the throttle).
    @Test(arguments: [("4.2", 2000), ("5.0", 2000), ("4.2", 20_000)])
    func reportsRiskPlusEncodeAndTheWholeSendPath(ouch: String, orders: Int) throws {
        try #require(FileManager.default.isExecutableFile(atPath: tickwireBinary), "build tickwire first")
        let out = try #require(commandOutput(tickwireBinary, ["bench", "gateway", "--orders", "\(orders)", "--ouch", ouch, "--json"]))
        let r = try #require(try JSONSerialization.jsonObject(with: Data(out.utf8)) as? [String: Any])
        for k in ["p50_ns", "p99_ns", "p999_ns", "risk_encode_p50_ns", "risk_encode_p99_ns", "risk_encode_p999_ns", "timer_overhead_ns"] {
            #expect((r[k] as? Double ?? 0) > 0, "\(k): \(String(describing: r[k]))")
        }
        let v = { (k: String) in r[k] as? Double ?? -1 }
        #expect(v("p50_ns") <= v("p99_ns") && v("p99_ns") <= v("p999_ns") && v("p999_ns") <= v("max_ns"))
        #expect(v("mean_ns") <= v("max_ns") && v("timer_overhead_ns") <= v("p50_ns"))
        #expect(v("risk_encode_p50_ns") <= v("risk_encode_p99_ns") && v("risk_encode_p99_ns") <= v("risk_encode_p999_ns"))
        #expect(r["risk_rejects"] as? Int == 0)
        #expect(r["orders"] as? Int == orders && r["ouch"] as? String == ouch)
        #expect(r["probe_p50_ns"] == nil && v("p99_over_p50") >= 1)
    }

    /// With --probe, the fixed work timed between the orders is reported beside the send path,
    /// sized to about its median (at least the 4 rounds it starts from), in rank order.
    @Test func probeTimesFixedWorkBetweenTheOrders() throws {
        try #require(FileManager.default.isExecutableFile(atPath: tickwireBinary), "build tickwire first")
        let out = try #require(commandOutput(tickwireBinary, ["bench", "gateway", "--orders", "5000", "--probe", "--json"]))
        let r = try #require(try JSONSerialization.jsonObject(with: Data(out.utf8)) as? [String: Any])
        let v = { (k: String) in r[k] as? Double ?? -1 }
        #expect((r["probe_rounds"] as? Int ?? 0) >= 4)
        #expect(v("probe_p50_ns") >= v("timer_overhead_ns") && v("timer_overhead_ns") > 0)
        #expect(v("probe_p50_ns") <= v("probe_p99_ns") && v("probe_p99_ns") <= v("probe_p999_ns"))
        #expect(v("probe_p99_over_p50") >= 1 && v("p99_over_p50") >= 1)
    }
}
