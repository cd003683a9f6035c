import Testing
@testable import Net
import Packets
import TickwireCore

/// A scripted peer for the stack on a memory device: builds the frames a venue (or an attacker)
/// would send, and reads what the stack sent.
final class Scripted {
    let ourMAC = MACAddress(0x02, 0, 0, 0, 0, 1)
    let peerMAC = MACAddress(0x02, 0, 0, 0, 0, 2)
    let ourIP = IPv4Address(10, 9, 0, 1)
    let peerIP = IPv4Address(10, 9, 0, 2)
    let device: MemoryNetDevice
    let host: NetHost<MemoryNetDevice>
    var now: Int64 = 1_000_000_000
    var buffer = [UInt8](repeating: 0, count: 2048)

    init(groups: [IPv4Address] = [], igmp: Int = 3, tcp: TCPConfiguration = TCPConfiguration()) throws {
        device = MemoryNetDevice(mac: ourMAC)
        var c = NetConfiguration(address: ourIP, prefixLength: 24, multicastGroups: groups, igmpVersion: igmp)
        c.tcp = tcp
        host = try NetHost(configuration: c, device: device)
    }

    func feed(_ frame: [UInt8]) {
        frame.withUnsafeBytes { host.input($0, now: now) }
        host.flush()
    }

    func advance(_ nanos: Int64) {
        now += nanos
        host.poll(now: now)
    }

    func sent() -> [[UInt8]] { device.takeSent() }

    func arpReply() -> [UInt8] {
        buffer.withUnsafeMutableBytes { b in
            let n = FrameBuilder.arp(into: b, operation: ARPOperation.reply, senderMAC: peerMAC, senderIP: peerIP,
                                     targetMAC: ourMAC, targetIP: ourIP)!
            return Array(b[0..<n])
        }
    }

    func tcp(seq: UInt32, ack: UInt32, flags: TCPFlags, window: UInt16 = 65535, payload: [UInt8] = [], mss: UInt16? = nil,
             sport: UInt16 = 9000, dport: UInt16) -> [UInt8] {
        let opts: [UInt8] = mss.map { [2, 4, UInt8($0 >> 8), UInt8($0 & 0xFF)] } ?? []
        return buffer.withUnsafeMutableBytes { b in
            opts.withUnsafeBytes { o in
                payload.withUnsafeBytes { p in
                    let n = FrameBuilder.tcpSegment(into: b, srcMAC: peerMAC, dstMAC: ourMAC, srcIP: peerIP, dstIP: ourIP,
                                                    srcPort: sport, dstPort: dport, sequence: seq, acknowledgment: ack,
                                                    flags: flags, window: window, options: o, payload: p)!
                    return Array(b[0..<n])
                }
            }
        }
    }

    /// The TCP segments among `frames`: (seq, ack, flags, window, payload).
    static func segments(_ frames: [[UInt8]]) -> [(seq: UInt32, ack: UInt32, flags: TCPFlags, window: UInt16, payload: [UInt8], mss: UInt16?)] {
        frames.compactMap { f in
            f.withUnsafeBytes { b -> (UInt32, UInt32, TCPFlags, UInt16, [UInt8], UInt16?)? in
                guard let e = EthernetView(b), e.etherType == EtherType.ipv4, let ip = IPv4View(e.payload), ip.ipProtocol == 6,
                      ip.isChecksumValid, let t = TCPView(ip.payload),
                      t.isChecksumValid(source: ip.source, destination: ip.destination) else { return nil }
                return (t.sequence, t.acknowledgment, t.flags, t.window, Array(t.payload), t.maximumSegmentSize)
            }
        }.map { (seq: $0.0, ack: $0.1, flags: $0.2, window: $0.3, payload: $0.4, mss: $0.5) }
    }

    /// Connects and completes the handshake with the peer's ISN `irs`; returns the connection
    /// and our ISN.
    func established(irs: UInt32 = 5000, window: UInt16 = 65535) throws -> (NetTCPConnection<MemoryNetDevice>, UInt32) {
        let c = try host.connect(to: peerIP, port: 9000, now: now)
        _ = sent()                                      // the ARP request
        feed(arpReply())
        let syn = try #require(Self.segments(sent()).first { $0.flags == .syn })
        #expect(syn.mss == 1460)
        feed(tcp(seq: irs, ack: syn.seq &+ 1, flags: [.syn, .ack], window: window, mss: 1460, dport: c.localPort))
        #expect(c.state == .established)
        let ack = try #require(Self.segments(sent()).last)
        #expect(ack.flags == .ack && ack.ack == irs &+ 1)
        return (c, syn.seq)
    }
}

