// The in-process tick-to-trade rig: a day of ITCH, packed into MoldUDP64 datagrams inside
// Ethernet frames in one arena, fed in bursts through the same `Appliance` the live loop runs,
// with the order session on an `EchoVenueTransport` (a venue in a box that answers at once).
// `tickwire bench t2t` and the package-benchmark `TickToTrade_*` use it: what they time is
// rx-burst return to the send call's return, exactly the live path minus the NIC and the kernel.
public import CShims
public import MarketData
import OrderBook
public import OrderEntry
public import Risk
public import Strategy
public import TickwireCore
import Packets

public final class TickToTradeFrames: @unchecked Sendable {
    /// Descriptors of every frame, in order (data points into the arena).
    public let pkts: UnsafeMutablePointer<tw_pkt>
    public let count: Int
    public let messages: Int
    let arena: UnsafeMutableRawPointer
    public static let lineA = FeedAddress(ip: IPv4Address(239, 192, 10, 1), port: 26477)
    public static let lineB = FeedAddress(ip: IPv4Address(239, 192, 10, 2), port: 26477)

    /// `itch`: a BinaryFILE (length-prefixed messages); `perPacket`: messages per datagram.
    public init(itch: [UInt8], perPacket: Int = 3) {
        var frames: [[UInt8]] = []
        var seq: UInt64 = 1
        var msgs = 0
        itch.withUnsafeBytes { raw in
            var w = ITCHFileWalker(raw)
            var batch: [UnsafeRawBufferPointer] = []
            func flush() {
                guard !batch.isEmpty else { return }
                var p = [UInt8](repeating: 0, count: 20)
                p.withUnsafeMutableBytes { _ = MoldUDP64Packet.writeHeader(into: $0, session: MoldSession("T2TBENCH"), sequence: seq, count: UInt16(batch.count)) }
                for m in batch { p += [UInt8(m.count >> 8), UInt8(m.count & 0xFF)] + Array(m) }
                var f = [UInt8](repeating: 0, count: p.count + 64)
                let n = f.withUnsafeMutableBytes { out in
                    p.withUnsafeBytes { pl in
                        FrameBuilder.udpFrame(into: out, srcMAC: MACAddress(rawValue: 0x02_00_00_00_00_01),
                                              dstMAC: Self.lineA.ip.multicastMAC, srcIP: IPv4Address(10, 0, 0, 2),
                                              dstIP: Self.lineA.ip, srcPort: 40000, dstPort: Self.lineA.port, payload: pl) ?? 0
                    }
                }
                frames.append(Array(f[0..<n]))
                seq += UInt64(batch.count)
                msgs += batch.count
                batch.removeAll()
            }
            while let m = w.next() {
                batch.append(m)
                if batch.count == perPacket { flush() }
            }
            flush()
        }
        let total = frames.reduce(0) { $0 + $1.count + 64 }
        let arena = UnsafeMutableRawPointer.allocate(byteCount: max(total, 64), alignment: 64)
        let pkts = UnsafeMutablePointer<tw_pkt>.allocate(capacity: max(frames.count, 1))
        var off = 0
        for (i, f) in frames.enumerated() {
            f.withUnsafeBytes { (arena + off).copyMemory(from: $0.baseAddress!, byteCount: f.count) }
            var p = tw_pkt()
            p.data = UnsafePointer((arena + off).assumingMemoryBound(to: UInt8.self))
            p.len = UInt32(f.count)
            (pkts + i).initialize(to: p)
            off += (f.count + 63) & ~63
        }
        self.arena = arena
        self.pkts = pkts
        count = frames.count
        messages = msgs
    }

    deinit {
        arena.deallocate()
        pkts.deallocate()
    }
}

/// The benchmarks' gateway over any transport, not yet connected: OUCH 4.2, the simulator's
/// symbol names, and risk limits wide enough (by default) that a benchmark measures the path,
/// not refusals. The echo rig's engine and the kernel-bypass loop's benchmark use it.
public enum TickToTradeGateway {
    public static func make<U: ByteStreamTransport>(symbols: Int, limits: RiskLimits? = nil) throws -> OrderGateway<U> {
        let risk = try RiskEngine(limits: limits ?? RiskLimits(maxOrderShares: 10_000, maxOrderNotional: 1 << 50, collarBps: 10_000,
                                                               allowWithoutReference: true, maxPositionPerSymbol: 1 << 40,
                                                               maxGrossPosition: 1 << 50, maxOpenOrders: 1 << 16,
                                                               throttleOrders: 1 << 20, throttleWindowNanos: 1_000,
                                                               killOnCrossedBook: false),
                                  maxLocates: symbols + 1)
        let names: [Alpha8] = [.blank] + (1...max(symbols, 1)).map { Alpha8(SyntheticDay.symbol(locate: $0).description) ?? .blank }
        return OrderGateway<U>(version: .v42, credentials: SoupBinTCPCredentials(username: "BENCH", password: "x"), symbols: names, risk: risk)
    }
}

/// The appliance wired to an echo venue: feed frames in, orders out, venue answers back.
/// The rig's re-request path: it counts what the session asks for; the rig answers by handing
/// the frames it held back to the session's recovery line, as a re-request server's answers
/// arrive on the live path (`burst(_:from:count:losingEvery:)`).
public struct RigRecovery: MoldUDP64Requester {
    public private(set) var requests: UInt64 = 0
    public init() {}
    public mutating func requestRetransmission(session: MoldSession, sequence: UInt64, count: UInt16) -> Bool {
        requests &+= 1
        return true
    }
}

