// MoldUDP64: NASDAQ's sequenced UDP framing for ITCH, with A/B line arbitration, gap detection,
// bounded buffering of early packets and recovery through re-requests.
//
// Downstream packet: session (10 bytes ASCII) | sequence of the first message (8, BE) |
// message count (2, BE; 0 = heartbeat, 0xFFFF = end of session) | count x [length (2, BE) | message].
// A re-request is the header alone, sent to the re-request server: session, first sequence
// wanted, count wanted. Its answer is ordinary downstream packets (unicast).
//
// Arbitration: the same packets arrive on line A and line B. Whichever copy of a sequence
// number arrives first is delivered; later copies are duplicates (counted per line). Either line
// may be ahead. A packet beyond the next expected sequence opens a gap: the packet is copied into
// a preallocated slot and the gap waits `arbitrationWindowNanos` for the other line to fill it,
// then is re-requested (`requestTimeoutNanos` per try, `maxRequestRetries` retries), then given
// up: the missing messages are reported (never silent) and delivery resumes after the hole.
// Messages are handed on strictly in sequence, each exactly once.
//
// Early packets are held in preallocated slots indexed by their first sequence number modulo
// `sequenceWindow` (a packet further ahead than the window is not held: counted, and fetched by
// the re-request later): holding a packet and finding the next one due are O(1), and closing a
// gap of k held packets costs O(k + messages), not O(k x slots).
//
// What one packet may not do (a spoofed datagram or a flipped bit): move the session far ahead,
// or end it. A packet or heartbeat more than `maxSequenceJump` beyond the highest sequence seen
// is held apart and believed only when confirmed: by the other live line (a packet within the
// bound of it), or on its own line by the packet that continues it; unconfirmed, it is counted
// (`implausibleSequences`) and dropped. A packet of another session id changes the session only
// after an end of session, or when the other live line shows the same new session; before that
// it is counted (`foreignSession`) and dropped.
/// A MoldUDP64 session id (10 ASCII bytes, space padded), stored inline.
@frozen public struct MoldSession: Hashable, Sendable, CustomStringConvertible {
    public var high: UInt64  // bytes 0..7
    public var low: UInt16   // bytes 8..9

    @inlinable public init(high: UInt64, low: UInt16) {
        self.high = high
        self.low = low
    }

    /// From text: at most 10 ASCII characters, padded with spaces.
    public init(_ text: String) {
        var b = [UInt8](repeating: 0x20, count: 10)
        for (i, c) in text.utf8.prefix(10).enumerated() { b[i] = c }
        high = b[0..<8].reduce(0) { $0 << 8 | UInt64($1) }
        low = UInt16(b[8]) << 8 | UInt16(b[9])
    }

    @inlinable init(bytes p: UnsafeRawPointer) {
        high = UInt64(bigEndian: p.loadUnaligned(as: UInt64.self))
        low = UInt16(bigEndian: p.loadUnaligned(fromByteOffset: 8, as: UInt16.self))
    }

    @inlinable func write(to p: UnsafeMutableRawPointer) {
        p.storeBytes(of: high.bigEndian, as: UInt64.self)
        p.storeBytes(of: low.bigEndian, toByteOffset: 8, as: UInt16.self)
    }

    public var description: String {
        var b: [UInt8] = []
        for i in (0..<8).reversed() { b.append(UInt8(truncatingIfNeeded: high >> (UInt64(i) * 8))) }
        b.append(UInt8(low >> 8))
        b.append(UInt8(low & 0xFF))
        return String(decoding: b, as: UTF8.self).trimmingTrailingSpaces()
    }
}

extension String {
    func trimmingTrailingSpaces() -> String {
        var s = Substring(self)
        while s.last == " " || s.last == "\0" { s.removeLast() }
        return String(s)
    }
}

/// A checked view of one downstream packet: the header and every message block were bounds
/// checked once in `init`; iteration after that cannot run past the end.
@frozen public struct MoldUDP64Packet {
    public static let headerLength = 20
    public static let heartbeatCount: UInt16 = 0
    public static let endOfSessionCount: UInt16 = 0xFFFF

