// The kernel-bypass path: one DPDK port carries the feed in and the orders out, with
// Tickwire's own stack (Sources/Net) above L2. Each turn of the hot loop takes an rx burst and
// sorts it: feed UDP to the feed handler, re-request answers (UDP to our address) to the
// MoldUDP64 session's recovery line, everything else (TCP from the venue, ARP, ICMP, IGMP) to
// the stack, which owes its ACKs at the end of the burst. Then the stack's timers, then the
// order session (reading what TCP put in its ring: no syscall). Nothing here calls the kernel:
// the only system call left on the hot thread is the one some PMDs make to kick their tx ring
// (af_packet's sendto; a hardware PMD writes a doorbell register instead).
import CShims
public import MarketData
public import Net
import DPDK
import OrderEntry
public import Strategy
import TickwireCore
public import Packets

/// MoldUDP64 re-requests through the stack: UDP from our address and `localPort` to the
/// venue's re-request server; the answers come back in the rx bursts.
public final class NetRecoveryClient: MoldUDP64Requester {
    public let server: IPv4Address
    public let serverPort: UInt16
    public let localPort: UInt16
    unowned(unsafe) let host: NetHost<DPDKNetDevice>
    let request: UnsafeMutableRawBufferPointer
    public private(set) var sent: UInt64 = 0
    public private(set) var unsent: UInt64 = 0

    public init(host: NetHost<DPDKNetDevice>, server: IPv4Address, port: UInt16, localPort: UInt16 = 26_999) {
        self.host = host
        self.server = server
        serverPort = port
        self.localPort = localPort
        request = .allocate(byteCount: MoldUDP64Packet.headerLength, alignment: 8)
        // Resolve the server's MAC now, not when the first gap opens.
        host.resolve(host.nextHop(server) ?? server, now: host.now)
    }

    deinit { request.deallocate() }

    public func requestRetransmission(session: MoldSession, sequence: UInt64, count: UInt16) -> Bool {
        guard let n = MoldUDP64Packet.writeHeader(into: request, session: session, sequence: sequence, count: count) else { return false }
        let ok = host.sendUDP(to: server, port: serverPort, from: localPort, payload: UnsafeRawBufferPointer(rebasing: request[0..<n]))
        if ok { sent &+= 1 } else { unsent &+= 1 }
        return ok
    }
}

/// How the hot loop gets a new order session when the venue drops the connection: a fresh
/// TCP connection (non-blocking), then the gateway's login with the next sequence number it
/// expects (the venue replays what was missed; the gateway's replay logic is unchanged).
public struct NetReconnect {
    public var venue: IPv4Address
    public var port: UInt16
    /// Spacing between attempts (doubling up to `maxBackoffNanos`).
    public var backoffNanos: Int64 = 100_000_000
    public var maxBackoffNanos: Int64 = 2_000_000_000
    public internal(set) var attempts: UInt64 = 0
    /// New sessions opened (in a box the counters snapshot reads, made here: the loop's
    /// entry allocates nothing).
    public var reconnects: UInt64 { count.value }
    let count = ReconnectCount()
    var nextAttempt: Int64 = 0
    var delay: Int64 = 0
    var pending: NetTCPConnection<DPDKNetDevice>?

    public init(venue: IPv4Address, port: UInt16) {
        self.venue = venue
        self.port = port
    }
}

public typealias NetOrderTransport = NetTCPConnection<DPDKNetDevice>

/// The reconnect count, read by the counters snapshot (a box the reader shares).
final class ReconnectCount { var value: UInt64 = 0 }

/// The counters snapshot's reader of Tickwire's TCP and stack (every 10 ms; outside the
/// generic loop).
final class NetCountersReader {
    let host: NetHost<DPDKNetDevice>
    let reconnects: ReconnectCount

    init(host: NetHost<DPDKNetDevice>, reconnects: ReconnectCount) {
        self.host = host
        self.reconnects = reconnects
    }

    @inline(never)
    func read(into c: inout CountersSnapshot) {
        let t = host.tcpTotals()
        (c.tcpSegmentsIn, c.tcpSegmentsOut, c.tcpRetransmits, c.tcpTimeouts) = (t.segmentsIn, t.segmentsOut, t.retransmits, t.timeouts)
        c.tcpOutOfOrderHeld = t.outOfOrderHeld
        c.tcpDrops = t.drops
        c.tcpReconnects = reconnects.value
        c.netDrops = host.counters.drops.total
    }
}

