// Strong scalar types for market data and orders. Integers only: a price is an integer count of
// 1/10,000 dollars (ITCH's Price(4)), never a Double where money is compared.

/// A price in 1/10,000 dollars (ITCH Price(4); OUCH 4.2 prices use the same scale).
@frozen public struct Price: Hashable, Comparable, Sendable, CustomStringConvertible {
    public var rawValue: Int64
    @inlinable public init(rawValue: Int64) { self.rawValue = rawValue }
    @inlinable public static func < (a: Price, b: Price) -> Bool { a.rawValue < b.rawValue }
    public static let zero = Price(rawValue: 0)
    /// "12.3400": four decimals, as the book dump prints dollars when asked to.
    public var description: String {
        let sign = rawValue < 0 ? "-" : ""
        let m = rawValue.magnitude
        let frac = String(m % 10_000)
        return "\(sign)\(m / 10_000).\(String(repeating: "0", count: 4 - frac.count))\(frac)"
    }
}

/// A number of shares.
@frozen public struct Shares: Hashable, Comparable, Sendable, CustomStringConvertible {
    public var rawValue: UInt32
    @inlinable public init(rawValue: UInt32) { self.rawValue = rawValue }
    @inlinable public static func < (a: Shares, b: Shares) -> Bool { a.rawValue < b.rawValue }
    public var description: String { String(rawValue) }
}

/// An exchange order reference number (ITCH Order Reference Number).
@frozen public struct OrderRef: Hashable, Comparable, Sendable, CustomStringConvertible {
    public var rawValue: UInt64
    @inlinable public init(rawValue: UInt64) { self.rawValue = rawValue }
    @inlinable public static func < (a: OrderRef, b: OrderRef) -> Bool { a.rawValue < b.rawValue }
    public var description: String { String(rawValue) }
}

/// ITCH Stock Locate: the venue's small integer id for a symbol for the day (1-based; 0 = none).
@frozen public struct StockLocate: Hashable, Comparable, Sendable, CustomStringConvertible {
    public var rawValue: UInt16
    @inlinable public init(rawValue: UInt16) { self.rawValue = rawValue }
    @inlinable public static func < (a: StockLocate, b: StockLocate) -> Bool { a.rawValue < b.rawValue }
    public var description: String { String(rawValue) }
}

/// Buy or sell, with ITCH's byte values.
@frozen public enum Side: UInt8, Sendable, CaseIterable {
    case buy = 0x42   // "B"
    case sell = 0x53  // "S"

    @inlinable public var opposite: Side { self == .buy ? .sell : .buy }
    public var letter: Character { self == .buy ? "B" : "S" }
}

/// Nanoseconds since midnight, venue time (ITCH's 48-bit timestamp).
@frozen public struct VenueTime: Hashable, Comparable, Sendable {
    public var nanosSinceMidnight: UInt64
    @inlinable public init(nanosSinceMidnight: UInt64) { self.nanosSinceMidnight = nanosSinceMidnight }
    @inlinable public static func < (a: VenueTime, b: VenueTime) -> Bool { a.nanosSinceMidnight < b.nanosSinceMidnight }
}
