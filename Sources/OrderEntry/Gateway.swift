// The order gateway: strategy decisions in, OUCH on the wire out, venue answers back into the
// order store. One thread owns it (the hot loop); nothing here allocates per order: messages
// are encoded straight into the SoupBinTCP client's send buffer.
//
// Order numbers are consecutive from `firstOrderNumber`: the OUCH 4.2 token is "TW" followed
// by the number in twelve digits, the OUCH 5.0 UserRefNum is the number itself, so the venue's
// answers map back to the store by parsing, never by a lookup table. After a restart the
// journal (or the venue's replay) says where the numbering resumes; a number is never reused.
public import Risk
// What a strategy sees of the gateway (OrderKindRequest, SubmitResult, GatewayEvent) lives in
// OrderEvents, which the strategies depend on instead of this module; re-exported for users of
// the gateway.
@_exported public import OrderEvents
import CShims
public import TickwireCore

public enum OUCHVersion: String, Sendable, Equatable {
    case v42 = "4.2"
    case v50 = "5.0"
}

/// A venue message that cannot be true: it is not applied, it is counted and kept with its bytes
/// (`OrderGateway.lastVenueViolation`), and it fires the kill switch (`KillReason.venueViolation`):
/// a venue that lies about our orders is a venue we stop trading with.
public enum VenueViolation: UInt8, Sendable, CaseIterable, CustomStringConvertible {
    /// An execution for an order number we never entered (or whose slot is gone).
    case unknownOrder
    /// An execution for a token that is not one of ours (OUCH 4.2).
    case foreignToken
    /// An execution, cancel or replace of an order already filled, canceled, replaced or rejected.
    case afterTerminal
    /// An execution for an order the venue has not accepted (its Accepted always comes first).
    case beforeAccepted
    /// An execution of zero shares.
    case zeroShares
    /// An execution of more shares than the order has open.
    case overfill
    /// A cancel of more shares than the order has open.
    case cancelBeyondOpen
    /// More shares than we asked for (an Accepted or a Replaced).
    case sizeAboveRequest
    /// A price of zero or less, or above `OrderGateway.maxVenuePrice`.
    case priceOutOfRange
    /// A buy executed or accepted above its limit, a sell below it.
    case priceThroughLimit
    /// An execution whose notional (price × shares, summed over the order) overflows Int64.
    case notionalOverflow
    /// An event the order's state machine refuses (the store counts it in `violations`): a
    /// cancel of more than is open, an Accepted for an order already accepted, an event after
    /// the order's end, ...
    case illegalTransition

    public var description: String {
        switch self {
        case .unknownOrder: "execution for an order never entered"
        case .foreignToken: "execution for a token that is not ours"
        case .afterTerminal: "event after the order ended"
        case .beforeAccepted: "execution before the order was accepted"
        case .zeroShares: "execution of zero shares"
        case .overfill: "execution beyond the open shares"
        case .cancelBeyondOpen: "cancel beyond the open shares"
        case .sizeAboveRequest: "more shares than requested"
        case .priceOutOfRange: "price outside the sane range"
        case .priceThroughLimit: "price through the order's limit"
        case .notionalOverflow: "notional overflows"
        case .illegalTransition: "illegal state transition"
        }
    }
}

/// The last venue violation: what, for which order number (0 when the message named none we
/// could parse), and the message's bytes as they came.
public struct VenueViolationRecord: Sendable, Equatable, CustomStringConvertible {
    public var kind: VenueViolation
    public var order: UInt32
    public var bytes: [UInt8]
    public var description: String {
        "\(kind) (order \(order)): \(bytes.map { String($0, radix: 16).count == 1 ? "0" + String($0, radix: 16) : String($0, radix: 16) }.joined())"
    }
}

public protocol GatewayListener {
    mutating func gateway(_ event: GatewayEvent, sequence: UInt64)
}

public struct NoGatewayListener: GatewayListener {
    public init() {}
    public mutating func gateway(_ event: GatewayEvent, sequence: UInt64) {}
}

public struct GatewayCounters: Sendable, Equatable {
    public var sent: UInt64 = 0
    public var cancelsSent: UInt64 = 0
    public var replacesSent: UInt64 = 0
    public var accepted: UInt64 = 0
    public var executions: UInt64 = 0
    public var rejected: UInt64 = 0
    public var undecodable: UInt64 = 0
    public var foreignTokens: UInt64 = 0
    public var adopted: UInt64 = 0
    public var refusedWhileReplaying: UInt64 = 0
    public var riskRejects: UInt64 = 0
    public var killSwitches: UInt64 = 0
    /// Venue messages refused as impossible (`VenueViolation`); each fires the kill switch.
    public var venueViolations: UInt64 = 0
    /// New orders and replaces refused, and cancels not sent, because the send queue was full.
    public var sendQueueRefusals: UInt64 = 0
    /// New orders and replaces refused because the journal could not record them.
    public var journalRefusals: UInt64 = 0
    /// Venue answers (and cancels) whose record found no room in the journal.
    public var journalRecordsDropped: UInt64 = 0
}

