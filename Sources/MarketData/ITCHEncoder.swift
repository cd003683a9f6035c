// TotalView-ITCH 5.0 message encoding, for the venue simulator and for tests: one function per
// message type, every field a parameter, writing the message (type byte first, no length prefix)
// at the start of `out`. Each returns the length written, or nil (writing nothing) when `out` is
// too small or a value does not fit its field (a timestamp of 2^48 ns or more, a price below 0
// or above Price(4)'s 429,496.7295 dollars).

public import TickwireCore

public enum ITCHEncoder {
    // MARK: System and stock-related messages

    public static func systemEvent(
        into out: UnsafeMutableRawBufferPointer, stockLocate: StockLocate = StockLocate(rawValue: 0),
        trackingNumber: UInt16 = 0, timestamp: VenueTime, eventCode: UInt8
    ) -> Int? {
        guard let w = Writer(out, .systemEvent, stockLocate, trackingNumber, timestamp) else { return nil }
        w.u8(11, eventCode)
        return w.length
    }

    public static func stockDirectory(
        into out: UnsafeMutableRawBufferPointer, stockLocate: StockLocate, trackingNumber: UInt16 = 0,
        timestamp: VenueTime, stock: Symbol, marketCategory: UInt8, financialStatusIndicator: UInt8,
        roundLotSize: UInt32, roundLotsOnly: UInt8, issueClassification: UInt8, issueSubType: ITCH.Alpha2,
        authenticity: UInt8, shortSaleThresholdIndicator: UInt8, ipoFlag: UInt8, luldReferencePriceTier: UInt8,
        etpFlag: UInt8, etpLeverageFactor: UInt32, inverseIndicator: UInt8
    ) -> Int? {
        guard let w = Writer(out, .stockDirectory, stockLocate, trackingNumber, timestamp) else { return nil }
        w.u64(11, stock.rawValue)
        w.u8(19, marketCategory)
        w.u8(20, financialStatusIndicator)
        w.u32(21, roundLotSize)
        w.u8(25, roundLotsOnly)
        w.u8(26, issueClassification)
        w.u16(27, issueSubType.rawValue)
        w.u8(29, authenticity)
        w.u8(30, shortSaleThresholdIndicator)
        w.u8(31, ipoFlag)
        w.u8(32, luldReferencePriceTier)
        w.u8(33, etpFlag)
        w.u32(34, etpLeverageFactor)
        w.u8(38, inverseIndicator)
        return w.length
    }

    public static func stockTradingAction(
        into out: UnsafeMutableRawBufferPointer, stockLocate: StockLocate, trackingNumber: UInt16 = 0,
        timestamp: VenueTime, stock: Symbol, tradingState: UInt8, reserved: UInt8 = 0x20, reason: ITCH.Alpha4
    ) -> Int? {
        guard let w = Writer(out, .stockTradingAction, stockLocate, trackingNumber, timestamp) else { return nil }
        w.u64(11, stock.rawValue)
        w.u8(19, tradingState)
        w.u8(20, reserved)
        w.u32(21, reason.rawValue)
        return w.length
    }

    public static func regSHORestriction(
        into out: UnsafeMutableRawBufferPointer, stockLocate: StockLocate, trackingNumber: UInt16 = 0,
        timestamp: VenueTime, stock: Symbol, regSHOAction: UInt8
    ) -> Int? {
        guard let w = Writer(out, .regSHORestriction, stockLocate, trackingNumber, timestamp) else { return nil }
        w.u64(11, stock.rawValue)
        w.u8(19, regSHOAction)
        return w.length
    }

    public static func marketParticipantPosition(
        into out: UnsafeMutableRawBufferPointer, stockLocate: StockLocate, trackingNumber: UInt16 = 0,
        timestamp: VenueTime, mpid: ITCH.Alpha4, stock: Symbol, primaryMarketMaker: UInt8,
        marketMakerMode: UInt8, marketParticipantState: UInt8
    ) -> Int? {
        guard let w = Writer(out, .marketParticipantPosition, stockLocate, trackingNumber, timestamp) else { return nil }
        w.u32(11, mpid.rawValue)
        w.u64(15, stock.rawValue)
        w.u8(23, primaryMarketMaker)
        w.u8(24, marketMakerMode)
        w.u8(25, marketParticipantState)
        return w.length
    }

