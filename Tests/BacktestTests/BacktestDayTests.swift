import Appliance
import Backtest
import Exchange
import Foundation
import ITCHBook
import MarketData
import OrderBook
import OrderEntry
import Risk
import Strategy
import Testing
import TickwireCore

/// A simulated day (the venue simulator's flow) backtested with the market maker: what the
/// venue did, what the gateway and risk believe, and what the engine's book shows must agree.
@Suite struct BacktestDayTests {
    static let day = FlowDay.generate(OrderFlowConfiguration(seed: 7, symbols: 40), messages: 200_000).bytes

    static func run(queueModel: QueueModel = .l3FIFO) throws -> Backtester<MarketMaker> {
        var p = MarketMakerParameters()
        p.halfWidthTicks = 0
        p.maxInventory = 1_000
        let traded = (1...10).map { StockLocate(rawValue: UInt16($0)) }
        let mm = MarketMaker(symbols: traded, maxLocates: 41, parameters: p, models: nil)
        var c = BacktestConfiguration()
        c.venue.queueModel = queueModel
        c.venue.maxOrders = 1 << 18
        c.venue.maxLocates = 41
        c.engineMaxOrders = 1 << 18
        c.maxLocates = 41
        let risk = try RiskEngine(limits: looseLimits(), maxLocates: 41)
        let symbols = [Alpha8.blank] + FlowDay.symbols(40).map { Alpha8($0.description)! }
        let b = try Backtester(strategy: mm, risk: risk, symbols: symbols, configuration: c)
        day.withUnsafeBytes { raw in
            var w = ITCHFileWalker(raw)
            var seq: UInt64 = 0
            while let m = w.next() {
                seq += 1
                b.onRecorded(m, sequence: seq)
            }
        }
        b.finish()
        return b
    }

    @Test func theVenueTheGatewayAndTheEngineAgree() throws {
        let b = try Self.run()
        let v = b.venue.counters
        #expect(b.recordedMessages == 200_000)
        #expect(v.passiveFills > 50)
        #expect(v.fills == v.passiveFills + v.aggressiveFills)
        // Every fill the venue made reached the gateway and the strategy, share for share.
        #expect(b.engine.counters.fills == v.fills)
        #expect(b.engine.counters.filledShares == v.filledShares)
        var net: [UInt16: Int64] = [:]
        for f in b.venue.fills { net[f.locate.rawValue, default: 0] += f.side == .buy ? Int64(f.shares) : -Int64(f.shares) }
        for l in 1...40 {
            #expect(b.gateway.positions[l] == net[UInt16(l)] ?? 0, "locate \(l)")
            #expect(b.risk.positions.position(StockLocate(rawValue: UInt16(l))) == net[UInt16(l)] ?? 0)
        }
        // Wound down: nothing open on either side, the session logged out cleanly.
        #expect(b.openOrders == 0)
        #expect(b.venue.liveOrders().isEmpty)
        #expect(b.venue.counters.badInput == 0)
        #expect(b.unreadAnswers == 0)
        #expect(b.gateway.counters.venueViolations == 0)
        #expect(b.venue.counters.unpublishable == 0)
        // The engine's book is the venue's, one feed latency later: once everything is
        // delivered they are the same, message for message.
        // (The venue keeps books only for the traded stocks.)
        func traded(_ book: OrderBook) -> [Substring] {
            book.dump(symbols: { _ in "S" }).split(separator: "\n").filter { (1...10).contains(Int($0.split(separator: " ")[0]) ?? 0) }
        }
        #expect(traded(b.engine.book) == traded(b.venue.book))
        #expect(traded(b.engine.book).count > 100)
        // (The venue changes our orders directly, the engine through ITCH: their counts of adds
        // and replaces differ; what the feed referred to that was gone must not.)
        #expect(b.engine.book.counters.unknownRefs == b.venue.book.counters.unknownRefs)
        #expect(b.engine.book.counters.overExecutions == b.venue.book.counters.overExecutions)
        // Every fill is at a price our order allowed, and a passive fill at the order's price.
        for f in b.venue.fills {
            #expect(f.price.rawValue > 0)
            if f.liquidity == UInt8(ascii: "A") { #expect(f.time >= f.joinedAt) }
        }
    }

    @Test func aBacktestIsRepeatable() throws {
        let a = try Self.run(), b = try Self.run()
        #expect(a.decisions == b.decisions)
        #expect(a.venue.fills == b.venue.fills)
        #expect(a.risk.positions.totalPnL == b.risk.positions.totalPnL)
        let p = try Self.run(queueModel: .probabilistic(.power(2)))
        #expect(p.venue.counters.fillsByEstimate > 0)
        #expect(p.venue.counters.fillsBehind == 0)
    }
}
