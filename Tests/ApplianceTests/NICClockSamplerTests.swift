import Appliance
import CShims
import Foundation
import Testing
import TickwireCore

/// The readable NIC clock (issue 16, item 1): sampled against the TSC on the cold thread, fitted
/// by `ClockModel`, published through the seqlock, and used by the loop to put each stamped
/// frame's arrival on the TSC's line.
@Suite struct NICClockSamplerTests {
    /// A NIC oscillator against a 2.5 GHz TSC: an offset, a rate error, read jitter, a step.
    struct NIC {
        let tscHz = 2_500_000_000.0
        var offset: Int64 = 1_764_000_000_000_000_000
        var ppm: Double
        var jitter: Double = 25
        var step: (at: Double, nanos: Double)?
        var rng = SplitMix64(state: 11)

        func truth(_ t: Double) -> Double {
            var v = t * 1e9 + ppm * t * 1e3
            if let s = step, t >= s.at { v += s.nanos }
            return v
        }
        func tsc(_ t: Double) -> UInt64 { 5_000_000 + UInt64(t * tscHz) }
        mutating func read(_ t: Double) -> (tsc: UInt64, nanos: Int64) {
            let j = (rng.uniform() * 2 - 1) * jitter
            return (tsc(t), offset &+ Int64((truth(t) + j).rounded()))
        }
    }

    /// Samples every 10 ms of simulated time for 60 s; between samples, NIC times are converted
    /// through what the hot loop would load and compared with the TSC at which they happened.
    func track(_ nic: NIC, seconds: Double = 60) -> (worstNanos: Double, sampler: NICClockSampler) {
        let box = Box(nic)
        let clock = TSCClock(hz: 2_500_000_000, anchorTSC: 0, anchorRealtimeNanos: 0, anchorMonotonicRawNanos: 0)
        let sampler = NICClockSampler(clock: clock, spacingNanos: 10_000_000) { box.read() }
        var worst = 0.0
        while box.t < seconds {
            sampler.sampleIfDue(now: box.nic.tsc(box.t))
            if sampler.counters.samples >= 8, let map = sampler.published.load() {
                for k in 1...4 {
                    let q = box.t + Double(k) * 0.0025
                    if let s = box.nic.step, q >= s.at, q < s.at + 0.04 { continue }  // not known, or being confirmed
                    let y = box.nic.offset &+ Int64(box.nic.truth(q).rounded())
                    let got = Double(map.tsc(at: y)), want = Double(box.nic.tsc(q))
                    worst = max(worst, abs(got - want) / 2.5)
                }
            }
            box.t += 0.01
        }
        return (worst, sampler)
    }

    final class Box: @unchecked Sendable {
        var nic: NIC
        var t = 0.0
        init(_ nic: NIC) { self.nic = nic }
        func read() -> (tsc: UInt64, nanos: Int64)? { nic.read(t) }
    }

    @Test(arguments: [100.0, -100.0])
    func theLoopsMapIsWithin50nsOfTheTruth(ppm: Double) {
        let (worst, sampler) = track(NIC(ppm: ppm))
        #expect(worst <= 50, "worst conversion error \(worst) ns at \(ppm) ppm")
        let r = sampler.counters
        // One pair per 10 ms (a few fall a hair short of the spacing in simulated float time).
        #expect(r.samples >= 5_950 && r.samples <= 6_000 && r.steps == 0 && r.outliers == 0, "\(r)")
        #expect(abs(r.ratePpm - ppm) < 1, "the oscillator's rate: \(r.ratePpm) ppm")
        #expect(r.residualRmsNanos < 25)
    }

    @Test func aStepIsReportedAndFollowed() {
        var nic = NIC(ppm: 60)
        nic.step = (at: 30, nanos: -8_000)
        let (worst, sampler) = track(nic)
        let r = sampler.counters
        #expect(r.steps == 1, "\(r)")
        #expect(abs(r.lastStepNanos + 8_000) <= 50, "step reported as \(r.lastStepNanos) ns")
        #expect(worst <= 50, "worst conversion error \(worst) ns around a step")
    }

