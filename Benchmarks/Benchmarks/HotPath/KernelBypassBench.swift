// The kernel-bypass loop, `runKernelBypass`, as `tickwire run` and the demo run it: one DPDK
// port carries the feed in and the orders out, Tickwire's own stack above L2. The port is one
// of two net_ring ports joined back to back (`DPDKPort.ringPair`); on the far one a scripted
// world plays the exchange's multicast and the venue's TCP peer: it answers ARP, accepts the
// connection, hands the bytes of our segments to an echo venue (`EchoVenueTransport`: Accepted,
// and Canceled for an IOC) and sends its answers back as TCP segments that acknowledge ours.
// One iteration: the answers to the previous iteration's orders, then 300 frames of a
// simulated day; the loop (rx burst, frame sort, MoldUDP64, ITCH, book, taker, risk, OUCH,
// SoupBinTCP, TCP segment in an mbuf, tx burst; the venue's segments through the stack to the
// gateway and the strategy) returns once the port is drained. The world's work is outside the
// measurement. Besides the counts, `make bench-check` reads this binary's symbols: the loop
// must be specialized for the strategy here, as it must in `tickwire` (tools/check-specialized).
import Appliance
import Benchmark
import CShims
import DPDK
import Exchange
import MarketData
import Net
import OrderBook
import OrderEntry
import Packets
import Strategy
import TickwireCore

/// The far end of the appliance's port: exchange and venue, scripted (cold, allocates freely).
final class ScriptedWorld {
    let port: DPDKPort
    let mac = MACAddress(0x02, 0, 0, 0, 0, 0x77)
    static let venueIP = IPv4Address(10, 98, 0, 2)
    static let venuePort: UInt16 = 26500
    static let rerequestPort: UInt16 = 26501
    var venue = EchoVenueTransport()
    var clientMAC = MACAddress.zero
    var clientIP = IPv4Address(0, 0, 0, 0)
    var clientPort: UInt16 = 0
    /// Next byte expected from us; next sequence number of the venue's own bytes.
    var receiveNext: UInt32 = 0
    var sendNext: UInt32 = 0
    var segmentsIn: UInt64 = 0
    var outOfOrder: UInt64 = 0
    let pkts = UnsafeMutablePointer<tw_pkt>.allocate(capacity: 64)
    var out: [[UInt8]] = []

    init(port: DPDKPort) { self.port = port }

    /// Reads everything our side sent and answers it; true if it read anything.
    @discardableResult
    func pump() -> Bool {
        var any = false
        var owesAck = false
        while true {
            let n = port.receive(into: pkts, capacity: 64)
            if n == 0 { break }
            any = true
            for i in 0..<n {
                let f = UnsafeRawBufferPointer(start: pkts[i].data, count: Int(pkts[i].len))
                if take(f) { owesAck = true }
            }
            port.release(pkts, count: n)
        }
        answer(ackOnly: owesAck)
        flush()
        return any
    }

    /// One frame from our side; true if it carried bytes for the venue.
    func take(_ f: UnsafeRawBufferPointer) -> Bool {
        guard let eth = EthernetView(f) else { return false }
        if eth.etherType == EtherType.arp, let arp = ARPView(eth.payload), arp.operation == ARPOperation.request,
           arp.targetIP == Self.venueIP {
            var b = [UInt8](repeating: 0, count: 64)
            let n = b.withUnsafeMutableBytes {
                FrameBuilder.arp(into: $0, operation: ARPOperation.reply, senderMAC: mac, senderIP: Self.venueIP,
                                 targetMAC: arp.senderMAC, targetIP: arp.senderIP)!
            }
            out.append(Array(b[0..<n]))
            return false
        }
        guard eth.etherType == EtherType.ipv4, let ip = IPv4View(eth.payload), ip.ipProtocol == IPProtocol.tcp,
              ip.destination == Self.venueIP, let tcp = TCPView(ip.payload), tcp.destinationPort == Self.venuePort else { return false }
        segmentsIn &+= 1
        if tcp.flags.contains(.syn) {
            // A new connection (the first, or after a fresh appliance): a fresh venue session.
            clientMAC = eth.source
            clientIP = ip.source
            clientPort = tcp.sourcePort
            receiveNext = tcp.sequence &+ 1
            sendNext = 0x4000_0000
            venue = EchoVenueTransport()
            let mss: [UInt8] = [2, 4, 0x05, 0xB4]
            segment(flags: [.syn, .ack], options: mss, payload: [])
            sendNext &+= 1
            return false
        }
        guard tcp.sourcePort == clientPort, !tcp.flags.contains(.rst) else { return false }
        let data = tcp.payload
        guard !data.isEmpty else { return false }
        guard tcp.sequence == receiveNext else {
            outOfOrder &+= 1
            return true
        }
        _ = venue.send(data)
        receiveNext &+= UInt32(data.count)
        return true
    }

