// Tickwire's TCP: the active (client) side of RFC 9293 for order-entry sessions, one to a few
// per box. Design note:
//
// - States: SYN-SENT, SYN-RECEIVED (simultaneous open), ESTABLISHED, FIN-WAIT-1/2, CLOSING,
//   TIME-WAIT, CLOSE-WAIT, LAST-ACK, CLOSED; RST is handled in every state. No listening side.
// - Options: MSS only (sent on the SYN, read from the SYN-ACK; 536 when absent). Left out, and
//   ignored when offered: SACK, timestamps, window scaling (so the receive window is at most
//   65,535 bytes), TSO, urgent data (the urgent pointer is ignored), IPv6.
// - ISN: RFC 6528 (a 4 us clock plus SipHash-2-4 of the four-tuple under a boot-time secret).
// - Security of the sequence space: RFC 5961. A RST is taken only when its sequence number is
//   exactly RCV.NXT; one elsewhere in the window gets a challenge ACK, one outside it is dropped.
//   A SYN on a synchronized connection gets a challenge ACK. An ACK of data never sent is
//   answered with an ACK and dropped.
// - Send side: the application's bytes are copied into a preallocated ring (`sendBuffer`) that
//   also keeps them for retransmission until acknowledged; segments are cut from it as the peer's
//   window and the congestion window allow. No Nagle: a write leaves at once.
//   Retransmission per RFC 6298 (SRTT/RTTVAR, Karn's rule, doubling backoff, RTO floor
//   `minRTONanos`, 20 ms by default: colo round trips are tens of microseconds, but Linux peers
//   delay a bare ACK by up to 40 ms; a lower floor would retransmit spuriously after every
//   heartbeat). Congestion control per RFC 5681 (slow start, congestion avoidance, fast
//   retransmit after three duplicate ACKs) with NewReno's partial-ACK recovery (RFC 6582).
//   After a timeout the whole unacknowledged range is resent from SND.UNA (go-back-N).
//   A zero window is probed with the persist timer (a segment at SND.UNA-1, as Linux does).
// - Receive side: in-order and out-of-order bytes land in one preallocated ring the size of the
//   window (`receiveBuffer`, 64 KiB); out-of-order ranges are remembered in a small interval list
//   (`reassemblyIntervals`) and become readable when the hole is filled. The window advertised
//   is the ring's free space (at most 65,535). ACKs: one per connection per rx burst (flushed
//   after the burst), and at once for an out-of-order segment or one that fills a hole, so that
//   the peer's fast retransmit sees every duplicate ACK. A window update goes out when the
//   reader frees at least one MSS after the window had shrunk below that.
// - Everything is preallocated at connect; nothing allocates, locks or calls the kernel after.
public import TickwireCore
public import Packets
import CShims
#if canImport(Glibc)
import Glibc   // errno values only (EPIPE, ECONNRESET, ...): no call into libc on the hot path
#endif

public struct TCPConfiguration: Sendable {
    /// Receive ring (a power of two, 4 KiB...64 KiB): the most we ever advertise.
    public var receiveBuffer: Int = 65536
    /// Send ring (a power of two): bytes written and not yet acknowledged.
    public var sendBuffer: Int = 1 << 18
    /// RFC 6298 (2.1): 1 s before the first RTT sample.
    public var initialRTONanos: Int64 = 1_000_000_000
    public var minRTONanos: Int64 = 20_000_000
    public var maxRTONanos: Int64 = 60_000_000_000
    /// Timeouts in a row before the connection is given up (ETIMEDOUT).
    public var maxRetransmissions: Int = 12
    public var maxSYNRetransmissions: Int = 6
    /// 2 MSL (RFC 9293 says MSL = 2 min; Linux holds TIME-WAIT 60 s).
    public var timeWaitNanos: Int64 = 60_000_000_000
    /// Out-of-order ranges held at once; a segment that would need more is dropped (counted).
    public var reassemblyIntervals: Int = 16
    /// Hand out the outgoing frame's payload area for writing in place (`reserveSend`); off,
    /// writers always copy through `send` (kept for comparison: `bench` alternates both).
    public var zeroCopySend = true
    /// Delayed ACK for in-order data: 0 ACKs once per rx burst; otherwise an ACK waits up to
    /// this long for an outgoing segment to ride on (an order), but never past two full-sized
    /// segments (RFC 5681 §4.2). Out-of-order data, a filled hole, a FIN and a window update
    /// are ACKed at once either way.
    public var ackDelayNanos: Int64 = 0
    public init() {}

