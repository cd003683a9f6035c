// DPDK in Swift: the EAL (once per process), mbuf pools and ports, over CShims.
//
// Ownership: `EAL` is process-wide (DPDK allows one start per process). A `Mempool` owns its
// rte_mempool and frees it in deinit; a `DPDKPort` holds its rx mempool strongly so the pool
// outlives the queues that take from it, and stops/closes the port (and removes its vdev, when
// it created one) exactly once, in `close()` or deinit. Set-up calls throw `SystemError` naming
// the failing DPDK call; the burst calls return counts and never throw.
public import CShims
public import TickwireCore
public import Packets

public enum EAL {
    /// What the EAL reported after start.
    public struct Info: Sendable, Equatable {
        public let version: String
        public let arguments: [String]
        public let lcores: Int
        public let mainLcore: Int
        public let sockets: Int
        public let tscHz: UInt64
        public let ports: Int
    }

    nonisolated(unsafe) private static var started: Info?

    /// Starts the EAL with `arguments` passed through unchanged (without the program name),
    /// e.g. ["--no-huge", "-m", "256", "--no-pci", "--no-shconf", "--vdev=net_null0"].
    /// Call once per process, from one thread; a second call with the EAL running returns the
    /// first start's info if the arguments are the same and throws otherwise.
    public static func start(arguments: [String], programName: String = "tickwire") throws(SystemError) -> Info {
        if let info = started {
            if info.arguments == arguments { return info }
            throw SystemError(call: "rte_eal_init", errno: 114 /* EALREADY */,
                              reason: "the EAL is already running with \(info.arguments); it starts once per process")
        }
        let argv = [programName] + arguments
        var cArgs: [UnsafeMutablePointer<CChar>?] = argv.map { strdup($0) }
        cArgs.append(nil)
        // rte_eal_init keeps pointers into argv for the process lifetime: never freed on success.
        let rc = cArgs.withUnsafeMutableBufferPointer { tw_eal_init(Int32(argv.count), $0.baseAddress) }
        if rc < 0 {
            throw SystemError(call: "rte_eal_init(\(arguments.joined(separator: " ")))", errno: -rc,
                              reason: String(cString: tw_strerror(rc)))
        }
        let info = Info(version: String(cString: tw_dpdk_version()), arguments: arguments,
                        lcores: Int(tw_lcore_count()), mainLcore: Int(tw_main_lcore()),
                        sockets: Int(tw_socket_count()), tscHz: tw_eal_tsc_hz(), ports: Int(tw_port_count()))
        started = info
        return info
    }

    public static var isRunning: Bool { tw_eal_is_running() }
    public static var info: Info? { started }

    /// rte_eal_cleanup; the EAL cannot be started again in this process.
    public static func stop() {
        _ = tw_eal_cleanup()
    }

    /// The standard arguments for a machine without hugepages or PCI NICs (tests, laptops, CI).
    public static func noHardwareArguments(memoryMB: Int = 256, filePrefix: String? = nil,
                                           lcores: String? = nil, vdevs: [String] = []) -> [String]
    {
        var a = ["--no-huge", "-m", String(memoryMB), "--no-pci", "--no-shconf", "--no-telemetry", "--log-level=lib.eal:error"]
        if let filePrefix { a += ["--file-prefix", filePrefix] }
        if let lcores { a += ["--lcores", lcores] }
        for v in vdevs { a.append("--vdev=\(v)") }
        return a
    }

    /// Ids of the ports the EAL probed (PCI devices and --vdev arguments).
    public static func portIDs() -> [UInt16] {
        var ids: [UInt16] = []
        var id: UInt16 = 0
        var seen = 0
        let total = Int(tw_port_count())
        while seen < total && id < 1024 {
            var info = tw_port_info()
            if tw_port_info_get(id, &info) == 0 {
                ids.append(id)
                seen += 1
            }
            id += 1
        }
        return ids
    }

    /// The id of the port the EAL probed as `name` (a PCI address such as 0000:17:00.0, or a
    /// vdev name).
    public static func portID(named name: String) throws(SystemError) -> UInt16 {
        var id: UInt16 = 0
        let rc = tw_port_by_name(name, &id)
        if rc < 0 { throw error("rte_eth_dev_get_port_by_name(\(name)): the EAL has no such port (not probed: check the driver binding and -a)", rc) }
        return id
    }

