// Checks of memory management and kernel housekeeping: page faults, compaction, NUMA page
// migration, vmstat updates and timer migration all do work on (or IPI) the hot core at moments
// nobody chose.

import TickwireCore
extension TuneCheck {
    /// The bracketed choice of a sysfs selector: "always [madvise] never" → "madvise".
    static func selected(_ s: String) -> String? {
        guard let open = s.firstIndex(of: "["), let close = s[open...].firstIndex(of: "]") else { return nil }
        return String(s[s.index(after: open)..<close])
    }

    /// THP: khugepaged collapses pages and defrag compacts memory synchronously in a fault;
    /// both stall the faulting thread or take locks it needs.
    static func thp(_ c: CheckContext, _ knob: String) -> CheckResult {
        let name = "thp_\(knob)"
        let path = "/sys/kernel/mm/transparent_hugepage/\(knob)"
        let expected = "never (madvise tolerated as warn)"
        let remedy = "echo never > \(path) (or transparent_hugepage=never at boot)"
        guard let raw = c.fs.value(path) else {
            return CheckResult(name: name, status: .warn, found: c.missing(path), expected: expected, remedy: remedy)
        }
        let choice = selected(raw) ?? raw
        let status: CheckResult.Status
        switch choice {
        case "never": status = .pass
        case "madvise", "defer+madvise": status = .warn
        default: status = .fail
        }
        return CheckResult(name: name, status: status, found: choice, expected: expected, remedy: remedy)
    }

    static func hugepages(_ c: CheckContext) -> CheckResult {
        let name = "hugepages"
        let nodes = Set(HostSnapshot.readCPUNodes(c.fs, present: c.online ?? []).values)
            .union(c.fs.numberedEntries("/sys/devices/system/node", prefix: "node") ?? [])
        let pools = HostSnapshot.readHugepages(c.fs, nodes: nodes)
        let global = pools.filter { $0.node == nil }
        let found = global.isEmpty ? c.missing("/sys/kernel/mm/hugepages")
            : global.map { g -> String in
                let perNode = pools.filter { $0.sizeKB == g.sizeKB && $0.node != nil }
                    .map { "node\($0.node ?? 0) \($0.free)/\($0.total)" }.joined(separator: ", ")
                return "\(g.sizeKB)kB \(g.free)/\(g.total) free" + (perNode.isEmpty ? "" : " (\(perNode))")
            }.joined(separator: "; ")
        if let hp = c.profile?.hugepages {
            guard hp.enabled else {
                return CheckResult(name: name, status: .pass, found: "profile runs with --no-huge; \(found)",
                                   expected: "none needed (profile: hugepages disabled)", remedy: "")
            }
            let snap = HostSnapshot(sysroot: c.fs.root, cpuNode: Dictionary(uniqueKeysWithValues: nodes.map { ($0, $0) }), hugepages: pools)
            let short = hp.pagesPerNode.keys.sorted().filter { node in
                (snap.freeHugepages(sizeKB: hp.pageSizeKB, node: node) ?? 0) < (hp.pagesPerNode[node] ?? 0)
            }
            let want = hp.pagesPerNode.keys.sorted().map { "node\($0) \(hp.pagesPerNode[$0] ?? 0)" }.joined(separator: ", ")
            return CheckResult(name: name, status: short.isEmpty ? .pass : .fail, found: found,
                               expected: "\(hp.pageSizeName) pages free: \(want)",
                               remedy: "hugepagesz=\(hp.pageSizeName) hugepages=\(hp.pagesPerNode.keys.sorted().map { "\($0):\(hp.pagesPerNode[$0] ?? 0)" }.joined(separator: ",")) at boot, or echo N > /sys/devices/system/node/nodeM/hugepages/hugepages-\(hp.pageSizeKB)kB/nr_hugepages")
        }
        let expected = "hugepages reserved and free (2M or 1G)"
        let remedy = "reserve at boot: default_hugepagesz=1G hugepagesz=1G hugepages=N (1G pages cannot be reliably reserved later)"
        if global.isEmpty { return CheckResult(name: name, status: .warn, found: found, expected: expected, remedy: remedy) }
        let ok = global.contains { $0.free > 0 }
        return CheckResult(name: name, status: ok ? .pass : .fail, found: found, expected: expected, remedy: remedy)
    }

