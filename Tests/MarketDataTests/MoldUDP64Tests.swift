import Testing
import Foundation
@testable import MarketData
import TickwireCore

/// Collects what the session delivers, in order.
struct Collector: MoldUDP64Consumer {
    var sequences: [UInt64] = []
    var messages: [[UInt8]] = []
    mutating func onMessage(_ message: UnsafeRawBufferPointer, sequence: UInt64) {
        sequences.append(sequence)
        messages.append(Array(message))
    }
}

/// Answers re-requests synchronously from a MoldMessageStore by feeding the answer packets back
/// into the session as recovery-line packets (what the UDP client does, without the socket).
final class StoreRequester: MoldUDP64Requester {
    let store: MoldMessageStore
    var answers: [[UInt8]] = []
    var requests: [(UInt64, UInt16)] = []
    var refuse = false
    init(store: MoldMessageStore) { self.store = store }
    func requestRetransmission(session: MoldSession, sequence: UInt64, count: UInt16) -> Bool {
        requests.append((sequence, count))
        if refuse { return false }
        store.answer(sequence: sequence, count: count) { answers.append(Array($0)) }
        return true
    }
}

/// A session's worth of messages and its packets (1 to 4 messages each).
struct Feed {
    let session = MoldSession("TEST000001")
    var messages: [[UInt8]] = []
    var packets: [[UInt8]] = []

    init(messageCount: Int, seed: UInt64) {
        var rng = SplitMix64(seed: seed)
        for i in 0..<messageCount {
            let len = 5 + Int(rng.next() % 40)
            messages.append([UInt8(0x41 + i % 26)] + (0..<len).map { _ in UInt8(truncatingIfNeeded: rng.next()) })
        }
        var seq = 1
        while seq <= messageCount {
            let n = min(1 + Int(rng.next() % 4), messageCount - seq + 1)
            packets.append(Self.packet(session: session, sequence: UInt64(seq), messages: Array(messages[(seq - 1)..<(seq - 1 + n)])))
            seq += n
        }
    }

    static func packet(session: MoldSession, sequence: UInt64, messages: [[UInt8]], count: UInt16? = nil) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: 20)
        out.withUnsafeMutableBytes { _ = MoldUDP64Packet.writeHeader(into: $0, session: session, sequence: sequence, count: count ?? UInt16(messages.count)) }
        for m in messages {
            out += [UInt8(m.count >> 8), UInt8(m.count & 0xFF)] + m
        }
        return out
    }

    func heartbeat(next: UInt64) -> [UInt8] { Self.packet(session: session, sequence: next, messages: []) }
    func endOfSession(next: UInt64) -> [UInt8] { Self.packet(session: session, sequence: next, messages: [], count: 0xFFFF) }

    func store() -> MoldMessageStore {
        let s = MoldMessageStore(session: session)
        for m in messages { m.withUnsafeBytes { _ = s.append($0) } }
        return s
    }
}


extension MoldUDP64Session {
    func feed(_ bytes: [UInt8], line: FeedLine, now: UInt64) {
        bytes.withUnsafeBytes { onPacket($0, line: line, now: now) }
    }
}

