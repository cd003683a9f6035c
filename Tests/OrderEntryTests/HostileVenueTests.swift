import Foundation
import Testing
@testable import OrderEntry
import Risk
import TestSupport
import TickwireCore

/// A venue that lies: every message below is one a venue keeping its word never sends. Each is
/// refused before it touches the store, positions or risk, counted, kept with its bytes, and
/// fires the kill switch; none traps (on the main of 2026-12-03 the huge price trapped in
/// `OrderStore.executed` and `PositionBook.apply`, and the others moved positions or passed
/// uncounted).
@Suite struct HostileVenueTests {
    static let names: [Alpha8] = [.blank, Alpha8("AAA")!, Alpha8("BBB")!]
    static let limit = Price(rawValue: 100_000)  // $10.0000

    /// A gateway with risk, logged in to a scripted venue that accepts every order as entered;
    /// one buy of 100 at $10 is open (accepted).
    struct Rig {
        let g: OrderGateway<ScriptedVenue>
        let venue: ScriptedVenue
        let responder: EchoResponder
        let risk: RiskEngine
        let id: UInt32
        var none = NoGatewayListener()
        var violations: [VenueViolationRecord] = []

        init(_ version: OUCHVersion) throws {
            let limits = RiskLimits(maxOrderShares: 10_000, maxOrderNotional: Int64(10_000) * 10_000_000, collarBps: 10_000,
                                    allowWithoutReference: true, maxPositionPerSymbol: 1_000_000, maxGrossPosition: 10_000_000,
                                    maxOpenOrders: 1_000, throttleOrders: 1_000_000, throttleWindowNanos: 1_000)
            risk = try RiskEngine(limits: limits, maxLocates: 8)
            g = OrderGateway<ScriptedVenue>(version: version, credentials: SoupBinTCPCredentials(username: "T", password: "x"),
                                            symbols: HostileVenueTests.names, risk: risk)
            responder = EchoResponder(version: version)
            venue = responder.venue()
            g.connect(venue, now: 1)
            g.poll(now: 2, &none)
            guard case .sent(let id) = g.submit(locate: StockLocate(rawValue: 1), side: .buy, shares: 100, price: HostileVenueTests.limit, now: 3) else {
                throw Failure("not sent")
            }
            self.id = id
            g.poll(now: 4, &none)
        }

        mutating func deliver(_ encode: (UnsafeMutableRawBufferPointer) -> Int?) {
            venue.sequenced(encode)
            g.poll(now: 5, &none)
        }

        /// An execution of order `id` (or another number) in the gateway's OUCH version.
        mutating func execute(_ id: UInt32? = nil, shares: UInt32, price: Int64, match: UInt64 = 7) {
            let n = id ?? self.id
            switch g.version {
            case .v42:
                deliver(OUCH42.Executed(timestamp: VenueTime(nanosSinceMidnight: 1), orderToken: OrderTokens.token(n),
                                        executedShares: Shares(rawValue: shares), executionPrice: Price(rawValue: price),
                                        liquidityFlag: "A", matchNumber: match).encode)
            case .v50:
                deliver(OUCH50.OrderExecuted(timestamp: VenueTime(nanosSinceMidnight: 1), userRefNum: n, quantity: Shares(rawValue: shares),
                                             price: Price(rawValue: price), liquidityFlag: "A", matchNumber: match).encode)
            }
        }

        var position: Int64 { risk.positions.position(StockLocate(rawValue: 1)) }
    }

    struct Failure: Error, CustomStringConvertible {
        var description: String
        init(_ d: String) { description = d }
    }

