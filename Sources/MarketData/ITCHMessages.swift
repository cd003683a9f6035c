// TotalView-ITCH 5.0 message views: one per message type, over bytes whose length was checked
// once (by `ITCH.dispatch`, or by `init?(_:)`). Each accessor is a big-endian load at the field's
// fixed offset, computed when asked for; the number in each accessor's comment is that offset.
// Single-byte codes are returned as their raw ASCII byte (values as in the specification).

public import TickwireCore

/// A view of one ITCH message of a fixed type: a base pointer to `Self.length` readable bytes.
public protocol ITCHMessageView {
    /// The type this view reads.
    static var messageType: ITCH.MessageType { get }
    /// The first byte (the type byte) of the message.
    var base: UnsafeRawPointer { get }
    /// A view of the message at `base`, whose type and length the caller has already checked.
    init(unchecked base: UnsafeRawPointer)
}

extension ITCHMessageView {
    /// The message's fixed length in bytes.
    @inlinable public static var length: Int { messageType.length }

    /// A view of `bytes` if it holds exactly one message of this type, else nil.
    @inlinable public init?(_ bytes: UnsafeRawBufferPointer) {
        guard bytes.count == Self.length, let p = bytes.baseAddress,
              p.load(as: UInt8.self) == Self.messageType.rawValue else { return nil }
        self.init(unchecked: p)
    }

    /// The message's bytes.
    @inlinable public var bytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: base, count: Self.length) }

    /// 1: the venue's locate code for the stock (0 for market-wide messages).
    @inlinable @inline(__always) public var stockLocate: StockLocate { StockLocate(rawValue: u16(1)) }
    /// 3: NASDAQ internal tracking number.
    @inlinable @inline(__always) public var trackingNumber: UInt16 { u16(3) }
    /// 5: nanoseconds since midnight (6 bytes; read as the low 48 bits of the 8 bytes at 3).
    @inlinable @inline(__always) public var timestamp: VenueTime {
        VenueTime(nanosSinceMidnight: u64(3) & 0xFFFF_FFFF_FFFF)
    }

    // Big-endian loads at fixed offsets; every offset used is inside `Self.length`.
    @inlinable @inline(__always) func u8(_ o: Int) -> UInt8 { base.load(fromByteOffset: o, as: UInt8.self) }
    @inlinable @inline(__always) func u16(_ o: Int) -> UInt16 {
        base.loadUnaligned(fromByteOffset: o, as: UInt16.self).bigEndian
    }
    @inlinable @inline(__always) func u32(_ o: Int) -> UInt32 {
        base.loadUnaligned(fromByteOffset: o, as: UInt32.self).bigEndian
    }
    @inlinable @inline(__always) func u64(_ o: Int) -> UInt64 {
        base.loadUnaligned(fromByteOffset: o, as: UInt64.self).bigEndian
    }
    /// Price(4): unsigned 32-bit count of 1/10,000 dollars.
    @inlinable @inline(__always) func priceAt(_ o: Int) -> Price { Price(rawValue: Int64(u32(o))) }
    @inlinable @inline(__always) func sharesAt(_ o: Int) -> Shares { Shares(rawValue: u32(o)) }
    @inlinable @inline(__always) func refAt(_ o: Int) -> OrderRef { OrderRef(rawValue: u64(o)) }
    @inlinable @inline(__always) func symbolAt(_ o: Int) -> Symbol { Symbol(rawValue: u64(o)) }
    @inlinable @inline(__always) func alpha4At(_ o: Int) -> ITCH.Alpha4 { ITCH.Alpha4(rawValue: u32(o)) }
}

extension ITCH {
    // MARK: System and stock-related messages

    /// S, System Event (12 bytes).
    @frozen public struct SystemEvent: ITCHMessageView {
        @inlinable public static var messageType: MessageType { .systemEvent }
        public let base: UnsafeRawPointer
        @inlinable @inline(__always) public init(unchecked base: UnsafeRawPointer) { self.base = base }
        /// 11: O start of messages, S start of system hours, Q start of market hours,
        /// M end of market hours, E end of system hours, C end of messages.
        @inlinable @inline(__always) public var eventCode: UInt8 { u8(11) }
    }

