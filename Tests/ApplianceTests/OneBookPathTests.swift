import Appliance
import Exchange
import Foundation
import Inference
import ITCHBook
import MarketData
import OrderBook
import Strategy
import Testing
import TickwireCore
import Training

/// Issue 19, item 1: one path from ITCH to the book. The live engine (a taker trading the first
/// 100 locates, orders to an echo venue), the replay builder and the training recorder each
/// take the same messages through `ITCHBookFeed`, with their own sink; after every message the
/// touched stock's book (five levels a side: price, shares, orders) and the live-order count
/// must be the same in all three, and the final dumps identical; and the feature rows of the
/// traded stocks (the trained taker keeps `FeatureState` per stock, as the recorder does for the
/// training sets) must be the same bytes after every message, and so must the market-wide row
/// the regime model reads (the market maker's against the recorder's). (The backtester will be the
/// fourth use.)
@Suite struct OneBookPathTests {
    static var shared: URL {
        if let p = ProcessInfo.processInfo.environment["TICKWIRE_SHARED_DATA"] { return URL(fileURLWithPath: p) }
        return URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("shared/data")
    }

    /// The touched stock's book as numbers: five levels a side, then the book's live orders.
    func digest(_ book: OrderBook, _ locate: StockLocate) -> [Int64] {
        var d: [Int64] = []
        for side in [Side.buy, .sell] {
            for i in 0..<5 {
                let l = book.level(locate: locate, side: side, index: i)
                d += [l?.price.rawValue ?? 0, Int64(l?.shares ?? 0), Int64(l?.orders ?? 0)]
            }
        }
        d.append(Int64(book.liveOrders))
        return d
    }

    func dump(_ book: OrderBook) -> String {
        var s = ""
        book.dump(symbols: { "L\($0.rawValue)" }) { s += $0 + "\n" }
        return s
    }

    static let models = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("models").path

    /// A stock's feature row (the buy side's view) at feed time `now`, as bytes.
    func row(_ f: FeatureState, now: UInt64) -> [UInt32] {
        var r = [Float](repeating: 0, count: FeatureState.count)
        r.withUnsafeMutableBufferPointer { f.write(into: $0.baseAddress!, now: now, side: .buy) }
        return r.map(\.bitPattern)
    }