    static func error(_ call: String, _ rc: Int32) -> SystemError {
        SystemError(call: call, errno: rc < 0 ? -rc : rc, reason: String(cString: tw_strerror(rc)))
    }
}

/// A pool of packet buffers (rte_pktmbuf_pool_create) on one NUMA socket.
public final class Mempool: @unchecked Sendable {
    public let name: String
    public let pointer: UnsafeMutableRawPointer

    /// `count` mbufs (a power of two minus one is the most memory-efficient), a per-lcore cache,
    /// `dataRoom` bytes of buffer each (2048 + 128 headroom fits a 1518-byte frame), on `socket`
    /// (-1: any).
    public init(name: String, count: Int, cache: Int = 256, dataRoom: Int = 2048 + 128, socket: Int = -1) throws(SystemError) {
        var err: Int32 = 0
        guard let p = tw_mempool_create(name, UInt32(count), UInt32(cache), UInt16(dataRoom), Int32(socket), &err) else {
            throw EAL.error("rte_pktmbuf_pool_create(\(name), n=\(count), socket=\(socket))", err)
        }
        self.name = name
        self.pointer = p
    }

    deinit { tw_mempool_free(pointer) }

    public var available: Int { Int(tw_mempool_avail(pointer)) }
    public var inUse: Int { Int(tw_mempool_in_use(pointer)) }
}

/// What a port can do, read from rte_eth_dev_info_get and friends.
public struct PortInfo: Sendable, Equatable {
    public let id: UInt16
    public let name: String
    public let driver: String
    public let socket: Int
    public let maxRxQueues: Int
    public let maxTxQueues: Int
    public let rxOffloads: [String]
    public let txOffloads: [String]
    public let mac: [UInt8]
    public let mtu: Int
    public let ifIndex: Int
    public let linkSpeedMbps: Int
    public let linkUp: Bool
    public let rxTimestampCapable: Bool
    public let readClockCapable: Bool

    public init(port: UInt16) throws(SystemError) {
        var i = tw_port_info()
        let rc = tw_port_info_get(port, &i)
        if rc < 0 { throw EAL.error("rte_eth_dev_info_get(port \(port))", rc) }
        id = port
        name = withUnsafeBytes(of: i.name) { String(decoding: $0.prefix(while: { $0 != 0 }), as: UTF8.self) }
        driver = withUnsafeBytes(of: i.driver) { String(decoding: $0.prefix(while: { $0 != 0 }), as: UTF8.self) }
        socket = Int(i.socket)
        maxRxQueues = Int(i.max_rx_queues)
        maxTxQueues = Int(i.max_tx_queues)
        rxOffloads = Self.names(i.rx_offload_capa, tw_rx_offload_name)
        txOffloads = Self.names(i.tx_offload_capa, tw_tx_offload_name)
        mac = withUnsafeBytes(of: i.mac) { Array($0) }
        mtu = Int(i.mtu)
        ifIndex = Int(i.if_index)
        linkSpeedMbps = Int(i.link_speed_mbps)
        linkUp = i.link_up != 0
        rxTimestampCapable = i.rx_timestamp_capable != 0
        readClockCapable = i.read_clock_capable != 0
    }

    static func names(_ mask: UInt64, _ name: (UInt64) -> UnsafePointer<CChar>?) -> [String] {
        var out: [String] = []
        for bit in 0..<64 where mask & (1 << UInt64(bit)) != 0 {
            if let n = name(1 << UInt64(bit)) { out.append(String(cString: n)) }
        }
        return out
    }

    public var macString: String { mac.map { String($0, radix: 16).leftPadded(2) }.joined(separator: ":") }
}

extension String {
    func leftPadded(_ width: Int, with c: Character = "0") -> String {
        count >= width ? self : String(repeating: c, count: width - count) + self
    }
}

/// What a PMD's rx timestamp (the mbuf's timestamp dynfield) counts, per driver. Only units
/// read in the driver's source are listed; a driver not here gets nil and its stamps are not
/// used: a stamp in a guessed unit would put a wrong number in every latency figure.
public enum NICTimestampUnit: String, Sendable, Equatable, Codable {
    /// Nanoseconds since the epoch of the capture (DPDK 22.11 net_pcap: the pcap record's
    /// seconds and microseconds, whether or not the offload was asked for).
    case microseconds
    /// Nanoseconds of the NIC's clock (ice: the PHC, extended to 64 bits by the PMD).
    case nanoseconds

