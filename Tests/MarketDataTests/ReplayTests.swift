import TestSupport
import Foundation
import Testing
@testable import MarketData
import ITCHBook
import OrderBook
import TickwireCore
import Packets
import Capture
import CShims

// MARK: - a naive reference book: as simple as possible

/// Orders in a dictionary, levels computed on demand by grouping. Unknown references are ignored.
struct NaiveBook: ITCHHandler {
    struct Order { var locate: UInt16; var side: UInt8; var price: Int64; var shares: UInt64; var arrival: Int }
    var orders: [UInt64: Order] = [:]
    var arrivals = 0

    mutating func add(_ ref: UInt64, _ locate: UInt16, _ side: UInt8, _ price: Int64, _ shares: UInt64) {
        if orders[ref] != nil { return }
        arrivals += 1
        orders[ref] = Order(locate: locate, side: side, price: price, shares: shares, arrival: arrivals)
    }
    mutating func reduce(_ ref: UInt64, _ by: UInt64) {
        guard var o = orders[ref] else { return }
        if by >= o.shares { orders[ref] = nil } else { o.shares -= by; orders[ref] = o }
    }
    mutating func onAddOrder(_ m: ITCH.AddOrder) { add(m.orderRef.rawValue, m.stockLocate.rawValue, m.sideByte, m.price.rawValue, UInt64(m.shares.rawValue)) }
    mutating func onAddOrderMPID(_ m: ITCH.AddOrderMPID) { add(m.orderRef.rawValue, m.stockLocate.rawValue, m.sideByte, m.price.rawValue, UInt64(m.shares.rawValue)) }
    mutating func onOrderExecuted(_ m: ITCH.OrderExecuted) { reduce(m.orderRef.rawValue, UInt64(m.executedShares.rawValue)) }
    mutating func onOrderExecutedWithPrice(_ m: ITCH.OrderExecutedWithPrice) { reduce(m.orderRef.rawValue, UInt64(m.executedShares.rawValue)) }
    mutating func onOrderCancel(_ m: ITCH.OrderCancel) { reduce(m.orderRef.rawValue, UInt64(m.cancelledShares.rawValue)) }
    mutating func onOrderDelete(_ m: ITCH.OrderDelete) { orders[m.orderRef.rawValue] = nil }
    mutating func onOrderReplace(_ m: ITCH.OrderReplace) {
        guard let old = orders.removeValue(forKey: m.originalOrderRef.rawValue) else { return }
        add(m.newOrderRef.rawValue, old.locate, old.side, m.price.rawValue, UInt64(m.shares.rawValue))
    }

    /// "<locate> <B|S> <price> <shares> <orders>" per level, the dump's order (symbols left out).
    func levels() -> [String] {
        var byKey: [String: (locate: UInt16, side: UInt8, price: Int64, shares: UInt64, count: Int)] = [:]
        for o in orders.values {
            let k = "\(o.locate) \(o.side) \(o.price)"
            var e = byKey[k] ?? (o.locate, o.side, o.price, 0, 0)
            e.shares += o.shares
            e.count += 1
            byKey[k] = e
        }
        return byKey.values.sorted { a, b in
            if a.locate != b.locate { return a.locate < b.locate }
            if a.side != b.side { return a.side < b.side }  // "B" before "S"
            return a.side == 0x42 ? a.price > b.price : a.price < b.price
        }.map { "\($0.locate) \($0.side == 0x42 ? "B" : "S") \($0.price) \($0.shares) \($0.count)" }
    }
}

/// The fast book's dump without the symbol column, to compare with NaiveBook.levels().
func fastLevels(_ b: ITCHBookBuilder) -> [String] {
    var lines: [String] = []
    b.book.dump(symbols: { _ in "-" }) { chunk in
        for l in chunk.split(separator: "\n") {
            let f = l.split(separator: " ")
            lines.append([f[0], f[2], f[3], f[4], f[5]].joined(separator: " "))
        }
    }
    return lines
}

func newBuilder() -> ITCHBookBuilder {
    ITCHBookBuilder(book: try! OrderBook(configuration: OrderBookConfiguration(maxOrders: 1 << 20)))
}

