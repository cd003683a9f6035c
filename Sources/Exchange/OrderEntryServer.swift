// The venue's order entry: a SoupBinTCP 3.0 server over the kernel's TCP carrying OUCH 4.2 or
// OUCH 5.0 (per user), in front of the matching engine.
//
// SoupBinTCP: a client logs in with a username and password from the configuration (Login
// Rejected "A" otherwise, "S" for another session name or a user already connected), and gets
// Login Accepted with the session and the sequence number of the next message; each user's
// sequenced messages are kept for the day, so a client that logs in again asking for sequence n
// gets everything from n before new messages. The server sends a heartbeat after a second
// without sending; a client silent for `idleTimeoutSeconds` is disconnected; Logout closes;
// End of Session goes to every client at the end.
//
// OUCH: Enter Order, Replace, Cancel and Modify in; Accepted, Replaced, Canceled, Executed,
// Rejected and Cancel Reject out, stamped with venue time. The engine's owner events are routed
// to the user whose order it is; orders stay on the book when their client disconnects.
// A 4.2 order token or a 5.0 UserRefNum must be new for the user's day: 4.2 ignores a reused
// token (counted), as its specification says; 5.0 rejects a UserRefNum that does not increase.
//
// A client that sends bytes that are not SoupBinTCP, a packet it may not send, an undecodable
// OUCH message, or anything before logging in, is disconnected (counted); no input reaches
// another client's state. Everything runs on the venue's thread, polled between flow steps.
public import MarketData
public import OrderEntry
public import TickwireCore
public import Packets
import Sockets
#if os(Linux)
import Glibc
#endif

public struct OrderEntryUser: Sendable, Equatable {
    public var username: String
    public var password: String
    public var firm: UInt32
    public var version: OUCHVersion
    public init(username: String, password: String, firm: UInt32, version: OUCHVersion = .v42) {
        self.username = username
        self.password = password
        self.firm = firm
        self.version = version
    }

    /// "name:password:firm[:4.2|5.0]"; the name at most 6 characters, the password at most 10.
    public init?(_ text: String) {
        let f = text.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        guard f.count == 3 || f.count == 4, !f[0].isEmpty, f[0].utf8.count <= 6, f[1].utf8.count <= 10,
              let firm = UInt32(f[2]), firm >= 1, firm < 1000 else { return nil }
        var v = OUCHVersion.v42
        if f.count == 4 {
            guard let parsed = OUCHVersion(rawValue: f[3]) else { return nil }
            v = parsed
        }
        self.init(username: f[0], password: f[1], firm: firm, version: v)
    }
}

public struct OrderEntryConfiguration: Sendable {
    public var address = IPv4Address(127, 0, 0, 1)
    /// 0: any free port (see `OrderEntryServer.port`).
    public var port: UInt16 = 0
    public var users: [OrderEntryUser] = [OrderEntryUser(username: "TW1", password: "secret", firm: 1),
                                          OrderEntryUser(username: "TW2", password: "secret", firm: 2, version: .v50)]
    /// The SoupBinTCP session name of the day.
    public var session = "TWOE000001"
    public var heartbeatSeconds: Double = 1
    public var idleTimeoutSeconds: Double = 15
    public var maxPacketLength = 1024
    public var maxConnections = 64
    public init() {}
}

public struct OrderEntryCounters: Sendable, Encodable, Equatable {
    public var connections: UInt64 = 0
    public var logins: UInt64 = 0
    public var loginRejects: UInt64 = 0
    public var disconnectsForBadInput: UInt64 = 0
    public var disconnectsForIdle: UInt64 = 0
    public var ordersReceived: UInt64 = 0
    public var messagesReceived: UInt64 = 0
    public var messagesSent: UInt64 = 0
    public var replayedMessages: UInt64 = 0
    public var duplicateTokens: UInt64 = 0
    public var rejects: UInt64 = 0
}

