import Foundation
import Inference
import TickwireCore
import Testing

@Suite struct FeatureTests {
    func row(_ f: FeatureState, now: UInt64) -> [Float] {
        var r = [Float](repeating: .nan, count: FeatureState.count)
        r.withUnsafeMutableBufferPointer { f.write(into: $0.baseAddress!, now: now) }
        return r
    }

    @Test func rowWidthsAreTheSchemas() {
        #expect(FeatureState.count == Feature.allCases.count)
        #expect(FeatureState.count == FeatureState.schema.names.count)
        #expect(MarketState.count == RegimeFeature.allCases.count)
        #expect(MarketState.count == MarketState.schema.names.count)
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

    /// The touch sizes' and order counts' logarithms (a table below 4,096) are bit for bit the
    /// computed Float(log1p(n)), on both sides of the table's edge.
    @Test func countLogarithmsAreTheComputedOnes() {
        for n in [0, 1, 2, 99, 100, 101, 2_047, 4_094, 4_095, 4_096, 4_097, 10_000, 1_000_000] {
            var f = FeatureState()
            f.onBook(bid: 1_000_000, bidShares: UInt64(n), ask: 1_000_200, askShares: UInt64(n + 1), bid2Shares: 0, ask2Shares: 0,
                     bidOrders: n, askOrders: n + 2, now: 1_000)
            let r = row(f, now: 1_000)
            #expect(r[Feature.logBidShares.rawValue].bitPattern == Float(log1p(Double(n))).bitPattern, "\(n)")
            #expect(r[Feature.logAskShares.rawValue].bitPattern == Float(log1p(Double(n + 1))).bitPattern, "\(n)")
            #expect(r[Feature.logBidOrders.rawValue].bitPattern == Float(log1p(Double(n))).bitPattern, "\(n)")
            #expect(r[Feature.logAskOrders.rawValue].bitPattern == Float(log1p(Double(n + 2))).bitPattern, "\(n)")
        }
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
        #expect(r[Feature.arrivalRateBid.rawValue] > 1)
        #expect(r[Feature.arrivalRateAsk.rawValue] == 0, "nothing arrived at the ask")
        #expect(r[Feature.cancelRateBid.rawValue] == 0)
        #expect(r[Feature.realizedVolTicks.rawValue] == 0, "the mid never moved")
        // Size leaving without trades: cancellations. Size leaving by a trade: not.
        t += 10_000_000
        f.onTrade(shares: 300, buyerInitiated: false, now: t)
        f.onBook(bid: 1_000_000, bidShares: 2_200, ask: 1_000_100, askShares: 500, bid2Shares: 0, ask2Shares: 0, now: t)
        r = row(f, now: t)
        #expect(r[Feature.cancelRateBid.rawValue] == 0, "the 300 removed were traded")
        #expect(r[Feature.tradeFlowImbalance.rawValue] < 0, "sellers hit the bid")
        t += 10_000_000
        f.onBook(bid: 1_000_000, bidShares: 1_000, ask: 1_000_100, askShares: 500, bid2Shares: 0, ask2Shares: 0, now: t)
        #expect(row(f, now: t)[Feature.cancelRateBid.rawValue] > 0)
        #expect(row(f, now: t)[Feature.cancelRateAsk.rawValue] == 0)
        // Half the bid queue ahead of our order: half the bid's cancellations are ahead of it.
        f.queueAhead = 500
        let ahead = row(f, now: t)[Feature.cancelRateAhead.rawValue]
        let all = row(f, now: t)[Feature.cancelRateBid.rawValue]
        #expect(ahead > 0 && ahead < all)
        #expect(abs(Double(ahead) - log1p((exp(Double(all)) - 1) * 0.5)) < 1e-4)
        f.queueAhead = 0
        // The mid moves: volatility appears; time since the trade grows.
        t += 10_000_000
        f.onBook(bid: 1_000_100, bidShares: 800, ask: 1_000_200, askShares: 500, bid2Shares: 0, ask2Shares: 0, now: t)
        r = row(f, now: t + 1_000_000_000)
        #expect(r[Feature.realizedVolTicks.rawValue] > 0)
        #expect(r[Feature.logMillisSinceTrade.rawValue] > row(f, now: t)[Feature.logMillisSinceTrade.rawValue])
    }
}

@Suite struct SideAndRegimeTests {
    func row(_ f: FeatureState, now: UInt64, side: Side) -> [Float] {
        var r = [Float](repeating: .nan, count: FeatureState.count)
        r.withUnsafeMutableBufferPointer { f.write(into: $0.baseAddress!, now: now, side: side) }
        return r
    }

