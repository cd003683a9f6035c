// The kernel command line a profile needs. Boot parameters are the only way to keep the kernel
// off the hot cores from the first instant (isolcpus, nohz_full, rcu_nocbs cannot be changed at
// run time), so they are generated from the profile rather than copied from a wiki page.

import TickwireCore
/// One kernel parameter and why it is there.
public struct KernelParameter: Sendable, Equatable {
    /// "isolcpus=managed_irq,domain,2-3" or a bare flag ("nosoftlockup").
    public let text: String
    public let reason: String

    public init(_ text: String, _ reason: String) {
        self.text = text
        self.reason = reason
    }
}

public enum TuneCommandLine {
    /// The parameters in order, each with its reason (what `tune cmdline --explain` prints).
    ///
    /// `idle=poll` is deliberately absent: it makes every idle CPU, housekeeping included, spin at
    /// full power and can lower the turbo headroom of the hot cores; the hot cores already poll
    /// in user space. GUIDE.md explains when to add it.
    public static func parameters(_ profile: HWProfile) -> [KernelParameter] {
        let hot = CPUList.format(profile.cores.hotCores)
        let hk = CPUList.format(profile.cores.housekeeping)
        var p: [KernelParameter] = [
            .init("isolcpus=managed_irq,domain,\(hot)",
                  "no scheduler load balancing onto the hot cores, and managed IRQs kept off them"),
            .init("nohz_full=\(hot)", "no periodic scheduler tick on a hot core while one task runs there"),
            .init("rcu_nocbs=\(hot)", "RCU callbacks run on housekeeping kthreads, not on the hot cores"),
            .init("irqaffinity=\(hk)", "default affinity of every IRQ: the housekeeping cores"),
            .init("intel_idle.max_cstate=0", "no intel_idle driver: no deep C-state exits (tens of µs) on wake-up"),
            .init("processor.max_cstate=1", "ACPI idle stops at C1 (the fallback driver when intel_idle is off)"),
            .init("intel_pstate=disable", "acpi-cpufreq with the performance governor holds the nominal frequency instead of intel_pstate's ramping; remove to keep turbo under intel_pstate's performance policy"),
            .init("transparent_hugepage=never", "no khugepaged collapse and no fault-time compaction stalls"),
        ]
        if profile.hugepages.enabled {
            let hp = profile.hugepages
            let nodes = hp.pagesPerNode.keys.sorted().filter { (hp.pagesPerNode[$0] ?? 0) > 0 }
            let count = profile.box.numaNodes.count > 1
                ? nodes.map { "\($0):\(hp.pagesPerNode[$0] ?? 0)" }.joined(separator: ",")
                : String(hp.pagesPerNode.values.reduce(0, +))
            p += [
                .init("default_hugepagesz=\(hp.pageSizeName)", "hugetlbfs mounts default to the EAL's page size"),
                .init("hugepagesz=\(hp.pageSizeName)", "declares the pool (1G pages can only be reserved reliably at boot)"),
                .init("hugepages=\(count)", profile.box.numaNodes.count > 1
                    ? "pages per node (node:count, Linux 5.16+), where the NIC and hot cores are"
                    : "pages for the EAL's --socket-mem"),
            ]
        }
        p += [
            .init("nosoftlockup", "no soft-lockup watchdog complaints about a core that never schedules"),
            .init("nmi_watchdog=0", "no periodic perf NMI on every CPU"),
            .init("skew_tick=1", "ticks of different CPUs offset, so they do not contend on jiffies locks together"),
            .init("tsc=reliable", "no clocksource watchdog re-checking the TSC (and no fallback to hpet)"),
            .init("mce=ignore_ce", "no periodic polling for corrected machine-check errors"),
            .init("audit=0", "no audit records on syscalls from the cold threads"),
        ]
        return p
    }

    /// The parameters as one line, ready for GRUB_CMDLINE_LINUX.
    public static func generate(_ profile: HWProfile) -> String {
        parameters(profile).map(\.text).joined(separator: " ")
    }
}
