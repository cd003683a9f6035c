import Exchange
import Foundation
import OrderEntry
import Testing
import TickwireCore
import Packets
import Sockets
import TestSupport


let tshark = ["/usr/bin/tshark", "/usr/local/bin/tshark"].first { FileManager.default.isExecutableFile(atPath: $0) }

@Suite(.serialized) struct ExchangeCLITests {
    /// `tickwire exchange` on the kernel's multicast with losses on line A: its capture decodes
    /// in tshark without malformed packets or warnings, the MoldUDP64 sequence ranges of the
    /// capture cover every published message, and the appliance's replay of the capture
    /// rebuilds the engine's final book exactly.
    @Test func captureDecodesAndReplaysToTheEnginesBook() throws {
        try #require(FileManager.default.isExecutableFile(atPath: Paths.binary), "build tickwire first")
        let cap = Paths.temp("exchange.pcap"), book = Paths.temp("exchange.book"), replayed = Paths.temp("exchange-replay.book")
        let s = try runTickwire(["exchange", "--seconds", "2", "--rate", "20000", "--symbols", "30", "--faults-a", "loss=0.03",
                                 "--faults-b", "dup=0.02", "--capture", cap, "--book-out", book, "--linger", "0", "--json"])
        let messages = try #require(s["messages"] as? Int)
        let packets = try #require(s["packets"] as? [String: Int])
        let lost = try #require(s["lost"] as? [String: Int])
        #expect(messages > 30_000, "about 20,000 a second")
        #expect(lost["a", default: 0] > 0 && lost["b", default: 0] == 0)
        #expect(s["send_errors"] as? Int == 0)
        #expect(s["capture_frames"] as? Int == packets["a", default: 0] + packets["b", default: 0])
        for key in ["messages", "packets", "rerequests_served", "orders_received"] { #expect(s[key] != nil, "\(key)") }

        let r = try runTickwire(["replay", cap, "--json", "--book-out", replayed])
        #expect(r["messages"] as? Int == messages)
        #expect(r["unrecovered_messages"] as? Int == 0)
        #expect(r["unknown_refs"] as? Int == 0)
        #expect(try String(contentsOfFile: replayed, encoding: .utf8) == String(contentsOfFile: book, encoding: .utf8))

        guard let tshark else {
            Issue.record("tshark is not installed (make deps installs it)")
            return
        }
        let bad = try #require(commandOutput(tshark, ["-r", cap, "-d", "udp.port==26477,moldudp64", "-Y",
                                              "_ws.malformed or _ws.expert.severity >= 4194304"]))
        #expect(bad.isEmpty, "malformed or expert warnings: \(bad.prefix(500))")
        let fields = try #require(commandOutput(tshark, ["-r", cap, "-d", "udp.port==26477,moldudp64", "-T", "fields",
                                                 "-e", "moldudp64.sequence", "-e", "moldudp64.count"]))
        var covered = Set<Int>()
        var frames = 0
        for line in fields.split(separator: "\n") {
            let f = line.split(separator: "\t").compactMap { Int($0) }
            guard f.count == 2 else { continue }
            frames += 1
            if f[1] == 0xFFFF { continue }
            for q in f[0] ..< f[0] + f[1] { covered.insert(q) }
        }
        #expect(frames == packets["a", default: 0] + packets["b", default: 0], "tshark saw every packet as MoldUDP64")
        #expect(covered.count == messages && covered.min() == 1 && covered.max() == messages)
    }

    /// A session with a client: the capture holds the feed and the SoupBinTCP/OUCH 4.2 stream,
    /// both decode in tshark without malformed packets or warnings, and the client's orders
    /// are counted.
    @Test func sessionWithAClientDecodesInTshark() throws {
        try #require(FileManager.default.isExecutableFile(atPath: Paths.binary), "build tickwire first")
        let port = try TCPListener(address: IPv4Address(127, 0, 0, 1), port: 0).port  // a free port (closed at once)
        let cap = Paths.temp("exchange-client.pcap")
        let p = Process()
        p.executableURL = URL(fileURLWithPath: Paths.binary)
        p.arguments = ["exchange", "--seconds", "3", "--rate", "5000", "--symbols", "10", "--order-entry", "127.0.0.1:\(port)",
                       "--capture", cap, "--linger", "0", "--json"]
        let out = Pipe()
        p.standardOutput = out
        try p.run()
        var client: SoupClient?
        for _ in 0..<100 where client == nil {
            client = try? SoupClient(port: port)
            if client == nil { Thread.sleep(forTimeInterval: 0.02) }
        }
        let c = try #require(client)
        c.login("TW1", "secret")
        #expect(c.next()?.0 == .loginAccepted)
        c.unsequenced(enter42("CLI00000000001", .buy, 100, "SYN0001", 10_000))
        #expect(c.sequenced { $0.first == 0x41 }.last?.first == 0x41)
        c.unsequenced(enter42("CLI00000000002", .sell, 100, "SYN0001", 100, tif: 0))
        #expect(c.sequenced { $0.first == 0x45 || $0.first == 0x43 }.isEmpty == false)
        c.unsequenced(bytes(OUCH42.CancelOrder.length) { OUCH42.CancelOrder(orderToken: Alpha14("CLI00000000001")!, shares: Shares(rawValue: 0)).encode(into: $0) })
        #expect(c.sequenced { $0.first == 0x43 }.last?.first == 0x43)
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        #expect(p.terminationStatus == 0)
        let s = try JSONSerialization.jsonObject(with: data) as? [String: Any] ?? [:]
        #expect(s["orders_received"] as? Int == 2)
        let messages = try #require(s["messages"] as? Int)
        guard let tshark else {
            Issue.record("tshark is not installed (make deps installs it)")
            return
        }
        let decode = ["-r", cap, "-d", "udp.port==26477,moldudp64", "-d", "tcp.port==\(port),soupbintcp"]
        // Warnings and errors (TCP's FIN notes are notes, not problems).
        let bad = try #require(commandOutput(tshark, decode + ["-Y", "_ws.malformed or _ws.expert.severity >= 6291456"]))
        #expect(bad.isEmpty, "malformed or expert warnings: \(bad.prefix(800))")
        let soup = try #require(commandOutput(tshark, decode + ["-Y", "soupbintcp", "-T", "fields", "-e", "soupbintcp.packet_type"]))
        let types = Set(soup.split(separator: "\n").flatMap { $0.split(separator: ",") }.map { String($0.filter { $0 != "'" }) })
        #expect(types.isSuperset(of: ["L", "A", "U", "S", "Z"]), "\(types)")
        let ouch = try #require(commandOutput(tshark, decode + ["-Y", "ouch", "-T", "fields", "-e", "ouch.packet_type"]))
        let ouchTypes = Set(ouch.split(separator: "\n").flatMap { $0.split(separator: ",") }.map { String($0.filter { $0 != "'" }) })
        #expect(ouchTypes.isSuperset(of: ["O", "A", "X", "C"]), "OUCH 4.x dissected: \(ouchTypes)")
        let counts = try #require(commandOutput(tshark, decode + ["-Y", "moldudp64 and ip.dst==233.54.12.111", "-T", "fields", "-e", "moldudp64.count"]))
        let sum = counts.split(separator: "\n").compactMap { Int($0) }.filter { $0 != 0xFFFF }.reduce(0, +)
        #expect(sum == messages, "line A carries every message once (no faults)")
    }

    @Test func badArgumentsAreClearErrors() {
        #expect(commandOutput(Paths.binary, ["exchange", "--faults-a", "loss=7", "--seconds", "1"]) == nil)
        #expect(commandOutput(Paths.binary, ["exchange", "--feed-a", "nonsense", "--seconds", "1"]) == nil)
        #expect(commandOutput(Paths.binary, ["exchange", "--seconds", "-1"]) == nil)
    }
}
