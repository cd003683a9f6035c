// The appliance's own loop, `Appliance.run(port:flag:)`, as the live DPDK path runs it: rx
// bursts from a DPDK port (net_ring, whose ring is its own rx and tx: frames sent into it before
// the iteration come back on rx), frame parse, MoldUDP64 session, ITCH, book, taker, risk, OUCH
// to the echo venue, and recovery pumping: every 50th frame is lost on the line, the session
// re-requests it over UDP (UDPRecoveryClient, the live client) from a re-request server on
// loopback, and the answers come in through the loop's `pumpRecovery`. One iteration: 300
// frames of a simulated day; `run(untilIdle:)` returns once the ring is drained with no gap
// left. The server thread answers from the frames themselves and neither allocates nor
// retains (the counts are process-wide): what the iteration counts is the loop's.
import Appliance
import Benchmark
import CShims
import Exchange
import MarketData
import OrderEntry
import Strategy
import TickwireCore
import Packets
import DPDK

#if canImport(Glibc)
import Glibc
#endif

/// What the re-request server thread reads: the day's frames and each one's first sequence.
struct RecoveryServerTable {
    var fd: Int32
    var pkts: UnsafePointer<tw_pkt>
    var firstSequence: UnsafePointer<UInt64>
    var count: Int
}

