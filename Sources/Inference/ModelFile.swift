import Foundation

/// Our own model envelope, shared by the logistic, MLP and GBDT-wrapper files:
///
///     {"format": "tickwire-model", "version": 1, "kind": "logistic" | "mlp" | "gbdt",
///      "schema_version": 3, "features": ["f00_imb", ...], ...kind-specific fields}
///
/// `version` is the version of this file format (only 1 exists); `schema_version` is the version
/// of the feature schema the model was trained against and must equal `FeatureSchema.version`.
/// Both are required: a file without them is refused rather than guessed at.
struct ModelEnvelope: Decodable {
    var format: String
    var version: Int
    var kind: String
    var schema_version: Int
    var features: [String]
}

enum ModelFile {
    static let formatName = "tickwire-model"
    static let supportedVersion = 1

    static func read(_ path: String) throws(ModelLoadError) -> Data {
        guard FileManager.default.fileExists(atPath: path) else { throw .unreadable(path: path, reason: "no such file") }
        do {
            return try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw .unreadable(path: path, reason: error.localizedDescription)
        }
    }

    /// Decodes `T` from JSON, turning DecodingError into a one-line `.malformed` reason.
    static func decode<T: Decodable>(_ type: T.Type, from data: Data, path: String) throws(ModelLoadError) -> T {
        do {
            return try JSONDecoder().decode(T.self, from: data)
        } catch let error as DecodingError {
            throw .malformed(path: path, reason: describe(error))
        } catch {
            throw .malformed(path: path, reason: String(describing: error))
        }
    }

    /// Reads and validates the envelope: format name, format version, kind, schema version and
    /// feature list, in that order, so the first error is the most fundamental one.
    static func envelope(data: Data, path: String, kind: String, schema: FeatureSchema) throws(ModelLoadError) -> ModelEnvelope {
        let env = try decode(ModelEnvelope.self, from: data, path: path)
        guard env.format == formatName else {
            throw .malformed(path: path, reason: "format is '\(env.format)', expected '\(formatName)'")
        }
        guard env.version == supportedVersion else {
            throw .unsupportedFormatVersion(path: path, found: String(env.version), supported: String(supportedVersion))
        }
        guard env.kind == kind else {
            throw .malformed(path: path, reason: "kind is '\(env.kind)', expected '\(kind)'")
        }
        try schema.check(schemaVersion: env.schema_version, path: path)
        try schema.check(modelFeatures: env.features, path: path)
        return env
    }

    static func describe(_ error: DecodingError) -> String {
        func at(_ ctx: DecodingError.Context) -> String {
            let p = ctx.codingPath.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined()
            return p.isEmpty ? "" : " at \(p)"
        }
        switch error {
        case let .keyNotFound(key, ctx): return "missing field '\(key.stringValue)'\(at(ctx))"
        case let .typeMismatch(_, ctx): return "wrong type\(at(ctx)): \(ctx.debugDescription)"
        case let .valueNotFound(_, ctx): return "null value\(at(ctx))"
        case let .dataCorrupted(ctx): return "invalid JSON\(at(ctx)): \(ctx.debugDescription)"
        @unknown default: return String(describing: error)
        }
    }
}

/// `1 / (1 + e^-x)`, in Double: the last step of every binary model here.
@inline(__always)
func sigmoid(_ x: Double) -> Double { 1.0 / (1.0 + exp(-x)) }
