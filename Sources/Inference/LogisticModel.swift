import Foundation

/// Logistic regression: `p = sigmoid(intercept + sum(coef[i] * x[i]))`.
///
/// Coefficients live in one allocation owned by the model and are read through a raw pointer:
/// the predict path is a dot product (in Double, so it matches scikit-learn's float64 arithmetic
/// to ~1e-15) plus one `exp`, with no allocation, no bounds checks, no reference counting.
///
/// File format (`kind: "logistic"`): the tickwire envelope plus `"coef": [Double]` (one per
/// feature, in feature order) and `"intercept": Double`. scikit-learn's `coef_[0]` and
/// `intercept_[0]` map directly.
public final class LogisticModel: @unchecked Sendable {
    // Immutable after init; @unchecked because of the raw pointer, not because of mutation.
    private let coef: UnsafeMutablePointer<Double>
    public let featureCount: Int
    public let intercept: Double
    public let featureNames: [String]

    /// Builds a model from coefficients already in schema order (tests, benches, hand-fitted
    /// models). Loaders go through `load(path:schema:)`.
    public init(coefficients: [Double], intercept: Double, featureNames: [String]) {
        precondition(coefficients.count == featureNames.count, "one coefficient per feature")
        featureCount = coefficients.count
        coef = .allocate(capacity: max(1, featureCount))
        coef.initialize(repeating: 0, count: max(1, featureCount))
        for i in 0..<featureCount { coef[i] = coefficients[i] }
        self.intercept = intercept
        self.featureNames = featureNames
    }

    deinit { coef.deallocate() }

    private struct Body: Decodable {
        var coef: [Double]
        var intercept: Double
    }

    /// Loads a `kind: "logistic"` tickwire-model file and checks it against `schema`.
    public static func load(path: String, schema: FeatureSchema) throws(ModelLoadError) -> LogisticModel {
        let data = try ModelFile.read(path)
        let env = try ModelFile.envelope(data: data, path: path, kind: "logistic", schema: schema)
        let body = try ModelFile.decode(Body.self, from: data, path: path)
        guard body.coef.count == env.features.count else {
            throw .malformed(path: path, reason: "\(body.coef.count) coefficients for \(env.features.count) features")
        }
        guard body.coef.allSatisfy(\.isFinite), body.intercept.isFinite else {
            throw .malformed(path: path, reason: "non-finite coefficient or intercept")
        }
        return LogisticModel(coefficients: body.coef, intercept: body.intercept, featureNames: env.features)
    }

    /// Decision value (log-odds). `x` must point at `featureCount` floats in schema order.
    public func predictRaw(_ x: UnsafePointer<Float>) -> Double {
        rawImpl(x)
    }

    /// Probability of the positive class.
    public func predictProbability(_ x: UnsafePointer<Float>) -> Double {
        sigmoid(rawImpl(x))
    }

    @inline(__always)
    private func rawImpl(_ x: UnsafePointer<Float>) -> Double {
        // Four accumulators break the add dependency chain (a single one is latency-bound at
        // 4 cycles per feature); the summation order differs from numpy's by a few ulps only.
        var s0 = 0.0, s1 = 0.0, s2 = 0.0, s3 = 0.0
        var i = 0
        let n = featureCount
        while i &+ 4 <= n {
            s0 += coef[i] * Double(x[i])
            s1 += coef[i &+ 1] * Double(x[i &+ 1])
            s2 += coef[i &+ 2] * Double(x[i &+ 2])
            s3 += coef[i &+ 3] * Double(x[i &+ 3])
            i &+= 4
        }
        while i < n {
            s0 += coef[i] * Double(x[i])
            i &+= 1
        }
        return intercept + ((s0 + s1) + (s2 + s3))
    }
}
