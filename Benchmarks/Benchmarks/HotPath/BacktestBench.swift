// The backtester's throughput: one iteration = 50,000 messages of a simulated day (100 stocks,
// stamped at the demo's 50,000 messages a second) through `Backtester` with the demo's market
// maker and its models trading the 20 most active stocks: the venue's book and queue model, the
// published feed into the live engine, the gateway and risk. The backtester is built and its
// first 20,000 messages (the opening book, the first quotes) run before the measurement.
// Offline code: its figure is messages a second (`tickwire backtest` prints the same), and its
// allocations are bounded, not zero (records of fills and decisions grow).
import Backtest
import Benchmark
import Exchange
import Foundation
import Inference
import MarketData
import OrderEntry
import Risk
import Strategy
import TickwireCore

final class BacktestFixture: @unchecked Sendable {
    let day: [UInt8]
    var offsets: [(Int, Int)] = []
    let symbols: [Alpha8]

    init() {
        day = FlowDay.generate(OrderFlowConfiguration(seed: 3, symbols: 100), messages: 80_000, rate: 50_000).bytes
        symbols = [Alpha8.blank] + FlowDay.symbols(100).map { Alpha8($0.description)! }
        day.withUnsafeBytes { raw in
            var w = ITCHFileWalker(raw)
            while let m = w.next() { offsets.append((m.baseAddress! - raw.baseAddress!, m.count)) }
        }
    }

    func make() -> Backtester<MarketMaker> {
        var p = MarketMakerParameters()
        p.halfWidthTicks = 0
        p.maxInventory = 1_000
        let traded = (1...20).map { StockLocate(rawValue: UInt16($0)) }
        let mm = MarketMaker(symbols: traded, maxLocates: 101, parameters: p, models: shippedModels)
        var c = BacktestConfiguration()
        c.venue.maxOrders = 1 << 18
        c.venue.maxLocates = 101
        c.engineMaxOrders = 1 << 18
        c.maxLocates = 101
        let limits = RiskLimits(maxOrderShares: 1_000, maxOrderNotional: 5_000_000_000, collarBps: 500, allowWithoutReference: false,
                                maxPositionPerSymbol: 1_000, maxGrossPosition: 10_000, maxOpenOrders: 200, throttleOrders: 5_000,
                                throttleWindowNanos: 1_000_000_000, maxLoss: 50_000 * 10_000, killOnCrossedBook: true)
        return try! Backtester(strategy: mm, risk: try! RiskEngine(limits: limits, maxLocates: 101), symbols: symbols, configuration: c)
    }

    func run(_ b: Backtester<MarketMaker>, _ range: Range<Int>) {
        day.withUnsafeBytes { raw in
            for i in range {
                let (o, n) = offsets[i]
                b.onRecorded(UnsafeRawBufferPointer(rebasing: raw[o..<(o + n)]), sequence: UInt64(i + 1))
            }
        }
    }
}

nonisolated(unsafe) var backtestFixture: BacktestFixture?

func backtestBenchmarks() {
    Benchmark("Backtest_mm_models_20_stocks_50000_messages",
              configuration: .init(metrics: [.wallClock, .throughput, .mallocCountTotal],
                                   warmupIterations: 1, maxDuration: .seconds(4), maxIterations: 20,
                                   thresholds: [.mallocCountTotal: .init(absolute: [.p90: 1_000])],
                                   setup: { if backtestFixture == nil { backtestFixture = BacktestFixture() } })) { benchmark in
        let f = backtestFixture!
        let b = f.make()
        f.run(b, 0..<20_000)
        benchmark.startLoop()
        f.run(b, 20_000..<70_000)
        benchmark.stopLoop()
        b.finish()
        precondition(b.engine.counters.ordersSent > 100 && b.risk.killReason == nil, "the market maker did not trade throughout")
        blackHole(b.venue.counters.fills)
    }
}
