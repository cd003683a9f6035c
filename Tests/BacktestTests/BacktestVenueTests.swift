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
    /// What the strategy heard, in order: "top BID ASK" for a touch, "answer" for the venue.
    var heard: [String] = []

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
        heard.append("top \(top.bid.rawValue) \(top.ask.rawValue)")
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
    func onOrder(_ event: GatewayEvent, _ ctx: inout StrategyContext) {
        events.append(event)
        heard.append("answer")
    }

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
               limits: RiskLimits = looseLimits(), displace: Bool = true, throughBetterThanTouch: Bool = true,
               latencies: BacktestLatencies = microsecondLatencies(), consumed: ConsumedLiquidity = .walk) throws -> (Backtester<ScriptStrategy>, ScriptStrategy) {
    let s = ScriptStrategy(steps)
    var c = BacktestConfiguration()
    c.venue.latencies = latencies
    c.venue.queueModel = queueModel
    c.venue.displaceRecordedExecutions = displace
    c.venue.throughFillsBetterThanTouch = throughBetterThanTouch
    c.venue.consumedLiquidity = consumed
    c.venue.maxOrders = 1 << 12
    c.venue.maxLocates = 8
    c.engineMaxOrders = 1 << 12
    c.maxLocates = 8
    let risk = try RiskEngine(limits: limits, maxLocates: 8)
    let b = try Backtester(strategy: s, risk: risk, symbols: [.blank, Alpha8("AAA")!], configuration: c)
    b.keepFeed = true
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

    /// Displacement: an execution of an order behind ours fills ours first (50), and the
    /// recorded order executes only for what the aggressor had left (30 of 80), keeping the 50
    /// it would have lost, as on a real engine. When the recorded day then executes the rest of
    /// its own shares, the 50 rest on (the day thinks the order done; the venue simulator's
    /// engine keeps it too). Off, the recorded order executes in full both times (the day as it
    /// was, our fill on top).
    @Test(arguments: [true, false])
    func anExecutionThatFillsUsFirstLeavesTheRecordedOrderWhatItGaveUs(displace: Bool) throws {
        var t = Tape()
        t.add(1_000, 1, .buy, 100, bid)
        t.add(3_000, 3, .sell, 100, ask)   // the engine hears it at 4,000; ours reaches the venue at 5,000
        t.add(6_000, 4, .buy, 300, bid)    // behind us
        t.execute(7_000, 4, 80)            // reaches us first: 50 of ours, 30 of order 4
        t.add(7_500, 5, .sell, 10, ask)    // (a message after it, to look at the books)
        t.execute(8_000, 4, 220)           // the rest of order 4's recorded shares
        t.add(9_000, 6, .sell, 10, ask)
        let (b, s) = try runScript(t, [
            .init(at: 3_000) { _ in .new(tag: 1, locate: aaa, side: .buy, shares: 50, price: Price(rawValue: bid), kind: .day) },
        ], displace: displace)
        #expect(s.executions.map(\.shares) == [50])
        #expect(b.venue.counters.fillsBehind == 1)
        #expect(b.venue.counters.displacedShares == (displace ? 50 : 0))
        // At the end order 4 rests with the 50 it kept, or is gone (executed in full).
        #expect(b.venue.book.order(OrderRef(rawValue: 4))?.shares.rawValue == (displace ? 50 : nil))
        #expect(dump(b.engine.book) == dump(b.venue.book))
        // What the engine heard of order 4: 30 then 220 (displaced), or 80 then 220.
        let heard = b.feedSeen
        var executed: [UInt32] = [], deleted = 0
        heard.withUnsafeBytes { raw in
            var w = ITCHFileWalker(raw)
            while let m = w.next() {
                guard m.count >= 19 else { continue }
                let ref = m[11..<19].reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
                guard ref == 4 else { continue }
                if m[0] == UInt8(ascii: "E") { executed.append(m[19..<23].reduce(UInt32(0)) { $0 << 8 | UInt32($1) }) }
                if m[0] == UInt8(ascii: "D") { deleted += 1 }
            }
        }
        #expect(executed == (displace ? [30, 220] : [80, 220]))
        #expect(deleted == 0)
    }

    /// Displaced shares meet the flow before what the day had behind them, as on the venue
    /// simulator's engine: an add across them trades with them (and is taken whole here); an
    /// execution of an order behind them fills them first (and that order keeps what it gave:
    /// displaced in turn); a cancel of an order holding displaced shares cuts it to the day's
    /// remaining shares. The engine hears all of it: its book stays the venue's.
    @Test func displacedSharesRestAndMeetTheFlowFirst() throws {
        var t = Tape()
        t.add(3_000, 3, .sell, 100, ask)   // the engine hears it at 4,000; ours reaches the venue at 5,000
        t.add(6_000, 4, .buy, 300, bid)    // behind us
        t.execute(7_000, 4, 80)            // 50 of ours, 30 of order 4: 50 displaced
        t.execute(8_000, 4, 220)           // the day is done with order 4; its 50 rest on
        t.add(9_000, 6, .sell, 30, bid)    // across them (the day's bid is empty): 30 of them, all of order 6
        t.delete(9_500, 6)                 // the day's delete of what never rested here
        t.add(10_000, 5, .buy, 100, bid)   // behind what is left of order 4 (20)
        t.execute(11_000, 5, 70)           // 20 of order 4, 50 of order 5: 20 displaced onto 5
        t.cancel(12_000, 5, 10)            // the day's order 5 goes to 20: so does the venue's (not 40)
        t.add(13_000, 7, .buy, 10, bid - 200)
        let (b, s) = try runScript(t, [
            .init(at: 3_000) { _ in .new(tag: 1, locate: aaa, side: .buy, shares: 50, price: Price(rawValue: bid), kind: .day) },
        ])
        #expect(s.executions.map(\.shares) == [50])
        let c = b.venue.counters
        #expect(c.displacedShares == 70 && c.displacedExecutions == 0)
        #expect(c.heldFills == 2 && c.heldFilledShares == 50)
        #expect(c.heldCancelledShares == 20)
        #expect(b.venue.book.order(OrderRef(rawValue: 4)) == nil)
        #expect(b.venue.book.order(OrderRef(rawValue: 6)) == nil)
        #expect(b.venue.book.order(OrderRef(rawValue: 5))?.shares.rawValue == 20)
        #expect(b.venue.ordersHoldingDisplaced == 0)
        #expect(dump(b.engine.book) == dump(b.venue.book))
        #expect(b.engine.book.counters.unknownRefs == b.venue.book.counters.unknownRefs)
    }

    /// An aggressor that the day shows sweeping two orders behind ours (two executions at one
    /// instant) executes ours once, for both pieces: one answer, one execution on the feed and
    /// one fill record, as the venue that matches it against our order answers. An execution
    /// at another instant is a fill of its own.
    @Test func oneAggressorsExecutionsBehindOursAreOneFill() throws {
        var t = Tape()
        t.add(3_000, 3, .sell, 100, ask)   // ours (300 at bid) reaches the venue at 5,000
        t.add(6_000, 4, .buy, 100, bid)    // behind us
        t.add(6_500, 5, .buy, 100, bid)    // behind us
        t.execute(7_000, 4, 100)           // one aggressor: order 4, then order 5
        t.execute(7_000, 5, 100)
        t.add(7_500, 6, .buy, 100, bid)
        t.execute(8_000, 6, 50)            // another aggressor
        t.add(9_000, 7, .buy, 10, bid - 200)
        let (b, s) = try runScript(t, [
            .init(at: 3_000) { _ in .new(tag: 1, locate: aaa, side: .buy, shares: 300, price: Price(rawValue: bid), kind: .day) },
        ])
        #expect(s.executions.map(\.shares) == [200, 50])
        #expect(b.venue.fills.map(\.shares) == [200, 50])
        let c = b.venue.counters
        #expect(c.fills == 2 && c.foldedFills == 1 && c.filledShares == 250)
        #expect(dump(b.engine.book) == dump(b.venue.book))
        #expect(b.gateway.positions[1] == 250)
    }

    /// A marketable order takes the displayed book at its arrival, best price first; what it
    /// took is gone: the recorded execution of the same order later is not a second fill.
    @Test func aTakeWalksTheBookAndConsumesItOnce() throws {
        var t = Tape()
        t.add(1_000, 1, .buy, 100, bid)
        t.add(1_500, 11, .sell, 100, ask + 100)
        t.add(2_000, 10, .sell, 100, ask)
        // Decided at 2,000 (heard at 3,000), arrives at 4,000: 100 at ask, 50 at ask + 100.
        t.add(3_000, 2, .buy, 100, bid - 100)
        t.execute(6_000, 11, 100)   // the recorded aggressor: order 11 had 50 left
        t.add(7_000, 3, .buy, 10, bid - 200)
        let (b, s) = try runScript(t, [.init(at: 2_000) { _ in .new(tag: 1, locate: aaa, side: .buy, shares: 150, price: Price(rawValue: ask + 100), kind: .ioc) }])
        #expect(s.executions.map(\.shares) == [100, 50])
        #expect(s.executions.map(\.price) == [ask, ask + 100])
        #expect(b.venue.fills.allSatisfy { $0.liquidity == UInt8(ascii: "R") })
        #expect(b.venue.counters.aggressiveFills == 2)
        #expect(b.venue.counters.consumedCollisions == 1)
        #expect(b.engine.book.bestAsk(aaa) == nil)
        #expect(dump(b.engine.book) == dump(b.venue.book))
        #expect(b.gateway.positions[1] == 150)
    }

    /// An order added on the other side at a price that crosses our resting bid trades with it
    /// first (we rest: liquidity added); the engine sees the add with what is left of it.
    @Test func aCrossingAddFillsOurRestingOrderAndRestsTheRest() throws {
        var t = Tape()
        t.add(1_000, 1, .buy, 100, bid - 100)
        t.add(2_000, 2, .sell, 100, ask)
        t.add(8_000, 3, .sell, 150, bid)    // crosses our bid at `bid`: 100 of it are ours
        t.add(9_000, 4, .buy, 10, bid - 200)
        let (b, s) = try runScript(t, [.init(at: 2_000) { _ in .new(tag: 1, locate: aaa, side: .buy, shares: 100, price: Price(rawValue: bid), kind: .day) }])
        #expect(s.executions.map(\.shares) == [100])
        #expect(s.executions.first?.price == bid)
        #expect(b.venue.counters.fillsByCrossingAdd == 1)
        #expect(b.engine.book.order(OrderRef(rawValue: 3))?.shares.rawValue == 50)
        #expect(b.engine.book.bestAsk(aaa)?.price.rawValue == bid)
        #expect(dump(b.engine.book) == dump(b.venue.book))
    }

    /// An add that our orders take whole never rests, and a replace moved across our order is
    /// published as the old order's delete.
    @Test func aCrossingAddOrReplaceTakenWholeIsNotPublished() throws {
        var t = Tape()
        t.add(1_000, 1, .buy, 100, bid - 100)
        t.add(2_000, 2, .sell, 100, ask)
        t.add(8_000, 3, .sell, 40, bid)           // taken whole by our 100
        t.replace(9_000, 2, 5, 30, bid)           // the ask moved onto our bid: taken whole too
        t.add(10_000, 4, .sell, 10, ask + 500)
        let (b, s) = try runScript(t, [.init(at: 2_000) { _ in .new(tag: 1, locate: aaa, side: .buy, shares: 100, price: Price(rawValue: bid), kind: .day) }])
        #expect(s.executions.map(\.shares) == [40, 30])
        #expect(b.engine.book.order(OrderRef(rawValue: 3)) == nil)
        #expect(b.engine.book.order(OrderRef(rawValue: 2)) == nil)
        #expect(b.engine.book.order(OrderRef(rawValue: 5)) == nil)
        #expect(b.engine.book.counters.unknownRefs == b.venue.book.counters.unknownRefs)
        #expect(dump(b.engine.book) == dump(b.venue.book))
    }

    /// Liquidity consumed once, one step on (traced on a validate day): a sell added across our
    /// bid is filled by it and gone, but the recorded day moves it up to the ask and executes it
    /// there. The venue publishes none of that chain, and the aggressor that executed it meets
    /// what rests instead: with `walk`, our ask a tick deeper; with `at-price`, nothing past the
    /// ask; with `drop`, nothing at all.
    @Test(arguments: [ConsumedLiquidity.walk, .atPrice, .drop])
    func anAggressorWhoseOrderWeTookMeetsWhatRests(_ mode: ConsumedLiquidity) throws {
        var t = Tape()
        t.add(1_000, 1, .buy, 100, bid - 100)
        t.add(2_000, 2, .sell, 100, ask)
        t.add(8_000, 3, .sell, 100, bid)         // taken whole by our bid
        t.replace(9_000, 3, 6, 100, ask)         // the day moves it to the ask, behind order 2
        t.execute(10_000, 2, 100)                // one aggressor: order 2, then order 6
        t.execute(10_000, 6, 100)
        t.add(11_000, 4, .buy, 10, bid - 200)
        let (b, s) = try runScript(t, [
            .init(at: 2_000) { _ in .new(tag: 1, locate: aaa, side: .buy, shares: 100, price: Price(rawValue: bid), kind: .day) },
            .init(at: 2_000) { _ in .new(tag: 2, locate: aaa, side: .sell, shares: 100, price: Price(rawValue: ask + 100), kind: .day) },
        ], consumed: mode)
        let sells = s.executions.filter { $0.price == ask + 100 }
        #expect(s.executions.filter { $0.price == bid }.map(\.shares) == [100])
        #expect(sells.map(\.shares) == (mode == .walk ? [100] : []))
        #expect(b.venue.counters.fillsRerouted == (mode == .walk ? 1 : 0))
        #expect(b.venue.counters.consumedMessages == 2, "the replace and the execution of the order we took")
        #expect(b.venue.counters.reroutedShares == (mode == .drop ? 0 : 100))
        #expect(b.venue.counters.reroutedUnfilled == (mode == .atPrice ? 100 : 0))
        #expect(b.venue.fills.last?.cause == (mode == .walk ? .rerouted : .crossingAdd))
        #expect(b.engine.book.counters.unknownRefs == 0, "nothing of the chain was published")
        #expect(dump(b.engine.book) == dump(b.venue.book))
    }

    /// An execution at a worse price than our resting order means the aggressor went through
    /// ours: we are filled first, up to the execution's size; so does a hidden print below us.
    @Test func tradesThroughOurPriceFillUs() throws {
        var t = Tape()
        t.add(1_000, 1, .buy, 500, bid - 100)
        t.add(2_000, 2, .sell, 100, ask)
        t.execute(6_000, 1, 40)               // a buy at bid - 100 executed: through our bid
        t.hidden(7_000, .buy, 25, bid - 100)  // a hidden buy below ours printed
        t.hidden(8_000, .buy, 25, bid)        // at our price: not by default
        t.add(9_000, 3, .buy, 10, bid - 200)
        let (b, s) = try runScript(t, [.init(at: 2_000) { _ in .new(tag: 1, locate: aaa, side: .buy, shares: 100, price: Price(rawValue: bid), kind: .day) }])
        #expect(s.executions.map(\.shares) == [40, 25])
        #expect(b.venue.counters.fillsThrough == 1)
        #expect(b.venue.counters.fillsByHiddenPrint == 1)
        #expect(dump(b.engine.book) == dump(b.venue.book))
    }

    /// hftbacktest's L3 rule (`throughFillsBetterThanTouch` off): an execution at the recorded
    /// touch does not fill our order that improved the touch; an execution past a recorded level
    /// fills ours at that level. Price priority (the default) fills both.
    @Test(arguments: [true, false])
    func throughFillsFromTheTouchOnlyAsHftbacktestDoes(priority: Bool) throws {
        var t = Tape()
        t.add(1_000, 1, .buy, 500, bid - 100)
        t.add(2_000, 2, .sell, 100, ask)
        t.execute(6_000, 1, 40)                // at the recorded touch; ours is better
        let (b, s) = try runScript(t, [.init(at: 2_000) { _ in .new(tag: 1, locate: aaa, side: .buy, shares: 100, price: Price(rawValue: bid), kind: .day) }],
                                   throughBetterThanTouch: priority)
        #expect(s.executions.map(\.shares) == (priority ? [40] : []))
        var t2 = Tape()
        t2.add(1_000, 1, .buy, 100, bid)
        t2.add(1_000, 3, .buy, 500, bid - 100)
        t2.add(2_000, 2, .sell, 100, ask)
        t2.execute(6_000, 3, 40)               // past the touch (ours at it, behind order 1)
        let (b2, s2) = try runScript(t2, [.init(at: 2_000) { _ in .new(tag: 1, locate: aaa, side: .buy, shares: 100, price: Price(rawValue: bid), kind: .day) }],
                                     throughBetterThanTouch: priority)
        #expect(s2.executions.map(\.shares) == [40])
        #expect(b2.venue.fills.map(\.cause) == [.through] && b2.venue.fills.first?.trigger == 3, "the fill names its cause and the recorded order")
        #expect(dump(b.engine.book) == dump(b.venue.book) && dump(b2.engine.book) == dump(b2.venue.book))
    }

    /// What happens between our send and the order's arrival is not ours: an execution behind
    /// the level's last order before we arrive fills nobody of ours.
    @Test func eventsBeforeOurArrivalDoNotFillUs() throws {
        var t = Tape()
        t.add(1_000, 1, .buy, 100, bid)
        t.add(2_000, 2, .sell, 100, ask)
        // Decided at 2,000 (heard at 3,000), reaches the venue at 4,000.
        t.add(3_000, 3, .buy, 100, bid)
        t.execute(3_999, 1, 100)
        t.execute(3_999, 3, 50)       // the level traded out before we got there
        t.execute(4_000, 3, 10)       // same nanosecond as our arrival: the recorded event first
        t.execute(4_001, 3, 40)       // order 3 is ahead of us: still nothing
        t.add(5_000, 4, .buy, 100, bid)
        t.execute(6_000, 4, 70)       // behind us: 70 of ours
        let (b, s) = try runScript(t, [.init(at: 2_000) { _ in .new(tag: 1, locate: aaa, side: .buy, shares: 100, price: Price(rawValue: bid), kind: .day) }])
        #expect(s.executions.map(\.shares) == [70])
        #expect(b.venue.fills.first?.aheadAtEntry == 40)
        #expect(b.venue.fills.first.map { $0.joinedAt } == 4_000)
        // The gateway heard of it one response latency after the venue made it.
        #expect(b.venue.fills.first?.time == 6_000)
    }

    /// A replace keeps the order's place only for the same price and no more shares; anything
    /// else sends it to the back.
    @Test func aReplaceKeepsPriorityOnlyWhenItShrinksAtTheSamePrice() throws {
        var t = Tape()
        t.add(1_000, 1, .buy, 100, bid)
        t.add(2_000, 2, .sell, 100, ask)
        t.add(5_000, 3, .buy, 100, bid)     // behind ours
        // At 5,000 ours is replaced down to 80 (arrives 7,000): still ahead of order 3.
        t.add(5_000, 9, .sell, 100, ask + 100)
        t.execute(8_000, 3, 10)             // behind us: 10 of ours
        // At 9,000 ours is replaced up to 200 (arrives 11,000): behind order 3 now.
        t.cancel(9_000, 2, 10)              // a touch change: the strategy acts
        t.execute(12_000, 3, 10)            // ahead of us now: nothing
        t.add(13_000, 7, .buy, 10, bid - 100)
        let (b, s) = try runScript(t, [
            .init(at: 2_000) { _ in .new(tag: 1, locate: aaa, side: .buy, shares: 100, price: Price(rawValue: bid), kind: .day) },
            .init(at: 5_000) { s in s.ids[1].map { .replace(id: $0, shares: 80, price: Price(rawValue: bid)) } },
            .init(at: 9_000) { s in s.ids[1].map { .replace(id: $0, shares: 210, price: Price(rawValue: bid)) } },
        ])
        #expect(s.executions.map(\.shares) == [10])
        #expect(b.venue.counters.replaces == 2)
        #expect(dump(b.engine.book) == dump(b.venue.book))
    }

    /// Pre-trade risk is the live one: an order over its size limit never reaches the venue.
    @Test func riskRefusesWhatItRefusesLive() throws {
        var t = Tape()
        t.add(1_000, 1, .buy, 100, bid)
        t.add(2_000, 2, .sell, 100, ask)
        t.add(3_000, 3, .buy, 10, bid - 100)
        var limits = looseLimits()
        limits.maxOrderShares = 100
        let (b, s) = try runScript(t, [.init(at: 2_000) { _ in .new(tag: 1, locate: aaa, side: .buy, shares: 500, price: Price(rawValue: bid), kind: .day) }],
                                   limits: limits)
        #expect(b.engine.counters.riskRejects == 1)
        #expect(b.venue.counters.ordersEntered == 0)
        guard case .refused = s.submitResults.first else {
            Issue.record("expected a risk refusal, got \(s.submitResults)")
            return
        }
    }

    /// The probabilistic model knows only the level's size: trades at our price come off the
    /// estimated front, and a cancel comes from ahead with a chance set by its function.
    @Test func theProbabilisticModelFillsOnceTheEstimatedFrontIsTraded() throws {
        func run(_ q: QueueModel) throws -> [UInt32] {
            var t = Tape()
            t.add(1_000, 1, .buy, 100, bid)
            t.add(1_500, 2, .buy, 100, bid)
            t.add(2_000, 3, .sell, 100, ask)
            t.add(5_000, 4, .buy, 600, bid)   // behind ours
            t.cancel(6_000, 4, 100)           // a cancel from behind (the model cannot know)
            t.execute(7_000, 1, 100)
            t.execute(8_000, 2, 60)
            t.add(9_000, 5, .buy, 10, bid - 100)
            return try runScript(t, [.init(at: 2_000) { _ in .new(tag: 1, locate: aaa, side: .buy, shares: 100, price: Price(rawValue: bid), kind: .day) }],
                                 queueModel: q).1.executions.map(\.shares)
        }
        // L3 knows order 2 still has 40 ahead of us: no fill.
        #expect(try run(.l3FIFO) == [])
        // power n = 0: the cancel of 100 came half from ahead (front 200 -> 150): the trades of
        // 160 at our price overshoot the front by 10.
        #expect(try run(.probabilistic(.power(0))) == [10])
        // n = 1: 3/4 of it from behind (600 behind, 200 ahead): front 175, not reached.
        #expect(try run(.probabilistic(.power(1))) == [])
        // A large n puts the cancel behind us (front stays near 200): 160 traded is not enough.
        #expect(try run(.probabilistic(.power(8))) == [])
    }

    /// A corrupt timestamp past midnight does not move the clock (the venue could not publish at
    /// a time past ITCH's 48 bits, and the engine's book would part from the venue's): it is
    /// applied at the last good time and counted. (Found by FuzzBacktest.)
    @Test func aTimePastMidnightDoesNotMoveTheClock() throws {
        var t = Tape()
        t.add(1_000, 1, .buy, 100, bid)
        t.add(2_000, 2, .sell, 100, ask)
        t.add(0xFFFF_FFFF_FFFF, 3, .buy, 100, bid - 100)
        t.add(3_000, 4, .sell, 100, ask + 100)
        let (b, s) = try runScript(t, [.init(at: 2_000) { _ in .new(tag: 1, locate: aaa, side: .buy, shares: 100, price: Price(rawValue: bid), kind: .day) }])
        #expect(s.ids[1] != nil)
        #expect(b.timesOutOfDay == 1)
        #expect(b.lastTime == 3_000)
        #expect(b.venue.counters.unpublishable == 0)
        #expect(b.openOrders == 0)
        #expect(dump(b.engine.book) == dump(b.venue.book))
    }

    /// A recorded order of no shares, or at price 0 (a corrupt feed), is not liquidity: a take
    /// walks past it (it used to fill us for 0 shares at price 0, which the gateway rightly
    /// refused as a venue violation: found by FuzzBacktest).
    @Test func aTakeSkipsOrdersOfNoSharesOrNoPrice() throws {
        var t = Tape()
        t.add(1_000, 1, .buy, 100, bid)
        t.add(1_500, 9, .sell, 0, ask)          // no shares
        t.add(2_000, 2, .sell, 100, ask)
        t.add(9_000, 3, .buy, 10, bid - 100)
        let (b, s) = try runScript(t, [.init(at: 2_000) { _ in .new(tag: 1, locate: aaa, side: .buy, shares: 50, price: Price(rawValue: ask), kind: .ioc) }])
        #expect(s.executions.map(\.shares) == [50])
        #expect(b.gateway.counters.venueViolations == 0)
        #expect(b.risk.killReason == nil)
    }

    /// Latencies longer than the wind-down: the run still hears every answer before it ends.
    @Test func theWindDownWaitsForWhatIsInFlight() throws {
        var t = Tape()
        t.add(1_000, 1, .buy, 100, bid)
        t.add(2_000, 2, .sell, 100, ask)
        t.add(2_100, 3, .buy, 10, bid - 100)
        t.add(10_000, 4, .buy, 10, bid - 200)   // the day ends here: our order is still on its way
        let s = ScriptStrategy([.init(at: 2_000) { _ in .new(tag: 1, locate: aaa, side: .buy, shares: 50, price: Price(rawValue: ask), kind: .day) }])
        var c = BacktestConfiguration()
        c.venue.latencies = BacktestLatencies(feed: FeedLatency(.constant(nanos: 1_000)), entry: OrderEntryLatency(.constant(nanos: 3_000_000_000)),
                                              response: ResponseLatency(.constant(nanos: 2_000_000_000)))
        c.venue.maxOrders = 1 << 12
        c.venue.maxLocates = 8
        c.engineMaxOrders = 1 << 12
        c.maxLocates = 8
        let b = try Backtester(strategy: s, risk: try RiskEngine(limits: looseLimits(), maxLocates: 8), symbols: [.blank, Alpha8("AAA")!], configuration: c)
        for (i, m) in t.messages.enumerated() { m.withUnsafeBytes { b.onRecorded($0, sequence: UInt64(i + 1)) } }
        b.finish()
        #expect(s.executions.map(\.shares) == [50])
        #expect(b.engine.counters.fills == b.venue.counters.fills)
        #expect(b.openOrders == 0)
    }

    /// A message naming another stock but an order of ours in the venue's book (a corrupt feed)
    /// is applied by both books alike: the book goes by the order's reference (FuzzBacktest).
    @Test func aMessageWithTheWrongStockStillKeepsTheBooksTogether() throws {
        var t = Tape()
        t.add(1_000, 1, .buy, 100, bid)
        t.add(1_100, 3, .buy, 100, bid)
        t.add(2_000, 2, .sell, 100, ask)
        t.put { ITCHEncoder.orderReplace(into: $0, stockLocate: StockLocate(rawValue: 5), timestamp: VenueTime(nanosSinceMidnight: 6_000),
                                         originalOrderRef: OrderRef(rawValue: 3), newOrderRef: OrderRef(rawValue: 30), shares: Shares(rawValue: 50),
                                         price: Price(rawValue: bid + 50)) }
        t.put { ITCHEncoder.orderDelete(into: $0, stockLocate: StockLocate(rawValue: 6), timestamp: VenueTime(nanosSinceMidnight: 7_000),
                                        orderRef: OrderRef(rawValue: 1)) }
        // A locate past every table of the venue (it read past one: AddressSanitizer, FuzzBacktest).
        t.put { ITCHEncoder.orderReplace(into: $0, stockLocate: StockLocate(rawValue: 60_000), timestamp: VenueTime(nanosSinceMidnight: 7_500),
                                         originalOrderRef: OrderRef(rawValue: 30), newOrderRef: OrderRef(rawValue: 31), shares: Shares(rawValue: 40),
                                         price: Price(rawValue: bid + 50)) }
        t.add(8_000, 4, .buy, 10, bid - 100)
        let (b, _) = try runScript(t, [.init(at: 2_000) { _ in .new(tag: 1, locate: aaa, side: .buy, shares: 100, price: Price(rawValue: bid), kind: .day) }])
        #expect(b.venue.book.order(OrderRef(rawValue: 31))?.shares.rawValue == 40)
        #expect(b.venue.book.order(OrderRef(rawValue: 1)) == nil)
        #expect(dump(b.engine.book) == dump(b.venue.book))
    }

    /// A recorded message that names one of our live orders (a feed can use any reference) is
    /// dropped: the order changes only by the venue's own doing, which the gateway hears.
    @Test func aRecordedMessageNamingOurOrderIsDropped() throws {
        let ours: UInt64 = 0xC000_0000_0100_0000  // the first order of a backtest: serial 1, slot 0
        var t = Tape()
        t.add(1_000, 1, .buy, 100, bid)
        t.add(2_000, 2, .sell, 100, ask)
        t.delete(6_000, ours)
        t.execute(6_500, ours, 50)
        t.add(8_000, 3, .buy, 10, bid - 100)
        let (b, s) = try runScript(t, [.init(at: 2_000) { _ in .new(tag: 1, locate: aaa, side: .buy, shares: 100, price: Price(rawValue: bid), kind: .day) }])
        #expect(s.events.contains { if case .accepted(_, let r) = $0 { r.rawValue == ours } else { false } })
        #expect(b.venue.counters.refsToOurs == 2)
        #expect(s.executions.isEmpty)
        #expect(b.openOrders == 0)
        #expect(dump(b.engine.book) == dump(b.venue.book))
    }

    /// The venue's feed copy of what our order did leaves `OwnFeedDelay` after its answer, and
    /// the feed stays one ordered stream: a recorded message the venue handled after our order
    /// reaches the engine after our add, never before it. Without the delay both reach the
    /// engine before the answer (response 3 us, feed 1 us).
    @Test(arguments: [0, 5_000] as [UInt64])
    func theFeedCopyOfOurOrderFollowsItsAnswer(ownDelay: UInt64) throws {
        var t = Tape()
        t.add(1_000, 1, .buy, 100, bid)
        t.add(1_500, 10, .sell, 100, ask)
        t.add(2_000, 2, .buy, 10, bid)                // decided on (heard at 3,000): ours reaches the venue at 4,000
        t.add(4_200, 11, .sell, 100, ask - 20)        // handled after our order
        t.add(30_000, 3, .buy, 10, bid - 200)
        let lat = BacktestLatencies(feed: FeedLatency(.constant(nanos: 1_000)), entry: OrderEntryLatency(.constant(nanos: 1_000)),
                                    response: ResponseLatency(.constant(nanos: 3_000)), own: OwnFeedDelay(.constant(nanos: ownDelay)))
        let (b, s) = try runScript(t, [.init(at: 2_000) { _ in .new(tag: 1, locate: aaa, side: .buy, shares: 100, price: Price(rawValue: bid + 50), kind: .day) }],
                                   latencies: lat)
        let decided = try #require(s.heard.lastIndex(of: "top \(bid) \(ask)"))
        let after = Array(s.heard[(decided + 1)...].prefix(3))   // then the wind-down's cancel
        let ours = "top \(bid + 50) \(ask)", theirs = "top \(bid + 50) \(ask - 20)"
        #expect(after == (ownDelay == 0 ? [ours, theirs, "answer"] : ["answer", ours, theirs]))
        #expect(dump(b.engine.book) == dump(b.venue.book))
    }

    /// The venue answers a fill `FillFeedDelay` before it publishes the recorded event that made
    /// it: out of the venue's own delay where it has one (10 us here: the answer leaves 5 us
    /// before the event's publication), else the publication waits (and what the venue handled
    /// after it waits behind it). Without it the feed comes first (feed 1 us, response 3 us).
    @Test(arguments: [(0, 0), (5_000, 0), (5_000, 10_000)] as [(UInt64, UInt64)])
    func anEventThatFillsUsReachesTheFeedAfterTheFill(fillDelay: UInt64, venueDelay: UInt64) throws {
        var t = Tape()
        t.add(1_000, 1, .buy, 100, bid)
        t.add(1_500, 10, .sell, 100, ask)
        t.add(2_000, 2, .buy, 10, bid)                // decided on: ours (bid + 50) rests from 4,000
        t.execute(10_000, 1, 100)                     // a sell through our bid: all of ours
        t.add(10_500, 12, .sell, 100, ask - 20)       // handled after it
        t.add(30_000, 3, .buy, 10, bid - 200)
        let lat = BacktestLatencies(feed: FeedLatency(.constant(nanos: 1_000)), entry: OrderEntryLatency(.constant(nanos: 1_000)),
                                    response: ResponseLatency(.constant(nanos: 3_000)), venue: VenueDelay(.constant(nanos: venueDelay)),
                                    fill: FillFeedDelay(.constant(nanos: fillDelay)))
        let (b, s) = try runScript(t, [.init(at: 2_000) { _ in .new(tag: 1, locate: aaa, side: .buy, shares: 100, price: Price(rawValue: bid + 50), kind: .day) }],
                                   latencies: lat)
        #expect(s.executions.map(\.shares) == [100])
        // The fill's stamp is the event's either way (the venue's clock is its stamp's).
        #expect(b.venue.fills.first?.time == 10_000)
        let placed = try #require(s.heard.lastIndex(of: "top \(bid + 50) \(ask)"))
        let after = Array(s.heard[(placed + 1)...].prefix(4))
        let filled = "top \(bid) \(ask)", next = "top \(bid) \(ask - 20)"
        #expect(after == (fillDelay == 0 ? ["answer", filled, next, "answer"] : ["answer", "answer", filled, next]))
        #expect(dump(b.engine.book) == dump(b.venue.book))
    }
}

/// The `trace:` latency model: a recorded run's latency moment by moment.
@Suite struct LatencyTraceTests {
    /// Events at a time the trace has several points for take them in turn (a burst stamped
    /// with one time keeps its spread); at other times the last point before; before the trace
    /// the first point's.
    @Test func aTraceGivesEachEventItsMomentsLatency() {
        var s = LatencySampler(.trace(times: [10, 10, 10, 20, 30], values: [1, 2, 3, 9, 7]))
        defer { s.release() }
        #expect(s.next(at: 5) == 1)
        #expect([s.next(at: 10), s.next(at: 10), s.next(at: 10), s.next(at: 10)] == [1, 2, 3, 3])
        #expect(s.next(at: 15) == 3)
        #expect(s.next(at: 20) == 9)
        #expect(s.next(at: 29) == 9)
        #expect(s.next(at: 1_000) == 7)
        #expect(s.next(at: 10) == 1, "back in time: from the start again")
    }
}
