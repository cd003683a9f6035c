// IEXMessages.swift: zero-copy views of the IEX TOPS 1.6 and DEEP 1.0 messages.
//
// Every message starts with a type byte and a one-byte field whose meaning depends on the type
// (an event code, a status, or flags), then an 8-byte timestamp (ns since the POSIX epoch, UTC)
// at offset 2 and, for the security messages, an 8-byte space-padded ASCII symbol at offset 10.
// All integers are little-endian; prices are signed 8-byte fixed point with 4 implied decimals,
// the scale of TickwireCore's `Price`, so they map over unchanged.
//
// Lengths (type byte included): S 10, D 31, H 22, O 18, P 19, E 18, Q 42, 8/5 30, T 38, X 26,
// B 38, A 80. IEX may grow messages: a view accepts a longer message and reads the known prefix;
// a shorter one is refused (nil from `init?`, counted as short by the dispatcher).

public import TickwireCore

// MARK: - Types and codes

/// Message type bytes.
public enum IEXMessageType {
    public static let systemEvent: UInt8 = 0x53             // S
    public static let securityDirectory: UInt8 = 0x44       // D
    public static let tradingStatus: UInt8 = 0x48           // H
    public static let operationalHaltStatus: UInt8 = 0x4F   // O
    public static let shortSalePriceTestStatus: UInt8 = 0x50 // P
    public static let quoteUpdate: UInt8 = 0x51             // Q (TOPS)
    public static let tradeReport: UInt8 = 0x54             // T
    public static let officialPrice: UInt8 = 0x58           // X
    public static let tradeBreak: UInt8 = 0x42              // B
    public static let auctionInformation: UInt8 = 0x41      // A
    public static let priceLevelUpdateBuy: UInt8 = 0x38     // 8 (DEEP)
    public static let priceLevelUpdateSell: UInt8 = 0x35    // 5 (DEEP)
    public static let securityEvent: UInt8 = 0x45           // E (DEEP)

    /// Every type above, for tables and tests.
    public static let all: [UInt8] = [
        systemEvent, securityDirectory, tradingStatus, operationalHaltStatus,
        shortSalePriceTestStatus, quoteUpdate, tradeReport, officialPrice, tradeBreak,
        auctionInformation, priceLevelUpdateBuy, priceLevelUpdateSell, securityEvent,
    ]

    /// The specified length of a message of `type` (type byte included), 0 for an unknown type.
    @inlinable
    public static func specifiedLength(_ type: UInt8) -> Int {
        switch type {
        case systemEvent: 10
        case securityDirectory: 31
        case tradingStatus: 22
        case operationalHaltStatus, securityEvent: 18
        case shortSalePriceTestStatus: 19
        case quoteUpdate: 42
        case tradeReport, tradeBreak: 38
        case officialPrice: 26
        case auctionInformation: 80
        case priceLevelUpdateBuy, priceLevelUpdateSell: 30
        default: 0
        }
    }
}

/// System Event codes (`IEXSystemEvent.event`).
public enum IEXSystemEventCode {
    public static let startOfMessages: UInt8 = 0x4F            // O
    public static let startOfSystemHours: UInt8 = 0x53         // S
    public static let startOfRegularMarketHours: UInt8 = 0x52  // R
    public static let endOfRegularMarketHours: UInt8 = 0x4D    // M
    public static let endOfSystemHours: UInt8 = 0x45           // E
    public static let endOfMessages: UInt8 = 0x43              // C
}

/// Trading Status codes (`IEXTradingStatus.status`).
public enum IEXTradingStatusCode {
    /// Halted across all US equity markets.
    public static let halted: UInt8 = 0x48                  // H
    /// Halt released into an order acceptance period on IEX (IEX-listed securities).
    public static let orderAcceptancePeriod: UInt8 = 0x4F   // O
    /// Paused, order acceptance period on IEX.
    public static let paused: UInt8 = 0x50                  // P
    public static let trading: UInt8 = 0x54                 // T
}

/// Security Event codes (`IEXSecurityEvent.event`, DEEP).
public enum IEXSecurityEventCode {
    public static let openingProcessComplete: UInt8 = 0x4F  // O
    public static let closingProcessComplete: UInt8 = 0x43  // C
}

// MARK: - Symbol

