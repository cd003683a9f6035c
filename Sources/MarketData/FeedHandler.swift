// The market-data feed handler's front: Ethernet frames (from a DPDK port or a capture) or UDP
// payloads (from kernel sockets) are routed by destination group and port to line A or line B
// of one MoldUDP64 session. Anything else on the wire is counted and ignored.
public import Packets
import CShims

/// A multicast group (or unicast address) and UDP port, written "233.54.12.111:26477".
public struct FeedAddress: Hashable, Sendable, CustomStringConvertible {
    public var ip: IPv4Address
    public var port: UInt16

    public init(ip: IPv4Address, port: UInt16) {
        self.ip = ip
        self.port = port
    }

    public init?(_ text: String) {
        let parts = text.split(separator: ":")
        guard parts.count == 2, let ip = IPv4Address(String(parts[0])), let port = UInt16(parts[1]) else { return nil }
        self.init(ip: ip, port: port)
    }

    public var description: String { "\(ip):\(port)" }

    /// NASDAQ TotalView-ITCH's customary A and B groups (the replay's defaults).
    public static let defaultA = FeedAddress(ip: IPv4Address(233, 54, 12, 111), port: 26477)
    public static let defaultB = FeedAddress(ip: IPv4Address(233, 49, 196, 111), port: 26477)
}

public struct FeedFrameCounters: Sendable, Equatable {
    public var frames: UInt64 = 0
    public var drops = FrameDropCounters()
    /// Valid UDP datagrams for other groups or ports.
    public var otherTraffic: UInt64 = 0
    public init() {}
}

public final class MoldFeedHandler<Consumer: MoldUDP64Consumer, Requester: MoldUDP64Requester> {
    public let lineA: FeedAddress
    public let lineB: FeedAddress
    public let session: MoldUDP64Session<Consumer, Requester>
    public private(set) var frameCounters = FeedFrameCounters()
    public let verifyIPChecksum: Bool
    /// Check each datagram's UDP checksum in software when the NIC gave no verdict (a bad one is
    /// a counted drop, and the session re-requests it like a lost packet).
    public let verifyUDPChecksum: Bool

    public init(lineA: FeedAddress, lineB: FeedAddress, consumer: Consumer, requester: Requester,
                configuration: MoldUDP64Configuration = .init(), verifyIPChecksum: Bool = true, verifyUDPChecksum: Bool = true) {
        self.lineA = lineA
        self.lineB = lineB
        self.verifyIPChecksum = verifyIPChecksum
        self.verifyUDPChecksum = verifyUDPChecksum
        session = MoldUDP64Session(consumer: consumer, requester: requester, configuration: configuration)
    }

    /// One Ethernet frame received at `now` (ns). `flags` are the descriptor's (`tw_pkt.flags`):
    /// the NIC's checksum verdicts are taken where the PMD gives them; without them the IPv4
    /// header and UDP checksums are checked here (as configured).
    @inline(__always)
    public func onFrame(_ frame: UnsafeRawBufferPointer, now: UInt64, flags: UInt32 = 0) {
        frameCounters.frames &+= 1
        switch parseUDPFrame(frame, flags: flags, verifyIPChecksum: verifyIPChecksum, verifyUDPChecksum: verifyUDPChecksum) {
        case .dropped(let why):
            frameCounters.drops.count(why)
        case .udp(let u):
            onDatagram(u.payload, destination: FeedAddress(ip: u.destinationIP, port: u.destinationPort), now: now)
        }
    }

    /// One UDP payload addressed to `destination` (kernel sockets hand these over directly).
    @inline(__always)
    public func onDatagram(_ payload: UnsafeRawBufferPointer, destination: FeedAddress, now: UInt64) {
        if destination == lineA {
            session.onPacket(payload, line: .a, now: now)
        } else if destination == lineB {
            session.onPacket(payload, line: .b, now: now)
        } else {
            frameCounters.otherTraffic &+= 1
        }
    }
}
