// The gateway's SoupBinTCP 3.0 client session, over a transport behind a small interface (the
// kernel's TCP today; a kernel-bypass TCP later implements the same four calls).
//
// States: disconnected -> awaiting login reply -> logged in -> (ended | logged out | failed).
// Login asks for the next sequence number the client expects (1 on a new day; the last one seen
// plus one after a reconnect, so the venue replays exactly what was missed and nothing twice).
// A heartbeat goes out after `heartbeatNanos` without sending; the peer is declared dead after
// `deadPeerNanos` without hearing anything (the venue heartbeats every second), and the
// connection is dropped so that the owner can reconnect. Login Rejected, End of Session and
// framing errors end the session with the reason kept.
//
// The client never blocks: `poll` reads what is there and hands each sequenced message, with
// its sequence number, to the handler; an OUCH message is encoded in place (`messageArea`, the
// transport's own frame where it offers one) and sent by `commitUnsequenced`, without
// allocation; `holdSends`/`releaseSends` put the orders of one decision into one write.
//
// What the transport does not take at once (a full socket buffer, a venue that stops reading)
// waits in a preallocated ring of `sendQueueBytes`: bounded, never grown. `sendRoom` says what
// still fits; the gateway refuses a new order before risk reserves anything when the room left
// is below its reserve for cancels, so the queue never has to drop a message it took. A message
// that still does not fit is refused whole (nothing of it is written), never cut.
//
// Credentials come from a file or the environment (`SoupBinTCPCredentials.load`), never from
// the command line, and are never printed: their description is redacted.
public import TickwireCore
#if os(Linux)
import Glibc
#endif

public struct SoupBinTCPCredentials: Sendable, CustomStringConvertible {
    public var username: String
    public var password: String
    public init(username: String, password: String) {
        self.username = username
        self.password = password
    }
    /// Never shows the password.
    public var description: String { "\(username):<redacted>" }

    /// From `TICKWIRE_OUCH_USER` and `TICKWIRE_OUCH_PASSWORD`, else from the first line
    /// `username:password` of `file`. Nil with the reason when neither is usable.
    public static func load(file: String?, environment: [String: String]) -> Result<SoupBinTCPCredentials, ConfigurationError> {
        if let u = environment["TICKWIRE_OUCH_USER"], let p = environment["TICKWIRE_OUCH_PASSWORD"] {
            return validate(u, p, from: "the environment")
        }
        guard let file else {
            return .failure(ConfigurationError("no OUCH credentials: set TICKWIRE_OUCH_USER and TICKWIRE_OUCH_PASSWORD or give a credentials file"))
        }
        guard let text = TextFile.read(file) else {
            return .failure(ConfigurationError("cannot read the credentials file \(file)"))
        }
        let line = text.split(separator: "\n").first.map(String.init) ?? ""
        let parts = line.split(separator: ":", maxSplits: 1).map(String.init)
        guard parts.count == 2 else { return .failure(ConfigurationError("credentials file \(file): expected one line username:password")) }
        return validate(parts[0], parts[1].trimmingCharacters(), from: file)
    }

    static func validate(_ u: String, _ p: String, from: String) -> Result<SoupBinTCPCredentials, ConfigurationError> {
        guard !u.isEmpty, u.utf8.count <= 6, Alpha6(u) != nil else {
            return .failure(ConfigurationError("credentials from \(from): the username must be 1 to 6 ASCII characters"))
        }
        guard p.utf8.count <= 10, Alpha10(p) != nil else {
            return .failure(ConfigurationError("credentials from \(from): the password must be at most 10 ASCII characters"))
        }
        return .success(SoupBinTCPCredentials(username: u, password: p))
    }
}

extension String {
    func trimmingCharacters() -> String {
        var s = Substring(self)
        while let l = s.last, l == " " || l == "\r" || l == "\t" { s = s.dropLast() }
        return String(s)
    }
}

/// Receives the session's traffic.
public protocol SoupBinTCPHandler {
    /// One sequenced message (an OUCH message from the venue) and its sequence number.
    mutating func sequenced(_ message: UnsafeRawBufferPointer, sequence: UInt64)
}

public enum SoupBinTCPState: Equatable, Sendable {
    case disconnected
    case awaitingLogin
    case loggedIn
    case rejected(reason: UInt8)
    case ended
    case loggedOut
    case failed(String)

