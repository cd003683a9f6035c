// This file is the one source of the OUCH 5.0 layouts (a table generator once wrote a first
// draft; it is gone, so nothing can drift from it). The known-answer tests
// (Tests/OrderEntryTests/OUCH50KnownAnswerTests.swift) hold every message type to bytes typed
// in from the specification's field tables, independently of this code.
//
// OUCH 5.0 (NASDAQ order entry; layouts as in the spec's recent revisions, 2023-2025): binary
// messages with a fixed part and an optional TagValue appendage, carried one per SoupBinTCP
// packet (inbound in Unsequenced Data, outbound in Sequenced Data).
//
// - A message is a 1-byte type, fixed fields, then (for most types) a 2-byte Appendage Length
//   and that many bytes of TagValue elements. An element is 1 byte of length (counting the tag
//   byte and the value, not itself), a 1-byte tag, and the value (sizes in `OUCH50.Tag`).
// - The Appendage Length is required on some types, and on others present only when an
//   appendage follows (Cancel, Modify and Account Query requests; Canceled, AIQ Canceled, Broken
//   Trade, Rejected, Cancel Pending, Cancel Reject, Priority Update, Modified and Account Query
//   Response). System Event has none. See `AppendageRule`.
// - Orders are named by UserRefNum (4-byte unsigned, day-unique and increasing per account) and
//   carry a 14-byte alpha ClOrdID. Prices are 8 bytes, signed, 4 implied decimals (a market
//   order's price is 0x7FFFFFFF); peg offsets in the appendage are 4-byte signed prices. Time in
//   Force, Display, Capacity, Intermarket Sweep and Cross Type are 1-byte codes; the Rejected
//   reason is a 2-byte code. Integers are big-endian; alpha fields are left-justified,
//   space-padded. Timestamps are 8-byte nanoseconds since midnight.
//
// Lengths without appendage (bytes; "+2" = the Appendage Length field, always present):
//   inbound:  O Enter Order 45+2, U Replace Order 38+2, X Cancel Order 9, M Modify Order 10,
//             C Mass Cancel 17+2, Q Account Query 1
//   outbound: S System Event 10, A Order Accepted 62+2, U Order Replaced 66+2, C Order Canceled 18,
//             D AIQ Canceled 32, E Order Executed 34+2, B Broken Trade 36, J Order Rejected 29,
//             P Cancel Pending 13, I Cancel Reject 13, T Order Priority Update 30, M Order Modified
//             18, R Order Restated 14+2, X Mass Cancel Response 25+2, Q Account Query Response 13
// (the optional kinds grow by 2 + the appendage when they carry one).

public import TickwireCore

/// A view of one OUCH 5.0 message of a fixed type, over its bytes (appendage included).
public protocol OUCH50MessageView {
    /// The value type holding the same fields.
    associatedtype Message
    /// The type byte.
    static var messageType: UInt8 { get }
    /// Bytes before the Appendage Length field (the whole message for a type without one).
    static var baseLength: Int { get }
    /// Whether the Appendage Length field is always there, there only with an appendage, or never.
    static var appendageRule: OUCH50.AppendageRule { get }
    /// The message's bytes.
    var bytes: UnsafeRawBufferPointer { get }
    /// A view of bytes the caller has already validated for this type.
    init(unchecked bytes: UnsafeRawBufferPointer)
    /// Every field, as a value.
    var message: Message { get }
}

extension OUCH50MessageView {
    /// A view of `bytes` after checking type, length, Appendage Length and every TagValue element.
    @inlinable public init(validating bytes: UnsafeRawBufferPointer) throws(OUCH50.DecodeError) {
        try OUCH50.validate(bytes, type: Self.messageType, baseLength: Self.baseLength, rule: Self.appendageRule)
        self.init(unchecked: bytes)
    }
    /// A view of `bytes` if they are one valid message of this type, else nil.
    @inlinable public init?(_ bytes: UnsafeRawBufferPointer) {
        guard let view = try? Self(validating: bytes) else { return nil }
        self = view
    }
    /// The first byte (the type byte).
    @inlinable public var base: UnsafeRawPointer { bytes.baseAddress! }
    /// Whether the message carries the Appendage Length field.
    @inlinable public var hasAppendageLength: Bool {
        Self.appendageRule != .none && bytes.count >= Self.baseLength + 2
    }
    /// The TagValue elements (none if the message has no appendage).
    @inlinable public var appendage: OUCH50.Appendage {
        guard hasAppendageLength else { return .empty }
        return OUCH50.Appendage(bytes: UnsafeRawBufferPointer(rebasing: bytes[(Self.baseLength + 2)...]))
    }
}

public enum OUCH50 {
    /// Where a message type may carry the Appendage Length field.
    @frozen public enum AppendageRule: Sendable {
        /// Never (System Event).
        case none
        /// Always, 0 when there are no elements.
        case required
        /// Only when an appendage follows; the message may end right after its fixed fields.
        case optional
    }

    /// Why bytes are not a valid OUCH 5.0 message.
    public enum DecodeError: Error, Hashable, Sendable {
        /// No bytes at all.
        case empty
        /// A type byte this direction does not use.
        case unknownType(UInt8)
        /// The type byte is not the one the view reads.
        case wrongType(expected: UInt8, actual: UInt8)
        /// A type without appendage (System Event) of another length.
        case badLength(type: UInt8, expected: Int, actual: Int)
        /// Fewer bytes than the fixed fields (and the Appendage Length where it must be) need.
        case truncated(type: UInt8, minimum: Int, actual: Int)
        /// The Appendage Length does not match the bytes after it (it points past the end, or
        /// there are bytes it does not cover).
        case appendageLengthMismatch(type: UInt8, declared: Int, available: Int)
        /// A TagValue element at `offset` (from the message start) with length 0 or running past
        /// the end of the appendage.
        case malformedElement(offset: Int)
        /// A tag the spec defines, with a value of another size.
        case badTagLength(tag: UInt8, length: Int)
    }

    /// Checks that `bytes` are one message of type `type` laid out per `baseLength` and `rule`,
    /// and that its appendage is a well-formed TagValue list with the spec's sizes for known tags.
    @inlinable public static func validate(_ bytes: UnsafeRawBufferPointer, type: UInt8, baseLength: Int,
                                           rule: AppendageRule) throws(DecodeError) {
        guard let p = bytes.baseAddress, bytes.count > 0 else { throw .empty }
        let actual = p.u8(0)
        guard actual == type else { throw .wrongType(expected: type, actual: actual) }
        let n = bytes.count
        switch rule {
        case .none:
            guard n == baseLength else { throw .badLength(type: type, expected: baseLength, actual: n) }
        case .required, .optional:
            if rule == .optional && n == baseLength { return }
            guard n >= baseLength + 2 else {
                let minimum = rule == .optional && n < baseLength ? baseLength : baseLength + 2
                throw .truncated(type: type, minimum: minimum, actual: n)
            }
            let declared = Int(p.be16(baseLength))
            let available = n - baseLength - 2
            guard declared == available else {
                throw .appendageLengthMismatch(type: type, declared: declared, available: available)
            }
            try Appendage(bytes: UnsafeRawBufferPointer(rebasing: bytes[(baseLength + 2)...]))
                .validate(messageOffset: baseLength + 2)
        }
    }

    // MARK: - Appendage

    /// A TagValue list, iterable as (tag, value bytes) elements. Iteration is bounds-checked: it
    /// stops at the end or at the first malformed element (use `validate` to tell the two apart).
    @frozen public struct Appendage: Sequence {
        public let bytes: UnsafeRawBufferPointer
        @inlinable public init(bytes: UnsafeRawBufferPointer) { self.bytes = bytes }
        /// No elements.
        public static var empty: Appendage { Appendage(bytes: UnsafeRawBufferPointer(start: nil, count: 0)) }

        /// One element: its tag and the value bytes after the tag.
        @frozen public struct Element {
            public let tag: UInt8
            public let value: UnsafeRawBufferPointer
            @inlinable public init(tag: UInt8, value: UnsafeRawBufferPointer) {
                self.tag = tag
                self.value = value
            }
            /// The value as an integer of its exact size (nil if the size differs).
            @inlinable public var u8: UInt8? { value.count == 1 ? value.baseAddress!.u8(0) : nil }
            @inlinable public var u16: UInt16? { value.count == 2 ? value.baseAddress!.be16(0) : nil }
            @inlinable public var u32: UInt32? { value.count == 4 ? value.baseAddress!.be32(0) : nil }
            @inlinable public var u64: UInt64? { value.count == 8 ? value.baseAddress!.be64(0) : nil }
        }

        @frozen public struct Iterator: IteratorProtocol {
            @usableFromInline let bytes: UnsafeRawBufferPointer
            @usableFromInline var offset = 0
            @inlinable init(bytes: UnsafeRawBufferPointer) { self.bytes = bytes }
            @inlinable public mutating func next() -> Element? {
                let n = bytes.count
                guard offset < n else { return nil }
                let length = Int(bytes[offset])
                guard length >= 1, offset + 1 + length <= n else {
                    offset = n
                    return nil
                }
                let element = Element(tag: bytes[offset + 1],
                                      value: UnsafeRawBufferPointer(rebasing: bytes[(offset + 2)..<(offset + 1 + length)]))
                offset += 1 + length
                return element
            }
        }

        @inlinable public func makeIterator() -> Iterator { Iterator(bytes: bytes) }

        /// Whether there are no bytes.
        @inlinable public var isEmpty: Bool { bytes.count == 0 }

        /// The first element with `tag`, if any.
        @inlinable public func first(tag: UInt8) -> Element? {
            for e in self where e.tag == tag { return e }
            return nil
        }

        /// Checks every element: length at least 1 (the tag), inside the appendage, and the
        /// spec's value size for a known tag. Error offsets count from `messageOffset`.
        @inlinable public func validate(messageOffset: Int = 0) throws(DecodeError) {
            let n = bytes.count
            var i = 0
            while i < n {
                let length = Int(bytes[i])
                guard length >= 1, i + 1 + length <= n else { throw .malformedElement(offset: messageOffset + i) }
                let tag = bytes[i + 1]
                if let expected = Tag.valueLength(of: tag), expected != length - 1 {
                    throw .badTagLength(tag: tag, length: length - 1)
                }
                i += 1 + length
            }
        }

        /// Whether `validate` passes.
        @inlinable public var isWellFormed: Bool { (try? validate()) != nil }
    }

    /// The whole length of a message with fixed part `baseLength` and `options` under `rule`, or nil
    /// if the appendage would not fit its 2-byte length.
    @inlinable public static func encodedLength(baseLength: Int, rule: AppendageRule, options: Options) -> Int? {
        let n = options.encodedLength
        guard n <= Int(UInt16.max) else { return nil }
        if rule == .optional && n == 0 { return baseLength }
        return baseLength + 2 + n
    }

    /// Writes the Appendage Length and the options after a fixed part already written at `p`.
    @inlinable static func finish(_ p: UnsafeMutableRawPointer, baseLength: Int, total: Int,
                                  options: Options) -> Int? {
        if total == baseLength { return total }
        let n = total - baseLength - 2
        p.putBE16(baseLength, UInt16(truncatingIfNeeded: n))
        guard options.write(into: UnsafeMutableRawBufferPointer(start: p + baseLength + 2, count: n)) != nil else {
            return nil
        }
        return total
    }

    /// Tag numbers of the TagValue options (spec appendix) and their value sizes.
    public enum Tag {
        /// Secondary order reference number (as on the market data feeds).
        public static let secondaryOrdRefNum: UInt8 = 1
        /// Firm (MPID); blank for the account default.
        public static let firm: UInt8 = 2
        /// Minimum fill quantity; 0 for none.
        public static let minQty: UInt8 = 3
        /// R retail designated, N not retail designated, space for the port default.
        public static let customerType: UInt8 = 4
        /// Displayed quantity of a reserve order; 0 for none.
        public static let maxFloor: UInt8 = 5
        /// L limit (default), P market peg, M midpoint peg, R primary peg, Q market maker peg, m midpoint peg
        /// post-only.
        public static let priceType: UInt8 = 6
        /// Signed peg offset, 4 implied decimals (4 bytes).
        public static let pegOffset: UInt8 = 7
        /// Discretion price (8 bytes, 4 implied decimals).
        public static let discretionPrice: UInt8 = 9
        /// L limit (default), P market peg, M midpoint peg, R primary peg.
        public static let discretionPriceType: UInt8 = 10
        /// Signed discretion peg offset (4 bytes).
        public static let discretionPegOffset: UInt8 = 11
        /// P post only, N no (default).
        public static let postOnly: UInt8 = 12
        /// Random reserve replenishment range; 0 for none.
        public static let randomReserves: UInt8 = 13
        /// Routing strategy.
        public static let route: UInt8 = 14
        /// Seconds to live; below 86,400.
        public static let expireTime: UInt8 = 15
        /// Y, N, or space for the port default.
        public static let tradeNow: UInt8 = 16
        /// Handling instruction (cross and imbalance options); space for none.
        public static let handleInst: UInt8 = 17
        /// Outbound: 0, 1, 2, 3, S, N or space.
        public static let bboWeightIndicator: UInt8 = 18
        /// Order Restated: new displayed quantity.
        public static let displayQuantity: UInt8 = 22
        /// Order Restated: new displayed price.
        public static let displayPrice: UInt8 = 23
        /// Customer group ID; 0 for none.
        public static let groupID: UInt8 = 24
        /// Y shares located for a short sale, N no (default).
        public static let sharesLocated: UInt8 = 25
        /// Broker that located the shares.
        public static let locateBroker: UInt8 = 26
        /// Side (Mass Cancel criteria).
        public static let side: UInt8 = 27
        /// UserRefNum channel within the port.
        public static let userRefIdx: UInt8 = 28
        /// AIQ (self-match prevention) strategy; * for the port default.
        public static let aiqStrategy: UInt8 = 29
        /// AIQ group ID: two alphanumeric bytes, kept raw; ** for the port default.
        public static let aiqGroupID: UInt8 = 30

