// Whole-file reads: small ones of /proc and /sys for set-up and diagnostics (`read`, capped),
// and data files of any size (`readWhole`: decision logs, fills, the records a run leaves).
// Never the hot path.
#if canImport(Glibc)
import Glibc
#endif

public enum TextFile {
    /// The file's contents as UTF-8, or nil when it cannot be opened or read; at most about
    /// `limit` bytes (a /proc or /sys file, a configuration). A data file: `readWhole`.
    public static func read(_ path: String, limit: Int = 1 << 22) -> String? {
        guard case .success(let fd) = Syscall.call("open(\(path))", { open(path, O_RDONLY | O_CLOEXEC) }) else { return nil }
        defer { Syscall.close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while bytes.count < limit {
            let read = chunk.withUnsafeMutableBytes { b in Syscall.call("read(\(path))") { Glibc.read(fd, b.baseAddress, b.count) } }
            guard case .success(let n) = read else { return nil }
            if n == 0 { break }
            bytes.append(contentsOf: chunk[0..<n])
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The whole of a data file (a decision log, a fills CSV: tens of megabytes after a long
    /// run), or nil when it cannot be opened or read. `read`'s cap cut a 20-s run's 5 MB
    /// decision log at 4 MiB without a word.
    public static func readWhole(_ path: String) -> String? {
        read(path, limit: .max)
    }

    /// The first line of the file without surrounding whitespace (sysfs values), or nil.
    public static func value(_ path: String) -> String? {
        guard let s = read(path, limit: 65536) else { return nil }
        let line = s.split(separator: "\n", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
        return String(line.trimmingCharacters())
    }
}

extension Substring {
    func trimmingCharacters() -> Substring {
        var s = self
        while let f = s.first, f.isWhitespace { s.removeFirst() }
        while let l = s.last, l.isWhitespace { s.removeLast() }
        return s
    }
}