/// What the venue remembers of a client's live order, to fill OUCH replies.
struct ClientOrder {
    var token: Alpha14 = .blank
    var userRef: UInt32 = 0
    var side: OUCHSide
    var symbol: Alpha8
    var price: Price
    var tif4: UInt32 = 0
    var tif5: ASCIICode = "0"
    var display: ASCIICode
    var capacity: ASCIICode
    var sweep: ASCIICode
    var cross: ASCIICode
    var clOrdID: Alpha14 = .blank
    var firm: Alpha4 = .blank
    /// Shares still open (set on acceptance; the order is forgotten when it reaches 0).
    var leaves: UInt32 = 0
    /// Shares executed over the order's replace chain: OUCH's Replace size counts them
    /// (executed + open).
    var executed: UInt32 = 0

    /// What a Replace of `liable` shares leaves open (0: the order is taken out).
    func openAfterReplace(liable: UInt32) -> Shares { OUCHRules.openAfterReplace(size: liable, executedOnChain: executed) }
}

/// One user's day: its orders, its sequenced messages, its connection if any.
final class UserSession {
    let user: OrderEntryUser
    let owner: OrderOwner
    let username: Alpha6
    let password: Alpha10
    var log: [[UInt8]] = []
    var byToken: [Alpha14: UInt64] = [:]
    var byUserRef: [UInt32: UInt64] = [:]
    var usedTokens = Set<Alpha14>()
    var lastUserRef: UInt32 = 0
    var orders: [UInt64: ClientOrder] = [:]
    var connection: ClientConnection?
    /// Net position per locate from this user's executions.
    var positions: [UInt16: Int64] = [:]

    init(user: OrderEntryUser, index: Int) {
        self.user = user
        owner = OrderOwner(session: UInt32(index + 1), firm: user.firm)
        username = Alpha6(user.username) ?? Alpha6("?")!
        password = Alpha10(user.password) ?? Alpha10("?")!
    }
}

final class ClientConnection {
    let tcp: TCPConnection
    var framer: SoupBinTCPFramer
    var session: UserSession?
    var lastRead: Int64
    var lastWrite: Int64
    var pending: [UInt8] = []
    var flow: VenueCapture.TCPFlow
    var closed = false

    init(tcp: TCPConnection, maxPacketLength: Int, now: Int64) {
        self.tcp = tcp
        framer = SoupBinTCPFramer(maxPacketLength: maxPacketLength, direction: .fromClient)
        lastRead = now
        lastWrite = now
        flow = VenueCapture.TCPFlow(client: FeedAddress(ip: tcp.peer, port: tcp.peerPort),
                                    server: FeedAddress(ip: tcp.local, port: tcp.localPort))
    }
}

public final class OrderEntryServer {
    public let configuration: OrderEntryConfiguration
    public let engine: MatchingEngine
    public let capture: VenueCapture?
    public private(set) var counters = OrderEntryCounters()
    let listener: TCPListener
    let sessionName: Alpha10
    let symbols: [Alpha8: StockLocate]
    let symbolOf: [Alpha8]
    var users: [UserSession] = []
    var connections: [ClientConnection] = []
    let scratch: UnsafeMutableRawBufferPointer
    let readBuffer: UnsafeMutableRawBufferPointer
    /// The client order being entered or replaced while the engine reports on it.
    var entering: ClientOrder?
    var now: VenueTime = VenueTime(nanosSinceMidnight: 0)
    /// When the listener is next asked for a connection (monotonic ns).
    var nextAccept: Int64 = .min
    /// How often the listener is asked: a non-blocking accept(2) that finds nobody still builds
    /// and frees a socket, a file and an inode in the kernel (measured: half the venue's CPU
    /// when asked on every poll, which the venue does between every two events of its flow, and
    /// the reason it fell up to a second behind its clock on busy days). A client's connect
    /// waits at most this long to be taken.
    static let acceptIntervalNs: Int64 = 1_000_000

