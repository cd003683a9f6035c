import Exchange
import Foundation
import OrderEntry
import Testing
import TickwireCore
import Packets
import Sockets

/// A blocking SoupBinTCP test client (the appliance's gateway is a separate, real one).
final class SoupClient {
    let tcp: TCPConnection
    var framer = SoupBinTCPFramer(maxPacketLength: 2048, direction: .fromServer)
    let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 65536, alignment: 8)
    var closed = false

    init(port: UInt16) throws {
        tcp = try TCPConnection.connect(to: IPv4Address(127, 0, 0, 1), port: port)
    }
    deinit { buffer.deallocate() }

    func send(_ bytes: [UInt8]) { bytes.withUnsafeBytes { _ = tcp.send($0) } }

    func login(_ user: String, _ password: String, session: String = "", sequence: UInt64 = 1) {
        var out = [UInt8](repeating: 0, count: 64)
        let n = out.withUnsafeMutableBytes {
            SoupBinTCP.encodeLoginRequest(into: $0, username: Alpha6(user)!, password: Alpha10(password)!,
                                          requestedSession: Alpha10(session, rightJustified: true)!, requestedSequenceNumber: sequence)!
        }
        send(Array(out[0..<n]))
    }

    func unsequenced(_ message: [UInt8]) {
        var out = [UInt8](repeating: 0, count: message.count + 3)
        _ = out.withUnsafeMutableBytes { o in message.withUnsafeBytes { SoupBinTCP.encodeUnsequencedData(into: o, message: $0) } }
        send(out)
    }

    /// The next packet (type, payload copy), or nil on timeout or close.
    func next(timeoutMillis: Int32 = 3000) -> (SoupBinTCP.PacketType, [UInt8])? {
        let deadline = Date().addingTimeInterval(Double(timeoutMillis) / 1000)
        while true {
            switch framer.next() {
            case .packet(let p): return (p.type, Array(p.payload))
            case .failed: return nil
            case .needMoreData: break
            }
            if closed { return nil }
            let left = Int32(max(0, deadline.timeIntervalSinceNow * 1000))
            if left == 0 || !tcp.waitReadable(timeoutMillis: left) { return nil }
            switch tcp.receive(into: buffer) {
            case .bytes(let n): framer.feed(UnsafeRawBufferPointer(rebasing: buffer[0..<n]))
            case .wouldBlock: continue
            case .closed, .error:
                closed = true
                return nil
            }
        }
    }

    /// Sequenced messages until one satisfies `stop` (inclusive); heartbeats skipped.
    func sequenced(until stop: ([UInt8]) -> Bool) -> [[UInt8]] {
        var got: [[UInt8]] = []
        while let (t, p) = next() {
            if t == .sequencedData {
                got.append(p)
                if stop(p) { return got }
            }
        }
        return got
    }
}

func enter42(_ token: String, _ side: OUCHSide, _ shares: UInt32, _ symbol: String, _ price: Int64, tif: UInt32 = 99_999) -> [UInt8] {
    let m = OUCH42.EnterOrder(orderToken: Alpha14(token)!, side: side, shares: Shares(rawValue: shares), stock: Alpha8(symbol)!,
                              price: Price(rawValue: price), timeInForce: tif, firm: Alpha4("TWX1")!, display: "Y", capacity: "P",
                              intermarketSweepEligibility: "N", minimumQuantity: Shares(rawValue: 0), crossType: "N", customerType: " ")
    var out = [UInt8](repeating: 0, count: OUCH42.EnterOrder.length)
    _ = out.withUnsafeMutableBytes { m.encode(into: $0) }
    return out
}

func bytes(_ length: Int, _ encode: (UnsafeMutableRawBufferPointer) -> Int?) -> [UInt8] {
    var out = [UInt8](repeating: 0, count: length)
    let n = out.withUnsafeMutableBytes { encode($0) } ?? 0
    return Array(out[0..<n])
}

/// A venue running on its own thread for the length of a test.
final class RunningVenue: @unchecked Sendable {
    let venue: VenueSimulator
    var summary: VenueSummary?
    let done = DispatchSemaphore(value: 0)
    init(seconds: Double, rate: Double = 2_000, users: [OrderEntryUser]? = nil, idle: Double = 15, capture: String? = nil) throws {
        var c = VenueConfiguration()
        c.flow = OrderFlowConfiguration(seed: 3, symbols: 5)
        c.rate = rate
        c.sendUDP = false
        c.capturePath = capture
        var oe = OrderEntryConfiguration()
        oe.port = 0
        oe.idleTimeoutSeconds = idle
        if let users { oe.users = users }
        c.orderEntry = oe
        venue = try VenueSimulator(configuration: c)
        let t = Thread { [self] in
            summary = venue.run(seconds: seconds, linger: 0)
            done.signal()
        }
        t.start()
    }
    var port: UInt16 { venue.orderPort! }
    func wait() -> VenueSummary? {
        done.wait()
        return summary
    }
}

