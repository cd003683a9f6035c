// The venue of a backtest: an exchange model over the day's own L3 book, behind the same
// SoupBinTCP 3.0 / OUCH 4.2 session the live gateway speaks, so that the gateway, its order
// state machine and pre-trade risk run unchanged (a risk reject live is a risk reject here).
//
// What it holds:
// - the venue's book: every order of the recorded feed, applied through the one ITCH-to-book
//   path (`ITCHBookFeed`, this venue its sink), plus our resting orders, which join the back of
//   their level's FIFO queue when they reach the venue (references from a range no feed uses:
//   the top two bits set);
// - our orders by token, with the replace chain's executed shares (OUCH's replace size counts
//   them), the time each joined its queue and the shares ahead of it then;
// - three streams in flight, each a `TimedQueue`: our bytes on their way in (order-entry
//   latency), the venue's answers on their way back (response latency), and what the venue
//   publishes on its way to our engine (feed latency): every recorded message as it applied,
//   and ours (adds, executions, cancels, replaces) as a venue publishes them, so the strategy
//   sees its own orders in the book exactly as it does live.
//
// What a message of the recorded feed does to our orders is the queue model's (`QueueModel`):
// fills when the flow reaches them. What our orders do to the market is limited to what a
// replay can know: a marketable order of ours takes the displayed liquidity at its arrival,
// walking levels in price-time order, and the shares it took are gone from the venue's book
// (and from the feed our engine sees: the venue publishes the executions), so a later recorded
// execution of the same order is an over-execution of what is left, not a second fill for
// someone. Symmetrically, a recorded execution that filled ours instead leaves its order the
// shares it would have lost: they rest on, and later aggressors reach them first (`displaced`).
// The flow does not react to us otherwise (it cannot: it is recorded).
//
// Cancel and replace follow the venue simulator (`Exchange.MatchingEngine` and its order entry):
// a cancel gives the shares to leave; a replace keeps the order's place only for the same price
// and no more shares, else it gets a new reference at the back of its new price, trading first
// if it crosses; a replace to zero open shares cancels. Tokens are unique per day: a reused one
// is ignored (counted). Anything the venue cannot read ends the session, as a venue would.
//
// Time is venue time (ns since midnight, the ITCH clock); our side's clock is the same line
// (what a PTP-synchronised host has). The backtester (`Backtester`) drives everything in time
// order; this type never looks at a wall clock.
public import ITCHBook
import MarketData
public import OrderBook
import OrderEntry
public import TickwireCore

/// One fill of ours, as the venue made it (the TCA's input).
public struct BacktestFill: Sendable, Equatable {
    /// The gateway's order number (from the token).
    public var orderID: UInt32
    /// The venue's reference of the order when it filled (ours: in the published feed).
    public var ref: UInt64
    public var locate: StockLocate
    public var side: Side
    public var shares: UInt32
    public var price: Price
    /// Venue time of the execution (ns since midnight).
    public var time: UInt64
    /// "A": our resting order was hit; "R": ours took liquidity.
    public var liquidity: UInt8
    /// When the order joined its queue, and the shares ahead of it then (0 and 0 for a take).
    public var joinedAt: UInt64
    public var aheadAtEntry: UInt64
    /// Shares ahead of it just before this fill (what the model had left; 0 once it was first).
    public var aheadAtFill: UInt64
    public var match: UInt64
    /// Why the venue filled it.
    public var cause: BacktestFillCause = .took
    /// The recorded message that did it: its order reference (the order executed, added across
    /// ours, or printed), 0 when our own order took liquidity.
    public var trigger: UInt64 = 0
}

/// Why the backtest venue filled one of our orders (the report's `fill_causes`).
public enum BacktestFillCause: String, Sendable, Equatable, CaseIterable {
    /// L3: an execution of a recorded order behind ours in its level's queue.
    case behind
    /// An execution at a price worse than ours: the aggressor went through our price.
    case through
    /// A recorded order added (or replaced) across our price.
    case crossingAdd = "crossing_add"
    /// A hidden print through our price (`HiddenPrintPolicy`).
    case hiddenPrint = "hidden_print"
    /// The probabilistic model: a trade past the estimated shares ahead.
    case estimate
    /// Against another order of ours.
    case ownOrder = "own_order"
    /// Ours took liquidity.
    case took
    /// The recorded day's aggressor met ours where the order it executed there is gone from the
    /// venue's book: our orders took it earlier (`ConsumedLiquidity`).
    case rerouted
}

public struct BacktestVenueCounters: Sendable, Equatable, Encodable {
    public var ordersEntered: UInt64 = 0
    public var ordersRejected: UInt64 = 0
    public var replaces: UInt64 = 0
    public var cancels: UInt64 = 0
    public var cancelRejects: UInt64 = 0
    public var duplicateTokens: UInt64 = 0
    public var fills: UInt64 = 0
    public var filledShares: UInt64 = 0
    /// Fills of our resting orders by the recorded flow, and fills of ours that took liquidity.
    public var passiveFills: UInt64 = 0
    public var aggressiveFills: UInt64 = 0
    /// Passive fills by an execution behind ours (L3), a trade through our price, a crossing
    /// add or replace, a hidden print, or the probabilistic model's estimate.
    public var fillsBehind: UInt64 = 0
    public var fillsThrough: UInt64 = 0
    public var fillsByCrossingAdd: UInt64 = 0
    public var fillsByHiddenPrint: UInt64 = 0
    public var fillsByEstimate: UInt64 = 0
    /// Fills of our resting order by a marketable order of ours (the venue simulator has no
    /// self-match prevention for our firm, so neither has its model): counted once, as passive.
    public var selfTrades: UInt64 = 0
    /// Recorded messages that executed or cancelled more than was left of an order whose shares
    /// we had taken (the liquidity was consumed once, by us).
    public var consumedCollisions: UInt64 = 0
    /// Recorded messages about an order our orders took whole (executions, replaces, cancels,
    /// deletes): not published, the venue has no such order. Shares of recorded executions
    /// that met other orders instead (`ConsumedLiquidity`), those that found none within the
    /// aggressor's reach, and our passive fills among them.
    public var consumedMessages: UInt64 = 0
    public var reroutedShares: UInt64 = 0
    public var reroutedUnfilled: UInt64 = 0
    public var fillsRerouted: UInt64 = 0
    /// Session ended by input the venue could not read.
    public var badInput: UInt64 = 0
    public var messagesPublished: UInt64 = 0
    /// Messages of ours the venue could not encode (must stay 0).
    public var unpublishable: UInt64 = 0
    /// Recorded messages that named a live order of ours (dropped: a corrupt feed).
    public var refsToOurs: UInt64 = 0
    /// Shares of recorded executions that went to our orders first and stayed on the recorded
    /// order (`displaceRecordedExecutions`), and the executions taken whole (not applied).
    public var displacedShares: UInt64 = 0
    public var displacedExecutions: UInt64 = 0
    /// Displaced shares executed later (the flow's executions behind or through them, its adds
    /// across them: `heldFills`, `heldFilledShares`), and cancelled with a cancel of their order.
    public var heldFills: UInt64 = 0
    public var heldFilledShares: UInt64 = 0
    public var heldCancelledShares: UInt64 = 0
    /// Passive fills folded into the one before (`BacktestVenue.passiveFill`): the next recorded
    /// execution of the same aggressor filling the same order of ours again.
    public var foldedFills: UInt64 = 0
    public init() {}
}

public final class BacktestVenue: ByteStreamTransport {
    public struct Configuration: Sendable {
        public var latencies = BacktestLatencies()
        public var queueModel: QueueModel = .l3FIFO
        /// What an ITCH P print does to our resting orders on its side (see `QueueModel`).
        public var hiddenPrints: HiddenPrintPolicy = .through
        /// Live orders the venue's book holds (the feed's and ours).
        public var maxOrders = 1 << 22
        /// The recorded orders live at the day's peak, when known (the book's table is sized
        /// for it).
        public var peakOrders: Int?
        public var maxLocates = 65_536
        /// Our orders live at once.
        public var maxOurOrders = 1 << 16
        /// The largest order the venue takes (as the simulator's engine).
        public var maxShares: UInt32 = 1_000_000
        /// A recorded execution that fills ours (behind us, or through our price) executes the
        /// recorded order only for what is left of it: the aggressor's shares went to us first,
        /// and what it would have taken from that order stays there, as it does on a real
        /// engine: the order keeps its priority and those shares, which later aggressors reach
        /// before the orders behind them (displacing those in turn), until they trade or the
        /// order's owner cancels, deletes or replaces it (`displaced`). Off, both are executed
        /// in full (the recorded day as it was, our fills on top: hftbacktest's L3 model).
        public var displaceRecordedExecutions = true
        /// Off (hftbacktest's L3 rule, for comparing with it): a recorded execution at a price
        /// worse than ours fills ours only where ours is no better than the recorded book's own
        /// touch on that side (the aggressor swept levels of the recorded book); an order of ours
        /// that improved the touch is not filled by an execution at the touch, though price
        /// priority would have filled it first. On (the default): every order of ours priced
        /// better than the execution is filled first.
        public var throughFillsBetterThanTouch = true
        /// Where a recorded execution goes when the order it names is gone or short (our orders
        /// took its shares earlier).
        public var consumedLiquidity: ConsumedLiquidity = .walk
        public init() {}
    }

    public let configuration: Configuration
    /// The venue's book: the recorded feed's orders and ours.
    public let book: OrderBook
    public let directory: SymbolDirectory
    var feed: ITCHBookFeed<ExchangeSink>
    public internal(set) var counters = BacktestVenueCounters()
    public private(set) var fills: [BacktestFill] = []

    // Time.
    /// The venue's clock: the time of what it is processing.
    public private(set) var venueNow: UInt64 = 0
    /// How far the venue's clock is behind its handling (`BacktestLatencies.venue`): what it
    /// stamps (our orders' feed messages, its answers, and our fills' and queue entries' times in
    /// the records, on the feed's clock for the TCA) is `venueNow` less this, its clock's position,
    /// as a venue that lags stamps them. Set by the backtester per recorded message.
    public var clockBehind: UInt64 = 0
    @inline(__always) var stampNow: VenueTime { VenueTime(nanosSinceMidnight: venueNow &- min(clockBehind, venueNow)) }
    /// Our side's clock, set by the backtester before the engine runs (stamps our sends).
    public var localNow: UInt64 = 0

