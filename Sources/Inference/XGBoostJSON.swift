import Foundation

extension GBDTModel {
    /// Loads an XGBoost JSON model (`booster.save_model("m.json")`, XGBoost 1.x to 3.x) and
    /// checks its `feature_names` against `schema.names`.
    ///
    /// A model trained from a bare numpy array has no feature names; load it through a tickwire
    /// wrapper (`GBDTModel.load(path:schema:)`) whose `features` names the columns.
    ///
    /// Supported: gbtree booster, one output (`binary:logistic`, `binary:logitraw`,
    /// `reg:logistic`, `reg:squarederror`, `reg:absoluteerror`, `reg:pseudohubererror`),
    /// numerical splits. Refused: categorical splits, DART, multi-class / multi-target.
    public static func loadXGBoost(path: String, schema: FeatureSchema, layout: GBDTLayout = .automatic) throws(ModelLoadError) -> GBDTModel {
        let model = try parseXGBoost(path: path, featureNamesOverride: nil, layout: layout)
        try schema.check(modelFeatures: model.featureNames, path: path)
        return model
    }

    static func parseXGBoost(path: String, featureNamesOverride: [String]?, layout: GBDTLayout) throws(ModelLoadError) -> GBDTModel {
        let data = try ModelFile.read(path)
        let doc = try ModelFile.decode(XGBoostJSON.Document.self, from: data, path: path)
        return try XGBoostJSON.build(doc, path: path, featureNamesOverride: featureNamesOverride, layout: layout)
    }
}

/// The parts of XGBoost's JSON model schema (doc/model.schema) the runtime needs.
///
/// Split semantics (src/predictor/predict_fn.h): go left iff `fvalue < split_condition` in
/// float; missing (NaN) goes to `default_left`. Leaves are nodes with `left_children == -1`, value
/// in `split_conditions`. Margin = sum of leaves + base margin, where `base_score` is stored in
/// output space: for logistic objectives the base margin is `logit(base_score)` (XGBoost >= 2
/// also estimates it from the data, so it is rarely 0.5). Since 3.0 it is written as a list,
/// `"[4.0765E-1]"`.
enum XGBoostJSON {
    struct Document: Decodable {
        var learner: Learner
        var version: [Int]?
    }

    struct Learner: Decodable {
        var feature_names: [String]?
        var gradient_booster: Booster
        var learner_model_param: ModelParam
        var objective: Objective
    }

    struct Booster: Decodable {
        var name: String
        var model: Forest?
    }

    struct Forest: Decodable {
        var trees: [Tree]
    }

    struct ModelParam: Decodable {
        var base_score: String
        var num_class: String?
        var num_feature: String
        var num_target: String?
    }

    struct Objective: Decodable {
        var name: String
    }

    struct Tree: Decodable {
        var left_children: [Int]
        var right_children: [Int]
        var split_indices: [Int]
        var split_conditions: [Float]
        var default_left: Flags
        var split_type: [Int]?
    }

    /// `default_left` is written as 0/1 integers by current XGBoost and as booleans by some
    /// older builds; accept both.
    struct Flags: Decodable {
        var values: [Bool]
        init(from decoder: any Decoder) throws {
            let c = try decoder.singleValueContainer()
            if let b = try? c.decode([Bool].self) {
                values = b
            } else {
                values = try c.decode([Int].self).map { $0 != 0 }
            }
        }
    }