@Suite struct MoldUDP64Tests {
    @Test func packetViewChecksEveryBlock() {
        let p = Feed.packet(session: MoldSession("S1"), sequence: 7, messages: [[1, 2, 3], [4]])
        p.withUnsafeBytes { b in
            let v = MoldUDP64Packet(b)
            #expect(v?.sequence == 7)
            #expect(v?.messageCount == 2)
            #expect(v?.session.description == "S1")
            var got: [[UInt8]] = []
            v?.forEachMessage { m, _ in got.append(Array(m)) }
            #expect(got == [[1, 2, 3], [4]])
        }
        // Every truncation of the packet is refused (never a partial delivery).
        for cut in 0..<p.count {
            p.withUnsafeBytes { b in #expect(MoldUDP64Packet(UnsafeRawBufferPointer(rebasing: b[0..<cut])) == nil) }
        }
        // A block claiming more bytes than the datagram has.
        var bad = p
        bad[20] = 0xFF
        bad.withUnsafeBytes { #expect(MoldUDP64Packet($0) == nil) }
    }

    @Test func cleanSingleLineDeliversEverythingInOrder() {
        let f = Feed(messageCount: 500, seed: 1)
        let s = MoldUDP64Session(consumer: Collector(), requester: NoRecovery())
        for (i, p) in f.packets.enumerated() { s.feed(p, line: .a, now: UInt64(i) * 1000) }
        let same = s.consumer.messages == f.messages
        #expect(same, "delivered \(s.consumer.messages.count) of \(f.messages.count)")
        #expect(s.consumer.sequences == Array(1...500))
        #expect(s.counters.gaps == 0 && s.counters.unrecoveredMessages == 0)
    }

    /// A and B carry the same packets with disjoint losses, B sometimes ahead, duplicates and
    /// heartbeats: the output is exactly the clean feed, nothing requested.
    @Test(arguments: [1, 2, 3, 4, 5] as [UInt64])
    func arbitrationWithDisjointLossesNeedsNoRecovery(seed: UInt64) {
        let f = Feed(messageCount: 2000, seed: seed)
        var rng = SplitMix64(seed: seed &* 77)
        let requester = StoreRequester(store: f.store())
        let s = MoldUDP64Session(consumer: Collector(), requester: requester)
        var now: UInt64 = 0
        var pendingB: [[UInt8]] = []
        var next: UInt64 = 1
        for p in f.packets {
            let r = rng.next() % 10
            let lostOnA = r == 0, lostOnB = r == 1
            // B runs up to 3 packets behind or ahead of A.
            if !lostOnB { pendingB.append(p) }
            if rng.next() % 2 == 0, let b = pendingB.first {  // B ahead of A for this packet
                s.feed(b, line: .b, now: now); pendingB.removeFirst()
            }
            if !lostOnA { s.feed(p, line: .a, now: now) }
            if pendingB.count > 3 { s.feed(pendingB.removeFirst(), line: .b, now: now) }
            if rng.next() % 20 == 0 { s.feed(p, line: .a, now: now) }  // a duplicate on A
            now += 10  // 10 ns apart: far inside the arbitration window
            next += UInt64(p.withUnsafeBytes { MoldUDP64Packet($0)!.messageCount })
            if rng.next() % 50 == 0 { s.feed(f.heartbeat(next: next), line: .a, now: now) }
            s.poll(now: now)
        }
        for b in pendingB { s.feed(b, line: .b, now: now) }
        s.poll(now: now)
        let same = s.consumer.messages == f.messages
        #expect(same, "delivered \(s.consumer.messages.count) of \(f.messages.count)")
        #expect(s.consumer.sequences == Array(1...2000))
        #expect(s.counters.unrecoveredMessages == 0)
        #expect(requester.requests.isEmpty, "the other line filled every hole")
        #expect(s.counters.duplicates > 0)
        #expect(!s.hasGap)
    }

    /// Losses on both lines: the re-request server fills them, in order, nothing twice.
    @Test(arguments: [11, 12, 13] as [UInt64])
    func lossesOnBothLinesAreRecovered(seed: UInt64) {
        let f = Feed(messageCount: 3000, seed: seed)
        var rng = SplitMix64(seed: seed)
        let requester = StoreRequester(store: f.store())
        let s = MoldUDP64Session(consumer: Collector(), requester: requester)
        var now: UInt64 = 0
        for p in f.packets {
            let r = rng.next() % 100
            if r >= 8 { s.feed(p, line: .a, now: now) }          // 8% lost on A
            if r < 4 || r >= 12 { s.feed(p, line: .b, now: now) } // 8% lost on B, half overlapping A's
            now += 100_000
            s.poll(now: now)
            while !requester.answers.isEmpty {
                s.feed(requester.answers.removeFirst(), line: .recovery, now: now)
            }
        }
        // The tail: a heartbeat announces the end, the window passes, the request is answered.
        s.feed(f.heartbeat(next: 3001), line: .a, now: now)
        now += 1_000_000
        s.poll(now: now)
        while !requester.answers.isEmpty { s.feed(requester.answers.removeFirst(), line: .recovery, now: now) }
        let same = s.consumer.messages == f.messages
        #expect(same, "delivered \(s.consumer.messages.count) of \(f.messages.count)")
        #expect(s.consumer.sequences == Array(1...3000))
        #expect(s.counters.unrecoveredMessages == 0)
        #expect(s.counters.recoveredMessages > 0)
        #expect(!requester.requests.isEmpty)
        #expect(!s.hasGap)
    }

    /// No server: the hole is reported (unrecovered count), delivery resumes after it, in order.
    @Test func noServerReportsTheGap() {
        let f = Feed(messageCount: 100, seed: 5)
        let s = MoldUDP64Session(consumer: Collector(), requester: NoRecovery())
        var now: UInt64 = 0
        var lost = 0
        for (i, p) in f.packets.enumerated() {
            if i == 10 || i == 11 {
                lost += p.withUnsafeBytes { MoldUDP64Packet($0)!.messageCount }
                continue
            }
            s.feed(p, line: .a, now: now)
            now += 1_000_000
            s.poll(now: now)
        }
        #expect(s.counters.gaps == 1)
        #expect(s.counters.unrecoveredMessages == UInt64(lost))
        #expect(s.consumer.messages.count == 100 - lost)
        #expect(s.consumer.sequences == s.consumer.sequences.sorted(), "still strictly in sequence")
        #expect(Set(s.consumer.sequences).count == s.consumer.sequences.count)
    }

    /// A request that is never answered is retried, then given up and reported.
    @Test func unansweredRequestsAreRetriedThenGivenUp() {
        let f = Feed(messageCount: 50, seed: 9)
        final class Silent: MoldUDP64Requester {
            var asked = 0
            func requestRetransmission(session: MoldSession, sequence: UInt64, count: UInt16) -> Bool { asked += 1; return true }
        }
        var conf = MoldUDP64Configuration()
        conf.maxRequestRetries = 2
        let s = MoldUDP64Session(consumer: Collector(), requester: Silent(), configuration: conf)
        s.feed(f.packets[0], line: .a, now: 0)
        s.feed(f.packets[2], line: .a, now: 0)
        var now: UInt64 = 0
        for _ in 0..<20 {
            now += conf.requestTimeoutNanos / 2
            s.poll(now: now)
        }
        #expect(s.requester.asked == 3, "first try and two retries")
        #expect(s.counters.requestRetries == 2)
        let lost = f.packets[1].withUnsafeBytes { MoldUDP64Packet($0)!.messageCount }
        #expect(s.counters.unrecoveredMessages == UInt64(lost))
        #expect(!s.hasGap)
    }

    @Test func heartbeatsEndOfSessionAndSessionChange() {
        let f = Feed(messageCount: 20, seed: 3)
        let s = MoldUDP64Session(consumer: Collector(), requester: NoRecovery())
        for p in f.packets { s.feed(p, line: .a, now: 0) }
        s.feed(f.heartbeat(next: 21), line: .a, now: 0)
        s.feed(f.endOfSession(next: 21), line: .b, now: 0)
        #expect(s.counters.heartbeats == 1 && s.counters.endOfSession == 1 && s.ended)
        #expect(!s.hasGap)
        // A new session starts over at 1.
        let g = Feed.packet(session: MoldSession("TEST000002"), sequence: 1, messages: [[9, 9, 9]])
        s.feed(g, line: .a, now: 0)
        #expect(s.counters.sessionChanges == 1)
        #expect(s.consumer.messages.last == [9, 9, 9])
        // Recovery answers for another session are ignored.
        let h = Feed.packet(session: MoldSession("OTHER"), sequence: 2, messages: [[1]])
        s.feed(h, line: .recovery, now: 0)
        #expect(s.counters.foreignSession == 1)
    }

    @Test func malformedAndGarbageAreCountedNeverTrap() {
        let s = MoldUDP64Session(consumer: Collector(), requester: NoRecovery())
        var rng = SplitMix64(seed: 42)
        for _ in 0..<100_000 {
            let n = Int(rng.next() % 80)
            let bytes = (0..<n).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
            s.feed(bytes, line: FeedLine(rawValue: Int(rng.next() % 3))!, now: rng.next() % 1_000_000_000)
            s.poll(now: rng.next())
        }
        #expect(s.counters.malformed > 0)
        #expect(s.consumer.sequences == s.consumer.sequences.sorted())
    }

    /// The UDP re-request server answers over loopback.
    @Test func udpServerAnswersReRequests() throws {
        let f = Feed(messageCount: 300, seed: 21)
        let server = try MoldRetransmitServer(store: f.store())
        server.start()
        defer { server.stop() }
        let client = try UDPRecoveryClient(server: IPv4Address(127, 0, 0, 1), port: server.port)
        let s = MoldUDP64Session(consumer: Collector(), requester: client)
        var now: UInt64 = 0
        for (i, p) in f.packets.enumerated() where i % 7 != 3 {
            s.feed(p, line: .a, now: now)
            now += 1_000_000
            s.poll(now: now)
            pump(client, s, now: now)
        }
        s.feed(f.heartbeat(next: 301), line: .a, now: now)
        for _ in 0..<200 where s.consumer.messages.count < 300 {
            now += 1_000_000
            s.poll(now: now)
            pump(client, s, now: now)
        }
        let same = s.consumer.messages == f.messages
        #expect(same, "delivered \(s.consumer.messages.count) of \(f.messages.count)")
        #expect(s.counters.unrecoveredMessages == 0)
        #expect(server.served > 0)
    }

    func pump(_ client: UDPRecoveryClient, _ s: MoldUDP64Session<Collector, UDPRecoveryClient>, now: UInt64) {
        var pkts = [tw_pkt](repeating: tw_pkt(), count: 16)
        while s.awaitingRecovery && client.wait(timeoutMillis: 50) {
            let n = pkts.withUnsafeMutableBufferPointer { client.receive(into: $0.baseAddress!, capacity: 16) }
            for p in pkts[0..<max(n, 0)] {
                s.onPacket(UnsafeRawBufferPointer(start: p.data, count: Int(p.len)), line: .recovery, now: now)
            }
        }
    }
}

import CShims
import Packets

/// Inputs that libFuzzer (Fuzz/FuzzMoldUDP64) found crashing, replayed exactly as the fuzz
/// target feeds them: [length (2, BE) | line (1) | datagram]...
@Suite struct MoldUDP64FuzzRegressions {
    struct Flaky: MoldUDP64Requester {
        var asked = 0
        mutating func requestRetransmission(session: MoldSession, sequence: UInt64, count: UInt16) -> Bool {
            asked += 1
            return asked % 2 == 0
        }
    }

    static func hex(_ s: String) -> [UInt8] {
        var out: [UInt8] = []
        var i = s.startIndex
        while i < s.endIndex {
            let j = s.index(i, offsetBy: 2)
            out.append(UInt8(s[i..<j], radix: 16)!)
            i = j
        }
        return out
    }

    /// Feeds a fuzz input as the target does; returns the session and whether any message came
    /// out of order within one session (each delivery is tagged with the session epoch, the
    /// number of session changes so far: a new session starts its numbers over).
    static func replay(_ input: [UInt8]) -> (MoldUDP64Session<Collector, Flaky>, Bool) {
        var conf = MoldUDP64Configuration()
        conf.bufferedPackets = 8
        conf.slotBytes = 256
        conf.startSequence = nil
        let s = MoldUDP64Session(consumer: Collector(), requester: Flaky(), configuration: conf)
        var off = 0
        var now: UInt64 = 0
        var epochs: [UInt64] = []
        func tag() {
            while epochs.count < s.consumer.sequences.count { epochs.append(s.counters.sessionChanges) }
        }
        while off + 3 <= input.count {
            let len = Int(input[off]) << 8 | Int(input[off + 1])
            let line = FeedLine(rawValue: Int(input[off + 2]) % 3)!
            off += 3
            let n = min(len, input.count - off)
            input.withUnsafeBytes { s.onPacket(UnsafeRawBufferPointer(rebasing: $0[off..<(off + n)]), line: line, now: now) }
            tag()
            off += n
            now &+= 100_000
            s.poll(now: now)
            tag()
        }
        s.resolveNow(now: now, giveUp: true)
        tag()
        var ordered = true
        for i in s.consumer.sequences.indices.dropFirst() where epochs[i] == epochs[i - 1] {
            if s.consumer.sequences[i] <= s.consumer.sequences[i - 1] { ordered = false }
        }
        return (s, ordered)
    }

    /// Sessions changing while a hole was open: the first delivery of the new session (after
    /// its hole was given up on a timer) is lower than the old session's last. In order within
    /// each session (the fuzz harness first flagged this across sessions).
    @Test func sessionChangesWithAHoleOpenStayInOrder() {
        let (s, ordered) = Self.replay(Self.hex("000000001800000000000000000000000a0000000000dbff00010000040000184000000000000300002800000031e4e4e4e400000001000040000000000000000018000000000000000000000000000a000000dbff000100000400001840000000000003000028000000e4e4e4e4000000010000400000000000000000000000180000000001000025000084000000000018400000010000000018000000000100002500003e8400000000001840000001000000000000"))
        #expect(ordered, "sequences \(s.consumer.sequences)")
        #expect(!s.hasGap)
    }

    /// A sequence number near 2^64 made the hole wider than Int: the request count trapped.
    @Test func holeWiderThanIntDoesNotTrap() {
        let input = Self.hex("00000000180000000000000000000000000000000000250000000000000000184000000000000000000000fffffffade0000000000000000000000000900000000002f4a0100005b2f00")
        var conf = MoldUDP64Configuration()
        conf.bufferedPackets = 8
        conf.slotBytes = 256
        conf.startSequence = nil
        let s = MoldUDP64Session(consumer: Collector(), requester: Flaky(), configuration: conf)
        var off = 0
        var now: UInt64 = 0
        while off + 3 <= input.count {
            let len = Int(input[off]) << 8 | Int(input[off + 1])
            let line = FeedLine(rawValue: Int(input[off + 2]) % 3)!
            off += 3
            let n = min(len, input.count - off)
            input.withUnsafeBytes { s.onPacket(UnsafeRawBufferPointer(rebasing: $0[off..<(off + n)]), line: line, now: now) }
            off += n
            now &+= 100_000
            s.poll(now: now)
        }
        s.resolveNow(now: now, giveUp: true)
        #expect(!s.hasGap)
        #expect(s.consumer.sequences == s.consumer.sequences.sorted())
    }
}

/// What one packet may not do to a session (issue 14, defect 2), and recovery that stays cheap
/// when many packets are held (defect 3). On the main of 2026-12-03 the spoofed packet moved the
/// high-water mark (every later packet was a duplicate after the give-up) and one foreign
/// session id on one line reset the session.
@Suite struct MoldUDP64HostilePacketTests {
    /// A feed of `n` messages on both lines, with `inject(i)` called before packet i.
    func run(_ f: Feed, requester: StoreRequester? = nil, lines: [FeedLine] = [.a, .b],
             inject: (Int, MoldUDP64Session<Collector, StoreRequester>) -> Void) -> MoldUDP64Session<Collector, StoreRequester> {
        let s = MoldUDP64Session(consumer: Collector(), requester: requester ?? { let r = StoreRequester(store: f.store()); r.refuse = true; return r }())
        var now: UInt64 = 0
        for (i, p) in f.packets.enumerated() {
            inject(i, s)
            for l in lines { s.feed(p, line: l, now: now) }
            now += 1_000_000
            s.poll(now: now)
            while !s.requester.answers.isEmpty { s.feed(s.requester.answers.removeFirst(), line: .recovery, now: now) }
        }
        return s
    }

    @Test(arguments: [FeedLine.a, .b])
    func aSpoofedFarAheadPacketIsHeldApartAndDropped(line: FeedLine) {
        let f = Feed(messageCount: 400, seed: 31)
        let s = run(f) { i, s in
            if i == 50 { s.feed(Feed.packet(session: f.session, sequence: 1_000_000_000, messages: [[1, 2, 3]]), line: line, now: 0) }
            if i == 60 { s.feed(f.heartbeat(next: 7_000_000_000), line: line, now: 0) }
        }
        #expect(s.consumer.messages == f.messages, "delivered \(s.consumer.messages.count) of \(f.messages.count)")
        #expect(s.counters.implausibleSequences == 2 && s.counters.confirmedJumps == 0)
        #expect(s.counters.unrecoveredMessages == 0 && s.counters.gaps == 0 && !s.hasGap)
        #expect(s.highWater == 401)
    }

    /// A session whose plausibility bound is 1,000 sequence numbers (inside its window).
    func tight() -> MoldUDP64Session<Collector, NoRecovery> {
        var c = MoldUDP64Configuration()
        c.maxSequenceJump = 1_000
        return MoldUDP64Session(consumer: Collector(), requester: NoRecovery(), configuration: c)
    }

    /// A real jump (we missed a long stretch) shows on both lines: taken, and its hole is
    /// reported as a gap like any other.
    @Test func aFarJumpOnBothLinesIsTaken() {
        let f = Feed(messageCount: 10, seed: 32)
        let s = tight()
        for p in f.packets { s.feed(p, line: .a, now: 0) }
        let far = Feed.packet(session: f.session, sequence: 5_011, messages: [[7], [8]])
        s.feed(far, line: .a, now: 1)
        #expect(s.counters.implausibleSequences == 1 && s.highWater == 11)
        s.feed(far, line: .b, now: 2)
        #expect(s.counters.confirmedJumps == 1 && s.highWater == 5_013)
        s.poll(now: 1_000_000_000)
        #expect(s.consumer.messages.suffix(2) == [[7], [8]])
        #expect(s.counters.unrecoveredMessages == 5_000, "the hole is reported, never silent")
    }

    /// A single-line feed: the packet that continues the far one on its own line confirms it.
    @Test func aFarJumpContinuedOnItsOwnLineIsTaken() {
        let f = Feed(messageCount: 10, seed: 33)
        let s = tight()
        for p in f.packets { s.feed(p, line: .a, now: 0) }
        s.feed(Feed.packet(session: f.session, sequence: 3_001, messages: [[1], [2]]), line: .a, now: 1)
        s.feed(Feed.packet(session: f.session, sequence: 3_003, messages: [[3]]), line: .a, now: 2)
        #expect(s.counters.implausibleSequences == 1 && s.counters.confirmedJumps == 1)
        s.poll(now: 1_000_000_000)
        #expect(s.consumer.messages.last == [3])
        #expect(s.nextSequence == 3_004 && s.counters.unrecoveredMessages == 2_992)
    }

    /// At the default bound (a million) a confirmed jump lands beyond the window of held
    /// packets: the packets that confirmed it are part of the reported hole, and the feed goes on
    /// from there.
    @Test func aHugeConfirmedJumpIsReportedAndTheFeedGoesOn() {
        let f = Feed(messageCount: 10, seed: 38)
        let s = MoldUDP64Session(consumer: Collector(), requester: NoRecovery())
        for p in f.packets { s.feed(p, line: .a, now: 0) }
        let far = Feed.packet(session: f.session, sequence: 5_000_011, messages: [[7], [8]])
        s.feed(far, line: .a, now: 1)
        s.feed(far, line: .b, now: 2)
        #expect(s.counters.confirmedJumps == 1 && s.counters.beyondWindow == 1)
        s.poll(now: 1_000_000_000)
        #expect(s.counters.unrecoveredMessages == 5_000_002 && !s.hasGap)
        s.feed(Feed.packet(session: f.session, sequence: 5_000_013, messages: [[9]]), line: .a, now: 3)
        #expect(s.consumer.messages.last == [9])
    }

    @Test(arguments: [FeedLine.a, .b])
    func oneLineCannotChangeTheSession(line: FeedLine) {
        let f = Feed(messageCount: 300, seed: 34)
        let s = run(f) { i, s in
            if i == 40 { s.feed(Feed.packet(session: MoldSession("EVIL000001"), sequence: 1, messages: [[6, 6, 6]]), line: line, now: 0) }
        }
        #expect(s.consumer.messages == f.messages, "delivered \(s.consumer.messages.count) of \(f.messages.count)")
        #expect(s.counters.sessionChanges == 0 && s.counters.foreignSession == 1)
        #expect(s.session == f.session)
    }

    /// Both lines show the new session (without an end of session): it changes, and the first
    /// packet of it, dropped while one line alone showed it, is not lost.
    @Test func bothLinesChangeTheSession() {
        let f = Feed(messageCount: 20, seed: 35)
        let g = Feed(messageCount: 30, seed: 36)
        let next = MoldSession("TEST000002")
        let requester = StoreRequester(store: {
            let st = MoldMessageStore(session: next)
            for m in g.messages { m.withUnsafeBytes { _ = st.append($0) } }
            return st
        }())
        let s = MoldUDP64Session(consumer: Collector(), requester: requester)
        for p in f.packets { s.feed(p, line: .a, now: 0) }
        let packets = g.packets.map { p -> [UInt8] in var q = p; q.withUnsafeMutableBytes { next.write(to: $0.baseAddress!) }; return q }
        s.feed(packets[0], line: .a, now: 1)       // B lost the first packet of the new session
        #expect(s.counters.sessionChanges == 0)
        s.feed(packets[1], line: .b, now: 2)
        #expect(s.counters.sessionChanges == 1 && s.session == next)
        var now: UInt64 = 3
        for p in packets.dropFirst(2) { s.feed(p, line: .a, now: now) }
        for _ in 0..<5 {
            now += 100_000_000
            s.poll(now: now)
            while !requester.answers.isEmpty { s.feed(requester.answers.removeFirst(), line: .recovery, now: now) }
        }
        #expect(Array(s.consumer.messages.suffix(30)) == g.messages, "the new session whole, its first packet recovered")
        #expect(s.counters.recoveredMessages > 0)
    }

    /// 1,000 packets held behind one hole, then the hole filled: everything comes out in order
    /// and every slot is free again; a packet beyond the window is not held (counted) and comes
    /// back through the re-request.
    @Test func aThousandHeldPacketsDrainInOrder() {
        let f = Feed(messageCount: 3_000, seed: 37)
        let requester = StoreRequester(store: f.store())
        var c = MoldUDP64Configuration()
        c.bufferedPackets = 1_024
        c.sequenceWindow = 4_096
        c.maxRequestCount = 10_000
        let s = MoldUDP64Session(consumer: Collector(), requester: requester, configuration: c)
        let held = f.packets.dropFirst().prefix(1_000)
        for p in held.reversed() { s.feed(p, line: .a, now: 0) }     // out of order, too
        for p in held { s.feed(p, line: .b, now: 0) }                // the other line's copies
        s.feed(f.packets[0], line: .a, now: 1)
        let through = f.packets.prefix(1_001).reduce(0) { $0 + $1.withUnsafeBytes { MoldUDP64Packet($0)!.messageCount } }
        #expect(s.consumer.sequences.count == through && s.consumer.sequences.last == UInt64(through))
        #expect(s.consumer.sequences == s.consumer.sequences.sorted(), "in order")
        #expect(!s.hasGap && s.counters.bufferOverflows == 0)
        // Far ahead of the window (but within the plausibility bound): not held.
        s.feed(Feed.packet(session: f.session, sequence: UInt64(through) + 5_000, messages: [[1]]), line: .a, now: 2)
        #expect(s.counters.beyondWindow == 1)
    }
}

/// UDP checksums of feed datagrams (issue 14, defect 7): on the main of 2026-12-03 only IPv4's
/// was checked, so a datagram damaged in its payload went into the book. Now a bad one is a
/// counted drop, and the session fetches it again like a lost packet; the NIC's verdict is taken
/// where the PMD gives one.
@Suite struct FeedChecksumTests {
    /// The frame of one MoldUDP64 packet to line A, with a correct UDP checksum.
    func frame(_ packet: [UInt8]) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: 2048)
        let n = out.withUnsafeMutableBytes { b in
            packet.withUnsafeBytes { p in
                FrameBuilder.udpFrame(into: b, srcMAC: MACAddress(2, 0, 0, 0, 0, 1), dstMAC: MACAddress(1, 0, 0x5E, 0x36, 0x0C, 0x6F),
                                      srcIP: IPv4Address(10, 0, 0, 1), dstIP: FeedAddress.defaultA.ip, srcPort: 4000,
                                      dstPort: FeedAddress.defaultA.port, payload: p)
            }
        }
        return Array(out.prefix(n!))
    }