/// The server thread: answers each MoldUDP64 request with the original packets that cover it
/// (they start at the UDP payload, 42 bytes into these frames).
private func serveRecovery(_ raw: UnsafeMutableRawPointer?) -> UnsafeMutableRawPointer? {
    let t = raw!.assumingMemoryBound(to: RecoveryServerTable.self).pointee
    var buf = (UInt64(0), UInt64(0), UInt64(0), UInt64(0))  // 32 bytes of stack
    var from = sockaddr_in()
    while true {
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        let n = withUnsafeMutableBytes(of: &buf) { b in
            withUnsafeMutablePointer(to: &from) { a in
                a.withMemoryRebound(to: sockaddr.self, capacity: 1) { recvfrom(t.fd, b.baseAddress, b.count, 0, $0, &len) }
            }
        }
        guard n == MoldUDP64Packet.headerLength else { continue }
        let (sequence, count) = withUnsafeBytes(of: &buf) { b in
            (UInt64(bigEndian: b.loadUnaligned(fromByteOffset: 10, as: UInt64.self)),
             UInt64(UInt16(bigEndian: b.loadUnaligned(fromByteOffset: 18, as: UInt16.self))))
        }
        // The packet holding `sequence`: the last one starting at or before it.
        var lo = 0, hi = t.count
        while hi - lo > 1 {
            let mid = (lo + hi) / 2
            if t.firstSequence[mid] <= sequence { lo = mid } else { hi = mid }
        }
        var i = lo
        while i < t.count && t.firstSequence[i] < sequence + max(count, 1) {
            let p = t.pkts[i]
            _ = withUnsafePointer(to: &from) { a in
                a.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    sendto(t.fd, p.data + 42, Int(p.len) - 42, 0, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
            i += 1
        }
    }
}

final class ApplianceRunFixture: @unchecked Sendable {
    let frames: TickToTradeFrames
    let port: DPDKPort
    var appliance: Appliance<Taker<ImbalanceUptickModel>, EchoVenueTransport, UDPRecoveryClient>
    let flag = RunFlag()
    let clock = TSCClock.calibrate(windowNanos: 20_000_000)
    let serverPort: UInt16
    var cursor = 0
    let table: UnsafeMutablePointer<RecoveryServerTable>
    let firstSequence: UnsafeMutablePointer<UInt64>
    /// Each iteration's frames (the lost ones left out), built before it.
    var batch: [[UInt8]] = []

    init() throws {
        try startDPDK()
        let day = FlowDay.generate(OrderFlowConfiguration(seed: 2, symbols: 100), messages: 300_000).bytes
        frames = TickToTradeFrames(itch: day, perPacket: 3)
        let pool = try Mempool(name: "bench_run_rx", count: 2047, cache: 0)
        port = try DPDKPort(vdev: "net_ring_run", mempool: pool)
        // The re-request server: a UDP socket on loopback and its thread.
        let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        precondition(fd >= 0, "socket: \(errno)")
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &addr) { a in
            a.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, len) == 0 && getsockname(fd, $0, &len) == 0 }
        }
        precondition(bound, "bind: \(errno)")
        serverPort = UInt16(bigEndian: addr.sin_port)
        firstSequence = .allocate(capacity: frames.count)
        var seq: UInt64 = 1
        for i in 0..<frames.count {
            firstSequence[i] = seq
            let p = frames.pkts[i]
            let payload = UnsafeRawBufferPointer(start: p.data + 42, count: Int(p.len) - 42)
            seq += UInt64(MoldUDP64Packet(payload)!.messageCount)
        }
        table = .allocate(capacity: 1)
        table.initialize(to: RecoveryServerTable(fd: fd, pkts: frames.pkts, firstSequence: firstSequence, count: frames.count))
        var thread = pthread_t()
        precondition(pthread_create(&thread, nil, serveRecovery, table) == 0)
        appliance = try Self.freshAppliance(clock, serverPort)
    }

    static func freshAppliance(_ clock: TSCClock, _ serverPort: UInt16) throws
        -> Appliance<Taker<ImbalanceUptickModel>, EchoVenueTransport, UDPRecoveryClient> {
        let p = benchTakerParameters
        let locates = (1...100).map { StockLocate(rawValue: UInt16($0)) }
        let (engine, _) = try TickToTradeRig.engine(strategy: Taker(symbols: locates, model: ImbalanceUptickModel(), maxLocates: 101, parameters: p),
                                                    symbols: 100)
        return Appliance(engine: engine, lineA: TickToTradeFrames.lineA, lineB: TickToTradeFrames.lineB,
                         requester: try UDPRecoveryClient(server: IPv4Address(127, 0, 0, 1), port: serverPort), clock: clock)
    }

    /// Sends the next 300 frames, every 50th left out, into the ring (outside the measurement).
    func load() throws {
        if cursor + 300 > frames.count {
            appliance = try Self.freshAppliance(clock, serverPort)
            cursor = 0
        }
        batch.removeAll(keepingCapacity: true)
        for i in cursor..<(cursor + 300) where i % 50 != 49 {
            let p = frames.pkts[i]
            batch.append(Array(UnsafeRawBufferPointer(start: p.data, count: Int(p.len))))
        }
        let sent = port.send(frames: batch)
        precondition(sent == batch.count, "net_ring took \(sent) of \(batch.count) frames")
        cursor += 300
    }
}

nonisolated(unsafe) var runFixture: ApplianceRunFixture?

func applianceRunBenchmarks() {
    Benchmark("ApplianceRun_net_ring_taker_300_frames_loss_and_recovery",
              configuration: .init(setup: {
                  if runFixture == nil { runFixture = try ApplianceRunFixture() }
              })) { benchmark in
        let f = runFixture!
        try f.load()
        let a = f.appliance
        let recoveredBefore = a.feed.session.counters.recoveredMessages
        let ordersBefore = a.engine.counters.ordersSent
        let port = f.port, flag = f.flag
        benchmark.startLoop()
        a.run(port: port, flag: flag, untilIdle: true)
        benchmark.stopLoop()
        while a.engine.stamps.pop() != nil {}
        while a.snapshots.pop() != nil {}
        precondition(a.engine.gateway.isLoggedIn, "the session dropped: the iteration measured refusals, not orders")
        precondition(a.feed.session.counters.unrecoveredMessages == 0, "a lost frame was not recovered")
        precondition(a.feed.session.counters.recoveredMessages > recoveredBefore || f.cursor == 300,
                     "no re-request was answered in the loop")
        precondition(a.engine.counters.ordersSent > ordersBefore, "no order went out")
        blackHole(a.counters)
    }
}
