// A backtest: the live engine (`TradingEngine`: the one ITCH-to-book path, the strategy, the
// gateway with its order state machine and pre-trade risk) trading against `BacktestVenue`, an
// exchange model over the recorded day's own L3 book, with the three latencies between them.
//
// Everything happens on one simulated time line (ns since midnight, the ITCH clock), in order:
//   a recorded message at its timestamp        -> the venue (its book, our resting orders' fills)
//   our bytes, one order-entry latency on      -> the venue (accept, take liquidity, rest, cancel)
//   a published message, one feed latency on   -> the engine's feed (book, strategy, orders out)
//   an answer, one response latency on         -> the gateway (the strategy hears fills)
//   every `pollIntervalNanos`                  -> the gateway's timers (heartbeats)
// Events before a recorded message's timestamp run before it; at the same time the recorded
// message goes first (an order arriving at t meets the book as the venue had it at t). Nothing
// reads a wall clock: a backtest of the same input and settings makes the same orders and fills.
//
// At the end of the input the run winds down as a live one does: trading off, every open order
// cancelled, the answers heard, the session logged out.
public import Appliance
import ITCHBook
public import MarketData
import OrderBook
public import OrderEntry
public import Risk
public import Strategy
import TickwireCore
import CShims

public struct BacktestConfiguration: Sendable {
    public var venue = BacktestVenue.Configuration()
    /// Live orders the engine's book holds (the feed's and ours).
    public var engineMaxOrders = 1 << 22
    /// The day's recorded orders live at their peak, when known: both books size their
    /// reference tables for it (`OrderBookConfiguration.peakOrders`).
    public var peakOrders: Int?
    public var maxLocates = 65_536
    /// How often the gateway's timers run when nothing else happens (ns).
    public var pollIntervalNanos: UInt64 = 100_000_000
    /// Simulated time the wind-down waits for the last answers (ns).
    public var windDownNanos: UInt64 = 1_000_000_000
    public init() {}
}

/// What the engine did, one record per order it sent (the decision log of a backtest).
public struct BacktestDecision: Sendable, Equatable {
    /// The trigger's feed time (ITCH ns since midnight; 0 for a venue event's reaction).
    public var feedTime: UInt64
    /// Our clock when the order left (ns since midnight).
    public var sentAt: UInt64
    public var orderID: UInt32
    public var locate: UInt16
    /// "B" or "S".
    public var side: UInt8
    /// 0 new, 1 replace, 2 cancel, 3 hold (kept in place: no message to the venue).
    public var action: UInt8
    public var shares: UInt32
    public var price: Int64
    /// Why (`DecisionReason`'s raw value), and the strategy's regime (0 none, else 1 + the
    /// `MarketRegime`), as the live decision log has them.
    public var reason: UInt8 = 0
    public var regime: UInt8 = 0
}

public final class Backtester<S: Strategy> {
    public let venue: BacktestVenue
    public let gateway: OrderGateway<BacktestVenue>
    public let risk: RiskEngine
    public let engine: TradingEngine<S, BacktestVenue>
    public let strategy: S
    public let configuration: BacktestConfiguration
    var engineFeed: EngineConsumer<S, BacktestVenue>
    var publishedSequence: UInt64 = 0
    var nextPoll: UInt64 = 0
    var started = false
    public private(set) var finished = false
    /// Recorded messages given to the venue.
    public private(set) var recordedMessages: UInt64 = 0
    /// Recorded messages too short to carry a timestamp (skipped).
    public private(set) var untimed: UInt64 = 0
    /// Recorded timestamps past the end of the day (applied at the last good one), and those
    /// earlier than the one before (applied at it).
    public private(set) var timesOutOfDay: UInt64 = 0
    public private(set) var timesBack: UInt64 = 0
    /// 24 h in ns: no ITCH time of a day is later.
    static var endOfDay: UInt64 { 86_400_000_000_000 }
    /// When the venue handled the last recorded message (its timestamp, plus the venue's delay
    /// when one is modelled), and the first.
    public private(set) var lastTime: UInt64 = 0
    public private(set) var firstTime: UInt64 = 0
    /// The last recorded timestamp.
    var lastStamp: UInt64 = 0
    /// The venue's own delay (`BacktestLatencies.venue`); nil when it keeps its clock.
    var venueDelay: LatencySampler?
    /// Answers the gateway did not read when they were due (its session was down): dropped.
    public private(set) var unreadAnswers: UInt64 = 0
    public private(set) var decisions: [BacktestDecision] = []
    let keepDecisions: Bool

