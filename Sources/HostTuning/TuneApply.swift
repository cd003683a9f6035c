// Run-time knobs that can be set without a reboot. The plan is computed first and printed, so an
// operator sees every write before it happens (`--dry-run`), and executing it never stops at the
// first error: some writes fail by design (managed IRQs answer EIO, a VM has no cpufreq) and the
// rest must still happen.
#if canImport(Glibc)
import TickwireCore
import Glibc
#endif

/// One write to a /proc or /sys file.
public struct Write: Sendable, Equatable {
    /// The file as it exists under the sysroot the plan was made for.
    public let path: String
    public let value: String
    public let reason: String

    public init(path: String, value: String, reason: String) {
        self.path = path
        self.value = value
        self.reason = reason
    }
}

/// What happened to one write.
public struct WriteOutcome: Sendable, Equatable {
    public let write: Write
    /// nil when it was written (or would be, in a dry run).
    public let error: String?
}

public enum TuneApply {
    /// The writes that bring the host below `sysroot` to the profile's run-time settings; a knob
    /// that already has its target value, or whose file does not exist, gets no write.
    public static func plan(sysroot: String = "/", profile: HWProfile? = nil) -> [Write] {
        let c = CheckContext(sysroot: sysroot, profile: profile)
        let fs = c.fs
        var out: [Write] = []
        let hot = Set(c.hot)
        let cpuDir = "/sys/devices/system/cpu"

        for cpu in c.online ?? [] {
            let path = "\(cpuDir)/cpu\(cpu)/cpufreq/scaling_governor"
            if let g = fs.value(path), g != "performance" {
                out.append(Write(path: fs.path(path), value: "performance", reason: "cpu\(cpu): no frequency ramp when a burst arrives (was \(g))"))
            }
        }
        for cpu in c.hot {
            let dir = "\(cpuDir)/cpu\(cpu)/cpuidle"
            for s in fs.numberedEntries(dir, prefix: "state") ?? [] {
                let name = fs.value("\(dir)/state\(s)/name") ?? "state\(s)"
                if name != "POLL", let d = fs.value("\(dir)/state\(s)/disable"), d != "1" {
                    out.append(Write(path: fs.path("\(dir)/state\(s)/disable"), value: "1", reason: "hot cpu\(cpu): no \(name) exit latency"))
                }
            }
        }
        for knob in ["enabled", "defrag"] {
            let path = "/sys/kernel/mm/transparent_hugepage/\(knob)"
            if let raw = fs.value(path), TuneCheck.selected(raw) != "never" {
                out.append(Write(path: fs.path(path), value: "never", reason: "THP \(knob): no khugepaged or compaction stalls"))
            }
        }
        if !c.hot.isEmpty && !c.housekeeping.isEmpty {
            let hk = CPUList.format(c.housekeeping)
            if let mask = fs.value("/proc/irq/default_smp_affinity"),
               !hot.isDisjoint(with: CPUList.parseMask(mask) ?? [])
            {
                out.append(Write(path: fs.path("/proc/irq/default_smp_affinity"), value: CPUList.formatMask(c.housekeeping),
                                 reason: "IRQs registered from now on start on housekeeping cores \(hk)"))
            }
            for irq in fs.numberedEntries("/proc/irq", prefix: "") ?? [] {
                let path = "/proc/irq/\(irq)/smp_affinity_list"
                guard let list = fs.value(path), !hot.isDisjoint(with: CPUList.parse(list)) else { continue }
                out.append(Write(path: fs.path(path), value: hk, reason: "IRQ \(irq) off hot cores (was \(list))"))
            }
        }
        let sysctls: [(String, Int, (Int) -> Bool, String)] = [
            ("/proc/sys/kernel/timer_migration", 0, { $0 == 0 }, "timers stay on the CPU that armed them"),
            ("/proc/sys/kernel/nmi_watchdog", 0, { $0 == 0 }, "no periodic NMI on the hot cores"),
            ("/proc/sys/kernel/numa_balancing", 0, { $0 == 0 }, "no NUMA hinting faults on the hot thread's pages"),
            ("/proc/sys/vm/swappiness", 10, { $0 <= 10 }, "keep anonymous memory resident"),
            ("/proc/sys/vm/stat_interval", 10, { $0 >= 10 }, "vmstat folds every 10 s instead of every second"),
        ]
        for (path, target, ok, reason) in sysctls {
            if let v = fs.int(path), !ok(v) {
                out.append(Write(path: fs.path(path), value: String(target), reason: "\(reason) (was \(v))"))
            }
        }
        return out
    }

    /// Performs (or, with `dryRun`, only reports) each write, logging one line per write, and
    /// returns every outcome; a failed write is reported and the next one is tried.
    @discardableResult
    public static func execute(_ plan: [Write], dryRun: Bool, log: (String) -> Void = { print($0) }) -> [WriteOutcome] {
        var outcomes: [WriteOutcome] = []
        for w in plan {
            if dryRun {
                log("would write \(w.value) > \(w.path)  # \(w.reason)")
                outcomes.append(WriteOutcome(write: w, error: nil))
                continue
            }
            let error = writeFile(w.path, w.value)
            if let error {
                log("FAILED      \(w.value) > \(w.path): \(error)")
            } else {
                log("wrote       \(w.value) > \(w.path)  # \(w.reason)")
            }
            outcomes.append(WriteOutcome(write: w, error: error))
        }
        return outcomes
    }

    /// One write(2) of the whole value, as `echo` does; sysfs applies it on that call, so a
    /// failure (EIO, EINVAL, EPERM) is reported by this write and not later.
    static func writeFile(_ path: String, _ value: String) -> String? {
        let fd: Int32
        switch Syscall.call("open(\(path))", { open(path, O_WRONLY | O_TRUNC | O_CLOEXEC) }) {
        case .success(let d): fd = d
        case .failure(let e): return "open: \(e)"
        }
        defer { Syscall.close(fd) }
        let bytes = Array((value + "\n").utf8)
        let written = bytes.withUnsafeBytes { b in Syscall.call("write(\(path))") { Glibc.write(fd, b.baseAddress, b.count) } }
        let n: Int
        switch written {
        case .success(let w): n = w
        case .failure(let e): return e.description
        }
        if n != bytes.count { return "short write (\(n) of \(bytes.count) bytes)" }
        return nil
    }
}
