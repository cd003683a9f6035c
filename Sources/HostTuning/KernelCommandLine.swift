import TickwireCore
import Foundation

/// The parameters of a kernel command line (/proc/cmdline). Later occurrences win, as in the
/// kernel; everything after a bare "--" belongs to init and is ignored.
struct KernelCommandLine: Sendable {
    let raw: String
    private(set) var values: [String: String?] = [:]

    init(_ raw: String) {
        self.raw = raw.trimmingCharacters(in: .whitespacesAndNewlines)
        for word in self.raw.split(whereSeparator: \.isWhitespace) {
            if word == "--" { break }
            if let eq = word.firstIndex(of: "=") {
                values[String(word[..<eq])] = String(word[word.index(after: eq)...])
            } else {
                values[String(word)] = .some(nil)
            }
        }
    }

    /// The value of `key=value`; nil when absent or given without a value.
    func value(_ key: String) -> String? { values[key] ?? nil }

    /// The parameter as written ("isolcpus=2-3"), for findings.
    func shown(_ key: String) -> String {
        guard let v = values[key] else { return "no \(key)=" }
        return v.map { "\(key)=\($0)" } ?? key
    }

    /// The CPUs of a CPU-list parameter, ignoring isolcpus-style flags ("managed_irq,domain,2-3").
    func cpus(_ key: String) -> [Int]? {
        guard let v = value(key) else { return nil }
        let flags: Set<String> = ["nohz", "domain", "managed_irq"]
        let list = v.split(separator: ",").filter { !flags.contains(String($0)) }.joined(separator: ",")
        return CPUList.parse(list)
    }
}
