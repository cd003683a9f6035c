// Feeds the recorder a day of the venue simulator's order flow, generated in process, with the
// simulator's true regime attached to every message.
//
// Timestamps follow the venue as the demo runs it: the venue paces its feed to a message rate
// and stamps each message with the later of the flow model's clock and the paced clock
// (`VenueSimulator.venueTime`). Rates and horizons measured on the feed's clock are then those
// the appliance sees live; `rate: 0` keeps the model's own clock.
public import Exchange
import Inference
import MarketData
import TickwireCore

public struct SimulatedDaySummary: Sendable {
    public var messages: UInt64
    public var feedSeconds: Double
    /// Feed seconds spent in each regime.
    public var regimeSeconds: [String: Double]
}

public enum SimulatedDay {
    struct RecorderSink: ITCHMessageSink {
        let recorder: DatasetRecorder
        let file: ITCHFileWriter?
        mutating func message(_ m: UnsafeRawBufferPointer) {
            recorder.consume(m)
            file?.write(m)
        }
    }

    /// Runs the flow model until the recorder has seen `messages` messages; with `itchOut`,
    /// every message the recorder saw is also written there (an ITCH BinaryFILE of the very day
    /// the rows were recorded from: the research catalogue's input of a simulated day).
    public static func record(_ flow: OrderFlowConfiguration, messages: UInt64, rate: Double,
                              into recorder: DatasetRecorder, itchOut: ITCHFileWriter? = nil) -> SimulatedDaySummary {
        let model = OrderFlowModel(configuration: flow, maxOrders: 1 << 21)
        let publisher = ITCHPublisher(symbols: FlowDay.symbols(flow.symbols))
        let start = flow.start.nanosSinceMidnight
        var sink = PublishingSink(publisher: publisher, time: flow.start, out: RecorderSink(recorder: recorder, file: itchOut))
        publisher.systemEvent("O", at: flow.start, to: &sink.out)
        publisher.directory(at: flow.start, to: &sink.out)
        publisher.systemEvent("S", at: flow.start, to: &sink.out)
        model.openingBook(&sink)
        publisher.systemEvent("Q", at: flow.start, to: &sink.out)
        model.cross(UInt8(ascii: "O"), &sink)
        var regimeNs = [UInt64](repeating: 0, count: MarketRegime.allCases.count)
        var last = start
        while recorder.messages < messages {
            let paced = rate > 0 ? start &+ UInt64(Double(recorder.messages) / rate * 1e9) : 0
            let now = max(model.now, paced)
            sink.time = VenueTime(nanosSinceMidnight: now)
            recorder.truth = MarketRegime(rawValue: model.regime.rawValue)
            model.step(&sink)
            regimeNs[Int(model.regime.rawValue)] &+= now &- last
            last = now
        }
        var seconds: [String: Double] = [:]
        for r in MarketRegime.allCases { seconds[r.description] = Double(regimeNs[Int(r.rawValue)]) / 1e9 }
        return SimulatedDaySummary(messages: recorder.messages, feedSeconds: Double(last - start) / 1e9, regimeSeconds: seconds)
    }

    /// The flow `record-features` uses by default: the venue's model with shorter regimes (mean
    /// calm 2 s, volatile 0.8 s, drought 1 s of model time; paced at 50,000 messages/s the feed
    /// clock runs about 2.5 times slower), so that a day of a few million messages holds enough
    /// regime changes to learn from.
    public static func flow(seed: UInt64, symbols: Int) -> OrderFlowConfiguration {
        var c = OrderFlowConfiguration(seed: seed, symbols: symbols)
        c.meanRegimeSeconds = (2, 0.8, 1)
        return c
    }
}

/// Area under the ROC curve of `scored` (label 1 positive, 0 negative; ties count half).
public func rocAUC(_ scored: [(score: Double, label: Double)]) -> Double {
    let sorted = scored.sorted { $0.score < $1.score }
    var rankSum = 0.0, positives = 0.0
    var i = 0
    while i < sorted.count {
        var j = i
        while j < sorted.count && sorted[j].score == sorted[i].score { j += 1 }
        let rank = Double(i + j + 1) / 2  // mean 1-based rank of the tie group
        for k in i..<j where sorted[k].label > 0.5 {
            rankSum += rank
            positives += 1
        }
        i = j
    }
    let negatives = Double(sorted.count) - positives
    guard positives > 0, negatives > 0 else { return .nan }
    return (rankSum - positives * (positives + 1) / 2) / (positives * negatives)
}