    public static func of(driver: String) -> NICTimestampUnit? {
        switch driver {
        case "net_pcap": .microseconds
        case "net_ice": .nanoseconds
        // mlx5 stamps free-running ticks or, in real-time mode, a packed seconds/nanoseconds
        // word: which one depends on the device's configuration, so it is not assumed here.
        default: nil
        }
    }

    /// A stamp in nanoseconds (saturating).
    @inline(__always)
    public func nanoseconds(_ stamp: UInt64) -> UInt64 {
        switch self {
        case .microseconds: stamp.multipliedReportingOverflow(by: 1_000).overflow ? .max : stamp &* 1_000
        case .nanoseconds: stamp
        }
    }
}

/// Port counters (rte_eth_stats_get).
public struct PortStats: Sendable, Equatable, Codable {
    public var rxPackets: UInt64 = 0, txPackets: UInt64 = 0, rxBytes: UInt64 = 0, txBytes: UInt64 = 0
    public var rxMissed: UInt64 = 0, rxErrors: UInt64 = 0, txErrors: UInt64 = 0, rxNoMbuf: UInt64 = 0
    /// Per queue (index = queue id, the port's queues up to the ethdev's 16 with counters).
    public var queues: [QueueStats] = []
    public init() {}
    public init(rxPackets: UInt64, txPackets: UInt64, rxBytes: UInt64, txBytes: UInt64, rxMissed: UInt64, rxErrors: UInt64,
                txErrors: UInt64, rxNoMbuf: UInt64) {
        (self.rxPackets, self.txPackets, self.rxBytes, self.txBytes) = (rxPackets, txPackets, rxBytes, txBytes)
        (self.rxMissed, self.rxErrors, self.txErrors, self.rxNoMbuf) = (rxMissed, rxErrors, txErrors, rxNoMbuf)
    }
}

/// One queue's counters (rte_eth_stats' q_ipackets, q_opackets, q_ibytes, q_obytes, q_errors).
public struct QueueStats: Sendable, Equatable, Codable {
    public var rxPackets: UInt64 = 0, txPackets: UInt64 = 0, rxBytes: UInt64 = 0, txBytes: UInt64 = 0, rxErrors: UInt64 = 0
    public init() {}
    public init(rxPackets: UInt64, txPackets: UInt64, rxBytes: UInt64, txBytes: UInt64, rxErrors: UInt64) {
        (self.rxPackets, self.txPackets, self.rxBytes, self.txBytes, self.rxErrors) = (rxPackets, txPackets, rxBytes, txBytes, rxErrors)
    }
}

/// One DPDK ethdev port, configured and started, with its rx mempool.
public final class DPDKPort: @unchecked Sendable {
    public struct Configuration: Sendable {
        public var rxQueues: Int = 1
        public var txQueues: Int = 1
        public var rxDescriptors: Int = 1024
        public var txDescriptors: Int = 1024
        public var promiscuous: Bool = true
        public var allMulticast: Bool = true
        /// Whether to ask the PMD for rx timestamps (`auto`: where this driver's unit is known,
        /// so that something reads them).
        public var rxTimestamps: RxTimestampPolicy = .auto
        public init() {}
    }

