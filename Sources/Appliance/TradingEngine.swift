// The tick-to-trade path after the wire: ITCH messages (from the MoldUDP64 session, live or
// replayed) update the book; a change of the touch of a traded stock goes to the strategy;
// its actions go through risk into OUCH and out on the order session. Every order a tick
// triggers leaves a `StageStamps` record (TSC at rx-burst return, after decode, after the book,
// after the strategy, after risk, at the send) in an SPSC ring that a cold thread drains.
//
// One thread owns all of it (the appliance's pinned hot core); nothing here allocates, locks
// or logs. The only syscall is the order session's send (kernel TCP mode).
import CShims
public import MarketData
public import ITCHBook
public import OrderBook
public import OrderEntry
public import Strategy
public import TickwireCore

/// What became of one order a tick (or a venue event) triggered, with the TSC at each stage.
@frozen
public struct StageStamps: Sendable, Equatable, BitwiseCopyable {
    /// The trigger's arrival at the NIC, on the TSC's time line (its hardware stamp through
    /// the port's `NICArrivalClock`); 0 when it carried no stamp in a known unit.
    public var nic: UInt64 = 0
    /// TSC when the rx burst that carried the trigger returned.
    public var rx: UInt64 = 0
    /// After the trigger message was decoded (MoldUDP64 + ITCH).
    public var decoded: UInt64 = 0
    /// After the book applied it.
    public var book: UInt64 = 0
    /// After the strategy's models ran (equal to `book` when none ran for this decision).
    public var model: UInt64 = 0
    /// After the strategy returned.
    public var strategy: UInt64 = 0
    /// After pre-trade risk passed the order.
    public var risk: UInt64 = 0
    /// Once the order's message was encoded, just before the send call.
    public var encoded: UInt64 = 0
    /// When the send call returned (the tx burst, or the kernel's send): the order has left.
    public var sent: UInt64 = 0
    /// The trigger's MoldUDP64 sequence number (0: a venue event triggered it).
    public var triggerSequence: UInt64 = 0
    /// The trigger's feed time (ns since midnight).
    public var feedTime: UInt64 = 0
    public var price: Int64 = 0
    public var orderID: UInt32 = 0
    public var shares: UInt32 = 0
    public var locate: UInt16 = 0
    /// "B" or "S".
    public var side: UInt8 = 0
    /// 0 new, 1 replace, 2 cancel, 3 hold (a live order kept in place: no wire message, no
    /// latency; the decision log's `hold` line).
    public var action: UInt8 = 0
    /// Why (`DecisionReason`'s raw value).
    public var reason: UInt8 = 0
    /// The strategy's regime then: 0 none (no regime model), else 1 + `MarketRegime`'s raw value.
    public var regime: UInt8 = 0
    /// 0 for the first order a tick sent; the stages of later ones include the risk checks and
    /// encodes of those before them, so only the first goes into the stage histograms (all go
    /// into the decision log).
    public var position: UInt8 = 0
    /// TSC when the trigger's frame began its handling: `rx` for a burst's first frame, later
    /// for a frame that waited behind earlier frames of its burst; 0 where not stamped. Splits
    /// the decode stage into that wait and the frame's own handling (its parse, the session,
    /// the datagram's earlier messages and the trigger's decode).
    public var frame: UInt64 = 0
    /// Messages the trigger's frame delivered before the trigger (0: it was the first): the
    /// share of `frame` to `decoded` spent on the datagram's earlier messages.
    public var frameIndex: UInt16 = 0
    /// Wire messages (orders, replaces, cancels) that decisions on earlier messages of the
    /// trigger's frame sent: their send calls are in its decode stage too.
    public var frameSends: UInt16 = 0
    public init() {}
}

