// A host on a DPDK port: Tickwire's own small network stack above L2 (design note).
//
// What it is: one IPv4 address on one port (optionally in one 802.1Q VLAN), with
// - ARP (RFC 826): answers requests for its address, resolves the peers it talks to into a
//   fixed cache (refreshed by a unicast request before the entry ages out, retried while
//   unanswered, the old MAC kept in use meanwhile), a gratuitous ARP at start;
// - ICMP echo (RFC 792): answers pings to its address, nothing else of ICMP;
// - IGMPv2 (RFC 2236) and IGMPv3 (RFC 3376) membership for the feed's groups: unsolicited
//   reports at start (twice, the robustness variable), reports for general and group-specific
//   queries after a random delay within the query's max response time, leaves at shutdown;
// - UDP datagrams out (the MoldUDP64 re-requests); UDP in is the feed's, dispatched by the
//   appliance before the stack sees a frame;
// - TCP client connections (`NetTCPConnection`, RFC 9293 active side) for order entry.
//
// What it is not: a router (one next hop: the peer on the subnet, else the gateway), an IPv4
// fragment reassembler (fragments are counted and dropped), IPv6, or a TCP server.
//
// How it runs: on the hot core, between the appliance's rx bursts: `input` for each frame that
// is not feed UDP, `poll(now:)` once per loop turn for the timers (ARP, IGMP, TCP), and
// `flush()` after a burst for the ACKs it owes. No allocation after `init`, no lock, no
// syscall: frames are built in the device's buffers (mbufs) and sent one tx burst each.
// Everything from the wire is untrusted: every drop is counted by reason; nothing traps.
public import TickwireCore
public import Packets
import CShims

public struct NetConfiguration: Sendable {
    public var address: IPv4Address
    public var prefixLength: Int
    /// nil: the device's MAC.
    public var mac: MACAddress?
    /// The router for destinations outside the subnet (nil: none; such peers are unreachable).
    public var gateway: IPv4Address?
    public var vlanID: UInt16?
    /// The feed's multicast groups, reported by IGMP.
    public var multicastGroups: [IPv4Address] = []
    /// 2 or 3.
    public var igmpVersion: Int = 3
    /// Unsolicited reports at start: count and spacing (RFC 3376's robustness variable and
    /// unsolicited report interval: 2 reports, 1 s apart).
    public var igmpUnsolicitedReports: Int = 2
    public var igmpUnsolicitedIntervalNanos: Int64 = 1_000_000_000
    /// An ARP entry is refreshed (unicast request) after this age and stale after `arpTimeout`.
    public var arpRefreshNanos: Int64 = 45_000_000_000
    public var arpTimeoutNanos: Int64 = 60_000_000_000
    /// Requests for an unresolved address: spacing and how many before the entry is failed.
    public var arpRetryNanos: Int64 = 100_000_000
    public var arpRetries: Int = 10
    /// ARP cache entries and TCP connection slots (preallocated).
    public var arpEntries: Int = 16
    public var tcpSlots: Int = 8
    public var tcp = TCPConfiguration()

    public init(address: IPv4Address, prefixLength: Int, mac: MACAddress? = nil, gateway: IPv4Address? = nil,
                vlanID: UInt16? = nil, multicastGroups: [IPv4Address] = [], igmpVersion: Int = 3) {
        self.address = address
        self.prefixLength = prefixLength
        self.mac = mac
        self.gateway = gateway
        self.vlanID = vlanID
        self.multicastGroups = multicastGroups
        self.igmpVersion = igmpVersion
    }

    public var netmask: UInt32 { prefixLength <= 0 ? 0 : UInt32.max << UInt32(32 - min(prefixLength, 32)) }

    /// "10.1.2.3/24" and the like.
    public static func parseCIDR(_ text: String) -> (IPv4Address, Int)? {
        let parts = text.split(separator: "/")
        guard parts.count == 2, let ip = IPv4Address(String(parts[0])), let p = Int(parts[1]), (1...32).contains(p) else { return nil }
        return (ip, p)
    }

