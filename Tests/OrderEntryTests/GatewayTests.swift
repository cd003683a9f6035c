import Exchange
import Foundation
import OrderEntry
import Risk
import Testing
import TickwireCore
import Packets
import Sockets

/// A venue simulator on its own thread for the length of a test (kernel TCP on loopback).
final class TestVenue: @unchecked Sendable {
    let venue: VenueSimulator
    var summary: VenueSummary?
    let done = DispatchSemaphore(value: 0)
    let stopping = NSLock()
    var stopRequested = false
    /// Runs `seconds` at most; `stop()` ends it sooner.
    init(seconds: Double, idle: Double = 15, heartbeat: Double = 1, capture: String? = nil) throws {
        var c = VenueConfiguration()
        c.capturePath = capture
        c.flow = OrderFlowConfiguration(seed: 4, symbols: 5)
        c.rate = 2_000
        c.sendUDP = false
        var oe = OrderEntryConfiguration()
        oe.port = 0
        oe.idleTimeoutSeconds = idle
        oe.heartbeatSeconds = heartbeat
        c.orderEntry = oe
        venue = try VenueSimulator(configuration: c)
        Thread { [self] in
            summary = venue.run(seconds: seconds, linger: 0, stop: { [self] in stopping.withLock { stopRequested } })
            done.signal()
        }.start()
    }
    var port: UInt16 { venue.orderPort! }
    func wait() -> VenueSummary? {
        done.wait()
        done.signal()  // later waits (a defer's stop) return at once
        return summary
    }
    /// Ends the session now and waits for it.
    func stop() -> VenueSummary? {
        stopping.withLock { stopRequested = true }
        return wait()
    }
}

/// Polls `condition` every 20 ms until it holds (true) or `seconds` pass (false): a test waits
/// for what it needs to have happened, never for a time that a slow machine may not meet.
func waitUntil(seconds: Double = 60, _ condition: () -> Bool) -> Bool {
    let end = Date().addingTimeInterval(seconds)
    while Date() < end {
        if condition() { return true }
        usleep(20_000)
    }
    return condition()
}

func monotonicNow() -> Int64 {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC_RAW, &ts)
    return Int64(ts.tv_sec) * 1_000_000_000 + Int64(ts.tv_nsec)
}

/// Records what the gateway reports, with sequence numbers.
struct Recorder: GatewayListener {
    var events: [(UInt64, GatewayEvent)] = []
    mutating func gateway(_ event: GatewayEvent, sequence: UInt64) { events.append((sequence, event)) }
    var executions: [GatewayEvent] { events.compactMap { if case .executed = $0.1 { return $0.1 } else { return nil } } }
}

let synSymbols: [Alpha8] = [.blank] + (1...5).map { Alpha8("SYN000\($0)")! }

func makeGateway(_ v: OUCHVersion, user: String, password: String = "secret", port: UInt16, risk: RiskEngine? = nil) throws -> OrderGateway<TCPConnection> {
    let g = OrderGateway<TCPConnection>(version: v, credentials: SoupBinTCPCredentials(username: user, password: password),
                                         symbols: synSymbols, risk: risk)
    g.connect(try TCPConnection.connect(to: IPv4Address(127, 0, 0, 1), port: port), now: monotonicNow())
    return g
}

/// Polls until `done` or the timeout; true if done.
@discardableResult
func pump(_ g: OrderGateway<TCPConnection>, _ r: inout Recorder, timeout: Double = 3, until done: (OrderGateway<TCPConnection>, Recorder) -> Bool) -> Bool {
    let end = Date().addingTimeInterval(timeout)
    while Date() < end {
        g.poll(now: monotonicNow(), &r)
        if done(g, r) { return true }
        usleep(500)
    }
    return done(g, r)
}

