import Appliance
import CShims
import Exchange
import MarketData
import Strategy
import Testing
import TickwireCore

/// NIC stamps through the live loop (issue 16): frames carrying a hardware stamp get stage 0 at
/// their arrival on the TSC's line (`StageStamps.nic`), `nic_to_rx` is the time they waited
/// before the burst returned, and tick-to-trade starts at the arrival. Here every frame is
/// stamped as it is handed to the loop, and every tenth 20 µs earlier (it waited in the ring).
@Suite struct NICStampTests {
    @Test func nicStampsAreStageZeroAndNicToRxIsTheirWait() throws {
        let clock = TSCClock.calibrate(windowNanos: 20_000_000)
        let d = try TakerDay(seed: 5, messages: 60_000, clock: clock)
        let (frames, rig) = (d.frames, d.rig)
        rig.appliance.useNICStamps(unit: .nanoseconds)
        let tpn = Double(clock.hz) / 1e9
        var recorder = LatencyRecorder(clock: clock)
        var late: [Double] = [], prompt: [Double] = []
        for i in 0..<frames.count {
            frames.pkts[i].flags |= UInt32(TW_PKT_HW_TIMESTAMP)
            frames.pkts[i].rx_timestamp = UInt64(Double(TSCClock.now()) / tpn) - (i % 10 == 9 ? 20_000 : 0)
            rig.burst(frames, from: i, count: 1)
            while let s = rig.engine.stamps.pop() {
                recorder.record(s)
                guard s.triggerSequence != 0, s.position == 0 else { continue }
                #expect(s.nic != 0 && s.nic <= s.rx, "stage 0 is the NIC arrival, before the burst's return")
                let wait = Double(s.rx - s.nic) / tpn
                if Int((s.triggerSequence - 1) / 3) % 10 == 9 { late.append(wait) } else { prompt.append(wait) }
            }
        }
        #expect(rig.appliance.counters.nicStamped == UInt64(frames.count))
        #expect(late.count > 20 && prompt.count > 200, "\(late.count) late and \(prompt.count) prompt triggers")
        late.sort()
        prompt.sort()
        #expect(abs(late[late.count / 2] - 20_000) < 2_000, "late triggers' nic_to_rx median \(late[late.count / 2]) ns")
        #expect(prompt[prompt.count / 2] < 2_000, "prompt triggers' nic_to_rx median \(prompt[prompt.count / 2]) ns")
        #expect(recorder.nicToRx.totalCount == UInt64(late.count + prompt.count))
        #expect(recorder.stageSummaries["nic_to_rx"] != nil)
        // Tick-to-trade starts at the arrival: the late triggers' include their 20 µs.
        #expect(recorder.tickToTrade.max >= 20_000)
    }
}
