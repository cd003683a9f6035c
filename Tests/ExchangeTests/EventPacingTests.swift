import Capture
import CShims
import Exchange
import Foundation
import MarketData
import Packets
import Testing
import TickwireCore

/// The venue paced by event time (`tickwire exchange --pace events`) publishes the day
/// `FlowDay.generate(eventTimes: true)` makes of the same flow, message for message and stamp
/// for stamp, when no client trades: the premise of `tickwire validate`, whose backtest runs on
/// the generated day and whose paper run trades against this venue. Its stamps follow the wall
/// clock: each event leaves once the clock reaches it.
@Suite(.serialized) struct EventPacingTests {
    /// The ITCH messages of a venue capture, in sequence (line A alone: no faults here).
    func messages(ofCapture path: String) throws -> [[UInt8]] {
        final class Sink { var messages: [[UInt8]] = [] }
        struct Collect: MoldUDP64Consumer {
            let sink: Sink
            mutating func onMessage(_ message: UnsafeRawBufferPointer, sequence: UInt64) { sink.messages.append(Array(message)) }
        }
        let sink = Sink()
        var conf = MoldUDP64Configuration()
        conf.startSequence = 1
        let feed = MoldFeedHandler(lineA: .defaultA, lineB: .defaultB, consumer: Collect(sink: sink), requester: NoRecovery(), configuration: conf)
        let reader = try PcapReader(path: path)
        var p = tw_pkt()
        while try reader.next(&p) {
            feed.onFrame(UnsafeRawBufferPointer(start: p.data, count: Int(p.len)), now: p.rx_timestamp)
        }
        return sink.messages
    }

    func messages(ofDay bytes: [UInt8]) -> [[UInt8]] {
        var out: [[UInt8]] = []
        bytes.withUnsafeBytes { raw in
            var w = ITCHFileWalker(raw)
            while let m = w.next() { out.append(Array(m)) }
        }
        return out
    }

    /// What the flow makes (adds, executions, cancels, deletes, replaces, hidden prints).
    func flowOnly(_ ms: [[UInt8]]) -> [[UInt8]] {
        ms.filter { "AFEXDUP".utf8.contains($0[0]) }
    }

    static func stamp(_ m: [UInt8]) -> UInt64 { m[5..<11].reduce(0) { $0 << 8 | UInt64($1) } }

    @Test func theVenuePacedByEventTimeSendsTheGeneratedDay() throws {
        var c = VenueConfiguration()
        c.flow = OrderFlowConfiguration(seed: 5, symbols: 8)
        c.flow.eventsPerSecond = 20_000
        c.flow.start = VenueTime(nanosSinceMidnight: 36_000_000_000_000)
        c.paceByEventTime = true
        c.sendUDP = false
        c.orderEntry = nil
        c.rerequest = FeedAddress(ip: IPv4Address(127, 0, 0, 1), port: 0)
        let path = Paths.temp("event-paced.pcap")
        c.capturePath = path
        let venue = try VenueSimulator(configuration: c)
        let t0 = tw_clock_monotonic_raw_ns()
        let summary = venue.run(seconds: 1.5, linger: 0)
        let wall = Double(tw_clock_monotonic_raw_ns() - t0) / 1e9
        let sent = flowOnly(try messages(ofCapture: path))
        #expect(sent.count > 15_000, "\(sent.count) flow messages in 1.5 s at 20,000 events a second")
        let last = try #require(sent.last.map(Self.stamp))
        let day = flowOnly(messages(ofDay: FlowDay.generate(c.flow, messages: 10_000_000, eventTimes: true, untilNanos: last).bytes))
        #expect(day.count == sent.count)
        let first = zip(day, sent).enumerated().first { $0.element.0 != $0.element.1 }?.offset
        #expect(first == nil, "first difference at message \(first ?? -1) of \(sent.count)")
        // Venue time ran with the wall clock: the last event is within the session's 1.5 s.
        let span = Double(last - c.flow.start.nanosSinceMidnight) / 1e9
        #expect(span > 1.3 && span <= 1.5, "the flow's last event at +\(span) s of a \(wall) s session")
        #expect(summary.flowStartNs == c.flow.start.nanosSinceMidnight)
    }
}
