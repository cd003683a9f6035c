// Input: arbitrary bytes, walked as an ITCH BinaryFILE and backtested with the market maker on
// locates 1...3 (the recorded feed is what a venue sends: untrusted). Whatever the messages (refs
// that do not exist, executions beyond an order, crossed books, timestamps that go back or jump
// days), nothing may trap, and the venue, the gateway and the engine must agree at the end: every
// fill the venue made reached the gateway, nothing is left open, and the engine's book of every
// traded stock is the venue's.
import Backtest
import ITCHBook
import MarketData
import OrderBook
import OrderEntry
import Risk
import Strategy
import TickwireCore

let traded = (1...3).map { StockLocate(rawValue: UInt16($0)) }
let symbols = [Alpha8.blank] + (1...15).map { Alpha8(SyntheticDay.symbol(locate: $0).description)! }

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let raw = UnsafeRawBufferPointer(start: data, count: size)
    var p = MarketMakerParameters()
    p.halfWidthTicks = 0
    p.maxInventory = 1_000
    let mm = MarketMaker(symbols: traded, maxLocates: 16, parameters: p, models: nil)
    var c = BacktestConfiguration()
    c.venue.maxOrders = 4_096
    c.venue.maxLocates = 16
    c.venue.maxOurOrders = 1_024
    c.engineMaxOrders = 4_096
    c.maxLocates = 16
    let limits = RiskLimits(maxOrderShares: 10_000, maxOrderNotional: 1 << 40, collarBps: 5_000, allowWithoutReference: true,
                            maxPositionPerSymbol: 100_000, maxGrossPosition: 1_000_000, maxOpenOrders: 1_000,
                            throttleOrders: 100_000, throttleWindowNanos: 1_000_000_000, maxLoss: 1 << 50, killOnCrossedBook: false)
    let risk = try! RiskEngine(limits: limits, maxLocates: 16)
    let b = try! Backtester(strategy: mm, risk: risk, symbols: symbols, configuration: c)
    var walker = ITCHFileWalker(raw, framing: .lengthPrefixed)
    var seq: UInt64 = 0
    while let m = walker.next() {
        seq &+= 1
        b.onRecorded(m, sequence: seq)
    }
    b.finish()
    precondition(b.venue.counters.unpublishable == 0, "the venue could not publish one of ours")
    precondition(b.gateway.counters.venueViolations == 0, "the venue sent what the live gateway refuses")
    precondition(b.engine.counters.fills == b.venue.counters.fills, "a fill the gateway never heard of")
    precondition(b.engine.counters.filledShares == b.venue.counters.filledShares)
    precondition(b.venue.liveOrders().isEmpty, "an order left open at the venue")
    precondition(b.openOrders == 0, "an order left open in the gateway")
    func lines(_ book: OrderBook) -> [Substring] {
        book.dump(symbols: { _ in "S" }).split(separator: "\n").filter { (1...3).contains(Int($0.split(separator: " ")[0]) ?? 0) }
    }
    precondition(lines(b.engine.book) == lines(b.venue.book), "the engine's book is not the venue's")
    return 0
}
