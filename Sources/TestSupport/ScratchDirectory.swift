// Scratch directories for the tests: one per name and test process, removed when the process
// exits, so that `make test` leaves nothing in /tmp (each run wrote about 100 MB of demo
// outputs, captures, journals and reports there before).
public import Foundation
import Synchronization

private let scratchDirectories = Mutex<(atexit: Bool, paths: Set<String>)>((false, []))

/// `$TMPDIR/<name>-<pid>`, made if missing; it and everything in it are removed when the test
/// process exits (every directory this returned, by one `atexit` handler).
public func scratchDirectory(_ name: String) -> URL {
    let d = FileManager.default.temporaryDirectory.appendingPathComponent("\(name)-\(getpid())")
    try? FileManager.default.createDirectory(at: d, withIntermediateDirectories: true)
    let first = scratchDirectories.withLock { s -> Bool in
        s.paths.insert(d.path)
        defer { s.atexit = true }
        return !s.atexit
    }
    if first {
        atexit {
            for p in scratchDirectories.withLock({ $0.paths }) { try? FileManager.default.removeItem(atPath: p) }
        }
    }
    return d
}