    func validate() throws(ConfigurationError) {
        guard (1...32).contains(prefixLength) else { throw ConfigurationError("net: prefix length \(prefixLength) is not in 1...32") }
        guard address != .any, !address.isMulticast else { throw ConfigurationError("net: \(address) cannot be a host address") }
        guard igmpVersion == 2 || igmpVersion == 3 else { throw ConfigurationError("net: IGMP version \(igmpVersion): 2 or 3") }
        if let v = vlanID, v == 0 || v > 4094 { throw ConfigurationError("net: VLAN \(v) is not in 1...4094") }
        for g in multicastGroups where !g.isMulticast { throw ConfigurationError("net: \(g) is not a multicast group") }
        guard multicastGroups.count <= 32 else { throw ConfigurationError("net: at most 32 multicast groups") }
        guard arpEntries >= 2, tcpSlots >= 1, arpRetries >= 1 else { throw ConfigurationError("net: arpEntries >= 2, tcpSlots >= 1, arpRetries >= 1") }
        if let g = gateway, g.value & netmask != address.value & netmask {
            throw ConfigurationError("net: the gateway \(g) is not on \(address)/\(prefixLength)")
        }
        try tcp.validate()
    }
}

/// Why the stack dropped a frame (each counted).
public enum NetDrop: Int, CaseIterable, Sendable {
    case truncated, wrongVLAN, notForUs, otherEtherType, badARP, arpOtherTarget, badIPv4, badIPv4Checksum,
         fragment, otherProtocol, badICMP, icmpNotEcho, badIGMP, badTCP, badTCPChecksum, tcpNoConnection,
         udpNotHandled, rstRateLimited
}

public struct NetCounters: Sendable, Equatable {
    public var framesIn: UInt64 = 0
    public var framesOut: UInt64 = 0
    public var txFailures: UInt64 = 0
    public var arpRequestsIn: UInt64 = 0
    public var arpRepliesIn: UInt64 = 0
    public var arpRequestsOut: UInt64 = 0
    public var arpRepliesOut: UInt64 = 0
    public var arpConflicts: UInt64 = 0
    public var arpFailures: UInt64 = 0
    public var echoRequests: UInt64 = 0
    public var echoReplies: UInt64 = 0
    public var igmpQueries: UInt64 = 0
    public var igmpReportsOut: UInt64 = 0
    public var igmpLeavesOut: UInt64 = 0
    public var udpOut: UInt64 = 0
    public var rstOut: UInt64 = 0
    public var drops = DropCounts<NetDrop>()
    public init() {}

    /// Every counter but the drops, by its report name.
    public var byName: [String: UInt64] {
        ["frames_in": framesIn, "frames_out": framesOut, "tx_failures": txFailures, "arp_requests_in": arpRequestsIn,
         "arp_replies_in": arpRepliesIn, "arp_requests_out": arpRequestsOut, "arp_replies_out": arpRepliesOut,
         "arp_conflicts": arpConflicts, "arp_failures": arpFailures, "echo_requests": echoRequests, "echo_replies": echoReplies,
         "igmp_queries": igmpQueries, "igmp_reports_out": igmpReportsOut, "igmp_leaves_out": igmpLeavesOut, "udp_out": udpOut,
         "rst_out": rstOut]
    }
}

public struct TCPTotals: Sendable, Equatable {
    public var segmentsIn: UInt64
    public var segmentsOut: UInt64
    public var retransmits: UInt64
    public var timeouts: UInt64
    public var outOfOrderHeld: UInt64
    public var drops: UInt64
}

struct ARPEntry {
    enum State: UInt8 { case free, incomplete, reachable, failed }
    var ip = IPv4Address.any
    var mac = MACAddress.zero
    var state = State.free
    /// When the MAC was last confirmed.
    var confirmed: Int64 = 0
    var nextProbe: Int64 = 0
    var probes = 0
    /// Whether a MAC was ever known (a refresh that goes unanswered keeps using it).
    var known = false
}

