import Foundation
import Inference
import Testing

/// `GBDTModel.exceeds` and `reaches` (the early exit, tw_gbdt_binned_decide) against the
/// comparison of the whole prediction, on each kernel this CPU runs: the decision must be the
/// same on every row and every cut, including a cut at exactly the row's own output and one
/// float either side of it, while the trees summed go down where a row is far from the cut.
@Suite(.enabled(if: GBDTModel.binnedCPU, "this CPU lacks AVX2 and AVX-512"))
struct EarlyExitTests {
    static let models = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("models").path

    /// The parity rows of a shipped model (real feature rows of the training days).
    func parityRows(_ name: String) throws -> [[Float]] {
        let text = try String(contentsOfFile: Self.models + "/parity/\(name).csv", encoding: .utf8)
        return text.split(separator: "\n").dropFirst().map { line in line.split(separator: ",").dropLast().map { Float(String($0)) ?? .nan } }
    }

    /// Rows: the given ones, each again with two features knocked to NaN, to 0 or moved, so that
    /// the missing-value paths of the kernels decide too.
    func variants(_ rows: [[Float]], seed: UInt64) -> [[Float]] {
        var state = seed
        func next() -> Int {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int(truncatingIfNeeded: state >> 33)
        }
        var out = rows
        for row in rows {
            var r = row
            for _ in 0..<2 {
                let f = next() % r.count
                switch next() % 4 {
                case 0: r[f] = .nan
                case 1: r[f] = 0
                case 2: r[f] = -r[f]
                default: r[f] *= 3
                }
            }
            out.append(r)
        }
        return out
    }

    /// Checks every row against every cut (and the row's own output as a cut), on both
    /// kernels; returns the mean trees summed at `probe`'s cut.
    @discardableResult
    func check(_ model: GBDTModel, rows: [[Float]], cuts: [Double], probe: Double, _ name: String) -> Double {
        var mismatches = 0, first = "", decisions = 0
        var probeTrees = 0, probeRows = 0
        for row in rows {
            row.withUnsafeBufferPointer { b in
                let x = b.baseAddress!
                let p = model.predictProbability(x)
                var all = cuts
                if p.isFinite { all += [p, p.nextUp, p.nextDown] }
                for t in all {
                    let cut = model.cut(probability: t)
                    for orEqual in [false, true] {
                        let want = orEqual ? p >= t : p > t
                        let got = orEqual ? model.reaches(x, cut) : model.exceeds(x, cut)
                        var kernels: [(Bool, trees: Int)] = []
                        for avx2 in [false, true] {
                            if let k = model.decideForTesting(x, cut, orEqual: orEqual, avx2: avx2) { kernels.append(k) }
                        }
                        decisions += 1
                        // Both kernels test the same partial sums after the same trees: where one
                        // settles early, so does the other, after as many trees (and neither
                        // reports fewer than all where it did not).
                        let sameTrees = kernels.count < 2 || kernels[0].trees == kernels[1].trees
                        if got != want || kernels.contains(where: { $0.0 != want }) || !sameTrees {
                            if mismatches == 0 { first = "cut \(t), orEqual \(orEqual), output \(p): got \(got), kernels \(kernels)" }
                            mismatches += 1
                        }
                        if t == probe, !orEqual, let k = kernels.first {
                            probeTrees += k.trees
                            probeRows += 1
                        }
                    }
                }
            }
        }
        #expect(decisions > 0)
        #expect(mismatches == 0, "\(name): \(mismatches) of \(decisions) decisions differ; first: \(first)")
        return probeRows > 0 ? Double(probeTrees) / Double(probeRows) : .nan
    }

    @Test func shippedModelsDecideAsTheirWholeOutput() throws {
        let set = try ModelSet.load(directory: Self.models)
        let grid = stride(from: 0.05, through: 0.95, by: 0.05).map { $0 }
        // The strategies' cuts: the taker's 0.85, the hold's 0.75, the toxicity's 0.52.
        for (name, model, probe) in [("uptick", set.uptick, 0.85), ("fill", set.fill, 0.75), ("toxicity", set.toxicity, 0.52)] {
            #expect(model.layout == .binned)
            #expect(model.cut(probability: probe).stopsEarly, "\(name)")
            let rows = variants(try parityRows(name), seed: 7)
            let trees = check(model, rows: rows, cuts: grid + [probe, 0, 1, -1, 2, 1e-300, 1 - 1e-16, .nan, .infinity], probe: probe, name)
            // Deterministic: the parity rows settle before the last tree on average.
            #expect(trees < Double(model.treeCount), "\(name): \(trees) trees a decision at \(probe)")
        }
        // The adapt model is a regression (identity output): cuts in ticks.
        let rows = variants(try parityRows("adapt"), seed: 11)
        check(set.adapt, rows: rows, cuts: [-2, -1, -0.5, 0, 0.25, 0.5, 1, 3, 1e9, -1e9], probe: 1, "adapt")
    }

    /// The taker's cut stops the uptick model early on most rows: on the parity rows, at most
    /// 60 of its 100 trees on average (about 40 with a check after every tree, per research).
    @Test func theTakersCutSavesTrees() throws {
        let set = try ModelSet.load(directory: Self.models)
        let trees = check(set.uptick, rows: try parityRows("uptick"), cuts: [0.85], probe: 0.85, "uptick")
        #expect(trees <= 60, "uptick at 0.85: \(trees) trees a decision")
    }

