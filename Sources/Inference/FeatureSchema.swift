/// The feature vector a strategy builds, as the model loader must see it.
///
/// A model is trained on columns in one order; the strategy fills a `[Float]` row in another
/// place, by another person, months later. If those two orders disagree the model still returns
/// a number, just a wrong one, and nothing downstream can tell. So every loader in this module
/// takes the caller's schema and refuses, at start, any model whose feature list is not exactly
/// `names` (same count, same order) or whose `schema_version` is not `version`.
public struct FeatureSchema: Sendable, Equatable {
    /// Feature names in row order: `row[i]` is `names[i]`.
    public var names: [String]
    /// Bumped by whoever changes the meaning of any feature (a new scaling, a new window), even
    /// when the names stay: a model trained on version 2 data must not run on version 3 rows.
    public var version: Int

    public init(names: [String], version: Int) {
        self.names = names
        self.version = version
    }

    public var count: Int { names.count }

    /// Throws `.featureMismatch` naming the first difference, so the log line at start says what
    /// to fix rather than "schema mismatch".
    func check(modelFeatures: [String], path: String) throws(ModelLoadError) {
        if modelFeatures == names { return }
        let expected = Set(names)
        let found = Set(modelFeatures)
        if let missing = names.first(where: { !found.contains($0) }) {
            throw .featureMismatch(path: path, reason:
                "schema feature '\(missing)' is missing from the model (model has \(modelFeatures.count) features, schema \(names.count))")
        }
        if let extra = modelFeatures.first(where: { !expected.contains($0) }) {
            throw .featureMismatch(path: path, reason:
                "model feature '\(extra)' is not in the schema (model has \(modelFeatures.count) features, schema \(names.count))")
        }
        if modelFeatures.count != names.count {
            throw .featureMismatch(path: path, reason:
                "model has \(modelFeatures.count) features, schema \(names.count) (duplicated names?)")
        }
        for i in names.indices where names[i] != modelFeatures[i] {
            throw .featureMismatch(path: path, reason:
                "feature order differs at index \(i): model has '\(modelFeatures[i])', schema expects '\(names[i])'")
        }
    }

    func check(schemaVersion found: Int, path: String) throws(ModelLoadError) {
        if found != version {
            throw .schemaVersionMismatch(path: path, expected: version, found: found)
        }
    }
}

/// Why a model file was refused. Every case carries the path, so one log line is enough.
public enum ModelLoadError: Error, CustomStringConvertible, Equatable {
    /// The file could not be read at all.
    case unreadable(path: String, reason: String)
    /// The file is not a well-formed model of the expected kind (truncated, bad numbers,
    /// inconsistent array lengths, child indices out of range...).
    case malformed(path: String, reason: String)
    /// A format version this build does not know (our own `version`, LightGBM's `version=vN`).
    case unsupportedFormatVersion(path: String, found: String, supported: String)
    /// A well-formed model using something the runtime deliberately does not implement
    /// (categorical splits, multiclass, linear trees, DART...).
    case unsupported(path: String, reason: String)
    /// The model's feature list differs from the caller's `FeatureSchema.names`.
    case featureMismatch(path: String, reason: String)
    /// The model's `schema_version` differs from the caller's `FeatureSchema.version`.
    case schemaVersionMismatch(path: String, expected: Int, found: Int)

    public var description: String {
        switch self {
        case let .unreadable(path, reason):
            return "cannot read model \(path): \(reason)"
        case let .malformed(path, reason):
            return "malformed model \(path): \(reason)"
        case let .unsupportedFormatVersion(path, found, supported):
            return "model \(path) has format version \(found); this build supports \(supported)"
        case let .unsupported(path, reason):
            return "model \(path) uses an unsupported feature: \(reason)"
        case let .featureMismatch(path, reason):
            return "model \(path) does not match the feature schema: \(reason)"
        case let .schemaVersionMismatch(path, expected, found):
            return "model \(path) was built for feature schema version \(found), the caller's schema is version \(expected)"
        }
    }
}
