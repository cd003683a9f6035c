import Foundation
import Inference
import Testing
@testable import Training

/// The shipped models on a simulated day none of them was trained on (seed 7; training used 1
/// and 2, the report 99), scored by the Swift runtime as the strategies use them.
@Suite struct HeldOutDayTests {
    static let models = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("models").path

    @Test func shippedModelsBeatAConstantAndTheRegimeStateFollowsTheSimulator() throws {
        let set = try ModelSet.load(directory: Self.models)
        let r = try DatasetRecorder(directory: nil, models: set, regime: true)
        let day = SimulatedDay.record(SimulatedDay.flow(seed: 7, symbols: 100), messages: 900_000, rate: 50_000, into: r)
        #expect(day.feedSeconds > 15)
        let up = rocAUC(r.scored[Task.uptick.rawValue]), tox = rocAUC(r.scored[Task.toxicity.rawValue])
        #expect(r.scored[Task.uptick.rawValue].count > 10_000)
        #expect(up > 0.55, "uptick AUC \(up)")
        #expect(tox > 0.55, "toxicity AUC \(tox)")
        let c = r.regimeConfusion
        let total = c.joined().reduce(0, +)
        let agreement = Double(c[0][0] + c[1][1] + c[2][2]) / Double(max(total, 1))
        #expect(total > 100)
        #expect(agreement > 0.8, "regime agreement \(agreement), confusion \(c), seconds \(day.regimeSeconds)")
        print("held-out day (seed 7): uptick AUC \(up), toxicity AUC \(tox), regime agreement \(agreement) over \(total) evaluations, \(day.regimeSeconds)")
    }
}
