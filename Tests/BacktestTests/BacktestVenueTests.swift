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

/// A strategy that does what the test says when the feed's time reaches each step (it trades
/// locate 1 only and hears every callback), and keeps what the venue answered.
final class ScriptStrategy: Strategy {
    struct Step {
        var at: UInt64
        var make: (ScriptStrategy) -> StrategyAction?
    }
    var steps: [Step]
    var ids: [UInt32: UInt32] = [:]
    var events: [GatewayEvent] = []
    var submitResults: [SubmitResult] = []
    var trades: [(price: Int64, shares: UInt32)] = []
    var tops: [BookTop] = []

    init(_ steps: [Step]) { self.steps = steps }

    func trades(_ locate: StockLocate) -> Bool { locate.rawValue == 1 }
    func fire(_ ctx: inout StrategyContext) {
        while let s = steps.first, ctx.now >= s.at {
            steps.removeFirst()
            if let a = s.make(self) { ctx.add(a) }
        }
    }
    func onBook(_ top: BookTop, _ ctx: inout StrategyContext) {
        tops.append(top)
        fire(&ctx)
    }
    func onTrade(locate: StockLocate, price: Price, shares: UInt32, aggressor: Side, _ ctx: inout StrategyContext) {
        trades.append((price.rawValue, shares))
        fire(&ctx)
    }
    func onSubmitted(tag: UInt32, result: SubmitResult, _ ctx: inout StrategyContext) {
        submitResults.append(result)
        if case .sent(let id) = result { ids[tag] = id }
    }
    func onReplaceSent(id: UInt32, newID: UInt32?, _ ctx: inout StrategyContext) {
        if let newID, let tag = ids.first(where: { $0.value == id })?.key { ids[tag] = newID }
    }
    func onOrder(_ event: GatewayEvent, _ ctx: inout StrategyContext) { events.append(event) }

    var executions: [(id: UInt32, shares: UInt32, price: Int64)] {
        events.compactMap { if case .executed(let id, _, _, let s, let p, _) = $0 { (id, s, p.rawValue) } else { nil } }
    }
}

/// ITCH messages for one stock ("AAA", locate 1), written by hand.
struct Tape {
    var messages: [[UInt8]] = []
    mutating func put(_ write: (UnsafeMutableRawBufferPointer) -> Int?) {
        var b = [UInt8](repeating: 0, count: 64)
        let n = b.withUnsafeMutableBytes { write($0) }!
        messages.append(Array(b[0..<n]))
    }
    mutating func add(_ t: UInt64, _ ref: UInt64, _ side: Side, _ shares: UInt32, _ price: Int64) {
        put { ITCHEncoder.addOrder(into: $0, stockLocate: aaa, timestamp: VenueTime(nanosSinceMidnight: t), orderRef: OrderRef(rawValue: ref),
                                   side: side, shares: Shares(rawValue: shares), stock: "AAA", price: Price(rawValue: price)) }
    }
    mutating func execute(_ t: UInt64, _ ref: UInt64, _ shares: UInt32) {
        put { ITCHEncoder.orderExecuted(into: $0, stockLocate: aaa, timestamp: VenueTime(nanosSinceMidnight: t), orderRef: OrderRef(rawValue: ref),
                                        executedShares: Shares(rawValue: shares), matchNumber: t) }
    }
    mutating func delete(_ t: UInt64, _ ref: UInt64) {
        put { ITCHEncoder.orderDelete(into: $0, stockLocate: aaa, timestamp: VenueTime(nanosSinceMidnight: t), orderRef: OrderRef(rawValue: ref)) }
    }
    mutating func cancel(_ t: UInt64, _ ref: UInt64, _ shares: UInt32) {
        put { ITCHEncoder.orderCancel(into: $0, stockLocate: aaa, timestamp: VenueTime(nanosSinceMidnight: t), orderRef: OrderRef(rawValue: ref),
                                      cancelledShares: Shares(rawValue: shares)) }
    }
    mutating func replace(_ t: UInt64, _ old: UInt64, _ new: UInt64, _ shares: UInt32, _ price: Int64) {
        put { ITCHEncoder.orderReplace(into: $0, stockLocate: aaa, timestamp: VenueTime(nanosSinceMidnight: t), originalOrderRef: OrderRef(rawValue: old),
                                       newOrderRef: OrderRef(rawValue: new), shares: Shares(rawValue: shares), price: Price(rawValue: price)) }
    }
    mutating func hidden(_ t: UInt64, _ side: Side, _ shares: UInt32, _ price: Int64) {
        put { ITCHEncoder.trade(into: $0, stockLocate: aaa, timestamp: VenueTime(nanosSinceMidnight: t), orderRef: OrderRef(rawValue: 0),
                                side: side, shares: Shares(rawValue: shares), stock: "AAA", price: Price(rawValue: price), matchNumber: t) }
    }
}

