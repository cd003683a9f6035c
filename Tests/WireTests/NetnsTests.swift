import Foundation
import Testing
@testable import Packets
@testable import DPDK
@testable import Sockets
import TickwireCore
import CShims

/// A veth pair whose far end sits in a private network namespace (a test host of our own),
/// with 10.77.0.2/24 there. Only this link carries the test traffic.
final class TestHost {
    let ns: String
    let near: String   // in this namespace
    let far: String    // in `ns`

    /// True when this process may create a network namespace (root with CAP_SYS_ADMIN and
    /// ip(8) present): probed once by creating and deleting one.
    static let canCreate: Bool = {
        guard getuid() == 0, FileManager.default.isExecutableFile(atPath: ip) else { return false }
        let probe = "twprobe\(getpid() % 100_000)"
        guard let r = try? run(ip, ["netns", "add", probe]), r.status == 0 else { return false }
        _ = try? run(ip, ["netns", "del", probe])
        return true
    }()

    static var ip: String { FileManager.default.isExecutableFile(atPath: "/usr/sbin/ip") ? "/usr/sbin/ip" : "/sbin/ip" }

    init(nearAddress: String? = nil) throws {
        let tag = String(getpid() % 100_000)
        ns = "twns\(tag)"
        near = "twa\(tag)"
        far = "twb\(tag)"
        let steps: [[String]] = [
            ["netns", "add", ns],
            ["link", "add", near, "type", "veth", "peer", "name", far],
            ["link", "set", far, "netns", ns],
            ["link", "set", near, "up"],
            ["netns", "exec", ns, Self.ip, "link", "set", "lo", "up"],
            ["netns", "exec", ns, Self.ip, "link", "set", far, "up"],
            ["netns", "exec", ns, Self.ip, "addr", "add", "10.77.0.2/24", "dev", far],
            ["netns", "exec", ns, Self.ip, "route", "add", "224.0.0.0/4", "dev", far],
        ] + (nearAddress.map { [["addr", "add", $0, "dev", near]] } ?? [])
        for s in steps {
            let r = try run(Self.ip, s)
            if r.status != 0 {
                destroy()
                throw TestFailure("ip \(s.joined(separator: " ")) failed: \(r.stderr)")
            }
        }
    }

    func destroy() {
        _ = try? run(Self.ip, ["link", "del", near])
        _ = try? run(Self.ip, ["netns", "del", ns])
    }

    deinit { destroy() }

    /// Sends `count` UDP datagrams "tickwire <i>" from the namespace's kernel to group:port.
    func sendMulticast(group: String, port: Int, count: Int) throws {
        let script = """
        import socket, struct, time
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, 1)
        s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, socket.inet_aton('10.77.0.2'))
        for i in range(\(count)):
            s.sendto(b'tickwire %d' % i, ('\(group)', \(port)))
            if i % 50 == 49: time.sleep(0.002)
        """
        let r = try run(Self.ip, ["netns", "exec", ns, "python3", "-c", script])
        if r.status != 0 { throw TestFailure("sender failed: \(r.stderr)") }
    }
}

extension DPDKTests {
    @Test(.enabled(if: TestHost.canCreate, "network namespaces are not permitted here (needs root, CAP_SYS_ADMIN and ip(8) to create a namespace and a veth pair)"))
    func afPacketReceivesMulticastFromANamespace() throws {
        _ = try TestEAL.start()
        let host: TestHost
        do { host = try TestHost() } catch {
            // Containers without CAP_SYS_ADMIN refuse netns: say so instead of failing.
            Issue.record("network namespaces are not permitted here: \(error)")
            return
        }
        defer { host.destroy() }
        let pool = try Mempool(name: "t_afp", count: 2047, cache: 0)
        let port = try DPDKPort(vdev: "net_af_packet_t1", arguments: "iface=\(host.near),qpairs=1", mempool: pool)
        defer { port.close() }
        #expect(port.info.driver == "net_af_packet")
        let count = 500
        try host.sendMulticast(group: "233.54.12.111", port: 26477, count: count)
        var payloads: [String] = []
        var drops = FrameDropCounters()
        var other = 0
        var pkts = [tw_pkt](repeating: tw_pkt(), count: 32)
        let deadline = Date().addingTimeInterval(5)
        while payloads.count < count && Date() < deadline {
            let n = pkts.withUnsafeMutableBufferPointer { port.receive(into: $0.baseAddress!, capacity: 32) }
            if n == 0 { usleep(200); continue }
            for p in pkts[0..<n] {
                switch parseUDPFrame(p.bytes, verifyIPChecksum: true) {
                case .udp(let u) where u.destinationPort == 26477 && u.destinationIP == IPv4Address(233, 54, 12, 111):
                    payloads.append(String(decoding: u.payload, as: UTF8.self))
                case .udp: other += 1
                case .dropped(let why): drops.count(why)   // IPv6 neighbour discovery and the like
                }
            }
            pkts.withUnsafeMutableBufferPointer { port.release($0.baseAddress!, count: n) }
        }
        #expect(payloads.count == count, "received \(payloads.count) of \(count)")
        #expect(payloads == (0..<count).map { "tickwire \($0)" }, "payloads intact and in order")
        #expect(pool.inUse == 0)
    }