    public let bytes: UnsafeRawBufferPointer
    public let session: MoldSession
    public let sequence: UInt64
    public let count: UInt16

    /// nil when the header is short or a message block runs past the end of the datagram.
    @inlinable
    public init?(_ bytes: UnsafeRawBufferPointer) {
        guard bytes.count >= Self.headerLength, let base = bytes.baseAddress else { return nil }
        session = MoldSession(bytes: base)
        sequence = UInt64(bigEndian: base.loadUnaligned(fromByteOffset: 10, as: UInt64.self))
        count = UInt16(bigEndian: base.loadUnaligned(fromByteOffset: 18, as: UInt16.self))
        self.bytes = bytes
        if count == Self.endOfSessionCount { return }
        var off = Self.headerLength
        for _ in 0..<count {
            guard off + 2 <= bytes.count else { return nil }
            let len = Int(UInt16(bigEndian: base.loadUnaligned(fromByteOffset: off, as: UInt16.self)))
            off += 2 + len
            guard off <= bytes.count else { return nil }
        }
    }

    /// Reads a re-request (the 20-byte header alone, count = messages wanted): (session,
    /// sequence, count), nil when the datagram is not exactly a header.
    @inlinable
    public static func parseRequest(_ bytes: UnsafeRawBufferPointer) -> (session: MoldSession, sequence: UInt64, count: UInt16)? {
        guard bytes.count == headerLength, let base = bytes.baseAddress else { return nil }
        return (MoldSession(bytes: base),
                UInt64(bigEndian: base.loadUnaligned(fromByteOffset: 10, as: UInt64.self)),
                UInt16(bigEndian: base.loadUnaligned(fromByteOffset: 18, as: UInt16.self)))
    }

    @inlinable public var isHeartbeat: Bool { count == Self.heartbeatCount }
    @inlinable public var isEndOfSession: Bool { count == Self.endOfSessionCount }
    /// Messages carried (0 for heartbeats and end of session).
    @inlinable public var messageCount: Int { isEndOfSession ? 0 : Int(count) }

    /// Calls `body(message, sequence)` for each message, skipping the first `skip`.
    @inlinable
    public func forEachMessage(skipping skip: Int = 0, _ body: (UnsafeRawBufferPointer, UInt64) -> Void) {
        guard let base = bytes.baseAddress else { return }
        var off = Self.headerLength
        for i in 0..<messageCount {
            let len = Int(UInt16(bigEndian: base.loadUnaligned(fromByteOffset: off, as: UInt16.self)))
            if i >= skip {
                body(UnsafeRawBufferPointer(start: base + off + 2, count: len), sequence &+ UInt64(i))
            }
            off += 2 + len
        }
    }

    /// Writes a packet header (also the whole of a re-request). Returns 20, or nil if too small.
    @inlinable
    public static func writeHeader(into out: UnsafeMutableRawBufferPointer, session: MoldSession,
                                   sequence: UInt64, count: UInt16) -> Int? {
        guard out.count >= headerLength, let p = out.baseAddress else { return nil }
        session.write(to: p)
        p.storeBytes(of: sequence.bigEndian, toByteOffset: 10, as: UInt64.self)
        p.storeBytes(of: count.bigEndian, toByteOffset: 18, as: UInt16.self)
        return headerLength
    }
}

/// Which copy a packet is: line A, line B, or an answer from the re-request server.
public enum FeedLine: Int, Sendable, CaseIterable {
    case a = 0, b = 1, recovery = 2
}

/// Receives the messages of a session, in sequence, each once.
public protocol MoldUDP64Consumer {
    mutating func onMessage(_ message: UnsafeRawBufferPointer, sequence: UInt64)
}

/// Sends re-requests. Returns false when there is no server to ask (the gap is then reported
/// as unrecoverable at once).
public protocol MoldUDP64Requester {
    mutating func requestRetransmission(session: MoldSession, sequence: UInt64, count: UInt16) -> Bool
}

/// A requester for feeds without a re-request server: every gap is reported, none recovered.
public struct NoRecovery: MoldUDP64Requester {
    public init() {}
    public mutating func requestRetransmission(session: MoldSession, sequence: UInt64, count: UInt16) -> Bool { false }
}

