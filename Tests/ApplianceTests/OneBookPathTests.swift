import Appliance
import Capture
import CShims
import Exchange
import Foundation
import Inference
import ITCHBook
import MarketData
import OrderBook
import OrderEntry
import Packets
import Strategy
import TestSupport
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

    /// The live use: the trained taker on `traded`, in the engine of the tick-to-trade rig
    /// (orders to an echo venue), with a book holding every locate.
    func liveTaker(traded: [StockLocate], symbols: Int, locates: Int, models set: ModelSet) throws
        -> (Taker<UptickPredictor>, TradingEngine<Taker<UptickPredictor>, EchoVenueTransport>) {
        var p = TakerParameters()
        p.threshold = 0.55
        p.cooldownNanos = 0
        p.maxPosition = 1 << 40
        let taker = Taker(symbols: traded, model: UptickPredictor(models: set), models: set, maxLocates: locates, parameters: p)
        let (engine, _) = try TickToTradeRig<Taker<UptickPredictor>>.engine(strategy: taker, symbols: symbols, maxOrders: 1 << 21, bookLocates: locates)
        return (taker, engine)
    }

    func runAllUses(_ bytes: [UInt8], label: String) throws {
        let locates = 65_536
        let set = try ModelSet.load(directory: Self.models)
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
        let (taker, engine) = try liveTaker(traded: traded, symbols: 100, locates: locates, models: set)
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

    /// A consumer that records, after each message, a hash of the touched stock's book.
    struct Recording<C: MoldUDP64Consumer>: MoldUDP64Consumer {
        var inner: C
        let book: OrderBook
        let digest: (OrderBook, StockLocate) -> [Int64]
        var hashes: [Int] = []
        mutating func onMessage(_ message: UnsafeRawBufferPointer, sequence: UInt64) {
            inner.onMessage(message, sequence: sequence)
            let locate = message.count >= 3 ? StockLocate(rawValue: message.loadUnaligned(fromByteOffset: 1, as: UInt16.self).bigEndian) : StockLocate(rawValue: 0)
            var h = Hasher()
            h.combine(sequence)
            h.combine(digest(book, locate))
            hashes.append(h.finalize())
        }
    }

    /// The training recorder as a MoldUDP64 consumer (as `record-features --capture` feeds it).
    struct RecorderConsumer: MoldUDP64Consumer {
        let recorder: DatasetRecorder
        mutating func onMessage(_ message: UnsafeRawBufferPointer, sequence: UInt64) { recorder.consume(message) }
    }

    /// An A/B capture with losses: line A loses 4% of its packets (and bursts of 8), duplicates and
    /// reorders some; line B is complete but three packets late, so arbitration fills every hole
    /// of A from B. The three uses each take the capture through their own MoldUDP64 feed handler,
    /// as live and replay do; the book after every message, and at the end, must be the same.
    @Test func anABCaptureWithLossesBuildsTheSameBookInEveryUse() throws {
        let symbols = 20
        let capturePath = FileManager.default.temporaryDirectory.appendingPathComponent("tw-onebook-\(getpid()).pcap").path
        defer { try? FileManager.default.removeItem(atPath: capturePath) }
        let day = try LossyFeedCapture(path: capturePath, symbols: symbols, seed: 11, steps: 30_000, lines: [
            FaultyLine(line: .a, destination: .defaultA, faults: LineFaults(loss: 0.04, burst: 0.004, burstLength: 8, duplicate: 0.02, reorder: 0.02), seed: 3),
            FaultyLine(line: .b, destination: .defaultB, faults: LineFaults(delayPackets: 3), seed: 3),
        ])
        let (model, store, packer) = (day.model, day.store, day.packer)
        #expect(packer.lines[0].counters.lost > 50, "line A lost packets")

        let locates = 65_536
        let set = try ModelSet.load(directory: Self.models)
        let traded = (1...symbols).map { StockLocate(rawValue: UInt16($0)) }
        let (_, engine) = try liveTaker(traded: traded, symbols: symbols, locates: locates, models: set)
        let replayBook = try OrderBook(configuration: OrderBookConfiguration(maxOrders: 1 << 21, maxLocates: locates))
        let recorder = try DatasetRecorder(directory: nil, regime: false, maxLocates: locates)
        var conf = MoldUDP64Configuration()
        conf.startSequence = 1
        conf.arbitrationWindowNanos = 60_000_000_000  // the hole waits for line B: nothing is re-requested
        let digest = { (b: OrderBook, l: StockLocate) in self.digest(b, l) }
        let live = MoldFeedHandler(lineA: .defaultA, lineB: .defaultB, consumer: Recording(inner: engine.consumer, book: engine.book, digest: digest),
                                   requester: NoRecovery(), configuration: conf)
        let replay = MoldFeedHandler(lineA: .defaultA, lineB: .defaultB, consumer: Recording(inner: ITCHBookBuilder(book: replayBook), book: replayBook, digest: digest),
                                     requester: NoRecovery(), configuration: conf)
        let training = MoldFeedHandler(lineA: .defaultA, lineB: .defaultB, consumer: Recording(inner: RecorderConsumer(recorder: recorder), book: recorder.book, digest: digest),
                                       requester: NoRecovery(), configuration: conf)
        let reader = try PcapReader(path: capturePath)
        var pkt = tw_pkt()
        var frames = 0
        var now: UInt64 = 0
        while try reader.next(&pkt) {
            frames += 1
            now = max(now, pkt.rx_timestamp)
            let frame = UnsafeRawBufferPointer(start: pkt.data, count: Int(pkt.len))
            live.onFrame(frame, now: now); live.session.poll(now: now)
            replay.onFrame(frame, now: now); replay.session.poll(now: now)
            training.onFrame(frame, now: now); training.session.poll(now: now)
        }
        let l = live.session.consumer.hashes, r = replay.session.consumer.hashes, t = training.session.consumer.hashes
        #expect(frames > 1_000)
        #expect(l.count == store.count && r.count == store.count && t.count == store.count,
                "every message delivered once in every use: \(l.count), \(r.count), \(t.count) of \(store.count)")
        let firstDiff = zip(zip(l, r), t).enumerated().first { $0.element.0.0 != $0.element.0.1 || $0.element.0.0 != $0.element.1 }?.offset
        #expect(firstDiff == nil, "the books differ first after message \((firstDiff ?? -2) + 1)")
        #expect(live.session.counters.unrecoveredMessages == 0, "\(live.session.counters)")
        let d = dump(engine.book)
        #expect(!d.isEmpty && d == dump(replayBook) && d == dump(recorder.book))
        // And the book is the venue's own: the matching engine's live orders, every one.
        #expect(engine.book.liveOrders == model.engine.liveOrders)
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
