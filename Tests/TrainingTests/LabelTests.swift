import Foundation
import Inference
import MarketData
import TickwireCore
import Testing
@testable import Training

/// The labels of a hand-made feed, checked one by one against the definitions.
@Suite struct LabelTests {
    let t0: UInt64 = 34_200_000_000_000
    let ms: UInt64 = 1_000_000
    let locate = StockLocate(rawValue: 1)
    let stock = Symbol("TEST")

    func send(_ r: DatasetRecorder, _ encode: (UnsafeMutableRawBufferPointer) -> Int?) {
        var buf = [UInt8](repeating: 0, count: 64)
        buf.withUnsafeMutableBytes { b in
            let n = encode(b)!
            r.consume(UnsafeRawBufferPointer(rebasing: b[0..<n]))
        }
    }

    func add(_ r: DatasetRecorder, _ ref: UInt64, _ side: Side, _ shares: UInt32, _ price: Int64, at t: UInt64) {
        send(r) { ITCHEncoder.addOrder(into: $0, stockLocate: locate, timestamp: VenueTime(nanosSinceMidnight: t), orderRef: OrderRef(rawValue: ref),
                                      side: side, shares: Shares(rawValue: shares), stock: stock, price: Price(rawValue: price)) }
    }

    func execute(_ r: DatasetRecorder, _ ref: UInt64, _ shares: UInt32, at t: UInt64) {
        send(r) { ITCHEncoder.orderExecuted(into: $0, stockLocate: locate, timestamp: VenueTime(nanosSinceMidnight: t), orderRef: OrderRef(rawValue: ref),
                                           executedShares: Shares(rawValue: shares), matchNumber: ref) }
    }

    /// Rows of one CSV as [column: value].
    func rows(_ dir: String, _ name: String) throws -> [[String: Double]] {
        let text = try String(contentsOfFile: dir + "/\(name).csv", encoding: .utf8)
        let lines = text.split(separator: "\n")
        let header = lines[0].split(separator: ",").map(String.init)
        return lines.dropFirst().map { line in
            Dictionary(uniqueKeysWithValues: zip(header, line.split(separator: ",").map { Double($0)! }))
        }
    }

    @Test func fillToxicityUptickAndAdaptLabelsFollowTheirDefinitions() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tw-labels-\(getpid())").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var options = DatasetOptions()
        options.midQueueProbes = false
        let r = try DatasetRecorder(directory: dir, options: options, regime: false, maxLocates: 4)
        // The book before the open: bid 100.00 x 300 (two orders), ask 100.02 x 100.
        add(r, 1, .buy, 100, 1_000_000, at: t0)
        add(r, 2, .buy, 200, 1_000_000, at: t0)
        add(r, 3, .sell, 100, 1_000_200, at: t0)
        send(r) { ITCHEncoder.systemEvent(into: $0, timestamp: VenueTime(nanosSinceMidnight: t0), eventCode: UInt8(ascii: "Q")) }
        let t1 = t0 + 10 * ms
        // A touch change: samples. The buy probe joins behind 400 shares, the sell probe behind 100.
        add(r, 4, .buy, 100, 1_000_000, at: t1)
        send(r) { ITCHEncoder.orderCancel(into: $0, stockLocate: locate, timestamp: VenueTime(nanosSinceMidnight: t1 + 10 * ms),
                                         orderRef: OrderRef(rawValue: 2), cancelledShares: Shares(rawValue: 200)) }  // ahead: 200
        execute(r, 1, 100, at: t1 + 20 * ms)  // ahead: 100
        execute(r, 4, 100, at: t1 + 30 * ms)  // ahead: 0, not yet filled
        add(r, 5, .buy, 100, 1_000_000, at: t1 + 40 * ms)  // behind the probe
        execute(r, 5, 50, at: t1 + 50 * ms)  // reaches past the probe: filled at 100.00
        add(r, 6, .sell, 100, 1_000_100, at: t1 + 600 * ms)  // the mid falls: 100.01 -> 100.005
        add(r, 7, .buy, 100, 999_900, at: t1 + 1_200 * ms)  // an event after every horizon
        try r.finish()

        // Samples are taken at t1 and again at t1 + 50 ms (the next touch change past the
        // spacing); the ones of t1 are checked.
        let allFills = try rows(dir, "fill")
        #expect(allFills.count == 4)
        let fills = allFills.filter { $0["time_ns"] == Double(t1) }
        #expect(fills.count == 2)
        let buy = try #require(fills.first { $0["queue_ahead_shares"] == 400 })
        let sell = try #require(fills.first { $0["queue_ahead_shares"] == 100 })
        #expect(buy["label"] == 1, "the buy probe filled")
        #expect(sell["label"] == 0, "nothing traded at the ask within the horizon")
        #expect(sell["imbalance_l1"] == -buy["imbalance_l1"]!, "the sell probe's row is the sell side's view")
        let later = allFills.filter { $0["time_ns"] == Double(t1 + 50 * ms) }
        #expect(later.map { $0["label"] } == [0, 0], "the later probes had not filled when their horizon passed")

        let tox = try rows(dir, "toxicity")
        #expect(tox.count == 1)
        #expect(tox.first?["time_ns"] == Double(t1 + 50 * ms), "the row is taken at the fill")
        #expect(tox.first?["label"] == 0, "a second later the mid (100.005) is above the buy price (100.00)")

        let up = try rows(dir, "uptick")
        #expect(up.count == 2)
        #expect(up.allSatisfy { $0["label"] == 0 }, "the next mid change was down")

        let adapt = try rows(dir, "adapt").filter { $0["time_ns"] == Double(t1) }
        #expect(adapt.count == 1)
        #expect(adapt.first?["label"] == 0.5, "the mid moved half a tick in the second")
    }
}

extension LabelTests {
    /// Fill probes go to the back of the touch queue or behind its first k orders: the shares
    /// ahead are always a sum of whole orders from the front.
    @Test func fillProbesGoToTheBackOrBehindTheFirstOrdersOfTheQueue() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tw-midq-\(getpid())").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let r = try DatasetRecorder(directory: dir, regime: false, maxLocates: 4)
        add(r, 1, .buy, 100, 1_000_000, at: t0)
        add(r, 2, .buy, 200, 1_000_000, at: t0)
        add(r, 3, .buy, 300, 1_000_000, at: t0)
        add(r, 9, .sell, 100, 1_000_200, at: t0)
        send(r) { ITCHEncoder.systemEvent(into: $0, timestamp: VenueTime(nanosSinceMidnight: t0), eventCode: UInt8(ascii: "Q")) }
        // Touch changes spaced past the sampling interval: a probe pair at each.
        var t = t0
        for ref in 10..<70 as Range<UInt64> {
            t += 60 * ms
            add(r, ref, .sell, 100, 1_000_300 + Int64(ref) * 100, at: t)  // deeper asks: no touch change
            add(r, ref + 100, .sell, 1, 1_000_200, at: t)  // the ask's size changes: a touch change
        }
        try r.finish()
        // Buy probes: the side's own touch (600 shares, log 6.4) is the row's bid.
        let buys = try rows(dir, "fill").filter { $0["log_bid_shares"]! > 6 }
        #expect(buys.count >= 10, "\(buys.count) probes resolved")
        let aheads = Set(buys.compactMap { $0["queue_ahead_shares"] })
        // Behind 0, 1 or 2 of the three orders (0, 100, 300 shares) or at the back (600).
        #expect(aheads.isSubset(of: [0, 100, 300, 600]), "\(aheads)")
        #expect(aheads.contains(600) && aheads.count >= 2, "both placements drawn: \(aheads)")
    }
}
