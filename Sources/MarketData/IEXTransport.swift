// IEXTransport.swift: IEX-TP 1.x, the transport under IEX TOPS 1.6 and DEEP 1.0.
//
// One UDP datagram carries one segment: a 40-byte little-endian header, then `payloadLength`
// bytes holding `messageCount` messages, each preceded by its 2-byte little-endian length (the
// length counts the message only, not the 2 length bytes). Header layout (offsets in bytes):
//
//    0 version (1)            1 reserved              2 message protocol id (0x8003 TOPS,
//    4 channel id (4)         8 session id (4)          0x8004 DEEP)
//   12 payload length (2)    14 message count (2)    16 stream offset (8)
//   24 first message sequence number (8)             32 send time (8, ns since the epoch)
//
// A segment with message count 0 is a heartbeat; its sequence number is the next one expected.
//
// The views follow the rule of Packets' header views: every length is checked once, when the view is made; a short or
// malformed segment gives nil (or a counted stop), never a trap; accessors then read only at
// proven offsets. Nothing here allocates.

// MARK: - Little-endian byte access (internal; prefixed so other MarketData files are not shadowed)

extension UnsafeRawBufferPointer {
    @usableFromInline @inline(__always)
    func iexU16(_ offset: Int) -> UInt16 {
        UInt16(littleEndian: loadUnaligned(fromByteOffset: offset, as: UInt16.self))
    }

    @usableFromInline @inline(__always)
    func iexU32(_ offset: Int) -> UInt32 {
        UInt32(littleEndian: loadUnaligned(fromByteOffset: offset, as: UInt32.self))
    }

    @usableFromInline @inline(__always)
    func iexU64(_ offset: Int) -> UInt64 {
        UInt64(littleEndian: loadUnaligned(fromByteOffset: offset, as: UInt64.self))
    }

    @usableFromInline @inline(__always)
    func iexI64(_ offset: Int) -> Int64 {
        Int64(littleEndian: loadUnaligned(fromByteOffset: offset, as: Int64.self))
    }

    /// Bytes `lower..<upper`; callers have checked `0 <= lower <= upper <= count`.
    @usableFromInline @inline(__always)
    func iexSlice(_ lower: Int, _ upper: Int) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(rebasing: self[lower..<upper])
    }
}

// MARK: - Feeds

/// The message protocols IEX-TP carries that this module decodes.
@frozen
public enum IEXFeed: UInt16, Sendable, CaseIterable, CustomStringConvertible {
    /// TOPS 1.6 (top of book, trades, auctions).
    case tops = 0x8003
    /// DEEP 1.0 (aggregated depth of book by price level, trades, auctions).
    case deep = 0x8004

    public var description: String {
        switch self {
        case .tops: "TOPS 1.6"
        case .deep: "DEEP 1.0"
        }
    }
}

// MARK: - Segment

/// Why `IEXTPSegment.parse` refused a datagram.
@frozen
public enum IEXTPSegmentDrop: UInt8, Sendable, CaseIterable {
    /// Fewer than 40 bytes.
    case shortHeader
    /// Version byte is not 1.
    case badVersion
    /// The header's payload length runs past the end of the datagram.
    case payloadBeyondBuffer
}

@frozen
public enum IEXTPSegmentParse {
    case segment(IEXTPSegment)
    case dropped(IEXTPSegmentDrop)
}

/// A zero-copy view of one IEX-TP 1.x segment (one UDP payload).
@frozen
public struct IEXTPSegment {
    public static let headerLength = 40
    public static let version: UInt8 = 1

    /// The datagram the view was made from (header, payload, and any bytes after the payload).
    public let bytes: UnsafeRawBufferPointer
    /// The message bytes: the payload, cut to the datagram when `isTruncated`.
    public let payload: UnsafeRawBufferPointer
    /// True when the header promised more payload than the datagram holds (only possible with
    /// `allowTruncated`): the messages that fit are still readable, the rest are lost.
    public let isTruncated: Bool

    /// Checks the header and the payload length; nil for a datagram that is not a well-formed
    /// IEX-TP 1.x segment. With `allowTruncated`, a payload cut short (a capture with a small
    /// snap length) is accepted and flagged instead.
    @inlinable
    public init?(_ datagram: UnsafeRawBufferPointer, allowTruncated: Bool = false) {
        guard case .segment(let s) = IEXTPSegment.parse(datagram, allowTruncated: allowTruncated)
        else { return nil }
        self = s
    }

    @inlinable
    init(checked bytes: UnsafeRawBufferPointer, payload: UnsafeRawBufferPointer, isTruncated: Bool) {
        self.bytes = bytes
        self.payload = payload
        self.isTruncated = isTruncated
    }

    /// As `init?`, naming the reason for a refusal so that callers can count it.
    @inlinable
    public static func parse(_ datagram: UnsafeRawBufferPointer,
                             allowTruncated: Bool = false) -> IEXTPSegmentParse {
        guard datagram.count >= headerLength else { return .dropped(.shortHeader) }
        guard datagram[0] == version else { return .dropped(.badVersion) }
        let declared = Int(datagram.iexU16(12))
        let available = datagram.count - headerLength
        if declared <= available {
            return .segment(IEXTPSegment(
                checked: datagram, payload: datagram.iexSlice(headerLength, headerLength + declared),
                isTruncated: false))
        }
        guard allowTruncated else { return .dropped(.payloadBeyondBuffer) }
        return .segment(IEXTPSegment(
            checked: datagram, payload: datagram.iexSlice(headerLength, datagram.count),
            isTruncated: true))
    }