    /// R, Stock Directory (39 bytes).
    @frozen public struct StockDirectory: ITCHMessageView {
        @inlinable public static var messageType: MessageType { .stockDirectory }
        public let base: UnsafeRawPointer
        @inlinable @inline(__always) public init(unchecked base: UnsafeRawPointer) { self.base = base }
        /// 11
        @inlinable @inline(__always) public var stock: Symbol { symbolAt(11) }
        /// 19: Q, G, S (NASDAQ tiers), N, A, P, Z, V, or space.
        @inlinable @inline(__always) public var marketCategory: UInt8 { u8(19) }
        /// 20: D, E, Q, S, G, H, J, K, C, N, or space.
        @inlinable @inline(__always) public var financialStatusIndicator: UInt8 { u8(20) }
        /// 21
        @inlinable @inline(__always) public var roundLotSize: UInt32 { u32(21) }
        /// 25: Y or N.
        @inlinable @inline(__always) public var roundLotsOnly: UInt8 { u8(25) }
        /// 26
        @inlinable @inline(__always) public var issueClassification: UInt8 { u8(26) }
        /// 27 (2 bytes alpha)
        @inlinable @inline(__always) public var issueSubType: Alpha2 { Alpha2(rawValue: u16(27)) }
        /// 29: P live/production, T test.
        @inlinable @inline(__always) public var authenticity: UInt8 { u8(29) }
        /// 30: Y, N, or space.
        @inlinable @inline(__always) public var shortSaleThresholdIndicator: UInt8 { u8(30) }
        /// 31: Y, N, or space.
        @inlinable @inline(__always) public var ipoFlag: UInt8 { u8(31) }
        /// 32: 1, 2, or space.
        @inlinable @inline(__always) public var luldReferencePriceTier: UInt8 { u8(32) }
        /// 33: Y, N, or space.
        @inlinable @inline(__always) public var etpFlag: UInt8 { u8(33) }
        /// 34
        @inlinable @inline(__always) public var etpLeverageFactor: UInt32 { u32(34) }
        /// 38: Y or N.
        @inlinable @inline(__always) public var inverseIndicator: UInt8 { u8(38) }
    }

    /// H, Stock Trading Action (25 bytes).
    @frozen public struct StockTradingAction: ITCHMessageView {
        @inlinable public static var messageType: MessageType { .stockTradingAction }
        public let base: UnsafeRawPointer
        @inlinable @inline(__always) public init(unchecked base: UnsafeRawPointer) { self.base = base }
        /// 11
        @inlinable @inline(__always) public var stock: Symbol { symbolAt(11) }
        /// 19: H halted, P paused, Q quotation only, T trading.
        @inlinable @inline(__always) public var tradingState: UInt8 { u8(19) }
        /// 20
        @inlinable @inline(__always) public var reserved: UInt8 { u8(20) }
        /// 21 (4 bytes alpha)
        @inlinable @inline(__always) public var reason: Alpha4 { alpha4At(21) }
    }

    /// Y, Reg SHO Short Sale Price Test Restricted Indicator (20 bytes).
    @frozen public struct RegSHORestriction: ITCHMessageView {
        @inlinable public static var messageType: MessageType { .regSHORestriction }
        public let base: UnsafeRawPointer
        @inlinable @inline(__always) public init(unchecked base: UnsafeRawPointer) { self.base = base }
        /// 11
        @inlinable @inline(__always) public var stock: Symbol { symbolAt(11) }
        /// 19: 0 no test, 1 restriction in effect (intraday drop), 2 restriction remains in effect.
        @inlinable @inline(__always) public var regSHOAction: UInt8 { u8(19) }
    }