public final class NetHost<D: NetDevice> {
    public let configuration: NetConfiguration
    public let device: D
    /// The same device unretained, for the frames of the hot path (a method call through the
    /// stored reference cost a retain and a release per frame: package-benchmark).
    let uDevice: Unmanaged<D>
    public let address: IPv4Address
    public let mac: MACAddress
    public let netmask: UInt32
    public let vlanID: UInt16?
    /// Ethernet header length of the frames we build (14, or 18 with a VLAN tag).
    public let l2Length: Int
    public internal(set) var counters = NetCounters()
    /// The time of the last `poll` or `input` (ns, the caller's clock): what the TCP timers use
    /// when the gateway sends between two polls.
    public internal(set) var now: Int64 = 0
    var arp: UnsafeMutablePointer<ARPEntry>
    let arpCount: Int
    var rng: SplitMix64
    let isnKey: (UInt64, UInt64)
    var nextEphemeral: UInt16
    var ipID: UInt16 = 0
    // IGMP: a pending report per group (deadline 0 = none) and the unsolicited ones left.
    let groups: [IPv4Address]
    var igmpDue: UnsafeMutablePointer<Int64>
    var igmpUnsolicitedLeft = 0
    var igmpNextUnsolicited: Int64 = 0
    /// An IGMPv1/v2 querier was heard: answer in v2 for a while (RFC 3376 §7.2.1).
    var olderQuerierUntil: Int64 = 0
    // RST replies to segments for no connection: a token bucket (RFC 9293 allows them;
    // a SYN flood must not turn us into a reflector).
    var rstTokens = 100
    var rstRefill: Int64 = 0
    // TCP slots: strong references own them; the hot loop walks the unretained copies.
    var slots: [NetTCPConnection<D>?]
    /// `slots.count`, kept apart: reading the array's count through `self` retained its buffer.
    let slotCount: Int
    let hotSlots: UnsafeMutablePointer<Unmanaged<NetTCPConnection<D>>?>
    public let tcpConfiguration: TCPConfiguration

    public init(configuration c: NetConfiguration, device: D) throws(ConfigurationError) {
        try c.validate()
        configuration = c
        self.device = device
        uDevice = .passUnretained(device)
        address = c.address
        mac = c.mac ?? device.mac
        netmask = c.netmask
        vlanID = c.vlanID
        l2Length = c.vlanID == nil ? 14 : 18
        tcpConfiguration = c.tcp
        arpCount = c.arpEntries
        arp = .allocate(capacity: c.arpEntries)
        arp.initialize(repeating: ARPEntry(), count: c.arpEntries)
        groups = c.multicastGroups
        igmpDue = .allocate(capacity: max(groups.count, 1))
        igmpDue.initialize(repeating: 0, count: max(groups.count, 1))
        var seed = (UInt64(0), UInt64(0), UInt64(0))
        if withUnsafeMutableBytes(of: &seed, { tw_random_bytes($0.baseAddress, $0.count) }) != 0 {
            // No getrandom (very old kernels): the TSC is a poor but non-constant secret.
            seed = (tw_rdtsc(), UInt64(bitPattern: tw_clock_realtime_ns()), tw_rdtsc() &* 0x9E37_79B9_7F4A_7C15)
        }
        isnKey = (seed.0, seed.1)
        rng = SplitMix64(state: seed.2)
        nextEphemeral = UInt16(49152 + Int(seed.2 % 16384))
        slots = Array(repeating: nil, count: c.tcpSlots)
        slotCount = c.tcpSlots
        hotSlots = .allocate(capacity: c.tcpSlots)
        hotSlots.initialize(repeating: nil, count: c.tcpSlots)
    }

    deinit {
        arp.deallocate()
        igmpDue.deallocate()
        hotSlots.deinitialize(count: slots.count)
        hotSlots.deallocate()
    }

    /// Announces the host: a gratuitous ARP and the first unsolicited IGMP reports.
    public func start(now: Int64) {
        self.now = now
        sendARP(operation: ARPOperation.request, targetMAC: .zero, targetIP: address)  // gratuitous (RFC 5227 announcement)
        if !groups.isEmpty {
            igmpUnsolicitedLeft = configuration.igmpUnsolicitedReports
            igmpNextUnsolicited = now
            pollIGMP(now)
        }
        if let g = configuration.gateway { resolve(g, now: now) }
    }

