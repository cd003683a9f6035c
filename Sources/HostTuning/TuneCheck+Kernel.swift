// Checks of what the kernel is told at boot about the hot cores, and of the interrupts that can
// still land there: each one is a source of microsecond-scale interruptions of the busy-poll loop.

import TickwireCore
extension TuneCheck {
    static let grubHint = "(GRUB_CMDLINE_LINUX in /etc/default/grub, update-grub, reboot; `tune cmdline` prints the full line)"

    static func isolcpus(_ c: CheckContext) -> CheckResult {
        let name = "isolcpus"
        let expected = "hot cores in isolcpus= and /sys/devices/system/cpu/isolated"
        guard !c.hot.isEmpty else { return c.unknownHot(name, expected: expected) }
        let remedy = "add isolcpus=managed_irq,domain,\(c.hotList) to the kernel command line \(grubHint)"
        let cmd = c.cmdline.map { $0.shown("isolcpus") } ?? c.missing("/proc/cmdline")
        let cmdCPUs = c.cmdline?.cpus("isolcpus") ?? []
        guard let iso = c.isolated else {
            let covered = Set(c.hot).isSubset(of: cmdCPUs)
            return CheckResult(name: name, status: covered ? .warn : .fail,
                               found: "\(c.hotLabel); \(c.missing("/sys/devices/system/cpu/isolated")); cmdline \(cmd)",
                               expected: expected, remedy: remedy)
        }
        let ok = Set(c.hot).isSubset(of: iso)
        return CheckResult(name: name, status: ok ? .pass : .fail,
                           found: "\(c.hotLabel); isolated=\(iso.isEmpty ? "none" : CPUList.format(iso)); cmdline \(cmd)",
                           expected: expected, remedy: remedy)
    }

    static func nohzFull(_ c: CheckContext) -> CheckResult {
        let name = "nohz_full"
        let expected = "hot cores in nohz_full= and /sys/devices/system/cpu/nohz_full"
        guard !c.hot.isEmpty else { return c.unknownHot(name, expected: expected) }
        let remedy = "add nohz_full=\(c.hotList) to the kernel command line \(grubHint); the kernel needs CONFIG_NO_HZ_FULL"
        let cmd = c.cmdline.map { $0.shown("nohz_full") } ?? c.missing("/proc/cmdline")
        guard let raw = c.fs.value("/sys/devices/system/cpu/nohz_full") else {
            return CheckResult(name: name, status: .fail,
                               found: "\(c.hotLabel); \(c.missing("/sys/devices/system/cpu/nohz_full")) (kernel without CONFIG_NO_HZ_FULL?); cmdline \(cmd)",
                               expected: expected, remedy: remedy)
        }
        let set = raw == "(null)" ? [] : CPUList.parse(raw)
        let ok = Set(c.hot).isSubset(of: set)
        return CheckResult(name: name, status: ok ? .pass : .fail,
                           found: "\(c.hotLabel); nohz_full=\(set.isEmpty ? "none" : CPUList.format(set)); cmdline \(cmd)",
                           expected: expected, remedy: remedy)
    }

    /// RCU callbacks run on the CPU that queued them unless offloaded; nohz_full CPUs are
    /// offloaded implicitly, so either parameter covering the hot cores passes.
    static func rcuNocbs(_ c: CheckContext) -> CheckResult {
        let name = "rcu_nocbs"
        let expected = "hot cores in rcu_nocbs= (or implied by nohz_full=)"
        guard !c.hot.isEmpty else { return c.unknownHot(name, expected: expected) }
        let remedy = "add rcu_nocbs=\(c.hotList) to the kernel command line \(grubHint)"
        guard let cmdline = c.cmdline else {
            return CheckResult(name: name, status: .fail, found: c.missing("/proc/cmdline"), expected: expected, remedy: remedy)
        }
        let hot = Set(c.hot)
        if hot.isSubset(of: cmdline.cpus("rcu_nocbs") ?? []) {
            return CheckResult(name: name, status: .pass, found: "\(c.hotLabel); \(cmdline.shown("rcu_nocbs"))", expected: expected, remedy: "")
        }
        if hot.isSubset(of: cmdline.cpus("nohz_full") ?? []) {
            return CheckResult(name: name, status: .pass, found: "\(c.hotLabel); implied by \(cmdline.shown("nohz_full"))", expected: expected, remedy: "")
        }
        return CheckResult(name: name, status: .fail, found: "\(c.hotLabel); \(cmdline.shown("rcu_nocbs"))", expected: expected, remedy: remedy)
    }

