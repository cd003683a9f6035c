import Foundation
import Testing

/// Tickwire's stack against the Linux kernel's, over a veth into a namespace: the acceptance
/// checks of the kernel-bypass issue that need a real peer.
@Suite(.serialized, .enabled(if: NetTestBed.canCreate, NetTestBed.skipReason))
struct LinuxPeerTests {
    init() throws {
        try #require(FileManager.default.isExecutableFile(atPath: NetTestBed.tickwire), "build tickwire first (swift build)")
    }

    /// Handshake, 10 MB each way byte for byte, a clean close (FIN both ways, TIME-WAIT), and
    /// tshark's TCP analysis of the tap: no bad checksum, no segment beyond the window, no ACK
    /// of data never sent. The next hop is resolved by ARP on the way.
    @Test func tenMegabytesEachWayAndACleanClose() throws {
        let bed = try NetTestBed(subnet: 1)
        defer { bed.destroy() }
        let cap = NetTestBed.temp("clean.pcap")
        let tap = try bed.tap(cap, filter: "tcp port 5101 or arp")
        let peerOut = NetTestBed.temp("clean.peer")
        let peer = try bed.startPeer(port: 5101, send: 10_000_000, receive: 10_000_000, output: peerOut)
        let r = try bed.netcheck(["--connect", "\(bed.kernelIP):5101", "--send-bytes", "10000000", "--receive-bytes", "10000000",
                                  "--seconds", "60"])
        NetTestBed.wait(peer, seconds: 10)
        usleep(300_000)
        tap.interrupt()
        NetTestBed.wait(tap, seconds: 5)
        #expect(r["connected"] as? Bool == true)
        #expect(r["verified"] as? Bool == true, "every byte from the kernel arrived once, in order: \(r)")
        #expect(r["bytes_sent"] as? Int == 10_000_000 && r["bytes_received"] as? Int == 10_000_000)
        #expect(r["final_state"] as? String == "timeWait", "our FIN acknowledged and the kernel's FIN received")
        #expect(r["peer_closed"] as? Bool == true)
        let peerReport = try #require(NetTestBed.jsonLines(peerOut).last)
        #expect(peerReport["verified"] as? Bool == true, "every byte from us arrived once, in order: \(peerReport)")
        #expect(peerReport["peer_fin"] as? Bool == true, "the kernel saw our FIN")
        let net = try #require(r["net"] as? [String: Int])
        #expect((net["arp_requests_out"] ?? 0) >= 1 && (net["arp_replies_in"] ?? 0) >= 1, "we resolved the kernel's MAC: \(net)")
        let arp = r["arp"] as? [String] ?? []
        #expect(arp.contains { $0.hasPrefix(bed.kernelIP + " ") && $0.hasSuffix("reachable") }, "\(arp)")
        let check = try TsharkTCPCheck.run(cap, from: bed.ourIP)
        #expect(check.frames > 5000)
        #expect(check.badChecksums == 0)
        #expect(check.goodChecksums == check.frames, "every segment's checksums verified good")
        #expect(check.windowExceeded == 0)
        #expect(check.ackOfUnseen == 0)
        // FIN both ways on the wire.
        let tshark = try #require(NetTestBed.tool("tshark"))
        let fins = try sh(tshark, ["-n", "-r", cap, "-Y", "tcp.flags.fin == 1", "-T", "fields", "-e", "ip.src"]).stdout
            .split(separator: "\n").map(String.init)
        #expect(fins.contains(bed.ourIP) && fins.contains(bed.kernelIP), "\(fins)")
    }

    /// 5% and 20% of the kernel's segments dropped in each direction (nftables in the namespace):
    /// every byte still arrives exactly once and in order, both ways, and both ends counted
    /// retransmissions.
    @Test(arguments: [5, 20])
    func everyByteArrivesOnceUnderLoss(percent: Int) throws {
        let bed = try NetTestBed(subnet: 10 + percent)
        defer { bed.destroy() }
        try bed.dropTCP(port: 5102, percent: percent)
        // At 20% loss without SACK the kernel's own retransmission backoff (200 ms doubling) sets the pace:
        // 60 KB takes seconds, 300 KB can take minutes. The check is exactness, not speed.
        let bytes = percent >= 20 ? 60_000 : 1_000_000
        let cap = NetTestBed.temp("loss\(percent).pcap")
        let tap = try bed.tap(cap, filter: "tcp port 5102")
        let peerOut = NetTestBed.temp("loss\(percent).peer")
        let peer = try bed.startPeer(port: 5102, send: bytes, receive: bytes, output: peerOut)
        let r = try bed.netcheck(["--connect", "\(bed.kernelIP):5102", "--send-bytes", String(bytes), "--receive-bytes", String(bytes),
                                  "--seconds", "150"], timeout: 200)
        NetTestBed.wait(peer, seconds: 20)
        usleep(300_000)
        tap.interrupt()
        NetTestBed.wait(tap, seconds: 5)
        #expect(r["verified"] as? Bool == true, "netcheck: \(r); peer: \(NetTestBed.jsonLines(peerOut))")
        let peerReport = try #require(NetTestBed.jsonLines(peerOut).last)
        #expect(peerReport["verified"] as? Bool == true, "\(peerReport)")
        let tcp = try #require(r["tcp"] as? [String: Int])
        #expect((tcp["retransmits"] ?? 0) > 0, "we retransmitted what the namespace dropped: \(tcp)")
        #expect((tcp["out_of_order_held"] ?? 0) > 0, "segments after a lost one were held, not dropped: \(tcp)")
        #expect((peerReport["kernel_retransmits"] as? Int ?? 0) > 0, "the kernel retransmitted what was dropped on its way to us")
        let (dropsIn, dropsOut) = try bed.droppedByRules()
        #expect(dropsIn > 0 && dropsOut > 0, "the rules dropped segments both ways: \(dropsIn), \(dropsOut)")
        let check = try TsharkTCPCheck.run(cap, from: bed.ourIP)
        #expect(check.badChecksums == 0)
        #expect(check.windowExceeded == 0)
        #expect(check.ackOfUnseen == 0, "we never acknowledged a segment the kernel's egress dropped")
    }
}
