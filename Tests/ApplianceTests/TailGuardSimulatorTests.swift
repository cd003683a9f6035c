import Appliance
import Exchange
import OrderEntry
import Strategy
import MarketData
import ITCHBook
import OrderBook
import Risk
import Testing
import TickwireCore

/// The market guards on the simulator's flow with a scheduled drought and a volatile spell: each
/// must trip within a stated feed time of the regime's onset, and not in the calm before.
@Suite struct TailGuardSimulatorTests {
    struct Trip { var locate: Int; var guardName: MarketGuard; var atSecond: Double }

    /// Feeds a day through a book and risk's market guards (every top-of-book change of the
    /// traded symbols, at its feed time); returns the trips.
    static func run(schedule: [RegimeChange], seconds: Double, symbols: Int, limits: TailGuardLimits) throws -> [Trip] {
        var c = OrderFlowConfiguration(seed: 7, symbols: symbols)
        c.eventsPerSecond = 6_000
        c.schedule = schedule
        let day = FlowDay.generate(c, messages: Int(seconds * 6_000 * 1.3)).bytes
        var l = RiskLimits(maxOrderShares: 10_000, maxOrderNotional: 1 << 50, collarBps: 10_000, allowWithoutReference: true,
                           maxPositionPerSymbol: 1 << 30, maxGrossPosition: 1 << 40, maxOpenOrders: 100, throttleOrders: 100,
                           throttleWindowNanos: 1_000, killOnCrossedBook: false)
        l.tail = limits
        let risk = try RiskEngine(limits: l, maxLocates: symbols + 1)
        var builder = ITCHBookBuilder(book: try OrderBook(configuration: OrderBookConfiguration(maxOrders: 1 << 20, maxLocates: symbols + 1)))
        var last = [(Int64, UInt64, Int64, UInt64)](repeating: (0, 0, 0, 0), count: symbols + 1)
        var start: UInt64?
        var trips: [Trip] = []
        var was = [UInt8](repeating: 0, count: symbols + 1)
        try day.withUnsafeBytes { raw in
            var w = ITCHFileWalker(raw)
            var seq: UInt64 = 0
            while let m = w.next() {
                seq += 1
                builder.onMessage(m, sequence: seq)
                guard m.count >= 11 else { continue }
                var ts: UInt64 = 0
                for i in 5..<11 { ts = ts << 8 | UInt64(m[i]) }
                guard ts > 0 else { continue }
                if start == nil { start = ts }
                for loc in 1...symbols {
                    let L = StockLocate(rawValue: UInt16(loc))
                    guard let b = builder.book.bestBid(L), let a = builder.book.bestAsk(L) else { continue }
                    let top = (b.price.rawValue, b.shares, a.price.rawValue, a.shares)
                    if top == last[loc] { continue }
                    last[loc] = top
                    risk.onBBO(locate: L, bid: b.price, ask: a.price, bidShares: b.shares, askShares: a.shares, now: ts)
                    let now = risk.trippedGuards(L).reduce(UInt8(0)) { $0 | $1.rawValue }
                    for g in MarketGuard.allCases where now & g.rawValue != 0 && was[loc] & g.rawValue == 0 {
                        trips.append(Trip(locate: loc, guardName: g, atSecond: Double(ts - start!) / 1e9))
                    }
                    was[loc] = now
                }
            }
        }
        _ = try #require(start)
        return trips
    }

    static var guards: TailGuardLimits {
        var t = TailGuardLimits()
        t.depthCollapseRatio = 0.75
        t.spreadBlowoutRatio = 1.5
        t.activityBurstRatio = 2
        t.shortWindowNanos = 1_000_000_000
        t.longWindowNanos = 20_000_000_000
        t.warmupUpdates = 1_000
        t.marketAction = .halt
        return t
    }

