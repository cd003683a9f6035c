import Foundation
import ITCHBook
import MarketData
import OrderBook
import Testing
import TickwireCore

/// IEX level feeds as ITCH orders (`IEXToITCH`): hand-made events with every message checked,
/// then the real DEEP capture, whose translated book must hold the levels IEX published.
@Suite struct IEXToITCHTests {
    static let sym = IEXSymbol("ZIEXT")!

    /// One IEX message's bytes (little-endian fields at the spec's offsets).
    static func message(_ type: UInt8, flags: UInt8 = 0, time: Int64, size: UInt32, price: Int64, extra: [UInt8] = [],
                        symbol: IEXSymbol = sym) -> [UInt8] {
        var b: [UInt8] = [type, flags]
        b += withUnsafeBytes(of: time.littleEndian, Array.init)
        b += withUnsafeBytes(of: symbol.rawValue.littleEndian, Array.init)
        b += withUnsafeBytes(of: size.littleEndian, Array.init)
        b += withUnsafeBytes(of: price.littleEndian, Array.init)
        return b + extra
    }

    static func level(_ t: inout IEXToITCH, _ side: Side, _ size: UInt32, _ price: Int64, complete: Bool = true, time: Int64,
                      symbol: IEXSymbol = sym) {
        let b = message(side == .buy ? 0x38 : 0x35, flags: complete ? 1 : 0, time: time, size: size, price: price, symbol: symbol)
        b.withUnsafeBytes { t.onPriceLevelUpdate(IEXPriceLevelUpdate(IEXMessage($0)!)!) }
    }

    static func trade(_ t: inout IEXToITCH, _ size: UInt32, _ price: Int64, time: Int64) {
        let b = message(0x54, time: time, size: size, price: price, extra: [UInt8](repeating: 0, count: 8))
        b.withUnsafeBytes { t.onTradeReport(IEXTradeReport(IEXMessage($0)!)!) }
    }

    /// (type, ref, shares) of each translated message; R as ("R", locate, 0).
    static func decoded(_ bytes: [UInt8]) -> [String] {
        var out: [String] = []
        bytes.withUnsafeBytes { raw in
            var w = ITCHFileWalker(raw, framing: .lengthPrefixed)
            while let m = w.next() {
                func u32(_ o: Int) -> UInt32 { (o..<o + 4).reduce(0) { $0 << 8 | UInt32(m[$1]) } }
                func u64(_ o: Int) -> UInt64 { (o..<o + 8).reduce(0) { $0 << 8 | UInt64(m[$1]) } }
                switch m[0] {
                case UInt8(ascii: "R"): out.append("R \(Int(m[1]) << 8 | Int(m[2]))")
                case UInt8(ascii: "A"): out.append("A \(u64(11)) \(Character(Unicode.Scalar(m[19]))) \(u32(20)) @\(u32(32))")
                case UInt8(ascii: "E"): out.append("E \(u64(11)) \(u32(19))")
                case UInt8(ascii: "X"): out.append("X \(u64(11)) \(u32(19))")
                case UInt8(ascii: "D"): out.append("D \(u64(11))")
                case UInt8(ascii: "P"): out.append("P \(Character(Unicode.Scalar(m[19]))) \(u32(20)) @\(u32(32))")
                default: out.append("? \(m[0])")
                }
            }
        }
        return out
    }