    func runAllUses(_ bytes: [UInt8], label: String) throws {
        let locates = 65_536
        let set = try ModelSet.load(directory: Self.models)
        var p = TakerParameters()
        p.threshold = 0.55
        p.cooldownNanos = 0
        p.maxPosition = 1 << 40
        // The 100 busiest locates of the feed are traded.
        var perLocate = [Int](repeating: 0, count: locates)
        bytes.withUnsafeBytes { raw in
            var w = ITCHFileWalker(raw)
            while let m = w.next() {
                if m.count >= 3 { perLocate[Int(m.loadUnaligned(fromByteOffset: 1, as: UInt16.self).bigEndian)] += 1 }
            }
        }
        let busiest = perLocate.indices.filter { $0 > 0 && perLocate[$0] > 0 }.sorted { perLocate[$0] > perLocate[$1] }.prefix(100)
        let traded = busiest.map { StockLocate(rawValue: UInt16($0)) }
        let isTraded = Set(busiest)
        let taker = Taker(symbols: traded, model: UptickPredictor(models: set), models: set, maxLocates: locates, parameters: p)
        let (engine, _) = try TickToTradeRig<Taker<UptickPredictor>>.engine(
            strategy: taker,
            symbols: 100, maxOrders: 1 << 21, bookLocates: locates)
        var live = engine.consumer
        // The market maker with the models: its regime state must follow the market as the
        // recorder's does.
        var mp = MarketMakerParameters()
        mp.maxInventory = 1 << 40
        let maker = MarketMaker(symbols: traded, maxLocates: locates, parameters: mp, models: set)
        let (mmEngine, _) = try TickToTradeRig<MarketMaker>.engine(strategy: maker, symbols: 100, maxOrders: 1 << 21, bookLocates: locates)
        var mmLive = mmEngine.consumer
        let liveMarket = try #require(maker.marketState)
        var marketRowsCompared = 0
        var firstMarketDifference: String?
        var replay = ITCHBookBuilder(book: try OrderBook(configuration: OrderBookConfiguration(maxOrders: 1 << 21, maxLocates: locates)))
        let recorder = try DatasetRecorder(directory: nil, regime: false, maxLocates: locates)

        var messages = 0, compared = 0, rowsCompared = 0
        var firstDifference: String?, firstRowDifference: String?
        bytes.withUnsafeBytes { raw in
            var w = ITCHFileWalker(raw)
            while let m = w.next() {
                messages += 1
                live.onMessage(m, sequence: UInt64(messages))
                mmLive.onMessage(m, sequence: UInt64(messages))
                replay.onMessage(m, sequence: UInt64(messages))
                recorder.consume(m)
                guard firstDifference == nil, m.count >= 3 else { continue }
                let locate = StockLocate(rawValue: m.loadUnaligned(fromByteOffset: 1, as: UInt16.self).bigEndian)
                let a = digest(engine.book, locate), b = digest(replay.book, locate), c = digest(recorder.book, locate)
                compared += 1
                if a != b || a != c || a != digest(mmEngine.book, locate) {
                    firstDifference = "\(label): message \(messages) (type \(UnicodeScalar(m[0]))), locate \(locate.rawValue): live \(a), replay \(b), training \(c)"
                }
                // The market-wide row (the regime model's input), at this message's feed time.
                if firstMarketDifference == nil, m.count >= 11 {
                    var now: UInt64 = 0
                    for k in 5..<11 { now = now << 8 | UInt64(m[k]) }
                    var x = [Float](repeating: 0, count: MarketState.count), y = x
                    x.withUnsafeMutableBufferPointer { liveMarket.write(into: $0.baseAddress!, now: now) }
                    y.withUnsafeMutableBufferPointer { recorder.marketState.write(into: $0.baseAddress!, now: now) }
                    marketRowsCompared += 1
                    if x.map(\.bitPattern) != y.map(\.bitPattern) {
                        firstMarketDifference = "\(label): message \(messages): live market row \(x), training \(y)"
                    }
                }
                // Feature rows of a traded stock, at this message's feed time.
                guard firstRowDifference == nil, isTraded.contains(Int(locate.rawValue)), m.count >= 11,
                      let fl = taker.featureState(locate), let fr = recorder.featureState(locate) else { continue }
                var now: UInt64 = 0
                for k in 5..<11 { now = now << 8 | UInt64(m[k]) }
                rowsCompared += 1
                let x = row(fl, now: now), y = row(fr, now: now)
                if x != y {
                    firstRowDifference = "\(label): message \(messages), locate \(locate.rawValue): live \(x.map { Float(bitPattern: $0) }), training \(y.map { Float(bitPattern: $0) })"
                }
            }
        }
        #expect(firstDifference == nil, "\(firstDifference ?? "")")
        #expect(firstRowDifference == nil, "\(firstRowDifference ?? "")")
        #expect(firstMarketDifference == nil, "\(firstMarketDifference ?? "")")
        #expect(marketRowsCompared > 500, "\(label): \(marketRowsCompared) market rows compared")
        #expect(rowsCompared > 100, "\(label): \(rowsCompared) feature rows compared")
        #expect(messages > 500 && compared == messages, "\(label): \(messages) messages, \(compared) compared")
        let d = dump(engine.book)
        #expect(!d.isEmpty && d == dump(replay.book) && d == dump(recorder.book), "\(label): the final books differ")
        #expect(recorder.messages == UInt64(messages) && replay.counters.delivered == live.counters.delivered && live.counters.delivered > 0, "\(label): every use counted every message")
        // The live use is the live engine, not a book alone: its strategy heard the touches and traded.
        #expect(engine.counters.messages == UInt64(messages) && engine.counters.strategyCalls > 0, "\(label): \(engine.counters)")
    }

    @Test func theRealNASDAQSnippetBuildsTheSameBookInEveryUse() throws {
        let bytes = try ITCHFile.load(path: Self.shared.appendingPathComponent("itch/12302019_SNIPPET.NASDAQ_ITCH50").path)
        try runAllUses(bytes, label: "NASDAQ snippet")
    }

    @Test func aSimulatorDayBuildsTheSameBookInEveryUse() throws {
        let day = FlowDay.generate(OrderFlowConfiguration(seed: 7, symbols: 20), messages: 200_000).bytes
        try runAllUses(day, label: "simulator day")
    }
}