    static func build(_ doc: Document, path: String, featureNamesOverride: [String]?, layout: GBDTLayout) throws(ModelLoadError) -> GBDTModel {
        func fail(_ r: String) -> ModelLoadError { .malformed(path: path, reason: r) }
        if let v = doc.version, let major = v.first, major < 1 || major > 3 {
            throw .unsupportedFormatVersion(path: path, found: v.map(String.init).joined(separator: "."), supported: "1.x, 2.x, 3.x")
        }
        let l = doc.learner
        guard l.gradient_booster.name == "gbtree", let forest = l.gradient_booster.model else {
            throw .unsupported(path: path, reason: "booster '\(l.gradient_booster.name)' (only gbtree is supported)")
        }
        let numClass = Int(l.learner_model_param.num_class ?? "0") ?? -1
        let numTarget = Int(l.learner_model_param.num_target ?? "1") ?? -1
        guard numClass <= 1, numTarget == 1 else {
            throw .unsupported(path: path, reason: "multi-class or multi-target model (num_class=\(numClass), num_target=\(numTarget))")
        }
        guard let featureCount = Int(l.learner_model_param.num_feature), featureCount > 0 else {
            throw fail("bad num_feature '\(l.learner_model_param.num_feature)'")
        }
        let names: [String]
        if let o = featureNamesOverride {
            names = o
        } else if let n = l.feature_names, !n.isEmpty {
            names = n
        } else {
            throw .featureMismatch(path: path, reason: "model carries no feature_names; load it through a tickwire-model wrapper that lists them")
        }
        guard names.count == featureCount else {
            throw .featureMismatch(path: path, reason: "\(names.count) feature names for num_feature=\(featureCount)")
        }

        // base_score: "5E-1" (1.x/2.x) or "[5E-1]" (3.x).
        var bs = Substring(l.learner_model_param.base_score)
        if bs.hasPrefix("[") && bs.hasSuffix("]") { bs = bs.dropFirst().dropLast() }
        guard let baseScore = Double(bs.trimmingCharacters(in: .whitespaces)), baseScore.isFinite else {
            throw fail("bad base_score '\(l.learner_model_param.base_score)'")
        }
        let transform: OutputTransform
        let baseMargin: Double
        switch l.objective.name {
        case "binary:logistic", "reg:logistic", "binary:logitraw":
            guard baseScore > 0, baseScore < 1 else { throw fail("logistic base_score \(baseScore) outside (0, 1)") }
            baseMargin = log(baseScore / (1 - baseScore))
            transform = l.objective.name == "binary:logitraw" ? .identity : .sigmoid(scale: 1)
        case "reg:squarederror", "reg:absoluteerror", "reg:pseudohubererror":
            baseMargin = baseScore
            transform = .identity
        default:
            throw .unsupported(path: path, reason: "objective '\(l.objective.name)'")
        }

        var trees: [SplitTree] = []
        trees.reserveCapacity(forest.trees.count)
        for (t, xt) in forest.trees.enumerated() {
            let n = xt.left_children.count
            guard n > 0, xt.right_children.count == n, xt.split_indices.count == n,
                  xt.split_conditions.count == n, xt.default_left.values.count == n else {
                throw fail("tree \(t): node arrays have different lengths")
            }
            if let st = xt.split_type, st.contains(where: { $0 != 0 }) {
                throw .unsupported(path: path, reason: "tree \(t) has categorical splits; retrain with the feature as numeric")
            }
            // Renumber: XGBoost node ids mix splits and leaves; ours keep them apart.
            var nodeIndex = [Int](repeating: -1, count: n)
            var leafIndex = [Int](repeating: -1, count: n)
            var nodeCount = 0, leafCount = 0
            for i in 0..<n {
                if xt.left_children[i] == -1 { leafIndex[i] = leafCount; leafCount += 1 }
                else { nodeIndex[i] = nodeCount; nodeCount += 1 }
            }
            guard xt.left_children[0] != -1 || n == 1 else { throw fail("tree \(t): root is a leaf but tree has \(n) nodes") }
            func ref(_ c: Int) throws(ModelLoadError) -> Int {
                guard c > 0, c < n else { throw fail("tree \(t): child \(c) out of range") }
                return nodeIndex[c] >= 0 ? nodeIndex[c] : ~leafIndex[c]
            }
            var nodes = [SplitNode]()
            nodes.reserveCapacity(nodeCount)
            var leaves = [Double](repeating: 0, count: leafCount)
            for i in 0..<n {
                let v = xt.split_conditions[i]
                if leafIndex[i] >= 0 {
                    guard v.isFinite else { throw fail("tree \(t) node \(i): non-finite leaf value") }
                    leaves[leafIndex[i]] = Double(v)
                    continue
                }
                guard let tk = Threshold.xgboost(v) else { throw fail("tree \(t) node \(i): NaN split value") }
                let f = xt.split_indices[i]
                guard f >= 0, f < featureCount else { throw fail("tree \(t) node \(i): split feature \(f) out of range") }
                nodes.append(SplitNode(feature: f, threshold: tk,
                                       missing: xt.default_left.values[i] ? .nanLeft : .nanRight,
                                       left: try ref(xt.left_children[i]), right: try ref(xt.right_children[i])))
            }
            trees.append(SplitTree(nodes: nodes, leafValues: leaves))
        }
        guard !trees.isEmpty else { throw fail("model has no trees") }
        return try GBDTModel(trees: trees, featureNames: names, baseScore: baseMargin, transform: transform,
                             averageOutput: false, layout: layout, path: path)
    }
}