@Suite struct StackTests {
    @Test func answersARPForItsAddressOnlyAndAnnouncesItself() throws {
        let s = try Scripted()
        s.host.start(now: s.now)
        let announce = try #require(s.sent().first)
        try announce.withUnsafeBytes { b in
            let a = try #require(ARPView(EthernetView(b)!.payload))
            #expect(a.senderIP == s.ourIP && a.targetIP == s.ourIP, "a gratuitous ARP")
        }
        var req = [UInt8](repeating: 0, count: 64)
        for target in [s.ourIP, IPv4Address(10, 9, 0, 77)] {
            let n = req.withUnsafeMutableBytes {
                FrameBuilder.arp(into: $0, operation: ARPOperation.request, senderMAC: s.peerMAC, senderIP: s.peerIP, targetMAC: .zero, targetIP: target)!
            }
            s.feed(Array(req[0..<n]))
        }
        let replies = s.sent()
        #expect(replies.count == 1, "one reply, for our address")
        try replies[0].withUnsafeBytes { b in
            let e = try #require(EthernetView(b))
            #expect(e.destination == s.peerMAC)
            let a = try #require(ARPView(e.payload))
            #expect(a.operation == ARPOperation.reply && a.senderIP == s.ourIP && a.senderMAC == s.ourMAC && a.targetIP == s.peerIP)
        }
        #expect(s.host.counters.drops[.arpOtherTarget] == 1)
        #expect(s.host.arpTable.contains { $0.0 == s.peerIP && $0.1 == s.peerMAC }, "the asker is learned")
    }

    @Test func answersPingsWithTheSamePayload() throws {
        let s = try Scripted()
        var icmp: [UInt8] = [8, 0, 0, 0, 0x12, 0x34, 0, 7] + Array("tickwire ping".utf8)
        let sum = icmp.withUnsafeBytes { internetChecksum($0) }
        icmp[2] = UInt8(sum >> 8); icmp[3] = UInt8(sum & 0xFF)
        var frame = [UInt8](repeating: 0, count: 14 + 20 + icmp.count)
        frame.withUnsafeMutableBytes { b in
            _ = FrameBuilder.ethernet(into: b, destination: s.ourMAC, source: s.peerMAC, etherType: EtherType.ipv4)
            _ = FrameBuilder.ipv4(into: UnsafeMutableRawBufferPointer(rebasing: b[14...]), source: s.peerIP, destination: s.ourIP,
                                  protocol: IPProtocol.icmp, payloadLength: icmp.count)
            for (i, x) in icmp.enumerated() { b[34 + i] = x }
        }
        s.feed(frame)
        var bad = frame
        bad[bad.count - 1] ^= 0xFF
        s.feed(bad)
        let out = s.sent()
        #expect(out.count == 1)
        try out[0].withUnsafeBytes { b in
            let ip = try #require(IPv4View(EthernetView(b)!.payload))
            #expect(ip.destination == s.peerIP && ip.isChecksumValid)
            let p = ip.payload
            #expect(p[0] == 0 && internetChecksum(p) == 0)
            #expect(Array(p[4...]) == Array(icmp[4...]))
        }
        #expect(s.host.counters.echoReplies == 1 && s.host.counters.drops[.badICMP] == 1)
    }

    @Test(arguments: [2, 3])
    func reportsGroupsAtStartAndOnQueries(version: Int) throws {
        let g1 = IPv4Address(239, 192, 10, 1), g2 = IPv4Address(239, 192, 10, 2)
        let s = try Scripted(groups: [g1, g2], igmp: version)
        s.host.start(now: s.now)
        func reports(_ frames: [[UInt8]]) -> [IPv4Address] {
            frames.flatMap { f in
                f.withUnsafeBytes { b -> [IPv4Address] in
                    guard let e = EthernetView(b), e.etherType == EtherType.ipv4, let ip = IPv4View(e.payload), ip.ipProtocol == 2,
                          let g = IGMPView(ip.payload), g.isChecksumValid else { return [] }
                    #expect(ip.ttl == 1 && ip.headerLength == 24, "router alert, TTL 1")
                    if g.type == IGMPType.v2Report { return [g.groupAddress] }
                    if g.type == IGMPType.v3Report { return g.groupRecords.map(\.multicastAddress) }
                    return []
                }
            }
        }
        #expect(Set(reports(s.sent())) == [g1, g2], "unsolicited reports at start")
        s.advance(1_000_000_000)
        #expect(Set(reports(s.sent())) == [g1, g2], "and once more (robustness)")
        s.advance(5_000_000_000)
        #expect(reports(s.sent()).isEmpty)
        // A general query with a max response time of 1 s: both groups within 1 s.
        let query: [UInt8] = version == 3 ? [0x11, 10, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0] : [0x11, 10, 0, 0, 0, 0, 0, 0]
        s.feed(igmpFrame(s, query, to: .allSystems))
        var got: [IPv4Address] = []
        for _ in 0..<11 {
            s.advance(100_000_000)
            got += reports(s.sent())
        }
        #expect(Set(got) == [g1, g2], "reports within the max response time")
        // A group-specific query for g2 only.
        var specific = query
        specific[4] = 239; specific[5] = 192; specific[6] = 10; specific[7] = 2
        s.feed(igmpFrame(s, specific, to: g2))
        got = []
        for _ in 0..<11 {
            s.advance(100_000_000)
            got += reports(s.sent())
        }
        #expect(got == [g2])
        s.host.shutdown(now: s.now)
        #expect(s.host.counters.igmpLeavesOut >= 1)
    }