public struct EngineCounters: Sendable, Equatable {
    /// ITCH messages applied.
    public var messages: UInt64 = 0
    /// Touch changes of traded stocks handed to the strategy.
    public var strategyCalls: UInt64 = 0
    /// Ticks that produced at least one order on the wire.
    public var triggeringTicks: UInt64 = 0
    public var ordersSent: UInt64 = 0
    public var replacesSent: UInt64 = 0
    public var cancelsSent: UInt64 = 0
    /// Actions the gateway or risk refused.
    public var refused: UInt64 = 0
    public var riskRejects: UInt64 = 0
    public var fills: UInt64 = 0
    public var filledShares: UInt64 = 0
    public var venueEvents: UInt64 = 0
    /// Stage records lost because the telemetry ring was full.
    public var stampsDropped: UInt64 = 0
    /// `hold` records put in the decision log (orders the strategy kept in place).
    public var holdsLogged: UInt64 = 0
    public var outboxOverflow: UInt64 = 0
    public var trades: UInt64 = 0
    /// Book messages refused for lack of room (each stock's book is then unusable).
    public var bookOverflows: UInt64 = 0
    /// ITCH messages of an unknown type or a wrong length (skipped).
    public var undecodable: UInt64 = 0
    public init() {}
}

public final class TradingEngine<S: Strategy, T: ByteStreamTransport> {
    public let book: OrderBook
    public let directory: SymbolDirectory
    public let gateway: OrderGateway<T>
    public let strategy: S
    public private(set) var counters = EngineCounters()
    /// Stage records of every order sent, for the telemetry thread.
    public let stamps: SPSCRing<StageStamps>
    let outbox: UnsafeMutablePointer<StrategyAction>
    var ctx: StrategyContext
    /// The stage records of one decision's actions, pushed once their shared send returned.
    let pending: UnsafeMutablePointer<StageStamps>
    /// Set by the loop when a burst returns: the TSC the burst's messages count from.
    public var burstTSC: UInt64 = 0
    /// The rx stamp of the answers `pollVenue` is reading (0: none known).
    var venueRxTSC: UInt64 = 0
    /// Host time (ns, for the order session's timers and risk's throttle) of the burst.
    public var burstNanos: Int64 = 0
    /// The NIC arrival (TSC) of the frame being decoded, 0 without a hardware stamp: stage 0
    /// of the decisions it triggers.
    public var frameNicTSC: UInt64 = 0
    /// TSC when the frame being decoded began its handling (`StageStamps.frame`): the burst's
    /// rx stamp for its first frame, stamped again for each later one.
    public var frameTSC: UInt64 = 0
    /// Messages the frame being decoded has delivered so far (reset at each frame's start).
    public var frameMessages: UInt16 = 0
    /// Wire messages the frame being decoded has sent so far (reset at each frame's start).
    public var frameSends: UInt16 = 0

    /// A frame of the burst begins its handling: its message and send counts start over, and a
    /// frame after the burst's first gets its own stamp when stages are stamped (the first
    /// one's is the burst's rx stamp, `frameTSC` as the burst set it).
    @inline(__always)
    public func beginFrame(afterFirst: Bool) {
        frameMessages = 0
        frameSends = 0
        if afterFirst && stampStages { frameTSC = tw_rdtsc() }
    }
    /// False once the run winds down: the strategy still hears every event, but its new orders
    /// and replaces are refused (it is told so) while the open orders are being cancelled.
    public var trading = true
    /// The sequence number of the message being applied.
    @usableFromInline var sequence: UInt64 = 0

    // The same objects, unretained, for the hot path: loading a class reference from a stored
    // property and calling it cost a retain and a release per use (package-benchmark counted
    // about six per message); the strong properties above keep them alive.
    let uBook: Unmanaged<OrderBook>
    let uDirectory: Unmanaged<SymbolDirectory>
    /// What the strategy's regime model said last (risk's regime guard follows it).
    var regimeAdverse = false
    /// The strategy keeps a market-wide state: it hears every stock's touches and trades.
    let followsMarket: Bool
    let uGateway: Unmanaged<OrderGateway<T>>
    let uStrategy: Unmanaged<S>
    let uStamps: Unmanaged<SPSCRing<StageStamps>>
    /// Whether the stages are timed (TSC reads at decode, book, model, strategy, risk, encode
    /// and send). A backtest turns it off: its time line is the recorded day's, its stage records
    /// carry no TSC, and the reads cost ~10 ns each on every message.
    public let stampStages: Bool