@Suite(.serialized) struct GatewayTests {
    @Test(arguments: [OUCHVersion.v42, .v50])
    func fullOrderLifecycle(version: OUCHVersion) throws {
        let v = try TestVenue(seconds: 3)
        let g = try makeGateway(version, user: version == .v42 ? "TW1" : "TW2", port: v.port)
        var r = Recorder()
        #expect(pump(g, &r) { g, _ in g.isLoggedIn })
        // A bid far below the market rests.
        guard case .sent(let a) = g.submit(locate: StockLocate(rawValue: 1), side: .buy, shares: 300, price: Price(rawValue: 10_000), now: monotonicNow()) else {
            Issue.record("not sent")
            return
        }
        #expect(pump(g, &r) { g, _ in g.store.order(a)?.status == .accepted })
        #expect(g.store.order(a)?.venueRef.rawValue ?? 0 > 0)
        // Replace: a new order number, the old one replaced.
        let b = try #require(g.replace(id: a, shares: 400, price: Price(rawValue: 10_100), now: monotonicNow()))
        #expect(g.store.order(a)?.status == .pendingReplace)
        #expect(pump(g, &r) { g, _ in g.store.order(b)?.status == .accepted })
        #expect(g.store.order(a)?.status == .replaced && g.store.order(a)?.replacedBy == b)
        #expect(g.store.order(b)?.quantity == 400 && g.store.order(b)?.price == Price(rawValue: 10_100))
        // Partial cancel, then cancel.
        #expect(g.cancel(id: b, remaining: 150, now: monotonicNow()))
        #expect(pump(g, &r) { g, _ in g.store.order(b)?.leaves == 150 })
        #expect(g.store.order(b)?.status == .accepted)
        #expect(g.cancel(id: b, now: monotonicNow()))
        #expect(pump(g, &r) { g, _ in g.store.order(b)?.status == .canceled })
        // A marketable IOC sell trades with the background bids.
        guard case .sent(let c) = g.submit(locate: StockLocate(rawValue: 1), side: .sell, shares: 200, price: Price(rawValue: 100), kind: .ioc,
                                           now: monotonicNow()) else {
            Issue.record("not sent")
            return
        }
        #expect(pump(g, &r) { g, _ in g.store.order(c)?.status.isTerminal == true })
        let o = try #require(g.store.order(c))
        #expect(o.filled > 0 && (o.status == .filled || o.status == .canceled))
        #expect(o.averageFillPrice != nil)
        #expect(r.executions.count >= 1)
        #expect(g.store.openCount == 0)
        #expect(g.store.counters.violations == 0 && g.store.counters.unknownOrders == 0)
        // Sequence numbers: consecutive from 1, none twice.
        let seqs = r.events.map(\.0)
        #expect(seqs == Array(seqs.sorted()) && Set(seqs).count == seqs.count)
        _ = v.wait()
    }

