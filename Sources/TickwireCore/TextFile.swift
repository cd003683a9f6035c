// Small, whole-file reads of /proc and /sys for set-up and diagnostics (never the hot path).
#if canImport(Glibc)
import Glibc
#endif

public enum TextFile {
    /// The file's contents as UTF-8, or nil when it cannot be opened or read.
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
