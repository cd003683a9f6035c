// A MoldUDP64 capture file through the live feed handler's session, offline: A/B arbitration,
// messages in sequence, no re-requests (what both lines lost stays lost, counted). One pump for
// the commands that read a capture's feed (backtest, events, record-features); `tickwire
// replay` has its own, with recovery and the DPDK backend.
import Capture
import CShims
import MarketData

struct MoldCaptureError: Error, CustomStringConvertible {
    var description: String
}

/// Feeds every frame of `path` to a feed handler with `consumer`; `beforeFrame` runs before each
/// frame with its capture time (per-packet state), `afterFrame` after it and once more after the
/// end, when whatever is still missing has been given up. Returns the handler (its session holds
/// the consumer and the counters).
func replayMoldCapture<C: MoldUDP64Consumer>(
    _ path: String, lineA: FeedAddress, lineB: FeedAddress, consumer: C,
    beforeFrame: (MoldUDP64Session<C, NoRecovery>, UInt64) -> Void = { _, _ in },
    afterFrame: (MoldUDP64Session<C, NoRecovery>) -> Void = { _ in }
) throws(MoldCaptureError) -> MoldFeedHandler<C, NoRecovery> {
    let reader: PcapReader
    do { reader = try PcapReader(path: path) } catch { throw MoldCaptureError(description: "\(error)") }
    var conf = MoldUDP64Configuration()
    conf.startSequence = 1
    let feed = MoldFeedHandler(lineA: lineA, lineB: lineB, consumer: consumer, requester: NoRecovery(), configuration: conf)
    var pkts = [tw_pkt](repeating: tw_pkt(), count: 32)
    var now: UInt64 = 0
    while true {
        let n: Int
        do { n = try pkts.withUnsafeMutableBufferPointer { try reader.read(into: $0.baseAddress!, capacity: 32) } } catch {
            throw MoldCaptureError(description: "\(path): \(error)")
        }
        if n == 0 { break }
        for p in pkts[0..<n] {
            now = max(now, p.rx_timestamp)
            beforeFrame(feed.session, now)
            feed.onFrame(UnsafeRawBufferPointer(start: p.data, count: Int(p.len)), now: now)
            feed.session.poll(now: now)
            afterFrame(feed.session)
        }
    }
    feed.session.resolveNow(now: now, giveUp: true)
    afterFrame(feed.session)
    return feed
}