    @Test func aFailedReadIsCountedAndLeavesTheMap() {
        let clock = TSCClock(hz: 2_500_000_000, anchorTSC: 0, anchorRealtimeNanos: 0, anchorMonotonicRawNanos: 0)
        var calls = 0
        let sampler = NICClockSampler(clock: clock) {
            calls += 1
            return calls > 2 ? nil : (UInt64(calls) * 1_000_000, Int64(calls) * 400_000)
        }
        sampler.sample()
        sampler.sample()
        let before = sampler.published.load()
        sampler.sample()
        #expect(before != nil)
        #expect(sampler.published.load() == before)
        #expect(sampler.counters.readFailures == 1 && sampler.counters.samples == 2)
    }

    /// Through the live loop: a NIC clock running 100 ppm fast at an arbitrary offset, read by
    /// the sampler on a thread of its own while frames go through the loop stamped at their
    /// true arrival. Every trigger's nic_to_rx is the wait it was given (20.2 µs for every tenth
    /// frame, 200 ns for the others), not that wait less the shortest of a window.
    @Test func nicToRxIsTheTrueWaitThroughTheSampledClock() throws {
        let clock = TSCClock.calibrate(windowNanos: 20_000_000)
        let d = try TakerDay(seed: 6, messages: 60_000, clock: clock)
        let (frames, rig) = (d.frames, d.rig)
        let tpn = Double(clock.hz) / 1e9
        let t0 = TSCClock.now()
        let offset: Int64 = 1_764_000_000_123_456_789
        let nicNanos = { (tsc: UInt64) -> Int64 in offset &+ Int64(Double(tsc &- t0) / tpn * (1 + 100e-6)) }
        let sampler = NICClockSampler(clock: clock, spacingNanos: 1_000_000) {
            let t = TSCClock.now()
            return (t, nicNanos(t))
        }
        sampler.sample()
        usleep(2_000)
        sampler.sample()
        rig.appliance.useNICStamps(unit: .nanoseconds, sampler: sampler)
        let running = SharedCounter(1)
        defer { running.destroy() }
        let cold = Thread {
            while running.load() == 1 {
                sampler.sampleIfDue()
                usleep(500)
            }
        }
        cold.start()
        var recorder = LatencyRecorder(clock: clock)
        var late: [Double] = [], prompt: [Double] = []
        for i in 0..<frames.count {
            frames.pkts[i].flags |= UInt32(TW_PKT_HW_TIMESTAMP)
            frames.pkts[i].rx_timestamp = UInt64(nicNanos(TSCClock.now()) - (i % 10 == 9 ? 20_200 : 200))
            rig.burst(frames, from: i, count: 1)
            while let s = rig.engine.stamps.pop() {
                recorder.record(s)
                guard s.triggerSequence != 0, s.position == 0 else { continue }
                #expect(s.nic != 0)
                let wait = (Double(s.rx) - Double(s.nic)) / tpn
                if Int((s.triggerSequence - 1) / 3) % 10 == 9 { late.append(wait) } else { prompt.append(wait) }
            }
        }
        running.store(0)
        while !cold.isFinished { usleep(1_000) }
        #expect(sampler.counters.samples > 10 && sampler.counters.steps == 0, "\(sampler.counters)")
        #expect(late.count > 20 && prompt.count > 200, "\(late.count) late and \(prompt.count) prompt triggers")
        late.sort()
        prompt.sort()
        // The given wait plus what the call into the loop costs before its rx stamp (tens of ns).
        let (l, p) = (late[late.count / 2], prompt[prompt.count / 2])
        #expect(abs(l - p - 20_000) < 300, "late triggers' nic_to_rx median \(l) ns, prompt \(p) ns")
        #expect(p >= 190 && p < 1_000, "prompt triggers' nic_to_rx median \(p) ns")
        #expect(recorder.nicToRx.totalCount == UInt64(late.count + prompt.count))
    }
}
