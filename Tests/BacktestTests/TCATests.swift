import Foundation
import MarketData
import TCA
import Testing
import TickwireCore

/// The analysis on a feed and two fills written by hand, every figure worked out on paper.
@Suite struct TCATests {
    @Test func markoutsSpreadsQueueAndThePnLDecompositionAreWhatThePaperSays() throws {
        var t = Tape()
        t.add(1_000, 1, .buy, 100, 100_000)          // bid 10.00
        t.add(1_000, 2, .sell, 100, 100_200)         // ask 10.02: mid 10.01
        t.add(1_500, 9_001, .buy, 100, 100_000)      // ours joins behind order 1 (100 ahead)
        t.execute(2_000, 9_001, 100)                 // fill 1: we buy 100 at 10.00, resting
        t.delete(60_000_000, 2)
        t.add(60_000_000, 4, .sell, 100, 100_400)    // mid 10.02 from 60 ms
        t.add(2_000_000_000, 5, .buy, 100, 100_300)  // mid 10.035 from 2 s
        t.execute(3_000_000_000, 5, 100)             // fill 2: we sell 100 at 10.03, taking: mid 10.02
        t.add(40_000_000_000, 6, .buy, 1, 99_000)    // the feed runs past every horizon
        let fills = [
            TCAFill(time: 2_000, orderID: 1, ref: 9_001, locate: aaa, side: .buy, shares: 100, price: 100_000, liquidity: UInt8(ascii: "A")),
            TCAFill(time: 3_000_000_000, orderID: 2, ref: 9_002, locate: aaa, side: .sell, shares: 100, price: 100_300, liquidity: UInt8(ascii: "R")),
        ]
        var c = TCAConfiguration()
        c.maxOrders = 1 << 12
        c.maxLocates = 8
        let tca = try TCA(fills: fills, counts: TCAOrderCounts(orders: 4, replaces: 2, cancels: 1), configuration: c)
        for (i, m) in t.messages.enumerated() { m.withUnsafeBytes { tca.onMessage($0, sequence: UInt64(i + 1)) } }
        let (r, rows, pnl) = tca.finish(symbol: { _ in "AAA" })
        #expect(rows.map(\.arrivalMid) == [100_100, 100_350])
        // Fill 1 (buy at 10.00): the mid is 10.02 at every horizon (at 5 s the bid of 10.03 that
        // came at 2 s was taken by fill 2 at 3 s).
        #expect(rows[0].mids == [100_200, 100_200, 100_200, 100_200])
        // Fill 2 (sell at 10.03): the mid is 10.02 at every horizon.
        #expect(rows[1].mids == [100_200, 100_200, 100_200, 100_200])
        // Markouts in ticks per share: fill 1 +2, fill 2 +1, at each horizon.
        #expect(r.markouts.map(\.ticks.mean) == [1.5, 1.5, 1.5, 1.5])
        #expect(r.markouts.map(\.usd) == [3.0, 3.0, 3.0, 3.0])
        #expect(r.markouts.allSatisfy { $0.pastEnd == 0 })
        // Effective spread: fill 1 2 x (10.01 - 10.00) = 2 ticks; fill 2 2 x -(10.035 - 10.03) = -1.
        #expect(r.effectiveSpreadTicks.mean == 0.5)
        #expect(r.takeSlippageTicks.mean == 0.5)
        // Realized at 100 ms = 2 x markout; adverse selection = effective - realized.
        #expect(r.realizedSpreadTicks[0].mean == 3)
        #expect(r.adverseSelectionTicks[0].mean == -2.5)
        // Queue: ours joined with 100 ahead, still there when it filled; 500 ns in the queue.
        #expect(rows[0].aheadAtEntry == 100 && rows[0].aheadAtFill == 100 && rows[0].joinedAt == 1_500)
        #expect(rows[1].aheadAtEntry == nil)
        #expect(r.aheadAtEntryShares.mean == 100 && r.timeInQueueMs.mean == 0.0005)
        // PnL: flat at the end, 3.00 of cash; spread 1.00 - 0.50; inventory the rest; fees
        // +0.20 rebate, -0.30 fee.
        #expect(abs(r.pnl.spreadUsd - 0.5) < 1e-9)
        #expect(abs(r.pnl.inventoryUsd - 2.5) < 1e-9)
        #expect(abs(r.pnl.feesUsd - -0.1) < 1e-9)
        #expect(abs(r.pnl.pnlUsd - 2.9) < 1e-9)
        #expect(abs((pnl.last?.total ?? 0) - 2.9) < 1e-9)
        #expect(r.bySymbol["AAA"]?.fills == 2)
        #expect(r.byLiquidity["added"]?.fills == 1 && r.byLiquidity["took"]?.fills == 1)
        #expect(r.fillRatio == 2.0 / 6 && r.cancelRatio == 0.25 && r.replaceRatio == 0.5)
        #expect(r.byDecision.isEmpty && r.byRegime.isEmpty, "no decision log, no groups")

        // With the decisions behind the orders: each fill in its group, the groups' spreads
        // and fees adding up to the whole; an order the log does not name is "unknown".
        let cases: [([UInt32: TCAOrderDecision], [String: Int])] = [
            ([1: TCAOrderDecision(reason: "held", regime: "calm"), 2: TCAOrderDecision(reason: "take", regime: "volatile")], ["held": 1, "take": 1]),
            ([1: TCAOrderDecision(reason: "widened", regime: "calm")], ["widened": 1, "unknown": 1]),
        ]
        for (decisions, expected) in cases {
            let t2 = try TCA(fills: fills, counts: TCAOrderCounts(orders: 4, replaces: 2, cancels: 1), decisions: decisions, configuration: c)
            for (i, m) in t.messages.enumerated() { m.withUnsafeBytes { t2.onMessage($0, sequence: UInt64(i + 1)) } }
            let g = t2.finish(symbol: { _ in "AAA" }).report
            #expect(g.byDecision.mapValues { $0.fills } == expected)
            #expect(abs(g.byDecision.values.reduce(0) { $0 + $1.spreadUsd } - g.pnl.spreadUsd) < 1e-9)
            #expect(abs(g.byDecision.values.reduce(0) { $0 + $1.feesUsd } - g.pnl.feesUsd) < 1e-9)
            #expect(g.byRegime.values.reduce(0) { $0 + $1.fills } == 2)
            if let held = g.byDecision["held"] { #expect(held.markoutTicks == [2, 2, 2, 2], "fill 1: +2 ticks a share at every horizon") }
        }
    }
}