    /// OUCH's Replace size counts the whole replace chain (executed + open). After partial
    /// fills, a replace for N open shares leaves N open at the venue, in the store and in risk,
    /// and so does a second replace of the replacement. (The demo found risk under-counting:
    /// the venue took the size as open, the gateway subtracted only the last order's fills.)
    @Test(arguments: [OUCHVersion.v42, .v50])
    func replaceAfterPartialFillsKeepsVenueStoreAndRiskInStep(version: OUCHVersion) throws {
        let v = try TestVenue(seconds: 4)
        let user = version == .v42 ? "TW1" : "TW2"
        let risk = try RiskEngine(limits: RiskLimits(maxOrderShares: 1_000_000, maxOrderNotional: 1 << 50, collarBps: 1_000_000,
                                                     allowWithoutReference: true, maxPositionPerSymbol: 1 << 30, maxGrossPosition: 1 << 40,
                                                     maxOpenOrders: 100, throttleOrders: 1_000, throttleWindowNanos: 1_000_000_000,
                                                     killOnCrossedBook: false),
                                  maxLocates: 6)
        let g = try makeGateway(version, user: user, port: v.port, risk: risk)
        var r = Recorder()
        #expect(pump(g, &r) { g, _ in g.isLoggedIn })
        let l = StockLocate(rawValue: 2)
        // A sell for far more than the bids hold, at a cent: it takes the bids and rests the rest.
        guard case .sent(let a) = g.submit(locate: l, side: .sell, shares: 200_000, price: Price(rawValue: 100), now: monotonicNow()) else {
            Issue.record("not sent")
            return
        }
        #expect(pump(g, &r) { g, _ in g.store.order(a)?.status == .partiallyFilled })
        // Let the executions of its walk through the bids arrive (the background flow may add
        // a few more while the replace travels: those come off the replacement).
        pump(g, &r, timeout: 0.3) { _, _ in false }
        #expect((g.store.order(a)?.filled ?? 0) > 0)
        func venueOpen(_ id: UInt32) -> UInt32? {
            guard let ref = g.store.order(id)?.venueRef.rawValue, let snap = v.venue.orderEntry?.snapshot(user: user) else { return nil }
            return snap.orders[ref]
        }
        // 500 open, far above the market (it stops trading).
        let b = try #require(g.replace(id: a, shares: 500, price: Price(rawValue: 90_000_000), now: monotonicNow()))
        #expect(pump(g, &r) { g, _ in g.store.order(b)?.status == .accepted })
        let ob = try #require(g.store.order(b))
        #expect(ob.leaves > 0 && ob.leaves <= 500, "fills of the old order in flight come off the new one")
        #expect(risk.openShares(locate: l, side: .sell) == Int64(ob.leaves))
        #expect(pump(g, &r) { _, _ in venueOpen(b) == ob.leaves }, "venue \(String(describing: venueOpen(b))) store \(ob.leaves)")
        // A second replace in the chain: 300 open.
        let c = try #require(g.replace(id: b, shares: 300, price: Price(rawValue: 91_000_000), now: monotonicNow()))
        #expect(pump(g, &r) { g, _ in g.store.order(c)?.status == .accepted })
        #expect(g.store.order(c)?.leaves == 300)
        #expect(risk.openShares(locate: l, side: .sell) == 300)
        #expect(pump(g, &r) { _, _ in venueOpen(c) == 300 })
        #expect(risk.counters.unknownOrderEvents == 0)
        #expect(g.store.counters.violations == 0)
        #expect((g.store.order(c)?.chainFilled ?? 0) > 0, "the chain's executions travel with it")
        _ = g.cancelAll(now: monotonicNow())
        #expect(pump(g, &r) { g, _ in g.store.openCount == 0 })
        #expect(risk.openOrderCount == 0)
        _ = v.wait()
    }

    @Test func loginRejectIsReported() throws {
        let v = try TestVenue(seconds: 1)
        let g = try makeGateway(.v42, user: "TW1", password: "wrong", port: v.port)
        var r = Recorder()
        #expect(pump(g, &r) { g, _ in g.client.state != .awaitingLogin })
        #expect(g.client.state == .rejected(reason: UInt8(ascii: "A")))
        #expect(g.submit(locate: StockLocate(rawValue: 1), side: .buy, shares: 1, price: Price(rawValue: 1), now: monotonicNow()) == .notLoggedIn)
        _ = v.wait()
    }

