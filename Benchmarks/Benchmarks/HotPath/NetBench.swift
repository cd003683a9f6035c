// The kernel-bypass order path in steady state: one iteration = 1,000 rounds of
//   a venue TCP segment in (Ethernet/IPv4/TCP carrying a SoupBinTCP-framed OUCH 4.2 Rejected
//   that also acknowledges our last order) -> Tickwire's stack (checksum, sequence checks, ACK
//   processing, the receive ring) -> the gateway reads and applies it ->
//   an order out: risk, OUCH encode, SoupBinTCP framing, Tickwire's TCP (send ring, segment
//   built behind the prebuilt headers in an mbuf, checksums) -> one tx burst on DPDK net_null.
// The venue's side is scripted in memory (its segments are built before each iteration, outside
// the measurement); the handshake and the login ran in setup.
import Benchmark
import Foundation
import CShims
import Net
import OrderEntry
import Risk
import TickwireCore
import Packets
import DPDK

final class NetFixture: @unchecked Sendable {
    let port: DPDKPort
    let link: NetLink
    let gateway: OrderGateway<NetTCPConnection<DPDKNetDevice>>
    let conn: NetTCPConnection<DPDKNetDevice>
    let frames: UnsafeMutableRawPointer
    var lengths = [Int](repeating: 0, count: 1_000)
    var next: UInt32 = 1
    var venueSeq: UInt32 = 70_000
    var now: Int64 = 1_000_000_000
    static let frameRoom = 256
    static let orderBytes = 3 + 49      // SoupBinTCP header + OUCH 4.2 Enter Order
    let peerMAC = MACAddress(0x02, 0, 0, 0, 0, 2)
    let peerIP = IPv4Address(10, 99, 0, 2)
    let ourIP = IPv4Address(10, 99, 0, 1)

    init() throws {
        try startDPDK()
        let pool = try Mempool(name: "bench_net_rx", count: 1023, cache: 0)
        var conf = DPDKPort.Configuration()
        conf.promiscuous = false
        conf.allMulticast = false
        port = try DPDKPort(vdev: "net_null_tw", arguments: "copy=0", mempool: pool, configuration: conf)
        var nc = NetConfiguration(address: ourIP, prefixLength: 24)
        // TICKWIRE_BENCH_COPY_SEND=1: the copying send path, to compare with the zero-copy one.
        nc.tcp.zeroCopySend = ProcessInfo.processInfo.environment["TICKWIRE_BENCH_COPY_SEND"] == nil
        link = try NetLink(port: port, configuration: nc, txBuffers: 1023)
        frames = .allocate(byteCount: 1_000 * Self.frameRoom, alignment: 64)
        conn = try link.host.connect(to: peerIP, port: 26500, now: now)
        let limits = RiskLimits(maxOrderShares: 10_000, maxOrderNotional: Int64(10_000) * 10_000_000, collarBps: 500,
                                maxPositionPerSymbol: 1_000_000, maxGrossPosition: 10_000_000, maxOpenOrders: 1_000,
                                throttleOrders: 1_000_000, throttleWindowNanos: 1_000)
        let risk = try RiskEngine(limits: limits, maxLocates: 128)
        for l in 1...100 { risk.setReference(locate: StockLocate(rawValue: UInt16(l)), price: Price(rawValue: 1_000_000)) }
        let names: [Alpha8] = [.blank] + (1...100).map { Alpha8("SYN\(String(format: "%04d", $0))")! }
        gateway = OrderGateway(version: .v42, credentials: SoupBinTCPCredentials(username: "BENCH", password: "x"), symbols: names, risk: risk)
        try handshakeAndLogin()
    }

