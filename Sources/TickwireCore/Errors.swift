// Typed errors for set-up calls. Fast-path calls never throw: they return counts.

/// A failed system or library call during set-up, with the call named and the errno it gave.
public struct SystemError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The call that failed, e.g. "rte_eth_dev_configure(port 0)".
    public let call: String
    /// The errno (positive), or 0 when the call gave no errno.
    public let errno: Int32
    /// A human-readable reason (from strerror/rte_strerror or the library).
    public let reason: String

    public init(call: String, errno: Int32, reason: String) {
        self.call = call
        self.errno = errno
        self.reason = reason
    }

    public var description: String {
        errno == 0 ? "\(call) failed: \(reason)" : "\(call) failed: \(reason) (errno \(errno))"
    }
}

/// A configuration the code refuses to run with (a wrong profile, an impossible size).
public struct ConfigurationError: Error, CustomStringConvertible, Equatable, Sendable {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