    public init(book: OrderBook, directory: SymbolDirectory = SymbolDirectory(), gateway: OrderGateway<T>, strategy: S,
                stampCapacity: Int = 1 << 16, outboxCapacity: Int = 16, stampStages: Bool = true) {
        uBook = .passUnretained(book)
        uDirectory = .passUnretained(directory)
        uGateway = .passUnretained(gateway)
        uStrategy = .passUnretained(strategy)
        self.book = book
        self.directory = directory
        self.gateway = gateway
        self.strategy = strategy
        followsMarket = strategy.followsMarket
        stamps = SPSCRing(capacity: stampCapacity)
        uStamps = .passUnretained(stamps)
        outbox = .allocate(capacity: outboxCapacity)
        pending = .allocate(capacity: max(outboxCapacity, 1))
        ctx = StrategyContext(slots: outbox, capacity: outboxCapacity)
        ctx.book = .passUnretained(book)
        if let risk = gateway.risk {
            // Risk's widen guard, read by quoting strategies (the table lives as long as risk).
            ctx.offsets = risk.wideningTable
            ctx.offsetCount = risk.locateTableCount
        }
        self.stampStages = stampStages
        gateway.stampStages = stampStages
        ctx.stampsModel = stampStages
    }

    deinit {
        outbox.deallocate()
        pending.deallocate()
    }

    /// The MoldUDP64 consumer that feeds this engine.
    public var consumer: EngineConsumer<S, T> { ITCHBookFeed(book: book, directory: directory, sink: EngineSink(engine: self)) }

    // MARK: - Book events

    @inline(__always)
    func afterBook(_ u: BookUpdate, time: VenueTime, decoded: UInt64) {
        if u.outcome == .capacityExceeded { bookOverflowed(u.locate) }
        guard u.bboChanged else { return }
        guard uStrategy._withUnsafeGuaranteedRef({ $0.trades(u.locate) }) else {
            if followsMarket { marketTouch(u.locate, time: time) }
            return
        }
        let tBook = stampStages ? tw_rdtsc() : 0
        counters.strategyCalls &+= 1
        let top = uBook._withUnsafeGuaranteedRef { BookTop(book: $0, locate: u.locate) }
        // A traded stock's touch reaches the market-wide state once the decision is out (off
        // the tick-to-trade path; the regime classifier reads it on its next evaluation). The
        // book does not change before then: the touch read for the strategy is the one it gets.
        defer { if followsMarket { marketTouch(top, time: time) } }
        let now = burstNanos
        uGateway._withUnsafeGuaranteedRef {
            $0.marketData(locate: u.locate, bid: top.bidShares > 0 ? top.bid : nil, ask: top.askShares > 0 ? top.ask : nil,
                          bidShares: top.bidShares, askShares: top.askShares, now: now)
        }
        ctx.reset(now: time.nanosSinceMidnight)
        uStrategy._withUnsafeGuaranteedRef { $0.onBook(top, &ctx) }
        let adverse = uStrategy._withUnsafeGuaranteedRef { $0.regimeIsAdverse }
        if adverse != regimeAdverse { regimeChanged(adverse) }
        guard ctx.count > 0 || ctx.heldCount > 0 else { return }
        var s = StageStamps()
        s.nic = frameNicTSC
        s.rx = burstTSC
        s.frame = frameTSC
        s.frameIndex = frameMessages &- 1
        s.frameSends = frameSends
        s.decoded = decoded
        s.book = tBook
        s.strategy = stampStages ? tw_rdtsc() : 0
        s.model = ctx.modelTSC != 0 ? ctx.modelTSC : tBook
        s.triggerSequence = sequence
        s.feedTime = time.nanosSinceMidnight
        let sent = execute(stamps: s)
        if sent > 0 {
            counters.triggeringTicks &+= 1
            frameSends &+= UInt16(truncatingIfNeeded: sent)
        }
        if ctx.heldCount > 0 { logHolds(s) }
    }

    /// The orders the strategy kept in place in this callback, into the decision log as `hold`
    /// records (cold: a hold is a model's decision, not a tick-to-trade).
    @inline(never)
    func logHolds(_ base: StageStamps) {
        var s = base
        s.action = 3
        s.reason = DecisionReason.held.rawValue
        s.regime = regimeCode()
        (s.risk, s.encoded, s.sent) = (0, 0, 0)
        for k in 0..<ctx.heldCount {
            let id = ctx.held(at: k)
            guard let o = uGateway._withUnsafeGuaranteedRef({ $0.store.order(id) }) else { continue }
            s.orderID = id
            s.locate = o.locate.rawValue
            s.side = o.side.rawValue
            s.shares = o.leaves
            s.price = o.price.rawValue
            counters.holdsLogged &+= 1
            if !uStamps._withUnsafeGuaranteedRef({ $0.push(s) }) { counters.stampsDropped &+= 1 }
        }
    }