    /// Leaves the groups (IGMP) and resets open connections' timers; call after the last poll.
    public func shutdown(now: Int64) {
        self.now = now
        if !groups.isEmpty { sendIGMPLeave() }
    }

    // MARK: - Input

    /// True for an IPv4/UDP frame (the feed's and the re-request server's): the appliance
    /// hands those to the feed handler; everything else comes here.
    @inline(__always)
    public static func isUDP(_ frame: UnsafeRawBufferPointer) -> Bool {
        guard frame.count >= 34 else { return false }
        var et = frame.u16(12)
        var ip = 14
        if et == EtherType.vlan || et == EtherType.qinq {
            guard frame.count >= 38 else { return false }
            et = frame.u16(16)
            ip = 18
        }
        return et == EtherType.ipv4 && frame[ip + 9] == IPProtocol.udp
    }

    @inline(__always)
    func drop(_ d: NetDrop) { counters.drops.count(d) }

    /// One received frame (not feed UDP). The frame is only read during the call.
    public func input(_ frame: UnsafeRawBufferPointer, now: Int64) {
        self.now = now
        counters.framesIn &+= 1
        guard let eth = EthernetView(frame) else { return drop(.truncated) }
        if eth.outerVLANID != vlanID || eth.vlanCount > 1 { return drop(.wrongVLAN) }
        let dst = eth.destination
        guard dst == mac || dst.isBroadcast || dst.isMulticast else { return drop(.notForUs) }
        switch eth.etherType {
        case EtherType.arp: arpInput(eth.payload, now)
        case EtherType.ipv4: ipv4Input(eth.payload, ethSource: eth.source, now)
        default: drop(.otherEtherType)
        }
    }

    func ipv4Input(_ bytes: UnsafeRawBufferPointer, ethSource: MACAddress, _ now: Int64) {
        guard let ip = IPv4View(bytes), ip.version == 4, ip.headerLength >= 20,
              Int(ip.totalLength) >= ip.headerLength, Int(ip.totalLength) <= bytes.count else { return drop(.badIPv4) }
        guard ip.isChecksumValid else { return drop(.badIPv4Checksum) }
        if ip.isFragment { return drop(.fragment) }
        let dst = ip.destination
        let payload = ip.payload
        switch ip.ipProtocol {
        case IPProtocol.tcp:
            guard dst == address else { return drop(.notForUs) }
            tcpInput(payload, source: ip.source, now)
        case IPProtocol.icmp:
            guard dst == address else { return drop(.notForUs) }
            icmpInput(payload, source: ip.source, ethSource: ethSource)
        case IPProtocol.igmp:
            guard dst.isMulticast || dst == address else { return drop(.notForUs) }
            igmpInput(payload, destination: dst, now)
        case IPProtocol.udp:
            drop(.udpNotHandled)
        default:
            drop(.otherProtocol)
        }
    }

    /// After a burst: the ACKs the connections owe, one per connection.
    @inline(__always)
    public func flush() {
        for i in 0..<slotCount {
            guard let u = hotSlots[i] else { continue }
            u._withUnsafeGuaranteedRef { $0.flushAck() }
        }
    }

    /// Timers: ARP retries and refreshes, IGMP reports, TCP retransmission, persist and
    /// TIME-WAIT. Call once per loop turn (cheap when nothing is due).
    @inline(__always)
    public func poll(now: Int64) {
        self.now = now
        for i in 0..<slotCount {
            guard let u = hotSlots[i] else { continue }
            u._withUnsafeGuaranteedRef { $0.timers(now) }
        }
        if now >= nextARPCheck { pollARP(now) }
        if now >= nextIGMPCheck { pollIGMP(now) }
    }

    var nextARPCheck: Int64 = 0
    var nextIGMPCheck: Int64 = 0

    // MARK: - Next hop

    /// The address whose MAC a packet to `ip` goes to (the peer on our subnet, else the gateway).
    public func nextHop(_ ip: IPv4Address) -> IPv4Address? {
        if ip.value & netmask == address.value & netmask { return ip }
        return configuration.gateway
    }

    // MARK: - Frames out

