// `tune check`: a read-only report of every host setting that moves tick-to-trade tail latency.
// It reads /proc and /sys under a sysroot and never writes; every file it reads may be missing
// (VMs, containers, older kernels), and a missing file is itself a result, never a crash.
import TickwireCore
import Foundation

/// One line of the report. The keys are a stable contract (JSON consumers, dashboards).
public struct CheckResult: Sendable, Equatable, Codable {
    public enum Status: String, Sendable, Equatable, Codable {
        case pass
        case warn
        case fail
    }

    /// Stable check name (isolcpus, irq_affinity, cpu_governor, ...).
    public let name: String
    public let status: Status
    /// What the host has, or "missing: PATH" when the file to read is not there.
    public let found: String
    public let expected: String
    /// The command or setting that fixes it; empty when the check passes.
    public let remedy: String

    public init(name: String, status: Status, found: String, expected: String, remedy: String) {
        self.name = name
        self.status = status
        self.found = found
        self.expected = expected
        self.remedy = status == .pass ? "" : remedy
    }
}

public enum TuneCheck {
    /// Every check, in report order.
    public static let checkNames = [
        "isolcpus", "nohz_full", "rcu_nocbs", "irqaffinity", "irq_affinity", "irqbalance",
        "cpu_governor", "cpufreq_driver", "cstates", "max_cstate", "thp_enabled", "thp_defrag",
        "hugepages", "timer_migration", "nmi_watchdog", "numa_balancing", "swappiness",
        "stat_interval", "smt_siblings", "nic_numa",
    ]

    /// Runs every check against the host below `sysroot`. With a profile, the hot and
    /// housekeeping cores, hugepage plan and NIC ports come from it; without one the hot cores are
    /// the isolated set, else the last online core, and each result says which it used.
    public static func run(sysroot: String = "/", profile: HWProfile? = nil) -> [CheckResult] {
        let c = CheckContext(sysroot: sysroot, profile: profile)
        return [
            isolcpus(c), nohzFull(c), rcuNocbs(c), irqaffinity(c), irqAffinity(c), irqbalance(c),
            cpuGovernor(c), cpufreqDriver(c), cstates(c), maxCstate(c), thp(c, "enabled"), thp(c, "defrag"),
            hugepages(c), timerMigration(c), nmiWatchdog(c), numaBalancing(c), swappiness(c),
            statInterval(c), smtSiblings(c), nicNUMA(c),
        ]
    }

    /// True when any result failed (what `--strict` exits non-zero on).
    public static func hasFailures(_ results: [CheckResult]) -> Bool { results.contains { $0.status == .fail } }

    /// The aligned text table: STATUS NAME FOUND, the remedy under each warn/fail, then counts.
    public static func table(_ results: [CheckResult]) -> String {
        let nameWidth = max(4, results.map(\.name.count).max() ?? 0)
        func pad(_ s: String, _ w: Int) -> String { s + String(repeating: " ", count: max(0, w - s.count)) }
        var lines = [pad("STATUS", 7) + pad("NAME", nameWidth + 2) + "FOUND"]
        for r in results {
            lines.append(pad(r.status.rawValue.uppercased(), 7) + pad(r.name, nameWidth + 2) + r.found)
            if r.status != .pass {
                lines.append(String(repeating: " ", count: 7 + nameWidth + 2) + "→ expected \(r.expected); fix: \(r.remedy)")
            }
        }
        lines.append(summary(results))
        return lines.joined(separator: "\n")
    }

    /// "20 checks: 12 pass, 5 warn, 3 fail".
    public static func summary(_ results: [CheckResult]) -> String {
        let n = { (s: CheckResult.Status) in results.filter { $0.status == s }.count }
        return "\(results.count) checks: \(n(.pass)) pass, \(n(.warn)) warn, \(n(.fail)) fail"
    }

    /// `{"checks":[{"expected":...,"found":...,"name":...,"remedy":...,"status":...}]}`, keys sorted.
    public static func json(_ results: [CheckResult]) throws -> String {
        struct Report: Encodable { let checks: [CheckResult] }
        let enc = JSONEncoder()
        enc.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try enc.encode(Report(checks: results)), as: UTF8.self)
    }
}

/// What every check needs, read once: the command line, the CPU sets and the roles.
struct CheckContext {
    let fs: SysRoot
    let profile: HWProfile?
    /// nil when /proc/cmdline is missing.
    let cmdline: KernelCommandLine?
    let online: [Int]?
    let isolated: [Int]?
    let hot: [Int]
    let housekeeping: [Int]
    /// Where the hot cores came from, for `found`: "hot 2-3 (profile)".
    let hotLabel: String

    init(sysroot: String, profile: HWProfile?) {
        fs = SysRoot(sysroot)
        self.profile = profile
        cmdline = fs.read("/proc/cmdline").map(KernelCommandLine.init)
        let present = fs.numberedEntries("/sys/devices/system/cpu", prefix: "cpu")
        online = HostSnapshot.readOnline(fs, present: present)
        isolated = fs.value("/sys/devices/system/cpu/isolated").map(CPUList.parse)
        let known = online ?? present ?? []
        if let profile {
            hot = profile.cores.hotCores
            housekeeping = profile.cores.housekeeping
            hotLabel = "hot \(CPUList.format(hot)) (profile)"
        } else if let iso = isolated, !iso.isEmpty {
            hot = iso
            housekeeping = known.filter { !iso.contains($0) }
            hotLabel = "hot \(CPUList.format(hot)) (isolated set, no profile)"
        } else if let last = known.last {
            hot = [last]
            housekeeping = known.filter { $0 != last }
            hotLabel = "hot \(last) (last online core: no profile, nothing isolated)"
        } else {
            hot = []
            housekeeping = []
            hotLabel = "hot cores unknown: \(fs.path("/sys/devices/system/cpu/online")) and cpuN are missing, and no profile"
        }
    }

    /// "missing: /sys/..." with the path as read (sysroot included).
    func missing(_ hostPath: String) -> String { "missing: \(fs.path(hostPath))" }

    var hotList: String { CPUList.format(hot) }
    var housekeepingList: String { housekeeping.isEmpty ? "0" : CPUList.format(housekeeping) }

    /// The result for a check whose subject (the hot cores) is unknown.
    func unknownHot(_ name: String, expected: String) -> CheckResult {
        CheckResult(name: name, status: .warn, found: "missing: \(fs.path("/sys/devices/system/cpu/online")) (hot cores unknown)",
                    expected: expected, remedy: "pass --profile so the hot cores are known, or run on the box itself")
    }
}
