// SoupBinTCP 3.00 (NASDAQ; updated February 22, 2017): framing, login and heartbeats for OUCH
// over TCP.
//
// Every logical packet is a 2-byte big-endian Packet Length, counting the 1-byte Packet Type and
// the payload (not itself), then the type, then the payload. Logical packets need not line up with
// TCP segments: one read may hold many packets or part of one. The spec sets no maximum payload;
// the framer here takes one at init and treats a longer length as hostile.
//
// Packets from the server: '+' Debug (free text), 'A' Login Accepted (Session alpha 10, Sequence
// Number numeric 20 = the next sequenced message to be sent), 'J' Login Rejected (reason 'A' not
// authorized, 'S' session not available), 'S' Sequenced Data (one higher-level message; its
// sequence number is implicit, counted from the one in Login Accepted), 'H' Server Heartbeat,
// 'Z' End of Session. From the client: '+' Debug, 'L' Login Request (Username alpha 6, Password
// alpha 10, Requested Session alpha 10, Requested Sequence Number numeric 20), 'U' Unsequenced
// Data, 'R' Client Heartbeat, 'O' Logout Request. Heartbeats go out after one second without
// sending anything.
//
// Padding: Username and Password are left-justified, padded on the right with spaces; Session
// and Requested Session are right-justified, padded on the left (all blanks in a Login Request
// asks for the currently active session); the numeric fields are ASCII digits right-justified,
// padded on the left with spaces (a Requested Sequence Number of 1 replays the session from its
// first message; 0 starts with the most recently generated one).


public enum SoupBinTCP {
    /// Length field (2) plus type (1).
    public static let headerLength = 3
    /// The largest value the 2-byte length field can carry.
    public static let maxPacketLength = 65_535
    public static let usernameLength = 6
    public static let passwordLength = 10
    public static let sessionLength = 10
    public static let sequenceNumberLength = 20

    /// The packet type byte.
    @frozen public enum PacketType: UInt8, Sendable, CaseIterable {
        case debug = 0x2B            // +
        case loginAccepted = 0x41    // A
        case loginRejected = 0x4A    // J
        case sequencedData = 0x53    // S
        case serverHeartbeat = 0x48  // H
        case endOfSession = 0x5A     // Z
        case loginRequest = 0x4C     // L
        case unsequencedData = 0x55  // U
        case clientHeartbeat = 0x52  // R
        case logoutRequest = 0x4F    // O

        /// Whether the server sends this type (Debug goes both ways).
        @inlinable public var sentByServer: Bool {
            switch self {
            case .debug, .loginAccepted, .loginRejected, .sequencedData, .serverHeartbeat, .endOfSession: true
            default: false
            }
        }
        /// Whether the client sends this type (Debug goes both ways).
        @inlinable public var sentByClient: Bool { self == .debug || !sentByServer }

        /// The payload length the spec fixes for this type, or nil for Debug and the two data
        /// types (any length).
        @inlinable public var fixedPayloadLength: Int? {
            switch self {
            case .loginAccepted: SoupBinTCP.sessionLength + SoupBinTCP.sequenceNumberLength
            case .loginRejected: 1
            case .loginRequest:
                SoupBinTCP.usernameLength + SoupBinTCP.passwordLength + SoupBinTCP.sessionLength
                    + SoupBinTCP.sequenceNumberLength
            case .serverHeartbeat, .endOfSession, .clientHeartbeat, .logoutRequest: 0
            case .debug, .sequencedData, .unsequencedData: nil
            }
        }
    }

    /// Which end produced a byte stream: a client decodes `.fromServer`, a server `.fromClient`.
    @frozen public enum Direction: Sendable {
        case fromServer, fromClient, either

        @inlinable func allows(_ type: PacketType) -> Bool {
            switch self {
            case .fromServer: type.sentByServer
            case .fromClient: type.sentByClient
            case .either: true
            }
        }
    }

    /// Login Rejected reason codes.
    public static let notAuthorized: ASCIICode = "A"
    public static let sessionNotAvailable: ASCIICode = "S"

    /// A session name right-justified in 10 bytes, as Login Accepted and Login Request carry it;
    /// nil if longer than 10 or not printable ASCII. An empty string gives all blanks.
    public static func session(_ name: String) -> Alpha10? { Alpha10(name, rightJustified: true) }

