import Foundation

/// A small dense network in float32: hidden layers with one activation (ReLU by default), one
/// output unit with a logistic (probability) or identity (raw) output.
///
/// Weights are stored output-major (`W[o][i]`), each row padded with zeros to a multiple of 8, in
/// one 32-byte-aligned allocation; a unit is a dot product of SIMD8<Float> chunks. Activations
/// ping-pong between two stack buffers, so a prediction allocates nothing. Float32 accumulation
/// differs from scikit-learn's float64 by ~1e-7 relative on the output; parity tests hold it to
/// 1e-5.
///
/// File format (`kind: "mlp"`): the tickwire envelope plus scikit-learn's own arrays:
/// `"coef": [[[Double]]]` (one `in x out` matrix per layer, `coefs_`), `"intercept": [[Double]]`
/// (`intercepts_`), `"activation": "relu" | "tanh" | "logistic" | "identity"` (hidden layers),
/// `"output_activation": "logistic" | "identity"`.
public final class MLPModel: @unchecked Sendable {
    public enum Activation: String, Sendable {
        case relu, tanh, logistic, identity
    }

    public let featureNames: [String]
    public var featureCount: Int { featureNames.count }
    /// Units per layer, input first: e.g. [20, 32, 16, 1].
    public let layerSizes: [Int]
    public let hiddenActivation: Activation
    public let outputActivation: Activation

    private let weights: UnsafeMutablePointer<Float>
    private let biases: UnsafeMutablePointer<Float>
    // Per-layer geometry, copied into a small raw table so the predict loop reads no Array.
    private let geometry: UnsafeMutablePointer<Int>  // [in, inPadded, out, weightOffset, biasOffset] per layer
    private let layerCount: Int
    private let maxPadded: Int

    /// `coef[l]` is `in x out` (scikit-learn layout), `intercept[l]` has `out` entries.
    public convenience init(featureNames: [String], coef: [[[Double]]], intercept: [[Double]],
                hiddenActivation: Activation, outputActivation: Activation) throws(ModelLoadError) {
        try self.init(featureNames: featureNames, coef: coef, intercept: intercept,
                      hiddenActivation: hiddenActivation, outputActivation: outputActivation, path: "<memory>")
    }

    init(featureNames: [String], coef: [[[Double]]], intercept: [[Double]],
         hiddenActivation: Activation, outputActivation: Activation, path: String) throws(ModelLoadError) {
        func fail(_ r: String) -> ModelLoadError { .malformed(path: path, reason: r) }
        guard !coef.isEmpty, coef.count == intercept.count else {
            throw fail("\(coef.count) weight matrices, \(intercept.count) bias vectors")
        }
        var sizes = [featureNames.count]
        for (l, m) in coef.enumerated() {
            guard m.count == sizes[l] else { throw fail("layer \(l) has \(m.count) inputs, expected \(sizes[l])") }
            let out = intercept[l].count
            guard out > 0, m.allSatisfy({ $0.count == out }) else { throw fail("layer \(l): ragged matrix or bias size mismatch") }
            guard m.allSatisfy({ $0.allSatisfy(\.isFinite) }), intercept[l].allSatisfy(\.isFinite) else {
                throw fail("layer \(l): non-finite weight")
            }
            sizes.append(out)
        }
        guard sizes.last == 1 else {
            throw .unsupported(path: path, reason: "output layer has \(sizes.last ?? 0) units; only a single output is supported")
        }
        guard outputActivation == .logistic || outputActivation == .identity else {
            throw .unsupported(path: path, reason: "output activation '\(outputActivation.rawValue)'")
        }
        self.featureNames = featureNames
        layerSizes = sizes
        self.hiddenActivation = hiddenActivation
        self.outputActivation = outputActivation
        layerCount = coef.count
        let pad = { (n: Int) in (n + 7) & ~7 }
        maxPadded = sizes.map(pad).max() ?? 8
        var wTotal = 0, bTotal = 0
        geometry = .allocate(capacity: 5 * layerCount)
        for l in 0..<layerCount {
            let inN = sizes[l], out = sizes[l + 1]
            geometry[5 * l] = inN
            geometry[5 * l + 1] = pad(inN)
            geometry[5 * l + 2] = out
            geometry[5 * l + 3] = wTotal
            geometry[5 * l + 4] = bTotal
            wTotal += out * pad(inN)
            bTotal += out
        }
        let raw = UnsafeMutableRawPointer.allocate(byteCount: max(1, wTotal) * 4, alignment: 32)
        weights = raw.bindMemory(to: Float.self, capacity: max(1, wTotal))
        weights.initialize(repeating: 0, count: max(1, wTotal))
        biases = .allocate(capacity: bTotal)
        for l in 0..<layerCount {
            let inN = sizes[l], out = sizes[l + 1], ip = pad(inN)
            let w = weights + geometry[5 * l + 3]
            for o in 0..<out {
                for i in 0..<inN { w[o * ip + i] = Float(coef[l][i][o]) }
                biases[geometry[5 * l + 4] + o] = Float(intercept[l][o])
            }
        }
    }

