// The order gateway: strategy decisions in, OUCH on the wire out, venue answers back into the
// order store. One thread owns it (the hot loop); nothing here allocates per order: messages
// are encoded straight into the SoupBinTCP client's send buffer.
//
// Order numbers are consecutive from `firstOrderNumber`: the OUCH 4.2 token is "TW" followed
// by the number in twelve digits, the OUCH 5.0 UserRefNum is the number itself, so the venue's
// answers map back to the store by parsing, never by a lookup table. After a restart the
// journal (or the venue's replay) says where the numbering resumes; a number is never reused.
public import TickwireCore
public import Wire

public enum OUCHVersion: String, Sendable, Equatable {
    case v42 = "4.2"
    case v50 = "5.0"
}

public enum OrderKindRequest: Sendable, Equatable {
    case day
    case ioc
}

public enum SubmitResult: Sendable, Equatable {
    case sent(id: UInt32)
    case notLoggedIn
    case unknownSymbol
    case storeFull
    case refused(reason: UInt8)
}

/// What the gateway learns from the venue, for the strategy, risk and the journal.
public enum GatewayEvent: Sendable, Equatable {
    case accepted(id: UInt32, ref: OrderRef)
    case executed(id: UInt32, locate: StockLocate, side: Side, shares: UInt32, price: Price, match: UInt64)
    case canceled(id: UInt32, shares: UInt32)
    case replaced(old: UInt32, new: UInt32)
    case rejected(id: UInt32, reason: UInt16)
    case cancelRejected(id: UInt32)
    case systemEvent(code: UInt8)
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
}

public final class OrderGateway<Transport: ByteStreamTransport> {
    public let version: OUCHVersion
    public let client: SoupBinTCPClient<Transport>
    public let store: OrderStore
    /// Symbol of each locate (index = locate).
    public let symbols: [Alpha8]
    /// The firm shown on OUCH 4.2 orders.
    public var firm: Alpha4 = .blank
    public private(set) var nextOrderNumber: UInt32
    public private(set) var counters = GatewayCounters()
    /// Connections made so far; orders remember the one they were sent on.
    public private(set) var epoch: UInt32 = 0
    /// After a reconnect: requests of earlier connections still unanswered when the venue's
    /// replay is over (its first heartbeat after the login) never reached it.
    var settleAfterReplay = false

    public init(version: OUCHVersion, credentials: SoupBinTCPCredentials, symbols: [Alpha8], capacity: Int = 1 << 16,
                firstOrderNumber: UInt32 = 1, nextSequence: UInt64 = 1) {
        self.version = version
        client = SoupBinTCPClient(credentials: credentials, nextSequence: nextSequence)
        store = OrderStore(capacity: capacity)
        self.symbols = symbols
        nextOrderNumber = max(firstOrderNumber, 1)
    }

    /// Connects a fresh transport: logs in asking for the next expected sequence number.
    public func connect(_ t: Transport, now: Int64) {
        epoch &+= 1
        settleAfterReplay = epoch > 1
        client.start(t, now: now)
    }

    public var isLoggedIn: Bool { client.state == .loggedIn }

    /// Order numbers resume after `n` (a restart: the highest number the journal or the venue's
    /// replay has seen).
    public func resumeNumbering(after n: UInt32) { if n >= nextOrderNumber { nextOrderNumber = n &+ 1 } }

    // MARK: - Tokens

