// Tickwire's network stack, receive path: frames in, state out. Each input is a script run
// against a fresh host (10.9.0.1) with one established TCP connection to a scripted peer
// (10.9.0.2:9000) on a memory device. The script is a list of steps, each a kind byte and its
// operands:
//   0: a raw frame (length byte, then bytes) straight into `input` (every parser);
//   1: a TCP segment from the peer, built with valid checksums (unless the flags byte's high
//      bit of the next byte says otherwise): sequence offset from RCV.NXT (signed 16-bit),
//      ack offset from SND.UNA (signed 16-bit), flags, window (16-bit), payload length byte;
//      the payload is the next bytes;
//   2: an ARP frame (operation byte, target = us or another address);
//   3: an ICMP echo request (payload length byte) with a valid or broken checksum;
//   4: an IGMP query (max response byte, v2 or v3, general or for a group);
//   5: the application writes (length byte) / 6: reads / 7: closes / 8: aborts;
//   9: time passes (byte * 5 ms) and the timers run.
// Invariants (a failed precondition is a finding): nothing traps; the readable bytes never
// exceed the receive ring; the bytes read come out in the order the peer's sequence numbers
// put them (each payload byte is a function of its sequence number); unacknowledged bytes
// never exceed what was written; the state is one RFC 9293 names.
import Net
import TickwireCore
import Packets

nonisolated(unsafe) var sink = 0

@inline(__always) func patternByte(_ seq: UInt32) -> UInt8 { UInt8(truncatingIfNeeded: (seq &* 2_654_435_761) >> 13) }

final class Harness {
    let ourMAC = MACAddress(0x02, 0, 0, 0, 0, 1)
    let peerMAC = MACAddress(0x02, 0, 0, 0, 0, 2)
    let ourIP = IPv4Address(10, 9, 0, 1)
    let peerIP = IPv4Address(10, 9, 0, 2)
    let device: MemoryNetDevice
    let host: NetHost<MemoryNetDevice>
    let conn: NetTCPConnection<MemoryNetDevice>
    var now: Int64 = 1_000_000_000
    var buffer = [UInt8](repeating: 0, count: 2048)
    var read = [UInt8](repeating: 0, count: 70_000)
    /// The peer's sequence number of the next byte the application will read.
    var readSeq: UInt32 = 0
    var written = 0
    let irs: UInt32 = 0x1234_5678

    init() {
        device = MemoryNetDevice(mac: ourMAC, capacity: 64)
        var c = NetConfiguration(address: ourIP, prefixLength: 24, multicastGroups: [IPv4Address(239, 1, 1, 1)])
        c.tcp.reassemblyIntervals = 4
        host = try! NetHost(configuration: c, device: device)
        host.start(now: now)
        conn = try! host.connect(to: peerIP, port: 9000, now: now)
        feed(arp(op: ARPOperation.reply, target: ourIP))
        feed(segment(seq: irs, ack: conn.initialSequence &+ 1, flags: [.syn, .ack], window: 65535, payload: [], mss: true))
        precondition(conn.state == .established)
        readSeq = irs &+ 1
        device.discardSent()
    }

    func feed(_ f: [UInt8]) {
        f.withUnsafeBytes { host.input($0, now: now) }
        host.flush()
        device.discardSent()
    }

    func arp(op: UInt16, target: IPv4Address) -> [UInt8] {
        buffer.withUnsafeMutableBytes {
            let n = FrameBuilder.arp(into: $0, operation: op, senderMAC: peerMAC, senderIP: peerIP, targetMAC: ourMAC, targetIP: target)!
            return Array($0[0..<n])
        }
    }

    func segment(seq: UInt32, ack: UInt32, flags: TCPFlags, window: UInt16, payload: [UInt8], mss: Bool = false, breakChecksum: Bool = false) -> [UInt8] {
        let opts: [UInt8] = mss ? [2, 4, 5, 0xB4] : []
        var f = buffer.withUnsafeMutableBytes { b in
            opts.withUnsafeBytes { o in
                payload.withUnsafeBytes { p in
                    let n = FrameBuilder.tcpSegment(into: b, srcMAC: peerMAC, dstMAC: ourMAC, srcIP: peerIP, dstIP: ourIP, srcPort: 9000,
                                                    dstPort: conn.localPort, sequence: seq, acknowledgment: ack, flags: flags,
                                                    window: window, options: o, payload: p)!
                    return Array(b[0..<n])
                }
            }
        }
        if breakChecksum { f[14 + 20 + 16] ^= 0x5A }
        return f
    }

