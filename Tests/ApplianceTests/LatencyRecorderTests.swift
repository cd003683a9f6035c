import Appliance
import Testing
import TickwireCore

/// The recorder's arithmetic: stages from consecutive stamps, the stacked rows adding up to
/// tick-to-trade, and what stays out of the histograms.
@Suite struct LatencyRecorderTests {
    let clock = TSCClock(hz: 1_000_000_000)  // 1 tick = 1 ns

    func stamps(rx: UInt64, deltas: [UInt64], sequence: UInt64 = 7, position: UInt8 = 0) -> StageStamps {
        var s = StageStamps()
        var t = rx
        var v: [UInt64] = []
        for d in deltas { t += d; v.append(t) }
        s.rx = rx
        (s.decoded, s.book, s.model, s.strategy, s.risk, s.encoded, s.sent) = (v[0], v[1], v[2], v[3], v[4], v[5], v[6])
        s.triggerSequence = sequence
        s.position = position
        return s
    }

    @Test func stagesAndTheStackedRowsAddUpToTickToTrade() {
        var r = LatencyRecorder(clock: clock)
        let deltas: [UInt64] = [100, 40, 300, 20, 50, 60, 9_000]
        r.record(stamps(rx: 1_000_000, deltas: deltas))
        for (i, st) in LatencyStage.allCases.enumerated() {
            let h = r.stage(st)
            #expect(h.totalCount == 1)
            // HdrHistogram with three significant digits: within 0.1%.
            let v = h.valueAtPercentile(50)
            #expect(v + v / 1000 >= deltas[i] && v <= deltas[i] + deltas[i] / 1000 + 1, "\(st): \(v)")
        }
        #expect(r.stageRows.map(UInt64.init) == [0] + deltas, "no NIC stamp: nic_to_rx 0")
        #expect(r.decisions.first?.tickToTradeNanos == deltas.reduce(0, +))
        #expect(r.tickToTrade.totalCount == 1)
    }

    @Test func aNICStampAddsNicToRxToTheRowAndToTickToTrade() {
        var r = LatencyRecorder(clock: clock)
        let deltas: [UInt64] = [100, 40, 300, 20, 50, 60, 9_000]
        var s = stamps(rx: 1_000_000, deltas: deltas)
        s.nic = 1_000_000 - 2_500
        r.record(s)
        #expect(r.stageRows.map(UInt64.init) == [2_500] + deltas)
        #expect(LatencyRecorder.stageRowColumns.count == deltas.count + 1)
        #expect(r.decisions.first?.tickToTradeNanos == 2_500 + deltas.reduce(0, +))
        #expect(r.nicToRx.totalCount == 1 && r.stageSummaries["nic_to_rx"] != nil)
    }

    @Test func laterOrdersVenueOrdersAndDisorderStayOutOfTheHistograms() {
        var r = LatencyRecorder(clock: clock)
        r.record(stamps(rx: 1_000, deltas: [1, 1, 1, 1, 1, 1, 1], position: 1))
        r.record(stamps(rx: 1_000, deltas: [1, 1, 1, 1, 1, 1, 1], sequence: 0))
        var bad = stamps(rx: 1_000, deltas: [1, 1, 1, 1, 1, 1, 1])
        bad.sent = bad.encoded - 1  // the send returned before it was called
        r.record(bad)
        #expect(r.laterOrders == 1 && r.venueTriggered == 1 && r.inconsistent == 1)
        #expect(r.tickToTrade.totalCount == 0 && r.stageRows.isEmpty)
        #expect(r.decisions.count == 3, "every order is in the decision log")
    }
}