public final class OrderGateway<Transport: ByteStreamTransport> {
    public let version: OUCHVersion
    public let client: SoupBinTCPClient<Transport>
    public let store: OrderStore
    /// Symbol of each locate (index = locate).
    public let symbols: [Alpha8]
    /// The firm shown on OUCH 4.2 orders.
    public var firm: Alpha4 = .blank
    /// The number the next order (or replacement) takes.
    public var nextOrderNumber: UInt32 { orderNumber }
    var orderNumber: UInt32
    /// `OrderTokens.token(orderNumber)`, kept with it: an order takes the token ready-made and
    /// leaves the next one, mostly a decimal increment of its last digits (`takeOrderNumber`).
    var nextToken: Alpha14
    public private(set) var counters = GatewayCounters()
    /// Connections made so far; orders remember the one they were sent on.
    public private(set) var epoch: UInt32 = 0
    /// After a reconnect: requests of earlier connections still unanswered when the venue's
    /// replay is over (its first heartbeat after the login) never reached it. Until then no new
    /// order goes out (its number might belong to an order the replay is about to reveal).
    public private(set) var settleAfterReplay = false
    /// A guard tripped while a venue message was applied: the kill switch fires after it.
    var pendingKill: KillReason?
    /// The journal's failure has fired the kill switch (once).
    var journalKillFired = false
    /// An order was adopted from the venue (no reservation in risk yet): it gets one once the
    /// message is done, or after the replay when one is under way.
    var adoptedWithoutRisk = false
    /// The first reason the kill switch fired for (nil: it has not), with or without risk.
    public private(set) var killReason: KillReason?
    /// The highest price a venue message may carry, 1/10,000 dollars ($1,000,000 by default:
    /// above any US listed share). With executions bounded by an order's open shares, this keeps
    /// every notional of a fill far inside Int64.
    public var maxVenuePrice = Price(rawValue: 10_000_000_000)
    /// Room in the session's send queue that new orders and replaces leave for cancels (8 KiB:
    /// a few hundred cancels), so that a venue that stops reading can still be told to cancel.
    public var cancelReserve = 8 * 1024
    /// What a journal failure does: false (the default) fires the kill switch, so that no order
    /// goes out without a durable record; true trades on, counting what was not recorded
    /// (`journalRecordsDropped`) and reporting the failure.
    public var continueWithoutJournal = false
    /// The last venue message refused as impossible, with its bytes.
    public private(set) var lastVenueViolation: VenueViolationRecord?
    /// Called (on the gateway's thread) with each venue violation, to log it.
    public var onVenueViolation: ((VenueViolationRecord) -> Void)?
    public let journal: JournalWriter?
    /// The same journal unretained, for the hot path (`journal` keeps it alive): binding the
    /// strong optional cost a retain and a release per order (package-benchmark, journaled).
    let hotJournal: Unmanaged<JournalWriter>?
    /// Pre-trade risk, inline on every order (nil: none, e.g. a test of the wire alone).
    public let risk: RiskEngine?
    /// The same engine for the hot path, unretained (`risk` keeps it alive): reading a strong
    /// optional reference cost a retain and a release per order (package-benchmark).
    let hotRisk: Unmanaged<RiskEngine>?
    /// Net position per locate, from executions.
    public private(set) var positions: [Int64]
    /// When set, every order records the TSC after its risk check, once its message is encoded
    /// (just before the send call) and once the send call has returned (`lastRiskTSC`,
    /// `lastEncodedTSC`, `lastSentTSC`): the appliance's per-stage latency accounting.
    public var stampStages = false
    public private(set) var lastRiskTSC: UInt64 = 0
    public private(set) var lastEncodedTSC: UInt64 = 0
    public private(set) var lastSentTSC: UInt64 = 0
    let locateOf: [Alpha8: StockLocate]

    public init(version: OUCHVersion, credentials: SoupBinTCPCredentials, symbols: [Alpha8], capacity: Int = 1 << 16,
                firstOrderNumber: UInt32 = 1, nextSequence: UInt64 = 1, journal: JournalWriter? = nil, risk: RiskEngine? = nil) {
        self.version = version
        self.risk = risk
        hotRisk = risk.map { Unmanaged.passUnretained($0) }
        client = SoupBinTCPClient(credentials: credentials, nextSequence: nextSequence)
        store = OrderStore(capacity: capacity)
        self.symbols = symbols
        orderNumber = max(firstOrderNumber, 1)
        nextToken = OrderTokens.token(max(firstOrderNumber, 1))
        self.journal = journal
        hotJournal = journal.map { .passUnretained($0) }
        positions = Array(repeating: 0, count: symbols.count)
        var map: [Alpha8: StockLocate] = [:]
        for (i, a) in symbols.enumerated() where i > 0 { map[a] = StockLocate(rawValue: UInt16(i)) }
        locateOf = map
    }

    /// Rebuilds the state a journal recorded: orders and their states, positions, the next
    /// order number and the next sequence number to ask the venue for. Call before the first
    /// `connect`; after the login the venue replays what the journal missed, and requests it
    /// never answered are settled as lost. Returns the number of records applied.
    @discardableResult
    public func restore(_ records: [JournalRecord]) -> Int {
        var maxId: UInt32 = 0
        var lastSeq: UInt64 = 0
        for r in records {
            guard let k = r.journalKind else { continue }
            maxId = max(maxId, r.id, r.other)
            lastSeq = max(lastSeq, r.seq)
            let locate = StockLocate(rawValue: r.locate)
            let side = Side(rawValue: r.side) ?? .buy
            switch k {
            case .sent:
                store.new(id: r.id, locate: locate, side: side, price: Price(rawValue: r.price), quantity: r.shares, epoch: 0)
            case .cancelSent:
                store.cancelSent(id: r.id)
            case .replaceSent:
                if let o = store.order(r.other) {
                    store.new(id: r.id, locate: o.locate, side: o.side, price: Price(rawValue: r.price), quantity: r.shares, replaces: r.other, epoch: 0)
                    store.replaceSent(old: r.other, new: r.id)
                }
            case .accepted:
                if store.order(r.id) == nil {
                    store.new(id: r.id, locate: locate, side: side, price: Price(rawValue: r.price), quantity: r.shares, epoch: 0)
                }
                store.accepted(id: r.id, venueRef: OrderRef(rawValue: r.ref), shares: r.shares)
            case .executed:
                if let o = store.order(r.id), store.executed(id: r.id, shares: r.shares, price: Price(rawValue: r.price)) {
                    bookFill(o.locate, o.side, r.shares)
                    _ = risk?.positions.onFill(locate: o.locate, side: o.side, shares: Shares(rawValue: r.shares), price: Price(rawValue: r.price))
                }
            case .canceled:
                store.canceled(id: r.id, decrement: r.shares)
            case .replaced:
                store.replaced(old: r.other, new: r.id, venueRef: OrderRef(rawValue: r.ref), shares: r.shares, price: Price(rawValue: r.price))
            case .rejected:
                store.rejected(id: r.id)
            case .cancelRejected:
                store.cancelRejected(id: r.id)
            case .sequence:
                break
            }
        }
        resumeNumbering(after: maxId)
        if lastSeq > 0 { client.resume(nextSequence: lastSeq + 1) }
        settleAfterReplay = true
        return records.count
    }

    @inline(__always)
    func bookFill(_ locate: StockLocate, _ side: Side, _ shares: UInt32) {
        let l = Int(locate.rawValue)
        if l < positions.count { positions[l] += side == .buy ? Int64(shares) : -Int64(shares) }
    }

    /// Connects a fresh transport: logs in asking for the next expected sequence number.
    public func connect(_ t: Transport, now: Int64) {
        epoch &+= 1
        settleAfterReplay = settleAfterReplay || epoch > 1
        client.start(t, now: now)
    }

    public var isLoggedIn: Bool { client.state == .loggedIn }

    /// Order numbers resume after `n` (a restart: the highest number the journal or the venue's
    /// replay has seen).
    public func resumeNumbering(after n: UInt32) {
        guard n >= orderNumber else { return }
        orderNumber = n &+ 1
        nextToken = OrderTokens.token(orderNumber)
    }

    /// Takes `nextOrderNumber` for an order going out: returns its token and moves both on.
    @inline(__always)
    func takeOrderNumber() -> Alpha14 {
        let token = nextToken
        orderNumber &+= 1
        nextToken = OrderTokens.successor(of: token, number: orderNumber)
        return token
    }

    // MARK: - Tokens

    /// "TW" + twelve digits (see `OrderTokens`).
    @inline(__always)
    public static func token(_ id: UInt32) -> Alpha14 { OrderTokens.token(id) }

