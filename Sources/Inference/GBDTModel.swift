import CShims
import Foundation
import Synchronization

// MARK: - Parser output

/// How a split routes the values its library treats as "missing". Both LightGBM and XGBoost
/// decide this per node, so the runtime cannot substitute one value for NaN in the input row.
/// Instead the row is expanded once per prediction into copies in which the missing values are
/// replaced by the smallest key (always goes left under `key > threshold`) or the largest key
/// (always goes right), and each node reads the copy that gives its own routing. The node test
/// stays a single compare.
enum MissingRoute: Int {
    /// NaN goes left (copy 0: NaN -> Int32.min).
    case nanLeft = 0
    /// NaN goes right (copy 1: NaN -> Int32.max).
    case nanRight = 1
    /// LightGBM missing_type Zero, default left: NaN and |x| <= 1e-35 go left (copy 2).
    case nanOrZeroLeft = 2
    /// LightGBM missing_type Zero, default right (copy 3).
    case nanOrZeroRight = 3
}

/// One split, normalised so every source library means the same thing: go right iff
/// `key(x) > threshold`, where `key(x)` is the order-preserving integer key of the float input
/// (see `Threshold`) after the node's missing-value substitution.
struct SplitNode {
    var feature: Int
    var threshold: Int32
    var missing: MissingRoute
    /// >= 0: index of an internal node of the same tree; < 0: `~leafIndex`.
    var left: Int
    var right: Int
}

/// A parsed tree. `nodes[0]` is the root unless `nodes` is empty (a single-leaf tree).
struct SplitTree {
    var nodes: [SplitNode]
    var leafValues: [Double]

    /// Depth in edges (a lone leaf has depth 0). Iterative: a malformed file cannot blow the
    /// stack, and cycles are caught by the node-visit bound.
    func depth(path: String, tree: Int) throws(ModelLoadError) -> Int {
        if nodes.isEmpty { return 0 }
        var maxDepth = 0
        var visited = 0
        var stack: [(Int, Int)] = [(0, 0)]
        while let (n, d) = stack.popLast() {
            visited += 1
            guard visited <= nodes.count else {
                throw .malformed(path: path, reason: "tree \(tree): node graph is not a tree (cycle or shared child)")
            }
            for c in [nodes[n].left, nodes[n].right] {
                if c >= 0 {
                    guard c < nodes.count else { throw .malformed(path: path, reason: "tree \(tree): child \(c) out of range") }
                    stack.append((c, d + 1))
                } else {
                    guard ~c < leafValues.count else { throw .malformed(path: path, reason: "tree \(tree): leaf \(~c) out of range") }
                    maxDepth = max(maxDepth, d + 1)
                }
            }
        }
        return maxDepth
    }
}

/// The final transform from raw score to output.
public enum OutputTransform: Sendable, Equatable {
    /// Regression: output = raw score.
    case identity
    /// Binary classification: output = 1 / (1 + exp(-scale * raw)). LightGBM's `sigmoid:` param.
    case sigmoid(scale: Double)
    /// Poisson / gamma / tweedie: output = exp(raw).
    case exponential
}

/// Which evaluation layout a model was built with.
public enum GBDTLayout: Sendable, Equatable {
    /// `.binned` when the model and the CPU allow it (see `GBDTModel.binnedUnsupportedReason`),
    /// else `.perfect` when the deepest tree is at most `GBDTModel.maxPerfectDepth`, else
    /// `.general`.
    case automatic
    /// Every node of a tree compared at once (CShims/gbdt.c): the row turned into one byte per
    /// feature (its rank among the model's thresholds on that feature), each tree (padded to
    /// depth 6) tested by one 64-byte compare (AVX-512 F, BW and VBMI) or two 32-byte ones
    /// (AVX2), the leaf read off the 63 result bits. For trees of depth 6 or less, at most 64
    /// features, at most 254 distinct thresholds per feature (LightGBM's histogram splits:
    /// max_bin 255 gives at most 254), on CPUs with AVX2 or AVX-512. The fastest; measured in
    /// `tickwire bench infer`.
    case binned
    /// Every tree padded to a complete tree of the model's maximum depth; branch-free descent,
    /// eight trees interleaved. The fast path.
    case perfect
    /// Node-and-child-index walk with a data-dependent branch per level. Used for deep trees
    /// (a complete depth-20 tree would be 8 MB) and available to tests as a cross-check.
    case general
}