    @inlinable public var version: UInt8 { bytes[0] }
    @inlinable public var reserved: UInt8 { bytes[1] }
    /// 0x8003 TOPS, 0x8004 DEEP (see `feed`).
    @inlinable public var messageProtocolID: UInt16 { bytes.iexU16(2) }
    /// The feed, if the protocol id is one this module knows.
    @inlinable public var feed: IEXFeed? { IEXFeed(rawValue: messageProtocolID) }
    @inlinable public var channelID: UInt32 { bytes.iexU32(4) }
    @inlinable public var sessionID: UInt32 { bytes.iexU32(8) }
    /// As the header says; `payload.count` is smaller when `isTruncated`.
    @inlinable public var payloadLength: UInt16 { bytes.iexU16(12) }
    @inlinable public var messageCount: UInt16 { bytes.iexU16(14) }
    /// Byte offset of this payload in the session's message stream.
    @inlinable public var streamOffset: UInt64 { bytes.iexU64(16) }
    /// Sequence number of the first message (for a heartbeat: the next sequence number expected).
    @inlinable public var firstMessageSequenceNumber: UInt64 { bytes.iexU64(24) }
    /// Nanoseconds since the POSIX epoch, UTC.
    @inlinable public var sendTime: Int64 { bytes.iexI64(32) }
    @inlinable public var isHeartbeat: Bool { messageCount == 0 }

    /// The messages, in order, without allocating. See `IEXMessageIterator` for how iteration
    /// ends on malformed input.
    @inlinable public var messages: IEXMessageIterator {
        IEXMessageIterator(payload: payload, declaredCount: Int(messageCount))
    }
}

// MARK: - Messages

/// One message of a segment: the bytes after its 2-byte length, starting at the type byte.
/// Never empty (a zero-length message stops iteration).
@frozen
public struct IEXMessage {
    public let bytes: UnsafeRawBufferPointer

    @inlinable
    init(checked bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

    /// Wraps arbitrary bytes; nil when empty.
    @inlinable
    public init?(_ bytes: UnsafeRawBufferPointer) {
        guard bytes.count >= 1 else { return nil }
        self.bytes = bytes
    }

    /// The message type byte (`IEXMessageType`).
    @inlinable public var type: UInt8 { bytes[0] }
    @inlinable public var length: Int { bytes.count }
}

/// Why message iteration ended before the payload and the message count were both used up.
@frozen
public enum IEXMessageStop: UInt8, Sendable, CaseIterable {
    /// Iteration reached the end of the payload and the declared count together (or has not
    /// ended yet).
    case wellFormed
    /// One byte left where a 2-byte length was due, or a message length of 0.
    case badLength
    /// A message length running past the end of the payload.
    case messagePastEnd
    /// The payload ran out before the declared message count was reached.
    case fewerMessagesThanCount
    /// The declared message count was reached with payload bytes left over.
    case bytesAfterLastMessage
}

/// A non-allocating iterator over a segment's messages, bounded by the payload and by the
/// declared message count (whichever ends first). Drive it by hand (`while let m = it.next()`)
/// to read `stop` afterwards; `for ... in` works too but discards the stop reason.
public struct IEXMessageIterator: Sequence, IteratorProtocol {
    @usableFromInline let payload: UnsafeRawBufferPointer
    @usableFromInline let declaredCount: Int
    @usableFromInline var offset = 0
    @usableFromInline var count = 0
    @usableFromInline var reason = IEXMessageStop.wellFormed
    @usableFromInline var finished = false

    /// Messages handed out so far.
    @inlinable public var yielded: Int { count }
    /// Why iteration ended; `.wellFormed` while iterating and for a well-formed payload.
    @inlinable public var stop: IEXMessageStop { reason }

    @inlinable
    init(payload: UnsafeRawBufferPointer, declaredCount: Int) {
        self.payload = payload
        self.declaredCount = declaredCount
    }

    /// True if iteration stopped on malformed framing (see `stop`).
    @inlinable public var stoppedEarly: Bool { reason != .wellFormed }

    @inlinable
    public mutating func next() -> IEXMessage? {
        if finished { return nil }
        let remaining = payload.count - offset
        if count == declaredCount {
            return end(remaining == 0 ? .wellFormed : .bytesAfterLastMessage)
        }
        if remaining == 0 { return end(.fewerMessagesThanCount) }
        if remaining < 2 { return end(.badLength) }
        let length = Int(payload.iexU16(offset))
        if length == 0 { return end(.badLength) }
        if length > remaining - 2 { return end(.messagePastEnd) }
        let start = offset + 2
        offset = start + length
        count += 1
        return IEXMessage(checked: payload.iexSlice(start, start + length))
    }

    @inlinable
    mutating func end(_ reason: IEXMessageStop) -> IEXMessage? {
        finished = true
        self.reason = reason
        return nil
    }
}