    @Test func deadPeerAndIdleTimeouts() throws {
        // The venue heartbeats every 2 s; a client that expects to hear something every 300 ms
        // declares it dead and drops the connection.
        let v = try TestVenue(seconds: 2.5, idle: 0.5, heartbeat: 2)
        let g = try makeGateway(.v42, user: "TW1", port: v.port)
        g.client.deadPeerNanos = 300_000_000
        var r = Recorder()
        #expect(pump(g, &r) { g, _ in g.isLoggedIn })
        #expect(pump(g, &r) { g, _ in g.client.state == .disconnected })
        #expect(g.client.counters.deadPeerTimeouts == 1)
        // A client that sends no heartbeats is dropped by the venue's idle timeout (0.5 s).
        let quiet = try makeGateway(.v42, user: "TW1", port: v.port)
        quiet.client.heartbeatNanos = 60_000_000_000
        quiet.client.deadPeerNanos = 60_000_000_000
        var q = Recorder()
        #expect(pump(quiet, &q) { g, _ in g.isLoggedIn })
        #expect(pump(quiet, &q, timeout: 2) { g, _ in g.client.state == .disconnected })
        let s = try #require(v.wait())
        #expect((s.orderEntry?.disconnectsForIdle ?? 0) >= 1)
    }

    /// The connection drops mid-session while orders trade; the gateway reconnects asking for
    /// the next sequence number and gets every missed message once: no execution lost or
    /// doubled, and its orders agree with the venue's.
    @Test func reconnectLosesAndDuplicatesNothing() throws {
        let v = try TestVenue(seconds: 5)
        let g = try makeGateway(.v42, user: "TW1", port: v.port)
        var r = Recorder()
        #expect(pump(g, &r) { g, _ in g.isLoggedIn })
        var ids: [UInt32] = []
        for i in 0..<20 {
            // Alternate resting bids and marketable IOC sells.
            let ioc = i % 2 == 1
            if case .sent(let id) = g.submit(locate: StockLocate(rawValue: 1 + UInt16(i % 3)), side: ioc ? .sell : .buy, shares: 100,
                                             price: Price(rawValue: ioc ? 100 : 10_000 + Int64(i)), kind: ioc ? .ioc : .day, now: monotonicNow()) {
                ids.append(id)
            }
            if i == 9 {
                // Drop the connection with answers still in flight.
                g.client.transport?.close()
                usleep(100_000)
                g.poll(now: monotonicNow(), &r)
                #expect(g.client.state == .disconnected)
                g.connect(try TCPConnection.connect(to: IPv4Address(127, 0, 0, 1), port: v.port), now: monotonicNow())
                #expect(pump(g, &r) { g, _ in g.isLoggedIn })
                // Nothing new goes out until the venue's replay is over (its next heartbeat).
                #expect(g.submit(locate: StockLocate(rawValue: 1), side: .buy, shares: 1, price: Price(rawValue: 1), now: monotonicNow()) == .notLoggedIn)
                #expect(pump(g, &r) { g, _ in !g.settleAfterReplay })
            }
        }
        #expect(ids.count == 20)
        // Orders the reset connection swallowed are settled as lost once the replay is over;
        // the others are answered.
        let settled = pump(g, &r, timeout: 3) { g, _ in ids.allSatisfy { g.store.order($0)?.status != .pendingNew } }
        #expect(settled, "\(ids.map { "\($0):\(g.store.order($0)?.status.description ?? "-")" })")
        let lost = ids.filter { g.store.order($0)?.status == .rejected && g.store.order($0)?.venueRef.rawValue == 0 }.count
        #expect(UInt64(lost) == g.store.counters.lostInTransit)
        let seqs = r.events.map(\.0)
        #expect(Set(seqs).count == seqs.count, "no message twice")
        #expect(seqs == Array((seqs.first ?? 1)...(seqs.last ?? 0)), "no message lost")
        #expect(g.client.counters.logins == 2)
        // Each resting bid: accepted and live at the venue with the same size.
        for id in ids {
            let o = try #require(g.store.order(id))
            if o.status == .accepted {
                let live = v.venue.model.engine.order(o.venueRef)
                #expect(live?.shares.rawValue == o.leaves, "order \(id)")
            }
        }
        #expect(g.store.counters.violations == 0)
        let s = try #require(v.wait())
        #expect(s.ordersReceived == UInt64(ids.count - lost), "the venue got exactly the orders not lost")
    }