public final class TickToTradeRig<S: Strategy> {
    public let appliance: Appliance<S, EchoVenueTransport, RigRecovery>
    public let venue: EchoVenueTransport
    public var engine: TradingEngine<S, EchoVenueTransport> { appliance.engine }

    /// `limits`: risk's limits (default: wide, so that the benchmark measures the path, not refusals).
    public init(strategy: S, symbols: Int, clock: TSCClock, maxOrders: Int = 1 << 20, limits: RiskLimits? = nil) throws {
        let (engine, venue) = try Self.engine(strategy: strategy, symbols: symbols, maxOrders: maxOrders, limits: limits)
        self.venue = venue
        appliance = Appliance(engine: engine, lineA: TickToTradeFrames.lineA, lineB: TickToTradeFrames.lineB,
                              requester: RigRecovery(), clock: clock)
    }

    /// The rig's engine, logged in to a fresh echo venue: also the engine of the benchmark that
    /// runs `Appliance.run` itself over a DPDK port.
    /// `bookLocates`: locates the book holds (default: the traded symbols and 0), for feeds whose
    /// locates run past the symbols traded.
    public static func engine(strategy: S, symbols: Int, maxOrders: Int = 1 << 20,
                              limits: RiskLimits? = nil, bookLocates: Int? = nil) throws -> (TradingEngine<S, EchoVenueTransport>, EchoVenueTransport) {
        let gateway: OrderGateway<EchoVenueTransport> = try TickToTradeGateway.make(symbols: symbols, limits: limits)
        let venue = EchoVenueTransport()
        // The loop drives the session with CLOCK_MONOTONIC_RAW (from the TSC): start on that base.
        let now = tw_clock_monotonic_raw_ns()
        gateway.connect(venue, now: now)
        var l = NoGatewayListener()
        gateway.poll(now: now, &l)
        let book = try OrderBook(configuration: OrderBookConfiguration(maxOrders: maxOrders, maxLocates: bookLocates ?? symbols + 1))
        return (TradingEngine(book: book, gateway: gateway, strategy: strategy, stampCapacity: 1 << 18), venue)
    }

    public var isLoggedIn: Bool { engine.gateway.isLoggedIn }

    /// The rx ring: 512 buffers of 2 KiB that frames are copied into before each burst, as a
    /// NIC writes packets into the mbufs of its descriptor ring (with DDIO, into the cache).
    /// Reading frames straight from a day-sized arena instead would make every packet a DRAM
    /// miss that no live path pays.
    let rxBuffers = UnsafeMutableRawPointer.allocate(byteCount: 512 * 2048, alignment: 64)
    let rxPkts = UnsafeMutablePointer<tw_pkt>.allocate(capacity: 64)
    var rxNext = 0

    /// Frames a lossy burst held back (indices into the frames), answered on the recovery line
    /// once the session asks.
    let held = UnsafeMutablePointer<Int>.allocate(capacity: 64)
    var heldCount = 0
    var requestsAnswered: UInt64 = 0

    deinit {
        rxBuffers.deallocate()
        rxPkts.deallocate()
        held.deallocate()
    }

    /// Like `burst`, but every `k`-th frame is lost on the line (held back); once the session
    /// has re-requested, the held frames are handed to its recovery line between bursts, as the
    /// re-request server's answers arrive live: gap detection, early-packet buffering, the
    /// re-request, the recovered messages and the drain, in the loop.
    @inline(__always)
    public func burst(_ frames: TickToTradeFrames, from: Int, count n: Int, losingEvery k: Int) {
        var delivered = 0
        for i in 0..<n {
            let index = from + i
            if index % k == k - 1 && heldCount < 64 {
                held[heldCount] = index
                heldCount += 1
                continue
            }
            var p = frames.pkts[index]
            let dst = rxBuffers + (rxNext & 511) * 2048
            rxNext &+= 1
            dst.copyMemory(from: UnsafeRawPointer(p.data), byteCount: Int(min(p.len, 2048)))
            p.data = UnsafePointer(dst.assumingMemoryBound(to: UInt8.self))
            rxPkts[delivered] = p
            delivered += 1
        }
        let tsc = tw_rdtsc()
        if delivered > 0 { appliance.onFrames(rxPkts, count: delivered, tsc: tsc) }
        appliance.betweenBursts(idle: true, tsc: tsc)
        let feed = appliance.uFeed
        let asked = feed._withUnsafeGuaranteedRef { $0.session.requester.requests }
        if heldCount > 0 && asked != requestsAnswered {
            requestsAnswered = asked
            let now = UInt64(appliance.nanos(tsc))
            for j in 0..<heldCount {
                let p = frames.pkts[held[j]]
                if case .udp(let u) = parseUDPFrame(UnsafeRawBufferPointer(start: p.data, count: Int(p.len)), verifyIPChecksum: false) {
                    feed._withUnsafeGuaranteedRef { $0.session.onPacket(u.payload, line: .recovery, now: now) }
                }
            }
            heldCount = 0
        }
    }

    /// Frames [from, from + n) (n <= 64) as one burst, then the venue's answers (between bursts).
    @inline(__always)
    public func burst(_ frames: TickToTradeFrames, from: Int, count n: Int) {
        for i in 0..<n {
            var p = frames.pkts[from + i]
            let dst = rxBuffers + (rxNext & 511) * 2048
            rxNext &+= 1
            dst.copyMemory(from: UnsafeRawPointer(p.data), byteCount: Int(min(p.len, 2048)))
            p.data = UnsafePointer(dst.assumingMemoryBound(to: UInt8.self))
            rxPkts[i] = p
        }
        let tsc = tw_rdtsc()
        appliance.onFrames(rxPkts, count: n, tsc: tsc)
        appliance.betweenBursts(idle: true, tsc: tsc)
    }
}
