// A plain buffered CSV writer for the training sets: numbers only, no quoting needed. Floats
// are written in Swift's shortest round-tripping form, so a float32 feature read back as
// float32 is the very value the runtime saw.
#if canImport(Glibc)
import Glibc
#endif
public import TickwireCore

public final class CSVWriter {
    public let path: String
    let file: UnsafeMutablePointer<FILE>
    var buffer: [UInt8] = []
    var first = true
    public private(set) var rows = 0

    public init(path: String, header: [String]) throws(SystemError) {
        guard let f = fopen(path, "w") else {
            throw Errno(errno).error("fopen(\(path))")
        }
        self.path = path
        file = f
        buffer.reserveCapacity(1 << 20)
        buffer.append(contentsOf: header.joined(separator: ",").utf8)
        buffer.append(UInt8(ascii: "\n"))
    }

    deinit { fclose(file) }

    @inline(__always)
    func separator() {
        if first { first = false } else { buffer.append(UInt8(ascii: ",")) }
    }

    public func field(_ v: UInt64) {
        separator()
        buffer.append(contentsOf: String(v).utf8)
    }

    public func field(_ v: Float) {
        separator()
        buffer.append(contentsOf: v.description.utf8)
    }

    public func field(_ v: Double) {
        separator()
        buffer.append(contentsOf: v.description.utf8)
    }

    public func endRow() {
        buffer.append(UInt8(ascii: "\n"))
        first = true
        rows += 1
        if buffer.count >= 1 << 20 { flush() }
    }

    func flush() {
        if !buffer.isEmpty { _ = buffer.withUnsafeBytes { fwrite($0.baseAddress, 1, $0.count, file) } }
        buffer.removeAll(keepingCapacity: true)
    }

    /// Writes what is buffered; throws when the disk refused any of it.
    public func close() throws(SystemError) {
        flush()
        if fflush(file) != 0 || ferror(file) != 0 {
            throw Errno(errno).error("fwrite(\(path))")
        }
    }
}

/// An ITCH 5.0 BinaryFILE writer: each message behind its 2-byte big-endian length, buffered.
public final class ITCHFileWriter {
    public let path: String
    let file: UnsafeMutablePointer<FILE>
    var buffer: [UInt8] = []
    public private(set) var messages = 0
    public private(set) var failed = false

    public init(path: String) throws(SystemError) {
        guard let f = fopen(path, "w") else {
            throw Errno(errno).error("fopen(\(path))")
        }
        self.path = path
        file = f
        buffer.reserveCapacity(1 << 20)
    }

    deinit { fclose(file) }

    public func write(_ m: UnsafeRawBufferPointer) {
        buffer.append(UInt8(truncatingIfNeeded: m.count >> 8))
        buffer.append(UInt8(truncatingIfNeeded: m.count))
        buffer.append(contentsOf: m)
        messages += 1
        if buffer.count >= 1 << 20 { flush() }
    }

    func flush() {
        if !buffer.isEmpty {
            let n = buffer.withUnsafeBytes { fwrite($0.baseAddress, 1, $0.count, file) }
            if n != buffer.count { failed = true }
        }
        buffer.removeAll(keepingCapacity: true)
    }

    /// Writes what is buffered and flushes the stream; throws if any write failed.
    public func finish() throws(SystemError) {
        flush()
        if fflush(file) != 0 || failed { throw Errno(errno).error("write(\(path))") }
    }
}
