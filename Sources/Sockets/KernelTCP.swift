// Kernel TCP for order entry (SoupBinTCP): a non-blocking listener for the venue simulator and
// non-blocking connections for both sides. Every system call goes through `Syscall`
// (TickwireCore: EINTR retried, errno a SystemError naming the call, a bug's errno a
// precondition), and none raises SIGPIPE (MSG_NOSIGNAL). Nagle is off on every connection
// (TCP_NODELAY): order messages are small and must leave at once. Tickwire's own TCP on the DPDK
// port (`Net`) offers the same small surface (`ByteStreamTransport`).
import CShims
public import Packets
public import TickwireCore
#if canImport(Glibc)
import Glibc
#endif

/// A non-blocking TCP socket that does not leak into child processes.
let streamFlags = Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue)

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
    _ = Syscall.call("getsockname(\(fd))") {
        withUnsafeMutablePointer(to: &sa) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) } }
    }
    return (IPv4Address(value: UInt32(bigEndian: sa.sin_addr.s_addr)), UInt16(bigEndian: sa.sin_port))
}

/// A listening TCP socket; `accept` never blocks.
public final class TCPListener: @unchecked Sendable {
    public let fd: Int32
    public let address: IPv4Address
    public let port: UInt16

    /// Listens on `address:port` (port 0: any free port, see `port`).
    public init(address: IPv4Address, port: UInt16, backlog: Int32 = 64) throws(SystemError) {
        let fd = try Syscall.checked("socket(AF_INET, SOCK_STREAM)") { socket(AF_INET, streamFlags, 0) }
        do throws(SystemError) {
            var one: Int32 = 1
            _ = try Syscall.checked("setsockopt(SO_REUSEADDR)") { setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size)) }
            var sa = sockaddrIn(address, port)
            _ = try Syscall.checked("bind(\(address):\(port))") {
                withUnsafePointer(to: &sa) {
                    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
                }
            }
            _ = try Syscall.checked("listen(\(address):\(port))") { listen(fd, backlog) }
        } catch {
            Syscall.close(fd)
            throw error
        }
        self.fd = fd
        self.address = address
        self.port = localAddress(fd).1
    }

    deinit { Syscall.close(fd) }

    /// A pending connection, or nil when there is none (or on a transient error: a connection
    /// reset before it was accepted, descriptors exhausted; the next call tries again).
    public func accept() -> TCPConnection? {
        var sa = sockaddr_in()
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        let accepted = Syscall.call("accept(\(fd))") {
            withUnsafeMutablePointer(to: &sa) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.accept(fd, $0, &len) } }
        }
        guard case .success(let c) = accepted else { return nil }
        // accept4 is not exported to Swift: set the flags by hand.
        let flags = (try? Syscall.checked("fcntl(F_GETFL)") { fcntl(c, F_GETFL) }) ?? 0
        _ = Syscall.call("fcntl(F_SETFL)") { fcntl(c, F_SETFL, flags | O_NONBLOCK) }
        _ = Syscall.call("fcntl(F_SETFD)") { fcntl(c, F_SETFD, FD_CLOEXEC) }
        return TCPConnection(adopting: c, peer: IPv4Address(value: UInt32(bigEndian: sa.sin_addr.s_addr)),
                             peerPort: UInt16(bigEndian: sa.sin_port))
    }
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
        _ = Syscall.call("setsockopt(TCP_NODELAY)") { setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size)) }
        var busy = Self.busyPollRequest
        if case .success = Syscall.call("setsockopt(SO_BUSY_POLL)", { setsockopt(fd, SOL_SOCKET, tw_so_busy_poll(), &busy, socklen_t(MemoryLayout<Int32>.size)) }) {
            var got: Int32 = 0
            var len = socklen_t(MemoryLayout<Int32>.size)
            if case .success = Syscall.call("getsockopt(SO_BUSY_POLL)", { getsockopt(fd, SOL_SOCKET, tw_so_busy_poll(), &got, &len) }) {
                busyPollMicros = got
            }
        }
        (local, localPort) = localAddress(fd)
    }

    /// Connects (blocking, up to `timeoutMillis`), then switches the socket to non-blocking.
    public static func connect(to ip: IPv4Address, port: UInt16, timeoutMillis: Int32 = 2000) throws(SystemError) -> TCPConnection {
        let fd = try Syscall.checked("socket(AF_INET, SOCK_STREAM)") { socket(AF_INET, streamFlags, 0) }
        let call = "connect(\(ip):\(port))"
        var sa = sockaddrIn(ip, port)
        let started = Syscall.call(call) {
            withUnsafePointer(to: &sa) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
        }
        do throws(SystemError) {
            switch started {
            case .success: break
            case .failure(let e) where e.code == EINPROGRESS:
                var p = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
                let n = try Syscall.checked("poll(\(call))") { poll(&p, 1, timeoutMillis) }
                if n == 0 { throw SystemError(call: call, errno: ETIMEDOUT, reason: "timed out after \(timeoutMillis) ms") }
                var err: Int32 = 0
                var len = socklen_t(MemoryLayout<Int32>.size)
                _ = try Syscall.checked("getsockopt(SO_ERROR)") { getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) }
                if err != 0 { throw Errno(err).error(call) }
            case .failure(let e):
                throw e.error(call)
            }
        } catch {
            Syscall.close(fd)
            throw error
        }
        return TCPConnection(adopting: fd, peer: ip, peerPort: port)
    }

    deinit { close() }

    public var isOpen: Bool { fd >= 0 }

    public func close() {
        if fd >= 0 {
            Syscall.close(fd)
            fd = -1
        }
    }

    /// Reads what is available into `buffer`.
    public func receive(into buffer: UnsafeMutableRawBufferPointer) -> TransportRead {
        guard fd >= 0 else { return .closed }
        switch Syscall.call("recv(\(fd))", { recv(fd, buffer.baseAddress, buffer.count, 0) }) {
        case .success(let n): return n > 0 ? .bytes(n) : .closed
        case .failure(let e): return e.wouldBlock ? .wouldBlock : .error(e.code)
        }
    }

    /// Writes as much of `bytes` as the kernel takes now: the count written, 0 when the socket
    /// buffer is full, or a negated errno (EPIPE/ECONNRESET: the peer is gone).
    public func send(_ bytes: UnsafeRawBufferPointer) -> Int {
        guard fd >= 0 else { return -Int(EBADF) }
        if bytes.isEmpty { return 0 }
        switch Syscall.call("send(\(fd))", { Glibc.send(fd, bytes.baseAddress, bytes.count, Int32(MSG_NOSIGNAL)) }) {
        case .success(let n): return n
        case .failure(let e): return e.wouldBlock ? 0 : -Int(e.code)
        }
    }

    /// Waits until the socket is readable (or `timeoutMillis` passes); true if readable.
    public func waitReadable(timeoutMillis: Int32) -> Bool {
        guard fd >= 0 else { return false }
        return Syscall.waitReadable(fd, timeoutMillis: timeoutMillis)
    }
}
