import Inference
import Testing

@Suite struct FeatureTests {
    func row(_ f: FeatureState, now: UInt64) -> [Float] {
        var r = [Float](repeating: .nan, count: FeatureState.count)
        r.withUnsafeMutableBufferPointer { f.write(into: $0.baseAddress!, now: now) }
        return r
    }

    @Test func touchFeaturesAreExact() {
        var f = FeatureState()
        f.onBook(bid: 1_000_000, bidShares: 900, ask: 1_000_200, askShares: 100, bid2Shares: 100, ask2Shares: 900, now: 1_000)
        let r = row(f, now: 1_000)
        #expect(r.allSatisfy { $0.isFinite }, "every feature written")
        #expect(r[Feature.spreadTicks.rawValue] == 2)
        #expect(abs(r[Feature.imbalanceL1.rawValue] - 0.8) < 1e-6)
        #expect(abs(r[Feature.imbalanceL2.rawValue]) < 1e-6, "two levels balance out")
        // Microprice (1,000,000 x 100 + 1,000,200 x 900) / 1000 = 1,000,180: 0.8 ticks above the mid.
        #expect(abs(r[Feature.micropriceOffsetTicks.rawValue] - 0.8) < 1e-5)
        #expect(FeatureState.schema.names.count == FeatureState.count)
    }

    @Test func ratesFlowAndVolatilityMoveTheRightWay() {
        var f = FeatureState()
        var t: UInt64 = 1_000_000
        f.onBook(bid: 1_000_000, bidShares: 500, ask: 1_000_100, askShares: 500, bid2Shares: 0, ask2Shares: 0, now: t)
        // Size arriving at the touch: the arrival rate rises, cancellations stay at zero.
        for i in 1...20 {
            t += 10_000_000
            f.onBook(bid: 1_000_000, bidShares: 500 + UInt64(i) * 100, ask: 1_000_100, askShares: 500, bid2Shares: 0, ask2Shares: 0, now: t)
        }
        var r = row(f, now: t)
        #expect(r[Feature.arrivalRateTouch.rawValue] > 1)
        #expect(r[Feature.cancelRateTouch.rawValue] == 0)
        #expect(r[Feature.realizedVolTicks.rawValue] == 0, "the mid never moved")
        // Size leaving without trades: cancellations. Size leaving by a trade: not.
        t += 10_000_000
        f.onTrade(shares: 300, buyerInitiated: false, now: t)
        f.onBook(bid: 1_000_000, bidShares: 2_200, ask: 1_000_100, askShares: 500, bid2Shares: 0, ask2Shares: 0, now: t)
        r = row(f, now: t)
        #expect(r[Feature.cancelRateTouch.rawValue] == 0, "the 300 removed were traded")
        #expect(r[Feature.tradeFlowImbalance.rawValue] < 0, "sellers hit the bid")
        t += 10_000_000
        f.onBook(bid: 1_000_000, bidShares: 1_000, ask: 1_000_100, askShares: 500, bid2Shares: 0, ask2Shares: 0, now: t)
        #expect(row(f, now: t)[Feature.cancelRateTouch.rawValue] > 0)
        // The mid moves: volatility appears; time since the trade grows.
        t += 10_000_000
        f.onBook(bid: 1_000_100, bidShares: 800, ask: 1_000_200, askShares: 500, bid2Shares: 0, ask2Shares: 0, now: t)
        r = row(f, now: t + 1_000_000_000)
        #expect(r[Feature.realizedVolTicks.rawValue] > 0)
        #expect(r[Feature.logMillisSinceTrade.rawValue] > row(f, now: t)[Feature.logMillisSinceTrade.rawValue])
    }
}