    /// The sell side's row of a book is the buy side's row of the mirrored book.
    @Test func sellSideRowIsTheMirroredBooksBuySideRow() {
        var f = FeatureState(), m = FeatureState()
        f.onBook(bid: 1_000_000, bidShares: 900, ask: 1_000_200, askShares: 100, bid2Shares: 300, ask2Shares: 700, bidOrders: 5, askOrders: 1, now: 1_000)
        f.onTrade(shares: 200, buyerInitiated: true, now: 2_000)
        f.onBook(bid: 1_000_100, bidShares: 400, ask: 1_000_200, askShares: 100, bid2Shares: 900, ask2Shares: 700, bidOrders: 2, askOrders: 1, now: 3_000)
        // Mirror: prices negated around zero, sides swapped.
        m.onBook(bid: -1_000_200, bidShares: 100, ask: -1_000_000, askShares: 900, bid2Shares: 700, ask2Shares: 300, bidOrders: 1, askOrders: 5, now: 1_000)
        m.onTrade(shares: 200, buyerInitiated: false, now: 2_000)
        m.onBook(bid: -1_000_200, bidShares: 100, ask: -1_000_100, askShares: 400, bid2Shares: 700, ask2Shares: 900, bidOrders: 1, askOrders: 2, now: 3_000)
        let sell = row(f, now: 4_000, side: .sell), mirrored = row(m, now: 4_000, side: .buy)
        for i in 0..<FeatureState.count {
            #expect(abs(sell[i] - mirrored[i]) < 1e-5, "\(Feature(rawValue: i)!.name): \(sell[i]) vs \(mirrored[i])")
        }
        #expect(row(f, now: 4_000, side: .buy)[Feature.lastMoveSign.rawValue] == 1, "the mid went up")
        #expect(sell[Feature.lastMoveSign.rawValue] == -1)
    }

    func classifier() -> RegimeClassifier {
        let names = MarketState.schema.names
        let zero = [Double](repeating: 0, count: names.count)
        let m = RegimeModels(calm: LogisticModel(coefficients: zero, intercept: 0, featureNames: names),
                             volatile: LogisticModel(coefficients: zero, intercept: 0, featureNames: names),
                             drought: LogisticModel(coefficients: zero, intercept: 0, featureNames: names))
        return RegimeClassifier(models: m)
    }

    /// The state changes only after `confirmations` evaluations in a row beat it by `margin`.
    @Test func regimeStateSwitchesWithHysteresis() {
        let c = classifier()
        #expect(c.state == .calm)
        c.observe(SIMD4(0.2, 0.9, 0.1, 0))
        c.observe(SIMD4(0.2, 0.9, 0.1, 0))
        #expect(c.state == .calm, "two evaluations are not enough")
        c.observe(SIMD4(0.5, 0.55, 0.1, 0))
        #expect(c.state == .calm, "within the margin: the streak restarts")
        for _ in 0..<2 { c.observe(SIMD4(0.2, 0.9, 0.1, 0)) }
        #expect(c.state == .calm)
        c.observe(SIMD4(0.2, 0.9, 0.1, 0))
        #expect(c.state == .volatile)
        #expect(c.switches == 1)
        // A single evaluation for drought does not move it.
        c.observe(SIMD4(0.1, 0.1, 0.9, 0))
        c.observe(SIMD4(0.1, 0.9, 0.1, 0))
        #expect(c.state == .volatile)
    }

    /// MarketState's averages over stocks follow the stocks that are two-sided.
    @Test func marketStateAveragesOverTwoSidedStocks() {
        let m = MarketState(maxLocates: 8)
        m.onBook(locate: StockLocate(rawValue: 1), bid: 1_000_000, bidShares: 100, ask: 1_000_100, askShares: 100, now: 1_000_000)
        m.onBook(locate: StockLocate(rawValue: 2), bid: 2_000_000, bidShares: 100, ask: 2_000_300, askShares: 100, now: 2_000_000)
        var r = [Float](repeating: .nan, count: MarketState.count)
        r.withUnsafeMutableBufferPointer { m.write(into: $0.baseAddress!, now: 2_000_000) }
        #expect(r.allSatisfy { $0.isFinite })
        #expect(r[RegimeFeature.meanSpreadTicks.rawValue] == 2, "(1 + 3) / 2")
        // Stock 2 goes one-sided: only stock 1 counts.
        m.onBook(locate: StockLocate(rawValue: 2), bid: 2_000_000, bidShares: 100, ask: 0, askShares: 0, now: 3_000_000)
        r.withUnsafeMutableBufferPointer { m.write(into: $0.baseAddress!, now: 3_000_000) }
        #expect(r[RegimeFeature.meanSpreadTicks.rawValue] == 1)
        #expect(r[RegimeFeature.bboRate.rawValue] > 0)
    }
}
