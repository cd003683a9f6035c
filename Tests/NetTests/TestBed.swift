import TestSupport
import Foundation
import Synchronization
import Testing

/// Test hosts of our own: the Linux kernel's TCP/IP at 10.79.N.2 in a namespace, reached from
/// the near end of a veth in a namespace of Tickwire's own, which has no kernel address (above
/// L2 it is Tickwire's, through DPDK's af_packet PMD in `tickwire netcheck`). Tickwire runs in
/// that namespace alone (`ip netns exec`, which keeps the pid): DPDK 22.11's af_packet names
/// its PACKET_FANOUT group getpid() XOR ifindex, and the kernel refuses (EINVAL) a second group
/// of the same id on another device in the same namespace, so two af_packet processes sharing
/// one namespace fail at random under parallel tests (it did once in CI: the gateway's port
/// would not open). Between them a second
/// namespace bridges the two links; its nftables bridge rules are where loss is injected, so
/// that neither TCP learns of a drop except by its absence (a drop in the sending host's own
/// output or egress hook is reported back to its TCP as a local error and retried at once).
/// The kernel's checksum and segmentation offloads are off, so that what it sends is what a
/// NIC would put on the wire (a veth otherwise hands af_packet partial checksums).
final class NetTestBed: @unchecked Sendable {
    let ns: String        // the kernel host
    let bridgeNS: String  // the wire between
    let usNS: String      // ours: the near end and the tickwire process, alone
    let near: String      // ours, in usNS
    let far: String       // the kernel host's interface
    let subnet: Int
    let tag: String
    var background: [Process] = []

    var kernelIP: String { "10.79.\(subnet).2" }
    var ourIP: String { "10.79.\(subnet).1" }

    /// True when this process may create network namespaces (root, CAP_SYS_ADMIN, ip(8)).
    static let canCreate: Bool = {
        guard getuid() == 0, FileManager.default.isExecutableFile(atPath: ip) else { return false }
        let probe = "twnprobe\(getpid() % 100_000)"
        guard let r = try? sh(ip, ["netns", "add", probe]), r.status == 0 else { return false }
        _ = try? sh(ip, ["netns", "del", probe])
        return true
    }()

    static let skipReason: Comment = "network namespaces are not permitted here (needs root, CAP_SYS_ADMIN and ip(8) to create a namespace and a veth pair)"

    static var ip: String { FileManager.default.isExecutableFile(atPath: "/usr/sbin/ip") ? "/usr/sbin/ip" : "/sbin/ip" }

    static func tool(_ name: String) -> String? {
        for d in ["/usr/sbin", "/usr/bin", "/sbin", "/bin"] where FileManager.default.isExecutableFile(atPath: "\(d)/\(name)") {
            return "\(d)/\(name)"
        }
        return nil
    }

    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static var tickwire: String { root.appendingPathComponent(".build/debug/tickwire").path }
    static var peer: String { root.appendingPathComponent("tools/tcp_peer.py").path }

