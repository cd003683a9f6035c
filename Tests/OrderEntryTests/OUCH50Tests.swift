// OUCH 5.0: every message round-tripped with and without an appendage, lengths against the
// spec's table (typed in by hand here), a known-answer Enter Order with a MinQty option, the
// TagValue list (iteration, unknown tags, every option), and hostile input.

import Testing
import OrderEntry
import TickwireCore

@Suite struct OUCH50Tests {
    // MARK: Lengths (spec message tables)

    /// (fixed bytes before the Appendage Length, whether that field is always present)
    static let inbound: [Character: (Int, OUCH50.AppendageRule)] = [
        "O": (45, .required), "U": (38, .required), "X": (9, .optional), "M": (10, .optional),
        "C": (17, .required), "Q": (1, .optional),
    ]
    static let outbound: [Character: (Int, OUCH50.AppendageRule)] = [
        "S": (10, .none), "A": (62, .required), "U": (66, .required), "C": (18, .optional), "D": (32, .optional),
        "E": (34, .required), "B": (36, .optional), "J": (29, .optional), "P": (13, .optional), "I": (13, .optional),
        "T": (30, .optional), "M": (18, .optional), "R": (14, .required), "X": (25, .required), "Q": (13, .optional),
    ]

    static func check<V: OUCH50MessageView>(_ view: V.Type, _ table: [Character: (Int, OUCH50.AppendageRule)]) {
        let letter = Character(Unicode.Scalar(V.messageType))
        guard let (base, rule) = table[letter] else { Issue.record("\(V.self) not in the table"); return }
        #expect(V.baseLength == base, "\(V.self)")
        #expect(V.appendageRule == rule, "\(V.self)")
    }

