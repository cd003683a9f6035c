// Input: one IEX-TP datagram (segment header, messages), parsed, tracked and dispatched into the
// DEEP book and into the translation into ITCH orders (`IEXToITCH`), whose messages must apply
// to an L3 book without one unknown reference or over-execution; then the same bytes as a whole
// Ethernet frame through the frame replayer.
import ITCHBook
import MarketData
import OrderBook
import TickwireCore


@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let raw = UnsafeRawBufferPointer(start: data, count: size)
    var tracker = IEXSessionTracker()
    var book = IEXDeepBook(symbolCapacity: 4, levelsPerSide: 4, maxLevelsPerSide: 64, maxSymbols: 64)
    for allowTruncated in [false, true] {
        if case .segment(let seg) = IEXTPSegment.parse(raw, allowTruncated: allowTruncated) {
            _ = tracker.track(seg)
            var it = seg.messages
            while let m = it.next() {
                if let u = IEXPriceLevelUpdate(m) { book.apply(u) }
            }
            var h = IEXNullHandler()
            _ = IEXDispatch.dispatch(seg, to: &h)
            var t = IEXToITCH()
            _ = IEXDispatch.dispatch(seg, to: &t)
            if allowTruncated { t.onBookCleared() }
            t.finish()
            checkTranslation(t)
        }
    }
    var replayer = IEXFrameReplayer(port: nil, handler: IEXNullHandler())
    replayer.onFrame(raw, truncated: size % 2 == 0)
    _ = replayer.finish()
    return 0
}

/// The translation applied to a fresh L3 book: every execution, cancel and delete names a live
/// order of its own making, for no more shares than it has.
func checkTranslation(_ t: IEXToITCH) {
    let book = try! OrderBook(configuration: OrderBookConfiguration(maxOrders: 1 << 12, maxLocates: 1 << 12))
    var feed = ITCHBookBuilder(book: book)
    var seq: UInt64 = 0
    t.bytes.withUnsafeBytes { raw in
        var w = ITCHFileWalker(raw, framing: .lengthPrefixed)
        while let m = w.next() {
            seq &+= 1
            feed.onMessage(m, sequence: seq)
        }
    }
    let c = book.counters
    guard c.capacityExceeded == 0, c.locatesOutOfRange == 0 else { return }
    precondition(c.unknownRefs == 0 && c.overExecutions == 0 && c.duplicateRefs == 0, "translation inconsistent: \(c)")
}