func walk(_ bytes: [UInt8], _ body: (UnsafeRawBufferPointer, UInt64) -> Void) {
    bytes.withUnsafeBytes { raw in
        var w = ITCHFileWalker(raw)
        var seq: UInt64 = 0
        while let m = w.next() {
            seq += 1
            body(m, seq)
        }
    }
}

enum Data2 {
    static var shared: URL {
        if let p = ProcessInfo.processInfo.environment["TICKWIRE_SHARED_DATA"] { return URL(fileURLWithPath: p) }
        return URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("shared/data")
    }
    static var binary: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent(".build/debug/tickwire").path
    }
}

@Suite struct BookReplayTests {
    @Test func realSnippetReplaysWithItsPublishedCountsAndMatchesTheNaiveBook() throws {
        let bytes = try ITCHFile.load(path: Data2.shared.appendingPathComponent("itch/12302019_SNIPPET.NASDAQ_ITCH50").path)
        var fast = newBuilder()
        var naive = NaiveBook()
        walk(bytes) { m, seq in
            fast.onMessage(m, sequence: seq)
            _ = ITCH.dispatch(m, to: &naive)
        }
        let counts = Dictionary(uniqueKeysWithValues: fast.counters.byType.map { (String($0.type), $0.count) })
        #expect(counts == ["A": 367, "F": 193, "U": 225, "D": 167, "E": 28, "X": 6, "C": 1, "P": 4, "Q": 4, "I": 4, "S": 1])
        #expect(fast.counters.delivered == 1000)
        #expect(fast.book.counters.unknownRefs > 350 && fast.book.counters.unknownRefs < 450, "about 400 refs predate the snippet")
        let f = fastLevels(fast), n = naive.levels()
        #expect(f == n, "level by level: \(f.count) vs \(n.count) levels")
        #expect(fast.book.liveOrders == naive.orders.count)
    }

    @Test(arguments: [1, 2] as [UInt64])
    func syntheticDayMatchesTheNaiveBook(seed: UInt64) {
        var c = SyntheticDayConfiguration(messages: 60_000, seed: seed)
        c.stocks = 200
        c.targetLiveOrders = 6_000
        let bytes = SyntheticDay.generate(c)
        var fast = newBuilder()
        var naive = NaiveBook()
        // Message kinds counted over the first 5,000 messages (the books filling) and the last
        // 30,000 (the plateau); live orders sampled along the day.
        var early: [UInt8: Int] = [:], late: [UInt8: Int] = [:]
        var peak = 0
        walk(bytes) { m, seq in
            fast.onMessage(m, sequence: seq)
            _ = ITCH.dispatch(m, to: &naive)
            if seq <= 5_000 { early[m[0], default: 0] += 1 }
            if seq > 30_000 { late[m[0], default: 0] += 1 }
            peak = max(peak, fast.book.liveOrders)
        }
        #expect(fast.counters.delivered == 60_000)
        #expect(fast.book.counters.unknownRefs == 0, "the generator only refers to live orders")
        #expect(fastLevels(fast) == naive.levels())
        func share(_ k: [UInt8: Int], _ types: String) -> Double {
            Double(types.utf8.reduce(0) { $0 + k[$1, default: 0] }) / Double(k.values.reduce(0, +))
        }
        // Filling: adds dominate, as in the real snippet of the opening (56%) and more.
        #expect(share(early, "AF") > 0.5, "adds while filling \(share(early, "AF"))")
        // Plateau: adds balance deletes and full executions; replaces as in the snippet.
        let adds = share(late, "AF"), replaces = share(late, "U"), deletes = share(late, "D")
        #expect(adds > 0.33 && adds < 0.47, "adds \(adds)")
        #expect(replaces > 0.15 && replaces < 0.25, "replaces \(replaces)")
        #expect(deletes > 0.25 && deletes < 0.42, "deletes \(deletes)")
        // The book stops growing near its target (6,000, at least 20 per stock: under 8,000).
        #expect(fast.book.liveOrders > 5_000 && fast.book.liveOrders < 9_000, "live \(fast.book.liveOrders)")
        #expect(peak < 10_000, "peak \(peak)")
    }