    public let id: UInt16
    public let info: PortInfo
    public let mempool: Mempool
    /// True when the PMD took the RTE_ETH_RX_OFFLOAD_TIMESTAMP offload.
    public let hardwareTimestamps: Bool
    /// True when packets of this port may carry an rx stamp (`TW_PKT_HW_TIMESTAMP`): the
    /// offload is on, or the PMD registered the timestamp field on its own (net_pcap).
    public let rxTimestampsPresent: Bool
    /// max(rx queues, tx queues) as configured: the queues `stats` reports.
    public let queueCount: Int
    /// The configuration's policy: `off` means the stamps are not to be used.
    public let rxTimestampPolicy: RxTimestampPolicy
    /// The stamps to use as arrivals: present, in a known unit, and not turned off (nil: none).
    public var usableRxTimestampUnit: NICTimestampUnit? {
        rxTimestampsPresent && rxTimestampPolicy != .off ? rxTimestampUnit : nil
    }
    /// The unit of those stamps, where this driver's is known (nil: do not use them).
    public var rxTimestampUnit: NICTimestampUnit? { NICTimestampUnit.of(driver: info.driver) }
    /// Drivers that stamp every packet without advertising the offload (DPDK 22.11's net_pcap,
    /// drivers/net/pcap: the record's time goes into the dynfield on every rx).
    static let stampsWithoutOffload: Set<String> = ["net_pcap"]
    /// Promiscuous / all-multicast as requested; false when the PMD had no filter (-ENOTSUP).
    public let promiscuousOn: Bool
    public let allMulticastOn: Bool
    private let vdevName: String?
    private var open = true
    /// Each rx queue's last burst of mbufs (`maxBurst` slots per queue): `receive` has DPDK
    /// write them here and `release(queue:count:)` frees them in one call, so a frame costs no
    /// gathering of handles on the way back.
    @usableFromInline let rxMbufs: UnsafeMutablePointer<UnsafeMutableRawPointer?>
    /// The most frames one `receive` returns.
    @inlinable public static var maxBurst: Int { 256 }

    /// Configures and starts an existing port (a PCI NIC or an EAL --vdev).
    public convenience init(port: UInt16, mempool: Mempool, configuration: Configuration = .init()) throws(SystemError) {
        try self.init(port: port, mempool: mempool, configuration: configuration, vdevName: nil)
    }

    /// Creates a virtual device after EAL start (rte_vdev_init), e.g. name "net_ring0" or
    /// "net_pcap0" with "rx_pcap=in.pcap,tx_pcap=out.pcap", and configures and starts it. The
    /// port removes its vdev when closed.
    public convenience init(vdev name: String, arguments: String = "", mempool: Mempool,
                            configuration: Configuration = .init()) throws(SystemError) {
        var port: UInt16 = 0
        let rc = tw_vdev_create(name, arguments, &port)
        if rc < 0 {
            // DPDK 22.11's af_packet names its PACKET_FANOUT group getpid() XOR ifindex; the
            // kernel refuses (EINVAL, logged above) an equal id held on another device in the
            // same network namespace by another af_packet process.
            let hint = name.contains("af_packet")
                ? " (if the PMD's log says PACKET_FANOUT: another af_packet process in this network namespace holds the fanout group id getpid() XOR ifindex on another device; run each af_packet process in a namespace of its own, or start again)"
                : ""
            throw EAL.error("rte_vdev_init(\(name), \(arguments))\(hint)", rc)
        }
        do {
            try self.init(port: port, mempool: mempool, configuration: configuration, vdevName: name)
        } catch {
            _ = tw_vdev_destroy(name)
            throw error
        }
    }

    /// Two ports joined back to back (`tw_ring_pair_create`): what the first sends, the second
    /// receives, and the other way round. For a benchmark or a test that puts a scripted peer
    /// (a venue, an exchange) on the far end of the appliance's port.
    public static func ringPair(name: String, mempool: Mempool, configuration: Configuration = .init()) throws(SystemError) -> (DPDKPort, DPDKPort) {
        var a: UInt16 = 0, b: UInt16 = 0
        let rc = tw_ring_pair_create(name, &a, &b)
        if rc < 0 { throw EAL.error("rte_eth_from_rings(\(name))", rc) }
        return (try DPDKPort(port: a, mempool: mempool, configuration: configuration, vdevName: name + "_a"),
                try DPDKPort(port: b, mempool: mempool, configuration: configuration, vdevName: name + "_b"))
    }

