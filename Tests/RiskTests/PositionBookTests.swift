// PnL worked by hand, in 1/10,000 dollars: $1.00 = 10,000.
import Testing
import Risk
import TickwireCore

@Suite struct PositionBookTests {
    func book() -> PositionBook { try! PositionBook(maxLocates: 8) }

    @Test func flipThroughZeroAndBack() {
        let b = book()
        // Buy 100 @ 10.00: long 100, cost $1,000.00.
        b.onFill(locate: L1, side: .buy, shares: sh(100), price: px(100_000))
        #expect(b.position(L1) == 100)
        #expect(b.costBasis(L1) == 10_000_000)
        #expect(b.averagePrice(L1) == px(100_000))
        #expect(b.realizedPnL(L1) == 0)
        // Sell 150 @ 10.50: closes 100 for +$50.00, opens 50 short at 10.50.
        b.onFill(locate: L1, side: .sell, shares: sh(150), price: px(105_000))
        #expect(b.position(L1) == -50)
        #expect(b.realizedPnL(L1) == 500_000)
        #expect(b.costBasis(L1) == -5_250_000)
        #expect(b.averagePrice(L1) == px(105_000))
        // Buy 50 @ 10.20: covers the short for +$15.00.
        b.onFill(locate: L1, side: .buy, shares: sh(50), price: px(102_000))
        #expect(b.position(L1) == 0)
        #expect(b.costBasis(L1) == 0)
        #expect(b.averagePrice(L1) == nil)
        #expect(b.realizedPnL(L1) == 650_000)        // $65.00
        #expect(b.totalRealized == 650_000)
        #expect(b.unrealizedPnL(L1) == 0)
        #expect(b.totalPnL == 650_000)
    }

    @Test func averagingInAndPartialCloses() {
        let b = book()
        // Buy 100 @ 10.00 and 100 @ 10.10: long 200, average 10.05.
        b.onFill(locate: L2, side: .buy, shares: sh(100), price: px(100_000))
        b.onFill(locate: L2, side: .buy, shares: sh(100), price: px(101_000))
        #expect(b.costBasis(L2) == 20_100_000)
        #expect(b.averagePrice(L2) == px(100_500))
        // Mark 10.20 (bid 10.19, ask 10.21): unrealized 200 × 0.15 = $30.00.
        b.setMid(locate: L2, bid: px(101_900), ask: px(102_100))
        #expect(b.unrealizedPnL(L2) == 300_000)
        // Sell 50 @ 10.30: realized 50 × 0.25 = $12.50; 150 left at 10.05.
        b.onFill(locate: L2, side: .sell, shares: sh(50), price: px(103_000))
        #expect(b.realizedPnL(L2) == 125_000)
        #expect(b.position(L2) == 150)
        #expect(b.costBasis(L2) == 15_075_000)
        #expect(b.unrealizedPnL(L2) == 225_000)      // 150 × 0.15
        #expect(b.totalPnL == 350_000)
        // Sell 150 @ 9.95: realized 150 × -0.10 = -$15.00.
        b.onFill(locate: L2, side: .sell, shares: sh(150), price: px(99_500))
        #expect(b.realizedPnL(L2) == 125_000 - 150_000)
        #expect(b.position(L2) == 0)
        #expect(b.unrealizedPnL(L2) == 0)
    }

    @Test func shortFirstThenFlipLong() {
        let b = book()
        // Sell 30 @ 20.00, sell 10 @ 20.40: short 40 at 20.10.
        b.onFill(locate: L3, side: .sell, shares: sh(30), price: px(200_000))
        b.onFill(locate: L3, side: .sell, shares: sh(10), price: px(204_000))
        #expect(b.position(L3) == -40)
        #expect(b.costBasis(L3) == -8_040_000)
        #expect(b.averagePrice(L3) == px(201_000))
        // Mark 20.30: short 40 loses 40 × 0.20 = $8.00.
        b.setMark(locate: L3, price: px(203_000))
        #expect(b.unrealizedPnL(L3) == -80_000)
        // Buy 100 @ 19.90: covers 40 for +40 × 0.20 = $8.00, opens 60 long at 19.90.
        b.onFill(locate: L3, side: .buy, shares: sh(100), price: px(199_000))
        #expect(b.realizedPnL(L3) == 80_000)
        #expect(b.position(L3) == 60)
        #expect(b.costBasis(L3) == 11_940_000)
        // Mark still 20.30: 60 × 0.40 = $24.00.
        #expect(b.unrealizedPnL(L3) == 240_000)
        #expect(b.totalPnL == 320_000)
    }

