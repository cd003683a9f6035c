import Testing
import TickwireCore
@testable import Packets

// MARK: - Helpers

/// "01005e..." -> bytes (test fixtures only; malformed text records an issue).
private func hex(_ text: String) -> [UInt8] {
    let digits = Array(text.utf8)
    var out: [UInt8] = []
    var i = 0
    while i + 1 < digits.count {
        guard let hi = nibble(digits[i]), let lo = nibble(digits[i + 1]) else {
            Issue.record("bad hex in fixture")
            return []
        }
        out.append(hi << 4 | lo)
        i += 2
    }
    return out
}

private func nibble(_ c: UInt8) -> UInt8? {
    switch c {
    case 48...57: c - 48
    case 97...102: c - 87
    default: nil
    }
}

/// RFC 1071 written the plain way (big-endian 16-bit words, zero-padded odd byte), as an
/// independent reference for `internetChecksum`.
private func referenceChecksum(_ bytes: [UInt8], initial: UInt32 = 0) -> UInt16 {
    var sum = UInt64(initial)
    var i = 0
    while i < bytes.count {
        let hi = UInt64(bytes[i]) << 8
        let lo = i + 1 < bytes.count ? UInt64(bytes[i + 1]) : 0
        sum += hi | lo
        i += 2
    }
    while sum > 0xFFFF { sum = (sum & 0xFFFF) + (sum >> 16) }
    return ~UInt16(sum)
}

private func referenceTransportChecksum(_ src: [UInt8], _ dst: [UInt8], _ proto: UInt8, _ segment: [UInt8]) -> UInt16 {
    let length = UInt16(segment.count)
    return referenceChecksum(src + dst + [0, proto, UInt8(length >> 8), UInt8(length & 0xFF)] + segment)
}

/// Recomputes the IPv4 header checksum of the header at `offset`, with the reference code.
private func fixIPv4Checksum(_ frame: inout [UInt8], at offset: Int = 14) {
    let headerLength = Int(frame[offset] & 0x0F) * 4
    frame[offset + 10] = 0
    frame[offset + 11] = 0
    let sum = referenceChecksum(Array(frame[offset..<offset + headerLength]))
    frame[offset + 10] = UInt8(sum >> 8)
    frame[offset + 11] = UInt8(sum & 0xFF)
}

/// (TickwireCore's generator.)
extension SplitMix64 {
    fileprivate mutating func next(below bound: Int) -> Int { below(bound) }
    fileprivate mutating func byte() -> UInt8 { UInt8(truncatingIfNeeded: next()) }
}

private func rebased(_ b: UnsafeRawBufferPointer, _ range: Range<Int>) -> UnsafeRawBufferPointer {
    UnsafeRawBufferPointer(rebasing: b[range])
}

private func dropOf(_ result: UDPFrameParse) -> FrameDrop? {
    if case .dropped(let drop) = result { return drop }
    return nil
}

private func frameOf(_ result: UDPFrameParse) -> UDPFrame? {
    if case .udp(let frame) = result { return frame }
    return nil
}

private func parse(_ frame: [UInt8], verify: Bool = true, verifyUDP: Bool = false) -> UDPFrameParse {
    frame.withUnsafeBytes { parseUDPFrame($0, verifyIPChecksum: verify, verifyUDPChecksum: verifyUDP) }
}

/// Builds into a 2 KiB zeroed buffer and returns the written bytes (empty if the builder failed).
private func build(_ body: (UnsafeMutableRawBufferPointer) -> Int?) -> [UInt8] {
    var buffer = [UInt8](repeating: 0, count: 2048)
    guard let n = buffer.withUnsafeMutableBytes(body) else {
        Issue.record("builder returned nil")
        return []
    }
    return Array(buffer[0..<n])
}

/// Touches every accessor of every view that accepts `b` (or its inner payloads); used to show
/// that no input traps. Returns a hash so the work is not dead.
@discardableResult
private func exerciseAll(_ b: UnsafeRawBufferPointer) -> UInt64 {
    var h: UInt64 = 0
    func mix<T: BinaryInteger>(_ x: T) { h = h &* 31 &+ UInt64(truncatingIfNeeded: x) }

    func ip(_ p: UnsafeRawBufferPointer) {
        guard let v = IPv4View(p) else { return }
        mix(v.version); mix(v.headerLength); mix(v.dscp); mix(v.ecn); mix(v.totalLength)
        mix(v.identification); mix(v.flags); mix(v.fragmentOffset); mix(v.ttl); mix(v.ipProtocol)
        mix(v.headerChecksum); mix(v.source.value); mix(v.destination.value); mix(v.options.count)
        mix(v.payload.count); mix(v.isChecksumValid ? 1 : 0); mix(v.isFragment ? 1 : 0)
        mix(v.dontFragment ? 1 : 0); mix(v.moreFragments ? 1 : 0)
        transport(v.payload, v.source, v.destination)
    }
    func transport(_ p: UnsafeRawBufferPointer, _ s: IPv4Address, _ d: IPv4Address) {
        if let u = UDPView(p) {
            mix(u.sourcePort); mix(u.destinationPort); mix(u.length); mix(u.checksum)
            mix(u.payload.count); mix(u.segment.count)
            mix(u.isChecksumValid(source: s, destination: d) ? 1 : 0)
        }
        if let t = TCPView(p) {
            mix(t.sourcePort); mix(t.destinationPort); mix(t.sequence); mix(t.acknowledgment)
            mix(t.dataOffset); mix(t.headerLength); mix(t.flags.rawValue); mix(t.window)
            mix(t.checksum); mix(t.urgentPointer); mix(t.options.count); mix(t.payload.count)
            mix(t.isChecksumValid(source: s, destination: d) ? 1 : 0)
            for kind in UInt8(0)...9 { mix(t.option(kind: kind)?.count ?? -1) }
            mix(t.maximumSegmentSize ?? 0); mix(t.windowScale ?? 0)
        }
        if let g = IGMPView(p) {
            mix(g.type); mix(g.maxRespTime); mix(g.checksum); mix(g.groupAddress.value)
            mix(g.isChecksumValid ? 1 : 0); mix(g.groupRecordCount)
            for r in g.groupRecords {
                mix(r.recordType); mix(r.multicastAddress.value); mix(r.numberOfSources)
                for i in -1...(r.numberOfSources + 1) { mix(r.source(at: i)?.value ?? 0) }
            }
        }
    }
    func arp(_ p: UnsafeRawBufferPointer) {
        guard let a = ARPView(p) else { return }
        mix(a.operation); mix(a.senderMAC.rawValue); mix(a.senderIP.value)
        mix(a.targetMAC.rawValue); mix(a.targetIP.value)
    }

    if let e = EthernetView(b) {
        mix(e.destination.rawValue); mix(e.source.rawValue); mix(e.etherType); mix(e.vlanCount)
        mix(e.outerVLANID ?? 0xFFFF); mix(e.outerPriority ?? 0xFF); mix(e.innerVLANID ?? 0xFFFF)
        mix(e.headerLength); mix(e.payload.count)
        ip(e.payload)
        arp(e.payload)
    }
    // Every view straight on the raw bytes too.
    ip(b)
    arp(b)
    transport(b, IPv4Address(value: 1), IPv4Address(value: 2))
    mix(internetChecksum(b))
    for verify in [false, true] {
        switch parseUDPFrame(b, verifyIPChecksum: verify) {
        case .dropped(let drop):
            mix(drop.rawValue)
        case .udp(let f):
            mix(f.sourceIP.value); mix(f.destinationIP.value); mix(f.sourcePort)
            mix(f.destinationPort); mix(f.vlanID ?? 0xFFFF); mix(f.payload.count)
            // The payload lies inside the frame.
            let start = Int(bitPattern: f.payload.baseAddress), base = Int(bitPattern: b.baseAddress)
            #expect(f.payload.isEmpty || (start >= base && start + f.payload.count <= base + b.count))
        }
    }
    return h
}

