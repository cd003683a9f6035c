// Does this box match the profile closely enough to start the hot path? The validator answers
// before the EAL starts, because a wrong placement does not fail loudly: it just adds
// microseconds to every tick (a remote-node NIC, a tick on the hot core, a sibling thread sharing
// its L1) and shows up later as unexplained tail latency.

import TickwireCore
/// One problem the validator found, and what a violation of it means for starting.
public struct Finding: Sendable, Equatable, CustomStringConvertible {
    public enum Severity: String, Sendable, Equatable {
        /// Do not start the hot path on this box as it is.
        case refuse
        /// Start, but the box costs latency.
        case warn
    }

    /// Stable check id: cores_online, hot_isolated, hot_nohz_full, smt_sibling_free,
    /// hugepages_free, nic_numa, nic_numa_declared, nic_driver.
    public let check: String
    public let severity: Severity
    public let message: String
    /// What to change, on the box or in the profile.
    public let remedy: String

    public init(check: String, severity: Severity, message: String, remedy: String) {
        self.check = check
        self.severity = severity
        self.message = message
        self.remedy = remedy
    }

    public var description: String { "\(severity.rawValue): [\(check)] \(message) — fix: \(remedy)" }
}

public enum ProfileValidator {
    /// Every finding of `profile` against `host`; empty when the box matches.
    public static func validate(_ profile: HWProfile, host: HostSnapshot) -> [Finding] {
        var out: [Finding] = []
        out += coresOnline(profile, host)
        out += hotIsolated(profile, host)
        out += hotNohzFull(profile, host)
        out += smtSiblings(profile, host)
        out += hugepages(profile, host)
        out += nicNUMA(profile, host)
        out += nicDriver(profile, host)
        return out
    }

    /// Kernel drivers a DPDK PMD can use a port through: vfio-pci (or the legacy UIO drivers)
    /// for the PMDs that drive the device from user space; the vendor's own kernel driver for
    /// the bifurcated ones (mlx4/mlx5 keep mlx*_core bound and share the port with the kernel).
    public static func acceptableDrivers(pmd: String?) -> [String] {
        switch pmd ?? "" {
        case "mlx5": ["mlx5_core"]
        case "mlx4": ["mlx4_core"]
        default: ["vfio-pci", "uio_pci_generic", "igb_uio"]
        }
    }

    /// Each PCI port must exist and be bound to a driver its PMD can use; otherwise the EAL
    /// would start without the port (or take it from a kernel that is using it).
    static func nicDriver(_ p: HWProfile, _ h: HostSnapshot) -> [Finding] {
        var out: [Finding] = []
        for port in p.ports {
            guard let address = port.pciAddress else { continue }
            let ok = acceptableDrivers(pmd: port.driver)
            guard h.pciDevices.contains(address) else {
                out.append(Finding(check: "nic_driver", severity: .refuse,
                                   message: "port \(port.label): no PCI device \(address) on this host",
                                   remedy: "check the address with lspci -D (or dpdk-devbind.py --status) and set pci: in the profile"))
                continue
            }
            let bound = h.pciDriver[address]
            guard let bound, ok.contains(bound) else {
                let bind = ok[0] == "vfio-pci"
                    ? "modprobe vfio-pci && dpdk-devbind.py --bind=vfio-pci \(address) (with the IOMMU on: intel_iommu=on iommu=pt)"
                    : "load the vendor driver (\(ok[0])) and bind \(address) to it: the \(port.driver ?? "") PMD shares the port with the kernel"
                out.append(Finding(check: "nic_driver", severity: .refuse,
                                   message: "port \(port.label) (\(address)) is bound to \(bound ?? "no driver"); the \(port.driver ?? "DPDK") PMD needs \(ok.joined(separator: " or "))",
                                   remedy: bind))
                continue
            }
        }
        return out
    }

    /// True when any finding forbids starting.
    public static func refuses(_ findings: [Finding]) -> Bool { findings.contains { $0.severity == .refuse } }

    private static func severity(_ e: HWProfile.Expectation) -> Finding.Severity { e.enforce == .refuse ? .refuse : .warn }

    static func coresOnline(_ p: HWProfile, _ h: HostSnapshot) -> [Finding] {
        let e = p.isolation.coresOnline
        guard e.expected else { return [] }
        guard let online = h.onlineCPUs else {
            return [Finding(check: "cores_online", severity: severity(e),
                            message: "cannot tell which CPUs are online: \(SysRoot(h.sysroot).path("/sys/devices/system/cpu/online")) is missing",
                            remedy: "run on the target box with /sys mounted, or pass --sysroot to a copy of its /sys and /proc")]
        }
        var out: [Finding] = []
        for (role, cpus) in roleCores(p) {
            for cpu in cpus where !online.contains(cpu) {
                let exists = h.presentCPUs?.contains(cpu) ?? false
                out.append(Finding(check: "cores_online", severity: severity(e),
                                   message: "\(role) core \(cpu) \(exists ? "is offline" : "does not exist on this box") (online: \(CPUList.format(online)))",
                                   remedy: exists ? "echo 1 > /sys/devices/system/cpu/cpu\(cpu)/online, or pick an online core in cores.\(role)"
                                       : "pick one of the online cores \(CPUList.format(online)) for cores.\(role), or use the profile made for this box"))
            }
        }
        return out
    }