    public init(configuration c: OrderEntryConfiguration, engine: MatchingEngine, symbols: [Symbol],
                capture: VenueCapture?) throws(SystemError) {
        configuration = c
        self.engine = engine
        self.capture = capture
        listener = try TCPListener(address: c.address, port: c.port)
        sessionName = SoupBinTCP.session(c.session) ?? SoupBinTCP.session("TWOE")!
        var map: [Alpha8: StockLocate] = [:]
        var names: [Alpha8] = [.blank]
        for (i, s) in symbols.enumerated() {
            let a = Alpha8(s.description) ?? .blank
            map[a] = StockLocate(rawValue: UInt16(i + 1))
            names.append(a)
        }
        self.symbols = map
        symbolOf = names
        users = c.users.enumerated().map { UserSession(user: $0.element, index: $0.offset) }
        scratch = .allocate(byteCount: 4096, alignment: 8)
        readBuffer = .allocate(byteCount: 64 * 1024, alignment: 8)
    }

    deinit {
        scratch.deallocate()
        readBuffer.deallocate()
    }

    public var port: UInt16 { listener.port }
    public var connected: Int { connections.count }

    // MARK: - Polling

    /// Accepts, reads and answers clients, sends heartbeats and drops idle ones. `sink` carries
    /// the engine's events (market data, and owner events back to `route`).
    public func poll<S: EngineSink>(monotonicNs: Int64, venueTime: VenueTime, _ sink: inout S) {
        now = venueTime
        if monotonicNs >= nextAccept {
            nextAccept = monotonicNs &+ Self.acceptIntervalNs
            acceptWaiting(monotonicNs)
        }
        for c in connections where !c.closed {
            read(c, monotonicNs, &sink)
            if c.closed { continue }
            flush(c, monotonicNs)
            if c.session != nil && monotonicNs - c.lastWrite >= Int64(configuration.heartbeatSeconds * 1e9) {
                sendPacket(c, .serverHeartbeat, nil, monotonicNs)
            }
            if monotonicNs - c.lastRead > Int64(configuration.idleTimeoutSeconds * 1e9) {
                counters.disconnectsForIdle += 1
                close(c, byServer: true)
            }
        }
        connections.removeAll { $0.closed }
    }

    /// Takes every connection the listener holds, up to `maxConnections`.
    func acceptWaiting(_ monotonicNs: Int64) {
        while connections.count < configuration.maxConnections, let tcp = listener.accept() {
            let c = ClientConnection(tcp: tcp, maxPacketLength: configuration.maxPacketLength, now: monotonicNs)
            capture?.tcpOpen(&c.flow)
            connections.append(c)
            counters.connections += 1
        }
    }

    /// OUCH System Event to every user's sequenced stream: "S" start of day, "E" end of day.
    public func systemEvent(_ code: ASCIICode, at t: VenueTime) {
        now = t
        for s in users {
            if s.user.version == .v42 {
                emit(s, OUCH42.SystemEvent(timestamp: t, eventCode: code))
            } else {
                emit50(s, OUCH50.SystemEvent(timestamp: t, eventCode: code))
            }
        }
    }

    /// Sends End of Session to every logged-in client and closes every connection.
    public func endOfSession(monotonicNs: Int64) {
        for c in connections where !c.closed {
            if c.session != nil { sendPacket(c, .endOfSession, nil, monotonicNs) }
            flush(c, monotonicNs)
            close(c, byServer: true)
        }
        connections.removeAll()
    }

    func read<S: EngineSink>(_ c: ClientConnection, _ t: Int64, _ sink: inout S) {
        while !c.closed {
            switch c.tcp.receive(into: readBuffer) {
            case .wouldBlock:
                return
            case .closed, .error:
                close(c, byServer: false)
                return
            case .bytes(let n):
                c.lastRead = t
                let chunk = UnsafeRawBufferPointer(rebasing: readBuffer[0..<n])
                capture?.tcpData(&c.flow, fromServer: false, chunk)
                c.framer.feed(chunk)
                loop: while !c.closed {
                    switch c.framer.next() {
                    case .needMoreData: break loop
                    case .failed:
                        counters.disconnectsForBadInput += 1
                        close(c, byServer: true)
                        return
                    case .packet(let p):
                        handle(c, p, t, &sink)
                    }
                }
            }
        }
    }

