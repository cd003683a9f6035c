import Foundation
import Testing

/// `tickwire bench t2t --models`: the in-process tick-to-trade with the trained taker (the shipped
/// GBDT uptick model and its features), the figure issue 18 holds to its targets.
@Suite struct BenchT2TCLITests {
    @Test func theTrainedTakerTradesAndItsModelStageIsReported() throws {
        try #require(FileManager.default.isExecutableFile(atPath: Paths.binary), "build tickwire first")
        let models = Paths.root.appendingPathComponent("models").path
        let data = try tickwire(["bench", "t2t", "--messages", "30000", "--per-packet", "1", "--models", models, "--json"])
        let r = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect(r["model"] as? String == "trained")
        #expect((r["orders"] as? Int ?? 0) > 0, "the trained taker traded: \(r)")
        let stages = r["stages_ns"] as? [String: Any] ?? [:]
        #expect(stages["model"] != nil && stages["decode"] != nil, "\(stages.keys.sorted())")
        // The hand-written model trades a different set of ticks: the option really switched it.
        let plain = try #require(try JSONSerialization.jsonObject(with: tickwire(["bench", "t2t", "--messages", "30000", "--per-packet", "1", "--json"])) as? [String: Any])
        #expect(plain["model"] as? String == "imbalance_uptick")
        #expect(plain["orders"] as? Int != r["orders"] as? Int)
    }

    /// `--gap-us`: the loop idles between bursts as a live loop between packets; the run lasts at
    /// least frames x gap, and the report says the gap it ran with.
    @Test func theGapOptionIdlesBetweenBursts() throws {
        try #require(FileManager.default.isExecutableFile(atPath: Paths.binary), "build tickwire first")
        let data = try tickwire(["bench", "t2t", "--messages", "10000", "--per-packet", "3", "--gap-us", "25", "--json"])
        let r = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect(r["gap_micros"] as? Int == 25)
        let frames = try #require(r["frames"] as? Int)
        let seconds = try #require(r["seconds"] as? Double)
        #expect(frames >= 3_000 && seconds >= Double(frames) * 25e-6 * 0.99, "\(frames) frames in \(seconds) s")
    }

    /// Bursts of four frames: triggers in a burst's later frames waited behind the earlier ones
    /// (`decode_wait`), and datagrams of three messages put triggers after earlier messages of
    /// their frame (`decode_frame_later`); one frame per burst waits for none.
    @Test func theDecodeStageSplitsAtTheTriggersFrame() throws {
        try #require(FileManager.default.isExecutableFile(atPath: Paths.binary), "build tickwire first")
        func detail(_ burst: Int) throws -> [String: [String: Any]] {
            let data = try tickwire(["bench", "t2t", "--messages", "30000", "--per-packet", "3", "--burst", "\(burst)", "--json"])
            let r = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
            return try #require(r["stage_detail_ns"] as? [String: [String: Any]], "\(r.keys.sorted())")
        }
        let four = try detail(4)
        for k in ["decode_wait", "decode_frame", "decode_frame_first", "model_and_strategy"] {
            #expect((four[k]?["count"] as? Int ?? 0) > 0, "\(k): \(four.keys.sorted())")
        }
        let later = (four["decode_frame_later"]?["count"] as? Int ?? 0) + (four["decode_frame_after_send"]?["count"] as? Int ?? 0)
        #expect(later > 0, "triggers after earlier messages of their datagram: \(four.keys.sorted())")
        #expect((four["decode_wait"]?["max"] as? Int ?? 0) > 0, "a later frame of a burst waited")
        let one = try detail(1)
        #expect(one["decode_wait"]?["max"] as? Int == 0, "one frame a burst: no wait")
    }

    @Test func aMissingModelsFolderIsAClearError() {
        let missing = Paths.temp("no-such-models")
        do {
            _ = try tickwire(["bench", "t2t", "--messages", "20000", "--models", missing, "--json"])
            Issue.record("ran without its models")
        } catch {
            #expect("\(error)".contains(missing), "\(error)")
        }
    }
}
