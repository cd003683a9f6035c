import Foundation

extension GBDTModel {
    /// Loads a LightGBM text model (`booster.save_model("model.txt")`) and checks its
    /// `feature_names=` line against `schema.names`.
    ///
    /// A bare LightGBM file carries no schema version, so `schema.version` is not checked here;
    /// production configs should point at a tickwire wrapper (`GBDTModel.load(path:schema:)`)
    /// that does carry one.
    ///
    /// Supported: `version=v2...v4`, one tree per iteration (binary, cross-entropy, regression
    /// family, poisson/gamma/tweedie), numerical splits with any missing_type, `average_output`.
    /// Refused with `.unsupported`: categorical splits, linear trees, multiclass.
    public static func loadLightGBM(path: String, schema: FeatureSchema, layout: GBDTLayout = .automatic) throws(ModelLoadError) -> GBDTModel {
        let model = try parseLightGBM(path: path, layout: layout)
        try schema.check(modelFeatures: model.featureNames, path: path)
        return model
    }

    static func parseLightGBM(path: String, layout: GBDTLayout) throws(ModelLoadError) -> GBDTModel {
        let data = try ModelFile.read(path)
        var parser = LightGBMText(text: String(decoding: data, as: UTF8.self), path: path)
        return try parser.parse(layout: layout)
    }
}

/// Parser for LightGBM's text model format (src/boosting/gbdt_model_text.cpp, Tree::ToString).
///
/// Layout: a header of `key=value` lines starting with the line `tree`, then one block per tree
/// starting `Tree=<k>`, then `end of trees`, then importances and parameters (ignored).
/// In a tree block, internal nodes are 0..<num_leaves-1; `left_child`/`right_child` hold a node
/// index, or `~leaf` (negative) for a leaf. `decision_type` bit 0: categorical; bit 1:
/// default_left; bits 2-3: missing_type (0 None, 1 Zero, 2 NaN).
struct LightGBMText {
    let text: String
    let path: String

    static let supportedVersions = ["v2", "v3", "v4"]

    private func fail(_ reason: String) -> ModelLoadError { .malformed(path: path, reason: reason) }

    mutating func parse(layout: GBDTLayout) throws(ModelLoadError) -> GBDTModel {
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).makeIterator()
        func next() -> Substring? {
            guard var l = lines.next() else { return nil }
            if l.hasSuffix("\r") { l = l.dropLast() }
            return l
        }
        guard let first = next(), first == "tree" else {
            throw fail("not a LightGBM text model (first line is not 'tree')")
        }
        var header: [Substring: Substring] = [:]
        var flags = Set<Substring>()
        var pending: Substring?
        while let line = next() {
            if line.hasPrefix("Tree=") { pending = line; break }
            if line.isEmpty { continue }
            if let eq = line.firstIndex(of: "=") {
                header[line[..<eq]] = line[line.index(after: eq)...]
            } else {
                flags.insert(line)
            }
        }

        guard let version = header["version"] else { throw fail("header has no version= line") }
        guard Self.supportedVersions.contains(String(version)) else {
            throw .unsupportedFormatVersion(path: path, found: String(version),
                                            supported: Self.supportedVersions.joined(separator: ", "))
        }
        let numClass = try int(header["num_class"] ?? "1", "num_class")
        let perIteration = try int(header["num_tree_per_iteration"] ?? "1", "num_tree_per_iteration")
        guard numClass == 1, perIteration == 1 else {
            throw .unsupported(path: path, reason: "multiclass model (num_class=\(numClass), num_tree_per_iteration=\(perIteration))")
        }
        guard let maxFeature = header["max_feature_idx"] else { throw fail("header has no max_feature_idx= line") }
        let featureCount = try int(maxFeature, "max_feature_idx") + 1
        guard featureCount > 0 else { throw fail("max_feature_idx < 0") }
        guard let namesLine = header["feature_names"] else { throw fail("header has no feature_names= line") }
        let names = namesLine.split(separator: " ").map(String.init)
        guard names.count == featureCount else {
            throw fail("feature_names has \(names.count) names, max_feature_idx says \(featureCount)")
        }
        let transform = try Self.transform(objective: header["objective"], path: path)
        let averageOutput = flags.contains("average_output")