@Suite(.serialized) struct OrderEntryServerTests {
    @Test func loginRejectsAndAccepts() throws {
        let v = try RunningVenue(seconds: 1.5)
        let bad = try SoupClient(port: v.port)
        bad.login("TW1", "wrong")
        #expect(bad.next()?.0 == .loginRejected)
        let wrongSession = try SoupClient(port: v.port)
        wrongSession.login("TW1", "secret", session: "OTHER")
        let r = wrongSession.next()
        #expect(r?.0 == .loginRejected && r?.1 == [UInt8(ascii: "S")])
        let good = try SoupClient(port: v.port)
        good.login("TW1", "secret")
        let a = try #require(good.next())
        #expect(a.0 == .loginAccepted)
        // The day's sequenced stream starts with the System Event "S" (start of day).
        let first = try #require(good.next())
        #expect(first.0 == .sequencedData && first.1.first == UInt8(ascii: "S") && first.1.last == UInt8(ascii: "S"))
        // A second connection of the same user is refused while the first is up.
        let twice = try SoupClient(port: v.port)
        twice.login("TW1", "secret")
        #expect(twice.next()?.1 == [UInt8(ascii: "S")])
        // Heartbeats arrive on an idle session.
        var sawHeartbeat = false
        while let p = good.next(timeoutMillis: 1500) { if p.0 == .serverHeartbeat { sawHeartbeat = true; break } }
        #expect(sawHeartbeat)
        let s = try #require(v.wait())
        #expect(s.orderEntry?.loginRejects == 3 && s.orderEntry?.logins == 1)
    }

    @Test func ouch42OrderLifecycleAndReplayOnRelogin() throws {
        let v = try RunningVenue(seconds: 4)
        let c = try SoupClient(port: v.port)
        c.login("TW1", "secret")
        #expect(c.next()?.0 == .loginAccepted)
        // A bid far below the market rests.
        c.unsequenced(enter42("T000000000001", .buy, 300, "SYN0001", 10_000))
        let acc = c.sequenced { $0.first == 0x41 }
        let accepted = try #require(acc.last.flatMap { $0.withUnsafeBytes { OUCH42.AcceptedView($0)?.message } })
        #expect(accepted.orderToken == Alpha14("T000000000001")! && accepted.shares.rawValue == 300 && accepted.orderState == "L")
        #expect(accepted.orderReferenceNumber.rawValue > 0)
        // Replace it (new token, more shares): Replaced, with the previous token.
        c.unsequenced(bytes(OUCH42.ReplaceOrder.length) {
            OUCH42.ReplaceOrder(existingOrderToken: Alpha14("T000000000001")!, replacementOrderToken: Alpha14("T000000000002")!,
                                shares: Shares(rawValue: 500), price: Price(rawValue: 10_100), timeInForce: 99_999, display: "Y",
                                intermarketSweepEligibility: "N", minimumQuantity: Shares(rawValue: 0)).encode(into: $0)
        })
        let rep = try #require(c.sequenced { $0.first == 0x55 }.last.flatMap { $0.withUnsafeBytes { OUCH42.ReplacedView($0)?.message } })
        #expect(rep.previousOrderToken == Alpha14("T000000000001")! && rep.replacementOrderToken == Alpha14("T000000000002")!)
        #expect(rep.shares.rawValue == 500 && rep.price.rawValue == 10_100)
        // A reused token is ignored; a cancel of an unknown token is rejected.
        c.unsequenced(enter42("T000000000001", .buy, 100, "SYN0001", 10_000))
        c.unsequenced(bytes(OUCH42.CancelOrder.length) { OUCH42.CancelOrder(orderToken: Alpha14("NOPE")!, shares: Shares(rawValue: 0)).encode(into: $0) })
        let cr = c.sequenced { $0.first == 0x49 }
        #expect(cr.last?.first == 0x49 && cr.count == 1, "only the cancel reject: the reused token produced nothing")
        // Cancel down to 200, then entirely.
        c.unsequenced(bytes(OUCH42.CancelOrder.length) { OUCH42.CancelOrder(orderToken: Alpha14("T000000000002")!, shares: Shares(rawValue: 200)).encode(into: $0) })
        c.unsequenced(bytes(OUCH42.CancelOrder.length) { OUCH42.CancelOrder(orderToken: Alpha14("T000000000002")!, shares: Shares(rawValue: 0)).encode(into: $0) })
        let cancels = c.sequenced { m in m.first == 0x43 && m.withUnsafeBytes { OUCH42.CanceledView($0)?.message.decrementShares.rawValue } == 200 }
        let cx = cancels.compactMap { $0.withUnsafeBytes { OUCH42.CanceledView($0)?.message } }
        #expect(cx.map(\.decrementShares.rawValue) == [300, 200] && cx.allSatisfy { $0.reason == "U" })
        // A marketable IOC sell at a tiny price trades with the background bids: Executed "R".
        c.unsequenced(enter42("T000000000003", .sell, 200, "SYN0001", 100, tif: 0))
        let fills = c.sequenced { $0.first == 0x45 }
        let e = try #require(fills.last.flatMap { $0.withUnsafeBytes { OUCH42.ExecutedView($0)?.message } })
        #expect(e.orderToken == Alpha14("T000000000003")! && e.liquidityFlag == "R" && e.executedShares.rawValue > 0 && e.matchNumber > 0)
        // Log out, log in again from sequence 1: the same messages again, in order.
        c.send([0, 1, UInt8(ascii: "O")])
        Thread.sleep(forTimeInterval: 0.2)
        let again = try SoupClient(port: v.port)
        again.login("TW1", "secret", sequence: 1)
        let la = try #require(again.next())
        #expect(la.0 == .loginAccepted)
        let replay = again.sequenced { $0.first == 0x45 }
        #expect(replay.count >= 7, "accepted, replaced, cancel reject, 2 canceled, accepted, executed")
        #expect(Array(replay.prefix(acc.count)) == acc)
        let s = try #require(v.wait())
        #expect((s.orderEntry?.replayedMessages ?? 0) >= 7)
        #expect(s.orderEntry?.duplicateTokens == 1)
        #expect(s.ordersReceived == 4, "three enters and a replace")
    }