    func validate() throws(ConfigurationError) {
        guard receiveBuffer >= 4096, receiveBuffer <= 65536, receiveBuffer & (receiveBuffer - 1) == 0 else {
            throw ConfigurationError("tcp: the receive buffer is a power of two in 4096...65536 (no window scaling)")
        }
        guard sendBuffer >= 4096, sendBuffer <= 1 << 26, sendBuffer & (sendBuffer - 1) == 0 else {
            throw ConfigurationError("tcp: the send buffer is a power of two in 4096...64 MiB")
        }
        guard minRTONanos > 0, initialRTONanos >= minRTONanos, maxRTONanos >= initialRTONanos else {
            throw ConfigurationError("tcp: need 0 < minRTO <= initialRTO <= maxRTO")
        }
        guard reassemblyIntervals >= 1, reassemblyIntervals <= 64 else { throw ConfigurationError("tcp: reassemblyIntervals in 1...64") }
    }
}

public enum TCPState: String, Sendable {
    case closed, synSent, synReceived, established, finWait1, finWait2, closing, timeWait, closeWait, lastAck
}

/// Why the TCP dropped (part of) a segment on a connection.
public enum TCPDrop: Int, CaseIterable, Sendable {
    case outsideWindow, badAck, ackOfUnsentData, noAck, unexpectedFlags, rstOutsideWindow, synOnSynchronized,
         reassemblyFull, dataAfterFin, beyondWindow
}

public struct TCPCounters: Sendable, Equatable {
    public var segmentsIn: UInt64 = 0
    public var segmentsOut: UInt64 = 0
    public var bytesIn: UInt64 = 0
    public var bytesOut: UInt64 = 0
    public var retransmits: UInt64 = 0
    public var fastRetransmits: UInt64 = 0
    public var timeouts: UInt64 = 0
    public var duplicateAcks: UInt64 = 0
    public var outOfOrderHeld: UInt64 = 0
    public var duplicateSegments: UInt64 = 0
    public var challengeAcks: UInt64 = 0
    public var windowProbes: UInt64 = 0
    public var rttSamples: UInt64 = 0
    public var resetsIn: UInt64 = 0
    public var resetsOut: UInt64 = 0
    public var txFailures: UInt64 = 0
    public var timeWaitReused: UInt64 = 0
    public var drops = DropCounts<TCPDrop>()
    public init() {}

    mutating func add(_ o: TCPCounters) {
        segmentsIn &+= o.segmentsIn; segmentsOut &+= o.segmentsOut; bytesIn &+= o.bytesIn; bytesOut &+= o.bytesOut
        retransmits &+= o.retransmits; fastRetransmits &+= o.fastRetransmits; timeouts &+= o.timeouts
        duplicateAcks &+= o.duplicateAcks; outOfOrderHeld &+= o.outOfOrderHeld; duplicateSegments &+= o.duplicateSegments
        challengeAcks &+= o.challengeAcks; windowProbes &+= o.windowProbes; rttSamples &+= o.rttSamples
        resetsIn &+= o.resetsIn; resetsOut &+= o.resetsOut; txFailures &+= o.txFailures; timeWaitReused &+= o.timeWaitReused
        drops.add(o.drops)
    }
}

public final class NetTCPConnection<D: NetDevice>: ByteStreamTransport {
    public let remote: IPv4Address
    public let remotePort: UInt16
    public let localPort: UInt16
    public let nextHop: IPv4Address
    public let configuration: TCPConfiguration
    public internal(set) var state: TCPState = .closed
    /// Why the connection ended abnormally (ECONNREFUSED, ECONNRESET, ETIMEDOUT), else 0.
    public internal(set) var error: Int32 = 0
    public internal(set) var counters = TCPCounters()
    /// The host, for cold work (ARP, the template); the hot path goes through `uHost`
    /// (a call through an unowned reference retained and released it: package-benchmark).
    unowned(unsafe) let host: NetHost<D>
    let uHost: Unmanaged<NetHost<D>>
    let localAddress: IPv4Address
    var attached = true