/// Gradient-boosted decision trees (LightGBM text model or XGBoost JSON model), binary or
/// regression, numerical splits only.
///
/// ## Why the layout looks like this
/// A depth-6, 100-tree model is 6,300 node visits per prediction. Walking each tree through
/// child pointers makes every level a data-dependent branch (mispredicted about half the time on
/// fresh rows, ~15 cycles each) and a dependent load. Instead, every tree is padded to a
/// complete binary tree of the model's depth and stored heap-ordered, so a level is
/// `i = 2*i + 1 + (x[f] > t)` (setcc + lea, no branch), and eight trees descend together so
/// their independent load chains overlap. Padding nodes have threshold Int32.max (always left) and
/// the padded leaf's value is copied into every leaf below it, so padding never changes a result.
///
/// Trees are stored in groups of eight, interleaved: heap position `i` of lane `k` (tree
/// `8*g + k`) is entry `8*i + k` of group `g`, in three parallel tables: feature slot (UInt16),
/// threshold key (Int32), and, for the 2^depth bottom positions, the leaf value (Double). The
/// interleave lets the eight descents share one base index (eight base pointers plus eight
/// indices do not fit in x86-64's registers and spill), and the eight roots share a cache line.
/// Child of `j = 8*i + k` is `2*j + 8 - k + 8*bit`. Split tables rather than one 8-byte word per
/// node: 6 bytes per node keep a 100-tree depth-6 model's nodes (38 KB) close to L1, and each
/// level's critical path is slot load -> row load -> cmp -> lea, with the threshold load off it.
///
/// ## Why Float inputs still match LightGBM exactly
/// LightGBM tests `x <= t` with `x` and `t` in double. For a float `x` and the largest float
/// `tf <= t` (rounding toward -inf): `x <= tf` implies `x <= t`; and `x <= t` implies `x <= tf`
/// because `x` is itself a float `<= t` and `tf` is the largest such. So the float compare takes
/// the same branch for every float input: no quantisation error, only a smaller table.
/// XGBoost compares `x < t` in float already.
///
/// ## Why the compare is on integers
/// Floats are compared through an order-preserving Int32 key (`Threshold.key`: sign-magnitude
/// to two's complement, -0.0 folded into +0.0). On non-NaN values it orders exactly like the
/// float compare, costs the same (cmp + setg), and leaves the keys below key(-inf) and above
/// key(+inf) free for the missing-value substitutes. A float substitute cannot work: LightGBM
/// writes "NaN vs everything" splits as threshold `inf` (NaN right, +inf itself left), which no
/// float can express.
///
/// Missing values: see `MissingRoute`. The row is expanded into 2 (or 4, when the model has
/// LightGBM zero-as-missing splits) key copies on the stack before descent; the feature slot
/// stored in each node is `copy * featureCount + feature`.
public final class GBDTModel: @unchecked Sendable {
    /// Trees deeper than this use the general layout under `.automatic`: the padded block grows
    /// as 2^depth, and past ~1K nodes per tree the model no longer fits in L2.
    public static let maxPerfectDepth = 10

    public let featureNames: [String]
    public var featureCount: Int { featureNames.count }
    public let treeCount: Int
    /// Maximum tree depth in edges (the perfect layout pads every tree to this depth).
    public let depth: Int
    public let transform: OutputTransform
    public let layout: GBDTLayout

    /// Added to the sum of leaves (XGBoost's base margin; 0 for LightGBM, whose init score is in
    /// the first tree).
    private let baseScore: Double
    /// Multiplier applied after summation (1/treeCount for LightGBM random-forest mode).
    private let outputScale: Double
    private let rowCopies: Int

    // Perfect layout.
    private let slots: UnsafeMutablePointer<UInt16>
    private let thresholds: UnsafeMutablePointer<Int32>
    private let leaves: UnsafeMutablePointer<Double>
    /// Internal heap positions per tree (2^depth - 1).
    private let innerCount: Int

    // General layout.
    private let gNodes: UnsafeMutablePointer<GeneralNode>
    private let gLeaves: UnsafeMutablePointer<Double>
    private let gRoots: UnsafeMutablePointer<Int32>

    // Binned layout (`tw_gbdt_binned`; its tables are one allocation owned here).
    private let binned: UnsafeMutablePointer<tw_gbdt_binned>
    private let binnedStorage: UnsafeMutableRawPointer?
    /// `binnedAVX512`, read once at load: the static's lazy initialization is not checked on
    /// every prediction.
    private let useAVX512: Bool
    /// This model among every one loaded in the process (never reused): what a `ProbabilityCut`
    /// names its model by.
    let identity: UInt
    private static let loaded = Atomic<UInt>(0)

    /// Whether this CPU runs the binned layout with AVX-512 F, BW and VBMI (asked once).
    public static let binnedAVX512: Bool = tw_gbdt_binned_available()
    /// Whether this CPU runs the binned layout at all: AVX-512 as above, or AVX2 (asked once).
    public static let binnedCPU: Bool = binnedAVX512 || tw_gbdt_binned_avx2_available()
    /// The binned layout's kernel on this CPU, for reports.
    public static var binnedKernel: String { binnedAVX512 ? "AVX-512" : (binnedCPU ? "AVX2" : "none") }
    /// The depth every tree is padded to in the binned layout: 63 nodes, one 64-bit compare mask.
    static let binnedDepth = 6

    struct GeneralNode {
        var threshold: Int32
        var slot: UInt32
        /// >= 0: absolute node index; < 0: ~absolute leaf index.
        var left: Int32
        var right: Int32
    }