    func igmpFrame(_ s: Scripted, _ igmp: [UInt8], to dst: IPv4Address) -> [UInt8] {
        var m = igmp
        let sum = m.withUnsafeBytes { internetChecksum($0) }
        m[2] = UInt8(sum >> 8); m[3] = UInt8(sum & 0xFF)
        var frame = [UInt8](repeating: 0, count: 14 + 20 + m.count)
        frame.withUnsafeMutableBytes { b in
            _ = FrameBuilder.ethernet(into: b, destination: dst.multicastMAC, source: s.peerMAC, etherType: EtherType.ipv4)
            _ = FrameBuilder.ipv4(into: UnsafeMutableRawBufferPointer(rebasing: b[14...]), source: s.peerIP, destination: dst,
                                  protocol: IPProtocol.igmp, payloadLength: m.count, ttl: 1)
            for (i, x) in m.enumerated() { b[34 + i] = x }
        }
        return frame
    }

    @Test func handshakeDataAndOrderedDelivery() throws {
        let s = try Scripted()
        let (c, iss) = try s.established()
        // Data both ways.
        let msg = Array("ENTER ORDER".utf8)
        #expect(msg.withUnsafeBytes { c.send($0) } == msg.count)
        let seg = try #require(Scripted.segments(s.sent()).first)
        #expect(seg.seq == iss &+ 1 && seg.payload == msg && seg.flags.contains(.psh))
        // The peer's bytes out of order: 2nd, then 1st; readable only in order.
        s.feed(s.tcp(seq: 5001 + 5, ack: iss &+ 1 &+ UInt32(msg.count), flags: [.ack, .psh], payload: Array("WORLD".utf8), dport: c.localPort))
        #expect(c.outOfOrderRanges == 1 && c.readable == 0)
        let dup = try #require(Scripted.segments(s.sent()).last)
        #expect(dup.ack == 5001, "an immediate duplicate ACK for the hole")
        s.feed(s.tcp(seq: 5001, ack: iss &+ 1 &+ UInt32(msg.count), flags: [.ack, .psh], payload: Array("HELLO".utf8), dport: c.localPort))
        #expect(c.readable == 10 && c.outOfOrderRanges == 0)
        var buf = [UInt8](repeating: 0, count: 64)
        let r = buf.withUnsafeMutableBytes { c.receive(into: $0) }
        #expect(r == .bytes(10) && Array(buf[0..<10]) == Array("HELLOWORLD".utf8))
        #expect(Scripted.segments(s.sent()).last?.ack == 5011)
        #expect(c.unacknowledged == 0, "the peer's segments acknowledged our message")
    }