    /// Risk inline: an order over a limit never reaches the wire; the kill switch cancels every
    /// open order (zero left at the venue) and refuses everything after.
    @Test func riskRejectsInlineAndKillSwitchLeavesNothingOpen() throws {
        let v = try TestVenue(seconds: 3)
        let limits = RiskLimits(maxOrderShares: 500, maxOrderNotional: 500 * 1_000_000, collarBps: 10_000, allowWithoutReference: true,
                                maxPositionPerSymbol: 10_000, maxGrossPosition: 50_000, maxOpenOrders: 50, throttleOrders: 1_000,
                                throttleWindowNanos: 1_000_000_000)
        let risk = try RiskEngine(limits: limits, maxLocates: 8)
        let g = try makeGateway(.v42, user: "TW1", port: v.port, risk: risk)
        var r = Recorder()
        #expect(pump(g, &r) { g, _ in g.isLoggedIn })
        let sentBefore = g.client.counters.unsequencedSent
        let big = g.submit(locate: StockLocate(rawValue: 1), side: .buy, shares: 501, price: Price(rawValue: 10_000), now: monotonicNow())
        #expect(big == .refused(reason: RiskReject.maxOrderShares.rawValue))
        #expect(g.client.counters.unsequencedSent == sentBefore, "nothing went out")
        var ids: [UInt32] = []
        for i in 0..<6 {
            if case .sent(let id) = g.submit(locate: StockLocate(rawValue: 1 + UInt16(i % 3)), side: .buy, shares: 100,
                                             price: Price(rawValue: 10_000 + Int64(i)), now: monotonicNow()) { ids.append(id) }
        }
        #expect(ids.count == 6)
        #expect(pump(g, &r) { g, _ in ids.allSatisfy { g.store.order($0)?.status == .accepted } })
        #expect(risk.openOrderCount == 6)
        #expect(g.kill(reason: .operator, now: monotonicNow()) == 6)
        #expect(pump(g, &r) { g, _ in g.store.openCount == 0 })
        #expect(risk.openOrderCount == 0 && risk.isEngaged)
        let after = g.submit(locate: StockLocate(rawValue: 1), side: .buy, shares: 100, price: Price(rawValue: 10_000), now: monotonicNow())
        #expect(after == .refused(reason: RiskReject.killSwitch.rawValue))
        _ = v.wait()
        let venue = try #require(v.venue.orderEntry?.snapshot(user: "TW1"))
        #expect(venue.orders.isEmpty, "zero open orders at the venue")
    }
}