    init(trees: [SplitTree], featureNames: [String], baseScore: Double, transform: OutputTransform,
         averageOutput: Bool, layout requested: GBDTLayout, path: String) throws(ModelLoadError) {
        self.featureNames = featureNames
        self.treeCount = trees.count
        self.baseScore = baseScore
        self.transform = transform
        self.outputScale = averageOutput && !trees.isEmpty ? 1.0 / Double(trees.count) : 1.0
        let nf = featureNames.count
        var maxDepth = 0
        var zeroMissing = false
        for (t, tree) in trees.enumerated() {
            maxDepth = max(maxDepth, try tree.depth(path: path, tree: t))
            for node in tree.nodes {
                guard node.feature >= 0, node.feature < nf else {
                    throw .malformed(path: path, reason: "tree \(t): split on feature \(node.feature), model has \(nf) features")
                }
                if node.missing.rawValue >= 2 { zeroMissing = true }
            }
            if tree.nodes.isEmpty && tree.leafValues.count != 1 {
                throw .malformed(path: path, reason: "tree \(t): no splits but \(tree.leafValues.count) leaves")
            }
        }
        depth = maxDepth
        rowCopies = zeroMissing ? 4 : 2
        let binnedBlocker = Self.binnedUnsupportedReason(trees: trees, depth: maxDepth, featureCount: nf)
        let chosen: GBDTLayout
        switch requested {
        case .automatic:
            if binnedBlocker == nil { chosen = .binned }
            else { chosen = maxDepth <= Self.maxPerfectDepth && rowCopies * nf <= 65536 ? .perfect : .general }
        case .binned:
            if let binnedBlocker { throw .unsupported(path: path, reason: "binned layout: \(binnedBlocker)") }
            chosen = .binned
        case .perfect:
            guard maxDepth <= 16, rowCopies * nf <= 65536 else {
                throw .unsupported(path: path, reason: "perfect layout requested for depth \(maxDepth) (limit 16), \(nf) features (limit 16384)")
            }
            chosen = .perfect
        case .general: chosen = .general
        }
        layout = chosen
        useAVX512 = Self.binnedAVX512
        identity = Self.loaded.add(1, ordering: .relaxed).newValue
        binned = .allocate(capacity: 1)
        if chosen == .binned {
            binnedStorage = Self.buildBinned(trees: trees, featureCount: nf, into: binned)
        } else {
            binned.initialize(to: tw_gbdt_binned())
            binnedStorage = nil
        }

        if chosen == .perfect {
            innerCount = (1 << maxDepth) - 1
            let groups = (trees.count + 7) / 8
            let nodeTotal = max(1, 8 * innerCount * groups), leafTotal = max(1, 8 * (innerCount + 1) * groups)
            slots = Self.allocate(UInt16.self, nodeTotal)
            thresholds = Self.allocate(Int32.self, nodeTotal)
            leaves = Self.allocate(Double.self, leafTotal)
            gNodes = .allocate(capacity: 1)
            gLeaves = .allocate(capacity: 1)
            gRoots = .allocate(capacity: 1)
        } else if chosen == .binned {
            innerCount = 0
            slots = Self.allocate(UInt16.self, 1)
            thresholds = Self.allocate(Int32.self, 1)
            leaves = Self.allocate(Double.self, 1)
            gNodes = .allocate(capacity: 1)
            gLeaves = .allocate(capacity: 1)
            gRoots = .allocate(capacity: 1)
        } else {
            innerCount = 0
            slots = Self.allocate(UInt16.self, 1)
            thresholds = Self.allocate(Int32.self, 1)
            leaves = Self.allocate(Double.self, 1)
            let nodeTotal = trees.reduce(0) { $0 + $1.nodes.count }
            let leafTotal = trees.reduce(0) { $0 + $1.leafValues.count }
            guard nodeTotal < Int(Int32.max), leafTotal < Int(Int32.max) else {
                throw .unsupported(path: path, reason: "more than 2^31 nodes")
            }
            gNodes = .allocate(capacity: max(1, nodeTotal))
            gLeaves = .allocate(capacity: max(1, leafTotal))
            gRoots = .allocate(capacity: max(1, trees.count))
            var nodeBase = 0, leafBase = 0
            for (t, tree) in trees.enumerated() {
                func ref(_ c: Int) -> Int32 { c >= 0 ? Int32(nodeBase + c) : ~Int32(leafBase + ~c) }
                for (i, n) in tree.nodes.enumerated() {
                    (gNodes + nodeBase + i).initialize(to: GeneralNode(
                        threshold: n.threshold, slot: UInt32(n.missing.rawValue * nf + n.feature),
                        left: ref(n.left), right: ref(n.right)))
                }
                for (i, v) in tree.leafValues.enumerated() { (gLeaves + leafBase + i).initialize(to: v) }
                gRoots[t] = tree.nodes.isEmpty ? ~Int32(leafBase) : Int32(nodeBase)
                nodeBase += tree.nodes.count
                leafBase += tree.leafValues.count
            }
        }
        if chosen == .perfect {
            for (t, tree) in trees.enumerated() {
                fillPerfect(group: t / 8, lane: t % 8, tree: tree, featureCount: nf)
            }
        }
    }

    deinit {
        UnsafeMutableRawPointer(slots).deallocate()
        UnsafeMutableRawPointer(thresholds).deallocate()
        UnsafeMutableRawPointer(leaves).deallocate()
        gNodes.deallocate()
        gLeaves.deallocate()
        gRoots.deallocate()
        binnedStorage?.deallocate()
        binned.deallocate()
    }

    /// Zeroed, 64-byte aligned (a group's eight roots share one cache line).
    private static func allocate<T>(_: T.Type, _ count: Int) -> UnsafeMutablePointer<T> {
        let raw = UnsafeMutableRawPointer.allocate(byteCount: count * MemoryLayout<T>.stride, alignment: 64)
        raw.initializeMemory(as: UInt8.self, repeating: 0, count: count * MemoryLayout<T>.stride)
        return raw.bindMemory(to: T.self, capacity: count)
    }