    /// L, Market Participant Position (26 bytes).
    @frozen public struct MarketParticipantPosition: ITCHMessageView {
        @inlinable public static var messageType: MessageType { .marketParticipantPosition }
        public let base: UnsafeRawPointer
        @inlinable @inline(__always) public init(unchecked base: UnsafeRawPointer) { self.base = base }
        /// 11 (4 bytes alpha)
        @inlinable @inline(__always) public var mpid: Alpha4 { alpha4At(11) }
        /// 15
        @inlinable @inline(__always) public var stock: Symbol { symbolAt(15) }
        /// 23: Y or N.
        @inlinable @inline(__always) public var primaryMarketMaker: UInt8 { u8(23) }
        /// 24: N normal, P passive, S syndicate, R pre-syndicate, L penalty.
        @inlinable @inline(__always) public var marketMakerMode: UInt8 { u8(24) }
        /// 25: A active, E excused, W withdrawn, S suspended, D deleted.
        @inlinable @inline(__always) public var marketParticipantState: UInt8 { u8(25) }
    }

    /// V, Market-Wide Circuit Breaker Decline Level (35 bytes). The levels are Price(8): 8-byte
    /// unsigned integers with 8 implied decimals; `levelN` gives them as `Price` (4 decimals,
    /// truncated), `levelNRaw` exactly.
    @frozen public struct MWCPDeclineLevel: ITCHMessageView {
        @inlinable public static var messageType: MessageType { .mwcpDeclineLevel }
        public let base: UnsafeRawPointer
        @inlinable @inline(__always) public init(unchecked base: UnsafeRawPointer) { self.base = base }
        /// 11, Price(8)
        @inlinable @inline(__always) public var level1Raw: UInt64 { u64(11) }
        /// 19, Price(8)
        @inlinable @inline(__always) public var level2Raw: UInt64 { u64(19) }
        /// 27, Price(8)
        @inlinable @inline(__always) public var level3Raw: UInt64 { u64(27) }
        @inlinable public var level1: Price { Price(rawValue: Int64(level1Raw / 10_000)) }
        @inlinable public var level2: Price { Price(rawValue: Int64(level2Raw / 10_000)) }
        @inlinable public var level3: Price { Price(rawValue: Int64(level3Raw / 10_000)) }
    }

    /// W, Market-Wide Circuit Breaker Status (12 bytes).
    @frozen public struct MWCPStatus: ITCHMessageView {
        @inlinable public static var messageType: MessageType { .mwcpStatus }
        public let base: UnsafeRawPointer
        @inlinable @inline(__always) public init(unchecked base: UnsafeRawPointer) { self.base = base }
        /// 11: 1, 2 or 3.
        @inlinable @inline(__always) public var breachedLevel: UInt8 { u8(11) }
    }

    /// K, IPO Quoting Period Update (28 bytes).
    @frozen public struct IPOQuotingPeriodUpdate: ITCHMessageView {
        @inlinable public static var messageType: MessageType { .ipoQuotingPeriodUpdate }
        public let base: UnsafeRawPointer
        @inlinable @inline(__always) public init(unchecked base: UnsafeRawPointer) { self.base = base }
        /// 11
        @inlinable @inline(__always) public var stock: Symbol { symbolAt(11) }
        /// 19: seconds since midnight.
        @inlinable @inline(__always) public var ipoQuotationReleaseTime: UInt32 { u32(19) }
        /// 23: A anticipated release time, C canceled/postponed.
        @inlinable @inline(__always) public var ipoQuotationReleaseQualifier: UInt8 { u8(23) }
        /// 24
        @inlinable @inline(__always) public var ipoPrice: Price { priceAt(24) }
    }

    /// J, LULD Auction Collar (35 bytes).
    @frozen public struct LULDAuctionCollar: ITCHMessageView {
        @inlinable public static var messageType: MessageType { .luldAuctionCollar }
        public let base: UnsafeRawPointer
        @inlinable @inline(__always) public init(unchecked base: UnsafeRawPointer) { self.base = base }
        /// 11
        @inlinable @inline(__always) public var stock: Symbol { symbolAt(11) }
        /// 19
        @inlinable @inline(__always) public var auctionCollarReferencePrice: Price { priceAt(19) }
        /// 23
        @inlinable @inline(__always) public var upperAuctionCollarPrice: Price { priceAt(23) }
        /// 27
        @inlinable @inline(__always) public var lowerAuctionCollarPrice: Price { priceAt(27) }
        /// 31
        @inlinable @inline(__always) public var auctionCollarExtension: UInt32 { u32(31) }
    }

