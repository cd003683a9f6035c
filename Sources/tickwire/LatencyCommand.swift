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

    @Flag(help: "Print one JSON object.")
    var json = false

    func run() throws {
        guard FileManager.default.fileExists(atPath: capture) else { throw fail("no such file: \(capture)") }
        let logPath = decisions ?? (URL(fileURLWithPath: capture).deletingLastPathComponent().path + "/decisions.csv")
        guard let text = TextFile.read(logPath) else { throw fail("cannot read the decision log \(logPath) (give --decisions)") }
        var records: [DecisionRecord] = []
        var bad = 0
        for line in text.split(separator: "\n").dropFirst() {
            if let r = DecisionRecord(csv: line) { records.append(r) } else { bad += 1 }
        }
        if bad > 0 { FileHandle.standardError.write(Data("tickwire: \(bad) unreadable lines in \(logPath) skipped\n".utf8)) }
        let result: WireToWireResult
        do { result = try WireToWire.analyze(capture: capture, decisions: records, orderEntryPort: orderEntryPort).result } catch {
            throw fail("\(error)")
        }
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
}
