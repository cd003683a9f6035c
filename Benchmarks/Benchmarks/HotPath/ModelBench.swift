// The models on the hot path, with the shipped files (models/): one iteration = 300 frames of a
// simulated day through the appliance's loop with the trained taker (FeatureState per stock, the
// uptick GBDT at every touch change of a traded stock) and with the market maker quoting with
// models (features, regime classifier, adapt / fill / toxicity GBDTs); and 1,000 feature updates
// + rows + GBDT predictions on their own.
import Appliance
import Benchmark
import Exchange
import Foundation
import Inference
import Strategy
import TickwireCore

let shippedModels: ModelSet = {
    let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()
    return try! ModelSet.load(directory: root.appendingPathComponent("models").path)
}()

final class ModelRigFixture<S: Strategy>: @unchecked Sendable {
    let frames: TickToTradeFrames
    let make: (TSCClock) -> TickToTradeRig<S>
    var rig: TickToTradeRig<S>
    var cursor = 0
    /// The real TSC rate: the loop's clock drives the session's timers, and a made-up rate put
    /// "now" seconds away from the login, so the session dropped as a dead peer and every
    /// iteration measured refusals (notLoggedIn) instead of orders.
    let clock = TSCClock.calibrate(windowNanos: 20_000_000)

    init(_ make: @escaping (TSCClock) -> TickToTradeRig<S>) {
        let day = FlowDay.generate(OrderFlowConfiguration(seed: 1, symbols: 100), messages: 600_000).bytes
        frames = TickToTradeFrames(itch: day, perPacket: 3)
        self.make = make
        rig = make(clock)
    }

    func iteration(_ benchmark: Benchmark) {
        if cursor + 300 > frames.count {
            rig = make(clock)
            cursor = 0
        }
        let rig = self.rig
        let start = cursor
        benchmark.startLoop()
        for i in start..<(start + 300) { rig.burst(frames, from: i, count: 1) }
        benchmark.stopLoop()
        cursor += 300
        while rig.engine.stamps.pop() != nil {}
        precondition(rig.isLoggedIn, "the session dropped: the iteration measured refusals, not orders")
        blackHole(rig.engine.counters.ordersSent)
    }
}

nonisolated(unsafe) var trainedTakerFixture: ModelRigFixture<Taker<UptickPredictor>>?
nonisolated(unsafe) var modelMMFixture: ModelRigFixture<MarketMaker>?

func modelBenchmarks() {
    let locates = (1...100).map { StockLocate(rawValue: UInt16($0)) }
    Benchmark("TickToTrade_trained_taker_300_frames",
              configuration: .init(setup: {
                  if trainedTakerFixture == nil {
                      trainedTakerFixture = ModelRigFixture { clock in
                          let p = benchTakerParameters
                          return try! TickToTradeRig(strategy: Taker(symbols: locates, model: UptickPredictor(models: shippedModels), models: shippedModels,
                                                                     maxLocates: 101, parameters: p),
                                                     symbols: 100, clock: clock)
                      }
                  }
              })) { benchmark in
        trainedTakerFixture!.iteration(benchmark)
    }

    Benchmark("TickToTrade_mm_models_300_frames",
              configuration: .init(setup: {
                  if modelMMFixture == nil {
                      modelMMFixture = ModelRigFixture { clock in
                          var p = MarketMakerParameters()
                          p.halfWidthTicks = 0
                          p.maxInventory = 1 << 40
                          return try! TickToTradeRig(strategy: MarketMaker(symbols: locates, maxLocates: 101, parameters: p, models: shippedModels),
                                                     symbols: 100, clock: clock)
                      }
                  }
              })) { benchmark in
        modelMMFixture!.iteration(benchmark)
    }

    Benchmark("Features_and_GBDT_1000_events") { benchmark in
        let model = Unmanaged.passUnretained(shippedModels.uptick)
        var f = FeatureState()
        var sink = 0.0
        let row = UnsafeMutablePointer<Float>.allocate(capacity: FeatureState.count)
        defer { row.deallocate() }
        var now: UInt64 = 34_200_000_000_000
        benchmark.startLoop()
        for i in 0..<1_000 {
            now &+= 1_000_000
            let s = UInt64(100 + (i * 37) % 900)
            if i % 7 == 0 { f.onTrade(shares: 100, buyerInitiated: i % 2 == 0, now: now) }
            f.onBook(bid: 1_000_000 + Int64(i % 3) * 100, bidShares: s, ask: 1_000_200, askShares: 1_000 - s, bid2Shares: 300, ask2Shares: 400,
                     bidOrders: 1 + i % 5, askOrders: 2, now: now)
            f.write(into: row, now: now, side: i % 2 == 0 ? .buy : .sell)
            sink += model._withUnsafeGuaranteedRef { $0.predictProbability(row) }
        }
        benchmark.stopLoop()
        blackHole(sink)
    }
}
