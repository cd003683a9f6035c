// An independent decoder's view: a pcap of one TCP connection carrying SoupBinTCP packets with
// OUCH 4.2 inside, written byte by byte here, read back by Wireshark's tshark (its soupbintcp
// and ouch dissectors). Skipped when tshark is not installed.

import Foundation
import Testing
import OrderEntry
import TickwireCore

/// The tshark executable on PATH, if any.
let tsharkPath: String? = {
    let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
    for dir in path.split(separator: ":") + ["/usr/bin", "/usr/local/bin"] {
        let candidate = "\(dir)/tshark"
        if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
    }
    return nil
}()

/// Builds a classic little-endian pcap of Ethernet/IPv4/TCP frames between a client and a server.
struct PcapWriter {
    static let client: [UInt8] = [10, 0, 0, 1]
    static let server: [UInt8] = [10, 0, 0, 2]
    static let clientPort: UInt16 = 40_000
    static let serverPort: UInt16 = 15_000

    var bytes: [UInt8] = []
    var clientSeq: UInt32 = 1_000
    var serverSeq: UInt32 = 5_000
    var frames = 0

    init() {
        le32(0xA1B2_C3D4); le16(2); le16(4); le32(0); le32(0); le32(65_535); le32(1)  // Ethernet
    }

    mutating func le16(_ v: UInt16) { bytes += [UInt8(v & 0xFF), UInt8(v >> 8)] }
    mutating func le32(_ v: UInt32) { for i in 0..<4 { bytes.append(UInt8(truncatingIfNeeded: v >> (8 * i))) } }

    static func be16(_ v: UInt16) -> [UInt8] { [UInt8(v >> 8), UInt8(v & 0xFF)] }
    static func be32(_ v: UInt32) -> [UInt8] { (0..<4).map { UInt8(truncatingIfNeeded: v >> (24 - 8 * $0)) } }

    static func ipChecksum(_ header: [UInt8]) -> UInt16 {
        var sum: UInt32 = 0
        for i in stride(from: 0, to: header.count, by: 2) { sum += UInt32(header[i]) << 8 | UInt32(header[i + 1]) }
        while sum >> 16 != 0 { sum = (sum & 0xFFFF) + (sum >> 16) }
        return ~UInt16(sum)
    }

    /// One segment; `fromClient` picks the direction. Sequence numbers advance by the payload.
    mutating func segment(fromClient: Bool, flags: UInt8, payload: [UInt8] = []) {
        let (src, dst) = fromClient ? (Self.client, Self.server) : (Self.server, Self.client)
        let (sport, dport) = fromClient ? (Self.clientPort, Self.serverPort) : (Self.serverPort, Self.clientPort)
        let seq = fromClient ? clientSeq : serverSeq
        let ack: UInt32 = flags & 0x10 != 0 ? (fromClient ? serverSeq : clientSeq) : 0
        var tcp = Self.be16(sport) + Self.be16(dport) + Self.be32(seq) + Self.be32(ack)
        tcp += [0x50, flags] + Self.be16(65_535) + [0, 0, 0, 0] + payload
        var ip: [UInt8] = [0x45, 0] + Self.be16(UInt16(20 + tcp.count)) + Self.be16(UInt16(frames + 1)) + [0x40, 0, 64, 6, 0, 0]
        ip += src + dst
        let c = Self.ipChecksum(ip)
        ip[10] = UInt8(c >> 8)
        ip[11] = UInt8(c & 0xFF)
        let frame: [UInt8] = [2, 0, 0, 0, 0, 2] + [2, 0, 0, 0, 0, 1] + [0x08, 0x00] + ip + tcp
        le32(UInt32(1_700_000_000 + frames)); le32(0); le32(UInt32(frame.count)); le32(UInt32(frame.count))
        bytes += frame
        frames += 1
        let advance = UInt32(payload.count) + (flags & 0x02 != 0 ? 1 : 0)
        if fromClient { clientSeq += advance } else { serverSeq += advance }
    }
}

