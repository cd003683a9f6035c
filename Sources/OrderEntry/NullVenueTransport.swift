// A transport that plays a venue which accepts any login and then only listens: it hands the
// gateway one Login Accepted, takes every byte sent and answers nothing. For measuring the
// gateway's own path (`tickwire bench gateway`, the package-benchmarks), never for trading.
public import TickwireCore

public final class NullVenueTransport: ByteStreamTransport {
    let login: [UInt8]
    var delivered = false
    public private(set) var bytesSent: UInt64 = 0
    public private(set) var isOpen = true

    public init(session: String = "NULLVENUE", nextSequence: UInt64 = 1) {
        var b = [UInt8](repeating: 0, count: 64)
        let n = b.withUnsafeMutableBytes {
            SoupBinTCP.encodeLoginAccepted(into: $0, session: SoupBinTCP.session(session) ?? SoupBinTCP.session("NULL")!,
                                           sequenceNumber: nextSequence) ?? 0
        }
        login = Array(b[0..<n])
    }

    public func send(_ bytes: UnsafeRawBufferPointer) -> Int {
        bytesSent &+= UInt64(bytes.count)
        return bytes.count
    }

    public func receive(into buffer: UnsafeMutableRawBufferPointer) -> TransportRead {
        guard isOpen else { return .closed }
        if delivered { return .wouldBlock }
        delivered = true
        login.withUnsafeBytes { buffer.baseAddress!.copyMemory(from: $0.baseAddress!, byteCount: login.count) }
        return .bytes(login.count)
    }

    public func close() { isOpen = false }
}
