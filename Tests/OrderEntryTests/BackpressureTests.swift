import Testing
@testable import OrderEntry
import Risk
import TestSupport
import TickwireCore

/// A venue that stops reading (issue 14, defect 4). On the main of 2026-12-03 the client's
/// unsent bytes went into an unbounded array: every order was reported sent, risk reserved
/// each, and the backlog grew without end. Now the queue is a preallocated ring: new orders are
/// refused before risk reserves anything once only the cancels' reserve is left, cancels still
/// go out, and when the venue reads again every byte reaches it, in order.
@Suite struct BackpressureTests {
    /// `takes`: what the venue still reads before it stops (1,003 bytes tears a packet).
    @Test(arguments: [OUCHVersion.v42, .v50], [0, 1_003])
    func aVenueThatStopsReadingGetsRefusalsNotALostOrder(version: OUCHVersion, takes: Int) throws {
        let limits = RiskLimits(maxOrderShares: 10_000, maxOrderNotional: Int64(10_000) * 10_000_000, collarBps: 10_000,
                                allowWithoutReference: true, maxPositionPerSymbol: 10_000_000, maxGrossPosition: 100_000_000,
                                maxOpenOrders: 10_000, throttleOrders: 100_000, throttleWindowNanos: 1_000)
        let risk = try RiskEngine(limits: limits, maxLocates: 8)
        let g = OrderGateway<ScriptedVenue>(version: version, credentials: SoupBinTCPCredentials(username: "T", password: "x"),
                                            symbols: HostileVenueTests.names, risk: risk)
        let responder = EchoResponder(version: version)
        let venue = responder.venue()
        var none = NoGatewayListener()
        g.connect(venue, now: 1)
        g.poll(now: 2, &none)
        #expect(g.isLoggedIn)
        venue.sendAllowance = takes  // the venue stops reading
        var sent: [UInt32] = []
        var refused = 0
        for k in 0..<5_000 {
            switch g.submit(locate: StockLocate(rawValue: 1), side: .buy, shares: 100, price: Price(rawValue: 100_000 + Int64(k % 50)), now: 3) {
            case .sent(let id): sent.append(id)
            case .sendBufferFull: refused += 1
            case let r: Issue.record("unexpected \(r)")
            }
        }
        #expect(refused > 0 && !sent.isEmpty, "sent \(sent.count), refused \(refused)")
        #expect(g.counters.sendQueueRefusals == UInt64(refused))
        #expect(risk.openOrderCount == sent.count, "risk reserved nothing for a refused order")
        #expect(g.client.queuedBytes <= 64 * 1024 && g.client.queuedBytes > 60 * 1024 - g.cancelReserve)
        #expect(g.isLoggedIn, "a full queue is not a dead session")
        // The cancels' reserve: cancels still go out.
        var cancels = 0
        for id in sent.prefix(100) where g.cancel(id: id, now: 4) { cancels += 1 }
        #expect(cancels == 100)
        let highWater = g.client.counters.sendQueueHighWater
        // The venue reads again: everything queued reaches it, in order, nothing torn.
        venue.sendAllowance = .max
        g.poll(now: 5, &none)
        #expect(g.client.queuedBytes == 0)
        #expect(responder.entered.map(\.id) == sent, "every order the gateway reported sent reached the venue, in order")
        #expect(venue.received.count == sent.count + cancels)
        #expect(highWater <= 64 * 1024)
        g.poll(now: 6, &none)
        #expect(g.store.counters.violations == 0 && g.counters.venueViolations == 0)
        #expect(g.store.order(sent[0])?.status == .canceled)
    }
}
