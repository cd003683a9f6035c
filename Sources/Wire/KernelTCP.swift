// Kernel TCP for order entry (SoupBinTCP): a non-blocking listener for the venue simulator and
// non-blocking connections for both sides. One choke point per call family: every syscall here
// retries EINTR, turns errno into a SystemError naming the call, and never raises SIGPIPE
// (MSG_NOSIGNAL). Nagle is off on every connection (TCP_NODELAY): order messages are small and
// must leave at once. The kernel-bypass TCP transport of a later issue replaces this behind the
// same small surface (connect, send, receive, close).
import CShims
public import TickwireCore
#if canImport(Glibc)
import Glibc
#endif

@inline(__always)
func errnoError(_ call: String) -> SystemError {
    let e = errno
    return SystemError(call: call, errno: e, reason: String(cString: strerror(e)))
}

func sockaddrIn(_ ip: IPv4Address, _ port: UInt16) -> sockaddr_in {
    var sa = sockaddr_in()
    sa.sin_family = sa_family_t(AF_INET)
    sa.sin_port = port.bigEndian
    sa.sin_addr.s_addr = ip.value.bigEndian
    return sa
}

func localAddress(_ fd: Int32) -> (IPv4Address, UInt16) {
    var sa = sockaddr_in()
    var len = socklen_t(MemoryLayout<sockaddr_in>.size)
    _ = withUnsafeMutablePointer(to: &sa) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) } }
    return (IPv4Address(value: UInt32(bigEndian: sa.sin_addr.s_addr)), UInt16(bigEndian: sa.sin_port))
}

/// A listening TCP socket; `accept` never blocks.
public final class TCPListener: @unchecked Sendable {
    public let fd: Int32
    public let address: IPv4Address
    public let port: UInt16

    /// Listens on `address:port` (port 0: any free port, see `port`).
    public init(address: IPv4Address, port: UInt16, backlog: Int32 = 64) throws(SystemError) {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw errnoError("socket(AF_INET, SOCK_STREAM)") }
        var one: Int32 = 1
        _ = setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var sa = sockaddrIn(address, port)
        let bound = withUnsafePointer(to: &sa) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0 else {
            let e = errnoError("bind(\(address):\(port))")
            close(fd)
            throw e
        }
        guard listen(fd, backlog) == 0 else {
            let e = errnoError("listen(\(address):\(port))")
            close(fd)
            throw e
        }
        self.fd = fd
        self.address = address
        self.port = localAddress(fd).1
    }

    deinit { close(fd) }

    /// A pending connection, or nil when there is none (or on a transient error).
    public func accept() -> TCPConnection? {
        while true {
            var sa = sockaddr_in()
            var len = socklen_t(MemoryLayout<sockaddr_in>.size)
            let c = withUnsafeMutablePointer(to: &sa) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.accept(fd, $0, &len) }
            }
            if c >= 0 {
                // accept4 is not exported to Swift: set the flags by hand.
                _ = fcntl(c, F_SETFL, fcntl(c, F_GETFL) | O_NONBLOCK)
                _ = fcntl(c, F_SETFD, FD_CLOEXEC)
                return TCPConnection(adopting: c, peer: IPv4Address(value: UInt32(bigEndian: sa.sin_addr.s_addr)),
                                     peerPort: UInt16(bigEndian: sa.sin_port))
            }
            if errno == EINTR { continue }
            return nil
        }
    }
}

/// What an order gateway needs from a byte-stream transport: the kernel's TCP today
/// (`TCPConnection`), a kernel-bypass TCP later. Generic callers, no existentials.
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

/// One non-blocking TCP connection. `send` writes what the kernel takes now; the caller keeps
/// the rest (an order gateway must know what is on the wire).
public final class TCPConnection: ByteStreamTransport, @unchecked Sendable {
    public private(set) var fd: Int32
    public let peer: IPv4Address
    public let peerPort: UInt16
    public let local: IPv4Address
    public let localPort: UInt16
    /// Microseconds the kernel busy-polls the device queue on a blocking-style read of this
    /// socket (SO_BUSY_POLL), or 0 when the kernel refused it (raising it above
    /// net.core.busy_poll needs CAP_NET_ADMIN; kernels without CONFIG_NET_RX_BUSY_POLL lack it).
    public private(set) var busyPollMicros: Int32 = 0
    /// What `TCPConnection`s ask for.
    public static let busyPollRequest: Int32 = 50