        /// The value size the spec gives tag `tag`, or nil for a tag it does not define.
        @inlinable public static func valueLength(of tag: UInt8) -> Int? {
        switch tag {
        case 4, 6, 10, 12, 16, 17, 18, 25, 27, 28, 29: 1
        case 24, 30: 2
        case 2, 3, 5, 7, 11, 13, 14, 15, 22, 26: 4
        case 1, 9, 23: 8
        default: nil
        }
        }
    }

    /// The TagValue options of a message, each present or nil. Encoding writes the present ones in
    /// tag order; parsing takes every known tag of the right size and skips the rest (use
    /// `Appendage` to see unknown tags).
    @frozen public struct Options: Hashable, Sendable {
        /// Tag 1, 8 bytes: Secondary order reference number (as on the market data feeds).
        public var secondaryOrdRefNum: UInt64?
        /// Tag 2, 4 bytes: Firm (MPID); blank for the account default.
        public var firm: Alpha4?
        /// Tag 3, 4 bytes: Minimum fill quantity; 0 for none.
        public var minQty: Shares?
        /// Tag 4, 1 byte: R retail designated, N not retail designated, space for the port default.
        public var customerType: ASCIICode?
        /// Tag 5, 4 bytes: Displayed quantity of a reserve order; 0 for none.
        public var maxFloor: Shares?
        /// Tag 6, 1 byte: L limit (default), P market peg, M midpoint peg, R primary peg, Q market maker peg, m
        /// midpoint peg post-only.
        public var priceType: ASCIICode?
        /// Tag 7, 4 bytes: Signed peg offset, 4 implied decimals (4 bytes).
        public var pegOffset: Price?
        /// Tag 9, 8 bytes: Discretion price (8 bytes, 4 implied decimals).
        public var discretionPrice: Price?
        /// Tag 10, 1 byte: L limit (default), P market peg, M midpoint peg, R primary peg.
        public var discretionPriceType: ASCIICode?
        /// Tag 11, 4 bytes: Signed discretion peg offset (4 bytes).
        public var discretionPegOffset: Price?
        /// Tag 12, 1 byte: P post only, N no (default).
        public var postOnly: ASCIICode?
        /// Tag 13, 4 bytes: Random reserve replenishment range; 0 for none.
        public var randomReserves: Shares?
        /// Tag 14, 4 bytes: Routing strategy.
        public var route: Alpha4?
        /// Tag 15, 4 bytes: Seconds to live; below 86,400.
        public var expireTime: UInt32?
        /// Tag 16, 1 byte: Y, N, or space for the port default.
        public var tradeNow: ASCIICode?
        /// Tag 17, 1 byte: Handling instruction (cross and imbalance options); space for none.
        public var handleInst: ASCIICode?
        /// Tag 18, 1 byte: Outbound: 0, 1, 2, 3, S, N or space.
        public var bboWeightIndicator: ASCIICode?
        /// Tag 22, 4 bytes: Order Restated: new displayed quantity.
        public var displayQuantity: Shares?
        /// Tag 23, 8 bytes: Order Restated: new displayed price.
        public var displayPrice: Price?
        /// Tag 24, 2 bytes: Customer group ID; 0 for none.
        public var groupID: UInt16?
        /// Tag 25, 1 byte: Y shares located for a short sale, N no (default).
        public var sharesLocated: ASCIICode?
        /// Tag 26, 4 bytes: Broker that located the shares.
        public var locateBroker: Alpha4?
        /// Tag 27, 1 byte: Side (Mass Cancel criteria).
        public var side: OUCHSide?
        /// Tag 28, 1 byte: UserRefNum channel within the port.
        public var userRefIdx: UInt8?
        /// Tag 29, 1 byte: AIQ (self-match prevention) strategy; * for the port default.
        public var aiqStrategy: ASCIICode?
        /// Tag 30, 2 bytes: AIQ group ID: two alphanumeric bytes, kept raw; ** for the port default.
        public var aiqGroupID: UInt16?

        @inlinable public init(
            secondaryOrdRefNum: UInt64? = nil,
            firm: Alpha4? = nil,
            minQty: Shares? = nil,
            customerType: ASCIICode? = nil,
            maxFloor: Shares? = nil,
            priceType: ASCIICode? = nil,
            pegOffset: Price? = nil,
            discretionPrice: Price? = nil,
            discretionPriceType: ASCIICode? = nil,
            discretionPegOffset: Price? = nil,
            postOnly: ASCIICode? = nil,
            randomReserves: Shares? = nil,
            route: Alpha4? = nil,
            expireTime: UInt32? = nil,
            tradeNow: ASCIICode? = nil,
            handleInst: ASCIICode? = nil,
            bboWeightIndicator: ASCIICode? = nil,
            displayQuantity: Shares? = nil,
            displayPrice: Price? = nil,
            groupID: UInt16? = nil,
            sharesLocated: ASCIICode? = nil,
            locateBroker: Alpha4? = nil,
            side: OUCHSide? = nil,
            userRefIdx: UInt8? = nil,
            aiqStrategy: ASCIICode? = nil,
            aiqGroupID: UInt16? = nil
        ) {
            self.secondaryOrdRefNum = secondaryOrdRefNum
            self.firm = firm
            self.minQty = minQty
            self.customerType = customerType
            self.maxFloor = maxFloor
            self.priceType = priceType
            self.pegOffset = pegOffset
            self.discretionPrice = discretionPrice
            self.discretionPriceType = discretionPriceType
            self.discretionPegOffset = discretionPegOffset
            self.postOnly = postOnly
            self.randomReserves = randomReserves
            self.route = route
            self.expireTime = expireTime
            self.tradeNow = tradeNow
            self.handleInst = handleInst
            self.bboWeightIndicator = bboWeightIndicator
            self.displayQuantity = displayQuantity
            self.displayPrice = displayPrice
            self.groupID = groupID
            self.sharesLocated = sharesLocated
            self.locateBroker = locateBroker
            self.side = side
            self.userRefIdx = userRefIdx
            self.aiqStrategy = aiqStrategy
            self.aiqGroupID = aiqGroupID
        }

        /// The options found in `appendage` (known tags of the right size; others are skipped).
        @inlinable public init(parsing appendage: Appendage) {
            self.init()
            for e in appendage where e.value.count == Tag.valueLength(of: e.tag) {
                let q = e.value.baseAddress!  // every known tag has a non-empty value
                switch e.tag {
                case 1: secondaryOrdRefNum = q.be64(0)
                case 2: firm = Alpha4(loading: q)
                case 3: minQty = Shares(rawValue: q.be32(0))
                case 4: customerType = ASCIICode(rawValue: q.u8(0))
                case 5: maxFloor = Shares(rawValue: q.be32(0))
                case 6: priceType = ASCIICode(rawValue: q.u8(0))
                case 7: pegOffset = Price(rawValue: Int64(Int32(bitPattern: q.be32(0))))
                case 9: discretionPrice = q.price8(0)
                case 10: discretionPriceType = ASCIICode(rawValue: q.u8(0))
                case 11: discretionPegOffset = Price(rawValue: Int64(Int32(bitPattern: q.be32(0))))
                case 12: postOnly = ASCIICode(rawValue: q.u8(0))
                case 13: randomReserves = Shares(rawValue: q.be32(0))
                case 14: route = Alpha4(loading: q)
                case 15: expireTime = q.be32(0)
                case 16: tradeNow = ASCIICode(rawValue: q.u8(0))
                case 17: handleInst = ASCIICode(rawValue: q.u8(0))
                case 18: bboWeightIndicator = ASCIICode(rawValue: q.u8(0))
                case 22: displayQuantity = Shares(rawValue: q.be32(0))
                case 23: displayPrice = q.price8(0)
                case 24: groupID = q.be16(0)
                case 25: sharesLocated = ASCIICode(rawValue: q.u8(0))
                case 26: locateBroker = Alpha4(loading: q)
                case 27: side = OUCHSide(rawValue: q.u8(0))
                case 28: userRefIdx = q.u8(0)
                case 29: aiqStrategy = ASCIICode(rawValue: q.u8(0))
                case 30: aiqGroupID = q.be16(0)
                default: break
                }
            }
        }

        /// Whether no option is present.
        @inlinable public var isEmpty: Bool { encodedLength == 0 }

        /// The bytes the present options take as TagValue elements (2 + value size each).
        @inlinable public var encodedLength: Int {
            var n = 0
            if secondaryOrdRefNum != nil { n += 10 }
            if firm != nil { n += 6 }
            if minQty != nil { n += 6 }
            if customerType != nil { n += 3 }
            if maxFloor != nil { n += 6 }
            if priceType != nil { n += 3 }
            if pegOffset != nil { n += 6 }
            if discretionPrice != nil { n += 10 }
            if discretionPriceType != nil { n += 3 }
            if discretionPegOffset != nil { n += 6 }
            if postOnly != nil { n += 3 }
            if randomReserves != nil { n += 6 }
            if route != nil { n += 6 }
            if expireTime != nil { n += 6 }
            if tradeNow != nil { n += 3 }
            if handleInst != nil { n += 3 }
            if bboWeightIndicator != nil { n += 3 }
            if displayQuantity != nil { n += 6 }
            if displayPrice != nil { n += 10 }
            if groupID != nil { n += 4 }
            if sharesLocated != nil { n += 3 }
            if locateBroker != nil { n += 6 }
            if side != nil { n += 3 }
            if userRefIdx != nil { n += 3 }
            if aiqStrategy != nil { n += 3 }
            if aiqGroupID != nil { n += 4 }
            return n
        }

        /// Writes the present options as TagValue elements (length = 1 + value size, tag, value)
        /// in tag order: the bytes written, or nil if `out` is too small or a 4-byte peg offset
        /// is outside Int32.
        @inlinable public func write(into out: UnsafeMutableRawBufferPointer) -> Int? {
            let n = encodedLength
            guard out.count >= n else { return nil }
            guard n > 0, let p = out.baseAddress else { return n }
            var o = 0
            if let v = secondaryOrdRefNum { p.putU8(o, 9); p.putU8(o + 1, 1); p.putBE64(o + 2, v); o += 10 }
            if let v = firm { p.putU8(o, 5); p.putU8(o + 1, 2); v.store(to: p + o + 2); o += 6 }
            if let v = minQty { p.putU8(o, 5); p.putU8(o + 1, 3); p.putBE32(o + 2, v.rawValue); o += 6 }
            if let v = customerType { p.putU8(o, 2); p.putU8(o + 1, 4); p.putU8(o + 2, v.rawValue); o += 3 }
            if let v = maxFloor { p.putU8(o, 5); p.putU8(o + 1, 5); p.putBE32(o + 2, v.rawValue); o += 6 }
            if let v = priceType { p.putU8(o, 2); p.putU8(o + 1, 6); p.putU8(o + 2, v.rawValue); o += 3 }
            if let v = pegOffset {
                guard let w = WirePrice.signed32(v) else { return nil }
                p.putU8(o, 5); p.putU8(o + 1, 7); p.putBE32(o + 2, UInt32(bitPattern: w)); o += 6
            }
            if let v = discretionPrice {
                p.putU8(o, 9); p.putU8(o + 1, 9); p.putBE64(o + 2, UInt64(bitPattern: v.rawValue)); o += 10
            }
            if let v = discretionPriceType { p.putU8(o, 2); p.putU8(o + 1, 10); p.putU8(o + 2, v.rawValue); o += 3 }
            if let v = discretionPegOffset {
                guard let w = WirePrice.signed32(v) else { return nil }
                p.putU8(o, 5); p.putU8(o + 1, 11); p.putBE32(o + 2, UInt32(bitPattern: w)); o += 6
            }
            if let v = postOnly { p.putU8(o, 2); p.putU8(o + 1, 12); p.putU8(o + 2, v.rawValue); o += 3 }
            if let v = randomReserves { p.putU8(o, 5); p.putU8(o + 1, 13); p.putBE32(o + 2, v.rawValue); o += 6 }
            if let v = route { p.putU8(o, 5); p.putU8(o + 1, 14); v.store(to: p + o + 2); o += 6 }
            if let v = expireTime { p.putU8(o, 5); p.putU8(o + 1, 15); p.putBE32(o + 2, v); o += 6 }
            if let v = tradeNow { p.putU8(o, 2); p.putU8(o + 1, 16); p.putU8(o + 2, v.rawValue); o += 3 }
            if let v = handleInst { p.putU8(o, 2); p.putU8(o + 1, 17); p.putU8(o + 2, v.rawValue); o += 3 }
            if let v = bboWeightIndicator { p.putU8(o, 2); p.putU8(o + 1, 18); p.putU8(o + 2, v.rawValue); o += 3 }
            if let v = displayQuantity { p.putU8(o, 5); p.putU8(o + 1, 22); p.putBE32(o + 2, v.rawValue); o += 6 }
            if let v = displayPrice {
                p.putU8(o, 9); p.putU8(o + 1, 23); p.putBE64(o + 2, UInt64(bitPattern: v.rawValue)); o += 10
            }
            if let v = groupID { p.putU8(o, 3); p.putU8(o + 1, 24); p.putBE16(o + 2, v); o += 4 }
            if let v = sharesLocated { p.putU8(o, 2); p.putU8(o + 1, 25); p.putU8(o + 2, v.rawValue); o += 3 }
            if let v = locateBroker { p.putU8(o, 5); p.putU8(o + 1, 26); v.store(to: p + o + 2); o += 6 }
            if let v = side { p.putU8(o, 2); p.putU8(o + 1, 27); p.putU8(o + 2, v.rawValue); o += 3 }
            if let v = userRefIdx { p.putU8(o, 2); p.putU8(o + 1, 28); p.putU8(o + 2, v); o += 3 }
            if let v = aiqStrategy { p.putU8(o, 2); p.putU8(o + 1, 29); p.putU8(o + 2, v.rawValue); o += 3 }
            if let v = aiqGroupID { p.putU8(o, 3); p.putU8(o + 1, 30); p.putBE16(o + 2, v); o += 4 }
            return o
        }
    }