    private func fillPerfect(group: Int, lane: Int, tree: SplitTree, featureCount nf: Int) {
        let inner = innerCount
        let nodeBase = group * 8 * inner, leafBase = group * 8 * (inner + 1)
        func node(_ pos: Int, _ slot: Int, _ key: Int32) {
            slots[nodeBase + 8 * pos + lane] = UInt16(slot)
            thresholds[nodeBase + 8 * pos + lane] = key
        }
        // (heap position, source ref, level); explicit stack, bounded by the depth check above.
        var stack: [(Int, Int, Int)] = [(0, tree.nodes.isEmpty ? ~0 : 0, 0)]
        while let (pos, ref, level) = stack.popLast() {
            if ref >= 0 {
                let n = tree.nodes[ref]
                node(pos, n.missing.rawValue * nf + n.feature, n.threshold)
                stack.append((2 * pos + 1, n.left, level + 1))
                stack.append((2 * pos + 2, n.right, level + 1))
            } else if level == depth {
                leaves[leafBase + 8 * (pos - inner) + lane] = tree.leafValues[~ref]
            } else {
                // A leaf above the bottom level: pad with an always-left node (nothing is greater
                // than Int32.max) and copy the value into both subtrees, so even a wrong turn
                // would land on the same value.
                node(pos, 0, .max)
                stack.append((2 * pos + 1, ref, level + 1))
                stack.append((2 * pos + 2, ref, level + 1))
            }
        }
    }

    // MARK: Prediction

    /// Raw score (sum of leaves + base margin): LightGBM's `raw_score=True`, XGBoost's
    /// `output_margin=True`. `x` points at `featureCount` floats in schema order; NaN is missing.
    /// No allocation: the expanded row lives on the stack (`rowCopies * featureCount` Int32 keys;
    /// withUnsafeTemporaryAllocation stack-allocates up to 1 KB unconditionally, and beyond that
    /// whenever the thread has the stack to spare).
    public func predictRaw(_ x: UnsafePointer<Float>) -> Double {
        if layout == .binned {
            let sum = useAVX512 ? tw_gbdt_binned_sum(binned, x) : tw_gbdt_binned_sum_avx2(binned, x)
            return (sum + baseScore) * outputScale
        }
        let nf = featureNames.count
        let copies = rowCopies
        return withUnsafeTemporaryAllocation(of: Int32.self, capacity: copies &* nf) { buf -> Double in
            let row = buf.baseAddress.unsafelyUnwrapped
            Self.expand(x, into: row, count: nf, zeroMissing: copies == 4)
            let sum = layout == .perfect ? sumPerfect(UnsafePointer(row)) : sumGeneral(UnsafePointer(row))
            return (sum + baseScore) * outputScale
        }
    }

    /// The binned layout's raw score from its AVX2 kernel whatever the CPU's best (so that tests
    /// on an AVX-512 machine check both kernels); nil if the layout is not binned or the CPU
    /// lacks AVX2.
    public func predictRawAVX2ForTesting(_ x: UnsafePointer<Float>) -> Double? {
        guard layout == .binned, tw_gbdt_binned_avx2_available() else { return nil }
        return (tw_gbdt_binned_sum_avx2(binned, x) + baseScore) * outputScale
    }

    /// `predictRaw` passed through the model's `transform` (the probability for binary models).
    public func predictProbability(_ x: UnsafePointer<Float>) -> Double {
        apply(predictRaw(x))
    }

    /// Applies `transform` to a raw score.
    public func apply(_ raw: Double) -> Double {
        switch transform {
        case .identity: return raw
        case let .sigmoid(scale): return sigmoid(scale * raw)
        case .exponential: return exp(raw)
        }
    }

    @inline(__always)
    private static func expand(_ x: UnsafePointer<Float>, into row: UnsafeMutablePointer<Int32>, count nf: Int, zeroMissing: Bool) {
        // Branch-free selects; the compiler vectorises these loops.
        for i in 0..<nf {
            let v = x[i]
            let k = Threshold.key(v)
            let nan = v.isNaN
            row[i] = nan ? .min : k
            row[nf &+ i] = nan ? .max : k
        }
        if zeroMissing {
            // LightGBM's IsZero: |x| <= kZeroThreshold (1e-35f); NaN is first mapped to 0.
            let zeroThreshold: Float = 1e-35
            for i in 0..<nf {
                let v = x[i]
                let k = Threshold.key(v)
                let missing = v.isNaN || abs(v) <= zeroThreshold
                row[2 &* nf &+ i] = missing ? .min : k
                row[3 &* nf &+ i] = missing ? .max : k
            }
        }
    }

    /// One level of one tree in lane `k`: compare, move to the child. No branch: the compare
    /// becomes cmp + setg, the index update lea.
    @inline(__always)
    private static func step(_ slots: UnsafePointer<UInt16>, _ thresholds: UnsafePointer<Int32>,
                             _ j: Int, _ k: Int, _ row: UnsafePointer<Int32>) -> Int {
        let goRight = row[Int(slots[j])] > thresholds[j]
        return 2 &* j &+ (8 &- k) &+ (goRight ? 8 : 0)
    }