    // Streams in flight.
    var inbound = TimedQueue()
    var answers = TimedQueue()
    var published = TimedQueue(capacity: 1 << 20)
    /// How much later than its answer the venue publishes what our order did (`OwnFeedDelay`;
    /// nil: at once). The feed stays one ordered stream: what the venue publishes after it (the
    /// recorded flow too) reaches our engine no earlier, as a sequenced feed would.
    var ownDelay: LatencySampler?
    /// Set while the venue handles our order messages: what it publishes then is ours.
    var handlingOurs = false
    /// How much earlier than it publishes a recorded event the venue answered the fills of our
    /// resting orders the event made (`FillFeedDelay`; nil: both at once). The venue handled the
    /// event then: the venue's delay (`clockBehind`) is when it published it, measured on the
    /// wire. So the answers leave that much before the event's publication, never before its
    /// stamp; where the venue's delay is shorter, the event's publication waits the rest.
    var fillDelay: LatencySampler?
    /// Set while a recorded message is handled.
    var handlingRecorded = false
    /// The event's draw of `fillDelay`, at its first fill (nil: no fill yet).
    var fillLead: UInt64?
    var feedLatency: LatencySampler
    /// The venue instant of the last feed draw, and the draw (`feedArrival`).
    var feedDrawAt: UInt64 = .max
    var feedDraw: UInt64 = 0
    var entryLatency: LatencySampler
    var responseLatency: LatencySampler
    var lastAnswerTime: UInt64 = 0

    // The session.
    public private(set) var isOpen = true
    var framer = SoupBinTCPFramer(direction: .fromClient)
    var loggedIn = false
    let scratch: UnsafeMutableRawBufferPointer
    let packet: UnsafeMutableRawBufferPointer

    // Our orders.
    var orders: UnsafeMutablePointer<VenueOrder>
    var freeSlots: [Int32] = []
    var liveSlots: [Int32] = []
    /// Tokens of the form our gateway writes ("TW" + the order number) are indexed by number
    /// (slot + 1 while live, 0 when not; `tokenUsed` once seen); any other token by hashing.
    var tokenSlot: [Int32] = []
    var tokenUsed: [Bool] = []
    var byToken: [Alpha14: Int32] = [:]
    var usedTokens = Set<Alpha14>()
    /// Our live orders per locate and side (locate * 2 + sell): the sink's fast test.
    let ourCount: UnsafeMutablePointer<UInt16>
    /// The stocks whose book the venue keeps (the strategy's: `model(only:)`); an order for
    /// another is rejected ("S"), and their messages are only published.
    let modelled: UnsafeMutablePointer<Bool>
    /// The first of our resting orders per locate and side (-1: none); linked through the orders.
    let sideHead: UnsafeMutablePointer<Int32>
    var nextSerial: UInt64 = 1
    var nextMatch: UInt64 = 1 << 40
    var joinSerial: UInt64 = 0
    /// Stock -> locate, learnt from the directory when first asked.
    var locateOf: [Alpha8: StockLocate] = [:]
    var directoryCountSeen = -1

    // The recorded message being applied (the sink may rewrite or drop what is published).
    var currentAdd: OrderRef?
    var suppressCurrent = false
    var republishShares: UInt32?
    var deleteInstead: OrderRef?
    /// The recorded execution being applied met our orders already (`displace`): the sink
    /// leaves it alone.
    var executionHandled = false
    /// A recorded execution rewritten to what is left of it after ours.
    let rewritten: UnsafeMutableRawPointer
    /// Recorded orders holding displaced shares: reference -> the shares the recorded day does
    /// not know of, and the order's side (`countIndex`). What becomes of them follows the venue
    /// simulator with its flow's reaction off (its flow acts on its own book without us, and the
    /// venue's copy of each order follows it): a cancel of the order takes it down to the
    /// day's remaining shares (the displaced ones go); a delete or replace ends them; an
    /// execution of the order in full leaves them resting, at their place in the queue, an order
    /// the day no longer knows of (its owner thinks it done). Until then, and after, they meet
    /// the flow as ours do: the day's executions behind them or through their price, its adds
    /// across it, and our marketable orders take them first (`fillUnrecorded`), which displaces
    /// the order the day executed in turn.
    var displaced = RefMap<Held>(capacity: 1 << 12)
    /// Recorded orders our orders took whole (a take of ours, or an add or replace across our
    /// resting orders), by reference, with their side and price: the recorded day goes on
    /// moving and executing them, the venue has none of them. A replace keeps the chain here
    /// under its new reference and price.
    var consumed = RefMap<ConsumedOrder>()
    struct ConsumedOrder {
        var side: Side
        var price: Int64
    }
    /// A recorded execution's shares the order it names did not have (the sink sets it as the
    /// book applies the message), met elsewhere once the message is published.
    var pendingReroute: (locate: StockLocate, side: Side, price: Int64, shares: UInt32)?
    /// Recorded orders holding displaced shares now.
    public var ordersHoldingDisplaced: Int { displaced.count }
    struct Held {
        var shares: UInt32
        var side: Int
    }
    /// Recorded orders holding displaced shares per locate and side (the sink's fast test, with
    /// `ourCount`).
    let heldCount: UnsafeMutablePointer<UInt32>
    /// Walk buffers (refs and shares of one level, front first).
    var walkRefs: UnsafeMutablePointer<UInt64>
    var walkShares: UnsafeMutablePointer<UInt32>
    let walkCapacity = 1 << 16
    let slotScratch: UnsafeMutablePointer<Int32>
    let slotScratchCapacity = 4096

    static let ourRefBit: UInt64 = 0xC000_0000_0000_0000

    public init(configuration c: Configuration) throws {
        configuration = c
        book = try OrderBook(configuration: OrderBookConfiguration(maxOrders: c.maxOrders, maxLocates: c.maxLocates, peakOrders: c.peakOrders))
        directory = SymbolDirectory()
        feed = ITCHBookFeed(book: book, directory: directory, sink: ExchangeSink(venue: nil, ourCount: nil))
        feedLatency = LatencySampler(c.latencies.feed.model)
        entryLatency = LatencySampler(c.latencies.entry.model)
        responseLatency = LatencySampler(c.latencies.response.model)
        ownDelay = c.latencies.own.model == .constant(nanos: 0) ? nil : LatencySampler(c.latencies.own.model)
        fillDelay = c.latencies.fill.model == .constant(nanos: 0) ? nil : LatencySampler(c.latencies.fill.model)
        scratch = .allocate(byteCount: 512, alignment: 8)
        packet = .allocate(byteCount: 512, alignment: 8)
        rewritten = .allocate(byteCount: 64, alignment: 8)
        orders = .allocate(capacity: c.maxOurOrders)
        ourCount = .allocate(capacity: c.maxLocates * 2)
        ourCount.initialize(repeating: 0, count: c.maxLocates * 2)
        heldCount = .allocate(capacity: c.maxLocates * 2)
        heldCount.initialize(repeating: 0, count: c.maxLocates * 2)
        sideHead = .allocate(capacity: c.maxLocates * 2)
        sideHead.initialize(repeating: -1, count: c.maxLocates * 2)
        modelled = .allocate(capacity: c.maxLocates)
        modelled.initialize(repeating: true, count: c.maxLocates)
        walkRefs = .allocate(capacity: walkCapacity)
        walkShares = .allocate(capacity: walkCapacity)
        slotScratch = .allocate(capacity: slotScratchCapacity)
        freeSlots = (0..<Int32(c.maxOurOrders)).reversed()
        liveSlots.reserveCapacity(1024)
        fills.reserveCapacity(1 << 14)
        feed.sink = ExchangeSink(venue: .passUnretained(self), ourCount: ourCount, heldCount: heldCount, locates: c.maxLocates,
                                 removalsMoveQueue: c.queueModel != .l3FIFO)
    }

    deinit {
        displaced.release()
        consumed.release()
        scratch.deallocate()
        packet.deallocate()
        rewritten.deallocate()
        orders.deallocate()
        ourCount.deallocate()
        heldCount.deallocate()
        modelled.deallocate()
        sideHead.deallocate()
        walkRefs.deallocate()
        walkShares.deallocate()
        slotScratch.deallocate()
        feedLatency.release()
        entryLatency.release()
        responseLatency.release()
        ownDelay?.release()
        fillDelay?.release()
    }

    // MARK: - ByteStreamTransport (our side)

    /// Our gateway's bytes: they reach the venue one order-entry latency after `localNow`. The
    /// login is not part of the day: the session is up when the recorded day starts (the login
    /// and its answer take no time).
    public func send(_ bytes: UnsafeRawBufferPointer) -> Int {
        guard isOpen else { return -32 }  // EPIPE
        inbound.push(bytes, at: loggedIn ? localNow &+ entryLatency.next(at: localNow) : localNow)
        return bytes.count
    }

    /// The venue's answers that have reached us by `localNow`. A venue that has said nothing for
    /// a second heartbeats, as the real one does (the gateway's dead-peer timer counts on it).
    public func receive(into buffer: UnsafeMutableRawBufferPointer) -> TransportRead {
        if loggedIn, isOpen, answers.isEmpty, localNow >= lastAnswerTime &+ 1_000_000_000 {
            if let n = SoupBinTCP.writeHeader(into: packet, type: .serverHeartbeat, payloadLength: 0) {
                answers.push(UnsafeRawBufferPointer(rebasing: packet[0..<n]), at: localNow)
                lastAnswerTime = localNow
            }
        }
        var n = 0
        while n < buffer.count, !answers.isEmpty, answers.nextTime <= localNow {
            let f = answers.front
            let k = min(f.count, buffer.count - n)
            (buffer.baseAddress! + n).copyMemory(from: f.baseAddress!, byteCount: k)
            answers.consumeFront(k)
            n += k
        }
        if n > 0 { return .bytes(n) }
        return isOpen ? .wouldBlock : .closed
    }