    // MARK: - Inbound messages (client to venue)

    /// O, Enter Order: 45 bytes, then the Appendage Length (2) and the appendage: at least 47 bytes.
    @frozen public struct EnterOrder: Hashable, Sendable {
        public static let messageType: UInt8 = 0x4F  // O
        /// Bytes before the Appendage Length field (the whole message when it has none).
        public static let baseLength = 45
        public static let appendageRule: OUCH50.AppendageRule = .required
        /// 1, 4: Day-unique, strictly increasing per account (or per UserRefIdx).
        public var userRefNum: UInt32
        /// 5, 1: B buy, S sell, T sell short, E sell short exempt.
        public var side: OUCHSide
        /// 6, 4: Total shares; above 0 and below 1,000,000.
        public var quantity: Shares
        /// 10, 8: Stock symbol, left-justified.
        public var symbol: Alpha8
        /// 18, 8: Price, 4 implied decimals; 0x7FFFFFFF (or 2,000,000,000) is a market order.
        public var price: Price
        /// 26, 1: 0 day, 3 IOC, 5 GTX, 6 GTT (needs ExpireTime), E after hours.
        public var timeInForce: ASCIICode
        /// 27, 1: Y visible, N hidden, A attributable.
        public var display: ASCIICode
        /// 28, 1: A agency, P principal, R riskless, O other.
        public var capacity: ASCIICode
        /// 29, 1: Y eligible, N not eligible.
        public var intermarketSweepEligibility: ASCIICode
        /// 30, 1: N continuous, O opening, C closing, H halt/IPO, S supplemental, R retail, E extended life, A
        /// after-hours close.
        public var crossType: ASCIICode
        /// 31, 14: Customer order identifier (not checked for uniqueness).
        public var clOrdID: Alpha14
        /// The optional TagValue fields.
        public var options: OUCH50.Options
        @inlinable public init(
            userRefNum: UInt32,
            side: OUCHSide,
            quantity: Shares,
            symbol: Alpha8,
            price: Price,
            timeInForce: ASCIICode,
            display: ASCIICode,
            capacity: ASCIICode,
            intermarketSweepEligibility: ASCIICode,
            crossType: ASCIICode,
            clOrdID: Alpha14,
            options: OUCH50.Options = OUCH50.Options()
        ) {
            self.userRefNum = userRefNum
            self.side = side
            self.quantity = quantity
            self.symbol = symbol
            self.price = price
            self.timeInForce = timeInForce
            self.display = display
            self.capacity = capacity
            self.intermarketSweepEligibility = intermarketSweepEligibility
            self.crossType = crossType
            self.clOrdID = clOrdID
            self.options = options
        }
        /// Writes the message and its appendage at the start of `out`: the bytes written, or nil if
        /// `out` is too small or an option is out of its wire range.
        @inlinable public func encode(into out: UnsafeMutableRawBufferPointer) -> Int? {
            guard let total = OUCH50.encodedLength(baseLength: Self.baseLength, rule: Self.appendageRule,
                                                   options: options), out.count >= total,
                  let p = out.baseAddress else { return nil }
            p.putU8(0, Self.messageType)
            p.putBE32(1, userRefNum)
            p.putU8(5, side.rawValue)
            p.putBE32(6, quantity.rawValue)
            symbol.store(to: p + 10)
            p.putBE64(18, UInt64(bitPattern: price.rawValue))
            p.putU8(26, timeInForce.rawValue)
            p.putU8(27, display.rawValue)
            p.putU8(28, capacity.rawValue)
            p.putU8(29, intermarketSweepEligibility.rawValue)
            p.putU8(30, crossType.rawValue)
            clOrdID.store(to: p + 31)
            return OUCH50.finish(p, baseLength: Self.baseLength, total: total, options: options)
        }
    }

    /// Enter Order without options, written field by field: the gateway's hot path, which never
    /// sends an appendage and should not build and walk an empty `Options` per order. The bytes
    /// equal `EnterOrder(..., options: Options()).encode(into:)` (a test checks it): the fixed
    /// part and an Appendage Length of 0. Returns 47, or nil if `out` is shorter.
    @inlinable public static func encodeEnterOrder(into out: UnsafeMutableRawBufferPointer, userRefNum: UInt32, side: OUCHSide,
                                                   quantity: Shares, symbol: Alpha8, price: Price, timeInForce: ASCIICode,
                                                   display: ASCIICode, capacity: ASCIICode, intermarketSweepEligibility: ASCIICode,
                                                   crossType: ASCIICode, clOrdID: Alpha14) -> Int? {
        let total = EnterOrder.baseLength + 2
        guard out.count >= total, let p = out.baseAddress else { return nil }
        p.putU8(0, EnterOrder.messageType)
        p.putBE32(1, userRefNum)
        p.putU8(5, side.rawValue)
        p.putBE32(6, quantity.rawValue)
        symbol.store(to: p + 10)
        p.putBE64(18, UInt64(bitPattern: price.rawValue))
        p.putU8(26, timeInForce.rawValue)
        p.putU8(27, display.rawValue)
        p.putU8(28, capacity.rawValue)
        p.putU8(29, intermarketSweepEligibility.rawValue)
        p.putU8(30, crossType.rawValue)
        clOrdID.store(to: p + 31)
        p.putBE16(EnterOrder.baseLength, 0)
        return total
    }

    /// A view of an Enter Order message; see `EnterOrder` for the fields.
    @frozen public struct EnterOrderView: OUCH50MessageView {
        public typealias Message = EnterOrder
        @inlinable public static var messageType: UInt8 { EnterOrder.messageType }
        @inlinable public static var baseLength: Int { EnterOrder.baseLength }
        @inlinable public static var appendageRule: OUCH50.AppendageRule { EnterOrder.appendageRule }
        public let bytes: UnsafeRawBufferPointer
        @inlinable public init(unchecked bytes: UnsafeRawBufferPointer) { self.bytes = bytes }
        /// 1
        @inlinable public var userRefNum: UInt32 { base.be32(1) }
        /// 5
        @inlinable public var side: OUCHSide { base.side(5) }
        /// 6
        @inlinable public var quantity: Shares { base.shares(6) }
        /// 10
        @inlinable public var symbol: Alpha8 { base.alpha8(10) }
        /// 18
        @inlinable public var price: Price { base.price8(18) }
        /// 26
        @inlinable public var timeInForce: ASCIICode { base.code(26) }
        /// 27
        @inlinable public var display: ASCIICode { base.code(27) }
        /// 28
        @inlinable public var capacity: ASCIICode { base.code(28) }
        /// 29
        @inlinable public var intermarketSweepEligibility: ASCIICode { base.code(29) }
        /// 30
        @inlinable public var crossType: ASCIICode { base.code(30) }
        /// 31
        @inlinable public var clOrdID: Alpha14 { base.alpha14(31) }
        /// Every field, as a value.
        @inlinable public var message: EnterOrder {
            EnterOrder(
                userRefNum: userRefNum,
                side: side,
                quantity: quantity,
                symbol: symbol,
                price: price,
                timeInForce: timeInForce,
                display: display,
                capacity: capacity,
                intermarketSweepEligibility: intermarketSweepEligibility,
                crossType: crossType,
                clOrdID: clOrdID,
                options: OUCH50.Options(parsing: appendage)
            )
        }
    }

    /// U, Replace Order Request: 38 bytes, then the Appendage Length (2) and the appendage: at least 40 bytes.
    @frozen public struct ReplaceOrder: Hashable, Sendable {
        public static let messageType: UInt8 = 0x55  // U
        /// Bytes before the Appendage Length field (the whole message when it has none).
        public static let baseLength = 38
        public static let appendageRule: OUCH50.AppendageRule = .required
        /// 1, 4: UserRefNum of the order being replaced.
        public var origUserRefNum: UInt32
        /// 5, 4: New UserRefNum for the replacement.
        public var userRefNum: UInt32
        /// 9, 4: Total shares liable for the whole replace chain.
        public var quantity: Shares
        /// 13, 8: New price, 4 implied decimals.
        public var price: Price
        /// 21, 1: 0, 3, 5 or 6 as in Enter Order.
        public var timeInForce: ASCIICode
        /// 22, 1: Y visible, N hidden, A attributable.
        public var display: ASCIICode
        /// 23, 1: Y eligible, N not eligible.
        public var intermarketSweepEligibility: ASCIICode
        /// 24, 14: Customer order identifier (not checked for uniqueness).
        public var clOrdID: Alpha14
        /// The optional TagValue fields.
        public var options: OUCH50.Options
        @inlinable public init(
            origUserRefNum: UInt32,
            userRefNum: UInt32,
            quantity: Shares,
            price: Price,
            timeInForce: ASCIICode,
            display: ASCIICode,
            intermarketSweepEligibility: ASCIICode,
            clOrdID: Alpha14,
            options: OUCH50.Options = OUCH50.Options()
        ) {
            self.origUserRefNum = origUserRefNum
            self.userRefNum = userRefNum
            self.quantity = quantity
            self.price = price
            self.timeInForce = timeInForce
            self.display = display
            self.intermarketSweepEligibility = intermarketSweepEligibility
            self.clOrdID = clOrdID
            self.options = options
        }
        /// Writes the message and its appendage at the start of `out`: the bytes written, or nil if
        /// `out` is too small or an option is out of its wire range.
        @inlinable public func encode(into out: UnsafeMutableRawBufferPointer) -> Int? {
            guard let total = OUCH50.encodedLength(baseLength: Self.baseLength, rule: Self.appendageRule,
                                                   options: options), out.count >= total,
                  let p = out.baseAddress else { return nil }
            p.putU8(0, Self.messageType)
            p.putBE32(1, origUserRefNum)
            p.putBE32(5, userRefNum)
            p.putBE32(9, quantity.rawValue)
            p.putBE64(13, UInt64(bitPattern: price.rawValue))
            p.putU8(21, timeInForce.rawValue)
            p.putU8(22, display.rawValue)
            p.putU8(23, intermarketSweepEligibility.rawValue)
            clOrdID.store(to: p + 24)
            return OUCH50.finish(p, baseLength: Self.baseLength, total: total, options: options)
        }
    }

    /// A view of a Replace Order Request message; see `ReplaceOrder` for the fields.
    @frozen public struct ReplaceOrderView: OUCH50MessageView {
        public typealias Message = ReplaceOrder
        @inlinable public static var messageType: UInt8 { ReplaceOrder.messageType }
        @inlinable public static var baseLength: Int { ReplaceOrder.baseLength }
        @inlinable public static var appendageRule: OUCH50.AppendageRule { ReplaceOrder.appendageRule }
        public let bytes: UnsafeRawBufferPointer
        @inlinable public init(unchecked bytes: UnsafeRawBufferPointer) { self.bytes = bytes }
        /// 1
        @inlinable public var origUserRefNum: UInt32 { base.be32(1) }
        /// 5
        @inlinable public var userRefNum: UInt32 { base.be32(5) }
        /// 9
        @inlinable public var quantity: Shares { base.shares(9) }
        /// 13
        @inlinable public var price: Price { base.price8(13) }
        /// 21
        @inlinable public var timeInForce: ASCIICode { base.code(21) }
        /// 22
        @inlinable public var display: ASCIICode { base.code(22) }
        /// 23
        @inlinable public var intermarketSweepEligibility: ASCIICode { base.code(23) }
        /// 24
        @inlinable public var clOrdID: Alpha14 { base.alpha14(24) }
        /// Every field, as a value.
        @inlinable public var message: ReplaceOrder {
            ReplaceOrder(
                origUserRefNum: origUserRefNum,
                userRefNum: userRefNum,
                quantity: quantity,
                price: price,
                timeInForce: timeInForce,
                display: display,
                intermarketSweepEligibility: intermarketSweepEligibility,
                clOrdID: clOrdID,
                options: OUCH50.Options(parsing: appendage)
            )
        }
    }

    /// X, Cancel Order Request: 9 bytes, then, only if there is an appendage, the Appendage Length (2)
    /// and the appendage.
    @frozen public struct CancelOrder: Hashable, Sendable {
        public static let messageType: UInt8 = 0x58  // X
        /// Bytes before the Appendage Length field (the whole message when it has none).
        public static let baseLength = 9
        public static let appendageRule: OUCH50.AppendageRule = .optional
        /// 1, 4: UserRefNum of the order to cancel.
        public var userRefNum: UInt32
        /// 5, 4: New intended order size; 0 cancels the rest.
        public var quantity: Shares
        /// The optional TagValue fields.
        public var options: OUCH50.Options
        @inlinable public init(userRefNum: UInt32, quantity: Shares, options: OUCH50.Options = OUCH50.Options()) {
            self.userRefNum = userRefNum
            self.quantity = quantity
            self.options = options
        }
        /// Writes the message and its appendage at the start of `out`: the bytes written, or nil if
        /// `out` is too small or an option is out of its wire range.
        @inlinable public func encode(into out: UnsafeMutableRawBufferPointer) -> Int? {
            guard let total = OUCH50.encodedLength(baseLength: Self.baseLength, rule: Self.appendageRule,
                                                   options: options), out.count >= total,
                  let p = out.baseAddress else { return nil }
            p.putU8(0, Self.messageType)
            p.putBE32(1, userRefNum)
            p.putBE32(5, quantity.rawValue)
            return OUCH50.finish(p, baseLength: Self.baseLength, total: total, options: options)
        }
    }