    @inline(__always)
    public static func orderNumber(_ token: Alpha14) -> UInt32? { OrderTokens.orderNumber(token) }

    // MARK: - Orders out

    /// From here to `releaseSends`, orders, replaces and cancels are encoded one after the
    /// other and leave together in one write (`SoupBinTCPClient.holdSends`): the actions of
    /// one decision. Each is accounted as sent when it is committed, as a send into the
    /// transport is; `lastSentTSC` is the release's return.
    @inline(__always)
    public func holdSends() { client.holdSends() }

    /// Writes what was held; false when the transport refused it (the session then drops and
    /// the reconnect settles what the venue never received).
    @discardableResult
    public func releaseSends(now: Int64) -> Bool {
        let ok = client.releaseSends(now: now)
        if stampStages { lastSentTSC = tw_rdtsc() }
        return ok
    }

    /// Sends a new limit order. Nothing is sent unless the session is up and the store has room.
    public func submit(locate: StockLocate, side: Side, shares: UInt32, price: Price, kind: OrderKindRequest = .day,
                       now: Int64) -> SubmitResult {
        guard client.state == .loggedIn else { return .notLoggedIn }
        guard !settleAfterReplay else {
            counters.refusedWhileReplaying += 1
            return .notLoggedIn
        }
        let l = Int(locate.rawValue)
        guard l > 0, l < symbols.count else { return .unknownSymbol }
        guard client.sendRoom >= cancelReserve + SoupBinTCPClient<Transport>.messageRoom else {
            counters.sendQueueRefusals += 1
            return .sendBufferFull
        }
        if let j = hotJournal, !j._withUnsafeGuaranteedRef({ journalTakes($0, now: now) }) { return .journalUnavailable }
        let id = nextOrderNumber
        var rid: RiskOrderID?
        if let risk = hotRisk {
            let d = risk._withUnsafeGuaranteedRef {
                $0.check(OrderIntent(locate: locate, side: side, shares: Shares(rawValue: shares), price: price,
                                     kind: kind == .ioc ? .ioc : .limit), now: UInt64(truncatingIfNeeded: now))
            }
            guard let accepted = d.orderID else {
                counters.riskRejects += 1
                return .refused(reason: d.reject?.rawValue ?? 0)
            }
            rid = accepted
        }
        if stampStages { lastRiskTSC = tw_rdtsc() }
        guard store.new(id: id, locate: locate, side: side, price: price, quantity: shares, epoch: epoch, riskID: rid?.rawValue) else {
            if let rid { hotRisk?._withUnsafeGuaranteedRef { $0.onNotSent(rid) } }
            return .storeFull
        }
        let token = takeOrderNumber()
        hotJournal?._withUnsafeGuaranteedRef {
            _ = $0.append(JournalRecord(kind: .sent, id: id, locate: locate, side: side, shares: shares, price: price, flags: kind == .ioc ? 1 : 0))
        }
        let area = client.messageArea
        let n: Int?
        let ouchSide: OUCHSide = side == .buy ? .buy : .sell
        switch version {
        case .v42:
            n = OUCH42.EnterOrder(orderToken: token, side: ouchSide, shares: Shares(rawValue: shares), stock: symbols[l],
                                  price: price, timeInForce: kind == .ioc ? OUCH42.immediateOrCancel : OUCH42.systemHours, firm: firm,
                                  display: "Y", capacity: "P", intermarketSweepEligibility: "N", minimumQuantity: Shares(rawValue: 0),
                                  crossType: "N", customerType: " ").encode(into: area)
        case .v50:
            n = OUCH50.encodeEnterOrder(into: area, userRefNum: id, side: ouchSide, quantity: Shares(rawValue: shares), symbol: symbols[l],
                                        price: price, timeInForce: kind == .ioc ? "3" : "0", display: "Y", capacity: "P",
                                        intermarketSweepEligibility: "N", crossType: "N", clOrdID: token)
        }
        if stampStages { lastEncodedTSC = tw_rdtsc() }
        guard let n, client.commitUnsequenced(length: n, now: now) else {
            store.rejected(id: id)
            if let rid { hotRisk?._withUnsafeGuaranteedRef { $0.onNotSent(rid) } }
            return .notLoggedIn
        }
        if stampStages { lastSentTSC = tw_rdtsc() }
        if let rid { hotRisk?._withUnsafeGuaranteedRef { $0.onSent(rid) } }
        counters.sent += 1
        store.prefetch(nextOrderNumber)  // after the send: the next order's slot, cold by then
        return .sent(id: id)
    }

    /// Asks the venue to leave `remaining` shares of order `id` (0 cancels it).
    @discardableResult
    public func cancel(id: UInt32, remaining: UInt32 = 0, now: Int64) -> Bool {
        guard client.state == .loggedIn, let o = store.order(id), o.status.isOpen else { return false }
        guard client.sendRoom >= SoupBinTCPClient<Transport>.messageRoom else {
            counters.sendQueueRefusals += 1
            return false
        }
        if stampStages { lastRiskTSC = tw_rdtsc() }  // cancels pass no risk check
        let area = client.messageArea
        let n: Int? = switch version {
        case .v42: OUCH42.CancelOrder(orderToken: OrderTokens.token(id), shares: Shares(rawValue: remaining)).encode(into: area)
        case .v50: OUCH50.CancelOrder(userRefNum: id, quantity: Shares(rawValue: remaining)).encode(into: area)
        }
        // A cancel goes out even when the journal cannot record it (the kill switch's cancels
        // above all): the venue's replay tells a restart what became of the order.
        if let j = hotJournal, !j._withUnsafeGuaranteedRef({ $0.append(JournalRecord(kind: .cancelSent, id: id, shares: remaining)) }) {
            counters.journalRecordsDropped += 1
        }
        if stampStages { lastEncodedTSC = tw_rdtsc() }
        guard let n, client.commitUnsequenced(length: n, now: now) else { return false }
        if stampStages { lastSentTSC = tw_rdtsc() }
        store.cancelSent(id: id)
        counters.cancelsSent += 1
        return true
    }

