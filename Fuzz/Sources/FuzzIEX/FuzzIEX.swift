// Input: one IEX-TP datagram (segment header, messages), parsed, tracked and dispatched into the
// DEEP book; then the same bytes as a whole Ethernet frame through the frame replayer.
import MarketData

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
        }
    }
    var replayer = IEXFrameReplayer(port: nil, handler: IEXNullHandler())
    replayer.onFrame(raw, truncated: size % 2 == 0)
    _ = replayer.finish()
    return 0
}