/// 1 µs each way, so that the arithmetic of the tests is easy: an order the engine decides at
/// feed time T (it hears it at T + 1 µs) reaches the venue at T + 2 µs.
func microsecondLatencies() -> BacktestLatencies {
    BacktestLatencies(feed: FeedLatency(.constant(nanos: 1_000)), entry: OrderEntryLatency(.constant(nanos: 1_000)),
                      response: ResponseLatency(.constant(nanos: 1_000)))
}

func looseLimits() -> RiskLimits {
    RiskLimits(maxOrderShares: 10_000, maxOrderNotional: 10_000_000_000, collarBps: 5_000, allowWithoutReference: true,
               maxPositionPerSymbol: 100_000, maxGrossPosition: 1_000_000, maxOpenOrders: 1_000,
               throttleOrders: 100_000, throttleWindowNanos: 1_000_000_000, maxLoss: 1 << 50, killOnCrossedBook: false)
}

func runScript(_ tape: Tape, _ steps: [ScriptStrategy.Step], queueModel: QueueModel = .l3FIFO,
               limits: RiskLimits = looseLimits()) throws -> (Backtester<ScriptStrategy>, ScriptStrategy) {
    let s = ScriptStrategy(steps)
    var c = BacktestConfiguration()
    c.venue.latencies = microsecondLatencies()
    c.venue.queueModel = queueModel
    c.venue.maxOrders = 1 << 12
    c.venue.maxLocates = 8
    c.engineMaxOrders = 1 << 12
    c.maxLocates = 8
    let risk = try RiskEngine(limits: limits, maxLocates: 8)
    let b = try Backtester(strategy: s, risk: risk, symbols: [.blank, Alpha8("AAA")!], configuration: c)
    for (i, m) in tape.messages.enumerated() {
        m.withUnsafeBytes { b.onRecorded($0, sequence: UInt64(i + 1)) }
    }
    b.finish()
    return (b, s)
}

func dump(_ book: OrderBook) -> String { book.dump(symbols: { _ in "S" }) }

let bid = Int64(100_000), ask = Int64(100_100)
let aaa = StockLocate(rawValue: 1)

@Suite struct BacktestVenueTests {
    /// Our bid joins behind two orders; executions of those move it up, a cancel moves it up, and
    /// executions of an order that joined behind it fill it, up to their size.
    @Test func l3QueueFillsOnlyOnceTheOrdersAheadAreGone() throws {
        var t = Tape()
        t.add(1_000, 1, .buy, 100, bid)
        t.add(2_000, 2, .buy, 200, bid)
        t.add(3_000, 3, .sell, 100, ask)
        // The engine hears the ask at 4,000 and sends; the order reaches the venue at 5,000.
        t.execute(4_500, 1, 60)        // ahead of us: we are not there yet anyway
        t.execute(6_000, 1, 40)        // ahead
        t.delete(7_000, 2)             // ahead: gone, we are first
        t.add(8_000, 4, .buy, 300, bid)  // behind us
        t.execute(9_000, 4, 30)        // the flow reached us first: 30 of ours
        t.execute(10_000, 4, 100)      // 20 left of ours
        t.execute(11_000, 4, 100)      // ours are done: nothing
        t.add(12_000, 5, .sell, 10, ask)
        let (b, s) = try runScript(t, [.init(at: 3_000) { _ in .new(tag: 1, locate: StockLocate(rawValue: 1), side: .buy, shares: 50, price: Price(rawValue: bid), kind: .day) }])
        #expect(s.executions.map(\.shares) == [30, 20])
        #expect(s.executions.allSatisfy { $0.price == bid })
        let f = b.venue.fills
        #expect(f.count == 2)
        #expect(f.first?.aheadAtEntry == 240)  // what order 1 had left (40) and order 2 (200) when ours arrived
        #expect(f.allSatisfy { $0.liquidity == UInt8(ascii: "A") })
        #expect(b.venue.counters.fillsBehind == 2)
        #expect(b.gateway.positions[1] == 50)
        #expect(b.risk.positions.position(StockLocate(rawValue: 1)) == 50)
        // Everything the venue published reached the engine: the two books are the same.
        #expect(dump(b.engine.book) == dump(b.venue.book))
        #expect(b.openOrders == 0)
    }
}
