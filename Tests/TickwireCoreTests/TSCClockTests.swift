import Testing
import Foundation
@testable import TickwireCore

@Suite struct TSCClockTests {
    @Test func multiplyAndShiftIsExact() {
        let c = TSCClock(hz: 2_000_000_000)
        #expect(c.nanoseconds(cycles: 2_000_000_000) == 1_000_000_000)
        #expect(c.nanoseconds(cycles: 2) == 1)
        // Large deltas (a day of cycles at 3 GHz) do not overflow: the product is 128-bit.
        let d = TSCClock(hz: 3_000_000_000)
        let day: UInt64 = 86_400 * 3_000_000_000
        let ns = d.nanoseconds(cycles: day)
        #expect(ns >= 86_400_000_000_000 - 1 && ns <= 86_400_000_000_000 + 1)
        // An odd frequency stays within 1 ns per second.
        let e = TSCClock(hz: 2_445_404_133)
        let s = e.nanoseconds(cycles: 2_445_404_133)
        #expect(s >= 999_999_999 && s <= 1_000_000_001)
    }

    /// Calibrate, then check the converted TSC against CLOCK_MONOTONIC_RAW over a second window:
    /// the error must be tiny (under 0.5%, generous for a shared VM).
    @Test func calibrationAgreesWithMonotonicRaw() {
        let clock = TSCClock.calibrate(windowNanos: 50_000_000)
        #expect(clock.hz > 100_000_000, "a TSC under 100 MHz is not plausible")
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC_RAW, &ts)
        let m0 = Int64(ts.tv_sec) * 1_000_000_000 + Int64(ts.tv_nsec)
        let t0 = TSCClock.now()
        usleep(100_000)
        clock_gettime(CLOCK_MONOTONIC_RAW, &ts)
        let m1 = Int64(ts.tv_sec) * 1_000_000_000 + Int64(ts.tv_nsec)
        let t1 = TSCClock.now()
        let tscNs = Double(clock.nanoseconds(cycles: t1 - t0))
        let monoNs = Double(m1 - m0)
        #expect(abs(tscNs - monoNs) / monoNs < 0.005, "TSC \(tscNs) ns vs monotonic \(monoNs) ns")
    }

    @Test func realtimeAnchorIsClose() {
        let clock = TSCClock.calibrate(windowNanos: 20_000_000)
        let now = Int64(Date().timeIntervalSince1970 * 1e9)
        let fromTSC = clock.realtimeNanos(tsc: TSCClock.now())
        #expect(abs(fromTSC - now) < 5_000_000, "TSC-derived wall clock within 5 ms of the system's")
    }

    /// The appliance drives the order session's timers with TSC-derived monotonic time inside the
    /// loop and with CLOCK_MONOTONIC_RAW outside it: the two must agree.
    @Test func monotonicRawAnchorIsClose() {
        let clock = TSCClock.calibrate(windowNanos: 20_000_000)
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC_RAW, &ts)
        let now = Int64(ts.tv_sec) * 1_000_000_000 + Int64(ts.tv_nsec)
        let fromTSC = clock.monotonicRawNanos(tsc: TSCClock.now())
        #expect(abs(fromTSC - now) < 2_000_000, "TSC-derived monotonic time within 2 ms of CLOCK_MONOTONIC_RAW (\(fromTSC - now) ns)")
    }

    @Test func invarianceFromFixtures() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tw-tsc-\(getpid())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let good = dir.appendingPathComponent("good"), bad = dir.appendingPathComponent("bad")
        try "processor\t: 0\nflags\t\t: fpu tsc constant_tsc nonstop_tsc rdtscp\n".write(to: good, atomically: true, encoding: .utf8)
        try "processor\t: 0\nflags\t\t: fpu tsc rdtscp\n".write(to: bad, atomically: true, encoding: .utf8)
        let g = TSCInvariance.read(cpuinfo: good.path, clocksource: "/nonexistent")
        #expect(g.isInvariant && g.warning == nil && g.clocksource == nil)
        let b = TSCInvariance.read(cpuinfo: bad.path, clocksource: "/nonexistent")
        #expect(!b.isInvariant)
        #expect(b.warning?.contains("constant_tsc") == true)
        #expect(b.warning?.contains("nonstop_tsc") == true)
        let missing = TSCInvariance.read(cpuinfo: "/nonexistent/cpuinfo", clocksource: "/nonexistent")
        #expect(!missing.isInvariant, "no cpuinfo: refuse to call the TSC invariant")
    }

    @Test func thisMachine() {
        // Reported, not asserted: a VM may lack the flags. The read must not crash.
        let inv = TSCInvariance.read()
        #expect(inv.isInvariant == (inv.warning == nil))
    }
}

@Suite struct HostFactsTests {
    @Test func cpuListParseAndFormat() {
        #expect(CPUList.parse("0-3,8,10-11") == [0, 1, 2, 3, 8, 10, 11])
        #expect(CPUList.parse("") == [])
        #expect(CPUList.parse("garbage,,-,5") == [5])
        #expect(CPUList.format([3, 1, 2, 8, 10, 11]) == "1-3,8,10-11")
    }

    @Test func missingSysrootIsEmptyNotACrash() {
        let h = HostFacts.read(sysroot: "/nonexistent-sysroot")
        #expect(h.onlineCPUs.isEmpty && h.numaNodes.isEmpty && h.hugepages.isEmpty && h.kernelCommandLine == nil)
    }

    @Test func realHost() {
        let h = HostFacts.read()
        #expect(!h.onlineCPUs.isEmpty)
    }
}

@Suite struct ThreadTests {
    @Test func pinAndName() throws {
        let cpus = ThreadPlacement.currentAffinity()
        #expect(!cpus.isEmpty)
        let target = cpus.last!
        let result = Mutex<(cpus: [Int], name: String, err: String?)>(([], "", nil))
        let t = Thread {
            do {
                try ThreadPlacement.pinCurrentThread(to: target)
                try ThreadPlacement.nameCurrentThread("tw-test-pinned")
                // What ps and top show: the kernel's comm of this thread.
                let name = TextFile.value("/proc/thread-self/comm") ?? ""

                result.withLock { $0 = (ThreadPlacement.currentAffinity(), name, nil) }
            } catch {
                result.withLock { $0.err = "\(error)" }
            }
        }
        t.start()
        while t.isExecuting || !t.isFinished { usleep(1000) }
        let r = result.withLock { $0 }
        #expect(r.err == nil)
        #expect(r.cpus == [target])
        #expect(r.name == "tw-test-pinned")
        #expect(throws: SystemError.self) { try ThreadPlacement.pinCurrentThread(to: 100_000) }
    }
}

import Synchronization
