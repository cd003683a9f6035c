import Exchange
import Foundation
import OrderEntry
import Testing
import TickwireCore

let tickwireBinary = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().appendingPathComponent(".build/debug/tickwire").path

func gatewayProcess(port: UInt16, journal: String, orders: Int, version: String = "4.2", user: String = "TW1") throws -> (Process, Pipe) {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: tickwireBinary)
    p.arguments = ["gateway", "--order-entry", "127.0.0.1:\(port)", "--ouch", version, "--journal", journal, "--orders", String(orders),
                   "--rate", "4000", "--symbols", "5", "--json"]
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
    /// The gateway is killed with SIGKILL in the middle of a burst of orders and fills, then
    /// restarted from its journal: its open orders and positions equal the venue's, and the
    /// venue never saw an order number twice.
    @Test(arguments: ["4.2", "5.0"])
    func sigkillMidBurstThenRestartAgreesWithTheVenue(version: String) throws {
        try #require(FileManager.default.isExecutableFile(atPath: tickwireBinary), "build tickwire first")
        let user = version == "4.2" ? "TW1" : "TW2"
        let v = try TestVenue(seconds: 7)
        let journal = tempPath("crash-\(version).journal")
        let (first, _) = try gatewayProcess(port: v.port, journal: journal, orders: 1_000_000, version: version, user: user)
        Thread.sleep(forTimeInterval: 1.8)
        kill(first.processIdentifier, SIGKILL)
        first.waitUntilExit()
        #expect(first.terminationReason == .uncaughtSignal)
        let written = try #require(JournalWriter.read(path: journal))
        #expect(written.records.count > 100, "the burst was under way: \(written.records.count) records")
        let (second, out) = try gatewayProcess(port: v.port, journal: journal, orders: 0, version: version, user: user)
        let data = out.fileHandleForReading.readDataToEndOfFile()
        second.waitUntilExit()
        #expect(second.terminationStatus == 0)
        let report = try JSONSerialization.jsonObject(with: data) as? [String: Any] ?? [:]
        let s = try #require(v.wait())
        let venue = try #require(v.venue.orderEntry?.snapshot(user: user))
        let open = (report["open_orders"] as? [String: Int] ?? [:]).mapValues(UInt32.init)
        let positions = (report["positions"] as? [String: Int] ?? [:]).mapValues(Int64.init)
        #expect(open.count > 10, "resting orders survived the crash")
        #expect(open == Dictionary(uniqueKeysWithValues: venue.orders.map { (String($0.key), $0.value) }), "open orders agree")
        #expect(positions == Dictionary(uniqueKeysWithValues: venue.positions.map { (String($0.key), $0.value) }), "positions agree")
        #expect(!positions.isEmpty, "the burst traded")
        #expect(report["violations"] as? Int == 0)
        #expect(s.orderEntry?.duplicateTokens == 0 && s.orderEntry?.rejects == 0, "no order number used twice")
        #expect((report["restored_records"] as? Int ?? 0) == written.records.count)
        print("crash \(version): journal \(written.records.count) records, open \(open.count), positions \(positions), lost \(report["lost_in_transit"] ?? "?"), adopted \(report["adopted"] ?? "?"), venue orders received \(s.ordersReceived)")
    }
}
