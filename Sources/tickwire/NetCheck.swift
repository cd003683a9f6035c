// `tickwire netcheck`: Tickwire's network stack on a DPDK port, on its own, against any peer.
// It answers ARP and pings, reports the IGMP groups, and (with --connect) streams a checkable
// byte pattern both ways over Tickwire's TCP, verifies every byte, closes (FIN both ways) and
// reports the TCP counters. The tests drive it against the Linux kernel in a namespace; an
// operator can use it to check a port and a venue's address before trading.
import ArgumentParser
import CShims
import Foundation
import Net
import TickwireCore
import Packets
import DPDK
#if canImport(Glibc)
import Glibc
#endif

/// The test pattern: byte i of the stream is byte i % 8 of SplitMix64 word i / 8 for `seed`
/// (position-dependent, so a lost, duplicated or reordered byte shows at once). The Python
/// peer (tools/tcp_peer.py) computes the same.
struct StreamPattern {
    let seed: UInt64
    @inline(__always) func word(_ w: UInt64) -> UInt64 {
        var g = SplitMix64(state: seed &+ w &* 0x9E37_79B9_7F4A_7C15)
        return g.next()
    }
    func fill(_ buffer: UnsafeMutableRawBufferPointer, from offset: UInt64) {
        var i = 0
        while i < buffer.count {
            let pos = offset + UInt64(i)
            let w = word(pos / 8)
            buffer[i] = UInt8(truncatingIfNeeded: w >> ((pos % 8) * 8))
            i += 1
        }
    }
    /// The index of the first byte that differs, or nil.
    func check(_ bytes: UnsafeRawBufferPointer, at offset: UInt64) -> Int? {
        for i in 0..<bytes.count {
            let pos = offset + UInt64(i)
            if bytes[i] != UInt8(truncatingIfNeeded: word(pos / 8) >> ((pos % 8) * 8)) { return i }
        }
        return nil
    }
}

/// Options every command that puts Tickwire's stack on a port shares.
struct NetPortOptions: ParsableArguments {
    @Option(help: "The kernel interface the DPDK af_packet PMD attaches to (a veth end with no kernel address).")
    var iface: String?

    @Option(help: "A DPDK vdev instead of --iface, e.g. 'net_af_xdp0,iface=X' or 'net_pcap0,...'.")
    var vdev: String?

    @Option(help: "Our address and prefix on that port, e.g. 10.77.0.1/24.")
    var ip: String = ""

    @Option(help: "Default gateway (for peers off the subnet).")
    var gateway: String?

    @Option(help: "802.1Q VLAN id for every frame.")
    var vlan: UInt16?

    @Option(help: "Multicast groups to report by IGMP, comma-separated.")
    var groups: String = ""

    @Option(help: "IGMP version, 2 or 3.")
    var igmp: Int = 3

    func configuration() throws -> NetConfiguration {
        guard let (addr, prefix) = NetConfiguration.parseCIDR(ip) else { throw ValidationError("--ip is ADDRESS/PREFIX, e.g. 10.77.0.1/24") }
        var gw: IPv4Address?
        if let g = gateway {
            guard let a = IPv4Address(g) else { throw ValidationError("--gateway \(g) is not an IPv4 address") }
            gw = a
        }
        var gs: [IPv4Address] = []
        for g in groups.split(separator: ",") {
            guard let a = IPv4Address(String(g)), a.isMulticast else { throw ValidationError("--groups: \(g) is not a multicast address") }
            gs.append(a)
        }
        return NetConfiguration(address: addr, prefixLength: prefix, gateway: gw, vlanID: vlan, multicastGroups: gs, igmpVersion: igmp)
    }

    /// The vdev name and its arguments.
    func vdevSpec() throws -> (String, String) {
        if let v = vdev {
            let parts = v.split(separator: ",", maxSplits: 1).map(String.init)
            return (parts[0], parts.count > 1 ? parts[1] : "")
        }
        guard let iface else { throw ValidationError("give --iface or --vdev") }
        return ("net_af_packet_tw", "iface=\(iface),qpairs=1")
    }