    private func sumPerfect(_ row: UnsafePointer<Int32>) -> Double {
        let levels = depth
        let n = treeCount
        let nodeStride = 8 &* innerCount, leafStride = 8 &* (innerCount &+ 1)
        var s = UnsafePointer(slots), th = UnsafePointer(thresholds)
        // Leaf j (heap index, interleaved) is at lf[j] = leaves[j - 8*inner].
        var lf = UnsafePointer(leaves) - nodeStride
        var sum = 0.0
        var t = 0
        // Eight independent descents per step: eight load -> compare -> index chains in flight.
        // Leaves are added in tree order, so the sum is bit-identical to LightGBM's double sum.
        while t &+ 8 <= n {
            // Eight live indices: LLVM hoists the eight compares and spills a few of them, but
            // measured on this EPYC VM this still beats two half-groups of four (~740 vs ~820 ns)
            // and an 8-byte-word node layout (~775 ns).
            var j0 = 0, j1 = 1, j2 = 2, j3 = 3, j4 = 4, j5 = 5, j6 = 6, j7 = 7
            var l = 0
            while l < levels {
                j0 = Self.step(s, th, j0, 0, row); j1 = Self.step(s, th, j1, 1, row)
                j2 = Self.step(s, th, j2, 2, row); j3 = Self.step(s, th, j3, 3, row)
                j4 = Self.step(s, th, j4, 4, row); j5 = Self.step(s, th, j5, 5, row)
                j6 = Self.step(s, th, j6, 6, row); j7 = Self.step(s, th, j7, 7, row)
                l &+= 1
            }
            sum += lf[j0]; sum += lf[j1]; sum += lf[j2]; sum += lf[j3]
            sum += lf[j4]; sum += lf[j5]; sum += lf[j6]; sum += lf[j7]
            s += nodeStride; th += nodeStride; lf += leafStride
            t &+= 8
        }
        var k = 0
        while t < n {
            var j = k
            var l = 0
            while l < levels { j = Self.step(s, th, j, k, row); l &+= 1 }
            sum += lf[j]
            k &+= 1
            t &+= 1
        }
        return sum
    }

    private func sumGeneral(_ row: UnsafePointer<Int32>) -> Double {
        var sum = 0.0
        for t in 0..<treeCount {
            var ref = gRoots[t]
            while ref >= 0 {
                let node = gNodes[Int(ref)]
                ref = row[Int(node.slot)] > node.threshold ? node.right : node.left
            }
            sum += gLeaves[Int(~ref)]
        }
        return sum
    }
}

// MARK: - Binned layout

extension GBDTModel {
    /// Why the binned layout cannot take this model on this CPU, or nil when it can.
    static func binnedUnsupportedReason(trees: [SplitTree], depth: Int, featureCount nf: Int) -> String? {
        guard binnedCPU else { return "this CPU lacks AVX2 (and AVX-512 F, BW, VBMI)" }
        guard depth <= binnedDepth else { return "trees of depth \(depth) (limit \(binnedDepth))" }
        guard nf >= 1, nf <= 64 else { return "\(nf) features (limit 64)" }
        guard trees.count < Int(Int32.max) / 64 else { return "\(trees.count) trees" }
        let distinct = distinctThresholds(trees: trees, featureCount: nf)
        if let (f, keys) = distinct.enumerated().first(where: { $0.element.count > 254 }) {
            return "feature \(f) has \(keys.count) distinct thresholds (limit 254)"
        }
        return nil
    }

    /// Each feature's distinct threshold keys, ascending.
    static func distinctThresholds(trees: [SplitTree], featureCount nf: Int) -> [[Int32]] {
        var sets = [Set<Int32>](repeating: [], count: nf)
        for tree in trees { for node in tree.nodes { sets[node.feature].insert(node.threshold) } }
        return sets.map { $0.sorted() }
    }

    /// Bit of heap position `h` (depth-6 tree) in the binned layout: the top three levels in bits
    /// 0-6 (heap order), then subtree `s` (rooted at heap position 7 + s) in bits 7 + 7s ... 13 + 7s
    /// (its own heap order). The C kernel's walk table reads the bits in this order.
    static func binnedBit(heap h: Int) -> Int {
        if h < 7 { return h }
        let level = h < 15 ? 3 : (h < 31 ? 4 : 5)
        let offset = h - ((1 << level) - 1)
        let below = level - 3
        let subtree = offset >> below
        return 7 + 7 * subtree + ((1 << below) - 1) + (offset & ((1 << below) - 1))
    }