    @Test func pipelinedApplyGivesTheSameBookAndCounts() throws {
        var c = SyntheticDayConfiguration(messages: 40_000, seed: 4)
        c.stocks = 100
        c.targetLiveOrders = 3_000
        var bytes = SyntheticDay.generate(c)
        // Append the real snippet: unknown references, P/Q/I/S types, after the synthetic day.
        bytes += try ITCHFile.load(path: Data2.shared.appendingPathComponent("itch/12302019_SNIPPET.NASDAQ_ITCH50").path)
        var plain = newBuilder()
        walk(bytes) { m, seq in plain.onMessage(m, sequence: seq) }
        var piped = newBuilder()
        var seq: UInt64 = 0
        let applied = bytes.withUnsafeBytes { raw in
            var w = ITCHFileWalker(raw)
            return piped.applyPipelined(&w, sequence: &seq)
        }
        #expect(applied == 41_000 && seq == 41_000 && piped.lastSequence == 41_000)
        #expect(piped.counters.delivered == plain.counters.delivered)
        #expect(piped.counters.byType.map { "\($0.type)\($0.count)" } == plain.counters.byType.map { "\($0.type)\($0.count)" })
        #expect(piped.book.counters == plain.book.counters)
        #expect(piped.bboChanges == plain.bboChanges)
        #expect(fastLevels(piped) == fastLevels(plain))
        // And on an empty input nothing happens.
        var empty = newBuilder()
        var s0: UInt64 = 0
        let none = [UInt8]().withUnsafeBytes { raw in
            var w = ITCHFileWalker(raw)
            return empty.applyPipelined(&w, sequence: &s0)
        }
        #expect(none == 0 && s0 == 0)
    }

    @Test func syntheticDayIsDeterministic() {
        let a = SyntheticDay.generate(SyntheticDayConfiguration(messages: 5000, seed: 9))
        let b = SyntheticDay.generate(SyntheticDayConfiguration(messages: 5000, seed: 9))
        let c = SyntheticDay.generate(SyntheticDayConfiguration(messages: 5000, seed: 10))
        #expect(a == b)
        #expect(a != c)
    }
}

// MARK: - feeds built as pcaps

/// A synthetic day cut into MoldUDP64 packets, written as Ethernet frames on lines A and B.
struct FeedCapture {
    let session = MoldSession("TW00000001")
    var messages: [[UInt8]] = []
    var packets: [(seq: UInt64, bytes: [UInt8])] = []

    init(messages n: Int, seed: UInt64) {
        var c = SyntheticDayConfiguration(messages: n, seed: seed)
        c.stocks = 50
        walk(SyntheticDay.generate(c)) { m, _ in messages.append(Array(m)) }
        var rng = SplitMix64(seed: seed)
        var i = 0
        while i < messages.count {
            let k = min(1 + Int(rng.next() % 5), messages.count - i)
            packets.append((UInt64(i + 1), Feed.packet(session: session, sequence: UInt64(i + 1), messages: Array(messages[i..<(i + k)]))))
            i += k
        }
    }

    func frame(_ payload: [UInt8], to group: FeedAddress) -> [UInt8] {
        var buf = [UInt8](repeating: 0, count: 2048)
        let n = buf.withUnsafeMutableBytes { out in
            payload.withUnsafeBytes { p in
                FrameBuilder.udpFrame(into: out, srcMAC: MACAddress(2, 0, 0, 0, 0, 9), dstMAC: group.ip.multicastMAC,
                                      srcIP: IPv4Address(10, 9, 9, 9), dstIP: group.ip, srcPort: 5000, dstPort: group.port, payload: p)
            }
        }
        return Array(buf[0..<n!])
    }

