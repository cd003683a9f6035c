// TotalView-ITCH 5.0: hand-built hex fixtures for every message type (every field checked, and
// the encoder must reproduce each fixture byte for byte), the dispatcher and its counters, the
// BinaryFILE walker over the real files in ../shared/data, damage (wrong lengths, unknown types,
// truncation, random bytes) and the loader's errors.

import Foundation
import Testing
import MarketData
import TickwireCore

// MARK: - Tests

@Suite("ITCH 5.0")
struct ITCHTests {
    // MARK: Table, symbols

    @Test func lengthTableMatchesTheCheckedLengths() {
        let expected: [Character: Int] = [
            "S": 12, "R": 39, "H": 25, "Y": 20, "L": 26, "V": 35, "W": 12, "K": 28, "J": 35, "h": 21, "A": 36, "F": 40,
            "E": 31, "C": 36, "X": 23, "D": 19, "U": 35, "P": 44, "Q": 40, "B": 19, "I": 50, "N": 20, "O": 48,
        ]
        for byte in 0...255 {
            let want = expected[Character(Unicode.Scalar(UInt8(byte)))] ?? 0
            #expect(ITCH.messageLength(type: UInt8(byte)) == want, "type 0x\(String(byte, radix: 16))")
        }
        #expect(ITCH.MessageType.allCases.count == 23)
        for type in ITCH.MessageType.allCases {
            #expect(type.length == expected[type.letter], "\(type)")
            #expect(fixture(type).count == type.length, "fixture \(type.letter)")
            #expect(fixture(type).first == type.rawValue)
        }
        #expect(ITCH.AddOrder.length == 36 && ITCH.NOII.length == 50 && ITCH.OperationalHalt.messageType.letter == "h")
    }

    @Test func symbols() {
        let aapl = Symbol("AAPL")
        #expect(aapl.rawValue == 0x4141_504C_2020_2020)
        #expect(aapl.description == "AAPL")
        #expect(aapl == "AAPL")
        #expect(Symbol("ABCDEFGHIJ").description == "ABCDEFGH")
        #expect(Symbol("BRK A").description == "BRK A")
        #expect(Symbol("") == .blank && Symbol.blank.description == "")
        #expect(Symbol("AAPL") < Symbol("AAPLX") && Symbol("AAPLX") < Symbol("AB"))
        #expect(ITCH.Alpha4("NITE").rawValue == 0x4E49_5445 && ITCH.Alpha4("GS").description == "GS")
        #expect(ITCH.Alpha2("Z").rawValue == 0x5A20 && ITCH.Alpha2("Z").description == "Z")
        #expect(MemoryLayout<Symbol>.size == 8)
    }

    // MARK: One fixture per type: every field, then the encoder reproduces the fixture