/// An IEX symbol: 8 ASCII bytes, left-justified, space-padded, kept as one integer (the bytes
/// loaded little-endian: the first character in the low byte). Cheap to hash and compare.
@frozen
public struct IEXSymbol: Hashable, Comparable, Sendable, CustomStringConvertible {
    public var rawValue: UInt64

    @inlinable public init(rawValue: UInt64) { self.rawValue = rawValue }

    /// 1 to 8 ASCII characters, padded with spaces; nil otherwise.
    public init?(_ text: String) {
        let utf8 = Array(text.utf8)
        guard (1...8).contains(utf8.count), utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else {
            return nil
        }
        var value: UInt64 = 0
        for i in 0..<8 {
            let c = i < utf8.count ? utf8[i] : 0x20
            value |= UInt64(c) << UInt64(8 * i)
        }
        rawValue = value
    }

    /// Alphabetical order (the first character is the most significant).
    @inlinable
    public static func < (a: IEXSymbol, b: IEXSymbol) -> Bool {
        a.rawValue.byteSwapped < b.rawValue.byteSwapped
    }

    /// The symbol without its padding; bytes outside printable ASCII show as "?".
    public var description: String {
        var chars: [UInt8] = []
        chars.reserveCapacity(8)
        for i in 0..<8 {
            let c = UInt8(truncatingIfNeeded: rawValue >> UInt64(8 * i))
            chars.append(c >= 0x20 && c < 0x7F ? c : UInt8(ascii: "?"))
        }
        while let last = chars.last, last == 0x20 { chars.removeLast() }
        return String(decoding: chars, as: UTF8.self)
    }
}

// MARK: - Flags

/// Quote Update flags (TOPS).
@frozen
public struct IEXQuoteFlags: OptionSet, Hashable, Sendable {
    public var rawValue: UInt8
    @inlinable public init(rawValue: UInt8) { self.rawValue = rawValue }
    /// Symbol Availability flag: the symbol is halted, paused, or otherwise not available for
    /// trading on IEX (clear: active).
    public static let symbolUnavailable = IEXQuoteFlags(rawValue: 0x80)
    /// Market Session flag: pre- or post-market session (clear: regular market session).
    public static let outsideRegularSession = IEXQuoteFlags(rawValue: 0x40)
}

/// Sale Condition flags of Trade Report and Trade Break messages.
@frozen
public struct IEXSaleConditions: OptionSet, Hashable, Sendable {
    public var rawValue: UInt8
    @inlinable public init(rawValue: UInt8) { self.rawValue = rawValue }
    public static let intermarketSweep = IEXSaleConditions(rawValue: 0x80)
    /// Extended hours trade (Form T).
    public static let extendedHours = IEXSaleConditions(rawValue: 0x40)
    public static let oddLot = IEXSaleConditions(rawValue: 0x20)
    /// Not subject to Reg NMS Rule 611.
    public static let tradeThroughExempt = IEXSaleConditions(rawValue: 0x10)
    public static let singlePriceCross = IEXSaleConditions(rawValue: 0x08)
}

/// Security Directory flags.
@frozen
public struct IEXSecurityDirectoryFlags: OptionSet, Hashable, Sendable {
    public var rawValue: UInt8
    @inlinable public init(rawValue: UInt8) { self.rawValue = rawValue }
    public static let testSecurity = IEXSecurityDirectoryFlags(rawValue: 0x80)
    public static let whenIssued = IEXSecurityDirectoryFlags(rawValue: 0x40)
    /// Exchange-traded product.
    public static let etp = IEXSecurityDirectoryFlags(rawValue: 0x20)
}

// MARK: - Shared field access

extension UnsafeRawBufferPointer {
    @usableFromInline @inline(__always)
    var iexTimestamp: Int64 { iexI64(2) }

    @usableFromInline @inline(__always)
    var iexSymbol: IEXSymbol { IEXSymbol(rawValue: iexU64(10)) }

    @usableFromInline @inline(__always)
    func iexPrice(_ offset: Int) -> Price { Price(rawValue: iexI64(offset)) }

    @usableFromInline @inline(__always)
    func iexShares(_ offset: Int) -> Shares { Shares(rawValue: iexU32(offset)) }
}

extension IEXMessage {
    /// True when this message has `type` and at least `length` bytes.
    @inlinable @inline(__always)
    func iexIs(_ type: UInt8, _ length: Int) -> Bool {
        bytes[0] == type && bytes.count >= length
    }
}