    /// The venue's answers to what it read, in segments that acknowledge it (or a bare ACK).
    func answer(ackOnly: Bool) {
        var buf = [UInt8](repeating: 0, count: 1400)
        var sent = false
        while case .bytes(let n) = buf.withUnsafeMutableBytes({ venue.receive(into: $0) }), n > 0 {
            segment(flags: [.ack, .psh], options: [], payload: Array(buf[0..<n]))
            sendNext &+= UInt32(n)
            sent = true
        }
        if ackOnly && !sent { segment(flags: [.ack], options: [], payload: []) }
    }

    func segment(flags: TCPFlags, options: [UInt8], payload: [UInt8]) {
        var b = [UInt8](repeating: 0, count: 1514)
        let (src, dst, cip, cport, seq, ack) = (mac, clientMAC, clientIP, clientPort, sendNext, receiveNext)
        let n = b.withUnsafeMutableBytes { o in
            options.withUnsafeBytes { opt in
                payload.withUnsafeBytes { p in
                    FrameBuilder.tcpSegment(into: o, srcMAC: src, dstMAC: dst, srcIP: Self.venueIP, dstIP: cip,
                                            srcPort: Self.venuePort, dstPort: cport, sequence: seq, acknowledgment: ack,
                                            flags: flags, window: 65535, options: opt, payload: p)!
                }
            }
        }
        out.append(Array(b[0..<n]))
    }

    /// Sends what is queued (the ring holds 1,023 frames).
    func flush() {
        guard !out.isEmpty else { return }
        let sent = port.send(frames: out)
        precondition(sent == out.count, "the ring took \(sent) of \(out.count) frames")
        out.removeAll(keepingCapacity: true)
    }
}

final class KernelBypassFixture: @unchecked Sendable {
    typealias Bypass = Appliance<Taker<ImbalanceUptickModel>, NetOrderTransport, NetRecoveryClient>
    let frames: TickToTradeFrames
    let link: NetLink
    let world: ScriptedWorld
    var appliance: Bypass
    var reconnect = NetReconnect(venue: ScriptedWorld.venueIP, port: ScriptedWorld.venuePort)
    let flag = RunFlag()
    let clock = TSCClock.calibrate(windowNanos: 20_000_000)
    var cursor = 0
    var batch: [[UInt8]] = []

    init() throws {
        try startDPDK()
        let day = FlowDay.generate(OrderFlowConfiguration(seed: 3, symbols: 100), messages: 300_000).bytes
        frames = TickToTradeFrames(itch: day, perPacket: 3)
        let pool = try Mempool(name: "bench_bypass", count: 4095, cache: 0)
        let (ours, far) = try DPDKPort.ringPair(name: "twkb", mempool: pool)
        world = ScriptedWorld(port: far)
        link = try NetLink(port: ours, configuration: NetConfiguration(address: IPv4Address(10, 98, 0, 1), prefixLength: 24), txBuffers: 1023)
        link.host.start(now: tw_clock_monotonic_raw_ns())
        appliance = try Self.freshAppliance(link: link, world: world, clock: clock)
    }