    /// Replaces order `id` by a new order number with `shares` open at `price`; returns the new
    /// number. `shares` is the open quantity wanted (what risk checks); on the wire OUCH's size
    /// counts the whole replace chain, so it goes out as the chain's earlier executions + this
    /// order's executions + `shares`. Fills of the old order still in flight when the venue
    /// takes the replace come off the new order, at the venue and in risk alike.
    public func replace(id: UInt32, shares: UInt32, price: Price, now: Int64) -> UInt32? {
        guard client.state == .loggedIn, !settleAfterReplay, let o = store.order(id), o.status == .accepted || o.status == .partiallyFilled else { return nil }
        guard client.sendRoom >= cancelReserve + SoupBinTCPClient<Transport>.messageRoom else {
            counters.sendQueueRefusals += 1
            return nil
        }
        if let j = hotJournal, !j._withUnsafeGuaranteedRef({ journalTakes($0, now: now) }) { return nil }
        let new = nextOrderNumber
        if let risk = hotRisk, o.hasRisk {
            // The open size wanted, against the limits with the old order's reservation released.
            let d = risk._withUnsafeGuaranteedRef {
                $0.onReplace(RiskOrderID(rawValue: o.riskID), shares: Shares(rawValue: shares), price: price, now: UInt64(truncatingIfNeeded: now))
            }
            guard d.isAccepted else {
                counters.riskRejects += 1
                return nil
            }
        }
        if stampStages { lastRiskTSC = tw_rdtsc() }
        guard store.new(id: new, locate: o.locate, side: o.side, price: price, quantity: shares, replaces: id, epoch: epoch,
                        riskID: o.hasRisk ? o.riskID : nil) else { return nil }
        let newToken = takeOrderNumber()
        hotJournal?._withUnsafeGuaranteedRef { _ = $0.append(JournalRecord(kind: .replaceSent, id: new, other: id, shares: shares, price: price)) }
        let liable = OUCHRules.replaceSize(open: shares, executedOnChain: o.chainFilled &+ o.filled)
        let area = client.messageArea
        let n: Int? = switch version {
        case .v42:
            OUCH42.ReplaceOrder(existingOrderToken: OrderTokens.token(id), replacementOrderToken: newToken, shares: liable,
                                price: price, timeInForce: OUCH42.systemHours, display: "Y", intermarketSweepEligibility: "N",
                                minimumQuantity: Shares(rawValue: 0)).encode(into: area)
        case .v50:
            OUCH50.ReplaceOrder(origUserRefNum: id, userRefNum: new, quantity: liable, price: price, timeInForce: "0",
                                display: "Y", intermarketSweepEligibility: "N", clOrdID: newToken).encode(into: area)
        }
        if stampStages { lastEncodedTSC = tw_rdtsc() }
        guard let n, client.commitUnsequenced(length: n, now: now) else {
            store.rejected(id: new)
            return nil
        }
        if stampStages { lastSentTSC = tw_rdtsc() }
        store.replaceSent(old: id, new: new)
        counters.replacesSent += 1
        store.prefetch(nextOrderNumber)  // a replace takes an order number too: the next one's slot
        return new
    }

    /// After a restart or a replay: open orders without a reservation in risk (restored from
    /// the journal, or adopted from the venue) get one, so that limits count them again. One that
    /// risk refuses (the limits no longer hold with it) fires the kill switch: what is open is
    /// cancelled rather than carried beyond a limit.
    /// Requests of earlier connections that the venue's replay never answered did not reach it:
    /// the store closes lost new orders and puts orders with a lost replace or cancel back, and
    /// risk follows: a lost new order's reservation is released, and an order whose replacement
    /// was lost goes back from the replacement's size to what it has open. (Cold: after a
    /// reconnect.)
    func settleLostRequests() {
        var lost: [(id: UInt32, replaces: UInt32)] = []
        store.forEachOpen { o in
            if o.status == .pendingNew && o.epoch < epoch { lost.append((o.id, o.replaces)) }
        }
        for l in lost where l.replaces == 0 { riskHook(l.id) { $0.onRejectedByVenue($1) } }
        store.settleUnanswered(before: epoch)
        for l in lost where l.replaces != 0 {
            guard let old = store.order(l.replaces) else { continue }
            riskHook(old.id) { $0.onReplaceRefused($1, open: Shares(rawValue: old.status.isOpen ? old.leaves : 0)) }
        }
    }

    func reattachRisk(now: Int64) {
        guard let risk else { return }
        var missing: [GatewayOrder] = []
        store.forEachOpen { if !$0.hasRisk && $0.leaves > 0 { missing.append($0) } }
        for o in missing {
            let d = risk.check(OrderIntent(locate: o.locate, side: o.side, shares: Shares(rawValue: o.leaves), price: o.price, kind: .limit),
                               now: UInt64(truncatingIfNeeded: now))
            guard let rid = d.orderID else {
                kill(reason: .operator, now: now)
                return
            }
            store.attachRisk(id: o.id, riskID: rid.rawValue)
            risk.onSent(rid)
            if o.status != .pendingNew { risk.onAccepted(rid) }
        }
    }

    /// Whether the journal can record a new order now: room in its ring (else refused and
    /// counted), and not failed (else, unless configured to continue, the kill switch fires).
    @inline(__always)
    func journalTakes(_ j: JournalWriter, now: Int64) -> Bool {
        if j.hasFailed && !continueWithoutJournal {
            if !journalKillFired {
                journalKillFired = true
                kill(reason: .journalFailure, now: now)
            }
            counters.journalRefusals += 1
            return false
        }
        guard j.hasRoom(for: 2) else {
            counters.journalRefusals += 1
            return false
        }
        return true
    }

    /// The kill switch: risk blocks every new order from now on, and every open order is
    /// cancelled. Returns how many cancels went out.
    @discardableResult
    public func kill(reason: KillReason, now: Int64) -> Int {
        _ = risk?.engage(reason: reason)
        if killReason == nil { killReason = reason }
        counters.killSwitches += 1
        return cancelAll(now: now)
    }

    /// Market data for the risk guards (collar reference, crossed or stale book, volatility);
    /// a guard that trips fires the kill switch.
    public func marketData(locate: StockLocate, bid: Price?, ask: Price?, bidShares: UInt64 = 0, askShares: UInt64 = 0, now: Int64) {
        guard let hot = hotRisk else { return }
        let tripped = hot._withUnsafeGuaranteedRef {
            $0.onBBO(locate: locate, bid: bid, ask: ask, bidShares: bidShares, askShares: askShares, now: UInt64(truncatingIfNeeded: now))
        }
        if tripped { kill(reason: hot._withUnsafeGuaranteedRef { $0.killReason } ?? .operator, now: now) }
        if hot._withUnsafeGuaranteedRef({ $0.haltCount }) > 0 { cancelHalted(now: now) }
    }

    /// The strategy's regime model says the market is (or is no longer) in a regime to stand
    /// aside in: risk's regime guard follows on `locates`; what it halts is cancelled (cold).
    public func regime(adverse: Bool, locates: [StockLocate], now: Int64) {
        guard let risk else { return }
        for l in locates { risk.onRegime(locate: l, adverse: adverse) }
        if risk.haltCount > 0 { cancelHalted(now: now) }
    }

    /// A market guard halted symbols: what is open in them is cancelled (cold).
    @inline(never)
    func cancelHalted(now: Int64) {
        guard let risk else { return }
        var halted: [StockLocate] = []
        risk.takeHalts { halted.append($0) }
        var ids: [UInt32] = []
        store.forEachOpen { if halted.contains($0.locate) && $0.status != .pendingCancel { ids.append($0.id) } }
        for id in ids { cancel(id: id, now: now) }
    }