    @Test func systemEvent() throws {
        let bytes = fixture(.systemEvent)
        try withMessage(ITCH.SystemEvent.self, bytes) { m in #expect(m.eventCode == UInt8(ascii: "Q")) }
        #expect(encoded { ITCHEncoder.systemEvent(into: $0, stockLocate: locate, trackingNumber: tracking,
                                                  timestamp: stamp, eventCode: UInt8(ascii: "Q")) } == bytes)
    }

    @Test func stockDirectory() throws {
        let bytes = fixture(.stockDirectory)
        try withMessage(ITCH.StockDirectory.self, bytes) { m in
            #expect(m.stock == "AAPL")
            #expect(m.marketCategory == UInt8(ascii: "Q"))
            #expect(m.financialStatusIndicator == UInt8(ascii: "N"))
            #expect(m.roundLotSize == 100)
            #expect(m.roundLotsOnly == UInt8(ascii: "N"))
            #expect(m.issueClassification == UInt8(ascii: "C"))
            #expect(m.issueSubType == "Z")
            #expect(m.authenticity == UInt8(ascii: "P"))
            #expect(m.shortSaleThresholdIndicator == UInt8(ascii: "N"))
            #expect(m.ipoFlag == UInt8(ascii: "N"))
            #expect(m.luldReferencePriceTier == UInt8(ascii: "1"))
            #expect(m.etpFlag == UInt8(ascii: "N"))
            #expect(m.etpLeverageFactor == 2)
            #expect(m.inverseIndicator == UInt8(ascii: "N"))
        }
        let n = UInt8(ascii: "N")
        #expect(encoded {
            ITCHEncoder.stockDirectory(
                into: $0, stockLocate: locate, trackingNumber: tracking, timestamp: stamp, stock: "AAPL",
                marketCategory: UInt8(ascii: "Q"), financialStatusIndicator: n, roundLotSize: 100, roundLotsOnly: n,
                issueClassification: UInt8(ascii: "C"), issueSubType: "Z", authenticity: UInt8(ascii: "P"),
                shortSaleThresholdIndicator: n, ipoFlag: n, luldReferencePriceTier: UInt8(ascii: "1"), etpFlag: n,
                etpLeverageFactor: 2, inverseIndicator: n)
        } == bytes)
    }

    @Test func stockTradingAction() throws {
        let bytes = fixture(.stockTradingAction)
        try withMessage(ITCH.StockTradingAction.self, bytes) { m in
            #expect(m.stock == "ZVZZT")
            #expect(m.tradingState == UInt8(ascii: "T"))
            #expect(m.reserved == 0x20)
            #expect(m.reason == "IPO1")
        }
        #expect(encoded {
            ITCHEncoder.stockTradingAction(into: $0, stockLocate: locate, trackingNumber: tracking, timestamp: stamp,
                                           stock: "ZVZZT", tradingState: UInt8(ascii: "T"), reason: "IPO1")
        } == bytes)
    }

    @Test func regSHORestriction() throws {
        let bytes = fixture(.regSHORestriction)
        try withMessage(ITCH.RegSHORestriction.self, bytes) { m in
            #expect(m.stock == "QQQ")
            #expect(m.regSHOAction == UInt8(ascii: "1"))
        }
        #expect(encoded {
            ITCHEncoder.regSHORestriction(into: $0, stockLocate: locate, trackingNumber: tracking, timestamp: stamp,
                                          stock: "QQQ", regSHOAction: UInt8(ascii: "1"))
        } == bytes)
    }

    @Test func marketParticipantPosition() throws {
        let bytes = fixture(.marketParticipantPosition)
        try withMessage(ITCH.MarketParticipantPosition.self, bytes) { m in
            #expect(m.mpid == "GSCO")
            #expect(m.stock == "MSFT")
            #expect(m.primaryMarketMaker == UInt8(ascii: "Y"))
            #expect(m.marketMakerMode == UInt8(ascii: "N"))
            #expect(m.marketParticipantState == UInt8(ascii: "A"))
        }
        #expect(encoded {
            ITCHEncoder.marketParticipantPosition(
                into: $0, stockLocate: locate, trackingNumber: tracking, timestamp: stamp, mpid: "GSCO", stock: "MSFT",
                primaryMarketMaker: UInt8(ascii: "Y"), marketMakerMode: UInt8(ascii: "N"),
                marketParticipantState: UInt8(ascii: "A"))
        } == bytes)
    }

    @Test func mwcpDeclineLevel() throws {
        let bytes = fixture(.mwcpDeclineLevel)
        try withMessage(ITCH.MWCPDeclineLevel.self, bytes) { m in
            #expect(m.level1Raw == 300_012_345_678)
            #expect(m.level2Raw == 250_000_000_000)
            #expect(m.level3Raw == 180_000_000_000)
            #expect(m.level1 == Price(rawValue: 30_001_234))  // 3000.1234: Price(4) truncates
            #expect(m.level2 == Price(rawValue: 25_000_000))
            #expect(m.level3 == Price(rawValue: 18_000_000))
        }
        #expect(encoded {
            ITCHEncoder.mwcpDeclineLevel(into: $0, stockLocate: locate, trackingNumber: tracking, timestamp: stamp,
                                         level1Raw: 300_012_345_678, level2Raw: 250_000_000_000,
                                         level3Raw: 180_000_000_000)
        } == bytes)
    }

    @Test func mwcpStatus() throws {
        let bytes = fixture(.mwcpStatus)
        try withMessage(ITCH.MWCPStatus.self, bytes) { m in #expect(m.breachedLevel == UInt8(ascii: "2")) }
        #expect(encoded {
            ITCHEncoder.mwcpStatus(into: $0, stockLocate: locate, trackingNumber: tracking, timestamp: stamp,
                                   breachedLevel: UInt8(ascii: "2"))
        } == bytes)
    }

    @Test func ipoQuotingPeriodUpdate() throws {
        let bytes = fixture(.ipoQuotingPeriodUpdate)
        try withMessage(ITCH.IPOQuotingPeriodUpdate.self, bytes) { m in
            #expect(m.stock == "NEWCO")
            #expect(m.ipoQuotationReleaseTime == 36_000)
            #expect(m.ipoQuotationReleaseQualifier == UInt8(ascii: "A"))
            #expect(m.ipoPrice == Price(rawValue: 250_000))
        }
        #expect(encoded {
            ITCHEncoder.ipoQuotingPeriodUpdate(
                into: $0, stockLocate: locate, trackingNumber: tracking, timestamp: stamp, stock: "NEWCO",
                ipoQuotationReleaseTime: 36_000, ipoQuotationReleaseQualifier: UInt8(ascii: "A"),
                ipoPrice: Price(rawValue: 250_000))
        } == bytes)
    }

    @Test func luldAuctionCollar() throws {
        let bytes = fixture(.luldAuctionCollar)
        try withMessage(ITCH.LULDAuctionCollar.self, bytes) { m in
            #expect(m.stock == "GME")
            #expect(m.auctionCollarReferencePrice == Price(rawValue: 205_000))
            #expect(m.upperAuctionCollarPrice == Price(rawValue: 225_500))
            #expect(m.lowerAuctionCollarPrice == Price(rawValue: 184_500))
            #expect(m.auctionCollarExtension == 3)
        }
        #expect(encoded {
            ITCHEncoder.luldAuctionCollar(
                into: $0, stockLocate: locate, trackingNumber: tracking, timestamp: stamp, stock: "GME",
                auctionCollarReferencePrice: Price(rawValue: 205_000), upperAuctionCollarPrice: Price(rawValue: 225_500),
                lowerAuctionCollarPrice: Price(rawValue: 184_500), auctionCollarExtension: 3)
        } == bytes)
    }

    @Test func operationalHalt() throws {
        let bytes = fixture(.operationalHalt)
        try withMessage(ITCH.OperationalHalt.self, bytes) { m in
            #expect(m.stock == "TSLA")
            #expect(m.marketCode == UInt8(ascii: "Q"))
            #expect(m.operationalHaltAction == UInt8(ascii: "H"))
        }
        #expect(encoded {
            ITCHEncoder.operationalHalt(into: $0, stockLocate: locate, trackingNumber: tracking, timestamp: stamp,
                                        stock: "TSLA", marketCode: UInt8(ascii: "Q"),
                                        operationalHaltAction: UInt8(ascii: "H"))
        } == bytes)
    }

    @Test func addOrder() throws {
        let bytes = fixture(.addOrder)
        try withMessage(ITCH.AddOrder.self, bytes) { m in
            #expect(m.orderRef == OrderRef(rawValue: 0x0102_0304_0506_0708))
            #expect(m.sideByte == UInt8(ascii: "B"))
            #expect(m.side == .buy)
            #expect(m.shares == Shares(rawValue: 100_000))
            #expect(m.stock == "AAPL")
            #expect(m.price == Price(rawValue: 1_501_234))
            #expect(m.price.description == "150.1234")
        }
        #expect(encoded {
            ITCHEncoder.addOrder(into: $0, stockLocate: locate, trackingNumber: tracking, timestamp: stamp,
                                 orderRef: OrderRef(rawValue: 0x0102_0304_0506_0708), side: .buy,
                                 shares: Shares(rawValue: 100_000), stock: "AAPL", price: Price(rawValue: 1_501_234))
        } == bytes)
    }

    @Test func addOrderMPID() throws {
        let bytes = fixture(.addOrderMPID)
        try withMessage(ITCH.AddOrderMPID.self, bytes) { m in
            #expect(m.orderRef == OrderRef(rawValue: 0x1122_3344_5566_7788))
            #expect(m.sideByte == UInt8(ascii: "S"))
            #expect(m.side == .sell)
            #expect(m.shares == Shares(rawValue: 300))
            #expect(m.stock == "SPY")
            #expect(m.price == Price(rawValue: 3_218_600))
            #expect(m.attribution == "NITE")
        }
        #expect(encoded {
            ITCHEncoder.addOrderMPID(into: $0, stockLocate: locate, trackingNumber: tracking, timestamp: stamp,
                                     orderRef: OrderRef(rawValue: 0x1122_3344_5566_7788), side: .sell,
                                     shares: Shares(rawValue: 300), stock: "SPY", price: Price(rawValue: 3_218_600),
                                     attribution: "NITE")
        } == bytes)
    }

    @Test func orderExecuted() throws {
        let bytes = fixture(.orderExecuted)
        try withMessage(ITCH.OrderExecuted.self, bytes) { m in
            #expect(m.orderRef == OrderRef(rawValue: 0x0102_0304_0506_0708))
            #expect(m.executedShares == Shares(rawValue: 100))
            #expect(m.matchNumber == 123_456_789)
        }
        #expect(encoded {
            ITCHEncoder.orderExecuted(into: $0, stockLocate: locate, trackingNumber: tracking, timestamp: stamp,
                                      orderRef: OrderRef(rawValue: 0x0102_0304_0506_0708),
                                      executedShares: Shares(rawValue: 100), matchNumber: 123_456_789)
        } == bytes)
    }

    @Test func orderExecutedWithPrice() throws {
        let bytes = fixture(.orderExecutedWithPrice)
        try withMessage(ITCH.OrderExecutedWithPrice.self, bytes) { m in
            #expect(m.orderRef == OrderRef(rawValue: 0x0102_0304_0506_0708))
            #expect(m.executedShares == Shares(rawValue: 50))
            #expect(m.matchNumber == 123_456_790)
            #expect(m.printable == UInt8(ascii: "Y"))
            #expect(m.isPrintable)
            #expect(m.executionPrice == Price(rawValue: 1_501_300))
        }
        #expect(encoded {
            ITCHEncoder.orderExecutedWithPrice(
                into: $0, stockLocate: locate, trackingNumber: tracking, timestamp: stamp,
                orderRef: OrderRef(rawValue: 0x0102_0304_0506_0708), executedShares: Shares(rawValue: 50),
                matchNumber: 123_456_790, printable: UInt8(ascii: "Y"), executionPrice: Price(rawValue: 1_501_300))
        } == bytes)
    }

    @Test func orderCancel() throws {
        let bytes = fixture(.orderCancel)
        try withMessage(ITCH.OrderCancel.self, bytes) { m in
            #expect(m.orderRef == OrderRef(rawValue: 0x0102_0304_0506_0708))
            #expect(m.cancelledShares == Shares(rawValue: 25))
        }
        #expect(encoded {
            ITCHEncoder.orderCancel(into: $0, stockLocate: locate, trackingNumber: tracking, timestamp: stamp,
                                    orderRef: OrderRef(rawValue: 0x0102_0304_0506_0708),
                                    cancelledShares: Shares(rawValue: 25))
        } == bytes)
    }

    @Test func orderDelete() throws {
        let bytes = fixture(.orderDelete)
        try withMessage(ITCH.OrderDelete.self, bytes) { m in
            #expect(m.orderRef == OrderRef(rawValue: 0x0102_0304_0506_0708))
        }
        #expect(encoded {
            ITCHEncoder.orderDelete(into: $0, stockLocate: locate, trackingNumber: tracking, timestamp: stamp,
                                    orderRef: OrderRef(rawValue: 0x0102_0304_0506_0708))
        } == bytes)
    }

    @Test func orderReplace() throws {
        let bytes = fixture(.orderReplace)
        try withMessage(ITCH.OrderReplace.self, bytes) { m in
            #expect(m.originalOrderRef == OrderRef(rawValue: 0x0102_0304_0506_0708))
            #expect(m.newOrderRef == OrderRef(rawValue: 0x0102_0304_0506_0709))
            #expect(m.shares == Shares(rawValue: 200))
            #expect(m.price == Price(rawValue: 1_502_000))
        }
        #expect(encoded {
            ITCHEncoder.orderReplace(into: $0, stockLocate: locate, trackingNumber: tracking, timestamp: stamp,
                                     originalOrderRef: OrderRef(rawValue: 0x0102_0304_0506_0708),
                                     newOrderRef: OrderRef(rawValue: 0x0102_0304_0506_0709),
                                     shares: Shares(rawValue: 200), price: Price(rawValue: 1_502_000))
        } == bytes)
    }

    @Test func trade() throws {
        let bytes = fixture(.trade)
        try withMessage(ITCH.Trade.self, bytes) { m in
            #expect(m.orderRef == OrderRef(rawValue: 0x0A0B_0C0D_0E0F_1011))
            #expect(m.sideByte == UInt8(ascii: "S"))
            #expect(m.side == .sell)
            #expect(m.shares == Shares(rawValue: 400))
            #expect(m.stock == "AMZN")
            #expect(m.price == Price(rawValue: 18_478_400))
            #expect(m.matchNumber == 123_456_791)
        }
        #expect(encoded {
            ITCHEncoder.trade(into: $0, stockLocate: locate, trackingNumber: tracking, timestamp: stamp,
                              orderRef: OrderRef(rawValue: 0x0A0B_0C0D_0E0F_1011), side: .sell,
                              shares: Shares(rawValue: 400), stock: "AMZN", price: Price(rawValue: 18_478_400),
                              matchNumber: 123_456_791)
        } == bytes)
    }

    @Test func crossTrade() throws {
        let bytes = fixture(.crossTrade)
        try withMessage(ITCH.CrossTrade.self, bytes) { m in
            #expect(m.shares == 1 << 32)
            #expect(m.stock == "AAPL")
            #expect(m.crossPrice == Price(rawValue: 2_900_000))
            #expect(m.matchNumber == 123_456_792)
            #expect(m.crossType == UInt8(ascii: "O"))
        }
        #expect(encoded {
            ITCHEncoder.crossTrade(into: $0, stockLocate: locate, trackingNumber: tracking, timestamp: stamp,
                                   shares: 1 << 32, stock: "AAPL", crossPrice: Price(rawValue: 2_900_000),
                                   matchNumber: 123_456_792, crossType: UInt8(ascii: "O"))
        } == bytes)
    }

    @Test func brokenTrade() throws {
        let bytes = fixture(.brokenTrade)
        try withMessage(ITCH.BrokenTrade.self, bytes) { m in #expect(m.matchNumber == 123_456_789) }
        #expect(encoded {
            ITCHEncoder.brokenTrade(into: $0, stockLocate: locate, trackingNumber: tracking, timestamp: stamp,
                                    matchNumber: 123_456_789)
        } == bytes)
    }

    @Test func noii() throws {
        let bytes = fixture(.noii)
        try withMessage(ITCH.NOII.self, bytes) { m in
            #expect(m.pairedShares == 200_000)
            #expect(m.imbalanceShares == 1_000)
            #expect(m.imbalanceDirection == UInt8(ascii: "B"))
            #expect(m.stock == "AAPL")
            #expect(m.farPrice == Price(rawValue: 2_905_000))
            #expect(m.nearPrice == Price(rawValue: 2_902_500))
            #expect(m.currentReferencePrice == Price(rawValue: 2_901_000))
            #expect(m.crossType == UInt8(ascii: "O"))
            #expect(m.priceVariationIndicator == UInt8(ascii: "L"))
        }
        #expect(encoded {
            ITCHEncoder.noii(into: $0, stockLocate: locate, trackingNumber: tracking, timestamp: stamp,
                             pairedShares: 200_000, imbalanceShares: 1_000, imbalanceDirection: UInt8(ascii: "B"),
                             stock: "AAPL", farPrice: Price(rawValue: 2_905_000), nearPrice: Price(rawValue: 2_902_500),
                             currentReferencePrice: Price(rawValue: 2_901_000), crossType: UInt8(ascii: "O"),
                             priceVariationIndicator: UInt8(ascii: "L"))
        } == bytes)
    }

    @Test func retailInterest() throws {
        let bytes = fixture(.retailInterest)
        try withMessage(ITCH.RetailInterest.self, bytes) { m in
            #expect(m.stock == "IBM")
            #expect(m.interestFlag == UInt8(ascii: "A"))
        }
        #expect(encoded {
            ITCHEncoder.retailInterest(into: $0, stockLocate: locate, trackingNumber: tracking, timestamp: stamp,
                                       stock: "IBM", interestFlag: UInt8(ascii: "A"))
        } == bytes)
    }

    @Test func directListingCapitalRaise() throws {
        let bytes = fixture(.directListingCapitalRaise)
        try withMessage(ITCH.DirectListingCapitalRaise.self, bytes) { m in
            #expect(m.stock == "SPOT")
            #expect(m.openEligibilityStatus == UInt8(ascii: "Y"))
            #expect(m.minimumAllowablePrice == Price(rawValue: 1_000_000))
            #expect(m.maximumAllowablePrice == Price(rawValue: 1_500_000))
            #expect(m.nearExecutionPrice == Price(rawValue: 1_325_000))
            #expect(m.nearExecutionTime == 34_200_000_123_456)
            #expect(m.lowerPriceRangeCollar == Price(rawValue: 1_200_000))
            #expect(m.upperPriceRangeCollar == Price(rawValue: 1_450_000))
        }
        #expect(encoded {
            ITCHEncoder.directListingCapitalRaise(
                into: $0, stockLocate: locate, trackingNumber: tracking, timestamp: stamp, stock: "SPOT",
                openEligibilityStatus: UInt8(ascii: "Y"), minimumAllowablePrice: Price(rawValue: 1_000_000),
                maximumAllowablePrice: Price(rawValue: 1_500_000), nearExecutionPrice: Price(rawValue: 1_325_000),
                nearExecutionTime: 34_200_000_123_456, lowerPriceRangeCollar: Price(rawValue: 1_200_000),
                upperPriceRangeCollar: Price(rawValue: 1_450_000))
        } == bytes)
    }

    // MARK: Encoder round trips and refusals

    @Test func randomRoundTripsOfBookMessages() throws {
        var rng = SplitMix64(state: 0x7157_C4E0)
        var buffer = [UInt8](repeating: 0, count: 64)
        for _ in 0..<1_000 {
            let time = VenueTime(nanosSinceMidnight: UInt64.random(in: 0..<86_400_000_000_000, using: &rng))
            let loc = StockLocate(rawValue: .random(in: 1...UInt16.max, using: &rng))
            let ref = OrderRef(rawValue: rng.next()), ref2 = OrderRef(rawValue: rng.next())
            let side: Side = Bool.random(using: &rng) ? .buy : .sell
            let qty = Shares(rawValue: .random(in: 0...UInt32.max, using: &rng))
            let px = Price(rawValue: .random(in: 0...Int64(UInt32.max), using: &rng))
            let match = rng.next()
            let stock = Symbol(String((0..<Int.random(in: 1...8, using: &rng)).map { _ in
                Character(Unicode.Scalar(UInt8.random(in: 0x41...0x5A, using: &rng)))
            }))
            try buffer.withUnsafeMutableBytes { out in
                let raw = UnsafeRawBufferPointer(out)
                #expect(ITCHEncoder.addOrder(into: out, stockLocate: loc, timestamp: time, orderRef: ref, side: side,
                                             shares: qty, stock: stock, price: px) == 36)
                let a = try #require(ITCH.AddOrder(UnsafeRawBufferPointer(rebasing: raw[..<36])))
                #expect(a.stockLocate == loc && a.trackingNumber == 0 && a.timestamp == time && a.orderRef == ref
                        && a.side == side && a.shares == qty && a.stock == stock && a.price == px)

                #expect(ITCHEncoder.orderReplace(into: out, stockLocate: loc, timestamp: time, originalOrderRef: ref,
                                                 newOrderRef: ref2, shares: qty, price: px) == 35)
                let u = try #require(ITCH.OrderReplace(UnsafeRawBufferPointer(rebasing: raw[..<35])))
                #expect(u.timestamp == time && u.originalOrderRef == ref && u.newOrderRef == ref2 && u.shares == qty
                        && u.price == px)

                #expect(ITCHEncoder.orderExecutedWithPrice(into: out, stockLocate: loc, timestamp: time, orderRef: ref,
                                                           executedShares: qty, matchNumber: match,
                                                           printable: UInt8(ascii: "N"), executionPrice: px) == 36)
                let c = try #require(ITCH.OrderExecutedWithPrice(UnsafeRawBufferPointer(rebasing: raw[..<36])))
                #expect(c.orderRef == ref && c.executedShares == qty && c.matchNumber == match && !c.isPrintable
                        && c.executionPrice == px)

                #expect(ITCHEncoder.trade(into: out, stockLocate: loc, timestamp: time, orderRef: ref, side: side,
                                          shares: qty, stock: stock, price: px, matchNumber: match) == 44)
                let p = try #require(ITCH.Trade(UnsafeRawBufferPointer(rebasing: raw[..<44])))
                #expect(p.orderRef == ref && p.side == side && p.shares == qty && p.stock == stock && p.price == px
                        && p.matchNumber == match)
            }
        }
    }

    @Test func encoderRefusesWhatDoesNotFit() {
        var buffer = [UInt8](repeating: 0xEE, count: 64)
        buffer.withUnsafeMutableBytes { out in
            let short = UnsafeMutableRawBufferPointer(rebasing: out[..<35])
            let add = { (o: UnsafeMutableRawBufferPointer, px: Price, t: VenueTime) in
                ITCHEncoder.addOrder(into: o, stockLocate: locate, timestamp: t, orderRef: OrderRef(rawValue: 1),
                                     side: .buy, shares: Shares(rawValue: 1), stock: "A", price: px)
            }
            #expect(add(short, Price(rawValue: 1), stamp) == nil)                        // 35 < 36 bytes
            #expect(add(out, Price(rawValue: -1), stamp) == nil)                         // negative price
            #expect(add(out, Price(rawValue: Int64(UInt32.max) + 1), stamp) == nil)      // beyond Price(4)
            #expect(add(out, Price(rawValue: 1), VenueTime(nanosSinceMidnight: 1 << 48)) == nil)
            #expect(ITCHEncoder.orderDelete(into: UnsafeMutableRawBufferPointer(start: nil, count: 0), stockLocate: locate,
                                            timestamp: stamp, orderRef: OrderRef(rawValue: 1)) == nil)
        }
        #expect(buffer.allSatisfy { $0 == 0xEE }, "a refused encode writes nothing")
    }

    // MARK: Dispatch and counters

    @Test(arguments: ITCH.MessageType.allCases)
    func dispatchDeliversEachTypeToItsMethod(_ type: ITCH.MessageType) {
        let bytes = fixture(type)
        let (result, probe) = dispatched(bytes)
        #expect(result == .delivered(type.rawValue))
        #expect(probe.calls == 1 && probe.last == type)

        // One byte more or less: counted as a bad length, never decoded.
        for wrong in [bytes + [0], Array(bytes.dropLast()), Array(bytes.prefix(1))] {
            let (r, p) = dispatched(wrong)
            #expect(r == .badLength(type: type.rawValue, got: wrong.count))
            #expect(p.calls == 0)
        }
    }

    @Test func checkedInitRefusesWrongTypeOrLength() {
        let add = fixture(.addOrder)
        add.withUnsafeBytes { raw in
            #expect(ITCH.AddOrder(raw) != nil)
            #expect(ITCH.AddOrderMPID(raw) == nil)                                          // wrong type
            #expect(ITCH.AddOrder(UnsafeRawBufferPointer(rebasing: raw.dropLast())) == nil)  // short
            #expect(ITCH.AddOrder(UnsafeRawBufferPointer(start: nil, count: 0)) == nil)
        }
        (add + [0]).withUnsafeBytes { #expect(ITCH.AddOrder($0) == nil) }                  // long
    }

    @Test func unknownTypesEmptyMessagesAndCounters() {
        var counters = ITCHCounters()
        for byte: UInt8 in [0x00, 0x5A, 0x61, 0x7F, 0xFF, UInt8(ascii: "T"), UInt8(ascii: "G"), UInt8(ascii: "M")] {
            let (result, probe) = dispatched([byte] + [UInt8](repeating: 0, count: 35))
            #expect(result == .unknownType(byte))
            #expect(probe.calls == 0)
            counters.record(result)
        }
        let (empty, probe) = dispatched([])
        #expect(empty == .empty && probe.calls == 0)
        counters.record(empty)
        counters.record(dispatched(Array(fixture(.trade).dropLast())).0)
        for type in ITCH.MessageType.allCases {
            for _ in 0..<Int(type.length) { counters.record(dispatched(fixture(type)).0) }
        }
        #expect(counters.unknownType == 8 && counters.empty == 1 && counters.badLength == 1)
        #expect(counters.count(type: "A") == 36 && counters.count(type: "h") == 21 && counters.count(.noii) == 50)
        #expect(counters.count(type: "T") == 0 && counters.count(type: "é") == 0 && counters.count(typeByte: 0) == 0)
        let lengthSum = ITCH.MessageType.allCases.reduce(0) { $0 + UInt64($1.length) }
        #expect(counters.delivered == lengthSum)
        #expect(counters.total == lengthSum + 10)
        #expect(counters.byType.count == 23 && counters.byType.first?.type == "A" && counters.byType.last?.type == "h")
        #expect(MemoryLayout<ITCHCounters>.size == 64 * 8 + 4 * 8, "per-type counts are inline, not on the heap")
    }

    // MARK: Real files

    @Test func realSnippetWalksLengthPrefixed() throws {
        let bytes = try ITCHFile.load(path: snippetPath)
        #expect(bytes.count == 35_570)
        bytes.withUnsafeBytes { #expect(ITCHFileWalker.detect($0) == .lengthPrefixed) }

        for framing in [ITCHFileWalker.Framing.lengthPrefixed, .auto] {
            var check = Plausibility()
            let run = walk(bytes, framing: framing, handler: &check)
            let c = run.counters
            #expect(run.framing == .lengthPrefixed && run.status == .finished && run.messages == 1_000)
            #expect(c.count(type: "A") == 367 && c.count(type: "F") == 193 && c.count(type: "U") == 225)
            #expect(c.count(type: "D") == 167 && c.count(type: "E") == 28 && c.count(type: "X") == 6)
            #expect(c.count(type: "C") == 1 && c.count(type: "P") == 4 && c.count(type: "Q") == 4)
            #expect(c.count(type: "I") == 4 && c.count(type: "S") == 1)
            #expect(c.total == 1_000 && c.delivered == 1_000 && c.unknownType == 0 && c.badLength == 0 && c.empty == 0)
            #expect(c.byType.count == 11)

            // 09:30:00 is 34,200 s after midnight; the snippet spans its first 2.4 ms.
            #expect(check.outOfOrder == 0)
            let first = try #require(check.first)
            #expect(first >= 34_200_000_000_000 && first < 34_200_000_001_000)
            #expect(check.previous >= first && check.previous < 34_201_000_000_000)
            #expect(check.implausible.isEmpty, "\(check.implausible.prefix(10))")
        }

        // Spot checks of the first two messages, decoded by hand from the file's bytes:
        // 0013 | 44 0BE1 0000 1F1ACED9F0E6 00000000004A07EE
        // 001F | 45 06BB 0002 1F1ACED9FAC8 000000000077DE35 00000050 000000000000D0E6
        try bytes.withUnsafeBytes { raw in
            var walker = ITCHFileWalker(raw)
            let next1 = walker.next(), next2 = walker.next()
            let first = try #require(next1)
            let d = try #require(ITCH.OrderDelete(first))
            #expect(d.stockLocate == StockLocate(rawValue: 3041) && d.trackingNumber == 0)
            #expect(d.timestamp == VenueTime(nanosSinceMidnight: 34_200_000_000_230))
            #expect(d.orderRef == OrderRef(rawValue: 0x4A07EE))
            let second = try #require(next2)
            let e = try #require(ITCH.OrderExecuted(second))
            #expect(e.stockLocate == StockLocate(rawValue: 1723) && e.trackingNumber == 2)
            #expect(e.orderRef == OrderRef(rawValue: 0x77DE35) && e.executedShares == Shares(rawValue: 80))
            #expect(e.matchNumber == 0xD0E6)
        }
    }

    @Test func ritchFileWalksByTypeTable() throws {
        let bytes = try ITCHFile.load(path: ritchPath)
        #expect(bytes.count == 465_048)
        bytes.withUnsafeBytes { #expect(ITCHFileWalker.detect($0) == .typeTable) }

        var check = Plausibility()
        let run = walk(bytes, framing: .auto, handler: &check)
        let c = run.counters
        #expect(run.framing == .typeTable && run.status == .finished && run.messages == 12_012)
        #expect(c.total == 12_012 && c.delivered == 12_012 && c.unknownType == 0 && c.badLength == 0)
        // Its per-type counts: A 4997, D 1745, E 198, F 3, H 3, P 5000, R 3, S 6, U 12, X 45.
        let counts = Dictionary(uniqueKeysWithValues: c.byType.map { ($0.type, $0.count) })
        #expect(counts == ["A": 4997, "D": 1745, "E": 198, "F": 3, "H": 3, "P": 5000, "R": 3, "S": 6, "U": 12, "X": 45])
        #expect(check.outOfOrder == 0)
        #expect(check.implausible.isEmpty, "\(check.implausible.prefix(10))")
    }

    // MARK: Damage

    @Test func truncatedFilesStopCleanly() throws {
        let snippet = try ITCHFile.load(path: snippetPath)
        let ritch = try ITCHFile.load(path: ritchPath)
        for (bytes, framing) in [(snippet, ITCHFileWalker.Framing.lengthPrefixed), (ritch, .typeTable)] {
            // Where each message's prefix starts, and the end.
            var starts: [Int] = []
            bytes.withUnsafeBytes { raw in
                var walker = ITCHFileWalker(raw, framing: framing)
                while walker.next() != nil { starts.append(walker.offset) }
            }
            starts.insert(0, at: 0)
            let lastStart = starts[starts.count - 2]
            for cut in 1...(bytes.count - lastStart + 3) {
                let kept = bytes.count - cut
                var probe = Probe()
                let run = walk(Array(bytes[..<kept]), framing: framing, handler: &probe)
                let whole = starts.filter { $0 <= kept }.count - 1  // messages that fit entirely
                #expect(run.messages == whole && probe.calls == whole)
                let leftover = kept - starts[whole]
                #expect(run.status == (leftover == 0 ? .finished : .truncatedTail(remaining: leftover)), "cut \(cut)")
            }
        }
        // A single byte, and nothing at all.
        for framing in [ITCHFileWalker.Framing.lengthPrefixed, .typeTable, .auto] {
            [UInt8]([0]).withUnsafeBytes { raw in
                var walker = ITCHFileWalker(raw, framing: framing)
                let next = walker.next()
                #expect(next == nil && walker.truncatedTail && walker.status == .truncatedTail(remaining: 1))
            }
            [UInt8]().withUnsafeBytes { raw in
                var walker = ITCHFileWalker(raw, framing: framing)
                let next = walker.next()
                #expect(next == nil && walker.status == .finished && !walker.truncatedTail)
            }
        }
    }

    @Test func unknownTypeStopsTheTypeTableWalk() throws {
        var bytes = try ITCHFile.load(path: ritchPath)
        // Corrupt the 11th message's type byte.
        var offset = 0
        for _ in 0..<10 { offset += 2 + ITCH.messageLength(type: bytes[offset + 2]) }
        bytes[offset + 2] = UInt8(ascii: "Z")
        var probe = Probe()
        let run = walk(bytes, framing: .typeTable, handler: &probe)
        #expect(run.messages == 10 && probe.calls == 10)
        #expect(run.status == .unknownType(UInt8(ascii: "Z"), offset: offset))
    }

    @Test func wrongFramingIsSurvivedAndCounted() throws {
        // The RITCH file read as length-prefixed: every prefix is 0, so the walk yields empty and
        // garbage messages; it must end without trapping and deliver nothing it cannot check.
        let ritch = try ITCHFile.load(path: ritchPath)
        var probe = Probe()
        let run = walk(ritch, framing: .lengthPrefixed, handler: &probe)
        #expect(run.status != .walking)
        #expect(run.counters.total == UInt64(run.messages))
        #expect(run.counters.empty > 0)
        // The real snippet read by type table: its prefixes are nonzero, ignored; lengths still agree.
        let snippet = try ITCHFile.load(path: snippetPath)
        let run2 = walk(snippet, framing: .typeTable, handler: &probe)
        #expect(run2.status == .finished && run2.counters.delivered == 1_000)
    }

    @Test func randomBytesNeverTrap() {
        var rng = SplitMix64(state: 0x5EED_1757)
        let types = ITCH.MessageType.allCases
        let framings: [ITCHFileWalker.Framing] = [.lengthPrefixed, .typeTable, .auto]
        var counters = ITCHCounters()
        var expectedDelivered: UInt64 = 0
        var probe = Probe()
        var walked = 0
        for i in 0..<100_000 {
            // Half start with a known type byte; a third of those have exactly that type's length.
            let known = Bool.random(using: &rng)
            let type = known ? types.randomElement(using: &rng)!.rawValue : UInt8.random(in: 0...255, using: &rng)
            let count = known && Int.random(in: 0..<3, using: &rng) == 0
                ? ITCH.messageLength(type: type) : Int.random(in: 0...64, using: &rng)
            var bytes = (0..<count).map { _ in UInt8.random(in: 0...255, using: &rng) }
            if count > 0 { bytes[0] = type }
            if count > 0 && ITCH.messageLength(type: type) == count { expectedDelivered += 1 }

            let result = bytes.withUnsafeBytes { ITCH.dispatch($0, to: &probe) }
            counters.record(result)

            // The same bytes as a whole file, in each framing, each slice dispatched.
            bytes.withUnsafeBytes { raw in
                var walker = ITCHFileWalker(raw, framing: framings[i % 3])
                var fileCounters = ITCHCounters()
                while let m = walker.next() {
                    #expect(m.count <= raw.count)
                    fileCounters.record(ITCH.dispatch(m, to: &probe))
                }
                #expect(walker.status != .walking && walker.offset <= raw.count)
                #expect(fileCounters.total == UInt64(walker.messages))
                walked += walker.messages
            }
        }
        #expect(counters.total == 100_000)
        #expect(counters.delivered == expectedDelivered)
        #expect(UInt64(probe.calls) >= counters.delivered)
        #expect(walked > 0)
    }

    @Test func randomLongFilesNeverTrap() {
        // Files made of plausible prefixes and types with random bodies and lengths, in every framing.
        var rng = SplitMix64(state: 0xF11E)
        let types = ITCH.MessageType.allCases
        var probe = Probe()
        for i in 0..<1_000 {
            var bytes: [UInt8] = []
            for _ in 0..<Int.random(in: 0...60, using: &rng) {
                let type = Int.random(in: 0..<10, using: &rng) == 0
                    ? UInt8.random(in: 0...255, using: &rng) : types.randomElement(using: &rng)!.rawValue
                let length = Int.random(in: 0..<8, using: &rng) == 0
                    ? Int.random(in: 0...60, using: &rng) : ITCH.messageLength(type: type)
                let prefix = i % 2 == 0 ? UInt16(length) : 0
                bytes += [UInt8(prefix >> 8), UInt8(prefix & 0xFF), type]
                bytes += (0..<max(length - 1, 0)).map { _ in UInt8.random(in: 0...255, using: &rng) }
            }
            bytes = Array(bytes.dropLast(Int.random(in: 0...3, using: &rng)))  // maybe cut short
            for framing in [ITCHFileWalker.Framing.lengthPrefixed, .typeTable, .auto] {
                let run = walk(bytes, framing: framing, handler: &probe)
                #expect(run.status != .walking)
                #expect(run.counters.total == UInt64(run.messages))
            }
        }
    }

    // MARK: Loader

    @Test func loaderNamesTheCallAndPath() throws {
        let missing = "/nonexistent-tickwire/nothing.NASDAQ_ITCH50"
        let error = #expect(throws: SystemError.self) { try ITCHFile.load(path: missing) }
        #expect(error?.call == "open(\(missing))" && error?.errno == ENOENT)
        #expect(error?.description.contains(missing) == true)
        // A directory opens but cannot be read.
        let dirError = #expect(throws: SystemError.self) { try ITCHFile.load(path: "/") }
        #expect(dirError?.call == "read(/)" && dirError?.errno == EISDIR)
        // An empty file, and a file bigger than the first read buffer.
        let dir = FileManager.default.temporaryDirectory
        let empty = dir.appendingPathComponent("tw-itch-empty-\(getpid())")
        let big = dir.appendingPathComponent("tw-itch-big-\(getpid())")
        defer {
            try? FileManager.default.removeItem(at: empty)
            try? FileManager.default.removeItem(at: big)
        }
        try Data().write(to: empty)
        #expect(try ITCHFile.load(path: empty.path).isEmpty)
        let content = (0..<200_001).map { UInt8(truncatingIfNeeded: $0 &* 7) }
        try Data(content).write(to: big)
        #expect(try ITCHFile.load(path: big.path) == content)
    }
}

// MARK: - Helpers (members of the suite, so that their names cannot clash with other test files)

extension ITCHTests {
    // MARK: - Fixtures

    /// Bytes from hex text; spaces, newlines and "|" separate fields and are ignored.
    func hex(_ text: String) -> [UInt8] {
        let digits = text.filter { $0.isHexDigit }
        precondition(digits.count % 2 == 0, "odd hex: \(text)")
        var out: [UInt8] = []
        var i = digits.startIndex
        while i < digits.endIndex {
            let j = digits.index(i, offsetBy: 2)
            out.append(UInt8(digits[i..<j], radix: 16)!)
            i = j
        }
        return out
    }

    /// Every fixture's header: stock locate 0x0102, tracking number 0x0304, timestamp
    /// 0x1F1ACEDBD240 = 34,200,000,123,456 ns (09:30:00.000123456).
    var header: String { "0102 0304 1F1ACEDBD240" }
    var locate: StockLocate { StockLocate(rawValue: 0x0102) }
    var tracking: UInt16 { 0x0304 }
    var stamp: VenueTime { VenueTime(nanosSinceMidnight: 34_200_000_123_456) }

    /// One byte-exact message per type, written field by field from the specification's layout.
    func fixture(_ type: ITCH.MessageType) -> [UInt8] {
        switch type {
        case .systemEvent:  // event code 'Q'
            return hex("53 | \(header) | 51")
        case .stockDirectory:  // AAPL, Q, N, round lot 100, N, C, "Z ", P, N, N, 1, N, leverage 2, N
            return hex("52 | \(header) | 4141504C20202020 | 51 | 4E | 00000064 | 4E | 43 | 5A20 | 50 | 4E | 4E | 31 | 4E | 00000002 | 4E")
        case .stockTradingAction:  // ZVZZT, T, reserved ' ', reason "IPO1"
            return hex("48 | \(header) | 5A565A5A54202020 | 54 | 20 | 49504F31")
        case .regSHORestriction:  // QQQ, '1'
            return hex("59 | \(header) | 5151512020202020 | 31")
        case .marketParticipantPosition:  // GSCO, MSFT, Y, N, A
            return hex("4C | \(header) | 4753434F | 4D53465420202020 | 59 | 4E | 41")
        case .mwcpDeclineLevel:  // 3000.12345678, 2500.00000000, 1800.00000000 (Price(8))
            return hex("56 | \(header) | 00000045DA21194E | 0000003A35294400 | 00000029E8D60800")
        case .mwcpStatus:  // breached level '2'
            return hex("57 | \(header) | 32")
        case .ipoQuotingPeriodUpdate:  // NEWCO, 36000 s (10:00:00), 'A', $25.0000
            return hex("4B | \(header) | 4E4557434F202020 | 00008CA0 | 41 | 0003D090")
        case .luldAuctionCollar:  // GME, $20.5000, $22.5500, $18.4500, extension 3
            return hex("4A | \(header) | 474D452020202020 | 000320C8 | 000370DC | 0002D0B4 | 00000003")
        case .operationalHalt:  // TSLA, 'Q', 'H'
            return hex("68 | \(header) | 54534C4120202020 | 51 | 48")
        case .addOrder:  // ref 0x0102030405060708, B, 100,000, AAPL, $150.1234
            return hex("41 | \(header) | 0102030405060708 | 42 | 000186A0 | 4141504C20202020 | 0016E832")
        case .addOrderMPID:  // ref 0x1122334455667788, S, 300, SPY, $321.8600, NITE
            return hex("46 | \(header) | 1122334455667788 | 53 | 0000012C | 5350592020202020 | 00311CA8 | 4E495445")
        case .orderExecuted:  // ref, 100, match 123456789
            return hex("45 | \(header) | 0102030405060708 | 00000064 | 00000000075BCD15")
        case .orderExecutedWithPrice:  // ref, 50, match 123456790, 'Y', $150.1300
            return hex("43 | \(header) | 0102030405060708 | 00000032 | 00000000075BCD16 | 59 | 0016E874")
        case .orderCancel:  // ref, 25
            return hex("58 | \(header) | 0102030405060708 | 00000019")
        case .orderDelete:  // ref
            return hex("44 | \(header) | 0102030405060708")
        case .orderReplace:  // original ref, new ref, 200, $150.2000
            return hex("55 | \(header) | 0102030405060708 | 0102030405060709 | 000000C8 | 0016EB30")
        case .trade:  // ref 0x0A0B0C0D0E0F1011, S, 400, AMZN, $1847.8400, match 123456791
            return hex("50 | \(header) | 0A0B0C0D0E0F1011 | 53 | 00000190 | 414D5A4E20202020 | 0119F540 | 00000000075BCD17")
        case .crossTrade:  // 2^32 shares (needs the 8-byte field), AAPL, $290.0000, match 123456792, 'O'
            return hex("51 | \(header) | 0000000100000000 | 4141504C20202020 | 002C4020 | 00000000075BCD18 | 4F")
        case .brokenTrade:  // match 123456789
            return hex("42 | \(header) | 00000000075BCD15")
        case .noii:  // paired 200,000, imbalance 1,000, B, AAPL, $290.5000, $290.2500, $290.1000, 'O', 'L'
            return hex("49 | \(header) | 0000000000030D40 | 00000000000003E8 | 42 | 4141504C20202020 | 002C53A8 | 002C49E4 | 002C4408 | 4F | 4C")
        case .retailInterest:  // IBM, 'A'
            return hex("4E | \(header) | 49424D2020202020 | 41")
        case .directListingCapitalRaise:  // SPOT, Y, $100, $150, $132.50, time 0x1F1ACEDBD240, $120, $145
            return hex("4F | \(header) | 53504F5420202020 | 59 | 000F4240 | 0016E360 | 001437C8 | 00001F1ACEDBD240 | 00124F80 | 00162010")
        }
    }

    /// The view of `bytes` (checked init), its header checked, handed to `body`.
    func withMessage<M: ITCHMessageView>(
        _ type: M.Type, _ bytes: [UInt8], sourceLocation: SourceLocation = #_sourceLocation,
        _ body: (M) throws -> Void
    ) throws {
        try bytes.withUnsafeBytes { raw in
            let m = try #require(M(raw), sourceLocation: sourceLocation)
            #expect(m.stockLocate == locate, sourceLocation: sourceLocation)
            #expect(m.trackingNumber == tracking, sourceLocation: sourceLocation)
            #expect(m.timestamp == stamp, sourceLocation: sourceLocation)
            #expect(Array(m.bytes) == bytes, sourceLocation: sourceLocation)
            try body(m)
        }
    }

    /// What an encoder wrote into a 64-byte buffer (nil if it refused).
    func encoded(_ write: (UnsafeMutableRawBufferPointer) -> Int?) -> [UInt8]? {
        var buffer = [UInt8](repeating: 0xEE, count: 64)
        guard let n = buffer.withUnsafeMutableBytes({ write($0) }) else { return nil }
        return Array(buffer[..<n])
    }

    // MARK: - A handler that reads every field of every message

    /// Records which method ran and folds every field of every message into `sum`, so that dispatch
    /// of garbage exercises every accessor.
    struct Probe: ITCHHandler {
        var calls = 0
        var last: ITCH.MessageType?
        var sum: UInt64 = 0

        mutating func seen<M: ITCHMessageView>(_ m: M, _ fields: [UInt64]) {
            calls += 1
            last = M.messageType
            sum = fields.reduce(sum &+ UInt64(m.stockLocate.rawValue) &+ UInt64(m.trackingNumber)
                                &+ m.timestamp.nanosSinceMidnight) { $0 &* 31 &+ $1 }
        }

        mutating func onSystemEvent(_ m: ITCH.SystemEvent) { seen(m, [UInt64(m.eventCode)]) }
        mutating func onStockDirectory(_ m: ITCH.StockDirectory) {
            seen(m, [m.stock.rawValue, UInt64(m.marketCategory), UInt64(m.financialStatusIndicator), UInt64(m.roundLotSize),
                     UInt64(m.roundLotsOnly), UInt64(m.issueClassification), UInt64(m.issueSubType.rawValue),
                     UInt64(m.authenticity), UInt64(m.shortSaleThresholdIndicator), UInt64(m.ipoFlag),
                     UInt64(m.luldReferencePriceTier), UInt64(m.etpFlag), UInt64(m.etpLeverageFactor), UInt64(m.inverseIndicator)])
        }
        mutating func onStockTradingAction(_ m: ITCH.StockTradingAction) {
            seen(m, [m.stock.rawValue, UInt64(m.tradingState), UInt64(m.reserved), UInt64(m.reason.rawValue)])
        }
        mutating func onRegSHORestriction(_ m: ITCH.RegSHORestriction) { seen(m, [m.stock.rawValue, UInt64(m.regSHOAction)]) }
        mutating func onMarketParticipantPosition(_ m: ITCH.MarketParticipantPosition) {
            seen(m, [UInt64(m.mpid.rawValue), m.stock.rawValue, UInt64(m.primaryMarketMaker), UInt64(m.marketMakerMode),
                     UInt64(m.marketParticipantState)])
        }
        mutating func onMWCPDeclineLevel(_ m: ITCH.MWCPDeclineLevel) {
            seen(m, [m.level1Raw, m.level2Raw, m.level3Raw, UInt64(m.level1.rawValue), UInt64(m.level2.rawValue),
                     UInt64(m.level3.rawValue)])
        }
        mutating func onMWCPStatus(_ m: ITCH.MWCPStatus) { seen(m, [UInt64(m.breachedLevel)]) }
        mutating func onIPOQuotingPeriodUpdate(_ m: ITCH.IPOQuotingPeriodUpdate) {
            seen(m, [m.stock.rawValue, UInt64(m.ipoQuotationReleaseTime), UInt64(m.ipoQuotationReleaseQualifier),
                     UInt64(m.ipoPrice.rawValue)])
        }
        mutating func onLULDAuctionCollar(_ m: ITCH.LULDAuctionCollar) {
            seen(m, [m.stock.rawValue, UInt64(m.auctionCollarReferencePrice.rawValue), UInt64(m.upperAuctionCollarPrice.rawValue),
                     UInt64(m.lowerAuctionCollarPrice.rawValue), UInt64(m.auctionCollarExtension)])
        }
        mutating func onOperationalHalt(_ m: ITCH.OperationalHalt) {
            seen(m, [m.stock.rawValue, UInt64(m.marketCode), UInt64(m.operationalHaltAction)])
        }
        mutating func onAddOrder(_ m: ITCH.AddOrder) {
            seen(m, [m.orderRef.rawValue, UInt64(m.sideByte), UInt64(m.side?.rawValue ?? 0), UInt64(m.shares.rawValue),
                     m.stock.rawValue, UInt64(m.price.rawValue)])
        }
        mutating func onAddOrderMPID(_ m: ITCH.AddOrderMPID) {
            seen(m, [m.orderRef.rawValue, UInt64(m.sideByte), UInt64(m.side?.rawValue ?? 0), UInt64(m.shares.rawValue),
                     m.stock.rawValue, UInt64(m.price.rawValue), UInt64(m.attribution.rawValue)])
        }
        mutating func onOrderExecuted(_ m: ITCH.OrderExecuted) {
            seen(m, [m.orderRef.rawValue, UInt64(m.executedShares.rawValue), m.matchNumber])
        }
        mutating func onOrderExecutedWithPrice(_ m: ITCH.OrderExecutedWithPrice) {
            seen(m, [m.orderRef.rawValue, UInt64(m.executedShares.rawValue), m.matchNumber, UInt64(m.printable),
                     m.isPrintable ? 1 : 0, UInt64(m.executionPrice.rawValue)])
        }
        mutating func onOrderCancel(_ m: ITCH.OrderCancel) { seen(m, [m.orderRef.rawValue, UInt64(m.cancelledShares.rawValue)]) }
        mutating func onOrderDelete(_ m: ITCH.OrderDelete) { seen(m, [m.orderRef.rawValue]) }
        mutating func onOrderReplace(_ m: ITCH.OrderReplace) {
            seen(m, [m.originalOrderRef.rawValue, m.newOrderRef.rawValue, UInt64(m.shares.rawValue), UInt64(m.price.rawValue)])
        }
        mutating func onTrade(_ m: ITCH.Trade) {
            seen(m, [m.orderRef.rawValue, UInt64(m.sideByte), UInt64(m.side?.rawValue ?? 0), UInt64(m.shares.rawValue),
                     m.stock.rawValue, UInt64(m.price.rawValue), m.matchNumber])
        }
        mutating func onCrossTrade(_ m: ITCH.CrossTrade) {
            seen(m, [m.shares, m.stock.rawValue, UInt64(m.crossPrice.rawValue), m.matchNumber, UInt64(m.crossType)])
        }
        mutating func onBrokenTrade(_ m: ITCH.BrokenTrade) { seen(m, [m.matchNumber]) }
        mutating func onNOII(_ m: ITCH.NOII) {
            seen(m, [m.pairedShares, m.imbalanceShares, UInt64(m.imbalanceDirection), m.stock.rawValue,
                     UInt64(m.farPrice.rawValue), UInt64(m.nearPrice.rawValue), UInt64(m.currentReferencePrice.rawValue),
                     UInt64(m.crossType), UInt64(m.priceVariationIndicator)])
        }
        mutating func onRetailInterest(_ m: ITCH.RetailInterest) { seen(m, [m.stock.rawValue, UInt64(m.interestFlag)]) }
        mutating func onDirectListingCapitalRaise(_ m: ITCH.DirectListingCapitalRaise) {
            seen(m, [m.stock.rawValue, UInt64(m.openEligibilityStatus), UInt64(m.minimumAllowablePrice.rawValue),
                     UInt64(m.maximumAllowablePrice.rawValue), UInt64(m.nearExecutionPrice.rawValue), m.nearExecutionTime,
                     UInt64(m.lowerPriceRangeCollar.rawValue), UInt64(m.upperPriceRangeCollar.rawValue)])
        }
    }

    /// Dispatches `bytes` as one message to a fresh probe.
    func dispatched(_ bytes: [UInt8]) -> (ITCH.DispatchResult, Probe) {
        var probe = Probe()
        let result = bytes.withUnsafeBytes { ITCH.dispatch($0, to: &probe) }
        return (result, probe)
    }

    // MARK: - Real data and randomness

    /// `relative` under the project's shared data: $TICKWIRE_SHARED_DATA if set, else
    /// `<repo root>/../shared/data`, the repo root being three levels above this file.
    func sharedData(_ relative: String) -> String {
        if let dir = ProcessInfo.processInfo.environment["TICKWIRE_SHARED_DATA"] {
            return URL(fileURLWithPath: dir).appendingPathComponent(relative).path
        }
        return URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("shared/data").appendingPathComponent(relative).path
    }

    var snippetPath: String { sharedData("itch/12302019_SNIPPET.NASDAQ_ITCH50") }
    var ritchPath: String { sharedData("itch/ex20101224.TEST_ITCH_50") }

    /// Walks `bytes`, dispatching every message to `handler` and counting the results.
    func walk<H: ITCHHandler>(_ bytes: [UInt8], framing: ITCHFileWalker.Framing = .auto, handler: inout H)
        -> (counters: ITCHCounters, framing: ITCHFileWalker.Framing, status: ITCHFileWalker.Status, messages: Int) {
        bytes.withUnsafeBytes { raw in
            var walker = ITCHFileWalker(raw, framing: framing)
            var counters = ITCHCounters()
            while let m = walker.next() { counters.record(ITCH.dispatch(m, to: &handler)) }
            return (counters, walker.framing, walker.status, walker.messages)
        }
    }


    /// Checks every message of a real file for timestamps in order and plausible book fields.
    struct Plausibility: ITCHHandler {
        var previous: UInt64 = 0
        var first: UInt64?
        var outOfOrder = 0
        var implausible: [String] = []

        mutating func time<M: ITCHMessageView>(_ m: M) {
            let t = m.timestamp.nanosSinceMidnight
            if first == nil { first = t }
            if t < previous { outOfOrder += 1 }
            previous = t
        }
        mutating func check(_ ok: Bool, _ what: @autoclosure () -> String) { if !ok { implausible.append(what()) } }
        static func printable(_ s: Symbol) -> Bool {
            let text = s.description
            return !text.isEmpty && text.utf8.allSatisfy { (0x21...0x7E).contains($0) }
        }

        mutating func onSystemEvent(_ m: ITCH.SystemEvent) { time(m); check(Array("OSQMEC".utf8).contains(m.eventCode), "S code") }
        mutating func onStockDirectory(_ m: ITCH.StockDirectory) { time(m); check(Self.printable(m.stock), "R stock") }
        mutating func onStockTradingAction(_ m: ITCH.StockTradingAction) {
            time(m); check(Array("HPQT".utf8).contains(m.tradingState), "H state")
        }
        mutating func onAddOrder(_ m: ITCH.AddOrder) {
            time(m)
            // (Order reference 0 does occur: the RITCH test file's 9th message.)
            check(m.side != nil && m.price > .zero && m.shares.rawValue > 0 && Self.printable(m.stock)
                  && m.stockLocate.rawValue > 0, "A \(m.orderRef)")
        }
        mutating func onAddOrderMPID(_ m: ITCH.AddOrderMPID) {
            time(m)
            check(m.side != nil && m.price > .zero && m.shares.rawValue > 0 && Self.printable(m.stock)
                  && !m.attribution.description.isEmpty, "F \(m.orderRef)")
        }
        mutating func onOrderExecuted(_ m: ITCH.OrderExecuted) {
            time(m); check(m.orderRef.rawValue > 0 && m.executedShares.rawValue > 0 && m.matchNumber > 0, "E \(m.orderRef)")
        }
        mutating func onOrderExecutedWithPrice(_ m: ITCH.OrderExecutedWithPrice) {
            time(m); check(m.executionPrice > .zero && Array("YN".utf8).contains(m.printable), "C \(m.orderRef)")
        }
        mutating func onOrderCancel(_ m: ITCH.OrderCancel) { time(m); check(m.cancelledShares.rawValue > 0, "X \(m.orderRef)") }
        mutating func onOrderDelete(_ m: ITCH.OrderDelete) { time(m); check(m.orderRef.rawValue > 0, "D") }
        mutating func onOrderReplace(_ m: ITCH.OrderReplace) {
            time(m); check(m.price > .zero && m.shares.rawValue > 0 && m.newOrderRef != m.originalOrderRef, "U \(m.newOrderRef)")
        }
        mutating func onTrade(_ m: ITCH.Trade) {
            time(m); check(m.side != nil && m.price > .zero && m.shares.rawValue > 0 && Self.printable(m.stock), "P")
        }
        mutating func onCrossTrade(_ m: ITCH.CrossTrade) {
            time(m); check(Self.printable(m.stock) && Array("OCHI".utf8).contains(m.crossType), "Q")
        }
        mutating func onNOII(_ m: ITCH.NOII) {
            time(m)
            check(Self.printable(m.stock) && Array("BSNO".utf8).contains(m.imbalanceDirection)
                  && Array("OCHA".utf8).contains(m.crossType), "I")
        }
    }
}
