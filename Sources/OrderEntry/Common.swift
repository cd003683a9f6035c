// Pieces shared by the SoupBinTCP 3.0, OUCH 4.2 and OUCH 5.0 codecs.
//
// - Alpha fields (NASDAQ "Alpha" data type): fixed-width ASCII. OUCH alpha fields are
//   left-justified and padded on the right with spaces; SoupBinTCP's session and sequence-number
//   fields are right-justified (padded on the left). `AlphaN` holds the N wire bytes as big-endian
//   integers (first byte most significant), so reading or writing one is one or two loads/stores
//   and comparing two is an integer compare. Strings are only used to build or print them.
// - Integers are big-endian (network order) and unaligned on the wire.
// - Single-character codes are kept as the raw byte (`ASCIICode`), so a venue adding a new value
//   never makes a message undecodable; the legal values are listed where each field is declared.

public import TickwireCore

// MARK: - Codes

/// One ASCII byte used as a code (display, capacity, cross type, reason, ...).
@frozen public struct ASCIICode: Hashable, Sendable, CustomStringConvertible, ExpressibleByUnicodeScalarLiteral {
    public var rawValue: UInt8
    @inlinable public init(rawValue: UInt8) { self.rawValue = rawValue }
    /// The code for an ASCII scalar; traps on a non-ASCII literal.
    @inlinable public init(unicodeScalarLiteral value: Unicode.Scalar) {
        precondition(value.isASCII, "ASCIICode needs an ASCII character")
        rawValue = UInt8(truncatingIfNeeded: value.value)
    }
    /// A space (0x20), the "default"/"unspecified" value of several OUCH codes.
    public static let space = ASCIICode(rawValue: 0x20)
    public var description: String {
        (0x20..<0x7F).contains(rawValue) ? String(UnicodeScalar(rawValue)) : "0x" + String(rawValue, radix: 16)
    }
}

/// The OUCH buy/sell indicator: B buy, S sell, T sell short, E sell short exempt.
@frozen public struct OUCHSide: Hashable, Sendable, CustomStringConvertible, ExpressibleByUnicodeScalarLiteral {
    public var rawValue: UInt8
    @inlinable public init(rawValue: UInt8) { self.rawValue = rawValue }
    @inlinable public init(unicodeScalarLiteral value: Unicode.Scalar) {
        precondition(value.isASCII, "OUCHSide needs an ASCII character")
        rawValue = UInt8(truncatingIfNeeded: value.value)
    }
    /// B or S from the book's two-valued side (its raw values are the same letters).
    @inlinable public init(_ side: Side) { rawValue = side.rawValue }

    public static let buy = OUCHSide(rawValue: 0x42)              // B
    public static let sell = OUCHSide(rawValue: 0x53)             // S
    public static let sellShort = OUCHSide(rawValue: 0x54)        // T
    public static let sellShortExempt = OUCHSide(rawValue: 0x45)  // E

    /// Whether the byte is one of B, S, T, E.
    @inlinable public var isValid: Bool {
        rawValue == 0x42 || rawValue == 0x53 || rawValue == 0x54 || rawValue == 0x45
    }
    /// The side of the book the order rests on: buy for B, sell for S, T and E, nil otherwise.
    @inlinable public var bookSide: Side? {
        switch rawValue {
        case 0x42: .buy
        case 0x53, 0x54, 0x45: .sell
        default: nil
        }
    }
    public var description: String { ASCIICode(rawValue: rawValue).description }
}

// MARK: - Alpha fields

/// A 4-byte alpha field (OUCH firm, route, locate broker), big-endian packed.
@frozen public struct Alpha4: Hashable, Sendable, CustomStringConvertible {
    public var rawValue: UInt32
    @inlinable public init(rawValue: UInt32) { self.rawValue = rawValue }
    /// Left-justified and space-padded; nil if longer than 4 bytes or not printable ASCII.
    public init?(_ string: String) {
        guard let v = AlphaText.pack(string, width: 4, rightJustified: false) else { return nil }
        rawValue = UInt32(truncatingIfNeeded: v.low)
    }
    public static let blank = Alpha4(rawValue: 0x2020_2020)
    @inlinable public init(loading p: UnsafeRawPointer) { rawValue = p.be32(0) }
    @inlinable public func store(to p: UnsafeMutableRawPointer) { p.putBE32(0, rawValue) }
    public var description: String { AlphaText.text(high: 0, low: UInt64(rawValue), width: 4) }
}