    /// A view of a Cancel Order Request message; see `CancelOrder` for the fields.
    @frozen public struct CancelOrderView: OUCH50MessageView {
        public typealias Message = CancelOrder
        @inlinable public static var messageType: UInt8 { CancelOrder.messageType }
        @inlinable public static var baseLength: Int { CancelOrder.baseLength }
        @inlinable public static var appendageRule: OUCH50.AppendageRule { CancelOrder.appendageRule }
        public let bytes: UnsafeRawBufferPointer
        @inlinable public init(unchecked bytes: UnsafeRawBufferPointer) { self.bytes = bytes }
        /// 1
        @inlinable public var userRefNum: UInt32 { base.be32(1) }
        /// 5
        @inlinable public var quantity: Shares { base.shares(5) }
        /// Every field, as a value.
        @inlinable public var message: CancelOrder {
            CancelOrder(
                userRefNum: userRefNum,
                quantity: quantity,
                options: OUCH50.Options(parsing: appendage)
            )
        }
    }

    /// M, Modify Order Request: 10 bytes, then, only if there is an appendage, the Appendage Length (2)
    /// and the appendage.
    @frozen public struct ModifyOrder: Hashable, Sendable {
        public static let messageType: UInt8 = 0x4D  // M
        /// Bytes before the Appendage Length field (the whole message when it has none).
        public static let baseLength = 10
        public static let appendageRule: OUCH50.AppendageRule = .optional
        /// 1, 4: UserRefNum of the order to modify.
        public var userRefNum: UInt32
        /// 5, 1: New side (only among S, T, E).
        public var side: OUCHSide
        /// 6, 4: New intended order size (increases are ignored).
        public var quantity: Shares
        /// The optional TagValue fields.
        public var options: OUCH50.Options
        @inlinable public init(
            userRefNum: UInt32,
            side: OUCHSide,
            quantity: Shares,
            options: OUCH50.Options = OUCH50.Options()
        ) {
            self.userRefNum = userRefNum
            self.side = side
            self.quantity = quantity
            self.options = options
        }
        /// Writes the message and its appendage at the start of `out`: the bytes written, or nil if
        /// `out` is too small or an option is out of its wire range.
        @inlinable public func encode(into out: UnsafeMutableRawBufferPointer) -> Int? {
            guard let total = OUCH50.encodedLength(baseLength: Self.baseLength, rule: Self.appendageRule,
                                                   options: options), out.count >= total,
                  let p = out.baseAddress else { return nil }
            p.putU8(0, Self.messageType)
            p.putBE32(1, userRefNum)
            p.putU8(5, side.rawValue)
            p.putBE32(6, quantity.rawValue)
            return OUCH50.finish(p, baseLength: Self.baseLength, total: total, options: options)
        }
    }

    /// A view of a Modify Order Request message; see `ModifyOrder` for the fields.
    @frozen public struct ModifyOrderView: OUCH50MessageView {
        public typealias Message = ModifyOrder
        @inlinable public static var messageType: UInt8 { ModifyOrder.messageType }
        @inlinable public static var baseLength: Int { ModifyOrder.baseLength }
        @inlinable public static var appendageRule: OUCH50.AppendageRule { ModifyOrder.appendageRule }
        public let bytes: UnsafeRawBufferPointer
        @inlinable public init(unchecked bytes: UnsafeRawBufferPointer) { self.bytes = bytes }
        /// 1
        @inlinable public var userRefNum: UInt32 { base.be32(1) }
        /// 5
        @inlinable public var side: OUCHSide { base.side(5) }
        /// 6
        @inlinable public var quantity: Shares { base.shares(6) }
        /// Every field, as a value.
        @inlinable public var message: ModifyOrder {
            ModifyOrder(
                userRefNum: userRefNum,
                side: side,
                quantity: quantity,
                options: OUCH50.Options(parsing: appendage)
            )
        }
    }

    /// C, Mass Cancel Request: 17 bytes, then the Appendage Length (2) and the appendage: at least 19 bytes.
    @frozen public struct MassCancel: Hashable, Sendable {
        public static let messageType: UInt8 = 0x43  // C
        /// Bytes before the Appendage Length field (the whole message when it has none).
        public static let baseLength = 17
        public static let appendageRule: OUCH50.AppendageRule = .required
        /// 1, 4: UserRefNum of this request.
        public var userRefNum: UInt32
        /// 5, 4: Firm whose orders to cancel.
        public var firm: Alpha4
        /// 9, 8: Symbol, or blanks for all symbols.
        public var symbol: Alpha8
        /// The optional TagValue fields.
        public var options: OUCH50.Options
        @inlinable public init(
            userRefNum: UInt32,
            firm: Alpha4,
            symbol: Alpha8,
            options: OUCH50.Options = OUCH50.Options()
        ) {
            self.userRefNum = userRefNum
            self.firm = firm
            self.symbol = symbol
            self.options = options
        }
        /// Writes the message and its appendage at the start of `out`: the bytes written, or nil if
        /// `out` is too small or an option is out of its wire range.
        @inlinable public func encode(into out: UnsafeMutableRawBufferPointer) -> Int? {
            guard let total = OUCH50.encodedLength(baseLength: Self.baseLength, rule: Self.appendageRule,
                                                   options: options), out.count >= total,
                  let p = out.baseAddress else { return nil }
            p.putU8(0, Self.messageType)
            p.putBE32(1, userRefNum)
            firm.store(to: p + 5)
            symbol.store(to: p + 9)
            return OUCH50.finish(p, baseLength: Self.baseLength, total: total, options: options)
        }
    }

    /// A view of a Mass Cancel Request message; see `MassCancel` for the fields.
    @frozen public struct MassCancelView: OUCH50MessageView {
        public typealias Message = MassCancel
        @inlinable public static var messageType: UInt8 { MassCancel.messageType }
        @inlinable public static var baseLength: Int { MassCancel.baseLength }
        @inlinable public static var appendageRule: OUCH50.AppendageRule { MassCancel.appendageRule }
        public let bytes: UnsafeRawBufferPointer
        @inlinable public init(unchecked bytes: UnsafeRawBufferPointer) { self.bytes = bytes }
        /// 1
        @inlinable public var userRefNum: UInt32 { base.be32(1) }
        /// 5
        @inlinable public var firm: Alpha4 { base.alpha4(5) }
        /// 9
        @inlinable public var symbol: Alpha8 { base.alpha8(9) }
        /// Every field, as a value.
        @inlinable public var message: MassCancel {
            MassCancel(
                userRefNum: userRefNum,
                firm: firm,
                symbol: symbol,
                options: OUCH50.Options(parsing: appendage)
            )
        }
    }

    /// Q, Account Query Request: 1 bytes, then, only if there is an appendage, the Appendage Length (2)
    /// and the appendage.
    @frozen public struct AccountQuery: Hashable, Sendable {
        public static let messageType: UInt8 = 0x51  // Q
        /// Bytes before the Appendage Length field (the whole message when it has none).
        public static let baseLength = 1
        public static let appendageRule: OUCH50.AppendageRule = .optional
        /// The optional TagValue fields.
        public var options: OUCH50.Options
        @inlinable public init(options: OUCH50.Options = OUCH50.Options()) {
            self.options = options
        }
        /// Writes the message and its appendage at the start of `out`: the bytes written, or nil if
        /// `out` is too small or an option is out of its wire range.
        @inlinable public func encode(into out: UnsafeMutableRawBufferPointer) -> Int? {
            guard let total = OUCH50.encodedLength(baseLength: Self.baseLength, rule: Self.appendageRule,
                                                   options: options), out.count >= total,
                  let p = out.baseAddress else { return nil }
            p.putU8(0, Self.messageType)
            return OUCH50.finish(p, baseLength: Self.baseLength, total: total, options: options)
        }
    }

    /// A view of an Account Query Request message; see `AccountQuery` for the fields.
    @frozen public struct AccountQueryView: OUCH50MessageView {
        public typealias Message = AccountQuery
        @inlinable public static var messageType: UInt8 { AccountQuery.messageType }
        @inlinable public static var baseLength: Int { AccountQuery.baseLength }
        @inlinable public static var appendageRule: OUCH50.AppendageRule { AccountQuery.appendageRule }
        public let bytes: UnsafeRawBufferPointer
        @inlinable public init(unchecked bytes: UnsafeRawBufferPointer) { self.bytes = bytes }
        /// Every field, as a value.
        @inlinable public var message: AccountQuery { AccountQuery(options: OUCH50.Options(parsing: appendage)) }
    }

    // MARK: - Outbound messages (venue to client)

    /// S, System Event: 10 bytes, no appendage.
    @frozen public struct SystemEvent: Hashable, Sendable {
        public static let messageType: UInt8 = 0x53  // S
        /// Bytes before the Appendage Length field (the whole message when it has none).
        public static let baseLength = 10
        public static let appendageRule: OUCH50.AppendageRule = .none
        /// 1, 8: Nanoseconds since midnight.
        public var timestamp: VenueTime
        /// 9, 1: S start of day, E end of day.
        public var eventCode: ASCIICode
        @inlinable public init(timestamp: VenueTime, eventCode: ASCIICode) {
            self.timestamp = timestamp
            self.eventCode = eventCode
        }
        /// Writes the message at the start of `out`: 10, or nil if `out` is shorter.
        @inlinable public func encode(into out: UnsafeMutableRawBufferPointer) -> Int? {
            guard out.count >= Self.baseLength, let p = out.baseAddress else { return nil }
            p.putU8(0, Self.messageType)
            p.putBE64(1, timestamp.nanosSinceMidnight)
            p.putU8(9, eventCode.rawValue)
            return Self.baseLength
        }
    }

    /// A view of a System Event message; see `SystemEvent` for the fields.
    @frozen public struct SystemEventView: OUCH50MessageView {
        public typealias Message = SystemEvent
        @inlinable public static var messageType: UInt8 { SystemEvent.messageType }
        @inlinable public static var baseLength: Int { SystemEvent.baseLength }
        @inlinable public static var appendageRule: OUCH50.AppendageRule { SystemEvent.appendageRule }
        public let bytes: UnsafeRawBufferPointer
        @inlinable public init(unchecked bytes: UnsafeRawBufferPointer) { self.bytes = bytes }
        /// 1
        @inlinable public var timestamp: VenueTime { base.time(1) }
        /// 9
        @inlinable public var eventCode: ASCIICode { base.code(9) }
        /// Every field, as a value.
        @inlinable public var message: SystemEvent { SystemEvent(timestamp: timestamp, eventCode: eventCode) }
    }

    /// A, Order Accepted: 62 bytes, then the Appendage Length (2) and the appendage: at least 64 bytes.
    @frozen public struct OrderAccepted: Hashable, Sendable {
        public static let messageType: UInt8 = 0x41  // A
        /// Bytes before the Appendage Length field (the whole message when it has none).
        public static let baseLength = 62
        public static let appendageRule: OUCH50.AppendageRule = .required
        /// 1, 8: Nanoseconds since midnight.
        public var timestamp: VenueTime
        /// 9, 4: UserRefNum as entered.
        public var userRefNum: UInt32
        /// 13, 1: As entered.
        public var side: OUCHSide
        /// 14, 4: Shares accepted.
        public var quantity: Shares
        /// 18, 8: As entered.
        public var symbol: Alpha8
        /// 26, 8: Accepted price (may be better than entered).
        public var price: Price
        /// 34, 1: Accepted time in force.
        public var timeInForce: ASCIICode
        /// 35, 1: Y visible, N hidden, A attributable, Z conformant.
        public var display: ASCIICode
        /// 36, 8: Day-unique reference NASDAQ assigns.
        public var orderReferenceNumber: OrderRef
        /// 44, 1: As entered.
        public var capacity: ASCIICode
        /// 45, 1: As entered.
        public var intermarketSweepEligibility: ASCIICode
        /// 46, 1: As entered.
        public var crossType: ASCIICode
        /// 47, 1: L live, D dead.
        public var orderState: ASCIICode
        /// 48, 14: Customer order identifier (not checked for uniqueness).
        public var clOrdID: Alpha14
        /// The optional TagValue fields.
        public var options: OUCH50.Options
        @inlinable public init(
            timestamp: VenueTime,
            userRefNum: UInt32,
            side: OUCHSide,
            quantity: Shares,
            symbol: Alpha8,
            price: Price,
            timeInForce: ASCIICode,
            display: ASCIICode,
            orderReferenceNumber: OrderRef,
            capacity: ASCIICode,
            intermarketSweepEligibility: ASCIICode,
            crossType: ASCIICode,
            orderState: ASCIICode,
            clOrdID: Alpha14,
            options: OUCH50.Options = OUCH50.Options()
        ) {
            self.timestamp = timestamp
            self.userRefNum = userRefNum
            self.side = side
            self.quantity = quantity
            self.symbol = symbol
            self.price = price
            self.timeInForce = timeInForce
            self.display = display
            self.orderReferenceNumber = orderReferenceNumber
            self.capacity = capacity
            self.intermarketSweepEligibility = intermarketSweepEligibility
            self.crossType = crossType
            self.orderState = orderState
            self.clOrdID = clOrdID
            self.options = options
        }
        /// Writes the message and its appendage at the start of `out`: the bytes written, or nil if
        /// `out` is too small or an option is out of its wire range.
        @inlinable public func encode(into out: UnsafeMutableRawBufferPointer) -> Int? {
            guard let total = OUCH50.encodedLength(baseLength: Self.baseLength, rule: Self.appendageRule,
                                                   options: options), out.count >= total,
                  let p = out.baseAddress else { return nil }
            p.putU8(0, Self.messageType)
            p.putBE64(1, timestamp.nanosSinceMidnight)
            p.putBE32(9, userRefNum)
            p.putU8(13, side.rawValue)
            p.putBE32(14, quantity.rawValue)
            symbol.store(to: p + 18)
            p.putBE64(26, UInt64(bitPattern: price.rawValue))
            p.putU8(34, timeInForce.rawValue)
            p.putU8(35, display.rawValue)
            p.putBE64(36, orderReferenceNumber.rawValue)
            p.putU8(44, capacity.rawValue)
            p.putU8(45, intermarketSweepEligibility.rawValue)
            p.putU8(46, crossType.rawValue)
            p.putU8(47, orderState.rawValue)
            clOrdID.store(to: p + 48)
            return OUCH50.finish(p, baseLength: Self.baseLength, total: total, options: options)
        }
    }