    public func close() { isOpen = false }

    // MARK: - What the backtester schedules

    /// When our next bytes reach the venue (UInt64.max: none in flight).
    public var nextInboundTime: UInt64 { inbound.nextTime }
    /// When the next answer reaches us.
    public var nextAnswerTime: UInt64 { answers.nextTime }
    /// When the next published message reaches our engine.
    public var nextPublishedTime: UInt64 { published.nextTime }
    /// Messages published and not yet delivered.
    public var publishedInFlight: Int { published.count }

    /// The front published message (valid until `popPublished`).
    public var frontPublished: UnsafeRawBufferPointer { published.front }
    @inline(__always)
    public func popPublished() { published.pop() }

    /// One message of the recorded feed, at its own timestamp: applied to the venue's book (our
    /// resting orders filled as the queue model says) and published to our engine.
    public func recorded(_ m: UnsafeRawBufferPointer, sequence: UInt64, time: UInt64) {
        venueNow = max(venueNow, time)
        let locate = Int(locateOfMessage(m).rawValue)
        if locate >= configuration.maxLocates || !modelled[locate], Self.isOrderMessage(m[0]), !refersToOurBook(m) {
            // A stock we cannot trade here: the venue keeps no book for it, it only publishes.
            published.push(m, at: feedArrival())
            counters.messagesPublished &+= 1
            return
        }
        recordedTrigger = m.count >= 19 && Self.refersToAnOrder(m[0]) ? m.loadUnaligned(fromByteOffset: 11, as: UInt64.self).bigEndian : 0
        defer { recordedTrigger = 0 }
        if namesOneOfOurs(m) {
            // A recorded message that names a live order of ours by its reference (only a corrupt
            // or hostile feed can): neither book may apply it, or our order would change behind
            // the gateway's back.
            counters.refsToOurs &+= 1
            return
        }
        feed.sink.currentLocate = StockLocate(rawValue: UInt16(truncatingIfNeeded: locate))
        currentAdd = nil
        suppressCurrent = false
        republishShares = nil
        deleteInstead = nil
        executionHandled = false
        // The answers to the fills this event makes lead its publication (`fillDelay`).
        let mark = published.mark
        handlingRecorded = true
        fillLead = nil
        defer {
            handlingRecorded = false
            if let lead = fillLead, lead > clockBehind { published.delay(since: mark, to: feedArrival() &+ (lead - clockBehind)) }
        }
        if !consumed.isEmpty, let r = Self.orderRef(m), let c = consumed[r] {
            recordedOnConsumed(m, ref: r, c)
            return
        }
        var m = m
        if configuration.displaceRecordedExecutions, let (x, ref, shares) = recordedExecutionOnOurSide(m) {
            // Ours first; the recorded order executes for what the aggressor has left.
            let taken = recordedExecution(x, ref: ref, shares: shares)
            executionHandled = true
            if taken > 0 {
                counters.displacedShares &+= UInt64(taken)
                hold(ref, x, min(taken, shares))
                if taken >= shares {
                    counters.displacedExecutions &+= 1
                    return
                }
                rewritten.copyMemory(from: m.baseAddress!, byteCount: m.count)
                rewritten.storeBytes(of: (shares - taken).bigEndian, toByteOffset: 19, as: UInt32.self)
                m = UnsafeRawBufferPointer(start: rewritten, count: m.count)
            }
        }
        pendingReroute = nil
        feed.onMessage(m, sequence: sequence)
        defer {
            if let r = pendingReroute {
                pendingReroute = nil
                reroute(locate: r.locate, side: r.side, price: r.price, shares: r.shares)
            }
        }
        if suppressCurrent {
            if let d = deleteInstead { publishDelete(locateOfMessage(m), d) }
            return
        }
        if let s = republishShares {
            // The recorded add (or replace) rests with what our orders left of it.
            published.push(at: feedArrival(), maxBytes: m.count) { out in
                out.baseAddress!.copyMemory(from: m.baseAddress!, byteCount: m.count)
                let at = m[0] == UInt8(ascii: "U") ? 27 : 20
                out.storeBytes(of: s.bigEndian, toByteOffset: at, as: UInt32.self)
                return m.count
            }
        } else {
            published.push(m, at: feedArrival())
        }
        counters.messagesPublished &+= 1
        if !displaced.isEmpty, let r = Self.orderRef(m) { settleDisplaced(r, after: m[0]) }
    }

    /// `ref` (a recorded order) holds `shares` more than the recorded day knows of.
    func hold(_ ref: OrderRef, _ x: BookOrder, _ shares: UInt32) {
        if let h = displaced[ref.rawValue] {
            displaced[ref.rawValue] = Held(shares: min(h.shares &+ shares, x.shares.rawValue), side: h.side)
        } else {
            let i = countIndex(x.locate, x.side)
            displaced[ref.rawValue] = Held(shares: min(shares, x.shares.rawValue), side: i)
            heldCount[i] &+= 1
        }
    }

    /// `shares` of `ref` were executed or cancelled: the displaced ones go first (the recorded
    /// day's own stay for its messages); never more held than the order has left.
    func consumeHeld(_ ref: UInt64, _ shares: UInt32) {
        guard let h = displaced[ref] else { return }
        let open = book.order(OrderRef(rawValue: ref))?.shares.rawValue ?? 0
        let held = min(h.shares - min(h.shares, shares), open)
        if held == 0 { release(ref) } else { displaced[ref] = Held(shares: held, side: h.side) }
    }

    func release(_ ref: UInt64) {
        guard let h = displaced.removeValue(forKey: ref) else { return }
        heldCount[h.side] &-= 1
    }

    /// After a recorded message (of `type`) about `ref`, an order holding displaced shares: gone
    /// (deleted, replaced, executed or cancelled to nothing), they are gone; cancelled in part,
    /// the order is cut to the day's remaining shares, as the simulator's venue cuts its copy
    /// (the displaced shares are cancelled too, published); executed, they stay.
    func settleDisplaced(_ ref: UInt64, after type: UInt8) {
        guard let h = displaced[ref] else { return }
        guard let x = book.order(OrderRef(rawValue: ref)) else {
            release(ref)
            return
        }
        let cut = min(h.shares, x.shares.rawValue)
        guard type == 0x58 else {
            if cut < h.shares { displaced[ref] = Held(shares: cut, side: h.side) }
            return
        }
        release(ref)
        counters.heldCancelledShares &+= UInt64(cut)
        if cut >= x.shares.rawValue {
            _ = book.delete(ref: OrderRef(rawValue: ref))
            publishDelete(x.locate, OrderRef(rawValue: ref))
        } else {
            _ = book.cancel(ref: OrderRef(rawValue: ref), shares: Shares(rawValue: cut))
            publishCancel(x.locate, OrderRef(rawValue: ref), cut)
        }
    }

    /// Keeps the venue's book only for the stocks `trades` says (the strategy's): the others'
    /// order messages are published without the venue applying them (half the book work on a day
    /// where most stocks are not traded). Call before the first message.
    public func model(only trades: (StockLocate) -> Bool) {
        for l in 0..<configuration.maxLocates { modelled[l] = trades(StockLocate(rawValue: UInt16(truncatingIfNeeded: l))) }
    }

    /// An execute, cancel, delete or replace whose order is in the venue's book although the
    /// message names another stock: the book applies it by the order's reference (the engine's
    /// does too), so the venue must (only a corrupt feed does this; found by FuzzBacktest).
    @inline(__always)
    func refersToOurBook(_ m: UnsafeRawBufferPointer) -> Bool {
        guard let r = Self.orderRef(m) else { return false }
        return book.order(OrderRef(rawValue: r)) != nil
    }

    /// An execute, cancel, delete or replace of a live order of ours.
    @inline(__always)
    func namesOneOfOurs(_ m: UnsafeRawBufferPointer) -> Bool {
        guard let r = Self.orderRef(m), r & Self.ourRefBit == Self.ourRefBit else { return false }
        return ourSlot(r) != nil
    }

    /// The recorded message being applied: its order reference (A, F, E, C, X, D, U, P), for the
    /// fills it causes.
    var recordedTrigger: UInt64 = 0
    @inline(__always) static func refersToAnOrder(_ type: UInt8) -> Bool {
        switch type {
        case 0x41, 0x46, 0x45, 0x43, 0x58, 0x44, 0x55, 0x50: true
        default: false
        }
    }

    /// The order reference an execute, cancel, delete or replace (E C X D U) names (at 11, the
    /// replace's original); nil for other messages or one too short to hold it.
    @inline(__always)
    static func orderRef(_ m: UnsafeRawBufferPointer) -> UInt64? {
        switch m[0] {
        case 0x45, 0x43, 0x58, 0x44, 0x55: break
        default: return nil
        }
        guard m.count >= 19 else { return nil }
        var r: UInt64 = 0
        for i in 11..<19 { r = r << 8 | UInt64(m[i]) }
        return r
    }

    /// A well-formed recorded execution (E, C) of an order in the venue's book, not ours, on a
    /// side where we have orders or displaced shares rest: (the order, its reference, the shares
    /// executed).
    @inline(__always)
    func recordedExecutionOnOurSide(_ m: UnsafeRawBufferPointer) -> (BookOrder, OrderRef, UInt32)? {
        guard (m[0] == 0x45 && m.count == 31) || (m[0] == 0x43 && m.count == 36), let r = Self.orderRef(m) else { return nil }
        guard ourSlot(r) == nil, let x = book.order(OrderRef(rawValue: r)), Int(x.locate.rawValue) < configuration.maxLocates else { return nil }
        let i = countIndex(x.locate, x.side)
        guard ourCount[i] > 0 || heldCount[i] > 0 else { return nil }
        let shares = UInt32(m[19]) << 24 | UInt32(m[20]) << 16 | UInt32(m[21]) << 8 | UInt32(m[22])
        guard shares > 0 else { return nil }
        return (x, OrderRef(rawValue: r), shares)
    }