    @Test func rfc5961ResetsAndSynsAndAcksOfUnsentData() throws {
        let s = try Scripted()
        let (c, iss) = try s.established()
        // A RST in the window but not at RCV.NXT: a challenge ACK, the connection stays.
        s.feed(s.tcp(seq: 5001 + 100, ack: 0, flags: [.rst], dport: c.localPort))
        #expect(c.state == .established && c.counters.challengeAcks == 1)
        #expect(Scripted.segments(s.sent()).last?.flags == .ack)
        // Outside the window: dropped without an answer.
        s.feed(s.tcp(seq: 5001 &+ 200_000, ack: 0, flags: [.rst], dport: c.localPort))
        #expect(c.state == .established && c.counters.drops[.rstOutsideWindow] == 1 && s.sent().isEmpty)
        // A SYN on the synchronized connection: a challenge ACK.
        s.feed(s.tcp(seq: 5001, ack: iss &+ 1, flags: [.syn], dport: c.localPort))
        #expect(c.state == .established && c.counters.challengeAcks == 2)
        // An ACK of data we never sent: an ACK back, the segment dropped.
        s.feed(s.tcp(seq: 5001, ack: iss &+ 5000, flags: [.ack], payload: [1, 2, 3], dport: c.localPort))
        #expect(c.readable == 0 && c.counters.drops[.ackOfUnsentData] == 1)
        // The RST at exactly RCV.NXT resets it.
        s.feed(s.tcp(seq: 5001, ack: 0, flags: [.rst], dport: c.localPort))
        #expect(c.state == .closed && c.error == 104 /* ECONNRESET */)
        #expect(!c.isOpen)
        var buf = [UInt8](repeating: 0, count: 8)
        #expect(buf.withUnsafeMutableBytes { c.receive(into: $0) } == .error(104))
    }

    @Test func simultaneousCloseGoesThroughClosingToTimeWait() throws {
        var cfg = TCPConfiguration()
        cfg.timeWaitNanos = 2_000_000_000
        let s = try Scripted(tcp: cfg)
        let (c, iss) = try s.established()
        c.close()
        let fin = try #require(Scripted.segments(s.sent()).last)
        #expect(fin.flags == [.fin, .ack] && c.state == .finWait1)
        // The peer's FIN crosses ours (it does not acknowledge our FIN yet).
        s.feed(s.tcp(seq: 5001, ack: iss &+ 1, flags: [.fin, .ack], dport: c.localPort))
        #expect(c.state == .closing)
        s.feed(s.tcp(seq: 5002, ack: iss &+ 2, flags: [.ack], dport: c.localPort))
        #expect(c.state == .timeWait)
        s.advance(2_100_000_000)
        #expect(c.state == .closed && c.error == 0)
    }

    @Test func peerClosesFirstThenWeDo() throws {
        let s = try Scripted()
        let (c, iss) = try s.established()
        s.feed(s.tcp(seq: 5001, ack: iss &+ 1, flags: [.fin, .ack], payload: Array("BYE".utf8), dport: c.localPort))
        #expect(c.state == .closeWait)
        var buf = [UInt8](repeating: 0, count: 8)
        #expect(buf.withUnsafeMutableBytes { c.receive(into: $0) } == .bytes(3))
        #expect(buf.withUnsafeMutableBytes { c.receive(into: $0) } == .closed)
        c.close()
        #expect(c.state == .lastAck)
        s.feed(s.tcp(seq: 5005, ack: iss &+ 2, flags: [.ack], dport: c.localPort))
        #expect(c.state == .closed && c.error == 0)
    }

    @Test func retransmitsOnTimeout() throws {
        let s = try Scripted()
        let (c, iss) = try s.established()
        let data = [UInt8](repeating: 0x41, count: 1460 * 3)
        #expect(data.withUnsafeBytes { c.send($0) } == data.count)
        #expect(Scripted.segments(s.sent()).count == 3, "the initial window: three segments")
        // No ACK: the first segment goes again after the RTO (the handshake's sample was 0 ns
        // here, so the RTO is its floor, 20 ms).
        s.advance(15_000_000)
        #expect(Scripted.segments(s.sent()).isEmpty)
        s.advance(10_000_000)
        let again = Scripted.segments(s.sent())
        #expect(again.count == 1 && again.first?.seq == iss &+ 1, "one segment: the window after a timeout")
        #expect(c.counters.timeouts == 1 && c.counters.retransmits == 1)
        // Acknowledged: the rest goes as the window grows again (go-back-N from SND.UNA).
        s.feed(s.tcp(seq: 5001, ack: iss &+ 1 &+ 1460, flags: [.ack], dport: c.localPort))
        #expect(Scripted.segments(s.sent()).map(\.seq) == [iss &+ 1461, iss &+ 2921])
    }

    @Test func fastRetransmitOnThreeDuplicateAcks() throws {
        let s = try Scripted()
        let (c, iss) = try s.established()
        let data = [UInt8](repeating: 0x41, count: 1460 * 3)
        _ = data.withUnsafeBytes { c.send($0) }
        _ = s.sent()
        s.feed(s.tcp(seq: 5001, ack: iss &+ 1 &+ 1460, flags: [.ack], dport: c.localPort))   // the first arrived
        _ = s.sent()
        for _ in 0..<3 { s.feed(s.tcp(seq: 5001, ack: iss &+ 1 &+ 1460, flags: [.ack], dport: c.localPort)) }
        #expect(c.counters.fastRetransmits == 1 && c.counters.duplicateAcks == 3)
        #expect(Scripted.segments(s.sent()).contains { $0.seq == iss &+ 1461 && $0.payload.count == 1460 }, "the hole goes again at once")
        #expect(c.counters.timeouts == 0)
    }