    // MARK: Packets

    /// One logical packet: its type and its payload (everything after the type byte). The payload
    /// points into the bytes it was decoded from (see `SoupBinTCPFramer.next()` for how long).
    @frozen public struct Packet {
        public let type: PacketType
        public let payload: UnsafeRawBufferPointer
        @inlinable public init(type: PacketType, payload: UnsafeRawBufferPointer) {
            self.type = type
            self.payload = payload
        }
        /// The value of the length field: the type byte plus the payload.
        @inlinable public var packetLength: Int { payload.count + 1 }
    }

    /// The one packet that exactly fills `bytes` (header included), or nil if the bytes are not
    /// one well-formed packet of a known type. For streams use `SoupBinTCPFramer`.
    @inlinable public static func packet(in bytes: UnsafeRawBufferPointer) -> Packet? {
        guard bytes.count >= headerLength, let p = bytes.baseAddress else { return nil }
        let length = Int(p.be16(0))
        guard length >= 1, length + 2 == bytes.count, let type = PacketType(rawValue: p.u8(2)) else { return nil }
        if let fixed = type.fixedPayloadLength, fixed != length - 1 { return nil }
        return Packet(type: type, payload: UnsafeRawBufferPointer(start: p + headerLength, count: length - 1))
    }

    /// L, Login Request: payload 46 bytes.
    @frozen public struct LoginRequestView {
        public let payload: UnsafeRawBufferPointer
        @inlinable public init?(_ packet: Packet) {
            guard packet.type == .loginRequest, packet.payload.count == 46 else { return nil }
            payload = packet.payload
        }
        @inlinable var base: UnsafeRawPointer { payload.baseAddress! }
        /// 0 (payload offset): left-justified, space-padded.
        @inlinable public var username: Alpha6 { Alpha6(loading: base) }
        /// 6: left-justified, space-padded.
        @inlinable public var password: Alpha10 { Alpha10(loading: base + 6) }
        /// 16: right-justified; all blanks for the currently active session.
        @inlinable public var requestedSession: Alpha10 { Alpha10(loading: base + 16) }
        /// 26: the 20 ASCII bytes as sent.
        @inlinable public var requestedSequenceNumberField: UnsafeRawBufferPointer {
            UnsafeRawBufferPointer(start: base + 26, count: 20)
        }
        /// 26: the number, or nil if the field is not a space-padded decimal.
        @inlinable public var requestedSequenceNumber: UInt64? { parseNumeric(requestedSequenceNumberField) }
    }

    /// A, Login Accepted: payload 30 bytes.
    @frozen public struct LoginAcceptedView {
        public let payload: UnsafeRawBufferPointer
        @inlinable public init?(_ packet: Packet) {
            guard packet.type == .loginAccepted, packet.payload.count == 30 else { return nil }
            payload = packet.payload
        }
        @inlinable var base: UnsafeRawPointer { payload.baseAddress! }
        /// 0 (payload offset): the session now logged into, right-justified.
        @inlinable public var session: Alpha10 { Alpha10(loading: base) }
        /// 10: the 20 ASCII bytes as sent.
        @inlinable public var sequenceNumberField: UnsafeRawBufferPointer {
            UnsafeRawBufferPointer(start: base + 10, count: 20)
        }
        /// 10: the sequence number of the next Sequenced Data packet, or nil if the field is not a
        /// space-padded decimal.
        @inlinable public var sequenceNumber: UInt64? { parseNumeric(sequenceNumberField) }
    }

    /// J, Login Rejected: payload 1 byte.
    @frozen public struct LoginRejectedView {
        public let payload: UnsafeRawBufferPointer
        @inlinable public init?(_ packet: Packet) {
            guard packet.type == .loginRejected, packet.payload.count == 1 else { return nil }
            payload = packet.payload
        }
        /// 0 (payload offset): A not authorized, S session not available.
        @inlinable public var reason: ASCIICode { ASCIICode(rawValue: payload.load(as: UInt8.self)) }
    }

    // MARK: Encoders (each returns the bytes written, or nil if `out` is too small)

