import Foundation
import HostTuning
import Testing

@Suite struct ApplyTests {
    @Test func tunedBoxNeedsNoWrite() {
        #expect(TuneApply.plan(sysroot: Paths.fixture("tuned")).isEmpty)
    }

    @Test func untunedPlanCoversEveryRuntimeKnob() {
        let root = Paths.fixture("untuned")
        let plan = TuneApply.plan(sysroot: root)
        let byPath = Dictionary(plan.map { ($0.path.replacingOccurrences(of: root, with: ""), $0.value) }, uniquingKeysWith: { a, _ in a })
        for cpu in 0...3 { #expect(byPath["/sys/devices/system/cpu/cpu\(cpu)/cpufreq/scaling_governor"] == "performance") }
        #expect(byPath["/sys/devices/system/cpu/cpu3/cpuidle/state0/disable"] == nil) // POLL stays
        #expect(byPath["/sys/devices/system/cpu/cpu3/cpuidle/state3/disable"] == "1")
        #expect(byPath["/sys/kernel/mm/transparent_hugepage/enabled"] == "never")
        #expect(byPath["/sys/kernel/mm/transparent_hugepage/defrag"] == "never")
        #expect(byPath["/proc/irq/24/smp_affinity_list"] == "0-2")
        #expect(byPath["/proc/irq/25/smp_affinity_list"] == "0-2")
        #expect(byPath["/proc/irq/26/smp_affinity_list"] == nil) // already off the hot core
        #expect(byPath["/proc/irq/default_smp_affinity"] == "7")
        #expect(byPath["/proc/sys/kernel/timer_migration"] == "0")
        #expect(byPath["/proc/sys/kernel/nmi_watchdog"] == "0")
        #expect(byPath["/proc/sys/kernel/numa_balancing"] == "0")
        #expect(byPath["/proc/sys/vm/swappiness"] == "10")
        #expect(byPath["/proc/sys/vm/stat_interval"] == "10")
    }

    @Test func missingSysrootPlansNothing() {
        #expect(TuneApply.plan(sysroot: Paths.fixture("missing")).isEmpty)
    }

    @Test func executeWritesAndReportsFailuresWithoutStopping() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tw-apply-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try "1\n".write(toFile: dir + "/a", atomically: true, encoding: .utf8)
        try "1\n".write(toFile: dir + "/c", atomically: true, encoding: .utf8)
        let plan = [Write(path: dir + "/a", value: "0", reason: "r"),
                    Write(path: dir + "/missing/b", value: "0", reason: "r"),
                    Write(path: dir + "/c", value: "0", reason: "r")]
        var dryLog: [String] = []
        TuneApply.execute(plan, dryRun: true) { dryLog.append($0) }
        #expect(dryLog.count == 3 && dryLog.allSatisfy { $0.hasPrefix("would write") })
        #expect(try String(contentsOfFile: dir + "/a", encoding: .utf8) == "1\n")

        var log: [String] = []
        let outcomes = TuneApply.execute(plan, dryRun: false) { log.append($0) }
        #expect(outcomes.map { $0.error == nil } == [true, false, true])
        #expect(log[1].contains("No such file"))
        #expect(log[0].hasPrefix("wrote") && log[2].hasPrefix("wrote"))
        #expect(try String(contentsOfFile: dir + "/c", encoding: .utf8) == "0\n")
    }
}

/// Carries a result out of a Foundation Thread.
private final class ThreadResult: @unchecked Sendable {
    private let lock = NSLock()
    private var value: (pinError: String?, tid: Int?, allowed: String?)?
    func set(_ v: (String?, Int?, String?)) { lock.withLock { value = v } }
    func get() -> (pinError: String?, tid: Int?, allowed: String?)? { lock.withLock { value } }
}

@Suite struct CorePinningTests {
    @Test func pinsANewThreadToCore0() throws {
        let result = ThreadResult()
        let done = DispatchSemaphore(value: 0)
        let thread = Thread {
            var pinError: String?
            do { try CorePinning.pinCurrentThread(toCore: 0) } catch { pinError = "\(error)" }
            let tid = CorePinning.currentThreadID()
            let status = tid.flatMap { try? String(contentsOfFile: "/proc/self/task/\($0)/status", encoding: .utf8) }
            let allowed = status?.split(separator: "\n").first { $0.hasPrefix("Cpus_allowed_list:") }
                .map { $0.dropFirst("Cpus_allowed_list:".count).trimmingCharacters(in: .whitespaces) }
            result.set((pinError, tid, allowed))
            done.signal()
        }
        thread.start()
        #expect(done.wait(timeout: .now() + 10) == .success)
        let r = try #require(result.get())
        #expect(r.pinError == nil)
        #expect(r.tid != nil)
        #expect(r.allowed == "0")
    }

    @Test func impossibleCoreThrowsWithErrnoText() {
        do {
            try CorePinning.pinCurrentThread(toCore: 1000)
            Issue.record("pinning to core 1000 succeeded")
        } catch let e as CorePinningError {
            #expect(e.errno == EINVAL)
            #expect(e.description.contains("Invalid argument"))
        } catch {
            Issue.record("unexpected \(error)")
        }
        #expect(throws: CorePinningError.self) { try CorePinning.pinCurrentThread(toCore: -1) }
    }

    @Test func roleWithoutACoreThrows() throws {
        let p = try HWProfile.load(Paths.profile("dev-vm.yaml"))
        #expect(throws: CorePinningError.self) { try CorePinning.pinCurrentThread(role: .hot2, profile: p) }
    }
}