    /// Fills `model` with the tables of the binned layout, in one 64-byte aligned allocation
    /// that the caller owns and frees.
    static func buildBinned(trees: [SplitTree], featureCount nf: Int,
                            into model: UnsafeMutablePointer<tw_gbdt_binned>) -> UnsafeMutableRawPointer {
        let nt = trees.count
        let distinct = distinctThresholds(trees: trees, featureCount: nf)
        // Sizes, each a multiple of 64 bytes.
        let pivotBytes = nf * 16 * 4, thresholdBytes = nf * 256 * 4
        let nodeBytes = max(64, nt * 64), maskBytes = max(64, (nt * 8 + 63) / 64 * 64), leafBytes = max(64, nt * 64 * 8)
        // The AVX2 kernel's slots: the features some tree splits on.
        let used = (0..<nf).filter { !distinct[$0].isEmpty }
        var slotOf = [Int](repeating: 0, count: nf)
        for (i, f) in used.enumerated() { slotOf[f] = i }
        let tables = max(1, (used.count + 15) / 16), avx2Stride = 64 * (tables + 1)
        // The two-step walk's blocks (tw_gbdt_binned.avx2_top, avx2_sub): trees in groups of 4.
        let groups = (nt + 3) / 4, topStride = 32 * (tables + 1)
        let topBytes = max(64, (groups * topStride + 63) / 64 * 64), subBytes = max(64, 4 * groups * avx2Stride)
        // The early exit's bounds (tw_gbdt_binned.exit_max, exit_min): one per fourth tree.
        let exitCount = nt / 4 + 1, exitBytes = (exitCount * 8 + 63) / 64 * 64
        let total = pivotBytes + thresholdBytes + 2 * nodeBytes + 3 * maskBytes + leafBytes + topBytes + subBytes + 64 + 2 * exitBytes
        let raw = UnsafeMutableRawPointer.allocate(byteCount: total, alignment: 64)
        raw.initializeMemory(as: UInt8.self, repeating: 0, count: total)
        var at = 0
        func take<T>(_: T.Type, _ bytes: Int) -> UnsafeMutablePointer<T> {
            defer { at += bytes }
            return (raw + at).bindMemory(to: T.self, capacity: bytes / MemoryLayout<T>.stride)
        }
        let pivots = take(Int32.self, pivotBytes), thresholds = take(Int32.self, thresholdBytes)
        let features = take(UInt8.self, nodeBytes), ranks = take(UInt8.self, nodeBytes)
        let nanRight = take(UInt64.self, maskBytes), zeroMissing = take(UInt64.self, maskBytes), zeroRight = take(UInt64.self, maskBytes)
        let leaves = take(Double.self, leafBytes)
        let avx2Top = take(UInt8.self, topBytes), avx2Sub = take(UInt8.self, subBytes)
        // Padding everywhere first (a padded tree of the last group reads only padding): index
        // 0x80 (vpshufb reads 0), rank 0x7f (255 flipped: never right).
        for i in 0..<groups * topStride { avx2Top[i] = (i / 32) % (tables + 1) < tables ? 0x80 : 0x7f }
        for i in 0..<4 * groups * avx2Stride { avx2Sub[i] = (i / 64) % (tables + 1) < tables ? 0x80 : 0x7f }
        let avx2Slots = take(UInt8.self, 64)
        let exitMax = take(Double.self, exitBytes), exitMin = take(Double.self, exitBytes)
        for (i, f) in used.enumerated() { avx2Slots[i] = UInt8(f) }
        var rank: [[Int32: UInt8]] = []
        for (f, keys) in distinct.enumerated() {
            let table = thresholds + 256 * f
            for i in 0..<256 { table[i] = i < keys.count ? keys[i] : .max }
            for j in 0..<16 { pivots[16 * f + j] = table[16 * j + 15] }
            rank.append(Dictionary(uniqueKeysWithValues: keys.enumerated().map { ($0.element, UInt8($0.offset)) }))
        }
        let depth = binnedDepth, inner = (1 << depth) - 1
        var block = [UInt8](repeating: 0, count: avx2Stride)
        for (t, tree) in trees.enumerated() {
            let nodeBase = 64 * t
            // Every bit starts as a padding node: feature 0, rank 255 (nothing is above it).
            for b in 0..<64 { features[nodeBase + b] = 0; ranks[nodeBase + b] = 255 }
            var nr: UInt64 = 0, zm: UInt64 = 0, zr: UInt64 = 0
            // (heap position, source ref, level), as in fillPerfect: a leaf above the bottom is
            // a padding node with its value copied into every leaf below it.
            var stack: [(Int, Int, Int)] = [(0, tree.nodes.isEmpty ? ~0 : 0, 0)]
            while let (pos, ref, level) = stack.popLast() {
                if ref >= 0 {
                    let n = tree.nodes[ref]
                    let bit = binnedBit(heap: pos)
                    features[nodeBase + bit] = UInt8(n.feature)
                    ranks[nodeBase + bit] = rank[n.feature][n.threshold]!
                    switch n.missing {
                    case .nanLeft: break
                    case .nanRight: nr |= 1 << UInt64(bit)
                    case .nanOrZeroLeft: zm |= 1 << UInt64(bit)
                    case .nanOrZeroRight: zm |= 1 << UInt64(bit); zr |= 1 << UInt64(bit)
                    }
                    stack.append((2 * pos + 1, n.left, level + 1))
                    stack.append((2 * pos + 2, n.right, level + 1))
                } else if level == depth {
                    leaves[64 * t + (pos - inner)] = tree.leafValues[~ref]
                } else {
                    stack.append((2 * pos + 1, ref, level + 1))
                    stack.append((2 * pos + 2, ref, level + 1))
                }
            }
            nanRight[t] = nr; zeroMissing[t] = zm; zeroRight[t] = zr
            // The AVX2 kernel's bytes of the tree, in bit order: per table, each node's index
            // into it (0x80, which vpshufb reads as 0, where the node's slot is elsewhere), then
            // the ranks flipped into signed order. A padding node (rank 255, never right) reads
            // slot 0, whatever its feature.
            for b in 0..<64 {
                let f = slotOf[Int(features[nodeBase + b])]
                for k in 0..<tables { block[64 * k + b] = f >> 4 == k ? UInt8(f & 15) : 0x80 }
                block[64 * tables + b] = ranks[nodeBase + b] ^ 0x80
            }
            // Cut for the two-step walk: the top three levels with the group's other trees, the
            // eight subtrees 8 bytes apart.
            let top = avx2Top + topStride * (t / 4) + 8 * (t % 4), sub = avx2Sub + avx2Stride * t
            for k in 0...tables {
                for n in 0..<7 { top[32 * k + n] = block[64 * k + n] }
                for st in 0..<8 { for n in 0..<7 { sub[64 * k + 8 * st + n] = block[64 * k + 7 + 7 * st + n] } }
            }
        }
        let exitSlack = fillExitBounds(leaves: leaves, treeCount: nt, max: exitMax, min: exitMin)
        model.initialize(to: tw_gbdt_binned(
            pivots: pivots, thresholds: thresholds, features: features, ranks: ranks,
            nan_right: nanRight, zero_missing: zeroMissing, zero_right: zeroRight, leaves: leaves,
            avx2_slots: avx2Slots, avx2_used: used.reduce(0) { $0 | 1 << UInt64($1) },
            avx2_top: avx2Top, avx2_sub: avx2Sub, exit_max: exitMax, exit_min: exitMin, exit_slack: exitSlack,
            feature_count: Int32(nf), tree_count: Int32(nt),
            has_zero_missing: trees.contains { $0.nodes.contains { $0.missing.rawValue >= 2 } } ? 1 : 0,
            avx2_slot_count: Int32(used.count)))
        return raw
    }
}