    /// h, Operational Halt (21 bytes).
    @frozen public struct OperationalHalt: ITCHMessageView {
        @inlinable public static var messageType: MessageType { .operationalHalt }
        public let base: UnsafeRawPointer
        @inlinable @inline(__always) public init(unchecked base: UnsafeRawPointer) { self.base = base }
        /// 11
        @inlinable @inline(__always) public var stock: Symbol { symbolAt(11) }
        /// 19: Q NASDAQ, B BX, X PSX.
        @inlinable @inline(__always) public var marketCode: UInt8 { u8(19) }
        /// 20: H halted, T resumed.
        @inlinable @inline(__always) public var operationalHaltAction: UInt8 { u8(20) }
    }

    // MARK: Order book messages

    /// A, Add Order, no MPID attribution (36 bytes).
    @frozen public struct AddOrder: ITCHMessageView {
        @inlinable public static var messageType: MessageType { .addOrder }
        public let base: UnsafeRawPointer
        @inlinable @inline(__always) public init(unchecked base: UnsafeRawPointer) { self.base = base }
        /// 11
        @inlinable @inline(__always) public var orderRef: OrderRef { refAt(11) }
        /// 19: B or S as sent.
        @inlinable @inline(__always) public var sideByte: UInt8 { u8(19) }
        /// 19: nil when the byte is neither B nor S.
        @inlinable @inline(__always) public var side: Side? { Side(rawValue: u8(19)) }
        /// 20
        @inlinable @inline(__always) public var shares: Shares { sharesAt(20) }
        /// 24
        @inlinable @inline(__always) public var stock: Symbol { symbolAt(24) }
        /// 32
        @inlinable @inline(__always) public var price: Price { priceAt(32) }
    }

    /// F, Add Order with MPID attribution (40 bytes).
    @frozen public struct AddOrderMPID: ITCHMessageView {
        @inlinable public static var messageType: MessageType { .addOrderMPID }
        public let base: UnsafeRawPointer
        @inlinable @inline(__always) public init(unchecked base: UnsafeRawPointer) { self.base = base }
        /// 11
        @inlinable @inline(__always) public var orderRef: OrderRef { refAt(11) }
        /// 19: B or S as sent.
        @inlinable @inline(__always) public var sideByte: UInt8 { u8(19) }
        /// 19: nil when the byte is neither B nor S.
        @inlinable @inline(__always) public var side: Side? { Side(rawValue: u8(19)) }
        /// 20
        @inlinable @inline(__always) public var shares: Shares { sharesAt(20) }
        /// 24
        @inlinable @inline(__always) public var stock: Symbol { symbolAt(24) }
        /// 32
        @inlinable @inline(__always) public var price: Price { priceAt(32) }
        /// 36 (4 bytes alpha): the market participant's MPID.
        @inlinable @inline(__always) public var attribution: Alpha4 { alpha4At(36) }
    }

    /// E, Order Executed (31 bytes).
    @frozen public struct OrderExecuted: ITCHMessageView {
        @inlinable public static var messageType: MessageType { .orderExecuted }
        public let base: UnsafeRawPointer
        @inlinable @inline(__always) public init(unchecked base: UnsafeRawPointer) { self.base = base }
        /// 11
        @inlinable @inline(__always) public var orderRef: OrderRef { refAt(11) }
        /// 19
        @inlinable @inline(__always) public var executedShares: Shares { sharesAt(19) }
        /// 23
        @inlinable @inline(__always) public var matchNumber: UInt64 { u64(23) }
    }

    /// C, Order Executed With Price (36 bytes).
    @frozen public struct OrderExecutedWithPrice: ITCHMessageView {
        @inlinable public static var messageType: MessageType { .orderExecutedWithPrice }
        public let base: UnsafeRawPointer
        @inlinable @inline(__always) public init(unchecked base: UnsafeRawPointer) { self.base = base }
        /// 11
        @inlinable @inline(__always) public var orderRef: OrderRef { refAt(11) }
        /// 19
        @inlinable @inline(__always) public var executedShares: Shares { sharesAt(19) }
        /// 23
        @inlinable @inline(__always) public var matchNumber: UInt64 { u64(23) }
        /// 31: Y printable, N non-printable.
        @inlinable @inline(__always) public var printable: UInt8 { u8(31) }
        /// 31: the printable byte is Y.
        @inlinable @inline(__always) public var isPrintable: Bool { u8(31) == 0x59 }
        /// 32
        @inlinable @inline(__always) public var executionPrice: Price { priceAt(32) }
    }

