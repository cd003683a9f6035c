import Foundation
import Inference
import Testing

/// The models in `models/` (research/make_models.sh) against the training libraries'
/// predictions on held-out rows (`models/parity/<name>.csv`: the features as float32, then the
/// library's prediction from those exact values).
@Suite struct ShippedModelTests {
    static let models = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("models").path

    /// Rows (float32 features) and expected predictions of one parity file.
    func parity(_ name: String, features: [String]) throws -> (rows: [[Float]], expected: [Double]) {
        let text = try String(contentsOfFile: Self.models + "/parity/\(name).csv", encoding: .utf8)
        let lines = text.split(separator: "\n")
        let header = lines[0].split(separator: ",").map(String.init)
        #expect(Array(header.dropLast()) == features, "\(name): the parity file's columns are the schema's")
        var rows: [[Float]] = [], expected: [Double] = []
        for line in lines.dropFirst() {
            let cells = line.split(separator: ",")
            rows.append(cells.dropLast().map { Float(String($0))! })
            expected.append(Double(String(cells.last!))!)
        }
        return (rows, expected)
    }

    @Test func everyShippedModelMatchesItsTrainingLibrary() throws {
        let set = try ModelSet.load(directory: Self.models)
        let stock: [(String, GBDTModel)] = [("uptick", set.uptick), ("fill", set.fill), ("toxicity", set.toxicity), ("adapt", set.adapt)]
        for (name, model) in stock {
            let (rows, expected) = try parity(name, features: FeatureState.schema.names)
            #expect(rows.count >= 500, "\(name)")
            var worst = 0.0
            for (row, want) in zip(rows, expected) {
                worst = max(worst, abs(row.withUnsafeBufferPointer { model.predictProbability($0.baseAddress!) } - want))
            }
            #expect(worst <= 1e-5, "\(name): largest difference \(worst)")
        }
        let regime: [(String, LogisticModel)] = [("calm", set.regime.calm), ("volatile", set.regime.volatile), ("drought", set.regime.drought)]
        for (name, model) in regime {
            let (rows, expected) = try parity("regime_\(name)", features: MarketState.schema.names)
            var worst = 0.0
            for (row, want) in zip(rows, expected) {
                worst = max(worst, abs(row.withUnsafeBufferPointer { model.predictProbability($0.baseAddress!) } - want))
            }
            #expect(worst <= 1e-5, "regime_\(name): largest difference \(worst)")
        }
    }

    /// A model folder with a stale model (trained on another feature list) is refused at load.
    @Test func aModelTrainedOnOtherFeaturesIsRefused() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tw-stale-\(getpid())").path
        try? FileManager.default.removeItem(atPath: dir)
        try FileManager.default.copyItem(atPath: Self.models, toPath: dir)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let wrapper = dir + "/fill.json"
        var json = try String(contentsOfFile: wrapper, encoding: .utf8)
        json = json.replacingOccurrences(of: "\"last_move_sign\"", with: "\"last_move\"")
        try json.write(toFile: wrapper, atomically: true, encoding: .utf8)
        #expect(throws: ModelLoadError.self) { try ModelSet.load(directory: dir) }
        try FileManager.default.removeItem(atPath: dir + "/regime_drought.json")
        do {
            _ = try ModelSet.load(directory: dir)
            Issue.record("loaded without regime_drought.json")
        } catch {
            #expect("\(error)".contains("fill.json") || "\(error)".contains("regime_drought"), "\(error)")
        }
    }
}