    /// The book of `locate` can no longer be trusted (a capacity overflow made it miss an
    /// order): risk refuses every order in the stock from now on, and what is open in it is
    /// cancelled (it would rest against a book we cannot see). Cold: once per stock at most.
    public func bookUnusable(locate: StockLocate, now: Int64) {
        guard let risk, risk.markBookUnusable(locate) else { return }
        var ids: [UInt32] = []
        store.forEachOpen { if $0.locate == locate && $0.status != .pendingCancel { ids.append($0.id) } }
        for id in ids { cancel(id: id, now: now) }
    }

    /// An unrecovered feed gap: the kill switch.
    public func feedGap(now: Int64) {
        if risk?.feedGap() ?? true { kill(reason: .feedGap, now: now) }
    }

    /// Time-driven guards (stale books); call now and then from the loop.
    public func tick(now: Int64) {
        // Unretained: the loop calls this every 10 ms (a strong `risk` cost a retain and a release).
        guard let hot = hotRisk else { return }
        let tripped = hot._withUnsafeGuaranteedRef { r in !r.isEngaged && r.tick(now: UInt64(truncatingIfNeeded: now)) }
        if tripped { kill(reason: hot._withUnsafeGuaranteedRef { $0.killReason } ?? .staleBook, now: now) }
    }

    /// Risk's open orders, PnL and switch, read without retaining it (the loop's counter
    /// snapshot every 10 ms); nil without risk.
    @inline(__always)
    public func riskSnapshot() -> (openOrders: Int, pnl: Int64, engaged: Bool, guardTrips: UInt64)? {
        hotRisk?._withUnsafeGuaranteedRef { ($0.openOrderCount, $0.positions.totalPnL, $0.isEngaged, $0.counters.guardTrips) }
    }

    /// Cancels every open order (the kill switch's last act). Returns how many cancels went out.
    @discardableResult
    public func cancelAll(now: Int64) -> Int {
        var ids: [UInt32] = []
        store.forEachOpen { if $0.status != .pendingCancel { ids.append($0.id) } }
        var n = 0
        for id in ids where cancel(id: id, now: now) { n += 1 }
        return n
    }

    // MARK: - Venue in

    /// Reads the session; every venue message updates the store and goes to `listener`.
    @discardableResult
    public func poll<L: GatewayListener>(now: Int64, _ listener: inout L) -> Int {
        var h = Handler(gateway: .passUnretained(self), listener: listener)
        let heartbeats = client.counters.heartbeatsReceived
        let n = client.poll(now: now, &h)
        listener = h.listener
        if let k = pendingKill {
            pendingKill = nil
            kill(reason: k, now: now)
        }
        if let j = hotJournal, j._withUnsafeGuaranteedRef({ $0.hasFailed }), !continueWithoutJournal, !journalKillFired {
            journalKillFired = true
            kill(reason: .journalFailure, now: now)
        }
        if adoptedWithoutRisk && !settleAfterReplay {
            // Outside a replay an adopted order is checked at once: a limit it breaks fires the
            // kill switch rather than leaving it open unchecked.
            adoptedWithoutRisk = false
            reattachRisk(now: now)
        }
        if settleAfterReplay && client.state == .loggedIn && client.counters.heartbeatsReceived != heartbeats {
            // The venue sends its replay right after Login Accepted and heartbeats only when
            // idle: a heartbeat means the replay is over.
            settleAfterReplay = false
            adoptedWithoutRisk = false
            settleLostRequests()
            reattachRisk(now: now)
        }
        return n
    }

    /// Public only so that cross-module optimization serializes `sequenced` and this
    /// conformance: internal, the client's specialized session poll could not see them and
    /// called the generic witness for every venue message, and from it the listener, the
    /// engine, the strategy and the gateway's submit all ran unspecialized (the market maker's
    /// requotes looked up `SoupBinTCPClient`'s metadata on every order; found by the
    /// benchmarks' metadata lookup count).
    public struct Handler<L: GatewayListener>: SoupBinTCPHandler {
        /// Unretained: the gateway is polling, so it is alive (a strong copy cost a retain and a
        /// release per poll).
        let gateway: Unmanaged<OrderGateway>
        var listener: L
        public mutating func sequenced(_ message: UnsafeRawBufferPointer, sequence: UInt64) {
            let e = gateway._withUnsafeGuaranteedRef { g in
                let e = g.apply(message)
                g.record(e, sequence: sequence)
                return e
            }
            if let e { listener.gateway(e, sequence: sequence) }
        }
    }

    /// Applies one OUCH message from the venue as if it had arrived on the session (replaying a
    /// capture, benchmarks); not journaled.
    public func applyVenueMessage(_ m: UnsafeRawBufferPointer) -> GatewayEvent? { apply(m) }

    /// Decodes one venue message and applies it to the store, if it can be true (see
    /// `VenueViolation`); one the order's state machine refuses is a violation too.
    @inline(__always)
    func apply(_ m: UnsafeRawBufferPointer) -> GatewayEvent? {
        let refusedBefore = store.counters.violations
        let e = applyChecked(m)
        if store.counters.violations != refusedBefore { return refuse(.illegalTransition, order: 0, m) }
        return e
    }

    /// Counts, keeps and reports a venue violation, and fires the kill switch once this message
    /// is done. Nothing of the message is applied (its sequence number is used: the journal
    /// records it as a bare sequence).
    func refuse(_ kind: VenueViolation, order: UInt32, _ m: UnsafeRawBufferPointer) -> GatewayEvent? {
        counters.venueViolations += 1
        let r = VenueViolationRecord(kind: kind, order: order, bytes: Array(m))
        lastVenueViolation = r
        onVenueViolation?(r)
        if pendingKill == nil { pendingKill = .venueViolation }
        return nil
    }

    /// Why an execution of `shares` at `price` cannot be true of order `o`; nil when it can.
    @inline(__always)
    func executionViolation(_ o: GatewayOrder, shares: UInt32, price: Price) -> VenueViolation? {
        if o.status.isTerminal { return .afterTerminal }
        if o.status == .pendingNew { return .beforeAccepted }
        if shares == 0 { return .zeroShares }
        if shares > o.leaves { return .overfill }
        if price.rawValue <= 0 || price > maxVenuePrice { return .priceOutOfRange }
        if o.side == .buy ? price > o.price : price < o.price { return .priceThroughLimit }
        return nil
    }

    /// Why the venue's answer to a request for `requested` shares at `limit` (an Accepted or a
    /// Replaced, `shares` at `price`) cannot be true; nil when it can. The venue may take fewer
    /// shares or a less aggressive price (price to comply), never more or a better one.
    @inline(__always)
    func answerViolation(side: Side, requested: UInt32, limit: Price, shares: UInt32, price: Price) -> VenueViolation? {
        if price.rawValue <= 0 || price > maxVenuePrice { return .priceOutOfRange }
        if shares > requested { return .sizeAboveRequest }
        if side == .buy ? price > limit : price < limit { return .priceThroughLimit }
        return nil
    }

