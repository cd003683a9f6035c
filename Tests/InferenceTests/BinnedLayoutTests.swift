import Foundation
import Inference
import Testing

/// The binned layout (AVX-512 and AVX2 kernels, CShims/gbdt.c) against the perfect layout, raw
/// scores compared bit for bit (each kernel this CPU runs), on rows made to hit every edge: each value exactly at a threshold of the model (as
/// the runtime rounds it: the largest float at or below), one float either side of it, NaN,
/// +0 and -0, the zero-as-missing band (|x| <= 1e-35), +-inf, and ordinary values.
@Suite(.enabled(if: GBDTModel.binnedCPU, "this CPU lacks AVX2 and AVX-512"))
struct BinnedLayoutTests {
    static let models = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("models").path

    /// Each feature's thresholds as written in a LightGBM text model, rounded down to float.
    func thresholds(_ path: String, features: Int) throws -> [[Float]] {
        var byFeature = [[Float]](repeating: [], count: features)
        var feats: [Int] = []
        for line in try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n") {
            if line.hasPrefix("split_feature=") {
                feats = line.dropFirst("split_feature=".count).split(separator: " ").compactMap { Int($0) }
            } else if line.hasPrefix("threshold=") {
                let ts = line.dropFirst("threshold=".count).split(separator: " ").compactMap { Double($0) }
                for (f, t) in zip(feats, ts) {
                    var x = Float(t)
                    if Double(x) > t { x = x.nextDown }
                    byFeature[f].append(x)
                }
            }
        }
        return byFeature
    }

    func compare(_ path: String, names: [String], rows count: Int = 20_000) throws {
        let schema = FeatureSchema(names: names, version: 1)
        let perfect = try GBDTModel.loadLightGBM(path: path, schema: schema, layout: .perfect)
        let binned = try GBDTModel.loadLightGBM(path: path, schema: schema, layout: .binned)
        #expect(binned.layout == .binned)
        let nf = names.count
        let th = try thresholds(path, features: nf)
        #expect(th.contains { !$0.isEmpty }, "\(path): no thresholds read")
        var rng = SystemRandomNumberGenerator()
        var row = [Float](repeating: 0, count: nf)
        var mismatches = 0, checked = 0, first = ""
        for r in 0..<count {
            for f in 0..<nf {
                let ts = th[f]
                switch Int.random(in: 0..<12, using: &rng) {
                case 0...4 where !ts.isEmpty:
                    let t = ts.randomElement(using: &rng)!
                    row[f] = [t, t.nextUp, t.nextDown][Int.random(in: 0..<3, using: &rng)]
                case 5: row[f] = r % 3 == 0 ? .nan : Float.random(in: -3...3, using: &rng)
                case 6: row[f] = [0, -0.0, 1e-36, -1e-36, 1e-35, 2e-35][Int.random(in: 0..<6, using: &rng)]
                case 7: row[f] = [Float.infinity, -.infinity, .greatestFiniteMagnitude, -.greatestFiniteMagnitude][Int.random(in: 0..<4, using: &rng)]
                default: row[f] = Float.random(in: -5...5, using: &rng)
                }
            }
            let a = row.withUnsafeBufferPointer { perfect.predictRaw($0.baseAddress!) }
            let b = row.withUnsafeBufferPointer { binned.predictRaw($0.baseAddress!) }
            // The AVX2 kernel too where the CPU's best is AVX-512 (else b came from it).
            let c = row.withUnsafeBufferPointer { binned.predictRawAVX2ForTesting($0.baseAddress!) } ?? b
            checked += 1
            if a.bitPattern != b.bitPattern || a.bitPattern != c.bitPattern {
                if mismatches == 0 { first = "row \(row): perfect \(a), binned \(b) (AVX2 kernel \(c))" }
                mismatches += 1
            }
        }
        #expect(checked == count)
        #expect(mismatches == 0, "\(path): \(mismatches) of \(count) rows differ; first: \(first)")
    }

    @Test(arguments: ["uptick", "fill", "toxicity", "adapt"])
    func shippedModelsAreBitIdentical(name: String) throws {
        try compare(Self.models + "/\(name).txt", names: FeatureState.schema.names)
    }

    /// LightGBM's missing_type Zero: zero and NaN take each node's default branch.
    @Test func zeroAsMissingIsBitIdentical() throws {
        try compare(Fixtures.path("lgb_zero.txt"), names: Fixtures.manifest.features)
    }

    /// Models of 8, 24, 40 and 64 features: the AVX2 kernel looks a node's feature up in one,
    /// two or four 16-byte tables (trees of depth 3 to 6, each node on a feature picked in turn,
    /// thresholds in [-2, 2], NaN sent right or left). With every feature split on, and with
    /// every third or seventh only (the kernel's slots then differ from the features). Tree
    /// counts that leave the AVX2 kernel's last group of four short (1, 61, 62, 63), and more
    /// than its chunk of 64 trees (130).
    @Test(arguments: [(8, 1, 60), (24, 1, 60), (40, 1, 60), (64, 1, 60), (64, 3, 60), (40, 7, 60),
                      (24, 1, 1), (24, 1, 61), (8, 1, 62), (40, 1, 63), (64, 3, 130)])
    func everyFeatureWidthIsBitIdentical(_ shape: (features: Int, every: Int, trees: Int)) throws {
        let nf = shape.features
        var rng = SystemRandomNumberGenerator()
        let trees = shape.trees
        var body = "", sizes: [String] = []
        let split = Array(stride(from: 0, to: nf, by: shape.every))
        var next = 0
        for t in 0..<trees {
            let depth = 3 + t % 4
            // A complete tree of `depth` levels: node i's children 2i+1, 2i+2; leaves below.
            let inner = (1 << depth) - 1
            var feats: [String] = [], ths: [String] = [], dts: [String] = [], lc: [String] = [], rc: [String] = []
            for i in 0..<inner {
                feats.append("\(split[next % split.count])"); next += 1
                // On a grid of 201 values: a feature of the sparse models carries hundreds of
                // splits, and a byte ranks at most 254 distinct thresholds.
                ths.append(String(format: "%.6f", Double(Int.random(in: -100...100, using: &rng)) / 50))
                dts.append(["8", "10", "2"][i % 3])   // NaN missing, default right; default left; no missing
                func child(_ c: Int) -> String { c < inner ? "\(c)" : "\(-(c - inner) - 1)" }
                lc.append(child(2 * i + 1)); rc.append(child(2 * i + 2))
            }
            let leaves = (0...inner).map { _ in String(format: "%.6f", Double.random(in: -1...1, using: &rng)) }
            let tree = "Tree=\(t)\nnum_leaves=\(inner + 1)\nnum_cat=0\nsplit_feature=\(feats.joined(separator: " "))\n"
                + "threshold=\(ths.joined(separator: " "))\ndecision_type=\(dts.joined(separator: " "))\n"
                + "left_child=\(lc.joined(separator: " "))\nright_child=\(rc.joined(separator: " "))\n"
                + "leaf_value=\(leaves.joined(separator: " "))\nis_linear=0\nshrinkage=1\n\n\n"
            body += tree
            sizes.append("\(tree.utf8.count)")
        }
        let names = (0..<nf).map { "f\($0)" }
        var s = "tree\nversion=v4\nnum_class=1\nnum_tree_per_iteration=1\nlabel_index=0\nmax_feature_idx=\(nf - 1)\n"
        s += "objective=regression\nfeature_names=\(names.joined(separator: " "))\n"
        s += "feature_infos=\(Array(repeating: "[-5:5]", count: nf).joined(separator: " "))\ntree_sizes=\(sizes.joined(separator: " "))\n\n"
        s += body + "end of trees\n"
        let path = Fixtures.temp(s, name: "wide\(nf).txt")
        let schema = FeatureSchema(names: names, version: 1)
        #expect(try GBDTModel.loadLightGBM(path: path, schema: schema, layout: .binned).depth == 3 + min(trees - 1, 3))
        try compare(path, names: names, rows: 5_000)
    }

    /// A model with more distinct thresholds on a feature than a byte can rank is refused (and
    /// automatic falls back to the perfect layout).
    @Test func tooManyThresholdsIsRefused() throws {
        var s = "tree\nversion=v4\nnum_class=1\nnum_tree_per_iteration=1\nlabel_index=0\nmax_feature_idx=0\n"
        s += "objective=regression\nfeature_names=f0\nfeature_infos=[-5:5]\ntree_sizes=\(Array(repeating: "1", count: 300).joined(separator: " "))\n\n"
        for t in 0..<300 {
            s += "Tree=\(t)\nnum_leaves=2\nnum_cat=0\nsplit_feature=0\nthreshold=\(Double(t) / 100)\ndecision_type=2\n"
            s += "left_child=-1\nright_child=-2\nleaf_value=0.5 -0.25\nis_linear=0\nshrinkage=1\n\n\n"
        }
        s += "end of trees\n"
        let path = Fixtures.temp(s, name: "many.txt")
        let schema = FeatureSchema(names: ["f0"], version: 1)
        do {
            _ = try GBDTModel.loadLightGBM(path: path, schema: schema, layout: .binned)
            Issue.record("loaded a feature with 300 distinct thresholds")
        } catch {
            #expect("\(error)".contains("300 distinct thresholds"), "\(error)")
        }
        #expect(try GBDTModel.loadLightGBM(path: path, schema: schema).layout == .perfect)
    }
}