    /// A view of an Order Accepted message; see `OrderAccepted` for the fields.
    @frozen public struct OrderAcceptedView: OUCH50MessageView {
        public typealias Message = OrderAccepted
        @inlinable public static var messageType: UInt8 { OrderAccepted.messageType }
        @inlinable public static var baseLength: Int { OrderAccepted.baseLength }
        @inlinable public static var appendageRule: OUCH50.AppendageRule { OrderAccepted.appendageRule }
        public let bytes: UnsafeRawBufferPointer
        @inlinable public init(unchecked bytes: UnsafeRawBufferPointer) { self.bytes = bytes }
        /// 1
        @inlinable public var timestamp: VenueTime { base.time(1) }
        /// 9
        @inlinable public var userRefNum: UInt32 { base.be32(9) }
        /// 13
        @inlinable public var side: OUCHSide { base.side(13) }
        /// 14
        @inlinable public var quantity: Shares { base.shares(14) }
        /// 18
        @inlinable public var symbol: Alpha8 { base.alpha8(18) }
        /// 26
        @inlinable public var price: Price { base.price8(26) }
        /// 34
        @inlinable public var timeInForce: ASCIICode { base.code(34) }
        /// 35
        @inlinable public var display: ASCIICode { base.code(35) }
        /// 36
        @inlinable public var orderReferenceNumber: OrderRef { base.orderRef(36) }
        /// 44
        @inlinable public var capacity: ASCIICode { base.code(44) }
        /// 45
        @inlinable public var intermarketSweepEligibility: ASCIICode { base.code(45) }
        /// 46
        @inlinable public var crossType: ASCIICode { base.code(46) }
        /// 47
        @inlinable public var orderState: ASCIICode { base.code(47) }
        /// 48
        @inlinable public var clOrdID: Alpha14 { base.alpha14(48) }
        /// Every field, as a value.
        @inlinable public var message: OrderAccepted {
            OrderAccepted(
                timestamp: timestamp,
                userRefNum: userRefNum,
                side: side,
                quantity: quantity,
                symbol: symbol,
                price: price,
                timeInForce: timeInForce,
                display: display,
                orderReferenceNumber: orderReferenceNumber,
                capacity: capacity,
                intermarketSweepEligibility: intermarketSweepEligibility,
                crossType: crossType,
                orderState: orderState,
                clOrdID: clOrdID,
                options: OUCH50.Options(parsing: appendage)
            )
        }
    }

    /// U, Order Replaced: 66 bytes, then the Appendage Length (2) and the appendage: at least 68 bytes.
    @frozen public struct OrderReplaced: Hashable, Sendable {
        public static let messageType: UInt8 = 0x55  // U
        /// Bytes before the Appendage Length field (the whole message when it has none).
        public static let baseLength = 66
        public static let appendageRule: OUCH50.AppendageRule = .required
        /// 1, 8: Nanoseconds since midnight.
        public var timestamp: VenueTime
        /// 9, 4: UserRefNum of the replaced order.
        public var origUserRefNum: UInt32
        /// 13, 4: UserRefNum of the new order.
        public var userRefNum: UInt32
        /// 17, 1: As entered.
        public var side: OUCHSide
        /// 18, 4: Shares outstanding after the replace.
        public var quantity: Shares
        /// 22, 8: As entered.
        public var symbol: Alpha8
        /// 30, 8: Accepted price.
        public var price: Price
        /// 38, 1: Accepted time in force.
        public var timeInForce: ASCIICode
        /// 39, 1: Accepted display.
        public var display: ASCIICode
        /// 40, 8: Reference of the new order.
        public var orderReferenceNumber: OrderRef
        /// 48, 1: As entered.
        public var capacity: ASCIICode
        /// 49, 1: As entered.
        public var intermarketSweepEligibility: ASCIICode
        /// 50, 1: As entered.
        public var crossType: ASCIICode
        /// 51, 1: L live, D dead.
        public var orderState: ASCIICode
        /// 52, 14: Customer order identifier (not checked for uniqueness).
        public var clOrdID: Alpha14
        /// The optional TagValue fields.
        public var options: OUCH50.Options
        @inlinable public init(
            timestamp: VenueTime,
            origUserRefNum: UInt32,
            userRefNum: UInt32,
            side: OUCHSide,
            quantity: Shares,
            symbol: Alpha8,
            price: Price,
            timeInForce: ASCIICode,
            display: ASCIICode,
            orderReferenceNumber: OrderRef,
            capacity: ASCIICode,
            intermarketSweepEligibility: ASCIICode,
            crossType: ASCIICode,
            orderState: ASCIICode,
            clOrdID: Alpha14,
            options: OUCH50.Options = OUCH50.Options()
        ) {
            self.timestamp = timestamp
            self.origUserRefNum = origUserRefNum
            self.userRefNum = userRefNum
            self.side = side
            self.quantity = quantity
            self.symbol = symbol
            self.price = price
            self.timeInForce = timeInForce
            self.display = display
            self.orderReferenceNumber = orderReferenceNumber
            self.capacity = capacity
            self.intermarketSweepEligibility = intermarketSweepEligibility
            self.crossType = crossType
            self.orderState = orderState
            self.clOrdID = clOrdID
            self.options = options
        }
        /// Writes the message and its appendage at the start of `out`: the bytes written, or nil if
        /// `out` is too small or an option is out of its wire range.
        @inlinable public func encode(into out: UnsafeMutableRawBufferPointer) -> Int? {
            guard let total = OUCH50.encodedLength(baseLength: Self.baseLength, rule: Self.appendageRule,
                                                   options: options), out.count >= total,
                  let p = out.baseAddress else { return nil }
            p.putU8(0, Self.messageType)
            p.putBE64(1, timestamp.nanosSinceMidnight)
            p.putBE32(9, origUserRefNum)
            p.putBE32(13, userRefNum)
            p.putU8(17, side.rawValue)
            p.putBE32(18, quantity.rawValue)
            symbol.store(to: p + 22)
            p.putBE64(30, UInt64(bitPattern: price.rawValue))
            p.putU8(38, timeInForce.rawValue)
            p.putU8(39, display.rawValue)
            p.putBE64(40, orderReferenceNumber.rawValue)
            p.putU8(48, capacity.rawValue)
            p.putU8(49, intermarketSweepEligibility.rawValue)
            p.putU8(50, crossType.rawValue)
            p.putU8(51, orderState.rawValue)
            clOrdID.store(to: p + 52)
            return OUCH50.finish(p, baseLength: Self.baseLength, total: total, options: options)
        }
    }

    /// A view of an Order Replaced message; see `OrderReplaced` for the fields.
    @frozen public struct OrderReplacedView: OUCH50MessageView {
        public typealias Message = OrderReplaced
        @inlinable public static var messageType: UInt8 { OrderReplaced.messageType }
        @inlinable public static var baseLength: Int { OrderReplaced.baseLength }
        @inlinable public static var appendageRule: OUCH50.AppendageRule { OrderReplaced.appendageRule }
        public let bytes: UnsafeRawBufferPointer
        @inlinable public init(unchecked bytes: UnsafeRawBufferPointer) { self.bytes = bytes }
        /// 1
        @inlinable public var timestamp: VenueTime { base.time(1) }
        /// 9
        @inlinable public var origUserRefNum: UInt32 { base.be32(9) }
        /// 13
        @inlinable public var userRefNum: UInt32 { base.be32(13) }
        /// 17
        @inlinable public var side: OUCHSide { base.side(17) }
        /// 18
        @inlinable public var quantity: Shares { base.shares(18) }
        /// 22
        @inlinable public var symbol: Alpha8 { base.alpha8(22) }
        /// 30
        @inlinable public var price: Price { base.price8(30) }
        /// 38
        @inlinable public var timeInForce: ASCIICode { base.code(38) }
        /// 39
        @inlinable public var display: ASCIICode { base.code(39) }
        /// 40
        @inlinable public var orderReferenceNumber: OrderRef { base.orderRef(40) }
        /// 48
        @inlinable public var capacity: ASCIICode { base.code(48) }
        /// 49
        @inlinable public var intermarketSweepEligibility: ASCIICode { base.code(49) }
        /// 50
        @inlinable public var crossType: ASCIICode { base.code(50) }
        /// 51
        @inlinable public var orderState: ASCIICode { base.code(51) }
        /// 52
        @inlinable public var clOrdID: Alpha14 { base.alpha14(52) }
        /// Every field, as a value.
        @inlinable public var message: OrderReplaced {
            OrderReplaced(
                timestamp: timestamp,
                origUserRefNum: origUserRefNum,
                userRefNum: userRefNum,
                side: side,
                quantity: quantity,
                symbol: symbol,
                price: price,
                timeInForce: timeInForce,
                display: display,
                orderReferenceNumber: orderReferenceNumber,
                capacity: capacity,
                intermarketSweepEligibility: intermarketSweepEligibility,
                crossType: crossType,
                orderState: orderState,
                clOrdID: clOrdID,
                options: OUCH50.Options(parsing: appendage)
            )
        }
    }

    /// C, Order Canceled: 18 bytes, then, only if there is an appendage, the Appendage Length (2)
    /// and the appendage.
    @frozen public struct OrderCanceled: Hashable, Sendable {
        public static let messageType: UInt8 = 0x43  // C
        /// Bytes before the Appendage Length field (the whole message when it has none).
        public static let baseLength = 18
        public static let appendageRule: OUCH50.AppendageRule = .optional
        /// 1, 8: Nanoseconds since midnight.
        public var timestamp: VenueTime
        /// 9, 4: UserRefNum of the order.
        public var userRefNum: UInt32
        /// 13, 4: Shares just canceled (incremental).
        public var quantity: Shares
        /// 17, 1: Cancel reason (U user, I IOC, T timeout, S supervisory, D regulatory, Q self-match
        /// prevention, Z system, ...).
        public var reason: ASCIICode
        /// The optional TagValue fields.
        public var options: OUCH50.Options
        @inlinable public init(
            timestamp: VenueTime,
            userRefNum: UInt32,
            quantity: Shares,
            reason: ASCIICode,
            options: OUCH50.Options = OUCH50.Options()
        ) {
            self.timestamp = timestamp
            self.userRefNum = userRefNum
            self.quantity = quantity
            self.reason = reason
            self.options = options
        }
        /// Writes the message and its appendage at the start of `out`: the bytes written, or nil if
        /// `out` is too small or an option is out of its wire range.
        @inlinable public func encode(into out: UnsafeMutableRawBufferPointer) -> Int? {
            guard let total = OUCH50.encodedLength(baseLength: Self.baseLength, rule: Self.appendageRule,
                                                   options: options), out.count >= total,
                  let p = out.baseAddress else { return nil }
            p.putU8(0, Self.messageType)
            p.putBE64(1, timestamp.nanosSinceMidnight)
            p.putBE32(9, userRefNum)
            p.putBE32(13, quantity.rawValue)
            p.putU8(17, reason.rawValue)
            return OUCH50.finish(p, baseLength: Self.baseLength, total: total, options: options)
        }
    }

    /// A view of an Order Canceled message; see `OrderCanceled` for the fields.
    @frozen public struct OrderCanceledView: OUCH50MessageView {
        public typealias Message = OrderCanceled
        @inlinable public static var messageType: UInt8 { OrderCanceled.messageType }
        @inlinable public static var baseLength: Int { OrderCanceled.baseLength }
        @inlinable public static var appendageRule: OUCH50.AppendageRule { OrderCanceled.appendageRule }
        public let bytes: UnsafeRawBufferPointer
        @inlinable public init(unchecked bytes: UnsafeRawBufferPointer) { self.bytes = bytes }
        /// 1
        @inlinable public var timestamp: VenueTime { base.time(1) }
        /// 9
        @inlinable public var userRefNum: UInt32 { base.be32(9) }
        /// 13
        @inlinable public var quantity: Shares { base.shares(13) }
        /// 17
        @inlinable public var reason: ASCIICode { base.code(17) }
        /// Every field, as a value.
        @inlinable public var message: OrderCanceled {
            OrderCanceled(
                timestamp: timestamp,
                userRefNum: userRefNum,
                quantity: quantity,
                reason: reason,
                options: OUCH50.Options(parsing: appendage)
            )
        }
    }