    /// Writes Ethernet (+ VLAN) to `d`; returns the header length.
    @inline(__always)
    func writeEthernet(_ d: UnsafeMutableRawBufferPointer, to dst: MACAddress, etherType: UInt16) -> Int {
        d.setMAC(dst.rawValue, 0)
        d.setMAC(mac.rawValue, 6)
        if let v = vlanID {
            d.set16(EtherType.vlan, 12)
            d.set16(v, 14)
            d.set16(etherType, 16)
            return 18
        }
        d.set16(etherType, 12)
        return 14
    }

    /// Writes a 20-byte IPv4 header (DF, TTL 64) with its checksum.
    @inline(__always)
    func writeIPv4(_ d: UnsafeMutableRawBufferPointer, at o: Int, protocol p: UInt8, to dst: IPv4Address, payloadLength: Int) {
        ipID &+= 1
        d.set8(0x45, o)
        d.set8(0, o + 1)
        d.set16(UInt16(truncatingIfNeeded: 20 + payloadLength), o + 2)
        d.set16(ipID, o + 4)
        d.set16(0x4000, o + 6)
        d.set8(64, o + 8)
        d.set8(p, o + 9)
        d.set16(0, o + 10)
        d.set32(address.value, o + 12)
        d.set32(dst.value, o + 16)
        d.set16(internetChecksum(d.readOnly(o, o + 20)), o + 10)
    }

    @inline(__always)
    func allocateFrame() -> TxFrame? { uDevice._withUnsafeGuaranteedRef { $0.allocateFrame() } }

    @inline(__always)
    func discardFrame(_ f: TxFrame) { uDevice._withUnsafeGuaranteedRef { $0.discard(f) } }

    @inline(__always)
    func send(_ f: TxFrame, length: Int) -> Bool {
        if uDevice._withUnsafeGuaranteedRef({ $0.transmit(f, length: length) }) {
            counters.framesOut &+= 1
            return true
        }
        counters.txFailures &+= 1
        return false
    }

    /// A UDP datagram from `sourcePort` to `ip:port` (the re-request path). False when the
    /// next hop is not resolved yet (a request is then on its way), no buffer is free, or the
    /// datagram does not fit one frame.
    @discardableResult
    public func sendUDP(to ip: IPv4Address, port: UInt16, from sourcePort: UInt16, payload: UnsafeRawBufferPointer) -> Bool {
        let dstMAC: MACAddress
        if ip.isMulticast {
            dstMAC = ip.multicastMAC
        } else {
            guard let hop = nextHop(ip), let m = lookup(hop, now: now) else { return false }
            dstMAC = m
        }
        guard 28 + payload.count <= device.mtu, let f = allocateFrame() else { return false }
        let d = f.data
        guard d.count >= l2Length + 28 + payload.count else { discardFrame(f); return false }
        let o = writeEthernet(d, to: dstMAC, etherType: EtherType.ipv4)
        writeIPv4(d, at: o, protocol: IPProtocol.udp, to: ip, payloadLength: 8 + payload.count)
        let u = o + 20
        d.set16(sourcePort, u)
        d.set16(port, u + 2)
        d.set16(UInt16(8 + payload.count), u + 4)
        d.set16(0, u + 6)
        if !payload.isEmpty { d.mslice(u + 8, u + 8 + payload.count).copyMemory(from: payload) }
        let sum = transportChecksum(source: address, destination: ip, protocol: IPProtocol.udp,
                                    segment: d.readOnly(u, u + 8 + payload.count))
        d.set16(sum == 0 ? 0xFFFF : sum, u + 6)
        counters.udpOut &+= 1
        return send(f, length: u + 8 + payload.count)
    }

    // MARK: - ICMP