// MARK: - Administrative messages

/// System Event (S, 10 bytes).
@frozen
public struct IEXSystemEvent {
    public static let length = 10
    public let bytes: UnsafeRawBufferPointer
    @inlinable init(unchecked bytes: UnsafeRawBufferPointer) { self.bytes = bytes }
    @inlinable public init?(_ m: IEXMessage) {
        guard m.iexIs(IEXMessageType.systemEvent, Self.length) else { return nil }
        bytes = m.bytes
    }
    /// See `IEXSystemEventCode`.
    @inlinable public var event: UInt8 { bytes[1] }
    @inlinable public var timestamp: Int64 { bytes.iexTimestamp }
}

/// Security Directory (D, 31 bytes).
@frozen
public struct IEXSecurityDirectory {
    public static let length = 31
    public let bytes: UnsafeRawBufferPointer
    @inlinable init(unchecked bytes: UnsafeRawBufferPointer) { self.bytes = bytes }
    @inlinable public init?(_ m: IEXMessage) {
        guard m.iexIs(IEXMessageType.securityDirectory, Self.length) else { return nil }
        bytes = m.bytes
    }
    @inlinable public var flags: IEXSecurityDirectoryFlags { IEXSecurityDirectoryFlags(rawValue: bytes[1]) }
    @inlinable public var timestamp: Int64 { bytes.iexTimestamp }
    @inlinable public var symbol: IEXSymbol { bytes.iexSymbol }
    @inlinable public var roundLotSize: Shares { bytes.iexShares(18) }
    /// Adjusted previous official closing price.
    @inlinable public var adjustedPOCPrice: Price { bytes.iexPrice(22) }
    /// 0 not applicable, 1 Tier 1 NMS stock, 2 Tier 2 NMS stock.
    @inlinable public var luldTier: UInt8 { bytes[30] }
}

/// Trading Status (H, 22 bytes).
@frozen
public struct IEXTradingStatus {
    public static let length = 22
    public let bytes: UnsafeRawBufferPointer
    @inlinable init(unchecked bytes: UnsafeRawBufferPointer) { self.bytes = bytes }
    @inlinable public init?(_ m: IEXMessage) {
        guard m.iexIs(IEXMessageType.tradingStatus, Self.length) else { return nil }
        bytes = m.bytes
    }
    /// See `IEXTradingStatusCode`.
    @inlinable public var status: UInt8 { bytes[1] }
    @inlinable public var timestamp: Int64 { bytes.iexTimestamp }
    @inlinable public var symbol: IEXSymbol { bytes.iexSymbol }
    /// The 4-byte reason code as loaded little-endian (first character in the low byte).
    @inlinable public var reasonRaw: UInt32 { bytes.iexU32(18) }
    /// The reason code ("T1", "IPO1", ...) without padding; empty when blank.
    public var reason: String {
        IEXSymbol(rawValue: UInt64(reasonRaw) | 0x2020_2020_0000_0000).description
    }
}

/// Operational Halt Status (O, 18 bytes).
@frozen
public struct IEXOperationalHaltStatus {
    public static let length = 18
    public let bytes: UnsafeRawBufferPointer
    @inlinable init(unchecked bytes: UnsafeRawBufferPointer) { self.bytes = bytes }
    @inlinable public init?(_ m: IEXMessage) {
        guard m.iexIs(IEXMessageType.operationalHaltStatus, Self.length) else { return nil }
        bytes = m.bytes
    }
    /// "O" operationally halted on IEX, "N" not operationally halted.
    @inlinable public var status: UInt8 { bytes[1] }
    @inlinable public var isHalted: Bool { bytes[1] == 0x4F }
    @inlinable public var timestamp: Int64 { bytes.iexTimestamp }
    @inlinable public var symbol: IEXSymbol { bytes.iexSymbol }
}