@Suite struct GatewayAdoptionTests {
    /// A Replaced for a replacement we never recorded (its journal record lost in a crash):
    /// the replacement is adopted from the venue's message, and the old order is replaced.
    @Test(arguments: [OUCHVersion.v42, .v50])
    func replacedWithAnUnknownReplacementIsAdopted(version: OUCHVersion) throws {
        let g = OrderGateway<NullVenueTransport>(version: version, credentials: SoupBinTCPCredentials(username: "T", password: "x"),
                                                 symbols: synSymbols)
        g.connect(NullVenueTransport(), now: 0)
        var none = NoGatewayListener()
        g.poll(now: 0, &none)
        guard case .sent(let id) = g.submit(locate: StockLocate(rawValue: 2), side: .buy, shares: 100, price: Price(rawValue: 10_000), now: 1) else {
            Issue.record("not sent")
            return
        }
        var buf = [UInt8](repeating: 0, count: 128)
        func apply(_ encode: (UnsafeMutableRawBufferPointer) -> Int?) {
            let n = buf.withUnsafeMutableBytes { encode($0) } ?? 0
            _ = buf.withUnsafeBytes { g.applyVenueMessage(UnsafeRawBufferPointer(rebasing: $0[0..<n])) }
        }
        let t = VenueTime(nanosSinceMidnight: 1)
        switch version {
        case .v42:
            apply { OUCH42.Accepted(timestamp: t, orderToken: OrderTokens.token(id), side: .buy, shares: Shares(rawValue: 100), stock: synSymbols[2],
                                    price: Price(rawValue: 10_000), timeInForce: 99_999, firm: .blank, display: "Y", orderReferenceNumber: OrderRef(rawValue: 50),
                                    capacity: "P", intermarketSweepEligibility: "N", minimumQuantity: Shares(rawValue: 0), crossType: "N",
                                    orderState: "L", bboWeightIndicator: " ").encode(into: $0) }
            apply { OUCH42.Replaced(timestamp: t, replacementOrderToken: OrderTokens.token(id + 5), side: .buy, shares: Shares(rawValue: 200),
                                    stock: synSymbols[2], price: Price(rawValue: 10_500), timeInForce: 99_999, firm: .blank, display: "Y",
                                    orderReferenceNumber: OrderRef(rawValue: 51), capacity: "P", intermarketSweepEligibility: "N",
                                    minimumQuantity: Shares(rawValue: 0), crossType: "N", orderState: "L", previousOrderToken: OrderTokens.token(id),
                                    bboWeightIndicator: " ").encode(into: $0) }
        case .v50:
            apply { OUCH50.OrderAccepted(timestamp: t, userRefNum: id, side: .buy, quantity: Shares(rawValue: 100), symbol: synSymbols[2],
                                         price: Price(rawValue: 10_000), timeInForce: "0", display: "Y", orderReferenceNumber: OrderRef(rawValue: 50),
                                         capacity: "P", intermarketSweepEligibility: "N", crossType: "N", orderState: "L", clOrdID: .blank).encode(into: $0) }
            apply { OUCH50.OrderReplaced(timestamp: t, origUserRefNum: id, userRefNum: id + 5, side: .buy, quantity: Shares(rawValue: 200),
                                         symbol: synSymbols[2], price: Price(rawValue: 10_500), timeInForce: "0", display: "Y",
                                         orderReferenceNumber: OrderRef(rawValue: 51), capacity: "P", intermarketSweepEligibility: "N",
                                         crossType: "N", orderState: "L", clOrdID: .blank).encode(into: $0) }
        }
        #expect(g.store.order(id)?.status == .replaced)
        let new = try #require(g.store.order(id + 5))
        #expect(new.status == .accepted && new.venueRef.rawValue == 51 && new.leaves == 200 && new.price == Price(rawValue: 10_500))
        #expect(new.locate == StockLocate(rawValue: 2) && new.side == .buy)
        #expect(g.counters.adopted == 1 && g.nextOrderNumber == id + 6)
        #expect(g.store.counters.violations == 0 && g.store.counters.unknownOrders == 0)
    }
}

/// Replaces that do not happen: the order filled before the replace reached the venue (the
/// venue drops the replace, or answers Cancel Reject), or the venue refused the replacement
/// (Rejected with the replacement's token). Risk switched its reservation to the replacement's
/// size when the replace was sent; it must go back to what the order really has open.
@Suite struct RefusedReplaceTests {
    let l = StockLocate(rawValue: 2)
    let t = VenueTime(nanosSinceMidnight: 1)

    func setup(_ version: OUCHVersion) throws -> (OrderGateway<NullVenueTransport>, RiskEngine) {
        let risk = try RiskEngine(limits: RiskLimits(maxOrderShares: 1_000_000, maxOrderNotional: 1 << 50, collarBps: 1_000_000,
                                                     allowWithoutReference: true, maxPositionPerSymbol: 1 << 30, maxGrossPosition: 1 << 40,
                                                     maxOpenOrders: 100, throttleOrders: 1_000, throttleWindowNanos: 1_000_000_000,
                                                     killOnCrossedBook: false),
                                  maxLocates: 6)
        let g = OrderGateway<NullVenueTransport>(version: version, credentials: SoupBinTCPCredentials(username: "T", password: "x"),
                                                 symbols: synSymbols, risk: risk)
        g.connect(NullVenueTransport(), now: 0)
        var none = NoGatewayListener()
        g.poll(now: 0, &none)
        return (g, risk)
    }