    /// What every refusal leaves: the message counted and kept, the kill switch fired for it, the
    /// open order cancelled, and nothing filled.
    func expectRefused(_ r: Rig, _ kind: VenueViolation, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(r.g.counters.venueViolations == 1, sourceLocation: sourceLocation)
        #expect(r.g.lastVenueViolation?.kind == kind, "\(String(describing: r.g.lastVenueViolation))", sourceLocation: sourceLocation)
        #expect(r.g.lastVenueViolation?.bytes.isEmpty == false, sourceLocation: sourceLocation)
        #expect(r.risk.killReason == .venueViolation, sourceLocation: sourceLocation)
        #expect(r.g.killReason == .venueViolation, sourceLocation: sourceLocation)
        #expect(r.position == 0 && r.g.positions[1] == 0, sourceLocation: sourceLocation)
        #expect(r.g.counters.executions == 0, sourceLocation: sourceLocation)
        #expect(r.g.counters.cancelsSent == 1, "the kill switch cancels the open order", sourceLocation: sourceLocation)
        #expect(r.g.store.order(r.id)?.filled == 0, sourceLocation: sourceLocation)
    }

    @Test(arguments: [OUCHVersion.v42, .v50])
    func theRigTradesWhenTheVenueKeepsItsWord(version: OUCHVersion) throws {
        var r = try Rig(version)
        #expect(r.g.store.order(r.id)?.status == .accepted)
        r.execute(shares: 40, price: 99_900)
        #expect(r.g.counters.executions == 1 && r.g.counters.venueViolations == 0)
        #expect(r.position == 40 && r.g.positions[1] == 40)
        #expect(r.risk.killReason == nil && r.g.killReason == nil)
        r.execute(shares: 60, price: 100_000)
        #expect(r.g.store.order(r.id)?.status == .filled && r.position == 100)
        #expect(r.g.counters.venueViolations == 0)
    }

    @Test func anExecutionAtAHugePriceIsRefusedNotATrap() throws {
        var r = try Rig(.v50)
        r.execute(shares: 100, price: 1 << 62)
        expectRefused(r, .priceOutOfRange)
        #expect(r.g.store.counters.notionalOverflows == 0, "refused before the store's arithmetic")
    }

    @Test func anExecutionAtANegativePriceIsRefused() throws {
        var r = try Rig(.v50)
        r.execute(shares: 10, price: -50_000)
        expectRefused(r, .priceOutOfRange)
    }

    @Test(arguments: [OUCHVersion.v42, .v50])
    func anOverfillIsRefused(version: OUCHVersion) throws {
        var r = try Rig(version)
        r.execute(shares: 101, price: 100_000)
        expectRefused(r, .overfill)
    }

    @Test(arguments: [OUCHVersion.v42, .v50])
    func anExecutionThroughTheLimitIsRefused(version: OUCHVersion) throws {
        var r = try Rig(version)
        r.execute(shares: 10, price: 100_001)
        expectRefused(r, .priceThroughLimit)
    }

    @Test(arguments: [OUCHVersion.v42, .v50])
    func anExecutionOfZeroSharesIsRefused(version: OUCHVersion) throws {
        var r = try Rig(version)
        r.execute(shares: 0, price: 100_000)
        expectRefused(r, .zeroShares)
    }

    @Test(arguments: [OUCHVersion.v42, .v50])
    func anExecutionForAnOrderNeverEnteredIsCounted(version: OUCHVersion) throws {
        var r = try Rig(version)
        r.execute(r.id + 500, shares: 10, price: 100_000)
        expectRefused(r, .unknownOrder)
        #expect(r.g.lastVenueViolation?.order == r.id + 500)
    }

    @Test func anExecutionForATokenNotOursIsCounted() throws {
        var r = try Rig(.v42)
        r.deliver(OUCH42.Executed(timestamp: VenueTime(nanosSinceMidnight: 1), orderToken: Alpha14("XX0000000001")!,
                                  executedShares: Shares(rawValue: 10), executionPrice: Price(rawValue: 100_000),
                                  liquidityFlag: "A", matchNumber: 1).encode)
        expectRefused(r, .foreignToken)
    }