/// An 8-byte alpha field (stock symbol), big-endian packed.
@frozen public struct Alpha8: Hashable, Sendable, CustomStringConvertible {
    public var rawValue: UInt64
    @inlinable public init(rawValue: UInt64) { self.rawValue = rawValue }
    /// Left-justified and space-padded; nil if longer than 8 bytes or not printable ASCII.
    public init?(_ string: String) {
        guard let v = AlphaText.pack(string, width: 8, rightJustified: false) else { return nil }
        rawValue = v.low
    }
    public static let blank = Alpha8(rawValue: 0x2020_2020_2020_2020)
    @inlinable public init(loading p: UnsafeRawPointer) { rawValue = p.be64(0) }
    @inlinable public func store(to p: UnsafeMutableRawPointer) { p.putBE64(0, rawValue) }
    public var description: String { AlphaText.text(high: 0, low: rawValue, width: 8) }
}

/// A 14-byte alpha field (OUCH 4.2 order token, OUCH 5.0 ClOrdID): bytes 0-7 in `high`,
/// bytes 8-13 in the low 48 bits of `low`.
@frozen public struct Alpha14: Hashable, Sendable, CustomStringConvertible {
    public var high: UInt64
    public var low: UInt64
    @inlinable public init(high: UInt64, low: UInt64) {
        self.high = high
        self.low = low & 0xFFFF_FFFF_FFFF
    }
    /// Left-justified and space-padded; nil if longer than 14 bytes or not printable ASCII.
    public init?(_ string: String) {
        guard let v = AlphaText.pack(string, width: 14, rightJustified: false) else { return nil }
        high = v.high
        low = v.low
    }
    public static let blank = Alpha14(high: 0x2020_2020_2020_2020, low: 0x2020_2020_2020)
    @inlinable public init(loading p: UnsafeRawPointer) {
        high = p.be64(0)
        low = UInt64(p.be32(8)) << 16 | UInt64(p.be16(12))
    }
    @inlinable public func store(to p: UnsafeMutableRawPointer) {
        p.putBE64(0, high)
        p.putBE32(8, UInt32(truncatingIfNeeded: low >> 16))
        p.putBE16(12, UInt16(truncatingIfNeeded: low))
    }
    public var description: String { AlphaText.text(high: high, low: low, width: 14) }
}

/// A 6-byte alpha field (SoupBinTCP username), packed in the low 48 bits.
@frozen public struct Alpha6: Hashable, Sendable, CustomStringConvertible {
    public var rawValue: UInt64
    @inlinable public init(rawValue: UInt64) { self.rawValue = rawValue & 0xFFFF_FFFF_FFFF }
    /// Space-padded (on the right unless `rightJustified`); nil if longer than 6 bytes or not
    /// printable ASCII.
    public init?(_ string: String, rightJustified: Bool = false) {
        guard let v = AlphaText.pack(string, width: 6, rightJustified: rightJustified) else { return nil }
        rawValue = v.low
    }
    public static let blank = Alpha6(rawValue: 0x2020_2020_2020)
    @inlinable public init(loading p: UnsafeRawPointer) { rawValue = UInt64(p.be32(0)) << 16 | UInt64(p.be16(4)) }
    @inlinable public func store(to p: UnsafeMutableRawPointer) {
        p.putBE32(0, UInt32(truncatingIfNeeded: rawValue >> 16))
        p.putBE16(4, UInt16(truncatingIfNeeded: rawValue))
    }
    public var description: String { AlphaText.text(high: 0, low: rawValue, width: 6) }
}

/// A 10-byte alpha field (SoupBinTCP password and session): bytes 0-7 in `high`, bytes 8-9 in
/// `low`.
@frozen public struct Alpha10: Hashable, Sendable, CustomStringConvertible {
    public var high: UInt64
    public var low: UInt16
    @inlinable public init(high: UInt64, low: UInt16) {
        self.high = high
        self.low = low
    }
    /// Space-padded (on the right unless `rightJustified`); nil if longer than 10 bytes or not
    /// printable ASCII.
    public init?(_ string: String, rightJustified: Bool = false) {
        guard let v = AlphaText.pack(string, width: 10, rightJustified: rightJustified) else { return nil }
        high = v.high
        low = UInt16(truncatingIfNeeded: v.low)
    }
    public static let blank = Alpha10(high: 0x2020_2020_2020_2020, low: 0x2020)
    @inlinable public init(loading p: UnsafeRawPointer) {
        high = p.be64(0)
        low = p.be16(8)
    }
    @inlinable public func store(to p: UnsafeMutableRawPointer) {
        p.putBE64(0, high)
        p.putBE16(8, low)
    }
    /// Whether every byte is a space.
    @inlinable public var isBlank: Bool { self == .blank }
    public var description: String { AlphaText.text(high: high, low: UInt64(low), width: 10) }
}

/// Packing and printing of alpha fields (not on any hot path: it uses Strings).
@usableFromInline enum AlphaText {
    /// The field as (bytes 0-7, remaining bytes) big-endian; for width <= 8 all bytes are in
    /// `low`. Nil if the text is too long or has a byte outside 0x20...0x7E.
    static func pack(_ string: String, width: Int, rightJustified: Bool) -> (high: UInt64, low: UInt64)? {
        let text = Array(string.utf8)
        guard text.count <= width, text.allSatisfy({ (0x20...0x7E).contains($0) }) else { return nil }
        let pad = [UInt8](repeating: 0x20, count: width - text.count)
        let bytes = rightJustified ? pad + text : text + pad
        var high: UInt64 = 0, low: UInt64 = 0
        for (i, b) in bytes.enumerated() {
            if width > 8 && i < 8 { high = high << 8 | UInt64(b) } else { low = low << 8 | UInt64(b) }
        }
        return (high, low)
    }

