import Foundation
import Inference
import Testing

/// Swift predictions vs the training library's own predictions on the held-out rows
/// (research/make_parity_fixtures.py). Tolerance 1e-5 absolute, raw score and probability.
@Suite struct ParityTests {
    static let tolerance = 1e-5
    let m = Fixtures.manifest

    func check(_ model: GBDTModel, _ name: String, rows: String = "heldout_rows.f32") {
        let x = Fixtures.floats(rows)
        let raw = Fixtures.doubles("expected_\(name)_raw.f64")
        let prob = Fixtures.doubles("expected_\(name)_prob.f64")
        #expect(raw.count == m.n_rows && prob.count == m.n_rows && x.count == m.n_rows * m.n_features)
        let (e1, r1) = maxAbsError(rows: x, features: m.n_features, expected: raw) { model.predictRaw($0) }
        let (e2, r2) = maxAbsError(rows: x, features: m.n_features, expected: prob) { model.predictProbability($0) }
        #expect(e1 <= Self.tolerance, "\(name) raw: max error \(e1) at row \(r1)")
        #expect(e2 <= Self.tolerance, "\(name) prob: max error \(e2) at row \(r2)")
    }

    /// Depth 7 (max_depth 7): beyond the binned layout, so automatic takes the perfect one.
    @Test(arguments: [GBDTLayout.automatic, .perfect, .general])
    func lightGBMBinary(layout: GBDTLayout) throws {
        let model = try GBDTModel.loadLightGBM(path: Fixtures.path("lgb_binary.txt"), schema: Fixtures.schema, layout: layout)
        #expect(model.treeCount == 30)
        #expect(model.transform == .sigmoid(scale: 1))
        if layout == .automatic { #expect(model.layout == .perfect) }
        check(model, "lgb_binary")
    }

    /// The binned layout refuses what it cannot hold, naming why; automatic then falls back.
    @Test(.enabled(if: GBDTModel.binnedCPU, "this CPU lacks AVX2 and AVX-512"))
    func binnedRefusesDeepTrees() throws {
        #expect(throws: ModelLoadError.self) {
            try GBDTModel.loadLightGBM(path: Fixtures.path("lgb_binary_deep.txt"), schema: Fixtures.schema, layout: .binned)
        }
        do {
            _ = try GBDTModel.loadLightGBM(path: Fixtures.path("lgb_binary_deep.txt"), schema: Fixtures.schema, layout: .binned)
        } catch {
            #expect("\(error)".contains("depth"), "\(error)")
        }
        let auto = try GBDTModel.loadLightGBM(path: Fixtures.path("lgb_binary_deep.txt"), schema: Fixtures.schema)
        #expect(auto.layout != .binned)
    }

    @Test(arguments: [GBDTLayout.automatic, .perfect, .general])
    func lightGBMDeepTrees(layout: GBDTLayout) throws {
        let model = try GBDTModel.loadLightGBM(path: Fixtures.path("lgb_binary_deep.txt"), schema: Fixtures.schema, layout: layout)
        #expect(model.depth > 6)
        check(model, "lgb_binary_deep")
    }

    /// zero_as_missing: LightGBM missing_type Zero, where 0.0 and NaN take the default branch.
    @Test(arguments: [GBDTLayout.perfect, .general] + (GBDTModel.binnedCPU ? [.binned] : []))
    func lightGBMZeroAsMissing(layout: GBDTLayout) throws {
        let model = try GBDTModel.loadLightGBM(path: Fixtures.path("lgb_zero.txt"), schema: Fixtures.schema, layout: layout)
        #expect(model.transform == .identity)
        check(model, "lgb_zero")
    }

    @Test(arguments: ["xgb_binary", "xgb_binary_bs", "xgb_reg"])
    func xgboost(name: String) throws {
        let model = try GBDTModel.loadXGBoost(path: Fixtures.path("\(name).json"), schema: Fixtures.schema)
        #expect(model.treeCount > 0)
        check(model, name)
        let general = try GBDTModel.loadXGBoost(path: Fixtures.path("\(name).json"), schema: Fixtures.schema, layout: .general)
        check(general, name)
        if GBDTModel.binnedCPU, model.depth <= 6 {
            let binned = try GBDTModel.loadXGBoost(path: Fixtures.path("\(name).json"), schema: Fixtures.schema, layout: .binned)
            check(binned, name)
        }
    }