    init(subnet: Int) throws {
        let tag = "\(getpid() % 10_000)n\(subnet)"
        self.tag = tag
        self.subnet = subnet
        ns = "twn\(tag)"
        bridgeNS = "twn\(tag)w"
        usNS = "twn\(tag)u"
        near = "twn\(tag)a"
        far = "twn\(tag)b"
        let ip = Self.ip
        let b0 = "twb\(tag)0", b1 = "twb\(tag)1"
        let steps: [[String]] = [
            ["netns", "add", ns],
            ["netns", "add", bridgeNS],
            ["netns", "add", usNS],
            ["link", "add", near, "type", "veth", "peer", "name", b0],
            ["link", "set", near, "netns", usNS],
            ["link", "add", far, "type", "veth", "peer", "name", b1],
            ["link", "set", b0, "netns", bridgeNS],
            ["link", "set", b1, "netns", bridgeNS],
            ["link", "set", far, "netns", ns],
            ["netns", "exec", usNS, ip, "link", "set", "lo", "up"],
            ["netns", "exec", usNS, ip, "link", "set", near, "up"],
            ["netns", "exec", bridgeNS, ip, "link", "add", "br0", "type", "bridge"],
            ["netns", "exec", bridgeNS, ip, "link", "set", b0, "master", "br0"],
            ["netns", "exec", bridgeNS, ip, "link", "set", b1, "master", "br0"],
            ["netns", "exec", bridgeNS, ip, "link", "set", b0, "up"],
            ["netns", "exec", bridgeNS, ip, "link", "set", b1, "up"],
            ["netns", "exec", bridgeNS, ip, "link", "set", "br0", "up"],
            ["netns", "exec", ns, ip, "link", "set", "lo", "up"],
            ["netns", "exec", ns, ip, "link", "set", far, "up"],
            ["netns", "exec", ns, ip, "addr", "add", "\(kernelIP)/24", "dev", far],
            ["netns", "exec", ns, ip, "route", "add", "224.0.0.0/4", "dev", far],
            // No IPv6 on these links: router solicitations would only be noise in the captures.
            ["netns", "exec", ns, "sysctl", "-q", "-w", "net.ipv6.conf.all.disable_ipv6=1"],
            ["netns", "exec", bridgeNS, "sysctl", "-q", "-w", "net.ipv6.conf.all.disable_ipv6=1"],
            ["netns", "exec", usNS, "sysctl", "-q", "-w", "net.ipv6.conf.all.disable_ipv6=1"],
        ]
        for s in steps {
            let r = try sh(ip, s)
            if r.status != 0 {
                destroy()
                throw TestBedError("ip \(s.joined(separator: " ")) failed: \(r.stderr)")
            }
        }
        guard let ethtool = Self.tool("ethtool") else {
            destroy()
            throw TestBedError("ethtool is not installed (make deps installs it)")
        }
        _ = try sh(ip, ["netns", "exec", ns, ethtool, "-K", far, "tx", "off", "tso", "off", "gso", "off"])
    }

    func destroy() {
        for p in background where p.isRunning { p.terminate() }
        _ = try? sh(Self.ip, ["netns", "del", usNS])
        _ = try? sh(Self.ip, ["link", "del", near])
        _ = try? sh(Self.ip, ["netns", "del", ns])
        _ = try? sh(Self.ip, ["netns", "del", bridgeNS])
    }

    deinit { destroy() }

    /// Runs a command in the namespace to completion.
    @discardableResult
    func inside(_ args: [String], timeout: TimeInterval = 60) throws -> ShellResult {
        try sh(Self.ip, ["netns", "exec", ns] + args, timeout: timeout)
    }

