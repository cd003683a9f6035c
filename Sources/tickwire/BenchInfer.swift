// `tickwire bench infer`: ns per prediction of each model runtime on a pool of fresh rows (no row
// repeats within a pass: the same row again would let the branch predictor learn its path). The
// GBDT is a 100-tree, depth-6 LightGBM text model (synthesised and loaded through the real
// parser, or --lightgbm); research/bench_runtimes.py runs this beside LightGBM's C API,
// lleaves and onnxruntime on the same model and rows (--rows: float32, row-major).
import ArgumentParser
import Foundation
import Inference
import TickwireCore

extension SplitMix64 {
    /// Standard normal (Box-Muller), for benchmark rows.
    mutating func normal() -> Double {
        let u = max(uniform(), 1e-300), v = uniform()
        return (-2 * log(u)).squareRoot() * cos(2 * Double.pi * v)
    }
}

/// A LightGBM v4 text model of complete depth-`depth` trees; exercises the real parser. Like
/// LightGBM's own (histogram splits, max_bin 255), every threshold is one of 254 bin edges per
/// feature, and a 100-tree model uses nearly all of them.
func synthLightGBM(trees: Int, depth: Int, features: Int, rng: inout SplitMix64) -> String {
    let names = (0..<features).map { "f\($0)" }
    let edges = (0..<features).map { _ in (0..<254).map { _ in rng.normal() * 0.8 }.sorted() }
    var s = "tree\nversion=v4\nnum_class=1\nnum_tree_per_iteration=1\nlabel_index=0\n"
    s += "max_feature_idx=\(features - 1)\nobjective=binary sigmoid:1\n"
    s += "feature_names=\(names.joined(separator: " "))\n"
    s += "feature_infos=\(Array(repeating: "[-5:5]", count: features).joined(separator: " "))\n"
    s += "tree_sizes=\(Array(repeating: "1", count: trees).joined(separator: " "))\n\n"
    let inner = (1 << depth) - 1
    for t in 0..<trees {
        var feat: [String] = [], thr: [String] = [], dt: [String] = [], left: [String] = [], right: [String] = []
        for i in 0..<inner {
            let f = Int(rng.next() % UInt64(features))
            feat.append(String(f))
            thr.append(String(edges[f][Int(rng.next() % 254)]))
            dt.append(["2", "8", "10", "0"][Int(rng.next() % 4)])
            // Heap children 2i+1, 2i+2; bottom-level children are leaves ~(c - inner).
            for (c, arr) in [(2 * i + 1, 0), (2 * i + 2, 1)] {
                let ref = c < inner ? c : ~(c - inner)
                if arr == 0 { left.append(String(ref)) } else { right.append(String(ref)) }
            }
        }
        let leaves = (0...inner).map { _ in String(rng.normal() * 0.1) }
        s += "Tree=\(t)\nnum_leaves=\(inner + 1)\nnum_cat=0\n"
        s += "split_feature=\(feat.joined(separator: " "))\n"
        s += "threshold=\(thr.joined(separator: " "))\n"
        s += "decision_type=\(dt.joined(separator: " "))\n"
        s += "left_child=\(left.joined(separator: " "))\nright_child=\(right.joined(separator: " "))\n"
        s += "leaf_value=\(leaves.joined(separator: " "))\nis_linear=0\nshrinkage=0.1\n\n\n"
    }
    s += "end of trees\n"
    return s
}

func nowNs() -> UInt64 { DispatchTime.now().uptimeNanoseconds }

/// Median over `passes` of the mean ns per call; each pass walks the whole pool once.
func timePerCall(passes: Int, rows: Int, stride: Int, base: UnsafePointer<Float>, sink: inout Double,
          _ f: (UnsafePointer<Float>) -> Double) -> (median: Double, min: Double) {
    var perPass: [Double] = []
    // One warm-up pass (page faults, caches, branch predictors for the loop itself).
    for r in 0..<rows { sink += f(base + r * stride) }
    for _ in 0..<passes {
        let t0 = nowNs()
        var acc = 0.0
        for r in 0..<rows { acc += f(base + r * stride) }
        let t1 = nowNs()
        sink += acc
        perPass.append(Double(t1 - t0) / Double(rows))
    }
    perPass.sort()
    return (perPass[perPass.count / 2], perPass[0])
}