    private init(port: UInt16, mempool: Mempool, configuration c: Configuration, vdevName: String?) throws(SystemError) {
        id = port
        info = try PortInfo(port: port)
        self.mempool = mempool
        self.vdevName = vdevName
        var conf = tw_port_conf()
        conf.rx_queues = UInt16(c.rxQueues)
        conf.tx_queues = UInt16(c.txQueues)
        conf.rx_descs = UInt16(c.rxDescriptors)
        conf.tx_descs = UInt16(c.txDescriptors)
        conf.mempool = mempool.pointer
        let want: Bool
        switch c.rxTimestamps {
        case .auto: want = NICTimestampUnit.of(driver: info.driver) != nil
        case .on: want = true
        case .off: want = false
        }
        conf.want_rx_timestamp = want ? 1 : 0
        rxTimestampPolicy = c.rxTimestamps
        queueCount = max(c.rxQueues, c.txQueues, 1)
        var tsOn: Int32 = 0
        var rc = tw_port_configure(port, &conf, &tsOn)
        if rc < 0 { throw EAL.error("rte_eth_dev_configure(port \(port) \(info.driver), rxq=\(c.rxQueues), txq=\(c.txQueues))", rc) }
        hardwareTimestamps = tsOn != 0
        rc = tw_port_start(port)
        if rc < 0 { throw EAL.error("rte_eth_dev_start(port \(port) \(info.driver))", rc) }
        rxTimestampsPresent = hardwareTimestamps || (tw_rx_timestamp_lookup() != 0 && Self.stampsWithoutOffload.contains(info.driver))
        // -ENOTSUP: the PMD has no filter to open (af_packet, ring, null) and passes everything.
        let enotsup: Int32 = -95
        var on = false
        if c.promiscuous {
            rc = tw_port_promiscuous(port, true)
            if rc < 0 && rc != enotsup { throw EAL.error("rte_eth_promiscuous_enable(port \(port))", rc) }
            on = rc == 0
        }
        promiscuousOn = on
        on = false
        if c.allMulticast {
            rc = tw_port_allmulticast(port, true)
            if rc < 0 && rc != enotsup { throw EAL.error("rte_eth_allmulticast_enable(port \(port))", rc) }
            on = rc == 0
        }
        allMulticastOn = on
        // Last, so that a throw above leaves nothing to free (deinit runs only once all is set).
        rxMbufs = .allocate(capacity: max(c.rxQueues, 1) * Self.maxBurst)
        rxMbufs.initialize(repeating: nil, count: max(c.rxQueues, 1) * Self.maxBurst)
    }

    deinit {
        close()
        rxMbufs.deallocate()
    }

    /// Stops and closes the port (and removes its vdev). Idempotent.
    public func close() {
        guard open else { return }
        open = false
        _ = tw_port_stop(id)
        _ = tw_port_close(id)
        if let vdevName { _ = tw_vdev_destroy(vdevName) }
    }

    /// Receives up to `capacity` frames (at most `maxBurst`) from `queue` into caller-owned
    /// descriptors (for a caller that keeps frames past the queue's next burst). The caller owns
    /// every mbuf returned and gives them back with `release(queue:count:)` before the queue's
    /// next `receive`, or with `release(_:count:)` at any time.
    @inlinable @inline(__always)
    public func receive(queue: UInt16 = 0, into pkts: UnsafeMutablePointer<tw_pkt>, capacity: Int) -> Int {
        Int(tw_rx_burst(id, queue, pkts, rxMbufs + Int(queue) &* Self.maxBurst, UInt16(truncatingIfNeeded: min(capacity, Self.maxBurst))))
    }

    /// Receives up to `capacity` frames (at most `maxBurst`) from `queue`, read in place with
    /// `frames(queue:)`: the hot loops' way (no descriptor is written). The caller owns the
    /// burst's mbufs and gives them back with `release(queue:count:)` before the queue's next
    /// `receive`.
    @inlinable @inline(__always)
    public func receive(queue: UInt16 = 0, capacity: Int) -> Int {
        Int(tw_rx_burst_mbufs(id, queue, rxMbufs + Int(queue) &* Self.maxBurst, UInt16(truncatingIfNeeded: min(capacity, Self.maxBurst))))
    }

    /// The frames of the last burst `receive(queue:capacity:)` returned on `queue`, valid until
    /// they are released.
    @inlinable @inline(__always)
    public func frames(queue: UInt16 = 0) -> MbufFrames {
        MbufFrames(mbufs: rxMbufs + Int(queue) &* Self.maxBurst, timestampFlag: tw_rx_timestamp_flag(), timestampOffset: tw_rx_timestamp_offset())
    }