    func handle<S: EngineSink>(_ c: ClientConnection, _ p: SoupBinTCP.Packet, _ t: Int64, _ sink: inout S) {
        guard let s = c.session else {
            guard let login = SoupBinTCP.LoginRequestView(p) else {
                counters.disconnectsForBadInput += 1
                close(c, byServer: true)
                return
            }
            self.login(c, login, t)
            return
        }
        switch p.type {
        case .clientHeartbeat, .debug:
            return
        case .logoutRequest:
            flush(c, t)
            close(c, byServer: false)
        case .unsequencedData:
            counters.messagesReceived += 1
            let ok = s.user.version == .v42 ? ouch42(s, p.payload, &sink) : ouch50(s, p.payload, &sink)
            if !ok {
                counters.disconnectsForBadInput += 1
                flush(c, t)
                close(c, byServer: true)
            }
        default:
            counters.disconnectsForBadInput += 1
            close(c, byServer: true)
        }
    }

    func login(_ c: ClientConnection, _ l: SoupBinTCP.LoginRequestView, _ t: Int64) {
        guard let s = users.first(where: { $0.username == l.username && $0.password == l.password }) else {
            reject(c, "A", t)
            return
        }
        let requested = l.requestedSession
        let blank = Alpha10("", rightJustified: true)!
        guard requested == blank || requested == sessionName, s.connection == nil,
              let seq = l.requestedSequenceNumber else {
            reject(c, "S", t)
            return
        }
        let next = UInt64(s.log.count) + 1
        let from = seq == 0 ? next : min(max(seq, 1), next)
        c.session = s
        s.connection = c
        counters.logins += 1
        if let n = SoupBinTCP.encodeLoginAccepted(into: scratch, session: sessionName, sequenceNumber: from) {
            write(c, UnsafeRawBufferPointer(rebasing: scratch[0..<n]), t)
        }
        var i = Int(from) - 1
        while i < s.log.count {
            s.log[i].withUnsafeBytes { sequenced(c, $0, t) }
            counters.replayedMessages += 1
            i += 1
        }
    }

    func reject(_ c: ClientConnection, _ reason: ASCIICode, _ t: Int64) {
        counters.loginRejects += 1
        if let n = SoupBinTCP.encodeLoginRejected(into: scratch, reason: reason) {
            write(c, UnsafeRawBufferPointer(rebasing: scratch[0..<n]), t)
        }
        flush(c, t)
        close(c, byServer: true)
    }

    // MARK: - OUCH 4.2 in

