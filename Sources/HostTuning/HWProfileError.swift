/// Why a profile could not be loaded, with the file and line to fix. Loading stops at the first
/// problem: profiles are short, and one precise message beats a cascade of follow-on errors.
public struct HWProfileError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: String, Sendable, Equatable {
        case fileNotFound
        case unreadable
        case syntax
        case unknownKey
        case missingKey
        case invalidValue
        case conflict
    }

    public let kind: Kind
    /// The profile file (or "<string>" when parsed from memory).
    public let file: String
    /// 1-based line of the offending node, when the YAML parser reported one.
    public let line: Int?
    public let message: String

    public init(_ kind: Kind, file: String, line: Int?, _ message: String) {
        self.kind = kind
        self.file = file
        self.line = line
        self.message = message
    }

    /// "hw-profiles/colo.yaml:12: unknown key 'hot3' in cores (expected one of: hot, hot2, housekeeping)"
    public var description: String {
        if let line { return "\(file):\(line): \(message)" }
        return "\(file): \(message)"
    }
}