    @Test(.enabled(if: TestHost.canCreate, "network namespaces are not permitted here (needs root, CAP_SYS_ADMIN and ip(8) to create a namespace and a veth pair)"))
    func kernelSocketJoinsTheGroupAndTimestamps() throws {
        let host: TestHost
        do { host = try TestHost(nearAddress: "10.77.0.1/24") } catch {
            Issue.record("network namespaces are not permitted here: \(error)")
            return
        }
        defer { host.destroy() }
        let rx = try KernelUDPReceiver(group: IPv4Address(233, 54, 12, 111), port: 26477,
                                       interface: IPv4Address(10, 77, 0, 1), batch: 32)
        defer { rx.close() }
        let count = 300
        let before = Int64(Date().timeIntervalSince1970 * 1e9)
        try host.sendMulticast(group: "233.54.12.111", port: 26477, count: count)
        var payloads: [String] = []
        var pkts = [tw_pkt](repeating: tw_pkt(), count: 32)
        let deadline = Date().addingTimeInterval(5)
        var lastTS: UInt64 = 0
        var monotonic = true
        var stamped = 0
        while payloads.count < count && Date() < deadline {
            let n = pkts.withUnsafeMutableBufferPointer { rx.receive(into: $0.baseAddress!, capacity: 32) }
            if n < 0 { Issue.record("recvmmsg failed: \(-n)"); break }
            if n == 0 { usleep(200); continue }
            for p in pkts[0..<n] {
                payloads.append(String(decoding: p.bytes, as: UTF8.self))
                if p.flags & TW_PKT_SW_TIMESTAMP != 0 {
                    stamped += 1
                    if p.rx_timestamp < lastTS { monotonic = false }
                    lastTS = p.rx_timestamp
                    #expect(Int64(p.rx_timestamp) >= before - 1_000_000_000)
                }
            }
        }
        #expect(payloads == (0..<count).map { "tickwire \($0)" })
        #expect(stamped == count, "every datagram carries a kernel receive timestamp")
        #expect(monotonic)
        // Joining on an address that no interface has: a typed error naming the failing call.
        do throws(SystemError) {
            _ = try KernelUDPReceiver(group: IPv4Address(233, 1, 1, 1), port: 1, interface: IPv4Address(203, 0, 113, 9))
            Issue.record("joining on a foreign interface address should fail")
        } catch {
            #expect(error.call.contains("IP_ADD_MEMBERSHIP"), "\(error)")
        }
    }
}

extension DPDKTests {
    /// A burst larger than the rx ring while nobody polls: every frame is either delivered or
    /// counted in the port's imissed, none lost silently. af_xdp in DPDK 22.11 reads the
    /// kernel's rx_dropped (no buffer left to fill: it gives the kernel 1,024) and not
    /// rx_ring_full, so the ring must be the larger of the two: with 256 descriptors this test
    /// received 256 of 20,000 and imissed stayed 0. (af_packet in 22.11 reports no drops at
    /// all: its imissed is always 0.)
    @Test(.enabled(if: TestHost.canCreate, "network namespaces are not permitted here (needs root, CAP_SYS_ADMIN and ip(8) to create a namespace and a veth pair)"))
    func anOverrunRxRingIsCountedAsImissed() throws {
        _ = try TestEAL.start()
        let host = try TestHost()
        defer { host.destroy() }
        let pool = try Mempool(name: "t_xdp_overrun", count: 4095, cache: 0)
        var conf = DPDKPort.Configuration()
        conf.rxDescriptors = 2048
        conf.txDescriptors = 256
        let port = try DPDKPort(vdev: "net_af_xdp_t1", arguments: "iface=\(host.near),busy_budget=0", mempool: pool, configuration: conf)
        defer { port.close() }
        let before = port.stats()
        let sent = 20_000
        try host.sendMulticast(group: "233.54.12.111", port: 26477, count: sent)
        var received = 0
        var pkts = [tw_pkt](repeating: tw_pkt(), count: 32)
        var idle = 0
        while idle < 2_000 {
            let n = pkts.withUnsafeMutableBufferPointer { port.receive(into: $0.baseAddress!, capacity: 32) }
            if n == 0 { idle += 1; usleep(100); continue }
            idle = 0
            for p in pkts[0..<n] {
                if case .udp(let u) = parseUDPFrame(p.bytes, verifyIPChecksum: true), u.destinationPort == 26477 { received += 1 }
            }
            pkts.withUnsafeMutableBufferPointer { port.release($0.baseAddress!, count: n) }
        }
        let after = port.stats()
        let missed = Int(after.rxMissed - before.rxMissed)
        #expect(received >= 1_000 && received < sent, "the ring held some, not all: \(received)")
        #expect(missed > 0 && received + missed >= sent, "sent \(sent), received \(received), imissed \(missed)")
    }
}