    func ouch42<S: EngineSink>(_ s: UserSession, _ m: UnsafeRawBufferPointer, _ sink: inout S) -> Bool {
        guard case .success(let msg) = OUCH42.decodeInbound(m) else { return false }
        switch msg {
        case .enterOrder(let v):
            let o = v.message
            counters.ordersReceived += 1
            if s.usedTokens.contains(o.orderToken) {
                counters.duplicateTokens += 1
                return true
            }
            s.usedTokens.insert(o.orderToken)
            guard let locate = symbols[o.stock] else {
                send42Reject(s, o.orderToken, "S")
                return true
            }
            guard let side = o.side.bookSide else {
                send42Reject(s, o.orderToken, "Y")
                return true
            }
            let market = o.price.rawValue == 2_147_483_647
            entering = ClientOrder(token: o.orderToken, side: o.side, symbol: o.stock, price: o.price, tif4: o.timeInForce,
                                   display: o.display, capacity: o.capacity, sweep: o.intermarketSweepEligibility,
                                   cross: o.crossType, firm: o.firm)
            let kind: OrderKind = market ? .market : (o.timeInForce == OUCH42.immediateOrCancel ? .ioc : .limit)
            engine.submit(NewOrder(locate: locate, side: side, shares: o.shares, price: market ? .zero : o.price,
                                   kind: kind, owner: s.owner, attributed: o.display == "A"), &sink)
            entering = nil
        case .replaceOrder(let v):
            let r = v.message
            counters.ordersReceived += 1
            if s.usedTokens.contains(r.replacementOrderToken) {
                counters.duplicateTokens += 1
                return true
            }
            guard let ref = s.byToken[r.existingOrderToken], var order = s.orders[ref] else {
                // Not live (unknown, done or cancelled): nothing to replace.
                s.usedTokens.insert(r.replacementOrderToken)
                sendCancelReject(s, token: r.existingOrderToken, userRef: 0)
                return true
            }
            s.usedTokens.insert(r.replacementOrderToken)
            order.token = r.replacementOrderToken
            order.price = r.price
            order.tif4 = r.timeInForce
            order.display = r.display
            order.sweep = r.intermarketSweepEligibility
            entering = order
            engine.replace(ref: OrderRef(rawValue: ref), owner: s.owner, shares: order.openAfterReplace(liable: r.shares.rawValue), price: r.price, &sink)
            entering = nil
        case .cancelOrder(let v):
            let x = v.message
            guard let ref = s.byToken[x.orderToken], s.orders[ref] != nil else {
                sendCancelReject(s, token: x.orderToken, userRef: 0)
                return true
            }
            engine.cancel(ref: OrderRef(rawValue: ref), owner: s.owner, remaining: x.shares, &sink)
        case .modifyOrder(let v):
            let x = v.message
            guard let ref = s.byToken[x.orderToken], let order = s.orders[ref], x.side.bookSide == order.side.bookSide else {
                sendCancelReject(s, token: x.orderToken, userRef: 0)
                return true
            }
            engine.cancel(ref: OrderRef(rawValue: ref), owner: s.owner, remaining: x.shares, &sink)
            let left = engine.order(OrderRef(rawValue: ref))?.shares ?? Shares(rawValue: 0)
            emit(s, OUCH42.OrderModified(timestamp: now, orderToken: x.orderToken, side: x.side, shares: left))
        }
        return true
    }

    // MARK: - OUCH 5.0 in

    func ouch50<S: EngineSink>(_ s: UserSession, _ m: UnsafeRawBufferPointer, _ sink: inout S) -> Bool {
        guard case .success(let msg) = OUCH50.decodeInbound(m) else { return false }
        switch msg {
        case .enterOrder(let v):
            let o = v.message
            counters.ordersReceived += 1
            guard o.userRefNum > s.lastUserRef else {
                send50Reject(s, o.userRefNum, o.clOrdID, 0x0001)  // UserRefNum not increasing
                return true
            }
            s.lastUserRef = o.userRefNum
            guard let locate = symbols[o.symbol] else {
                send50Reject(s, o.userRefNum, o.clOrdID, 0x0002)  // unknown symbol
                return true
            }
            guard let side = o.side.bookSide else {
                send50Reject(s, o.userRefNum, o.clOrdID, 0x0003)  // bad side
                return true
            }
            entering = ClientOrder(userRef: o.userRefNum, side: o.side, symbol: o.symbol, price: o.price, tif5: o.timeInForce,
                                   display: o.display, capacity: o.capacity, sweep: o.intermarketSweepEligibility,
                                   cross: o.crossType, clOrdID: o.clOrdID)
            let kind: OrderKind = o.timeInForce == "3" ? .ioc : .limit
            engine.submit(NewOrder(locate: locate, side: side, shares: o.quantity, price: o.price, kind: kind,
                                   owner: s.owner, attributed: o.display == "A"), &sink)
            entering = nil
        case .replaceOrder(let v):
            let r = v.message
            counters.ordersReceived += 1
            guard r.userRefNum > s.lastUserRef else {
                send50Reject(s, r.userRefNum, r.clOrdID, 0x0001)
                return true
            }
            s.lastUserRef = r.userRefNum
            guard let ref = s.byUserRef[r.origUserRefNum], var order = s.orders[ref] else {
                sendCancelReject(s, token: .blank, userRef: r.origUserRefNum)
                return true
            }
            order.userRef = r.userRefNum
            order.price = r.price
            order.tif5 = r.timeInForce
            order.display = r.display
            order.sweep = r.intermarketSweepEligibility
            order.clOrdID = r.clOrdID
            entering = order
            engine.replace(ref: OrderRef(rawValue: ref), owner: s.owner, shares: order.openAfterReplace(liable: r.quantity.rawValue), price: r.price, &sink)
            entering = nil
        case .cancelOrder(let v):
            let x = v.message
            guard let ref = s.byUserRef[x.userRefNum], s.orders[ref] != nil else {
                sendCancelReject(s, token: .blank, userRef: x.userRefNum)
                return true
            }
            engine.cancel(ref: OrderRef(rawValue: ref), owner: s.owner, remaining: x.quantity, &sink)
        case .modifyOrder(let v):
            let x = v.message
            guard let ref = s.byUserRef[x.userRefNum], let order = s.orders[ref], x.side.bookSide == order.side.bookSide else {
                sendCancelReject(s, token: .blank, userRef: x.userRefNum)
                return true
            }
            engine.cancel(ref: OrderRef(rawValue: ref), owner: s.owner, remaining: x.quantity, &sink)
            let left = engine.order(OrderRef(rawValue: ref))?.shares ?? Shares(rawValue: 0)
            emit50(s, OUCH50.OrderModified(timestamp: now, userRefNum: x.userRefNum, side: x.side, quantity: left))
        case .massCancel, .accountQuery:
            // Not offered by this venue: answered with nothing, the session stays up.
            return true
        }
        return true
    }