    @Test func levelsBecomeOrdersTradesExecutionsAndTheRestHiddenPrints() {
        var t = IEXToITCH()
        let day: Int64 = 1_499_700_000_000_000_000  // 2017-07-10, some hour
        Self.level(&t, .buy, 100, 100_000, time: day)               // a level: one order
        Self.level(&t, .buy, 300, 100_000, time: day + 1)           // it grows: a second, behind
        Self.trade(&t, 150, 100_000, time: day + 2)                 // a trade at it, then its decrease:
        Self.level(&t, .buy, 150, 100_000, time: day + 2)           //   executions, oldest first
        Self.level(&t, .buy, 100, 100_000, time: day + 3)           // a decrease alone: a cancel, newest first
        Self.trade(&t, 70, 100_100, time: day + 4)                  // a trade no level pays for:
        Self.level(&t, .sell, 500, 100_200, time: day + 4)          //   a print, at the event's end
        Self.level(&t, .sell, 200, 100_300, complete: false, time: day + 5)
        Self.level(&t, .sell, 0, 100_200, time: day + 5)            // one event: the level gone first, then the new one
        t.onBookCleared()                                           // a restart: every order deleted
        t.finish()
        #expect(Self.decoded(t.bytes) == [
            "R 1", "A 1 B 100 @100000", "A 2 B 200 @100000",
            "E 1 100", "E 2 50",
            "X 2 50",
            "A 3 S 500 @100200", "P B 70 @100100",
            "D 3", "A 4 S 200 @100300",
            "D 2", "D 4",
        ])
        #expect(t.counters.executedShares == 150 && t.counters.printedShares == 70 && t.counters.clears == 1)
        #expect(t.counters.adds == 4 && t.counters.executions == 2 && t.counters.cancels == 1 && t.counters.deletes == 3 && t.counters.hiddenPrints == 1)
        #expect(t.names == ["", "ZIEXT"])
    }

    /// Another symbol's messages between a trade and the level update it caused (as IEX sends
    /// them) do not end its event: the decrease is still an execution. A later time does: the
    /// trade left unpaid is a print.
    @Test func aTradeIsPaidByItsEventsLevelUpdateAcrossOtherSymbols() {
        var t = IEXToITCH()
        let other = IEXSymbol("ZXIET")!
        Self.level(&t, .sell, 300, 100_100, time: 10)
        Self.trade(&t, 100, 100_100, time: 20)
        Self.level(&t, .buy, 500, 99_000, time: 20, symbol: other)
        Self.level(&t, .sell, 200, 100_100, time: 20)
        Self.trade(&t, 50, 100_100, time: 30)
        Self.level(&t, .sell, 150, 100_100, time: 40)   // a later event: the trade was not this decrease
        #expect(Self.decoded(t.bytes) == ["R 1", "A 1 S 300 @100100", "R 2", "A 2 B 500 @99000", "E 1 100",
                                          "P S 50 @100100", "X 1 50"])
    }

    /// TOPS: each side's quote is its top level; a price that moved empties the old one.
    @Test func topsQuotesAreTheTopLevels() {
        var t = IEXToITCH()
        func quote(_ bid: (UInt32, Int64), _ ask: (Int64, UInt32), time: Int64) {
            var b: [UInt8] = [0x51, 0]
            b += withUnsafeBytes(of: time.littleEndian, Array.init)
            b += withUnsafeBytes(of: Self.sym.rawValue.littleEndian, Array.init)
            b += withUnsafeBytes(of: bid.0.littleEndian, Array.init)
            b += withUnsafeBytes(of: bid.1.littleEndian, Array.init)
            b += withUnsafeBytes(of: ask.0.littleEndian, Array.init)
            b += withUnsafeBytes(of: ask.1.littleEndian, Array.init)
            b.withUnsafeBytes { t.onQuoteUpdate(IEXQuoteUpdate(IEXMessage($0)!)!) }
        }
        quote((100, 100_000), (100_100, 200), time: 10)
        Self.trade(&t, 100, 100_100, time: 11)
        quote((100, 100_000), (100_200, 300), time: 11)  // the ask was taken: executed, then a new ask
        quote((0, 0), (100_200, 300), time: 12)           // no bid
        #expect(Self.decoded(t.bytes) == ["R 1", "A 1 B 100 @100000", "A 2 S 200 @100100", "E 2 100", "D 2", "A 3 S 300 @100200", "D 1"])
    }

    /// The real DEEP capture: after the replay, every symbol's translated book holds exactly the
    /// levels IEX's own DEEP book holds; every traded share is an execution or a print.
    @Test func deepCaptureTranslatesToTheSameLevels() throws {
        let gz = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("shared/data/iex/DEEP10.pcap.gz").path
        try #require(FileManager.default.fileExists(atPath: gz), "real capture not found at \(gz)")
        var deep = IEXDeepBook()
        var t = IEXToITCH()
        let stats = try IEXReplay.replayIEX(pcapPath: gz, book: &deep, handler: &t)
        t.finish()
        #expect(stats.messages > 390_000 && t.counters.clears == stats.restarts)
        #expect(t.counters.levelUpdates == stats.count(of: "8") + stats.count(of: "5"))
        #expect(t.counters.trades == stats.count(of: "T"))
        let book = try OrderBook(configuration: OrderBookConfiguration(maxOrders: 1 << 20, maxLocates: t.names.count + 1))
        var feed = ITCHBookBuilder(book: book)
        var seq: UInt64 = 0
        t.bytes.withUnsafeBytes { raw in
            var w = ITCHFileWalker(raw, framing: .lengthPrefixed)
            while let m = w.next() {
                seq += 1
                feed.onMessage(m, sequence: seq)
            }
        }
        #expect(book.counters.unknownRefs == 0 && book.counters.overExecutions == 0, "every execution, cancel and delete names an order of the translation")
        var compared = 0
        for s in deep.symbols {
            guard let l = t.names.firstIndex(of: s.description) else { continue }
            for side in [Side.buy, .sell] {
                let want = deep.levels(s, side: side).map { "\($0.price.rawValue)x\($0.size.rawValue)" }
                var got: [String] = []
                book.forEachLevel(locate: StockLocate(rawValue: UInt16(l)), side: side) { got.append("\($0.price.rawValue)x\($0.shares)") }
                #expect(got == want, "\(s) \(side)")
                compared += want.count
            }
        }
        #expect(compared > 0)
        // Trades became executions of displayed levels, or prints where none paid for them.
        #expect(t.counters.executions > 0 && t.counters.executedShares > 0)
    }
}