    @Test(arguments: [OUCHVersion.v42, .v50])
    func anExecutionAfterTheOrderEndedIsRefused(version: OUCHVersion) throws {
        var r = try Rig(version)
        r.execute(shares: 100, price: 100_000)
        #expect(r.g.store.order(r.id)?.status == .filled && r.g.counters.venueViolations == 0)
        r.execute(shares: 1, price: 100_000)
        #expect(r.g.counters.venueViolations == 1 && r.g.lastVenueViolation?.kind == .afterTerminal)
        #expect(r.risk.killReason == .venueViolation)
        #expect(r.position == 100, "the real fill stays; the impossible one is not applied")
    }

    @Test(arguments: [OUCHVersion.v42, .v50])
    func anAcceptedForMoreThanAskedIsRefused(version: OUCHVersion) throws {
        var r = try Rig(version)
        // Answer the next order with an Accepted for ten times its size.
        r.venue.respond = { v, m in
            m.withUnsafeBytes { b in
                switch version {
                case .v42:
                    guard case .success(.enterOrder(let o)) = OUCH42.decodeInbound(b) else { return }
                    v.sequenced(OUCH42.Accepted(timestamp: VenueTime(nanosSinceMidnight: 0), orderToken: o.orderToken, side: o.side,
                                                shares: Shares(rawValue: o.shares.rawValue * 10), stock: o.stock, price: o.price,
                                                timeInForce: o.timeInForce, firm: o.firm, display: o.display, orderReferenceNumber: OrderRef(rawValue: 2),
                                                capacity: o.capacity, intermarketSweepEligibility: o.intermarketSweepEligibility,
                                                minimumQuantity: o.minimumQuantity, crossType: o.crossType, orderState: "L", bboWeightIndicator: " ").encode)
                case .v50:
                    guard case .success(.enterOrder(let o)) = OUCH50.decodeInbound(b) else { return }
                    v.sequenced(OUCH50.OrderAccepted(timestamp: VenueTime(nanosSinceMidnight: 0), userRefNum: o.userRefNum, side: o.side,
                                                     quantity: Shares(rawValue: o.quantity.rawValue * 10), symbol: o.symbol, price: o.price,
                                                     timeInForce: o.timeInForce, display: o.display, orderReferenceNumber: OrderRef(rawValue: 2),
                                                     capacity: o.capacity, intermarketSweepEligibility: o.intermarketSweepEligibility,
                                                     crossType: o.crossType, orderState: "L", clOrdID: o.clOrdID).encode)
                }
            }
        }
        guard case .sent(let id) = r.g.submit(locate: StockLocate(rawValue: 2), side: .sell, shares: 10, price: Price(rawValue: 200_000), now: 6) else {
            Issue.record("not sent")
            return
        }
        r.g.poll(now: 7, &r.none)
        #expect(r.g.counters.venueViolations == 1 && r.g.lastVenueViolation?.kind == .sizeAboveRequest)
        #expect(r.g.lastVenueViolation?.order == id)
        #expect(r.risk.killReason == .venueViolation)
    }

    @Test(arguments: [OUCHVersion.v42, .v50])
    func aCancelOfMoreThanIsOpenIsRefused(version: OUCHVersion) throws {
        var r = try Rig(version)
        switch version {
        case .v42:
            r.deliver(OUCH42.Canceled(timestamp: VenueTime(nanosSinceMidnight: 1), orderToken: OrderTokens.token(r.id),
                                      decrementShares: Shares(rawValue: 500), reason: "U").encode)
        case .v50:
            r.deliver(OUCH50.OrderCanceled(timestamp: VenueTime(nanosSinceMidnight: 1), userRefNum: r.id, quantity: Shares(rawValue: 500),
                                           reason: "U").encode)
        }
        #expect(r.g.counters.venueViolations == 1 && r.g.lastVenueViolation?.kind == .cancelBeyondOpen)
        #expect(r.risk.killReason == .venueViolation)
    }

    /// The refused message's sequence number is used (the journal records it as a bare
    /// sequence): a reconnect does not ask for it again.
    @Test func aRefusedMessageStillUsesItsSequenceNumber() throws {
        var r = try Rig(.v50)
        r.execute(shares: 100, price: 1 << 62)
        #expect(r.g.client.nextSequence == 3, "login accepted at 1; Accepted was 1, the refused Executed 2")
    }