/// The kernel-bypass loop: feed and orders on `link`'s port until `flag` drops.
///
/// Its callers specialize it for their strategy only if cross-module optimization can
/// serialize its body. Written as a method of the constrained extension below, with the
/// operator's kill and the between-bursts turn inlined into it, it was not serialized: the
/// demo's hot thread ran the generic loop and looked up the engine's and the listener's
/// metadata at run time on every turn (`swift_getGenericMetadata` and its caches, a third of
/// the hot thread under perf). Found by bisecting the body; checked with `nm`/`objdump` (the
/// strategy-specialized closure of `runTrading` calls a `Tg5` specialization of this).
///
/// `untilIdle`: also return at the first empty poll with no gap open and no re-request
/// outstanding (a port fed in advance, as the benchmark of this loop does through a ring pair).
/// Entering allocates nothing after the first call (frames are read in place from the port's mbufs; the
/// counters reader is made on the first call and kept).
public func runKernelBypass<S: Strategy>(_ a: Appliance<S, NetOrderTransport, NetRecoveryClient>, link: NetLink, flag: RunFlag,
                                         reconnect: inout NetReconnect, burst: Int = 32, untilIdle: Bool = false) {
    let burst = min(burst, maxBurst)
    let port = link.port
    let uHost = Unmanaged.passUnretained(link.host)
    let recoveryPort = a.feed.session.requester.localPort
    let ourAddress = link.host.address.value
    if a.netCounters == nil { a.netCounters = NetCountersReader(host: link.host, reconnects: reconnect.count) }
    while flag.isRunning {
        if flag.takeKillRequest() { a.operatorKill() }
        let n = port.receive(capacity: burst)
        let tsc = tw_rdtsc()
        let now = a.nanos(tsc)
        if n > 0 {
            a.onNetFrames(port.frames(), count: n, tsc: tsc, now: now, host: uHost, address: ourAddress, recoveryPort: recoveryPort)
            port.release(count: n)
        }
        uHost._withUnsafeGuaranteedRef {
            $0.flush()          // the ACKs the burst's segments owe and no order has carried
            $0.poll(now: now)
        }
        a.betweenBursts(idle: n == 0, tsc: tsc, now: now)
        if a.engine.gateway.client.state == .disconnected {
            a.reconnectStep(link.host, &reconnect, now: now)
        }
        if untilIdle && n == 0 && a.feedIsSettled { return }
    }
}

extension Appliance where R == NetRecoveryClient, T == NetOrderTransport {
    /// The burst's frames in arrival order: feed datagrams to the feed, the rest to the host's
    /// stack and the venue's answers to the strategy. The ACKs they owe are the caller's to flush.
    @inline(__always)
    func onNetFrames(_ frames: DPDKPort.MbufFrames, count: Int, tsc: UInt64, now: Int64,
                     host: Unmanaged<NetHost<DPDKNetDevice>>, address: UInt32, recoveryPort: UInt16) {
        uEngine._withUnsafeGuaranteedRef {
            $0.burstTSC = tsc
            $0.burstNanos = now
            $0.frameTSC = tsc
        }
        counters.bursts &+= 1
        counters.frames &+= UInt64(count)
        for i in 0..<count {
            let p = frames.frame(i)
            uEngine._withUnsafeGuaranteedRef { $0.beginFrame(afterFirst: i > 0) }
            let frame = UnsafeRawBufferPointer(start: p.data, count: Int(p.len))
            if NetHost<DPDKNetDevice>.isUDP(frame) {
                if isRecoveryAnswer(frame, address: address, port: recoveryPort) {
                    if case .udp(let u) = parseUDPFrame(frame, flags: p.flags, verifyIPChecksum: true, verifyUDPChecksum: true) {
                        uFeed._withUnsafeGuaranteedRef { $0.session.onPacket(u.payload, line: .recovery, now: UInt64(now)) }
                    }
                } else {
                    uFeed._withUnsafeGuaranteedRef { $0.onFrame(frame, now: UInt64(now), flags: p.flags) }
                }
            } else {
                host._withUnsafeGuaranteedRef { $0.input(frame, now: now) }
                // The venue's answers go to the strategy here, in their place among the burst's
                // frames, before the ACKs (an order they prompt carries the ACK). Read between
                // bursts, after an ACK's transmit and at best every 64th turn under load, they
                // reached our send 21-30 us after the wire at the median (three validate days; 9-11 us
                // read here).
                counters.venuePolls &+= 1
                _ = uEngine._withUnsafeGuaranteedRef { $0.pollVenue(now: now, rxTSC: tsc) }
            }
        }
    }

    /// A UDP frame to our own address and the re-request port (isUDP has checked the lengths).
    @inline(__always)
    func isRecoveryAnswer(_ f: UnsafeRawBufferPointer, address: UInt32, port: UInt16) -> Bool {
        let ip = f.load(fromByteOffset: 12, as: UInt16.self) == UInt16(0x0800).bigEndian ? 14 : 18
        guard f.count >= ip + 24 else { return false }
        let dst = UInt32(bigEndian: f.loadUnaligned(fromByteOffset: ip + 16, as: UInt32.self))
        guard dst == address else { return false }
        let ihl = Int(f[ip] & 0x0F) * 4
        guard f.count >= ip + ihl + 4 else { return false }
        return UInt16(bigEndian: f.loadUnaligned(fromByteOffset: ip + ihl + 2, as: UInt16.self)) == port
    }

    /// Cold: while the order session is down, open a connection (spaced by the backoff) and,
    /// once it is established, start the gateway's login on it.
    func reconnectStep(_ host: NetHost<DPDKNetDevice>, _ r: inout NetReconnect, now: Int64) {
        if let c = r.pending {
            switch c.state {
            case .established:
                r.pending = nil
                r.count.value &+= 1
                r.delay = 0
                engine.gateway.connect(c, now: now)
            case .synSent, .synReceived:
                return
            default:
                r.pending = nil          // refused or timed out: try again after the backoff
            }
            return
        }
        guard now >= r.nextAttempt else { return }
        r.delay = r.delay == 0 ? r.backoffNanos : min(r.delay * 2, r.maxBackoffNanos)
        r.nextAttempt = now + r.delay
        r.attempts &+= 1
        r.pending = try? host.connect(to: r.venue, port: r.port, now: now)
    }
}
