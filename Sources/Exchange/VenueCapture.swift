// `--capture F`: everything the venue sends and receives, as a pcap with nanosecond timestamps.
//
// The venue talks through the kernel's sockets, which hand it payloads, not frames; so each
// payload is written into an Ethernet/IPv4/UDP or TCP frame rebuilt around it: the real
// addresses and ports of the socket, and for TCP a sequence and acknowledgment numbering per
// connection that starts with a handshake and follows the bytes exactly, so that tshark
// reassembles the stream as the peer saw it. The payload bytes are the bytes given to or
// returned by the socket; the timestamp is CLOCK_REALTIME when that happened.
import CShims
public import MarketData
import Packets
public import Sockets
public import Capture

public final class VenueCapture {
    public let path: String
    let writer: PcapWriter
    let frame: UnsafeMutableRawBufferPointer
    public private(set) var frames: UInt64 = 0
    public private(set) var writeErrors: UInt64 = 0
    static let venueMAC = MACAddress(2, 0, 0, 0, 0, 1)
    static let peerMAC = MACAddress(2, 0, 0, 0, 0, 2)

    public init(path: String) throws(CaptureError) {
        self.path = path
        writer = try PcapWriter(path: path, format: .pcapNano)
        frame = .allocate(byteCount: 70_000, alignment: 8)
    }

    deinit { frame.deallocate() }

    public func close() throws(CaptureError) { try writer.close() }

    func write(_ n: Int?) {
        guard let n else {
            writeErrors += 1
            return
        }
        do {
            try writer.write(UnsafeRawBufferPointer(rebasing: frame[0..<n]), timestampNanos: UInt64(max(tw_clock_realtime_ns(), 0)))
            frames += 1
        } catch {
            writeErrors += 1
        }
    }

    /// A UDP datagram.
    public func udp(_ payload: UnsafeRawBufferPointer, from source: FeedAddress, to destination: FeedAddress) {
        let dstMAC = destination.ip.isMulticast ? destination.ip.multicastMAC : Self.peerMAC
        write(FrameBuilder.udpFrame(into: frame, srcMAC: Self.venueMAC, dstMAC: dstMAC, srcIP: source.ip, dstIP: destination.ip,
                                    srcPort: source.port, dstPort: destination.port, payload: payload))
    }

    /// One TCP connection's numbering, for rebuilding its segments.
    public struct TCPFlow: Sendable {
        public var client: FeedAddress
        public var server: FeedAddress
        var clientNext: UInt32
        var serverNext: UInt32
        public init(client: FeedAddress, server: FeedAddress, clientISN: UInt32 = 1_000, serverISN: UInt32 = 500_000) {
            self.client = client
            self.server = server
            clientNext = clientISN
            serverNext = serverISN
        }
    }

    /// The three-way handshake of a new connection.
    public func tcpOpen(_ f: inout TCPFlow) {
        segment(from: f.client, to: f.server, seq: f.clientNext, ack: 0, flags: .syn, payload: nil)
        segment(from: f.server, to: f.client, seq: f.serverNext, ack: f.clientNext &+ 1, flags: [.syn, .ack], payload: nil)
        f.clientNext &+= 1
        f.serverNext &+= 1
        segment(from: f.client, to: f.server, seq: f.clientNext, ack: f.serverNext, flags: .ack, payload: nil)
    }

    /// Bytes the venue sent (`fromServer`) or received on the connection.
    public func tcpData(_ f: inout TCPFlow, fromServer: Bool, _ payload: UnsafeRawBufferPointer) {
        var off = 0
        while off < payload.count {
            let n = min(payload.count - off, 65_000)
            let chunk = UnsafeRawBufferPointer(rebasing: payload[off..<(off + n)])
            if fromServer {
                segment(from: f.server, to: f.client, seq: f.serverNext, ack: f.clientNext, flags: [.psh, .ack], payload: chunk)
                f.serverNext &+= UInt32(n)
            } else {
                segment(from: f.client, to: f.server, seq: f.clientNext, ack: f.serverNext, flags: [.psh, .ack], payload: chunk)
                f.clientNext &+= UInt32(n)
            }
            off += n
        }
    }

    /// The close, from whichever side closed first.
    public func tcpClose(_ f: inout TCPFlow, byServer: Bool) {
        if byServer {
            segment(from: f.server, to: f.client, seq: f.serverNext, ack: f.clientNext, flags: [.fin, .ack], payload: nil)
            f.serverNext &+= 1
            segment(from: f.client, to: f.server, seq: f.clientNext, ack: f.serverNext, flags: [.fin, .ack], payload: nil)
            f.clientNext &+= 1
            segment(from: f.server, to: f.client, seq: f.serverNext, ack: f.clientNext, flags: .ack, payload: nil)
        } else {
            segment(from: f.client, to: f.server, seq: f.clientNext, ack: f.serverNext, flags: [.fin, .ack], payload: nil)
            f.clientNext &+= 1
            segment(from: f.server, to: f.client, seq: f.serverNext, ack: f.clientNext, flags: [.fin, .ack], payload: nil)
            f.serverNext &+= 1
            segment(from: f.client, to: f.server, seq: f.clientNext, ack: f.serverNext, flags: .ack, payload: nil)
        }
    }

    func segment(from: FeedAddress, to: FeedAddress, seq: UInt32, ack: UInt32, flags: TCPFlags, payload: UnsafeRawBufferPointer?) {
        write(FrameBuilder.tcpSegment(into: frame, srcMAC: Self.venueMAC, dstMAC: Self.peerMAC, srcIP: from.ip, dstIP: to.ip,
                                      srcPort: from.port, dstPort: to.port, sequence: seq, acknowledgment: ack, flags: flags,
                                      window: 65_535, payload: payload ?? UnsafeRawBufferPointer(start: nil, count: 0)))
    }
}

/// The venue's UDP side: datagrams to the kernel (when a sender is given) and to the capture.
public struct UDPFeedOutput: PacketOutput {
    public let sender: KernelUDPSender?
    public let capture: VenueCapture?
    public let source: FeedAddress
    public private(set) var sendErrors: UInt64 = 0
    public private(set) var datagrams: UInt64 = 0

    public init(sender: KernelUDPSender?, capture: VenueCapture?, source: FeedAddress) {
        self.sender = sender
        self.capture = capture
        self.source = source
    }

    public mutating func send(_ payload: UnsafeRawBufferPointer, line: FeedLine, to destination: FeedAddress) {
        datagrams += 1
        if let sender, sender.send(payload, to: destination.ip, port: destination.port) < 0 { sendErrors += 1 }
        capture?.udp(payload, from: source, to: destination)
    }
}