    @Test func aDamagedDatagramIsDroppedAndRecovered() {
        let f = Feed(messageCount: 60, seed: 41)
        let requester = StoreRequester(store: f.store())
        let h = MoldFeedHandler(lineA: .defaultA, lineB: .defaultB, consumer: Collector(), requester: requester)
        var now: UInt64 = 0
        for (i, p) in f.packets.enumerated() {
            var fr = frame(p)
            if i == 5 { fr[fr.count - 1] ^= 0x40 }  // one bit of the last message flipped in flight
            fr.withUnsafeBytes { h.onFrame($0, now: now) }
            now += 1_000_000
            h.session.poll(now: now)
            while !requester.answers.isEmpty { h.session.feed(requester.answers.removeFirst(), line: .recovery, now: now) }
        }
        #expect(h.frameCounters.drops.badUDPChecksum == 1)
        #expect(h.session.consumer.messages == f.messages, "the damaged packet was fetched again, not delivered damaged")
        #expect(h.session.counters.recoveredMessages > 0)
    }

    @Test func theNICsVerdictIsTaken() {
        let f = Feed(messageCount: 4, seed: 42)
        let h = MoldFeedHandler(lineA: .defaultA, lineB: .defaultB, consumer: Collector(), requester: NoRecovery())
        var fr = frame(f.packets[0])
        // The NIC says bad: dropped without a look.
        fr.withUnsafeBytes { h.onFrame($0, now: 0, flags: UInt32(TW_PKT_L4_CKSUM_BAD)) }
        #expect(h.frameCounters.drops.badUDPChecksum == 1 && h.session.consumer.messages.isEmpty)
        // The NIC says good: not checked again (here a frame whose checksum field is stale).
        fr[fr.count - 1] ^= 0x40
        fr.withUnsafeBytes { h.onFrame($0, now: 0, flags: UInt32(TW_PKT_L4_CKSUM_GOOD)) }
        #expect(h.session.consumer.messages.count == f.packets[0].withUnsafeBytes { MoldUDP64Packet($0)!.messageCount })
    }