    /// Levels are Price(8): 8 implied decimals.
    public static func mwcpDeclineLevel(
        into out: UnsafeMutableRawBufferPointer, stockLocate: StockLocate = StockLocate(rawValue: 0),
        trackingNumber: UInt16 = 0, timestamp: VenueTime, level1Raw: UInt64, level2Raw: UInt64, level3Raw: UInt64
    ) -> Int? {
        guard let w = Writer(out, .mwcpDeclineLevel, stockLocate, trackingNumber, timestamp) else { return nil }
        w.u64(11, level1Raw)
        w.u64(19, level2Raw)
        w.u64(27, level3Raw)
        return w.length
    }

    public static func mwcpStatus(
        into out: UnsafeMutableRawBufferPointer, stockLocate: StockLocate = StockLocate(rawValue: 0),
        trackingNumber: UInt16 = 0, timestamp: VenueTime, breachedLevel: UInt8
    ) -> Int? {
        guard let w = Writer(out, .mwcpStatus, stockLocate, trackingNumber, timestamp) else { return nil }
        w.u8(11, breachedLevel)
        return w.length
    }

    public static func ipoQuotingPeriodUpdate(
        into out: UnsafeMutableRawBufferPointer, stockLocate: StockLocate, trackingNumber: UInt16 = 0,
        timestamp: VenueTime, stock: Symbol, ipoQuotationReleaseTime: UInt32,
        ipoQuotationReleaseQualifier: UInt8, ipoPrice: Price
    ) -> Int? {
        guard let price = wire(ipoPrice),
              let w = Writer(out, .ipoQuotingPeriodUpdate, stockLocate, trackingNumber, timestamp) else { return nil }
        w.u64(11, stock.rawValue)
        w.u32(19, ipoQuotationReleaseTime)
        w.u8(23, ipoQuotationReleaseQualifier)
        w.u32(24, price)
        return w.length
    }

    public static func luldAuctionCollar(
        into out: UnsafeMutableRawBufferPointer, stockLocate: StockLocate, trackingNumber: UInt16 = 0,
        timestamp: VenueTime, stock: Symbol, auctionCollarReferencePrice: Price, upperAuctionCollarPrice: Price,
        lowerAuctionCollarPrice: Price, auctionCollarExtension: UInt32
    ) -> Int? {
        guard let reference = wire(auctionCollarReferencePrice), let upper = wire(upperAuctionCollarPrice),
              let lower = wire(lowerAuctionCollarPrice),
              let w = Writer(out, .luldAuctionCollar, stockLocate, trackingNumber, timestamp) else { return nil }
        w.u64(11, stock.rawValue)
        w.u32(19, reference)
        w.u32(23, upper)
        w.u32(27, lower)
        w.u32(31, auctionCollarExtension)
        return w.length
    }

    public static func operationalHalt(
        into out: UnsafeMutableRawBufferPointer, stockLocate: StockLocate, trackingNumber: UInt16 = 0,
        timestamp: VenueTime, stock: Symbol, marketCode: UInt8, operationalHaltAction: UInt8
    ) -> Int? {
        guard let w = Writer(out, .operationalHalt, stockLocate, trackingNumber, timestamp) else { return nil }
        w.u64(11, stock.rawValue)
        w.u8(19, marketCode)
        w.u8(20, operationalHaltAction)
        return w.length
    }

    // MARK: Order book messages

    public static func addOrder(
        into out: UnsafeMutableRawBufferPointer, stockLocate: StockLocate, trackingNumber: UInt16 = 0,
        timestamp: VenueTime, orderRef: OrderRef, side: Side, shares: Shares, stock: Symbol, price: Price
    ) -> Int? {
        guard let px = wire(price),
              let w = Writer(out, .addOrder, stockLocate, trackingNumber, timestamp) else { return nil }
        w.u64(11, orderRef.rawValue)
        w.u8(19, side.rawValue)
        w.u32(20, shares.rawValue)
        w.u64(24, stock.rawValue)
        w.u32(32, px)
        return w.length
    }

    public static func addOrderMPID(
        into out: UnsafeMutableRawBufferPointer, stockLocate: StockLocate, trackingNumber: UInt16 = 0,
        timestamp: VenueTime, orderRef: OrderRef, side: Side, shares: Shares, stock: Symbol, price: Price,
        attribution: ITCH.Alpha4
    ) -> Int? {
        guard let px = wire(price),
              let w = Writer(out, .addOrderMPID, stockLocate, trackingNumber, timestamp) else { return nil }
        w.u64(11, orderRef.rawValue)
        w.u8(19, side.rawValue)
        w.u32(20, shares.rawValue)
        w.u64(24, stock.rawValue)
        w.u32(32, px)
        w.u32(36, attribution.rawValue)
        return w.length
    }