    // Peer's MAC (the next hop's), and the prebuilt Ethernet + IPv4 + TCP header template.
    var peerMAC = MACAddress.zero
    var macKnown = false
    let template: UnsafeMutableRawBufferPointer
    let headerLength: Int          // l2 + 20 + 20
    let l2: Int

    // Send sequence space (RFC 9293 §3.3.1).
    let iss: UInt32
    var sndUna: UInt32
    var sndNxt: UInt32
    /// The highest sequence number sent so far (SND.NXT goes back after a timeout).
    var sndMax: UInt32
    var sndWnd: UInt32 = 0
    var sndWl1: UInt32 = 0
    var sndWl2: UInt32 = 0
    /// Our MSS toward the peer: min(its MSS option, our MTU - 40).
    public internal(set) var sendMSS: Int = 536
    let ourMSS: Int

    // Receive sequence space.
    var irs: UInt32 = 0
    var rcvNxt: UInt32 = 0
    /// The sequence number of the next byte the application reads.
    var readSeq: UInt32 = 0
    var lastAdvertisedEdge: UInt32 = 0
    /// A FIN seen beyond a hole: processed when RCV.NXT reaches it.
    var pendingFinSeq: UInt32? = nil
    var finReceived = false

    // Rings.
    let sendRing: UnsafeMutableRawBufferPointer
    let sendMask: Int
    /// Bytes in the send ring: sequence numbers [ringSeq, ringSeq + sendCount).
    var ringSeq: UInt32 = 0
    var sendCount = 0
    let recvRing: UnsafeMutableRawBufferPointer
    let recvMask: Int
    /// Out-of-order ranges [start, end) beyond RCV.NXT, sorted, disjoint.
    let oooStart: UnsafeMutablePointer<UInt32>
    let oooEnd: UnsafeMutablePointer<UInt32>
    var oooCount = 0

    // Close.
    var userClosed = false
    /// Our FIN is due after the data: its sequence number is `finSeq` (fixed at close, since
    /// nothing is written after it).
    var finQueued = false
    var finSeq: UInt32 = 0
    public internal(set) var timeWaitDeadline: Int64 = 0

    // Timers and congestion control.
    var rto: Int64
    var srtt: Int64 = 0
    var rttvar: Int64 = 0
    /// Whether `srtt` holds a measurement (a 0 ns sample is possible on a fast link).
    var hasRTT = false
    var rttTiming = false
    var rttSeq: UInt32 = 0
    var rttStart: Int64 = 0
    var rtxDeadline: Int64 = 0
    var rtxCount = 0
    var persistDeadline: Int64 = 0
    var persistBackoff = 0
    public internal(set) var cwnd: Int = 0
    public internal(set) var ssthresh: Int = 1 << 30
    var dupAcks = 0
    var inRecovery = false
    var recover: UInt32 = 0
    var ackPending = false
    var synSentAt: Int64 = 0
    /// When a delayed ACK is due (0: none), and the in-order bytes it would acknowledge.
    var ackDeadline: Int64 = 0
    var bytesSinceAck = 0
    /// A frame handed out by `reserveSend` and not committed yet.
    var reserved: TxFrame?

    init(host: NetHost<D>, remote: IPv4Address, remotePort: UInt16, localPort: UInt16, nextHop: IPv4Address,
         iss: UInt32, configuration c: TCPConfiguration) {
        self.host = host
        uHost = .passUnretained(host)
        localAddress = host.address
        self.remote = remote
        self.remotePort = remotePort
        self.localPort = localPort
        self.nextHop = nextHop
        self.configuration = c
        self.iss = iss
        sndUna = iss
        sndNxt = iss
        sndMax = iss
        recover = iss            // RFC 6582 §3.2 (1): "recover" starts at the ISS
        ringSeq = iss &+ 1
        rto = c.initialRTONanos
        ourMSS = max(536, host.device.mtu - 40)
        l2 = host.l2Length
        headerLength = l2 + 40
        template = .allocate(byteCount: 64, alignment: 64)
        sendRing = .allocate(byteCount: c.sendBuffer, alignment: 64)
        sendMask = c.sendBuffer - 1
        recvRing = .allocate(byteCount: c.receiveBuffer, alignment: 64)
        recvMask = c.receiveBuffer - 1
        oooStart = .allocate(capacity: c.reassemblyIntervals)
        oooEnd = .allocate(capacity: c.reassemblyIntervals)
        buildTemplate()
    }

