import Foundation
import Testing

/// DPDK 22.11's af_packet joins its sockets to the PACKET_FANOUT group getpid() XOR ifindex
/// (low 16 bits). The kernel refuses (EINVAL) a socket that names a group already held on
/// another device of the same network namespace. Made to happen here on purpose: a socket of
/// python's holds the very id a tickwire process is about to use, on the other end of a veth;
/// tickwire must fail with an error that says what happened, not a bare errno.
@Suite(.enabled(if: NetTestBed.canCreate, NetTestBed.skipReason))
struct FanoutCollisionTests {
    @Test func aTakenFanoutGroupIsReportedClearly() throws {
        try #require(FileManager.default.isExecutableFile(atPath: NetTestBed.tickwire), "build tickwire first (swift build)")
        let ip = NetTestBed.ip
        let ns = "twfan\(getpid() % 100_000)"
        defer { _ = try? sh(ip, ["netns", "del", ns]) }
        for s in [["netns", "add", ns], ["-n", ns, "link", "add", "fan0", "type", "veth", "peer", "name", "fan1"],
                  ["-n", ns, "link", "set", "fan0", "up"], ["-n", ns, "link", "set", "fan1", "up"]] {
            let r = try sh(ip, s)
            try #require(r.status == 0, "ip \(s.joined(separator: " ")): \(r.stderr)")
        }
        let line = try sh(ip, ["-n", ns, "-o", "link", "show", "fan1"]).stdout
        let ifindex = try #require(Int(line.prefix { $0 != ":" }), "fan1's index from: \(line)")

        // tickwire, held before exec by a shell that waits for a line (the pid stays the same
        // through ip netns exec, sh and exec).
        let stdin = Pipe()
        let errPath = NetTestBed.temp("fanout.stderr")
        FileManager.default.createFile(atPath: errPath, contents: nil)
        let tw = Process()
        tw.executableURL = URL(fileURLWithPath: ip)
        tw.arguments = ["netns", "exec", ns, "/bin/sh", "-c", "read go; exec \"$0\" \"$@\"", NetTestBed.tickwire,
                        "netcheck", "--iface", "fan1", "--ip", "10.79.250.1/24", "--json"]
        tw.standardInput = stdin
        tw.standardOutput = FileHandle.nullDevice
        tw.standardError = FileHandle(forWritingAtPath: errPath)
        try tw.run()
        defer { if tw.isRunning { tw.terminate() } }
        let group = (Int(tw.processIdentifier) ^ ifindex) & 0xffff

        // The holder: a packet socket on fan0 in group `group` (PACKET_FANOUT = 18, type hash).
        let holderOut = NetTestBed.temp("fanout.holder")
        let holder = Process()
        holder.executableURL = URL(fileURLWithPath: ip)
        holder.arguments = ["netns", "exec", ns, "python3", "-c", """
            import socket, sys, time
            s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(3))
            s.bind(("fan0", 0))
            s.setsockopt(263, 18, \(group))
            print("holding", flush=True)
            time.sleep(60)
            """]
        FileManager.default.createFile(atPath: holderOut, contents: nil)
        holder.standardOutput = FileHandle(forWritingAtPath: holderOut)
        holder.standardError = FileHandle.nullDevice
        try holder.run()
        defer { if holder.isRunning { holder.terminate() } }
        let end = Date().addingTimeInterval(10)
        while Date() < end, ((try? String(contentsOfFile: holderOut, encoding: .utf8)) ?? "").isEmpty { usleep(50_000) }
        try #require(((try? String(contentsOfFile: holderOut, encoding: .utf8)) ?? "").contains("holding"), "the holder took group \(group)")

        stdin.fileHandleForWriting.write(Data("go\n".utf8))
        NetTestBed.wait(tw, seconds: 30)
        #expect(!tw.isRunning)
        #expect(tw.terminationStatus != 0)
        let err = (try? String(contentsOfFile: errPath, encoding: .utf8)) ?? ""
        #expect(err.contains("could not set PACKET_FANOUT"), "the PMD's own log line: \(err)")
        #expect(err.contains("fanout group id getpid() XOR ifindex") && err.contains("namespace of its own"), "\(err)")
    }
}
