import Testing
import Glibc
@testable import TickwireCore

/// The lower envelope of (rx TSC - NIC stamp) maps NIC stamps onto the TSC: packets arrive at
/// known TSC times (their truth), the NIC stamps them on its own clock (an offset, a rate error
/// in ppm, nanosecond quantization), and the loop sees each after a random wait in the ring
/// (exponential, mean 2 µs, a fifth of them at once).
@Suite struct NICArrivalClockTests {
    let hz: UInt64 = 2_500_000_000
    var tpn: Double { Double(hz) / 1e9 }

    struct Run {
        var worst = 0.0
        var checked = 0
    }

    /// 60 simulated seconds, a packet every 20 µs on average; checked after the first window.
    func simulate(ppm: Double, step: (at: Double, nanos: Double)? = nil, seed: UInt64) -> (Run, NICArrivalClock) {
        let clock = TSCClock(hz: hz)
        let m = NICArrivalClock(clock: clock)
        var rng = SplitMix64(state: seed)
        var t = 0.0  // true seconds
        var run = Run()
        let nicBase: Double = 1_733_000_000_000_000
        while t < 60 {
            t += 20e-6 * -log(max(rng.uniform(), 1e-12))
            let truthTSC = 1_000_000 + t * Double(hz)
            var nic = nicBase + t * 1e9 * (1 + ppm * 1e-6)
            if let s = step, t >= s.at { nic += s.nanos }
            let stamp = UInt64(nic.rounded())
            let wait = rng.uniform() < 0.2 ? 0 : 2_000 * -log(max(rng.uniform(), 1e-12))
            let rx = UInt64(truthTSC + wait * tpn)
            m.observe(nicNanos: stamp, rx: rx)
            let arrived = Double(m.tsc(nicNanos: stamp))
            #expect(arrived <= Double(rx) + 1, "an arrival after the loop saw the packet")
            if t > 0.02, step.map({ t < $0.at || t > $0.at + 0.05 }) ?? true {
                run.worst = max(run.worst, abs(arrived - truthTSC) / tpn)
                run.checked += 1
            }
        }
        return (run, m)
    }

    @Test(arguments: [-100.0, 0, 100])
    func stampsMapToTheTruthWithin50ns(ppm: Double) {
        let (r, m) = simulate(ppm: ppm, seed: 11)
        #expect(r.checked > 2_000_000)
        #expect(r.worst < 50, "worst \(r.worst) ns at \(ppm) ppm")
        #expect(m.steps == 0)
    }

    /// The NIC clock is set 5 µs forward at 30 s (PTP): detected, counted once, and followed.
    @Test func aStepIsFollowedNotSmeared() {
        let (r, m) = simulate(ppm: 40, step: (30, 5_000), seed: 12)
        #expect(m.steps == 1)
        #expect(r.worst < 50, "worst \(r.worst) ns outside the 50 ms after the step")
    }

    @Test func nothingSeenIsZero() {
        let m = NICArrivalClock(clock: TSCClock(hz: hz))
        #expect(m.tsc(nicNanos: 123) == 0)
    }
}