    deinit {
        template.deallocate()
        sendRing.deallocate()
        recvRing.deallocate()
        oooStart.deallocate()
        oooEnd.deallocate()
    }

    /// Ethernet (MAC filled in once resolved) + IPv4 + TCP with the fields that never change.
    func buildTemplate() {
        let d = template
        d.initializeMemory(as: UInt8.self, repeating: 0)
        _ = host.writeEthernet(d, to: peerMAC, etherType: EtherType.ipv4)
        d.set8(0x45, l2)
        d.set16(0x4000, l2 + 6)
        d.set8(64, l2 + 8)
        d.set8(IPProtocol.tcp, l2 + 9)
        d.set32(host.address.value, l2 + 12)
        d.set32(remote.value, l2 + 16)
        d.set16(localPort, l2 + 20)
        d.set16(remotePort, l2 + 22)
    }

    // MARK: - The host, unretained

    @inline(__always) func frame() -> TxFrame? { uHost._withUnsafeGuaranteedRef { $0.allocateFrame() } }
    @inline(__always) func discardFrame(_ f: TxFrame) { uHost._withUnsafeGuaranteedRef { $0.discardFrame(f) } }
    @inline(__always) func transmit(_ f: TxFrame, length: Int) -> Bool { uHost._withUnsafeGuaranteedRef { $0.send(f, length: length) } }
    @inline(__always) func nextIPID() -> UInt16 {
        uHost._withUnsafeGuaranteedRef {
            $0.ipID &+= 1
            return $0.ipID
        }
    }
    @inline(__always) var hostNow: Int64 { uHost._withUnsafeGuaranteedRef { $0.now } }

    // MARK: - Lifecycle

    func open(_ now: Int64) {
        state = .synSent
        cwnd = initialWindow
        if let m = host.lookup(nextHop, now: now) { nextHopResolved(nextHop, m) }
        if macKnown { sendSYN(now) } else { rtxDeadline = now + rto }  // the SYN waits for ARP
    }

    var initialWindow: Int { min(4 * sendMSS, max(2 * sendMSS, 4380)) }   // RFC 5681 §3.1

    func nextHopResolved(_ ip: IPv4Address, _ mac: MACAddress) {
        guard ip == nextHop, attached else { return }
        let first = !macKnown
        if mac != peerMAC || !macKnown {
            peerMAC = mac
            macKnown = true
            template.setMAC(mac.rawValue, 0)
        }
        if first, state == .synSent, sndMax == iss { sendSYN(host.now) }
    }

    /// The slot was given to another connection: this one no longer sees segments.
    func detach() {
        attached = false
        if state != .closed { enterClosed() }
    }

    func enterClosed() {
        ackDeadline = 0
        if let f = reserved {
            reserved = nil
            discardFrame(f)
        }
        state = .closed
        rtxDeadline = 0
        persistDeadline = 0
        timeWaitDeadline = 0
        ackPending = false
    }

    func reset(_ err: Int32) {
        error = err
        enterClosed()
    }

    // MARK: - ByteStreamTransport

    public var isOpen: Bool {
        !userClosed && error == 0 && (state == .synSent || state == .synReceived || state == .established || state == .closeWait)
    }

    /// Copies what fits of `bytes` into the send ring and sends what the windows allow now.
    /// Bytes written before the handshake completes leave with it.
    public func send(_ bytes: UnsafeRawBufferPointer) -> Int {
        if error != 0 { return -Int(error) }
        guard !userClosed, state == .synSent || state == .synReceived || state == .established || state == .closeWait else {
            return -Int(EPIPE)
        }
        let n = min(bytes.count, sendRing.count - sendCount)
        if n == 0 { return 0 }
        let tail = (Int(ringSeq &- (iss &+ 1)) &+ sendCount) & sendMask
        let first = min(n, sendRing.count - tail)
        sendRing.mslice(tail, tail + first).copyMemory(from: bytes.slice(0, first))
        if first < n { sendRing.mslice(0, n - first).copyMemory(from: bytes.slice(first, n)) }
        sendCount += n
        if state == .established || state == .closeWait { output(hostNow) }
        return n
    }