        var trees: [SplitTree] = []
        var sawEnd = false
        while let start = pending {
            pending = nil
            let expected = "Tree=\(trees.count)"
            guard start == expected else { throw fail("expected '\(expected)', found '\(start.prefix(40))'") }
            var fields: [Substring: Substring] = [:]
            while let line = next() {
                if line.isEmpty { break }
                if line.hasPrefix("Tree=") || line == "end of trees" { pending = line; break }
                guard let eq = line.firstIndex(of: "=") else { throw fail("tree \(trees.count): line without '=': '\(line.prefix(40))'") }
                fields[line[..<eq]] = line[line.index(after: eq)...]
            }
            trees.append(try tree(fields, index: trees.count, featureCount: featureCount))
            if pending == nil {
                // Blank line ended the block: skip blanks to the next marker.
                while let line = next() {
                    if line.isEmpty { continue }
                    pending = line
                    break
                }
            }
            if pending == "end of trees" { sawEnd = true; break }
        }
        guard sawEnd else {
            throw fail("no 'end of trees' marker after \(trees.count) trees (truncated file?)")
        }
        if let sizes = header["tree_sizes"] {
            let declared = sizes.split(separator: " ").count
            guard declared == trees.count else { throw fail("tree_sizes lists \(declared) trees, file has \(trees.count)") }
        }
        guard !trees.isEmpty else { throw fail("model has no trees") }
        return try GBDTModel(trees: trees, featureNames: names, baseScore: 0, transform: transform,
                             averageOutput: averageOutput, layout: layout, path: path)
    }

    static func transform(objective: Substring?, path: String) throws(ModelLoadError) -> OutputTransform {
        guard let objective else { return .identity }
        let parts = objective.split(separator: " ")
        guard let name = parts.first else { return .identity }
        func param(_ key: String) -> Double? {
            for p in parts.dropFirst() where p.hasPrefix(key + ":") {
                return Double(p.dropFirst(key.count + 1))
            }
            return nil
        }
        switch name {
        case "binary":
            guard let s = param("sigmoid"), s.isFinite, s > 0 else {
                throw .malformed(path: path, reason: "binary objective without a valid sigmoid: parameter")
            }
            return .sigmoid(scale: s)
        case "cross_entropy", "xentropy":
            return .sigmoid(scale: 1)
        case "regression", "regression_l1", "huber", "fair", "quantile", "mape":
            // regression with sqrt: would need a square on output: refuse rather than be wrong.
            if parts.contains("sqrt") {
                throw .unsupported(path: path, reason: "objective '\(objective)' (sqrt transform)")
            }
            return .identity
        case "poisson", "gamma", "tweedie":
            return .exponential
        default:
            throw .unsupported(path: path, reason: "objective '\(objective)'")
        }
    }

    private func int(_ s: Substring, _ what: String) throws(ModelLoadError) -> Int {
        guard let v = Int(s) else { throw fail("\(what): '\(s.prefix(40))' is not an integer") }
        return v
    }

    private func ints(_ f: [Substring: Substring], _ key: Substring, _ count: Int, _ tree: Int) throws(ModelLoadError) -> [Int] {
        guard let line = f[key] else { throw fail("tree \(tree): missing \(key)=") }
        var out: [Int] = []
        out.reserveCapacity(count)
        for tok in line.split(separator: " ") {
            guard let v = Int(tok) else { throw fail("tree \(tree): \(key) has non-integer '\(tok.prefix(30))'") }
            out.append(v)
        }
        guard out.count == count else { throw fail("tree \(tree): \(key) has \(out.count) values, expected \(count) (truncated?)") }
        return out
    }

    private func doubles(_ f: [Substring: Substring], _ key: Substring, _ count: Int, _ tree: Int) throws(ModelLoadError) -> [Double] {
        guard let line = f[key] else { throw fail("tree \(tree): missing \(key)=") }
        var out: [Double] = []
        out.reserveCapacity(count)
        for tok in line.split(separator: " ") {
            // LightGBM writes %.17g: strtod (Double.init) round-trips it exactly.
            guard let v = Double(tok) else { throw fail("tree \(tree): \(key) has non-number '\(tok.prefix(30))'") }
            out.append(v)
        }
        guard out.count == count else { throw fail("tree \(tree): \(key) has \(out.count) values, expected \(count) (truncated?)") }
        return out
    }

    private func tree(_ f: [Substring: Substring], index t: Int, featureCount: Int) throws(ModelLoadError) -> SplitTree {
        guard let nl = f["num_leaves"] else { throw fail("tree \(t): missing num_leaves=") }
        let leaves = try int(nl, "tree \(t) num_leaves")
        guard leaves >= 1 else { throw fail("tree \(t): num_leaves=\(leaves)") }
        if let nc = f["num_cat"], let cats = Int(nc), cats > 0 {
            throw .unsupported(path: path, reason: "tree \(t) has \(cats) categorical split(s); retrain with the feature as numeric")
        }
        if let linear = f["is_linear"], linear != "0" {
            throw .unsupported(path: path, reason: "tree \(t) is a linear tree (linear_tree=true)")
        }
        let leafValues = try doubles(f, "leaf_value", leaves, t)
        guard leafValues.allSatisfy(\.isFinite) else { throw fail("tree \(t): non-finite leaf value") }
        if leaves == 1 { return SplitTree(nodes: [], leafValues: leafValues) }
        let inner = leaves - 1
        let feature = try ints(f, "split_feature", inner, t)
        let threshold = try doubles(f, "threshold", inner, t)
        let decision = try ints(f, "decision_type", inner, t)
        let left = try ints(f, "left_child", inner, t)
        let right = try ints(f, "right_child", inner, t)
        var nodes: [SplitNode] = []
        nodes.reserveCapacity(inner)
        for i in 0..<inner {
            let dt = decision[i]
            if dt & 1 != 0 {
                throw .unsupported(path: path, reason: "tree \(t) node \(i) is a categorical split; retrain with the feature as numeric")
            }
            let defaultLeft = dt & 2 != 0
            let missingType = (dt >> 2) & 3
            let tLow = threshold[i]
            guard let tk = Threshold.lightGBM(tLow) else { throw fail("tree \(t) node \(i): NaN threshold") }
            let route: MissingRoute
            switch missingType {
            case 0:
                // None: LightGBM maps NaN to 0.0 and compares it like any value.
                route = 0.0 <= tLow ? .nanLeft : .nanRight
            case 1:
                route = defaultLeft ? .nanOrZeroLeft : .nanOrZeroRight
            case 2:
                route = defaultLeft ? .nanLeft : .nanRight
            default:
                throw fail("tree \(t) node \(i): unknown missing_type \(missingType)")
            }
            for c in [left[i], right[i]] {
                guard c < inner, ~c < leaves else { throw fail("tree \(t) node \(i): child \(c) out of range") }
            }
            guard feature[i] >= 0, feature[i] < featureCount else {
                throw fail("tree \(t) node \(i): split_feature \(feature[i]) outside 0..<\(featureCount)")
            }
            nodes.append(SplitNode(feature: feature[i], threshold: tk, missing: route, left: left[i], right: right[i]))
        }
        return SplitTree(nodes: nodes, leafValues: leafValues)
    }
}