// MARK: - Fixtures (computed independently, with Python's struct module and RFC 1071)

struct HeaderFixture: Sendable, CustomTestStringConvertible {
    let name: String
    let bytes: [UInt8]
    var testDescription: String { name }

    /// Market data: 10.1.2.3:40000 -> 233.54.12.111:26477, TTL 31, ID 0x1234, 10-byte payload,
    /// padded to 60 bytes.
    static let udpMulticast = HeaderFixture(name: "udpMulticast", bytes: hex(
        "01005e360c6f001b21aabbcc080045000026123400001f1187ea0a010203e9360c6f9c40676d0012e154"
        + "0102030405060708090a0000000000000000"))
    /// What FrameBuilder.udpFrame must produce: 192.168.1.10:5000 -> 233.54.12.111:26477 "hello".
    static let udpBuilt = HeaderFixture(name: "udpBuilt", bytes: hex(
        "01005e360c6f0200000000010800450000210000400040118374c0a8010ae9360c6f1388676d000d89b4"
        + "68656c6c6f"))
    /// 802.1Q VID 100, PCP 3: 10.0.0.1:1234 -> 239.1.1.1:5678 "ABCD".
    static let vlan = HeaderFixture(name: "vlan", bytes: hex(
        "01005e0101010011223344558100606408004500002000074000081178c30a000001ef01010104d2162e"
        + "000c664c41424344"))
    /// QinQ: 802.1ad VID 200 outside, 802.1Q VID 100 inside, same packet.
    static let qinq = HeaderFixture(name: "qinq", bytes: hex(
        "01005e01010100112233445588a800c88100006408004500002000074000081178c30a000001ef010101"
        + "04d2162e000c664c41424344"))
    /// TCP SYN 10.0.0.2:51000 -> 10.0.0.1:443, MSS 1460, SACK-permitted, timestamps, wscale 7.
    static let tcpSyn = HeaderFixture(name: "tcpSyn", bytes: hex(
        "00112233445566778899aabb08004500003c00004000400626ba0a0000020a000001c73801bb11223344"
        + "00000000a002faf049710000020405b40402080a0001e2400000000001030307"))
    /// Who has 10.0.0.2? Tell 10.0.0.1.
    static let arpRequest = HeaderFixture(name: "arpRequest", bytes: hex(
        "ffffffffffff001122334455080600010800060400010011223344550a0000010000000000000a000002"))
    /// 10.0.0.2 is at 66:77:88:99:aa:bb.
    static let arpReply = HeaderFixture(name: "arpReply", bytes: hex(
        "00112233445566778899aabb0806000108000604000266778899aabb0a0000020011223344550a000001"))
    /// IGMPv2 membership report for 233.54.12.111 (Router Alert, TTL 1, TOS 0xc0).
    static let igmpReport = HeaderFixture(name: "igmpReport", bytes: hex(
        "01005e360c6f001122334455080046c00020000040000102e4710a000001e9360c6f940400001600f459"
        + "e9360c6f"))
    /// IGMPv2 leave for 233.54.12.111, to 224.0.0.2.
    static let igmpLeave = HeaderFixture(name: "igmpLeave", bytes: hex(
        "01005e000002001122334455080046c00020000040000102fa140a000001e0000002940400001700f359"
        + "e9360c6f"))
    /// IGMPv3 report: CHANGE_TO_EXCLUDE 233.54.12.111 (no sources), MODE_IS_INCLUDE 239.1.1.1
    /// with source 10.9.9.9.
    static let igmpV3 = HeaderFixture(name: "igmpV3", bytes: hex(
        "01005e000016001122334455080046c00034000040000102f9ec0a000001e0000016940400002200e041"
        + "0000000204000000e9360c6f01000001ef0101010a090909"))
    /// What FrameBuilder.igmpV3Report must produce for joins of 233.54.12.111 and 239.1.1.1.
    static let igmpV3Built = HeaderFixture(name: "igmpV3Built", bytes: hex(
        "01005e000016001122334455080046c00030000040000102f9f00a000001e0000016940400002200f054"
        + "0000000204000000e9360c6f04000000ef010101"))

    static let all: [HeaderFixture] = [udpMulticast, udpBuilt, vlan, qinq, tcpSyn, arpRequest, arpReply,
                                 igmpReport, igmpLeave, igmpV3, igmpV3Built]
}

private let hostA = MACAddress(0x00, 0x11, 0x22, 0x33, 0x44, 0x55)
private let hostB = MACAddress(0x66, 0x77, 0x88, 0x99, 0xAA, 0xBB)

// MARK: - Checksums and addresses

@Suite struct HeaderChecksumTests {
    @Test func rfc1071Example() {
        let bytes: [UInt8] = [0x00, 0x01, 0xF2, 0x03, 0xF4, 0xF5, 0xF6, 0xF7]
        #expect(bytes.withUnsafeBytes { internetChecksum($0) } == 0x220D)
        #expect(referenceChecksum(bytes) == 0x220D)
        #expect(~UInt16(0x220D) == 0xDDF2)
        // Odd length: the last byte is the high half of a zero-padded word.
        #expect([UInt8(0x12)].withUnsafeBytes { internetChecksum($0) } == ~UInt16(0x1200))
        #expect(internetChecksum(UnsafeRawBufferPointer(start: nil, count: 0)) == 0xFFFF)
    }

    @Test func matchesReferenceOnRandomData() {
        var rng = SplitMix64(state: 1071)
        for _ in 0..<3000 {
            let length = rng.next(below: 300), skew = rng.next(below: 8)
            let bytes = (0..<(length + skew)).map { _ in rng.byte() }
            let initial = rng.next(below: 3) == 0 ? 0 : UInt32(truncatingIfNeeded: rng.next() >> 44)
            let body = Array(bytes[skew...])
            let got = bytes.withUnsafeBytes { internetChecksum(rebased($0, skew..<$0.count), initial: initial) }
            #expect(got == referenceChecksum(body, initial: initial))
        }
        // Long runs of 0xff exercise the end-around carries.
        let ones = [UInt8](repeating: 0xFF, count: 4097)
        #expect(ones.withUnsafeBytes { internetChecksum($0, initial: 0xFFFF_FFFF) }
                == referenceChecksum(ones, initial: 0xFFFF_FFFF))
    }

    @Test func transportChecksumMatchesReference() {
        var rng = SplitMix64(state: 793)
        for _ in 0..<500 {
            let segment = (0..<rng.next(below: 100)).map { _ in rng.byte() }
            let s = IPv4Address(value: UInt32(truncatingIfNeeded: rng.next()))
            let d = IPv4Address(value: UInt32(truncatingIfNeeded: rng.next()))
            let proto: UInt8 = rng.next(below: 2) == 0 ? 6 : 17
            let bytesOf = { (a: IPv4Address) in (0..<4).map { UInt8(truncatingIfNeeded: a.value >> (24 - 8 * $0)) } }
            let got = segment.withUnsafeBytes {
                transportChecksum(source: s, destination: d, protocol: proto, segment: $0)
            }
            #expect(got == referenceTransportChecksum(bytesOf(s), bytesOf(d), proto, segment))
        }
    }

    @Test(arguments: HeaderFixture.all) func fixtureIPv4HeadersVerifyIndependently(_ fixture: HeaderFixture) throws {
        let e = try #require(fixture.bytes.withUnsafeBytes { EthernetView($0)?.headerLength })
        guard fixture.bytes[e - 2] == 0x08, fixture.bytes[e - 1] == 0x00 else { return }
        let ihl = Int(fixture.bytes[e] & 0x0F) * 4
        #expect(referenceChecksum(Array(fixture.bytes[e..<e + ihl])) == 0)
    }
}