    init(adopting fd: Int32, peer: IPv4Address, peerPort: UInt16) {
        self.fd = fd
        self.peer = peer
        self.peerPort = peerPort
        var one: Int32 = 1
        _ = setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        var busy = Self.busyPollRequest
        if setsockopt(fd, SOL_SOCKET, tw_so_busy_poll(), &busy, socklen_t(MemoryLayout<Int32>.size)) == 0 {
            var got: Int32 = 0
            var len = socklen_t(MemoryLayout<Int32>.size)
            if getsockopt(fd, SOL_SOCKET, tw_so_busy_poll(), &got, &len) == 0 { busyPollMicros = got }
        }
        (local, localPort) = localAddress(fd)
    }

    /// Connects (blocking, up to `timeoutMillis`), then switches the socket to non-blocking.
    public static func connect(to ip: IPv4Address, port: UInt16, timeoutMillis: Int32 = 2000) throws(SystemError) -> TCPConnection {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw errnoError("socket(AF_INET, SOCK_STREAM)") }
        var sa = sockaddrIn(ip, port)
        var r: Int32
        repeat {
            r = withUnsafePointer(to: &sa) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
        } while r < 0 && errno == EINTR
        if r < 0 && errno != EINPROGRESS {
            let e = errnoError("connect(\(ip):\(port))")
            Glibc.close(fd)
            throw e
        }
        if r < 0 {
            var p = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
            var n: Int32
            repeat { n = poll(&p, 1, timeoutMillis) } while n < 0 && errno == EINTR
            if n == 0 {
                Glibc.close(fd)
                throw SystemError(call: "connect(\(ip):\(port))", errno: ETIMEDOUT, reason: "timed out after \(timeoutMillis) ms")
            }
            var err: Int32 = 0
            var len = socklen_t(MemoryLayout<Int32>.size)
            _ = getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len)
            if n < 0 || err != 0 {
                let e = n < 0 ? errno : err
                Glibc.close(fd)
                throw SystemError(call: "connect(\(ip):\(port))", errno: e, reason: String(cString: strerror(e)))
            }
        }
        return TCPConnection(adopting: fd, peer: ip, peerPort: port)
    }

    deinit { close() }

    public var isOpen: Bool { fd >= 0 }

    public func close() {
        if fd >= 0 {
            _ = Glibc.close(fd)
            fd = -1
        }
    }

    /// Reads what is available into `buffer`.
    public func receive(into buffer: UnsafeMutableRawBufferPointer) -> TransportRead {
        guard fd >= 0 else { return .closed }
        while true {
            let n = recv(fd, buffer.baseAddress, buffer.count, 0)
            if n > 0 { return .bytes(n) }
            if n == 0 { return .closed }
            if errno == EINTR { continue }
            if errno == EAGAIN || errno == EWOULDBLOCK { return .wouldBlock }
            return .error(errno)
        }
    }

    /// Writes as much of `bytes` as the kernel takes now: the count written, 0 when the socket
    /// buffer is full, or a negated errno (EPIPE/ECONNRESET: the peer is gone).
    public func send(_ bytes: UnsafeRawBufferPointer) -> Int {
        guard fd >= 0 else { return -Int(EBADF) }
        if bytes.isEmpty { return 0 }
        while true {
            let n = Glibc.send(fd, bytes.baseAddress, bytes.count, Int32(MSG_NOSIGNAL))
            if n >= 0 { return n }
            if errno == EINTR { continue }
            if errno == EAGAIN || errno == EWOULDBLOCK { return 0 }
            return -Int(errno)
        }
    }

    /// Waits until the socket is readable (or `timeoutMillis` passes); true if readable.
    public func waitReadable(timeoutMillis: Int32) -> Bool {
        guard fd >= 0 else { return false }
        var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        var n: Int32
        repeat { n = poll(&p, 1, timeoutMillis) } while n < 0 && errno == EINTR
        return n > 0
    }
}