    // Written out: the synthesized == (a String payload) was an outlined call that cost the
    // idle hot loop 17% of its samples (perf) for `state == .loggedIn`; this one inlines to a
    // tag compare.
    @inlinable
    public static func == (a: Self, b: Self) -> Bool {
        switch (a, b) {
        case (.disconnected, .disconnected), (.awaitingLogin, .awaitingLogin), (.loggedIn, .loggedIn), (.ended, .ended),
             (.loggedOut, .loggedOut):
            return true
        case (.rejected(let x), .rejected(let y)):
            return x == y
        case (.failed(let x), .failed(let y)):
            return x == y
        default:
            return false
        }
    }
}

public struct SoupBinTCPClientCounters: Sendable, Equatable {
    public var logins: UInt64 = 0
    public var heartbeatsSent: UInt64 = 0
    public var heartbeatsReceived: UInt64 = 0
    public var sequencedReceived: UInt64 = 0
    public var unsequencedSent: UInt64 = 0
    public var deadPeerTimeouts: UInt64 = 0
    public var sendStalls: UInt64 = 0
    /// Writes refused because the send queue had no room for them.
    public var sendQueueFull: UInt64 = 0
    /// The most bytes the send queue held at once.
    public var sendQueueHighWater: Int = 0
}

public final class SoupBinTCPClient<Transport: ByteStreamTransport> {
    public let credentials: SoupBinTCPCredentials
    /// The session asked for; blank: the venue's current one.
    public let requestedSession: String
    public var heartbeatNanos: Int64 = 1_000_000_000
    public var deadPeerNanos: Int64 = 5_000_000_000
    public private(set) var state: SoupBinTCPState = .disconnected
    public private(set) var transport: Transport? {
        didSet { hotTransport = transport.map { Unmanaged.passUnretained($0) } }
    }
    /// The same transport unretained, for poll and write (`guard let t = transport` retained and
    /// released it on every send and every read; `transport` keeps it alive).
    var hotTransport: Unmanaged<Transport>?
    /// The session the venue logged us into.
    public private(set) var session: String = ""
    /// The sequence number of the next sequenced message expected (1 = none seen yet).
    public private(set) var nextSequence: UInt64
    public private(set) var counters = SoupBinTCPClientCounters()
    var framer = SoupBinTCPFramer(maxPacketLength: 4096, direction: .fromServer)
    let readBuffer: UnsafeMutableRawBufferPointer
    let sendBuffer: UnsafeMutableRawBufferPointer
    /// Bytes framed but not yet taken by the transport (partial writes): a ring of
    /// `queue.count` bytes, `queued` of them from `queueHead` on.
    let queue: UnsafeMutableRawBufferPointer
    var queueHead = 0
    var queued = 0
    var lastSent: Int64 = 0
    var lastHeard: Int64 = 0

    /// `nextSequence`: where to start (1 on a new day; the journal's value after a restart).
    /// `sendQueueBytes`: room for what the transport does not take at once (at least 4 KiB).
    public init(credentials: SoupBinTCPCredentials, requestedSession: String = "", nextSequence: UInt64 = 1,
                sendQueueBytes: Int = 64 * 1024) {
        self.credentials = credentials
        self.requestedSession = requestedSession
        self.nextSequence = max(nextSequence, 1)
        readBuffer = .allocate(byteCount: 64 * 1024, alignment: 64)
        sendBuffer = .allocate(byteCount: 4096, alignment: 64)
        queue = .allocate(byteCount: max(sendQueueBytes, 4096), alignment: 64)
    }

    deinit {
        readBuffer.deallocate()
        sendBuffer.deallocate()
        queue.deallocate()
    }

    /// Bytes waiting for the transport.
    public var queuedBytes: Int { queued }
    /// What a write can still count on: the queue's free room, less what is held for the
    /// release (it may all end up queued).
    @inline(__always)
    public var sendRoom: Int { queue.count - queued - heldLength }

    /// Before a login: the next sequence number to ask for (from a journal).
    public func resume(nextSequence n: UInt64) { nextSequence = max(n, 1) }

    /// Starts a session on a connected transport: sends Login Request for `nextSequence`.
    public func start(_ t: Transport, now: Int64) {
        dropHeld()
        transport = t
        framer.reset()
        queueHead = 0
        queued = 0
        lastHeard = now
        guard let u = Alpha6(credentials.username), let p = Alpha10(credentials.password),
              let s = Alpha10(requestedSession, rightJustified: true),
              let n = SoupBinTCP.encodeLoginRequest(into: sendBuffer, username: u, password: p, requestedSession: s,
                                                    requestedSequenceNumber: nextSequence) else {
            fail("credentials or session do not fit SoupBinTCP's fields")
            return
        }
        state = .awaitingLogin
        write(UnsafeRawBufferPointer(rebasing: sendBuffer[0..<n]), now)
    }