    /// An Accepted for order `o`: only a new order waiting for its answer is accepted.
    @inline(__always)
    func acceptedViolation(_ o: GatewayOrder, shares: UInt32, price: Price) -> VenueViolation? {
        if o.status != .pendingNew { return o.status.isTerminal ? .afterTerminal : .illegalTransition }
        return answerViolation(side: o.side, requested: o.quantity, limit: o.price, shares: shares, price: price)
    }

    /// A Canceled taking `decrement` shares off order `id`: not after its end, not more than it
    /// has open. (One for an order we have no record of is counted by the store and ignored.)
    @inline(__always)
    func cancelViolation(_ id: UInt32, decrement: UInt32) -> VenueViolation? {
        guard let o = store.order(id) else { return nil }
        if o.status.isTerminal { return .afterTerminal }
        return decrement > o.leaves ? .cancelBeyondOpen : nil
    }

    /// A message about an order we have no record of (adopted after a crash): its price must
    /// still be sane.
    @inline(__always)
    func priceViolation(_ price: Price) -> VenueViolation? {
        price.rawValue <= 0 || price > maxVenuePrice ? .priceOutOfRange : nil
    }

    func applyChecked(_ m: UnsafeRawBufferPointer) -> GatewayEvent? {
        switch version {
        case .v42:
            guard case .success(let msg) = OUCH42.decodeOutbound(m) else {
                counters.undecodable += 1
                return nil
            }
            switch msg {
            case .systemEvent(let v):
                return .systemEvent(code: v.eventCode.rawValue)
            case .accepted(let v):
                guard let id = own(v.orderToken) else { return nil }
                guard let o = store.order(id) else {
                    if let why = priceViolation(v.price) { return refuse(why, order: id, m) }
                    return adopt(id: id, symbol: v.stock, side: v.side, shares: v.shares.rawValue, price: v.price, ref: v.orderReferenceNumber)
                }
                if let why = acceptedViolation(o, shares: v.shares.rawValue, price: v.price) { return refuse(why, order: id, m) }
                store.accepted(id: id, venueRef: v.orderReferenceNumber, shares: v.shares.rawValue)
                riskHook(id) { $0.onAccepted($1) }
                counters.accepted += 1
                return .accepted(id: id, ref: v.orderReferenceNumber)
            case .executed(let v):
                guard let id = own(v.orderToken) else { return refuse(.foreignToken, order: 0, m) }
                guard let o = store.order(id) else { return refuse(.unknownOrder, order: id, m) }
                if let why = executionViolation(o, shares: v.executedShares.rawValue, price: v.executionPrice) { return refuse(why, order: id, m) }
                guard store.executed(id: id, shares: v.executedShares.rawValue, price: v.executionPrice) else {
                    return refuse(.notionalOverflow, order: id, m)
                }
                bookFill(o.locate, o.side, v.executedShares.rawValue)
                riskFill(o, v.executedShares, v.executionPrice)
                settleDroppedReplacement(of: id, waiting: o.replacedBy)
                counters.executions += 1
                return .executed(id: id, locate: o.locate, side: o.side, shares: v.executedShares.rawValue, price: v.executionPrice,
                                 match: v.matchNumber)
            case .canceled(let v):
                guard let id = own(v.orderToken) else { return nil }
                if let why = cancelViolation(id, decrement: v.decrementShares.rawValue) { return refuse(why, order: id, m) }
                let waiting = store.order(id)?.replacedBy ?? 0
                store.canceled(id: id, decrement: v.decrementShares.rawValue)
                riskHook(id) { $0.onCanceled($1, shares: v.decrementShares) }
                settleDroppedReplacement(of: id, waiting: waiting)
                return .canceled(id: id, shares: v.decrementShares.rawValue)
            case .replaced(let v):
                guard let new = own(v.replacementOrderToken), let old = own(v.previousOrderToken) else { return nil }
                if let why = replacedViolation(old: old, new: new, shares: v.shares.rawValue, price: v.price) { return refuse(why, order: new, m) }
                adoptReplacement(old: old, new: new, symbol: v.stock, side: v.side, shares: v.shares.rawValue, price: v.price)
                store.replaced(old: old, new: new, venueRef: v.orderReferenceNumber, shares: v.shares.rawValue, price: v.price)
                return .replaced(old: old, new: new, ref: v.orderReferenceNumber)
            case .rejected(let v):
                guard let id = own(v.orderToken) else { return nil }
                rejectedByVenue(id)
                counters.rejected += 1
                return .rejected(id: id, reason: UInt16(v.reason.rawValue))
            case .cancelReject(let v):
                guard let id = own(v.orderToken) else { return nil }
                let waiting = store.order(id)?.replacedBy ?? 0
                store.cancelRejected(id: id)
                settleDroppedReplacement(of: id, waiting: waiting)
                return .cancelRejected(id: id)
            case .orderModified(let v):
                guard let id = own(v.orderToken), let o = store.order(id), o.leaves > v.shares.rawValue else { return nil }
                let cut = o.leaves - v.shares.rawValue
                store.canceled(id: id, decrement: cut)
                return .canceled(id: id, shares: cut)
            default:
                return nil
            }
        case .v50:
            guard case .success(let msg) = OUCH50.decodeOutbound(m) else {
                counters.undecodable += 1
                return nil
            }
            switch msg {
            case .systemEvent(let v):
                return .systemEvent(code: v.eventCode.rawValue)
            case .orderAccepted(let v):
                guard let o = store.order(v.userRefNum) else {
                    if let why = priceViolation(v.price) { return refuse(why, order: v.userRefNum, m) }
                    return adopt(id: v.userRefNum, symbol: v.symbol, side: v.side, shares: v.quantity.rawValue, price: v.price,
                                 ref: v.orderReferenceNumber)
                }
                if let why = acceptedViolation(o, shares: v.quantity.rawValue, price: v.price) { return refuse(why, order: v.userRefNum, m) }
                store.accepted(id: v.userRefNum, venueRef: v.orderReferenceNumber, shares: v.quantity.rawValue)
                riskHook(v.userRefNum) { $0.onAccepted($1) }
                counters.accepted += 1
                return .accepted(id: v.userRefNum, ref: v.orderReferenceNumber)
            case .orderExecuted(let v):
                guard let o = store.order(v.userRefNum) else { return refuse(.unknownOrder, order: v.userRefNum, m) }
                if let why = executionViolation(o, shares: v.quantity.rawValue, price: v.price) { return refuse(why, order: v.userRefNum, m) }
                guard store.executed(id: v.userRefNum, shares: v.quantity.rawValue, price: v.price) else {
                    return refuse(.notionalOverflow, order: v.userRefNum, m)
                }
                bookFill(o.locate, o.side, v.quantity.rawValue)
                riskFill(o, v.quantity, v.price)
                settleDroppedReplacement(of: v.userRefNum, waiting: o.replacedBy)
                counters.executions += 1
                return .executed(id: v.userRefNum, locate: o.locate, side: o.side, shares: v.quantity.rawValue, price: v.price,
                                 match: v.matchNumber)
            case .orderCanceled(let v):
                if let why = cancelViolation(v.userRefNum, decrement: v.quantity.rawValue) { return refuse(why, order: v.userRefNum, m) }
                let waiting = store.order(v.userRefNum)?.replacedBy ?? 0
                store.canceled(id: v.userRefNum, decrement: v.quantity.rawValue)
                riskHook(v.userRefNum) { $0.onCanceled($1, shares: v.quantity) }
                settleDroppedReplacement(of: v.userRefNum, waiting: waiting)
                return .canceled(id: v.userRefNum, shares: v.quantity.rawValue)
            case .orderReplaced(let v):
                if let why = replacedViolation(old: v.origUserRefNum, new: v.userRefNum, shares: v.quantity.rawValue, price: v.price) {
                    return refuse(why, order: v.userRefNum, m)
                }
                adoptReplacement(old: v.origUserRefNum, new: v.userRefNum, symbol: v.symbol, side: v.side, shares: v.quantity.rawValue,
                                 price: v.price)
                store.replaced(old: v.origUserRefNum, new: v.userRefNum, venueRef: v.orderReferenceNumber, shares: v.quantity.rawValue,
                               price: v.price)
                return .replaced(old: v.origUserRefNum, new: v.userRefNum, ref: v.orderReferenceNumber)
            case .orderRejected(let v):
                rejectedByVenue(v.userRefNum)
                counters.rejected += 1
                return .rejected(id: v.userRefNum, reason: v.reason)
            case .cancelReject(let v):
                let waiting = store.order(v.userRefNum)?.replacedBy ?? 0
                store.cancelRejected(id: v.userRefNum)
                settleDroppedReplacement(of: v.userRefNum, waiting: waiting)
                return .cancelRejected(id: v.userRefNum)
            case .orderModified(let v):
                guard let o = store.order(v.userRefNum), o.leaves > v.quantity.rawValue else { return nil }
                let cut = o.leaves - v.quantity.rawValue
                store.canceled(id: v.userRefNum, decrement: cut)
                return .canceled(id: v.userRefNum, shares: cut)
            default:
                return nil
            }
        }
    }

