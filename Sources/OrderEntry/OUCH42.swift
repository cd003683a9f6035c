// This file is the one source of the OUCH 4.2 layouts (a table generator once wrote a first
// draft; it is gone, so nothing can drift from it). The known-answer tests
// (Tests/OrderEntryTests/OUCH42KnownAnswerTests.swift) hold every message type to bytes typed
// in from the specification's field tables, independently of this code.
//
// OUCH 4.2 (NASDAQ order entry, binary; Customer Type and BBO Weight Indicator included): fixed-
// length messages carried one per SoupBinTCP packet, inbound in Unsequenced Data, outbound in
// Sequenced Data.
//
// - Every message starts with a 1-byte type; each type has one fixed length (table below).
//   'U' is both the inbound Replace Order and the outbound Replaced, and 'M' both Modify Order
//   and Order Modified, so inbound and outbound bytes are decoded by separate functions.
// - Integers are unsigned big-endian. Prices are 4-byte unsigned integers with 4 implied decimals
//   (so at most $429,496.7295); they read as `Price` (Int64 1/10,000 dollars) and an encoder
//   returns nil for a `Price` outside 0...UInt32.max. Shares are 4 bytes, Time in Force is 4-byte
//   seconds (0 IOC, 99998 market hours, 99999 system hours), timestamps are 8-byte nanoseconds
//   since midnight, order reference and match numbers are 8 bytes.
// - Order Token is alpha 14, Stock alpha 8, Firm alpha 4: left-justified, padded on the right
//   with spaces. Single-letter fields are kept as their byte (`ASCIICode`, `OUCHSide`).
//
// Lengths (bytes, type byte included):
//   inbound:  O Enter Order 49, U Replace Order 47, X Cancel Order 19, M Modify Order 20
//   outbound: S System Event 10, A Accepted 66, U Replaced 80, C Canceled 28, D AIQ Canceled 37,
//             E Executed 40, B Broken Trade 32, J Rejected 24, P Cancel Pending 23,
//             I Cancel Reject 23, T Order Priority Update 36, M Order Modified 28
// Enter Order's last byte is Customer Type (added in 4.1, 48 bytes without it); Accepted's and
// Replaced's last byte is the BBO Weight Indicator (added in 4.2).

public import TickwireCore

/// A view of one OUCH 4.2 message of a fixed type, over `Self.length` readable bytes at `base`.
public protocol OUCH42MessageView {
    /// The value type holding the same fields.
    associatedtype Message
    /// The type byte.
    static var messageType: UInt8 { get }
    /// The message's fixed length.
    static var length: Int { get }
    /// The message's first byte (its type byte).
    var base: UnsafeRawPointer { get }
    /// A view of a message whose type and length the caller has already checked.
    init(unchecked base: UnsafeRawPointer)
    /// Every field, as a value.
    var message: Message { get }
}

extension OUCH42MessageView {
    /// A view of `bytes` if they are exactly one message of this type, else nil.
    @inlinable public init?(_ bytes: UnsafeRawBufferPointer) {
        guard bytes.count == Self.length, let p = bytes.baseAddress, p.u8(0) == Self.messageType else { return nil }
        self.init(unchecked: p)
    }
    /// The message's bytes.
    @inlinable public var bytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: base, count: Self.length) }
}

public enum OUCH42 {
    /// Why bytes are not an OUCH 4.2 message.
    public enum DecodeError: Error, Hashable, Sendable {
        /// No bytes at all.
        case empty
        /// A type byte this direction does not use.
        case unknownType(UInt8)
        /// A known type with a length other than its fixed one.
        case badLength(type: UInt8, expected: Int, actual: Int)
    }

    /// Time in Force values with a special meaning (any other value is seconds to live).
    public static let immediateOrCancel: UInt32 = 0
    public static let marketHours: UInt32 = 99_998
    public static let systemHours: UInt32 = 99_999

    // MARK: - Inbound messages (client to venue)

    /// O, Enter Order: 49 bytes.
    @frozen public struct EnterOrder: Hashable, Sendable {
        public static let messageType: UInt8 = 0x4F  // O
        public static let length = 49
        /// 1, 14: Order token: day-unique per OUCH account, left-justified alpha.
        public var orderToken: Alpha14
        /// 15, 1: B buy, S sell, T sell short, E sell short exempt.
        public var side: OUCHSide
        /// 16, 4: Total shares; must be below 1,000,000.
        public var shares: Shares
        /// 20, 8: Stock symbol, left-justified.
        public var stock: Alpha8
        /// 28, 4: Limit price, 4 implied decimals (unsigned 32-bit on the wire).
        public var price: Price
        /// 32, 4: Seconds to live; 0 immediate or cancel, 99998 market hours, 99999 system hours.
        public var timeInForce: UInt32
        /// 36, 4: Firm (MPID); blank for the account default.
        public var firm: Alpha4
        /// 40, 1: A attributable, Y anonymous, N non-display, P post-only, I imbalance-only, M mid-point peg, W
        /// mid-point peg post-only, L post-only attributable, O/T retail order type 1/2, Q retail price
        /// improvement.
        public var display: ASCIICode
        /// 41, 1: A agency, P principal, R riskless, O other.
        public var capacity: ASCIICode
        /// 42, 1: Y eligible, N not eligible.
        public var intermarketSweepEligibility: ASCIICode
        /// 43, 4: Minimum fill; 0 for none.
        public var minimumQuantity: Shares
        /// 47, 1: N no cross, O opening, C closing, H halt/IPO, S supplemental, R retail.
        public var crossType: ASCIICode
        /// 48, 1: R retail designated, N not retail designated, space for the port default.
        public var customerType: ASCIICode
        @inlinable public init(
            orderToken: Alpha14,
            side: OUCHSide,
            shares: Shares,
            stock: Alpha8,
            price: Price,
            timeInForce: UInt32,
            firm: Alpha4,
            display: ASCIICode,
            capacity: ASCIICode,
            intermarketSweepEligibility: ASCIICode,
            minimumQuantity: Shares,
            crossType: ASCIICode,
            customerType: ASCIICode
        ) {
            self.orderToken = orderToken
            self.side = side
            self.shares = shares
            self.stock = stock
            self.price = price
            self.timeInForce = timeInForce
            self.firm = firm
            self.display = display
            self.capacity = capacity
            self.intermarketSweepEligibility = intermarketSweepEligibility
            self.minimumQuantity = minimumQuantity
            self.crossType = crossType
            self.customerType = customerType
        }
        /// Writes the message at the start of `out`: 49, or nil if `out` is shorter or a price
        /// is outside the unsigned 32-bit wire range. Inlined: built at the order's send, the
        /// fields go straight from registers to the wire, not through the struct in memory.
        @inlinable @inline(__always) public func encode(into out: UnsafeMutableRawBufferPointer) -> Int? {
            guard out.count >= Self.length, let p = out.baseAddress,
                  let wire_price = WirePrice.unsigned32(price) else { return nil }
            p.putU8(0, Self.messageType)
            orderToken.store(to: p + 1)
            p.putU8(15, side.rawValue)
            p.putBE32(16, shares.rawValue)
            stock.store(to: p + 20)
            p.putBE32(28, wire_price)
            p.putBE32(32, timeInForce)
            firm.store(to: p + 36)
            p.putU8(40, display.rawValue)
            p.putU8(41, capacity.rawValue)
            p.putU8(42, intermarketSweepEligibility.rawValue)
            p.putBE32(43, minimumQuantity.rawValue)
            p.putU8(47, crossType.rawValue)
            p.putU8(48, customerType.rawValue)
            return Self.length
        }
    }