    @Test func lengthsMatchTheSpecTable() {
        Self.check(OUCH50.EnterOrderView.self, Self.inbound)
        Self.check(OUCH50.ReplaceOrderView.self, Self.inbound)
        Self.check(OUCH50.CancelOrderView.self, Self.inbound)
        Self.check(OUCH50.ModifyOrderView.self, Self.inbound)
        Self.check(OUCH50.MassCancelView.self, Self.inbound)
        Self.check(OUCH50.AccountQueryView.self, Self.inbound)
        Self.check(OUCH50.SystemEventView.self, Self.outbound)
        Self.check(OUCH50.OrderAcceptedView.self, Self.outbound)
        Self.check(OUCH50.OrderReplacedView.self, Self.outbound)
        Self.check(OUCH50.OrderCanceledView.self, Self.outbound)
        Self.check(OUCH50.AIQCanceledView.self, Self.outbound)
        Self.check(OUCH50.OrderExecutedView.self, Self.outbound)
        Self.check(OUCH50.BrokenTradeView.self, Self.outbound)
        Self.check(OUCH50.OrderRejectedView.self, Self.outbound)
        Self.check(OUCH50.CancelPendingView.self, Self.outbound)
        Self.check(OUCH50.CancelRejectView.self, Self.outbound)
        Self.check(OUCH50.OrderPriorityUpdateView.self, Self.outbound)
        Self.check(OUCH50.OrderModifiedView.self, Self.outbound)
        Self.check(OUCH50.OrderRestatedView.self, Self.outbound)
        Self.check(OUCH50.MassCancelResponseView.self, Self.outbound)
        Self.check(OUCH50.AccountQueryResponseView.self, Self.outbound)
        // Unknown type bytes.
        for byte in UInt8(0)...UInt8(255) {
            let c = Character(Unicode.Scalar(byte))
            [byte].withUnsafeBytes { raw in
                if Self.inbound[c] == nil { #expect(OUCH50.decodeInbound(raw).failureValue == .unknownType(byte)) }
                if Self.outbound[c] == nil { #expect(OUCH50.decodeOutbound(raw).failureValue == .unknownType(byte)) }
            }
        }
    }

    @Test func tagValueSizes() {
        // Appendix table: tag -> value bytes.
        let sizes: [UInt8: Int] = [1: 8, 2: 4, 3: 4, 4: 1, 5: 4, 6: 1, 7: 4, 9: 8, 10: 1, 11: 4, 12: 1, 13: 4, 14: 4,
                                   15: 4, 16: 1, 17: 1, 18: 1, 22: 4, 23: 8, 24: 2, 25: 1, 26: 4, 27: 1, 28: 1,
                                   29: 1, 30: 2]
        for tag in UInt8(0)...UInt8(255) {
            #expect(OUCH50.Tag.valueLength(of: tag) == sizes[tag], "tag \(tag)")
        }
        #expect(OUCH50.Tag.minQty == 3 && OUCH50.Tag.maxFloor == 5 && OUCH50.Tag.firm == 2)
        #expect(OUCH50.Tag.customerType == 4 && OUCH50.Tag.userRefIdx == 28)
    }

    // MARK: Known answer

    static let enterOrder = OUCH50.EnterOrder(
        userRefNum: 1, side: .sell, quantity: Shares(rawValue: 300), symbol: Alpha8("MSFT")!,
        price: Price(rawValue: 4_123_400), timeInForce: "0", display: "Y", capacity: "P",
        intermarketSweepEligibility: "N", crossType: "N", clOrdID: Alpha14("CL1")!,
        options: OUCH50.Options(minQty: Shares(rawValue: 100)))

    /// Enter Order with one option (MinQty = 100), field by field from the spec's tables.
    static let enterOrderBytes = hex("""
        4F
        00 00 00 01
        53
        00 00 01 2C
        4D 53 46 54 20 20 20 20
        00 00 00 00 00 3E EB 08
        30
        59
        50
        4E
        4E
        43 4C 31 20 20 20 20 20 20 20 20 20 20 20
        00 06
        05 03 00 00 00 64
        """)

    @Test func enterOrderKnownAnswer() throws {
        let bytes = try #require(encoded { Self.enterOrder.encode(into: $0) })
        #expect(bytes == Self.enterOrderBytes, "\(hexString(bytes))")
        try Self.enterOrderBytes.withUnsafeBytes { raw in
            let v = try #require(OUCH50.EnterOrderView(raw))
            #expect(v.userRefNum == 1 && v.side == .sell && v.quantity == Shares(rawValue: 300))
            #expect(v.symbol.description == "MSFT" && v.price.description == "412.3400")
            #expect(v.timeInForce == "0" && v.display == "Y" && v.capacity == "P")
            #expect(v.intermarketSweepEligibility == "N" && v.crossType == "N" && v.clOrdID.description == "CL1")
            #expect(v.hasAppendageLength)
            let elements = Array(v.appendage)
            #expect(elements.count == 1)
            #expect(elements.first?.tag == OUCH50.Tag.minQty && elements.first?.u32 == 100)
            #expect(v.appendage.first(tag: OUCH50.Tag.minQty)?.u32 == 100)
            #expect(v.appendage.first(tag: OUCH50.Tag.maxFloor) == nil)
            #expect(v.message == Self.enterOrder)
        }
    }

    @Test func requiredAppendageLengthIsWrittenAsZero() throws {
        var m = Self.enterOrder
        m.options = OUCH50.Options()
        let bytes = try #require(encoded { m.encode(into: $0) })
        #expect(bytes.count == 47 && bytes.suffix(2) == [0, 0])
        #expect(Array(bytes) == Array(Self.enterOrderBytes.prefix(45)) + [0, 0])
    }

    @Test func optionalAppendageLengthForms() throws {
        let bare = OUCH50.CancelOrder(userRefNum: 9, quantity: Shares(rawValue: 0))
        let b = try #require(encoded { bare.encode(into: $0) })
        #expect(b == hex("58 00 00 00 09 00 00 00 00"))
        // With its Appendage Length 0, it is still a valid Cancel.
        (b + [0, 0]).withUnsafeBytes { raw in
            guard case .success(.cancelOrder(let v)) = OUCH50.decodeInbound(raw) else { Issue.record(); return }
            #expect(v.hasAppendageLength && v.appendage.isEmpty && v.message == bare)
        }
        // One byte of an Appendage Length is truncated.
        (b + [0]).withUnsafeBytes {
            #expect(OUCH50.decodeInbound($0).failureValue == .truncated(type: 0x58, minimum: 11, actual: 10))
        }
        Array(b.dropLast()).withUnsafeBytes {
            #expect(OUCH50.decodeInbound($0).failureValue == .truncated(type: 0x58, minimum: 9, actual: 8))
        }
        let indexed = OUCH50.CancelOrder(userRefNum: 9, quantity: Shares(rawValue: 0), options: OUCH50.Options(userRefIdx: 3))
        #expect(encoded { indexed.encode(into: $0) } == hex("58 00 00 00 09 00 00 00 00 00 03 02 1C 03"))
        #expect(encoded { OUCH50.AccountQuery().encode(into: $0) } == hex("51"))
    }

    // MARK: Options

    static let everyOption = OUCH50.Options(
        secondaryOrdRefNum: 0x0102_0304_0506_0708, firm: Alpha4("FRM1")!, minQty: Shares(rawValue: 100),
        customerType: "R", maxFloor: Shares(rawValue: 200), priceType: "P", pegOffset: Price(rawValue: -500),
        discretionPrice: Price(rawValue: 1_000_100), discretionPriceType: "M", discretionPegOffset: Price(rawValue: 300),
        postOnly: "P", randomReserves: Shares(rawValue: 50), route: Alpha4("RT1")!, expireTime: 86_399, tradeNow: "Y",
        handleInst: "I", bboWeightIndicator: "2", displayQuantity: Shares(rawValue: 77),
        displayPrice: Price(rawValue: 999_900), groupID: 0xBEEF, sharesLocated: "Y", locateBroker: Alpha4("LB")!,
        side: .sellShortExempt, userRefIdx: 250, aiqStrategy: "*", aiqGroupID: 0x2A2A)

    @Test func everyOptionRoundTrips() throws {
        let o = Self.everyOption
        #expect(o.encodedLength == 26 * 2 + (8 + 4 + 4 + 1 + 4 + 1 + 4 + 8 + 1 + 4 + 1 + 4 + 4 + 4 + 1 + 1 + 1 + 4 + 8 + 2 + 1 + 4 + 1 + 1 + 1 + 2))
        let bytes = try #require(encoded { o.write(into: $0) })
        #expect(bytes.count == o.encodedLength)
        try bytes.withUnsafeBytes { raw in
            let a = OUCH50.Appendage(bytes: raw)
            try a.validate()
            // Written in ascending tag order, each with length = 1 + value size.
            let tags = a.map(\.tag)
            #expect(tags == tags.sorted() && tags.count == 26)
            for e in a { #expect(e.value.count == OUCH50.Tag.valueLength(of: e.tag)) }
            #expect(a.first(tag: OUCH50.Tag.pegOffset)?.u32 == UInt32(bitPattern: -500))
            #expect(OUCH50.Options(parsing: a) == o)
        }
        // Known answer for a few: PegOffset -2 (4-byte signed), GroupID 0xBEEF, SecondaryOrdRefNum 1.
        let few = OUCH50.Options(secondaryOrdRefNum: 1, pegOffset: Price(rawValue: -2), groupID: 0xBEEF)
        #expect(encoded { few.write(into: $0) }
                == hex("09 01 00 00 00 00 00 00 00 01  05 07 FF FF FF FE  03 18 BE EF"))
    }

    @Test func pegOffsetOutsideInt32IsRefused() {
        let o = OUCH50.Options(pegOffset: Price(rawValue: Int64(Int32.max) + 1))
        #expect(encoded { o.write(into: $0) } == nil)
        var m = Self.enterOrder
        m.options = o
        #expect(encoded { m.encode(into: $0) } == nil)
    }

    @Test func unknownTagsAreSkippedButIterable() throws {
        // Enter Order with elements: unknown tag 99 (1 byte), MinQty 100, tag 20 with an empty value.
        var bytes = Array(Self.enterOrderBytes.prefix(45))
        let app = hex("02 63 01  05 03 00 00 00 64  01 14")
        bytes += [0, UInt8(app.count)] + app
        try bytes.withUnsafeBytes { raw in
            let v = try #require(OUCH50.EnterOrderView(raw))
            #expect(v.appendage.map(\.tag) == [99, 3, 20])
            #expect(v.appendage.map(\.value.count) == [1, 4, 0])
            #expect(v.message.options == OUCH50.Options(minQty: Shares(rawValue: 100)))
        }
    }

    @Test func tooSmallBuffersAreRefused() {
        var buffer = [UInt8](repeating: 0, count: Self.enterOrderBytes.count - 1)
        buffer.withUnsafeMutableBytes { #expect(Self.enterOrder.encode(into: $0) == nil) }
        var five = [UInt8](repeating: 0, count: 5)
        five.withUnsafeMutableBytes { #expect(OUCH50.Options(minQty: Shares(rawValue: 1)).write(into: $0) == nil) }
    }

    // MARK: Hostile input

    static func enterWith(declared: Int, appendage: [UInt8]) -> [UInt8] {
        Array(enterOrderBytes.prefix(45)) + [UInt8(declared >> 8), UInt8(declared & 0xFF)] + appendage
    }

    @Test(arguments: [
        // Appendage Length says 6, only 3 bytes follow (truncated appendage).
        (enterWith(declared: 6, appendage: hex("05 03 00")), OUCH50.DecodeError.appendageLengthMismatch(type: 0x4F, declared: 6, available: 3)),
        // Appendage Length far past the end.
        (enterWith(declared: 0xFFFF, appendage: []), .appendageLengthMismatch(type: 0x4F, declared: 65_535, available: 0)),
        // Bytes the Appendage Length does not cover.
        (enterWith(declared: 0, appendage: hex("02 1C")), .appendageLengthMismatch(type: 0x4F, declared: 0, available: 2)),
        // An element whose length runs past the appendage.
        (enterWith(declared: 3, appendage: hex("05 03 00")), .malformedElement(offset: 47)),
        // An element of length 0 (no tag), after a good one.
        (enterWith(declared: 4, appendage: hex("02 1C 05 00")), .malformedElement(offset: 50)),
        // A length byte with no tag after it.
        (enterWith(declared: 1, appendage: hex("01")), .malformedElement(offset: 47)),
        // A known tag (MinQty, 4 bytes) with a 2-byte value.
        (enterWith(declared: 4, appendage: hex("03 03 00 64")), .badTagLength(tag: 3, length: 2)),
        // Cut inside the fixed fields, and right before the Appendage Length.
        (Array(enterOrderBytes.prefix(30)), .truncated(type: 0x4F, minimum: 47, actual: 30)),
        (Array(enterOrderBytes.prefix(45)), .truncated(type: 0x4F, minimum: 47, actual: 45)),
        (Array(enterOrderBytes.prefix(46)), .truncated(type: 0x4F, minimum: 47, actual: 46)),
        ([], .empty),
    ])
    func hostileEnterOrders(bytes: [UInt8], error: OUCH50.DecodeError) {
        bytes.withUnsafeBytes { raw in
            #expect(OUCH50.decodeInbound(raw).failureValue == error, "\(hexString(bytes))")
            #expect(OUCH50.EnterOrderView(raw) == nil)
            #expect(throws: error) { try OUCH50.EnterOrderView(validating: raw) }
        }
    }

    @Test func systemEventHasNoAppendage() throws {
        let m = OUCH50.SystemEvent(timestamp: VenueTime(nanosSinceMidnight: 5), eventCode: "E")
        let bytes = try #require(encoded { m.encode(into: $0) })
        #expect(bytes == hex("53 00 00 00 00 00 00 00 05 45"))
        (bytes + [0, 0]).withUnsafeBytes {
            #expect(OUCH50.decodeOutbound($0).failureValue == .badLength(type: 0x53, expected: 10, actual: 12))
        }
    }

    @Test func viewsRefuseTheWrongType() throws {
        let bytes = try #require(encoded { OUCH50.CancelPending(timestamp: VenueTime(nanosSinceMidnight: 1), userRefNum: 2).encode(into: $0) })
        bytes.withUnsafeBytes { raw in
            #expect(OUCH50.CancelRejectView(raw) == nil)
            #expect(throws: OUCH50.DecodeError.wrongType(expected: 0x49, actual: 0x50)) {
                try OUCH50.CancelRejectView(validating: raw)
            }
        }
    }

    @Test func randomBytesNeverCrash() {
        var rng = SplitMix64(seed: 11)
        var decoded = 0
        for _ in 0..<30_000 {
            var bytes = (0..<Int.random(in: 0...120, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
            if !bytes.isEmpty && Bool.random(using: &rng) { bytes[0] = ascii("OUXMCQSAEBJPITRD").randomElement(using: &rng)! }
            bytes.withUnsafeBytes { raw in
                for result in [OUCH50.decodeInbound(raw).failureValue, OUCH50.decodeOutbound(raw).failureValue] where result == nil {
                    decoded += 1
                }
                // Iterating arbitrary bytes as an appendage stays in bounds.
                for e in OUCH50.Appendage(bytes: raw) {
                    #expect(e.value.count <= raw.count)
                }
            }
        }
        #expect(decoded > 0)
    }

    // MARK: Round trips (each type bare and with options: encode then decode; the offsets
    // themselves are held by the known-answer tests)

    @Test func roundTripInboundEnterOrderBare() throws {
        let m = OUCH50.EnterOrder(userRefNum: UInt32(0x1020_3040 + 0), side: .sellShort, quantity: Shares(rawValue: 102), symbol: Alpha8("SYMB0003")!, price: Price(rawValue: 987_654_300 + 4), timeInForce: ASCIICode(rawValue: 0x41 + 5), display: ASCIICode(rawValue: 0x41 + 6), capacity: ASCIICode(rawValue: 0x41 + 7), intermarketSweepEligibility: ASCIICode(rawValue: 0x41 + 8), crossType: ASCIICode(rawValue: 0x41 + 9), clOrdID: Alpha14("TOKEN-10-XYZ-Q")!, options: OUCH50.Options())
        let bytes = try #require(encoded { m.encode(into: $0) })
        #expect(bytes.count == OUCH50.EnterOrder.baseLength + 2)
        bytes.withUnsafeBytes { raw in
            guard case .success(.enterOrder(let view)) = OUCH50.decodeInbound(raw) else {
                Issue.record("EnterOrder did not decode as itself"); return
            }
            #expect(view.message == m)
            #expect(OUCH50.EnterOrderView(raw)?.message == m)
        }
    }

    @Test func roundTripInboundEnterOrderWithOptions() throws {
        let m = OUCH50.EnterOrder(userRefNum: UInt32(0x1020_3040 + 0), side: .sellShort, quantity: Shares(rawValue: 102), symbol: Alpha8("SYMB0003")!, price: Price(rawValue: 987_654_300 + 4), timeInForce: ASCIICode(rawValue: 0x41 + 5), display: ASCIICode(rawValue: 0x41 + 6), capacity: ASCIICode(rawValue: 0x41 + 7), intermarketSweepEligibility: ASCIICode(rawValue: 0x41 + 8), crossType: ASCIICode(rawValue: 0x41 + 9), clOrdID: Alpha14("TOKEN-10-XYZ-Q")!, options: OUCH50.Options(firm: Alpha4("ABCD")!, minQty: Shares(rawValue: 200), customerType: "R", maxFloor: Shares(rawValue: 300), userRefIdx: 7))
        let bytes = try #require(encoded { m.encode(into: $0) })
        #expect(bytes.count == OUCH50.EnterOrder.baseLength + 2 + m.options.encodedLength)
        bytes.withUnsafeBytes { raw in
            guard case .success(.enterOrder(let view)) = OUCH50.decodeInbound(raw) else {
                Issue.record("EnterOrder did not decode as itself"); return
            }
            #expect(view.message == m)
            #expect(OUCH50.EnterOrderView(raw)?.message == m)
        }
    }

    @Test func roundTripInboundReplaceOrderBare() throws {
        let m = OUCH50.ReplaceOrder(origUserRefNum: UInt32(0x1020_3040 + 0), userRefNum: UInt32(0x1020_3040 + 1), quantity: Shares(rawValue: 102), price: Price(rawValue: 987_654_300 + 3), timeInForce: ASCIICode(rawValue: 0x41 + 4), display: ASCIICode(rawValue: 0x41 + 5), intermarketSweepEligibility: ASCIICode(rawValue: 0x41 + 6), clOrdID: Alpha14("TOKEN-07-XYZ-Q")!, options: OUCH50.Options())
        let bytes = try #require(encoded { m.encode(into: $0) })
        #expect(bytes.count == OUCH50.ReplaceOrder.baseLength + 2)
        bytes.withUnsafeBytes { raw in
            guard case .success(.replaceOrder(let view)) = OUCH50.decodeInbound(raw) else {
                Issue.record("ReplaceOrder did not decode as itself"); return
            }
            #expect(view.message == m)
            #expect(OUCH50.ReplaceOrderView(raw)?.message == m)
        }
    }

    @Test func roundTripInboundReplaceOrderWithOptions() throws {
        let m = OUCH50.ReplaceOrder(origUserRefNum: UInt32(0x1020_3040 + 0), userRefNum: UInt32(0x1020_3040 + 1), quantity: Shares(rawValue: 102), price: Price(rawValue: 987_654_300 + 3), timeInForce: ASCIICode(rawValue: 0x41 + 4), display: ASCIICode(rawValue: 0x41 + 5), intermarketSweepEligibility: ASCIICode(rawValue: 0x41 + 6), clOrdID: Alpha14("TOKEN-07-XYZ-Q")!, options: OUCH50.Options(firm: Alpha4("ABCD")!, minQty: Shares(rawValue: 200), customerType: "R", maxFloor: Shares(rawValue: 300), userRefIdx: 7))
        let bytes = try #require(encoded { m.encode(into: $0) })
        #expect(bytes.count == OUCH50.ReplaceOrder.baseLength + 2 + m.options.encodedLength)
        bytes.withUnsafeBytes { raw in
            guard case .success(.replaceOrder(let view)) = OUCH50.decodeInbound(raw) else {
                Issue.record("ReplaceOrder did not decode as itself"); return
            }
            #expect(view.message == m)
            #expect(OUCH50.ReplaceOrderView(raw)?.message == m)
        }
    }

    @Test func roundTripInboundCancelOrderBare() throws {
        let m = OUCH50.CancelOrder(userRefNum: UInt32(0x1020_3040 + 0), quantity: Shares(rawValue: 101), options: OUCH50.Options())
        let bytes = try #require(encoded { m.encode(into: $0) })
        #expect(bytes.count == OUCH50.CancelOrder.baseLength)
        bytes.withUnsafeBytes { raw in
            guard case .success(.cancelOrder(let view)) = OUCH50.decodeInbound(raw) else {
                Issue.record("CancelOrder did not decode as itself"); return
            }
            #expect(view.message == m)
            #expect(OUCH50.CancelOrderView(raw)?.message == m)
        }
    }

    @Test func roundTripInboundCancelOrderWithOptions() throws {
        let m = OUCH50.CancelOrder(userRefNum: UInt32(0x1020_3040 + 0), quantity: Shares(rawValue: 101), options: OUCH50.Options(firm: Alpha4("ABCD")!, minQty: Shares(rawValue: 200), customerType: "R", maxFloor: Shares(rawValue: 300), userRefIdx: 7))
        let bytes = try #require(encoded { m.encode(into: $0) })
        #expect(bytes.count == OUCH50.CancelOrder.baseLength + 2 + m.options.encodedLength)
        bytes.withUnsafeBytes { raw in
            guard case .success(.cancelOrder(let view)) = OUCH50.decodeInbound(raw) else {
                Issue.record("CancelOrder did not decode as itself"); return
            }
            #expect(view.message == m)
            #expect(OUCH50.CancelOrderView(raw)?.message == m)
        }
    }

    @Test func roundTripInboundModifyOrderBare() throws {
        let m = OUCH50.ModifyOrder(userRefNum: UInt32(0x1020_3040 + 0), side: .sellShort, quantity: Shares(rawValue: 102), options: OUCH50.Options())
        let bytes = try #require(encoded { m.encode(into: $0) })
        #expect(bytes.count == OUCH50.ModifyOrder.baseLength)
        bytes.withUnsafeBytes { raw in
            guard case .success(.modifyOrder(let view)) = OUCH50.decodeInbound(raw) else {
                Issue.record("ModifyOrder did not decode as itself"); return
            }
            #expect(view.message == m)
            #expect(OUCH50.ModifyOrderView(raw)?.message == m)
        }
    }

    @Test func roundTripInboundModifyOrderWithOptions() throws {
        let m = OUCH50.ModifyOrder(userRefNum: UInt32(0x1020_3040 + 0), side: .sellShort, quantity: Shares(rawValue: 102), options: OUCH50.Options(firm: Alpha4("ABCD")!, minQty: Shares(rawValue: 200), customerType: "R", maxFloor: Shares(rawValue: 300), userRefIdx: 7))
        let bytes = try #require(encoded { m.encode(into: $0) })
        #expect(bytes.count == OUCH50.ModifyOrder.baseLength + 2 + m.options.encodedLength)
        bytes.withUnsafeBytes { raw in
            guard case .success(.modifyOrder(let view)) = OUCH50.decodeInbound(raw) else {
                Issue.record("ModifyOrder did not decode as itself"); return
            }
            #expect(view.message == m)
            #expect(OUCH50.ModifyOrderView(raw)?.message == m)
        }
    }

    @Test func roundTripInboundMassCancelBare() throws {
        let m = OUCH50.MassCancel(userRefNum: UInt32(0x1020_3040 + 0), firm: Alpha4("F001")!, symbol: Alpha8("SYMB0002")!, options: OUCH50.Options())
        let bytes = try #require(encoded { m.encode(into: $0) })
        #expect(bytes.count == OUCH50.MassCancel.baseLength + 2)
        bytes.withUnsafeBytes { raw in
            guard case .success(.massCancel(let view)) = OUCH50.decodeInbound(raw) else {
                Issue.record("MassCancel did not decode as itself"); return
            }
            #expect(view.message == m)
            #expect(OUCH50.MassCancelView(raw)?.message == m)
        }
    }

    @Test func roundTripInboundMassCancelWithOptions() throws {
        let m = OUCH50.MassCancel(userRefNum: UInt32(0x1020_3040 + 0), firm: Alpha4("F001")!, symbol: Alpha8("SYMB0002")!, options: OUCH50.Options(firm: Alpha4("ABCD")!, minQty: Shares(rawValue: 200), customerType: "R", maxFloor: Shares(rawValue: 300), userRefIdx: 7))
        let bytes = try #require(encoded { m.encode(into: $0) })
        #expect(bytes.count == OUCH50.MassCancel.baseLength + 2 + m.options.encodedLength)
        bytes.withUnsafeBytes { raw in
            guard case .success(.massCancel(let view)) = OUCH50.decodeInbound(raw) else {
                Issue.record("MassCancel did not decode as itself"); return
            }
            #expect(view.message == m)
            #expect(OUCH50.MassCancelView(raw)?.message == m)
        }
    }

    @Test func roundTripInboundAccountQueryBare() throws {
        let m = OUCH50.AccountQuery(options: OUCH50.Options())
        let bytes = try #require(encoded { m.encode(into: $0) })
        #expect(bytes.count == OUCH50.AccountQuery.baseLength)
        bytes.withUnsafeBytes { raw in
            guard case .success(.accountQuery(let view)) = OUCH50.decodeInbound(raw) else {
                Issue.record("AccountQuery did not decode as itself"); return
            }
            #expect(view.message == m)
            #expect(OUCH50.AccountQueryView(raw)?.message == m)
        }
    }

    @Test func roundTripInboundAccountQueryWithOptions() throws {
        let m = OUCH50.AccountQuery(options: OUCH50.Options(firm: Alpha4("ABCD")!, minQty: Shares(rawValue: 200), customerType: "R", maxFloor: Shares(rawValue: 300), userRefIdx: 7))
        let bytes = try #require(encoded { m.encode(into: $0) })
        #expect(bytes.count == OUCH50.AccountQuery.baseLength + 2 + m.options.encodedLength)
        bytes.withUnsafeBytes { raw in
            guard case .success(.accountQuery(let view)) = OUCH50.decodeInbound(raw) else {
                Issue.record("AccountQuery did not decode as itself"); return
            }
            #expect(view.message == m)
            #expect(OUCH50.AccountQueryView(raw)?.message == m)
        }
    }

    @Test func roundTripOutboundSystemEventBare() throws {
        let m = OUCH50.SystemEvent(timestamp: VenueTime(nanosSinceMidnight: 34_200_000_000_000 + 0), eventCode: ASCIICode(rawValue: 0x41 + 1))
        let bytes = try #require(encoded { m.encode(into: $0) })
        #expect(bytes.count == OUCH50.SystemEvent.baseLength)
        bytes.withUnsafeBytes { raw in
            guard case .success(.systemEvent(let view)) = OUCH50.decodeOutbound(raw) else {
                Issue.record("SystemEvent did not decode as itself"); return
            }
            #expect(view.message == m)
            #expect(OUCH50.SystemEventView(raw)?.message == m)
        }
    }

    @Test func roundTripOutboundOrderAcceptedBare() throws {
        let m = OUCH50.OrderAccepted(timestamp: VenueTime(nanosSinceMidnight: 34_200_000_000_000 + 0), userRefNum: UInt32(0x1020_3040 + 1), side: .sellShort, quantity: Shares(rawValue: 103), symbol: Alpha8("SYMB0004")!, price: Price(rawValue: 987_654_300 + 5), timeInForce: ASCIICode(rawValue: 0x41 + 6), display: ASCIICode(rawValue: 0x41 + 7), orderReferenceNumber: OrderRef(rawValue: 0x0102_0304_0506_0700 + 8), capacity: ASCIICode(rawValue: 0x41 + 9), intermarketSweepEligibility: ASCIICode(rawValue: 0x41 + 10), crossType: ASCIICode(rawValue: 0x41 + 11), orderState: ASCIICode(rawValue: 0x41 + 12), clOrdID: Alpha14("TOKEN-13-XYZ-Q")!, options: OUCH50.Options())
        let bytes = try #require(encoded { m.encode(into: $0) })
        #expect(bytes.count == OUCH50.OrderAccepted.baseLength + 2)
        bytes.withUnsafeBytes { raw in
            guard case .success(.orderAccepted(let view)) = OUCH50.decodeOutbound(raw) else {
                Issue.record("OrderAccepted did not decode as itself"); return
            }
            #expect(view.message == m)
            #expect(OUCH50.OrderAcceptedView(raw)?.message == m)
        }
    }

    @Test func roundTripOutboundOrderAcceptedWithOptions() throws {
        let m = OUCH50.OrderAccepted(timestamp: VenueTime(nanosSinceMidnight: 34_200_000_000_000 + 0), userRefNum: UInt32(0x1020_3040 + 1), side: .sellShort, quantity: Shares(rawValue: 103), symbol: Alpha8("SYMB0004")!, price: Price(rawValue: 987_654_300 + 5), timeInForce: ASCIICode(rawValue: 0x41 + 6), display: ASCIICode(rawValue: 0x41 + 7), orderReferenceNumber: OrderRef(rawValue: 0x0102_0304_0506_0700 + 8), capacity: ASCIICode(rawValue: 0x41 + 9), intermarketSweepEligibility: ASCIICode(rawValue: 0x41 + 10), crossType: ASCIICode(rawValue: 0x41 + 11), orderState: ASCIICode(rawValue: 0x41 + 12), clOrdID: Alpha14("TOKEN-13-XYZ-Q")!, options: OUCH50.Options(firm: Alpha4("ABCD")!, minQty: Shares(rawValue: 200), customerType: "R", maxFloor: Shares(rawValue: 300), userRefIdx: 7))
        let bytes = try #require(encoded { m.encode(into: $0) })
        #expect(bytes.count == OUCH50.OrderAccepted.baseLength + 2 + m.options.encodedLength)
        bytes.withUnsafeBytes { raw in
            guard case .success(.orderAccepted(let view)) = OUCH50.decodeOutbound(raw) else {
                Issue.record("OrderAccepted did not decode as itself"); return
            }
            #expect(view.message == m)
            #expect(OUCH50.OrderAcceptedView(raw)?.message == m)
        }
    }

    @Test func roundTripOutboundOrderReplacedBare() throws {
        let m = OUCH50.OrderReplaced(timestamp: VenueTime(nanosSinceMidnight: 34_200_000_000_000 + 0), origUserRefNum: UInt32(0x1020_3040 + 1), userRefNum: UInt32(0x1020_3040 + 2), side: .sellShort, quantity: Shares(rawValue: 104), symbol: Alpha8("SYMB0005")!, price: Price(rawValue: 987_654_300 + 6), timeInForce: ASCIICode(rawValue: 0x41 + 7), display: ASCIICode(rawValue: 0x41 + 8), orderReferenceNumber: OrderRef(rawValue: 0x0102_0304_0506_0700 + 9), capacity: ASCIICode(rawValue: 0x41 + 10), intermarketSweepEligibility: ASCIICode(rawValue: 0x41 + 11), crossType: ASCIICode(rawValue: 0x41 + 12), orderState: ASCIICode(rawValue: 0x41 + 13), clOrdID: Alpha14("TOKEN-14-XYZ-Q")!, options: OUCH50.Options())
        let bytes = try #require(encoded { m.encode(into: $0) })
        #expect(bytes.count == OUCH50.OrderReplaced.baseLength + 2)
        bytes.withUnsafeBytes { raw in
            guard case .success(.orderReplaced(let view)) = OUCH50.decodeOutbound(raw) else {
                Issue.record("OrderReplaced did not decode as itself"); return
            }
            #expect(view.message == m)
            #expect(OUCH50.OrderReplacedView(raw)?.message == m)
        }
    }

    @Test func roundTripOutboundOrderReplacedWithOptions() throws {
        let m = OUCH50.OrderReplaced(timestamp: VenueTime(nanosSinceMidnight: 34_200_000_000_000 + 0), origUserRefNum: UInt32(0x1020_3040 + 1), userRefNum: UInt32(0x1020_3040 + 2), side: .sellShort, quantity: Shares(rawValue: 104), symbol: Alpha8("SYMB0005")!, price: Price(rawValue: 987_654_300 + 6), timeInForce: ASCIICode(rawValue: 0x41 + 7), display: ASCIICode(rawValue: 0x41 + 8), orderReferenceNumber: OrderRef(rawValue: 0x0102_0304_0506_0700 + 9), capacity: ASCIICode(rawValue: 0x41 + 10), intermarketSweepEligibility: ASCIICode(rawValue: 0x41 + 11), crossType: ASCIICode(rawValue: 0x41 + 12), orderState: ASCIICode(rawValue: 0x41 + 13), clOrdID: Alpha14("TOKEN-14-XYZ-Q")!, options: OUCH50.Options(firm: Alpha4("ABCD")!, minQty: Shares(rawValue: 200), customerType: "R", maxFloor: Shares(rawValue: 300), userRefIdx: 7))
        let bytes = try #require(encoded { m.encode(into: $0) })
        #expect(bytes.count == OUCH50.OrderReplaced.baseLength + 2 + m.options.encodedLength)
        bytes.withUnsafeBytes { raw in
            guard case .success(.orderReplaced(let view)) = OUCH50.decodeOutbound(raw) else {
                Issue.record("OrderReplaced did not decode as itself"); return
            }
            #expect(view.message == m)
            #expect(OUCH50.OrderReplacedView(raw)?.message == m)
        }
    }

    @Test func roundTripOutboundOrderCanceledBare() throws {
        let m = OUCH50.OrderCanceled(timestamp: VenueTime(nanosSinceMidnight: 34_200_000_000_000 + 0), userRefNum: UInt32(0x1020_3040 + 1), quantity: Shares(rawValue: 102), reason: ASCIICode(rawValue: 0x41 + 3), options: OUCH50.Options())
        let bytes = try #require(encoded { m.encode(into: $0) })
        #expect(bytes.count == OUCH50.OrderCanceled.baseLength)
        bytes.withUnsafeBytes { raw in
            guard case .success(.orderCanceled(let view)) = OUCH50.decodeOutbound(raw) else {
                Issue.record("OrderCanceled did not decode as itself"); return
            }
            #expect(view.message == m)
            #expect(OUCH50.OrderCanceledView(raw)?.message == m)
        }
    }

    @Test func roundTripOutboundOrderCanceledWithOptions() throws {
        let m = OUCH50.OrderCanceled(timestamp: VenueTime(nanosSinceMidnight: 34_200_000_000_000 + 0), userRefNum: UInt32(0x1020_3040 + 1), quantity: Shares(rawValue: 102), reason: ASCIICode(rawValue: 0x41 + 3), options: OUCH50.Options(firm: Alpha4("ABCD")!, minQty: Shares(rawValue: 200), customerType: "R", maxFloor: Shares(rawValue: 300), userRefIdx: 7))
        let bytes = try #require(encoded { m.encode(into: $0) })
        #expect(bytes.count == OUCH50.OrderCanceled.baseLength + 2 + m.options.encodedLength)
        bytes.withUnsafeBytes { raw in
            guard case .success(.orderCanceled(let view)) = OUCH50.decodeOutbound(raw) else {
                Issue.record("OrderCanceled did not decode as itself"); return
            }
            #expect(view.message == m)
            #expect(OUCH50.OrderCanceledView(raw)?.message == m)
        }
    }

    @Test func roundTripOutboundAIQCanceledBare() throws {
        let m = OUCH50.AIQCanceled(timestamp: VenueTime(nanosSinceMidnight: 34_200_000_000_000 + 0), userRefNum: UInt32(0x1020_3040 + 1), decrementShares: Shares(rawValue: 102), reason: ASCIICode(rawValue: 0x41 + 3), quantityPreventedFromTrading: Shares(rawValue: 104), executionPrice: Price(rawValue: 987_654_300 + 5), liquidityFlag: ASCIICode(rawValue: 0x41 + 6), aiqStrategy: ASCIICode(rawValue: 0x41 + 7), options: OUCH50.Options())
        let bytes = try #require(encoded { m.encode(into: $0) })
        #expect(bytes.count == OUCH50.AIQCanceled.baseLength)
        bytes.withUnsafeBytes { raw in
            guard case .success(.aiqCanceled(let view)) = OUCH50.decodeOutbound(raw) else {
                Issue.record("AIQCanceled did not decode as itself"); return
            }
            #expect(view.message == m)
            #expect(OUCH50.AIQCanceledView(raw)?.message == m)
        }
    }

    @Test func roundTripOutboundAIQCanceledWithOptions() throws {
        let m = OUCH50.AIQCanceled(timestamp: VenueTime(nanosSinceMidnight: 34_200_000_000_000 + 0), userRefNum: UInt32(0x1020_3040 + 1), decrementShares: Shares(rawValue: 102), reason: ASCIICode(rawValue: 0x41 + 3), quantityPreventedFromTrading: Shares(rawValue: 104), executionPrice: Price(rawValue: 987_654_300 + 5), liquidityFlag: ASCIICode(rawValue: 0x41 + 6), aiqStrategy: ASCIICode(rawValue: 0x41 + 7), options: OUCH50.Options(firm: Alpha4("ABCD")!, minQty: Shares(rawValue: 200), customerType: "R", maxFloor: Shares(rawValue: 300), userRefIdx: 7))
        let bytes = try #require(encoded { m.encode(into: $0) })
        #expect(bytes.count == OUCH50.AIQCanceled.baseLength + 2 + m.options.encodedLength)
        bytes.withUnsafeBytes { raw in
            guard case .success(.aiqCanceled(let view)) = OUCH50.decodeOutbound(raw) else {
                Issue.record("AIQCanceled did not decode as itself"); return
            }
            #expect(view.message == m)
            #expect(OUCH50.AIQCanceledView(raw)?.message == m)
        }
    }

    @Test func roundTripOutboundOrderExecutedBare() throws {
        let m = OUCH50.OrderExecuted(timestamp: VenueTime(nanosSinceMidnight: 34_200_000_000_000 + 0), userRefNum: UInt32(0x1020_3040 + 1), quantity: Shares(rawValue: 102), price: Price(rawValue: 987_654_300 + 3), liquidityFlag: ASCIICode(rawValue: 0x41 + 4), matchNumber: UInt64(0x1122_3344_5566_7700 + 5), options: OUCH50.Options())
        let bytes = try #require(encoded { m.encode(into: $0) })
        #expect(bytes.count == OUCH50.OrderExecuted.baseLength + 2)
        bytes.withUnsafeBytes { raw in
            guard case .success(.orderExecuted(let view)) = OUCH50.decodeOutbound(raw) else {
                Issue.record("OrderExecuted did not decode as itself"); return
            }
            #expect(view.message == m)
            #expect(OUCH50.OrderExecutedView(raw)?.message == m)
        }
    }

    @Test func roundTripOutboundOrderExecutedWithOptions() throws {
        let m = OUCH50.OrderExecuted(timestamp: VenueTime(nanosSinceMidnight: 34_200_000_000_000 + 0), userRefNum: UInt32(0x1020_3040 + 1), quantity: Shares(rawValue: 102), price: Price(rawValue: 987_654_300 + 3), liquidityFlag: ASCIICode(rawValue: 0x41 + 4), matchNumber: UInt64(0x1122_3344_5566_7700 + 5), options: OUCH50.Options(firm: Alpha4("ABCD")!, minQty: Shares(rawValue: 200), customerType: "R", maxFloor: Shares(rawValue: 300), userRefIdx: 7))
        let bytes = try #require(encoded { m.encode(into: $0) })
        #expect(bytes.count == OUCH50.OrderExecuted.baseLength + 2 + m.options.encodedLength)
        bytes.withUnsafeBytes { raw in
            guard case .success(.orderExecuted(let view)) = OUCH50.decodeOutbound(raw) else {
                Issue.record("OrderExecuted did not decode as itself"); return
            }
            #expect(view.message == m)
            #expect(OUCH50.OrderExecutedView(raw)?.message == m)
        }
    }

    @Test func roundTripOutboundBrokenTradeBare() throws {
        let m = OUCH50.BrokenTrade(timestamp: VenueTime(nanosSinceMidnight: 34_200_000_000_000 + 0), userRefNum: UInt32(0x1020_3040 + 1), matchNumber: UInt64(0x1122_3344_5566_7700 + 2), reason: ASCIICode(rawValue: 0x41 + 3), clOrdID: Alpha14("TOKEN-04-XYZ-Q")!, options: OUCH50.Options())
        let bytes = try #require(encoded { m.encode(into: $0) })
        #expect(bytes.count == OUCH50.BrokenTrade.baseLength)
        bytes.withUnsafeBytes { raw in
            guard case .success(.brokenTrade(let view)) = OUCH50.decodeOutbound(raw) else {
                Issue.record("BrokenTrade did not decode as itself"); return
            }
            #expect(view.message == m)
            #expect(OUCH50.BrokenTradeView(raw)?.message == m)
        }
    }

    @Test func roundTripOutboundBrokenTradeWithOptions() throws {
        let m = OUCH50.BrokenTrade(timestamp: VenueTime(nanosSinceMidnight: 34_200_000_000_000 + 0), userRefNum: UInt32(0x1020_3040 + 1), matchNumber: UInt64(0x1122_3344_5566_7700 + 2), reason: ASCIICode(rawValue: 0x41 + 3), clOrdID: Alpha14("TOKEN-04-XYZ-Q")!, options: OUCH50.Options(firm: Alpha4("ABCD")!, minQty: Shares(rawValue: 200), customerType: "R", maxFloor: Shares(rawValue: 300), userRefIdx: 7))
        let bytes = try #require(encoded { m.encode(into: $0) })
        #expect(bytes.count == OUCH50.BrokenTrade.baseLength + 2 + m.options.encodedLength)
        bytes.withUnsafeBytes { raw in
            guard case .success(.brokenTrade(let view)) = OUCH50.decodeOutbound(raw) else {
                Issue.record("BrokenTrade did not decode as itself"); return
            }
            #expect(view.message == m)
            #expect(OUCH50.BrokenTradeView(raw)?.message == m)
        }
    }

    @Test func roundTripOutboundOrderRejectedBare() throws {
        let m = OUCH50.OrderRejected(timestamp: VenueTime(nanosSinceMidnight: 34_200_000_000_000 + 0), userRefNum: UInt32(0x1020_3040 + 1), reason: UInt16(0x0100 + 2), clOrdID: Alpha14("TOKEN-03-XYZ-Q")!, options: OUCH50.Options())
        let bytes = try #require(encoded { m.encode(into: $0) })
        #expect(bytes.count == OUCH50.OrderRejected.baseLength)
        bytes.withUnsafeBytes { raw in
            guard case .success(.orderRejected(let view)) = OUCH50.decodeOutbound(raw) else {
                Issue.record("OrderRejected did not decode as itself"); return
            }
            #expect(view.message == m)
            #expect(OUCH50.OrderRejectedView(raw)?.message == m)
        }
    }

    @Test func roundTripOutboundOrderRejectedWithOptions() throws {
        let m = OUCH50.OrderRejected(timestamp: VenueTime(nanosSinceMidnight: 34_200_000_000_000 + 0), userRefNum: UInt32(0x1020_3040 + 1), reason: UInt16(0x0100 + 2), clOrdID: Alpha14("TOKEN-03-XYZ-Q")!, options: OUCH50.Options(firm: Alpha4("ABCD")!, minQty: Shares(rawValue: 200), customerType: "R", maxFloor: Shares(rawValue: 300), userRefIdx: 7))
        let bytes = try #require(encoded { m.encode(into: $0) })
        #expect(bytes.count == OUCH50.OrderRejected.baseLength + 2 + m.options.encodedLength)
        bytes.withUnsafeBytes { raw in
            guard case .success(.orderRejected(let view)) = OUCH50.decodeOutbound(raw) else {
                Issue.record("OrderRejected did not decode as itself"); return
            }
            #expect(view.message == m)
            #expect(OUCH50.OrderRejectedView(raw)?.message == m)
        }
    }

    @Test func roundTripOutboundCancelPendingBare() throws {
        let m = OUCH50.CancelPending(timestamp: VenueTime(nanosSinceMidnight: 34_200_000_000_000 + 0), userRefNum: UInt32(0x1020_3040 + 1), options: OUCH50.Options())
        let bytes = try #require(encoded { m.encode(into: $0) })
        #expect(bytes.count == OUCH50.CancelPending.baseLength)
        bytes.withUnsafeBytes { raw in
            guard case .success(.cancelPending(let view)) = OUCH50.decodeOutbound(raw) else {
                Issue.record("CancelPending did not decode as itself"); return
            }
            #expect(view.message == m)
            #expect(OUCH50.CancelPendingView(raw)?.message == m)
        }
    }

    @Test func roundTripOutboundCancelPendingWithOptions() throws {
        let m = OUCH50.CancelPending(timestamp: VenueTime(nanosSinceMidnight: 34_200_000_000_000 + 0), userRefNum: UInt32(0x1020_3040 + 1), options: OUCH50.Options(firm: Alpha4("ABCD")!, minQty: Shares(rawValue: 200), customerType: "R", maxFloor: Shares(rawValue: 300), userRefIdx: 7))
        let bytes = try #require(encoded { m.encode(into: $0) })
        #expect(bytes.count == OUCH50.CancelPending.baseLength + 2 + m.options.encodedLength)
        bytes.withUnsafeBytes { raw in
            guard case .success(.cancelPending(let view)) = OUCH50.decodeOutbound(raw) else {
                Issue.record("CancelPending did not decode as itself"); return
            }
            #expect(view.message == m)
            #expect(OUCH50.CancelPendingView(raw)?.message == m)
        }
    }

    @Test func roundTripOutboundCancelRejectBare() throws {
        let m = OUCH50.CancelReject(timestamp: VenueTime(nanosSinceMidnight: 34_200_000_000_000 + 0), userRefNum: UInt32(0x1020_3040 + 1), options: OUCH50.Options())
        let bytes = try #require(encoded { m.encode(into: $0) })
        #expect(bytes.count == OUCH50.CancelReject.baseLength)
        bytes.withUnsafeBytes { raw in
            guard case .success(.cancelReject(let view)) = OUCH50.decodeOutbound(raw) else {
                Issue.record("CancelReject did not decode as itself"); return
            }
            #expect(view.message == m)
            #expect(OUCH50.CancelRejectView(raw)?.message == m)
        }
    }

    @Test func roundTripOutboundCancelRejectWithOptions() throws {
        let m = OUCH50.CancelReject(timestamp: VenueTime(nanosSinceMidnight: 34_200_000_000_000 + 0), userRefNum: UInt32(0x1020_3040 + 1), options: OUCH50.Options(firm: Alpha4("ABCD")!, minQty: Shares(rawValue: 200), customerType: "R", maxFloor: Shares(rawValue: 300), userRefIdx: 7))
        let bytes = try #require(encoded { m.encode(into: $0) })
        #expect(bytes.count == OUCH50.CancelReject.baseLength + 2 + m.options.encodedLength)
        bytes.withUnsafeBytes { raw in
            guard case .success(.cancelReject(let view)) = OUCH50.decodeOutbound(raw) else {
                Issue.record("CancelReject did not decode as itself"); return
            }
            #expect(view.message == m)
            #expect(OUCH50.CancelRejectView(raw)?.message == m)
        }
    }

    @Test func roundTripOutboundOrderPriorityUpdateBare() throws {
        let m = OUCH50.OrderPriorityUpdate(timestamp: VenueTime(nanosSinceMidnight: 34_200_000_000_000 + 0), userRefNum: UInt32(0x1020_3040 + 1), price: Price(rawValue: 987_654_300 + 2), display: ASCIICode(rawValue: 0x41 + 3), orderReferenceNumber: OrderRef(rawValue: 0x0102_0304_0506_0700 + 4), options: OUCH50.Options())
        let bytes = try #require(encoded { m.encode(into: $0) })
        #expect(bytes.count == OUCH50.OrderPriorityUpdate.baseLength)
        bytes.withUnsafeBytes { raw in
            guard case .success(.orderPriorityUpdate(let view)) = OUCH50.decodeOutbound(raw) else {
                Issue.record("OrderPriorityUpdate did not decode as itself"); return
            }
            #expect(view.message == m)
            #expect(OUCH50.OrderPriorityUpdateView(raw)?.message == m)
        }
    }

    @Test func roundTripOutboundOrderPriorityUpdateWithOptions() throws {
        let m = OUCH50.OrderPriorityUpdate(timestamp: VenueTime(nanosSinceMidnight: 34_200_000_000_000 + 0), userRefNum: UInt32(0x1020_3040 + 1), price: Price(rawValue: 987_654_300 + 2), display: ASCIICode(rawValue: 0x41 + 3), orderReferenceNumber: OrderRef(rawValue: 0x0102_0304_0506_0700 + 4), options: OUCH50.Options(firm: Alpha4("ABCD")!, minQty: Shares(rawValue: 200), customerType: "R", maxFloor: Shares(rawValue: 300), userRefIdx: 7))
        let bytes = try #require(encoded { m.encode(into: $0) })
        #expect(bytes.count == OUCH50.OrderPriorityUpdate.baseLength + 2 + m.options.encodedLength)
        bytes.withUnsafeBytes { raw in
            guard case .success(.orderPriorityUpdate(let view)) = OUCH50.decodeOutbound(raw) else {
                Issue.record("OrderPriorityUpdate did not decode as itself"); return
            }
            #expect(view.message == m)
            #expect(OUCH50.OrderPriorityUpdateView(raw)?.message == m)
        }
    }

    @Test func roundTripOutboundOrderModifiedBare() throws {
        let m = OUCH50.OrderModified(timestamp: VenueTime(nanosSinceMidnight: 34_200_000_000_000 + 0), userRefNum: UInt32(0x1020_3040 + 1), side: .sellShort, quantity: Shares(rawValue: 103), options: OUCH50.Options())
        let bytes = try #require(encoded { m.encode(into: $0) })
        #expect(bytes.count == OUCH50.OrderModified.baseLength)
        bytes.withUnsafeBytes { raw in
            guard case .success(.orderModified(let view)) = OUCH50.decodeOutbound(raw) else {
                Issue.record("OrderModified did not decode as itself"); return
            }
            #expect(view.message == m)
            #expect(OUCH50.OrderModifiedView(raw)?.message == m)
        }
    }

    @Test func roundTripOutboundOrderModifiedWithOptions() throws {
        let m = OUCH50.OrderModified(timestamp: VenueTime(nanosSinceMidnight: 34_200_000_000_000 + 0), userRefNum: UInt32(0x1020_3040 + 1), side: .sellShort, quantity: Shares(rawValue: 103), options: OUCH50.Options(firm: Alpha4("ABCD")!, minQty: Shares(rawValue: 200), customerType: "R", maxFloor: Shares(rawValue: 300), userRefIdx: 7))
        let bytes = try #require(encoded { m.encode(into: $0) })
        #expect(bytes.count == OUCH50.OrderModified.baseLength + 2 + m.options.encodedLength)
        bytes.withUnsafeBytes { raw in
            guard case .success(.orderModified(let view)) = OUCH50.decodeOutbound(raw) else {
                Issue.record("OrderModified did not decode as itself"); return
            }
            #expect(view.message == m)
            #expect(OUCH50.OrderModifiedView(raw)?.message == m)
        }
    }

    @Test func roundTripOutboundOrderRestatedBare() throws {
        let m = OUCH50.OrderRestated(timestamp: VenueTime(nanosSinceMidnight: 34_200_000_000_000 + 0), userRefNum: UInt32(0x1020_3040 + 1), reason: ASCIICode(rawValue: 0x41 + 2), options: OUCH50.Options())
        let bytes = try #require(encoded { m.encode(into: $0) })
        #expect(bytes.count == OUCH50.OrderRestated.baseLength + 2)
        bytes.withUnsafeBytes { raw in
            guard case .success(.orderRestated(let view)) = OUCH50.decodeOutbound(raw) else {
                Issue.record("OrderRestated did not decode as itself"); return
            }
            #expect(view.message == m)
            #expect(OUCH50.OrderRestatedView(raw)?.message == m)
        }
    }

    @Test func roundTripOutboundOrderRestatedWithOptions() throws {
        let m = OUCH50.OrderRestated(timestamp: VenueTime(nanosSinceMidnight: 34_200_000_000_000 + 0), userRefNum: UInt32(0x1020_3040 + 1), reason: ASCIICode(rawValue: 0x41 + 2), options: OUCH50.Options(firm: Alpha4("ABCD")!, minQty: Shares(rawValue: 200), customerType: "R", maxFloor: Shares(rawValue: 300), userRefIdx: 7))
        let bytes = try #require(encoded { m.encode(into: $0) })
        #expect(bytes.count == OUCH50.OrderRestated.baseLength + 2 + m.options.encodedLength)
        bytes.withUnsafeBytes { raw in
            guard case .success(.orderRestated(let view)) = OUCH50.decodeOutbound(raw) else {
                Issue.record("OrderRestated did not decode as itself"); return
            }
            #expect(view.message == m)
            #expect(OUCH50.OrderRestatedView(raw)?.message == m)
        }
    }

    @Test func roundTripOutboundMassCancelResponseBare() throws {
        let m = OUCH50.MassCancelResponse(timestamp: VenueTime(nanosSinceMidnight: 34_200_000_000_000 + 0), userRefNum: UInt32(0x1020_3040 + 1), firm: Alpha4("F002")!, symbol: Alpha8("SYMB0003")!, options: OUCH50.Options())
        let bytes = try #require(encoded { m.encode(into: $0) })
        #expect(bytes.count == OUCH50.MassCancelResponse.baseLength + 2)
        bytes.withUnsafeBytes { raw in
            guard case .success(.massCancelResponse(let view)) = OUCH50.decodeOutbound(raw) else {
                Issue.record("MassCancelResponse did not decode as itself"); return
            }
            #expect(view.message == m)
            #expect(OUCH50.MassCancelResponseView(raw)?.message == m)
        }
    }

    @Test func roundTripOutboundMassCancelResponseWithOptions() throws {
        let m = OUCH50.MassCancelResponse(timestamp: VenueTime(nanosSinceMidnight: 34_200_000_000_000 + 0), userRefNum: UInt32(0x1020_3040 + 1), firm: Alpha4("F002")!, symbol: Alpha8("SYMB0003")!, options: OUCH50.Options(firm: Alpha4("ABCD")!, minQty: Shares(rawValue: 200), customerType: "R", maxFloor: Shares(rawValue: 300), userRefIdx: 7))
        let bytes = try #require(encoded { m.encode(into: $0) })
        #expect(bytes.count == OUCH50.MassCancelResponse.baseLength + 2 + m.options.encodedLength)
        bytes.withUnsafeBytes { raw in
            guard case .success(.massCancelResponse(let view)) = OUCH50.decodeOutbound(raw) else {
                Issue.record("MassCancelResponse did not decode as itself"); return
            }
            #expect(view.message == m)
            #expect(OUCH50.MassCancelResponseView(raw)?.message == m)
        }
    }

    @Test func roundTripOutboundAccountQueryResponseBare() throws {
        let m = OUCH50.AccountQueryResponse(timestamp: VenueTime(nanosSinceMidnight: 34_200_000_000_000 + 0), nextUserRefNum: UInt32(0x1020_3040 + 1), options: OUCH50.Options())
        let bytes = try #require(encoded { m.encode(into: $0) })
        #expect(bytes.count == OUCH50.AccountQueryResponse.baseLength)
        bytes.withUnsafeBytes { raw in
            guard case .success(.accountQueryResponse(let view)) = OUCH50.decodeOutbound(raw) else {
                Issue.record("AccountQueryResponse did not decode as itself"); return
            }
            #expect(view.message == m)
            #expect(OUCH50.AccountQueryResponseView(raw)?.message == m)
        }
    }

    @Test func roundTripOutboundAccountQueryResponseWithOptions() throws {
        let m = OUCH50.AccountQueryResponse(timestamp: VenueTime(nanosSinceMidnight: 34_200_000_000_000 + 0), nextUserRefNum: UInt32(0x1020_3040 + 1), options: OUCH50.Options(firm: Alpha4("ABCD")!, minQty: Shares(rawValue: 200), customerType: "R", maxFloor: Shares(rawValue: 300), userRefIdx: 7))
        let bytes = try #require(encoded { m.encode(into: $0) })
        #expect(bytes.count == OUCH50.AccountQueryResponse.baseLength + 2 + m.options.encodedLength)
        bytes.withUnsafeBytes { raw in
            guard case .success(.accountQueryResponse(let view)) = OUCH50.decodeOutbound(raw) else {
                Issue.record("AccountQueryResponse did not decode as itself"); return
            }
            #expect(view.message == m)
            #expect(OUCH50.AccountQueryResponseView(raw)?.message == m)
        }
    }
}

@Suite struct OUCH50PlainEncodeTests {
    @Test func plainEnterOrderEqualsTheGeneralEncoder() throws {
        for i in 0..<50 as Range<UInt32> {
            let m = OUCH50.EnterOrder(userRefNum: 1_000 + i, side: i % 2 == 0 ? .buy : .sellShort, quantity: Shares(rawValue: 100 * (i + 1)),
                                      symbol: Alpha8("SYM\(i)")!, price: Price(rawValue: Int64(i) * 12_345 - 50_000), timeInForce: "3",
                                      display: "Y", capacity: "A", intermarketSweepEligibility: "N", crossType: "N",
                                      clOrdID: Alpha14("CID\(i)")!)
            var a = [UInt8](repeating: 0xEE, count: 80), b = [UInt8](repeating: 0xEE, count: 80)
            let na = a.withUnsafeMutableBytes { m.encode(into: $0) }
            let nb = b.withUnsafeMutableBytes {
                OUCH50.encodeEnterOrder(into: $0, userRefNum: m.userRefNum, side: m.side, quantity: m.quantity, symbol: m.symbol, price: m.price,
                                        timeInForce: m.timeInForce, display: m.display, capacity: m.capacity,
                                        intermarketSweepEligibility: m.intermarketSweepEligibility, crossType: m.crossType, clOrdID: m.clOrdID)
            }
            #expect(na == 47 && nb == 47)
            #expect(a == b)
        }
        var short = [UInt8](repeating: 0, count: 46)
        #expect(short.withUnsafeMutableBytes {
            OUCH50.encodeEnterOrder(into: $0, userRefNum: 1, side: .buy, quantity: Shares(rawValue: 1), symbol: Alpha8("A")!, price: .zero,
                                    timeInForce: "0", display: "Y", capacity: "A", intermarketSweepEligibility: "N", crossType: "N", clOrdID: .blank)
        } == nil)
    }
}
