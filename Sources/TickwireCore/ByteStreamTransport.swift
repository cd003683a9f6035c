// The byte stream an order session runs over, whoever carries it: the kernel's TCP
// (`Sockets.TCPConnection`), Tickwire's own TCP on the DPDK port (`Net.NetTCPConnection`), or an
// in-process venue (`OrderEntry.EchoVenueTransport`). Here, beside neither, so that the
// gateway depends on the contract and not on a network stack.

/// What an order gateway needs from a byte-stream transport: the kernel's TCP
/// (`TCPConnection`) or Tickwire's own. Generic callers, no existentials.
public protocol ByteStreamTransport: AnyObject {
    /// Writes what the transport takes now: the count, 0 if it is full, or a negated errno.
    func send(_ bytes: UnsafeRawBufferPointer) -> Int
    /// Reads what is available.
    func receive(into buffer: UnsafeMutableRawBufferPointer) -> TransportRead
    func close()
    var isOpen: Bool { get }

    /// Zero copy, send side: room, in the transport's own memory, for at most `maximum` bytes
    /// to be written in place and sent by `commitSend` (Tickwire's TCP hands out the payload
    /// area of the frame that will carry them, behind its prebuilt headers), or nil when it has
    /// none now (then `send` copies).
    func reserveSend(maximum: Int) -> UnsafeMutableRawBufferPointer?
    /// Sends the first `length` bytes written into the area `reserveSend` gave: the count, or a
    /// negated errno.
    func commitSend(length: Int) -> Int
    /// Zero copy, receive side: the next contiguous bytes that arrived in order, in the
    /// transport's memory, valid until `consumeReceived`; nil when there are none (or the
    /// transport has no such view: then `receive(into:)` copies, and says closed or failed).
    func peekReceived() -> UnsafeRawBufferPointer?
    /// Drops the first `count` bytes of what `peekReceived` showed.
    func consumeReceived(_ count: Int)
}

extension ByteStreamTransport {
    public func reserveSend(maximum: Int) -> UnsafeMutableRawBufferPointer? { nil }
    public func commitSend(length: Int) -> Int { -22 /* EINVAL: nothing was reserved */ }
    public func peekReceived() -> UnsafeRawBufferPointer? { nil }
    public func consumeReceived(_ count: Int) {}
}

public enum TransportRead: Equatable, Sendable {
    case bytes(Int)
    /// Nothing to read now.
    case wouldBlock
    /// The peer closed its side.
    case closed
    case error(Int32)
}
