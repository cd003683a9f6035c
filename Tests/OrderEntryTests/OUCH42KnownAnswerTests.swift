// OUCH 4.2 known answers (issue 17): every message type but Enter Order (OUCH42Tests has it),
// its bytes typed in here field by field from the specification's message tables (offsets,
// lengths, enumerations; one line per field, in the table's order), not from the codec's own
// field tables that generated it. Each message must encode to exactly these bytes and decode
// from them to exactly these values, so a field at a wrong offset or of a wrong width fails
// here even where a round trip through the same tables would pass.

import Testing
import OrderEntry
import TickwireCore

@Suite struct OUCH42KnownAnswerTests {
    static let t0 = VenueTime(nanosSinceMidnight: 34_200_000_000_000)  // 09:30:00
    static let t0Bytes = "00 00 1F 1A CE D9 F0 00"
    static let ord1 = Alpha14("ORD1")!, ord2 = Alpha14("ORD2")!
    static let ord1Bytes = "4F 52 44 31 20 20 20 20 20 20 20 20 20 20"
    static let ord2Bytes = "4F 52 44 32 20 20 20 20 20 20 20 20 20 20"
    static let aapl = Alpha8("AAPL")!, firm = Alpha4("FIRM")!
    static let ref = OrderRef(rawValue: 0x0102_0304_0506_0708)

    // MARK: Inbound (client to venue)

    @Test func replaceOrder() throws {
        let m = OUCH42.ReplaceOrder(existingOrderToken: Self.ord1, replacementOrderToken: Self.ord2, shares: Shares(rawValue: 300),
                                    price: Price(rawValue: 1_499_900), timeInForce: 0, display: "Y", intermarketSweepEligibility: "N",
                                    minimumQuantity: Shares(rawValue: 0))
        try checkKnownAnswer("Replace Order", m, """
            55
            \(Self.ord1Bytes)
            \(Self.ord2Bytes)
            00 00 01 2C
            00 16 E2 FC
            00 00 00 00
            59
            4E
            00 00 00 00
            """, encode: { $0.encode(into: $1) }, decode: { OUCH42.ReplaceOrderView($0)?.message })
    }

    @Test func cancelOrder() throws {
        let m = OUCH42.CancelOrder(orderToken: Self.ord1, shares: Shares(rawValue: 0))
        try checkKnownAnswer("Cancel Order", m, """
            58
            \(Self.ord1Bytes)
            00 00 00 00
            """, encode: { $0.encode(into: $1) }, decode: { OUCH42.CancelOrderView($0)?.message })
    }

    @Test func modifyOrder() throws {
        let m = OUCH42.ModifyOrder(orderToken: Self.ord1, side: .sell, shares: Shares(rawValue: 75))
        try checkKnownAnswer("Modify Order", m, """
            4D
            \(Self.ord1Bytes)
            53
            00 00 00 4B
            """, encode: { $0.encode(into: $1) }, decode: { OUCH42.ModifyOrderView($0)?.message })
    }

    // MARK: Outbound (venue to client)

    @Test func systemEvent() throws {
        let m = OUCH42.SystemEvent(timestamp: Self.t0, eventCode: "S")
        try checkKnownAnswer("System Event", m, """
            53
            \(Self.t0Bytes)
            53
            """, encode: { $0.encode(into: $1) }, decode: { OUCH42.SystemEventView($0)?.message })
    }

    @Test func accepted() throws {
        let m = OUCH42.Accepted(timestamp: Self.t0, orderToken: Self.ord1, side: .buy, shares: Shares(rawValue: 100), stock: Self.aapl,
                                price: Price(rawValue: 1_502_500), timeInForce: 99_998, firm: Self.firm, display: "Y",
                                orderReferenceNumber: Self.ref, capacity: "A", intermarketSweepEligibility: "N",
                                minimumQuantity: Shares(rawValue: 0), crossType: "N", orderState: "L", bboWeightIndicator: " ")
        try checkKnownAnswer("Accepted", m, """
            41
            \(Self.t0Bytes)
            \(Self.ord1Bytes)
            42
            00 00 00 64
            41 41 50 4C 20 20 20 20
            00 16 ED 24
            00 01 86 9E
            46 49 52 4D
            59
            01 02 03 04 05 06 07 08
            41
            4E
            00 00 00 00
            4E
            4C
            20
            """, encode: { $0.encode(into: $1) }, decode: { OUCH42.AcceptedView($0)?.message })
    }

    @Test func replaced() throws {
        let m = OUCH42.Replaced(timestamp: Self.t0, replacementOrderToken: Self.ord2, side: .buy, shares: Shares(rawValue: 300),
                                stock: Self.aapl, price: Price(rawValue: 1_499_900), timeInForce: 0, firm: Self.firm, display: "Y",
                                orderReferenceNumber: Self.ref, capacity: "A", intermarketSweepEligibility: "N",
                                minimumQuantity: Shares(rawValue: 0), crossType: "N", orderState: "L", previousOrderToken: Self.ord1,
                                bboWeightIndicator: " ")
        try checkKnownAnswer("Replaced", m, """
            55
            \(Self.t0Bytes)
            \(Self.ord2Bytes)
            42
            00 00 01 2C
            41 41 50 4C 20 20 20 20
            00 16 E2 FC
            00 00 00 00
            46 49 52 4D
            59
            01 02 03 04 05 06 07 08
            41
            4E
            00 00 00 00
            4E
            4C
            \(Self.ord1Bytes)
            20
            """, encode: { $0.encode(into: $1) }, decode: { OUCH42.ReplacedView($0)?.message })
    }