    /// The field's bytes as text with leading and trailing spaces removed.
    static func text(high: UInt64, low: UInt64, width: Int) -> String {
        var bytes: [UInt8] = []
        if width > 8 {
            for i in 0..<8 { bytes.append(UInt8(truncatingIfNeeded: high >> (56 - 8 * i))) }
            let rest = width - 8
            for i in 0..<rest { bytes.append(UInt8(truncatingIfNeeded: low >> (8 * (rest - 1 - i)))) }
        } else {
            for i in 0..<width { bytes.append(UInt8(truncatingIfNeeded: low >> (8 * (width - 1 - i)))) }
        }
        while bytes.last == 0x20 { bytes.removeLast() }
        while bytes.first == 0x20 { bytes.removeFirst() }
        return String(decoding: bytes, as: UTF8.self)
    }
}

// MARK: - Big-endian loads and stores

extension UnsafeRawPointer {
    @inlinable @inline(__always) func u8(_ o: Int) -> UInt8 { load(fromByteOffset: o, as: UInt8.self) }
    @inlinable @inline(__always) func be16(_ o: Int) -> UInt16 {
        UInt16(bigEndian: loadUnaligned(fromByteOffset: o, as: UInt16.self))
    }
    @inlinable @inline(__always) func be32(_ o: Int) -> UInt32 {
        UInt32(bigEndian: loadUnaligned(fromByteOffset: o, as: UInt32.self))
    }
    @inlinable @inline(__always) func be64(_ o: Int) -> UInt64 {
        UInt64(bigEndian: loadUnaligned(fromByteOffset: o, as: UInt64.self))
    }
    @inlinable @inline(__always) func code(_ o: Int) -> ASCIICode { ASCIICode(rawValue: u8(o)) }
    @inlinable @inline(__always) func side(_ o: Int) -> OUCHSide { OUCHSide(rawValue: u8(o)) }
    @inlinable @inline(__always) func alpha4(_ o: Int) -> Alpha4 { Alpha4(loading: self + o) }
    @inlinable @inline(__always) func alpha8(_ o: Int) -> Alpha8 { Alpha8(loading: self + o) }
    @inlinable @inline(__always) func alpha14(_ o: Int) -> Alpha14 { Alpha14(loading: self + o) }
    @inlinable @inline(__always) func shares(_ o: Int) -> Shares { Shares(rawValue: be32(o)) }
    @inlinable @inline(__always) func orderRef(_ o: Int) -> OrderRef { OrderRef(rawValue: be64(o)) }
    @inlinable @inline(__always) func time(_ o: Int) -> VenueTime { VenueTime(nanosSinceMidnight: be64(o)) }
    /// An unsigned 32-bit price with four implied decimals (OUCH 4.2).
    @inlinable @inline(__always) func price4(_ o: Int) -> Price { Price(rawValue: Int64(be32(o))) }
    /// A signed 64-bit price with four implied decimals (OUCH 5.0).
    @inlinable @inline(__always) func price8(_ o: Int) -> Price { Price(rawValue: Int64(bitPattern: be64(o))) }
}

extension UnsafeMutableRawPointer {
    @inlinable @inline(__always) func putU8(_ o: Int, _ v: UInt8) { storeBytes(of: v, toByteOffset: o, as: UInt8.self) }
    @inlinable @inline(__always) func putBE16(_ o: Int, _ v: UInt16) {
        storeBytes(of: v.bigEndian, toByteOffset: o, as: UInt16.self)
    }
    @inlinable @inline(__always) func putBE32(_ o: Int, _ v: UInt32) {
        storeBytes(of: v.bigEndian, toByteOffset: o, as: UInt32.self)
    }
    @inlinable @inline(__always) func putBE64(_ o: Int, _ v: UInt64) {
        storeBytes(of: v.bigEndian, toByteOffset: o, as: UInt64.self)
    }
}

/// Price conversions between `Price` (Int64 count of 1/10,000 dollars) and the wire forms.
public enum WirePrice {
    /// OUCH 4.2's unsigned 32-bit price, or nil if `price` is negative or above 429,496.7295.
    @inlinable public static func unsigned32(_ price: Price) -> UInt32? { UInt32(exactly: price.rawValue) }
    /// OUCH 5.0's 4-byte signed price (peg offsets), or nil outside Int32's range.
    @inlinable public static func signed32(_ price: Price) -> Int32? { Int32(exactly: price.rawValue) }
}
