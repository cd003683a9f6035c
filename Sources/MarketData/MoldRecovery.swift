// Re-request transport over the kernel's UDP: the client side used by the feed handler, and a
// small re-request server answering from an in-memory message store (tests and replays; the
// venue simulator brings its own, built on the same store).
public import CShims
public import TickwireCore
public import Packets
import Sockets
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// Sends MoldUDP64 re-requests from an ephemeral UDP port and receives the answers on it.
/// A struct over a shared socket: the session calls it in place, so a re-request costs no
/// retain or release of a class (a class here cost one per gap: `ApplianceRun_*` benchmark).
/// Copies share the socket, which closes with the last of them.
public struct UDPRecoveryClient: MoldUDP64Requester, @unchecked Sendable {
    public let server: IPv4Address
    public let port: UInt16
    /// The socket and the request's buffer; the fields below are read from them once, and the
    /// loop touches only those (reading `owner` would retain it).
    private let owner: Owner
    private let fd: Int32
    private let batch: OpaquePointer
    private let request: UnsafeMutableRawBufferPointer

    final class Owner {
        let socket: KernelUDPReceiver
        let request = UnsafeMutableRawBufferPointer.allocate(byteCount: MoldUDP64Packet.headerLength, alignment: 8)
        init(_ socket: KernelUDPReceiver) {
            self.socket = socket
            request.initializeMemory(as: UInt8.self, repeating: 0)
        }
        deinit { request.deallocate() }
    }

    public init(server: IPv4Address, port: UInt16) throws(SystemError) {
        self.server = server
        self.port = port
        // Bound to 0.0.0.0:0 (an ephemeral port): the server answers to where the request came from.
        owner = Owner(try KernelUDPReceiver(group: IPv4Address(0, 0, 0, 0), port: 0, batch: 64))
        fd = owner.socket.fd
        batch = owner.socket.batch
        request = owner.request
    }

    public mutating func requestRetransmission(session: MoldSession, sequence: UInt64, count: UInt16) -> Bool {
        let n = MoldUDP64Packet.writeHeader(into: request, session: session, sequence: sequence, count: count) ?? 0
        // net.c's TW_SYSCALL retried EINTR; a failure (-errno) is a request not sent.
        let sent = Int(tw_udp_sendto(fd, request.baseAddress.unsafelyUnwrapped.assumingMemoryBound(to: UInt8.self), UInt32(n),
                                     server.value.bigEndian, port))
        return sent == n
    }

    /// Answers waiting on the socket (non-blocking), valid until the next call.
    /// Returns the count, or -errno from net.c's TW_SYSCALL.
    public func receive(into pkts: UnsafeMutablePointer<tw_pkt>, capacity: Int) -> Int {
        Int(tw_udp_recv_batch(fd, batch, pkts, UInt32(capacity), nil, nil))
    }

    /// Waits up to `timeoutMillis` for an answer to arrive (poll(2)); true when one is waiting.
    public func wait(timeoutMillis: Int32) -> Bool {
        Syscall.waitReadable(fd, timeoutMillis: timeoutMillis)
    }
}

/// The messages of one MoldUDP64 session by sequence number (1-based), for answering re-requests.
/// A venue appends while its re-request server answers, so both take one mutex (the store is
/// the venue's, not the appliance's hot path).
public final class MoldMessageStore: @unchecked Sendable {
    public let session: MoldSession
    private var bytes: [UInt8] = []
    private var offsets: [Int] = [0]  // message i (0-based) is bytes[offsets[i]..<offsets[i+1]]
    private let lock: UnsafeMutablePointer<pthread_mutex_t>

    public init(session: MoldSession) {
        self.session = session
        lock = .allocate(capacity: 1)
        pthread_mutex_init(lock, nil)
    }

    deinit {
        pthread_mutex_destroy(lock)
        lock.deallocate()
    }

    /// Appends the next message; returns its sequence number.
    @discardableResult
    public func append(_ message: UnsafeRawBufferPointer) -> UInt64 {
        pthread_mutex_lock(lock)
        defer { pthread_mutex_unlock(lock) }
        bytes.append(contentsOf: message)
        offsets.append(bytes.count)
        return UInt64(offsets.count - 1)
    }

    /// Appends the messages of a MoldUDP64 packet body (each preceded by its 2-byte length),
    /// under one lock; stops at a length that runs past the end. Returns how many it appended.
    @discardableResult
    public func appendBlock(_ block: UnsafeRawBufferPointer) -> Int {
        pthread_mutex_lock(lock)
        defer { pthread_mutex_unlock(lock) }
        var off = 0
        var n = 0
        while off + 2 <= block.count {
            let len = Int(block[off]) << 8 | Int(block[off + 1])
            guard off + 2 + len <= block.count else { break }
            bytes.append(contentsOf: UnsafeRawBufferPointer(rebasing: block[(off + 2)..<(off + 2 + len)]))
            offsets.append(bytes.count)
            off += 2 + len
            n += 1
        }
        return n
    }

    public var count: Int {
        pthread_mutex_lock(lock)
        defer { pthread_mutex_unlock(lock) }
        return offsets.count - 1
    }

    /// Every stored message in sequence (under the lock: not while a server answers from it).
    public func forEachMessage(_ body: (UnsafeRawBufferPointer) -> Void) {
        pthread_mutex_lock(lock)
        defer { pthread_mutex_unlock(lock) }
        bytes.withUnsafeBytes { raw in
            for i in 0..<(offsets.count - 1) { body(UnsafeRawBufferPointer(rebasing: raw[offsets[i]..<offsets[i + 1]])) }
        }
    }