@Suite struct HeaderAddressTests {
    @Test func ipv4Parsing() {
        #expect(IPv4Address("233.54.12.111")?.value == 0xE936_0C6F)
        #expect(IPv4Address("0.0.0.0")?.value == 0)
        #expect(IPv4Address("255.255.255.255")?.value == 0xFFFF_FFFF)
        #expect(IPv4Address(233, 54, 12, 111).description == "233.54.12.111")
        for bad in ["", "1.2.3", "1.2.3.4.5", "256.1.1.1", "1..2.3", "01.2.3.4", "a.b.c.d",
                    "1.2.3.4 ", ".1.2.3", "1.2.3.", "1.2.3.1000", "-1.2.3.4"] {
            #expect(IPv4Address(bad) == nil, "\(bad)")
        }
    }

    @Test func multicast() {
        let group = IPv4Address(233, 54, 12, 111)
        #expect(group.isMulticast)
        #expect(!IPv4Address(10, 1, 2, 3).isMulticast)
        #expect(IPv4Address(239, 255, 255, 255).isMulticast && !IPv4Address(240, 0, 0, 0).isMulticast)
        #expect(group.multicastMAC.description == "01:00:5e:36:0c:6f")
        // Only the low 23 bits map: 239.129.1.1 and 239.1.1.1 share a MAC.
        #expect(IPv4Address(239, 129, 1, 1).multicastMAC == IPv4Address(239, 1, 1, 1).multicastMAC)
        #expect(group.multicastMAC.isMulticast && !hostA.isMulticast)
    }

    @Test func macAddresses() {
        #expect(hostA.description == "00:11:22:33:44:55")
        #expect(MACAddress.broadcast.description == "ff:ff:ff:ff:ff:ff" && MACAddress.broadcast.isBroadcast)
        #expect(MACAddress("00:11:22:33:44:55") == hostA)
        #expect(MACAddress("66-77-88-99-AA-BB") == hostB)
        #expect(MACAddress("0:1:2:3:4:5") == MACAddress(0, 1, 2, 3, 4, 5))
        for bad in ["", "00:11:22:33:44", "00:11:22:33:44:55:66", "001:1:2:3:4:5", "gg:11:22:33:44:55",
                    "00:11:22:33:44:", ":00:11:22:33:44"] {
            #expect(MACAddress(bad) == nil, "\(bad)")
        }
        #expect(Set([hostA, hostB, hostA]).count == 2)
    }
}

// MARK: - HeaderFixture views

@Suite struct HeaderViewTests {
    @Test func multicastUDP() throws {
        try HeaderFixture.udpMulticast.bytes.withUnsafeBytes { f in
            let e = try #require(EthernetView(f))
            #expect(e.destination.description == "01:00:5e:36:0c:6f")
            #expect(e.source.description == "00:1b:21:aa:bb:cc")
            #expect(e.etherType == EtherType.ipv4 && e.vlanCount == 0 && e.outerVLANID == nil)
            #expect(e.headerLength == 14 && e.payload.count == 46)

            let ip = try #require(IPv4View(e.payload))
            #expect(ip.version == 4 && ip.headerLength == 20 && ip.dscp == 0 && ip.ecn == 0)
            #expect(ip.totalLength == 38 && ip.identification == 0x1234 && ip.flags == 0)
            #expect(!ip.dontFragment && !ip.moreFragments && ip.fragmentOffset == 0 && !ip.isFragment)
            #expect(ip.ttl == 31 && ip.ipProtocol == IPProtocol.udp && ip.headerChecksum == 0x87EA)
            #expect(ip.source == IPv4Address(10, 1, 2, 3) && ip.destination == IPv4Address(233, 54, 12, 111))
            #expect(ip.isChecksumValid && ip.options.isEmpty)
            #expect(ip.payload.count == 18)                      // the 8 padding bytes are excluded
            #expect(ip.destination.multicastMAC == e.destination)

            let udp = try #require(UDPView(ip.payload))
            #expect(udp.sourcePort == 40000 && udp.destinationPort == 26477)
            #expect(udp.length == 18 && udp.checksum == 0xE154)
            #expect(Array(udp.payload) == [UInt8](1...10))
            #expect(udp.isChecksumValid(source: ip.source, destination: ip.destination))
            #expect(!udp.isChecksumValid(source: ip.source, destination: IPv4Address(233, 54, 12, 112)))
        }
        let frame = try #require(frameOf(parse(HeaderFixture.udpMulticast.bytes)))
        #expect(frame.sourceIP == IPv4Address(10, 1, 2, 3) && frame.destinationIP == IPv4Address(233, 54, 12, 111))
        #expect(frame.sourcePort == 40000 && frame.destinationPort == 26477 && frame.vlanID == nil)
        #expect(Array(frame.payload) == [UInt8](1...10))
    }

    @Test func vlanTagged() throws {
        try HeaderFixture.vlan.bytes.withUnsafeBytes { f in
            let e = try #require(EthernetView(f))
            #expect(e.vlanCount == 1 && e.outerVLANID == 100 && e.outerPriority == 3 && e.innerVLANID == nil)
            #expect(e.headerLength == 18 && e.etherType == EtherType.ipv4)
            let ip = try #require(IPv4View(e.payload))
            #expect(ip.isChecksumValid && ip.dontFragment && ip.ttl == 8 && ip.identification == 7)
            let udp = try #require(UDPView(ip.payload))
            #expect(udp.isChecksumValid(source: ip.source, destination: ip.destination))
        }
        let frame = try #require(frameOf(parse(HeaderFixture.vlan.bytes)))
        #expect(frame.vlanID == 100 && frame.sourcePort == 1234 && frame.destinationPort == 5678)
        #expect(frame.payload.elementsEqual("ABCD".utf8))
    }

    @Test func qinq() throws {
        try HeaderFixture.qinq.bytes.withUnsafeBytes { f in
            let e = try #require(EthernetView(f))
            #expect(e.vlanCount == 2 && e.outerVLANID == 200 && e.innerVLANID == 100 && e.outerPriority == 0)
            #expect(e.headerLength == 22 && e.etherType == EtherType.ipv4)
        }
        let frame = try #require(frameOf(parse(HeaderFixture.qinq.bytes)))
        #expect(frame.vlanID == 200 && frame.destinationIP == IPv4Address(239, 1, 1, 1))
        #expect(frame.payload.elementsEqual("ABCD".utf8))
    }