    /// Add, execute, cancel, delete, replace and hidden-trade messages (A F E C X D U P).
    @inline(__always)
    static func isOrderMessage(_ type: UInt8) -> Bool {
        switch type {
        case 0x41, 0x46, 0x45, 0x43, 0x58, 0x44, 0x55, 0x50: return true
        default: return false
        }
    }

    /// Our bytes that have reached the venue by now: handled at their arrival time.
    public func processInbound() {
        guard !inbound.isEmpty else { return }
        venueNow = max(venueNow, inbound.nextTime)
        defer { inbound.pop() }
        // A session that ended reads nothing more (the framer may hold the rest of a chunk).
        guard isOpen else { return }
        // The framer reads the record in place: it is popped only once every packet in it is
        // handled (handling never pushes onto this queue).
        framer.feed(inbound.front)
        handlingOurs = true
        defer { handlingOurs = false }
        reading: while isOpen {
            switch framer.next() {
            case .needMoreData:
                break reading
            case .failed:
                counters.badInput &+= 1
                isOpen = false
            case .packet(let p):
                handle(p)
            }
        }
    }

    func handle(_ p: SoupBinTCP.Packet) {
        guard loggedIn else {
            guard p.type == .loginRequest else {
                counters.badInput &+= 1
                isOpen = false
                return
            }
            loggedIn = true
            if let n = SoupBinTCP.encodeLoginAccepted(into: packet, session: SoupBinTCP.session("BKTEST")!, sequenceNumber: 1) {
                lastAnswerTime = answers.push(UnsafeRawBufferPointer(rebasing: packet[0..<n]), at: venueNow)
            }
            return
        }
        switch p.type {
        case .clientHeartbeat, .debug:
            return
        case .logoutRequest:
            isOpen = false
        case .unsequencedData:
            if !ouch(p.payload) {
                counters.badInput &+= 1
                isOpen = false
            }
        default:
            counters.badInput &+= 1
            isOpen = false
        }
    }

    // MARK: - OUCH 4.2 in

    func ouch(_ m: UnsafeRawBufferPointer) -> Bool {
        guard case .success(let msg) = OUCH42.decodeInbound(m) else { return false }
        switch msg {
        case .enterOrder(let v):
            enter(v.message)
        case .replaceOrder(let v):
            replace(v.message)
        case .cancelOrder(let v):
            let x = v.message
            guard let slot = slot(for: x.orderToken), orders[Int(slot)].live else {
                counters.cancelRejects &+= 1
                emit(OUCH42.CancelReject(timestamp: stampNow, orderToken: x.orderToken))
                return true
            }
            cancel(slot, leave: x.shares.rawValue, reason: "U")
        case .modifyOrder(let v):
            let x = v.message
            guard let slot = slot(for: x.orderToken), orders[Int(slot)].live, x.side.bookSide == orders[Int(slot)].side else {
                counters.cancelRejects &+= 1
                emit(OUCH42.CancelReject(timestamp: stampNow, orderToken: x.orderToken))
                return true
            }
            cancel(slot, leave: x.shares.rawValue, reason: "U", answer: false)
            let left = orders[Int(slot)].live ? orders[Int(slot)].leaves : 0
            emit(OUCH42.OrderModified(timestamp: stampNow, orderToken: x.orderToken, side: x.side,
                                      shares: Shares(rawValue: left)))
        }
        return true
    }

    func enter(_ o: OUCH42.EnterOrder) {
        counters.ordersEntered &+= 1
        guard useToken(o.orderToken) else {
            counters.duplicateTokens &+= 1
            return
        }
        let t = stampNow
        guard let locate = locate(of: o.stock), Int(locate.rawValue) < configuration.maxLocates, modelled[Int(locate.rawValue)] else {
            return reject(o.orderToken, "S")
        }
        guard let side = o.side.bookSide else { return reject(o.orderToken, "Y") }
        guard o.shares.rawValue >= 1, o.shares.rawValue <= configuration.maxShares else { return reject(o.orderToken, "Z") }
        let market = o.price.rawValue == 2_147_483_647
        guard market || (o.price.rawValue > 0 && o.price.rawValue <= Int64(UInt32.max)) else { return reject(o.orderToken, "X") }
        let ioc = market || o.timeInForce == OUCH42.immediateOrCancel
        guard let slot = freeSlots.popLast() else { return reject(o.orderToken, "V") }
        let ref = takeRef(slot)
        orders[Int(slot)] = VenueOrder(token: o.orderToken, ref: ref, locate: locate, side: side, price: market ? .zero : o.price,
                                       leaves: o.shares.rawValue, executed: 0, live: true, joinedAt: stampNow.nanosSinceMidnight, aheadAtEntry: 0,
                                       priority: 0, front: 0, tradedAtLevel: 0, stock: o.stock, tif: o.timeInForce, firm: o.firm,
                                       display: o.display, capacity: o.capacity, sweep: o.intermarketSweepEligibility, cross: o.crossType)
        setToken(o.orderToken, slot)
        liveSlots.append(slot)
        emit(OUCH42.Accepted(timestamp: t, orderToken: o.orderToken, side: o.side, shares: o.shares, stock: o.stock, price: o.price,
                             timeInForce: o.timeInForce, firm: o.firm, display: o.display, orderReferenceNumber: OrderRef(rawValue: ref),
                             capacity: o.capacity, intermarketSweepEligibility: o.intermarketSweepEligibility,
                             minimumQuantity: Shares(rawValue: 0), crossType: o.crossType, orderState: "L", bboWeightIndicator: " "))
        take(slot, limit: market ? nil : o.price.rawValue)
        guard orders[Int(slot)].live else { return }
        if ioc {
            cancel(slot, leave: 0, reason: "I", publish: false)
        } else {
            rest(slot)
        }
    }

    func replace(_ r: OUCH42.ReplaceOrder) {
        counters.replaces &+= 1
        guard useToken(r.replacementOrderToken) else {
            counters.duplicateTokens &+= 1
            return
        }
        guard let slot = slot(for: r.existingOrderToken), orders[Int(slot)].live else {
            counters.cancelRejects &+= 1
            emit(OUCH42.CancelReject(timestamp: stampNow, orderToken: r.existingOrderToken))
            return
        }
        let o = orders[Int(slot)]
        let open = OUCHRules.openAfterReplace(size: r.shares.rawValue, executedOnChain: o.executed).rawValue
        guard r.price.rawValue > 0, r.price.rawValue <= Int64(UInt32.max), open <= configuration.maxShares else {
            counters.cancelRejects &+= 1
            emit(OUCH42.CancelReject(timestamp: stampNow, orderToken: r.existingOrderToken))
            return
        }
        if open == 0 {
            cancel(slot, leave: 0, reason: "U")
            return
        }
        let locate = o.locate
        let keep = r.price == o.price && open <= o.leaves
        if keep {
            if open < o.leaves {
                _ = book.cancel(ref: OrderRef(rawValue: o.ref), shares: Shares(rawValue: o.leaves - open))
                publishCancel(locate, OrderRef(rawValue: o.ref), o.leaves - open)
                orders[Int(slot)].leaves = open
            }
        }
        setToken(o.token, nil)
        setToken(r.replacementOrderToken, slot)
        orders[Int(slot)].token = r.replacementOrderToken
        orders[Int(slot)].tif = r.timeInForce
        orders[Int(slot)].display = r.display
        orders[Int(slot)].sweep = r.intermarketSweepEligibility
        if keep {
            answerReplaced(slot, previous: o.token)
            return
        }
        // A new reference at the back of the new price, trading first if it crosses.
        let newRef = takeRef(slot)
        let oldRef = OrderRef(rawValue: o.ref)
        leaveQueue(slot)
        let crosses = crossesOpposite(locate: locate, side: o.side, price: r.price.rawValue)
        orders[Int(slot)].ref = newRef
        orders[Int(slot)].price = r.price
        orders[Int(slot)].leaves = open
        if !crosses {
            _ = book.delete(ref: oldRef)
            publishReplace(locate, old: oldRef, new: OrderRef(rawValue: newRef), shares: open, price: r.price)
            answerReplaced(slot, previous: o.token)
            join(slot)
            _ = book.add(locate: locate, ref: OrderRef(rawValue: newRef), side: o.side, shares: Shares(rawValue: open), price: r.price)
            return
        }
        _ = book.delete(ref: oldRef)
        publishDelete(locate, oldRef)
        answerReplaced(slot, previous: o.token)
        take(slot, limit: r.price.rawValue)
        if orders[Int(slot)].live { rest(slot) }
    }

    func answerReplaced(_ slot: Int32, previous: Alpha14) {
        let o = orders[Int(slot)]
        emit(OUCH42.Replaced(timestamp: stampNow, replacementOrderToken: o.token, side: OUCHSide(o.side),
                             shares: Shares(rawValue: o.leaves), stock: o.stock, price: o.price, timeInForce: o.tif, firm: o.firm,
                             display: o.display, orderReferenceNumber: OrderRef(rawValue: o.ref), capacity: o.capacity,
                             intermarketSweepEligibility: o.sweep, minimumQuantity: Shares(rawValue: 0), crossType: o.cross,
                             orderState: "L", previousOrderToken: previous, bboWeightIndicator: " "))
    }

    /// Cancels down to `leave` shares (0: all). `publish`: the order rests in the book (an IOC's
    /// remainder never did).
    func cancel(_ slot: Int32, leave: UInt32, reason: ASCIICode, publish: Bool = true, answer: Bool = true) {
        let o = orders[Int(slot)]
        let cut = OUCHRules.cancelDecrement(open: o.leaves, intended: leave)
        guard cut > 0 else { return }
        counters.cancels &+= 1
        let ref = OrderRef(rawValue: o.ref)
        if publish {
            if cut == o.leaves {
                _ = book.delete(ref: ref)
                publishDelete(o.locate, ref)
            } else {
                _ = book.cancel(ref: ref, shares: Shares(rawValue: cut))
                publishCancel(o.locate, ref, cut)
            }
        }
        if answer {
            emit(OUCH42.Canceled(timestamp: stampNow, orderToken: o.token,
                                 decrementShares: Shares(rawValue: cut), reason: reason))
        }
        orders[Int(slot)].leaves = o.leaves - cut
        if o.leaves == cut { retire(slot, resting: publish) }
    }

