import Exchange
import MarketData
import ITCHBook
import OrderBook
import Testing
import TickwireCore

/// Counts what the model does, per regime, while forwarding the feed to a file.
struct Observer: EngineSink {
    var inner: PublishingSink<BinaryFileSink>
    var marketBuys = 0, marketSells = 0
    var executions: [Regime: Int] = [:]
    var current: Regime = .calm
    var lastAggressorSide: Side?
    init(_ publisher: ITCHPublisher) {
        inner = PublishingSink(publisher: publisher, time: VenueTime(nanosSinceMidnight: 0), out: BinaryFileSink())
    }
    mutating func on(_ e: EngineEvent) {
        inner.on(e)
        if case let .executed(_, _, _, _, _, resting) = e, !resting { executions[current, default: 0] += 1 }
        if case let .accepted(_, _, o) = e, o.kind != .limit { lastAggressorSide = o.side }
    }
}

func byType(_ bytes: [UInt8]) -> [Character: Int] {
    var counts: [Character: Int] = [:]
    bytes.withUnsafeBytes { raw in
        var w = ITCHFileWalker(raw)
        while let m = w.next() { counts[Character(UnicodeScalar(m[0])), default: 0] += 1 }
    }
    return counts
}

@Suite struct OrderFlowTests {
    @Test func sameSeedSameDayOtherSeedOtherDay() {
        var c = OrderFlowConfiguration(seed: 7, symbols: 20)
        let a = FlowDay.generate(c, messages: 20_000).bytes
        let b = FlowDay.generate(c, messages: 20_000).bytes
        c.seed = 8
        let d = FlowDay.generate(c, messages: 20_000).bytes
        #expect(a == b)
        #expect(a != d)
    }

    @Test func dayHasExactlyTheMessagesAskedForAndTheSessionFrame() {
        let (bytes, summary) = FlowDay.generate(OrderFlowConfiguration(seed: 1, symbols: 10), messages: 5_000)
        #expect(summary.messages == 5_000)
        let counts = byType(bytes)
        #expect(counts.values.reduce(0, +) == 5_000)
        #expect(counts["R"] == 10 && counts["H"] == 10)
        #expect(counts["S"] == 6, "O, S, Q at the start; M, E, C at the end")
        #expect(counts["Q"] == 20, "opening and closing crosses")
        // The last message is the end of messages.
        bytes.withUnsafeBytes { raw in
            var w = ITCHFileWalker(raw)
            var last: UInt8 = 0
            while let m = w.next() { last = m[0] == UInt8(ascii: "S") ? m[11] : 0 }
            #expect(last == UInt8(ascii: "C"))
        }
    }