    func apply(_ g: OrderGateway<NullVenueTransport>, _ encode: (UnsafeMutableRawBufferPointer) -> Int?) {
        var buf = [UInt8](repeating: 0, count: 128)
        let n = buf.withUnsafeMutableBytes { encode($0) } ?? 0
        _ = buf.withUnsafeBytes { g.applyVenueMessage(UnsafeRawBufferPointer(rebasing: $0[0..<n])) }
    }

    func accepted(_ g: OrderGateway<NullVenueTransport>, _ version: OUCHVersion, _ id: UInt32, shares: UInt32, ref: UInt64) {
        switch version {
        case .v42:
            apply(g) { OUCH42.Accepted(timestamp: t, orderToken: OrderTokens.token(id), side: .buy, shares: Shares(rawValue: shares), stock: synSymbols[2],
                                       price: Price(rawValue: 10_000), timeInForce: 99_999, firm: .blank, display: "Y", orderReferenceNumber: OrderRef(rawValue: ref),
                                       capacity: "P", intermarketSweepEligibility: "N", minimumQuantity: Shares(rawValue: 0), crossType: "N",
                                       orderState: "L", bboWeightIndicator: " ").encode(into: $0) }
        case .v50:
            apply(g) { OUCH50.OrderAccepted(timestamp: t, userRefNum: id, side: .buy, quantity: Shares(rawValue: shares), symbol: synSymbols[2],
                                            price: Price(rawValue: 10_000), timeInForce: "0", display: "Y", orderReferenceNumber: OrderRef(rawValue: ref),
                                            capacity: "P", intermarketSweepEligibility: "N", crossType: "N", orderState: "L", clOrdID: .blank).encode(into: $0) }
        }
    }

    func executed(_ g: OrderGateway<NullVenueTransport>, _ version: OUCHVersion, _ id: UInt32, shares: UInt32) {
        switch version {
        case .v42:
            apply(g) { OUCH42.Executed(timestamp: t, orderToken: OrderTokens.token(id), executedShares: Shares(rawValue: shares),
                                       executionPrice: Price(rawValue: 10_000), liquidityFlag: "A", matchNumber: 7).encode(into: $0) }
        case .v50:
            apply(g) { OUCH50.OrderExecuted(timestamp: t, userRefNum: id, quantity: Shares(rawValue: shares), price: Price(rawValue: 10_000),
                                            liquidityFlag: "A", matchNumber: 7).encode(into: $0) }
        }
    }

    func openOrder(_ g: OrderGateway<NullVenueTransport>, _ version: OUCHVersion, shares: UInt32, ref: UInt64) throws -> UInt32 {
        guard case .sent(let id) = g.submit(locate: l, side: .buy, shares: shares, price: Price(rawValue: 10_000), now: 1) else {
            throw GatewayTestError.notSent
        }
        accepted(g, version, id, shares: shares, ref: ref)
        return id
    }

    enum GatewayTestError: Error { case notSent }

