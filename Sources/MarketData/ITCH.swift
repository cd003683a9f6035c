// NASDAQ TotalView-ITCH 5.0: message types and lengths, symbols, the dispatcher and its counters.
//
// Layout of this code. Every message is a fixed-length record: type (1 byte), stock locate (2),
// tracking number (2), timestamp (6, nanoseconds since midnight), then the type's own fields; all
// integers big-endian, alpha fields left-justified and space-padded ASCII, Price(4) an unsigned
// 32-bit count of 1/10,000 dollars. A message is read through a view (ITCHMessages.swift): a
// base pointer whose length `ITCH.dispatch` checked once against the table below, with every
// field a fixed-offset load computed when asked for. A message whose type is unknown or whose
// length differs from the table is reported in a `DispatchResult` (and counted by
// `ITCHCounters`), never decoded and never a trap.
//
// Why `@inlinable` / `@inline(__always)`: the dispatcher, the views and the counters run once per
// message inside the order book's loop (another module), which must exceed 10M messages/s;
// without them every field read is a cross-module call. Measured in development (release build,
// a handler reading the book's fields, the real snippet replayed): `dispatch` specializes into
// one jump table with the length checks folded in, no calls or retains, about 15-25 ns a message
// including the walker on a loaded 2-core box; the indirect branch's misprediction dominates.

/// Namespace for TotalView-ITCH 5.0: message types, lengths, views and the dispatcher.
public enum ITCH {
    /// The ITCH 5.0 message types, by their type byte.
    @frozen public enum MessageType: UInt8, CaseIterable, Sendable {
        case systemEvent = 0x53                // S
        case stockDirectory = 0x52             // R
        case stockTradingAction = 0x48         // H
        case regSHORestriction = 0x59          // Y
        case marketParticipantPosition = 0x4C  // L
        case mwcpDeclineLevel = 0x56           // V
        case mwcpStatus = 0x57                 // W
        case ipoQuotingPeriodUpdate = 0x4B     // K
        case luldAuctionCollar = 0x4A          // J
        case operationalHalt = 0x68            // h
        case addOrder = 0x41                   // A
        case addOrderMPID = 0x46               // F
        case orderExecuted = 0x45              // E
        case orderExecutedWithPrice = 0x43     // C
        case orderCancel = 0x58                // X
        case orderDelete = 0x44                // D
        case orderReplace = 0x55               // U
        case trade = 0x50                      // P (non-cross)
        case crossTrade = 0x51                 // Q
        case brokenTrade = 0x42                // B
        case noii = 0x49                       // I
        case retailInterest = 0x4E             // N (RPII)
        case directListingCapitalRaise = 0x4F  // O

        /// The message's fixed length in bytes (type byte included).
        @inlinable public var length: Int { ITCH.messageLength(type: rawValue) }
        /// The type letter, e.g. "A".
        public var letter: Character { Character(Unicode.Scalar(rawValue)) }
    }

    /// The fixed length of messages of type `type` (type byte included), or 0 when `type` is not
    /// an ITCH 5.0 type. Written as a switch so that the compiler emits a constant lookup table
    /// indexed by the type byte (a `static let` array would cost a lazy-initialization check,
    /// measured at a fifth of dispatch time). Checked against real files.
    @inlinable @inline(__always)
    public static func messageLength(type: UInt8) -> Int {
        switch type {
        case 0x53: 12  // S system event
        case 0x52: 39  // R stock directory
        case 0x48: 25  // H stock trading action
        case 0x59: 20  // Y Reg SHO restriction
        case 0x4C: 26  // L market participant position
        case 0x56: 35  // V MWCP decline level
        case 0x57: 12  // W MWCP status
        case 0x4B: 28  // K IPO quoting period update
        case 0x4A: 35  // J LULD auction collar
        case 0x68: 21  // h operational halt
        case 0x41: 36  // A add order
        case 0x46: 40  // F add order with MPID
        case 0x45: 31  // E order executed
        case 0x43: 36  // C order executed with price
        case 0x58: 23  // X order cancel
        case 0x44: 19  // D order delete
        case 0x55: 35  // U order replace
        case 0x50: 44  // P trade
        case 0x51: 40  // Q cross trade
        case 0x42: 19  // B broken trade
        case 0x49: 50  // I NOII
        case 0x4E: 20  // N retail interest
        case 0x4F: 48  // O direct listing with capital raise
        default: 0
        }
    }

    /// What `dispatch` did with one message.
    @frozen public enum DispatchResult: Hashable, Sendable {
        /// Decoded and handed to the handler; the type byte.
        case delivered(UInt8)
        /// The type byte is not an ITCH 5.0 type: skipped.
        case unknownType(UInt8)
        /// A known type whose length differs from the table: skipped, not decoded.
        case badLength(type: UInt8, got: Int)
        /// A zero-length message.
        case empty
    }