    /// A view of an Enter Order message; see `EnterOrder` for the fields.
    @frozen public struct EnterOrderView: OUCH42MessageView {
        public typealias Message = EnterOrder
        @inlinable public static var messageType: UInt8 { EnterOrder.messageType }
        @inlinable public static var length: Int { EnterOrder.length }
        public let base: UnsafeRawPointer
        @inlinable public init(unchecked base: UnsafeRawPointer) { self.base = base }
        /// 1
        @inlinable public var orderToken: Alpha14 { base.alpha14(1) }
        /// 15
        @inlinable public var side: OUCHSide { base.side(15) }
        /// 16
        @inlinable public var shares: Shares { base.shares(16) }
        /// 20
        @inlinable public var stock: Alpha8 { base.alpha8(20) }
        /// 28
        @inlinable public var price: Price { base.price4(28) }
        /// 32
        @inlinable public var timeInForce: UInt32 { base.be32(32) }
        /// 36
        @inlinable public var firm: Alpha4 { base.alpha4(36) }
        /// 40
        @inlinable public var display: ASCIICode { base.code(40) }
        /// 41
        @inlinable public var capacity: ASCIICode { base.code(41) }
        /// 42
        @inlinable public var intermarketSweepEligibility: ASCIICode { base.code(42) }
        /// 43
        @inlinable public var minimumQuantity: Shares { base.shares(43) }
        /// 47
        @inlinable public var crossType: ASCIICode { base.code(47) }
        /// 48
        @inlinable public var customerType: ASCIICode { base.code(48) }
        /// Every field, as a value.
        @inlinable public var message: EnterOrder {
            EnterOrder(
                orderToken: orderToken,
                side: side,
                shares: shares,
                stock: stock,
                price: price,
                timeInForce: timeInForce,
                firm: firm,
                display: display,
                capacity: capacity,
                intermarketSweepEligibility: intermarketSweepEligibility,
                minimumQuantity: minimumQuantity,
                crossType: crossType,
                customerType: customerType
            )
        }
    }

    /// U, Replace Order: 47 bytes.
    @frozen public struct ReplaceOrder: Hashable, Sendable {
        public static let messageType: UInt8 = 0x55  // U
        public static let length = 47
        /// 1, 14: Token of the order being replaced.
        public var existingOrderToken: Alpha14
        /// 15, 14: New day-unique token for the replacement.
        public var replacementOrderToken: Alpha14
        /// 29, 4: Total shares liable for the whole replace chain.
        public var shares: Shares
        /// 33, 4: New limit price, 4 implied decimals.
        public var price: Price
        /// 37, 4: As in Enter Order.
        public var timeInForce: UInt32
        /// 41, 1: As in Enter Order.
        public var display: ASCIICode
        /// 42, 1: Y eligible, N not eligible.
        public var intermarketSweepEligibility: ASCIICode
        /// 43, 4: Minimum fill; 0 for none.
        public var minimumQuantity: Shares
        @inlinable public init(
            existingOrderToken: Alpha14,
            replacementOrderToken: Alpha14,
            shares: Shares,
            price: Price,
            timeInForce: UInt32,
            display: ASCIICode,
            intermarketSweepEligibility: ASCIICode,
            minimumQuantity: Shares
        ) {
            self.existingOrderToken = existingOrderToken
            self.replacementOrderToken = replacementOrderToken
            self.shares = shares
            self.price = price
            self.timeInForce = timeInForce
            self.display = display
            self.intermarketSweepEligibility = intermarketSweepEligibility
            self.minimumQuantity = minimumQuantity
        }
        /// Writes the message at the start of `out`: 47, or nil if `out` is shorter or a price
        /// is outside the unsigned 32-bit wire range.
        @inlinable public func encode(into out: UnsafeMutableRawBufferPointer) -> Int? {
            guard out.count >= Self.length, let p = out.baseAddress,
                  let wire_price = WirePrice.unsigned32(price) else { return nil }
            p.putU8(0, Self.messageType)
            existingOrderToken.store(to: p + 1)
            replacementOrderToken.store(to: p + 15)
            p.putBE32(29, shares.rawValue)
            p.putBE32(33, wire_price)
            p.putBE32(37, timeInForce)
            p.putU8(41, display.rawValue)
            p.putU8(42, intermarketSweepEligibility.rawValue)
            p.putBE32(43, minimumQuantity.rawValue)
            return Self.length
        }
    }

    /// A view of a Replace Order message; see `ReplaceOrder` for the fields.
    @frozen public struct ReplaceOrderView: OUCH42MessageView {
        public typealias Message = ReplaceOrder
        @inlinable public static var messageType: UInt8 { ReplaceOrder.messageType }
        @inlinable public static var length: Int { ReplaceOrder.length }
        public let base: UnsafeRawPointer
        @inlinable public init(unchecked base: UnsafeRawPointer) { self.base = base }
        /// 1
        @inlinable public var existingOrderToken: Alpha14 { base.alpha14(1) }
        /// 15
        @inlinable public var replacementOrderToken: Alpha14 { base.alpha14(15) }
        /// 29
        @inlinable public var shares: Shares { base.shares(29) }
        /// 33
        @inlinable public var price: Price { base.price4(33) }
        /// 37
        @inlinable public var timeInForce: UInt32 { base.be32(37) }
        /// 41
        @inlinable public var display: ASCIICode { base.code(41) }
        /// 42
        @inlinable public var intermarketSweepEligibility: ASCIICode { base.code(42) }
        /// 43
        @inlinable public var minimumQuantity: Shares { base.shares(43) }
        /// Every field, as a value.
        @inlinable public var message: ReplaceOrder {
            ReplaceOrder(
                existingOrderToken: existingOrderToken,
                replacementOrderToken: replacementOrderToken,
                shares: shares,
                price: price,
                timeInForce: timeInForce,
                display: display,
                intermarketSweepEligibility: intermarketSweepEligibility,
                minimumQuantity: minimumQuantity
            )
        }
    }

    /// X, Cancel Order: 19 bytes.
    @frozen public struct CancelOrder: Hashable, Sendable {
        public static let messageType: UInt8 = 0x58  // X
        public static let length = 19
        /// 1, 14: Order token: day-unique per OUCH account, left-justified alpha.
        public var orderToken: Alpha14
        /// 15, 4: New intended order size; 0 cancels the rest.
        public var shares: Shares
        @inlinable public init(orderToken: Alpha14, shares: Shares) {
            self.orderToken = orderToken
            self.shares = shares
        }
        /// Writes the message at the start of `out`: 19, or nil if `out` is shorter or a price
        /// is outside the unsigned 32-bit wire range.
        @inlinable public func encode(into out: UnsafeMutableRawBufferPointer) -> Int? {
            guard out.count >= Self.length, let p = out.baseAddress else { return nil }
            p.putU8(0, Self.messageType)
            orderToken.store(to: p + 1)
            p.putBE32(15, shares.rawValue)
            return Self.length
        }
    }

    /// A view of a Cancel Order message; see `CancelOrder` for the fields.
    @frozen public struct CancelOrderView: OUCH42MessageView {
        public typealias Message = CancelOrder
        @inlinable public static var messageType: UInt8 { CancelOrder.messageType }
        @inlinable public static var length: Int { CancelOrder.length }
        public let base: UnsafeRawPointer
        @inlinable public init(unchecked base: UnsafeRawPointer) { self.base = base }
        /// 1
        @inlinable public var orderToken: Alpha14 { base.alpha14(1) }
        /// 15
        @inlinable public var shares: Shares { base.shares(15) }
        /// Every field, as a value.
        @inlinable public var message: CancelOrder { CancelOrder(orderToken: orderToken, shares: shares) }
    }

