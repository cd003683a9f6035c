// Checks of how the hot cores run: frequency scaling and idle states decide how long a core takes
// to react when a packet arrives (a frequency ramp or a C-state exit is tens of microseconds),
// and an SMT sibling decides how much of the core's caches and ports the hot thread really has.

import TickwireCore
extension TuneCheck {
    static let cpuDir = "/sys/devices/system/cpu"

    /// The CPUs whose per-CPU settings matter: the online ones, else the hot ones.
    static func cpus(_ c: CheckContext) -> [Int] { c.online ?? c.hot }

    static func cpuGovernor(_ c: CheckContext) -> CheckResult {
        let name = "cpu_governor"
        let expected = "scaling_governor performance on every CPU (hot cores at least)"
        var byGovernor: [String: [Int]] = [:]
        for cpu in cpus(c) {
            if let g = c.fs.value("\(cpuDir)/cpu\(cpu)/cpufreq/scaling_governor") { byGovernor[g, default: []].append(cpu) }
        }
        let remedy = "cpupower frequency-set -g performance (or `tune apply`; tuned's network-latency profile sets it at boot)"
        if byGovernor.isEmpty {
            let probe = c.hot.first ?? cpus(c).first ?? 0
            return CheckResult(name: name, status: .warn,
                               found: "\(c.missing("\(cpuDir)/cpu\(probe)/cpufreq/scaling_governor")) (no cpufreq: a VM or no frequency driver; the hypervisor or firmware sets the frequency)",
                               expected: expected, remedy: "on bare metal load a frequency driver (intel_pstate, acpi-cpufreq) and set performance; on a VM nothing to do")
        }
        let found = byGovernor.keys.sorted().map { "\($0) on \(CPUList.format(byGovernor[$0] ?? []))" }.joined(separator: ", ")
        let slow = Set(byGovernor.filter { $0.key != "performance" }.values.flatMap { $0 })
        let status: CheckResult.Status = slow.isEmpty ? .pass : (slow.isDisjoint(with: c.hot) ? .warn : .fail)
        return CheckResult(name: name, status: status, found: "\(c.hotLabel); \(found)", expected: expected, remedy: remedy)
    }

    static func cpufreqDriver(_ c: CheckContext) -> CheckResult {
        let name = "cpufreq_driver"
        let expected = "a frequency driver (intel_pstate, intel_cpufreq, amd-pstate, acpi-cpufreq) so the governor is obeyed"
        let probe = c.hot.first ?? cpus(c).first ?? 0
        let path = "\(cpuDir)/cpu\(probe)/cpufreq/scaling_driver"
        guard let driver = c.fs.value(path) else {
            return CheckResult(name: name, status: .warn, found: "\(c.missing(path)) (no cpufreq driver: frequency is the hypervisor's or firmware's)",
                               expected: expected, remedy: "on bare metal set the BIOS power profile to OS-controlled or maximum performance and load intel_pstate/acpi-cpufreq")
        }
        var found = driver
        if let mode = c.fs.value("\(cpuDir)/intel_pstate/status") { found += " (intel_pstate \(mode))" }
        if let noTurbo = c.fs.value("\(cpuDir)/intel_pstate/no_turbo") { found += ", no_turbo=\(noTurbo)" }
        return CheckResult(name: name, status: .pass, found: found, expected: expected, remedy: "")
    }