    /// Fixture models: LightGBM with zero-as-missing nodes, and XGBoost with a base score (binned
    /// layout); a LightGBM model of depth 7 (perfect layout: no early exit, the same decisions).
    @Test(arguments: ["lgb_zero.txt", "lgb_binary.txt", "xgb_binary_bs.json", "xgb_reg.json"])
    func fixtureModelsDecideAsTheirWholeOutput(file: String) throws {
        let path = Fixtures.path(file)
        let layout: GBDTLayout = file == "lgb_binary.txt" ? .perfect : .binned
        let model = file.hasSuffix(".json") ? try GBDTModel.loadXGBoost(path: path, schema: Fixtures.schema, layout: layout)
                                            : try GBDTModel.loadLightGBM(path: path, schema: Fixtures.schema, layout: layout)
        #expect(model.cut(probability: 0.5).stopsEarly == (layout == .binned))
        let rows = Fixtures.floats("heldout_rows.f32")
        let nf = Fixtures.manifest.n_features
        let split = stride(from: 0, to: min(rows.count, 400 * nf), by: nf).map { Array(rows[$0..<$0 + nf]) }
        #expect(!split.isEmpty)
        let cuts = file == "xgb_reg.json" ? [-10, -1, 0, 0.5, 1, 10] : stride(from: 0.1, through: 0.9, by: 0.1).map { $0 }
        check(model, rows: variants(split, seed: 3), cuts: cuts, probe: cuts[cuts.count / 2], file)
    }

    /// The kernels' own test of a sum, with no cut's margin around it: asked whether the sum is
    /// below or above the tree-order sum S itself (or one float beside it), a kernel may settle
    /// only what is true. Its four running sums differ from S in the last bits on some rows, so a
    /// kernel that trusted them without its slack answers wrongly here.
    @Test func theKernelsNeverSettleWhatTheTreeOrderSumDenies() throws {
        let set = try ModelSet.load(directory: Self.models)
        var checked = 0, wrong = 0, first = ""
        for (name, model) in [("uptick", set.uptick), ("fill", set.fill), ("toxicity", set.toxicity), ("adapt", set.adapt)] {
            for row in variants(try parityRows(name), seed: 5) {
                row.withUnsafeBufferPointer { b in
                    let x = b.baseAddress!
                    for avx2 in [false, true] {
                        guard let s = model.decideSumForTesting(x, low: 0, high: 0, avx2: avx2)?.sum else { continue }
                        for (low, high) in [(s, s), (s.nextDown, s.nextDown), (s.nextUp, s.nextUp), (s.nextDown, s.nextUp)] {
                            guard let (settled, sum) = model.decideSumForTesting(x, low: low, high: high, avx2: avx2) else { continue }
                            checked += 1
                            let ok = sum == s && (settled >= 0 || s < low) && (settled <= 0 || s > high)
                            if !ok {
                                if wrong == 0 { first = "\(name), AVX2 \(avx2): sum \(s), low \(low), high \(high): settled \(settled)" }
                                wrong += 1
                            }
                        }
                    }
                }
            }
        }
        #expect(checked > 0)
        #expect(wrong == 0, "\(wrong) of \(checked); first: \(first)")
    }

    /// Models of 1 ... 17, 24, 25 and 33 trees (the uptick model's first trees): every tail the
    /// kernels handle (fewer than eight trees, a multiple of eight, a last group of 1, 2 or 3).
    @Test func everyTreeCountDecidesAsItsWholeOutput() throws {
        let text = try String(contentsOfFile: Self.models + "/uptick.txt", encoding: .utf8)
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        guard let firstTree = lines.firstIndex(where: { $0.hasPrefix("Tree=") }),
              let end = lines.firstIndex(of: "end of trees") else {
            Issue.record("uptick.txt: no trees")
            return
        }
        let header = lines[..<firstTree].filter { !$0.hasPrefix("tree_sizes=") }
        var trees: [[Substring]] = []
        for line in lines[firstTree..<end] {
            if line.hasPrefix("Tree=") { trees.append([]) }
            trees[trees.count - 1].append(line)
        }
        let rows = variants(try parityRows("uptick").prefix(150).map { $0 }, seed: 13)
        for k in Array(1...17) + [24, 25, 33] {
            let cut = (header + trees.prefix(k).joined() + lines[end...]).joined(separator: "\n")
            let path = Fixtures.temp(cut, name: "uptick_\(k).txt")
            let model = try GBDTModel.loadLightGBM(path: path, schema: FeatureState.schema, layout: .binned)
            #expect(model.treeCount == k)
            check(model, rows: rows, cuts: [0.3, 0.5, 0.6, 0.7], probe: 0.5, "uptick, first \(k) trees")
        }
    }

    /// A cut made for another model, or made without one, settles nothing early and still decides
    /// right.
    @Test func aForeignCutSumsEveryTree() throws {
        let set = try ModelSet.load(directory: Self.models)
        let foreign = set.fill.cut(probability: 0.85)
        #expect(foreign.stopsEarly)
        #expect(!ProbabilityCut(probability: 0.85).stopsEarly)
        for row in try parityRows("uptick").prefix(200) {
            row.withUnsafeBufferPointer { b in
                let x = b.baseAddress!
                let p = set.uptick.predictProbability(x)
                for cut in [foreign, ProbabilityCut(probability: 0.85)] {
                    for avx2 in [false, true] {
                        guard let (d, trees) = set.uptick.decideForTesting(x, cut, orEqual: false, avx2: avx2) else { continue }
                        #expect(d == (p > 0.85))
                        #expect(trees == set.uptick.treeCount)
                    }
                    #expect(set.uptick.exceeds(x, cut) == (p > 0.85))
                }
            }
        }
    }

    /// Thresholds no output can cross (0, 1, outside, NaN) make a cut that never stops early.
    @Test func degenerateCutsNeverStopEarly() throws {
        let set = try ModelSet.load(directory: Self.models)
        for t in [0, 1, -1, 2, Double.nan, .infinity, -.infinity] {
            #expect(!set.uptick.cut(probability: t).stopsEarly, "\(t)")
        }
    }
}
