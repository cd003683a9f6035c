import Testing
import Glibc
@testable import TickwireCore

/// A synthetic NIC clock against a 2.5 GHz TSC: a known offset, a rate error in ppm, a slow
/// drift of that rate, and uniform jitter on every read.
struct SyntheticClock {
    let tscHz = 2_500_000_000.0
    /// The NIC clock at TSC zero (ns): kept as an integer, a Double has 256 ns steps up there.
    var offset: Int64 = 1_733_000_000_000_000_000
    var ppm: Double
    /// ppm per simulated second (a crystal warming up).
    var drift: Double = 0
    var jitter: Double = 20
    var step: (at: Double, nanos: Double)?
    var rng = SplitMix64(state: 7)

    /// True NIC time at simulated second `t`, in ns after `offset`.
    func truth(_ t: Double) -> Double {
        // The rate is 1 + (ppm + drift·t)·1e-6: integrate it.
        var v = t * 1e9 + (ppm * t + drift * t * t / 2) * 1e3
        if let s = step, t >= s.at { v += s.nanos }
        return v
    }

    /// How far the model's conversion at `t` is from the truth (ns).
    func error(_ m: ClockModel, at t: Double) -> Double {
        abs(Double(m.convert(tsc(t))! &- offset) - truth(t))
    }

    func tsc(_ t: Double) -> UInt64 { 1_000_000 + UInt64(t * tscHz) }

    mutating func read(_ t: Double) -> (UInt64, Int64) {
        let j = (rng.uniform() * 2 - 1) * jitter
        return (tsc(t), offset &+ Int64((truth(t) + j).rounded()))
    }
}

@Suite struct ClockModelTests {
    /// Samples every 10 ms for 60 s; between samples the model converts TSC readings and is
    /// checked against the truth.
    func track(_ clock: inout SyntheticClock, seconds: Double = 60) -> (maxError: Double, outcomes: [ClockModel.Outcome]) {
        var m = ClockModel(capacity: 64, stepThresholdNanos: 1_000)
        var worst = 0.0
        var outcomes: [ClockModel.Outcome] = []
        var t = 0.0
        while t < seconds {
            let (x, y) = clock.read(t)
            let o = m.add(x: x, y: y)
            if o != .accepted { outcomes.append(o) }
            if m.count >= 8, m.isReady {
                for k in 1...4 {
                    let q = t + Double(k) * 0.0025
                    if let s = clock.step, q >= s.at, t < s.at { continue }  // the step is not known yet
                    if let s = clock.step, t >= s.at, t < s.at + 0.03 { continue }  // being confirmed
                    worst = max(worst, clock.error(m, at: q))
                }
            }
            t += 0.01
        }
        return (worst, outcomes)
    }

    @Test(arguments: [100.0, -100.0, 0.0])
    func tracksOffsetRateAndJitterWithin50ns(ppm: Double) {
        var c = SyntheticClock(ppm: ppm, drift: 0.05)
        let (worst, outcomes) = track(&c)
        #expect(worst <= 50, "worst conversion error \(worst) ns at \(ppm) ppm")
        #expect(outcomes.isEmpty, "no step or outlier in a clean clock: \(outcomes)")
    }

    @Test func aStepIsDetectedAndReportedNotSmeared() {
        var c = SyntheticClock(ppm: 100)
        c.step = (at: 30.0, nanos: 5_000)
        var m = ClockModel(capacity: 64, stepThresholdNanos: 1_000)
        var steps: [Int64] = []
        var t = 0.0
        var worstAfter = 0.0
        while t < 60 {
            let (x, y) = c.read(t)
            if case .step(let n) = m.add(x: x, y: y) { steps.append(n) }
            if t > 30.05 {
                let q = t + 0.005
                worstAfter = max(worstAfter, c.error(m, at: q))
            }
            t += 0.01
        }
        #expect(steps.count == 1)
        #expect(abs((steps.first ?? 0) - 5_000) <= 50, "step reported as \(steps)")
        #expect(m.steps == 1)
        #expect(worstAfter <= 50, "after the step the model follows the new offset: worst \(worstAfter) ns")
    }

    @Test func aLoneBadReadIsAnOutlierNotAStep() {
        var c = SyntheticClock(ppm: -40)
        var m = ClockModel(capacity: 32, stepThresholdNanos: 1_000)
        var t = 0.0
        for i in 0..<500 {
            var (x, y) = c.read(t)
            if i == 250 { y += 30_000 }  // read while the sampling thread was preempted
            let o = m.add(x: x, y: y)
            if i == 250 { #expect(o == .suspect) }
            if i == 251 { #expect(o == .outlierDropped) }
            t += 0.01
        }
        #expect(m.steps == 0)
        #expect(m.outliers == 1)
        let q = t + 0.002
        #expect(c.error(m, at: q) <= 50)
    }

    @Test func notReadyBeforeTwoPairsAndInverseAgrees() {
        var m = ClockModel()
        #expect(m.convert(123) == nil)
        m.add(x: 1_000, y: 5_000)
        #expect(!m.isReady)
        m.add(x: 3_000, y: 6_000)  // 0.5 ns per tick
        #expect(m.convert(5_000) == 7_000)
        #expect(m.tsc(at: 7_000) == 5_000)
        // A pair that does not move the TSC forward is refused while the model is forming.
        var n = ClockModel()
        n.add(x: 10, y: 10)
        #expect(n.add(x: 10, y: 20) == .outlierDropped)
        #expect(!n.isReady)
    }

    @Test func realtimeAgainstTheTSCStaysTight() throws {
        // The real clocks of this machine: 40 pairs 2 ms apart; the model's prediction of the
        // next pair is within a few microseconds (a shared VM: loose on purpose, the synthetic
        // tests above hold the 50 ns line).
        var m = ClockModel(capacity: 64, stepThresholdNanos: 100_000)
        for _ in 0..<40 {
            let p = ClockPair.realtime()
            m.add(x: p.tsc, y: p.nanos)
            var ts = timespec(tv_sec: 0, tv_nsec: 2_000_000)
            nanosleep(&ts, nil)
        }
        let p = ClockPair.realtime()
        let got = try #require(m.convert(p.tsc))
        #expect(abs(got - p.nanos) < 20_000, "predicted \(got), read \(p.nanos)")
        #expect(m.nanosPerTick > 0.05 && m.nanosPerTick < 10)
    }
}