/// Short Sale Price Test Status (P, 19 bytes).
@frozen
public struct IEXShortSalePriceTestStatus {
    public static let length = 19
    public let bytes: UnsafeRawBufferPointer
    @inlinable init(unchecked bytes: UnsafeRawBufferPointer) { self.bytes = bytes }
    @inlinable public init?(_ m: IEXMessage) {
        guard m.iexIs(IEXMessageType.shortSalePriceTestStatus, Self.length) else { return nil }
        bytes = m.bytes
    }
    /// 0 not in effect, 1 in effect.
    @inlinable public var status: UInt8 { bytes[1] }
    @inlinable public var isInEffect: Bool { bytes[1] == 1 }
    @inlinable public var timestamp: Int64 { bytes.iexTimestamp }
    @inlinable public var symbol: IEXSymbol { bytes.iexSymbol }
    /// " " no price test, "A" activated (intraday drop), "C" continued from the prior day,
    /// "D" deactivated, "N" detail not available.
    @inlinable public var detail: UInt8 { bytes[18] }
}

/// Security Event (E, 18 bytes, DEEP).
@frozen
public struct IEXSecurityEvent {
    public static let length = 18
    public let bytes: UnsafeRawBufferPointer
    @inlinable init(unchecked bytes: UnsafeRawBufferPointer) { self.bytes = bytes }
    @inlinable public init?(_ m: IEXMessage) {
        guard m.iexIs(IEXMessageType.securityEvent, Self.length) else { return nil }
        bytes = m.bytes
    }
    /// See `IEXSecurityEventCode`.
    @inlinable public var event: UInt8 { bytes[1] }
    @inlinable public var timestamp: Int64 { bytes.iexTimestamp }
    @inlinable public var symbol: IEXSymbol { bytes.iexSymbol }
}

// MARK: - Trading messages

/// Quote Update (Q, 42 bytes, TOPS): IEX's best bid and offer.
@frozen
public struct IEXQuoteUpdate {
    public static let length = 42
    public let bytes: UnsafeRawBufferPointer
    @inlinable init(unchecked bytes: UnsafeRawBufferPointer) { self.bytes = bytes }
    @inlinable public init?(_ m: IEXMessage) {
        guard m.iexIs(IEXMessageType.quoteUpdate, Self.length) else { return nil }
        bytes = m.bytes
    }
    @inlinable public var flags: IEXQuoteFlags { IEXQuoteFlags(rawValue: bytes[1]) }
    @inlinable public var timestamp: Int64 { bytes.iexTimestamp }
    @inlinable public var symbol: IEXSymbol { bytes.iexSymbol }
    @inlinable public var bidSize: Shares { bytes.iexShares(18) }
    @inlinable public var bidPrice: Price { bytes.iexPrice(22) }
    @inlinable public var askPrice: Price { bytes.iexPrice(30) }
    @inlinable public var askSize: Shares { bytes.iexShares(38) }
}

/// Trade Report (T, 38 bytes).
@frozen
public struct IEXTradeReport {
    public static let length = 38
    public let bytes: UnsafeRawBufferPointer
    @inlinable init(unchecked bytes: UnsafeRawBufferPointer) { self.bytes = bytes }
    @inlinable public init?(_ m: IEXMessage) {
        guard m.iexIs(IEXMessageType.tradeReport, Self.length) else { return nil }
        bytes = m.bytes
    }
    @inlinable public var saleConditions: IEXSaleConditions { IEXSaleConditions(rawValue: bytes[1]) }
    @inlinable public var timestamp: Int64 { bytes.iexTimestamp }
    @inlinable public var symbol: IEXSymbol { bytes.iexSymbol }
    @inlinable public var size: Shares { bytes.iexShares(18) }
    @inlinable public var price: Price { bytes.iexPrice(22) }
    @inlinable public var tradeID: UInt64 { bytes.iexU64(30) }
}

/// Trade Break (B, 38 bytes): a trade reported earlier is broken; same layout as a Trade Report.
@frozen
public struct IEXTradeBreak {
    public static let length = 38
    public let bytes: UnsafeRawBufferPointer
    @inlinable init(unchecked bytes: UnsafeRawBufferPointer) { self.bytes = bytes }
    @inlinable public init?(_ m: IEXMessage) {
        guard m.iexIs(IEXMessageType.tradeBreak, Self.length) else { return nil }
        bytes = m.bytes
    }
    @inlinable public var saleConditions: IEXSaleConditions { IEXSaleConditions(rawValue: bytes[1]) }
    @inlinable public var timestamp: Int64 { bytes.iexTimestamp }
    @inlinable public var symbol: IEXSymbol { bytes.iexSymbol }
    @inlinable public var size: Shares { bytes.iexShares(18) }
    @inlinable public var price: Price { bytes.iexPrice(22) }
    /// The id of the Trade Report being broken.
    @inlinable public var tradeID: UInt64 { bytes.iexU64(30) }
}