    /// Writes the capture: `plan(i)` says what line(s) carry packet i, in which order.
    func write(_ path: String, heartbeatEvery: Int = 0, _ plan: (Int) -> [FeedLine]) throws {
        let w = try PcapWriter(path: path, format: .pcapNano)
        var ts: UInt64 = 1_700_000_000_000_000_000
        var next: UInt64 = 1
        for (i, p) in packets.enumerated() {
            for line in plan(i) {
                ts += 1_000
                let f = frame(p.bytes, to: line == .a ? .defaultA : .defaultB)
                try f.withUnsafeBytes { try w.write($0, timestampNanos: ts) }
            }
            next = p.seq + UInt64(p.bytes.withUnsafeBytes { MoldUDP64Packet($0)!.messageCount })
            if heartbeatEvery > 0 && i % heartbeatEvery == 0 {
                ts += 1_000
                let hb = frame(Feed.packet(session: session, sequence: next, messages: []), to: .defaultA)
                try hb.withUnsafeBytes { try w.write($0, timestampNanos: ts) }
            }
        }
        // End of session on both lines announces the last sequence (tail losses show here).
        for line in [FeedAddress.defaultA, .defaultB] {
            ts += 1_000
            let eos = frame(Feed.packet(session: session, sequence: next, messages: [], count: 0xFFFF), to: line)
            try eos.withUnsafeBytes { try w.write($0, timestampNanos: ts) }
        }
        try w.close()
    }

    func store() -> MoldMessageStore {
        let s = MoldMessageStore(session: session)
        for m in messages { m.withUnsafeBytes { _ = s.append($0) } }
        return s
    }
}

struct ReplayJSON {
    let object: [String: Any]
    let book: String
}

func replayCLI(_ args: [String], bookOut: String) throws -> ReplayJSON {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: Data2.binary)
    p.arguments = ["replay"] + args + ["--json", "--book-out", bookOut]
    let out = Pipe()
    p.standardOutput = out
    let err = Pipe()
    p.standardError = err
    try p.run()
    let data = out.fileHandleForReading.readDataToEndOfFile()
    let e = err.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    guard p.terminationStatus == 0 else {
        throw NSError(domain: "replay", code: Int(p.terminationStatus),
                      userInfo: [NSLocalizedDescriptionKey: String(decoding: e, as: UTF8.self)])
    }
    let obj = try JSONSerialization.jsonObject(with: data) as? [String: Any] ?? [:]
    return ReplayJSON(object: obj, book: (try? String(contentsOfFile: bookOut, encoding: .utf8)) ?? "")
}

@Suite(.serialized) struct FeedCaptureTests {
    let dir: URL = scratchDirectory("tw-feedcap")

    func path(_ name: String) -> String { dir.appendingPathComponent(name).path }

    @Test func aAndBWithDisjointLossesDuplicatesAndBAheadGiveTheCleanBook() throws {
        try #require(FileManager.default.isExecutableFile(atPath: Data2.binary), "build tickwire first")
        let cap = FeedCapture(messages: 20_000, seed: 3)
        try cap.write(path("clean.pcap")) { _ in [.a] }
        var rng = SplitMix64(seed: 99)
        try cap.write(path("messy.pcap"), heartbeatEvery: 25) { _ in
            let r = rng.next() % 20
            switch r {
            case 0: return [.b]               // lost on A
            case 1: return [.a]               // lost on B
            case 2: return [.b, .a]           // B ahead
            case 3: return [.a, .b, .a]       // a duplicate on A
            default: return [.a, .b]
            }
        }
        let clean = try replayCLI([path("clean.pcap")], bookOut: path("clean.book"))
        let messy = try replayCLI([path("messy.pcap")], bookOut: path("messy.book"))
        #expect(clean.object["messages"] as? Int == 20_000)
        #expect(messy.object["messages"] as? Int == 20_000)
        #expect(messy.object["unrecovered_messages"] as? Int == 0)
        #expect((messy.object["duplicates"] as? Int ?? 0) > 0)
        #expect((messy.object["heartbeats"] as? Int ?? 0) > 0)
        #expect(!clean.book.isEmpty)
        #expect(messy.book == clean.book, "the book of the messy feed is the book of the clean one")
        // The same capture through DPDK's net_pcap PMD: the same book and counts.
        let viaDPDK = try replayCLI([path("messy.pcap"), "--backend", "dpdk"], bookOut: path("dpdk.book"))
        #expect(viaDPDK.book == clean.book)
        #expect(viaDPDK.object["messages"] as? Int == 20_000)
        #expect(viaDPDK.object["duplicates"] as? Int == messy.object["duplicates"] as? Int)
        // And the in-memory truth: the reference book built from the messages themselves.
        var naive = NaiveBook()
        for m in cap.messages { m.withUnsafeBytes { _ = ITCH.dispatch($0, to: &naive) } }
        let cleanLines = clean.book.split(separator: "\n").map { l -> String in
            let f = l.split(separator: " ")
            return [f[0], f[2], f[3], f[4], f[5]].joined(separator: " ")
        }
        #expect(cleanLines == naive.levels())
    }