    @Test func violationsAreReportedToTheLogHook() throws {
        var r = try Rig(.v50)
        nonisolated(unsafe) var seen: [VenueViolationRecord] = []
        r.g.onVenueViolation = { seen.append($0) }
        r.execute(shares: 10, price: -1)
        #expect(seen.count == 1 && seen.first?.kind == .priceOutOfRange)
        #expect(seen.first?.description.hasPrefix("price outside the sane range (order \(r.id)): 45") == true)
    }
}

/// The issue's reproduction, end to end: `tickwire gateway --ouch 5.0` against a venue that
/// answers the first order with an execution at a price near 2^62. On the main of 2026-12-03 the
/// process died of SIGILL (an arithmetic overflow trap); now it stops trading and says why.
@Suite(.serialized) struct HostileVenueCLITests {
    @Test(arguments: ["4.2", "5.0"])
    func theGatewayProcessSurvivesALyingVenueAndSaysWhy(version: String) throws {
        try #require(FileManager.default.isExecutableFile(atPath: tickwireBinary), "build tickwire first")
        let v: OUCHVersion = version == "4.2" ? .v42 : .v50
        let responders = ResponderList()
        let server = try ScriptedVenueServer {
            let r = EchoResponder(version: v)
            var lied = false
            r.afterEnter = { venue, o in
                guard !lied else { return }
                lied = true
                // An execution of the whole order at an absurd price (OUCH 4.2 prices are 32-bit:
                // the largest one there).
                switch v {
                case .v42:
                    venue.sequenced(OUCH42.Executed(timestamp: VenueTime(nanosSinceMidnight: 1), orderToken: o.token,
                                                    executedShares: Shares(rawValue: o.shares), executionPrice: Price(rawValue: Int64(UInt32.max)),
                                                    liquidityFlag: "A", matchNumber: 1).encode)
                case .v50:
                    venue.sequenced(OUCH50.OrderExecuted(timestamp: VenueTime(nanosSinceMidnight: 1), userRefNum: o.id,
                                                         quantity: Shares(rawValue: o.shares), price: Price(rawValue: (1 << 62) + 12_345),
                                                         liquidityFlag: "A", matchNumber: 1).encode)
                }
            }
            responders.add(r)
            return r.venue()
        }
        defer { server.stop() }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: tickwireBinary)
        p.arguments = ["gateway", "--order-entry", "127.0.0.1:\(server.port)", "--ouch", version, "--orders", "40", "--rate", "2000",
                       "--symbols", "5", "--json"]
        var env = ProcessInfo.processInfo.environment
        env["TICKWIRE_OUCH_USER"] = "TW1"
        env["TICKWIRE_OUCH_PASSWORD"] = "secret"
        p.environment = env
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        let errText = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        #expect(p.terminationReason == .exit && p.terminationStatus == 0, "\(errText)")
        let report = try JSONSerialization.jsonObject(with: data) as? [String: Any] ?? [:]
        #expect(report["kill_switch"] as? String == "venueViolation", "\(report)")
        #expect(report["venue_violations"] as? Int == 1)
        #expect((report["last_venue_violation"] as? String)?.hasPrefix(v == .v42 ? "price through the order's limit" : "price outside the sane range") == true,
                "\(report["last_venue_violation"] ?? "none")")
        #expect((report["positions"] as? [String: Int] ?? [:]).isEmpty, "the impossible fill moved no position")
        #expect(report["executions"] as? Int == 0)
        #expect((report["refused_after_kill"] as? Int ?? 0) > 0, "orders after the violation were refused")
        #expect(errText.contains("venue violation, kill switch:"), "logged: \(errText)")
        // The kill switch cancelled what was open: the venue holds nothing of ours.
        #expect(responders.all.first?.open.isEmpty == true, "open at the venue: \(responders.all.first?.open ?? [:])")
    }
}