    @Test func tcpSynWithOptions() throws {
        try HeaderFixture.tcpSyn.bytes.withUnsafeBytes { f in
            let ip = try #require(EthernetView(f).flatMap { IPv4View($0.payload) })
            #expect(ip.ipProtocol == IPProtocol.tcp && ip.isChecksumValid)
            let tcp = try #require(TCPView(ip.payload))
            #expect(tcp.sourcePort == 51000 && tcp.destinationPort == 443)
            #expect(tcp.sequence == 0x1122_3344 && tcp.acknowledgment == 0)
            #expect(tcp.dataOffset == 10 && tcp.headerLength == 40 && tcp.options.count == 20)
            #expect(tcp.flags == .syn && !tcp.flags.contains(.ack))
            #expect(tcp.window == 64240 && tcp.checksum == 0x4971 && tcp.urgentPointer == 0)
            #expect(tcp.payload.isEmpty)
            #expect(tcp.maximumSegmentSize == 1460 && tcp.windowScale == 7)
            #expect(tcp.option(kind: 4)?.count == 0)            // SACK permitted
            #expect(tcp.option(kind: 8).map { Array($0) } == [0, 1, 0xE2, 0x40, 0, 0, 0, 0])
            #expect(tcp.option(kind: 5) == nil)
            #expect(tcp.isChecksumValid(source: ip.source, destination: ip.destination))
            #expect(!tcp.isChecksumValid(source: ip.destination, destination: IPv4Address(10, 0, 0, 3)))
        }
        #expect(dropOf(parse(HeaderFixture.tcpSyn.bytes)) == .notUDP)
    }

    @Test func tcpOptionsMalformed() throws {
        // Header with 8 option bytes: MSS whose length runs past the options.
        var segment = [UInt8](repeating: 0, count: 28)
        segment[12] = 7 << 4
        segment[20...23] = [1, 2, 9, 0]
        try segment.withUnsafeBytes { b in
            let tcp = try #require(TCPView(b))
            #expect(tcp.maximumSegmentSize == nil && tcp.option(kind: 2) == nil)
        }
        segment[20...27] = [1, 1, 1, 1, 1, 1, 1, 3]                 // kind with no length byte
        #expect(segment.withUnsafeBytes { TCPView($0)?.windowScale } == nil)
        segment[20...27] = [3, 0, 7, 0, 0, 0, 0, 0]                 // length 0
        #expect(segment.withUnsafeBytes { TCPView($0)?.windowScale } == nil)
    }

    @Test func arpRequestAndReply() throws {
        try HeaderFixture.arpRequest.bytes.withUnsafeBytes { f in
            let e = try #require(EthernetView(f))
            #expect(e.etherType == EtherType.arp && e.destination == .broadcast)
            let arp = try #require(ARPView(e.payload))
            #expect(arp.operation == ARPOperation.request)
            #expect(arp.senderMAC == hostA && arp.senderIP == IPv4Address(10, 0, 0, 1))
            #expect(arp.targetMAC == .zero && arp.targetIP == IPv4Address(10, 0, 0, 2))
        }
        try HeaderFixture.arpReply.bytes.withUnsafeBytes { f in
            let arp = try #require(EthernetView(f).flatMap { ARPView($0.payload) })
            #expect(arp.operation == ARPOperation.reply)
            #expect(arp.senderMAC == hostB && arp.senderIP == IPv4Address(10, 0, 0, 2))
            #expect(arp.targetMAC == hostA && arp.targetIP == IPv4Address(10, 0, 0, 1))
        }
        #expect(dropOf(parse(HeaderFixture.arpRequest.bytes)) == .notIPv4)
        // Not Ethernet/IPv4 ARP: each of htype, ptype, hlen, plen is checked.
        for (offset, value) in [(15, UInt8(6)), (16, 0x86), (18, 8), (19, 16)] {
            var damaged = HeaderFixture.arpRequest.bytes
            damaged[offset] = value
            #expect(damaged.withUnsafeBytes { ARPView(rebased($0, 14..<$0.count)) } == nil)
        }
    }

    @Test func igmpV2ReportAndLeave() throws {
        for (fixture, type, destination) in [(HeaderFixture.igmpReport, IGMPType.v2Report, IPv4Address(233, 54, 12, 111)),
                                             (HeaderFixture.igmpLeave, IGMPType.leave, IPv4Address.allRouters)] {
            try fixture.bytes.withUnsafeBytes { f in
                let e = try #require(EthernetView(f))
                let ip = try #require(IPv4View(e.payload))
                #expect(ip.headerLength == 24 && Array(ip.options) == [0x94, 0x04, 0, 0])
                #expect(ip.ttl == 1 && ip.dscp == 48 && ip.ipProtocol == IPProtocol.igmp && ip.isChecksumValid)
                #expect(ip.destination == destination && e.destination == destination.multicastMAC)
                let igmp = try #require(IGMPView(ip.payload))
                #expect(igmp.type == type && igmp.maxRespTime == 0 && igmp.isChecksumValid)
                #expect(igmp.groupAddress == IPv4Address(233, 54, 12, 111))
                #expect(igmp.groupRecordCount == 0 && Array(igmp.groupRecords).isEmpty)
            }
            #expect(dropOf(parse(fixture.bytes)) == .notUDP)
        }
    }

    @Test func igmpV3Report() throws {
        try HeaderFixture.igmpV3.bytes.withUnsafeBytes { f in
            let ip = try #require(EthernetView(f).flatMap { IPv4View($0.payload) })
            #expect(ip.destination == .igmpV3Routers)
            let igmp = try #require(IGMPView(ip.payload))
            #expect(igmp.type == IGMPType.v3Report && igmp.isChecksumValid && igmp.groupRecordCount == 2)
            let records = Array(igmp.groupRecords)
            try #require(records.count == 2)
            #expect(records[0].recordType == IGMPv3RecordType.changeToExclude)
            #expect(records[0].multicastAddress == IPv4Address(233, 54, 12, 111) && records[0].numberOfSources == 0)
            #expect(records[0].source(at: 0) == nil)
            #expect(records[1].recordType == IGMPv3RecordType.modeIsInclude)
            #expect(records[1].multicastAddress == IPv4Address(239, 1, 1, 1) && records[1].numberOfSources == 1)
            #expect(records[1].source(at: 0) == IPv4Address(10, 9, 9, 9) && records[1].source(at: 1) == nil)
            #expect(records[1].source(at: -1) == nil)
        }
        // A record count larger than what is there: iteration stops at the end of the data.
        var lying = HeaderFixture.igmpV3.bytes
        lying[14 + 24 + 7] = 200
        #expect(lying.withUnsafeBytes { IGMPView(rebased($0, 38..<$0.count)).map { Array($0.groupRecords).count } } == 2)
        // A source count running past the end: that record is not returned.
        var overrun = HeaderFixture.igmpV3.bytes
        overrun[14 + 24 + 16 + 3] = 2
        #expect(overrun.withUnsafeBytes { IGMPView(rebased($0, 38..<$0.count)).map { Array($0.groupRecords).count } } == 1)
    }