    /// Checks `message` (exactly one message, type byte first) against the length table and
    /// hands a view of it to the handler method for its type. Unknown types and wrong lengths
    /// are returned, not delivered; nothing allocates and nothing traps.
    @inlinable
    public static func dispatch<H: ITCHHandler>(_ message: UnsafeRawBufferPointer,
                                                to handler: inout H) -> DispatchResult {
        guard let p = message.baseAddress, message.count > 0 else { return .empty }
        let type = p.load(as: UInt8.self)
        let expected = messageLength(type: type)
        guard expected != 0 else { return .unknownType(type) }
        guard message.count == expected else { return .badLength(type: type, got: message.count) }
        switch type {
        case 0x53: handler.onSystemEvent(SystemEvent(unchecked: p))
        case 0x52: handler.onStockDirectory(StockDirectory(unchecked: p))
        case 0x48: handler.onStockTradingAction(StockTradingAction(unchecked: p))
        case 0x59: handler.onRegSHORestriction(RegSHORestriction(unchecked: p))
        case 0x4C: handler.onMarketParticipantPosition(MarketParticipantPosition(unchecked: p))
        case 0x56: handler.onMWCPDeclineLevel(MWCPDeclineLevel(unchecked: p))
        case 0x57: handler.onMWCPStatus(MWCPStatus(unchecked: p))
        case 0x4B: handler.onIPOQuotingPeriodUpdate(IPOQuotingPeriodUpdate(unchecked: p))
        case 0x4A: handler.onLULDAuctionCollar(LULDAuctionCollar(unchecked: p))
        case 0x68: handler.onOperationalHalt(OperationalHalt(unchecked: p))
        case 0x41: handler.onAddOrder(AddOrder(unchecked: p))
        case 0x46: handler.onAddOrderMPID(AddOrderMPID(unchecked: p))
        case 0x45: handler.onOrderExecuted(OrderExecuted(unchecked: p))
        case 0x43: handler.onOrderExecutedWithPrice(OrderExecutedWithPrice(unchecked: p))
        case 0x58: handler.onOrderCancel(OrderCancel(unchecked: p))
        case 0x44: handler.onOrderDelete(OrderDelete(unchecked: p))
        case 0x55: handler.onOrderReplace(OrderReplace(unchecked: p))
        case 0x50: handler.onTrade(Trade(unchecked: p))
        case 0x51: handler.onCrossTrade(CrossTrade(unchecked: p))
        case 0x42: handler.onBrokenTrade(BrokenTrade(unchecked: p))
        case 0x49: handler.onNOII(NOII(unchecked: p))
        case 0x4E: handler.onRetailInterest(RetailInterest(unchecked: p))
        case 0x4F: handler.onDirectListingCapitalRaise(DirectListingCapitalRaise(unchecked: p))
        default: return .unknownType(type)  // not reached: the table and this switch list the same types
        }
        return .delivered(type)
    }
}

// MARK: - Handler

/// Receives decoded messages from `ITCH.dispatch`, one method per type; every method has an
/// empty default, so a handler implements only what it needs. Dispatch is generic over the
/// handler: no existential, no witness-table call once specialized.
public protocol ITCHHandler {
    mutating func onSystemEvent(_ m: ITCH.SystemEvent)
    mutating func onStockDirectory(_ m: ITCH.StockDirectory)
    mutating func onStockTradingAction(_ m: ITCH.StockTradingAction)
    mutating func onRegSHORestriction(_ m: ITCH.RegSHORestriction)
    mutating func onMarketParticipantPosition(_ m: ITCH.MarketParticipantPosition)
    mutating func onMWCPDeclineLevel(_ m: ITCH.MWCPDeclineLevel)
    mutating func onMWCPStatus(_ m: ITCH.MWCPStatus)
    mutating func onIPOQuotingPeriodUpdate(_ m: ITCH.IPOQuotingPeriodUpdate)
    mutating func onLULDAuctionCollar(_ m: ITCH.LULDAuctionCollar)
    mutating func onOperationalHalt(_ m: ITCH.OperationalHalt)
    mutating func onAddOrder(_ m: ITCH.AddOrder)
    mutating func onAddOrderMPID(_ m: ITCH.AddOrderMPID)
    mutating func onOrderExecuted(_ m: ITCH.OrderExecuted)
    mutating func onOrderExecutedWithPrice(_ m: ITCH.OrderExecutedWithPrice)
    mutating func onOrderCancel(_ m: ITCH.OrderCancel)
    mutating func onOrderDelete(_ m: ITCH.OrderDelete)
    mutating func onOrderReplace(_ m: ITCH.OrderReplace)
    mutating func onTrade(_ m: ITCH.Trade)
    mutating func onCrossTrade(_ m: ITCH.CrossTrade)
    mutating func onBrokenTrade(_ m: ITCH.BrokenTrade)
    mutating func onNOII(_ m: ITCH.NOII)
    mutating func onRetailInterest(_ m: ITCH.RetailInterest)
    mutating func onDirectListingCapitalRaise(_ m: ITCH.DirectListingCapitalRaise)
}