    /// M, Modify Order: 20 bytes.
    @frozen public struct ModifyOrder: Hashable, Sendable {
        public static let messageType: UInt8 = 0x4D  // M
        public static let length = 20
        /// 1, 14: Order token: day-unique per OUCH account, left-justified alpha.
        public var orderToken: Alpha14
        /// 15, 1: New side (only among S, T, E).
        public var side: OUCHSide
        /// 16, 4: New intended order size.
        public var shares: Shares
        @inlinable public init(orderToken: Alpha14, side: OUCHSide, shares: Shares) {
            self.orderToken = orderToken
            self.side = side
            self.shares = shares
        }
        /// Writes the message at the start of `out`: 20, or nil if `out` is shorter or a price
        /// is outside the unsigned 32-bit wire range.
        @inlinable public func encode(into out: UnsafeMutableRawBufferPointer) -> Int? {
            guard out.count >= Self.length, let p = out.baseAddress else { return nil }
            p.putU8(0, Self.messageType)
            orderToken.store(to: p + 1)
            p.putU8(15, side.rawValue)
            p.putBE32(16, shares.rawValue)
            return Self.length
        }
    }

    /// A view of a Modify Order message; see `ModifyOrder` for the fields.
    @frozen public struct ModifyOrderView: OUCH42MessageView {
        public typealias Message = ModifyOrder
        @inlinable public static var messageType: UInt8 { ModifyOrder.messageType }
        @inlinable public static var length: Int { ModifyOrder.length }
        public let base: UnsafeRawPointer
        @inlinable public init(unchecked base: UnsafeRawPointer) { self.base = base }
        /// 1
        @inlinable public var orderToken: Alpha14 { base.alpha14(1) }
        /// 15
        @inlinable public var side: OUCHSide { base.side(15) }
        /// 16
        @inlinable public var shares: Shares { base.shares(16) }
        /// Every field, as a value.
        @inlinable public var message: ModifyOrder { ModifyOrder(orderToken: orderToken, side: side, shares: shares) }
    }

    // MARK: - Outbound messages (venue to client)

    /// S, System Event: 10 bytes.
    @frozen public struct SystemEvent: Hashable, Sendable {
        public static let messageType: UInt8 = 0x53  // S
        public static let length = 10
        /// 1, 8: Nanoseconds since midnight.
        public var timestamp: VenueTime
        /// 9, 1: S start of day, E end of day.
        public var eventCode: ASCIICode
        @inlinable public init(timestamp: VenueTime, eventCode: ASCIICode) {
            self.timestamp = timestamp
            self.eventCode = eventCode
        }
        /// Writes the message at the start of `out`: 10, or nil if `out` is shorter or a price
        /// is outside the unsigned 32-bit wire range.
        @inlinable public func encode(into out: UnsafeMutableRawBufferPointer) -> Int? {
            guard out.count >= Self.length, let p = out.baseAddress else { return nil }
            p.putU8(0, Self.messageType)
            p.putBE64(1, timestamp.nanosSinceMidnight)
            p.putU8(9, eventCode.rawValue)
            return Self.length
        }
    }

    /// A view of a System Event message; see `SystemEvent` for the fields.
    @frozen public struct SystemEventView: OUCH42MessageView {
        public typealias Message = SystemEvent
        @inlinable public static var messageType: UInt8 { SystemEvent.messageType }
        @inlinable public static var length: Int { SystemEvent.length }
        public let base: UnsafeRawPointer
        @inlinable public init(unchecked base: UnsafeRawPointer) { self.base = base }
        /// 1
        @inlinable public var timestamp: VenueTime { base.time(1) }
        /// 9
        @inlinable public var eventCode: ASCIICode { base.code(9) }
        /// Every field, as a value.
        @inlinable public var message: SystemEvent { SystemEvent(timestamp: timestamp, eventCode: eventCode) }
    }

    /// A, Accepted: 66 bytes.
    @frozen public struct Accepted: Hashable, Sendable {
        public static let messageType: UInt8 = 0x41  // A
        public static let length = 66
        /// 1, 8: Nanoseconds since midnight.
        public var timestamp: VenueTime
        /// 9, 14: Order token: day-unique per OUCH account, left-justified alpha.
        public var orderToken: Alpha14
        /// 23, 1: As entered.
        public var side: OUCHSide
        /// 24, 4: Shares accepted.
        public var shares: Shares
        /// 28, 8: As entered.
        public var stock: Alpha8
        /// 36, 4: Accepted price (may be better than entered).
        public var price: Price
        /// 40, 4: Accepted time in force.
        public var timeInForce: UInt32
        /// 44, 4: As entered or the account default.
        public var firm: Alpha4
        /// 48, 1: Accepted display.
        public var display: ASCIICode
        /// 49, 8: Day-unique reference NASDAQ assigns (as on ITCH).
        public var orderReferenceNumber: OrderRef
        /// 57, 1: As entered.
        public var capacity: ASCIICode
        /// 58, 1: As entered.
        public var intermarketSweepEligibility: ASCIICode
        /// 59, 4: As entered.
        public var minimumQuantity: Shares
        /// 63, 1: As entered.
        public var crossType: ASCIICode
        /// 64, 1: L live, D dead (accepted and at once canceled).
        public var orderState: ASCIICode
        /// 65, 1: 0 0-0.2%, 1 0.2-1%, 2 1-2%, 3 over 2%, S sets the QBBO joining the NBBO, N improves the NBBO,
        /// space unspecified.
        public var bboWeightIndicator: ASCIICode
        @inlinable public init(
            timestamp: VenueTime,
            orderToken: Alpha14,
            side: OUCHSide,
            shares: Shares,
            stock: Alpha8,
            price: Price,
            timeInForce: UInt32,
            firm: Alpha4,
            display: ASCIICode,
            orderReferenceNumber: OrderRef,
            capacity: ASCIICode,
            intermarketSweepEligibility: ASCIICode,
            minimumQuantity: Shares,
            crossType: ASCIICode,
            orderState: ASCIICode,
            bboWeightIndicator: ASCIICode
        ) {
            self.timestamp = timestamp
            self.orderToken = orderToken
            self.side = side
            self.shares = shares
            self.stock = stock
            self.price = price
            self.timeInForce = timeInForce
            self.firm = firm
            self.display = display
            self.orderReferenceNumber = orderReferenceNumber
            self.capacity = capacity
            self.intermarketSweepEligibility = intermarketSweepEligibility
            self.minimumQuantity = minimumQuantity
            self.crossType = crossType
            self.orderState = orderState
            self.bboWeightIndicator = bboWeightIndicator
        }
        /// Writes the message at the start of `out`: 66, or nil if `out` is shorter or a price
        /// is outside the unsigned 32-bit wire range.
        @inlinable public func encode(into out: UnsafeMutableRawBufferPointer) -> Int? {
            guard out.count >= Self.length, let p = out.baseAddress,
                  let wire_price = WirePrice.unsigned32(price) else { return nil }
            p.putU8(0, Self.messageType)
            p.putBE64(1, timestamp.nanosSinceMidnight)
            orderToken.store(to: p + 9)
            p.putU8(23, side.rawValue)
            p.putBE32(24, shares.rawValue)
            stock.store(to: p + 28)
            p.putBE32(36, wire_price)
            p.putBE32(40, timeInForce)
            firm.store(to: p + 44)
            p.putU8(48, display.rawValue)
            p.putBE64(49, orderReferenceNumber.rawValue)
            p.putU8(57, capacity.rawValue)
            p.putU8(58, intermarketSweepEligibility.rawValue)
            p.putBE32(59, minimumQuantity.rawValue)
            p.putU8(63, crossType.rawValue)
            p.putU8(64, orderState.rawValue)
            p.putU8(65, bboWeightIndicator.rawValue)
            return Self.length
        }
    }

