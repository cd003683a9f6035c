// ITCH BinaryFILE reading: a walker that cuts a whole file's bytes into message slices, and a
// loader for the file itself (set-up code: it allocates and throws; the walker does neither).
//
// BinaryFILE puts a 2-byte big-endian length before each message. Some files (e.g. RITCH's test
// file) carry 0 in every prefix; those can only be walked by taking each length from the type
// table, which stops at the first type it does not know.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
public import TickwireCore

/// Cuts a whole BinaryFILE into message slices (each starting at its type byte). Never traps: a
/// cut-short last message, or an unknown type in `.typeTable` mode, ends the walk and is
/// reported in `status`.
public struct ITCHFileWalker: IteratorProtocol {
    public enum Framing: Hashable, Sendable {
        /// Each message's length is its 2-byte big-endian prefix.
        case lengthPrefixed
        /// The 2-byte prefix is skipped; the length comes from `ITCH.messageLength(type:)`.
        case typeTable
        /// `.typeTable` when the first prefix is 0 and a known type byte follows it, else
        /// `.lengthPrefixed` (see `detect`).
        case auto
    }

    public enum Status: Hashable, Sendable {
        /// More messages may follow.
        case walking
        /// Every byte was consumed.
        case finished
        /// The last message is cut short: `remaining` bytes (prefix included) were left unread.
        case truncatedTail(remaining: Int)
        /// `.typeTable` mode met a type byte with no known length at `offset` (of its prefix).
        case unknownType(UInt8, offset: Int)
    }

    /// The whole file.
    public let bytes: UnsafeRawBufferPointer
    /// The framing in use (never `.auto`).
    public let framing: Framing
    /// Offset of the next length prefix.
    public var offset: Int { _offset }
    /// Messages returned so far.
    public var messages: Int { _messages }
    public var status: Status { _status }
    // Stored behind the read-only views above, visible to `next`'s inlined body: the walk is
    // inlined into its loop in another module (the backtester's), one call less per message.
    @usableFromInline var _offset = 0
    @usableFromInline var _messages = 0
    @usableFromInline var _status: Status = .walking

    public init(_ bytes: UnsafeRawBufferPointer, framing: Framing = .auto) {
        self.bytes = bytes
        self.framing = framing == .auto ? Self.detect(bytes) : framing
    }

    /// The framing of a BinaryFILE: `.typeTable` if its first length prefix is 0 and a known ITCH
    /// type byte follows, else `.lengthPrefixed`.
    public static func detect(_ bytes: UnsafeRawBufferPointer) -> Framing {
        guard bytes.count >= 3, bytes[0] == 0, bytes[1] == 0, ITCH.messageLength(type: bytes[2]) != 0 else {
            return .lengthPrefixed
        }
        return .typeTable
    }

    /// Whether the walk ended on a message cut short.
    public var truncatedTail: Bool {
        if case .truncatedTail = status { return true }
        return false
    }

    /// Bytes not yet walked.
    public var remaining: Int { bytes.count - offset }

    /// The next message (type byte first, exactly its framed length), or nil at the end; a
    /// length-prefixed message of length 0 comes back as an empty slice.
    @inlinable @inline(__always)
    public mutating func next() -> UnsafeRawBufferPointer? {
        guard case .walking = _status else { return nil }
        let left = bytes.count - _offset
        guard left > 0, let base = bytes.baseAddress else {
            _status = .finished
            return nil
        }
        let length: Int
        if framing == .typeTable {
            guard left >= 3 else { return endTruncated(left) }
            let type = base.load(fromByteOffset: _offset + 2, as: UInt8.self)
            length = ITCH.messageLength(type: type)
            guard length != 0 else {
                _status = .unknownType(type, offset: _offset)
                return nil
            }
        } else {
            guard left >= 2 else { return endTruncated(left) }
            length = Int(base.loadUnaligned(fromByteOffset: _offset, as: UInt16.self).bigEndian)
        }
        guard left - 2 >= length else { return endTruncated(left) }
        let message = UnsafeRawBufferPointer(start: base + _offset + 2, count: length)
        _offset += 2 + length
        _messages += 1
        return message
    }

    @usableFromInline
    mutating func endTruncated(_ left: Int) -> UnsafeRawBufferPointer? {
        _status = .truncatedTail(remaining: left)
        return nil
    }
}

/// Loading ITCH files whole (set-up code, not the hot path).
public enum ITCHFile {
    /// The file's bytes. Throws a `SystemError` naming the call and the path (e.g.
    /// "open(/x/y) failed: No such file or directory (errno 2)").
    public static func load(path: String) throws(SystemError) -> [UInt8] {
        let fd = try Syscall.checked("open(\(path))") { open(path, O_RDONLY | O_CLOEXEC) }
        defer { Syscall.close(fd) }

        var info = stat()
        let size = (try? Syscall.checked("fstat(\(path))") { fstat(fd, &info) }) != nil ? Int(info.st_size) : 0
        // One byte more than the size, so that the read seeing end-of-file needs no growth.
        var bytes = [UInt8](repeating: 0, count: max(size + 1, 1 << 16))
        var filled = 0
        while true {
            if filled == bytes.count { bytes.append(contentsOf: repeatElement(0, count: bytes.count)) }
            let got = bytes.withUnsafeMutableBytes { buf in
                Syscall.call("read(\(path))") { read(fd, buf.baseAddress! + filled, buf.count - filled) }
            }
            let n: Int
            switch got {
            case .success(let k): n = k
            case .failure(let e): throw e.error("read(\(path))")
            }
            if n == 0 { break }
            filled += n
        }
        bytes.removeLast(bytes.count - filled)
        return bytes
    }
}

/// An ITCH file mapped read-only instead of read whole: a day of hundreds of millions of
/// messages is walked once, front to back, without an anonymous copy of its gigabytes (its
/// pages stay the page cache's, reclaimable behind the walk). For offline tools (`events`,
/// `record-features`); a file that cannot be mapped (a pipe, an empty file) is read instead.
public final class MappedITCHFile {
    private let base: UnsafeMutableRawPointer?
    private let size: Int
    private let copy: [UInt8]

    public init(path: String) throws(SystemError) {
        let fd = try Syscall.checked("open(\(path))") { open(path, O_RDONLY | O_CLOEXEC) }
        defer { Syscall.close(fd) }
        var info = stat()
        _ = try Syscall.checked("fstat(\(path))") { fstat(fd, &info) }
        let regular = (info.st_mode & S_IFMT) == S_IFREG
        if regular && info.st_size > 0, let p = mmap(nil, Int(info.st_size), PROT_READ, MAP_PRIVATE, fd, 0), p != MAP_FAILED {
            _ = madvise(p, Int(info.st_size), MADV_SEQUENTIAL)
            base = p
            size = Int(info.st_size)
            copy = []
        } else {
            base = nil
            size = 0
            copy = try ITCHFile.load(path: path)
        }
    }

    deinit {
        if let base { munmap(base, size) }
    }

    public func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        if let base { return try body(UnsafeRawBufferPointer(start: base, count: size)) }
        return try copy.withUnsafeBytes(body)
    }
}