    /// The IPv4 header's verdict travels as DPDK's bits do (tw_rx_burst passes them through): BAD
    /// alone drops, GOOD skips the software check, both (DPDK's NONE) count as intact.
    @Test func theNICsIPv4AndNoneVerdictsAreTaken() {
        let f = Feed(messageCount: 4, seed: 43)
        let count = { (i: Int) in f.packets[i].withUnsafeBytes { MoldUDP64Packet($0)!.messageCount } }
        let h = MoldFeedHandler(lineA: .defaultA, lineB: .defaultB, consumer: Collector(), requester: NoRecovery())
        let ipBad = UInt32(TW_PKT_IP_CKSUM_BAD), ipGood = UInt32(TW_PKT_IP_CKSUM_GOOD)
        let l4Bad = UInt32(TW_PKT_L4_CKSUM_BAD), l4Good = UInt32(TW_PKT_L4_CKSUM_GOOD)
        // A sound frame the NIC calls wrong in its IPv4 header: dropped as such.
        frame(f.packets[0]).withUnsafeBytes { h.onFrame($0, now: 0, flags: ipBad | l4Good) }
        #expect(h.frameCounters.drops.badIPv4Checksum == 1 && h.session.consumer.messages.isEmpty)
        // A stale IPv4 header checksum (offset 24: Ethernet 14 + 10) with no verdict: dropped in
        // software; the same frame with the NIC's GOOD: taken.
        var fr = frame(f.packets[0])
        fr[24] ^= 0x01
        fr.withUnsafeBytes { h.onFrame($0, now: 0, flags: 0) }
        #expect(h.frameCounters.drops.badIPv4Checksum == 2 && h.session.consumer.messages.isEmpty)
        fr.withUnsafeBytes { h.onFrame($0, now: 0, flags: ipGood) }
        #expect(h.session.consumer.messages.count == count(0))
        // NONE for both (BAD and GOOD bits set): intact, taken, and not checked in software.
        var fr1 = frame(f.packets[1])
        fr1[24] ^= 0x01
        fr1[fr1.count - 1] ^= 0x40
        fr1.withUnsafeBytes { h.onFrame($0, now: 0, flags: ipBad | ipGood | l4Bad | l4Good) }
        #expect(h.session.consumer.messages.count == count(0) + count(1))
        #expect(h.frameCounters.drops.badUDPChecksum == 0 && h.frameCounters.drops.badIPv4Checksum == 2)
    }
}