    public init(strategy: S, risk: RiskEngine, symbols: [Alpha8], configuration: BacktestConfiguration = BacktestConfiguration(),
                keepDecisions: Bool = true) throws {
        self.configuration = configuration
        self.strategy = strategy
        self.risk = risk
        self.keepDecisions = keepDecisions
        venue = try BacktestVenue(configuration: configuration.venue)
        gateway = OrderGateway<BacktestVenue>(version: .v42, credentials: SoupBinTCPCredentials(username: "BKTEST", password: "x"),
                                              symbols: symbols, risk: risk)
        let book = try OrderBook(configuration: OrderBookConfiguration(maxOrders: configuration.engineMaxOrders,
                                                                       maxLocates: configuration.maxLocates, peakOrders: configuration.peakOrders))
        engine = TradingEngine(book: book, gateway: gateway, strategy: strategy, stampCapacity: 1 << 12,
                               stampStages: false)
        engineFeed = engine.consumer
        venue.model(only: { strategy.trades($0) })
        if keepDecisions { decisions.reserveCapacity(1 << 14) }
        if configuration.venue.latencies.venue.model != .constant(nanos: 0) {
            venueDelay = LatencySampler(configuration.venue.latencies.venue.model)
        }
    }

    deinit { venueDelay?.release() }

    // MARK: - Input

    /// One recorded ITCH message (from a BinaryFILE walk or a MoldUDP64 session, in sequence).
    @inline(__always)
    public func onRecorded(_ m: UnsafeRawBufferPointer, sequence: UInt64) {
        guard m.count >= 11 else {
            untimed &+= 1
            return
        }
        var t = ITCH.timestamp(m) ?? 0
        if t > Self.endOfDay {
            // Past midnight: not a time of this day (a corrupt message). It is applied at the last
            // good time, so the clock never leaves the day (every time must fit ITCH's 48 bits
            // when the venue publishes at it, the wind-down's included).
            timesOutOfDay &+= 1
            t = lastStamp
        }
        if t < lastStamp { timesBack &+= 1 }
        lastStamp = max(t, lastStamp)  // a timestamp that goes back is taken at the last one
        // A venue behind its clock handles the message late (and publishes it then); the
        // message keeps its own stamp.
        var handled = lastStamp
        if venueDelay != nil { handled = min(lastStamp &+ venueDelay!.next(at: lastStamp), Self.endOfDay) }
        if !started { start(at: handled) }
        let at = max(handled, lastTime)
        lastTime = at
        if venueDelay != nil { venue.clockBehind = at &- lastStamp }
        recordedMessages &+= 1
        // Most messages of a burst find nothing due before them: no call then.
        if nextEventTime < at { advance(before: at) }
        venue.recorded(m, sequence: sequence, time: at)
        ITCHBookBuilder.prefetch(engine.book, m, stage: 2)
    }

    /// Every message of a BinaryFILE walk through `onRecorded`, numbered from `sequence` + 1,
    /// with the table line of each order reference asked for `lookahead` messages ahead in the
    /// venue's book and the engine's (the engine hears the message one feed latency later, a few
    /// messages on): the misses of the next messages overlap the work on this one. Prefetches
    /// change nothing else (OrderBookPrefetch.swift).
    public func onRecorded(walking walker: inout ITCHFileWalker, sequence: inout UInt64) {
        let ring = 16, lookahead = 8
        let window = UnsafeMutablePointer<UnsafeRawBufferPointer>.allocate(capacity: ring)
        defer { window.deallocate() }
        var head = 0, tail = 0
        var exhausted = false
        while true {
            while !exhausted && head &- tail < lookahead {
                if let m = walker.next() {
                    window[head & (ring - 1)] = m
                    // The input a page ahead: the hardware's stream prefetch stops at a 4 KiB
                    // page, and the day's bytes are in such pages.
                    tw_prefetch(m.baseAddress.unsafelyUnwrapped + 4096)
                    prefetchReferences(m)
                    head &+= 1
                } else {
                    exhausted = true
                }
            }
            if tail == head { return }
            sequence &+= 1
            onRecorded(window[tail & (ring - 1)], sequence: sequence)
            tail &+= 1
        }
    }

    @inline(__always)
    func prefetchReferences(_ m: UnsafeRawBufferPointer) {
        guard m.count >= 19 else { return }
        switch m[0] {
        case UInt8(ascii: "A"), UInt8(ascii: "F"), UInt8(ascii: "E"), UInt8(ascii: "C"), UInt8(ascii: "X"), UInt8(ascii: "D"), UInt8(ascii: "U"):
            let ref = OrderRef(rawValue: m.loadUnaligned(fromByteOffset: 11, as: UInt64.self).bigEndian)
            venue.book.prefetchReference(ref)
            engine.book.prefetchReference(ref)
            if m[0] == UInt8(ascii: "U"), m.count >= 27 {
                let new = OrderRef(rawValue: m.loadUnaligned(fromByteOffset: 19, as: UInt64.self).bigEndian)
                venue.book.prefetchReference(new)
                engine.book.prefetchReference(new)
            }
        default:
            return
        }
    }

    func start(at t: UInt64) {
        started = true
        firstTime = t
        venue.localNow = t
        // The session is up before the day's first message (`BacktestVenue.send`).
        nextPoll = t &+ configuration.pollIntervalNanos
        gateway.connect(venue, now: Int64(t))
        advance(before: t &+ 1)
    }

    // MARK: - The time line

    /// When the next event of the time line is due (UInt64.max: none).
    @inline(__always)
    var nextEventTime: UInt64 { min(min(venue.nextInboundTime, venue.nextPublishedTime), min(venue.nextAnswerTime, nextPoll)) }