    /// A Replaced of `old` by `new`: the old order not ended, the replacement not answered
    /// already, its price sane, and (when we sent it) no more shares and no better price than
    /// asked.
    @inline(__always)
    func replacedViolation(old: UInt32, new: UInt32, shares: UInt32, price: Price) -> VenueViolation? {
        if let o = store.order(old), o.status.isTerminal { return .afterTerminal }
        guard let n = store.order(new) else { return priceViolation(price) }
        if n.status != .pendingNew { return n.status.isTerminal ? .afterTerminal : .illegalTransition }
        return answerViolation(side: n.side, requested: n.quantity, limit: n.price, shares: shares, price: price)
    }

    /// Journals a venue answer with its sequence number (every sequenced message is recorded,
    /// so the journal knows where the session stands).
    @inline(__always)
    func record(_ e: GatewayEvent?, sequence: UInt64) {
        guard let hot = hotJournal else { return }
        hot._withUnsafeGuaranteedRef { journal in record(e, sequence: sequence, into: journal) }
    }

    @inline(__always)
    func record(_ e: GatewayEvent?, sequence: UInt64, into journal: JournalWriter) {
        let kept: Bool
        switch e {
        case .accepted(let id, let ref), .adopted(let id, let ref):
            let o = store.order(id)
            kept = journal.append(JournalRecord(kind: .accepted, id: id, locate: o?.locate ?? StockLocate(rawValue: 0), side: o?.side ?? .buy,
                                         shares: o?.quantity ?? 0, price: o?.price ?? .zero, ref: ref.rawValue, seq: sequence))
        case .executed(let id, _, _, let shares, let price, let match):
            kept = journal.append(JournalRecord(kind: .executed, id: id, shares: shares, price: price, ref: match, seq: sequence))
        case .canceled(let id, let shares):
            kept = journal.append(JournalRecord(kind: .canceled, id: id, shares: shares, seq: sequence))
        case .replaced(let old, let new, let ref):
            let o = store.order(new)
            kept = journal.append(JournalRecord(kind: .replaced, id: new, other: old, shares: o?.quantity ?? 0, price: o?.price ?? .zero,
                                         ref: ref.rawValue, seq: sequence))
        case .rejected(let id, _):
            kept = journal.append(JournalRecord(kind: .rejected, id: id, seq: sequence))
        case .cancelRejected(let id):
            kept = journal.append(JournalRecord(kind: .cancelRejected, id: id, seq: sequence))
        case .systemEvent, nil:
            kept = journal.append(JournalRecord(kind: .sequence, seq: sequence))
        }
        if !kept {
            // A venue answer the journal could not keep: a restart would not know it.
            counters.journalRecordsDropped += 1
            if !continueWithoutJournal && pendingKill == nil { pendingKill = .journalFailure }
        }
    }

    @inline(__always)
    /// A venue reject. A new order's reservation is released. A refused replacement leaves the
    /// order it was to replace as it was (the store puts it back); risk, switched to the
    /// replacement's size when the replace was sent, goes back to what that order has open.
    func rejectedByVenue(_ id: UInt32) {
        guard let n = store.order(id), n.status == .pendingNew, n.replaces != 0, let old = store.order(n.replaces), old.replacedBy == id else {
            riskHook(id) { $0.onRejectedByVenue($1) }
            store.rejected(id: id)
            return
        }
        store.rejected(id: id)
        riskHook(old.id) { $0.onReplaceRefused($1, open: Shares(rawValue: old.status.isOpen ? old.leaves : 0)) }
    }

    /// After an event for order `id`: if `waiting`, the replacement that was pending for it, has
    /// just been closed as rejected (the order left the book first, or the venue refused the
    /// replace), risk's reservation goes back from the replacement's size to what `id` still
    /// has open (0 when it is closed).
    @inline(__always)
    func settleDroppedReplacement(of id: UInt32, waiting: UInt32) {
        guard waiting != 0, let n = store.order(waiting), n.status == .rejected, let o = store.order(id) else { return }
        riskHook(id) { $0.onReplaceRefused($1, open: Shares(rawValue: o.status.isOpen ? o.leaves : 0)) }
    }

    func riskHook(_ id: UInt32, _ body: (RiskEngine, RiskOrderID) -> Void) {
        guard let risk = hotRisk, let o = store.order(id), o.hasRisk else { return }
        risk._withUnsafeGuaranteedRef { body($0, RiskOrderID(rawValue: o.riskID)) }
    }

