import TestSupport
import Foundation
import Inference

/// Fixture access through #filePath (the fixtures are excluded from the target, not resources).
enum Fixtures {
    static let dir = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")

    static func path(_ name: String) -> String { dir.appendingPathComponent(name).path }

    struct Manifest: Decodable {
        var n_rows: Int
        var n_features: Int
        var features: [String]
        var schema_version: Int
    }

    static let manifest: Manifest = {
        // Fixture files are part of the repository; a missing one is a broken checkout.
        let data = (try? Data(contentsOf: URL(fileURLWithPath: path("manifest.json")))) ?? Data()
        return (try? JSONDecoder().decode(Manifest.self, from: data))
            ?? Manifest(n_rows: 0, n_features: 0, features: [], schema_version: -1)
    }()

    static var schema: FeatureSchema { FeatureSchema(names: manifest.features, version: manifest.schema_version) }

    static func floats(_ name: String) -> [Float] {
        let data = (try? Data(contentsOf: URL(fileURLWithPath: path(name)))) ?? Data()
        var out = [Float](repeating: 0, count: data.count / 4)
        out.withUnsafeMutableBytes { _ = data.copyBytes(to: $0) }
        return out
    }

    static func doubles(_ name: String) -> [Double] {
        let data = (try? Data(contentsOf: URL(fileURLWithPath: path(name)))) ?? Data()
        var out = [Double](repeating: 0, count: data.count / 8)
        out.withUnsafeMutableBytes { _ = data.copyBytes(to: $0) }
        return out
    }

    static func text(_ name: String) -> String {
        (try? String(contentsOfFile: path(name), encoding: .utf8)) ?? ""
    }

    /// Writes `contents` to a fresh temporary file and returns its path (one folder per test
    /// process, each file under a name of its own).
    static func temp(_ contents: String, name: String) -> String {
        let p = scratchDirectory("tw-infer-tests").appendingPathComponent("\(UUID().uuidString)-\(name)").path
        try? contents.write(toFile: p, atomically: true, encoding: .utf8)
        return p
    }
}

/// Max |swift - expected| over all held-out rows, and the index where it occurs.
func maxAbsError(rows: [Float], features: Int, expected: [Double], _ f: (UnsafePointer<Float>) -> Double) -> (Double, Int) {
    var worst = 0.0, at = -1
    rows.withUnsafeBufferPointer { p in
        for r in 0..<expected.count {
            let v = f(p.baseAddress.unsafelyUnwrapped + r * features)
            let e = abs(v - expected[r])
            if !(e <= worst) { worst = e; at = r }  // NaN counts as worst
        }
    }
    return (worst, at)
}