    /// X, Order Cancel (23 bytes): a partial cancel.
    @frozen public struct OrderCancel: ITCHMessageView {
        @inlinable public static var messageType: MessageType { .orderCancel }
        public let base: UnsafeRawPointer
        @inlinable @inline(__always) public init(unchecked base: UnsafeRawPointer) { self.base = base }
        /// 11
        @inlinable @inline(__always) public var orderRef: OrderRef { refAt(11) }
        /// 19
        @inlinable @inline(__always) public var cancelledShares: Shares { sharesAt(19) }
    }

    /// D, Order Delete (19 bytes).
    @frozen public struct OrderDelete: ITCHMessageView {
        @inlinable public static var messageType: MessageType { .orderDelete }
        public let base: UnsafeRawPointer
        @inlinable @inline(__always) public init(unchecked base: UnsafeRawPointer) { self.base = base }
        /// 11
        @inlinable @inline(__always) public var orderRef: OrderRef { refAt(11) }
    }

    /// U, Order Replace (35 bytes): the original order leaves the book, the new one joins it
    /// (same side and stock) at the back of its price level's queue.
    @frozen public struct OrderReplace: ITCHMessageView {
        @inlinable public static var messageType: MessageType { .orderReplace }
        public let base: UnsafeRawPointer
        @inlinable @inline(__always) public init(unchecked base: UnsafeRawPointer) { self.base = base }
        /// 11
        @inlinable @inline(__always) public var originalOrderRef: OrderRef { refAt(11) }
        /// 19
        @inlinable @inline(__always) public var newOrderRef: OrderRef { refAt(19) }
        /// 27
        @inlinable @inline(__always) public var shares: Shares { sharesAt(27) }
        /// 31
        @inlinable @inline(__always) public var price: Price { priceAt(31) }
    }

    // MARK: Trade messages

    /// P, Trade (non-cross) against a non-displayed order (44 bytes). The order reference is
    /// 0 on feeds that no longer disclose it.
    @frozen public struct Trade: ITCHMessageView {
        @inlinable public static var messageType: MessageType { .trade }
        public let base: UnsafeRawPointer
        @inlinable @inline(__always) public init(unchecked base: UnsafeRawPointer) { self.base = base }
        /// 11
        @inlinable @inline(__always) public var orderRef: OrderRef { refAt(11) }
        /// 19: B or S as sent.
        @inlinable @inline(__always) public var sideByte: UInt8 { u8(19) }
        /// 19: nil when the byte is neither B nor S.
        @inlinable @inline(__always) public var side: Side? { Side(rawValue: u8(19)) }
        /// 20
        @inlinable @inline(__always) public var shares: Shares { sharesAt(20) }
        /// 24
        @inlinable @inline(__always) public var stock: Symbol { symbolAt(24) }
        /// 32
        @inlinable @inline(__always) public var price: Price { priceAt(32) }
        /// 36
        @inlinable @inline(__always) public var matchNumber: UInt64 { u64(36) }
    }

    /// Q, Cross Trade (40 bytes). Its share count is 8 bytes wide, hence `UInt64`.
    @frozen public struct CrossTrade: ITCHMessageView {
        @inlinable public static var messageType: MessageType { .crossTrade }
        public let base: UnsafeRawPointer
        @inlinable @inline(__always) public init(unchecked base: UnsafeRawPointer) { self.base = base }
        /// 11 (8 bytes)
        @inlinable @inline(__always) public var shares: UInt64 { u64(11) }
        /// 19
        @inlinable @inline(__always) public var stock: Symbol { symbolAt(19) }
        /// 27
        @inlinable @inline(__always) public var crossPrice: Price { priceAt(27) }
        /// 31
        @inlinable @inline(__always) public var matchNumber: UInt64 { u64(31) }
        /// 39: O opening, C closing, H halted/paused/IPO, I intraday/post-close.
        @inlinable @inline(__always) public var crossType: UInt8 { u8(39) }
    }