    /// Reads and handles what has arrived, sends a heartbeat when due, detects a dead peer.
    /// Returns the number of sequenced messages delivered.
    @discardableResult
    public func poll<H: SoupBinTCPHandler>(now: Int64, _ handler: inout H) -> Int {
        if heldLength > 0 { flushHeld(now) }  // a holder that did not release: nothing waits behind a read
        guard let ut = hotTransport, ut._withUnsafeGuaranteedRef({ $0.isOpen }) else {
            if state == .awaitingLogin || state == .loggedIn { drop(now) }
            return 0
        }
        var delivered = 0
        // Zero copy where the transport can: the framer reads the transport's own buffer (a
        // packet that straddles two chunks is the one thing it copies).
        while state == .awaitingLogin || state == .loggedIn, let chunk = ut._withUnsafeGuaranteedRef({ $0.peekReceived() }) {
            let more = frame(chunk, now, &handler, &delivered)
            ut._withUnsafeGuaranteedRef { $0.consumeReceived(chunk.count) }
            if !more { return delivered }
        }
        reading: while state == .awaitingLogin || state == .loggedIn {
            switch ut._withUnsafeGuaranteedRef({ $0.receive(into: readBuffer) }) {
            case .wouldBlock:
                break reading
            case .closed, .error:
                drop(now)
                return delivered
            case .bytes(let n):
                if !frame(UnsafeRawBufferPointer(rebasing: readBuffer[0..<n]), now, &handler, &delivered) { return delivered }
            }
        }
        flushBacklog(now)
        if state == .loggedIn && now - lastSent >= heartbeatNanos && sendRoom >= 3,
           let n = SoupBinTCP.encodeEmpty(into: sendBuffer, type: .clientHeartbeat) {
            counters.heartbeatsSent += 1
            write(UnsafeRawBufferPointer(rebasing: sendBuffer[0..<n]), now)
        }
        if (state == .loggedIn || state == .awaitingLogin) && now - lastHeard > deadPeerNanos {
            counters.deadPeerTimeouts += 1
            drop(now)
        }
        return delivered
    }

    /// Frames one chunk of the stream (the transport's own memory or the read buffer): every
    /// whole packet is handled; the framer keeps a packet cut at the chunk's end. False when the
    /// session ended or failed on the way (the caller stops reading).
    @inline(__always)
    func frame<H: SoupBinTCPHandler>(_ chunk: UnsafeRawBufferPointer, _ now: Int64, _ handler: inout H, _ delivered: inout Int) -> Bool {
        lastHeard = now
        framer.feed(chunk)
        while true {
            switch framer.next() {
            case .needMoreData:
                return true
            case .failed(let e):
                fail("framing: \(e)")
                return false
            case .packet(let p):
                if handle(p, now, &handler) { delivered += 1 }
                if state != .awaitingLogin && state != .loggedIn { return false }
            }
        }
    }

    func handle<H: SoupBinTCPHandler>(_ p: SoupBinTCP.Packet, _ now: Int64, _ handler: inout H) -> Bool {
        switch p.type {
        case .loginAccepted:
            guard state == .awaitingLogin, let a = SoupBinTCP.LoginAcceptedView(p), let seq = a.sequenceNumber else {
                fail("unexpected or malformed Login Accepted")
                return false
            }
            session = a.session.description.trimmingLeadingSpaces()
            nextSequence = seq
            state = .loggedIn
            counters.logins += 1
        case .loginRejected:
            let r = SoupBinTCP.LoginRejectedView(p)?.reason.rawValue ?? 0
            state = .rejected(reason: r)
            transport?.close()
        case .sequencedData:
            guard state == .loggedIn else {
                fail("sequenced data before login")
                return false
            }
            let seq = nextSequence
            nextSequence &+= 1
            counters.sequencedReceived += 1
            handler.sequenced(p.payload, sequence: seq)
            return true
        case .serverHeartbeat:
            counters.heartbeatsReceived += 1
        case .endOfSession:
            state = .ended
            transport?.close()
        case .debug:
            break
        default:
            fail("the venue sent a client packet type \(p.type)")
        }
        return false
    }