    /// A DPDK burst's frames, each read from its mbuf when asked (`tw_mbuf_rx_pkt`: data, length,
    /// the NIC's checksum bits, the hardware timestamp when its dynflag is set).
    @frozen
    public struct MbufFrames: RxFrames {
        @usableFromInline let mbufs: UnsafeMutablePointer<UnsafeMutableRawPointer?>
        @usableFromInline let timestampFlag: UInt64
        @usableFromInline let timestampOffset: Int32
        @inlinable @inline(__always)
        init(mbufs: UnsafeMutablePointer<UnsafeMutableRawPointer?>, timestampFlag: UInt64, timestampOffset: Int32) {
            self.mbufs = mbufs
            self.timestampFlag = timestampFlag
            self.timestampOffset = timestampOffset
        }
        @inlinable @inline(__always)
        public func frame(_ i: Int) -> tw_pkt {
            tw_mbuf_rx_pkt(mbufs[i].unsafelyUnwrapped, timestampFlag, timestampOffset)
        }
    }

    /// Frees the mbufs of the last burst `receive` returned on `queue` (`count` is what it
    /// returned), in one bulk free.
    @inlinable @inline(__always)
    public func release(queue: UInt16 = 0, count: Int) {
        tw_mbuf_free_bulk(rxMbufs + Int(queue) &* Self.maxBurst, UInt32(truncatingIfNeeded: count))
    }

    /// Frees the mbufs behind `count` descriptors, gathered from their handles (descriptors kept
    /// past the queue's next `receive`).
    @inlinable @inline(__always)
    public func release(_ pkts: UnsafeMutablePointer<tw_pkt>, count: Int) {
        tw_pkts_free(pkts, UInt16(truncatingIfNeeded: count))
    }

    /// Hands mbufs to the NIC; returns how many it took. The caller still owns the rest.
    @inlinable @inline(__always)
    public func transmit(queue: UInt16 = 0, _ mbufs: UnsafeMutablePointer<UnsafeMutableRawPointer?>, count: Int) -> Int {
        Int(tw_tx_burst(id, queue, mbufs, UInt16(truncatingIfNeeded: count)))
    }

    /// Copies `frames` into fresh mbufs and sends them (set-up, tests, cold paths; the hot path
    /// builds straight into mbufs). Returns how many went out; unsent mbufs are freed.
    public func send(queue: UInt16 = 0, frames: [[UInt8]]) -> Int {
        if frames.isEmpty { return 0 }
        var mbufs = [UnsafeMutableRawPointer?](repeating: nil, count: frames.count)
        if tw_mbuf_alloc_bulk(mempool.pointer, &mbufs, UInt32(frames.count)) != 0 { return 0 }
        for (i, f) in frames.enumerated() {
            guard let dst = tw_mbuf_append(mbufs[i], UInt16(truncatingIfNeeded: f.count)) else { continue }
            f.withUnsafeBytes { dst.update(from: $0.baseAddress!.assumingMemoryBound(to: UInt8.self), count: f.count) }
        }
        var sent = 0
        while sent < frames.count {
            let n = mbufs.withUnsafeMutableBufferPointer {
                transmit(queue: queue, $0.baseAddress! + sent, count: frames.count - sent)
            }
            if n == 0 { break }
            sent += n
        }
        if sent < frames.count {
            mbufs.withUnsafeMutableBufferPointer { tw_mbuf_free_bulk($0.baseAddress! + sent, UInt32(frames.count - sent)) }
        }
        return sent
    }

    /// The NIC clock (rte_eth_read_clock) where the PMD has one.
    public func readClock() -> UInt64? {
        var v: UInt64 = 0
        return tw_port_read_clock(id, &v) == 0 ? v : nil
    }

    public func stats() -> PortStats {
        var s = tw_port_stats()
        _ = tw_port_stats_get(id, &s)
        var out = PortStats(rxPackets: s.ipackets, txPackets: s.opackets, rxBytes: s.ibytes, txBytes: s.obytes,
                            rxMissed: s.imissed, rxErrors: s.ierrors, txErrors: s.oerrors, rxNoMbuf: s.rx_nombuf)
        var q = [tw_queue_stats](repeating: tw_queue_stats(), count: queueCount)
        let n = q.withUnsafeMutableBufferPointer { Int(tw_port_queue_stats_get(id, $0.baseAddress, UInt16($0.count))) }
        if n > 0 {
            out.queues = q[0..<n].map {
                QueueStats(rxPackets: $0.ipackets, txPackets: $0.opackets, rxBytes: $0.ibytes, txBytes: $0.obytes, rxErrors: $0.errors)
            }
        }
        return out
    }
}

#if canImport(Glibc)
import Glibc
#endif