// MARK: - Early exit

extension GBDTModel {
    /// The early exit's bounds: entry j, what trees 4j ... nt - 1 can still add at most (`max`)
    /// and at least (`min`), widened by `slack`: more than the rounding of summing any of them
    /// in any order onto any partial sum (each sum's error is at most (n - 1) u times the sum of
    /// the magnitudes, u = 2^-53, and every magnitude here is at most `scale`).
    static func fillExitBounds(leaves: UnsafePointer<Double>, treeCount nt: Int,
                               max upper: UnsafeMutablePointer<Double>, min lower: UnsafeMutablePointer<Double>) -> Double {
        var hi = [Double](repeating: 0, count: nt), lo = [Double](repeating: 0, count: nt)
        var scale = 0.0, finite = true
        for t in 0..<nt {
            let tree = UnsafeBufferPointer(start: leaves + 64 * t, count: 64)
            hi[t] = tree.max() ?? 0
            lo[t] = tree.min() ?? 0
            scale += Swift.max(abs(hi[t]), abs(lo[t]))
            finite = finite && tree.allSatisfy(\.isFinite)
        }
        // A non-finite leaf (the loaders refuse them; this is the kernel's own guard) makes
        // every bound NaN, which no test passes: nothing settles early and the decision comes
        // from the whole sum. Any two orders of summing differ by at most 2 (n - 1) u scale; the
        // kernel's tests add a few more roundings of sums no larger. 2^-44 = 512 u leaves room
        // to spare.
        let slack = finite && scale.isFinite ? Double(nt + 8) * scale * 0x1p-44 : .nan
        var above = 0.0, below = 0.0
        var t = nt
        while t > 0 {
            t -= 1
            above += hi[t]
            below += lo[t]
            if t % 4 == 0 {
                upper[t / 4] = above + slack
                lower[t / 4] = below - slack
            }
        }
        return slack
    }

    /// The sums of leaves that settle `probability`: below `lowSum` the model's output is below
    /// it, above `highSum` above it. nil when the transform cannot be inverted there (then
    /// every tree is summed).
    func cutSums(probability t: Double) -> (low: Double, high: Double)? {
        guard layout == .binned, t.isFinite, outputScale > 0, outputScale.isFinite else { return nil }
        let raw: Double
        switch transform {
        case .identity: raw = t
        case let .sigmoid(scale):
            guard t > 0, t < 1, scale > 0, scale.isFinite else { return nil }
            raw = log(t / (1 - t)) / scale
        case .exponential:
            guard t > 0 else { return nil }
            raw = log(t)
        }
        let middle = raw / outputScale - baseScore
        guard middle.isFinite else { return nil }
        // Widen until the output at either end is clearly on its side (by 1e-12 max(1, |t|): far
        // beyond the few units of rounding of the transform), then every sum beyond that end
        // is too (the transform is monotone and its rounding is that small).
        let gap = 1e-12 * Swift.max(1, abs(t))
        var width = 1e-9 * Swift.max(1, abs(middle))
        for _ in 0..<32 {
            let low = middle - width, high = middle + width
            if apply((low + baseScore) * outputScale) < t - gap, apply((high + baseScore) * outputScale) > t + gap {
                return (low, high)
            }
            width *= 4
        }
        return nil
    }

    /// The cut at `probability` for this model (cold: a logarithm and a few model outputs).
    public func cut(probability: Double) -> ProbabilityCut {
        guard let (low, high) = cutSums(probability: probability) else { return ProbabilityCut(probability: probability) }
        return ProbabilityCut(probability: probability, lowSum: low, highSum: high, model: identity)
    }

    /// Whether the output is above `cut.probability`: `predictProbability(x) > cut.probability`,
    /// always, but the trees stop as soon as those summed settle it (`tw_gbdt_binned_decide`).
    @inline(__always)
    public func exceeds(_ x: UnsafePointer<Float>, _ cut: ProbabilityCut) -> Bool {
        decide(x, cut, orEqual: false)
    }

    /// Whether the output is at or above `cut.probability`: `predictProbability(x) >=
    /// cut.probability`, always, stopping early as `exceeds` does.
    @inline(__always)
    public func reaches(_ x: UnsafePointer<Float>, _ cut: ProbabilityCut) -> Bool {
        decide(x, cut, orEqual: true)
    }

    @inline(__always)
    func decide(_ x: UnsafePointer<Float>, _ cut: ProbabilityCut, orEqual: Bool) -> Bool {
        let p: Double
        if layout == .binned, cut.model == identity {
            var sum = 0.0
            let settled = useAVX512 ? tw_gbdt_binned_decide(binned, x, cut.lowSum, cut.highSum, &sum)
                                    : tw_gbdt_binned_decide_avx2(binned, x, cut.lowSum, cut.highSum, &sum)
            if settled != 0 { return settled > 0 }
            p = apply((sum + baseScore) * outputScale)
        } else {
            p = predictProbability(x)
        }
        return orEqual ? p >= cut.probability : p > cut.probability
    }