    static func hotIsolated(_ p: HWProfile, _ h: HostSnapshot) -> [Finding] {
        let e = p.isolation.hotIsolated
        guard e.expected else { return [] }
        let isolated = h.isolatedCPUs ?? []
        let missing = p.cores.hotCores.filter { !isolated.contains($0) }
        guard !missing.isEmpty else { return [] }
        return [Finding(check: "hot_isolated", severity: severity(e),
                        message: "hot core(s) \(CPUList.format(missing)) not isolated (isolated: \(isolated.isEmpty ? "none" : CPUList.format(isolated))): the scheduler may run other tasks there",
                        remedy: "boot with isolcpus=managed_irq,domain,\(CPUList.format(p.cores.hotCores)) (see `tune cmdline`)")]
    }

    static func hotNohzFull(_ p: HWProfile, _ h: HostSnapshot) -> [Finding] {
        let e = p.isolation.hotNohzFull
        guard e.expected else { return [] }
        let nohz = h.nohzFullCPUs ?? []
        let missing = p.cores.hotCores.filter { !nohz.contains($0) }
        guard !missing.isEmpty else { return [] }
        let why = h.nohzFullCPUs == nil ? "the kernel reports no nohz_full set (built without CONFIG_NO_HZ_FULL?)" : "nohz_full is \(nohz.isEmpty ? "empty" : CPUList.format(nohz))"
        return [Finding(check: "hot_nohz_full", severity: severity(e),
                        message: "hot core(s) \(CPUList.format(missing)) still take the scheduler tick: \(why)",
                        remedy: "boot with nohz_full=\(CPUList.format(p.cores.hotCores)) rcu_nocbs=\(CPUList.format(p.cores.hotCores))")]
    }

    static func smtSiblings(_ p: HWProfile, _ h: HostSnapshot) -> [Finding] {
        let e = p.isolation.smtSiblingFree
        guard e.expected else { return [] }
        var out: [Finding] = []
        let users = Dictionary(roleCores(p).flatMap { role, cpus in cpus.map { ($0, role) } }, uniquingKeysWith: { a, _ in a })
        for hot in p.cores.hotCores {
            for sibling in (h.threadSiblings[hot] ?? []) where sibling != hot {
                guard let role = users[sibling] else { continue }
                out.append(Finding(check: "smt_sibling_free", severity: severity(e),
                                   message: "hot core \(hot) shares its physical core with \(role) core \(sibling) (SMT siblings share L1/L2 and execution ports)",
                                   remedy: "move cores.\(role) off CPU \(sibling), or take the sibling offline: echo 0 > /sys/devices/system/cpu/cpu\(sibling)/online"))
            }
        }
        return out
    }

    static func hugepages(_ p: HWProfile, _ h: HostSnapshot) -> [Finding] {
        let e = p.isolation.hugepagesFree
        guard e.expected, p.hugepages.enabled else { return [] }
        var out: [Finding] = []
        let size = p.hugepages.pageSizeKB
        for node in p.hugepages.pagesPerNode.keys.sorted() {
            let want = p.hugepages.pagesPerNode[node] ?? 0
            guard want > 0 else { continue }
            let free = h.freeHugepages(sizeKB: size, node: node)
            if let free, free >= want { continue }
            let path = "/sys/devices/system/node/node\(node)/hugepages/hugepages-\(size)kB/nr_hugepages"
            out.append(Finding(check: "hugepages_free", severity: severity(e),
                               message: "node \(node) needs \(want) free \(p.hugepages.pageSizeName) hugepages, host has \(free.map(String.init) ?? "none reported")",
                               remedy: "reserve them at boot (hugepagesz=\(p.hugepages.pageSizeName) hugepages=\(node):\(want)) or now: echo \(want) > \(path)"))
        }
        return out
    }

    /// A hot core on another node than its NIC pays a cross-socket hop on every descriptor,
    /// packet and doorbell; there is no setting under which that is acceptable, so it is refused
    /// whatever the profile's isolation block says.
    static func nicNUMA(_ p: HWProfile, _ h: HostSnapshot) -> [Finding] {
        var out: [Finding] = []
        for port in p.ports {
            guard let address = port.pciAddress else { continue }
            let hostNode = h.pciNumaNode[address].flatMap { $0 >= 0 ? $0 : nil }
            if let hostNode, let declared = port.numaNode, hostNode != declared {
                out.append(Finding(check: "nic_numa_declared", severity: .warn,
                                   message: "profile says port \(port.label) is on node \(declared), the host says node \(hostNode)",
                                   remedy: "set numa_node: \(hostNode) for port \(port.name) in the profile (the host's view is used below)"))
            }
            guard let nicNode = hostNode ?? port.numaNode else { continue }
            for hot in p.cores.hotCores {
                let coreNode = h.cpuNode[hot] ?? p.box.node(ofCPU: hot)
                guard let coreNode, coreNode != nicNode else { continue }
                let nodeCPUs = p.box.numaNodes[nicNode].map(CPUList.format) ?? CPUList.format(h.cpuNode.filter { $0.value == nicNode }.keys)
                out.append(Finding(check: "nic_numa", severity: .refuse,
                                   message: "hot core \(hot) is on NUMA node \(coreNode) but NIC port \(port.label) is on NUMA node \(nicNode): every packet would cross the socket interconnect",
                                   remedy: "put the hot core(s) on node \(nicNode) (its cores: \(nodeCPUs.isEmpty ? "see /sys/devices/system/node/node\(nicNode)/cpulist" : nodeCPUs)) in cores.hot/hot2, or move the NIC to a slot on node \(coreNode)"))
            }
        }
        return out
    }

    /// Role name → its cores, in a stable order for messages.
    static func roleCores(_ p: HWProfile) -> [(String, [Int])] {
        [("hot", [p.cores.hot])] + (p.cores.hot2.map { [("hot2", [$0])] } ?? []) + [("housekeeping", p.cores.housekeeping)]
    }
}