    /// Reads the bytes that arrived in order.
    public func receive(into buffer: UnsafeMutableRawBufferPointer) -> TransportRead {
        let unread = readable
        if unread == 0 || state == .synSent || state == .synReceived {
            if error != 0 { return .error(error) }
            if finReceived { return .closed }
            if state == .closed { return .closed }
            return .wouldBlock
        }
        let n = min(unread, buffer.count)
        let head = Int(readSeq &- (irs &+ 1)) & recvMask
        let first = min(n, recvRing.count - head)
        buffer.baseAddress!.copyMemory(from: recvRing.baseAddress! + head, byteCount: first)
        if first < n { (buffer.baseAddress! + first).copyMemory(from: recvRing.baseAddress!, byteCount: n - first) }
        readSeq &+= UInt32(n)
        windowOpened()
        return .bytes(n)
    }

    // MARK: - Zero copy

    /// The payload area of a frame for the next bytes, when they can leave at once in one
    /// segment: established, nothing unsent ahead of them, room in both windows and the ring.
    /// The caller writes in place and calls `commitSend`.
    public func reserveSend(maximum: Int) -> UnsafeMutableRawBufferPointer? {
        guard configuration.zeroCopySend, state == .established || state == .closeWait, macKnown, !userClosed, error == 0,
              Int(sndNxt &- ringSeq) == sendCount else { return nil }
        let usable = Int(Int32(bitPattern: sndUna &+ UInt32(truncatingIfNeeded: min(Int(sndWnd), cwnd)) &- sndNxt))
        let room = min(maximum, sendMSS, usable, sendRing.count - sendCount)
        guard room >= 64 else { return nil }
        if reserved == nil { reserved = frame() }
        guard let f = reserved, f.data.count >= headerLength + room else { return nil }
        return f.data.mslice(headerLength, headerLength + room)
    }

    /// Sends the `length` bytes written into the reserved frame: a copy goes into the send ring
    /// (kept for retransmission), the frame itself leaves.
    public func commitSend(length: Int) -> Int {
        guard let f = reserved else { return -Int(EINVAL) }
        reserved = nil
        guard length > 0, length <= sendMSS, length <= sendRing.count - sendCount,
              state == .established || state == .closeWait else {
            discardFrame(f)
            return error != 0 ? -Int(error) : -Int(EINVAL)
        }
        let tail = (Int(ringSeq &- (iss &+ 1)) &+ sendCount) & sendMask
        let first = min(length, sendRing.count - tail)
        let src = f.data.baseAddress! + headerLength
        (sendRing.baseAddress! + tail).copyMemory(from: src, byteCount: first)
        if first < length { sendRing.baseAddress!.copyMemory(from: src + first, byteCount: length - first) }
        sendCount += length
        emit(f, seq: sndNxt, length: length, fin: false, hostNow)
        return length
    }

    /// The next contiguous in-order bytes in the receive ring (zero copy for the reader).
    public func peekReceived() -> UnsafeRawBufferPointer? {
        let n = readable
        guard n > 0, state != .synSent, state != .synReceived else { return nil }
        let head = Int(readSeq &- (irs &+ 1)) & recvMask
        let first = min(n, recvRing.count - head)
        return UnsafeRawBufferPointer(start: recvRing.baseAddress! + head, count: first)
    }

    public func consumeReceived(_ count: Int) {
        guard count > 0 else { return }
        readSeq &+= UInt32(min(count, readable))
        windowOpened()
    }

    /// Window update (RFC 9293 §3.8.6.2.2): once at least an MSS (or half the ring) opened up.
    @inline(__always)
    func windowOpened() {
        let edge = rcvNxt &+ UInt32(receiveWindow)
        if state != .closed, Int(edge &- lastAdvertisedEdge) >= min(ourMSS, recvRing.count / 2) { ackPending = true }
    }