public struct MoldUDP64Configuration: Sendable {
    /// Early packets held while a gap is open (each up to `slotBytes`).
    public var bufferedPackets: Int = 4096
    public var slotBytes: Int = 2048
    /// How far ahead of the next expected sequence number an early packet may start and still be
    /// held (a power of two, at least `bufferedPackets`).
    public var sequenceWindow: Int = 1 << 16
    /// The plausibility bound: a packet or heartbeat further than this beyond the highest sequence
    /// number seen needs confirmation (see the header). A second of NASDAQ's busiest days is
    /// well under a million messages.
    public var maxSequenceJump: UInt64 = 1_000_000
    /// How long a gap waits for the other line before it is re-requested.
    public var arbitrationWindowNanos: UInt64 = 200_000
    public var requestTimeoutNanos: UInt64 = 50_000_000
    public var maxRequestRetries: Int = 3
    /// Largest count in one re-request.
    public var maxRequestCount: Int = 1000
    /// The first sequence expected; nil: the first packet seen sets it (joining mid-session).
    public var startSequence: UInt64? = 1
    public init() {}
}

/// One count per line (A, B, recovery), stored inline: copying the counters (the telemetry's
/// snapshot every 10 ms) must not retain and release array buffers on the hot thread.
public struct LineCounts: Sendable, Equatable {
    public var a: UInt64 = 0
    public var b: UInt64 = 0
    public var recovery: UInt64 = 0
    public init() {}
    @inlinable public subscript(_ line: Int) -> UInt64 {
        get { line == 0 ? a : line == 1 ? b : recovery }
        set {
            switch line {
            case 0: a = newValue
            case 1: b = newValue
            default: recovery = newValue
            }
        }
    }
    @inlinable public var total: UInt64 { a &+ b &+ recovery }
}

/// What happened on the feed, for telemetry and the replay's JSON.
public struct MoldUDP64Counters: Sendable, Equatable {
    public var packets = LineCounts()               // per FeedLine
    public var duplicatePackets = LineCounts()
    public var messages: UInt64 = 0                 // delivered
    public var heartbeats: UInt64 = 0
    public var endOfSession: UInt64 = 0
    public var malformed: UInt64 = 0
    public var foreignSession: UInt64 = 0           // packets of another session id, dropped
    public var sessionChanges: UInt64 = 0
    public var gaps: UInt64 = 0                     // holes opened
    public var gapsFilledByOtherLine: UInt64 = 0
    public var requestsSent: UInt64 = 0
    public var requestRetries: UInt64 = 0
    public var recoveredMessages: UInt64 = 0        // delivered from re-request answers
    public var unrecoveredMessages: UInt64 = 0      // given up: reported, skipped
    public var bufferOverflows: UInt64 = 0          // early packets that found no slot
    public var oversizePackets: UInt64 = 0          // early packets larger than a slot
    public var beyondWindow: UInt64 = 0             // early packets too far ahead to hold
    public var implausibleSequences: UInt64 = 0     // far-ahead packets never confirmed, dropped
    public var confirmedJumps: UInt64 = 0           // far-ahead packets confirmed and taken
    public init() {}

    public var duplicates: UInt64 { duplicatePackets.total }
}

public final class MoldUDP64Session<Consumer: MoldUDP64Consumer, Requester: MoldUDP64Requester> {
    public var consumer: Consumer
    public var requester: Requester
    public let configuration: MoldUDP64Configuration
    public private(set) var counters = MoldUDP64Counters()
    public private(set) var session: MoldSession?
    /// The next sequence number to deliver.
    public private(set) var nextSequence: UInt64
    /// The highest sequence number known to exist (from any packet or heartbeat), + 1.
    public private(set) var highWater: UInt64
    public private(set) var ended = false

