import Appliance
import Foundation
import Testing

enum Paths {
    static var root: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    }
    static var binary: String { root.appendingPathComponent(".build/debug/tickwire").path }
    static func temp(_ name: String) -> String {
        let d = FileManager.default.temporaryDirectory.appendingPathComponent("tw-appliance-\(getpid())")
        try? FileManager.default.createDirectory(at: d, withIntermediateDirectories: true)
        return d.appendingPathComponent(name).path
    }
}

/// Runs the tickwire binary; returns its stdout (throws with its stderr on a non-zero exit).
func tickwire(_ args: [String]) throws -> Data {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: Paths.binary)
    p.arguments = args
    let out = Pipe(), err = Pipe()
    p.standardOutput = out
    p.standardError = err
    try p.run()
    let data = out.fileHandleForReading.readDataToEndOfFile()
    let e = err.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    guard p.terminationStatus == 0 else {
        throw NSError(domain: "tickwire", code: Int(p.terminationStatus), userInfo: [NSLocalizedDescriptionKey: String(decoding: e, as: UTF8.self)])
    }
    return data
}

/// The new orders of a decision log: trigger sequence, locate, side, shares, price.
func newOrders(_ path: String) throws -> [[Substring]] {
    let text = try String(contentsOfFile: path, encoding: .utf8)
    var rows: [[Substring]] = []
    for line in text.split(separator: "\n").dropFirst() {
        let f: [Substring] = line.split(separator: ",", omittingEmptySubsequences: false)
        guard f.count == 9, f[1] == "new" else { continue }
        rows.append([f[6], f[2], f[3], f[4], f[5]])
    }
    return rows
}

@Suite(.serialized) struct DemoTests {
    /// The demo end to end (venue in a namespace, feed through DPDK af_packet, orders over TCP;
    /// loopback sockets where namespaces are not allowed), then the two claims built on its
    /// capture: the wire-to-wire pairing, and a replay through `tickwire replay --strategy`
    /// making the same orders in the same order as the live run.
    @Test func demoTradesAndReplayOfItsCaptureMakesTheSameOrders() throws {
        try #require(FileManager.default.isExecutableFile(atPath: Paths.binary), "build tickwire first")
        let out = Paths.temp("demo")
        let data = try tickwire(["demo", "--seconds", "4", "--rate", "20000", "--strategy", "taker", "--max-position", "1000000",
                                 "--order-port", "26611", "--out", out, "--json"])
        let r = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
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
        #expect(Set(stages.keys) == Set(["decode", "book", "strategy", "risk", "encode_send"]))
        #expect(r["open_orders_at_end"] as? Int == 0, "the wind-down cancels what is open")

        // Wire to wire from the capture, by the command a user runs.
        let lat = try JSONSerialization.jsonObject(with: try tickwire(["latency", out + "/capture.pcap", "--order-entry-port", "26611", "--json"]))
            as? [String: Any]
        #expect((lat?["pairs"] as? Int ?? 0) == orders, "every order paired with its trigger")

        // Replay the capture with the same strategy: the same orders, in the same order.
        _ = try tickwire(["replay", out + "/capture.pcap", "--feed-a", "239.192.10.1:26477", "--feed-b", "239.192.10.2:26477",
                          "--strategy", "taker", "--max-position", "1000000", "--decisions-out", out + "/replay.csv"])
        let live = try newOrders(out + "/decisions.csv")
        let replay = try newOrders(out + "/replay.csv")
        let lastTrigger = live.map { UInt64($0[0]) ?? 0 }.max() ?? 0
        let replayed = replay.filter { (UInt64($0[0]) ?? 0) <= lastTrigger }
        #expect(live.count == orders)
        #expect(replayed.count == live.count)
        #expect(replayed == live)
    }
}