    /// A view of an Accepted message; see `Accepted` for the fields.
    @frozen public struct AcceptedView: OUCH42MessageView {
        public typealias Message = Accepted
        @inlinable public static var messageType: UInt8 { Accepted.messageType }
        @inlinable public static var length: Int { Accepted.length }
        public let base: UnsafeRawPointer
        @inlinable public init(unchecked base: UnsafeRawPointer) { self.base = base }
        /// 1
        @inlinable public var timestamp: VenueTime { base.time(1) }
        /// 9
        @inlinable public var orderToken: Alpha14 { base.alpha14(9) }
        /// 23
        @inlinable public var side: OUCHSide { base.side(23) }
        /// 24
        @inlinable public var shares: Shares { base.shares(24) }
        /// 28
        @inlinable public var stock: Alpha8 { base.alpha8(28) }
        /// 36
        @inlinable public var price: Price { base.price4(36) }
        /// 40
        @inlinable public var timeInForce: UInt32 { base.be32(40) }
        /// 44
        @inlinable public var firm: Alpha4 { base.alpha4(44) }
        /// 48
        @inlinable public var display: ASCIICode { base.code(48) }
        /// 49
        @inlinable public var orderReferenceNumber: OrderRef { base.orderRef(49) }
        /// 57
        @inlinable public var capacity: ASCIICode { base.code(57) }
        /// 58
        @inlinable public var intermarketSweepEligibility: ASCIICode { base.code(58) }
        /// 59
        @inlinable public var minimumQuantity: Shares { base.shares(59) }
        /// 63
        @inlinable public var crossType: ASCIICode { base.code(63) }
        /// 64
        @inlinable public var orderState: ASCIICode { base.code(64) }
        /// 65
        @inlinable public var bboWeightIndicator: ASCIICode { base.code(65) }
        /// Every field, as a value.
        @inlinable public var message: Accepted {
            Accepted(
                timestamp: timestamp,
                orderToken: orderToken,
                side: side,
                shares: shares,
                stock: stock,
                price: price,
                timeInForce: timeInForce,
                firm: firm,
                display: display,
                orderReferenceNumber: orderReferenceNumber,
                capacity: capacity,
                intermarketSweepEligibility: intermarketSweepEligibility,
                minimumQuantity: minimumQuantity,
                crossType: crossType,
                orderState: orderState,
                bboWeightIndicator: bboWeightIndicator
            )
        }
    }

    /// U, Replaced: 80 bytes.
    @frozen public struct Replaced: Hashable, Sendable {
        public static let messageType: UInt8 = 0x55  // U
        public static let length = 80
        /// 1, 8: Nanoseconds since midnight.
        public var timestamp: VenueTime
        /// 9, 14: Token of the new order.
        public var replacementOrderToken: Alpha14
        /// 23, 1: As entered.
        public var side: OUCHSide
        /// 24, 4: Shares outstanding after the replace.
        public var shares: Shares
        /// 28, 8: As entered.
        public var stock: Alpha8
        /// 36, 4: Accepted price.
        public var price: Price
        /// 40, 4: Accepted time in force.
        public var timeInForce: UInt32
        /// 44, 4: As entered.
        public var firm: Alpha4
        /// 48, 1: Accepted display.
        public var display: ASCIICode
        /// 49, 8: Reference of the new order.
        public var orderReferenceNumber: OrderRef
        /// 57, 1: As entered.
        public var capacity: ASCIICode
        /// 58, 1: As entered.
        public var intermarketSweepEligibility: ASCIICode
        /// 59, 4: As entered.
        public var minimumQuantity: Shares
        /// 63, 1: As entered.
        public var crossType: ASCIICode
        /// 64, 1: L live, D dead.
        public var orderState: ASCIICode
        /// 65, 14: Token of the order replaced.
        public var previousOrderToken: Alpha14
        /// 79, 1: As in Accepted.
        public var bboWeightIndicator: ASCIICode
        @inlinable public init(
            timestamp: VenueTime,
            replacementOrderToken: Alpha14,
            side: OUCHSide,
            shares: Shares,
            stock: Alpha8,
            price: Price,
            timeInForce: UInt32,
            firm: Alpha4,
            display: ASCIICode,
            orderReferenceNumber: OrderRef,
            capacity: ASCIICode,
            intermarketSweepEligibility: ASCIICode,
            minimumQuantity: Shares,
            crossType: ASCIICode,
            orderState: ASCIICode,
            previousOrderToken: Alpha14,
            bboWeightIndicator: ASCIICode
        ) {
            self.timestamp = timestamp
            self.replacementOrderToken = replacementOrderToken
            self.side = side
            self.shares = shares
            self.stock = stock
            self.price = price
            self.timeInForce = timeInForce
            self.firm = firm
            self.display = display
            self.orderReferenceNumber = orderReferenceNumber
            self.capacity = capacity
            self.intermarketSweepEligibility = intermarketSweepEligibility
            self.minimumQuantity = minimumQuantity
            self.crossType = crossType
            self.orderState = orderState
            self.previousOrderToken = previousOrderToken
            self.bboWeightIndicator = bboWeightIndicator
        }
        /// Writes the message at the start of `out`: 80, or nil if `out` is shorter or a price
        /// is outside the unsigned 32-bit wire range.
        @inlinable public func encode(into out: UnsafeMutableRawBufferPointer) -> Int? {
            guard out.count >= Self.length, let p = out.baseAddress,
                  let wire_price = WirePrice.unsigned32(price) else { return nil }
            p.putU8(0, Self.messageType)
            p.putBE64(1, timestamp.nanosSinceMidnight)
            replacementOrderToken.store(to: p + 9)
            p.putU8(23, side.rawValue)
            p.putBE32(24, shares.rawValue)
            stock.store(to: p + 28)
            p.putBE32(36, wire_price)
            p.putBE32(40, timeInForce)
            firm.store(to: p + 44)
            p.putU8(48, display.rawValue)
            p.putBE64(49, orderReferenceNumber.rawValue)
            p.putU8(57, capacity.rawValue)
            p.putU8(58, intermarketSweepEligibility.rawValue)
            p.putBE32(59, minimumQuantity.rawValue)
            p.putU8(63, crossType.rawValue)
            p.putU8(64, orderState.rawValue)
            previousOrderToken.store(to: p + 65)
            p.putU8(79, bboWeightIndicator.rawValue)
            return Self.length
        }
    }