    /// Starts the EAL (no hugepages, no PCI: a vdev) and the link.
    func openLink(filePrefix: String) throws -> NetLink {
        let (name, args) = try vdevSpec()
        let config = try configuration()
        do {
            if !EAL.isRunning { _ = try EAL.start(arguments: EAL.noHardwareArguments(filePrefix: filePrefix)) }
            let pool = try Mempool(name: "tw_rx_net", count: 4095, cache: 128)
            let port = try DPDKPort(vdev: name, arguments: args, mempool: pool)
            return try NetLink(port: port, configuration: config)
        } catch {
            throw UserFacingError("\(name),\(args): \(error)")
        }
    }
}

struct NetCheck: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "netcheck",
        abstract: "Tickwire's network stack on a DPDK port: ARP, ping, IGMP, and a checked TCP stream to a peer."
    )

    @OptionGroup var net: NetPortOptions

    @Option(help: "Open a TCP connection to ADDRESS:PORT and stream the test pattern both ways.")
    var connect: String?

    @Option(name: .customLong("send-bytes"), help: "Pattern bytes to send.")
    var sendBytes: Int = 0

    @Option(name: .customLong("receive-bytes"), help: "Pattern bytes expected from the peer.")
    var receiveBytes: Int = 0

    @Option(help: "Pattern seed (the peer's is seed+1 for its direction).")
    var seed: UInt64 = 1

    @Option(help: "Seconds to run (without --connect: how long to answer ARP, pings and IGMP queries; with it: the time limit).")
    var seconds: Double = 10

    @Option(help: "Sessions one after the other (each streams the pattern from its start); a session the peer closes or resets, or a connect it refuses, is retried until --seconds run out.")
    var sessions: Int = 1

    @Option(help: "Seconds to keep the connection open (pumping) after the transfer, before closing.")
    var hold: Double = 0

    @Option(name: .customLong("linger"), help: "Seconds to keep answering after the stream is done (TIME-WAIT is reported, not waited out).")
    var linger: Double = 0.5

    @Flag(help: "Print the report as one JSON object.")
    var json = false

    struct Report: Encodable {
        var address: String
        var mac: String
        var connected = false
        var handshakeNs: Int64?
        var transferNs: Int64?
        var bytesSent = 0
        var bytesReceived = 0
        /// Bytes written that the peer had not acknowledged at the end (0 when all arrived).
        var unacknowledged = 0
        var verified = false
        var firstMismatch: Int?
        var finalState = ""
        var error: Int32 = 0
        var peerClosed = false
        var smoothedRttNs: Int64 = 0
        var tcp: [String: UInt64] = [:]
        var tcpDrops: [String: UInt64] = [:]
        var net: [String: UInt64] = [:]
        var netDrops: [String: UInt64] = [:]
        var arp: [String] = []
        /// With --sessions: how each session went.
        var sessionResults: [SessionResult] = []
        var refusedConnects = 0
    }

    struct SessionResult: Encodable {
        var established: Bool
        var bytesSent: Int
        var bytesReceived: Int
        var verified: Bool
        /// completed, peer_closed, reset, failed or timeout (see `StreamOutcome`)
        var ended: String
    }

    struct StreamOutcome {
        var sent = 0
        var received = 0
        /// The offset of the first received byte that is not the pattern's.
        var firstMismatch: Int?
        /// completed (all sent, acknowledged and received), peer_closed, reset, failed (another
        /// error), or timeout (the deadline came first).
        var ended = "timeout"
    }

    /// Streams the pattern both ways on `c`, checking every byte that arrives, until it is all
    /// sent, acknowledged and received, the peer closes or resets, or `deadline`.
    func stream(_ c: NetTCPConnection<DPDKNetDevice>, link: NetLink, chunk: UnsafeMutableRawBufferPointer, deadline: Int64) -> StreamOutcome {
        let out = StreamPattern(seed: seed), inp = StreamPattern(seed: seed &+ 1)
        var r = StreamOutcome()
        while tw_clock_monotonic_raw_ns() < deadline {
            link.pump()
            if r.sent < sendBytes {
                let n = min(sendBytes - r.sent, 16 * 1024)
                let buf = UnsafeMutableRawBufferPointer(rebasing: chunk[0..<n])
                out.fill(buf, from: UInt64(r.sent))
                let took = c.send(UnsafeRawBufferPointer(buf))
                if took > 0 { r.sent += took }
            }
            switch c.receive(into: chunk) {
            case .bytes(let n):
                if r.firstMismatch == nil, let bad = inp.check(UnsafeRawBufferPointer(rebasing: chunk[0..<n]), at: UInt64(r.received)) {
                    r.firstMismatch = r.received + bad
                }
                r.received += n
            case .closed: r.ended = "peer_closed"
            case .error, .wouldBlock: break
            }
            if c.error != 0 { r.ended = c.error == ECONNRESET ? "reset" : "failed" }
            if r.ended != "timeout" { break }
            if r.sent >= sendBytes && r.received >= receiveBytes && c.unacknowledged == 0 {
                r.ended = "completed"
                break
            }
        }
        return r
    }

    func run() throws {
        guard seconds > 0, seconds <= 3600 else { throw ValidationError("--seconds must be in (0, 3600]") }
        let link: NetLink
        do { link = try net.openLink(filePrefix: "tw-netcheck-\(getpid())") } catch { throw fail("\(error)") }
        let host = link.host
        var report = Report(address: net.ip, mac: host.mac.description)
        let t0 = tw_clock_monotonic_raw_ns()
        host.start(now: t0)
        let deadline = t0 + Int64(seconds * 1e9)
        func now() -> Int64 { tw_clock_monotonic_raw_ns() }

        var target: (IPv4Address, UInt16)?
        if let connect {
            let parts = connect.split(separator: ":")
            guard parts.count == 2, let ip = IPv4Address(String(parts[0])), let port = UInt16(parts[1]) else {
                throw ValidationError("--connect is ADDRESS:PORT")
            }
            target = (ip, port)
        }
        if let (ip, port) = target, sessions > 1 {
            try runSessions(link: link, ip: ip, port: port, deadline: deadline, report: &report)
        } else if let (ip, port) = target {
            let c: NetTCPConnection<DPDKNetDevice>
            do { c = try host.connect(to: ip, port: port, now: now()) } catch { throw fail("connect: \(error)") }
            _ = link.pump(seconds: max(0, Double(deadline - now()) / 1e9)) { c.state != .synSent && c.state != .synReceived }
            report.connected = c.state == .established
            let established = now()
            report.handshakeNs = established - t0
            if report.connected {
                let chunk = UnsafeMutableRawBufferPointer.allocate(byteCount: 64 * 1024, alignment: 64)
                defer { chunk.deallocate() }
                let r = stream(c, link: link, chunk: chunk, deadline: deadline)
                var received = r.received
                var mismatch = r.firstMismatch
                report.transferNs = now() - established
                let holdEnd = now() + Int64(hold * 1e9)
                while now() < holdEnd && c.error == 0 {
                    link.pump()
                    if case .bytes(let n) = c.receive(into: chunk) { received += n; mismatch = mismatch ?? received }
                }
                // Our FIN, then the peer's (the peer closes once it has read everything).
                c.close()
                _ = link.pump(seconds: max(0.1, min(5, Double(deadline - now()) / 1e9))) {
                    c.state == .timeWait || c.state == .closed
                }
                let lingerEnd = now() + Int64(linger * 1e9)
                while now() < lingerEnd { link.pump() }
                report.bytesSent = r.sent
                report.bytesReceived = received
                report.firstMismatch = mismatch
                report.unacknowledged = c.unacknowledged
                report.verified = mismatch == nil && r.sent == sendBytes && received == receiveBytes && report.unacknowledged == 0
                report.peerClosed = c.finReceivedForReport
            }
            report.finalState = c.state.rawValue
            report.error = c.error
            report.smoothedRttNs = c.smoothedRTT
        } else {
            while now() < deadline { link.pump() }
        }
        host.shutdown(now: now())
        let drainEnd = now() + 50_000_000
        while now() < drainEnd { link.pump() }
        let t = host.tcpCounters
        report.tcp = ["segments_in": t.segmentsIn, "segments_out": t.segmentsOut, "bytes_in": t.bytesIn, "bytes_out": t.bytesOut,
                      "retransmits": t.retransmits, "fast_retransmits": t.fastRetransmits, "timeouts": t.timeouts,
                      "duplicate_acks": t.duplicateAcks, "out_of_order_held": t.outOfOrderHeld, "duplicate_segments": t.duplicateSegments,
                      "challenge_acks": t.challengeAcks, "window_probes": t.windowProbes, "resets_in": t.resetsIn, "resets_out": t.resetsOut,
                      "rtt_samples": t.rttSamples, "tx_failures": t.txFailures]
        report.tcpDrops = t.drops.byName
        let n = host.counters
        report.net = n.byName.merging(["udp_frames": link.udpFrames]) { a, _ in a }
        report.netDrops = n.drops.byName
        report.arp = host.arpTable.map { "\($0.0) \($0.1) \($0.2)" }
        link.port.close()
        if json {
            printJSON(report)
        } else {
            print("netcheck: \(report.address) (\(report.mac)); connected \(report.connected), state \(report.finalState), sent \(report.bytesSent), received \(report.bytesReceived), verified \(report.verified)")
            print("  tcp \(report.tcp) drops \(report.tcpDrops)")
            print("  net \(report.net) drops \(report.netDrops)")
            print("  arp \(report.arp)")
        }
        if connect != nil && sessions == 1 && !report.verified { throw ExitCode(2) }
    }

    /// --sessions N: connect (retrying while refused or unanswered), stream, and when the peer
    /// closes or resets, close ours and connect again, until N sessions were established.
    func runSessions(link: NetLink, ip: IPv4Address, port: UInt16, deadline: Int64, report: inout Report) throws {
        func now() -> Int64 { tw_clock_monotonic_raw_ns() }
        let chunk = UnsafeMutableRawBufferPointer.allocate(byteCount: 64 * 1024, alignment: 64)
        defer { chunk.deallocate() }
        while report.sessionResults.count < sessions && now() < deadline {
            let c: NetTCPConnection<DPDKNetDevice>
            do { c = try link.host.connect(to: ip, port: port, now: now()) } catch { throw fail("connect: \(error)") }
            _ = link.pump(seconds: max(0, Double(deadline - now()) / 1e9)) { c.state != .synSent && c.state != .synReceived }
            guard c.state == .established else {
                if c.error == ECONNREFUSED { report.refusedConnects += 1 }
                c.abort()
                let pause = now() + 100_000_000
                while now() < pause { link.pump() }
                continue
            }
            let o = stream(c, link: link, chunk: chunk, deadline: deadline)
            let r = SessionResult(established: true, bytesSent: o.sent, bytesReceived: o.received,
                                  verified: o.firstMismatch == nil && o.ended == "completed" && o.sent == sendBytes && o.received == receiveBytes,
                                  ended: o.ended)
            c.close()
            _ = link.pump(seconds: 1) { c.state == .timeWait || c.state == .closed }
            report.sessionResults.append(r)
        }
        report.connected = !report.sessionResults.isEmpty
        report.verified = report.sessionResults.last?.verified ?? false
    }
}