    @Test func aDroughtAndAVolatileSpellTripTheGuardsInTime() throws {
        let schedule = [RegimeChange(atSecond: 0, regime: .calm), RegimeChange(atSecond: 40, regime: .drought),
                        RegimeChange(atSecond: 55, regime: .calm), RegimeChange(atSecond: 85, regime: .volatile),
                        RegimeChange(atSecond: 95, regime: .calm)]
        let trips = try Self.run(schedule: schedule, seconds: 100, symbols: 3, limits: Self.guards)
        let text = trips.map { "locate \($0.locate) \($0.guardName) at \(String(format: "%.2f", $0.atSecond)) s" }
        // Measured (seed 7): the drought trips the gap guard 0.8-1.7 s and the compression guard
        // 1.7-2.0 s after its onset on all three symbols; the volatile spell trips the activity
        // guard within 0.1 s; nothing trips in the calm stretches.
        #expect(trips.filter { $0.atSecond < 40 }.isEmpty, "no trip in the first calm: \(text)")
        #expect(trips.filter { $0.atSecond >= 58 && $0.atSecond < 85 }.isEmpty, "no trip in the second calm: \(text)")
        for loc in 1...3 {
            for g in [MarketGuard.liquidityGap, .liquidityCompression] {
                #expect(trips.contains { $0.locate == loc && $0.guardName == g && $0.atSecond >= 40 && $0.atSecond <= 43 },
                        "the drought trips \(g) on locate \(loc) within 3 s: \(text)")
            }
            #expect(trips.contains { $0.locate == loc && $0.guardName == .activityBurst && $0.atSecond >= 85 && $0.atSecond <= 86 },
                    "the volatile spell trips the activity guard on locate \(loc) within 1 s: \(text)")
        }
    }
}

/// A strategy gone wrong: on every touch change it sends a new order (`flood`) or replaces its
/// one order (`requote`), with no end.
final class RunawayStrategy: Strategy {
    let requote: Bool
    var mine: UInt32?
    var tag: UInt32 = 0
    init(requote: Bool) { self.requote = requote }
    func trades(_ locate: StockLocate) -> Bool { true }
    func onBook(_ top: BookTop, _ ctx: inout StrategyContext) {
        guard top.bidShares > 0 else { return }
        if requote, let id = mine {
            ctx.add(.replace(id: id, shares: 100, price: top.bid))
        } else if !requote || mine == nil {
            tag &+= 1
            ctx.add(.new(tag: tag, locate: top.locate, side: .buy, shares: 100, price: top.bid, kind: .day))
        }
    }
    func onTrade(locate: StockLocate, price: Price, shares: UInt32, aggressor: Side, _ ctx: inout StrategyContext) {}
    func onSubmitted(tag: UInt32, result: SubmitResult, _ ctx: inout StrategyContext) {
        if case .sent(let id) = result, requote { mine = id }
    }
    func onReplaceSent(id: UInt32, newID: UInt32?, _ ctx: inout StrategyContext) { if let newID { mine = newID } }
    func onOrder(_ event: GatewayEvent, _ ctx: inout StrategyContext) {}
}

@Suite struct RunawayStrategyTests {
    /// The live loop over a simulated day with a runaway strategy: the order-rate guard stops it
    /// (the kill switch) before the throttle or the open-order limit refuses anything.
    @Test(arguments: [false, true])
    func aRunawayStrategyIsStoppedBeforeItsLimits(requote: Bool) throws {
        let day = FlowDay.generate(OrderFlowConfiguration(seed: 5, symbols: 5), messages: 30_000).bytes
        let frames = TickToTradeFrames(itch: day, perPacket: 3)
        var limits = RiskLimits(maxOrderShares: 10_000, maxOrderNotional: 1 << 50, collarBps: 10_000, allowWithoutReference: true,
                                maxPositionPerSymbol: 1 << 30, maxGrossPosition: 1 << 40, maxOpenOrders: 2_000,
                                throttleOrders: 1_000, throttleWindowNanos: 1_000_000_000, killOnCrossedBook: false)
        limits.tail.maxOrdersPerSecond = 300
        let rig = try TickToTradeRig(strategy: RunawayStrategy(requote: requote), symbols: 5,
                                     clock: TSCClock.calibrate(windowNanos: 20_000_000), limits: limits)
        #expect(rig.isLoggedIn)
        for i in 0..<frames.count {
            rig.burst(frames, from: i, count: 1)
            while rig.engine.stamps.pop() != nil {}
        }
        let risk = try #require(rig.engine.gateway.risk)
        #expect(risk.killReason == .runawayOrderRate)
        #expect(risk.rejectCount(.throttle) == 0 && risk.rejectCount(.maxOpenOrders) == 0, "stopped before its limits")
        let sent = rig.engine.counters.ordersSent + rig.engine.counters.replacesSent
        #expect(sent <= 300 && sent > 100, "orders and replaces that went out: \(sent)")
    }
}