extension ITCHHandler {
    @inlinable public mutating func onSystemEvent(_ m: ITCH.SystemEvent) {}
    @inlinable public mutating func onStockDirectory(_ m: ITCH.StockDirectory) {}
    @inlinable public mutating func onStockTradingAction(_ m: ITCH.StockTradingAction) {}
    @inlinable public mutating func onRegSHORestriction(_ m: ITCH.RegSHORestriction) {}
    @inlinable public mutating func onMarketParticipantPosition(_ m: ITCH.MarketParticipantPosition) {}
    @inlinable public mutating func onMWCPDeclineLevel(_ m: ITCH.MWCPDeclineLevel) {}
    @inlinable public mutating func onMWCPStatus(_ m: ITCH.MWCPStatus) {}
    @inlinable public mutating func onIPOQuotingPeriodUpdate(_ m: ITCH.IPOQuotingPeriodUpdate) {}
    @inlinable public mutating func onLULDAuctionCollar(_ m: ITCH.LULDAuctionCollar) {}
    @inlinable public mutating func onOperationalHalt(_ m: ITCH.OperationalHalt) {}
    @inlinable public mutating func onAddOrder(_ m: ITCH.AddOrder) {}
    @inlinable public mutating func onAddOrderMPID(_ m: ITCH.AddOrderMPID) {}
    @inlinable public mutating func onOrderExecuted(_ m: ITCH.OrderExecuted) {}
    @inlinable public mutating func onOrderExecutedWithPrice(_ m: ITCH.OrderExecutedWithPrice) {}
    @inlinable public mutating func onOrderCancel(_ m: ITCH.OrderCancel) {}
    @inlinable public mutating func onOrderDelete(_ m: ITCH.OrderDelete) {}
    @inlinable public mutating func onOrderReplace(_ m: ITCH.OrderReplace) {}
    @inlinable public mutating func onTrade(_ m: ITCH.Trade) {}
    @inlinable public mutating func onCrossTrade(_ m: ITCH.CrossTrade) {}
    @inlinable public mutating func onBrokenTrade(_ m: ITCH.BrokenTrade) {}
    @inlinable public mutating func onNOII(_ m: ITCH.NOII) {}
    @inlinable public mutating func onRetailInterest(_ m: ITCH.RetailInterest) {}
    @inlinable public mutating func onDirectListingCapitalRaise(_ m: ITCH.DirectListingCapitalRaise) {}
}

// MARK: - Counters

/// Counts of dispatch results: delivered messages per type, unknown types, wrong lengths,
/// empty messages. Inline storage (no heap): recording a result never allocates.
public struct ITCHCounters: Sendable {
    /// Delivered counts for type bytes 0x40...0x7F (every ITCH 5.0 type is an ASCII letter).
    @usableFromInline var slots: (
        UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64,
        UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64,
        UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64,
        UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64
    ) = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
         0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
    /// Messages decoded and handed to a handler.
    public var delivered: UInt64 = 0
    /// Messages skipped because their type byte is not an ITCH 5.0 type.
    public var unknownType: UInt64 = 0
    /// Messages skipped because their length differs from their type's.
    public var badLength: UInt64 = 0
    /// Zero-length messages.
    public var empty: UInt64 = 0

    public init() {}

    /// Every message recorded, whatever became of it.
    @inlinable public var total: UInt64 { delivered &+ unknownType &+ badLength &+ empty }

    @inlinable @inline(__always)
    public mutating func record(_ result: ITCH.DispatchResult) {
        switch result {
        case .delivered(let type):
            delivered &+= 1
            let i = Int(type) &- 0x40
            if i >= 0 && i < 64 {
                withUnsafeMutablePointer(to: &slots) {
                    UnsafeMutableRawPointer($0).assumingMemoryBound(to: UInt64.self)[i] &+= 1
                }
            }
        case .unknownType: unknownType &+= 1
        case .badLength: badLength &+= 1
        case .empty: empty &+= 1
        }
    }