    /// Runs every event due before `t` in time order.
    func advance(before t: UInt64) {
        while true {
            let a = venue.nextInboundTime
            let f = venue.nextPublishedTime
            let r = venue.nextAnswerTime
            let p = nextPoll
            let m = min(min(a, f), min(r, p))
            guard m < t else { return }
            if a == m {
                venue.processInbound()
            } else if f == m {
                // The feed's messages in a row while they come first (the engine's orders, sent
                // as it hears them, can put our bytes ahead of the next one; the poll stays put).
                var next = f
                repeat {
                    deliverPublished(at: next)
                    next = venue.nextPublishedTime
                } while next < t && next < venue.nextInboundTime && next <= venue.nextAnswerTime && next <= p
            } else if r == m {
                let before = venue.answersQueued
                poll(at: m)
                if venue.nextAnswerTime == r && venue.answersQueued == before {
                    venue.dropFrontAnswer()
                    unreadAnswers &+= 1
                }
            } else {
                poll(at: m)
                nextPoll = m &+ configuration.pollIntervalNanos
                // Nothing in flight across a long quiet stretch (a night, a halt): the timers need
                // no turn every interval, one before `t` does (the venue heartbeats on demand).
                if venue.nextInboundTime == .max, venue.nextPublishedTime == .max, venue.nextAnswerTime == .max,
                   t != .max, t > nextPoll &+ configuration.pollIntervalNanos {
                    nextPoll = t &- configuration.pollIntervalNanos
                }
            }
        }
    }

    /// When set, every message the engine hears is also kept here (length-prefixed, a BinaryFILE):
    /// the feed the strategy saw, for the TCA and `--feed-out`.
    public var keepFeed = false
    public private(set) var feedSeen: [UInt8] = []

    @inline(__always)
    func deliverPublished(at t: UInt64) {
        venue.localNow = t
        engine.burstNanos = Int64(t)
        publishedSequence &+= 1
        if keepFeed { keep(venue.frontPublished) }
        engineFeed.onMessage(venue.frontPublished, sequence: publishedSequence)
        venue.popPublished()
        drainStamps()
    }

    @inline(never)
    func keep(_ m: UnsafeRawBufferPointer) {
        feedSeen.append(UInt8(truncatingIfNeeded: m.count >> 8))
        feedSeen.append(UInt8(truncatingIfNeeded: m.count))
        feedSeen.append(contentsOf: m)
    }

    func poll(at t: UInt64) {
        venue.localNow = t
        engine.pollVenue(now: Int64(t))
        drainStamps()
    }

    @inline(__always)
    func drainStamps() {
        while let s = engine.stamps.pop() {
            guard keepDecisions else { continue }
            decisions.append(BacktestDecision(feedTime: s.feedTime, sentAt: venue.localNow, orderID: s.orderID, locate: s.locate,
                                              side: s.side, action: s.action, shares: s.shares, price: s.price, reason: s.reason, regime: s.regime))
        }
    }

    // MARK: - The end

    /// Delivers what is in flight, winds the strategy down (trading off, every open order
    /// cancelled, the answers heard), logs out. Call once, after the last recorded message.
    public func finish() {
        guard !finished else { return }
        finished = true
        guard started else { return }
        // Everything due by the last recorded message runs; then trading stops, what is open is
        // cancelled, and what is still in flight (the last messages, the answers) is heard.
        advance(before: lastTime &+ 1)
        venue.localNow = max(venue.localNow, lastTime)
        engine.trading = false
        gateway.cancelAll(now: Int64(venue.localNow))
        drainStamps()
        settle(until: lastTime &+ configuration.windDownNanos)
        venue.localNow = max(venue.localNow, lastTime &+ configuration.windDownNanos)
        gateway.client.logout(now: Int64(venue.localNow))
        settle(until: venue.localNow &+ configuration.windDownNanos)
    }

    /// Runs the time line to `until`, and on past it while anything is still in flight (a
    /// latency longer than the wind-down must not lose a fill: every answer is heard).
    func settle(until: UInt64) {
        advance(before: until)
        var turns = 0
        while turns < 1_000_000 {
            let next = min(venue.nextInboundTime, min(venue.nextPublishedTime, venue.nextAnswerTime))
            guard next != .max else { return }
            advance(before: next &+ 1)
            turns += 1
        }
    }

    // MARK: - Results

    public var openOrders: Int {
        var n = 0
        gateway.store.forEachOpen { _ in n += 1 }
        return n
    }
}

extension BacktestVenue {
    var answersQueued: Int { answers.count }
    func dropFrontAnswer() { answers.pop() }
}

/// A MoldUDP64 capture's messages into a backtest: the consumer of the feed handler's session.
public struct BacktestFeedInput<S: Strategy>: MoldUDP64Consumer {
    let backtester: Unmanaged<Backtester<S>>
    public init(_ b: Backtester<S>) { backtester = .passUnretained(b) }
    public mutating func onMessage(_ message: UnsafeRawBufferPointer, sequence: UInt64) {
        backtester._withUnsafeGuaranteedRef { $0.onRecorded(message, sequence: sequence) }
    }
}