final class ResponderList: @unchecked Sendable {
    let lock = NSLock()
    var list: [EchoResponder] = []
    func add(_ r: EchoResponder) { lock.withLock { list.append(r) } }
    var all: [EchoResponder] { lock.withLock { list } }
}

/// Findings of the gateway fuzz target (Fuzz/Sources/FuzzGateway), replayed as tests.
@Suite struct GatewayFuzzFindings {
    /// An execution arrived for an order the venue had not accepted yet; the store took it and the
    /// order became partially filled without ever being accepted.
    @Test(arguments: [OUCHVersion.v42, .v50])
    func anExecutionBeforeTheAcceptedIsRefused(version: OUCHVersion) throws {
        var r = try HostileVenueTests.Rig(version)
        r.venue.respond = nil  // the venue stays silent about the next order
        guard case .sent(let id) = r.g.submit(locate: StockLocate(rawValue: 2), side: .buy, shares: 10, price: Price(rawValue: 100_000), now: 6) else {
            Issue.record("not sent")
            return
        }
        r.execute(id, shares: 5, price: 100_000)
        #expect(r.g.counters.venueViolations == 1 && r.g.lastVenueViolation?.kind == .beforeAccepted)
        #expect(r.g.store.order(id)?.filled == 0 && r.risk.killReason == .venueViolation)
    }

    /// An order adopted from the venue (an Accepted for one of our numbers the store did not
    /// know) had no reservation in risk, and its fills never reached risk's positions: the
    /// gateway's position and risk's disagreed. Now risk takes such fills, and outside a replay
    /// the adopted order is checked against the limits at once.
    @Test func anAdoptedOrdersFillsReachRisk() throws {
        var r = try HostileVenueTests.Rig(.v50)
        let id = r.id + 7
        r.deliver(OUCH50.OrderAccepted(timestamp: VenueTime(nanosSinceMidnight: 1), userRefNum: id, side: .buy, quantity: Shares(rawValue: 50),
                                       symbol: HostileVenueTests.names[1], price: Price(rawValue: 100_000), timeInForce: "0", display: "Y",
                                       orderReferenceNumber: OrderRef(rawValue: 9), capacity: "P", intermarketSweepEligibility: "N",
                                       crossType: "N", orderState: "L", clOrdID: OrderTokens.token(id)).encode)
        #expect(r.g.counters.adopted == 1)
        #expect(r.g.store.order(id)?.hasRisk == true, "checked against the limits at once")
        #expect(r.risk.openOrderCount == 2)
        r.execute(id, shares: 20, price: 100_000)
        #expect(r.g.positions[1] == 20 && r.position == 20)
        #expect(r.risk.killReason == nil)
    }

    /// A Replaced of an order that had already ended: the store refused the old order's part
    /// but still took the replacement (adopted, accepted) without any event saying so.
    @Test func aReplacedOfAnEndedOrderIsRefusedWhole() throws {
        var r = try HostileVenueTests.Rig(.v50)
        r.execute(shares: 100, price: 100_000)
        #expect(r.g.store.order(r.id)?.status == .filled)
        let new = r.id + 3
        r.deliver(OUCH50.OrderReplaced(timestamp: VenueTime(nanosSinceMidnight: 2), origUserRefNum: r.id, userRefNum: new, side: .buy,
                                       quantity: Shares(rawValue: 100), symbol: HostileVenueTests.names[1], price: Price(rawValue: 100_000),
                                       timeInForce: "0", display: "Y", orderReferenceNumber: OrderRef(rawValue: 5), capacity: "P",
                                       intermarketSweepEligibility: "N", crossType: "N", orderState: "L", clOrdID: OrderTokens.token(new)).encode)
        #expect(r.g.counters.venueViolations == 1 && r.g.lastVenueViolation?.kind == .afterTerminal)
        #expect(r.g.store.order(new) == nil, "no replacement taken")
        #expect(r.g.counters.adopted == 0)
    }
}
