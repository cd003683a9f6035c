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

    /// The decode stage split at the trigger's frame (the wait behind the burst's earlier
    /// frames, then the frame's own part, by whether the trigger was its frame's first
    /// message), and the model and strategy stages together.
    @Test func theDecodeStageSplitsAtTheTriggersFrame() {
        var r = LatencyRecorder(clock: clock)
        #expect(r.stageDetail["decode_wait"] == nil, "nothing stamped, nothing split")
        var first = stamps(rx: 1_000_000, deltas: [100, 40, 300, 20, 50, 60, 9_000])
        first.frame = first.rx  // the burst's first frame, the trigger its first message
        r.record(first)
        var later = stamps(rx: 2_000_000, deltas: [900, 40, 0, 20, 50, 60, 9_000])
        later.frame = later.rx + 600  // behind an earlier frame of the burst
        later.frameIndex = 2  // after two messages of its own frame
        r.record(later)
        let d = r.stageDetail
        #expect(d["decode_wait"]?.count == 2 && d["decode_wait"]?.max ?? 0 >= 599 && d["decode_wait"]?.max ?? 0 <= 601, "\(d)")
        #expect(d["decode_frame"]?.count == 2)
        #expect(d["decode_frame_first"]?.count == 1 && d["decode_frame_first"]?.p50 ?? 0 >= 99 && d["decode_frame_first"]?.p50 ?? 0 <= 101)
        #expect(d["decode_frame_later"]?.count == 1 && d["decode_frame_later"]?.p50 ?? 0 >= 299 && d["decode_frame_later"]?.p50 ?? 0 <= 301)
        #expect(d["decode_frame_later_per_message"]?.p50 == 150, "300 ns after two messages")
        #expect(d["model_and_strategy"]?.count == 2 && d["model_and_strategy"]?.max ?? 0 >= 319 && d["model_and_strategy"]?.max ?? 0 <= 321)
        // After an earlier message's send: its own row, not `later`.
        var afterSend = stamps(rx: 4_000_000, deltas: [5_000, 40, 0, 20, 50, 60, 9_000])
        (afterSend.frame, afterSend.frameIndex, afterSend.frameSends) = (afterSend.rx, 1, 1)
        r.record(afterSend)
        #expect(r.stageDetail["decode_frame_after_send"]?.count == 1 && r.stageDetail["decode_frame_later"]?.count == 1)
        #expect(r.stageDetail["decode_frame_after_send"]?.p50 ?? 0 >= 4_990)
        // A frame stamp after the decode is not split (the stamps are out of order).
        var odd = stamps(rx: 3_000_000, deltas: [100, 40, 300, 20, 50, 60, 9_000])
        odd.frame = odd.decoded + 1
        r.record(odd)
        #expect(r.stageDetail["decode_wait"]?.count == 3 && r.tickToTrade.totalCount == 4)
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

    /// A hold (an order kept in place) is in the log, with its reason and regime, and in no
    /// histogram; the log's lines parse back, and so do those of earlier versions.
    @Test func holdsAreLoggedNotTimedAndTheLogRoundTrips() throws {
        var r = LatencyRecorder(clock: clock)
        var hold = stamps(rx: 1_000, deltas: [1, 1, 1, 1, 1, 1, 1])
        (hold.action, hold.reason, hold.regime, hold.orderID, hold.side) = (3, 3, 2, 42, UInt8(ascii: "B"))
        r.record(hold)
        var new = stamps(rx: 1_000, deltas: [1, 1, 1, 1, 1, 1, 1])
        (new.reason, new.regime, new.orderID) = (1, 1, 43)
        r.record(new)
        #expect(r.holds == 1 && r.tickToTrade.totalCount == 1)
        let lines = r.decisions.map(\.csvLine)
        #expect(lines[0].hasPrefix("42,hold,") && lines[0].hasSuffix(",held,volatile"), "\(lines[0])")
        #expect(lines[1].hasSuffix(",widened,calm"), "\(lines[1])")
        let back = lines.compactMap { DecisionRecord(csv: Substring($0)) }
        #expect(back.count == 2 && back[0].action == 3 && back[0].reason == 3 && back[0].regime == 2 && back[0].tickToTradeNanos == 0)
        #expect(back[1].reason == 1 && back[1].regime == 1 && back[1].isWireMessage && !back[0].isWireMessage)
        #expect(DecisionRecord(csv: "7,new,1,B,100,100000,5,6,7")?.reason == 0, "a 9-column log of an earlier version")
        #expect(DecisionRecord(csv: "7,new,1,B,100,100000,5,6,7,0,0,0")?.regime == 0, "a 12-column log")
        #expect(DecisionRecord(csv: "7,new,1,B,100,100000,5,6,7,0,0,0,bogus,calm") == nil)
        #expect(DecisionRecord(csv: "7,bogus,1,B,100,100000,5,6,7") == nil)
    }
}