    /// irqaffinity= sets the default mask for IRQs set up after boot; the runtime mirror of it is
    /// /proc/irq/default_smp_affinity.
    static func irqaffinity(_ c: CheckContext) -> CheckResult {
        let name = "irqaffinity"
        let expected = "irqaffinity= and default_smp_affinity exclude the hot cores"
        guard !c.hot.isEmpty else { return c.unknownHot(name, expected: expected) }
        let remedy = "add irqaffinity=\(c.housekeepingList) to the kernel command line \(grubHint)"
        let hot = Set(c.hot)
        var found = [c.hotLabel]
        var status = CheckResult.Status.pass
        if let cmdline = c.cmdline {
            found.append("cmdline \(cmdline.shown("irqaffinity"))")
            if let cpus = cmdline.cpus("irqaffinity"), !cpus.isEmpty {
                if !hot.isDisjoint(with: cpus) { status = .fail }
            } else {
                status = .fail
            }
        } else {
            found.append(c.missing("/proc/cmdline"))
            status = .fail
        }
        if let mask = c.fs.value("/proc/irq/default_smp_affinity") {
            let cpus = CPUList.parseMask(mask) ?? []
            found.append("default_smp_affinity=\(mask) (\(CPUList.format(cpus)))")
            if !hot.isDisjoint(with: cpus) { status = .fail }
        } else {
            found.append(c.missing("/proc/irq/default_smp_affinity"))
            if status == .pass { status = .warn }
        }
        return CheckResult(name: name, status: status, found: found.joined(separator: "; "), expected: expected, remedy: remedy)
    }

    /// Any IRQ whose allowed list includes a hot core can preempt the busy-poll loop for the
    /// length of its handler plus the cache damage it does.
    static func irqAffinity(_ c: CheckContext) -> CheckResult {
        let name = "irq_affinity"
        let expected = "no IRQ allowed on a hot core (/proc/irq/*/smp_affinity_list)"
        guard !c.hot.isEmpty else { return c.unknownHot(name, expected: expected) }
        guard let entries = c.fs.numberedEntries("/proc/irq", prefix: "") else {
            return CheckResult(name: name, status: .warn, found: c.missing("/proc/irq"), expected: expected,
                               remedy: "mount /proc, or run on the box itself")
        }
        let hot = Set(c.hot)
        var offenders: [Int] = []
        var readable = 0
        for irq in entries {
            guard let list = c.fs.value("/proc/irq/\(irq)/smp_affinity_list") else { continue }
            readable += 1
            if !hot.isDisjoint(with: CPUList.parse(list)) { offenders.append(irq) }
        }
        if readable == 0 {
            return CheckResult(name: name, status: .warn, found: "\(c.missing("/proc/irq/*/smp_affinity_list")) (no IRQ readable)",
                               expected: expected, remedy: "run as root on the box itself")
        }
        if offenders.isEmpty {
            return CheckResult(name: name, status: .pass, found: "\(c.hotLabel); \(readable) IRQs, none on a hot core", expected: expected, remedy: "")
        }
        return CheckResult(name: name, status: .fail,
                           found: "\(c.hotLabel); \(offenders.count) of \(readable) IRQs allowed on a hot core: \(offenders.map(String.init).joined(separator: ","))",
                           expected: expected,
                           remedy: "echo \(c.housekeepingList) > /proc/irq/N/smp_affinity_list for each (`tune apply` does it; EIO on managed IRQs is normal, isolcpus=managed_irq keeps those off)")
    }

    /// irqbalance rewrites IRQ affinities every few seconds, undoing irq_affinity. Versions from
    /// 1.8 leave isolated and nohz_full CPUs alone, so it is a failure only when the hot cores
    /// are not isolated.
    static func irqbalance(_ c: CheckContext) -> CheckResult {
        let name = "irqbalance"
        let expected = "irqbalance not running"
        guard let pids = c.fs.numberedEntries("/proc", prefix: ""), !pids.isEmpty else {
            return CheckResult(name: name, status: .warn, found: "\(c.missing("/proc/[pid]/comm")) (no process visible)",
                               expected: expected, remedy: "run on the box itself with /proc mounted")
        }
        let running = pids.filter { c.fs.value("/proc/\($0)/comm") == "irqbalance" }
        guard let pid = running.first else {
            return CheckResult(name: name, status: .pass, found: "not running (\(pids.count) processes scanned)", expected: expected, remedy: "")
        }
        let isolated = Set(c.hot).isSubset(of: c.isolated ?? []) && !c.hot.isEmpty
        return CheckResult(name: name, status: isolated ? .warn : .fail,
                           found: "running (pid \(pid))\(isolated ? "; hot cores are isolated, which irqbalance >= 1.8 skips" : "")",
                           expected: expected,
                           remedy: "systemctl disable --now irqbalance (or IRQBALANCE_BANNED_CPULIST=\(c.hotList) in /etc/default/irqbalance)")
    }
}