    deinit {
        UnsafeMutableRawPointer(weights).deallocate()
        biases.deallocate()
        geometry.deallocate()
    }

    private struct Body: Decodable {
        var coef: [[[Double]]]
        var intercept: [[Double]]
        var activation: String?
        var output_activation: String?
    }

    /// Loads a `kind: "mlp"` tickwire-model file and checks it against `schema`.
    public static func load(path: String, schema: FeatureSchema) throws(ModelLoadError) -> MLPModel {
        let data = try ModelFile.read(path)
        let env = try ModelFile.envelope(data: data, path: path, kind: "mlp", schema: schema)
        let body = try ModelFile.decode(Body.self, from: data, path: path)
        guard let hidden = Activation(rawValue: body.activation ?? "relu") else {
            throw .unsupported(path: path, reason: "activation '\(body.activation ?? "")'")
        }
        guard let output = Activation(rawValue: body.output_activation ?? "logistic") else {
            throw .unsupported(path: path, reason: "output activation '\(body.output_activation ?? "")'")
        }
        return try MLPModel(featureNames: env.features, coef: body.coef, intercept: body.intercept,
                            hiddenActivation: hidden, outputActivation: output, path: path)
    }

    /// Pre-activation value of the output unit (the logit for a logistic output).
    public func predictRaw(_ x: UnsafePointer<Float>) -> Double {
        withUnsafeTemporaryAllocation(of: SIMD8<Float>.self, capacity: 2 &* (maxPadded &>> 3)) { buf -> Double in
            let base = UnsafeMutableRawPointer(buf.baseAddress.unsafelyUnwrapped).assumingMemoryBound(to: Float.self)
            return forward(x, a: base, b: base + maxPadded)
        }
    }

    /// Output after `outputActivation` (the probability for a logistic output).
    public func predictProbability(_ x: UnsafePointer<Float>) -> Double {
        let r = predictRaw(x)
        return outputActivation == .logistic ? sigmoid(r) : r
    }

    @inline(__always)
    private func forward(_ x: UnsafePointer<Float>, a: UnsafeMutablePointer<Float>, b: UnsafeMutablePointer<Float>) -> Double {
        var src = a, dst = b
        let n0 = geometry[0], p0 = geometry[1]
        for i in 0..<n0 { src[i] = x[i] }
        for i in n0..<p0 { src[i] = 0 }
        var l = 0
        while true {
            let g = geometry + 5 &* l
            let ip = g[1], out = g[2]
            let w = UnsafeRawPointer(weights + g[3])
            let bias = biases + g[4]
            let s = UnsafeRawPointer(src)
            let last = l == layerCount &- 1
            for o in 0..<out {
                var acc = SIMD8<Float>()
                let row = w + o &* ip &* 4
                var i = 0
                while i < ip {
                    // Multiply then add, not addProduct: without -mfma, addProduct becomes eight
                    // calls to libm's fmaf.
                    acc += row.loadUnaligned(fromByteOffset: i &* 4, as: SIMD8<Float>.self)
                        * s.loadUnaligned(fromByteOffset: i &* 4, as: SIMD8<Float>.self)
                    i &+= 8
                }
                let h = acc.lowHalf + acc.highHalf
                let q = h.lowHalf + h.highHalf
                let v = (q[0] + q[1]) + bias[o]
                if last { return Double(v) }
                dst[o] = Self.activate(v, hiddenActivation)
            }
            let np = (out &+ 7) & ~7
            var i = out
            while i < np { dst[i] = 0; i &+= 1 }
            swap(&src, &dst)
            l &+= 1
        }
    }

    @inline(__always)
    private static func activate(_ v: Float, _ a: Activation) -> Float {
        switch a {
        case .relu: return max(v, 0)
        case .identity: return v
        case .tanh: return Float(Foundation.tanh(Double(v)))
        case .logistic: return Float(1 / (1 + exp(-Double(v))))
        }
    }
}