    // MARK: - Engine events out

    /// An owner event from the engine; background participants (no session here) are ignored.
    public func route(_ e: EngineEvent) {
        switch e {
        case let .accepted(owner, ref, order):
            guard let s = session(owner), var c = entering else { return }
            c.leaves = order.shares.rawValue
            s.orders[ref.rawValue] = c
            if s.user.version == .v42 {
                s.byToken[c.token] = ref.rawValue
                emit(s, OUCH42.Accepted(timestamp: now, orderToken: c.token, side: c.side, shares: order.shares, stock: c.symbol,
                                        price: c.price, timeInForce: c.tif4, firm: c.firm, display: c.display,
                                        orderReferenceNumber: ref, capacity: c.capacity, intermarketSweepEligibility: c.sweep,
                                        minimumQuantity: Shares(rawValue: 0), crossType: c.cross, orderState: "L",
                                        bboWeightIndicator: " "))
            } else {
                s.byUserRef[c.userRef] = ref.rawValue
                emit50(s, OUCH50.OrderAccepted(timestamp: now, userRefNum: c.userRef, side: c.side, quantity: order.shares,
                                               symbol: c.symbol, price: c.price, timeInForce: c.tif5, display: c.display,
                                               orderReferenceNumber: ref, capacity: c.capacity, intermarketSweepEligibility: c.sweep,
                                               crossType: c.cross, orderState: "L", clOrdID: c.clOrdID))
            }
        case let .rejected(owner, reason):
            guard let s = session(owner), let c = entering else { return }
            counters.rejects += 1
            if s.user.version == .v42 {
                let code: ASCIICode = switch reason {
                case .unknownSymbol: "S"
                case .invalidShares: "Z"
                case .invalidPrice: "X"
                case .capacity: "V"
                default: "O"
                }
                send42Reject(s, c.token, code)
            } else {
                send50Reject(s, c.userRef, c.clOrdID, UInt16(0x0100) | UInt16(reason.rawValue))
            }
        case let .executed(owner, ref, shares, price, match, resting):
            guard let s = session(owner), let c = s.orders[ref.rawValue] else { return }
            if s.user.version == .v42 {
                emit(s, OUCH42.Executed(timestamp: now, orderToken: c.token, executedShares: shares, executionPrice: price,
                                        liquidityFlag: resting ? "A" : "R", matchNumber: match))
            } else {
                emit50(s, OUCH50.OrderExecuted(timestamp: now, userRefNum: c.userRef, quantity: shares, price: price,
                                               liquidityFlag: resting ? "A" : "R", matchNumber: match))
            }
            if let l = symbols[c.symbol], let side = c.side.bookSide {
                s.positions[l.rawValue, default: 0] += side == .buy ? Int64(shares.rawValue) : -Int64(shares.rawValue)
            }
            let left = c.leaves > shares.rawValue ? c.leaves - shares.rawValue : 0
            s.orders[ref.rawValue]?.leaves = left
            s.orders[ref.rawValue]?.executed &+= shares.rawValue
            if left == 0 { forget(s, ref.rawValue) }
        case let .canceled(owner, ref, shares, remaining, reason):
            guard let s = session(owner), let c = s.orders[ref.rawValue] else { return }
            let code: ASCIICode = switch reason {
            case .user: "U"
            case .immediateOrCancel: "I"
            case .selfMatch: "Q"
            }
            if s.user.version == .v42 {
                emit(s, OUCH42.Canceled(timestamp: now, orderToken: c.token, decrementShares: shares, reason: code))
            } else {
                emit50(s, OUCH50.OrderCanceled(timestamp: now, userRefNum: c.userRef, quantity: shares, reason: code))
            }
            s.orders[ref.rawValue]?.leaves = remaining.rawValue
            if remaining.rawValue == 0 { forget(s, ref.rawValue) }
        case let .replaced(owner, old, new, shares, price):
            guard let s = session(owner), let previous = s.orders[old.rawValue], var c = entering else { return }
            c.price = price
            c.leaves = shares.rawValue
            s.orders[old.rawValue] = nil
            s.orders[new.rawValue] = c
            if s.user.version == .v42 {
                s.byToken[previous.token] = nil
                s.byToken[c.token] = new.rawValue
                emit(s, OUCH42.Replaced(timestamp: now, replacementOrderToken: c.token, side: c.side, shares: shares, stock: c.symbol,
                                        price: price, timeInForce: c.tif4, firm: c.firm, display: c.display,
                                        orderReferenceNumber: new, capacity: c.capacity, intermarketSweepEligibility: c.sweep,
                                        minimumQuantity: Shares(rawValue: 0), crossType: c.cross, orderState: "L",
                                        previousOrderToken: previous.token, bboWeightIndicator: " "))
            } else {
                s.byUserRef[previous.userRef] = nil
                s.byUserRef[c.userRef] = new.rawValue
                emit50(s, OUCH50.OrderReplaced(timestamp: now, origUserRefNum: previous.userRef, userRefNum: c.userRef, side: c.side,
                                               quantity: shares, symbol: c.symbol, price: price, timeInForce: c.tif5, display: c.display,
                                               orderReferenceNumber: new, capacity: c.capacity, intermarketSweepEligibility: c.sweep,
                                               crossType: c.cross, orderState: "L", clOrdID: c.clOrdID))
            }
        case let .cancelRejected(owner, ref, _):
            guard let s = session(owner) else { return }
            let c = s.orders[ref.rawValue]
            sendCancelReject(s, token: c?.token ?? .blank, userRef: c?.userRef ?? 0)
        default:
            return
        }
    }