    @Test func canceled() throws {
        let m = OUCH42.Canceled(timestamp: Self.t0, orderToken: Self.ord1, decrementShares: Shares(rawValue: 100), reason: "U")
        try checkKnownAnswer("Canceled", m, """
            43
            \(Self.t0Bytes)
            \(Self.ord1Bytes)
            00 00 00 64
            55
            """, encode: { $0.encode(into: $1) }, decode: { OUCH42.CanceledView($0)?.message })
    }

    @Test func aiqCanceled() throws {
        let m = OUCH42.AIQCanceled(timestamp: Self.t0, orderToken: Self.ord1, decrementShares: Shares(rawValue: 100), reason: "Q",
                                   quantityPreventedFromTrading: Shares(rawValue: 75), executionPrice: Price(rawValue: 1_502_500),
                                   liquidityFlag: "A")
        try checkKnownAnswer("AIQ Canceled", m, """
            44
            \(Self.t0Bytes)
            \(Self.ord1Bytes)
            00 00 00 64
            51
            00 00 00 4B
            00 16 ED 24
            41
            """, encode: { $0.encode(into: $1) }, decode: { OUCH42.AIQCanceledView($0)?.message })
    }

    @Test func executed() throws {
        let m = OUCH42.Executed(timestamp: VenueTime(nanosSinceMidnight: 36_000_123_456_789), orderToken: Self.ord1,
                                executedShares: Shares(rawValue: 75), executionPrice: Price(rawValue: 1_502_500), liquidityFlag: "A",
                                matchNumber: 0x1122_3344_5566_7788)
        try checkKnownAnswer("Executed", m, """
            45
            00 00 20 BD EE 92 0D 15
            \(Self.ord1Bytes)
            00 00 00 4B
            00 16 ED 24
            41
            11 22 33 44 55 66 77 88
            """, encode: { $0.encode(into: $1) }, decode: { OUCH42.ExecutedView($0)?.message })
    }

    @Test func brokenTrade() throws {
        let m = OUCH42.BrokenTrade(timestamp: Self.t0, orderToken: Self.ord1, matchNumber: 0x1122_3344_5566_7788, reason: "E")
        try checkKnownAnswer("Broken Trade", m, """
            42
            \(Self.t0Bytes)
            \(Self.ord1Bytes)
            11 22 33 44 55 66 77 88
            45
            """, encode: { $0.encode(into: $1) }, decode: { OUCH42.BrokenTradeView($0)?.message })
    }

    @Test func rejected() throws {
        let m = OUCH42.Rejected(timestamp: Self.t0, orderToken: Self.ord1, reason: "H")
        try checkKnownAnswer("Rejected", m, """
            4A
            \(Self.t0Bytes)
            \(Self.ord1Bytes)
            48
            """, encode: { $0.encode(into: $1) }, decode: { OUCH42.RejectedView($0)?.message })
    }

    @Test func cancelPending() throws {
        let m = OUCH42.CancelPending(timestamp: Self.t0, orderToken: Self.ord1)
        try checkKnownAnswer("Cancel Pending", m, """
            50
            \(Self.t0Bytes)
            \(Self.ord1Bytes)
            """, encode: { $0.encode(into: $1) }, decode: { OUCH42.CancelPendingView($0)?.message })
    }

    @Test func cancelReject() throws {
        let m = OUCH42.CancelReject(timestamp: Self.t0, orderToken: Self.ord1)
        try checkKnownAnswer("Cancel Reject", m, """
            49
            \(Self.t0Bytes)
            \(Self.ord1Bytes)
            """, encode: { $0.encode(into: $1) }, decode: { OUCH42.CancelRejectView($0)?.message })
    }

    @Test func orderPriorityUpdate() throws {
        let m = OUCH42.OrderPriorityUpdate(timestamp: Self.t0, orderToken: Self.ord1, price: Price(rawValue: 1_502_500), display: "Y",
                                           orderReferenceNumber: Self.ref)
        try checkKnownAnswer("Order Priority Update", m, """
            54
            \(Self.t0Bytes)
            \(Self.ord1Bytes)
            00 16 ED 24
            59
            01 02 03 04 05 06 07 08
            """, encode: { $0.encode(into: $1) }, decode: { OUCH42.OrderPriorityUpdateView($0)?.message })
    }

    @Test func orderModified() throws {
        let m = OUCH42.OrderModified(timestamp: Self.t0, orderToken: Self.ord1, side: .buy, shares: Shares(rawValue: 75))
        try checkKnownAnswer("Order Modified", m, """
            4D
            \(Self.t0Bytes)
            \(Self.ord1Bytes)
            42
            00 00 00 4B
            """, encode: { $0.encode(into: $1) }, decode: { OUCH42.OrderModifiedView($0)?.message })
    }
}