    /// A new engine and feed session, its gateway logged in over a new connection (the world
    /// answers the handshake and the login here, outside any measurement).
    static func freshAppliance(link: NetLink, world: ScriptedWorld, clock: TSCClock) throws -> Bypass {
        let locates = (1...100).map { StockLocate(rawValue: UInt16($0)) }
        let gateway: OrderGateway<NetOrderTransport> = try TickToTradeGateway.make(symbols: 100)
        let conn = try link.host.connect(to: ScriptedWorld.venueIP, port: ScriptedWorld.venuePort, now: tw_clock_monotonic_raw_ns())
        let connected = link.pump(seconds: 2) { world.pump(); return conn.state == .established }
        precondition(connected, "no connection to the scripted venue: \(conn.state)")
        gateway.connect(conn, now: tw_clock_monotonic_raw_ns())
        var none = NoGatewayListener()
        let loggedIn = link.pump(seconds: 2) {
            world.pump()
            gateway.poll(now: tw_clock_monotonic_raw_ns(), &none)
            return gateway.isLoggedIn
        }
        precondition(loggedIn, "the scripted venue's login was not taken")
        let book = try OrderBook(configuration: OrderBookConfiguration(maxOrders: 1 << 20, maxLocates: 101))
        let engine = TradingEngine(book: book, gateway: gateway, strategy: Taker(symbols: locates, model: ImbalanceUptickModel(), maxLocates: 101, parameters: benchTakerParameters),
                                   stampCapacity: 1 << 18)
        let requester = NetRecoveryClient(host: link.host, server: ScriptedWorld.venueIP, port: ScriptedWorld.rerequestPort)
        return Appliance(engine: engine, lineA: TickToTradeFrames.lineA, lineB: TickToTradeFrames.lineB, requester: requester, clock: clock)
    }

    /// The venue's answers to the last iteration's orders, then the next 300 feed frames, into
    /// the ring (outside the measurement).
    func load() throws {
        if cursor + 300 > frames.count {
            appliance.engine.gateway.client.transport?.abort()
            appliance = try Self.freshAppliance(link: link, world: world, clock: clock)
            cursor = 0
        }
        world.pump()
        batch.removeAll(keepingCapacity: true)
        for i in cursor..<(cursor + 300) {
            let p = frames.pkts[i]
            batch.append(Array(UnsafeRawBufferPointer(start: p.data, count: Int(p.len))))
        }
        let sent = world.port.send(frames: batch)
        precondition(sent == batch.count, "the ring took \(sent) of \(batch.count) frames")
        cursor += 300
    }
}

nonisolated(unsafe) var bypassFixture: KernelBypassFixture?

func kernelBypassBenchmarks() {
    Benchmark("KernelBypass_ring_pair_taker_300_frames_venue_over_tickwire_tcp",
              configuration: .init(setup: {
                  if bypassFixture == nil { bypassFixture = try KernelBypassFixture() }
              })) { benchmark in
        let f = bypassFixture!
        try f.load()
        let a = f.appliance
        let ordersBefore = a.engine.counters.ordersSent
        let eventsBefore = a.engine.counters.venueEvents
        let link = f.link, flag = f.flag
        benchmark.startLoop()
        runKernelBypass(a, link: link, flag: flag, reconnect: &f.reconnect, untilIdle: true)
        benchmark.stopLoop()
        while a.engine.stamps.pop() != nil {}
        while a.snapshots.pop() != nil {}
        precondition(a.engine.gateway.isLoggedIn, "the session dropped: the iteration measured refusals, not orders")
        precondition(a.engine.counters.ordersSent > ordersBefore, "no order went out")
        precondition(a.engine.counters.venueEvents > eventsBefore || f.cursor == 300,
                     "no answer of the venue reached the engine in the loop")
        precondition(link.host.counters.drops.total == 0, "the stack dropped frames: \(link.host.counters.drops)")
        blackHole(a.counters)
    }
}