    func icmpInput(_ b: UnsafeRawBufferPointer, source: IPv4Address, ethSource: MACAddress) {
        guard b.count >= 8, internetChecksum(b) == 0 else { return drop(.badICMP) }
        guard b[0] == 8, b[1] == 0 else { return drop(.icmpNotEcho) }
        counters.echoRequests &+= 1
        // The reply goes back where the request came from (the frame's source MAC: a ping
        // through the gateway comes from the gateway's MAC), and the sender is now known.
        learn(source, ethSource)
        guard let f = allocateFrame() else { return }
        let d = f.data
        guard 20 + b.count <= device.mtu, d.count >= l2Length + 20 + b.count else { discardFrame(f); return }
        let o = writeEthernet(d, to: ethSource, etherType: EtherType.ipv4)
        writeIPv4(d, at: o, protocol: IPProtocol.icmp, to: source, payloadLength: b.count)
        let i = o + 20
        d.mslice(i, i + b.count).copyMemory(from: b)
        d.set8(0, i)            // echo reply
        d.set16(0, i + 2)
        d.set16(internetChecksum(d.readOnly(i, i + b.count)), i + 2)
        if send(f, length: i + b.count) { counters.echoReplies &+= 1 }
    }

    // MARK: - TCP demultiplexing

    func tcpInput(_ b: UnsafeRawBufferPointer, source: IPv4Address, _ now: Int64) {
        guard let tcp = TCPView(b) else { return drop(.badTCP) }
        guard transportChecksum(source: source, destination: address, protocol: IPProtocol.tcp, segment: b) == 0 else {
            return drop(.badTCPChecksum)
        }
        let sport = tcp.sourcePort, dport = tcp.destinationPort
        for i in 0..<slotCount {
            guard let u = hotSlots[i] else { continue }
            let hit = u._withUnsafeGuaranteedRef { c -> Bool in
                guard c.remotePort == sport, c.localPort == dport, c.remote == source, c.state != .closed else { return false }
                c.segmentArrived(tcp, now)
                return true
            }
            if hit { return }
        }
        drop(.tcpNoConnection)
        replyReset(to: tcp, from: source, now)
    }

    /// RFC 9293 §3.10.7.1: a segment for no connection gets a RST (unless it is one), within
    /// the rate limit.
    func replyReset(to t: TCPView, from source: IPv4Address, _ now: Int64) {
        let flags = t.flags
        if flags.contains(.rst) { return }
        if now - rstRefill >= 10_000_000 {
            rstRefill = now
            rstTokens = 100
        }
        guard rstTokens > 0 else { return drop(.rstRateLimited) }
        guard let hop = nextHop(source), let dstMAC = lookup(hop, now: now, resolveIfMissing: false) else { return }
        rstTokens -= 1
        let segLen = UInt32(t.payload.count) &+ (flags.contains(.syn) ? 1 : 0) &+ (flags.contains(.fin) ? 1 : 0)
        let seq: UInt32, ack: UInt32, out: TCPFlags
        if flags.contains(.ack) {
            (seq, ack, out) = (t.acknowledgment, 0, [.rst])
        } else {
            (seq, ack, out) = (0, t.sequence &+ segLen, [.rst, .ack])
        }
        if sendSegment(to: source, mac: dstMAC, sourcePort: t.destinationPort, destinationPort: t.sourcePort,
                       sequence: seq, acknowledgment: ack, flags: out, window: 0) {
            counters.rstOut &+= 1
        }
    }

    /// A bare segment (no payload, no options): resets and the like.
    func sendSegment(to ip: IPv4Address, mac dstMAC: MACAddress, sourcePort: UInt16, destinationPort: UInt16,
                     sequence: UInt32, acknowledgment: UInt32, flags: TCPFlags, window: UInt16) -> Bool {
        guard let f = allocateFrame() else { return false }
        let d = f.data
        guard d.count >= l2Length + 40 else { discardFrame(f); return false }
        let o = writeEthernet(d, to: dstMAC, etherType: EtherType.ipv4)
        writeIPv4(d, at: o, protocol: IPProtocol.tcp, to: ip, payloadLength: 20)
        let t = o + 20
        d.set16(sourcePort, t)
        d.set16(destinationPort, t + 2)
        d.set32(sequence, t + 4)
        d.set32(acknowledgment, t + 8)
        d.set8(5 << 4, t + 12)
        d.set8(flags.rawValue, t + 13)
        d.set16(window, t + 14)
        d.set32(0, t + 16)
        d.set16(transportChecksum(source: address, destination: ip, protocol: IPProtocol.tcp, segment: d.readOnly(t, t + 20)), t + 16)
        return send(f, length: t + 20)
    }