    // Early packets: slot i holds `slotBytes` at arena + i * slotBytes. Every held packet starts
    // in (nextSequence, nextSequence + window), so its start modulo the window is unique:
    // `slotIndex[start & windowMask]` is its slot (-1: none). Free slots are on a stack.
    private let arena: UnsafeMutableRawPointer
    private let slotSeq: UnsafeMutablePointer<UInt64>
    private let slotCount: UnsafeMutablePointer<UInt16>
    private let slotLen: UnsafeMutablePointer<Int>   // 0 = free
    private let slotLine: UnsafeMutablePointer<FeedLine>
    private let slotIndex: UnsafeMutablePointer<Int32>
    private let freeSlots: UnsafeMutablePointer<Int32>
    private var freeCount: Int
    private let window: Int
    private let windowMask: UInt64
    private var buffered = 0

    // A far-ahead packet waiting for confirmation (see the header).
    private var suspectOpen = false
    private var suspectSequence: UInt64 = 0
    private var suspectEnd: UInt64 = 0
    private var suspectLine = FeedLine.a
    // A packet of another session id seen on one live line, waiting for the other line.
    private var pendingSession: MoldSession?
    private var pendingSessionLine = FeedLine.a
    private var pendingSessionSequence: UInt64 = 0

    // The open gap [nextSequence, gapEnd): when it opened, and the outstanding request.
    private var gapOpenedAt: UInt64 = 0
    private var gapOpen = false
    private var requestSentAt: UInt64 = 0
    private var requestOutstanding = false
    private var requestTries = 0
    private var requestedFrom: UInt64 = 0
    private var requestedCount: UInt64 = 0
    // When each hole was first seen: (first missing sequence, time), oldest first, bounded.
    // A hole is timed from its detection, not from when the holes before it were settled.
    private let holeStart: UnsafeMutablePointer<UInt64>
    private let holeTime: UnsafeMutablePointer<UInt64>
    private let holeCapacity = 1024
    private var holeHead = 0
    private var holeCount = 0

    public init(consumer: Consumer, requester: Requester, configuration: MoldUDP64Configuration = .init()) {
        precondition(configuration.bufferedPackets > 0 && configuration.bufferedPackets <= Int(Int32.max)
                     && configuration.slotBytes >= MoldUDP64Packet.headerLength)
        precondition(configuration.sequenceWindow >= configuration.bufferedPackets
                     && configuration.sequenceWindow & (configuration.sequenceWindow - 1) == 0, "sequenceWindow: a power of two >= bufferedPackets")
        self.consumer = consumer
        self.requester = requester
        self.configuration = configuration
        nextSequence = configuration.startSequence ?? 0
        highWater = nextSequence
        let n = configuration.bufferedPackets
        arena = UnsafeMutableRawPointer.allocate(byteCount: n * configuration.slotBytes, alignment: 64)
        slotSeq = .allocate(capacity: n)
        slotSeq.initialize(repeating: 0, count: n)
        slotCount = .allocate(capacity: n)
        slotCount.initialize(repeating: 0, count: n)
        slotLen = .allocate(capacity: n)
        slotLen.initialize(repeating: 0, count: n)
        slotLine = .allocate(capacity: n)
        slotLine.initialize(repeating: .a, count: n)
        window = configuration.sequenceWindow
        windowMask = UInt64(window - 1)
        slotIndex = .allocate(capacity: window)
        slotIndex.initialize(repeating: -1, count: window)
        freeSlots = .allocate(capacity: n)
        for i in 0..<n { (freeSlots + i).initialize(to: Int32(n - 1 - i)) }
        freeCount = n
        holeStart = .allocate(capacity: holeCapacity)
        holeStart.initialize(repeating: 0, count: holeCapacity)
        holeTime = .allocate(capacity: holeCapacity)
        holeTime.initialize(repeating: 0, count: holeCapacity)
    }

    deinit {
        arena.deallocate()
        slotSeq.deallocate()
        slotCount.deallocate()
        slotLen.deallocate()
        slotLine.deallocate()
        slotIndex.deallocate()
        freeSlots.deallocate()
        holeStart.deallocate()
        holeTime.deallocate()
    }

    /// True while a hole is open (waiting for the other line or for the re-request server).
    public var hasGap: Bool { gapOpen }
    /// True while a re-request is waiting for its answer.
    public var awaitingRecovery: Bool { requestOutstanding }
    /// Messages known to exist and not yet delivered.
    public var missing: UInt64 { highWater > nextSequence ? highWater - nextSequence : 0 }