    /// Writes a 3-byte header for a packet whose payload (`payloadLength` bytes) the caller writes
    /// (or has written) at offset 3; nil if `out` cannot hold header and payload or the length
    /// does not fit the 2-byte field. This is how to frame an OUCH message without a copy.
    @inlinable public static func writeHeader(into out: UnsafeMutableRawBufferPointer, type: PacketType,
                                              payloadLength: Int) -> Int? {
        guard payloadLength >= 0, payloadLength < maxPacketLength,
              out.count >= headerLength + payloadLength, let p = out.baseAddress else { return nil }
        p.putBE16(0, UInt16(truncatingIfNeeded: payloadLength + 1))
        p.putU8(2, type.rawValue)
        return headerLength
    }

    /// A packet of `type` carrying a copy of `payload`: bytes written (3 + payload), or nil.
    @inlinable public static func encode(into out: UnsafeMutableRawBufferPointer, type: PacketType,
                                         payload: UnsafeRawBufferPointer) -> Int? {
        guard writeHeader(into: out, type: type, payloadLength: payload.count) != nil else { return nil }
        if let src = payload.baseAddress, payload.count > 0 {
            out.baseAddress!.advanced(by: headerLength).copyMemory(from: src, byteCount: payload.count)
        }
        return headerLength + payload.count
    }

    /// S, Sequenced Data carrying `message`.
    @inlinable public static func encodeSequencedData(into out: UnsafeMutableRawBufferPointer,
                                                      message: UnsafeRawBufferPointer) -> Int? {
        encode(into: out, type: .sequencedData, payload: message)
    }

    /// U, Unsequenced Data carrying `message`.
    @inlinable public static func encodeUnsequencedData(into out: UnsafeMutableRawBufferPointer,
                                                        message: UnsafeRawBufferPointer) -> Int? {
        encode(into: out, type: .unsequencedData, payload: message)
    }

    /// +, Debug carrying `text` (free-form bytes).
    @inlinable public static func encodeDebug(into out: UnsafeMutableRawBufferPointer,
                                              text: UnsafeRawBufferPointer) -> Int? {
        encode(into: out, type: .debug, payload: text)
    }

    /// One of the payload-less packets: H, Z, R or O (3 bytes); nil for any other type.
    @inlinable public static func encodeEmpty(into out: UnsafeMutableRawBufferPointer, type: PacketType) -> Int? {
        guard type.fixedPayloadLength == 0 else { return nil }
        return writeHeader(into: out, type: type, payloadLength: 0)
    }

    /// L, Login Request (49 bytes). Nil if `out` is too small.
    @inlinable public static func encodeLoginRequest(into out: UnsafeMutableRawBufferPointer, username: Alpha6,
                                                     password: Alpha10, requestedSession: Alpha10,
                                                     requestedSequenceNumber: UInt64) -> Int? {
        guard writeHeader(into: out, type: .loginRequest, payloadLength: 46) != nil else { return nil }
        let p = out.baseAddress! + headerLength
        username.store(to: p)
        password.store(to: p + 6)
        requestedSession.store(to: p + 16)
        _ = writeNumeric(requestedSequenceNumber, into: UnsafeMutableRawBufferPointer(start: p + 26, count: 20))
        return 49
    }

    /// A, Login Accepted (33 bytes). Nil if `out` is too small.
    @inlinable public static func encodeLoginAccepted(into out: UnsafeMutableRawBufferPointer, session: Alpha10,
                                                      sequenceNumber: UInt64) -> Int? {
        guard writeHeader(into: out, type: .loginAccepted, payloadLength: 30) != nil else { return nil }
        let p = out.baseAddress! + headerLength
        session.store(to: p)
        _ = writeNumeric(sequenceNumber, into: UnsafeMutableRawBufferPointer(start: p + 10, count: 20))
        return 33
    }

    /// J, Login Rejected (4 bytes). Nil if `out` is too small.
    @inlinable public static func encodeLoginRejected(into out: UnsafeMutableRawBufferPointer,
                                                      reason: ASCIICode) -> Int? {
        guard writeHeader(into: out, type: .loginRejected, payloadLength: 1) != nil else { return nil }
        out.baseAddress!.putU8(headerLength, reason.rawValue)
        return 4
    }

    // MARK: ASCII numeric fields