    /// A fill: into risk's positions (a loss-limit trip fires the kill switch).
    @inline(__always)
    func riskFill(_ o: GatewayOrder, _ shares: Shares, _ price: Price) {
        guard let risk = hotRisk else { return }
        // An order without a reservation (adopted, not yet checked) still moves the position.
        let tripped = risk._withUnsafeGuaranteedRef {
            o.hasRisk ? $0.onFill(RiskOrderID(rawValue: o.riskID), locate: o.locate, side: o.side, shares: shares, price: price)
                      : $0.onUnreservedFill(locate: o.locate, side: o.side, shares: shares, price: price)
        }
        if tripped { pendingKill = self.risk?.killReason ?? .lossLimit }
    }

    /// An Accepted for one of our numbers that the store does not know: adopt it.
    func adopt(id: UInt32, symbol: Alpha8, side: OUCHSide, shares: UInt32, price: Price, ref: OrderRef) -> GatewayEvent? {
        guard let locate = locateOf[symbol], let s = side.bookSide else { return nil }
        store.new(id: id, locate: locate, side: s, price: price, quantity: shares, epoch: epoch)
        store.accepted(id: id, venueRef: ref, shares: shares)
        resumeNumbering(after: id)
        counters.adopted += 1
        adoptedWithoutRisk = true
        return .adopted(id: id, ref: ref)
    }

    /// A Replaced whose replacement we have no record of (its journal record was lost in a
    /// crash): the replacement is made from the venue's message before the replace applies.
    func adoptReplacement(old: UInt32, new: UInt32, symbol: Alpha8, side: OUCHSide, shares: UInt32, price: Price) {
        guard store.order(new) == nil, let locate = locateOf[symbol], let s = side.bookSide else { return }
        store.new(id: new, locate: locate, side: s, price: price, quantity: shares, replaces: old, epoch: epoch)
        resumeNumbering(after: new)
        counters.adopted += 1
        adoptedWithoutRisk = true
    }

    @inline(__always)
    func own(_ token: Alpha14) -> UInt32? {
        guard let id = OrderTokens.orderNumber(token) else {
            counters.foreignTokens += 1
            return nil
        }
        return id
    }
}

/// The gateway's OUCH 4.2 order tokens: "TW" and the order number in twelve digits. Outside the
/// generic gateway so that the hot path needs no generic metadata.
public enum OrderTokens {

    /// `token(number)`, given `previous` = `token(number - 1)`: its last six digits incremented
    /// side by side in one word, or the whole token built again when the increment carries out
    /// of them (once in a million) or the number wrapped to 0. Each digit is biased to 0xF6 ...
    /// 0xFF, so that adding 1 carries through the nines as ordinary binary carries; the bytes
    /// that wrapped to 0x00 become '0', the others lose the bias.
    @inline(__always)
    public static func successor(of previous: Alpha14, number: UInt32) -> Alpha14 {
        let t = previous.low &+ 0xC6C6_C6C6_C6C6 &+ 1
        guard t >> 48 == 0, number != 0 else { return token(number) }
        let unwrapped = (t >> 7) & 0x0101_0101_0101
        return Alpha14(high: previous.high, low: t &+ (0x0101_0101_0101 &- unwrapped) &* 0x30 &- unwrapped &* 0xC6)
    }

    /// "TW" + twelve digits (the number zero-padded). Built without a loop: the two leading digits
    /// are always 0 for a UInt32, the next two come from `id / 10^8`, and the last eight are
    /// converted side by side in one 64-bit word (`eightDigits`), so that the order path waits on
    /// a few short multiply chains, not on twelve divisions by ten in a row.
    @inline(__always)
    public static func token(_ id: UInt32) -> Alpha14 {
        let top = id / 100_000_000  // 0...42
        let tens = top / 10
        let e = eightDigits(id % 100_000_000).byteSwapped  // first digit in the top byte
        let pair = UInt64(0x3030 | tens << 8 | (top &- tens &* 10))
        return Alpha14(high: 0x5457_3030_0000_0000 | pair << 16 | e >> 48, low: e & 0xFFFF_FFFF_FFFF)
    }

    /// The eight decimal digits of `n` (below 10^8) as ASCII, the first digit in the lowest byte:
    /// two 4-digit halves in 32-bit lanes, then 2-digit quarters in 16-bit lanes, then digits in
    /// bytes, each split by a multiply and shift that is exact in its range
    /// (v * 5243 >> 19 = v / 100 below 43,699; v * 103 >> 10 = v / 10 below 179).
    @inline(__always)
    @usableFromInline static func eightDigits(_ n: UInt32) -> UInt64 {
        var x = UInt64(n / 10_000) | UInt64(n % 10_000) << 32
        let hundreds = (x &* 5243) >> 19 & 0x0000_007F_0000_007F
        x = hundreds | (x &- hundreds &* 100) << 16
        let tens = (x &* 103) >> 10 & 0x000F_000F_000F_000F
        x = tens | (x &- tens &* 10) << 8
        return x | 0x3030_3030_3030_3030
    }

    /// The order number of one of our tokens, or nil for any other token (not "TW", a byte that is
    /// not a digit, or a number past UInt32). The digits are checked and converted side by side.
    @inline(__always)
    public static func orderNumber(_ token: Alpha14) -> UInt32? {
        guard token.high >> 48 == 0x5457 else { return nil }
        // Bytes 2-5 and 6-13 of the token, each with its first digit in the lowest byte.
        let first4 = UInt64(UInt32(truncatingIfNeeded: token.high >> 16).byteSwapped)
        let last8 = (token.high << 48 | token.low).byteSwapped
        guard allDigits(first4 | 0x3030_3030_0000_0000), allDigits(last8) else { return nil }
        var a = first4 &- 0x3030_3030
        a = (a &* 10 &+ a >> 8) & 0x00FF_00FF
        a = (a &* 100 &+ a >> 16) & 0xFFFF
        var b = last8 &- 0x3030_3030_3030_3030
        b = (b &* 10 &+ b >> 8) & 0x00FF_00FF_00FF_00FF
        b = (b &* 100 &+ b >> 16) & 0x0000_FFFF_0000_FFFF
        b = (b &* 10_000 &+ b >> 32) & 0xFFFF_FFFF
        let v = a &* 100_000_000 &+ b
        return v <= UInt64(UInt32.max) ? UInt32(v) : nil
    }

    /// Every byte of `x` is an ASCII digit: high nibble 3, and a low nibble that adding 6 does not
    /// carry out of.
    @inline(__always)
    @usableFromInline static func allDigits(_ x: UInt64) -> Bool {
        x & 0xF0F0_F0F0_F0F0_F0F0 == 0x3030_3030_3030_3030
            && (x &+ 0x0606_0606_0606_0606) & 0xF0F0_F0F0_F0F0_F0F0 == 0x3030_3030_3030_3030
    }
}