    /// Feeds one datagram from `line` received at `now` (ns, any monotonic clock shared with
    /// `poll`). Malformed and foreign packets are counted and dropped.
    public func onPacket(_ bytes: UnsafeRawBufferPointer, line: FeedLine, now: UInt64) {
        counters.packets[line.rawValue] &+= 1
        guard let p = MoldUDP64Packet(bytes) else {
            counters.malformed &+= 1
            return
        }
        if session != p.session {
            if session == nil {
                session = p.session
                if configuration.startSequence == nil {
                    nextSequence = p.sequence
                    highWater = p.sequence
                }
            } else if line == .recovery {
                counters.foreignSession &+= 1
                return
            } else if ended || (pendingSession == p.session && pendingSessionLine != line) {
                // A new session after an end of session, or shown by both live lines: what the
                // old one still owed is lost with it. The new one starts at the first of its
                // packets seen (one dropped while unconfirmed is fetched again).
                let start = ended ? p.sequence : min(p.sequence, pendingSessionSequence)
                reportLoss(upTo: highWater)
                holeCount = 0
                counters.sessionChanges &+= 1
                session = p.session
                nextSequence = start
                highWater = start
                ended = false
                pendingSession = nil
                suspectOpen = false
                clearBuffer()
            } else {
                // One line alone cannot change the session: held apart until the other agrees.
                pendingSession = p.session
                pendingSessionLine = line
                pendingSessionSequence = p.sequence
                counters.foreignSession &+= 1
                return
            }
        }
        if p.sequence > highWater && p.sequence &- highWater > configuration.maxSequenceJump {
            guard confirmsJump(p, line: line) else {
                counters.implausibleSequences &+= 1
                return
            }
            counters.confirmedJumps &+= 1
        }
        if p.isHeartbeat { counters.heartbeats &+= 1 }
        if p.isEndOfSession {
            counters.endOfSession &+= 1
            ended = true
        }
        let end = p.sequence &+ UInt64(p.messageCount)
        if p.sequence > highWater { recordHole(from: highWater, at: now) }
        if end > highWater { highWater = end }
        if p.messageCount == 0 {
            // A heartbeat or end of session announces the next sequence: a tail loss shows here.
            noteGap(now: now)
            return
        }
        if end <= nextSequence {
            counters.duplicatePackets[line.rawValue] &+= 1
            return
        }
        if p.sequence <= nextSequence {
            let from = nextSequence
            deliver(p, from: line)
            drainBuffer(from: from)
            settleGap(now: now)
            return
        }
        // Early: hold it until the hole before it is filled.
        store(p, line: line)
        noteGap(now: now)
    }

    /// Advances timers: a gap past its arbitration window is re-requested; a request past its
    /// timeout is retried, then given up.
    public func poll(now: UInt64) {
        guard gapOpen else { return }
        if !requestOutstanding {
            if now &- gapOpenedAt >= configuration.arbitrationWindowNanos { sendRequest(now: now) }
            return
        }
        if now &- requestSentAt >= configuration.requestTimeoutNanos {
            if requestTries > configuration.maxRequestRetries {
                giveUp(now: now)
            } else {
                counters.requestRetries &+= 1
                sendRequest(now: now)
            }
        }
    }

    /// Forces what is still open to its end: re-request now (if not yet), or give up every
    /// remaining hole when `giveUp` is true. Used at the end of a replay.
    public func resolveNow(now: UInt64, giveUp: Bool) {
        guard gapOpen else { return }
        if giveUp {
            while gapOpen {
                let before = nextSequence
                self.giveUp(now: now)
                if nextSequence == before { break }
            }
        } else if !requestOutstanding {
            sendRequest(now: now)
        }
    }

    // MARK: - internals