    @Test func lossesOnBothLinesAreRecoveredFromTheReRequestServerOrReportedWithoutOne() throws {
        try #require(FileManager.default.isExecutableFile(atPath: Data2.binary), "build tickwire first")
        let cap = FeedCapture(messages: 10_000, seed: 4)
        try cap.write(path("clean2.pcap")) { _ in [.a] }
        var rng = SplitMix64(seed: 7)
        var lostBoth = 0
        try cap.write(path("lossy.pcap")) { i in
            let r = rng.next() % 25
            if r == 0 || i == cap.packets.count - 1 { lostBoth += 1; return [] }  // lost on both, the tail too
            return r == 1 ? [.b] : r == 2 ? [.a] : [.a, .b]
        }
        let clean = try replayCLI([path("clean2.pcap")], bookOut: path("clean2.book"))
        let server = try MoldRetransmitServer(store: cap.store())
        server.start()
        defer { server.stop() }
        let recovered = try replayCLI([path("lossy.pcap"), "--rerequest", "127.0.0.1:\(server.port)"], bookOut: path("rec.book"))
        #expect(lostBoth > 5)
        #expect(recovered.object["unrecovered_messages"] as? Int == 0)
        #expect((recovered.object["recovered"] as? Int ?? 0) > 0)
        #expect(recovered.object["messages"] as? Int == 10_000)
        #expect(recovered.book == clean.book)
        #expect(server.served > 0)
        // No server: every hole is reported as a gap with its message count, never silent.
        let unrecovered = try replayCLI([path("lossy.pcap")], bookOut: path("unrec.book"))
        // Adjacent losses merge into one hole, so there are at most as many gaps as lost packets.
        let gaps = unrecovered.object["gaps"] as? Int ?? 0
        #expect(gaps > lostBoth / 2 && gaps <= lostBoth, "gaps \(gaps), packets lost on both lines \(lostBoth)")
        let missing = unrecovered.object["unrecovered_messages"] as? Int ?? 0
        #expect(missing > 0)
        #expect((unrecovered.object["messages"] as? Int ?? 0) + missing == 10_000)
    }

    @Test func iexTOPSReplaysTheSameByBothBackends() throws {
        try #require(FileManager.default.isExecutableFile(atPath: Data2.binary), "build tickwire first")
        let file = Data2.shared.appendingPathComponent("iex/TOPS16.pcap").path
        let a = try replayCLI([file, "--venue", "iex"], bookOut: path("iex1.book"))
        let b = try replayCLI([file, "--venue", "iex", "--backend", "dpdk"], bookOut: path("iex2.book"))
        for r in [a, b] {
            #expect(r.object["messages"] as? Int == 57_674)
            #expect(r.object["heartbeats"] as? Int == 237)
            #expect(r.object["gaps"] as? Int == 0)
        }
        #expect(a.object["by_type"] as? [String: Int] == b.object["by_type"] as? [String: Int])
    }

    @Test func iexDEEPWithRestartsAndACutLastFrameReplaysToTheEnd() throws {
        try #require(FileManager.default.isExecutableFile(atPath: Data2.binary), "build tickwire first")
        let file = Data2.shared.appendingPathComponent("iex/DEEP10.pcap.gz").path
        let r = try replayCLI([file, "--venue", "iex"], bookOut: path("deep.book"))
        #expect(r.object["restarts"] as? Int == 11)
        #expect(r.object["truncated_frames"] as? Int == 1)
        #expect(r.object["messages"] as? Int == 391_999, "392,010 minus the 11 inside the cut last frame")
        #expect(r.object["frames"] as? Int == 121_314)
    }
}