    /// Builds the packets answering a re-request for `count` messages from `sequence`, each at
    /// most `maxPacketBytes`, and passes them to `send`.
    public func answer(sequence: UInt64, count: UInt16, maxPacketBytes: Int = 1400,
                       _ send: (UnsafeRawBufferPointer) -> Void) {
        guard sequence >= 1, sequence < UInt64(Int.max / 2) else { return }
        pthread_mutex_lock(lock)
        defer { pthread_mutex_unlock(lock) }
        let stored = offsets.count - 1
        let first = Int(sequence) - 1
        let last = min(first + Int(count), stored)
        if first >= last { return }
        var packet = [UInt8](repeating: 0, count: max(maxPacketBytes, 64 * 1024))
        var i = first
        while i < last {
            var off = MoldUDP64Packet.headerLength
            var n = 0
            while i + n < last {
                let len = offsets[i + n + 1] - offsets[i + n]
                if n > 0 && off + 2 + len > maxPacketBytes { break }
                packet[off] = UInt8(len >> 8)
                packet[off + 1] = UInt8(len & 0xFF)
                packet.replaceSubrange((off + 2)..<(off + 2 + len), with: bytes[offsets[i + n]..<offsets[i + n + 1]])
                off += 2 + len
                n += 1
            }
            packet.withUnsafeMutableBytes {
                _ = MoldUDP64Packet.writeHeader(into: $0, session: session, sequence: UInt64(i + 1), count: UInt16(n))
            }
            packet.withUnsafeBytes { send(UnsafeRawBufferPointer(rebasing: $0[0..<off])) }
            i += n
        }
    }
}

/// A MoldUDP64 re-request server on a kernel UDP socket, answering from a `MoldMessageStore`
/// on its own thread. Requests for another session, or malformed ones, are counted and ignored.
public final class MoldRetransmitServer: @unchecked Sendable {
    public let store: MoldMessageStore
    public let port: UInt16
    private let fd: Int32
    private let stopFlag = Atomic<Bool>(false)
    private let requestsServed = Atomic<UInt64>(0)
    private let requestsIgnored = Atomic<UInt64>(0)
    private var thread: pthread_t?
    /// Requests to drop on purpose before answering (fault injection for tests).
    public let dropFirstRequests: Int

    public init(store: MoldMessageStore, address: IPv4Address = IPv4Address(127, 0, 0, 1), port: UInt16 = 0,
                dropFirstRequests: Int = 0) throws(SystemError) {
        self.store = store
        self.dropFirstRequests = dropFirstRequests
        var step: UnsafePointer<CChar>? = nil
        let fd = try Syscall.shimChecked(step.map { String(cString: $0) } ?? "socket", tw_udp_open_rx(address.value.bigEndian, port, 0, 1 << 20, &step))
        self.fd = fd
        var sa = sockaddr_in()
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = Syscall.call("getsockname(\(fd))") {
            withUnsafeMutablePointer(to: &sa) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) } }
        }
        self.port = UInt16(bigEndian: sa.sin_port)
    }

    public var served: UInt64 { requestsServed.load(ordering: .acquiring) }
    public var ignored: UInt64 { requestsIgnored.load(ordering: .acquiring) }

    public func start() {
        let box = Unmanaged.passRetained(self)
        var t = pthread_t()
        let rc = pthread_create(&t, nil, { arg in
            let server = Unmanaged<MoldRetransmitServer>.fromOpaque(arg!).takeRetainedValue()
            server.serve()
            return nil
        }, box.toOpaque())
        // Out of threads at set-up: the venue cannot offer the re-request service it promised.
        precondition(rc == 0, "pthread_create(re-request server): \(Errno(rc))")
        thread = t
    }

    public func stop() {
        stopFlag.store(true, ordering: .releasing)
        if let t = thread { pthread_join(t, nil) }
        thread = nil
    }

    deinit { Syscall.close(fd) }

    private func serve() {
        var buf = [UInt8](repeating: 0, count: 2048)
        var from = sockaddr_in()
        var seen = 0
        while !stopFlag.load(ordering: .acquiring) {
            guard Syscall.waitReadable(fd, timeoutMillis: 20) else { continue }
            var len = socklen_t(MemoryLayout<sockaddr_in>.size)
            let received = Syscall.call("recvfrom(re-request server)") {
                buf.withUnsafeMutableBytes { b in
                    withUnsafeMutablePointer(to: &from) {
                        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { recvfrom(fd, b.baseAddress, b.count, Int32(MSG_DONTWAIT), $0, &len) }
                    }
                }
            }
            guard case .success(let n) = received else { continue }
            let request = buf.withUnsafeBytes { MoldUDP64Packet.parseRequest(UnsafeRawBufferPointer(rebasing: $0[0..<n])) }
            guard let r = request, r.session == store.session, r.count > 0, r.count != 0xFFFF else {
                requestsIgnored.add(1, ordering: .relaxed)
                continue
            }
            seen += 1
            if seen <= dropFirstRequests { continue }
            let addr = from.sin_addr.s_addr, port = UInt16(bigEndian: from.sin_port)
            store.answer(sequence: r.sequence, count: r.count) { packet in
                _ = Syscall.shim("sendto(re-request answer)",
                                 tw_udp_sendto(fd, packet.baseAddress!.assumingMemoryBound(to: UInt8.self), UInt32(packet.count), addr, port))
            }
            requestsServed.add(1, ordering: .relaxed)
        }
    }
}
