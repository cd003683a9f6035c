// The kernel-socket backend: UDP (multicast) receive through the kernel's stack with batched
// recvmmsg and kernel software receive timestamps. For laptops, CI and as the comparison for
// the DPDK path. Unlike the DPDK port it hands over UDP payloads, not Ethernet frames. The
// calls are CShims' (net.c, through its TW_SYSCALL choke point: EINTR retried, -errno), read
// through `Syscall.shim` (a typed error naming the call; a bug's errno a precondition).
public import CShims
public import Packets
public import TickwireCore

public final class KernelUDPReceiver: @unchecked Sendable {
    public let fd: Int32
    public let group: IPv4Address
    public let port: UInt16
    /// The recvmmsg batch state (valid while this receiver lives), for callers that keep it
    /// beside `fd` to receive without touching the class (`UDPRecoveryClient`).
    public let batch: OpaquePointer
    private var open = true

    /// Binds `group`:`port` (a multicast group is joined on the interface whose address is
    /// `interface`, 0.0.0.0 for the kernel's choice; a unicast or 0.0.0.0 address just binds).
    public init(group: IPv4Address, port: UInt16, interface: IPv4Address = IPv4Address(0, 0, 0, 0),
                batch capacity: Int = 64, bufferSize: Int = 2048, receiveBuffer: Int = 4 << 20) throws(SystemError)
    {
        var step: UnsafePointer<CChar>? = nil
        let fd = try Syscall.shimChecked("\(step.map { String(cString: $0) } ?? "socket") for \(group):\(port)",
                                         tw_udp_open_rx(group.value.bigEndian, port, interface.value.bigEndian, Int32(receiveBuffer), &step))
        guard let b = tw_udp_batch_create(UInt32(capacity), UInt32(bufferSize)) else {
            Syscall.close(fd)
            throw SystemError(call: "tw_udp_batch_create(\(capacity) x \(bufferSize))", errno: 12, reason: "out of memory")
        }
        self.fd = fd
        self.group = group
        self.port = port
        self.batch = b
    }

    deinit { close() }

    public func close() {
        guard open else { return }
        open = false
        Syscall.close(fd)
        tw_udp_batch_destroy(batch)
    }

    /// Receives up to `capacity` datagrams without blocking; the payloads stay valid until the
    /// next call. Returns the count, 0 when none is waiting; a socket error is returned negated.
    @inline(__always)
    public func receive(into pkts: UnsafeMutablePointer<tw_pkt>, capacity: Int) -> Int {
        switch Syscall.shim("recvmmsg(\(fd))", tw_udp_recv_batch(fd, batch, pkts, UInt32(capacity), nil, nil)) {
        case .success(let n): Int(n)
        case .failure(let e): -Int(e.code)
        }
    }
}

/// A plain UDP sender through the kernel (tests, the simulator's feed publisher).
public final class KernelUDPSender: @unchecked Sendable {
    public let fd: Int32

    public init(interface: IPv4Address = IPv4Address(0, 0, 0, 0), ttl: Int = 1, loopback: Bool = true) throws(SystemError) {
        var step: UnsafePointer<CChar>? = nil
        self.fd = try Syscall.shimChecked(step.map { String(cString: $0) } ?? "socket",
                                          tw_udp_open_tx(interface.value.bigEndian, Int32(ttl), loopback, &step))
    }

    deinit { Syscall.close(fd) }

    /// Sends one datagram; returns bytes sent or a negated errno.
    public func send(_ payload: UnsafeRawBufferPointer, to address: IPv4Address, port: UInt16) -> Int {
        let rc = tw_udp_sendto(fd, payload.baseAddress?.assumingMemoryBound(to: UInt8.self), UInt32(payload.count),
                               address.value.bigEndian, port)
        switch Syscall.shim("sendto(\(address):\(port))", rc) {
        case .success(let n): return Int(n)
        case .failure(let e): return -Int(e.code)
        }
    }
}

#if canImport(Glibc)
import Glibc
#endif