    func reject(_ token: Alpha14, _ reason: ASCIICode) {
        counters.ordersRejected &+= 1
        emit(OUCH42.Rejected(timestamp: stampNow, orderToken: token, reason: reason))
    }

    // MARK: - Our orders in the book

    func takeRef(_ slot: Int32) -> UInt64 {
        let r = Self.ourRefBit | (nextSerial << 24) | UInt64(UInt32(bitPattern: slot))
        nextSerial &+= 1
        return r
    }

    @inline(__always)
    static func isOurs(_ ref: UInt64) -> Bool { ref & ourRefBit == ourRefBit }

    /// The slot of a live order of ours with this reference, or nil: a recorded feed may use any
    /// 64-bit reference, ours included (FuzzBacktest's find: it read a slot past the table).
    @inline(__always)
    func ourSlot(_ ref: UInt64) -> Int32? {
        guard Self.isOurs(ref) else { return nil }
        let s = Self.slot(of: ref)
        guard Int(s) < configuration.maxOurOrders, orders[Int(s)].live, orders[Int(s)].ref == ref else { return nil }
        return s
    }
    @inline(__always)
    static func slot(of ref: UInt64) -> Int32 { Int32(truncatingIfNeeded: ref & 0xFF_FFFF) }

    @inline(__always)
    func countIndex(_ locate: StockLocate, _ side: Side) -> Int { Int(locate.rawValue) << 1 | (side == .sell ? 1 : 0) }

    /// Puts what is left of a new (or repriced) order at the back of its level and publishes it.
    func rest(_ slot: Int32) {
        let o = orders[Int(slot)]
        join(slot)
        let u = book.add(locate: o.locate, ref: OrderRef(rawValue: o.ref), side: o.side, shares: Shares(rawValue: o.leaves), price: o.price)
        if u.outcome != .applied {
            // The venue's book is full: the order cannot rest (an IOC-like cancel).
            unlink(slot)
            cancel(slot, leave: 0, reason: "V", publish: false)
            return
        }
        publishAdd(o.locate, OrderRef(rawValue: o.ref), o.side, o.leaves, o.price)
    }

    /// Records the order's entry into its queue: the time, the shares ahead, its rank among ours.
    func join(_ slot: Int32) {
        let o = orders[Int(slot)]
        let ahead = levelShares(o.locate, o.side, o.price)
        joinSerial &+= 1
        orders[Int(slot)].joinedAt = stampNow.nanosSinceMidnight
        orders[Int(slot)].aheadAtEntry = ahead
        orders[Int(slot)].priority = joinSerial
        orders[Int(slot)].front = Double(ahead)
        orders[Int(slot)].tradedAtLevel = 0
        link(slot)
    }

    /// The order leaves its queue (before a reprice): no longer counted on its side.
    func leaveQueue(_ slot: Int32) { unlink(slot) }

    /// Our resting orders of one stock and side, in a list (most sides hold one or none).
    func link(_ slot: Int32) {
        let i = countIndex(orders[Int(slot)].locate, orders[Int(slot)].side)
        ourCount[i] &+= 1
        orders[Int(slot)].nextOnSide = sideHead[i]
        orders[Int(slot)].prevOnSide = -1
        if sideHead[i] >= 0 { orders[Int(sideHead[i])].prevOnSide = slot }
        sideHead[i] = slot
    }

    func unlink(_ slot: Int32) {
        let i = countIndex(orders[Int(slot)].locate, orders[Int(slot)].side)
        ourCount[i] &-= 1
        let p = orders[Int(slot)].prevOnSide, n = orders[Int(slot)].nextOnSide
        if p >= 0 { orders[Int(p)].nextOnSide = n } else { sideHead[i] = n }
        if n >= 0 { orders[Int(n)].prevOnSide = p }
        orders[Int(slot)].prevOnSide = -1
        orders[Int(slot)].nextOnSide = -1
    }

    func retire(_ slot: Int32, resting: Bool) {
        let o = orders[Int(slot)]
        if resting { unlink(slot) }
        orders[Int(slot)].live = false
        setToken(o.token, nil)
        if let i = liveSlots.firstIndex(of: slot) { liveSlots.swapAt(i, liveSlots.count - 1); liveSlots.removeLast() }
        freeSlots.append(slot)
    }

    /// Shares of the level (every order in it, ours included).
    func levelShares(_ locate: StockLocate, _ side: Side, _ price: Price) -> UInt64 {
        var s: UInt64 = 0
        book.forEachOrder(locate: locate, side: side, price: price) { _, n in s &+= UInt64(n.rawValue) }
        return s
    }

    func crossesOpposite(locate: StockLocate, side: Side, price: Int64) -> Bool {
        guard let best = side == .buy ? book.bestAsk(locate) : book.bestBid(locate) else { return false }
        return side == .buy ? price >= best.price.rawValue : price <= best.price.rawValue
    }

    /// Our order takes what it can of the other side at its arrival, best price first and in
    /// queue order within a price, up to `limit` (nil: any price). Our own resting orders are
    /// matched like anyone's (the simulator has no self-match prevention for our firm).
    func take(_ slot: Int32, limit: Int64?) {
        let side = orders[Int(slot)].side
        let locate = orders[Int(slot)].locate
        let other = side.opposite
        while orders[Int(slot)].leaves > 0 {
            guard let best = other == .sell ? book.bestAsk(locate) : book.bestBid(locate) else { return }
            if let limit {
                guard side == .buy ? best.price.rawValue <= limit : best.price.rawValue >= limit else { return }
            }
            let price = best.price
            // A level at a price no order can carry (a corrupt feed) is not liquidity.
            guard price.rawValue > 0 else { return }
            let n = walk(locate: locate, side: other, price: price)
            guard n > 0 else { return }
            var i = 0
            var tookHere = false
            while i < n, orders[Int(slot)].leaves > 0 {
                let took = min(orders[Int(slot)].leaves, walkShares[i])
                guard took > 0 else {
                    // An order of no shares (a corrupt feed): nothing to take.
                    i += 1
                    continue
                }
                tookHere = true
                let match = nextMatch
                nextMatch &+= 1
                // Our resting order on the other side: both are ours.
                meetResting(i, shares: took, locate: locate, side: other, price: price, match: match, ours: .ownOrder)
                aggressiveFill(slot, shares: took, price: price, match: match)
                i += 1
            }
            // The best level had nothing to take (orders of no shares): the walk ends here rather
            // than coming back to the same level.
            guard tookHere else { return }
        }
    }

    typealias FillCause = BacktestFillCause

    /// The records of the last passive fill a recorded execution made, for folding the next
    /// piece of the same aggressor into it (`passiveFill`).
    struct LastPassiveFill {
        var slot: Int32 = -1
        var time: UInt64 = .max
        var answer: UInt64 = 0
        var publication: UInt64 = 0
        var fill = -1
    }
    var lastPassive = LastPassiveFill()

    /// Our resting order was hit for `shares` at its price.
    ///
    /// One aggressor is one execution of our order. The recorded day shows an aggressor that
    /// swept several orders as one execution message per order, all stamped with its time; where
    /// ours stands ahead of two of them, each would fill it again (a fill of 100 and one of 100
    /// where the venue, matching the aggressor against our order once, answers one of 200). So a
    /// piece that the next execution with the same stamp gives the same order, with nothing
    /// published or answered between the two (and the first answer not yet read), is folded into
    /// the fill before it: its Executed answer, its execution on the feed and its fill record
    /// grow by the piece (`foldedFills` counts them). The stamp, not the venue's clock: a venue
    /// delay trace handles one stamp's messages at times of their own.
    func passiveFill(_ slot: Int32, shares: UInt32, price: Price, match: UInt64, cause: FillCause, aheadAtFill: UInt64 = 0) {
        let o = orders[Int(slot)]
        guard o.live, shares > 0 else { return }
        let ref = OrderRef(rawValue: o.ref)
        _ = book.execute(ref: ref, shares: Shares(rawValue: shares))
        let byRecorded = handlingRecorded && cause != .ownOrder
        if byRecorded, foldIntoLastFill(slot, shares: shares, price: price) {
            counters.foldedFills &+= 1
            executed(slot, shares)
        } else {
            publishExecute(o.locate, ref, shares, match)
            counters.passiveFills &+= 1
            switch cause {
            case .behind: counters.fillsBehind &+= 1
            case .through: counters.fillsThrough &+= 1
            case .crossingAdd: counters.fillsByCrossingAdd &+= 1
            case .hiddenPrint: counters.fillsByHiddenPrint &+= 1
            case .estimate: counters.fillsByEstimate &+= 1
            case .ownOrder: counters.selfTrades &+= 1
            case .rerouted: counters.fillsRerouted &+= 1
            case .took: break
            }
            recordFill(slot, shares: shares, price: price, liquidity: UInt8(ascii: "A"), match: match, aheadAtFill: aheadAtFill, cause: cause)
            if byRecorded {
                lastPassive = LastPassiveFill(slot: slot, time: stampNow.nanosSinceMidnight, answer: answers.pushes, publication: published.pushes, fill: fills.count - 1)
            }
        }
        if orders[Int(slot)].leaves == 0 { retire(slot, resting: true) }
    }

    /// `shares` of our order in `slot` executed: its leaves, its executed shares, the total.
    func executed(_ slot: Int32, _ shares: UInt32) {
        counters.filledShares &+= UInt64(shares)
        orders[Int(slot)].leaves -= shares
        orders[Int(slot)].executed &+= shares
    }