    @Test func roundingRemainderStaysInTheCostBasis() {
        let b = book()
        // Buy 1 @ 10.0000 and 2 @ 10.0001: cost 300,002 for 3 shares (100,000.67 each).
        b.onFill(locate: L1, side: .buy, shares: sh(1), price: px(100_000))
        b.onFill(locate: L1, side: .buy, shares: sh(2), price: px(100_001))
        #expect(b.costBasis(L1) == 300_002)
        // Sell 1 @ 10.0001: cost leaving is 300,002 / 3 = 100,000 (truncated), realized 1.
        b.onFill(locate: L1, side: .sell, shares: sh(1), price: px(100_001))
        #expect(b.realizedPnL(L1) == 1)
        #expect(b.costBasis(L1) == 200_002)
        // Sell 2 @ 10.0001: the rest of the cost, 200,002, leaves: realized 0 more.
        b.onFill(locate: L1, side: .sell, shares: sh(2), price: px(100_001))
        #expect(b.realizedPnL(L1) == 1)
        // Round trip: paid 300,002, received 300,003.
        #expect(b.costBasis(L1) == 0)

        // The same lots closed 2 then 1: 2 × 300,002 / 3 = 200,001.33 leaves, truncated to 200,001.
        b.onFill(locate: L2, side: .buy, shares: sh(1), price: px(100_000))
        b.onFill(locate: L2, side: .buy, shares: sh(2), price: px(100_001))
        b.onFill(locate: L2, side: .sell, shares: sh(2), price: px(100_001))
        #expect(b.realizedPnL(L2) == 1)              // 200,002 - 200,001
        #expect(b.costBasis(L2) == 100_001)
        b.onFill(locate: L2, side: .sell, shares: sh(1), price: px(100_001))
        #expect(b.realizedPnL(L2) == 1)
        #expect(b.costBasis(L2) == 0)
        // Short lots: sell 1 @ 10.0001 and 2 @ 10.0000 (-300,001), buy back 2 @ 10.0000:
        // -600,002 / 3 = -200,000.67 leaves, truncated toward zero to -200,000: realized 0.
        b.onFill(locate: L3, side: .sell, shares: sh(1), price: px(100_001))
        b.onFill(locate: L3, side: .sell, shares: sh(2), price: px(100_000))
        b.onFill(locate: L3, side: .buy, shares: sh(2), price: px(100_000))
        #expect(b.realizedPnL(L3) == 0)
        #expect(b.costBasis(L3) == -100_001)
        b.onFill(locate: L3, side: .buy, shares: sh(1), price: px(100_000))
        #expect(b.realizedPnL(L3) == 1)              // received 300,001, paid 300,000
    }

    @Test func halfUnitMarkRoundsAgainstUs() {
        let b = book()
        // Mid of 10.0000 x 10.0001 is 10.00005.
        b.onFill(locate: L1, side: .buy, shares: sh(1), price: px(100_000))
        b.setMid(locate: L1, bid: px(100_000), ask: px(100_001))
        #expect(b.unrealizedPnL(L1) == 0)            // +0.5 rounds down
        b.onFill(locate: L2, side: .sell, shares: sh(1), price: px(100_000))
        b.setMid(locate: L2, bid: px(100_000), ask: px(100_001))
        #expect(b.unrealizedPnL(L2) == -1)           // -0.5 rounds down
        #expect(b.totalUnrealized == -1)
        // Three shares: 1.5 rounds to 1.
        b.onFill(locate: L1, side: .buy, shares: sh(2), price: px(100_000))
        #expect(b.unrealizedPnL(L1) == 1)
    }

    @Test func markDefaultsToTheLastFillPrice() {
        let b = book()
        b.onFill(locate: L1, side: .buy, shares: sh(10), price: px(50_000))
        #expect(b.mark2(L1) == 100_000)
        #expect(b.unrealizedPnL(L1) == 0)
        b.onFill(locate: L1, side: .buy, shares: sh(10), price: px(52_000))
        // The mark stays the first fill's until one is set: 20 × 5.0000 - 1,020,000.
        #expect(b.unrealizedPnL(L1) == -20_000)
        #expect(!b.onFill(locate: StockLocate(rawValue: 0), side: .buy, shares: sh(1), price: px(1)))
        #expect(!b.onFill(locate: StockLocate(rawValue: 8), side: .buy, shares: sh(1), price: px(1)))
    }