    /// D, AIQ Canceled: 32 bytes, then, only if there is an appendage, the Appendage Length (2)
    /// and the appendage.
    @frozen public struct AIQCanceled: Hashable, Sendable {
        public static let messageType: UInt8 = 0x44  // D
        /// Bytes before the Appendage Length field (the whole message when it has none).
        public static let baseLength = 32
        public static let appendageRule: OUCH50.AppendageRule = .optional
        /// 1, 8: Nanoseconds since midnight.
        public var timestamp: VenueTime
        /// 9, 4: UserRefNum of the order.
        public var userRefNum: UInt32
        /// 13, 4: Shares just canceled.
        public var decrementShares: Shares
        /// 17, 1: Always Q.
        public var reason: ASCIICode
        /// 18, 4: Shares that would have traded.
        public var quantityPreventedFromTrading: Shares
        /// 22, 8: Price they would have traded at.
        public var executionPrice: Price
        /// 30, 1: Liquidity flag the trade would have had.
        public var liquidityFlag: ASCIICode
        /// 31, 1: AIQ strategy applied.
        public var aiqStrategy: ASCIICode
        /// The optional TagValue fields.
        public var options: OUCH50.Options
        @inlinable public init(
            timestamp: VenueTime,
            userRefNum: UInt32,
            decrementShares: Shares,
            reason: ASCIICode,
            quantityPreventedFromTrading: Shares,
            executionPrice: Price,
            liquidityFlag: ASCIICode,
            aiqStrategy: ASCIICode,
            options: OUCH50.Options = OUCH50.Options()
        ) {
            self.timestamp = timestamp
            self.userRefNum = userRefNum
            self.decrementShares = decrementShares
            self.reason = reason
            self.quantityPreventedFromTrading = quantityPreventedFromTrading
            self.executionPrice = executionPrice
            self.liquidityFlag = liquidityFlag
            self.aiqStrategy = aiqStrategy
            self.options = options
        }
        /// Writes the message and its appendage at the start of `out`: the bytes written, or nil if
        /// `out` is too small or an option is out of its wire range.
        @inlinable public func encode(into out: UnsafeMutableRawBufferPointer) -> Int? {
            guard let total = OUCH50.encodedLength(baseLength: Self.baseLength, rule: Self.appendageRule,
                                                   options: options), out.count >= total,
                  let p = out.baseAddress else { return nil }
            p.putU8(0, Self.messageType)
            p.putBE64(1, timestamp.nanosSinceMidnight)
            p.putBE32(9, userRefNum)
            p.putBE32(13, decrementShares.rawValue)
            p.putU8(17, reason.rawValue)
            p.putBE32(18, quantityPreventedFromTrading.rawValue)
            p.putBE64(22, UInt64(bitPattern: executionPrice.rawValue))
            p.putU8(30, liquidityFlag.rawValue)
            p.putU8(31, aiqStrategy.rawValue)
            return OUCH50.finish(p, baseLength: Self.baseLength, total: total, options: options)
        }
    }

    /// A view of an AIQ Canceled message; see `AIQCanceled` for the fields.
    @frozen public struct AIQCanceledView: OUCH50MessageView {
        public typealias Message = AIQCanceled
        @inlinable public static var messageType: UInt8 { AIQCanceled.messageType }
        @inlinable public static var baseLength: Int { AIQCanceled.baseLength }
        @inlinable public static var appendageRule: OUCH50.AppendageRule { AIQCanceled.appendageRule }
        public let bytes: UnsafeRawBufferPointer
        @inlinable public init(unchecked bytes: UnsafeRawBufferPointer) { self.bytes = bytes }
        /// 1
        @inlinable public var timestamp: VenueTime { base.time(1) }
        /// 9
        @inlinable public var userRefNum: UInt32 { base.be32(9) }
        /// 13
        @inlinable public var decrementShares: Shares { base.shares(13) }
        /// 17
        @inlinable public var reason: ASCIICode { base.code(17) }
        /// 18
        @inlinable public var quantityPreventedFromTrading: Shares { base.shares(18) }
        /// 22
        @inlinable public var executionPrice: Price { base.price8(22) }
        /// 30
        @inlinable public var liquidityFlag: ASCIICode { base.code(30) }
        /// 31
        @inlinable public var aiqStrategy: ASCIICode { base.code(31) }
        /// Every field, as a value.
        @inlinable public var message: AIQCanceled {
            AIQCanceled(
                timestamp: timestamp,
                userRefNum: userRefNum,
                decrementShares: decrementShares,
                reason: reason,
                quantityPreventedFromTrading: quantityPreventedFromTrading,
                executionPrice: executionPrice,
                liquidityFlag: liquidityFlag,
                aiqStrategy: aiqStrategy,
                options: OUCH50.Options(parsing: appendage)
            )
        }
    }

    /// E, Order Executed: 34 bytes, then the Appendage Length (2) and the appendage: at least 36 bytes.
    @frozen public struct OrderExecuted: Hashable, Sendable {
        public static let messageType: UInt8 = 0x45  // E
        /// Bytes before the Appendage Length field (the whole message when it has none).
        public static let baseLength = 34
        public static let appendageRule: OUCH50.AppendageRule = .required
        /// 1, 8: Nanoseconds since midnight.
        public var timestamp: VenueTime
        /// 9, 4: UserRefNum of the order.
        public var userRefNum: UInt32
        /// 13, 4: Shares executed (incremental).
        public var quantity: Shares
        /// 17, 8: Execution price.
        public var price: Price
        /// 25, 1: Liquidity flag.
        public var liquidityFlag: ASCIICode
        /// 26, 8: Day-unique match number.
        public var matchNumber: UInt64
        /// The optional TagValue fields.
        public var options: OUCH50.Options
        @inlinable public init(
            timestamp: VenueTime,
            userRefNum: UInt32,
            quantity: Shares,
            price: Price,
            liquidityFlag: ASCIICode,
            matchNumber: UInt64,
            options: OUCH50.Options = OUCH50.Options()
        ) {
            self.timestamp = timestamp
            self.userRefNum = userRefNum
            self.quantity = quantity
            self.price = price
            self.liquidityFlag = liquidityFlag
            self.matchNumber = matchNumber
            self.options = options
        }
        /// Writes the message and its appendage at the start of `out`: the bytes written, or nil if
        /// `out` is too small or an option is out of its wire range.
        @inlinable public func encode(into out: UnsafeMutableRawBufferPointer) -> Int? {
            guard let total = OUCH50.encodedLength(baseLength: Self.baseLength, rule: Self.appendageRule,
                                                   options: options), out.count >= total,
                  let p = out.baseAddress else { return nil }
            p.putU8(0, Self.messageType)
            p.putBE64(1, timestamp.nanosSinceMidnight)
            p.putBE32(9, userRefNum)
            p.putBE32(13, quantity.rawValue)
            p.putBE64(17, UInt64(bitPattern: price.rawValue))
            p.putU8(25, liquidityFlag.rawValue)
            p.putBE64(26, matchNumber)
            return OUCH50.finish(p, baseLength: Self.baseLength, total: total, options: options)
        }
    }

    /// A view of an Order Executed message; see `OrderExecuted` for the fields.
    @frozen public struct OrderExecutedView: OUCH50MessageView {
        public typealias Message = OrderExecuted
        @inlinable public static var messageType: UInt8 { OrderExecuted.messageType }
        @inlinable public static var baseLength: Int { OrderExecuted.baseLength }
        @inlinable public static var appendageRule: OUCH50.AppendageRule { OrderExecuted.appendageRule }
        public let bytes: UnsafeRawBufferPointer
        @inlinable public init(unchecked bytes: UnsafeRawBufferPointer) { self.bytes = bytes }
        /// 1
        @inlinable public var timestamp: VenueTime { base.time(1) }
        /// 9
        @inlinable public var userRefNum: UInt32 { base.be32(9) }
        /// 13
        @inlinable public var quantity: Shares { base.shares(13) }
        /// 17
        @inlinable public var price: Price { base.price8(17) }
        /// 25
        @inlinable public var liquidityFlag: ASCIICode { base.code(25) }
        /// 26
        @inlinable public var matchNumber: UInt64 { base.be64(26) }
        /// Every field, as a value.
        @inlinable public var message: OrderExecuted {
            OrderExecuted(
                timestamp: timestamp,
                userRefNum: userRefNum,
                quantity: quantity,
                price: price,
                liquidityFlag: liquidityFlag,
                matchNumber: matchNumber,
                options: OUCH50.Options(parsing: appendage)
            )
        }
    }

    /// B, Broken Trade: 36 bytes, then, only if there is an appendage, the Appendage Length (2)
    /// and the appendage.
    @frozen public struct BrokenTrade: Hashable, Sendable {
        public static let messageType: UInt8 = 0x42  // B
        /// Bytes before the Appendage Length field (the whole message when it has none).
        public static let baseLength = 36
        public static let appendageRule: OUCH50.AppendageRule = .optional
        /// 1, 8: Nanoseconds since midnight.
        public var timestamp: VenueTime
        /// 9, 4: UserRefNum of the order.
        public var userRefNum: UInt32
        /// 13, 8: Match number of the broken execution.
        public var matchNumber: UInt64
        /// 21, 1: E erroneous, C consent, S supervisory, X external.
        public var reason: ASCIICode
        /// 22, 14: Customer order identifier (not checked for uniqueness).
        public var clOrdID: Alpha14
        /// The optional TagValue fields.
        public var options: OUCH50.Options
        @inlinable public init(
            timestamp: VenueTime,
            userRefNum: UInt32,
            matchNumber: UInt64,
            reason: ASCIICode,
            clOrdID: Alpha14,
            options: OUCH50.Options = OUCH50.Options()
        ) {
            self.timestamp = timestamp
            self.userRefNum = userRefNum
            self.matchNumber = matchNumber
            self.reason = reason
            self.clOrdID = clOrdID
            self.options = options
        }
        /// Writes the message and its appendage at the start of `out`: the bytes written, or nil if
        /// `out` is too small or an option is out of its wire range.
        @inlinable public func encode(into out: UnsafeMutableRawBufferPointer) -> Int? {
            guard let total = OUCH50.encodedLength(baseLength: Self.baseLength, rule: Self.appendageRule,
                                                   options: options), out.count >= total,
                  let p = out.baseAddress else { return nil }
            p.putU8(0, Self.messageType)
            p.putBE64(1, timestamp.nanosSinceMidnight)
            p.putBE32(9, userRefNum)
            p.putBE64(13, matchNumber)
            p.putU8(21, reason.rawValue)
            clOrdID.store(to: p + 22)
            return OUCH50.finish(p, baseLength: Self.baseLength, total: total, options: options)
        }
    }

    /// A view of a Broken Trade message; see `BrokenTrade` for the fields.
    @frozen public struct BrokenTradeView: OUCH50MessageView {
        public typealias Message = BrokenTrade
        @inlinable public static var messageType: UInt8 { BrokenTrade.messageType }
        @inlinable public static var baseLength: Int { BrokenTrade.baseLength }
        @inlinable public static var appendageRule: OUCH50.AppendageRule { BrokenTrade.appendageRule }
        public let bytes: UnsafeRawBufferPointer
        @inlinable public init(unchecked bytes: UnsafeRawBufferPointer) { self.bytes = bytes }
        /// 1
        @inlinable public var timestamp: VenueTime { base.time(1) }
        /// 9
        @inlinable public var userRefNum: UInt32 { base.be32(9) }
        /// 13
        @inlinable public var matchNumber: UInt64 { base.be64(13) }
        /// 21
        @inlinable public var reason: ASCIICode { base.code(21) }
        /// 22
        @inlinable public var clOrdID: Alpha14 { base.alpha14(22) }
        /// Every field, as a value.
        @inlinable public var message: BrokenTrade {
            BrokenTrade(
                timestamp: timestamp,
                userRefNum: userRefNum,
                matchNumber: matchNumber,
                reason: reason,
                clOrdID: clOrdID,
                options: OUCH50.Options(parsing: appendage)
            )
        }
    }

    /// J, Order Rejected: 29 bytes, then, only if there is an appendage, the Appendage Length (2)
    /// and the appendage.
    @frozen public struct OrderRejected: Hashable, Sendable {
        public static let messageType: UInt8 = 0x4A  // J
        /// Bytes before the Appendage Length field (the whole message when it has none).
        public static let baseLength = 29
        public static let appendageRule: OUCH50.AppendageRule = .optional
        /// 1, 8: Nanoseconds since midnight.
        public var timestamp: VenueTime
        /// 9, 4: UserRefNum of the order.
        public var userRefNum: UInt32
        /// 13, 2: Reject reason code (a 2-byte integer, spec appendix).
        public var reason: UInt16
        /// 15, 14: Customer order identifier (not checked for uniqueness).
        public var clOrdID: Alpha14
        /// The optional TagValue fields.
        public var options: OUCH50.Options
        @inlinable public init(
            timestamp: VenueTime,
            userRefNum: UInt32,
            reason: UInt16,
            clOrdID: Alpha14,
            options: OUCH50.Options = OUCH50.Options()
        ) {
            self.timestamp = timestamp
            self.userRefNum = userRefNum
            self.reason = reason
            self.clOrdID = clOrdID
            self.options = options
        }
        /// Writes the message and its appendage at the start of `out`: the bytes written, or nil if
        /// `out` is too small or an option is out of its wire range.
        @inlinable public func encode(into out: UnsafeMutableRawBufferPointer) -> Int? {
            guard let total = OUCH50.encodedLength(baseLength: Self.baseLength, rule: Self.appendageRule,
                                                   options: options), out.count >= total,
                  let p = out.baseAddress else { return nil }
            p.putU8(0, Self.messageType)
            p.putBE64(1, timestamp.nanosSinceMidnight)
            p.putBE32(9, userRefNum)
            p.putBE16(13, reason)
            clOrdID.store(to: p + 15)
            return OUCH50.finish(p, baseLength: Self.baseLength, total: total, options: options)
        }
    }