    private func deliver(_ p: MoldUDP64Packet, from line: FeedLine) {
        let skip = Int(nextSequence &- p.sequence)
        let recovered = line == .recovery
        // A plain loop, not forEachMessage's closure: the closure captured the session and cost
        // a retain and release per packet on the hot path (package-benchmark).
        if let base = p.bytes.baseAddress {
            var off = MoldUDP64Packet.headerLength
            for i in 0..<p.messageCount {
                let len = Int(UInt16(bigEndian: base.loadUnaligned(fromByteOffset: off, as: UInt16.self)))
                if i >= skip { consumer.onMessage(UnsafeRawBufferPointer(start: base + off + 2, count: len), sequence: p.sequence &+ UInt64(i)) }
                off += 2 + len
            }
        }
        let n = UInt64(p.messageCount - skip)
        counters.messages &+= n
        if recovered { counters.recoveredMessages &+= n }
        nextSequence = p.sequence &+ UInt64(p.messageCount)
    }

    /// Whether a far-ahead packet is confirmed: by the other live line (a packet within the bound
    /// of the one held apart), or by the packet that continues it on its own line. Otherwise it
    /// becomes the one held apart (recovery answers never do: they answer what was asked).
    private func confirmsJump(_ p: MoldUDP64Packet, line: FeedLine) -> Bool {
        guard line != .recovery else { return false }
        if suspectOpen {
            let distance = p.sequence >= suspectSequence ? p.sequence - suspectSequence : suspectSequence - p.sequence
            if (line != suspectLine && distance <= configuration.maxSequenceJump) || (line == suspectLine && p.sequence == suspectEnd) {
                suspectOpen = false
                return true
            }
        }
        suspectOpen = true
        suspectSequence = p.sequence
        suspectEnd = p.sequence &+ UInt64(p.messageCount)
        suspectLine = line
        return false
    }

    /// The slot holding the packet that starts at `sequence`, or -1.
    @inline(__always)
    private func heldSlot(startingAt sequence: UInt64) -> Int {
        let i = Int(slotIndex[Int(sequence & windowMask)])
        return i >= 0 && slotSeq[i] == sequence ? i : -1
    }

    @inline(__always)
    private func release(_ i: Int) {
        slotIndex[Int(slotSeq[i] & windowMask)] = -1
        slotLen[i] = 0
        freeSlots[freeCount] = Int32(i)
        freeCount += 1
        buffered -= 1
    }

    /// Holds an early packet (it starts beyond `nextSequence`).
    private func store(_ p: MoldUDP64Packet, line: FeedLine) {
        let len = p.bytes.count
        if len > configuration.slotBytes {
            counters.oversizePackets &+= 1
            return
        }
        guard p.sequence &- nextSequence < UInt64(window) else {
            counters.beyondWindow &+= 1
            return
        }
        var slot = heldSlot(startingAt: p.sequence)
        if slot >= 0 {
            if Int(slotCount[slot]) >= p.messageCount { return }  // already held (the other line's copy)
        } else {
            guard freeCount > 0 else {
                counters.bufferOverflows &+= 1
                return
            }
            freeCount -= 1
            slot = Int(freeSlots[freeCount])
            slotIndex[Int(p.sequence & windowMask)] = Int32(slot)
            buffered += 1
        }
        (arena + slot * configuration.slotBytes).copyMemory(from: p.bytes.baseAddress!, byteCount: len)
        slotSeq[slot] = p.sequence
        slotCount[slot] = UInt16(p.messageCount)
        slotLen[slot] = len
        slotLine[slot] = line
    }

    /// After delivery moved `nextSequence` on from `from`: delivers held packets that now
    /// continue the sequence, in order, and frees those it overtook. Only packets starting in
    /// (from, nextSequence] can be due, and each start is visited once as `nextSequence` grows.
    private func drainBuffer(from: UInt64) {
        var s = from &+ 1
        var visited = 0
        while buffered > 0 && s <= nextSequence && visited < window {
            let i = heldSlot(startingAt: s)
            if i >= 0 {
                if s &+ UInt64(slotCount[i]) <= nextSequence {
                    release(i)  // overtaken: its messages were delivered already
                } else {
                    let bytes = UnsafeRawBufferPointer(start: arena + i * configuration.slotBytes, count: slotLen[i])
                    let line = slotLine[i]
                    release(i)
                    if let p = MoldUDP64Packet(bytes) { deliver(p, from: line) }
                }
            }
            s &+= 1
            visited += 1
        }
    }

