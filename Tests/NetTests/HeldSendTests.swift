import Testing
@testable import Net
import OrderEntry
import TickwireCore

/// The orders of one decision in one write (`SoupBinTCPClient.holdSends`/`releaseSends`) over
/// Tickwire's TCP on a memory device: what leaves, in how many segments, in which order.
@Suite struct HeldSendTests {
    struct Sink: SoupBinTCPHandler {
        var messages = 0
        mutating func sequenced(_ message: UnsafeRawBufferPointer, sequence: UInt64) { messages += 1 }
    }

    /// A logged-in client on an established connection, the frames of the login gone.
    /// Also our next sequence number and the peer's.
    func loggedIn(zeroCopy: Bool) throws -> (Scripted, NetTCPConnection<MemoryNetDevice>, SoupBinTCPClient<NetTCPConnection<MemoryNetDevice>>, UInt32, UInt32) {
        var tcp = TCPConfiguration()
        tcp.zeroCopySend = zeroCopy
        let s = try Scripted(tcp: tcp)
        let (c, iss) = try s.established()
        let client = SoupBinTCPClient<NetTCPConnection<MemoryNetDevice>>(credentials: SoupBinTCPCredentials(username: "TW1", password: "pw"))
        client.start(c, now: s.now)
        let login = try #require(Scripted.segments(s.sent()).first { !$0.payload.isEmpty })
        var accepted = [UInt8](repeating: 0, count: 64)
        let n = try #require(accepted.withUnsafeMutableBytes {
            SoupBinTCP.encodeLoginAccepted(into: $0, session: SoupBinTCP.session("HOLD")!, sequenceNumber: 1)
        })
        s.feed(s.tcp(seq: 5001, ack: iss &+ 1 &+ UInt32(login.payload.count), flags: [.ack, .psh], payload: Array(accepted[0..<n]),
                     dport: c.localPort))
        var sink = Sink()
        client.poll(now: s.now, &sink)
        #expect(client.state == .loggedIn)
        _ = s.sent()
        return (s, c, client, iss &+ 1 &+ UInt32(login.payload.count), 5001 &+ UInt32(n))
    }

    /// Commits `count` messages of `length` bytes (byte k of message i is i) and returns the
    /// SoupBinTCP packets they should make.
    func commit(_ client: SoupBinTCPClient<NetTCPConnection<MemoryNetDevice>>, count: Int, length: Int, from first: Int = 0, now: Int64) -> [UInt8] {
        var expected: [UInt8] = []
        for i in first..<(first + count) {
            let area = client.messageArea
            for k in 0..<length { area[k] = UInt8(truncatingIfNeeded: i) }
            #expect(client.commitUnsequenced(length: length, now: now))
            expected += [UInt8((length + 1) >> 8), UInt8((length + 1) & 0xFF), UInt8(ascii: "U")]
            expected += [UInt8](repeating: UInt8(truncatingIfNeeded: i), count: length)
        }
        return expected
    }

    @Test(arguments: [true, false])
    func threeOrdersLeaveInOneSegmentAfterTheRelease(zeroCopy: Bool) throws {
        let (s, _, client, seq, _) = try loggedIn(zeroCopy: zeroCopy)
        client.holdSends()
        let expected = commit(client, count: 3, length: 40, now: s.now)
        #expect(Scripted.segments(s.sent()).isEmpty, "nothing leaves while held")
        #expect(client.releaseSends(now: s.now))
        let segs = Scripted.segments(s.sent())
        #expect(segs.count == 1)
        #expect(segs.first?.seq == seq && segs.first?.payload == expected)
        #expect(client.counters.unsequencedSent == 3)
        // Not held: each message is its own segment, as before.
        let one = commit(client, count: 1, length: 20, from: 7, now: s.now)
        #expect(Scripted.segments(s.sent()).map(\.payload) == [one])
    }

    /// More than one frame holds: a message that would not fit writes the held ones out first;
    /// every byte leaves once, in order, in segments no longer than the MSS.
    @Test(arguments: [true, false])
    func aHoldLargerThanAFrameLeavesInOrder(zeroCopy: Bool) throws {
        let (s, _, client, seq, _) = try loggedIn(zeroCopy: zeroCopy)
        client.holdSends()
        let expected = commit(client, count: 40, length: 100, now: s.now)
        #expect(client.releaseSends(now: s.now))
        let segs = Scripted.segments(s.sent())
        #expect(segs.count >= 3 && segs.allSatisfy { $0.payload.count <= 1460 }, "\(segs.map(\.payload.count))")
        #expect(segs.flatMap(\.payload) == expected)
        var next = seq
        for g in segs {
            #expect(g.seq == next)
            next &+= UInt32(g.payload.count)
        }
    }

    /// The connection is reset under a hold: nothing of the held frame is written or sent, the
    /// release says so and the session is down (the gateway settles the lost orders after the
    /// reconnect's replay).
    @Test func aResetUnderAHoldDropsTheSession() throws {
        let (s, c, client, seq, peer) = try loggedIn(zeroCopy: true)
        client.holdSends()
        _ = commit(client, count: 2, length: 30, now: s.now)
        s.feed(s.tcp(seq: peer, ack: seq, flags: [.rst, .ack], dport: c.localPort))
        #expect(!c.isOpen)
        let area = client.messageArea  // not the dead frame
        #expect(area.count > 0)
        #expect(!client.commitUnsequenced(length: 10, now: s.now))
        #expect(client.releaseSends(now: s.now), "nothing is held any more")
        #expect(client.state == .disconnected)
        #expect(Scripted.segments(s.sent()).allSatisfy { $0.payload.isEmpty })
    }
}
