// Facts about the host read from /proc and /sys (under a sysroot, for tests). Nothing here is
// assumed present: a missing file reads as nil or empty, never a crash.

public struct HostFacts: Sendable, Equatable {
    public struct NUMANode: Sendable, Equatable {
        public let id: Int
        public let cpus: [Int]
    }

    public struct HugepagePool: Sendable, Equatable {
        /// Page size in kB (2048, 1048576).
        public let sizeKB: Int
        public let total: Int
        public let free: Int
        /// NUMA node, nil for the system-wide pool.
        public let node: Int?
    }

    public let onlineCPUs: [Int]
    public let isolatedCPUs: [Int]
    public let nohzFullCPUs: [Int]
    public let numaNodes: [NUMANode]
    public let hugepages: [HugepagePool]
    public let kernelCommandLine: String?

    public static func read(sysroot: String = "") -> HostFacts {
        let sys = sysroot + "/sys/devices/system"
        let online = CPUList.parse(TextFile.value(sys + "/cpu/online") ?? "")
        let isolated = CPUList.parse(TextFile.value(sys + "/cpu/isolated") ?? "")
        let nohz = CPUList.parse(TextFile.value(sys + "/cpu/nohz_full") ?? "")
        var nodes: [NUMANode] = []
        for id in CPUList.parse(TextFile.value(sys + "/node/online") ?? "") {
            nodes.append(NUMANode(id: id, cpus: CPUList.parse(TextFile.value(sys + "/node/node\(id)/cpulist") ?? "")))
        }
        var pools: [HugepagePool] = []
        for size in [2048, 1_048_576] {
            let base = sysroot + "/sys/kernel/mm/hugepages/hugepages-\(size)kB"
            if let t = TextFile.value(base + "/nr_hugepages").flatMap(Int.init) {
                pools.append(HugepagePool(sizeKB: size, total: t,
                                          free: TextFile.value(base + "/free_hugepages").flatMap(Int.init) ?? 0, node: nil))
            }
            for node in nodes {
                let nb = sys + "/node/node\(node.id)/hugepages/hugepages-\(size)kB"
                if let t = TextFile.value(nb + "/nr_hugepages").flatMap(Int.init) {
                    pools.append(HugepagePool(sizeKB: size, total: t,
                                              free: TextFile.value(nb + "/free_hugepages").flatMap(Int.init) ?? 0, node: node.id))
                }
            }
        }
        return HostFacts(onlineCPUs: online, isolatedCPUs: isolated, nohzFullCPUs: nohz, numaNodes: nodes,
                         hugepages: pools, kernelCommandLine: TextFile.value(sysroot + "/proc/cmdline"))
    }
}

/// The kernel's CPU list format: "0-3,8,10-11" (empty string: no CPUs).
/// Parsing is lenient (parts it cannot read are skipped: the inputs are kernel files and
/// hand-written profiles); HostTuning adds the strict parse and the hex-mask forms.
public enum CPUList {
    /// Sorted, without repeats.
    public static func parse(_ s: String) -> [Int] {
        var out: Set<Int> = []
        for part in s.split(separator: ",") {
            let bounds = part.split(separator: "-", maxSplits: 1)
            let trimmed = bounds.map { $0.trimmingCharacters() }
            guard let lo = Int(trimmed.first ?? "") else { continue }
            let hi = trimmed.count == 2 ? Int(trimmed[1]) ?? lo : lo
            if lo >= 0 && hi >= lo && hi - lo < 65536 { out.formUnion(lo...hi) }
        }
        return out.sorted()
    }

    /// The shortest list form: "0-3,8".
    public static func format<S: Sequence<Int>>(_ cpus: S) -> String {
        let s = Array(Set(cpus)).sorted()
        var parts: [String] = []
        var i = 0
        while i < s.count {
            var j = i
            while j + 1 < s.count && s[j + 1] == s[j] + 1 { j += 1 }
            parts.append(i == j ? "\(s[i])" : "\(s[i])-\(s[j])")
            i = j + 1
        }
        return parts.joined(separator: ",")
    }
}
