// `tickwire record-features`: the training sets of the five models, from a day of the venue
// simulator's flow (generated in process, with the true regime) or from an ITCH BinaryFILE.
// research/train.py reads the folder; `make models` runs both end to end.
import ArgumentParser
import Foundation
import Inference
import MarketData
import TickwireCore
import Training
import Packets
import Capture
import CShims

struct RecordFeatures: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "record-features",
        abstract: "Replay a day and write the models' feature and label sets (CSV) into a folder.",
        discussion: """
        Writes uptick.csv, fill.csv, toxicity.csv, adapt.csv (stock features, label) and \
        regime.csv (market features, the simulator's regime; simulated days only), and meta.json. \
        With --models, every row also carries the Swift runtime's prediction and regime rows the \
        online classifier's state (for the held-out report).
        """
    )

    @Option(help: "Folder to write (created if missing).")
    var out: String

    @Option(help: "ITCH 5.0 BinaryFILE to replay instead of simulating a day (no regime rows).")
    var itch: String?

    @Option(help: "pcap capture of a MoldUDP64 feed to replay instead (e.g. the demo's capture.pcap; no regime rows).")
    var capture: String?

    @Option(name: .customLong("feed-a"), help: "With --capture: line A group:port.")
    var feedA: String = FeedAddress.defaultA.description

    @Option(name: .customLong("feed-b"), help: "With --capture: line B group:port.")
    var feedB: String = FeedAddress.defaultB.description

    @Option(help: "Messages of the simulated day.")
    var messages: UInt64 = 2_000_000

    @Option(help: "Seed of the simulated day.")
    var seed: UInt64 = 1

    @Option(help: "Stocks of the simulated day.")
    var symbols: Int = 100

    @Option(help: "Feed rate the timestamps follow (messages/s, as the paced venue stamps them); 0: the flow model's clock.")
    var rate: Double = 50_000

    @Option(name: .customLong("itch-out"), help: "Simulated day: also write the day's messages here (ITCH BinaryFILE), the very messages the rows come from.")
    var itchOut: String?

    @Option(help: "Load these models and add their predictions to every row.")
    var models: String?

    @Flag(help: "Print the summary as JSON.")
    var json = false

    struct Summary: Encodable {
        var source: String
        /// The simulated day's parameters (nil for an ITCH file): `record-features --seed S
        /// --messages N --symbols K --rate R` makes the same day again.
        var seed: UInt64?
        var symbols: Int?
        var rate: Double?
        var itch: String?
        var messages: UInt64
        var feedSeconds: Double
        var rows: [String: Int]
        var regimeRows: Int
        var regimeSeconds: [String: Double]
        var auc: [String: Double]?
        var regimeAgreement: Double?
    }

    func run() throws {
        do {
            try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        } catch {
            throw ValidationError("cannot create the folder \(out): \(error.localizedDescription)")
        }
        let set: ModelSet?
        do {
            set = try models.map { try ModelSet.load(directory: $0) }
        } catch {
            throw ValidationError(String(describing: error))
        }
        guard itch == nil || capture == nil else { throw ValidationError("--itch and --capture are alternatives") }
        guard itchOut == nil || (itch == nil && capture == nil) else { throw ValidationError("--itch-out writes a simulated day: not with --itch or --capture") }
        let simulated = itch == nil && capture == nil
        let recorder = try DatasetRecorder(directory: out, models: set, regime: simulated)
        var summary = Summary(source: "", messages: 0, feedSeconds: 0, rows: [:], regimeRows: 0, regimeSeconds: [:])
        if let itch {
            let bytes: MappedITCHFile
            do { bytes = try MappedITCHFile(path: itch) } catch { throw ValidationError("cannot read \(itch): \(error)") }
            var first: UInt64 = 0, last: UInt64 = 0
            bytes.withUnsafeBytes { raw in
                var walker = ITCHFileWalker(raw)
                while let m = walker.next() {
                    if m.count >= 11 {
                        // Bytes 5..<11: the 48-bit timestamp, big-endian.
                        let t = (5..<11).reduce(UInt64(0)) { $0 << 8 | UInt64(m[$1]) }
                        if first == 0 { first = t }
                        last = max(last, t)
                    }
                    recorder.consume(m)
                }
            }
            summary.source = itch
            summary.itch = itch
            summary.feedSeconds = Double(last &- first) / 1e9
        } else if let capture {
            guard let a = FeedAddress(feedA), let b = FeedAddress(feedB) else { throw ValidationError("--feed-a/--feed-b take IP:PORT") }
            let r = try Self.replay(capture: capture, lineA: a, lineB: b, into: recorder)
            summary.source = capture
            summary.itch = capture
            summary.feedSeconds = r.feedSeconds
            if r.gaps > 0 { FileHandle.standardError.write(Data("record-features: \(r.gaps) gaps in the capture's feed were not recovered\n".utf8)) }
        } else {
            let file: ITCHFileWriter?
            do { file = try itchOut.map { try ITCHFileWriter(path: $0) } } catch { throw ValidationError("cannot write \(itchOut ?? ""): \(error)") }
            let day = SimulatedDay.record(SimulatedDay.flow(seed: seed, symbols: symbols), messages: messages, rate: rate, into: recorder,
                                          itchOut: file)
            do { try file?.finish() } catch { throw ValidationError("\(error)") }
            summary.source = "simulator seed \(seed), \(symbols) stocks, rate \(rate)"
            (summary.seed, summary.symbols, summary.rate) = (seed, symbols, rate)
            summary.feedSeconds = day.feedSeconds
            summary.regimeSeconds = day.regimeSeconds
        }
        try recorder.finish()
        summary.messages = recorder.messages
        for t in Task.allCases { summary.rows[t.name] = recorder.rows[t.rawValue] }
        summary.regimeRows = recorder.regimeRows
        if set != nil {
            var auc: [String: Double] = [:]
            for t in [Task.uptick, .fill, .toxicity] { auc[t.name] = rocAUC(recorder.scored[t.rawValue]) }
            summary.auc = auc
            let c = recorder.regimeConfusion
            let total = c.joined().reduce(0, +)
            summary.regimeAgreement = total > 0 ? Double(c[0][0] + c[1][1] + c[2][2]) / Double(total) : nil
        }
        let enc = JSONEncoder()
        enc.keyEncodingStrategy = .convertToSnakeCase
        enc.outputFormatting = [.sortedKeys, .prettyPrinted]
        try enc.encode(summary).write(to: URL(fileURLWithPath: out + "/meta.json"))
        if json {
            printJSON(summary)
        } else {
            print("record-features: \(summary.messages) messages, \(String(format: "%.1f", summary.feedSeconds)) feed seconds -> \(out)")
            for t in Task.allCases { print("  \(t.name): \(recorder.rows[t.rawValue]) rows") }
            if simulated { print("  regime: \(summary.regimeRows) rows; seconds \(summary.regimeSeconds.sorted { $0.key < $1.key }.map { "\($0.key) \(String(format: "%.1f", $0.value))" }.joined(separator: ", "))") }
            if let auc = summary.auc {
                print("  AUC (Swift runtime): " + auc.sorted { $0.key < $1.key }.map { "\($0.key) \(String(format: "%.3f", $0.value))" }.joined(separator: ", "))
            }
            if let a = summary.regimeAgreement { print("  regime agreement (online state vs simulator): \(String(format: "%.3f", a))") }
        }
    }

    /// Feeds the recorder a capture's MoldUDP64 messages in sequence (lines A and B arbitrated,
    /// no re-requests: a gap is counted and skipped).
    static func replay(capture: String, lineA: FeedAddress, lineB: FeedAddress, into recorder: DatasetRecorder) throws -> (feedSeconds: Double, gaps: UInt64) {
        struct Consumer: MoldUDP64Consumer {
            let recorder: DatasetRecorder
            var first: UInt64 = 0, last: UInt64 = 0
            mutating func onMessage(_ m: UnsafeRawBufferPointer, sequence: UInt64) {
                if m.count >= 11 {
                    let t = (5..<11).reduce(UInt64(0)) { $0 << 8 | UInt64(m[$1]) }
                    if first == 0 { first = t }
                    last = max(last, t)
                }
                recorder.consume(m)
            }
        }
        let feed: MoldFeedHandler<Consumer, NoRecovery>
        do { feed = try replayMoldCapture(capture, lineA: lineA, lineB: lineB, consumer: Consumer(recorder: recorder)) } catch {
            throw ValidationError("\(error)")
        }
        let c = feed.session.consumer
        return (Double(c.last &- c.first) / 1e9, feed.session.counters.gaps)
    }
}