    /// The message mix of a day, once the books have filled, and a feed that rebuilds the
    /// engine's book exactly.
    @Test func mixResemblesARealFeedAndTheFeedRebuildsTheBook() throws {
        let model = OrderFlowModel(configuration: OrderFlowConfiguration(seed: 3, symbols: 50))
        let publisher = ITCHPublisher(symbols: FlowDay.symbols(50))
        var sink = PublishingSink(publisher: publisher, time: VenueTime(nanosSinceMidnight: 0), out: BinaryFileSink())
        model.openingBook(&sink)
        for _ in 0..<150_000 {
            model.step(&sink)
            sink.time = VenueTime(nanosSinceMidnight: model.now)
        }
        let counts = byType(sink.out.bytes)
        let total = Double(counts.values.reduce(0, +))
        func share(_ t: String) -> Double { Double(t.reduce(0) { $0 + counts[$1, default: 0] }) / total }
        // The real snippet: adds 56% (the opening, books filling), replaces 22.5%, deletes 16.7%,
        // executions 2.9%. Once books are full adds balance deletes; replaces and executions
        // stay as in the snippet.
        #expect(share("AF") > 0.33 && share("AF") < 0.50, "adds \(share("AF"))")
        #expect(share("U") > 0.15 && share("U") < 0.25, "replaces \(share("U"))")
        #expect(share("D") > 0.25 && share("D") < 0.42, "deletes \(share("D"))")
        #expect(share("EC") > 0.01 && share("EC") < 0.10, "executions \(share("EC"))")
        #expect(share("X") > 0.005 && share("X") < 0.06, "partial cancels \(share("X"))")
        #expect(counts["F", default: 0] > 0 && counts["P", default: 0] > 0)

        var builder = ITCHBookBuilder(book: try OrderBook(configuration: OrderBookConfiguration(maxOrders: 1 << 18)))
        sink.out.bytes.withUnsafeBytes { raw in
            var w = ITCHFileWalker(raw)
            var seq: UInt64 = 0
            _ = builder.applyPipelined(&w, sequence: &seq)
        }
        #expect(builder.book.counters.unknownRefs == 0 && builder.book.counters.duplicateRefs == 0)
        #expect(builder.book.counters.overExecutions == 0)
        #expect(builder.book.liveOrders == model.engine.liveOrders)
        for s in 1...50 {
            let loc = StockLocate(rawValue: UInt16(s))
            for side in [Side.buy, .sell] {
                var levels: [PriceLevel] = []
                builder.book.forEachLevel(locate: loc, side: side) { levels.append($0) }
                #expect(levels == model.engine.levels(loc, side))
            }
            if let b = model.engine.bestBid(loc), let a = model.engine.bestAsk(loc) { #expect(b.price < a.price) }
        }
    }

    @Test func activityIsHeavyTailed() {
        let (bytes, _) = FlowDay.generate(OrderFlowConfiguration(seed: 2, symbols: 100), messages: 100_000)
        var perSymbol = [Int](repeating: 0, count: 101)
        bytes.withUnsafeBytes { raw in
            var w = ITCHFileWalker(raw)
            while let m = w.next() {
                if m[0] != UInt8(ascii: "S") { perSymbol[Int(m[1]) << 8 | Int(m[2])] += 1 }
            }
        }
        let sorted = perSymbol[1...].sorted(by: >)
        #expect(sorted[0] > 10 * sorted[50], "top \(sorted[0]) vs median \(sorted[50])")
        #expect(sorted[99] > 0, "every symbol trades a little")
    }

    /// A schedule of regimes: volatile has more marketable flow and faster events; a drought
    /// has wider spreads and thinner touches than calm.
    @Test func regimesChangeTheMarket() {
        var c = OrderFlowConfiguration(seed: 5, symbols: 20)
        c.schedule = [RegimeChange(atSecond: 0, regime: .calm), RegimeChange(atSecond: 3, regime: .volatile),
                      RegimeChange(atSecond: 6, regime: .drought), RegimeChange(atSecond: 9, regime: .calm)]
        c.eventsPerSecond = 20_000
        let model = OrderFlowModel(configuration: c)
        let publisher = ITCHPublisher(symbols: FlowDay.symbols(20))
        var sink = Observer(publisher)
        model.openingBook(&sink)
        var events: [Regime: Int] = [:], seconds: [Regime: Double] = [:]
        var spread: [Regime: Double] = [:], touch: [Regime: Double] = [:]
        var last = model.now
        let top = StockLocate(rawValue: 1)
        while Double(model.now - c.start.nanosSinceMidnight) / 1e9 < 9 {
            sink.current = model.regime
            model.step(&sink)
            let r = model.regime
            events[r, default: 0] += 1
            seconds[r, default: 0] += Double(model.now - last) / 1e9
            last = model.now
            if let b = model.engine.bestBid(top), let a = model.engine.bestAsk(top) {
                spread[r, default: 0] += Double(a.price.rawValue - b.price.rawValue) / 100
                touch[r, default: 0] += Double(a.shares + b.shares) / 2
            }
        }
        func rate(_ r: Regime) -> Double { Double(events[r, default: 0]) / max(seconds[r, default: 0], 1e-9) }
        func perEvent(_ d: [Regime: Double], _ r: Regime) -> Double { d[r, default: 0] / Double(max(events[r, default: 0], 1)) }
        func aggressive(_ r: Regime) -> Double { Double(sink.executions[r, default: 0]) / Double(max(events[r, default: 0], 1)) }
        #expect(events[.calm, default: 0] > 1000 && events[.volatile, default: 0] > 1000 && events[.drought, default: 0] > 1000)
        #expect(rate(.volatile) > 2 * rate(.calm), "events/s volatile \(rate(.volatile)) calm \(rate(.calm))")
        #expect(aggressive(.volatile) > 2 * aggressive(.calm), "fills per event \(aggressive(.volatile)) vs \(aggressive(.calm))")
        #expect(perEvent(spread, .drought) > perEvent(spread, .calm), "spread ticks \(perEvent(spread, .drought)) vs \(perEvent(spread, .calm))")
        #expect(perEvent(touch, .drought) < perEvent(touch, .calm), "touch shares \(perEvent(touch, .drought)) vs \(perEvent(touch, .calm))")
    }

    /// A client's resting order is traded against but never cancelled or moved by the background
    /// flow: the flow used to pick any order at a level, the client's included, and its replace
    /// of a client order happened without telling the client (found by the demo: the market
    /// maker's quotes vanished at the venue and its cancels were rejected).
    @Test func backgroundFlowNeverCancelsOrMovesAClientOrder() {
        struct ClientWatch: EngineSink {
            var canceled = 0, replaced = 0, executed = 0
            mutating func on(_ e: EngineEvent) {
                switch e {
                case let .canceled(owner, _, _, _, _) where owner.session == 1: canceled += 1
                case let .replaced(owner, _, _, _, _) where owner.session == 1: replaced += 1
                case let .executed(owner, _, _, _, _, _) where owner.session == 1: executed += 1
                default: break
                }
            }
        }
        let model = OrderFlowModel(configuration: OrderFlowConfiguration(seed: 3, symbols: 2))
        var sink = ClientWatch()
        model.openingBook(&sink)
        let client = OrderOwner(session: 1, firm: 1)
        let l = StockLocate(rawValue: 1)
        // Join the touch on both sides, again whenever filled, for 200,000 events.
        var placed = 0
        for i in 0..<200_000 {
            if i % 500 == 0, let b = model.engine.bestBid(l), let a = model.engine.bestAsk(l) {
                model.engine.submit(NewOrder(locate: l, side: .buy, shares: Shares(rawValue: 100), price: b.price, kind: .limit, owner: client), &sink)
                model.engine.submit(NewOrder(locate: l, side: .sell, shares: Shares(rawValue: 100), price: a.price, kind: .limit, owner: client), &sink)
                placed += 2
            }
            model.step(&sink)
        }
        #expect(placed > 500)
        #expect(sink.executed > 0, "the flow trades against client orders")
        #expect(sink.canceled == 0 && sink.replaced == 0, "canceled \(sink.canceled), replaced \(sink.replaced)")
    }

    /// Queue-reactive: the side of the next marketable order follows the touch imbalance.
    @Test func imbalancePredictsTheNextMarketableOrder() {
        let model = OrderFlowModel(configuration: OrderFlowConfiguration(seed: 11, symbols: 1))
        let publisher = ITCHPublisher(symbols: FlowDay.symbols(1))
        var sink = Observer(publisher)
        model.openingBook(&sink)
        let loc = StockLocate(rawValue: 1)
        var withImbalance = 0, followed = 0
        for _ in 0..<200_000 {
            let b = Double(model.engine.bestBid(loc)?.shares ?? 0), a = Double(model.engine.bestAsk(loc)?.shares ?? 0)
            let imbalance = (b - a) / max(a + b, 1)
            sink.lastAggressorSide = nil
            model.step(&sink)
            if let side = sink.lastAggressorSide, abs(imbalance) > 0.5 {
                withImbalance += 1
                if (imbalance > 0) == (side == .buy) { followed += 1 }
            }
        }
        #expect(withImbalance > 500)
        #expect(Double(followed) / Double(withImbalance) > 0.6, "\(followed) of \(withImbalance)")
    }
}

/// The flow's reaction to the trading clients' orders (`reactsToClients`, `tickwire exchange
/// --reaction`): a client's buy rests two ticks under the bid of the busiest stock and never
/// trades. Off, the flow's own messages are exactly those of the same seed without the client
/// (its references renumbered: the client's order takes one of the stock's references, which
/// shifts the later ones); on, the client's shares in the queue sizes change what the flow does.
@Suite struct FlowReactionTests {
    /// The flow's market-data events, the client's left out and references renumbered in order
    /// of first appearance; and whether the client's order traded.
    func flow(client: Bool, reacts: Bool, ticksUnder: Int64 = 2, side clientSide: Side = .buy, steps: Int = 4_000)
        -> (events: [String], clientTraded: Bool, clientExecutions: Int)
    {
        var c = OrderFlowConfiguration(seed: 11, symbols: 3)
        c.reactsToClients = reacts
        let model = OrderFlowModel(configuration: c)
        var log = EventLog()
        model.openingBook(&log)
        var clientRef: OrderRef?
        if client {
            let locate = StockLocate(rawValue: 1)
            let touch = model.engine.bestPrice(locate, clientSide) ?? 0
            let price = clientSide == .buy ? touch - ticksUnder * c.tick : touch + ticksUnder * c.tick
            clientRef = model.engine.submit(NewOrder(locate: locate, side: clientSide, shares: Shares(rawValue: 300), price: Price(rawValue: price),
                                                     owner: OrderOwner(session: 1, firm: 1)), &log)
        }
        if client { #expect(clientRef != nil, "the client's order rests: \(log.events.last.map { "\($0)" } ?? "-")") }
        for _ in 0..<steps { model.step(&log) }
        var names: [UInt64: Int] = [:]
        func name(_ r: OrderRef) -> Int {
            if let n = names[r.rawValue] { return n }
            names[r.rawValue] = names.count
            return names.count - 1
        }
        var out: [String] = []
        var traded = false
        var executions = 0
        for e in log.events {
            switch e {
            case let .mdAdd(l, ref, side, shares, price, firm) where ref != clientRef:
                out.append("A \(l.rawValue) \(name(ref)) \(side) \(shares.rawValue) \(price.rawValue) \(firm ?? 0)")
            case let .mdExecute(l, ref, shares, match):
                if ref == clientRef { traded = true; executions += 1 } else { out.append("E \(l.rawValue) \(name(ref)) \(shares.rawValue) \(match)") }
            case let .mdCancel(l, ref, shares) where ref != clientRef:
                out.append("X \(l.rawValue) \(name(ref)) \(shares.rawValue)")
            case let .mdDelete(l, ref) where ref != clientRef:
                out.append("D \(l.rawValue) \(name(ref))")
            case let .mdReplace(l, old, new, shares, price):
                out.append("U \(l.rawValue) \(name(old)) \(name(new)) \(shares.rawValue) \(price.rawValue)")
            case let .mdHiddenTrade(l, side, shares, price, match):
                out.append("P \(l.rawValue) \(side) \(shares.rawValue) \(price.rawValue) \(match)")
            default:
                break
            }
        }
        return (out, traded, executions)
    }

    @Test func offTheFlowIgnoresARestingClientOrder() {
        let alone = flow(client: false, reacts: false)
        let with = flow(client: true, reacts: false)
        #expect(!with.clientTraded, "the client's order stays out of the way (else the comparison is not of reaction alone)")
        #expect(alone.events.count > 3_000)
        #expect(with.events == alone.events, "first difference at \(zip(with.events, alone.events).enumerated().first { $0.element.0 != $0.element.1 }?.offset ?? -1)")
    }

    /// A client's order that trades: joined at the ask, it takes executions a market buy would
    /// have given the orders behind it, and an add of the flow's that reaches its price trades
    /// with it. Off, the flow's requests are still those of the flow alone: its adds (stock,
    /// side, price, in order) are the same, save those that traded with the client, published
    /// smaller or not at all (the venue's engine matches each request against the book with the
    /// client in it). On, the flow's requests change.
    @Test func offTheFlowsRequestsIgnoreATradingClient() {
        struct Add: Equatable { var key: String; var shares: Int }
        func adds(_ events: [String]) -> [Add] {
            events.filter { $0.hasPrefix("A ") }.map {
                let f = $0.split(separator: " ").map(String.init)  // A locate name side shares price firm
                return Add(key: "\(f[1]) \(f[3]) \(f[5])", shares: Int(f[4]) ?? 0)
            }
        }
        /// Whether `b` is `a` with at most `skips` adds taken out or made smaller.
        func sameSave(_ a: [Add], _ b: [Add], skips: Int) -> Bool {
            var i = 0, j = 0, used = 0
            while i < a.count {
                if j < b.count && a[i] == b[j] {
                    i += 1; j += 1
                } else if j < b.count && a[i].key == b[j].key && b[j].shares < a[i].shares {
                    used += 1; i += 1; j += 1
                } else {
                    used += 1; i += 1
                }
                if used > skips { return false }
            }
            return j == b.count
        }
        let alone = flow(client: false, reacts: false)
        let with = flow(client: true, reacts: false, ticksUnder: 0, side: .sell)
        #expect(with.clientTraded, "the client's order at the ask traded")
        #expect(adds(alone.events).count > 1_000)
        #expect(sameSave(adds(alone.events), adds(with.events), skips: with.clientExecutions))
        let reacting = flow(client: true, reacts: true, ticksUnder: 0, side: .sell)
        #expect(!sameSave(adds(alone.events), adds(reacting.events), skips: reacting.clientExecutions), "on, the flow's requests change")
    }

    @Test func onTheFlowReactsToIt() {
        let alone = flow(client: false, reacts: true)
        let with = flow(client: true, reacts: true)
        #expect(alone.events == flow(client: false, reacts: false).events, "without clients the switch changes nothing")
        #expect(with.events != alone.events)
    }
}