    /// Where the next OUCH message is encoded in place (at offset 3 of its SoupBinTCP packet);
    /// then `commitUnsequenced`. The transport's own frame when it offers one (Tickwire's TCP:
    /// the message is encoded straight into the mbuf that leaves), else the send buffer.
    public var messageArea: UnsafeMutableRawBufferPointer {
        if heldLength > 0, heldArea != nil, !(hotTransport?._withUnsafeGuaranteedRef { $0.isOpen } ?? false) {
            drop(heldNow)  // the connection died under the hold: its frame is gone with it
        }
        if heldLength > 0 {
            let area = heldArea ?? sendBuffer
            reservedArea = nil
            if area.count - heldLength >= Self.messageRoom {
                return UnsafeMutableRawBufferPointer(rebasing: area[(heldLength + 3)...])
            }
            flushHeld(heldNow)
        }
        if state == .loggedIn, queued == 0, let ut = hotTransport,
           let a = ut._withUnsafeGuaranteedRef({ $0.reserveSend(maximum: sendBuffer.count) }), a.count > 3 {
            reservedArea = a
            return UnsafeMutableRawBufferPointer(rebasing: a[3...])
        }
        reservedArea = nil
        return UnsafeMutableRawBufferPointer(rebasing: sendBuffer[3...])
    }

    /// The transport's area handed out by the last `messageArea`, if it was one.
    var reservedArea: UnsafeMutableRawBufferPointer?

    /// Sends the `length`-byte message already encoded in `messageArea` (no copy).
    @discardableResult
    public func commitUnsequenced(length: Int, now: Int64) -> Bool {
        if holding {
            let area: UnsafeMutableRawBufferPointer
            if heldLength > 0 {
                area = heldArea ?? sendBuffer
            } else {
                heldArea = reservedArea
                area = reservedArea ?? sendBuffer
            }
            reservedArea = nil
            let base = heldLength
            guard state == .loggedIn, length > 0, base + 3 + length <= area.count,
                  SoupBinTCP.writeHeader(into: UnsafeMutableRawBufferPointer(rebasing: area[base...]), type: .unsequencedData,
                                         payloadLength: length) != nil else { return false }
            counters.unsequencedSent += 1
            heldLength = base + 3 + length
            heldNow = now
            return true
        }
        if let a = reservedArea {
            reservedArea = nil
            guard state == .loggedIn, length > 0, length + 3 <= a.count, let ut = hotTransport,
                  SoupBinTCP.writeHeader(into: a, type: .unsequencedData, payloadLength: length) != nil else { return false }
            counters.unsequencedSent += 1
            return commitReserved(ut, length: length + 3, now)
        }
        guard state == .loggedIn, length > 0, length + 3 <= sendBuffer.count,
              SoupBinTCP.writeHeader(into: sendBuffer, type: .unsequencedData, payloadLength: length) != nil else { return false }
        counters.unsequencedSent += 1
        return write(UnsafeRawBufferPointer(rebasing: sendBuffer[0..<(3 + length)]), now)
    }

    // MARK: - The orders of one decision in one write

    /// While held, `commitUnsequenced` puts each message after the one before (in the
    /// transport's frame when it offered one, else in the send buffer) and `releaseSends`
    /// writes them together: the orders a tick produces leave in one segment and one send call,
    /// so the second does not wait for the first's send (an af_packet kick or a kernel send is
    /// 5 to 15 µs here, and a market maker's two quotes are the common case). A message that
    /// does not fit what is left writes the held ones out first. A release the transport
    /// refuses drops the connection, like a send that fails: the gateway settles what the
    /// venue never saw after the reconnect's replay, as for bytes lost in a dying connection.
    var holding = false
    /// Bytes of whole SoupBinTCP packets held, at the start of `heldArea` or of `sendBuffer`.
    var heldLength = 0
    /// The transport's frame the held packets are in (nil: the send buffer).
    var heldArea: UnsafeMutableRawBufferPointer?
    var heldNow: Int64 = 0
    /// The room a message is given in a held area: more than the longest OUCH message with
    /// its SoupBinTCP header (OUCH 5.0 Enter Order with every appendage is under 150 bytes).
    static var messageRoom: Int { 256 }

    /// Holds what `commitUnsequenced` sends until `releaseSends` (see above).
    public func holdSends() { holding = true }

    /// Writes what was held since `holdSends`, in one send. False when the transport refused
    /// it (the connection is then dropped).
    @discardableResult
    public func releaseSends(now: Int64) -> Bool {
        holding = false
        return flushHeld(now)
    }

    @discardableResult
    func flushHeld(_ now: Int64) -> Bool {
        let n = heldLength
        guard n > 0 else { return true }
        heldLength = 0
        guard heldArea != nil else { return write(UnsafeRawBufferPointer(rebasing: sendBuffer[0..<n]), now) }
        heldArea = nil
        guard let ut = hotTransport else {
            drop(now)
            return false
        }
        return commitReserved(ut, length: n, now)
    }