    /// Adds `shares` to the last passive fill when it was of the same order, stamp and price,
    /// and its answer and feed execution are still the last of their queues and unread. False:
    /// nothing changed (a fill of its own).
    func foldIntoLastFill(_ slot: Int32, shares: UInt32, price: Price) -> Bool {
        let f = lastPassive
        guard f.slot == slot, f.time == stampNow.nanosSinceMidnight, f.fill >= 0, f.fill == fills.count - 1, fills[f.fill].price == price,
              fills[f.fill].shares <= UInt32.max - shares else { return false }
        let total = fills[f.fill].shares + shares
        let ref = orders[Int(slot)].ref
        // The answer: SoupBinTCP's header (3), then the Executed (40), its shares at 23; the
        // feed's execution (ITCH.OrderExecuted) naming the order, its shares at 19.
        guard answers.withLast(pushed: f.answer, { $0.count == 3 + OUCH42.Executed.length && $0[3] == OUCH42.Executed.messageType }) == true,
              published.withLast(pushed: f.publication, { ITCH.OrderExecuted(UnsafeRawBufferPointer($0))?.orderRef.rawValue == ref }) == true
        else { return false }
        _ = answers.withLast(pushed: f.answer) { $0.storeBytes(of: total.bigEndian, toByteOffset: 3 + 23, as: UInt32.self) }
        _ = published.withLast(pushed: f.publication) { $0.storeBytes(of: total.bigEndian, toByteOffset: 19, as: UInt32.self) }
        fills[f.fill].shares = total
        return true
    }

    func aggressiveFill(_ slot: Int32, shares: UInt32, price: Price, match: UInt64) {
        counters.aggressiveFills &+= 1
        orders[Int(slot)].joinedAt = stampNow.nanosSinceMidnight
        recordFill(slot, shares: shares, price: price, liquidity: UInt8(ascii: "R"), match: match, aheadAtFill: 0, cause: .took)
        if orders[Int(slot)].leaves == 0 { retire(slot, resting: false) }
    }

    func recordFill(_ slot: Int32, shares: UInt32, price: Price, liquidity: UInt8, match: UInt64, aheadAtFill: UInt64, cause: BacktestFillCause) {
        let o = orders[Int(slot)]
        counters.fills &+= 1
        executed(slot, shares)
        emit(OUCH42.Executed(timestamp: stampNow, orderToken: o.token, executedShares: Shares(rawValue: shares),
                             executionPrice: price, liquidityFlag: ASCIICode(rawValue: liquidity), matchNumber: match))
        fills.append(BacktestFill(orderID: OrderTokens.orderNumber(o.token) ?? 0, ref: o.ref, locate: o.locate, side: o.side, shares: shares, price: price,
                                  time: stampNow.nanosSinceMidnight, liquidity: liquidity, joinedAt: o.joinedAt,
                                  aheadAtEntry: liquidity == UInt8(ascii: "R") ? 0 : o.aheadAtEntry, aheadAtFill: aheadAtFill, match: match,
                                  cause: cause, trigger: cause == .took ? 0 : recordedTrigger))
    }

    // MARK: - The recorded flow meets our resting orders (called by the sink)

    /// A recorded execution of `x` (not ours) for `shares`: what the aggressor would have reached
    /// first on its side, best price first and in queue order, is filled, up to `shares`: our
    /// orders, and displaced shares of recorded orders (the day does not know either). Returns
    /// the shares they took.
    @discardableResult
    func recordedExecution(_ x: BookOrder, ref: OrderRef, shares: UInt32) -> UInt32 {
        var left = shares
        // Better-priced: the aggressor traded through them.
        let limit = configuration.throughFillsBetterThanTouch ? nil : recordedTouch(x.locate, x.side)
        let price = x.price.rawValue
        fillUnrecorded(locate: x.locate, side: x.side, left: &left, cause: .through) { p in
            guard x.side == .buy ? p > price : p < price else { return false }
            guard let limit else { return true }
            return x.side == .buy ? p <= limit : p >= limit
        }
        guard left > 0 else { return shares }
        // At the same price and ahead of x in the queue: the flow reached them first (ours only
        // with L3; the probabilistic model estimates where ours are).
        let l3 = configuration.queueModel == .l3FIFO
        if l3 || heldCount[countIndex(x.locate, x.side)] > 0 {
            let n = walk(locate: x.locate, side: x.side, price: x.price, before: ref)
            fillWalked(n, locate: x.locate, price: x.price, left: &left, cause: .behind, ours: l3)
        }
        if case .probabilistic = configuration.queueModel {
            // A trade at our price comes off the estimated front; past it, it reached us.
            forEachOurs(locate: x.locate, side: x.side, price: x.price.rawValue) { s in
                guard left > 0 else { return }
                orders[Int(s)].front -= Double(shares)
                orders[Int(s)].tradedAtLevel &+= UInt64(shares)
                if orders[Int(s)].front < 0 {
                    let over = UInt32(min(Double(orders[Int(s)].leaves), (-orders[Int(s)].front).rounded(.down)))
                    orders[Int(s)].front = 0
                    let took = min(over, left)
                    if took > 0 {
                        passiveFill(s, shares: took, price: x.price, match: nextMatchNumber(), cause: .estimate)
                        left -= took
                    }
                }
            }
        }
        return shares - left
    }

    /// A recorded cancel, delete or replace takes `removed` shares from the level of `x`: with
    /// the probabilistic model, our estimated front moves by the chance it came from ahead.
    func recordedRemoval(_ x: BookOrder, removed: UInt32) {
        guard case .probabilistic(let f) = configuration.queueModel, removed > 0 else { return }
        forEachOurs(locate: x.locate, side: x.side, price: x.price.rawValue) { s in
            let o = orders[Int(s)]
            // The level without our own shares, as the recorded feed saw it before the removal.
            let level = Double(levelShares(x.locate, x.side, x.price)) - Double(oursAt(x.locate, x.side, x.price.rawValue))
            let chg = Double(removed)
            let front = o.front
            let back = max(level - front, 0)
            let p = QueueModel.probabilityBehind(f, front: front, back: back)
            let est = front - (1 - p) * chg + min(back - p * chg, 0)
            orders[Int(s)].front = max(min(est, level - chg), 0)
        }
    }

    /// A recorded order was added (or a replace made it) at `x`'s price on its side: if it
    /// crosses our resting orders on the other side, it trades with them first (they rest, it is
    /// the aggressor), best price first; what is left of it rests. Returns the shares it kept.
    func recordedAddCrossing(_ x: BookOrder, ref: OrderRef) -> UInt32 {
        var left = x.shares.rawValue
        let price = x.price.rawValue
        fillUnrecorded(locate: x.locate, side: x.side.opposite, left: &left, cause: .crossingAdd) { p in
            x.side == .sell ? p >= price : p <= price
        }
        return left
    }

    /// A recorded message about an order our orders took whole: the venue has no such order
    /// and publishes nothing of it. An execution's aggressor meets what rests now instead; a
    /// replace moves the chain to its new reference and price (the day's later messages name
    /// that one); a delete ends it.
    func recordedOnConsumed(_ m: UnsafeRawBufferPointer, ref: UInt64, _ c: ConsumedOrder) {
        counters.consumedMessages &+= 1
        let locate = locateOfMessage(m)
        switch m[0] {
        case 0x45, 0x43:  // E, C: executed shares at 19
            guard m.count >= 23 else { return }
            let shares = m.loadUnaligned(fromByteOffset: 19, as: UInt32.self).bigEndian
            reroute(locate: locate, side: c.side, price: c.price, shares: shares)
        case 0x55:  // U: the new reference at 19, shares at 27, price at 31
            consumed[ref] = nil
            guard let u = ITCH.OrderReplace(m) else { return }
            consumed[u.newOrderRef.rawValue] = ConsumedOrder(side: c.side, price: u.price.rawValue)
        case 0x44:
            consumed[ref] = nil
        default:
            return  // X: the day cancels part of it
        }
    }

    /// A recorded execution of `shares` at `price` on `side` whose order our orders had taken
    /// (whole, or those shares of it): the aggressor is not lost with the order. It meets what
    /// rests on that side now, best price first and in queue order, ours and the recorded day's
    /// alike, as far as `ConsumedLiquidity` lets it reach. A recorded order it takes whole joins
    /// `consumed`; one it takes part of is short from then on (its later executions come back).
    func reroute(locate: StockLocate, side: Side, price: Int64, shares: UInt32) {
        guard configuration.consumedLiquidity != .drop, shares > 0 else { return }
        counters.reroutedShares &+= UInt64(shares)
        var left = shares
        while left > 0, let lv = book.level(locate: locate, side: side, index: 0) {
            let p = lv.price.rawValue
            guard p > 0 else { break }
            if configuration.consumedLiquidity == .atPrice, side == .buy ? p < price : p > price { break }
            let n = walk(locate: locate, side: side, price: lv.price)
            var i = 0
            var tookHere = false
            while i < n, left > 0 {
                let r = walkRefs[i]
                let took = min(left, walkShares[i])
                i += 1
                guard took > 0 else { continue }
                var met = took
                if let own = ourSlot(r) {
                    met = min(took, orders[Int(own)].leaves)
                    guard orders[Int(own)].live, met > 0 else { continue }
                }
                tookHere = true
                meetResting(i - 1, shares: met, locate: locate, side: side, price: lv.price, match: nextMatchNumber(), ours: .rerouted)
                left -= met
            }
            guard tookHere else { break }
        }
        counters.reroutedUnfilled &+= UInt64(left)
    }

    /// A walking aggressor (a take of ours, or a rerouted recorded one) meets the walked order
    /// `i` (`walkRefs`, `walkShares`) for `shares`: ours fills, passive, by `ours`; a recorded
    /// one executes on the venue's book and feed, its displaced shares first, and joins
    /// `consumed` when it is taken whole.
    func meetResting(_ i: Int, shares: UInt32, locate: StockLocate, side: Side, price: Price, match: UInt64, ours: FillCause) {
        let r = walkRefs[i]
        if let own = ourSlot(r) {
            passiveFill(own, shares: shares, price: price, match: match, cause: ours)
            return
        }
        _ = book.execute(ref: OrderRef(rawValue: r), shares: Shares(rawValue: shares))
        publishExecute(locate, OrderRef(rawValue: r), shares, match)
        if !displaced.isEmpty { consumeHeld(r, shares) }
        if shares == walkShares[i] { consumed[r] = ConsumedOrder(side: side, price: price.rawValue) }
    }