    public static func orderExecuted(
        into out: UnsafeMutableRawBufferPointer, stockLocate: StockLocate, trackingNumber: UInt16 = 0,
        timestamp: VenueTime, orderRef: OrderRef, executedShares: Shares, matchNumber: UInt64
    ) -> Int? {
        guard let w = Writer(out, .orderExecuted, stockLocate, trackingNumber, timestamp) else { return nil }
        w.u64(11, orderRef.rawValue)
        w.u32(19, executedShares.rawValue)
        w.u64(23, matchNumber)
        return w.length
    }

    public static func orderExecutedWithPrice(
        into out: UnsafeMutableRawBufferPointer, stockLocate: StockLocate, trackingNumber: UInt16 = 0,
        timestamp: VenueTime, orderRef: OrderRef, executedShares: Shares, matchNumber: UInt64,
        printable: UInt8, executionPrice: Price
    ) -> Int? {
        guard let px = wire(executionPrice),
              let w = Writer(out, .orderExecutedWithPrice, stockLocate, trackingNumber, timestamp) else { return nil }
        w.u64(11, orderRef.rawValue)
        w.u32(19, executedShares.rawValue)
        w.u64(23, matchNumber)
        w.u8(31, printable)
        w.u32(32, px)
        return w.length
    }

    public static func orderCancel(
        into out: UnsafeMutableRawBufferPointer, stockLocate: StockLocate, trackingNumber: UInt16 = 0,
        timestamp: VenueTime, orderRef: OrderRef, cancelledShares: Shares
    ) -> Int? {
        guard let w = Writer(out, .orderCancel, stockLocate, trackingNumber, timestamp) else { return nil }
        w.u64(11, orderRef.rawValue)
        w.u32(19, cancelledShares.rawValue)
        return w.length
    }

    public static func orderDelete(
        into out: UnsafeMutableRawBufferPointer, stockLocate: StockLocate, trackingNumber: UInt16 = 0,
        timestamp: VenueTime, orderRef: OrderRef
    ) -> Int? {
        guard let w = Writer(out, .orderDelete, stockLocate, trackingNumber, timestamp) else { return nil }
        w.u64(11, orderRef.rawValue)
        return w.length
    }

    public static func orderReplace(
        into out: UnsafeMutableRawBufferPointer, stockLocate: StockLocate, trackingNumber: UInt16 = 0,
        timestamp: VenueTime, originalOrderRef: OrderRef, newOrderRef: OrderRef, shares: Shares, price: Price
    ) -> Int? {
        guard let px = wire(price),
              let w = Writer(out, .orderReplace, stockLocate, trackingNumber, timestamp) else { return nil }
        w.u64(11, originalOrderRef.rawValue)
        w.u64(19, newOrderRef.rawValue)
        w.u32(27, shares.rawValue)
        w.u32(31, px)
        return w.length
    }

    // MARK: Trade messages

    public static func trade(
        into out: UnsafeMutableRawBufferPointer, stockLocate: StockLocate, trackingNumber: UInt16 = 0,
        timestamp: VenueTime, orderRef: OrderRef, side: Side, shares: Shares, stock: Symbol, price: Price,
        matchNumber: UInt64
    ) -> Int? {
        guard let px = wire(price),
              let w = Writer(out, .trade, stockLocate, trackingNumber, timestamp) else { return nil }
        w.u64(11, orderRef.rawValue)
        w.u8(19, side.rawValue)
        w.u32(20, shares.rawValue)
        w.u64(24, stock.rawValue)
        w.u32(32, px)
        w.u64(36, matchNumber)
        return w.length
    }

    public static func crossTrade(
        into out: UnsafeMutableRawBufferPointer, stockLocate: StockLocate, trackingNumber: UInt16 = 0,
        timestamp: VenueTime, shares: UInt64, stock: Symbol, crossPrice: Price, matchNumber: UInt64,
        crossType: UInt8
    ) -> Int? {
        guard let px = wire(crossPrice),
              let w = Writer(out, .crossTrade, stockLocate, trackingNumber, timestamp) else { return nil }
        w.u64(11, shares)
        w.u64(19, stock.rawValue)
        w.u32(27, px)
        w.u64(31, matchNumber)
        w.u8(39, crossType)
        return w.length
    }

    public static func brokenTrade(
        into out: UnsafeMutableRawBufferPointer, stockLocate: StockLocate, trackingNumber: UInt16 = 0,
        timestamp: VenueTime, matchNumber: UInt64
    ) -> Int? {
        guard let w = Writer(out, .brokenTrade, stockLocate, trackingNumber, timestamp) else { return nil }
        w.u64(11, matchNumber)
        return w.length
    }

