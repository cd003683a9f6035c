// A hardware profile: which cores do what on one kind of box, where its NIC ports sit, how much
// memory the data path gets, and which isolation the box is expected to have. It is the single
// place where placement decisions are written down, so the EAL arguments, the kernel command line
// and the host checks are all derived from it instead of from flags typed by hand at each start.

public import TickwireCore

/// One box's placement plan, as loaded from `hw-profiles/*.yaml` (see hw-profiles/SCHEMA.md).
public struct HWProfile: Sendable, Equatable {
    public var box: Box
    public var cores: Cores
    public var ports: [Port]
    public var memory: Memory
    public var hugepages: Hugepages
    public var eal: EAL
    public var isolation: Isolation

    public init(box: Box, cores: Cores, ports: [Port], memory: Memory, hugepages: Hugepages,
                eal: EAL, isolation: Isolation)
    {
        self.box = box
        self.cores = cores
        self.ports = ports
        self.memory = memory
        self.hugepages = hugepages
        self.eal = eal
        self.isolation = isolation
    }

    /// The box as the profile believes it is built; the validator prefers what the host reports
    /// and falls back to this when the host cannot tell (a fixture, a VM, another machine).
    public struct Box: Sendable, Equatable {
        public var name: String
        /// NUMA node id → the CPUs on it, as the profile author expects them.
        public var numaNodes: [Int: [Int]]

        public init(name: String, numaNodes: [Int: [Int]]) {
            self.name = name
            self.numaNodes = numaNodes
        }

        /// The node a CPU is on according to the profile, or nil when no node lists it.
        public func node(ofCPU cpu: Int) -> Int? {
            numaNodes.keys.sorted().first { numaNodes[$0]?.contains(cpu) == true }
        }
    }

    /// Cores by role. The hot path owns its core outright (busy-polling, never sleeping), so a
    /// core may hold one role only; housekeeping cores carry everything else (the EAL main
    /// lcore, logging, journal, the control plane, the kernel's own IRQs and timers).
    public struct Cores: Sendable, Equatable {
        public var hot: Int
        public var hot2: Int?
        public var housekeeping: [Int]

        public init(hot: Int, hot2: Int? = nil, housekeeping: [Int]) {
            self.hot = hot
            self.hot2 = hot2
            self.housekeeping = housekeeping
        }

        /// The busy-polling cores, in role order (hot, then hot2).
        public var hotCores: [Int] { [hot] + (hot2.map { [$0] } ?? []) }
        /// Every core the profile uses.
        public var all: [Int] { hotCores + housekeeping }
    }

    /// A NIC port: a PCI device the EAL probes with `-a`, or a virtual device it creates with
    /// `--vdev` (af_packet, null, ring, pcap), which has no NUMA node of its own.
    public struct Port: Sendable, Equatable {
        public enum Device: Sendable, Equatable {
            case pci(address: String)
            case vdev(String)
        }

        public var name: String
        public var device: Device
        /// The node the PCI device hangs off (nil for a vdev).
        public var numaNode: Int?
        public var rxQueues: Int
        public var txQueues: Int
        /// The PMD expected to drive it (informational: "ice", "mlx5", "net_af_packet").
        public var driver: String?
        /// Whether to ask for rx timestamps: auto (where the driver's unit is known and the
        /// stamps are read as arrivals), on or off.
        public var rxTimestamps: RxTimestampPolicy

        public init(name: String, device: Device, numaNode: Int?, rxQueues: Int, txQueues: Int, driver: String? = nil,
                    rxTimestamps: RxTimestampPolicy = .auto) {
            self.name = name
            self.device = device
            self.numaNode = numaNode
            self.rxQueues = rxQueues
            self.txQueues = txQueues
            self.driver = driver
            self.rxTimestamps = rxTimestamps
        }

        public var pciAddress: String? {
            if case let .pci(address) = device { return address }
            return nil
        }

        /// How the port is named in messages: "feed (0000:17:00.0)".
        public var label: String {
            switch device {
            case let .pci(address): return "\(name) (\(address))"
            case let .vdev(s): return "\(name) (vdev \(s))"
            }
        }
    }

    /// Buffer and ring sizes of the data path; they bound what a burst can hold before drops.
    public struct Memory: Sendable, Equatable {
        /// Elements in the packet mempool (2^n - 1 fills rte_mempool's rings exactly).
        public var mbufs: Int
        /// Per-lcore mempool cache; at most 512 (RTE_MEMPOOL_CACHE_MAX_SIZE).
        public var mbufCache: Int
        /// NIC descriptors per rx / tx queue.
        public var rxDescriptors: Int
        public var txDescriptors: Int
        /// Slots in the SPSC rings between threads (power of two).
        public var ringSize: Int