    @Test func probesAZeroWindow() throws {
        let s = try Scripted()
        let (c, iss) = try s.established(window: 0)
        _ = [UInt8](repeating: 1, count: 100).withUnsafeBytes { c.send($0) }
        #expect(Scripted.segments(s.sent()).isEmpty, "nothing goes into a closed window")
        s.advance(2_000_000_000)
        let probe = try #require(Scripted.segments(s.sent()).last)
        #expect(probe.seq == iss && probe.payload.isEmpty && c.counters.windowProbes == 1)
        s.feed(s.tcp(seq: 5001, ack: iss &+ 1, flags: [.ack], window: 1000, dport: c.localPort))
        #expect(Scripted.segments(s.sent()).first?.payload.count == 100, "the window opened: the data goes")
    }

    @Test func gaveUpAfterTheRetransmissionLimit() throws {
        var cfg = TCPConfiguration()
        cfg.maxRetransmissions = 3
        let s = try Scripted(tcp: cfg)
        let (c, _) = try s.established()
        _ = [UInt8](repeating: 1, count: 10).withUnsafeBytes { c.send($0) }
        for _ in 0..<10 { s.advance(70_000_000_000) }
        #expect(c.state == .closed && c.error == 110 /* ETIMEDOUT */)
    }

    /// Every combination of the eight flags, in window and out of it, on an established
    /// connection: counted and answered, never a trap; only a RST at RCV.NXT may end it.
    @Test func everyFlagCombinationIsSurvived() throws {
        let s = try Scripted()
        let (c, iss) = try s.established()
        for raw in 0...255 {
            let flags = TCPFlags(rawValue: UInt8(raw))
            for seq in [UInt32(5001), 5001 &+ 70_000, 4000] {
                // A RST at exactly RCV.NXT resets the connection, as it must (tested apart).
                if flags.contains(.rst) && seq == 5001 { continue }
                s.feed(s.tcp(seq: seq, ack: iss &+ 1, flags: flags, payload: raw % 3 == 0 ? [] : [0x55], dport: c.localPort))
            }
            _ = s.sent()
            if c.state != .established { break }
        }
        // FIN-carrying combinations may have moved it to CLOSE-WAIT: still not reset or trapped.
        #expect(c.error == 0)
        #expect(c.state == .established || c.state == .closeWait)
    }

    /// Random bytes and truncated headers of every kind: counted drops, never a trap.
    @Test func randomAndTruncatedFramesAreDropped() throws {
        let s = try Scripted()
        let (c, _) = try s.established()
        var rng = SplitMix64(state: 42)
        let template = s.tcp(seq: 5001, ack: 0, flags: [.ack], payload: [1, 2, 3, 4], dport: c.localPort)
        for i in 0..<20_000 {
            var f: [UInt8]
            if i % 2 == 0 {
                f = (0..<Int(rng.next() % 200)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
                if f.count >= 14 && i % 4 == 0 {   // our MAC and IPv4, so the parsers below see it
                    f[0] = 2; f[1] = 0; f[2] = 0; f[3] = 0; f[4] = 0; f[5] = 1; f[12] = 8; f[13] = 0
                }
            } else {
                f = Array(template.prefix(Int(rng.next() % UInt64(template.count + 1))))
                if !f.isEmpty { f[Int(rng.next() % UInt64(f.count))] ^= UInt8(truncatingIfNeeded: rng.next() | 1) }
            }
            s.feed(f)
        }
        _ = s.sent()
        #expect(s.host.counters.drops.total > 10_000)
        #expect(c.error == 0, "no random frame reset the connection")
    }

    /// A SYN flood to our address on other ports: RSTs within the rate limit, the rest counted.
    @Test func synFloodIsRateLimited() throws {
        let s = try Scripted()
        let (c, _) = try s.established()
        for i in 0..<5_000 {
            s.feed(s.tcp(seq: UInt32(i), ack: 0, flags: [.syn], sport: UInt16(10_000 + i % 50_000), dport: 80))
        }
        let rsts = Scripted.segments(s.sent()).filter { $0.flags.contains(.rst) }.count
        #expect(rsts == 100, "one bucket of RSTs")
        #expect(s.host.counters.drops[.rstRateLimited] == 4_900)
        #expect(c.state == .established)
    }
}
