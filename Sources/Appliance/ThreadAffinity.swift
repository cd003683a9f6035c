// What the demo reports to show that the hot thread has its core to itself.
import Foundation

/// Where the threads of a process may run, read from /proc (`Cpus_allowed_list` of each task):
/// what the demo's report shows to prove that the hot thread has its core to itself.
public struct ThreadAffinity: Sendable, Codable, Equatable {
    public var process: String
    public var pid: Int32
    public var tid: Int32
    /// The thread's name (`comm`).
    public var thread: String
    public var cpus: [Int]

    /// Every thread of process `pid`, labelled `process`; empty when the process is gone.
    public static func threads(of pid: Int32, process: String) -> [ThreadAffinity] {
        let dir = "/proc/\(pid)/task"
        guard let tids = try? FileManager.default.contentsOfDirectory(atPath: dir) else { return [] }
        var out: [ThreadAffinity] = []
        for t in tids.compactMap({ Int32($0) }).sorted() {
            guard let status = try? String(contentsOfFile: "\(dir)/\(t)/status", encoding: .utf8),
                  let line = status.split(separator: "\n").first(where: { $0.hasPrefix("Cpus_allowed_list:") }),
                  let cpus = parseList(String(line.dropFirst("Cpus_allowed_list:".count)))
            else { continue }
            let comm = (try? String(contentsOfFile: "\(dir)/\(t)/comm", encoding: .utf8))?
                .trimmingCharacters(in: .whitespacesAndNewlines) ?? "?"
            out.append(ThreadAffinity(process: process, pid: pid, tid: t, thread: comm, cpus: cpus))
        }
        return out
    }

    /// "0-2,5" -> [0, 1, 2, 5]; nil when malformed.
    static func parseList(_ s: String) -> [Int]? {
        var cpus: [Int] = []
        for part in s.trimmingCharacters(in: .whitespaces).split(separator: ",") {
            let ends = part.split(separator: "-").map { Int($0.trimmingCharacters(in: .whitespaces)) }
            guard ends.count == 1 || ends.count == 2, let lo = ends.first ?? nil, let hi = ends.last ?? nil, lo <= hi else { return nil }
            cpus += Array(lo...hi)
        }
        return cpus
    }
}