    /// Any idle state deeper than POLL left enabled on a hot core costs its exit latency on the
    /// first packet after a quiet spell, which is exactly the packet that matters.
    static func cstates(_ c: CheckContext) -> CheckResult {
        let name = "cstates"
        let expected = "every idle state but POLL disabled on the hot cores"
        guard !c.hot.isEmpty else { return c.unknownHot(name, expected: expected) }
        var enabled: [String] = []
        var seen = 0
        for cpu in c.hot {
            let dir = "\(cpuDir)/cpu\(cpu)/cpuidle"
            guard let states = c.fs.numberedEntries(dir, prefix: "state") else { continue }
            seen += 1
            var deep: [String] = []
            for s in states {
                let stateName = c.fs.value("\(dir)/state\(s)/name") ?? "state\(s)"
                if stateName == "POLL" { continue }
                if c.fs.value("\(dir)/state\(s)/disable") != "1" { deep.append(stateName) }
            }
            if !deep.isEmpty { enabled.append("cpu\(cpu): \(deep.joined(separator: ","))") }
        }
        if seen == 0 {
            return CheckResult(name: name, status: .warn,
                               found: "\(c.hotLabel); \(c.missing("\(cpuDir)/cpu\(c.hot[0])/cpuidle")) (no cpuidle driver: idle is the hypervisor's, or idle=poll)",
                               expected: expected, remedy: "on bare metal boot with intel_idle.max_cstate=0 processor.max_cstate=1, or disable states at run time (`tune apply`)")
        }
        if enabled.isEmpty {
            return CheckResult(name: name, status: .pass, found: "\(c.hotLabel); only POLL enabled", expected: expected, remedy: "")
        }
        return CheckResult(name: name, status: .fail, found: "\(c.hotLabel); enabled: \(enabled.joined(separator: "; "))", expected: expected,
                           remedy: "echo 1 > \(cpuDir)/cpuN/cpuidle/stateM/disable for each (`tune apply`), and intel_idle.max_cstate=0 processor.max_cstate=1 at boot")
    }

    static func maxCstate(_ c: CheckContext) -> CheckResult {
        let name = "max_cstate"
        let expected = "intel_idle.max_cstate=0 and processor.max_cstate=1 (or 0)"
        let remedy = "add intel_idle.max_cstate=0 processor.max_cstate=1 to the kernel command line \(grubHint)"
        guard let cmdline = c.cmdline else {
            return CheckResult(name: name, status: .fail, found: c.missing("/proc/cmdline"), expected: expected, remedy: remedy)
        }
        let paramPath = "/sys/module/intel_idle/parameters/max_cstate"
        let param = c.fs.value(paramPath)
        let intelOK = cmdline.value("intel_idle.max_cstate") == "0" || param == "0"
        let processorOK = ["0", "1"].contains(cmdline.value("processor.max_cstate") ?? "")
        let found = "cmdline \(cmdline.shown("intel_idle.max_cstate")) \(cmdline.shown("processor.max_cstate")); "
            + (param.map { "intel_idle max_cstate=\($0)" } ?? c.missing(paramPath))
        let status: CheckResult.Status = intelOK && processorOK ? .pass : (intelOK || processorOK ? .warn : .fail)
        return CheckResult(name: name, status: status, found: found, expected: expected, remedy: remedy)
    }

    /// A hot core's SMT sibling shares its L1, L2 and execution ports; an online sibling that
    /// runs anything (not isolated, or given a role) takes them from the hot thread.
    static func smtSiblings(_ c: CheckContext) -> CheckResult {
        let name = "smt_siblings"
        let expected = "each hot core's SMT siblings offline, or isolated and unused"
        guard !c.hot.isEmpty else { return c.unknownHot(name, expected: expected) }
        let used = Set(c.profile?.cores.all ?? c.housekeeping).union(c.hot)
        let isolated = Set(c.isolated ?? [])
        let online = Set(c.online ?? [])
        var busy: [String] = []
        var readable = 0
        for hot in c.hot {
            guard let s = c.fs.value("\(cpuDir)/cpu\(hot)/topology/thread_siblings_list") else { continue }
            readable += 1
            for sib in CPUList.parse(s) where sib != hot && online.contains(sib) {
                if !isolated.contains(sib) || used.contains(sib) { busy.append("\(hot)↔\(sib)") }
            }
        }
        if readable == 0 {
            let probe = c.hot[0]
            return CheckResult(name: name, status: .warn, found: "\(c.hotLabel); \(c.missing("\(cpuDir)/cpu\(probe)/topology/thread_siblings_list"))",
                               expected: expected, remedy: "run on the box itself; or check lscpu -e for the hot cores' siblings")
        }
        if busy.isEmpty {
            return CheckResult(name: name, status: .pass, found: "\(c.hotLabel); no busy sibling", expected: expected, remedy: "")
        }
        return CheckResult(name: name, status: .warn, found: "\(c.hotLabel); busy siblings \(busy.joined(separator: ", "))", expected: expected,
                           remedy: "echo 0 > \(cpuDir)/cpuN/online for each sibling, or isolate it and give it no role (or disable SMT in the BIOS)")
    }
}
