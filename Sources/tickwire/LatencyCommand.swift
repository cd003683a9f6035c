import Appliance
import ArgumentParser
import Foundation
import TickwireCore

/// `tickwire latency CAPTURE.pcap`: wire-to-wire latency from a capture and a decision log.
struct LatencyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "latency",
        abstract: "Wire-to-wire latency from a capture: each order paired with the market-data packet that triggered it."
    )

    @Argument(help: "A pcap capture of the feed and the order session (a tap on the appliance's link).")
    var capture: String

    @Option(help: "The appliance's decision log (default: decisions.csv beside the capture).")
    var decisions: String?

    @Option(name: .customLong("order-entry-port"), help: "The venue's SoupBinTCP port.")
    var orderEntryPort: UInt16 = 26500

    @Option(name: .customLong("latencies-out"), help: "Write the backtester's empirical latencies here (a folder): feed.ns, entry.ns, response.ns.")
    var latenciesOut: String?

    @Flag(help: "Print one JSON object.")
    var json = false

    func run() throws {
        guard FileManager.default.fileExists(atPath: capture) else { throw fail("no such file: \(capture)") }
        let logPath = decisions ?? (URL(fileURLWithPath: capture).deletingLastPathComponent().path + "/decisions.csv")
        let records = try Self.decisionLog(logPath, unreadable: "cannot read the decision log \(logPath) (give --decisions)")
        let result: WireToWireResult
        let split: WireToWire.Split
        do { (result, _, split) = try WireToWire.analyzeSplit(capture: capture, decisions: records, orderEntryPort: orderEntryPort) } catch {
            throw fail("\(error)")
        }
        if let latenciesOut { try Self.writeLatencies(split, to: latenciesOut) }
        if json {
            printJSON(result)
        } else {
            let s = result.wireToWireNanos
            print("wire to wire: \(result.pairs) orders paired (of \(result.tickDecisions) tick-driven decisions, \(result.ordersOnWire) order messages on the wire)")
            print("  ns: p50 \(s.p50)  p90 \(s.p90)  p99 \(s.p99)  p99.9 \(s.p999)  max \(s.max)")
            print("  not found: \(result.ordersNotCaptured) orders, \(result.triggersNotCaptured) triggers; stream holes \(result.streamHoles) bytes")
            if let a = result.wireToRxNanos, let b = result.rxToSendNanos, let c = result.sendToWireNanos, let o = result.outsideSoftwareNanos {
                print("  split at the software's stamps (decision log's wall-clock columns), ns p50 / p99 / max:")
                for (name, x) in [("wire_to_rx", a), ("rx_to_send", b), ("send_to_wire", c), ("not_seen", o)] {
                    print("    \(name.padding(toLength: 13, withPad: " ", startingAt: 0)) \(x.p50) / \(x.p99) / \(x.max)")
                }
            }
        }
    }

    /// A decision log's records; its unreadable lines skipped, said on stderr.
    static func decisionLog(_ path: String, unreadable: String) throws -> [DecisionRecord] {
        guard let text = TextFile.readWhole(path) else { throw fail(unreadable) }
        var records: [DecisionRecord] = []
        var bad = 0
        for line in text.split(separator: "\n").dropFirst() {
            if let r = DecisionRecord(csv: line) { records.append(r) } else { bad += 1 }
        }
        if bad > 0 { FileHandle.standardError.write(Data("tickwire: \(bad) unreadable lines in \(path) skipped\n".utf8)) }
        return records
    }

    /// The three latencies of `tickwire backtest`, one value in ns per line, one line per order
    /// the capture and the decision log pair (the tap is on the venue's end of the link):
    /// - feed.ns: the trigger's packet on the wire -> our send (wire_to_rx + rx_to_send): the
    ///   venue's stamp to our decision, less the venue's own delay between stamping and sending;
    /// - entry.ns: our send -> the venue's answer to it on the wire at its end (accepted,
    ///   replaced, canceled: the link and the venue's own handling, which a backtest's venue
    ///   acts on at once), every order message the venue answered in the capture; where the
    ///   capture has no answers, our send -> the order on the wire (send_to_wire);
    /// - response.ns: the venue's answer on the wire -> our send, for every order the strategy
    ///   sent on hearing the venue (a decision without a feed trigger), from the venue's last
    ///   segment to us before our rx (a lower bound); where the run has none, the feed's
    ///   wire_to_rx (an underestimate: without the answer's reading and the reaction).
    /// An order whose trigger took more than `recoveredAbove` ns from the wire to us is left
    /// out: its packet was lost to us and the trigger came by re-request, so the pair measures
    /// the gap's recovery, not the link (said on stderr, with how many).
    @discardableResult
    static func writeLatencies(_ split: WireToWire.Split, to dir: String, recoveredAbove: UInt64 = 10_000_000) throws -> WireToWire.Split {
        guard !split.wireToRx.isEmpty else {
            throw fail("no order has the split at the software's stamps (the decision log needs its wall-clock columns)")
        }
        var s = split
        let keep = split.wireToRx.indices.filter { split.wireToRx[$0] <= recoveredAbove }
        if keep.count < split.wireToRx.count {
            s.wireToRx = keep.map { split.wireToRx[$0] }
            s.rxToSend = keep.map { split.rxToSend[$0] }
            s.sendToWire = keep.map { split.sendToWire[$0] }
            if split.wireToRxAt.count == split.wireToRx.count { s.wireToRxAt = keep.map { split.wireToRxAt[$0] } }
            FileHandle.standardError.write(Data("tickwire: \(split.wireToRx.count - keep.count) of \(split.wireToRx.count) orders left out of the latencies: their trigger reached us more than \(recoveredAbove / 1_000_000) ms after the wire (recovered by re-request)\n".utf8))
        }
        guard !s.wireToRx.isEmpty else { throw fail("every order's trigger came by re-request: no latency to learn from") }
        // A decision more than `recoveredAbove` after the venue's last segment answered a timer
        // (a stale book, a kill), not the venue.
        let answers = split.answerToSend.indices.filter { split.answerToSend[$0] <= recoveredAbove }
        if answers.count < split.answerToSend.count {
            s.answerToSend = answers.map { split.answerToSend[$0] }
            if split.answerToSendAt.count == split.answerToSend.count { s.answerToSendAt = answers.map { split.answerToSendAt[$0] } }
        }
        do { try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true) } catch { throw fail("cannot create \(dir): \(error)") }
        func write(_ name: String, _ v: [UInt64]) throws {
            let text = "# ns, one per order (tickwire latency --latencies-out)\n" + v.map(String.init).joined(separator: "\n") + "\n"
            do { try text.write(toFile: dir + "/" + name, atomically: true, encoding: .utf8) } catch { throw fail("cannot write \(dir)/\(name): \(error)") }
        }
        try write("feed.ns", zip(s.wireToRx, s.rxToSend).map { $0 &+ $1 })
        try write("entry.ns", s.entry)
        if s.answerToSend.isEmpty {
            FileHandle.standardError.write(Data("tickwire: no order answered the venue in this run: response.ns is the feed's wire -> rx\n".utf8))
        }
        try write("response.ns", s.response)
        // The same values by when they happened, on the venue's clock (`--feed-latency
        // trace:FILE` and the others): a slow spell of the run falls on the same moments of the
        // backtest's day, not at random.
        func writeTrace(_ name: String, _ at: [UInt64], _ v: [UInt64]) throws {
            guard at.count == v.count else { return }
            let points = zip(at, v).filter { $0.0 != 0 }.sorted { $0.0 < $1.0 }
            guard !points.isEmpty else { return }
            let text = "# venue_time_ns latency_ns (tickwire latency --latencies-out; venue clock = capture clock - \(s.venueClockOffset) ns)\n"
                + points.map { "\($0.0) \($0.1)" }.joined(separator: "\n") + "\n"
            do { try text.write(toFile: dir + "/" + name, atomically: true, encoding: .utf8) } catch { throw fail("cannot write \(dir)/\(name): \(error)") }
        }
        try writeTrace("feed.trace", s.wireToRxAt, zip(s.wireToRx, s.rxToSend).map { $0 &+ $1 })
        try writeTrace("entry.trace", s.sendToAnswerAt, s.sendToAnswer.isEmpty ? [] : s.sendToAnswer)
        try writeTrace("response.trace", s.responseAt, s.response)
        // The venue's feed copy of each order it answered, after the answer (own.ns, own.trace:
        // `--own-feed-delay`), by the copy's own venue stamp.
        if !s.answerToFeedCopy.isEmpty {
            try write("own.ns", s.answerToFeedCopy)
            try writeTrace("own.trace", s.answerToFeedCopyAt, s.answerToFeedCopy)
        }
        // The same for the events that filled our resting orders (fill.ns, fill.trace:
        // `--fill-feed-delay`).
        if !s.fillToFeedCopy.isEmpty {
            try write("fill.ns", s.fillToFeedCopy)
            try writeTrace("fill.trace", s.fillToFeedCopyAt, s.fillToFeedCopy)
        }
        return s
    }
}
