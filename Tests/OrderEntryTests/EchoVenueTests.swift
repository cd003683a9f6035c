import OrderEntry
import Testing
import TickwireCore

/// The benchmark's and the replay's venue in a box answers a client heartbeat as a venue's
/// heartbeat would, so that a run with no order for longer than the dead-peer timeout (5 s)
/// stays logged in.
@Suite struct EchoVenueTests {
    @Test func aQuietSessionStaysLoggedInPastTheDeadPeerTimeout() {
        let g = OrderGateway<EchoVenueTransport>(version: .v42, credentials: SoupBinTCPCredentials(username: "BENCH", password: "x"),
                                                 symbols: [.blank, Alpha8("AAPL")!])
        let venue = EchoVenueTransport()
        var now: Int64 = 1_000_000_000
        var l = NoGatewayListener()
        g.connect(venue, now: now)
        g.poll(now: now, &l)
        #expect(g.isLoggedIn)
        // Twelve seconds of session time, polled every 100 ms, no order sent.
        for _ in 0..<120 {
            now += 100_000_000
            g.poll(now: now, &l)
        }
        #expect(g.isLoggedIn)
        #expect(g.client.counters.deadPeerTimeouts == 0)
        #expect(g.client.counters.heartbeatsSent >= 10)
        // Every heartbeat but one the last poll may have sent was answered.
        #expect(venue.heartbeatsAnswered + 1 >= g.client.counters.heartbeatsSent && venue.heartbeatsAnswered >= 10)
    }
}