    /// Closes our side: a FIN after the bytes already written (RFC 9293 CLOSE). The
    /// connection then runs its course (FIN-WAIT, TIME-WAIT) on the host's timers.
    public func close() {
        guard !userClosed else { return }
        userClosed = true
        switch state {
        case .synSent:
            enterClosed()
        case .synReceived, .established:
            queueFin()
            state = .finWait1
            output(hostNow)
        case .closeWait:
            queueFin()
            state = .lastAck
            output(hostNow)
        default:
            break
        }
    }

    func queueFin() {
        finQueued = true
        finSeq = ringSeq &+ UInt32(sendCount)
    }

    /// Aborts: a RST to the peer, and the connection is closed (RFC 9293 ABORT).
    public func abort() {
        userClosed = true
        if state == .synReceived || state == .established || state == .finWait1 || state == .finWait2 || state == .closeWait {
            sendControl(seq: sndNxt, ack: rcvNxt, flags: [.rst, .ack])
            counters.resetsOut &+= 1
        }
        enterClosed()
    }

    /// Our initial sequence number, SND.NXT and RCV.NXT (tools that script a peer, reports).
    public var initialSequence: UInt32 { iss }
    public var sendNext: UInt32 { sndNxt }
    public var receiveNext: UInt32 { rcvNxt }

    /// Bytes written and not yet acknowledged (or not yet sent).
    public var unacknowledged: Int { sendCount }
    /// Bytes received in order and not read yet (the peer's FIN takes a sequence number, not a byte).
    public var readable: Int { Int(rcvNxt &- readSeq) - (finReceived ? 1 : 0) }
    /// The peer's FIN arrived (it will send nothing more).
    public var finReceivedForReport: Bool { finReceived }

    // MARK: - Windows

    @inline(__always)
    var receiveWindow: Int { min(65535, recvRing.count - Int(rcvNxt &- readSeq)) }

    var flight: Int { Int(sndNxt &- sndUna) }

    // MARK: - Output

    /// Sends new data (and a queued FIN) as the windows allow.
    func output(_ now: Int64) {
        guard macKnown else { return }
        switch state {
        case .established, .closeWait, .finWait1, .closing, .lastAck: break
        default: return
        }
        while true {
            let offset = Int(sndNxt &- ringSeq)
            let available = sendCount - offset       // -1 once the FIN is out
            if available < 0 { return }
            let window = min(Int(sndWnd), cwnd)
            let usable = Int(Int32(bitPattern: sndUna &+ UInt32(truncatingIfNeeded: window) &- sndNxt))
            let len = max(0, min(available, sendMSS, usable))
            // The FIN rides with the last data, or goes alone when nothing is left (a FIN needs
            // no buffer at the peer, so a closed window does not hold it).
            let fin = finQueued && len == available
            if len == 0 && !fin {
                if available > 0 && sndWnd == 0 && sndNxt == sndUna && persistDeadline == 0 {
                    persistBackoff = 0
                    persistDeadline = now + rto
                }
                return
            }
            sendData(seq: sndNxt, offset: offset, length: len, fin: fin, now)
            if fin || len == 0 { return }
        }
    }

    /// Resends the first unacknowledged segment (fast retransmit, NewReno partial ACK).
    func retransmitFirst(_ now: Int64) {
        let offset = Int(sndUna &- ringSeq)
        let available = sendCount - offset
        guard available >= 0 else { return }
        let len = min(available, sendMSS)
        let fin = finQueued && len == available && seqGT(sndMax, finSeq)
        if len == 0 && !fin { return }
        sendData(seq: sndUna, offset: offset, length: len, fin: fin, now)
    }

    /// One segment of `length` bytes from the ring at `offset` (plus FIN), as new data or as a
    /// retransmission.
    func sendData(seq: UInt32, offset: Int, length: Int, fin: Bool, _ now: Int64) {
        guard let f = frame() else {
            counters.txFailures &+= 1
            armRetransmit(now)
            return
        }
        let d = f.data
        guard d.count >= headerLength + length else { discardFrame(f); return }
        if length > 0 {
            let pos = (Int(ringSeq &- (iss &+ 1)) &+ offset) & sendMask
            let first = min(length, sendRing.count - pos)
            (d.baseAddress! + headerLength).copyMemory(from: sendRing.baseAddress! + pos, byteCount: first)
            if first < length {
                (d.baseAddress! + headerLength + first).copyMemory(from: sendRing.baseAddress!, byteCount: length - first)
            }
        }
        emit(f, seq: seq, length: length, fin: fin, now)
    }

