// Where the stack's frames go out: a DPDK port's tx queue (the appliance), or memory (the
// fuzzer, unit tests). The stack is generic over the device, so the hot path calls it
// directly, without an existential.
//
// Ownership: `allocateFrame` hands the caller one buffer; `transmit` takes it back whether or
// not it left (a DPDK mbuf the tx queue refused is freed there and counted).
import CShims
public import TickwireCore
public import Packets
public import DPDK

/// A frame under construction: the device's handle (an mbuf) and its data room.
@frozen
public struct TxFrame {
    public let handle: UnsafeMutableRawPointer?
    public let data: UnsafeMutableRawBufferPointer
    @inlinable public init(handle: UnsafeMutableRawPointer?, data: UnsafeMutableRawBufferPointer) {
        self.handle = handle
        self.data = data
    }
}

public protocol NetDevice: AnyObject {
    /// The port's MAC address.
    var mac: MACAddress { get }
    /// The largest IPv4 packet the link carries (1500 on Ethernet).
    var mtu: Int { get }
    /// A buffer for one frame, or nil when none is free.
    func allocateFrame() -> TxFrame?
    /// Sends the first `length` bytes of `frame`; the device owns the frame afterwards.
    /// False when the frame was dropped (tx queue full).
    func transmit(_ frame: TxFrame, length: Int) -> Bool
    /// Gives back a frame that will not be sent.
    func discard(_ frame: TxFrame)
}

public struct DeviceCounters: Sendable, Equatable {
    public var framesOut: UInt64 = 0
    public var noBuffer: UInt64 = 0
    public var txFull: UInt64 = 0
    public init() {}
}

/// Queue `queue` of a DPDK port: frames are built in mbufs of its own tx pool (so that a
/// flooded rx pool cannot starve orders) and sent one tx burst each.
public final class DPDKNetDevice: NetDevice {
    public let port: DPDKPort
    public let queue: UInt16
    public let pool: Mempool
    public let mac: MACAddress
    public let mtu: Int
    public private(set) var counters = DeviceCounters()
    let portID: UInt16
    let poolPointer: UnsafeMutableRawPointer

    /// `txBuffers` mbufs for frames the stack sends (ACKs, orders, ARP, IGMP, ICMP and the
    /// segments kept for retransmission are copies, so a few hundred are plenty).
    public init(port: DPDKPort, queue: UInt16 = 0, txBuffers: Int = 2047, name: String = "tw_tx") throws(SystemError) {
        self.port = port
        self.queue = queue
        pool = try Mempool(name: name, count: txBuffers, cache: 32, socket: port.info.socket)
        mac = MACAddress(rawValue: port.info.mac.reduce(0) { $0 << 8 | UInt64($1) })
        mtu = port.info.mtu > 0 ? port.info.mtu : 1500
        portID = port.id
        poolPointer = pool.pointer
    }

    @inline(__always)
    public func allocateFrame() -> TxFrame? {
        var data: UnsafeMutablePointer<UInt8>?
        var room: UInt16 = 0
        guard let m = tw_mbuf_alloc_tx(poolPointer, &data, &room), let data else {
            counters.noBuffer &+= 1
            return nil
        }
        return TxFrame(handle: m, data: UnsafeMutableRawBufferPointer(start: data, count: Int(room)))
    }

    @inline(__always)
    public func transmit(_ frame: TxFrame, length: Int) -> Bool {
        guard let m = frame.handle else { return false }
        tw_mbuf_set_len(m, UInt16(truncatingIfNeeded: length))
        var one: UnsafeMutableRawPointer? = m
        if tw_tx_burst(portID, queue, &one, 1) == 1 {
            counters.framesOut &+= 1
            return true
        }
        tw_mbuf_free(m)
        counters.txFull &+= 1
        return false
    }

    @inline(__always)
    public func discard(_ frame: TxFrame) {
        if let m = frame.handle { tw_mbuf_free(m) }
    }
}

/// Frames kept in memory: the fuzzer's and the unit tests' device. `capacity` buffers of 2 KiB
/// allocated once; the last `capacity` frames sent stay readable (`sent`, oldest first).
public final class MemoryNetDevice: NetDevice {
    public let mac: MACAddress
    public let mtu: Int
    public private(set) var counters = DeviceCounters()
    let buffers: UnsafeMutableRawBufferPointer
    let capacity: Int
    var lengths: [Int]
    /// Slots of the frames sent since the last `takeSent()`, oldest first (a ring).
    var sentSlots: [Int]
    var sentHead = 0
    var next = 0
    /// Frames sent since the last `takeSent()` (at most `capacity` are kept).
    public private(set) var pendingCount = 0
    /// When false, `transmit` drops (a full tx queue).
    public var accepting = true

    public init(mac: MACAddress, mtu: Int = 1500, capacity: Int = 256) {
        self.mac = mac
        self.mtu = mtu
        self.capacity = capacity
        buffers = .allocate(byteCount: capacity * 2048, alignment: 64)
        lengths = Array(repeating: 0, count: capacity)
        sentSlots = Array(repeating: 0, count: capacity)
    }

    deinit { buffers.deallocate() }

    public func allocateFrame() -> TxFrame? {
        let i = next
        next = (next + 1) % capacity
        return TxFrame(handle: nil, data: buffers.mslice(i * 2048, i * 2048 + 2048))
    }

    public func transmit(_ frame: TxFrame, length: Int) -> Bool {
        guard accepting else {
            counters.txFull &+= 1
            return false
        }
        let i = (frame.data.baseAddress! - buffers.baseAddress!) / 2048
        lengths[i] = length
        sentSlots[(sentHead + pendingCount) % capacity] = i
        if pendingCount == capacity { sentHead = (sentHead + 1) % capacity } else { pendingCount += 1 }
        counters.framesOut &+= 1
        return true
    }

    public func discard(_ frame: TxFrame) {}

    /// Copies of the frames sent since the last call, oldest first (tests; allocates).
    public func takeSent() -> [[UInt8]] {
        var out: [[UInt8]] = []
        for k in 0..<pendingCount {
            let i = sentSlots[(sentHead + k) % capacity]
            out.append(Array(buffers.readOnly(i * 2048, i * 2048 + lengths[i])))
        }
        sentHead = 0
        pendingCount = 0
        return out
    }

    /// Forgets the frames sent so far without copying them (the fuzzer).
    public func discardSent() {
        sentHead = 0
        pendingCount = 0
    }
}
