// OUCH 5.0 known answers (issue 17): every message type but Enter Order (OUCH50Tests has it,
// with an option), without options, its bytes typed in here field by field from the
// specification's message tables (one line per field, in the table's order; prices 8 bytes
// signed with 4 implied decimals; the Appendage Length written as 0 where the table requires
// it, absent where it is optional and there are no options). Each message must encode to
// exactly these bytes and decode from them to exactly these values.

import Testing
import OrderEntry
import TickwireCore

@Suite struct OUCH50KnownAnswerTests {
    static let t0 = VenueTime(nanosSinceMidnight: 34_200_000_000_000)  // 09:30:00
    static let t0Bytes = "00 00 1F 1A CE D9 F0 00"
    static let aapl = Alpha8("AAPL")!, firm = Alpha4("FIRM")!
    static let cl1 = Alpha14("CL1")!, cl1Bytes = "43 4C 31 20 20 20 20 20 20 20 20 20 20 20"
    static let ref = OrderRef(rawValue: 0x0102_0304_0506_0708)
    static let px = Price(rawValue: 1_502_500), pxBytes = "00 00 00 00 00 16 ED 24"

    // MARK: Inbound

    @Test func replaceOrder() throws {
        let m = OUCH50.ReplaceOrder(origUserRefNum: 1, userRefNum: 2, quantity: Shares(rawValue: 300), price: Price(rawValue: 1_499_900),
                                    timeInForce: "0", display: "Y", intermarketSweepEligibility: "N", clOrdID: Self.cl1, options: OUCH50.Options())
        try checkKnownAnswer("Replace Order", m, """
            55
            00 00 00 01
            00 00 00 02
            00 00 01 2C
            00 00 00 00 00 16 E2 FC
            30
            59
            4E
            \(Self.cl1Bytes)
            00 00
            """, encode: { $0.encode(into: $1) }, decode: { OUCH50.ReplaceOrderView($0)?.message })
    }

    @Test func cancelOrder() throws {
        let m = OUCH50.CancelOrder(userRefNum: 1, quantity: Shares(rawValue: 100), options: OUCH50.Options())
        try checkKnownAnswer("Cancel Order", m, """
            58
            00 00 00 01
            00 00 00 64
            """, encode: { $0.encode(into: $1) }, decode: { OUCH50.CancelOrderView($0)?.message })
    }

    @Test func modifyOrder() throws {
        let m = OUCH50.ModifyOrder(userRefNum: 1, side: .sell, quantity: Shares(rawValue: 75), options: OUCH50.Options())
        try checkKnownAnswer("Modify Order", m, """
            4D
            00 00 00 01
            53
            00 00 00 4B
            """, encode: { $0.encode(into: $1) }, decode: { OUCH50.ModifyOrderView($0)?.message })
    }

    @Test func massCancel() throws {
        let m = OUCH50.MassCancel(userRefNum: 3, firm: Self.firm, symbol: Self.aapl, options: OUCH50.Options())
        try checkKnownAnswer("Mass Cancel", m, """
            43
            00 00 00 03
            46 49 52 4D
            41 41 50 4C 20 20 20 20
            00 00
            """, encode: { $0.encode(into: $1) }, decode: { OUCH50.MassCancelView($0)?.message })
    }

    // MARK: Outbound

    @Test func systemEvent() throws {
        let m = OUCH50.SystemEvent(timestamp: Self.t0, eventCode: "S")
        try checkKnownAnswer("System Event", m, """
            53
            \(Self.t0Bytes)
            53
            """, encode: { $0.encode(into: $1) }, decode: { OUCH50.SystemEventView($0)?.message })
    }