    @Test func ouch50EnterAndIncreasingUserRefNum() throws {
        let v = try RunningVenue(seconds: 1.5)
        let c = try SoupClient(port: v.port)
        c.login("TW2", "secret")
        #expect(c.next()?.0 == .loginAccepted)
        func enter(_ ref: UInt32, _ price: Int64) -> [UInt8] {
            bytes(128) {
                OUCH50.EnterOrder(userRefNum: ref, side: .sell, quantity: Shares(rawValue: 100), symbol: Alpha8("SYN0002")!,
                                  price: Price(rawValue: price), timeInForce: "0", display: "Y", capacity: "P",
                                  intermarketSweepEligibility: "N", crossType: "N", clOrdID: Alpha14("C\(ref)")!).encode(into: $0)
            }
        }
        c.unsequenced(enter(5, 9_990_000))
        let a = try #require(c.sequenced { $0.first == 0x41 }.last.flatMap { m in m.withUnsafeBytes { try? OUCH50.OrderAcceptedView(validating: $0).message } })
        #expect(a.userRefNum == 5 && a.quantity.rawValue == 100 && a.orderState == "L")
        c.unsequenced(enter(5, 9_990_000))  // not increasing
        let j = try #require(c.sequenced { $0.first == 0x4A }.last.flatMap { m in m.withUnsafeBytes { try? OUCH50.OrderRejectedView(validating: $0).message } })
        #expect(j.userRefNum == 5)
        c.unsequenced(bytes(64) { OUCH50.CancelOrder(userRefNum: 5, quantity: Shares(rawValue: 0)).encode(into: $0) })
        let x = try #require(c.sequenced { $0.first == 0x43 }.last.flatMap { m in m.withUnsafeBytes { try? OUCH50.OrderCanceledView(validating: $0).message } })
        #expect(x.userRefNum == 5 && x.quantity.rawValue == 100 && x.reason == "U")
        _ = v.wait()
    }

    /// Garbage from one client disconnects that client only.
    @Test func hostileClientIsDisconnectedAndOthersCarryOn() throws {
        let v = try RunningVenue(seconds: 2)
        let good = try SoupClient(port: v.port)
        good.login("TW1", "secret")
        #expect(good.next()?.0 == .loginAccepted)
        let noLogin = try SoupClient(port: v.port)
        noLogin.unsequenced(enter42("X1", .buy, 1, "SYN0001", 100))
        #expect(noLogin.next() == nil && noLogin.closed)
        let evil = try SoupClient(port: v.port)
        evil.login("TW2", "secret")
        #expect(evil.next()?.0 == .loginAccepted)
        evil.send([0xFF, 0xFF, 0x55, 1, 2, 3])           // length beyond the maximum
        while evil.next() != nil {}                        // the start-of-day event, then the close
        #expect(evil.closed)
        let evil2 = try SoupClient(port: v.port)
        evil2.login("TW2", "secret")
        #expect(evil2.next()?.0 == .loginAccepted)
        evil2.unsequenced([0x4F, 1, 2, 3])                 // a truncated OUCH 5.0 Enter Order
        while evil2.next() != nil {}
        #expect(evil2.closed)
        good.unsequenced(enter42("G1", .buy, 100, "SYN0003", 10_000))
        #expect(good.sequenced { $0.first == 0x41 }.last?.first == 0x41)
        let s = try #require(v.wait())
        #expect(s.orderEntry?.disconnectsForBadInput == 3)
    }
}
