// Input: arbitrary bytes, walked as an ITCH BinaryFILE (both framings) and each message
// dispatched into the L3 book builder and a handler that reads every field of every view.
import MarketData
import ITCHBook
import OrderBook
import TickwireCore

nonisolated(unsafe) let book = try! OrderBook(configuration: OrderBookConfiguration(maxOrders: 4096, maxLocates: 65_536))
nonisolated(unsafe) let directory = SymbolDirectory()  // 512 KiB: made once, not per input

struct ReadAll: ITCHHandler {
    var sink: UInt64 = 0
    mutating func onAddOrder(_ m: ITCH.AddOrder) { sink &+= m.orderRef.rawValue &+ UInt64(m.shares.rawValue) &+ UInt64(bitPattern: m.price.rawValue) &+ m.stock.rawValue }
    mutating func onOrderReplace(_ m: ITCH.OrderReplace) { sink &+= m.newOrderRef.rawValue &+ m.originalOrderRef.rawValue }
    mutating func onStockDirectory(_ m: ITCH.StockDirectory) { sink &+= m.stock.rawValue &+ UInt64(m.roundLotSize) }
    mutating func onNOII(_ m: ITCH.NOII) { sink &+= m.pairedShares &+ m.imbalanceShares }
    mutating func onSystemEvent(_ m: ITCH.SystemEvent) { sink &+= m.timestamp.nanosSinceMidnight }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let raw = UnsafeRawBufferPointer(start: data, count: size)
    for framing in [ITCHFileWalker.Framing.lengthPrefixed, .typeTable, .auto] {
        var walker = ITCHFileWalker(raw, framing: framing)
        var builder = ITCHBookBuilder(book: book, directory: directory)
        var all = ReadAll()
        var seq: UInt64 = 0
        while let m = walker.next() {
            seq &+= 1
            builder.onMessage(m, sequence: seq)
            _ = ITCH.dispatch(m, to: &all)
        }
        if all.sink == 42 { print("") }
    }
    return 0
}