@Suite struct TsharkTests {
    static func soup(_ type: SoupBinTCP.PacketType, _ message: [UInt8]) throws -> [UInt8] {
        try #require(message.withUnsafeBytes { m in encoded { SoupBinTCP.encode(into: $0, type: type, payload: m) } })
    }

    @Test(.enabled(if: tsharkPath != nil, "tshark is not installed"))
    func tsharkDecodesOurStream() throws {
        let token = Alpha14("ABC123")!
        let enter = try #require(encoded { OUCH42Tests.enterOrder.encode(into: $0) })
        let event = try #require(encoded {
            OUCH42.SystemEvent(timestamp: VenueTime(nanosSinceMidnight: 14_400_000_000_000), eventCode: "S").encode(into: $0)
        })
        let accepted = try #require(encoded {
            OUCH42.Accepted(timestamp: VenueTime(nanosSinceMidnight: 34_200_000_000_000), orderToken: token, side: .buy,
                            shares: Shares(rawValue: 100), stock: Alpha8("AAPL")!, price: Price(rawValue: 1_502_500),
                            timeInForce: OUCH42.marketHours, firm: Alpha4("FIRM")!, display: "Y",
                            orderReferenceNumber: OrderRef(rawValue: 123_456_789), capacity: "A",
                            intermarketSweepEligibility: "N", minimumQuantity: Shares(rawValue: 0), crossType: "N",
                            orderState: "L", bboWeightIndicator: " ").encode(into: $0)
        })
        let executed = try #require(encoded {
            OUCH42.Executed(timestamp: VenueTime(nanosSinceMidnight: 34_200_000_000_100), orderToken: token,
                            executedShares: Shares(rawValue: 40), executionPrice: Price(rawValue: 1_502_400),
                            liquidityFlag: "A", matchNumber: 987_654).encode(into: $0)
        })
        let cancel = try #require(encoded {
            OUCH42.CancelOrder(orderToken: token, shares: Shares(rawValue: 0)).encode(into: $0)
        })
        let canceled = try #require(encoded {
            OUCH42.Canceled(timestamp: VenueTime(nanosSinceMidnight: 34_200_000_000_200), orderToken: token,
                            decrementShares: Shares(rawValue: 60), reason: "U").encode(into: $0)
        })
        let login = try #require(encoded {
            SoupBinTCP.encodeLoginRequest(into: $0, username: Alpha6("USER1")!, password: Alpha10("PASSWORD1")!,
                                          requestedSession: .blank, requestedSequenceNumber: 1)
        })
        let loginAccepted = try #require(encoded {
            SoupBinTCP.encodeLoginAccepted(into: $0, session: SoupBinTCP.session("SESS01")!, sequenceNumber: 1)
        })
        let unsequencedEnter = try Self.soup(.unsequencedData, enter)

        var pcap = PcapWriter()
        pcap.segment(fromClient: true, flags: 0x02)                                    // SYN
        pcap.segment(fromClient: false, flags: 0x12)                                   // SYN, ACK
        pcap.segment(fromClient: true, flags: 0x10)                                    // ACK
        pcap.segment(fromClient: true, flags: 0x18, payload: login)
        pcap.segment(fromClient: false, flags: 0x18, payload: loginAccepted + (try Self.soup(.sequencedData, event)))
        // The Enter Order's packet split across two segments: tshark must reassemble it.
        pcap.segment(fromClient: true, flags: 0x18, payload: Array(unsequencedEnter.prefix(20)))
        pcap.segment(fromClient: true, flags: 0x18, payload: Array(unsequencedEnter.dropFirst(20)))
        pcap.segment(fromClient: false, flags: 0x18,
                     payload: (try Self.soup(.sequencedData, accepted)) + (try Self.soup(.serverHeartbeat, [])))
        pcap.segment(fromClient: false, flags: 0x18, payload: try Self.soup(.sequencedData, executed))
        pcap.segment(fromClient: true, flags: 0x18,
                     payload: (try Self.soup(.clientHeartbeat, [])) + (try Self.soup(.unsequencedData, cancel)))
        pcap.segment(fromClient: false, flags: 0x18,
                     payload: (try Self.soup(.sequencedData, canceled)) + (try Self.soup(.endOfSession, [])))
        pcap.segment(fromClient: true, flags: 0x18, payload: try Self.soup(.logoutRequest, []))

        let file = FileManager.default.temporaryDirectory.appendingPathComponent("oe-soupbin-\(UInt32.random(in: 0...UInt32.max)).pcap")
        try Data(pcap.bytes).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }

        let decode = ["-d", "tcp.port==\(PcapWriter.serverPort),soupbintcp"]
        let fields = try Self.tshark(["-r", file.path] + decode + ["-T", "fields", "-E", "separator=|",
            "-e", "soupbintcp.packet_type", "-e", "ouch.packet_type", "-e", "ouch.order_token", "-e", "ouch.shares",
            "-e", "ouch.price", "-e", "ouch.stock", "-e", "ouch.executed_shares", "-e", "ouch.execution_price",
            "-e", "ouch.match_number", "-e", "ouch.order_reference_number", "-e", "ouch.decrement_shares",
            "-e", "soupbintcp.username", "-e", "soupbintcp.session"])
        let rows = fields.split(separator: "\n", omittingEmptySubsequences: false).map { $0.split(separator: "|", omittingEmptySubsequences: false).map(String.init) }
        let soupTypes = rows.filter { $0.count > 1 }.map { $0[0] }
        #expect(soupTypes == ["", "", "", "'L'", "'A','S'", "", "'U'", "'S','H'", "'S'", "'R','U'", "'S','Z'", "'O'"],
                "\(fields)")
        func row(_ frame: Int) -> [String] { frame - 1 < rows.count ? rows[frame - 1] : [] }
        // Frame 4: the login request's fields.
        #expect(row(4).count > 12 && row(4)[11].trimmingCharacters(in: .whitespaces) == "USER1")
        // Frame 5: the System Event inside the Sequenced Data packet.
        #expect(row(5).count > 1 && row(5)[1] == "'S'", "\(row(5))")
        // Frame 7: the reassembled Enter Order as the OUCH dissector reads it.
        #expect(Array(row(7).prefix(6)) == ["'U'", "'O'", "ABC123        ", "100", "1502500", "AAPL    "], "\(row(7))")
        // Frame 8: Accepted.
        #expect(row(8).count > 9 && row(8)[1] == "'A'" && row(8)[3] == "100" && row(8)[9] == "123456789", "\(row(8))")
        // Frame 9: Executed.
        #expect(row(9).count > 8 && row(9)[1] == "'E'" && row(9)[6] == "40" && row(9)[7] == "1502400" && row(9)[8] == "987654",
                "\(row(9))")
        // Frames 10 and 11: Cancel Order and Canceled.
        #expect(row(10).count > 3 && row(10)[1] == "'X'" && row(10)[3] == "0", "\(row(10))")
        #expect(row(11).count > 10 && row(11)[1] == "'C'" && row(11)[10] == "60", "\(row(11))")

        // Nothing malformed, no warnings or errors from any dissector (TCP included).
        let problems = try Self.tshark(["-r", file.path] + decode + ["-Y", "_ws.malformed or _ws.expert.severity >= 0x600000"])
        #expect(problems.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty, "\(problems)")
    }

    /// tshark's standard output (its "running as root" notice goes to standard error).
    static func tshark(_ arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try #require(tsharkPath))
        process.arguments = arguments
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        try process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "tshark \(arguments) exited \(process.terminationStatus)")
        return String(decoding: data, as: UTF8.self)
    }
}
