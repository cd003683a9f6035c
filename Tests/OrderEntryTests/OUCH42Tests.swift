// OUCH 4.2: every message round-tripped (fields set to distinct values, so a field written at the
// wrong offset cannot come back equal), lengths against the spec's table (typed in by hand here,
// independently of the codec), a known-answer Enter Order, and bad input.

import Testing
import OrderEntry
import TickwireCore

@Suite struct OUCH42Tests {
    // MARK: Lengths (spec message tables)

    static let inboundLengths: [Character: Int] = ["O": 49, "U": 47, "X": 19, "M": 20]
    static let outboundLengths: [Character: Int] = [
        "S": 10, "A": 66, "U": 80, "C": 28, "D": 37, "E": 40, "B": 32, "J": 24, "P": 23, "I": 23, "T": 36, "M": 28,
    ]

    @Test func lengthsMatchTheSpecTable() {
        for (letter, length) in Self.inboundLengths {
            #expect(OUCH42.inboundLength(of: letter.asciiValue!) == length, "inbound \(letter)")
        }
        for (letter, length) in Self.outboundLengths {
            #expect(OUCH42.outboundLength(of: letter.asciiValue!) == length, "outbound \(letter)")
        }
        for byte in UInt8(0)...UInt8(255) {
            let c = Character(Unicode.Scalar(byte))
            if Self.inboundLengths[c] == nil { #expect(OUCH42.inboundLength(of: byte) == nil) }
            if Self.outboundLengths[c] == nil { #expect(OUCH42.outboundLength(of: byte) == nil) }
        }
        #expect(OUCH42.EnterOrder.length == 49 && OUCH42.ReplaceOrder.length == 47)
        #expect(OUCH42.CancelOrder.length == 19 && OUCH42.ModifyOrder.length == 20)
        #expect(OUCH42.SystemEvent.length == 10 && OUCH42.Accepted.length == 66 && OUCH42.Replaced.length == 80)
        #expect(OUCH42.Canceled.length == 28 && OUCH42.AIQCanceled.length == 37 && OUCH42.Executed.length == 40)
        #expect(OUCH42.BrokenTrade.length == 32 && OUCH42.Rejected.length == 24 && OUCH42.CancelPending.length == 23)
        #expect(OUCH42.CancelReject.length == 23 && OUCH42.OrderPriorityUpdate.length == 36)
        #expect(OUCH42.OrderModified.length == 28)
    }

    // MARK: Known answer

    static let enterOrder = OUCH42.EnterOrder(
        orderToken: Alpha14("ABC123")!, side: .buy, shares: Shares(rawValue: 100), stock: Alpha8("AAPL")!,
        price: Price(rawValue: 1_502_500), timeInForce: OUCH42.marketHours, firm: Alpha4("FIRM")!, display: "Y",
        capacity: "A", intermarketSweepEligibility: "N", minimumQuantity: Shares(rawValue: 0), crossType: "N",
        customerType: " ")

    /// Enter Order written out field by field from the spec's table.
    static let enterOrderBytes = hex("""
        4F
        41 42 43 31 32 33 20 20 20 20 20 20 20 20
        42
        00 00 00 64
        41 41 50 4C 20 20 20 20
        00 16 ED 24
        00 01 86 9E
        46 49 52 4D
        59
        41
        4E
        00 00 00 00
        4E
        20
        """)

    @Test func enterOrderKnownAnswer() throws {
        let bytes = try #require(encoded { Self.enterOrder.encode(into: $0) })
        #expect(bytes == Self.enterOrderBytes, "\(hexString(bytes))")
        try Self.enterOrderBytes.withUnsafeBytes { raw in
            let v = try #require(OUCH42.EnterOrderView(raw))
            #expect(v.orderToken.description == "ABC123")
            #expect(v.side == .buy && v.side.bookSide == .buy)
            #expect(v.shares == Shares(rawValue: 100))
            #expect(v.stock.description == "AAPL")
            #expect(v.price == Price(rawValue: 1_502_500) && v.price.description == "150.2500")
            #expect(v.timeInForce == 99_998)
            #expect(v.firm.description == "FIRM")
            #expect(v.display == "Y" && v.capacity == "A" && v.intermarketSweepEligibility == "N")
            #expect(v.minimumQuantity == Shares(rawValue: 0) && v.crossType == "N" && v.customerType == .space)
        }
    }

    // MARK: Ranges and bad input

    @Test func pricesOutsideTheUnsigned32RangeAreRefused() {
        var m = Self.enterOrder
        m.price = Price(rawValue: -1)
        #expect(encoded { m.encode(into: $0) } == nil)
        m.price = Price(rawValue: Int64(UInt32.max) + 1)
        #expect(encoded { m.encode(into: $0) } == nil)
        m.price = Price(rawValue: Int64(UInt32.max))
        let bytes = encoded { m.encode(into: $0) }
        #expect(bytes.map { Array($0[28..<32]) } == [0xFF, 0xFF, 0xFF, 0xFF])
    }

    @Test func encodersRefuseSmallBuffers() {
        var buffer = [UInt8](repeating: 0, count: 48)
        buffer.withUnsafeMutableBytes { #expect(Self.enterOrder.encode(into: $0) == nil) }
        #expect(buffer.allSatisfy { $0 == 0 })
    }

    @Test func decodeErrors() {
        hex("").withUnsafeBytes {
            #expect(OUCH42.decodeInbound($0).failureValue == .empty)
            #expect(OUCH42.decodeOutbound($0).failureValue == .empty)
        }
        hex("5A 00").withUnsafeBytes { #expect(OUCH42.decodeInbound($0).failureValue == .unknownType(0x5A)) }
        // 'A' is outbound only, 'O' inbound only.
        Self.enterOrderBytes.withUnsafeBytes { #expect(OUCH42.decodeOutbound($0).failureValue == .unknownType(0x4F)) }
        Array(Self.enterOrderBytes.dropLast()).withUnsafeBytes {
            #expect(OUCH42.decodeInbound($0).failureValue == .badLength(type: 0x4F, expected: 49, actual: 48))
            #expect(OUCH42.EnterOrderView($0) == nil)
        }
        (Self.enterOrderBytes + [0]).withUnsafeBytes {
            #expect(OUCH42.decodeInbound($0).failureValue == .badLength(type: 0x4F, expected: 49, actual: 50))
        }
        // Same length, other type byte: the typed view refuses it.
        var other = Self.enterOrderBytes
        other[0] = 0x58
        other.withUnsafeBytes { #expect(OUCH42.EnterOrderView($0) == nil) }
    }

    @Test func replaceAndReplacedShareTheirTypeByte() throws {
        // 'U' inbound is Replace Order (47), outbound is Replaced (80): each direction decodes its own.
        let replace = OUCH42.ReplaceOrder(existingOrderToken: Alpha14("OLD")!, replacementOrderToken: Alpha14("NEW")!,
                                          shares: Shares(rawValue: 5), price: Price(rawValue: 10_000), timeInForce: 0,
                                          display: "Y", intermarketSweepEligibility: "N", minimumQuantity: Shares(rawValue: 0))
        let bytes = try #require(encoded { replace.encode(into: $0) })
        bytes.withUnsafeBytes {
            #expect(OUCH42.decodeOutbound($0).failureValue == .badLength(type: 0x55, expected: 80, actual: 47))
            guard case .success(.replaceOrder(let v)) = OUCH42.decodeInbound($0) else { Issue.record(); return }
            #expect(v.message == replace)
        }
    }

    @Test func randomBytesNeverCrash() {
        var rng = SplitMix64(seed: 3)
        var decoded = 0
        for _ in 0..<20_000 {
            var bytes = (0..<Int.random(in: 0...90, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
            if !bytes.isEmpty && Bool.random(using: &rng) { bytes[0] = ascii("OUXMSACDEBJPIT").randomElement(using: &rng)! }
            bytes.withUnsafeBytes { raw in
                if case .success(let m) = OUCH42.decodeInbound(raw) { decoded += 1; _ = m }
                if case .success = OUCH42.decodeOutbound(raw) { decoded += 1 }
            }
        }
        #expect(decoded > 0)
    }

    // MARK: Round trips (one test per message type: encode then decode; the offsets themselves
    // are held by the known-answer tests)

    @Test func roundTripInboundEnterOrder() throws {
        let m = OUCH42.EnterOrder(orderToken: Alpha14("TOKEN-00-XYZ-Q")!, side: .sellShort, shares: Shares(rawValue: 102), stock: Alpha8("SYMB0003")!, price: Price(rawValue: 1_234_500 + 4), timeInForce: UInt32(0x1020_3040 + 5), firm: Alpha4("F006")!, display: ASCIICode(rawValue: 0x41 + 7), capacity: ASCIICode(rawValue: 0x41 + 8), intermarketSweepEligibility: ASCIICode(rawValue: 0x41 + 9), minimumQuantity: Shares(rawValue: 110), crossType: ASCIICode(rawValue: 0x41 + 11), customerType: ASCIICode(rawValue: 0x41 + 12))
        let bytes = try #require(encoded { m.encode(into: $0) })
        #expect(bytes.count == OUCH42.EnterOrder.length)
        bytes.withUnsafeBytes { raw in
            guard case .success(.enterOrder(let view)) = OUCH42.decodeInbound(raw) else {
                Issue.record("EnterOrder did not decode as itself"); return
            }
            #expect(view.message == m)
            #expect(OUCH42.EnterOrderView(raw)?.message == m)
            #expect(OUCH42.EnterOrderView(UnsafeRawBufferPointer(rebasing: raw.dropLast())) == nil)
        }
    }

    @Test func roundTripInboundReplaceOrder() throws {
        let m = OUCH42.ReplaceOrder(existingOrderToken: Alpha14("TOKEN-00-XYZ-Q")!, replacementOrderToken: Alpha14("TOKEN-01-XYZ-Q")!, shares: Shares(rawValue: 102), price: Price(rawValue: 1_234_500 + 3), timeInForce: UInt32(0x1020_3040 + 4), display: ASCIICode(rawValue: 0x41 + 5), intermarketSweepEligibility: ASCIICode(rawValue: 0x41 + 6), minimumQuantity: Shares(rawValue: 107))
        let bytes = try #require(encoded { m.encode(into: $0) })
        #expect(bytes.count == OUCH42.ReplaceOrder.length)
        bytes.withUnsafeBytes { raw in
            guard case .success(.replaceOrder(let view)) = OUCH42.decodeInbound(raw) else {
                Issue.record("ReplaceOrder did not decode as itself"); return
            }
            #expect(view.message == m)
            #expect(OUCH42.ReplaceOrderView(raw)?.message == m)
            #expect(OUCH42.ReplaceOrderView(UnsafeRawBufferPointer(rebasing: raw.dropLast())) == nil)
        }
    }

    @Test func roundTripInboundCancelOrder() throws {
        let m = OUCH42.CancelOrder(orderToken: Alpha14("TOKEN-00-XYZ-Q")!, shares: Shares(rawValue: 101))
        let bytes = try #require(encoded { m.encode(into: $0) })
        #expect(bytes.count == OUCH42.CancelOrder.length)
        bytes.withUnsafeBytes { raw in
            guard case .success(.cancelOrder(let view)) = OUCH42.decodeInbound(raw) else {
                Issue.record("CancelOrder did not decode as itself"); return
            }
            #expect(view.message == m)
            #expect(OUCH42.CancelOrderView(raw)?.message == m)
            #expect(OUCH42.CancelOrderView(UnsafeRawBufferPointer(rebasing: raw.dropLast())) == nil)
        }
    }

    @Test func roundTripInboundModifyOrder() throws {
        let m = OUCH42.ModifyOrder(orderToken: Alpha14("TOKEN-00-XYZ-Q")!, side: .sellShort, shares: Shares(rawValue: 102))
        let bytes = try #require(encoded { m.encode(into: $0) })
        #expect(bytes.count == OUCH42.ModifyOrder.length)
        bytes.withUnsafeBytes { raw in
            guard case .success(.modifyOrder(let view)) = OUCH42.decodeInbound(raw) else {
                Issue.record("ModifyOrder did not decode as itself"); return
            }
            #expect(view.message == m)
            #expect(OUCH42.ModifyOrderView(raw)?.message == m)
            #expect(OUCH42.ModifyOrderView(UnsafeRawBufferPointer(rebasing: raw.dropLast())) == nil)
        }
    }

    @Test func roundTripOutboundSystemEvent() throws {
        let m = OUCH42.SystemEvent(timestamp: VenueTime(nanosSinceMidnight: 34_200_000_000_000 + 0), eventCode: ASCIICode(rawValue: 0x41 + 1))
        let bytes = try #require(encoded { m.encode(into: $0) })
        #expect(bytes.count == OUCH42.SystemEvent.length)
        bytes.withUnsafeBytes { raw in
            guard case .success(.systemEvent(let view)) = OUCH42.decodeOutbound(raw) else {
                Issue.record("SystemEvent did not decode as itself"); return
            }
            #expect(view.message == m)
            #expect(OUCH42.SystemEventView(raw)?.message == m)
            #expect(OUCH42.SystemEventView(UnsafeRawBufferPointer(rebasing: raw.dropLast())) == nil)
        }
    }

    @Test func roundTripOutboundAccepted() throws {
        let m = OUCH42.Accepted(timestamp: VenueTime(nanosSinceMidnight: 34_200_000_000_000 + 0), orderToken: Alpha14("TOKEN-01-XYZ-Q")!, side: .sellShort, shares: Shares(rawValue: 103), stock: Alpha8("SYMB0004")!, price: Price(rawValue: 1_234_500 + 5), timeInForce: UInt32(0x1020_3040 + 6), firm: Alpha4("F007")!, display: ASCIICode(rawValue: 0x41 + 8), orderReferenceNumber: OrderRef(rawValue: 0x0102_0304_0506_0700 + 9), capacity: ASCIICode(rawValue: 0x41 + 10), intermarketSweepEligibility: ASCIICode(rawValue: 0x41 + 11), minimumQuantity: Shares(rawValue: 112), crossType: ASCIICode(rawValue: 0x41 + 13), orderState: ASCIICode(rawValue: 0x41 + 14), bboWeightIndicator: ASCIICode(rawValue: 0x41 + 15))
        let bytes = try #require(encoded { m.encode(into: $0) })
        #expect(bytes.count == OUCH42.Accepted.length)
        bytes.withUnsafeBytes { raw in
            guard case .success(.accepted(let view)) = OUCH42.decodeOutbound(raw) else {
                Issue.record("Accepted did not decode as itself"); return
            }
            #expect(view.message == m)
            #expect(OUCH42.AcceptedView(raw)?.message == m)
            #expect(OUCH42.AcceptedView(UnsafeRawBufferPointer(rebasing: raw.dropLast())) == nil)
        }
    }

    @Test func roundTripOutboundReplaced() throws {
        let m = OUCH42.Replaced(timestamp: VenueTime(nanosSinceMidnight: 34_200_000_000_000 + 0), replacementOrderToken: Alpha14("TOKEN-01-XYZ-Q")!, side: .sellShort, shares: Shares(rawValue: 103), stock: Alpha8("SYMB0004")!, price: Price(rawValue: 1_234_500 + 5), timeInForce: UInt32(0x1020_3040 + 6), firm: Alpha4("F007")!, display: ASCIICode(rawValue: 0x41 + 8), orderReferenceNumber: OrderRef(rawValue: 0x0102_0304_0506_0700 + 9), capacity: ASCIICode(rawValue: 0x41 + 10), intermarketSweepEligibility: ASCIICode(rawValue: 0x41 + 11), minimumQuantity: Shares(rawValue: 112), crossType: ASCIICode(rawValue: 0x41 + 13), orderState: ASCIICode(rawValue: 0x41 + 14), previousOrderToken: Alpha14("TOKEN-15-XYZ-Q")!, bboWeightIndicator: ASCIICode(rawValue: 0x41 + 16))
        let bytes = try #require(encoded { m.encode(into: $0) })
        #expect(bytes.count == OUCH42.Replaced.length)
        bytes.withUnsafeBytes { raw in
            guard case .success(.replaced(let view)) = OUCH42.decodeOutbound(raw) else {
                Issue.record("Replaced did not decode as itself"); return
            }
            #expect(view.message == m)
            #expect(OUCH42.ReplacedView(raw)?.message == m)
            #expect(OUCH42.ReplacedView(UnsafeRawBufferPointer(rebasing: raw.dropLast())) == nil)
        }
    }

    @Test func roundTripOutboundCanceled() throws {
        let m = OUCH42.Canceled(timestamp: VenueTime(nanosSinceMidnight: 34_200_000_000_000 + 0), orderToken: Alpha14("TOKEN-01-XYZ-Q")!, decrementShares: Shares(rawValue: 102), reason: ASCIICode(rawValue: 0x41 + 3))
        let bytes = try #require(encoded { m.encode(into: $0) })
        #expect(bytes.count == OUCH42.Canceled.length)
        bytes.withUnsafeBytes { raw in
            guard case .success(.canceled(let view)) = OUCH42.decodeOutbound(raw) else {
                Issue.record("Canceled did not decode as itself"); return
            }
            #expect(view.message == m)
            #expect(OUCH42.CanceledView(raw)?.message == m)
            #expect(OUCH42.CanceledView(UnsafeRawBufferPointer(rebasing: raw.dropLast())) == nil)
        }
    }

    @Test func roundTripOutboundAIQCanceled() throws {
        let m = OUCH42.AIQCanceled(timestamp: VenueTime(nanosSinceMidnight: 34_200_000_000_000 + 0), orderToken: Alpha14("TOKEN-01-XYZ-Q")!, decrementShares: Shares(rawValue: 102), reason: ASCIICode(rawValue: 0x41 + 3), quantityPreventedFromTrading: Shares(rawValue: 104), executionPrice: Price(rawValue: 1_234_500 + 5), liquidityFlag: ASCIICode(rawValue: 0x41 + 6))
        let bytes = try #require(encoded { m.encode(into: $0) })
        #expect(bytes.count == OUCH42.AIQCanceled.length)
        bytes.withUnsafeBytes { raw in
            guard case .success(.aiqCanceled(let view)) = OUCH42.decodeOutbound(raw) else {
                Issue.record("AIQCanceled did not decode as itself"); return
            }
            #expect(view.message == m)
            #expect(OUCH42.AIQCanceledView(raw)?.message == m)
            #expect(OUCH42.AIQCanceledView(UnsafeRawBufferPointer(rebasing: raw.dropLast())) == nil)
        }
    }

    @Test func roundTripOutboundExecuted() throws {
        let m = OUCH42.Executed(timestamp: VenueTime(nanosSinceMidnight: 34_200_000_000_000 + 0), orderToken: Alpha14("TOKEN-01-XYZ-Q")!, executedShares: Shares(rawValue: 102), executionPrice: Price(rawValue: 1_234_500 + 3), liquidityFlag: ASCIICode(rawValue: 0x41 + 4), matchNumber: UInt64(0x1122_3344_5566_7700 + 5))
        let bytes = try #require(encoded { m.encode(into: $0) })
        #expect(bytes.count == OUCH42.Executed.length)
        bytes.withUnsafeBytes { raw in
            guard case .success(.executed(let view)) = OUCH42.decodeOutbound(raw) else {
                Issue.record("Executed did not decode as itself"); return
            }
            #expect(view.message == m)
            #expect(OUCH42.ExecutedView(raw)?.message == m)
            #expect(OUCH42.ExecutedView(UnsafeRawBufferPointer(rebasing: raw.dropLast())) == nil)
        }
    }

    @Test func roundTripOutboundBrokenTrade() throws {
        let m = OUCH42.BrokenTrade(timestamp: VenueTime(nanosSinceMidnight: 34_200_000_000_000 + 0), orderToken: Alpha14("TOKEN-01-XYZ-Q")!, matchNumber: UInt64(0x1122_3344_5566_7700 + 2), reason: ASCIICode(rawValue: 0x41 + 3))
        let bytes = try #require(encoded { m.encode(into: $0) })
        #expect(bytes.count == OUCH42.BrokenTrade.length)
        bytes.withUnsafeBytes { raw in
            guard case .success(.brokenTrade(let view)) = OUCH42.decodeOutbound(raw) else {
                Issue.record("BrokenTrade did not decode as itself"); return
            }
            #expect(view.message == m)
            #expect(OUCH42.BrokenTradeView(raw)?.message == m)
            #expect(OUCH42.BrokenTradeView(UnsafeRawBufferPointer(rebasing: raw.dropLast())) == nil)
        }
    }

    @Test func roundTripOutboundRejected() throws {
        let m = OUCH42.Rejected(timestamp: VenueTime(nanosSinceMidnight: 34_200_000_000_000 + 0), orderToken: Alpha14("TOKEN-01-XYZ-Q")!, reason: ASCIICode(rawValue: 0x41 + 2))
        let bytes = try #require(encoded { m.encode(into: $0) })
        #expect(bytes.count == OUCH42.Rejected.length)
        bytes.withUnsafeBytes { raw in
            guard case .success(.rejected(let view)) = OUCH42.decodeOutbound(raw) else {
                Issue.record("Rejected did not decode as itself"); return
            }
            #expect(view.message == m)
            #expect(OUCH42.RejectedView(raw)?.message == m)
            #expect(OUCH42.RejectedView(UnsafeRawBufferPointer(rebasing: raw.dropLast())) == nil)
        }
    }

    @Test func roundTripOutboundCancelPending() throws {
        let m = OUCH42.CancelPending(timestamp: VenueTime(nanosSinceMidnight: 34_200_000_000_000 + 0), orderToken: Alpha14("TOKEN-01-XYZ-Q")!)
        let bytes = try #require(encoded { m.encode(into: $0) })
        #expect(bytes.count == OUCH42.CancelPending.length)
        bytes.withUnsafeBytes { raw in
            guard case .success(.cancelPending(let view)) = OUCH42.decodeOutbound(raw) else {
                Issue.record("CancelPending did not decode as itself"); return
            }
            #expect(view.message == m)
            #expect(OUCH42.CancelPendingView(raw)?.message == m)
            #expect(OUCH42.CancelPendingView(UnsafeRawBufferPointer(rebasing: raw.dropLast())) == nil)
        }
    }

    @Test func roundTripOutboundCancelReject() throws {
        let m = OUCH42.CancelReject(timestamp: VenueTime(nanosSinceMidnight: 34_200_000_000_000 + 0), orderToken: Alpha14("TOKEN-01-XYZ-Q")!)
        let bytes = try #require(encoded { m.encode(into: $0) })
        #expect(bytes.count == OUCH42.CancelReject.length)
        bytes.withUnsafeBytes { raw in
            guard case .success(.cancelReject(let view)) = OUCH42.decodeOutbound(raw) else {
                Issue.record("CancelReject did not decode as itself"); return
            }
            #expect(view.message == m)
            #expect(OUCH42.CancelRejectView(raw)?.message == m)
            #expect(OUCH42.CancelRejectView(UnsafeRawBufferPointer(rebasing: raw.dropLast())) == nil)
        }
    }

    @Test func roundTripOutboundOrderPriorityUpdate() throws {
        let m = OUCH42.OrderPriorityUpdate(timestamp: VenueTime(nanosSinceMidnight: 34_200_000_000_000 + 0), orderToken: Alpha14("TOKEN-01-XYZ-Q")!, price: Price(rawValue: 1_234_500 + 2), display: ASCIICode(rawValue: 0x41 + 3), orderReferenceNumber: OrderRef(rawValue: 0x0102_0304_0506_0700 + 4))
        let bytes = try #require(encoded { m.encode(into: $0) })
        #expect(bytes.count == OUCH42.OrderPriorityUpdate.length)
        bytes.withUnsafeBytes { raw in
            guard case .success(.orderPriorityUpdate(let view)) = OUCH42.decodeOutbound(raw) else {
                Issue.record("OrderPriorityUpdate did not decode as itself"); return
            }
            #expect(view.message == m)
            #expect(OUCH42.OrderPriorityUpdateView(raw)?.message == m)
            #expect(OUCH42.OrderPriorityUpdateView(UnsafeRawBufferPointer(rebasing: raw.dropLast())) == nil)
        }
    }

    @Test func roundTripOutboundOrderModified() throws {
        let m = OUCH42.OrderModified(timestamp: VenueTime(nanosSinceMidnight: 34_200_000_000_000 + 0), orderToken: Alpha14("TOKEN-01-XYZ-Q")!, side: .sellShort, shares: Shares(rawValue: 103))
        let bytes = try #require(encoded { m.encode(into: $0) })
        #expect(bytes.count == OUCH42.OrderModified.length)
        bytes.withUnsafeBytes { raw in
            guard case .success(.orderModified(let view)) = OUCH42.decodeOutbound(raw) else {
                Issue.record("OrderModified did not decode as itself"); return
            }
            #expect(view.message == m)
            #expect(OUCH42.OrderModifiedView(raw)?.message == m)
            #expect(OUCH42.OrderModifiedView(UnsafeRawBufferPointer(rebasing: raw.dropLast())) == nil)
        }
    }
}