    /// A user's live orders (venue reference and open shares) and positions: the venue's view,
    /// for comparing with a gateway's. Call from the venue's thread or after it has stopped.
    public func snapshot(user: String) -> (orders: [UInt64: UInt32], positions: [UInt16: Int64])? {
        guard let s = users.first(where: { $0.user.username == user }) else { return nil }
        return (s.orders.mapValues(\.leaves), s.positions.filter { $0.value != 0 })
    }

    func session(_ owner: OrderOwner) -> UserSession? {
        let i = Int(owner.session) - 1
        return i >= 0 && i < users.count ? users[i] : nil
    }

    func forget(_ s: UserSession, _ ref: UInt64) {
        guard let c = s.orders.removeValue(forKey: ref) else { return }
        if s.user.version == .v42 { s.byToken[c.token] = nil } else { s.byUserRef[c.userRef] = nil }
    }

    func send42Reject(_ s: UserSession, _ token: Alpha14, _ reason: ASCIICode) {
        counters.rejects += 1
        emit(s, OUCH42.Rejected(timestamp: now, orderToken: token, reason: reason))
    }

    func send50Reject(_ s: UserSession, _ userRef: UInt32, _ clOrdID: Alpha14, _ reason: UInt16) {
        counters.rejects += 1
        emit50(s, OUCH50.OrderRejected(timestamp: now, userRefNum: userRef, reason: reason, clOrdID: clOrdID))
    }