    private func clearBuffer() {
        for i in 0..<configuration.bufferedPackets where slotLen[i] != 0 { release(i) }
        buffered = 0
        gapOpen = false
        requestOutstanding = false
    }

    private func noteGap(now: UInt64) {
        if nextSequence < highWater {
            if !gapOpen {
                gapOpen = true
                gapOpenedAt = detectionTime(of: nextSequence) ?? now
                requestTries = 0
                counters.gaps &+= 1
            }
        } else {
            settleGap(now: now)
        }
    }

    /// Called after progress: closes the gap if the hole is filled, or re-arms it for the next
    /// hole further on.
    private func settleGap(now: UInt64) {
        guard gapOpen else {
            noteGapIfAny(now: now)
            return
        }
        if nextSequence >= highWater {
            if !requestOutstanding && requestTries == 0 { counters.gapsFilledByOtherLine &+= 1 }
            gapOpen = false
            requestOutstanding = false
            return
        }
        if requestOutstanding && nextSequence >= requestedFrom &+ requestedCount {
            // The requested part arrived; a further hole (if any) is requested at once.
            requestOutstanding = false
            requestTries = 0
            sendRequest(now: now)
        }
    }

    private func noteGapIfAny(now: UInt64) {
        if nextSequence < highWater {
            noteGap(now: now)
        }
    }

    private func sendRequest(now: UInt64) {
        guard let s = session else { return }
        // Ask for the hole up to the first held packet (or the high-water mark).
        let holeEnd = currentHoleEnd(within: UInt64(configuration.maxRequestCount))
        // UInt64 throughout: a hostile sequence number can make the hole wider than Int.
        let count = min(holeEnd &- nextSequence, UInt64(configuration.maxRequestCount))
        if count == 0 { return }
        requestTries += 1
        if requester.requestRetransmission(session: s, sequence: nextSequence, count: UInt16(count)) {
            counters.requestsSent &+= 1
            requestOutstanding = true
            requestSentAt = now
            requestedFrom = nextSequence
            requestedCount = count
        } else {
            giveUp(now: now)
        }
    }

    /// The end of the hole at `nextSequence`, looking at most `limit` sequence numbers ahead:
    /// the first held packet after it, or the high-water mark (or `nextSequence + limit`).
    /// Held packets start within the window, so the scan stops there.
    private func currentHoleEnd(within limit: UInt64 = .max) -> UInt64 {
        let end = highWater &- nextSequence <= limit ? highWater : nextSequence &+ limit
        guard buffered > 0 else { return end }
        var s = nextSequence &+ 1
        var visited = 0
        while s < end && visited < window {
            if heldSlot(startingAt: s) >= 0 { return s }
            s &+= 1
            visited += 1
        }
        return end
    }

    /// Reports the current hole as lost and resumes after it.
    private func giveUp(now: UInt64) {
        let holeEnd = currentHoleEnd()
        counters.unrecoveredMessages &+= holeEnd &- nextSequence
        let from = nextSequence
        nextSequence = holeEnd
        requestOutstanding = false
        gapOpen = false
        requestTries = 0
        drainBuffer(from: from)
        noteGapIfAny(now: now)
    }

    private func recordHole(from sequence: UInt64, at now: UInt64) {
        if holeCount == holeCapacity {
            holeHead = (holeHead + 1) % holeCapacity
            holeCount -= 1
        }
        let i = (holeHead + holeCount) % holeCapacity
        holeStart[i] = sequence
        holeTime[i] = now
        holeCount += 1
    }

    /// When `sequence` was first seen missing (nil when the record was dropped).
    private func detectionTime(of sequence: UInt64) -> UInt64? {
        while holeCount > 1 && holeStart[(holeHead + 1) % holeCapacity] <= sequence {
            holeHead = (holeHead + 1) % holeCapacity
            holeCount -= 1
        }
        return holeCount > 0 && holeStart[holeHead] <= sequence ? holeTime[holeHead] : nil
    }

    private func reportLoss(upTo end: UInt64) {
        if end > nextSequence { counters.unrecoveredMessages &+= end - nextSequence }
    }
}