    /// The kernel's own answer for sums `low` and `high` (`avx2`: the AVX2 one whatever the
    /// CPU's best): -k (the sum is below `low`), +k (above `high`), 0 (summed in tree order), with
    /// the tree-order sum beside it; nil where that kernel cannot run or the layout is not binned.
    public func decideSumForTesting(_ x: UnsafePointer<Float>, low: Double, high: Double, avx2: Bool) -> (settled: Int, sum: Double)? {
        guard layout == .binned, avx2 ? tw_gbdt_binned_avx2_available() : useAVX512 else { return nil }
        var fallback = 0.0
        let settled = avx2 ? tw_gbdt_binned_decide_avx2(binned, x, low, high, &fallback) : tw_gbdt_binned_decide(binned, x, low, high, &fallback)
        return (Int(settled), avx2 ? tw_gbdt_binned_sum_avx2(binned, x) : tw_gbdt_binned_sum(binned, x))
    }

    /// `exceeds` or `reaches` on one kernel (`avx2`: the AVX2 one whatever the CPU's best), and
    /// how many trees it summed (`treeCount` when it did not stop early); nil where that kernel
    /// cannot run.
    public func decideForTesting(_ x: UnsafePointer<Float>, _ cut: ProbabilityCut, orEqual: Bool, avx2: Bool) -> (Bool, trees: Int)? {
        guard layout == .binned, cut.model == identity else {
            let p = predictProbability(x)
            return (orEqual ? p >= cut.probability : p > cut.probability, treeCount)
        }
        if avx2 ? !tw_gbdt_binned_avx2_available() : !useAVX512 { return nil }
        var sum = 0.0
        let settled = avx2 ? tw_gbdt_binned_decide_avx2(binned, x, cut.lowSum, cut.highSum, &sum)
                           : tw_gbdt_binned_decide(binned, x, cut.lowSum, cut.highSum, &sum)
        if settled != 0 { return (settled > 0, Int(abs(settled))) }
        let p = apply((sum + baseScore) * outputScale)
        return (orEqual ? p >= cut.probability : p > cut.probability, treeCount)
    }
}

/// A probability a decision compares a model's output with, prepared for that model
/// (`GBDTModel.cut(probability:)`): the sums of leaves beyond which the comparison is settled,
/// so that `exceeds` and `reaches` stop summing trees once it is. A cut made for another model,
/// or with `init(probability:)`, settles nothing early: the decision is the same, from every
/// tree.
public struct ProbabilityCut: Sendable, Equatable {
    public let probability: Double
    let lowSum: Double
    let highSum: Double
    /// The model's `identity`; 0: none.
    let model: UInt

    /// A cut that never stops early (any model, or none).
    public init(probability: Double) {
        self.probability = probability
        lowSum = -.infinity
        highSum = .infinity
        model = 0
    }

    init(probability: Double, lowSum: Double, highSum: Double, model: UInt) {
        self.probability = probability
        self.lowSum = lowSum
        self.highSum = highSum
        self.model = model
    }

    /// Whether the cut can stop early (it was made by a model whose layout allows it).
    public var stopsEarly: Bool { model != 0 }
}

// MARK: - Threshold conversion

/// Float compare via integer keys, and the conversion of each library's threshold to a key.
enum Threshold {
    /// Order-preserving key: for non-NaN floats a, b: `a > b` iff `key(a) > key(b)`.
    /// -0.0 is folded into +0.0 first (`v + 0`), since the two compare equal as floats.
    /// Range: key(-inf) = -2139095041 ... key(+inf) = 2139095040, so Int32.min / Int32.max are
    /// free to mean "missing, go left" / "missing, go right".
    @inline(__always)
    static func key(_ v: Float) -> Int32 {
        let b = Int32(bitPattern: (v + 0).bitPattern)
        return b ^ ((b &>> 31) & 0x7FFF_FFFF)
    }

    /// The largest Float <= t (round toward -inf). With it, `x <= Float` equals `x <= t` for
    /// every Float x; see the `GBDTModel` doc comment. nil for NaN.
    static func floatAtOrBelow(_ t: Double) -> Float? {
        if t.isNaN { return nil }
        var f = Float(t)  // round to nearest; may round up, or overflow to +inf
        if Double(f) > t { f = f.nextDown }
        return f
    }

    /// LightGBM: right iff `x > t` in double. Valid for t = +-inf too (LightGBM writes `inf`).
    static func lightGBM(_ t: Double) -> Int32? {
        floatAtOrBelow(t).map(key)
    }

    /// XGBoost: left iff `x < v` in float, so right iff `key(x) >= key(v)` iff
    /// `key(x) > key(v) - 1`. No overflow: key(v) >= key(-inf) > Int32.min + 1.
    static func xgboost(_ v: Float) -> Int32? {
        v.isNaN ? nil : key(v) &- 1
    }
}

extension GBDTModel {
    /// For the test suite: does the runtime send float `x` right at LightGBM threshold `t`?
    public static func lightGBMGoesRightForTesting(_ x: Float, threshold t: Double) -> Bool {
        guard let tk = Threshold.lightGBM(t) else { return false }
        return Threshold.key(x) > tk
    }

    /// For the test suite: does the runtime send float `x` right at XGBoost split value `v`?
    public static func xgboostGoesRightForTesting(_ x: Float, splitValue v: Float) -> Bool {
        guard let tk = Threshold.xgboost(v) else { return false }
        return Threshold.key(x) > tk
    }
}
