import Testing
@testable import OrderEntry
import Risk
import TickwireCore
import TestSupport

@Suite struct LostRequestRiskTests {
    /// Orders sent on a connection that reset before the venue saw them are settled as lost
    /// after the next login's (empty) replay, and risk no longer counts them open.
    @Test func lostNewOrdersReleaseTheirReservations() throws {
        let limits = RiskLimits(maxOrderShares: 10_000, maxOrderNotional: Int64(10_000) * 10_000_000, collarBps: 10_000,
                                allowWithoutReference: true, maxPositionPerSymbol: 1_000_000, maxGrossPosition: 10_000_000,
                                maxOpenOrders: 1_000, throttleOrders: 1_000_000, throttleWindowNanos: 1_000)
        let risk = try RiskEngine(limits: limits, maxLocates: 8)
        let names: [Alpha8] = [.blank, Alpha8("AAA")!, Alpha8("BBB")!]
        let g = OrderGateway<ScriptedVenue>(version: .v42, credentials: SoupBinTCPCredentials(username: "T", password: "x"),
                                            symbols: names, risk: risk)
        var none = NoGatewayListener()
        g.connect(ScriptedVenue(), now: 1)
        g.poll(now: 2, &none)
        #expect(g.isLoggedIn)
        for k in 0..<3 {
            let r = g.submit(locate: StockLocate(rawValue: 1), side: .buy, shares: 100, price: Price(rawValue: 100_000 + Int64(k)), now: 3)
            guard case .sent = r else { Issue.record("not sent: \(r)"); return }
        }
        #expect(risk.openOrderCount == 3)
        // The connection resets; the new session's replay is empty (its first heartbeat ends it).
        g.client.transport?.close()
        g.poll(now: 4, &none)
        // The venue accepts the login and says nothing else: its replay is empty.
        let v = ScriptedVenue()
        g.connect(v, now: 5)
        v.heartbeat()
        g.poll(now: 6, &none)
        #expect(g.isLoggedIn && !g.settleAfterReplay)
        #expect(g.store.counters.lostInTransit == 3)
        #expect(risk.openOrderCount == 0, "the lost orders' reservations are released")
    }
}