        public init(mbufs: Int, mbufCache: Int, rxDescriptors: Int, txDescriptors: Int, ringSize: Int) {
            self.mbufs = mbufs
            self.mbufCache = mbufCache
            self.rxDescriptors = rxDescriptors
            self.txDescriptors = txDescriptors
            self.ringSize = ringSize
        }
    }

    /// Hugepage memory for the EAL. Without it (VMs, CI) the EAL runs from anonymous memory with
    /// `--no-huge -m N`: TLB misses and no physical addresses, so PCI devices cannot be used.
    public struct Hugepages: Sendable, Equatable {
        public var enabled: Bool
        /// Page size in kB (2048 or 1048576).
        public var pageSizeKB: Int
        /// Pages reserved for the EAL on each NUMA node.
        public var pagesPerNode: [Int: Int]
        /// Memory in MB when `enabled` is false (`-m`).
        public var noHugeMemoryMB: Int

        public init(enabled: Bool, pageSizeKB: Int, pagesPerNode: [Int: Int], noHugeMemoryMB: Int) {
            self.enabled = enabled
            self.pageSizeKB = pageSizeKB
            self.pagesPerNode = pagesPerNode
            self.noHugeMemoryMB = noHugeMemoryMB
        }

        /// MB of hugepage memory on a node.
        public func megabytes(onNode node: Int) -> Int { (pagesPerNode[node] ?? 0) * pageSizeKB / 1024 }

        /// The kernel's spelling of the page size ("2M", "1G").
        public var pageSizeName: String { pageSizeKB >= 1_048_576 ? "\(pageSizeKB / 1_048_576)G" : "\(pageSizeKB / 1024)M" }
    }

    /// EAL options that are not derived from cores, ports or memory.
    public struct EAL: Sendable, Equatable {
        /// Names the runtime directory and hugepage files, so two processes do not collide.
        public var filePrefix: String
        /// Memory channels per socket (`-n`), nil to let the EAL guess.
        public var channels: Int?
        /// `--no-shconf`: no shared runtime config (single-process, no secondary processes).
        public var noSharedConfig: Bool

        public init(filePrefix: String, channels: Int? = nil, noSharedConfig: Bool = false) {
            self.filePrefix = filePrefix
            self.channels = channels
            self.noSharedConfig = noSharedConfig
        }
    }

    /// What the validator does when a check finds a violation.
    public enum Enforce: String, Sendable, Equatable, CaseIterable {
        /// The hot path must not start on this box as it is.
        case refuse
        /// Start, but say what costs latency.
        case warn
    }

    /// One isolation expectation: whether the box is expected to have it and what a violation means.
    public struct Expectation: Sendable, Equatable {
        public var expected: Bool
        public var enforce: Enforce

        public init(expected: Bool, enforce: Enforce) {
            self.expected = expected
            self.enforce = enforce
        }
    }

    /// The isolation the box is expected to have. The NIC/hot-core NUMA match is not here: it is
    /// always refused, because no setting makes a cross-socket hot path acceptable.
    public struct Isolation: Sendable, Equatable {
        /// Every core the profile names exists and is online.
        public var coresOnline: Expectation
        /// Hot cores are in the kernel's isolated set (isolcpus=).
        public var hotIsolated: Expectation
        /// Hot cores are in the kernel's nohz_full set (no scheduler tick while busy-polling).
        public var hotNohzFull: Expectation
        /// No other role runs on a hot core's SMT sibling.
        public var smtSiblingFree: Expectation
        /// The hugepages the profile asks for are free on their nodes.
        public var hugepagesFree: Expectation

        public init(coresOnline: Expectation, hotIsolated: Expectation, hotNohzFull: Expectation,
                    smtSiblingFree: Expectation, hugepagesFree: Expectation)
        {
            self.coresOnline = coresOnline
            self.hotIsolated = hotIsolated
            self.hotNohzFull = hotNohzFull
            self.smtSiblingFree = smtSiblingFree
            self.hugepagesFree = hugepagesFree
        }
    }
}

/// A thread's job, mapped to cores by a profile.
public enum ThreadRole: String, Sendable, CaseIterable {
    case hot
    case hot2
    case housekeeping
}

extension HWProfile {
    /// The cores a role may run on (empty when the profile has no second hot core).
    public func cores(for role: ThreadRole) -> [Int] {
        switch role {
        case .hot: return [cores.hot]
        case .hot2: return cores.hot2.map { [$0] } ?? []
        case .housekeeping: return cores.housekeeping
        }
    }

    /// The core a single-threaded role is pinned to: the first of its cores.
    public func core(for role: ThreadRole) -> Int? { cores(for: role).first }
}
