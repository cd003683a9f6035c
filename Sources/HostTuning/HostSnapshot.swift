// What the validator needs to know about the box, read once from a sysroot. Every field is
// optional or possibly empty: a VM, a container or a fixture may lack any of these files, and the
// validator must then fall back to the profile or say it cannot tell, never crash.

import TickwireCore
/// The host's CPUs, NUMA layout, PCI NUMA nodes and hugepage pools, as /sys reports them.
public struct HostSnapshot: Sendable, Equatable {
    /// A hugepage pool of one size, system-wide (`node == nil`) or on one node.
    public struct HugepagePool: Sendable, Equatable {
        public let sizeKB: Int
        public let node: Int?
        public let total: Int
        public let free: Int

        public init(sizeKB: Int, node: Int?, total: Int, free: Int) {
            self.sizeKB = sizeKB
            self.node = node
            self.total = total
            self.free = free
        }
    }

    /// The sysroot this was read from ("/" for the live host).
    public var sysroot: String
    /// CPUs the kernel knows (cpuN directories); nil when /sys/devices/system/cpu is missing.
    public var presentCPUs: [Int]?
    /// Online CPUs; nil when neither the online list nor per-CPU online files could be read.
    public var onlineCPUs: [Int]?
    /// The isolated set (isolcpus=); nil when the file is missing.
    public var isolatedCPUs: [Int]?
    /// The nohz_full set; nil when the file is missing (kernel without CONFIG_NO_HZ_FULL).
    public var nohzFullCPUs: [Int]?
    /// CPU → NUMA node, for the CPUs the host reports a node for.
    public var cpuNode: [Int: Int]
    /// CPU → its SMT siblings, itself included, for the CPUs with a readable topology.
    public var threadSiblings: [Int: [Int]]
    /// PCI address → NUMA node as sysfs reports it (-1: the firmware did not say).
    public var pciNumaNode: [String: Int]
    /// PCI address → the kernel driver it is bound to (the `driver` link), for present devices.
    public var pciDriver: [String: String] = [:]
    /// PCI addresses the host has (every entry of /sys/bus/pci/devices).
    public var pciDevices: Set<String> = []
    public var hugepages: [HugepagePool]

    public init(sysroot: String = "/", presentCPUs: [Int]? = nil, onlineCPUs: [Int]? = nil, isolatedCPUs: [Int]? = nil,
                nohzFullCPUs: [Int]? = nil, cpuNode: [Int: Int] = [:], threadSiblings: [Int: [Int]] = [:],
                pciNumaNode: [String: Int] = [:], hugepages: [HugepagePool] = [])
    {
        self.sysroot = sysroot
        self.presentCPUs = presentCPUs
        self.onlineCPUs = onlineCPUs
        self.isolatedCPUs = isolatedCPUs
        self.nohzFullCPUs = nohzFullCPUs
        self.cpuNode = cpuNode
        self.threadSiblings = threadSiblings
        self.pciNumaNode = pciNumaNode
        self.hugepages = hugepages
    }

    /// Reads the snapshot below `sysroot` ("/" for the live host).
    public static func read(sysroot: String = "/") -> HostSnapshot {
        let fs = SysRoot(sysroot)
        let cpuDir = "/sys/devices/system/cpu"
        let present = fs.numberedEntries(cpuDir, prefix: "cpu")
        var snap = HostSnapshot(sysroot: sysroot, presentCPUs: present)
        snap.onlineCPUs = Self.readOnline(fs, present: present)
        snap.isolatedCPUs = fs.value(cpuDir + "/isolated").map(CPUList.parse)
        snap.nohzFullCPUs = fs.value(cpuDir + "/nohz_full").map { $0 == "(null)" ? [] : CPUList.parse($0) }
        snap.cpuNode = Self.readCPUNodes(fs, present: present ?? [])
        for cpu in present ?? [] {
            if let s = fs.value("\(cpuDir)/cpu\(cpu)/topology/thread_siblings_list") {
                snap.threadSiblings[cpu] = CPUList.parse(s)
            }
        }
        for address in fs.list("/sys/bus/pci/devices") ?? [] {
            snap.pciDevices.insert(address)
            if let n = fs.int("/sys/bus/pci/devices/\(address)/numa_node") { snap.pciNumaNode[address] = n }
            if let d = fs.linkName("/sys/bus/pci/devices/\(address)/driver") { snap.pciDriver[address] = d }
        }
        snap.hugepages = Self.readHugepages(fs, nodes: Set(snap.cpuNode.values).union(fs.numberedEntries("/sys/devices/system/node", prefix: "node") ?? []))
        return snap
    }

    /// The online list, else per-CPU online files (cpu0 often has none: it cannot go offline).
    static func readOnline(_ fs: SysRoot, present: [Int]?) -> [Int]? {
        if let s = fs.value("/sys/devices/system/cpu/online") { return CPUList.parse(s) }
        guard let present, !present.isEmpty else { return nil }
        return present.filter { fs.int("/sys/devices/system/cpu/cpu\($0)/online") ?? 1 == 1 }
    }

    /// CPU → node from node*/cpulist, then from the cpuN/nodeM links that some kernels provide.
    static func readCPUNodes(_ fs: SysRoot, present: [Int]) -> [Int: Int] {
        var map: [Int: Int] = [:]
        for node in fs.numberedEntries("/sys/devices/system/node", prefix: "node") ?? [] {
            for cpu in CPUList.parse(fs.value("/sys/devices/system/node/node\(node)/cpulist") ?? "") { map[cpu] = node }
        }
        for cpu in present where map[cpu] == nil {
            if let node = fs.numberedEntries("/sys/devices/system/cpu/cpu\(cpu)", prefix: "node")?.first { map[cpu] = node }
        }
        return map
    }

    static func readHugepages(_ fs: SysRoot, nodes: Set<Int>) -> [HugepagePool] {
        var pools: [HugepagePool] = []
        func poolsIn(_ dir: String, node: Int?) -> [HugepagePool] {
            (fs.list(dir) ?? []).compactMap { name -> HugepagePool? in
                guard name.hasPrefix("hugepages-"), name.hasSuffix("kB"),
                      let size = Int(name.dropFirst("hugepages-".count).dropLast(2)),
                      let total = fs.int("\(dir)/\(name)/nr_hugepages") else { return nil }
                return HugepagePool(sizeKB: size, node: node, total: total, free: fs.int("\(dir)/\(name)/free_hugepages") ?? 0)
            }
        }
        pools += poolsIn("/sys/kernel/mm/hugepages", node: nil)
        for node in nodes.sorted() { pools += poolsIn("/sys/devices/system/node/node\(node)/hugepages", node: node) }
        return pools
    }

    /// Free pages of a size on a node: the node's pool when the host has per-node counts, else the
    /// system-wide pool when the host has a single node (so the counts are the same thing).
    public func freeHugepages(sizeKB: Int, node: Int) -> Int? {
        if let p = hugepages.first(where: { $0.sizeKB == sizeKB && $0.node == node }) { return p.free }
        let nodes = Set(cpuNode.values)
        if nodes.count <= 1, let p = hugepages.first(where: { $0.sizeKB == sizeKB && $0.node == nil }) { return p.free }
        return nil
    }
}
