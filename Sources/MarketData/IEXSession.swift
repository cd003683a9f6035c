// IEXSession.swift: sequence tracking for IEX-TP sessions.
//
// IEX-TP numbers messages per session (session id in the segment header), from 1. A segment
// carries `messageCount` messages starting at `firstMessageSequenceNumber`; a heartbeat (count 0)
// carries the next number expected. The tracker keeps the next expected number per session id
// and classifies each segment:
//
//   first seen session        -> .newSession (no gap is inferred for joining late)
//   first == expected         -> .inSequence
//   first == 1, expected > 1  -> .restart: the sequence restarted within the same session id
//                                (seen in IEX's published DEEP sample, each time after a System
//                                Event "C" and before one "O"); counted, tracking continues from 1
//   first >  expected         -> .gap: first - expected messages are missing
//   first <  expected         -> .duplicate if all its messages were seen, else .overlap with
//                                `skip` leading messages already seen (A/B arbitration)
//
// Heartbeats are counted, can reveal gaps and restarts, and never move the expected number back.
// All arithmetic wraps: hostile numbers give odd counts, never a trap. Sessions live in a small
// array reserved up front (a feed has one or two sessions a day); nothing allocates per segment
// unless a new session id appears.

/// How a segment relates to its session's sequence.
@frozen
public enum IEXSequenceKind: UInt8, Sendable {
    case newSession
    case inSequence
    case gap
    case restart
    case duplicate
    case overlap
}

@frozen
public struct IEXSequenceOutcome: Equatable, Sendable {
    public var kind: IEXSequenceKind
    /// For `.gap`: the number of messages missing before this segment.
    public var missing: UInt64
    /// Leading messages of this segment already processed (all of them for `.duplicate`).
    public var skip: Int
    public var isHeartbeat: Bool

    @inlinable
    public init(kind: IEXSequenceKind, missing: UInt64 = 0, skip: Int = 0, isHeartbeat: Bool) {
        self.kind = kind
        self.missing = missing
        self.skip = skip
        self.isHeartbeat = isHeartbeat
    }
}

/// Expected next sequence number per session id, with counts of what went wrong.
public struct IEXSessionTracker: Sendable {
    @usableFromInline var sessionIDs: [UInt32] = []
    @usableFromInline var expected: [UInt64] = []
    @usableFromInline var lastIndex = -1

    /// Segments tracked.
    public private(set) var segments: UInt64 = 0
    /// Segments with message count 0.
    public private(set) var heartbeats: UInt64 = 0
    /// Messages missing, summed over all gaps.
    public private(set) var gapMessages: UInt64 = 0
    /// Gaps (segments that arrived after missing messages).
    public private(set) var gapEvents: UInt64 = 0
    /// Segments whose messages had all been seen.
    public private(set) var duplicates: UInt64 = 0
    /// Messages already seen, in duplicate and overlapping segments.
    public private(set) var duplicateMessages: UInt64 = 0
    /// Segments that partly overlapped messages already seen.
    public private(set) var overlaps: UInt64 = 0
    /// Sequence restarts at 1 within a session id.
    public private(set) var restarts: UInt64 = 0

    public init(sessionCapacity: Int = 8) {
        sessionIDs.reserveCapacity(sessionCapacity)
        expected.reserveCapacity(sessionCapacity)
    }

    /// Session ids seen so far.
    public var sessionCount: Int { sessionIDs.count }

    /// The next sequence number expected in `sessionID`, nil for a session not seen.
    public func expectedNext(session sessionID: UInt32) -> UInt64? {
        guard let i = sessionIDs.firstIndex(of: sessionID) else { return nil }
        return expected[i]
    }

    /// Classifies a segment by its header and advances the session.
    public mutating func track(_ segment: IEXTPSegment) -> IEXSequenceOutcome {
        track(session: segment.sessionID, firstSequence: segment.firstMessageSequenceNumber,
              messageCount: segment.messageCount)
    }

    public mutating func track(session sessionID: UInt32, firstSequence first: UInt64,
                               messageCount: UInt16) -> IEXSequenceOutcome {
        segments &+= 1
        let count = UInt64(messageCount)
        let heartbeat = messageCount == 0
        if heartbeat { heartbeats &+= 1 }
        let end = first &+ count

        let index: Int
        if lastIndex >= 0, sessionIDs[lastIndex] == sessionID {
            index = lastIndex
        } else if let i = sessionIDs.firstIndex(of: sessionID) {
            index = i
        } else {
            sessionIDs.append(sessionID)
            expected.append(end)
            lastIndex = sessionIDs.count - 1
            return IEXSequenceOutcome(kind: .newSession, isHeartbeat: heartbeat)
        }
        lastIndex = index
        let next = expected[index]

        if first == next {
            expected[index] = end
            return IEXSequenceOutcome(kind: .inSequence, isHeartbeat: heartbeat)
        }
        if first == 1 && next > 1 {
            restarts &+= 1
            expected[index] = end
            return IEXSequenceOutcome(kind: .restart, isHeartbeat: heartbeat)
        }
        if first > next {
            let missing = first &- next
            gapEvents &+= 1
            gapMessages &+= missing
            expected[index] = end
            return IEXSequenceOutcome(kind: .gap, missing: missing, isHeartbeat: heartbeat)
        }
        // first < next: old messages, or a heartbeat from behind.
        if heartbeat {
            return IEXSequenceOutcome(kind: .duplicate, isHeartbeat: true)
        }
        if end <= next || end < first /* wrapped */ {
            duplicates &+= 1
            duplicateMessages &+= count
            return IEXSequenceOutcome(kind: .duplicate, skip: Int(messageCount), isHeartbeat: false)
        }
        let seen = next &- first  // < count here
        overlaps &+= 1
        duplicateMessages &+= seen
        expected[index] = end
        return IEXSequenceOutcome(kind: .overlap, skip: Int(seen), isHeartbeat: false)
    }

    /// Forgets every session and zeroes the counts.
    public mutating func reset() {
        self = IEXSessionTracker(sessionCapacity: Swift.max(sessionIDs.capacity, 8))
    }
}
