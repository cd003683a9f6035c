import CShims
import Foundation
import Testing
import TickwireCore

/// The feature row's vector log1p (CShims/log1p.c) against the scalar log1p it replaces: as
/// Floats (what a row stores) they must be the same bits, on a million draws over the ranges a
/// rate takes and on the edge cases.
struct VectorLog1pTests {

    func check(_ xs: [Double]) -> [String] {
        var bad: [String] = []
        var i = 0
        while i + 4 <= xs.count {
            var v = SIMD4<Double>(xs[i], xs[i + 1], xs[i + 2], xs[i + 3])
            withUnsafeMutablePointer(to: &v) { p in p.withMemoryRebound(to: Double.self, capacity: 4) { tw_log1p4($0, $0) } }
            for j in 0..<4 {
                let want = Float(log1p(xs[i + j])), got = Float(v[j])
                if !(want.bitPattern == got.bitPattern || (want.isNaN && got.isNaN)) {
                    bad.append("log1p(\(xs[i + j])): \(got) against \(want)")
                }
            }
            i += 4
        }
        return bad
    }

    @Test func aMillionDrawsRoundToTheSameFloats() {
        var rng = SplitMix64(state: 19)
        var xs: [Double] = []
        xs.reserveCapacity(1 << 20)
        for k in 0..<(1 << 20) {
            let u = Double(rng.next() >> 11) / Double(1 << 53)
            switch k % 4 {
            case 0: xs.append(pow(10, -12 + 21 * u))       // rates, log-uniform over 1e-12 ... 1e9
            case 1: xs.append(Double(rng.next() >> 40))     // whole counts to 2^24
            case 2: xs.append(u * 4)                       // around the bend of log1p
            default: xs.append(-0.999 * u)                 // negative, above -1
            }
        }
        let bad = check(xs)
        #expect(bad.isEmpty, "\(bad.count) differ, first: \(bad.prefix(3))")
    }

    @Test func edgeCasesAgree() {
        let xs: [Double] = [0, -0.0, .leastNonzeroMagnitude, .leastNormalMagnitude, 1e-300, 1e-17, 1e-8, 0.5,
                            1, 2, 1e15, 1e300, .greatestFiniteMagnitude, .infinity, .nan, -0.5,
                            -1, -2, -.infinity, 3.0e-5]
        let bad = check(xs)
        #expect(bad.isEmpty, "\(bad)")
    }
}