    /// A view of a Replaced message; see `Replaced` for the fields.
    @frozen public struct ReplacedView: OUCH42MessageView {
        public typealias Message = Replaced
        @inlinable public static var messageType: UInt8 { Replaced.messageType }
        @inlinable public static var length: Int { Replaced.length }
        public let base: UnsafeRawPointer
        @inlinable public init(unchecked base: UnsafeRawPointer) { self.base = base }
        /// 1
        @inlinable public var timestamp: VenueTime { base.time(1) }
        /// 9
        @inlinable public var replacementOrderToken: Alpha14 { base.alpha14(9) }
        /// 23
        @inlinable public var side: OUCHSide { base.side(23) }
        /// 24
        @inlinable public var shares: Shares { base.shares(24) }
        /// 28
        @inlinable public var stock: Alpha8 { base.alpha8(28) }
        /// 36
        @inlinable public var price: Price { base.price4(36) }
        /// 40
        @inlinable public var timeInForce: UInt32 { base.be32(40) }
        /// 44
        @inlinable public var firm: Alpha4 { base.alpha4(44) }
        /// 48
        @inlinable public var display: ASCIICode { base.code(48) }
        /// 49
        @inlinable public var orderReferenceNumber: OrderRef { base.orderRef(49) }
        /// 57
        @inlinable public var capacity: ASCIICode { base.code(57) }
        /// 58
        @inlinable public var intermarketSweepEligibility: ASCIICode { base.code(58) }
        /// 59
        @inlinable public var minimumQuantity: Shares { base.shares(59) }
        /// 63
        @inlinable public var crossType: ASCIICode { base.code(63) }
        /// 64
        @inlinable public var orderState: ASCIICode { base.code(64) }
        /// 65
        @inlinable public var previousOrderToken: Alpha14 { base.alpha14(65) }
        /// 79
        @inlinable public var bboWeightIndicator: ASCIICode { base.code(79) }
        /// Every field, as a value.
        @inlinable public var message: Replaced {
            Replaced(
                timestamp: timestamp,
                replacementOrderToken: replacementOrderToken,
                side: side,
                shares: shares,
                stock: stock,
                price: price,
                timeInForce: timeInForce,
                firm: firm,
                display: display,
                orderReferenceNumber: orderReferenceNumber,
                capacity: capacity,
                intermarketSweepEligibility: intermarketSweepEligibility,
                minimumQuantity: minimumQuantity,
                crossType: crossType,
                orderState: orderState,
                previousOrderToken: previousOrderToken,
                bboWeightIndicator: bboWeightIndicator
            )
        }
    }

    /// C, Canceled: 28 bytes.
    @frozen public struct Canceled: Hashable, Sendable {
        public static let messageType: UInt8 = 0x43  // C
        public static let length = 28
        /// 1, 8: Nanoseconds since midnight.
        public var timestamp: VenueTime
        /// 9, 14: Order token: day-unique per OUCH account, left-justified alpha.
        public var orderToken: Alpha14
        /// 23, 4: Shares just canceled (incremental).
        public var decrementShares: Shares
        /// 27, 1: U user, I immediate or cancel, T timeout, S supervisory, D regulatory, Q self-match
        /// prevention, Z system, and others.
        public var reason: ASCIICode
        @inlinable public init(timestamp: VenueTime, orderToken: Alpha14, decrementShares: Shares, reason: ASCIICode) {
            self.timestamp = timestamp
            self.orderToken = orderToken
            self.decrementShares = decrementShares
            self.reason = reason
        }
        /// Writes the message at the start of `out`: 28, or nil if `out` is shorter or a price
        /// is outside the unsigned 32-bit wire range.
        @inlinable public func encode(into out: UnsafeMutableRawBufferPointer) -> Int? {
            guard out.count >= Self.length, let p = out.baseAddress else { return nil }
            p.putU8(0, Self.messageType)
            p.putBE64(1, timestamp.nanosSinceMidnight)
            orderToken.store(to: p + 9)
            p.putBE32(23, decrementShares.rawValue)
            p.putU8(27, reason.rawValue)
            return Self.length
        }
    }

    /// A view of a Canceled message; see `Canceled` for the fields.
    @frozen public struct CanceledView: OUCH42MessageView {
        public typealias Message = Canceled
        @inlinable public static var messageType: UInt8 { Canceled.messageType }
        @inlinable public static var length: Int { Canceled.length }
        public let base: UnsafeRawPointer
        @inlinable public init(unchecked base: UnsafeRawPointer) { self.base = base }
        /// 1
        @inlinable public var timestamp: VenueTime { base.time(1) }
        /// 9
        @inlinable public var orderToken: Alpha14 { base.alpha14(9) }
        /// 23
        @inlinable public var decrementShares: Shares { base.shares(23) }
        /// 27
        @inlinable public var reason: ASCIICode { base.code(27) }
        /// Every field, as a value.
        @inlinable public var message: Canceled {
            Canceled(
                timestamp: timestamp,
                orderToken: orderToken,
                decrementShares: decrementShares,
                reason: reason
            )
        }
    }

    /// D, AIQ Canceled: 37 bytes.
    @frozen public struct AIQCanceled: Hashable, Sendable {
        public static let messageType: UInt8 = 0x44  // D
        public static let length = 37
        /// 1, 8: Nanoseconds since midnight.
        public var timestamp: VenueTime
        /// 9, 14: Order token: day-unique per OUCH account, left-justified alpha.
        public var orderToken: Alpha14
        /// 23, 4: Shares just canceled.
        public var decrementShares: Shares
        /// 27, 1: Always Q (self-match prevention).
        public var reason: ASCIICode
        /// 28, 4: Shares that would have traded.
        public var quantityPreventedFromTrading: Shares
        /// 32, 4: Price they would have traded at.
        public var executionPrice: Price
        /// 36, 1: Liquidity flag the trade would have had.
        public var liquidityFlag: ASCIICode
        @inlinable public init(
            timestamp: VenueTime,
            orderToken: Alpha14,
            decrementShares: Shares,
            reason: ASCIICode,
            quantityPreventedFromTrading: Shares,
            executionPrice: Price,
            liquidityFlag: ASCIICode
        ) {
            self.timestamp = timestamp
            self.orderToken = orderToken
            self.decrementShares = decrementShares
            self.reason = reason
            self.quantityPreventedFromTrading = quantityPreventedFromTrading
            self.executionPrice = executionPrice
            self.liquidityFlag = liquidityFlag
        }
        /// Writes the message at the start of `out`: 37, or nil if `out` is shorter or a price
        /// is outside the unsigned 32-bit wire range.
        @inlinable public func encode(into out: UnsafeMutableRawBufferPointer) -> Int? {
            guard out.count >= Self.length, let p = out.baseAddress,
                  let wire_executionPrice = WirePrice.unsigned32(executionPrice) else { return nil }
            p.putU8(0, Self.messageType)
            p.putBE64(1, timestamp.nanosSinceMidnight)
            orderToken.store(to: p + 9)
            p.putBE32(23, decrementShares.rawValue)
            p.putU8(27, reason.rawValue)
            p.putBE32(28, quantityPreventedFromTrading.rawValue)
            p.putBE32(32, wire_executionPrice)
            p.putU8(36, liquidityFlag.rawValue)
            return Self.length
        }
    }

    /// A view of an AIQ Canceled message; see `AIQCanceled` for the fields.
    @frozen public struct AIQCanceledView: OUCH42MessageView {
        public typealias Message = AIQCanceled
        @inlinable public static var messageType: UInt8 { AIQCanceled.messageType }
        @inlinable public static var length: Int { AIQCanceled.length }
        public let base: UnsafeRawPointer
        @inlinable public init(unchecked base: UnsafeRawPointer) { self.base = base }
        /// 1
        @inlinable public var timestamp: VenueTime { base.time(1) }
        /// 9
        @inlinable public var orderToken: Alpha14 { base.alpha14(9) }
        /// 23
        @inlinable public var decrementShares: Shares { base.shares(23) }
        /// 27
        @inlinable public var reason: ASCIICode { base.code(27) }
        /// 28
        @inlinable public var quantityPreventedFromTrading: Shares { base.shares(28) }
        /// 32
        @inlinable public var executionPrice: Price { base.price4(32) }
        /// 36
        @inlinable public var liquidityFlag: ASCIICode { base.code(36) }
        /// Every field, as a value.
        @inlinable public var message: AIQCanceled {
            AIQCanceled(
                timestamp: timestamp,
                orderToken: orderToken,
                decrementShares: decrementShares,
                reason: reason,
                quantityPreventedFromTrading: quantityPreventedFromTrading,
                executionPrice: executionPrice,
                liquidityFlag: liquidityFlag
            )
        }
    }