    /// Sends the first `length` bytes of the transport's reserved frame; a refusal drops the
    /// connection (the reconnect's replay settles what the venue did not get).
    @inline(__always)
    func commitReserved(_ ut: Unmanaged<Transport>, length: Int, _ now: Int64) -> Bool {
        guard ut._withUnsafeGuaranteedRef({ $0.commitSend(length: length) }) >= 0 else {
            drop(now)
            return false
        }
        lastSent = now
        return true
    }

    /// Logout Request, then close.
    public func logout(now: Int64) {
        flushHeld(now)
        if state == .loggedIn, let n = SoupBinTCP.encodeEmpty(into: sendBuffer, type: .logoutRequest) {
            write(UnsafeRawBufferPointer(rebasing: sendBuffer[0..<n]), now)
        }
        state = .loggedOut
        transport?.close()
    }

    /// Writes whole packets: to the transport, what it does not take to the queue behind what
    /// waits there. False when nothing was written: no session, a failed send (the connection is
    /// dropped), or no room in the queue (counted; the caller refuses what it was sending).
    @discardableResult
    func write(_ bytes: UnsafeRawBufferPointer, _ now: Int64) -> Bool {
        guard let ut = hotTransport else { return false }
        if heldLength > 0 && heldArea != nil { flushHeld(now) }  // held bytes in the send buffer are `bytes` themselves
        if queued > 0 {
            flushBacklog(now)
            if queued > 0 {
                guard bytes.count <= queue.count - queued else {
                    counters.sendQueueFull += 1
                    return false
                }
                enqueue(bytes)
                return state == .loggedIn || state == .awaitingLogin
            }
            guard state == .loggedIn || state == .awaitingLogin else { return false }
        }
        let n = ut._withUnsafeGuaranteedRef { $0.send(bytes) }
        if n < 0 {
            drop(now)
            return false
        }
        lastSent = now
        if n < bytes.count {
            counters.sendStalls += 1
            let rest = UnsafeRawBufferPointer(rebasing: bytes[n...])
            guard rest.count <= queue.count - queued else {
                // Part of a packet is on the wire and the rest has nowhere to go: the stream
                // cannot be mended, so the connection is dropped (the reconnect's replay settles
                // what the venue did not get). The gateway's room checks keep this from happening.
                counters.sendQueueFull += 1
                drop(now)
                return false
            }
            enqueue(rest)
        }
        return true
    }

    /// Appends to the queue (the caller checked the room).
    func enqueue(_ bytes: UnsafeRawBufferPointer) {
        var tail = queueHead + queued
        if tail >= queue.count { tail -= queue.count }
        let first = min(bytes.count, queue.count - tail)
        queue.baseAddress!.advanced(by: tail).copyMemory(from: bytes.baseAddress!, byteCount: first)
        if first < bytes.count {
            queue.baseAddress!.copyMemory(from: bytes.baseAddress! + first, byteCount: bytes.count - first)
        }
        queued += bytes.count
        if queued > counters.sendQueueHighWater { counters.sendQueueHighWater = queued }
    }

    @inline(__always)
    func flushBacklog(_ now: Int64) {
        // The empty check first and the transport unretained: this runs on every poll, and
        // `guard let t = transport` cost a retain and a release each time (3% of the idle loop).
        guard queued > 0, let ut = hotTransport else { return }
        while queued > 0 {
            let run = min(queued, queue.count - queueHead)
            let n = ut._withUnsafeGuaranteedRef { $0.send(UnsafeRawBufferPointer(rebasing: queue[queueHead..<(queueHead + run)])) }
            if n < 0 {
                drop(now)
                return
            }
            if n == 0 { return }
            lastSent = now
            queued -= n
            queueHead += n
            if queueHead == queue.count { queueHead = 0 }
            if queued == 0 { queueHead = 0 }
            if n < run { return }
        }
    }

    /// Held messages that will not leave (the connection is gone; the transport frees its frame).
    func dropHeld() {
        heldLength = 0
        heldArea = nil
        reservedArea = nil
    }

    /// The connection is gone: ready for a reconnect that asks for `nextSequence`.
    func drop(_ now: Int64) {
        dropHeld()
        transport?.close()
        state = .disconnected
    }

    func fail(_ why: String) {
        dropHeld()
        transport?.close()
        state = .failed(why)
    }
}

extension String {
    func trimmingLeadingSpaces() -> String { String(drop { $0 == " " }) }
}