    @Test func ethernetEdgeCases() throws {
        // Three tags: the view stops after two and reports the third TPID.
        let three = hex("01005e0101010011223344558100000181000002810000030800") + [UInt8](repeating: 0, count: 30)
        try three.withUnsafeBytes { f in
            let e = try #require(EthernetView(f))
            #expect(e.vlanCount == 2 && e.etherType == EtherType.vlan && e.headerLength == 22)
        }
        #expect(dropOf(parse(three)) == .notIPv4)
        let ipv6 = hex("333300000001001122334455" + "86dd") + [UInt8](repeating: 0, count: 40)
        #expect(ipv6.withUnsafeBytes { EthernetView($0)?.etherType } == EtherType.ipv6)
        #expect(dropOf(parse(ipv6)) == .notIPv4)
        // Exactly 14 bytes: empty payload.
        #expect(ipv6.withUnsafeBytes { EthernetView(rebased($0, 0..<14))?.payload.count } == 0)
    }

    @Test func ipv4HeaderValidation() {
        let good = Array(HeaderFixture.udpMulticast.bytes[14...])
        func view(_ edit: (inout [UInt8]) -> Void) -> Bool {
            var b = good
            edit(&b)
            return b.withUnsafeBytes { IPv4View($0) } != nil
        }
        #expect(view { _ in })
        #expect(!view { $0[0] = 0x65 })                        // version 6
        #expect(!view { $0[0] = 0x44 })                        // IHL 4
        #expect(!view { $0[0] = 0x4F })                        // IHL 15 = 60 > total length 38
        #expect(!view { $0[2] = 0; $0[3] = 19 })               // total length < header
        #expect(!view { $0[2] = 0; $0[3] = 47 })               // total length > buffer (46)
        #expect(view { $0[2] = 0; $0[3] = 46 })                // = buffer: fine
        #expect(view { $0[0] = 0x46 })                         // IHL 6: 24 <= 38, fine
    }
}

// MARK: - Builders

@Suite struct HeaderBuilderTests {
    let group = IPv4Address(233, 54, 12, 111)