    /// The venue's side of the set-up, scripted: ARP reply, SYN-ACK, Login Accepted; then order 1
    /// (round 0 of the first iteration brings its reject).
    func handshakeAndLogin() throws {
        let host = link.host
        let mac = link.device.mac
        var b = [UInt8](repeating: 0, count: 256)
        let (peerMAC, peerIP, ourIP, now) = (self.peerMAC, self.peerIP, self.ourIP, self.now)
        var n = b.withUnsafeMutableBytes {
            FrameBuilder.arp(into: $0, operation: ARPOperation.reply, senderMAC: peerMAC, senderIP: peerIP, targetMAC: mac, targetIP: ourIP)!
        }
        b.withUnsafeBytes { host.input(UnsafeRawBufferPointer(rebasing: $0[0..<n]), now: now) }
        let mss: [UInt8] = [2, 4, 0x05, 0xB4]
        let (local, iss, seq) = (conn.localPort, conn.initialSequence, venueSeq)
        n = b.withUnsafeMutableBytes { o in
            mss.withUnsafeBytes { m in
                FrameBuilder.tcpSegment(into: o, srcMAC: peerMAC, dstMAC: mac, srcIP: peerIP, dstIP: ourIP, srcPort: 26500,
                                        dstPort: local, sequence: seq, acknowledgment: iss &+ 1,
                                        flags: [.syn, .ack], window: 65535, options: m)!
            }
        }
        b.withUnsafeBytes { host.input(UnsafeRawBufferPointer(rebasing: $0[0..<n]), now: now) }
        venueSeq &+= 1
        precondition(conn.state == .established, "handshake")
        gateway.connect(conn, now: now)
        var soup = [UInt8](repeating: 0, count: 64)
        let m = soup.withUnsafeMutableBytes { SoupBinTCP.encodeLoginAccepted(into: $0, session: Alpha10("BENCH")!, sequenceNumber: 1)! }
        n = venueSegment(into: &b, payload: Array(soup[0..<m]))
        b.withUnsafeBytes { host.input(UnsafeRawBufferPointer(rebasing: $0[0..<n]), now: now) }
        var none = NoGatewayListener()
        gateway.poll(now: now, &none)
        precondition(gateway.isLoggedIn, "login")
        guard case .sent(let first) = gateway.submit(locate: StockLocate(rawValue: 1), side: .buy, shares: 100,
                                                     price: Price(rawValue: 1_000_000), now: now) else { fatalError("first order") }
        next = first &+ 1
    }

    /// A segment from the venue carrying `payload`, acknowledging all we sent.
    func venueSegment(into b: inout [UInt8], payload: [UInt8], ack: UInt32? = nil) -> Int {
        let (peerMAC, peerIP, ourIP, mac, local, seq) = (self.peerMAC, self.peerIP, self.ourIP, link.device.mac, conn.localPort, venueSeq)
        let a = ack ?? conn.sendNext
        let n = b.withUnsafeMutableBytes { o in
            payload.withUnsafeBytes { p in
                FrameBuilder.tcpSegment(into: o, srcMAC: peerMAC, dstMAC: mac, srcIP: peerIP, dstIP: ourIP, srcPort: 26500,
                                        dstPort: local, sequence: seq, acknowledgment: a,
                                        flags: [.ack, .psh], window: 65535, payload: p)!
            }
        }
        venueSeq &+= UInt32(payload.count)
        return n
    }

    /// The venue's 1,000 segments of the next iteration: round k brings the reject of the order
    /// sent in the round before it (order `next + k - 1`) and acknowledges every order sent so
    /// far (each is `orderBytes` on the wire).
    func prepare() {
        var b = [UInt8](repeating: 0, count: Self.frameRoom)
        var soup = [UInt8](repeating: 0, count: 64)
        var ouch = [UInt8](repeating: 0, count: 24)
        let base = conn.sendNext
        for k in 0..<1_000 {
            let id = next &+ UInt32(k) &- 1
            _ = ouch.withUnsafeMutableBytes {
                OUCH42.Rejected(timestamp: VenueTime(nanosSinceMidnight: 0), orderToken: OrderTokens.token(id), reason: "X").encode(into: $0)
            }
            let m = soup.withUnsafeMutableBytes { s in ouch.withUnsafeBytes { SoupBinTCP.encodeSequencedData(into: s, message: $0)! } }
            // Round k's segment comes before order k goes: it acknowledges orders up to k-1.
            let n = venueSegment(into: &b, payload: Array(soup[0..<m]), ack: base &+ UInt32(k * Self.orderBytes))
            b.withUnsafeBytes { (frames + k * Self.frameRoom).copyMemory(from: $0.baseAddress!, byteCount: n) }
            lengths[k] = n
        }
    }
}

nonisolated(unsafe) var netFixture: NetFixture?

func netBenchmarks() {
    Benchmark("NetStack_segment_in_order_out_1000",
              configuration: .init(setup: {
                  if netFixture == nil { netFixture = try NetFixture() }
              })) { benchmark in
        let f = netFixture!
        let host = f.link.host
        let g = f.gateway
        for _ in benchmark.scaledIterations {
            f.prepare()
            var none = NoGatewayListener()
            benchmark.startLoop()
            for k in 0..<1_000 {
                host.input(UnsafeRawBufferPointer(start: f.frames + k * NetFixture.frameRoom, count: f.lengths[k]), now: f.now)
                host.flush()
                blackHole(g.poll(now: f.now, &none))
                let r = g.submit(locate: StockLocate(rawValue: UInt16(1 + k % 100)), side: k & 1 == 0 ? .buy : .sell, shares: 100,
                                 price: Price(rawValue: 1_000_000 - 2_000 + Int64(k % 40) * 100), now: f.now)
                blackHole(r)
                host.poll(now: f.now)
                f.now &+= 1_000
            }
            benchmark.stopLoop()
            f.next &+= 1_000
        }
    }
}