    /// E, Executed: 40 bytes.
    @frozen public struct Executed: Hashable, Sendable {
        public static let messageType: UInt8 = 0x45  // E
        public static let length = 40
        /// 1, 8: Nanoseconds since midnight.
        public var timestamp: VenueTime
        /// 9, 14: Order token: day-unique per OUCH account, left-justified alpha.
        public var orderToken: Alpha14
        /// 23, 4: Shares executed (incremental).
        public var executedShares: Shares
        /// 27, 4: Execution price.
        public var executionPrice: Price
        /// 31, 1: A added, R removed, and the spec's other codes.
        public var liquidityFlag: ASCIICode
        /// 32, 8: Day-unique match number (as on ITCH).
        public var matchNumber: UInt64
        @inlinable public init(
            timestamp: VenueTime,
            orderToken: Alpha14,
            executedShares: Shares,
            executionPrice: Price,
            liquidityFlag: ASCIICode,
            matchNumber: UInt64
        ) {
            self.timestamp = timestamp
            self.orderToken = orderToken
            self.executedShares = executedShares
            self.executionPrice = executionPrice
            self.liquidityFlag = liquidityFlag
            self.matchNumber = matchNumber
        }
        /// Writes the message at the start of `out`: 40, or nil if `out` is shorter or a price
        /// is outside the unsigned 32-bit wire range.
        @inlinable public func encode(into out: UnsafeMutableRawBufferPointer) -> Int? {
            guard out.count >= Self.length, let p = out.baseAddress,
                  let wire_executionPrice = WirePrice.unsigned32(executionPrice) else { return nil }
            p.putU8(0, Self.messageType)
            p.putBE64(1, timestamp.nanosSinceMidnight)
            orderToken.store(to: p + 9)
            p.putBE32(23, executedShares.rawValue)
            p.putBE32(27, wire_executionPrice)
            p.putU8(31, liquidityFlag.rawValue)
            p.putBE64(32, matchNumber)
            return Self.length
        }
    }

    /// A view of an Executed message; see `Executed` for the fields.
    @frozen public struct ExecutedView: OUCH42MessageView {
        public typealias Message = Executed
        @inlinable public static var messageType: UInt8 { Executed.messageType }
        @inlinable public static var length: Int { Executed.length }
        public let base: UnsafeRawPointer
        @inlinable public init(unchecked base: UnsafeRawPointer) { self.base = base }
        /// 1
        @inlinable public var timestamp: VenueTime { base.time(1) }
        /// 9
        @inlinable public var orderToken: Alpha14 { base.alpha14(9) }
        /// 23
        @inlinable public var executedShares: Shares { base.shares(23) }
        /// 27
        @inlinable public var executionPrice: Price { base.price4(27) }
        /// 31
        @inlinable public var liquidityFlag: ASCIICode { base.code(31) }
        /// 32
        @inlinable public var matchNumber: UInt64 { base.be64(32) }
        /// Every field, as a value.
        @inlinable public var message: Executed {
            Executed(
                timestamp: timestamp,
                orderToken: orderToken,
                executedShares: executedShares,
                executionPrice: executionPrice,
                liquidityFlag: liquidityFlag,
                matchNumber: matchNumber
            )
        }
    }

    /// B, Broken Trade: 32 bytes.
    @frozen public struct BrokenTrade: Hashable, Sendable {
        public static let messageType: UInt8 = 0x42  // B
        public static let length = 32
        /// 1, 8: Nanoseconds since midnight.
        public var timestamp: VenueTime
        /// 9, 14: Order token: day-unique per OUCH account, left-justified alpha.
        public var orderToken: Alpha14
        /// 23, 8: Match number of the broken execution.
        public var matchNumber: UInt64
        /// 31, 1: E erroneous, C consent, S supervisory, X external.
        public var reason: ASCIICode
        @inlinable public init(timestamp: VenueTime, orderToken: Alpha14, matchNumber: UInt64, reason: ASCIICode) {
            self.timestamp = timestamp
            self.orderToken = orderToken
            self.matchNumber = matchNumber
            self.reason = reason
        }
        /// Writes the message at the start of `out`: 32, or nil if `out` is shorter or a price
        /// is outside the unsigned 32-bit wire range.
        @inlinable public func encode(into out: UnsafeMutableRawBufferPointer) -> Int? {
            guard out.count >= Self.length, let p = out.baseAddress else { return nil }
            p.putU8(0, Self.messageType)
            p.putBE64(1, timestamp.nanosSinceMidnight)
            orderToken.store(to: p + 9)
            p.putBE64(23, matchNumber)
            p.putU8(31, reason.rawValue)
            return Self.length
        }
    }

    /// A view of a Broken Trade message; see `BrokenTrade` for the fields.
    @frozen public struct BrokenTradeView: OUCH42MessageView {
        public typealias Message = BrokenTrade
        @inlinable public static var messageType: UInt8 { BrokenTrade.messageType }
        @inlinable public static var length: Int { BrokenTrade.length }
        public let base: UnsafeRawPointer
        @inlinable public init(unchecked base: UnsafeRawPointer) { self.base = base }
        /// 1
        @inlinable public var timestamp: VenueTime { base.time(1) }
        /// 9
        @inlinable public var orderToken: Alpha14 { base.alpha14(9) }
        /// 23
        @inlinable public var matchNumber: UInt64 { base.be64(23) }
        /// 31
        @inlinable public var reason: ASCIICode { base.code(31) }
        /// Every field, as a value.
        @inlinable public var message: BrokenTrade {
            BrokenTrade(
                timestamp: timestamp,
                orderToken: orderToken,
                matchNumber: matchNumber,
                reason: reason
            )
        }
    }

    /// J, Rejected: 24 bytes.
    @frozen public struct Rejected: Hashable, Sendable {
        public static let messageType: UInt8 = 0x4A  // J
        public static let length = 24
        /// 1, 8: Nanoseconds since midnight.
        public var timestamp: VenueTime
        /// 9, 14: Order token: day-unique per OUCH account, left-justified alpha.
        public var orderToken: Alpha14
        /// 23, 1: Reject reason code (T test mode, H halted, S invalid stock, X invalid price, ...).
        public var reason: ASCIICode
        @inlinable public init(timestamp: VenueTime, orderToken: Alpha14, reason: ASCIICode) {
            self.timestamp = timestamp
            self.orderToken = orderToken
            self.reason = reason
        }
        /// Writes the message at the start of `out`: 24, or nil if `out` is shorter or a price
        /// is outside the unsigned 32-bit wire range.
        @inlinable public func encode(into out: UnsafeMutableRawBufferPointer) -> Int? {
            guard out.count >= Self.length, let p = out.baseAddress else { return nil }
            p.putU8(0, Self.messageType)
            p.putBE64(1, timestamp.nanosSinceMidnight)
            orderToken.store(to: p + 9)
            p.putU8(23, reason.rawValue)
            return Self.length
        }
    }

    /// A view of a Rejected message; see `Rejected` for the fields.
    @frozen public struct RejectedView: OUCH42MessageView {
        public typealias Message = Rejected
        @inlinable public static var messageType: UInt8 { Rejected.messageType }
        @inlinable public static var length: Int { Rejected.length }
        public let base: UnsafeRawPointer
        @inlinable public init(unchecked base: UnsafeRawPointer) { self.base = base }
        /// 1
        @inlinable public var timestamp: VenueTime { base.time(1) }
        /// 9
        @inlinable public var orderToken: Alpha14 { base.alpha14(9) }
        /// 23
        @inlinable public var reason: ASCIICode { base.code(23) }
        /// Every field, as a value.
        @inlinable public var message: Rejected {
            Rejected(
                timestamp: timestamp,
                orderToken: orderToken,
                reason: reason
            )
        }
    }