    // MARK: - TCP connections

    public enum ConnectError: Error, Equatable, CustomStringConvertible {
        case noSlot
        case unreachable(IPv4Address)
        public var description: String {
            switch self {
            case .noSlot: "no free TCP connection slot (every slot holds a live connection)"
            case .unreachable(let ip): "\(ip) is not on our subnet and no gateway is configured"
            }
        }
    }

    /// Opens a connection to `ip:port` (active open): the SYN leaves as soon as the next hop's
    /// MAC is known. Poll until `state` is `.established` (or an error is set). A slot in
    /// TIME-WAIT is reused when no slot is free (counted in its connection's counters).
    public func connect(to ip: IPv4Address, port: UInt16, now: Int64) throws(ConnectError) -> NetTCPConnection<D> {
        self.now = now
        guard let hop = nextHop(ip) else { throw .unreachable(ip) }
        var slot = -1
        for i in 0..<slots.count where slots[i] == nil || slots[i]!.state == .closed {
            slot = i
            break
        }
        if slot < 0 {
            // The oldest TIME-WAIT (the one closest to expiry) gives way.
            var best: Int64 = .max
            for i in 0..<slots.count {
                if let c = slots[i], c.state == .timeWait, c.timeWaitDeadline < best {
                    best = c.timeWaitDeadline
                    slot = i
                }
            }
        }
        guard slot >= 0 else { throw .noSlot }
        if let old = slots[slot] {
            if old.state == .timeWait { old.counters.timeWaitReused &+= 1 }
            old.detach()
            retire(old)
        }
        let local = nextEphemeral
        nextEphemeral = nextEphemeral >= 65535 ? 49152 : nextEphemeral + 1
        // RFC 6528: ISN = M + F(localip, localport, remoteip, remoteport, secretkey), M a
        // 4-microsecond timer.
        let f = SipHash24.hash(k0: isnKey.0, k1: isnKey.1, UInt64(address.value) << 32 | UInt64(ip.value),
                               UInt64(local) << 16 | UInt64(port))
        let iss = UInt32(truncatingIfNeeded: UInt64(now / 4000)) &+ UInt32(truncatingIfNeeded: f)
        let c = NetTCPConnection(host: self, remote: ip, remotePort: port, localPort: local, nextHop: hop,
                                 iss: iss, configuration: tcpConfiguration)
        slots[slot] = c
        hotSlots[slot] = .passUnretained(c)
        c.open(now)
        return c
    }

    /// The connections in their slots (tests, reports).
    public var connections: [NetTCPConnection<D>] { slots.compactMap { $0 } }

    /// The TCP counters of every connection made so far, summed.
    public var tcpCounters: TCPCounters {
        var t = retiredTCP
        for c in slots.compactMap({ $0 }) { t.add(c.counters) }
        return t
    }

    /// The main TCP counters summed over the connections, without allocating (the hot loop's
    /// counter snapshots every 10 ms).
    public func tcpTotals() -> TCPTotals {
        var t = TCPTotals(segmentsIn: retiredTCP.segmentsIn, segmentsOut: retiredTCP.segmentsOut, retransmits: retiredTCP.retransmits,
                          timeouts: retiredTCP.timeouts, outOfOrderHeld: retiredTCP.outOfOrderHeld, drops: retiredTCP.drops.total)
        for i in 0..<slotCount {
            guard let u = hotSlots[i] else { continue }
            u._withUnsafeGuaranteedRef { c in
                t.segmentsIn &+= c.counters.segmentsIn
                t.segmentsOut &+= c.counters.segmentsOut
                t.retransmits &+= c.counters.retransmits
                t.timeouts &+= c.counters.timeouts
                t.outOfOrderHeld &+= c.counters.outOfOrderHeld
                t.drops &+= c.counters.drops.total
            }
        }
        return t
    }

    /// Counters of connections whose slot was reused.
    var retiredTCP = TCPCounters()

    func retire(_ c: NetTCPConnection<D>) { retiredTCP.add(c.counters) }
}