    /// "TW" + twelve digits.
    @inline(__always)
    public static func token(_ id: UInt32) -> Alpha14 {
        var raw: (UInt64, UInt64) = (0, 0)
        return withUnsafeMutableBytes(of: &raw) { b in
            b[0] = UInt8(ascii: "T")
            b[1] = UInt8(ascii: "W")
            var v = id
            var i = 13
            while i >= 2 {
                b[i] = UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: v % 10)
                v /= 10
                i -= 1
            }
            return Alpha14(loading: UnsafeRawPointer(b.baseAddress!))
        }
    }

    /// The order number of one of our tokens, or nil for any other token.
    @inline(__always)
    public static func orderNumber(_ token: Alpha14) -> UInt32? {
        var raw: (UInt64, UInt64) = (0, 0)
        return withUnsafeMutableBytes(of: &raw) { b -> UInt32? in
            token.store(to: b.baseAddress!)
            guard b[0] == UInt8(ascii: "T"), b[1] == UInt8(ascii: "W") else { return nil }
            var v: UInt64 = 0
            for i in 2..<14 {
                let d = b[i] &- UInt8(ascii: "0")
                guard d < 10 else { return nil }
                v = v * 10 + UInt64(d)
            }
            return v <= UInt64(UInt32.max) ? UInt32(v) : nil
        }
    }

    // MARK: - Orders out

    /// Sends a new limit order. Nothing is sent unless the session is up and the store has room.
    public func submit(locate: StockLocate, side: Side, shares: UInt32, price: Price, kind: OrderKindRequest = .day,
                       now: Int64) -> SubmitResult {
        guard client.state == .loggedIn else { return .notLoggedIn }
        let l = Int(locate.rawValue)
        guard l > 0, l < symbols.count else { return .unknownSymbol }
        let id = nextOrderNumber
        guard store.new(id: id, locate: locate, side: side, price: price, quantity: shares, epoch: epoch) else { return .storeFull }
        nextOrderNumber &+= 1
        let area = client.messageArea
        let n: Int?
        let ouchSide: OUCHSide = side == .buy ? .buy : .sell
        switch version {
        case .v42:
            n = OUCH42.EnterOrder(orderToken: Self.token(id), side: ouchSide, shares: Shares(rawValue: shares), stock: symbols[l],
                                  price: price, timeInForce: kind == .ioc ? OUCH42.immediateOrCancel : OUCH42.systemHours, firm: firm,
                                  display: "Y", capacity: "P", intermarketSweepEligibility: "N", minimumQuantity: Shares(rawValue: 0),
                                  crossType: "N", customerType: " ").encode(into: area)
        case .v50:
            n = OUCH50.EnterOrder(userRefNum: id, side: ouchSide, quantity: Shares(rawValue: shares), symbol: symbols[l], price: price,
                                  timeInForce: kind == .ioc ? "3" : "0", display: "Y", capacity: "P", intermarketSweepEligibility: "N",
                                  crossType: "N", clOrdID: Self.token(id)).encode(into: area)
        }
        guard let n, client.commitUnsequenced(length: n, now: now) else {
            store.rejected(id: id)
            return .notLoggedIn
        }
        counters.sent += 1
        return .sent(id: id)
    }

    /// Asks the venue to leave `remaining` shares of order `id` (0 cancels it).
    @discardableResult
    public func cancel(id: UInt32, remaining: UInt32 = 0, now: Int64) -> Bool {
        guard client.state == .loggedIn, let o = store.order(id), o.status.isOpen else { return false }
        let area = client.messageArea
        let n: Int? = switch version {
        case .v42: OUCH42.CancelOrder(orderToken: Self.token(id), shares: Shares(rawValue: remaining)).encode(into: area)
        case .v50: OUCH50.CancelOrder(userRefNum: id, quantity: Shares(rawValue: remaining)).encode(into: area)
        }
        guard let n, client.commitUnsequenced(length: n, now: now) else { return false }
        store.cancelSent(id: id)
        counters.cancelsSent += 1
        return true
    }

    /// Replaces order `id` by a new order number with this size and price; returns it.
    public func replace(id: UInt32, shares: UInt32, price: Price, now: Int64) -> UInt32? {
        guard client.state == .loggedIn, let o = store.order(id), o.status == .accepted || o.status == .partiallyFilled else { return nil }
        let new = nextOrderNumber
        guard store.new(id: new, locate: o.locate, side: o.side, price: price, quantity: shares, replaces: id, epoch: epoch) else { return nil }
        nextOrderNumber &+= 1
        let area = client.messageArea
        let n: Int? = switch version {
        case .v42:
            OUCH42.ReplaceOrder(existingOrderToken: Self.token(id), replacementOrderToken: Self.token(new), shares: Shares(rawValue: shares),
                                price: price, timeInForce: OUCH42.systemHours, display: "Y", intermarketSweepEligibility: "N",
                                minimumQuantity: Shares(rawValue: 0)).encode(into: area)
        case .v50:
            OUCH50.ReplaceOrder(origUserRefNum: id, userRefNum: new, quantity: Shares(rawValue: shares), price: price, timeInForce: "0",
                                display: "Y", intermarketSweepEligibility: "N", clOrdID: Self.token(new)).encode(into: area)
        }
        guard let n, client.commitUnsequenced(length: n, now: now) else {
            store.rejected(id: new)
            return nil
        }
        store.replaceSent(old: id, new: new)
        counters.replacesSent += 1
        return new
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
        var h = Handler(gateway: self, listener: listener)
        let heartbeats = client.counters.heartbeatsReceived
        let n = client.poll(now: now, &h)
        listener = h.listener
        if settleAfterReplay && client.state == .loggedIn && client.counters.heartbeatsReceived != heartbeats {
            // The venue sends its replay right after Login Accepted and heartbeats only when
            // idle: a heartbeat means the replay is over.
            settleAfterReplay = false
            store.settleUnanswered(before: epoch)
        }
        return n
    }

    struct Handler<L: GatewayListener>: SoupBinTCPHandler {
        let gateway: OrderGateway
        var listener: L
        mutating func sequenced(_ message: UnsafeRawBufferPointer, sequence: UInt64) {
            if let e = gateway.apply(message) { listener.gateway(e, sequence: sequence) }
        }
    }

    /// Decodes one venue message and applies it to the store.
    func apply(_ m: UnsafeRawBufferPointer) -> GatewayEvent? {
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
                store.accepted(id: id, venueRef: v.orderReferenceNumber, shares: v.shares.rawValue)
                counters.accepted += 1
                return .accepted(id: id, ref: v.orderReferenceNumber)
            case .executed(let v):
                guard let id = own(v.orderToken), let o = store.order(id) else { return nil }
                store.executed(id: id, shares: v.executedShares.rawValue, price: v.executionPrice)
                counters.executions += 1
                return .executed(id: id, locate: o.locate, side: o.side, shares: v.executedShares.rawValue, price: v.executionPrice,
                                 match: v.matchNumber)
            case .canceled(let v):
                guard let id = own(v.orderToken) else { return nil }
                store.canceled(id: id, decrement: v.decrementShares.rawValue)
                return .canceled(id: id, shares: v.decrementShares.rawValue)
            case .replaced(let v):
                guard let new = own(v.replacementOrderToken), let old = own(v.previousOrderToken) else { return nil }
                store.replaced(old: old, new: new, venueRef: v.orderReferenceNumber, shares: v.shares.rawValue, price: v.price)
                return .replaced(old: old, new: new)
            case .rejected(let v):
                guard let id = own(v.orderToken) else { return nil }
                store.rejected(id: id)
                counters.rejected += 1
                return .rejected(id: id, reason: UInt16(v.reason.rawValue))
            case .cancelReject(let v):
                guard let id = own(v.orderToken) else { return nil }
                store.cancelRejected(id: id)
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
                store.accepted(id: v.userRefNum, venueRef: v.orderReferenceNumber, shares: v.quantity.rawValue)
                counters.accepted += 1
                return .accepted(id: v.userRefNum, ref: v.orderReferenceNumber)
            case .orderExecuted(let v):
                guard let o = store.order(v.userRefNum) else { return nil }
                store.executed(id: v.userRefNum, shares: v.quantity.rawValue, price: v.price)
                counters.executions += 1
                return .executed(id: v.userRefNum, locate: o.locate, side: o.side, shares: v.quantity.rawValue, price: v.price,
                                 match: v.matchNumber)
            case .orderCanceled(let v):
                store.canceled(id: v.userRefNum, decrement: v.quantity.rawValue)
                return .canceled(id: v.userRefNum, shares: v.quantity.rawValue)
            case .orderReplaced(let v):
                store.replaced(old: v.origUserRefNum, new: v.userRefNum, venueRef: v.orderReferenceNumber, shares: v.quantity.rawValue,
                               price: v.price)
                return .replaced(old: v.origUserRefNum, new: v.userRefNum)
            case .orderRejected(let v):
                store.rejected(id: v.userRefNum)
                counters.rejected += 1
                return .rejected(id: v.userRefNum, reason: v.reason)
            case .cancelReject(let v):
                store.cancelRejected(id: v.userRefNum)
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

    @inline(__always)
    func own(_ token: Alpha14) -> UInt32? {
        guard let id = Self.orderNumber(token) else {
            counters.foreignTokens += 1
            return nil
        }
        return id
    }
}