    @Test func orderAccepted() throws {
        let m = OUCH50.OrderAccepted(timestamp: Self.t0, userRefNum: 1, side: .buy, quantity: Shares(rawValue: 100), symbol: Self.aapl,
                                     price: Self.px, timeInForce: "0", display: "Y", orderReferenceNumber: Self.ref, capacity: "A",
                                     intermarketSweepEligibility: "N", crossType: "N", orderState: "L", clOrdID: Self.cl1,
                                     options: OUCH50.Options())
        try checkKnownAnswer("Order Accepted", m, """
            41
            \(Self.t0Bytes)
            00 00 00 01
            42
            00 00 00 64
            41 41 50 4C 20 20 20 20
            \(Self.pxBytes)
            30
            59
            01 02 03 04 05 06 07 08
            41
            4E
            4E
            4C
            \(Self.cl1Bytes)
            00 00
            """, encode: { $0.encode(into: $1) }, decode: { OUCH50.OrderAcceptedView($0)?.message })
    }

    @Test func orderReplaced() throws {
        let m = OUCH50.OrderReplaced(timestamp: Self.t0, origUserRefNum: 1, userRefNum: 2, side: .buy, quantity: Shares(rawValue: 300),
                                     symbol: Self.aapl, price: Price(rawValue: 1_499_900), timeInForce: "0", display: "Y",
                                     orderReferenceNumber: Self.ref, capacity: "A", intermarketSweepEligibility: "N", crossType: "N",
                                     orderState: "L", clOrdID: Self.cl1, options: OUCH50.Options())
        try checkKnownAnswer("Order Replaced", m, """
            55
            \(Self.t0Bytes)
            00 00 00 01
            00 00 00 02
            42
            00 00 01 2C
            41 41 50 4C 20 20 20 20
            00 00 00 00 00 16 E2 FC
            30
            59
            01 02 03 04 05 06 07 08
            41
            4E
            4E
            4C
            \(Self.cl1Bytes)
            00 00
            """, encode: { $0.encode(into: $1) }, decode: { OUCH50.OrderReplacedView($0)?.message })
    }

    @Test func orderCanceled() throws {
        let m = OUCH50.OrderCanceled(timestamp: Self.t0, userRefNum: 1, quantity: Shares(rawValue: 100), reason: "U", options: OUCH50.Options())
        try checkKnownAnswer("Order Canceled", m, """
            43
            \(Self.t0Bytes)
            00 00 00 01
            00 00 00 64
            55
            """, encode: { $0.encode(into: $1) }, decode: { OUCH50.OrderCanceledView($0)?.message })
    }

    @Test func aiqCanceled() throws {
        let m = OUCH50.AIQCanceled(timestamp: Self.t0, userRefNum: 1, decrementShares: Shares(rawValue: 100), reason: "Q",
                                   quantityPreventedFromTrading: Shares(rawValue: 75), executionPrice: Self.px, liquidityFlag: "A",
                                   aiqStrategy: "O", options: OUCH50.Options())
        try checkKnownAnswer("AIQ Canceled", m, """
            44
            \(Self.t0Bytes)
            00 00 00 01
            00 00 00 64
            51
            00 00 00 4B
            \(Self.pxBytes)
            41
            4F
            """, encode: { $0.encode(into: $1) }, decode: { OUCH50.AIQCanceledView($0)?.message })
    }

    @Test func orderExecuted() throws {
        let m = OUCH50.OrderExecuted(timestamp: Self.t0, userRefNum: 1, quantity: Shares(rawValue: 75), price: Self.px, liquidityFlag: "A",
                                     matchNumber: 0x1122_3344_5566_7788, options: OUCH50.Options())
        try checkKnownAnswer("Order Executed", m, """
            45
            \(Self.t0Bytes)
            00 00 00 01
            00 00 00 4B
            \(Self.pxBytes)
            41
            11 22 33 44 55 66 77 88
            00 00
            """, encode: { $0.encode(into: $1) }, decode: { OUCH50.OrderExecutedView($0)?.message })
    }

    @Test func brokenTrade() throws {
        let m = OUCH50.BrokenTrade(timestamp: Self.t0, userRefNum: 1, matchNumber: 0x1122_3344_5566_7788, reason: "E", clOrdID: Self.cl1,
                                   options: OUCH50.Options())
        try checkKnownAnswer("Broken Trade", m, """
            42
            \(Self.t0Bytes)
            00 00 00 01
            11 22 33 44 55 66 77 88
            45
            \(Self.cl1Bytes)
            """, encode: { $0.encode(into: $1) }, decode: { OUCH50.BrokenTradeView($0)?.message })
    }