    /// P, Cancel Pending: 23 bytes.
    @frozen public struct CancelPending: Hashable, Sendable {
        public static let messageType: UInt8 = 0x50  // P
        public static let length = 23
        /// 1, 8: Nanoseconds since midnight.
        public var timestamp: VenueTime
        /// 9, 14: Order token: day-unique per OUCH account, left-justified alpha.
        public var orderToken: Alpha14
        @inlinable public init(timestamp: VenueTime, orderToken: Alpha14) {
            self.timestamp = timestamp
            self.orderToken = orderToken
        }
        /// Writes the message at the start of `out`: 23, or nil if `out` is shorter or a price
        /// is outside the unsigned 32-bit wire range.
        @inlinable public func encode(into out: UnsafeMutableRawBufferPointer) -> Int? {
            guard out.count >= Self.length, let p = out.baseAddress else { return nil }
            p.putU8(0, Self.messageType)
            p.putBE64(1, timestamp.nanosSinceMidnight)
            orderToken.store(to: p + 9)
            return Self.length
        }
    }

    /// A view of a Cancel Pending message; see `CancelPending` for the fields.
    @frozen public struct CancelPendingView: OUCH42MessageView {
        public typealias Message = CancelPending
        @inlinable public static var messageType: UInt8 { CancelPending.messageType }
        @inlinable public static var length: Int { CancelPending.length }
        public let base: UnsafeRawPointer
        @inlinable public init(unchecked base: UnsafeRawPointer) { self.base = base }
        /// 1
        @inlinable public var timestamp: VenueTime { base.time(1) }
        /// 9
        @inlinable public var orderToken: Alpha14 { base.alpha14(9) }
        /// Every field, as a value.
        @inlinable public var message: CancelPending { CancelPending(timestamp: timestamp, orderToken: orderToken) }
    }

    /// I, Cancel Reject: 23 bytes.
    @frozen public struct CancelReject: Hashable, Sendable {
        public static let messageType: UInt8 = 0x49  // I
        public static let length = 23
        /// 1, 8: Nanoseconds since midnight.
        public var timestamp: VenueTime
        /// 9, 14: Order token: day-unique per OUCH account, left-justified alpha.
        public var orderToken: Alpha14
        @inlinable public init(timestamp: VenueTime, orderToken: Alpha14) {
            self.timestamp = timestamp
            self.orderToken = orderToken
        }
        /// Writes the message at the start of `out`: 23, or nil if `out` is shorter or a price
        /// is outside the unsigned 32-bit wire range.
        @inlinable public func encode(into out: UnsafeMutableRawBufferPointer) -> Int? {
            guard out.count >= Self.length, let p = out.baseAddress else { return nil }
            p.putU8(0, Self.messageType)
            p.putBE64(1, timestamp.nanosSinceMidnight)
            orderToken.store(to: p + 9)
            return Self.length
        }
    }

    /// A view of a Cancel Reject message; see `CancelReject` for the fields.
    @frozen public struct CancelRejectView: OUCH42MessageView {
        public typealias Message = CancelReject
        @inlinable public static var messageType: UInt8 { CancelReject.messageType }
        @inlinable public static var length: Int { CancelReject.length }
        public let base: UnsafeRawPointer
        @inlinable public init(unchecked base: UnsafeRawPointer) { self.base = base }
        /// 1
        @inlinable public var timestamp: VenueTime { base.time(1) }
        /// 9
        @inlinable public var orderToken: Alpha14 { base.alpha14(9) }
        /// Every field, as a value.
        @inlinable public var message: CancelReject { CancelReject(timestamp: timestamp, orderToken: orderToken) }
    }

    /// T, Order Priority Update: 36 bytes.
    @frozen public struct OrderPriorityUpdate: Hashable, Sendable {
        public static let messageType: UInt8 = 0x54  // T
        public static let length = 36
        /// 1, 8: Nanoseconds since midnight.
        public var timestamp: VenueTime
        /// 9, 14: Order token: day-unique per OUCH account, left-justified alpha.
        public var orderToken: Alpha14
        /// 23, 4: New price.
        public var price: Price
        /// 27, 1: New display.
        public var display: ASCIICode
        /// 28, 8: New order reference number.
        public var orderReferenceNumber: OrderRef
        @inlinable public init(
            timestamp: VenueTime,
            orderToken: Alpha14,
            price: Price,
            display: ASCIICode,
            orderReferenceNumber: OrderRef
        ) {
            self.timestamp = timestamp
            self.orderToken = orderToken
            self.price = price
            self.display = display
            self.orderReferenceNumber = orderReferenceNumber
        }
        /// Writes the message at the start of `out`: 36, or nil if `out` is shorter or a price
        /// is outside the unsigned 32-bit wire range.
        @inlinable public func encode(into out: UnsafeMutableRawBufferPointer) -> Int? {
            guard out.count >= Self.length, let p = out.baseAddress,
                  let wire_price = WirePrice.unsigned32(price) else { return nil }
            p.putU8(0, Self.messageType)
            p.putBE64(1, timestamp.nanosSinceMidnight)
            orderToken.store(to: p + 9)
            p.putBE32(23, wire_price)
            p.putU8(27, display.rawValue)
            p.putBE64(28, orderReferenceNumber.rawValue)
            return Self.length
        }
    }

    /// A view of an Order Priority Update message; see `OrderPriorityUpdate` for the fields.
    @frozen public struct OrderPriorityUpdateView: OUCH42MessageView {
        public typealias Message = OrderPriorityUpdate
        @inlinable public static var messageType: UInt8 { OrderPriorityUpdate.messageType }
        @inlinable public static var length: Int { OrderPriorityUpdate.length }
        public let base: UnsafeRawPointer
        @inlinable public init(unchecked base: UnsafeRawPointer) { self.base = base }
        /// 1
        @inlinable public var timestamp: VenueTime { base.time(1) }
        /// 9
        @inlinable public var orderToken: Alpha14 { base.alpha14(9) }
        /// 23
        @inlinable public var price: Price { base.price4(23) }
        /// 27
        @inlinable public var display: ASCIICode { base.code(27) }
        /// 28
        @inlinable public var orderReferenceNumber: OrderRef { base.orderRef(28) }
        /// Every field, as a value.
        @inlinable public var message: OrderPriorityUpdate {
            OrderPriorityUpdate(
                timestamp: timestamp,
                orderToken: orderToken,
                price: price,
                display: display,
                orderReferenceNumber: orderReferenceNumber
            )
        }
    }

    /// M, Order Modified: 28 bytes.
    @frozen public struct OrderModified: Hashable, Sendable {
        public static let messageType: UInt8 = 0x4D  // M
        public static let length = 28
        /// 1, 8: Nanoseconds since midnight.
        public var timestamp: VenueTime
        /// 9, 14: Order token: day-unique per OUCH account, left-justified alpha.
        public var orderToken: Alpha14
        /// 23, 1: Side after the modify.
        public var side: OUCHSide
        /// 24, 4: Shares outstanding.
        public var shares: Shares
        @inlinable public init(timestamp: VenueTime, orderToken: Alpha14, side: OUCHSide, shares: Shares) {
            self.timestamp = timestamp
            self.orderToken = orderToken
            self.side = side
            self.shares = shares
        }
        /// Writes the message at the start of `out`: 28, or nil if `out` is shorter or a price
        /// is outside the unsigned 32-bit wire range.
        @inlinable public func encode(into out: UnsafeMutableRawBufferPointer) -> Int? {
            guard out.count >= Self.length, let p = out.baseAddress else { return nil }
            p.putU8(0, Self.messageType)
            p.putBE64(1, timestamp.nanosSinceMidnight)
            orderToken.store(to: p + 9)
            p.putU8(23, side.rawValue)
            p.putBE32(24, shares.rawValue)
            return Self.length
        }
    }