    /// Random fills: realized + unrealized equals the cash flow plus position × mark, exactly,
    /// per symbol and in total; flat means a zero cost basis and realized == cash.
    @Test(arguments: [1, 2, 3] as [UInt64])
    func pnlIdentity(seed: UInt64) {
        var rng = SplitMix64(seed: seed)
        let b = book()
        var cash = [Int64](repeating: 0, count: 8)
        var pos = [Int64](repeating: 0, count: 8)
        var mark = [Int64](repeating: 0, count: 8)
        for step in 0 ..< 5_000 {
            let loc = 1 + rng.below(4)
            let l = StockLocate(rawValue: UInt16(loc))
            if rng.chance(20) {
                mark[loc] = rng.range(90_000 ... 110_000)
                b.setMark(locate: l, price: px(mark[loc]))
            } else {
                let buy = rng.chance(50)
                let q = rng.range(1 ... 500)
                let p = rng.range(90_000 ... 110_000)
                b.onFill(locate: l, side: buy ? .buy : .sell, shares: sh(UInt32(q)), price: px(p))
                cash[loc] += buy ? -p * q : p * q
                pos[loc] += buy ? q : -q
                if mark[loc] == 0 { mark[loc] = p }
            }
            var total: Int64 = 0
            for i in 1 ..< 5 {
                let s = StockLocate(rawValue: UInt16(i))
                let expected = cash[i] + pos[i] * mark[i]
                guard b.position(s) == pos[i], b.realizedPnL(s) + b.unrealizedPnL(s) == expected else {
                    Issue.record("step \(step) locate \(i): pos \(b.position(s)) vs \(pos[i]), pnl \(b.realizedPnL(s) + b.unrealizedPnL(s)) vs \(expected)")
                    return
                }
                if pos[i] == 0 {
                    #expect(b.costBasis(s) == 0)
                    #expect(b.realizedPnL(s) == cash[i])
                } else {
                    // The cost basis has the position's sign and sits within the fills' price range.
                    let c = b.costBasis(s)
                    #expect((c > 0) == (pos[i] > 0))
                    #expect(c.magnitude >= 90_000 * pos[i].magnitude && c.magnitude <= 110_000 * pos[i].magnitude)
                }
                total += expected
            }
            #expect(b.totalPnL == total)
        }
    }
}

/// Venue numbers never trap the book: a fill or a mark whose value does not fit in Int64 changes
/// nothing, and the book then reads as a loss past any limit, so risk stops trading.
@Suite struct PositionBookOverflowTests {
    @Test func aFillThatCannotBeValuedChangesNothing() throws {
        let b = try PositionBook(maxLocates: 8)
        #expect(b.onFill(locate: L1, side: .buy, shares: sh(100), price: px(100_000)))
        // 4 billion shares at $900 trillion: price × shares does not fit in 64 bits.
        #expect(!b.onFill(locate: L1, side: .buy, shares: sh(4_000_000_000), price: px(1 << 62)))
        #expect(b.overflowed)
        #expect(b.position(L1) == 100 && b.costBasis(L1) == 10_000_000)
        #expect(b.totalPnL == Int64.min / 2)
        // Negative and huge prices on the other side, and a mark past Int64: no trap either.
        #expect(!b.onFill(locate: L1, side: .sell, shares: sh(50), price: px(Int64.min)))
        #expect(!b.setMark(locate: L1, price: px(Int64.max)))
        #expect(b.position(L1) == 100)
    }

    @Test func aMarkThatCannotBeValuedSetsOverflow() throws {
        let b = try PositionBook(maxLocates: 8)
        #expect(b.onFill(locate: L1, side: .buy, shares: sh(4_000_000_000), price: px(100_000)))
        #expect(!b.overflowed)
        // 4e9 shares at a mark of 2^60 (1/10,000 dollars): the value does not fit.
        #expect(b.setMark(locate: L1, price: px(1 << 60)) == false)
        #expect(b.overflowed && b.totalPnL == Int64.min / 2)
    }

    @Test func riskStopsTradingWhenPositionsOverflow() throws {
        let e = makeEngine { $0.maxOrderShares = 4_000_000_000; $0.maxOrderNotional = .max; $0.maxPositionPerSymbol = .max
            $0.maxGrossPosition = .max; $0.collarBps = 1_000_000; $0.allowWithoutReference = true }
        // A fill of an order risk no longer holds (the unreserved path) at an absurd price.
        let tripped = e.onFill(RiskOrderID(rawValue: 12_345), locate: L1, side: .buy, shares: sh(4_000_000_000), price: px(1 << 62))
        #expect(tripped)
        #expect(e.killReason == .positionOverflow)
    }
}