    /// A sysctl compared with a bound; missing → warn with the path.
    static func sysctl(_ c: CheckContext, name: String, path: String, expected: String, failStatus: CheckResult.Status,
                       sysctlName: String, target: Int, ok: (Int) -> Bool) -> CheckResult
    {
        let remedy = "sysctl -w \(sysctlName)=\(target) (persist in /etc/sysctl.d/90-tickwire.conf)"
        guard let raw = c.fs.value(path) else {
            return CheckResult(name: name, status: .warn, found: c.missing(path), expected: expected, remedy: remedy)
        }
        guard let v = Int(raw) else {
            return CheckResult(name: name, status: .warn, found: "unreadable value '\(raw)'", expected: expected, remedy: remedy)
        }
        return CheckResult(name: name, status: ok(v) ? .pass : failStatus, found: String(v), expected: expected, remedy: remedy)
    }

    /// Timer migration moves timers onto whichever CPU looks busy, i.e. onto the busy-polling core.
    static func timerMigration(_ c: CheckContext) -> CheckResult {
        sysctl(c, name: "timer_migration", path: "/proc/sys/kernel/timer_migration", expected: "0", failStatus: .fail,
               sysctlName: "kernel.timer_migration", target: 0) { $0 == 0 }
    }

    /// The NMI watchdog fires a perf NMI on every CPU periodically, hot cores included.
    static func nmiWatchdog(_ c: CheckContext) -> CheckResult {
        sysctl(c, name: "nmi_watchdog", path: "/proc/sys/kernel/nmi_watchdog", expected: "0", failStatus: .fail,
               sysctlName: "kernel.nmi_watchdog", target: 0) { $0 == 0 }
    }

    /// Automatic NUMA balancing unmaps pages to sample access, so the hot thread takes minor faults.
    static func numaBalancing(_ c: CheckContext) -> CheckResult {
        sysctl(c, name: "numa_balancing", path: "/proc/sys/kernel/numa_balancing", expected: "0", failStatus: .fail,
               sysctlName: "kernel.numa_balancing", target: 0) { $0 == 0 }
    }

    static func swappiness(_ c: CheckContext) -> CheckResult {
        sysctl(c, name: "swappiness", path: "/proc/sys/vm/swappiness", expected: "<= 10", failStatus: .warn,
               sysctlName: "vm.swappiness", target: 10) { $0 <= 10 }
    }

    /// vmstat's per-CPU counter fold runs as deferred work on every CPU each interval.
    static func statInterval(_ c: CheckContext) -> CheckResult {
        sysctl(c, name: "stat_interval", path: "/proc/sys/vm/stat_interval", expected: ">= 10", failStatus: .warn,
               sysctlName: "vm.stat_interval", target: 10) { $0 >= 10 }
    }

    /// The NIC's node must be the hot cores' node: DMA writes land in that node's memory and LLC.
    static func nicNUMA(_ c: CheckContext) -> CheckResult {
        let name = "nic_numa"
        let expected = "each PCI port on the hot cores' NUMA node"
        guard let profile = c.profile else {
            return CheckResult(name: name, status: .pass, found: "n/a: no profile, no NIC to check", expected: expected, remedy: "")
        }
        let ports = profile.ports.filter { $0.pciAddress != nil }
        if ports.isEmpty {
            return CheckResult(name: name, status: .pass, found: "n/a: profile has only vdev ports", expected: expected, remedy: "")
        }
        let present = c.fs.numberedEntries(cpuDir, prefix: "cpu") ?? []
        let cpuNode = HostSnapshot.readCPUNodes(c.fs, present: present)
        let hostNodes = Set(cpuNode.values)
        var found: [String] = []
        var status = CheckResult.Status.pass
        var remedy = ""
        for port in ports {
            let address = port.pciAddress ?? ""
            let path = "/sys/bus/pci/devices/\(address)/numa_node"
            guard let node = c.fs.int(path) else {
                found.append("\(port.name): \(c.missing(path))")
                status = .fail
                remedy = "check the PCI address with lspci -D; the NIC must be present (and bound to vfio-pci or mlx5_core)"
                continue
            }
            if node < 0 {
                found.append("\(port.name): node unknown (-1)")
                if hostNodes.count > 1 && status == .pass { status = .warn; remedy = "enable NUMA/SRAT in the BIOS so the NIC's node is known" }
                continue
            }
            let far = c.hot.filter { (cpuNode[$0] ?? profile.box.node(ofCPU: $0)).map { $0 != node } ?? false }
            if far.isEmpty {
                found.append("\(port.name) \(address): node \(node)")
            } else {
                found.append("\(port.name) \(address): node \(node), hot core(s) \(CPUList.format(far)) on another node")
                status = .fail
                remedy = "move cores.hot/hot2 to node \(node)'s cores (/sys/devices/system/node/node\(node)/cpulist) or the NIC to a slot on the hot cores' node"
            }
        }
        return CheckResult(name: name, status: status, found: "\(c.hotLabel); " + found.joined(separator: "; "), expected: expected, remedy: remedy)
    }
}