    /// The strategy's regime for a stage record: 0 none, else 1 + its raw value.
    @inline(__always)
    func regimeCode() -> UInt8 {
        uStrategy._withUnsafeGuaranteedRef { $0.currentRegime.map { $0.rawValue &+ 1 } ?? 0 }
    }

    /// The strategy's regime model changed its mind: risk's regime guard follows on every stock
    /// the strategy trades (cold).
    @inline(never)
    func regimeChanged(_ adverse: Bool) {
        regimeAdverse = adverse
        let now = burstNanos
        let maxLocate = uBook._withUnsafeGuaranteedRef { $0.configuration.maxLocates }
        let traded = (1..<maxLocate).map { StockLocate(rawValue: UInt16($0)) }.filter { l in uStrategy._withUnsafeGuaranteedRef { $0.trades(l) } }
        uGateway._withUnsafeGuaranteedRef { $0.regime(adverse: adverse, locates: traded, now: now) }
    }

    /// The book refused a message of this stock for lack of room: it is unusable now, and
    /// risk stops trading it (cold).
    @inline(never)
    func bookOverflowed(_ locate: StockLocate) {
        counters.bookOverflows &+= 1
        let now = burstNanos
        uGateway._withUnsafeGuaranteedRef { $0.bookUnusable(locate: locate, now: now) }
    }

    @inline(__always)
    func noteMessage(_ r: ITCH.DispatchResult) {
        counters.messages &+= 1
        if case .delivered = r {} else { counters.undecodable &+= 1 }
    }

    /// Any stock's new touch, for a strategy that follows the market (as the recorder computes it).
    @inline(__always)
    func marketTouch(_ locate: StockLocate, time: VenueTime) {
        let (b, a) = uBook._withUnsafeGuaranteedRef { ($0.bestBid(locate), $0.bestAsk(locate)) }
        uStrategy._withUnsafeGuaranteedRef {
            $0.onMarketTouch(locate: locate, bid: b?.price.rawValue ?? 0, bidShares: b?.shares ?? 0,
                             ask: a?.price.rawValue ?? 0, askShares: a?.shares ?? 0, now: time.nanosSinceMidnight)
        }
    }

    /// `marketTouch` with the touch already read (a traded stock's, after its decision).
    @inline(__always)
    func marketTouch(_ top: BookTop, time: VenueTime) {
        uStrategy._withUnsafeGuaranteedRef {
            $0.onMarketTouch(locate: top.locate, bid: top.bid.rawValue, bidShares: top.bidShares,
                             ask: top.ask.rawValue, askShares: top.askShares, now: time.nanosSinceMidnight)
        }
    }

    @inline(__always)
    func onTrade(locate: StockLocate, price: Price, shares: UInt32, aggressor: Side, time: VenueTime) {
        counters.trades &+= 1
        defer { if followsMarket { uStrategy._withUnsafeGuaranteedRef { $0.onMarketTrade(locate: locate, now: time.nanosSinceMidnight) } } }
        guard uStrategy._withUnsafeGuaranteedRef({ $0.trades(locate) }) else { return }
        let t = stampStages ? tw_rdtsc() : 0
        ctx.reset(now: time.nanosSinceMidnight)
        uStrategy._withUnsafeGuaranteedRef { $0.onTrade(locate: locate, price: price, shares: shares, aggressor: aggressor, &ctx) }
        guard ctx.count > 0 || ctx.heldCount > 0 else { return }
        var s = StageStamps()
        s.nic = frameNicTSC
        s.rx = burstTSC
        s.frame = frameTSC
        s.frameIndex = frameMessages &- 1
        s.frameSends = frameSends
        s.decoded = t
        s.book = t
        s.strategy = stampStages ? tw_rdtsc() : 0
        s.model = ctx.modelTSC != 0 ? ctx.modelTSC : t
        s.triggerSequence = sequence
        s.feedTime = time.nanosSinceMidnight
        frameSends &+= UInt16(truncatingIfNeeded: execute(stamps: s))
        if ctx.heldCount > 0 { logHolds(s) }
    }

    // MARK: - Actions