    func sendCancelReject(_ s: UserSession, token: Alpha14, userRef: UInt32) {
        if s.user.version == .v42 {
            emit(s, OUCH42.CancelReject(timestamp: now, orderToken: token))
        } else {
            emit50(s, OUCH50.CancelReject(timestamp: now, userRefNum: userRef))
        }
    }

    // MARK: - Sequenced output

    func emit<M: OUCH42Encodable>(_ s: UserSession, _ m: M) {
        guard let n = m.encode(into: scratch) else { return }
        logAndSend(s, UnsafeRawBufferPointer(rebasing: scratch[0..<n]))
    }

    func emit50<M: OUCH50Encodable>(_ s: UserSession, _ m: M) {
        guard let n = m.encode(into: scratch) else { return }
        logAndSend(s, UnsafeRawBufferPointer(rebasing: scratch[0..<n]))
    }

    func logAndSend(_ s: UserSession, _ message: UnsafeRawBufferPointer) {
        s.log.append(Array(message))
        counters.messagesSent += 1
        if let c = s.connection, !c.closed {
            let t = monotonic()
            sequenced(c, message, t)
            flush(c, t)
        }
    }

    /// The 3-byte SoupBinTCP header: length (type byte + payload) and type.
    func header(_ c: ClientConnection, _ type: SoupBinTCP.PacketType, _ payloadLength: Int) {
        let length = payloadLength + 1
        c.pending.append(UInt8(truncatingIfNeeded: length >> 8))
        c.pending.append(UInt8(truncatingIfNeeded: length))
        c.pending.append(type.rawValue)
    }

    func sequenced(_ c: ClientConnection, _ message: UnsafeRawBufferPointer, _ t: Int64) {
        header(c, .sequencedData, message.count)
        c.pending.append(contentsOf: message)
    }

    func sendPacket(_ c: ClientConnection, _ type: SoupBinTCP.PacketType, _ payload: UnsafeRawBufferPointer?, _ t: Int64) {
        header(c, type, payload?.count ?? 0)
        if let payload { c.pending.append(contentsOf: payload) }
        flush(c, t)
    }

    func write(_ c: ClientConnection, _ bytes: UnsafeRawBufferPointer, _ t: Int64) {
        c.pending.append(contentsOf: bytes)
        flush(c, t)
    }

    /// Hands the kernel what it takes of the pending bytes; the rest waits for the next poll.
    func flush(_ c: ClientConnection, _ t: Int64) {
        guard !c.closed, !c.pending.isEmpty else { return }
        let n = c.pending.withUnsafeBytes { c.tcp.send($0) }
        if n < 0 {
            close(c, byServer: false)
            return
        }
        if n > 0 {
            c.pending.withUnsafeBytes { capture?.tcpData(&c.flow, fromServer: true, UnsafeRawBufferPointer(rebasing: $0[0..<n])) }
            c.pending.removeFirst(n)
            c.lastWrite = t
        }
    }

    func close(_ c: ClientConnection, byServer: Bool) {
        guard !c.closed else { return }
        c.closed = true
        if let s = c.session, s.connection === c { s.connection = nil }
        c.session = nil
        capture?.tcpClose(&c.flow, byServer: byServer)
        c.tcp.close()
    }

    func monotonic() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC_RAW, &ts)
        return Int64(ts.tv_sec) * 1_000_000_000 + Int64(ts.tv_nsec)
    }
}