    /// A view of an Order Rejected message; see `OrderRejected` for the fields.
    @frozen public struct OrderRejectedView: OUCH50MessageView {
        public typealias Message = OrderRejected
        @inlinable public static var messageType: UInt8 { OrderRejected.messageType }
        @inlinable public static var baseLength: Int { OrderRejected.baseLength }
        @inlinable public static var appendageRule: OUCH50.AppendageRule { OrderRejected.appendageRule }
        public let bytes: UnsafeRawBufferPointer
        @inlinable public init(unchecked bytes: UnsafeRawBufferPointer) { self.bytes = bytes }
        /// 1
        @inlinable public var timestamp: VenueTime { base.time(1) }
        /// 9
        @inlinable public var userRefNum: UInt32 { base.be32(9) }
        /// 13
        @inlinable public var reason: UInt16 { base.be16(13) }
        /// 15
        @inlinable public var clOrdID: Alpha14 { base.alpha14(15) }
        /// Every field, as a value.
        @inlinable public var message: OrderRejected {
            OrderRejected(
                timestamp: timestamp,
                userRefNum: userRefNum,
                reason: reason,
                clOrdID: clOrdID,
                options: OUCH50.Options(parsing: appendage)
            )
        }
    }

    /// P, Cancel Pending: 13 bytes, then, only if there is an appendage, the Appendage Length (2)
    /// and the appendage.
    @frozen public struct CancelPending: Hashable, Sendable {
        public static let messageType: UInt8 = 0x50  // P
        /// Bytes before the Appendage Length field (the whole message when it has none).
        public static let baseLength = 13
        public static let appendageRule: OUCH50.AppendageRule = .optional
        /// 1, 8: Nanoseconds since midnight.
        public var timestamp: VenueTime
        /// 9, 4: UserRefNum of the order.
        public var userRefNum: UInt32
        /// The optional TagValue fields.
        public var options: OUCH50.Options
        @inlinable public init(timestamp: VenueTime, userRefNum: UInt32, options: OUCH50.Options = OUCH50.Options()) {
            self.timestamp = timestamp
            self.userRefNum = userRefNum
            self.options = options
        }
        /// Writes the message and its appendage at the start of `out`: the bytes written, or nil if
        /// `out` is too small or an option is out of its wire range.
        @inlinable public func encode(into out: UnsafeMutableRawBufferPointer) -> Int? {
            guard let total = OUCH50.encodedLength(baseLength: Self.baseLength, rule: Self.appendageRule,
                                                   options: options), out.count >= total,
                  let p = out.baseAddress else { return nil }
            p.putU8(0, Self.messageType)
            p.putBE64(1, timestamp.nanosSinceMidnight)
            p.putBE32(9, userRefNum)
            return OUCH50.finish(p, baseLength: Self.baseLength, total: total, options: options)
        }
    }

    /// A view of a Cancel Pending message; see `CancelPending` for the fields.
    @frozen public struct CancelPendingView: OUCH50MessageView {
        public typealias Message = CancelPending
        @inlinable public static var messageType: UInt8 { CancelPending.messageType }
        @inlinable public static var baseLength: Int { CancelPending.baseLength }
        @inlinable public static var appendageRule: OUCH50.AppendageRule { CancelPending.appendageRule }
        public let bytes: UnsafeRawBufferPointer
        @inlinable public init(unchecked bytes: UnsafeRawBufferPointer) { self.bytes = bytes }
        /// 1
        @inlinable public var timestamp: VenueTime { base.time(1) }
        /// 9
        @inlinable public var userRefNum: UInt32 { base.be32(9) }
        /// Every field, as a value.
        @inlinable public var message: CancelPending {
            CancelPending(
                timestamp: timestamp,
                userRefNum: userRefNum,
                options: OUCH50.Options(parsing: appendage)
            )
        }
    }

    /// I, Cancel Reject: 13 bytes, then, only if there is an appendage, the Appendage Length (2)
    /// and the appendage.
    @frozen public struct CancelReject: Hashable, Sendable {
        public static let messageType: UInt8 = 0x49  // I
        /// Bytes before the Appendage Length field (the whole message when it has none).
        public static let baseLength = 13
        public static let appendageRule: OUCH50.AppendageRule = .optional
        /// 1, 8: Nanoseconds since midnight.
        public var timestamp: VenueTime
        /// 9, 4: UserRefNum of the order.
        public var userRefNum: UInt32
        /// The optional TagValue fields.
        public var options: OUCH50.Options
        @inlinable public init(timestamp: VenueTime, userRefNum: UInt32, options: OUCH50.Options = OUCH50.Options()) {
            self.timestamp = timestamp
            self.userRefNum = userRefNum
            self.options = options
        }
        /// Writes the message and its appendage at the start of `out`: the bytes written, or nil if
        /// `out` is too small or an option is out of its wire range.
        @inlinable public func encode(into out: UnsafeMutableRawBufferPointer) -> Int? {
            guard let total = OUCH50.encodedLength(baseLength: Self.baseLength, rule: Self.appendageRule,
                                                   options: options), out.count >= total,
                  let p = out.baseAddress else { return nil }
            p.putU8(0, Self.messageType)
            p.putBE64(1, timestamp.nanosSinceMidnight)
            p.putBE32(9, userRefNum)
            return OUCH50.finish(p, baseLength: Self.baseLength, total: total, options: options)
        }
    }

    /// A view of a Cancel Reject message; see `CancelReject` for the fields.
    @frozen public struct CancelRejectView: OUCH50MessageView {
        public typealias Message = CancelReject
        @inlinable public static var messageType: UInt8 { CancelReject.messageType }
        @inlinable public static var baseLength: Int { CancelReject.baseLength }
        @inlinable public static var appendageRule: OUCH50.AppendageRule { CancelReject.appendageRule }
        public let bytes: UnsafeRawBufferPointer
        @inlinable public init(unchecked bytes: UnsafeRawBufferPointer) { self.bytes = bytes }
        /// 1
        @inlinable public var timestamp: VenueTime { base.time(1) }
        /// 9
        @inlinable public var userRefNum: UInt32 { base.be32(9) }
        /// Every field, as a value.
        @inlinable public var message: CancelReject {
            CancelReject(
                timestamp: timestamp,
                userRefNum: userRefNum,
                options: OUCH50.Options(parsing: appendage)
            )
        }
    }

    /// T, Order Priority Update: 30 bytes, then, only if there is an appendage, the Appendage Length (2)
    /// and the appendage.
    @frozen public struct OrderPriorityUpdate: Hashable, Sendable {
        public static let messageType: UInt8 = 0x54  // T
        /// Bytes before the Appendage Length field (the whole message when it has none).
        public static let baseLength = 30
        public static let appendageRule: OUCH50.AppendageRule = .optional
        /// 1, 8: Nanoseconds since midnight.
        public var timestamp: VenueTime
        /// 9, 4: UserRefNum of the order.
        public var userRefNum: UInt32
        /// 13, 8: New price.
        public var price: Price
        /// 21, 1: New display.
        public var display: ASCIICode
        /// 22, 8: New order reference number.
        public var orderReferenceNumber: OrderRef
        /// The optional TagValue fields.
        public var options: OUCH50.Options
        @inlinable public init(
            timestamp: VenueTime,
            userRefNum: UInt32,
            price: Price,
            display: ASCIICode,
            orderReferenceNumber: OrderRef,
            options: OUCH50.Options = OUCH50.Options()
        ) {
            self.timestamp = timestamp
            self.userRefNum = userRefNum
            self.price = price
            self.display = display
            self.orderReferenceNumber = orderReferenceNumber
            self.options = options
        }
        /// Writes the message and its appendage at the start of `out`: the bytes written, or nil if
        /// `out` is too small or an option is out of its wire range.
        @inlinable public func encode(into out: UnsafeMutableRawBufferPointer) -> Int? {
            guard let total = OUCH50.encodedLength(baseLength: Self.baseLength, rule: Self.appendageRule,
                                                   options: options), out.count >= total,
                  let p = out.baseAddress else { return nil }
            p.putU8(0, Self.messageType)
            p.putBE64(1, timestamp.nanosSinceMidnight)
            p.putBE32(9, userRefNum)
            p.putBE64(13, UInt64(bitPattern: price.rawValue))
            p.putU8(21, display.rawValue)
            p.putBE64(22, orderReferenceNumber.rawValue)
            return OUCH50.finish(p, baseLength: Self.baseLength, total: total, options: options)
        }
    }

    /// A view of an Order Priority Update message; see `OrderPriorityUpdate` for the fields.
    @frozen public struct OrderPriorityUpdateView: OUCH50MessageView {
        public typealias Message = OrderPriorityUpdate
        @inlinable public static var messageType: UInt8 { OrderPriorityUpdate.messageType }
        @inlinable public static var baseLength: Int { OrderPriorityUpdate.baseLength }
        @inlinable public static var appendageRule: OUCH50.AppendageRule { OrderPriorityUpdate.appendageRule }
        public let bytes: UnsafeRawBufferPointer
        @inlinable public init(unchecked bytes: UnsafeRawBufferPointer) { self.bytes = bytes }
        /// 1
        @inlinable public var timestamp: VenueTime { base.time(1) }
        /// 9
        @inlinable public var userRefNum: UInt32 { base.be32(9) }
        /// 13
        @inlinable public var price: Price { base.price8(13) }
        /// 21
        @inlinable public var display: ASCIICode { base.code(21) }
        /// 22
        @inlinable public var orderReferenceNumber: OrderRef { base.orderRef(22) }
        /// Every field, as a value.
        @inlinable public var message: OrderPriorityUpdate {
            OrderPriorityUpdate(
                timestamp: timestamp,
                userRefNum: userRefNum,
                price: price,
                display: display,
                orderReferenceNumber: orderReferenceNumber,
                options: OUCH50.Options(parsing: appendage)
            )
        }
    }

    /// M, Order Modified: 18 bytes, then, only if there is an appendage, the Appendage Length (2)
    /// and the appendage.
    @frozen public struct OrderModified: Hashable, Sendable {
        public static let messageType: UInt8 = 0x4D  // M
        /// Bytes before the Appendage Length field (the whole message when it has none).
        public static let baseLength = 18
        public static let appendageRule: OUCH50.AppendageRule = .optional
        /// 1, 8: Nanoseconds since midnight.
        public var timestamp: VenueTime
        /// 9, 4: UserRefNum of the order.
        public var userRefNum: UInt32
        /// 13, 1: Side after the modify.
        public var side: OUCHSide
        /// 14, 4: Shares outstanding.
        public var quantity: Shares
        /// The optional TagValue fields.
        public var options: OUCH50.Options
        @inlinable public init(
            timestamp: VenueTime,
            userRefNum: UInt32,
            side: OUCHSide,
            quantity: Shares,
            options: OUCH50.Options = OUCH50.Options()
        ) {
            self.timestamp = timestamp
            self.userRefNum = userRefNum
            self.side = side
            self.quantity = quantity
            self.options = options
        }
        /// Writes the message and its appendage at the start of `out`: the bytes written, or nil if
        /// `out` is too small or an option is out of its wire range.
        @inlinable public func encode(into out: UnsafeMutableRawBufferPointer) -> Int? {
            guard let total = OUCH50.encodedLength(baseLength: Self.baseLength, rule: Self.appendageRule,
                                                   options: options), out.count >= total,
                  let p = out.baseAddress else { return nil }
            p.putU8(0, Self.messageType)
            p.putBE64(1, timestamp.nanosSinceMidnight)
            p.putBE32(9, userRefNum)
            p.putU8(13, side.rawValue)
            p.putBE32(14, quantity.rawValue)
            return OUCH50.finish(p, baseLength: Self.baseLength, total: total, options: options)
        }
    }

    /// A view of an Order Modified message; see `OrderModified` for the fields.
    @frozen public struct OrderModifiedView: OUCH50MessageView {
        public typealias Message = OrderModified
        @inlinable public static var messageType: UInt8 { OrderModified.messageType }
        @inlinable public static var baseLength: Int { OrderModified.baseLength }
        @inlinable public static var appendageRule: OUCH50.AppendageRule { OrderModified.appendageRule }
        public let bytes: UnsafeRawBufferPointer
        @inlinable public init(unchecked bytes: UnsafeRawBufferPointer) { self.bytes = bytes }
        /// 1
        @inlinable public var timestamp: VenueTime { base.time(1) }
        /// 9
        @inlinable public var userRefNum: UInt32 { base.be32(9) }
        /// 13
        @inlinable public var side: OUCHSide { base.side(13) }
        /// 14
        @inlinable public var quantity: Shares { base.shares(14) }
        /// Every field, as a value.
        @inlinable public var message: OrderModified {
            OrderModified(
                timestamp: timestamp,
                userRefNum: userRefNum,
                side: side,
                quantity: quantity,
                options: OUCH50.Options(parsing: appendage)
            )
        }
    }