    /// A space-padded ASCII decimal: optional leading spaces, one or more digits, optional
    /// trailing spaces, nothing else. Nil for all blanks, any other byte, or a value above
    /// UInt64.max.
    @inlinable public static func parseNumeric(_ field: UnsafeRawBufferPointer) -> UInt64? {
        var i = 0
        let n = field.count
        while i < n && field[i] == 0x20 { i += 1 }
        var value: UInt64 = 0
        var digits = 0
        while i < n {
            let d = field[i] &- 0x30
            guard d < 10 else { break }
            let (m, o1) = value.multipliedReportingOverflow(by: 10)
            let (s, o2) = m.addingReportingOverflow(UInt64(d))
            guard !o1 && !o2 else { return nil }
            value = s
            digits += 1
            i += 1
        }
        guard digits > 0 else { return nil }
        while i < n {
            guard field[i] == 0x20 else { return nil }
            i += 1
        }
        return value
    }

    /// Writes `value` right-justified and padded on the left with spaces across all of `field`;
    /// false (and nothing written) if it has more digits than the field has bytes.
    @inlinable public static func writeNumeric(_ value: UInt64, into field: UnsafeMutableRawBufferPointer) -> Bool {
        var digits = 1
        var v = value / 10
        while v > 0 { digits += 1; v /= 10 }
        guard digits <= field.count else { return false }
        v = value
        var i = field.count - 1
        for _ in 0..<digits {
            field[i] = UInt8(truncatingIfNeeded: v % 10) &+ 0x30
            v /= 10
            i -= 1
        }
        while i >= 0 {
            field[i] = 0x20
            i -= 1
        }
        return true
    }
}

// MARK: - Stream framer

/// Cuts a SoupBinTCP byte stream, fed in arbitrary chunks as TCP delivers them, into packets.
///
/// Feed a chunk with `feed(_:)`, then call `next()` until it answers `.needMoreData`. A packet
/// lying wholly inside the chunk is returned as a view into the chunk (no copy); only a packet
/// split across chunks is assembled in the framer's own buffer, allocated once at init with room
/// for the largest allowed packet. Nothing allocates after init.
///
/// A returned packet's payload stays valid until the next call to `next()`, `feed(_:)` or
/// `reset()`, and (when it points into the chunk) while the chunk's memory does. The chunk must
/// stay valid until `next()` has answered `.needMoreData` for it.
///
/// Hostile input (length 0, a length above the configured maximum, an unknown type, a type the
/// other end never sends, a fixed-size packet with the wrong length) gives `.failed`; the stream
/// cannot be resynchronised after that, so the framer keeps answering the same error until
/// `reset()`.
public struct SoupBinTCPFramer: ~Copyable {
    /// Why a stream was rejected.
    public enum FramingError: Error, Hashable, Sendable {
        /// A length field of 0 (every packet has at least its type byte).
        case zeroLength
        /// A length field above `maxPacketLength`.
        case tooLong(length: Int, maximum: Int)
        /// A type byte SoupBinTCP 3.0 does not define.
        case unknownType(UInt8)
        /// A defined type that this direction's sender never sends.
        case unexpectedType(SoupBinTCP.PacketType)
        /// A fixed-size packet (login, heartbeat, end of session, logout) of another size.
        case badLength(type: SoupBinTCP.PacketType, length: Int)
    }

    /// What `next()` found.
    @frozen public enum Step {
        case packet(SoupBinTCP.Packet)
        case needMoreData
        case failed(FramingError)
    }

    /// The largest length field accepted (type byte plus payload).
    public let maxPacketLength: Int
    /// Which packet types the stream may carry.
    public let direction: SoupBinTCP.Direction

    private let storage: UnsafeMutableRawPointer
    private var buffered = 0
    private var storageDelivered = false
    private var input = UnsafeRawBufferPointer(start: nil, count: 0)
    private var position = 0
    private var failure: FramingError?

    /// A framer for packets of at most `maxPacketLength` (1...65535) in the length field.
    public init(maxPacketLength: Int = SoupBinTCP.maxPacketLength, direction: SoupBinTCP.Direction = .either) {
        precondition((1...SoupBinTCP.maxPacketLength).contains(maxPacketLength), "maxPacketLength must be 1...65535")
        self.maxPacketLength = maxPacketLength
        self.direction = direction
        storage = UnsafeMutableRawPointer.allocate(byteCount: maxPacketLength + 2, alignment: 16)
    }

