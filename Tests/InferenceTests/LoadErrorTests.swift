import Foundation
import Inference
import Testing

/// Malformed or mismatched model files must fail at load with a specific, readable error.
@Suite struct LoadErrorTests {
    let schema = Fixtures.schema

    func error(_ body: () throws -> Void) -> ModelLoadError? {
        do { try body(); return nil } catch { return error as? ModelLoadError }
    }

    @Test func lightGBMCategoricalIsRejected() {
        let e = error { _ = try GBDTModel.loadLightGBM(path: Fixtures.path("lgb_categorical.txt"), schema: schema) }
        guard case .unsupported(_, let reason)? = e else { Issue.record("got \(String(describing: e))"); return }
        #expect(reason.contains("categorical"))
    }

    @Test func lightGBMTruncatedAtHalf() {
        let text = Fixtures.text("lgb_binary.txt")
        let p = Fixtures.temp(String(text.prefix(text.count / 2)), name: "half.txt")
        let e = error { _ = try GBDTModel.loadLightGBM(path: p, schema: schema) }
        guard case .malformed? = e else { Issue.record("got \(String(describing: e))"); return }
        #expect(e?.description.contains(p) == true)
    }

    /// Cut inside a tree's threshold line: the arrays no longer agree in length.
    @Test func lightGBMTruncatedMidTree() throws {
        let text = Fixtures.text("lgb_binary.txt")
        let r = try #require(text.range(of: "\nthreshold=", range: text.index(text.startIndex, offsetBy: 5000)..<text.endIndex))
        let cut = text[..<text.index(r.upperBound, offsetBy: 60)] + "\n\nend of trees\n"
        let p = Fixtures.temp(String(cut), name: "cut.txt")
        let e = error { _ = try GBDTModel.loadLightGBM(path: p, schema: schema) }
        guard case .malformed(_, let reason)? = e else { Issue.record("got \(String(describing: e))"); return }
        #expect(reason.contains("threshold") || reason.contains("missing"))
    }

    @Test func lightGBMUnknownVersion() {
        let text = Fixtures.text("lgb_binary.txt").replacingOccurrences(of: "version=v4", with: "version=v9")
        let p = Fixtures.temp(text, name: "v9.txt")
        let e = error { _ = try GBDTModel.loadLightGBM(path: p, schema: schema) }
        #expect(e == .unsupportedFormatVersion(path: p, found: "v9", supported: "v2, v3, v4"))
    }

    @Test func notAModel() {
        let p = Fixtures.temp("hello\n", name: "x.txt")
        let e = error { _ = try GBDTModel.loadLightGBM(path: p, schema: schema) }
        guard case .malformed? = e else { Issue.record("got \(String(describing: e))"); return }
    }

    @Test func missingFile() {
        let e = error { _ = try GBDTModel.loadLightGBM(path: "/nonexistent/model.txt", schema: schema) }
        guard case .unreadable? = e else { Issue.record("got \(String(describing: e))"); return }
    }

    @Test func featureOrderSwapped() {
        var names = schema.names
        names.swapAt(3, 4)
        let e = error { _ = try GBDTModel.loadLightGBM(path: Fixtures.path("lgb_binary.txt"), schema: FeatureSchema(names: names, version: schema.version)) }
        guard case .featureMismatch(_, let reason)? = e else { Issue.record("got \(String(describing: e))"); return }
        #expect(reason.contains("index 3"))
    }

    @Test func featureMissingFromModel() {
        let names = schema.names + ["f20_new_feature"]
        for load in [
            { () throws in _ = try GBDTModel.loadLightGBM(path: Fixtures.path("lgb_binary.txt"), schema: FeatureSchema(names: names, version: 3)) },
            { () throws in _ = try GBDTModel.loadXGBoost(path: Fixtures.path("xgb_binary.json"), schema: FeatureSchema(names: names, version: 3)) },
            { () throws in _ = try LogisticModel.load(path: Fixtures.path("logistic.json"), schema: FeatureSchema(names: names, version: 3)) },
            { () throws in _ = try MLPModel.load(path: Fixtures.path("mlp.json"), schema: FeatureSchema(names: names, version: 3)) },
        ] {
            let e = error(load)
            guard case .featureMismatch(_, let reason)? = e else { Issue.record("got \(String(describing: e))"); continue }
            #expect(reason.contains("f20_new_feature"))
        }
    }