    /// The order fills completely while a replace to a larger size travels: the replace finds
    /// nothing to replace. The reservation of the larger size is released, nothing stays open.
    @Test(arguments: [OUCHVersion.v42, .v50])
    func orderFilledBeforeItsReplaceLeavesNothingReserved(version: OUCHVersion) throws {
        let (g, risk) = try setup(version)
        let a = try openOrder(g, version, shares: 300, ref: 50)
        let b = try #require(g.replace(id: a, shares: 500, price: Price(rawValue: 10_100), now: 2))
        #expect(risk.openShares(locate: l, side: .buy) == 500)
        executed(g, version, a, shares: 300)
        #expect(g.store.order(a)?.status == .filled)
        #expect(g.store.order(b)?.status == .rejected, "the replacement will never come")
        #expect(risk.openShares(locate: l, side: .buy) == 0)
        #expect(risk.openOrderCount == 0)
        #expect(risk.positions.position(l) == 300)
        // A venue that answers the dropped replace with Cancel Reject changes nothing more.
        switch version {
        case .v42: apply(g) { OUCH42.CancelReject(timestamp: t, orderToken: OrderTokens.token(a)).encode(into: $0) }
        case .v50: apply(g) { OUCH50.CancelReject(timestamp: t, userRefNum: a).encode(into: $0) }
        }
        #expect(risk.openOrderCount == 0 && risk.openShares(locate: l, side: .buy) == 0)
        #expect(risk.counters.unknownOrderEvents == 0)
        #expect(g.store.openCount == 0 && g.store.counters.violations == 0)
    }

    /// The venue refuses the replacement: the order stays as it was, live with its 300 shares,
    /// and risk reserves those 300 again (not the 100 of the refused replacement).
    @Test(arguments: [OUCHVersion.v42, .v50])
    func refusedReplacementLeavesTheOrderAndItsReservation(version: OUCHVersion) throws {
        let (g, risk) = try setup(version)
        let a = try openOrder(g, version, shares: 300, ref: 60)
        executed(g, version, a, shares: 50)
        let b = try #require(g.replace(id: a, shares: 100, price: Price(rawValue: 10_100), now: 2))
        #expect(risk.openShares(locate: l, side: .buy) == 100)
        switch version {
        case .v42: apply(g) { OUCH42.Rejected(timestamp: t, orderToken: OrderTokens.token(b), reason: "X").encode(into: $0) }
        case .v50: apply(g) { OUCH50.OrderRejected(timestamp: t, userRefNum: b, reason: 0x0101, clOrdID: .blank).encode(into: $0) }
        }
        #expect(g.store.order(b)?.status == .rejected)
        #expect(g.store.order(a)?.status == .partiallyFilled, "back from pending replace")
        #expect(g.store.order(a)?.leaves == 250)
        #expect(risk.openShares(locate: l, side: .buy) == 250)
        #expect(risk.openOrderCount == 1)
        // The order goes on: its later fills and cancel close it in risk too.
        executed(g, version, a, shares: 50)
        #expect(risk.openShares(locate: l, side: .buy) == 200)
        #expect(g.cancel(id: a, now: 3))
        switch version {
        case .v42: apply(g) { OUCH42.Canceled(timestamp: t, orderToken: OrderTokens.token(a), decrementShares: Shares(rawValue: 200), reason: "U").encode(into: $0) }
        case .v50: apply(g) { OUCH50.OrderCanceled(timestamp: t, userRefNum: a, quantity: Shares(rawValue: 200), reason: "U").encode(into: $0) }
        }
        #expect(risk.openOrderCount == 0 && risk.openShares(locate: l, side: .buy) == 0)
        #expect(risk.positions.position(l) == 100)
        #expect(risk.counters.unknownOrderEvents == 0)
        #expect(g.store.openCount == 0 && g.store.counters.violations == 0)
    }
}

extension RefusedReplaceTests {
    /// A fill of an order whose reservation risk has already released (here by hand, standing
    /// for any bookkeeping mismatch) still reaches the position.
    @Test func fillOfAnOrderRiskNoLongerHoldsStillMovesThePosition() throws {
        let (g, risk) = try setup(.v42)
        let a = try openOrder(g, .v42, shares: 300, ref: 70)
        let rid = RiskOrderID(rawValue: try #require(g.store.order(a)).riskID)
        risk.onCanceled(rid, shares: Shares(rawValue: 300))
        #expect(risk.openOrderCount == 0)
        executed(g, .v42, a, shares: 120)
        #expect(risk.positions.position(l) == 120)
        #expect(risk.counters.unreservedFills == 1)
    }
}