    @Test func orderRejected() throws {
        let m = OUCH50.OrderRejected(timestamp: Self.t0, userRefNum: 1, reason: 0x0010, clOrdID: Self.cl1, options: OUCH50.Options())
        try checkKnownAnswer("Order Rejected", m, """
            4A
            \(Self.t0Bytes)
            00 00 00 01
            00 10
            \(Self.cl1Bytes)
            """, encode: { $0.encode(into: $1) }, decode: { OUCH50.OrderRejectedView($0)?.message })
    }

    @Test func cancelPending() throws {
        let m = OUCH50.CancelPending(timestamp: Self.t0, userRefNum: 1, options: OUCH50.Options())
        try checkKnownAnswer("Cancel Pending", m, """
            50
            \(Self.t0Bytes)
            00 00 00 01
            """, encode: { $0.encode(into: $1) }, decode: { OUCH50.CancelPendingView($0)?.message })
    }

    @Test func cancelReject() throws {
        let m = OUCH50.CancelReject(timestamp: Self.t0, userRefNum: 1, options: OUCH50.Options())
        try checkKnownAnswer("Cancel Reject", m, """
            49
            \(Self.t0Bytes)
            00 00 00 01
            """, encode: { $0.encode(into: $1) }, decode: { OUCH50.CancelRejectView($0)?.message })
    }

    @Test func orderPriorityUpdate() throws {
        let m = OUCH50.OrderPriorityUpdate(timestamp: Self.t0, userRefNum: 1, price: Self.px, display: "Y", orderReferenceNumber: Self.ref,
                                           options: OUCH50.Options())
        try checkKnownAnswer("Order Priority Update", m, """
            54
            \(Self.t0Bytes)
            00 00 00 01
            \(Self.pxBytes)
            59
            01 02 03 04 05 06 07 08
            """, encode: { $0.encode(into: $1) }, decode: { OUCH50.OrderPriorityUpdateView($0)?.message })
    }

    @Test func orderModified() throws {
        let m = OUCH50.OrderModified(timestamp: Self.t0, userRefNum: 1, side: .buy, quantity: Shares(rawValue: 75), options: OUCH50.Options())
        try checkKnownAnswer("Order Modified", m, """
            4D
            \(Self.t0Bytes)
            00 00 00 01
            42
            00 00 00 4B
            """, encode: { $0.encode(into: $1) }, decode: { OUCH50.OrderModifiedView($0)?.message })
    }

    @Test func orderRestated() throws {
        let m = OUCH50.OrderRestated(timestamp: Self.t0, userRefNum: 1, reason: "R", options: OUCH50.Options())
        try checkKnownAnswer("Order Restated", m, """
            52
            \(Self.t0Bytes)
            00 00 00 01
            52
            00 00
            """, encode: { $0.encode(into: $1) }, decode: { OUCH50.OrderRestatedView($0)?.message })
    }

    @Test func massCancelResponse() throws {
        let m = OUCH50.MassCancelResponse(timestamp: Self.t0, userRefNum: 3, firm: Self.firm, symbol: Self.aapl, options: OUCH50.Options())
        try checkKnownAnswer("Mass Cancel Response", m, """
            58
            \(Self.t0Bytes)
            00 00 00 03
            46 49 52 4D
            41 41 50 4C 20 20 20 20
            00 00
            """, encode: { $0.encode(into: $1) }, decode: { OUCH50.MassCancelResponseView($0)?.message })
    }

    @Test func accountQueryResponse() throws {
        let m = OUCH50.AccountQueryResponse(timestamp: Self.t0, nextUserRefNum: 42, options: OUCH50.Options())
        try checkKnownAnswer("Account Query Response", m, """
            51
            \(Self.t0Bytes)
            00 00 00 2A
            """, encode: { $0.encode(into: $1) }, decode: { OUCH50.AccountQueryResponseView($0)?.message })
    }
}