    /// A view of an Order Modified message; see `OrderModified` for the fields.
    @frozen public struct OrderModifiedView: OUCH42MessageView {
        public typealias Message = OrderModified
        @inlinable public static var messageType: UInt8 { OrderModified.messageType }
        @inlinable public static var length: Int { OrderModified.length }
        public let base: UnsafeRawPointer
        @inlinable public init(unchecked base: UnsafeRawPointer) { self.base = base }
        /// 1
        @inlinable public var timestamp: VenueTime { base.time(1) }
        /// 9
        @inlinable public var orderToken: Alpha14 { base.alpha14(9) }
        /// 23
        @inlinable public var side: OUCHSide { base.side(23) }
        /// 24
        @inlinable public var shares: Shares { base.shares(24) }
        /// Every field, as a value.
        @inlinable public var message: OrderModified {
            OrderModified(
                timestamp: timestamp,
                orderToken: orderToken,
                side: side,
                shares: shares
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
    }

    /// Decodes one inbound message that exactly fills `bytes`.
    @inlinable public static func decodeInbound(_ bytes: UnsafeRawBufferPointer) -> Result<Inbound, DecodeError> {
        guard let p = bytes.baseAddress, bytes.count > 0 else { return .failure(.empty) }
        switch p.u8(0) {
        case 0x4F:  // O
            guard bytes.count == EnterOrder.length else {
                return .failure(.badLength(type: 0x4F, expected: EnterOrder.length, actual: bytes.count))
            }
            return .success(.enterOrder(EnterOrderView(unchecked: p)))
        case 0x55:  // U
            guard bytes.count == ReplaceOrder.length else {
                return .failure(.badLength(type: 0x55, expected: ReplaceOrder.length, actual: bytes.count))
            }
            return .success(.replaceOrder(ReplaceOrderView(unchecked: p)))
        case 0x58:  // X
            guard bytes.count == CancelOrder.length else {
                return .failure(.badLength(type: 0x58, expected: CancelOrder.length, actual: bytes.count))
            }
            return .success(.cancelOrder(CancelOrderView(unchecked: p)))
        case 0x4D:  // M
            guard bytes.count == ModifyOrder.length else {
                return .failure(.badLength(type: 0x4D, expected: ModifyOrder.length, actual: bytes.count))
            }
            return .success(.modifyOrder(ModifyOrderView(unchecked: p)))
        case let other: return .failure(.unknownType(other))
        }
    }

    /// The fixed length of the inbound message with type byte `type`, or nil for an unknown type.
    @inlinable public static func inboundLength(of type: UInt8) -> Int? {
        switch type {
        case 0x4F: EnterOrder.length
        case 0x55: ReplaceOrder.length
        case 0x58: CancelOrder.length
        case 0x4D: ModifyOrder.length
        default: nil
        }
    }

    /// An outbound (venue to client) message, as a typed view.
    @frozen public enum Outbound {
        case systemEvent(SystemEventView)
        case accepted(AcceptedView)
        case replaced(ReplacedView)
        case canceled(CanceledView)
        case aiqCanceled(AIQCanceledView)
        case executed(ExecutedView)
        case brokenTrade(BrokenTradeView)
        case rejected(RejectedView)
        case cancelPending(CancelPendingView)
        case cancelReject(CancelRejectView)
        case orderPriorityUpdate(OrderPriorityUpdateView)
        case orderModified(OrderModifiedView)
    }

    /// Decodes one outbound message that exactly fills `bytes`.
    @inlinable public static func decodeOutbound(_ bytes: UnsafeRawBufferPointer) -> Result<Outbound, DecodeError> {
        guard let p = bytes.baseAddress, bytes.count > 0 else { return .failure(.empty) }
        switch p.u8(0) {
        case 0x53:  // S
            guard bytes.count == SystemEvent.length else {
                return .failure(.badLength(type: 0x53, expected: SystemEvent.length, actual: bytes.count))
            }
            return .success(.systemEvent(SystemEventView(unchecked: p)))
        case 0x41:  // A
            guard bytes.count == Accepted.length else {
                return .failure(.badLength(type: 0x41, expected: Accepted.length, actual: bytes.count))
            }
            return .success(.accepted(AcceptedView(unchecked: p)))
        case 0x55:  // U
            guard bytes.count == Replaced.length else {
                return .failure(.badLength(type: 0x55, expected: Replaced.length, actual: bytes.count))
            }
            return .success(.replaced(ReplacedView(unchecked: p)))
        case 0x43:  // C
            guard bytes.count == Canceled.length else {
                return .failure(.badLength(type: 0x43, expected: Canceled.length, actual: bytes.count))
            }
            return .success(.canceled(CanceledView(unchecked: p)))
        case 0x44:  // D
            guard bytes.count == AIQCanceled.length else {
                return .failure(.badLength(type: 0x44, expected: AIQCanceled.length, actual: bytes.count))
            }
            return .success(.aiqCanceled(AIQCanceledView(unchecked: p)))
        case 0x45:  // E
            guard bytes.count == Executed.length else {
                return .failure(.badLength(type: 0x45, expected: Executed.length, actual: bytes.count))
            }
            return .success(.executed(ExecutedView(unchecked: p)))
        case 0x42:  // B
            guard bytes.count == BrokenTrade.length else {
                return .failure(.badLength(type: 0x42, expected: BrokenTrade.length, actual: bytes.count))
            }
            return .success(.brokenTrade(BrokenTradeView(unchecked: p)))
        case 0x4A:  // J
            guard bytes.count == Rejected.length else {
                return .failure(.badLength(type: 0x4A, expected: Rejected.length, actual: bytes.count))
            }
            return .success(.rejected(RejectedView(unchecked: p)))
        case 0x50:  // P
            guard bytes.count == CancelPending.length else {
                return .failure(.badLength(type: 0x50, expected: CancelPending.length, actual: bytes.count))
            }
            return .success(.cancelPending(CancelPendingView(unchecked: p)))
        case 0x49:  // I
            guard bytes.count == CancelReject.length else {
                return .failure(.badLength(type: 0x49, expected: CancelReject.length, actual: bytes.count))
            }
            return .success(.cancelReject(CancelRejectView(unchecked: p)))
        case 0x54:  // T
            guard bytes.count == OrderPriorityUpdate.length else {
                return .failure(.badLength(type: 0x54, expected: OrderPriorityUpdate.length, actual: bytes.count))
            }
            return .success(.orderPriorityUpdate(OrderPriorityUpdateView(unchecked: p)))
        case 0x4D:  // M
            guard bytes.count == OrderModified.length else {
                return .failure(.badLength(type: 0x4D, expected: OrderModified.length, actual: bytes.count))
            }
            return .success(.orderModified(OrderModifiedView(unchecked: p)))
        case let other: return .failure(.unknownType(other))
        }
    }

    /// The fixed length of the outbound message with type byte `type`, or nil for an unknown type.
    @inlinable public static func outboundLength(of type: UInt8) -> Int? {
        switch type {
        case 0x53: SystemEvent.length
        case 0x41: Accepted.length
        case 0x55: Replaced.length
        case 0x43: Canceled.length
        case 0x44: AIQCanceled.length
        case 0x45: Executed.length
        case 0x42: BrokenTrade.length
        case 0x4A: Rejected.length
        case 0x50: CancelPending.length
        case 0x49: CancelReject.length
        case 0x54: OrderPriorityUpdate.length
        case 0x4D: OrderModified.length
        default: nil
        }
    }
}
