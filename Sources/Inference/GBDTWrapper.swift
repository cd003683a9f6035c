import Foundation

extension GBDTModel {
    private struct Wrapper: Decodable {
        var engine: String
        var model_file: String
    }

    /// Loads a GBDT through a tickwire-model wrapper, the form production configs should use:
    ///
    ///     {"format": "tickwire-model", "version": 1, "kind": "gbdt", "schema_version": 3,
    ///      "features": ["f00_imb", ...], "engine": "lightgbm" | "xgboost",
    ///      "model_file": "model.txt"}
    ///
    /// `model_file` is relative to the wrapper's folder. The wrapper adds what the library files
    /// lack: a schema version, and (for XGBoost models trained from numpy) the feature names.
    /// When the library file also names its features, both lists must agree.
    public static func load(path: String, schema: FeatureSchema, layout: GBDTLayout = .automatic) throws(ModelLoadError) -> GBDTModel {
        let data = try ModelFile.read(path)
        let env = try ModelFile.envelope(data: data, path: path, kind: "gbdt", schema: schema)
        let w = try ModelFile.decode(Wrapper.self, from: data, path: path)
        let dir = URL(fileURLWithPath: path).deletingLastPathComponent()
        let modelPath = w.model_file.hasPrefix("/") ? w.model_file : dir.appendingPathComponent(w.model_file).path
        let model: GBDTModel
        switch w.engine {
        case "lightgbm":
            model = try parseLightGBM(path: modelPath, layout: layout)
        case "xgboost":
            // Parse once to see whether the file names its features; if not, use the wrapper's.
            let data = try ModelFile.read(modelPath)
            let doc = try ModelFile.decode(XGBoostJSON.Document.self, from: data, path: modelPath)
            let own = doc.learner.feature_names ?? []
            model = try XGBoostJSON.build(doc, path: modelPath, featureNamesOverride: own.isEmpty ? env.features : nil, layout: layout)
        default:
            throw .malformed(path: path, reason: "engine '\(w.engine)', expected 'lightgbm' or 'xgboost'")
        }
        try schema.check(modelFeatures: model.featureNames, path: modelPath)
        return model
    }
}
