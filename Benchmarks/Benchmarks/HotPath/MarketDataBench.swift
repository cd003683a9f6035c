// Market data in steady state: ITCH decode + L3 book per message, and MoldUDP64 packets through
// the session into the book. One iteration = 1,000 messages (or 250 packets) of a synthetic day,
// taken in order; when the day runs out a fresh book starts outside the measurement.
import Benchmark
import MarketData
import ITCHBook
import OrderBook
import TickwireCore

final class DayFixture: @unchecked Sendable {
    let bytes: [UInt8]
    var messages: [UnsafeRawBufferPointer] = []
    /// Packets as slices of one arena, so that the measured loop touches no Swift array of arrays.
    var packets: [UnsafeRawBufferPointer] = []
    let base: UnsafeMutableRawPointer
    var packetArena: UnsafeMutableRawPointer?

    init(messages n: Int) {
        bytes = SyntheticDay.generate(SyntheticDayConfiguration(messages: n, seed: 5))
        base = UnsafeMutableRawPointer.allocate(byteCount: bytes.count, alignment: 64)
        bytes.withUnsafeBytes { base.copyMemory(from: $0.baseAddress!, byteCount: bytes.count) }
        var w = ITCHFileWalker(UnsafeRawBufferPointer(start: base, count: bytes.count))
        while let m = w.next() { messages.append(m) }
        // MoldUDP64 packets of 4 messages each, laid out back to back in one arena.
        var built: [[UInt8]] = []
        var seq = 1
        var i = 0
        while i < messages.count {
            let k = min(4, messages.count - i)
            var p = [UInt8](repeating: 0, count: 20)
            p.withUnsafeMutableBytes { _ = MoldUDP64Packet.writeHeader(into: $0, session: MoldSession("BENCH"), sequence: UInt64(seq), count: UInt16(k)) }
            for m in messages[i..<(i + k)] { p += [UInt8(m.count >> 8), UInt8(m.count & 0xFF)] + Array(m) }
            built.append(p)
            seq += k
            i += k
        }
        let total = built.reduce(0) { $0 + $1.count }
        let arena = UnsafeMutableRawPointer.allocate(byteCount: total, alignment: 64)
        var off = 0
        for p in built {
            p.withUnsafeBytes { (arena + off).copyMemory(from: $0.baseAddress!, byteCount: p.count) }
            packets.append(UnsafeRawBufferPointer(start: arena + off, count: p.count))
            off += p.count
        }
        packetArena = arena
    }
}

func freshBuilder() -> ITCHBookBuilder {
    ITCHBookBuilder(book: try! OrderBook(configuration: OrderBookConfiguration(maxOrders: 2_000_000)))
}

nonisolated(unsafe) var day: DayFixture?
nonisolated(unsafe) var bookCursor = 0
nonisolated(unsafe) var bookBuilder: ITCHBookBuilder?
nonisolated(unsafe) var feedCursor = 0
nonisolated(unsafe) var feedSession: MoldUDP64Session<ITCHBookBuilder, NoRecovery>?

func marketDataBenchmarks() {
    let setup: () -> Void = { if day == nil { day = DayFixture(messages: 1_000_000) } }

    Benchmark("ITCH_decode_L3_book_1000_messages", configuration: .init(setup: setup)) { benchmark in
        let d = day!
        if bookBuilder == nil || bookCursor + 1000 > d.messages.count {
            bookBuilder = freshBuilder()
            bookCursor = 0
        }
        var b = bookBuilder!
        bookBuilder = nil  // one owner while measured: no copy-on-write of the struct's fields
        benchmark.startLoop()
        for i in bookCursor..<(bookCursor + 1000) { b.onMessage(d.messages[i], sequence: UInt64(i + 1)) }
        benchmark.stopLoop()
        bookCursor += 1000
        bookBuilder = b
    }

    Benchmark("MoldUDP64_to_book_250_packets", configuration: .init(setup: setup)) { benchmark in
        let d = day!
        if feedSession == nil || feedCursor + 250 > d.packets.count {
            feedSession = MoldUDP64Session(consumer: freshBuilder(), requester: NoRecovery())
            feedCursor = 0
        }
        let s = feedSession!
        benchmark.startLoop()
        for i in feedCursor..<(feedCursor + 250) {
            s.onPacket(d.packets[i], line: .a, now: UInt64(i))
        }
        benchmark.stopLoop()
        feedCursor += 250
    }
}

/// Counts what a MoldUDP64 session delivers (the recovery benchmark measures the session alone).
struct CountingConsumer: MoldUDP64Consumer {
    var messages = 0
    mutating func onMessage(_ message: UnsafeRawBufferPointer, sequence: UInt64) { messages &+= 1 }
}

/// Closing a gap with 1,000 packets held behind it: the 1,000 early packets arrive (held), then
/// the missing first one, and everything drains in order (issue 14, defect 3: the held packets
/// were stored and drained by scanning all 4,096 slots per packet).
func recoveryBenchmarks() {
    let setup: () -> Void = { if day == nil { day = DayFixture(messages: 1_000_000) } }
    Benchmark("MoldUDP64_close_gap_1000_held_packets", configuration: .init(setup: setup)) { benchmark in
        let d = day!
        let s = MoldUDP64Session(consumer: CountingConsumer(), requester: NoRecovery())
        // A heartbeat first, outside the measurement: a fresh session's first packet copies its
        // counters' array literals (one allocation, once per session).
        var heartbeat = [UInt8](repeating: 0, count: 20)
        heartbeat.withUnsafeMutableBytes { _ = MoldUDP64Packet.writeHeader(into: $0, session: MoldSession("BENCH"), sequence: 1, count: 0) }
        heartbeat.withUnsafeBytes { s.onPacket($0, line: .a, now: 0) }
        benchmark.startLoop()
        for i in 1...1_000 { s.onPacket(d.packets[i], line: .a, now: 0) }
        s.onPacket(d.packets[0], line: .a, now: 1)
        benchmark.stopLoop()
        precondition(s.consumer.messages == 4_004 && !s.hasGap, "the gap closed")
        blackHole(s)
    }
}