    /// Starts a command in the namespace in the background, its stdout into `output`.
    func spawn(_ args: [String], output: String) throws -> Process {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: Self.ip)
        p.arguments = ["netns", "exec", ns] + args
        _ = FileManager.default.createFile(atPath: output, contents: nil)
        p.standardOutput = FileHandle(forWritingAtPath: output)
        _ = FileManager.default.createFile(atPath: output + ".err", contents: nil)
        p.standardError = FileHandle(forWritingAtPath: output + ".err")
        try p.run()
        background.append(p)
        return p
    }

    /// A tcpdump tap on our link's port of the bridge (what we send, before any loss, and what
    /// reaches us, after it), into `path`. Not on our own interface: DPDK's af_packet PMD sends
    /// with PACKET_QDISC_BYPASS, which no tap on that interface sees.
    func tap(_ path: String, filter: String) throws -> Process {
        guard let tcpdump = Self.tool("tcpdump") else { throw TestBedError("tcpdump is not installed (make deps)") }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: Self.ip)
        p.arguments = ["netns", "exec", bridgeNS, tcpdump, "-i", "twb\(tag)0", "-n", "-U", "-s", "0", "-w", path, filter]
        _ = FileManager.default.createFile(atPath: path + ".log.err", contents: nil)
        p.standardError = FileHandle(forWritingAtPath: path + ".log.err")
        p.standardOutput = FileHandle.nullDevice
        try p.run()
        background.append(p)
        // Wait until tcpdump says it listens.
        let end = Date().addingTimeInterval(5)
        while Date() < end {
            if let s = try? String(contentsOfFile: path + ".log.err", encoding: .utf8), s.contains("listening") { break }
            usleep(50_000)
        }
        return p
    }

    /// The kernel's TCP peer (tools/tcp_peer.py) on `port`; waits until it listens.
    func startPeer(port: Int, send: Int, receive: Int, seed: UInt64 = 1, extra: [String] = [], output: String) throws -> Process {
        let p = try spawn(["python3", Self.peer, "--port", String(port), "--send", String(send), "--receive", String(receive),
                           "--seed", String(seed), "--timeout", "120"] + extra, output: output)
        let end = Date().addingTimeInterval(10)
        while Date() < end {
            if let s = try? String(contentsOfFile: output, encoding: .utf8), s.contains("listening") { return p }
            usleep(50_000)
        }
        throw TestBedError("the peer did not start: \((try? String(contentsOfFile: output + ".err", encoding: .utf8)) ?? "")")
    }

    /// `tickwire ARGS` in our namespace, as ip(8)'s arguments (ip netns exec keeps the pid).
    func ours(_ args: [String]) -> [String] {
        ["netns", "exec", usNS, Self.tickwire] + args
    }

    /// The near end's MAC address.
    func nearMAC() throws -> String {
        try sh(Self.ip, ["netns", "exec", usNS, "cat", "/sys/class/net/\(near)/address"]).stdout
            .trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// `tickwire netcheck` on the near end; its JSON report.
    func netcheck(_ args: [String], timeout: TimeInterval = 180) throws -> [String: Any] {
        let r = try sh(Self.ip, ours(["netcheck", "--iface", near, "--ip", "\(ourIP)/24", "--json"] + args), timeout: timeout)
        guard let line = r.stdout.split(separator: "\n").last,
              let obj = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else {
            throw TestBedError("netcheck exit \(r.status): \(r.stderr) \(r.stdout)")
        }
        return obj
    }

    /// `tickwire netcheck` on the near end in the background, its JSON report into `output`.
    func netcheckInBackground(_ args: [String], output: String) throws -> Process {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: Self.ip)
        p.arguments = ours(["netcheck", "--iface", near, "--ip", "\(ourIP)/24", "--json"] + args)
        _ = FileManager.default.createFile(atPath: output, contents: nil)
        p.standardOutput = FileHandle(forWritingAtPath: output)
        p.standardError = FileHandle.nullDevice
        try p.run()
        background.append(p)
        return p
    }

    /// nftables rules in the bridge between us and the kernel that drop `percent`% of the TCP
    /// segments on `port` in each direction (real loss: neither end is told).
    func dropTCP(port: Int, percent: Int) throws {
        guard let nft = Self.tool("nft") else { throw TestBedError("nft is not installed (make deps installs nftables)") }
        let rules = """
        table bridge twloss {
            chain loss {
                type filter hook forward priority 0; policy accept;
                tcp dport \(port) numgen random mod 100 < \(percent) counter drop
                tcp sport \(port) numgen random mod 100 < \(percent) counter drop
            }
        }
        """
        let file = NSTemporaryDirectory() + "twloss-\(ns).nft"
        try rules.write(toFile: file, atomically: true, encoding: .utf8)
        let r = try sh(Self.ip, ["netns", "exec", bridgeNS, nft, "-f", file])
        try? FileManager.default.removeItem(atPath: file)
        if r.status != 0 { throw TestBedError("nft -f: \(r.stderr)") }
    }

    /// Segments the loss rules dropped (toward the kernel, toward us).
    func droppedByRules() throws -> (Int, Int) {
        guard let nft = Self.tool("nft") else { return (0, 0) }
        let text = try sh(Self.ip, ["netns", "exec", bridgeNS, nft, "list", "ruleset"]).stdout
        let counts = text.components(separatedBy: "counter packets ").dropFirst().compactMap { Int($0.prefix { $0.isNumber }) }
        return (counts.first ?? 0, counts.count > 1 ? counts[1] : 0)
    }

    /// The peer's JSON lines.
    static func jsonLines(_ path: String) -> [[String: Any]] {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return [] }
        return text.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
    }

    static func wait(_ p: Process, seconds: Double) {
        let end = Date().addingTimeInterval(seconds)
        while p.isRunning && Date() < end { usleep(20_000) }
    }

    static func temp(_ name: String) -> String {
        scratchDirectory("tw-net").appendingPathComponent(name).path
    }
}