func round1(_ v: Double) -> Double { (v * 10).rounded() / 10 }

/// ns per book event through `FeatureState` (update + full row), over `rows` pregenerated events.
func featureTiming(rows: Int, passes: Int, rng: inout SplitMix64, sink: inout Double) -> (median: Double, min: Double) {
    struct Event { var bid: Int64; var ask: Int64; var b: UInt64; var a: UInt64; var b2: UInt64; var a2: UInt64 }
    var events: [Event] = []
    events.reserveCapacity(rows)
    var bid: Int64 = 1_000_000
    for _ in 0..<rows {
        bid += Int64(rng.next() % 3) * 100 - 100
        let spread = Int64(1 + rng.next() % 3) * 100
        events.append(Event(bid: bid, ask: bid + spread, b: 100 + rng.next() % 2_000, a: 100 + rng.next() % 2_000,
                            b2: rng.next() % 3_000, a2: rng.next() % 3_000))
    }
    var state = FeatureState()
    let row = UnsafeMutablePointer<Float>.allocate(capacity: FeatureState.count)
    defer { row.deallocate() }
    var t: UInt64 = 1
    var perPass: [Double] = []
    events.withUnsafeBufferPointer { ev in
        for pass in 0...passes {  // pass 0 warms up
            let t0 = nowNs()
            var acc: Float = 0
            for e in ev {
                t &+= 1_000_000
                state.onBook(bid: e.bid, bidShares: e.b, ask: e.ask, askShares: e.a, bid2Shares: e.b2, ask2Shares: e.a2, now: t)
                state.write(into: row, now: t)
                acc += row[0]
            }
            let t1 = nowNs()
            sink += Double(acc)
            if pass > 0 { perPass.append(Double(t1 - t0) / Double(rows)) }
        }
    }
    perPass.sort()
    return (perPass[perPass.count / 2], perPass[0])
}