    /// Sends a frame whose payload is in place: retransmission accounting, Karn, the header
    /// fields, SND.NXT/SND.MAX, the timer.
    @inline(__always)
    func emit(_ f: TxFrame, seq: UInt32, length: Int, fin: Bool, _ now: Int64) {
        var flags: TCPFlags = [.ack]
        if length > 0 { flags.insert(.psh) }
        if fin { flags.insert(.fin) }
        let end = seq &+ UInt32(length) &+ (fin ? 1 : 0)
        let retransmission = seqLT(seq, sndMax)
        if retransmission {
            counters.retransmits &+= 1
            rttTiming = false                       // Karn: no sample from a retransmitted range
        } else if !rttTiming && length > 0 {
            rttTiming = true
            rttSeq = end
            rttStart = now
        }
        finishAndSend(f, seq: seq, flags: flags, payload: length)
        if seqGT(end, sndNxt) { sndNxt = end }
        if seqGT(sndNxt, sndMax) { sndMax = sndNxt }
        counters.bytesOut &+= UInt64(length)
        if rtxDeadline == 0 { armRetransmit(now) }
    }

    /// Fills the template's variable fields around a payload already in place and sends it.
    @inline(__always)
    func finishAndSend(_ f: TxFrame, seq: UInt32, flags: TCPFlags, payload: Int, options: Int = 0) {
        let d = f.data
        d.baseAddress!.copyMemory(from: template.baseAddress!, byteCount: headerLength)
        let ipLen = 40 + options + payload
        d.set16(UInt16(truncatingIfNeeded: ipLen), l2 + 2)
        d.set16(nextIPID(), l2 + 4)
        d.set16(internetChecksum(d.readOnly(l2, l2 + 20)), l2 + 10)
        let t = l2 + 20
        d.set32(seq, t + 4)
        let ack = state == .synSent ? 0 : rcvNxt
        d.set32(ack, t + 8)
        d.set8(UInt8((20 + options) / 4) << 4, t + 12)
        d.set8(flags.rawValue, t + 13)
        let wnd = receiveWindow
        d.set16(UInt16(wnd), t + 14)
        d.set32(0, t + 16)
        d.set16(transportChecksum(source: localAddress, destination: remote, protocol: IPProtocol.tcp,
                                  segment: d.readOnly(t, t + 20 + options + payload)), t + 16)
        if flags.contains(.ack) {
            ackPending = false
            ackDeadline = 0
            bytesSinceAck = 0
            lastAdvertisedEdge = rcvNxt &+ UInt32(wnd)
        }
        let end = t + 20 + options + payload
        if end < 60 { d.mslice(end, 60).initializeMemory(as: UInt8.self, repeating: 0) }
        if transmit(f, length: max(end, 60)) {
            counters.segmentsOut &+= 1
        } else {
            counters.txFailures &+= 1
        }
    }

    /// A segment without data: ACKs, RSTs, probes.
    func sendControl(seq: UInt32, ack: UInt32, flags: TCPFlags) {
        guard macKnown, let f = frame() else { return }
        guard f.data.count >= max(headerLength, 60) else { discardFrame(f); return }
        finishAndSend(f, seq: seq, flags: flags, payload: 0)
    }

    func sendAck() { sendControl(seq: sndNxt, ack: rcvNxt, flags: [.ack]) }

    func sendSYN(_ now: Int64) {
        guard let f = frame() else { armRetransmit(now); return }
        let d = f.data
        guard d.count >= headerLength + 4 else { discardFrame(f); return }
        d.set8(2, headerLength)
        d.set8(4, headerLength + 1)
        d.set16(UInt16(ourMSS), headerLength + 2)
        let flags: TCPFlags = state == .synReceived ? [.syn, .ack] : [.syn]
        if seqLT(iss, sndMax) {
            counters.retransmits &+= 1
        } else {
            synSentAt = now
        }
        finishAndSend(f, seq: iss, flags: flags, payload: 0, options: 4)   // the MSS option before the (empty) payload
        sndNxt = iss &+ 1
        if seqGT(sndNxt, sndMax) { sndMax = sndNxt }
        armRetransmit(now)
    }