    /// Fills what the recorded day does not know of on `side` (our orders, displaced shares) at
    /// the prices `accept` takes, best price first and in queue order, up to `left`. Recorded
    /// orders of their own there are passed over (only a feed that trades out of price-time
    /// order leaves any).
    func fillUnrecorded(locate: StockLocate, side: Side, left: inout UInt32, cause: FillCause, accept: (Int64) -> Bool) {
        var i = 0
        while left > 0, let lv = book.level(locate: locate, side: side, index: i), accept(lv.price.rawValue) {
            let n = walk(locate: locate, side: side, price: lv.price)
            fillWalked(n, locate: locate, price: lv.price, left: &left, cause: cause, ours: true)
            // The level is still there (recorded orders of its own, or `left` ran out): next one.
            if book.level(locate: locate, side: side, index: i)?.price == lv.price { i += 1 }
        }
    }

    /// Copies one level's orders, front first, into `walkRefs` and `walkShares` (up to
    /// `walkCapacity`, and only those ahead of `before` when given); returns how many.
    func walk(locate: StockLocate, side: Side, price: Price, before: OrderRef? = nil) -> Int {
        var n = 0
        var stop = false
        book.forEachOrder(locate: locate, side: side, price: price) { r, s in
            guard !stop, n < walkCapacity else { return }
            if r == before { stop = true; return }
            walkRefs[n] = r.rawValue
            walkShares[n] = s.rawValue
            n += 1
        }
        return n
    }

    /// Fills, front first, the walked orders (`walkRefs`, `walkShares`, `n` of them, at `price`)
    /// the recorded day does not know of: ours (when `ours`), and displaced shares.
    func fillWalked(_ n: Int, locate: StockLocate, price: Price, left: inout UInt32, cause: FillCause, ours: Bool) {
        var i = 0
        while i < n, left > 0 {
            let r = walkRefs[i]
            if let s = ourSlot(r) {
                if ours {
                    let took = min(left, orders[Int(s)].leaves)
                    passiveFill(s, shares: took, price: price, match: nextMatchNumber(), cause: cause)
                    left -= took
                }
            } else if !displaced.isEmpty, let h = displaced[r] {
                let took = min(left, h.shares, walkShares[i])
                if took > 0 {
                    _ = book.execute(ref: OrderRef(rawValue: r), shares: Shares(rawValue: took))
                    publishExecute(locate, OrderRef(rawValue: r), took, nextMatchNumber())
                    consumeHeld(r, took)
                    counters.heldFills &+= 1
                    counters.heldFilledShares &+= UInt64(took)
                    left -= took
                }
            }
            i += 1
        }
    }

    /// An ITCH P (a hidden order of `side` executed at `price`): ours on that side at a better
    /// price (or the same, when configured) were ahead of it.
    func recordedHiddenPrint(locate: StockLocate, side: Side, price: Int64, shares: UInt32) {
        guard configuration.hiddenPrints != .ignore else { return }
        var left = shares
        while left > 0 {
            let s: Int32?
            if configuration.hiddenPrints == .atOurPrice {
                s = bestOurs(locate: locate, side: side, strictlyBetterThan: side == .buy ? price - 1 : price + 1)
            } else {
                s = bestOurs(locate: locate, side: side, strictlyBetterThan: price)
            }
            guard let s else { return }
            let took = min(left, orders[Int(s)].leaves)
            passiveFill(s, shares: took, price: orders[Int(s)].price, match: nextMatchNumber(), cause: .hiddenPrint)
            left -= took
        }
    }

    func nextMatchNumber() -> UInt64 {
        let m = nextMatch
        nextMatch &+= 1
        return m
    }

    /// Our resting order on `side` with the best priority among those priced strictly better
    /// than `price` (higher for buys, lower for sells), or nil.
    func bestOurs(locate: StockLocate, side: Side, strictlyBetterThan price: Int64) -> Int32? {
        var best: Int32 = -1
        var bestPrice: Int64 = 0
        var s = sideHead[countIndex(locate, side)]
        while s >= 0 {
            defer { s = orders[Int(s)].nextOnSide }
            let o = orders + Int(s)
            guard o.pointee.leaves > 0 else { continue }
            let p = o.pointee.price.rawValue
            guard side == .buy ? p > price : p < price else { continue }
            if best >= 0 {
                let strictly = side == .buy ? p > bestPrice : p < bestPrice
                guard strictly || (p == bestPrice && o.pointee.priority < orders[Int(best)].priority) else { continue }
            }
            best = s
            bestPrice = p
        }
        return best >= 0 ? best : nil
    }

    /// A live order of ours rests in the venue's book whenever the recorded flow is applied (it
    /// is out of the book only inside `enter` and `replace`, between its removal and `rest`).
    @inline(__always)
    func isResting(_ slot: Int32) -> Bool { orders[Int(slot)].live }

    func forEachOurs(locate: StockLocate, side: Side, price: Int64, _ body: (Int32) -> Void) {
        // Collected first: `body` may fill an order, which takes it out of `liveSlots`.
        var n = 0
        var s = sideHead[countIndex(locate, side)]
        while s >= 0, n < slotScratchCapacity {
            if orders[Int(s)].price.rawValue == price { slotScratch[n] = s; n += 1 }
            s = orders[Int(s)].nextOnSide
        }
        var i = 0
        while i < n {
            if isResting(slotScratch[i]) { body(slotScratch[i]) }
            i += 1
        }
    }

    /// The recorded book's best price on `side`, our orders left out (nil: none).
    func recordedTouch(_ locate: StockLocate, _ side: Side) -> Int64? {
        var i = 0
        while let lv = book.level(locate: locate, side: side, index: i) {
            if lv.shares > oursAt(locate, side, lv.price.rawValue) { return lv.price.rawValue }
            i += 1
        }
        return nil
    }

    func oursAt(_ locate: StockLocate, _ side: Side, _ price: Int64) -> UInt64 {
        var n: UInt64 = 0
        for s in liveSlots {
            let o = orders[Int(s)]
            if o.locate == locate, o.side == side, o.price.rawValue == price { n &+= UInt64(o.leaves) }
        }
        return n
    }

    // MARK: - Publishing (to our engine, one feed latency later)

    /// When what the venue publishes now reaches our engine. One draw per venue instant: the
    /// messages of one event (an order's executions, our add and what it crossed) leave in one
    /// packet and arrive together, as they do live; a draw per message would spread them over
    /// the latency's range and make the strategy decide on half an event.
    /// A trace (`LatencyModel.trace`) is asked per message instead: it holds the recorded run's
    /// latency message by message, a burst's spread included.
    @inline(__always)
    func feedArrival() -> UInt64 {
        if feedLatency.isTrace { return venueNow &+ feedLatency.next(at: venueNow) }
        if venueNow != feedDrawAt {
            feedDrawAt = venueNow
            feedDraw = feedLatency.next(at: venueNow)
        }
        return venueNow &+ feedDraw
    }

    func publish(_ write: (UnsafeMutableRawBufferPointer) -> Int?) {
        let at = handlingOurs && ownDelay != nil ? feedArrival() &+ ownDelay!.next(at: venueNow) : feedArrival()
        if published.push(at: at, maxBytes: 64, write) {
            counters.messagesPublished &+= 1
        } else {
            // Not encodable (a time past ITCH's 48 bits, a price past 32): the engine's book would
            // part from the venue's. The backtester keeps times within the day, so never.
            counters.unpublishable &+= 1
        }
    }

    func publishAdd(_ locate: StockLocate, _ ref: OrderRef, _ side: Side, _ shares: UInt32, _ price: Price) {
        let stock = directory[locate] ?? Symbol(rawValue: 0)
        let t = stampNow
        publish { ITCHEncoder.addOrder(into: $0, stockLocate: locate, timestamp: t, orderRef: ref, side: side, shares: Shares(rawValue: shares), stock: stock, price: price) }
    }

    func publishExecute(_ locate: StockLocate, _ ref: OrderRef, _ shares: UInt32, _ match: UInt64) {
        let t = stampNow
        publish { ITCHEncoder.orderExecuted(into: $0, stockLocate: locate, timestamp: t, orderRef: ref, executedShares: Shares(rawValue: shares), matchNumber: match) }
    }

    func publishCancel(_ locate: StockLocate, _ ref: OrderRef, _ shares: UInt32) {
        let t = stampNow
        publish { ITCHEncoder.orderCancel(into: $0, stockLocate: locate, timestamp: t, orderRef: ref, cancelledShares: Shares(rawValue: shares)) }
    }

    func publishDelete(_ locate: StockLocate, _ ref: OrderRef) {
        let t = stampNow
        publish { ITCHEncoder.orderDelete(into: $0, stockLocate: locate, timestamp: t, orderRef: ref) }
    }

    func publishReplace(_ locate: StockLocate, old: OrderRef, new: OrderRef, shares: UInt32, price: Price) {
        let t = stampNow
        publish { ITCHEncoder.orderReplace(into: $0, stockLocate: locate, timestamp: t, originalOrderRef: old, newOrderRef: new, shares: Shares(rawValue: shares), price: price) }
    }

    func locateOfMessage(_ m: UnsafeRawBufferPointer) -> StockLocate {
        guard m.count >= 3 else { return StockLocate(rawValue: 0) }
        return StockLocate(rawValue: UInt16(m[1]) << 8 | UInt16(m[2]))
    }

    // MARK: - Answers (to our gateway, one response latency later)

    func emit<M: OUCH42Encodable>(_ m: M) {
        guard let n = m.encode(into: UnsafeMutableRawBufferPointer(rebasing: scratch[3...])),
              SoupBinTCP.writeHeader(into: scratch, type: .sequencedData, payloadLength: n) != nil else { return }
        answer(UnsafeRawBufferPointer(rebasing: scratch[0..<(3 + n)]))
    }

    func answer(_ bytes: UnsafeRawBufferPointer) {
        var at = venueNow
        if handlingRecorded, fillDelay != nil {
            // A fill the recorded event made: answered before the event was published.
            if fillLead == nil { fillLead = fillDelay!.next(at: venueNow) }
            at = venueNow &- min(fillLead!, min(clockBehind, venueNow))
        }
        lastAnswerTime = answers.push(bytes, at: at &+ responseLatency.next(at: at))
    }