    // MARK: Auction and retail messages

    public static func noii(
        into out: UnsafeMutableRawBufferPointer, stockLocate: StockLocate, trackingNumber: UInt16 = 0,
        timestamp: VenueTime, pairedShares: UInt64, imbalanceShares: UInt64, imbalanceDirection: UInt8,
        stock: Symbol, farPrice: Price, nearPrice: Price, currentReferencePrice: Price, crossType: UInt8,
        priceVariationIndicator: UInt8
    ) -> Int? {
        guard let far = wire(farPrice), let near = wire(nearPrice), let reference = wire(currentReferencePrice),
              let w = Writer(out, .noii, stockLocate, trackingNumber, timestamp) else { return nil }
        w.u64(11, pairedShares)
        w.u64(19, imbalanceShares)
        w.u8(27, imbalanceDirection)
        w.u64(28, stock.rawValue)
        w.u32(36, far)
        w.u32(40, near)
        w.u32(44, reference)
        w.u8(48, crossType)
        w.u8(49, priceVariationIndicator)
        return w.length
    }

    public static func retailInterest(
        into out: UnsafeMutableRawBufferPointer, stockLocate: StockLocate, trackingNumber: UInt16 = 0,
        timestamp: VenueTime, stock: Symbol, interestFlag: UInt8
    ) -> Int? {
        guard let w = Writer(out, .retailInterest, stockLocate, trackingNumber, timestamp) else { return nil }
        w.u64(11, stock.rawValue)
        w.u8(19, interestFlag)
        return w.length
    }

    public static func directListingCapitalRaise(
        into out: UnsafeMutableRawBufferPointer, stockLocate: StockLocate, trackingNumber: UInt16 = 0,
        timestamp: VenueTime, stock: Symbol, openEligibilityStatus: UInt8, minimumAllowablePrice: Price,
        maximumAllowablePrice: Price, nearExecutionPrice: Price, nearExecutionTime: UInt64,
        lowerPriceRangeCollar: Price, upperPriceRangeCollar: Price
    ) -> Int? {
        guard let minimum = wire(minimumAllowablePrice), let maximum = wire(maximumAllowablePrice),
              let near = wire(nearExecutionPrice), let lower = wire(lowerPriceRangeCollar),
              let upper = wire(upperPriceRangeCollar),
              let w = Writer(out, .directListingCapitalRaise, stockLocate, trackingNumber, timestamp) else { return nil }
        w.u64(11, stock.rawValue)
        w.u8(19, openEligibilityStatus)
        w.u32(20, minimum)
        w.u32(24, maximum)
        w.u32(28, near)
        w.u64(32, nearExecutionTime)
        w.u32(40, lower)
        w.u32(44, upper)
        return w.length
    }

    // MARK: Writing

    /// Price(4) on the wire, or nil when the price does not fit.
    private static func wire(_ price: Price) -> UInt32? { UInt32(exactly: price.rawValue) }

    /// Big-endian stores at fixed offsets into a buffer already checked to hold `length` bytes.
    private struct Writer {
        let p: UnsafeMutableRawPointer
        let length: Int

        /// Checks room and the timestamp, then writes the common header.
        init?(_ out: UnsafeMutableRawBufferPointer, _ type: ITCH.MessageType, _ locate: StockLocate,
              _ tracking: UInt16, _ time: VenueTime) {
            length = type.length
            guard out.count >= length, let base = out.baseAddress, time.nanosSinceMidnight >> 48 == 0 else { return nil }
            p = base
            u8(0, type.rawValue)
            u16(1, locate.rawValue)
            u16(3, tracking)
            u16(5, UInt16(truncatingIfNeeded: time.nanosSinceMidnight >> 32))
            u32(7, UInt32(truncatingIfNeeded: time.nanosSinceMidnight))
        }

        func u8(_ o: Int, _ v: UInt8) { p.storeBytes(of: v, toByteOffset: o, as: UInt8.self) }
        func u16(_ o: Int, _ v: UInt16) { p.storeBytes(of: v.bigEndian, toByteOffset: o, as: UInt16.self) }
        func u32(_ o: Int, _ v: UInt32) { p.storeBytes(of: v.bigEndian, toByteOffset: o, as: UInt32.self) }
        func u64(_ o: Int, _ v: UInt64) { p.storeBytes(of: v.bigEndian, toByteOffset: o, as: UInt64.self) }
    }
}