    func ip(_ proto: UInt8, to dst: IPv4Address, _ body: [UInt8], ttl: UInt8 = 64) -> [UInt8] {
        var f = [UInt8](repeating: 0, count: 34 + body.count)
        f.withUnsafeMutableBytes { b in
            _ = FrameBuilder.ethernet(into: b, destination: dst.isMulticast ? dst.multicastMAC : ourMAC, source: peerMAC, etherType: EtherType.ipv4)
            _ = FrameBuilder.ipv4(into: UnsafeMutableRawBufferPointer(rebasing: b[14...]), source: peerIP, destination: dst,
                                  protocol: proto, payloadLength: body.count, ttl: ttl)
        }
        for (i, x) in body.enumerated() { f[34 + i] = x }
        return f
    }

    func withChecksum(_ m: [UInt8], at o: Int) -> [UInt8] {
        var m = m
        let s = m.withUnsafeBytes { internetChecksum($0) }
        m[o] = UInt8(s >> 8); m[o + 1] = UInt8(s & 0xFF)
        return m
    }

    func drainReads() {
        while true {
            let before = readSeq
            let r = read.withUnsafeMutableBytes { conn.receive(into: $0) }
            guard case .bytes(let n) = r else { return }
            precondition(n > 0 && n <= 65536, "a read of \(n) bytes")
            for i in 0..<n { precondition(read[i] == patternByte(before &+ UInt32(i)), "byte \(i) of a read is out of order") }
            readSeq &+= UInt32(n)
        }
    }

    func check() {
        precondition(conn.readable >= 0 && conn.readable <= 65536, "readable \(conn.readable)")
        precondition(conn.unacknowledged >= 0 && conn.unacknowledged <= written, "unacknowledged \(conn.unacknowledged) of \(written)")
        sink &+= Int(host.counters.drops.total) &+ Int(conn.counters.segmentsIn) &+ conn.state.rawValue.count
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let h = Harness()
    var i = 0
    func byte() -> UInt8? {
        guard i < size else { return nil }
        defer { i += 1 }
        return data[i]
    }
    func bytes(_ n: Int) -> [UInt8] {
        let k = min(n, size - i)
        defer { i += k }
        return k > 0 ? Array(UnsafeBufferPointer(start: data + i, count: k)) : []
    }
    var steps = 0
    while let kind = byte(), steps < 256 {
        steps += 1
        switch kind % 10 {
        case 0:
            h.feed(bytes(Int(byte() ?? 0)))
        case 1:
            guard let s0 = byte(), let s1 = byte(), let a0 = byte(), let a1 = byte(), let fl = byte(), let w0 = byte(), let len = byte() else { break }
            let seqOff = Int32(Int16(bitPattern: UInt16(s0) << 8 | UInt16(s1)))
            let ackOff = Int32(Int16(bitPattern: UInt16(a0) << 8 | UInt16(a1)))
            let seq = h.conn.receiveNext &+ UInt32(bitPattern: seqOff)
            let payload = (0..<Int(len)).map { patternByte(seq &+ UInt32($0)) }
            let flags = TCPFlags(rawValue: fl)
            let window = UInt16(w0) << 8 | UInt16(w0)
            h.feed(h.segment(seq: seq, ack: h.conn.sendNext &+ UInt32(bitPattern: ackOff), flags: flags, window: window,
                             payload: payload, breakChecksum: len & 0x80 != 0 && fl & 0x40 != 0))
        case 2:
            let op = byte() ?? 1
            h.feed(h.arp(op: UInt16(op % 4), target: op & 0x10 != 0 ? h.ourIP : IPv4Address(10, 9, 0, op)))
        case 3:
            let n = Int(byte() ?? 0)
            var m = h.withChecksum([8, 0, 0, 0, 0, 1, 0, 1] + bytes(n), at: 2)
            if n & 1 == 1 { m[m.count - 1] ^= 0xFF }
            h.feed(h.ip(1, to: h.ourIP, m))
        case 4:
            let code = byte() ?? 0
            let v3 = code & 1 == 1
            var q: [UInt8] = [0x11, code, 0, 0] + (code & 2 == 2 ? [239, 1, 1, 1] : [0, 0, 0, 0])
            if v3 { q += [0, 0, 0, 0] }
            h.feed(h.ip(2, to: .allSystems, h.withChecksum(q, at: 2), ttl: 1))
        case 5:
            let n = Int(byte() ?? 0) * 16
            let payload = [UInt8](repeating: 0x4F, count: n)
            let took = payload.withUnsafeBytes { h.conn.send($0) }
            if took > 0 { h.written += took }
            h.device.discardSent()
        case 6:
            h.drainReads()
        case 7:
            h.conn.close()
            h.device.discardSent()
        case 8:
            h.conn.abort()
            h.device.discardSent()
        default:
            h.now += Int64(byte() ?? 1) * 5_000_000
            h.host.poll(now: h.now)
            h.device.discardSent()
        }
        h.check()
    }
    h.drainReads()
    h.check()
    return 0
}