    /// Delivered messages of the type with this byte.
    public func count(typeByte: UInt8) -> UInt64 {
        let i = Int(typeByte) - 0x40
        guard i >= 0 && i < 64 else { return 0 }
        return withUnsafeBytes(of: slots) { $0.load(fromByteOffset: i * 8, as: UInt64.self) }
    }

    /// Delivered messages of the type with this letter, e.g. `count(type: "A")`.
    public func count(type: Character) -> UInt64 {
        guard let byte = type.asciiValue else { return 0 }
        return count(typeByte: byte)
    }

    /// Delivered messages of this type.
    public func count(_ type: ITCH.MessageType) -> UInt64 { count(typeByte: type.rawValue) }

    /// The nonzero per-type counts in type-byte order, for reports.
    public var byType: [(type: Character, count: UInt64)] {
        (0x40..<0x80).compactMap { b in
            let n = count(typeByte: UInt8(b))
            return n == 0 ? nil : (Character(Unicode.Scalar(UInt8(b))), n)
        }
    }
}

// MARK: - Alpha fields

/// An 8-byte, space-padded ASCII stock symbol, held as a big-endian integer: the first character
/// is the most significant byte, so integer order is byte-wise (lexicographic) order.
@frozen public struct Symbol: Hashable, Comparable, Sendable, CustomStringConvertible, ExpressibleByStringLiteral {
    public var rawValue: UInt64
    @inlinable public init(rawValue: UInt64) { self.rawValue = rawValue }
    /// The first 8 UTF-8 bytes of `string`, space-padded.
    public init(_ string: String) { rawValue = ITCH.alphaPacked(string, width: 8) }
    public init(stringLiteral value: String) { self.init(value) }
    @inlinable public static func < (a: Symbol, b: Symbol) -> Bool { a.rawValue < b.rawValue }
    /// All spaces.
    public static let blank = Symbol(rawValue: 0x2020_2020_2020_2020)
    /// The symbol without its trailing spaces.
    public var description: String { ITCH.alphaString(rawValue, width: 8) }
}

extension ITCH {
    /// The timestamp of a raw message of any type (nanoseconds since midnight: 6 bytes at 5,
    /// read as the low 48 bits of the 8 at 3), or nil when it is too short to hold one.
    @inlinable @inline(__always)
    public static func timestamp(_ message: UnsafeRawBufferPointer) -> UInt64? {
        guard message.count >= 11, let p = message.baseAddress else { return nil }
        return p.loadUnaligned(fromByteOffset: 3, as: UInt64.self).bigEndian & 0xFFFF_FFFF_FFFF
    }

    /// A 4-byte space-padded alpha field (MPID, attribution, trading-action reason), big-endian.
    @frozen public struct Alpha4: Hashable, Sendable, CustomStringConvertible, ExpressibleByStringLiteral {
        public var rawValue: UInt32
        @inlinable public init(rawValue: UInt32) { self.rawValue = rawValue }
        public init(_ string: String) { rawValue = UInt32(truncatingIfNeeded: ITCH.alphaPacked(string, width: 4)) }
        public init(stringLiteral value: String) { self.init(value) }
        public static let blank = Alpha4(rawValue: 0x2020_2020)
        public var description: String { ITCH.alphaString(UInt64(rawValue), width: 4) }
    }

    /// A 2-byte space-padded alpha field (the stock directory's issue sub-type), big-endian.
    @frozen public struct Alpha2: Hashable, Sendable, CustomStringConvertible, ExpressibleByStringLiteral {
        public var rawValue: UInt16
        @inlinable public init(rawValue: UInt16) { self.rawValue = rawValue }
        public init(_ string: String) { rawValue = UInt16(truncatingIfNeeded: ITCH.alphaPacked(string, width: 2)) }
        public init(stringLiteral value: String) { self.init(value) }
        public var description: String { ITCH.alphaString(UInt64(rawValue), width: 2) }
    }
}

extension ITCH {
    /// The first `width` UTF-8 bytes of `string`, space-padded, as a big-endian integer.
    fileprivate static func alphaPacked(_ string: String, width: Int) -> UInt64 {
        var value: UInt64 = 0
        var n = 0
        for byte in string.utf8.prefix(width) { value = value << 8 | UInt64(byte); n += 1 }
        while n < width { value = value << 8 | 0x20; n += 1 }
        return value
    }

    /// The `width` big-endian bytes of `value` as text, trailing spaces removed.
    fileprivate static func alphaString(_ value: UInt64, width: Int) -> String {
        var bytes = (0..<width).map { UInt8(truncatingIfNeeded: value >> (8 * (width - 1 - $0))) }
        while bytes.last == 0x20 { bytes.removeLast() }
        return String(decoding: bytes, as: UTF8.self)
    }
}
