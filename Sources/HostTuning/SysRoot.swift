// Reads of /proc and /sys below a root directory, so every check runs unchanged against the live
// host ("/") and against a fixture tree in tests. Nothing read here is assumed present: a missing or
// unreadable file is nil, and callers turn nil into a finding instead of a crash.
#if canImport(Glibc)
import Glibc
#endif
import Foundation
import TickwireCore

struct SysRoot: Sendable {
    /// The directory that stands for "/"; never ends with a slash ("" for the live host).
    let root: String

    init(_ root: String) {
        var r = root
        while r.count > 1 && r.hasSuffix("/") { r.removeLast() }
        self.root = r == "/" ? "" : r
    }

    /// The last component of a symbolic link's target (a device's `driver` link names its
    /// kernel driver), or nil when there is no such link.
    func linkName(_ hostPath: String) -> String? {
        guard let dest = try? FileManager.default.destinationOfSymbolicLink(atPath: path(hostPath)) else { return nil }
        return dest.split(separator: "/").last.map(String.init)
    }

    /// The on-disk path of an absolute host path ("/proc/cmdline" → "<root>/proc/cmdline").
    func path(_ hostPath: String) -> String { root + hostPath }

    /// The whole file as UTF-8, or nil. procfs and sysfs report a size of 0 or 4096 for files whose
    /// contents are generated on read, so this reads until EOF rather than trusting stat.
    func read(_ hostPath: String, limit: Int = 1 << 20) -> String? { TextFile.read(path(hostPath), limit: limit) }

    /// The first line without surrounding whitespace: the shape of every sysfs attribute.
    func value(_ hostPath: String) -> String? {
        guard let s = read(hostPath, limit: 65536) else { return nil }
        let line = s.split(separator: "\n", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
        return line.trimmingCharacters(in: .whitespaces)
    }

    /// An integer attribute, or nil when the file is missing or does not hold an integer.
    func int(_ hostPath: String) -> Int? { value(hostPath).flatMap { Int($0) } }

    /// Names in a directory (sorted, no dot entries), or nil when it cannot be listed.
    func list(_ hostPath: String) -> [String]? {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: path(hostPath)) else { return nil }
        return names.filter { !$0.hasPrefix(".") }.sorted()
    }

    func exists(_ hostPath: String) -> Bool { FileManager.default.fileExists(atPath: path(hostPath)) }

    /// Names of the form `<prefix><number>` in a directory, as numbers in ascending order
    /// ("cpu12", "node1", "state3"): sysfs mixes them with other entries ("cpufreq", "online").
    func numberedEntries(_ hostPath: String, prefix: String) -> [Int]? {
        guard let names = list(hostPath) else { return nil }
        return names.compactMap { name -> Int? in
            guard name.hasPrefix(prefix) else { return nil }
            return Int(name.dropFirst(prefix.count))
        }.sorted()
    }
}