/// Official Price (X, 26 bytes): IEX official opening or closing price (IEX-listed securities).
@frozen
public struct IEXOfficialPrice {
    public static let length = 26
    public let bytes: UnsafeRawBufferPointer
    @inlinable init(unchecked bytes: UnsafeRawBufferPointer) { self.bytes = bytes }
    @inlinable public init?(_ m: IEXMessage) {
        guard m.iexIs(IEXMessageType.officialPrice, Self.length) else { return nil }
        bytes = m.bytes
    }
    /// "Q" official opening price, "M" official closing price.
    @inlinable public var priceType: UInt8 { bytes[1] }
    @inlinable public var timestamp: Int64 { bytes.iexTimestamp }
    @inlinable public var symbol: IEXSymbol { bytes.iexSymbol }
    @inlinable public var officialPrice: Price { bytes.iexPrice(18) }
}

/// Auction Information (A, 80 bytes).
@frozen
public struct IEXAuctionInformation {
    public static let length = 80
    public let bytes: UnsafeRawBufferPointer
    @inlinable init(unchecked bytes: UnsafeRawBufferPointer) { self.bytes = bytes }
    @inlinable public init?(_ m: IEXMessage) {
        guard m.iexIs(IEXMessageType.auctionInformation, Self.length) else { return nil }
        bytes = m.bytes
    }
    /// "O" opening, "C" closing, "I" IPO, "H" halt, "V" volatility auction.
    @inlinable public var auctionType: UInt8 { bytes[1] }
    @inlinable public var timestamp: Int64 { bytes.iexTimestamp }
    @inlinable public var symbol: IEXSymbol { bytes.iexSymbol }
    @inlinable public var pairedShares: Shares { bytes.iexShares(18) }
    @inlinable public var referencePrice: Price { bytes.iexPrice(22) }
    @inlinable public var indicativeClearingPrice: Price { bytes.iexPrice(30) }
    @inlinable public var imbalanceShares: Shares { bytes.iexShares(38) }
    /// "B" buy-side imbalance, "S" sell-side, "N" none.
    @inlinable public var imbalanceSide: UInt8 { bytes[42] }
    /// Number of extensions the auction has received.
    @inlinable public var extensionNumber: UInt8 { bytes[43] }
    /// Scheduled auction time, seconds since the POSIX epoch, UTC.
    @inlinable public var scheduledAuctionTime: UInt32 { bytes.iexU32(44) }
    @inlinable public var auctionBookClearingPrice: Price { bytes.iexPrice(48) }
    @inlinable public var collarReferencePrice: Price { bytes.iexPrice(56) }
    @inlinable public var lowerAuctionCollar: Price { bytes.iexPrice(64) }
    @inlinable public var upperAuctionCollar: Price { bytes.iexPrice(72) }
}

/// Price Level Update (8 buy side, 5 sell side; 30 bytes; DEEP): the new aggregate displayed
/// size at a price. Size 0 removes the level.
@frozen
public struct IEXPriceLevelUpdate {
    public static let length = 30
    /// Event flags value: the update ends an atomic book event (the book is consistent again).
    public static let eventProcessingComplete: UInt8 = 0x01

    public let bytes: UnsafeRawBufferPointer
    @inlinable init(unchecked bytes: UnsafeRawBufferPointer) { self.bytes = bytes }
    @inlinable public init?(_ m: IEXMessage) {
        guard m.bytes.count >= Self.length,
              m.type == IEXMessageType.priceLevelUpdateBuy || m.type == IEXMessageType.priceLevelUpdateSell
        else { return nil }
        bytes = m.bytes
    }
    @inlinable public var side: Side { bytes[0] == IEXMessageType.priceLevelUpdateBuy ? .buy : .sell }
    /// 0: the book is processing an event (more updates follow); 1: event processing complete.
    @inlinable public var eventFlags: UInt8 { bytes[1] }
    @inlinable public var isEventComplete: Bool { bytes[1] & Self.eventProcessingComplete != 0 }
    @inlinable public var timestamp: Int64 { bytes.iexTimestamp }
    @inlinable public var symbol: IEXSymbol { bytes.iexSymbol }
    @inlinable public var size: Shares { bytes.iexShares(18) }
    @inlinable public var price: Price { bytes.iexPrice(22) }
}