    /// R, Order Restated: 14 bytes, then the Appendage Length (2) and the appendage: at least 16 bytes.
    @frozen public struct OrderRestated: Hashable, Sendable {
        public static let messageType: UInt8 = 0x52  // R
        /// Bytes before the Appendage Length field (the whole message when it has none).
        public static let baseLength = 14
        public static let appendageRule: OUCH50.AppendageRule = .required
        /// 1, 8: Nanoseconds since midnight.
        public var timestamp: VenueTime
        /// 9, 4: UserRefNum of the order.
        public var userRefNum: UInt32
        /// 13, 1: R display refresh (reserve replenished), P display price update.
        public var reason: ASCIICode
        /// The optional TagValue fields.
        public var options: OUCH50.Options
        @inlinable public init(
            timestamp: VenueTime,
            userRefNum: UInt32,
            reason: ASCIICode,
            options: OUCH50.Options = OUCH50.Options()
        ) {
            self.timestamp = timestamp
            self.userRefNum = userRefNum
            self.reason = reason
            self.options = options
        }
        /// Writes the message and its appendage at the start of `out`: the bytes written, or nil if
        /// `out` is too small or an option is out of its wire range.
        @inlinable public func encode(into out: UnsafeMutableRawBufferPointer) -> Int? {
            guard let total = OUCH50.encodedLength(baseLength: Self.baseLength, rule: Self.appendageRule,
                                                   options: options), out.count >= total,
                  let p = out.baseAddress else { return nil }
            p.putU8(0, Self.messageType)
            p.putBE64(1, timestamp.nanosSinceMidnight)
            p.putBE32(9, userRefNum)
            p.putU8(13, reason.rawValue)
            return OUCH50.finish(p, baseLength: Self.baseLength, total: total, options: options)
        }
    }

    /// A view of an Order Restated message; see `OrderRestated` for the fields.
    @frozen public struct OrderRestatedView: OUCH50MessageView {
        public typealias Message = OrderRestated
        @inlinable public static var messageType: UInt8 { OrderRestated.messageType }
        @inlinable public static var baseLength: Int { OrderRestated.baseLength }
        @inlinable public static var appendageRule: OUCH50.AppendageRule { OrderRestated.appendageRule }
        public let bytes: UnsafeRawBufferPointer
        @inlinable public init(unchecked bytes: UnsafeRawBufferPointer) { self.bytes = bytes }
        /// 1
        @inlinable public var timestamp: VenueTime { base.time(1) }
        /// 9
        @inlinable public var userRefNum: UInt32 { base.be32(9) }
        /// 13
        @inlinable public var reason: ASCIICode { base.code(13) }
        /// Every field, as a value.
        @inlinable public var message: OrderRestated {
            OrderRestated(
                timestamp: timestamp,
                userRefNum: userRefNum,
                reason: reason,
                options: OUCH50.Options(parsing: appendage)
            )
        }
    }

    /// X, Mass Cancel Response: 25 bytes, then the Appendage Length (2) and the appendage: at least 27 bytes.
    @frozen public struct MassCancelResponse: Hashable, Sendable {
        public static let messageType: UInt8 = 0x58  // X
        /// Bytes before the Appendage Length field (the whole message when it has none).
        public static let baseLength = 25
        public static let appendageRule: OUCH50.AppendageRule = .required
        /// 1, 8: Nanoseconds since midnight.
        public var timestamp: VenueTime
        /// 9, 4: UserRefNum of the request.
        public var userRefNum: UInt32
        /// 13, 4: As requested.
        public var firm: Alpha4
        /// 17, 8: As requested.
        public var symbol: Alpha8
        /// The optional TagValue fields.
        public var options: OUCH50.Options
        @inlinable public init(
            timestamp: VenueTime,
            userRefNum: UInt32,
            firm: Alpha4,
            symbol: Alpha8,
            options: OUCH50.Options = OUCH50.Options()
        ) {
            self.timestamp = timestamp
            self.userRefNum = userRefNum
            self.firm = firm
            self.symbol = symbol
            self.options = options
        }
        /// Writes the message and its appendage at the start of `out`: the bytes written, or nil if
        /// `out` is too small or an option is out of its wire range.
        @inlinable public func encode(into out: UnsafeMutableRawBufferPointer) -> Int? {
            guard let total = OUCH50.encodedLength(baseLength: Self.baseLength, rule: Self.appendageRule,
                                                   options: options), out.count >= total,
                  let p = out.baseAddress else { return nil }
            p.putU8(0, Self.messageType)
            p.putBE64(1, timestamp.nanosSinceMidnight)
            p.putBE32(9, userRefNum)
            firm.store(to: p + 13)
            symbol.store(to: p + 17)
            return OUCH50.finish(p, baseLength: Self.baseLength, total: total, options: options)
        }
    }

    /// A view of a Mass Cancel Response message; see `MassCancelResponse` for the fields.
    @frozen public struct MassCancelResponseView: OUCH50MessageView {
        public typealias Message = MassCancelResponse
        @inlinable public static var messageType: UInt8 { MassCancelResponse.messageType }
        @inlinable public static var baseLength: Int { MassCancelResponse.baseLength }
        @inlinable public static var appendageRule: OUCH50.AppendageRule { MassCancelResponse.appendageRule }
        public let bytes: UnsafeRawBufferPointer
        @inlinable public init(unchecked bytes: UnsafeRawBufferPointer) { self.bytes = bytes }
        /// 1
        @inlinable public var timestamp: VenueTime { base.time(1) }
        /// 9
        @inlinable public var userRefNum: UInt32 { base.be32(9) }
        /// 13
        @inlinable public var firm: Alpha4 { base.alpha4(13) }
        /// 17
        @inlinable public var symbol: Alpha8 { base.alpha8(17) }
        /// Every field, as a value.
        @inlinable public var message: MassCancelResponse {
            MassCancelResponse(
                timestamp: timestamp,
                userRefNum: userRefNum,
                firm: firm,
                symbol: symbol,
                options: OUCH50.Options(parsing: appendage)
            )
        }
    }

    /// Q, Account Query Response: 13 bytes, then, only if there is an appendage, the Appendage Length (2)
    /// and the appendage.
    @frozen public struct AccountQueryResponse: Hashable, Sendable {
        public static let messageType: UInt8 = 0x51  // Q
        /// Bytes before the Appendage Length field (the whole message when it has none).
        public static let baseLength = 13
        public static let appendageRule: OUCH50.AppendageRule = .optional
        /// 1, 8: Nanoseconds since midnight.
        public var timestamp: VenueTime
        /// 9, 4: Next UserRefNum the account expects.
        public var nextUserRefNum: UInt32
        /// The optional TagValue fields.
        public var options: OUCH50.Options
        @inlinable public init(
            timestamp: VenueTime,
            nextUserRefNum: UInt32,
            options: OUCH50.Options = OUCH50.Options()
        ) {
            self.timestamp = timestamp
            self.nextUserRefNum = nextUserRefNum
            self.options = options
        }
        /// Writes the message and its appendage at the start of `out`: the bytes written, or nil if
        /// `out` is too small or an option is out of its wire range.
        @inlinable public func encode(into out: UnsafeMutableRawBufferPointer) -> Int? {
            guard let total = OUCH50.encodedLength(baseLength: Self.baseLength, rule: Self.appendageRule,
                                                   options: options), out.count >= total,
                  let p = out.baseAddress else { return nil }
            p.putU8(0, Self.messageType)
            p.putBE64(1, timestamp.nanosSinceMidnight)
            p.putBE32(9, nextUserRefNum)
            return OUCH50.finish(p, baseLength: Self.baseLength, total: total, options: options)
        }
    }

    /// A view of an Account Query Response message; see `AccountQueryResponse` for the fields.
    @frozen public struct AccountQueryResponseView: OUCH50MessageView {
        public typealias Message = AccountQueryResponse
        @inlinable public static var messageType: UInt8 { AccountQueryResponse.messageType }
        @inlinable public static var baseLength: Int { AccountQueryResponse.baseLength }
        @inlinable public static var appendageRule: OUCH50.AppendageRule { AccountQueryResponse.appendageRule }
        public let bytes: UnsafeRawBufferPointer
        @inlinable public init(unchecked bytes: UnsafeRawBufferPointer) { self.bytes = bytes }
        /// 1
        @inlinable public var timestamp: VenueTime { base.time(1) }
        /// 9
        @inlinable public var nextUserRefNum: UInt32 { base.be32(9) }
        /// Every field, as a value.
        @inlinable public var message: AccountQueryResponse {
            AccountQueryResponse(
                timestamp: timestamp,
                nextUserRefNum: nextUserRefNum,
                options: OUCH50.Options(parsing: appendage)
            )
        }
    }

    // MARK: - Dispatch

    /// An inbound (client to venue) message, as a typed view.
    @frozen public enum Inbound {
        case enterOrder(EnterOrderView)
        case replaceOrder(ReplaceOrderView)
        case cancelOrder(CancelOrderView)
        case modifyOrder(ModifyOrderView)
        case massCancel(MassCancelView)
        case accountQuery(AccountQueryView)
    }

    /// Decodes one inbound message that exactly fills `bytes`.
    @inlinable public static func decodeInbound(_ bytes: UnsafeRawBufferPointer) -> Result<Inbound, DecodeError> {
        guard let p = bytes.baseAddress, bytes.count > 0 else { return .failure(.empty) }
        switch p.u8(0) {
        case 0x4F:  // O
            do { return .success(.enterOrder(try EnterOrderView(validating: bytes))) }
            catch { return .failure(error) }
        case 0x55:  // U
            do { return .success(.replaceOrder(try ReplaceOrderView(validating: bytes))) }
            catch { return .failure(error) }
        case 0x58:  // X
            do { return .success(.cancelOrder(try CancelOrderView(validating: bytes))) }
            catch { return .failure(error) }
        case 0x4D:  // M
            do { return .success(.modifyOrder(try ModifyOrderView(validating: bytes))) }
            catch { return .failure(error) }
        case 0x43:  // C
            do { return .success(.massCancel(try MassCancelView(validating: bytes))) }
            catch { return .failure(error) }
        case 0x51:  // Q
            do { return .success(.accountQuery(try AccountQueryView(validating: bytes))) }
            catch { return .failure(error) }
        case let other: return .failure(.unknownType(other))
        }
    }

    /// An outbound (venue to client) message, as a typed view.
    @frozen public enum Outbound {
        case systemEvent(SystemEventView)
        case orderAccepted(OrderAcceptedView)
        case orderReplaced(OrderReplacedView)
        case orderCanceled(OrderCanceledView)
        case aiqCanceled(AIQCanceledView)
        case orderExecuted(OrderExecutedView)
        case brokenTrade(BrokenTradeView)
        case orderRejected(OrderRejectedView)
        case cancelPending(CancelPendingView)
        case cancelReject(CancelRejectView)
        case orderPriorityUpdate(OrderPriorityUpdateView)
        case orderModified(OrderModifiedView)
        case orderRestated(OrderRestatedView)
        case massCancelResponse(MassCancelResponseView)
        case accountQueryResponse(AccountQueryResponseView)
    }

    /// Decodes one outbound message that exactly fills `bytes`.
    @inlinable public static func decodeOutbound(_ bytes: UnsafeRawBufferPointer) -> Result<Outbound, DecodeError> {
        guard let p = bytes.baseAddress, bytes.count > 0 else { return .failure(.empty) }
        switch p.u8(0) {
        case 0x53:  // S
            do { return .success(.systemEvent(try SystemEventView(validating: bytes))) }
            catch { return .failure(error) }
        case 0x41:  // A
            do { return .success(.orderAccepted(try OrderAcceptedView(validating: bytes))) }
            catch { return .failure(error) }
        case 0x55:  // U
            do { return .success(.orderReplaced(try OrderReplacedView(validating: bytes))) }
            catch { return .failure(error) }
        case 0x43:  // C
            do { return .success(.orderCanceled(try OrderCanceledView(validating: bytes))) }
            catch { return .failure(error) }
        case 0x44:  // D
            do { return .success(.aiqCanceled(try AIQCanceledView(validating: bytes))) }
            catch { return .failure(error) }
        case 0x45:  // E
            do { return .success(.orderExecuted(try OrderExecutedView(validating: bytes))) }
            catch { return .failure(error) }
        case 0x42:  // B
            do { return .success(.brokenTrade(try BrokenTradeView(validating: bytes))) }
            catch { return .failure(error) }
        case 0x4A:  // J
            do { return .success(.orderRejected(try OrderRejectedView(validating: bytes))) }
            catch { return .failure(error) }
        case 0x50:  // P
            do { return .success(.cancelPending(try CancelPendingView(validating: bytes))) }
            catch { return .failure(error) }
        case 0x49:  // I
            do { return .success(.cancelReject(try CancelRejectView(validating: bytes))) }
            catch { return .failure(error) }
        case 0x54:  // T
            do { return .success(.orderPriorityUpdate(try OrderPriorityUpdateView(validating: bytes))) }
            catch { return .failure(error) }
        case 0x4D:  // M
            do { return .success(.orderModified(try OrderModifiedView(validating: bytes))) }
            catch { return .failure(error) }
        case 0x52:  // R
            do { return .success(.orderRestated(try OrderRestatedView(validating: bytes))) }
            catch { return .failure(error) }
        case 0x58:  // X
            do { return .success(.massCancelResponse(try MassCancelResponseView(validating: bytes))) }
            catch { return .failure(error) }
        case 0x51:  // Q
            do { return .success(.accountQueryResponse(try AccountQueryResponseView(validating: bytes))) }
            catch { return .failure(error) }
        case let other: return .failure(.unknownType(other))
        }
    }
}