    // MARK: - Tokens

    /// Marks a token used for the day; false when it was already.
    func useToken(_ t: Alpha14) -> Bool {
        if let n = OrderTokens.orderNumber(t), n < 1 << 26 {
            let i = Int(n)
            if i >= tokenUsed.count { grow(to: i) }
            if tokenUsed[i] { return false }
            tokenUsed[i] = true
            return true
        }
        return usedTokens.insert(t).inserted
    }

    func slot(for t: Alpha14) -> Int32? {
        if let n = OrderTokens.orderNumber(t), n < 1 << 26 {
            let i = Int(n)
            guard i < tokenSlot.count, tokenSlot[i] > 0 else { return nil }
            return tokenSlot[i] - 1
        }
        return byToken[t]
    }

    func setToken(_ t: Alpha14, _ slot: Int32?) {
        if let n = OrderTokens.orderNumber(t), n < 1 << 26 {
            let i = Int(n)
            if i >= tokenSlot.count { grow(to: i) }
            tokenSlot[i] = slot.map { $0 + 1 } ?? 0
            return
        }
        byToken[t] = slot
    }

    func grow(to i: Int) {
        let n = max(i + 1, tokenSlot.count * 2, 1 << 12)
        tokenSlot.append(contentsOf: repeatElement(0, count: n - tokenSlot.count))
        tokenUsed.append(contentsOf: repeatElement(false, count: n - tokenUsed.count))
    }

    // MARK: - Symbols

    func locate(of stock: Alpha8) -> StockLocate? {
        if let l = locateOf[stock] { return l }
        guard directory.count != directoryCountSeen else { return nil }
        directoryCountSeen = directory.count
        for l in 1..<min(configuration.maxLocates, 65_536) {
            let loc = StockLocate(rawValue: UInt16(l))
            if let s = directory[loc], let a = Alpha8(s.description) { locateOf[a] = loc }
        }
        return locateOf[stock]
    }

    /// Our live orders (the venue's view): order number -> open shares.
    public func liveOrders() -> [UInt32: UInt32] {
        var d: [UInt32: UInt32] = [:]
        for s in liveSlots { d[OrderTokens.orderNumber(orders[Int(s)].token) ?? 0] = orders[Int(s)].leaves }
        return d
    }
}

struct VenueOrder {
    var token: Alpha14
    var ref: UInt64
    var locate: StockLocate
    var side: Side
    var price: Price
    var leaves: UInt32
    /// Shares executed over the replace chain.
    var executed: UInt32
    var live: Bool
    var joinedAt: UInt64
    var aheadAtEntry: UInt64
    /// Join order among ours (earlier = ahead at the same price).
    var priority: UInt64
    /// The probabilistic model's estimate of the shares ahead.
    var front: Double
    var tradedAtLevel: UInt64
    var stock: Alpha8
    var tif: UInt32
    var firm: Alpha4
    var display: ASCIICode
    var capacity: ASCIICode
    var sweep: ASCIICode
    var cross: ASCIICode
    var nextOnSide: Int32 = -1
    var prevOnSide: Int32 = -1
}

/// The venue as the sink of the one ITCH-to-book path: the recorded flow meets our resting
/// orders (and displaced shares) here. Nothing is done for a stock and side where neither rests
/// (two loads).
struct ExchangeSink: BookFeedSink {
    let venue: Unmanaged<BacktestVenue>?
    let ourCount: UnsafeMutablePointer<UInt16>?
    /// Recorded orders holding displaced shares, per locate and side (`BacktestVenue.displaced`).
    let heldCount: UnsafeMutablePointer<UInt32>?
    /// Locates `ourCount` has room for (a corrupt feed names any of 65,536).
    let locates: Int
    var pendingAdd: OrderRef?
    /// The side and price of `pendingAdd` when it is an add's (a replace's come from the book).
    var pendingAddOrder: (side: Side, price: Int64)?
    var replacedFrom: OrderRef?
    /// The stock of the message being applied (set by the venue before it dispatches).
    var currentLocate = StockLocate(rawValue: 0)

    // The order a cancel, delete or replace removes is looked up here, and only for a stock where
    // we have orders (most messages are for others: no lookup at all).
    static var wantsRemovedOrders: Bool { false }

    /// The queue model estimates our place from removals (`recordedRemoval`): only then does a
    /// cancel, delete or replace need the order it removes.
    let removalsMoveQueue: Bool

    init(venue: Unmanaged<BacktestVenue>?, ourCount: UnsafeMutablePointer<UInt16>?, heldCount: UnsafeMutablePointer<UInt32>? = nil, locates: Int = 0,
         removalsMoveQueue: Bool = false) {
        self.venue = venue
        self.ourCount = ourCount
        self.heldCount = heldCount
        self.locates = locates
        self.removalsMoveQueue = removalsMoveQueue
    }

    @inline(__always)
    func ours(_ locate: StockLocate, _ side: Side) -> Bool {
        guard let ourCount, Int(locate.rawValue) < locates else { return false }
        return ourCount[Int(locate.rawValue) << 1 | (side == .sell ? 1 : 0)] > 0
    }

    /// Ours or displaced shares rest there: what the recorded flow may meet first.
    @inline(__always)
    func watched(_ locate: StockLocate, _ side: Side) -> Bool {
        guard Int(locate.rawValue) < locates else { return false }
        let i = Int(locate.rawValue) << 1 | (side == .sell ? 1 : 0)
        return (ourCount.map { $0[i] > 0 } ?? false) || (heldCount.map { $0[i] > 0 } ?? false)
    }

    @inline(__always)
    mutating func message(sequence: UInt64) {
        pendingAdd = nil
        pendingAddOrder = nil
        replacedFrom = nil
    }

    @inline(__always)
    mutating func willAdd(locate: StockLocate, ref: OrderRef, side: Side, shares: Shares, price: Price, time: VenueTime) {
        guard watched(locate, .buy) || watched(locate, .sell) else { return }
        pendingAdd = ref
        pendingAddOrder = (side, price.rawValue)
    }

    @inline(__always)
    mutating func willExecute(_ order: BookOrder?, ref: OrderRef, shares: Shares, time: VenueTime) {
        guard let o = order else { return }
        if o.shares.rawValue < shares.rawValue, let v = venue {
            // Our orders took some of its shares earlier: the rest of the aggressor goes on
            // (`BacktestVenue.reroute`, once the message is applied).
            v._withUnsafeGuaranteedRef {
                $0.counters.consumedCollisions &+= 1
                $0.pendingReroute = (o.locate, o.side, o.price.rawValue, shares.rawValue - o.shares.rawValue)
            }
        }
        // Met our orders before the feed applied it (displacement): nothing more to do.
        if venue?._withUnsafeGuaranteedRef({ $0.executionHandled }) == true { return }
        if venue?._withUnsafeGuaranteedRef({ $0.ourSlot(ref.rawValue) }) != nil { return }
        guard ours(o.locate, o.side) else { return }
        _ = venue?._withUnsafeGuaranteedRef { $0.recordedExecution(o, ref: ref, shares: shares.rawValue) }
    }

    @inline(__always)
    mutating func willRemove(_ order: BookOrder?, ref: OrderRef, removed: UInt32, replacement: OrderRef?, time: VenueTime) {
        guard watched(currentLocate, .buy) || watched(currentLocate, .sell), let v = venue else { return }
        if let r = replacement {
            // Checked once the book has applied it (`applied`: an unknown old order is not
            // applied, and nothing follows).
            pendingAdd = r
            replacedFrom = ref
        }
        // The FIFO model reads no removal: no lookup of the order (a third of the messages).
        guard removalsMoveQueue, let o = v._withUnsafeGuaranteedRef({ $0.book.order(ref) }), ours(o.locate, o.side) else { return }
        // Without the order, the feed passes a cancel's shares and 0 for a delete or replace.
        let n = removed == 0 || replacement != nil ? o.shares.rawValue : min(removed, o.shares.rawValue)
        v._withUnsafeGuaranteedRef { $0.recordedRemoval(o, removed: n) }
    }

    @inline(__always)
    mutating func applied(_ update: BookUpdate, time: VenueTime) {
        guard let ref = pendingAdd else { return }
        pendingAdd = nil
        guard update.outcome == .applied, watched(update.locate, update.side.opposite), let v = venue else { return }
        let from = replacedFrom
        let known = pendingAddOrder
        v._withUnsafeGuaranteedRef { venue in
            // An add that does not reach the other side's best price crosses nothing (the usual
            // case): decided from the message and the side's best, without reading the order.
            // A replace's new order is in the book now: its price is no better than its side's
            // best, so a side whose best crosses nothing holds no crossing order either.
            let side = known?.side ?? update.side
            guard let price = known?.price ?? venue.book.bestPrice(locate: update.locate, side: side)?.rawValue,
                  let best = venue.book.bestPrice(locate: update.locate, side: side.opposite)?.rawValue,
                  side == .sell ? best >= price : best <= price else { return }
            guard let x = venue.book.order(ref) else { return }
            let kept = venue.recordedAddCrossing(x, ref: ref)
            guard kept < x.shares.rawValue else { return }
            if kept == 0 {
                _ = venue.book.delete(ref: ref)
                venue.consumed[ref.rawValue] = BacktestVenue.ConsumedOrder(side: x.side, price: x.price.rawValue)
                venue.suppressCurrent = true
                // A replace that our orders took whole: its old order is gone, publish that.
                venue.deleteInstead = from
            } else {
                _ = venue.book.cancel(ref: ref, shares: Shares(rawValue: x.shares.rawValue - kept))
                venue.republishShares = kept
            }
        }
    }

    @inline(__always)
    mutating func hiddenTrade(_ m: ITCH.Trade) {
        guard let side = m.side, ours(m.stockLocate, side), let v = venue else { return }
        v._withUnsafeGuaranteedRef { $0.recordedHiddenPrint(locate: m.stockLocate, side: side, price: m.price.rawValue, shares: m.shares.rawValue) }
    }
}