    /// Sends the outbox's actions (and any the strategy adds while hearing their results),
    /// all in one write: the gateway holds them and releases them together, so the second
    /// order of a tick does not wait for the first one's send call. Each action's record has
    /// its own risk and encode stamps and the release's return as its send stamp. Returns how
    /// many were sent.
    @inline(__always)
    func execute(stamps base: StageStamps) -> Int {
        var i = 0
        var sent = 0
        let now = burstNanos
        guard ctx.count > 0 else { return 0 }
        let regime = regimeCode()
        uGateway._withUnsafeGuaranteedRef { $0.holdSends() }
        while i < ctx.count {
            let a = ctx[i]
            var s = base
            s.reason = ctx.reason(at: i).rawValue
            s.regime = regime
            i &+= 1
            switch a {
            case .new(let tag, let locate, let side, let shares, let price, let kind):
                guard trading else {
                    uStrategy._withUnsafeGuaranteedRef { $0.onSubmitted(tag: tag, result: .notLoggedIn, &ctx) }
                    continue
                }
                let r = uGateway._withUnsafeGuaranteedRef { $0.submit(locate: locate, side: side, shares: shares, price: price, kind: kind, now: now) }
                uStrategy._withUnsafeGuaranteedRef { $0.onSubmitted(tag: tag, result: r, &ctx) }
                guard case .sent(let id) = r else {
                    counters.refused &+= 1
                    if case .refused = r { counters.riskRejects &+= 1 }
                    continue
                }
                counters.ordersSent &+= 1
                s.orderID = id
                s.locate = locate.rawValue
                s.side = side.rawValue
                s.shares = shares
                s.price = price.rawValue
                s.action = 0
            case .replace(let id, let shares, let price):
                guard trading else {
                    uStrategy._withUnsafeGuaranteedRef { $0.onReplaceSent(id: id, newID: nil, &ctx) }
                    continue
                }
                let newID = uGateway._withUnsafeGuaranteedRef { $0.replace(id: id, shares: shares, price: price, now: now) }
                uStrategy._withUnsafeGuaranteedRef { $0.onReplaceSent(id: id, newID: newID, &ctx) }
                guard let newID else {
                    counters.refused &+= 1
                    continue
                }
                counters.replacesSent &+= 1
                s.orderID = newID
                s.shares = shares
                s.price = price.rawValue
                if let o = uGateway._withUnsafeGuaranteedRef({ $0.store.order(newID) }) {
                    s.locate = o.locate.rawValue
                    s.side = o.side.rawValue
                }
                s.action = 1
            case .cancel(let id):
                let ok = uGateway._withUnsafeGuaranteedRef { $0.cancel(id: id, now: now) }
                uStrategy._withUnsafeGuaranteedRef { $0.onCancelSent(id: id, sent: ok, &ctx) }
                guard ok else {
                    counters.refused &+= 1
                    continue
                }
                counters.cancelsSent &+= 1
                s.orderID = id
                s.action = 2
            }
            (s.risk, s.encoded, s.sent) = uGateway._withUnsafeGuaranteedRef { ($0.lastRiskTSC, $0.lastEncodedTSC, $0.lastSentTSC) }
            s.position = UInt8(truncatingIfNeeded: min(sent, 255))
            pending[sent] = s  // sent < i <= ctx.count <= the outbox's capacity
            sent &+= 1
        }
        let t = uGateway._withUnsafeGuaranteedRef { g in
            g.releaseSends(now: now)
            return g.lastSentTSC
        }
        var k = 0
        while k < sent {
            pending[k].sent = t
            if !uStamps._withUnsafeGuaranteedRef({ $0.push(pending[k]) }) { counters.stampsDropped &+= 1 }
            k &+= 1
        }
        if ctx.overflow > 0 { counters.outboxOverflow &+= UInt64(ctx.overflow) }
        return sent
    }

    // MARK: - Venue events

    /// Reads the order session: the venue's answers go to the strategy, and whatever it does
    /// about them goes out at once. `rxTSC`: when the bytes came off the port (the burst that
    /// carried them, on our own stack), the decisions' rx stamp; 0 where the read itself is
    /// the first we know of them (a kernel socket): the stamp is then taken after the strategy.
    @discardableResult
    public func pollVenue(now: Int64, rxTSC: UInt64 = 0) -> Int {
        burstNanos = now
        venueRxTSC = rxTSC
        var l = VenueListener(engine: .passUnretained(self))
        return uGateway._withUnsafeGuaranteedRef { $0.poll(now: now, &l) }
    }