    @Test func ethernetHeader() throws {
        let plain = build { FrameBuilder.ethernet(into: $0, destination: .broadcast, source: hostA, etherType: EtherType.arp) }
        #expect(plain == hex("ffffffffffff0011223344550806"))
        let tagged = build { FrameBuilder.ethernet(into: $0, destination: hostB, source: hostA, etherType: EtherType.ipv4, vlanID: 4095) }
        #expect(tagged == hex("66778899aabb00112233445581000fff0800"))
        var big = [UInt8](repeating: 0, count: 64)
        #expect(big.withUnsafeMutableBytes {
            FrameBuilder.ethernet(into: $0, destination: hostB, source: hostA, etherType: 0x0800, vlanID: 4096)
        } == nil)
    }

    @Test func ipv4Header() throws {
        let header = build {
            FrameBuilder.ipv4(into: $0, source: IPv4Address(10, 0, 0, 1), destination: group,
                              protocol: IPProtocol.udp, payloadLength: 100, ttl: 9, identification: 0xBEEF, dscp: 46)
        }
        #expect(header.count == 20 && referenceChecksum(header) == 0)
        // The view needs the payload too (total length 120).
        try (header + [UInt8](repeating: 0, count: 100)).withUnsafeBytes { b in
            let ip = try #require(IPv4View(b))
            #expect(ip.totalLength == 120 && ip.ttl == 9 && ip.identification == 0xBEEF && ip.dscp == 46)
            #expect(ip.dontFragment && !ip.isFragment && ip.isChecksumValid && ip.payload.count == 100)
            #expect(ip.source == IPv4Address(10, 0, 0, 1) && ip.destination == group && ip.ipProtocol == 17)
        }
        var big = [UInt8](repeating: 0, count: 64)
        for bad in [-1, 65516] {
            #expect(big.withUnsafeMutableBytes {
                FrameBuilder.ipv4(into: $0, source: .any, destination: group, protocol: 17, payloadLength: bad)
            } == nil)
        }
        #expect(big.withUnsafeMutableBytes {
            FrameBuilder.ipv4(into: $0, source: .any, destination: group, protocol: 17, payloadLength: 65515)
        } == 20)
    }

    @Test func udpFrameMatchesFixture() {
        let built = build { buf in
            Array("hello".utf8).withUnsafeBytes {
                FrameBuilder.udpFrame(into: buf, srcMAC: MACAddress(2, 0, 0, 0, 0, 1), dstMAC: group.multicastMAC,
                                      srcIP: IPv4Address(192, 168, 1, 10), dstIP: group,
                                      srcPort: 5000, dstPort: 26477, payload: $0)
            }
        }
        #expect(built == HeaderFixture.udpBuilt.bytes)
    }

    @Test(arguments: [nil, 1, 100, 4095] as [UInt16?], [0, 1, 7, 8, 333, 1472])
    func udpFrameRoundTrip(vlanID: UInt16?, payloadLength: Int) throws {
        var rng = SplitMix64(state: UInt64(payloadLength))
        let payload = (0..<payloadLength).map { _ in rng.byte() }
        for checksum in [true, false] {
            let frame = build { buf in
                payload.withUnsafeBytes {
                    FrameBuilder.udpFrame(into: buf, srcMAC: hostA, dstMAC: group.multicastMAC,
                                          srcIP: IPv4Address(10, 1, 2, 3), dstIP: group, srcPort: 40000,
                                          dstPort: 26477, payload: $0, vlanID: vlanID, ttl: 5,
                                          computeUDPChecksum: checksum)
                }
            }
            #expect(frame.count == (vlanID == nil ? 14 : 18) + 28 + payloadLength)
            let parsed = try #require(frameOf(parse(frame)))
            #expect(parsed.vlanID == vlanID && parsed.sourceIP == IPv4Address(10, 1, 2, 3))
            #expect(parsed.destinationIP == group && parsed.sourcePort == 40000 && parsed.destinationPort == 26477)
            #expect(Array(parsed.payload) == payload)
            try frame.withUnsafeBytes { f in
                let e = try #require(EthernetView(f))
                let ip = try #require(IPv4View(e.payload))
                let udp = try #require(UDPView(ip.payload))
                #expect(ip.isChecksumValid && ip.ttl == 5 && ip.dontFragment)
                #expect(udp.isChecksumValid(source: ip.source, destination: ip.destination))
                #expect(checksum ? udp.checksum != 0 : udp.checksum == 0)
            }
        }
    }

    @Test func udpChecksumZeroIsSentAsFFFF() throws {
        // With a 2-byte payload w, the checksum is ~(S0 + w); choosing w = ~S0 (the checksum
        // sent for w = 0) makes it 0, which must go out as 0xFFFF and still verify.
        func frame(_ payload: [UInt8]) -> [UInt8] {
            build { buf in
                payload.withUnsafeBytes {
                    FrameBuilder.udpFrame(into: buf, srcMAC: hostA, dstMAC: hostB, srcIP: IPv4Address(10, 0, 0, 1),
                                          dstIP: IPv4Address(10, 0, 0, 2), srcPort: 1, dstPort: 2, payload: $0)
                }
            }
        }
        let first = frame([0, 0])
        let zeroing = frame([first[40], first[41]])
        #expect(zeroing[40] == 0xFF && zeroing[41] == 0xFF)
        try zeroing.withUnsafeBytes { f in
            let udp = try #require(UDPView(rebased(f, 34..<f.count)))
            #expect(udp.isChecksumValid(source: IPv4Address(10, 0, 0, 1), destination: IPv4Address(10, 0, 0, 2)))
        }
    }

    @Test func tcpSegmentMatchesFixtureAndRoundTrips() throws {
        let options = hex("020405b40402080a0001e2400000000001030307")
        let syn = build { buf in
            options.withUnsafeBytes {
                FrameBuilder.tcpSegment(into: buf, srcMAC: hostB, dstMAC: hostA, srcIP: IPv4Address(10, 0, 0, 2),
                                        dstIP: IPv4Address(10, 0, 0, 1), srcPort: 51000, dstPort: 443,
                                        sequence: 0x1122_3344, acknowledgment: 0, flags: .syn, window: 64240,
                                        options: $0)
            }
        }
        #expect(syn == HeaderFixture.tcpSyn.bytes)

        let payload = Array("8=FIX.4.2\u{1}9=5\u{1}35=0\u{1}".utf8)
        let data = build { buf in
            payload.withUnsafeBytes {
                FrameBuilder.tcpSegment(into: buf, srcMAC: hostA, dstMAC: hostB, srcIP: IPv4Address(10, 0, 0, 1),
                                        dstIP: IPv4Address(10, 0, 0, 2), srcPort: 443, dstPort: 51000,
                                        sequence: 0xFFFF_FFFF, acknowledgment: 0x1122_3345, flags: [.ack, .psh],
                                        window: 512, payload: $0, vlanID: 42)
            }
        }
        try data.withUnsafeBytes { f in
            let e = try #require(EthernetView(f))
            let ip = try #require(IPv4View(e.payload))
            let tcp = try #require(TCPView(ip.payload))
            #expect(e.outerVLANID == 42 && ip.isChecksumValid && ip.ipProtocol == IPProtocol.tcp)
            #expect(tcp.flags == [.ack, .psh] && tcp.sequence == 0xFFFF_FFFF && tcp.acknowledgment == 0x1122_3345)
            #expect(tcp.window == 512 && tcp.headerLength == 20 && Array(tcp.payload) == payload)
            #expect(tcp.isChecksumValid(source: ip.source, destination: ip.destination))
        }
        var big = [UInt8](repeating: 0, count: 256)
        for count in [3, 44] {
            let bad = [UInt8](repeating: 1, count: count)
            #expect(big.withUnsafeMutableBytes { buf in
                bad.withUnsafeBytes {
                    FrameBuilder.tcpSegment(into: buf, srcMAC: hostA, dstMAC: hostB, srcIP: .any, dstIP: .any, srcPort: 1,
                                            dstPort: 2, sequence: 0, acknowledgment: 0, flags: .syn, window: 0, options: $0)
                }
            } == nil)
        }
    }

    @Test func arpMatchesFixtures() throws {
        let request = build {
            FrameBuilder.arp(into: $0, operation: ARPOperation.request, senderMAC: hostA, senderIP: IPv4Address(10, 0, 0, 1),
                             targetMAC: .zero, targetIP: IPv4Address(10, 0, 0, 2))
        }
        #expect(request == HeaderFixture.arpRequest.bytes)
        let reply = build {
            FrameBuilder.arp(into: $0, operation: ARPOperation.reply, senderMAC: hostB, senderIP: IPv4Address(10, 0, 0, 2),
                             targetMAC: hostA, targetIP: IPv4Address(10, 0, 0, 1))
        }
        #expect(reply == HeaderFixture.arpReply.bytes)
        let tagged = build {
            FrameBuilder.arp(into: $0, operation: ARPOperation.request, senderMAC: hostA, senderIP: IPv4Address(10, 0, 0, 1),
                             targetMAC: .zero, targetIP: IPv4Address(10, 0, 0, 2), vlanID: 7)
        }
        try tagged.withUnsafeBytes { f in
            let e = try #require(EthernetView(f))
            let arp = try #require(ARPView(e.payload))
            #expect(e.outerVLANID == 7 && e.etherType == EtherType.arp && arp.targetIP == IPv4Address(10, 0, 0, 2))
        }
    }

    @Test func igmpV2MatchesFixtures() throws {
        let report = build {
            FrameBuilder.igmpV2(into: $0, type: IGMPType.v2Report, group: group, srcMAC: hostA, srcIP: IPv4Address(10, 0, 0, 1))
        }
        #expect(report == HeaderFixture.igmpReport.bytes)
        let leave = build {
            FrameBuilder.igmpV2(into: $0, type: IGMPType.leave, group: group, srcMAC: hostA, srcIP: IPv4Address(10, 0, 0, 1))
        }
        #expect(leave == HeaderFixture.igmpLeave.bytes)
        var big = [UInt8](repeating: 0, count: 128)
        for badType in [IGMPType.query, IGMPType.v3Report, 0] {
            #expect(big.withUnsafeMutableBytes {
                FrameBuilder.igmpV2(into: $0, type: badType, group: group, srcMAC: hostA, srcIP: .any)
            } == nil)
        }
        let tagged = build {
            FrameBuilder.igmpV2(into: $0, type: IGMPType.v2Report, group: group, srcMAC: hostA, srcIP: IPv4Address(10, 0, 0, 1), vlanID: 9)
        }
        try tagged.withUnsafeBytes { f in
            let e = try #require(EthernetView(f))
            let ip = try #require(IPv4View(e.payload))
            let igmp = try #require(IGMPView(ip.payload))
            #expect(e.outerVLANID == 9 && ip.isChecksumValid && igmp.isChecksumValid && igmp.groupAddress == group)
        }
    }

    @Test func igmpV3MatchesFixtureAndRoundTrips() throws {
        let joins = build {
            FrameBuilder.igmpV3Report(into: $0, groups: [group, IPv4Address(239, 1, 1, 1)], srcMAC: hostA,
                                      srcIP: IPv4Address(10, 0, 0, 1))
        }
        #expect(joins == HeaderFixture.igmpV3Built.bytes)
        let groups = (0..<100).map { IPv4Address(239, 0, UInt8($0 / 256), UInt8($0 % 256)) }
        let leaves = build {
            FrameBuilder.igmpV3Report(into: $0, groups: groups, srcMAC: hostA, srcIP: IPv4Address(10, 0, 0, 1),
                                      recordType: IGMPv3RecordType.changeToInclude, vlanID: 3)
        }
        try leaves.withUnsafeBytes { f in
            let e = try #require(EthernetView(f))
            let ip = try #require(IPv4View(e.payload))
            let igmp = try #require(IGMPView(ip.payload))
            #expect(e.destination.description == "01:00:5e:00:00:16" && ip.destination == .igmpV3Routers)
            #expect(ip.ttl == 1 && ip.isChecksumValid && igmp.isChecksumValid && igmp.groupRecordCount == 100)
            let records = Array(igmp.groupRecords)
            #expect(records.map(\.multicastAddress) == groups)
            #expect(records.allSatisfy { $0.recordType == IGMPv3RecordType.changeToInclude && $0.numberOfSources == 0 })
        }
        let single = build {
            FrameBuilder.igmpV3Report(into: $0, groups: CollectionOfOne(group), srcMAC: hostA, srcIP: .any)
        }
        #expect(single.count == 14 + 24 + 16)
        var big = [UInt8](repeating: 0, count: 128)
        #expect(big.withUnsafeMutableBytes {
            FrameBuilder.igmpV3Report(into: $0, groups: [IPv4Address](), srcMAC: hostA, srcIP: .any)
        } == nil)
    }

    /// Every builder: nil (and the buffer untouched) for every size below what it needs.
    @Test func tooSmallBuffersGiveNil() {
        let payload = [UInt8](repeating: 0x5A, count: 33)
        let group = self.group
        let builders: [(String, (UnsafeMutableRawBufferPointer) -> Int?)] = [
            ("ethernet", { FrameBuilder.ethernet(into: $0, destination: hostA, source: hostB, etherType: 0x0800) }),
            ("ethernet vlan", { FrameBuilder.ethernet(into: $0, destination: hostA, source: hostB, etherType: 0x0800, vlanID: 1) }),
            ("ipv4", { FrameBuilder.ipv4(into: $0, source: .any, destination: group, protocol: 17, payloadLength: 9) }),
            ("udpFrame", { buf in payload.withUnsafeBytes {
                FrameBuilder.udpFrame(into: buf, srcMAC: hostA, dstMAC: hostB, srcIP: .any, dstIP: group,
                                      srcPort: 1, dstPort: 2, payload: $0, vlanID: 5) } }),
            ("tcpSegment", { buf in payload.withUnsafeBytes {
                FrameBuilder.tcpSegment(into: buf, srcMAC: hostA, dstMAC: hostB, srcIP: .any, dstIP: group, srcPort: 1,
                                        dstPort: 2, sequence: 1, acknowledgment: 2, flags: .ack, window: 3, payload: $0) } }),
            ("arp", { FrameBuilder.arp(into: $0, operation: 1, senderMAC: hostA, senderIP: .any, targetMAC: .zero, targetIP: group) }),
            ("igmpV2", { FrameBuilder.igmpV2(into: $0, type: IGMPType.v2Report, group: group, srcMAC: hostA, srcIP: .any) }),
            ("igmpV3Report", { FrameBuilder.igmpV3Report(into: $0, groups: [group, group, group], srcMAC: hostA, srcIP: .any) }),
        ]
        for (name, builder) in builders {
            var big = [UInt8](repeating: 0, count: 512)
            guard let needed = big.withUnsafeMutableBytes(builder) else {
                Issue.record("\(name) failed on a large buffer")
                continue
            }
            #expect(builder(UnsafeMutableRawBufferPointer(start: nil, count: 0)) == nil, "\(name)")
            for size in 0..<needed {
                var small = [UInt8](repeating: 0xAA, count: size)
                #expect(small.withUnsafeMutableBytes(builder) == nil, "\(name) size \(size)")
                #expect(small.allSatisfy { $0 == 0xAA }, "\(name) wrote into a too-small buffer")
            }
            var exact = [UInt8](repeating: 0, count: needed)
            #expect(exact.withUnsafeMutableBytes(builder) == needed, "\(name)")
            #expect(exact == Array(big[0..<needed]), "\(name)")
        }
    }
}