    /// B, Broken Trade (19 bytes).
    @frozen public struct BrokenTrade: ITCHMessageView {
        @inlinable public static var messageType: MessageType { .brokenTrade }
        public let base: UnsafeRawPointer
        @inlinable @inline(__always) public init(unchecked base: UnsafeRawPointer) { self.base = base }
        /// 11
        @inlinable @inline(__always) public var matchNumber: UInt64 { u64(11) }
    }

    // MARK: Auction and retail messages

    /// I, Net Order Imbalance Indicator (50 bytes).
    @frozen public struct NOII: ITCHMessageView {
        @inlinable public static var messageType: MessageType { .noii }
        public let base: UnsafeRawPointer
        @inlinable @inline(__always) public init(unchecked base: UnsafeRawPointer) { self.base = base }
        /// 11 (8 bytes)
        @inlinable @inline(__always) public var pairedShares: UInt64 { u64(11) }
        /// 19 (8 bytes)
        @inlinable @inline(__always) public var imbalanceShares: UInt64 { u64(19) }
        /// 27: B buy, S sell, N none, O insufficient orders to calculate.
        @inlinable @inline(__always) public var imbalanceDirection: UInt8 { u8(27) }
        /// 28
        @inlinable @inline(__always) public var stock: Symbol { symbolAt(28) }
        /// 36
        @inlinable @inline(__always) public var farPrice: Price { priceAt(36) }
        /// 40
        @inlinable @inline(__always) public var nearPrice: Price { priceAt(40) }
        /// 44
        @inlinable @inline(__always) public var currentReferencePrice: Price { priceAt(44) }
        /// 48: O opening, C closing, H halted/IPO, A extended trading close.
        @inlinable @inline(__always) public var crossType: UInt8 { u8(48) }
        /// 49: L, 1-9, A, B, C, or space.
        @inlinable @inline(__always) public var priceVariationIndicator: UInt8 { u8(49) }
    }

    /// N, Retail Price Improvement Indicator (20 bytes).
    @frozen public struct RetailInterest: ITCHMessageView {
        @inlinable public static var messageType: MessageType { .retailInterest }
        public let base: UnsafeRawPointer
        @inlinable @inline(__always) public init(unchecked base: UnsafeRawPointer) { self.base = base }
        /// 11
        @inlinable @inline(__always) public var stock: Symbol { symbolAt(11) }
        /// 19: B buy side, S sell side, A both sides, N none.
        @inlinable @inline(__always) public var interestFlag: UInt8 { u8(19) }
    }

    /// O, Direct Listing with Capital Raise Price Discovery (48 bytes).
    @frozen public struct DirectListingCapitalRaise: ITCHMessageView {
        @inlinable public static var messageType: MessageType { .directListingCapitalRaise }
        public let base: UnsafeRawPointer
        @inlinable @inline(__always) public init(unchecked base: UnsafeRawPointer) { self.base = base }
        /// 11
        @inlinable @inline(__always) public var stock: Symbol { symbolAt(11) }
        /// 19: N not eligible, Y eligible.
        @inlinable @inline(__always) public var openEligibilityStatus: UInt8 { u8(19) }
        /// 20
        @inlinable @inline(__always) public var minimumAllowablePrice: Price { priceAt(20) }
        /// 24
        @inlinable @inline(__always) public var maximumAllowablePrice: Price { priceAt(24) }
        /// 28
        @inlinable @inline(__always) public var nearExecutionPrice: Price { priceAt(28) }
        /// 32 (8 bytes): when the near execution price was set, as sent.
        @inlinable @inline(__always) public var nearExecutionTime: UInt64 { u64(32) }
        /// 40
        @inlinable @inline(__always) public var lowerPriceRangeCollar: Price { priceAt(40) }
        /// 44
        @inlinable @inline(__always) public var upperPriceRangeCollar: Price { priceAt(44) }
    }
}