    @inline(__always)
    func onVenue(_ e: GatewayEvent, sequence: UInt64) {
        counters.venueEvents &+= 1
        if case .executed(_, _, _, let shares, _, _) = e {
            counters.fills &+= 1
            counters.filledShares &+= UInt64(shares)
        }
        ctx.reset(now: ctx.now)
        uStrategy._withUnsafeGuaranteedRef { $0.onOrder(e, &ctx) }
        guard ctx.count > 0 || ctx.heldCount > 0 else { return }
        var s = StageStamps()
        let t = stampStages ? tw_rdtsc() : 0
        (s.rx, s.decoded, s.book, s.model, s.strategy) = (venueRxTSC != 0 && venueRxTSC <= t ? venueRxTSC : t, t, t, t, t)
        s.feedTime = ctx.now
        _ = execute(stamps: s)
        if ctx.heldCount > 0 { logHolds(s) }
    }
}

/// Public only so that cross-module optimization serializes `gateway` and this conformance
/// (as `OrderGateway.Handler`): internal, the client's specialized gateway poll called the
/// generic witness, and every venue answer ran the engine and the strategy unspecialized.
public struct VenueListener<S: Strategy, T: ByteStreamTransport>: GatewayListener {
    let engine: Unmanaged<TradingEngine<S, T>>
    public mutating func gateway(_ event: GatewayEvent, sequence: UInt64) {
        engine._withUnsafeGuaranteedRef { $0.onVenue(event, sequence: sequence) }
    }
}

/// The live engine as a sink of the one ITCH-to-book path: stamps each book message's decode,
/// tells the strategy of executions before the book changes and of touch changes after, and
/// counts messages. Holds the engine unretained (a method call through an unowned(unsafe)
/// reference still retained it).
public struct EngineSink<S: Strategy, T: ByteStreamTransport>: BookFeedSink {
    let unmanaged: Unmanaged<TradingEngine<S, T>>
    /// TSC after the current book message was decoded (0 when the engine times no stage).
    var decodedTSC: UInt64 = 0
    let stamps: Bool

    init(engine: TradingEngine<S, T>) {
        unmanaged = .passUnretained(engine)
        stamps = engine.stampStages
    }

    @inline(__always)
    func with<R>(_ body: (TradingEngine<S, T>) -> R) -> R { unmanaged._withUnsafeGuaranteedRef(body) }

    @inline(__always)
    public mutating func message(sequence: UInt64) {
        with {
            $0.sequence = sequence
            $0.frameMessages &+= 1
        }
    }

    @inline(__always)
    public mutating func dispatched(_ result: ITCH.DispatchResult) { with { $0.noteMessage(result) } }

    @inline(__always)
    public mutating func decoded() { if stamps { decodedTSC = tw_rdtsc() } }

    /// An execution: a trade the strategy hears first (when it trades the stock), then the book.
    @inline(__always)
    public mutating func willExecute(_ order: BookOrder?, ref: OrderRef, shares: Shares, time: VenueTime) {
        guard let o = order else { return }
        with { $0.onTrade(locate: o.locate, price: o.price, shares: shares.rawValue, aggressor: o.side == .buy ? .sell : .buy, time: time) }
    }

    @inline(__always)
    public mutating func applied(_ update: BookUpdate, time: VenueTime) {
        let d = decodedTSC
        with { $0.afterBook(update, time: time, decoded: d) }
    }

    /// A hidden execution (P): its side is the resting order's; the aggressor is the other.
    @inline(__always)
    public mutating func hiddenTrade(_ m: ITCH.Trade) {
        guard let resting = m.side else { return }
        with { $0.onTrade(locate: m.stockLocate, price: m.price, shares: m.shares.rawValue, aggressor: resting == .buy ? .sell : .buy, time: m.timestamp) }
    }
}

/// What the appliance's feed handler hands each message to: the one ITCH-to-book path with the
/// engine as its sink.
public typealias EngineConsumer<S: Strategy, T: ByteStreamTransport> = ITCHBookFeed<EngineSink<S, T>>