    @Test func logistic() throws {
        let model = try LogisticModel.load(path: Fixtures.path("logistic.json"), schema: Fixtures.schema)
        let x = Fixtures.floats("heldout_rows_finite.f32")
        let (e1, r1) = maxAbsError(rows: x, features: m.n_features, expected: Fixtures.doubles("expected_logistic_raw.f64")) { model.predictRaw($0) }
        let (e2, r2) = maxAbsError(rows: x, features: m.n_features, expected: Fixtures.doubles("expected_logistic_prob.f64")) { model.predictProbability($0) }
        #expect(e1 <= Self.tolerance, "raw: \(e1) at \(r1)")
        #expect(e2 <= Self.tolerance, "prob: \(e2) at \(r2)")
    }

    @Test func mlp() throws {
        let model = try MLPModel.load(path: Fixtures.path("mlp.json"), schema: Fixtures.schema)
        #expect(model.layerSizes == [20, 32, 16, 1])
        let x = Fixtures.floats("heldout_rows_finite.f32")
        let (e, r) = maxAbsError(rows: x, features: m.n_features, expected: Fixtures.doubles("expected_mlp_prob.f64")) { model.predictProbability($0) }
        #expect(e <= Self.tolerance, "prob: \(e) at \(r)")
    }

    /// The tickwire wrapper routes to either engine and adds the schema version check.
    @Test func wrapper() throws {
        let dir = Fixtures.dir.path
        for (engine, file, name) in [("lightgbm", "lgb_binary.txt", "lgb_binary"), ("xgboost", "xgb_binary.json", "xgb_binary")] {
            let json = """
            {"format":"tickwire-model","version":1,"kind":"gbdt","schema_version":\(m.schema_version),
             "features":\(String(decoding: try JSONEncoder().encode(m.features), as: UTF8.self)),
             "engine":"\(engine)","model_file":"\(dir)/\(file)"}
            """
            let p = Fixtures.temp(json, name: "wrapper.json")
            let model = try GBDTModel.load(path: p, schema: Fixtures.schema)
            check(model, name)
            let wrong = FeatureSchema(names: m.features, version: m.schema_version + 1)
            #expect(throws: ModelLoadError.schemaVersionMismatch(path: p, expected: m.schema_version + 1, found: m.schema_version)) {
                try GBDTModel.load(path: p, schema: wrong)
            }
        }
    }
}

/// The Float-input / integer-key compare must equal each library's own compare for every
/// non-NaN float x, at thresholds on, just above and just below float values, at +-0, at the
/// float range limits and at +-inf (LightGBM writes `inf` for "NaN vs everything" splits).
@Suite struct ThresholdTests {
    static func probes() -> [Float] {
        var seeds: [Float] = [0, -0.0, .infinity, -.infinity, .greatestFiniteMagnitude, -.greatestFiniteMagnitude,
                              .leastNonzeroMagnitude, -.leastNonzeroMagnitude, 1e-35, -1e-35, 1, -1, 3.5]
        var s: UInt64 = 12345
        for _ in 0..<3000 {
            s = s &* 6364136223846793005 &+ 1442695040888963407
            let f = Float(bitPattern: UInt32(truncatingIfNeeded: s >> 32))
            if !f.isNaN { seeds.append(f) }
        }
        return seeds
    }

    @Test func lightGBMDoubleThresholds() {
        let probes = Self.probes()
        var thresholds: [Double] = [.infinity, -.infinity, 1e300, -1e300, 0, -0.0, 1.0000000180025095e-35, 4.5000000000000009]
        for f in probes where f.isFinite { thresholds += [Double(f), Double(f).nextUp, Double(f).nextDown] }
        var failures = 0
        for t in thresholds {
            let f0 = Float(t)
            for x in [f0, f0.nextUp, f0.nextDown, f0.nextUp.nextUp, f0.nextDown.nextDown, 0, -0.0, .infinity, -.infinity] where !x.isNaN {
                if (Double(x) > t) != GBDTModel.lightGBMGoesRightForTesting(x, threshold: t) { failures += 1 }
            }
        }
        #expect(failures == 0)
    }

    @Test func xgboostFloatSplits() {
        var failures = 0
        for v in Self.probes() {
            for x in [v, v.nextUp, v.nextDown, 0, -0.0, .infinity, -.infinity] where !x.isNaN {
                if !(x < v) != GBDTModel.xgboostGoesRightForTesting(x, splitValue: v) { failures += 1 }
            }
        }
        #expect(failures == 0)
    }
}