    /// The ACK owed after a burst, if any.
    @inline(__always)
    func flushAck() {
        if ackPending && state != .closed && state != .synSent { sendAck() }
    }

    // MARK: - Timers

    func armRetransmit(_ now: Int64) { rtxDeadline = now + rto }

    @inline(__always)
    func timers(_ now: Int64) {
        if rtxDeadline != 0 && now >= rtxDeadline { retransmitTimeout(now) }
        if persistDeadline != 0 && now >= persistDeadline { persist(now) }
        if timeWaitDeadline != 0 && now >= timeWaitDeadline { enterClosed() }
        if ackDeadline != 0 && now >= ackDeadline { ackPending = true }
        if ackPending { flushAck() }
        // A frame kept ready for the next order's `reserveSend`: allocating the mbuf (and
        // touching it cold) when the order is encoded cost the encode stage over a microsecond
        // in the demo (kernel transport 0.4 µs, ours 2.0 µs at p50).
        if reserved == nil && state == .established && macKnown && configuration.zeroCopySend && !userClosed { reserved = frame() }
    }

    func retransmitTimeout(_ now: Int64) {
        rtxDeadline = 0
        switch state {
        case .closed, .timeWait:
            return
        case .synSent, .synReceived:
            if !macKnown {
                // Still resolving the next hop: ARP has its own retries.
                if rtxCount >= configuration.maxSYNRetransmissions { return reset(ETIMEDOUT) }
                rtxCount += 1
                rtxDeadline = now + rto
                return
            }
            if sndMax != iss {
                if rtxCount >= configuration.maxSYNRetransmissions { return reset(ETIMEDOUT) }
                rtxCount += 1
                counters.timeouts &+= 1
                rto = min(rto * 2, configuration.maxRTONanos)
            }
            sendSYN(now)
            return
        default:
            break
        }
        guard sndUna != sndMax else { return }
        if rtxCount >= configuration.maxRetransmissions { return reset(ETIMEDOUT) }
        rtxCount += 1
        counters.timeouts &+= 1
        // RFC 5681 (4): ssthresh from the flight, one segment of window; RFC 6298 (5.5): backoff.
        ssthresh = max(Int(sndMax &- sndUna) / 2, 2 * sendMSS)
        cwnd = sendMSS
        dupAcks = 0
        inRecovery = false
        recover = sndMax
        rto = min(rto * 2, configuration.maxRTONanos)
        rttTiming = false
        // Go back to SND.UNA and resend from there as the window opens (the FIN too).
        sndNxt = sndUna
        output(now)
        if rtxDeadline == 0 { armRetransmit(now) }
    }

    func persist(_ now: Int64) {
        persistDeadline = 0
        guard sndWnd == 0, sendCount > Int(sndNxt &- ringSeq) else { return }
        counters.windowProbes &+= 1
        sendControl(seq: sndUna &- 1, ack: rcvNxt, flags: [.ack])
        persistBackoff = min(persistBackoff + 1, 16)
        persistDeadline = now + min(rto << Int64(persistBackoff), configuration.maxRTONanos)
    }

    func rttSample(_ r: Int64) {
        counters.rttSamples &+= 1
        // RFC 6298 (2.2), (2.3) with alpha = 1/8, beta = 1/4; G is below a nanosecond here.
        if !hasRTT {
            hasRTT = true
            srtt = r
            rttvar = r / 2
        } else {
            rttvar = (3 * rttvar + abs(srtt - r)) / 4
            srtt = (7 * srtt + r) / 8
        }
        rto = min(max(srtt + max(1, 4 * rttvar), configuration.minRTONanos), configuration.maxRTONanos)
    }

    /// Smoothed round trip and current RTO (ns), for reports.
    public var smoothedRTT: Int64 { srtt }
    public var retransmissionTimeout: Int64 { rto }

    @inline(__always)
    func drop(_ d: TCPDrop) { counters.drops.count(d) }
}
