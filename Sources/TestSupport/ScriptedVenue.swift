// A venue whose every word the test writes: tests and fuzz targets of the gateway's receive
// path, where the point is what the gateway does with messages a real venue would never send.
// It accepts any login (Login Accepted with the session's next sequence number), keeps every
// OUCH message the gateway sends, and delivers what the test queues: OUCH messages as
// Sequenced Data, or raw stream bytes. Test support, not product: it allocates freely.
import OrderEntry
public import TickwireCore

public final class ScriptedVenue: ByteStreamTransport {
    public private(set) var isOpen = true
    /// The OUCH messages the gateway sent (Unsequenced Data payloads), in order.
    public private(set) var received: [[UInt8]] = []
    /// Sequenced messages queued so far (the session's sequence number of the last one).
    public private(set) var sequence: UInt64 = 0
    /// Answers each message the gateway sends with messages of the test's choice (queued as
    /// Sequenced Data), e.g. an Accepted for every Enter Order.
    public var respond: ((ScriptedVenue, [UInt8]) -> Void)?
    var outbound: [UInt8] = []
    var read = 0
    var framer = SoupBinTCPFramer(direction: .fromClient)

    public init() {}

    /// Bytes the venue still takes (`Int.max`: all); 0 is a venue that stopped reading, whose
    /// socket buffer is full: sends take nothing until it is raised again.
    public var sendAllowance = Int.max

    public func send(_ all: UnsafeRawBufferPointer) -> Int {
        guard isOpen else { return -32 }  // EPIPE
        let bytes = UnsafeRawBufferPointer(rebasing: all[0..<min(all.count, sendAllowance)])
        if sendAllowance != .max { sendAllowance -= bytes.count }
        framer.feed(bytes)
        reading: while true {
            switch framer.next() {
            case .packet(let p):
                switch p.type {
                case .loginRequest:
                    var b = [UInt8](repeating: 0, count: 33)
                    _ = b.withUnsafeMutableBytes {
                        SoupBinTCP.encodeLoginAccepted(into: $0, session: SoupBinTCP.session("SCRIPT")!, sequenceNumber: sequence + 1)
                    }
                    outbound += b
                case .unsequencedData:
                    let m = Array(p.payload)
                    received.append(m)
                    respond?(self, m)
                case .logoutRequest:
                    isOpen = false
                default:
                    break
                }
            case .needMoreData:
                break reading
            case .failed:
                isOpen = false
                break reading
            }
        }
        return bytes.count
    }

    /// Queues one venue message as Sequenced Data.
    public func sequenced(_ message: [UInt8]) {
        var b = [UInt8](repeating: 0, count: message.count + 3)
        let n = b.withUnsafeMutableBytes { out in
            message.withUnsafeBytes { SoupBinTCP.encodeSequencedData(into: out, message: $0) }
        }
        guard let n else { return }
        outbound += b.prefix(n)
        sequence += 1
    }

    /// Queues one venue message made by an encoder writing into a scratch buffer.
    public func sequenced(_ encode: (UnsafeMutableRawBufferPointer) -> Int?) {
        var b = [UInt8](repeating: 0, count: 1024)
        guard let n = b.withUnsafeMutableBytes({ encode($0) }) else { return }
        sequenced(Array(b.prefix(n)))
    }

    /// Queues a Server Heartbeat (after a login it ends the venue's replay).
    public func heartbeat() {
        var b = [UInt8](repeating: 0, count: 3)
        _ = b.withUnsafeMutableBytes { SoupBinTCP.encodeEmpty(into: $0, type: .serverHeartbeat) }
        outbound += b
    }

    /// Queues bytes as they are: any stream, framed or not.
    public func raw(_ bytes: [UInt8]) { outbound += bytes }

    /// Ends the stream: the next reads see the peer's close.
    public func hangUp() { isOpen = false }

    public func receive(into buffer: UnsafeMutableRawBufferPointer) -> TransportRead {
        let n = min(buffer.count, outbound.count - read)
        if n == 0 { return isOpen ? .wouldBlock : .closed }
        outbound.withUnsafeBytes { buffer.baseAddress!.copyMemory(from: $0.baseAddress! + read, byteCount: n) }
        read += n
        if read == outbound.count {
            outbound.removeAll(keepingCapacity: true)
            read = 0
        }
        return .bytes(n)
    }

    public func close() { isOpen = false }
}