    @Test func featureRenamed() {
        var names = schema.names
        names[7] = "f07_ofi1_v2"
        let e = error { _ = try LogisticModel.load(path: Fixtures.path("logistic.json"), schema: FeatureSchema(names: names, version: schema.version)) }
        guard case .featureMismatch(_, let reason)? = e else { Issue.record("got \(String(describing: e))"); return }
        #expect(reason.contains("f07_ofi1_v2"))
    }

    @Test func tickwireUnknownFormatVersion() {
        let text = Fixtures.text("logistic.json").replacingOccurrences(of: "\"version\": 1,", with: "\"version\": 2,")
        let p = Fixtures.temp(text, name: "v2.json")
        let e = error { _ = try LogisticModel.load(path: p, schema: schema) }
        #expect(e == .unsupportedFormatVersion(path: p, found: "2", supported: "1"))
    }

    @Test func schemaVersionMismatch() {
        let e = error { _ = try MLPModel.load(path: Fixtures.path("mlp.json"), schema: FeatureSchema(names: schema.names, version: 2)) }
        #expect(e == .schemaVersionMismatch(path: Fixtures.path("mlp.json"), expected: 2, found: schema.version))
    }

    @Test func truncatedJSON() {
        for (name, load) in [
            ("logistic.json", { (p: String) throws in _ = try LogisticModel.load(path: p, schema: schema) }),
            ("mlp.json", { (p: String) throws in _ = try MLPModel.load(path: p, schema: schema) }),
            ("xgb_binary.json", { (p: String) throws in _ = try GBDTModel.loadXGBoost(path: p, schema: schema) }),
        ] {
            let text = Fixtures.text(name)
            let p = Fixtures.temp(String(text.prefix(text.count * 2 / 3)), name: name)
            let e = error { try load(p) }
            guard case .malformed? = e else { Issue.record("\(name): got \(String(describing: e))"); continue }
        }
    }

    @Test func wrongKind() {
        let e = error { _ = try MLPModel.load(path: Fixtures.path("logistic.json"), schema: schema) }
        guard case .malformed(_, let reason)? = e else { Issue.record("got \(String(describing: e))"); return }
        #expect(reason.contains("kind"))
    }

    @Test func logisticCoefficientCount() {
        let p = Fixtures.temp("""
            {"format":"tickwire-model","version":1,"kind":"logistic","schema_version":1,
             "features":["a","b"],"coef":[1.0],"intercept":0}
            """, name: "short.json")
        let e = error { _ = try LogisticModel.load(path: p, schema: FeatureSchema(names: ["a", "b"], version: 1)) }
        guard case .malformed(_, let reason)? = e else { Issue.record("got \(String(describing: e))"); return }
        #expect(reason.contains("1 coefficients for 2 features"))
    }

    @Test func xgboostCategoricalIsRejected() {
        let text = Fixtures.text("xgb_binary.json").replacingOccurrences(of: "\"split_type\":[0,", with: "\"split_type\":[1,")
        let p = Fixtures.temp(text, name: "cat.json")
        let e = error { _ = try GBDTModel.loadXGBoost(path: p, schema: schema) }
        guard case .unsupported(_, let reason)? = e else { Issue.record("got \(String(describing: e))"); return }
        #expect(reason.contains("categorical"))
    }

    @Test func descriptionsNameThePath() {
        let e = ModelLoadError.schemaVersionMismatch(path: "/m/a.json", expected: 3, found: 2)
        #expect(e.description.contains("/m/a.json") && e.description.contains("version 2"))
    }
}