struct BenchInfer: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "infer",
        abstract: "ns per prediction: logistic, GBDT (100 trees, depth 6), MLP, on fresh rows."
    )

    @Option(help: "A LightGBM text model to time instead of the synthetic one.")
    var lightgbm: String?
    @Option(help: "Rows to predict: little-endian float32, row-major, --features per row.")
    var rows: String?
    @Option(help: "Features per row.")
    var features: Int = 20
    @Option(help: "Rows generated when --rows is not given (N(0,1), 1% NaN).")
    var pool: Int = 200_000
    @Option(help: "Timed passes over the pool (the median is reported).")
    var passes: Int = 7
    @Option(name: .customLong("write-model"), help: "Keep the synthetic model here.")
    var writeModel: String?
    @Option(name: .customLong("write-rows"), help: "Write the rows used here.")
    var writeRows: String?
    @Option(name: .customLong("predictions-out"), help: "Write the GBDT's raw scores (float64) here.")
    var predictionsOut: String?
    @Option(help: "Time one runtime only: gbdt, logistic, mlp or features.")
    var only: String?
    @Option(help: ArgumentHelp("Also time the GBDT's decision at this probability (GBDTModel.exceeds: stops summing trees once the trees summed settle it).",
                               valueName: "probability"))
    var cut: Double?
    @Flag(help: "Print one JSON object.")
    var json = false

    struct Report: Encodable {
        var logisticNs: Double
        var gbdtNs: Double
        var mlpNs: Double
        var featuresNs: Double
        var rows: Int
        var trees: Int
        var depth: Int
        var gbdtMinNs: Double
        /// With --cut: ns per decision, and the share of rows above the cut.
        var gbdtDecideNs: Double?
        var cut: Double?
        var aboveCut: Double?
        var logisticMinNs: Double
        var mlpMinNs: Double
        var passes: Int
        var layout: String
        var model: String
        var checksum: Double?
    }

    func run() throws {
        guard features >= 1, features <= 4096, pool >= 1, pool <= 10_000_000 else { throw ValidationError("bad --features or --pool") }
        if let only, !["gbdt", "logistic", "mlp", "features"].contains(only) { throw ValidationError("--only is gbdt, logistic, mlp or features") }
        if let cut, !cut.isFinite { throw ValidationError("--cut must be a finite number") }

        let passes = max(1, self.passes)
    var rng = SplitMix64(state: 0x7157_C0DE)
    let names = (0..<features).map { "f\($0)" }

    // ---- rows ----
    var rowPool: [Float]
    if let rowsPath = rows {
        guard let data = try? Data(contentsOf: URL(fileURLWithPath: rowsPath)) else { throw fail("cannot read \(rowsPath)") }
        guard data.count % (4 * features) == 0 else { throw fail("\(rowsPath): size \(data.count) is not a multiple of \(4 * features)") }
        rowPool = [Float](repeating: 0, count: data.count / 4)
        rowPool.withUnsafeMutableBytes { _ = data.copyBytes(to: $0) }
    } else {
        let n = max(1, self.pool)
        rowPool = (0..<(n * features)).map { _ in rng.uniform() < 0.01 ? Float.nan : Float(rng.normal()) }
    }
    let rowCount = rowPool.count / features
    guard rowCount >= 1 else { throw fail("no rows") }
    if let out = writeRows {
        rowPool.withUnsafeBytes { try? Data($0).write(to: URL(fileURLWithPath: out)) }
    }
    // Logistic / MLP pool: same rows with NaN as 0 (those models have no missing-value semantics).
    let finitePool = rowPool.map { $0.isNaN ? 0 : $0 }

    // ---- models ----
    let schema = FeatureSchema(names: names, version: 1)
    let gbdt: GBDTModel
    let modelSource: String
    do {
        if let path = lightgbm {
            let text = try String(contentsOfFile: path, encoding: .utf8)
            // Take the model's own names as the schema: the bench times, it does not validate.
            guard let line = text.split(separator: "\n").first(where: { $0.hasPrefix("feature_names=") }) else {
                throw fail("\(path): no feature_names line")
            }
            let own = line.dropFirst("feature_names=".count).split(separator: " ").map(String.init)
            guard own.count == features else { throw fail("\(path) has \(own.count) features, --features is \(features)") }
            gbdt = try GBDTModel.loadLightGBM(path: path, schema: FeatureSchema(names: own, version: 1))
            modelSource = path
        } else {
            let path = writeModel ?? (NSTemporaryDirectory() + "infer-bench-synth-\(getpid()).txt")
            try synthLightGBM(trees: 100, depth: 6, features: features, rng: &rng).write(toFile: path, atomically: true, encoding: .utf8)
            gbdt = try GBDTModel.loadLightGBM(path: path, schema: schema)
            if writeModel == nil { try? FileManager.default.removeItem(atPath: path) }
            modelSource = "synthetic"
        }
    } catch {
        throw fail("model load failed: \(error)")
    }

    let logistic = LogisticModel(coefficients: (0..<features).map { _ in rng.normal() * 0.3 },
                                 intercept: 0.05, featureNames: names)
    func randomMatrix(_ rows: Int, _ cols: Int, _ rng: inout SplitMix64) -> [[Double]] {
        (0..<rows).map { _ in (0..<cols).map { _ in rng.normal() * (2.0 / Double(rows)).squareRoot() } }
    }
    let mlp: MLPModel
    do {
        mlp = try MLPModel(featureNames: names,
                           coef: [randomMatrix(features, 32, &rng), randomMatrix(32, 16, &rng), randomMatrix(16, 1, &rng)],
                           intercept: [Array(repeating: 0.01, count: 32), Array(repeating: 0.01, count: 16), [0.0]],
                           hiddenActivation: .relu, outputActivation: .logistic)
    } catch {
        throw fail("mlp build failed: \(error)")
    }

    // ---- optional predictions dump, for cross-checking against the training library ----
    if let out = predictionsOut {
        var preds = [Double](repeating: 0, count: rowCount)
        rowPool.withUnsafeBufferPointer { p in
            for r in 0..<rowCount { preds[r] = gbdt.predictRaw(p.baseAddress.unsafelyUnwrapped + r * features) }
        }
        preds.withUnsafeBytes { try? Data($0).write(to: URL(fileURLWithPath: out)) }
    }

    // ---- timing ----
    var sink = 0.0
    // --only gbdt|logistic|mlp times one runtime (for perf stat); the others report 0.
    let only = self.only
    let none = (median: 0.0, min: 0.0)
    let g = only != nil && only != "gbdt" ? none : rowPool.withUnsafeBufferPointer { p in
        timePerCall(passes: passes, rows: rowCount, stride: features, base: p.baseAddress.unsafelyUnwrapped, sink: &sink) { gbdt.predictRaw($0) }
    }
    // The decision at --cut, timed the same way (1 for above, 0 for not).
    var decide: (median: Double, min: Double)?
    var above: Double?
    if let t = cut, only == nil || only == "gbdt" {
        let c = gbdt.cut(probability: t)
        decide = rowPool.withUnsafeBufferPointer { p in
            timePerCall(passes: passes, rows: rowCount, stride: features, base: p.baseAddress.unsafelyUnwrapped, sink: &sink) { gbdt.exceeds($0, c) ? 1 : 0 }
        }
        let n = rowPool.withUnsafeBufferPointer { p in (0..<rowCount).filter { gbdt.exceeds(p.baseAddress.unsafelyUnwrapped + $0 * features, c) }.count }
        above = (Double(n) * 10_000 / Double(rowCount)).rounded() / 10_000
    }
    let l = only != nil && only != "logistic" ? none : finitePool.withUnsafeBufferPointer { p in
        timePerCall(passes: passes, rows: rowCount, stride: features, base: p.baseAddress.unsafelyUnwrapped, sink: &sink) { logistic.predictProbability($0) }
    }
    let m = only != nil && only != "mlp" ? none : finitePool.withUnsafeBufferPointer { p in
        timePerCall(passes: passes, rows: rowCount, stride: features, base: p.baseAddress.unsafelyUnwrapped, sink: &sink) { mlp.predictProbability($0) }
    }

    // Features: one book event (a random walk of the touch, fresh every row) folded into the
    // state and the whole row written, per call.
    let fe = only != nil && only != "features" ? none : featureTiming(rows: rowCount, passes: passes, rng: &rng, sink: &sink)
    let r = Report(logisticNs: round1(l.median), gbdtNs: round1(g.median), mlpNs: round1(m.median), featuresNs: round1(fe.median),
                   rows: rowCount, trees: gbdt.treeCount,
                   depth: gbdt.depth, gbdtMinNs: round1(g.min), gbdtDecideNs: decide.map { round1($0.median) }, cut: decide == nil ? nil : cut,
                   aboveCut: above, logisticMinNs: round1(l.min), mlpMinNs: round1(m.min), passes: passes,
                   layout: gbdt.layout == .binned ? "binned (\(GBDTModel.binnedKernel))" : "\(gbdt.layout)", model: modelSource, checksum: sink.isFinite ? sink : nil)
    if json {
        printJSON(r)
    } else {
        print("per prediction over \(rowCount) fresh rows (median of \(passes) passes): logistic \(r.logisticNs) ns, "
            + "GBDT (\(r.trees) trees, depth \(r.depth)) \(r.gbdtNs) ns, MLP \(r.mlpNs) ns; features \(r.featuresNs) ns per book event")
        if let d = r.gbdtDecideNs, let c = r.cut, let a = r.aboveCut {
            print("GBDT decision at \(c): \(d) ns (\(String(format: "%.2f", a * 100))% of the rows above it)")
        }
    }
    }
}