// MARK: - Truncation, damage and garbage

@Suite struct HeaderRobustnessTests {
    /// Every prefix of every fixture: views are nil exactly when a length they need is missing,
    /// otherwise they agree with the full frame; parseUDPFrame reports the right drop.
    @Test(arguments: HeaderFixture.all) func everyPrefix(_ fixture: HeaderFixture) throws {
        try fixture.bytes.withUnsafeBytes { f in
            let full = try #require(EthernetView(f))
            let fullIP = full.etherType == EtherType.ipv4 ? IPv4View(full.payload) : nil
            let ipEnd = fullIP.map { full.headerLength + Int($0.totalLength) } ?? Int.max
            let fullParse = parseUDPFrame(f, verifyIPChecksum: true)

            for length in 0...f.count {
                let prefix = rebased(f, 0..<length)
                exerciseAll(prefix)
                let e = EthernetView(prefix)
                #expect((e != nil) == (length >= full.headerLength), "\(length)")
                if let e {
                    #expect(e.etherType == full.etherType && e.headerLength == full.headerLength)
                    #expect(e.outerVLANID == full.outerVLANID && e.innerVLANID == full.innerVLANID)
                    #expect(e.destination == full.destination && e.source == full.source)
                }
                if let fullIP {
                    let ip = e.flatMap { IPv4View($0.payload) }
                    #expect((ip != nil) == (length >= ipEnd), "\(length)")
                    if let ip { #expect(Array(ip.header) == Array(fullIP.header) && Array(ip.payload) == Array(fullIP.payload)) }
                }
                if full.etherType == EtherType.arp {
                    #expect((e.flatMap { ARPView($0.payload) } != nil) == (length >= full.headerLength + 28))
                }
                let result = parseUDPFrame(prefix, verifyIPChecksum: true)
                if length < full.headerLength {
                    #expect(dropOf(result) == .truncatedEthernet)
                } else if fullIP == nil {
                    #expect(dropOf(result) == .notIPv4)
                } else if length < ipEnd {
                    #expect(dropOf(result) == .badIPv4Header)
                } else {
                    #expect(dropOf(result) == dropOf(fullParse))
                    #expect(frameOf(result).map { Array($0.payload) } == frameOf(fullParse).map { Array($0.payload) })
                }
            }

            // Transport views on every prefix of the full IPv4 payload.
            guard let fullIP else { return }
            let segment = fullIP.payload
            for length in 0...segment.count {
                let prefix = rebased(segment, 0..<length)
                switch fullIP.ipProtocol {
                case IPProtocol.udp:
                    let udp = try #require(UDPView(segment))
                    #expect((UDPView(prefix) != nil) == (length >= Int(udp.length)))
                case IPProtocol.tcp:
                    let tcp = try #require(TCPView(segment))
                    let view = TCPView(prefix)
                    #expect((view != nil) == (length >= tcp.headerLength))
                    if let view { #expect(view.maximumSegmentSize == tcp.maximumSegmentSize && view.flags == tcp.flags) }
                case IPProtocol.igmp:
                    let igmp = try #require(IGMPView(segment))
                    var recordEnds: [Int] = []
                    var end = 8
                    for record in igmp.groupRecords {
                        end += 8 + 4 * record.numberOfSources
                        recordEnds.append(end)
                    }
                    let view = IGMPView(prefix)
                    #expect((view != nil) == (length >= 8))
                    if let view {
                        #expect(Array(view.groupRecords).count == recordEnds.filter { $0 <= length }.count)
                        if length == segment.count { #expect(view.isChecksumValid) }
                    }
                default:
                    Issue.record("unexpected protocol")
                }
            }
        }
    }

    @Test func parserReportsEachKindOfDamage() {
        let good = HeaderFixture.udpMulticast.bytes
        var counters = FrameDropCounters()
        func expectDrop(_ frame: [UInt8], _ drop: FrameDrop?, verify: Bool = true, verifyUDP: Bool = false,
                        sourceLocation: SourceLocation = #_sourceLocation) {
            let result = parse(frame, verify: verify, verifyUDP: verifyUDP)
            #expect(dropOf(result) == drop, sourceLocation: sourceLocation)
            if let d = dropOf(result) { counters.count(d) }
        }
        func damaged(_ edit: (inout [UInt8]) -> Void, fixChecksum: Bool = true) -> [UInt8] {
            var frame = good
            edit(&frame)
            if fixChecksum { fixIPv4Checksum(&frame) }
            return frame
        }

        expectDrop(good, nil)
        // Truncated Ethernet, including a VLAN tag cut in half.
        expectDrop(Array(good[0..<13]), .truncatedEthernet)
        expectDrop([], .truncatedEthernet)
        expectDrop(Array(HeaderFixture.vlan.bytes[0..<16]), .truncatedEthernet)
        // Not IPv4.
        expectDrop(HeaderFixture.arpRequest.bytes, .notIPv4)
        expectDrop(damaged({ $0[12] = 0x86; $0[13] = 0xDD }, fixChecksum: false), .notIPv4)
        // Bad IPv4 header.
        expectDrop(damaged { $0[14] = 0x65 }, .badIPv4Header)                   // version 6
        expectDrop(damaged({ $0[14] = 0x44 }, fixChecksum: false), .badIPv4Header)  // IHL 4
        expectDrop(damaged { $0[16] = 0; $0[17] = 47 }, .badIPv4Header)          // longer than frame
        expectDrop(damaged { $0[16] = 0; $0[17] = 19 }, .badIPv4Header)          // shorter than header
        expectDrop(Array(good[0..<33]), .badIPv4Header)
        // Bad checksum: only when asked to verify.
        let badSum = damaged({ $0[22] = 30 }, fixChecksum: false)
        expectDrop(badSum, .badIPv4Checksum)
        expectDrop(badSum, nil, verify: false)
        // Fragments: MF set, or a non-zero offset (last fragment).
        expectDrop(damaged { $0[20] = 0x20 }, .fragment)
        expectDrop(damaged { $0[20] = 0x00; $0[21] = 0x01 }, .fragment)
        expectDrop(damaged { $0[20] = 0x40 }, nil)                               // DF alone is fine
        // Not UDP.
        expectDrop(HeaderFixture.tcpSyn.bytes, .notUDP)
        expectDrop(HeaderFixture.igmpReport.bytes, .notUDP)
        expectDrop(damaged { $0[23] = IPProtocol.icmp }, .notUDP)
        // Bad UDP length: below 8, beyond the IPv4 total length (though inside the padding),
        // and an IPv4 payload too short for a UDP header.
        expectDrop(damaged({ $0[38] = 0; $0[39] = 7 }, fixChecksum: false), .badUDPLength)
        expectDrop(damaged({ $0[38] = 0; $0[39] = 19 }, fixChecksum: false), .badUDPLength)
        expectDrop(damaged { $0[16] = 0; $0[17] = 26 }, .badUDPLength)
        // A shorter UDP length than the IPv4 payload is accepted and bounds the payload.
        let short = damaged({ $0[38] = 0; $0[39] = 12 }, fixChecksum: false)
        #expect(frameOf(parse(short)).map { Array($0.payload) } == [1, 2, 3, 4])
        // A damaged payload fails the UDP checksum: dropped only when asked to verify it; a
        // checksum of 0 ("none") passes.
        let badUDP = damaged { $0[45] ^= 0x01 }
        expectDrop(badUDP, .badUDPChecksum, verifyUDP: true)
        expectDrop(badUDP, nil)
        expectDrop(good, nil, verifyUDP: true)
        expectDrop(damaged { $0[45] ^= 0x01; $0[40] = 0; $0[41] = 0 }, nil, verifyUDP: true)

        #expect(counters.truncatedEthernet == 3 && counters.notIPv4 == 2 && counters.badIPv4Header == 5)
        #expect(counters[.badIPv4Checksum] == 1 && counters[.fragment] == 2 && counters[.notUDP] == 3)
        #expect(counters[.badUDPLength] == 3 && counters[.badUDPChecksum] == 1 && counters.total == 20)
        #expect(FrameDrop.allCases.count == 8)
    }

    @Test func udpChecksumDamageIsDetectedByTheView() throws {
        var frame = HeaderFixture.udpMulticast.bytes
        frame[45] ^= 0x01                                                     // payload byte
        try frame.withUnsafeBytes { f in
            let ip = try #require(EthernetView(f).flatMap { IPv4View($0.payload) })
            let udp = try #require(UDPView(ip.payload))
            #expect(!udp.isChecksumValid(source: ip.source, destination: ip.destination))
        }
        frame[40] = 0; frame[41] = 0                                          // no checksum
        try frame.withUnsafeBytes { f in
            let ip = try #require(EthernetView(f).flatMap { IPv4View($0.payload) })
            let udp = try #require(UDPView(ip.payload))
            #expect(udp.isChecksumValid(source: ip.source, destination: ip.destination))
        }
    }

    /// 100,000 random frames of 0...128 bytes through every view and the parser. A quarter are
    /// pure noise; the rest get plausible Ethernet/VLAN/IPv4/ARP bytes so the deeper views run.
    @Test func randomGarbageNeverTraps() {
        var rng = SplitMix64(state: 0x7469_636B_7769_7265)
        var outcomes = [Int](repeating: 0, count: FrameDrop.allCases.count + 1)
        var sink: UInt64 = 0
        var frame = [UInt8](repeating: 0, count: 128)
        for _ in 0..<100_000 {
            let length = rng.next(below: 129)
            for i in 0..<length { frame[i] = rng.byte() }
            let mode = rng.next(below: 4)
            if mode > 0 {
                var at = 12
                for _ in 0..<(mode - 1) where at + 4 <= length {             // 0, 1 or 2 VLAN tags
                    frame[at] = rng.next(below: 2) == 0 ? 0x81 : 0x88
                    frame[at + 1] = frame[at] == 0x81 ? 0x00 : 0xA8
                    at += 4
                }
                let arp = rng.next(below: 8) == 0
                if at + 2 <= length { frame[at] = 0x08; frame[at + 1] = arp ? 0x06 : 0x00 }
                let ip = at + 2
                if arp, ip + 6 <= length {
                    frame[ip..<ip + 6] = [0, 1, 8, 0, 6, 4]
                } else if !arp, ip + 20 <= length {
                    frame[ip] = 0x45 + UInt8(rng.next(below: 3))
                    let total = min(length - ip, 20 + rng.next(below: 80))
                    frame[ip + 2] = UInt8(total >> 8)
                    frame[ip + 3] = UInt8(total & 0xFF)
                    frame[ip + 6] = rng.next(below: 4) == 0 ? frame[ip + 6] : 0x40
                    frame[ip + 7] = 0
                    frame[ip + 9] = [IPProtocol.udp, IPProtocol.tcp, IPProtocol.igmp][rng.next(below: 3)]
                    let ihl = Int(frame[ip] & 0x0F) * 4
                    let udp = ip + ihl
                    if rng.next(below: 2) == 0, udp + 6 <= length, total >= ihl {
                        let udpLength = max(0, total - ihl - rng.next(below: 3))
                        frame[udp + 4] = UInt8(udpLength >> 8)
                        frame[udp + 5] = UInt8(udpLength & 0xFF)
                    }
                    if rng.next(below: 2) == 0, ip + ihl <= length { fixIPv4Checksum(&frame, at: ip) }
                }
            }
            frame.withUnsafeBytes { all in
                let b = rebased(all, 0..<length)
                sink &+= exerciseAll(b)
                // Half verify the UDP checksum too (random bytes seldom pass it).
                switch parseUDPFrame(b, verifyIPChecksum: true, verifyUDPChecksum: rng.next(below: 2) == 0) {
                case .udp: outcomes[FrameDrop.allCases.count] += 1
                case .dropped(let drop): outcomes[Int(drop.rawValue)] += 1
                }
            }
        }
        #expect(outcomes.reduce(0, +) == 100_000)
        // The generator reaches every outcome, including valid UDP.
        #expect(outcomes.allSatisfy { $0 > 0 }, "\(outcomes)")
        #expect(sink != 0)
    }
}