    deinit { storage.deallocate() }

    /// Bytes of an incomplete packet held from earlier chunks.
    public var bufferedByteCount: Int { storageDelivered ? 0 : buffered }
    /// Bytes of the current chunk not yet consumed.
    public var unreadByteCount: Int { input.count - position }
    /// The error the stream failed with, if it has.
    public var error: FramingError? { failure }

    /// Hands the framer the next chunk of the stream. The previous chunk must have been consumed
    /// (`next()` answered `.needMoreData`), unless the framer has failed.
    public mutating func feed(_ chunk: UnsafeRawBufferPointer) {
        precondition(failure != nil || position == input.count, "feed(_:) before the previous chunk was consumed")
        input = chunk
        position = 0
    }

    /// Drops all state (buffered bytes, current chunk, error), for a new connection.
    public mutating func reset() {
        buffered = 0
        storageDelivered = false
        input = UnsafeRawBufferPointer(start: nil, count: 0)
        position = 0
        failure = nil
    }

    /// The next complete packet, `.needMoreData` once the chunk is used up, or `.failed`.
    public mutating func next() -> Step {
        if let failure { return .failed(failure) }
        if storageDelivered {
            storageDelivered = false
            buffered = 0
        }
        if buffered > 0 { return continueBuffered() }

        let remaining = input.count - position
        if remaining == 0 { return .needMoreData }
        let p = input.baseAddress! + position
        if remaining >= 2, let e = check(length: Int(p.be16(0)), typeByte: remaining >= 3 ? p.u8(2) : nil) {
            return fail(e)
        }
        if remaining >= 3 {
            let total = Int(p.be16(0)) + 2
            if remaining >= total {
                position += total
                let type = SoupBinTCP.PacketType(rawValue: p.u8(2))!
                return .packet(SoupBinTCP.Packet(type: type,
                                                 payload: UnsafeRawBufferPointer(start: p + 3, count: total - 3)))
            }
        }
        storage.copyMemory(from: p, byteCount: remaining)
        buffered = remaining
        position = input.count
        return .needMoreData
    }

    /// Completes the packet whose first `buffered` bytes are in storage.
    private mutating func continueBuffered() -> Step {
        if buffered < 3 {
            take(upTo: 3)
            if buffered >= 2, let e = check(length: Int(UnsafeRawPointer(storage).be16(0)),
                                            typeByte: buffered >= 3 ? storage.load(fromByteOffset: 2, as: UInt8.self) : nil) {
                return fail(e)
            }
            if buffered < 3 { return .needMoreData }
        }
        let total = Int(UnsafeRawPointer(storage).be16(0)) + 2
        take(upTo: total)
        if buffered < total { return .needMoreData }
        storageDelivered = true
        let type = SoupBinTCP.PacketType(rawValue: storage.load(fromByteOffset: 2, as: UInt8.self))!
        return .packet(SoupBinTCP.Packet(type: type,
                                         payload: UnsafeRawBufferPointer(start: storage + 3, count: total - 3)))
    }

    /// Moves input bytes into storage until it holds `target` bytes or the chunk is used up.
    private mutating func take(upTo target: Int) {
        let n = min(target - buffered, input.count - position)
        guard n > 0 else { return }
        (storage + buffered).copyMemory(from: input.baseAddress! + position, byteCount: n)
        buffered += n
        position += n
    }

    /// The error in a header, if any: the length alone when the type byte has not arrived yet.
    private func check(length: Int, typeByte: UInt8?) -> FramingError? {
        if length == 0 { return .zeroLength }
        if length > maxPacketLength { return .tooLong(length: length, maximum: maxPacketLength) }
        guard let typeByte else { return nil }
        guard let type = SoupBinTCP.PacketType(rawValue: typeByte) else { return .unknownType(typeByte) }
        guard direction.allows(type) else { return .unexpectedType(type) }
        if let fixed = type.fixedPayloadLength, fixed != length - 1 { return .badLength(type: type, length: length) }
        return nil
    }

    private mutating func fail(_ e: FramingError) -> Step {
        failure = e
        buffered = 0
        storageDelivered = false
        position = input.count
        return .failed(e)
    }
}