struct TestBedError: Error, CustomStringConvertible {
    let description: String
    init(_ d: String) { description = d }
}

struct ShellResult {
    var status: Int32
    var stdout: String
    var stderr: String
}

/// Runs a program to completion (tests only), reading both pipes while it runs.
@discardableResult
func sh(_ path: String, _ args: [String], timeout: TimeInterval = 60) throws -> ShellResult {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: path)
    p.arguments = args
    let out = Pipe(), err = Pipe()
    p.standardOutput = out
    p.standardError = err
    try p.run()
    let group = DispatchGroup()
    let o = Mutex(Data()), e = Mutex(Data())
    group.enter()
    DispatchQueue.global().async { let d = out.fileHandleForReading.readDataToEndOfFile(); o.withLock { $0 = d }; group.leave() }
    group.enter()
    DispatchQueue.global().async { let d = err.fileHandleForReading.readDataToEndOfFile(); e.withLock { $0 = d }; group.leave() }
    if group.wait(timeout: .now() + timeout) == .timedOut {
        p.terminate()
        throw TestBedError("\(path) \(args.joined(separator: " ")) timed out after \(timeout) s")
    }
    p.waitUntilExit()
    return ShellResult(status: p.terminationStatus, stdout: String(decoding: o.withLock { $0 }, as: UTF8.self),
                       stderr: String(decoding: e.withLock { $0 }, as: UTF8.self))
}

/// What tshark's TCP analysis says of a capture: bad checksums, segments beyond the receiver's
/// window, and ACKs of data never seen, per sender.
struct TsharkTCPCheck {
    var badChecksums = 0
    var goodChecksums = 0
    var windowExceeded = 0
    var ackOfUnseen = 0
    var frames = 0

    static func run(_ capture: String, from source: String) throws -> TsharkTCPCheck {
        guard let tshark = NetTestBed.tool("tshark") else { throw TestBedError("tshark is not installed (make deps)") }
        func count(_ filter: String) throws -> Int {
            let r = try sh(tshark, ["-n", "-r", capture, "-o", "tcp.check_checksum:TRUE", "-o", "ip.check_checksum:TRUE",
                                    "-Y", "ip.src == \(source) && (\(filter))", "-T", "fields", "-e", "frame.number"], timeout: 120)
            if r.status != 0 { throw TestBedError("tshark: \(r.stderr)") }
            return r.stdout.split(separator: "\n").count
        }
        var c = TsharkTCPCheck()
        c.frames = try count("tcp")
        // Wireshark's checksum status: 0 bad, 1 good, 2 unverified.
        c.badChecksums = try count("tcp.checksum.status == 0 || ip.checksum.status == 0")
        c.goodChecksums = try count("tcp.checksum.status == 1 && ip.checksum.status == 1")
        c.windowExceeded = try outsideWindow(capture, tshark: tshark, from: source)
        c.ackOfUnseen = try count("tcp.analysis.ack_lost_segment")
        return c
    }

    /// Segments from `source` whose last byte lies beyond the window the other end last
    /// advertised (ACK + window, no scaling: Tickwire offers none), from tshark's relative
    /// sequence numbers. A zero-window probe (one byte below the ACK) is not counted.
    static func outsideWindow(_ capture: String, tshark: String, from source: String) throws -> Int {
        let r = try sh(tshark, ["-n", "-r", capture, "-Y", "tcp", "-T", "fields", "-e", "ip.src", "-e", "tcp.seq", "-e", "tcp.len",
                                "-e", "tcp.ack", "-e", "tcp.window_size_value", "-e", "tcp.flags.syn"], timeout: 120)
        var edge: Int?
        var outside = 0
        for line in r.stdout.split(separator: "\n") {
            let f = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            guard f.count == 6, let seq = Int(f[1]), let len = Int(f[2]) else { continue }
            if f[0] == source {
                if len > 0, let e = edge, seq + len > e { outside += 1 }
            } else if let ack = Int(f[3]), let win = Int(f[4]), f[5] != "1" {
                edge = ack + win
            }
        }
        return outside
    }
}
