// Capture files: the file backend of the packet I/O layer.
//
// Reading goes through libpcap (CShims' tw_pcap_*), which understands classic pcap with
// microsecond or nanosecond timestamps and pcapng; every timestamp reaches Swift in ns since the
// Unix epoch. Classic pcap is written through libpcap too. libpcap cannot write pcapng, so the
// pcapng writer below is plain Swift over open(2)/write(2): a Section Header Block, one Interface
// Description Block with if_tsresol = 9 (ns) and one Enhanced Packet Block per frame, all
// little-endian, padded to 32 bits, with the block total length at both ends.
//
// Ownership: a PcapReader owns its libpcap handle and its arena, a PcapWriter its dumper or file
// descriptor and buffer; both release them in deinit. Neither is Sendable: one thread owns each.
// Setup errors and I/O errors are thrown as CaptureError naming the failing call.
public import CShims
import Glibc
import TickwireCore

// MARK: - Errors and formats

/// A capture file operation that failed: which call, on which file, and why.
public struct CaptureError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The failing call: a libpcap function (`pcap_next_ex`), a system call (`open`, `write`) or,
    /// for an argument this file refuses, the Swift API (`PcapWriter.write`).
    public let call: String
    public let path: String
    public let message: String

    public init(call: String, path: String, message: String) {
        self.call = call
        self.path = path
        self.message = message
    }

    public var description: String { "\(call) (\(path)): \(message)" }
}

/// The on-disk formats a PcapWriter writes and PcapReader.detectFormat recognises.
public enum CaptureFormat: Sendable {
    /// Classic pcap, microsecond timestamps (magic a1b2c3d4).
    case pcapMicro
    /// Classic pcap, nanosecond timestamps (magic a1b23c4d).
    case pcapNano
    /// pcapng (Section Header Block type 0a0d0d0a); written with nanosecond timestamps.
    case pcapng
}

private func errnoText(_ code: Int32) -> String { Errno(code).description }

private func cString(_ buffer: [CChar]) -> String {
    buffer.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
}

// MARK: - System calls (through TickwireCore's Syscall: EINTR retried, a bug's errno a precondition)

private enum FileIO {
    /// open(2); returns the descriptor or -errno.
    static func open(_ path: String, flags: Int32, mode: mode_t = 0) -> Int32 {
        switch Syscall.call("open(\(path))", { Glibc.open(path, flags | O_CLOEXEC, mode) }) {
        case .success(let fd): fd
        case .failure(let e): -e.code
        }
    }

    /// read(2) until `count` bytes or end of file; returns the bytes read or -errno.
    static func readFully(_ fd: Int32, _ buffer: UnsafeMutableRawPointer, _ count: Int) -> Int {
        var done = 0
        while done < count {
            switch Syscall.call("read(\(fd))", { Glibc.read(fd, buffer + done, count - done) }) {
            case .success(0): return done
            case .success(let n): done += n
            case .failure(let e): return -Int(e.code)
            }
        }
        return done
    }

    /// write(2) of one chunk; returns the bytes written (> 0) or -errno.
    static func write(_ fd: Int32, _ buffer: UnsafeRawPointer, _ count: Int) -> Int {
        switch Syscall.call("write(\(fd))", { Glibc.write(fd, buffer, count) }) {
        case .success(0): -Int(EIO)  // no progress on a regular file: an I/O error
        case .success(let n): n
        case .failure(let e): -Int(e.code)
        }
    }

    /// close(2); 0 or -errno (see `Syscall.close`).
    static func close(_ fd: Int32) -> Int32 {
        Syscall.close(fd).map { -$0.code } ?? 0
    }
}

// MARK: - Reader

/// Reads a classic pcap (µs or ns) or pcapng file frame by frame through libpcap.
///
/// Descriptors carry the captured bytes, `TW_PKT_FILE_TIMESTAMP` with the timestamp in ns since
/// the epoch, and `TW_PKT_TRUNCATED` when the capture kept fewer bytes than were on the wire.
///
/// Two ways to read, which can be mixed:
/// - `next(_:)`: one frame, pointing into libpcap's buffer, valid until the next `next` or `read`.
/// - `read(into:capacity:)`: a burst, like a NIC rx burst. The frames are copied into an arena
///   allocated once (1 MiB by default, each frame 64-byte aligned), so the whole burst stays
///   valid until the next call to `read` (a `next` in between does not disturb it). A burst ends
///   early when the arena is full; the frame that did not fit is the first of the next burst.
///
/// End of file: `next` returns false and `read` returns 0, from then on. An error (a truncated or
/// corrupt file) is thrown; a burst that already holds frames returns them first and the error
/// is thrown by the following call. Errors are sticky: every later call throws the same error.
public final class PcapReader {
    public static let defaultArenaBytes = 1 << 20
    private static let frameAlignment = 64

    public let path: String
    /// The file's link type as libpcap reports it (pcap_datalink): 1 for Ethernet.
    public let linkType: Int32
    /// The file's snapshot length (pcap_snapshot).
    public let snapLength: Int
    /// Frames handed out so far, by `next` and `read` together.
    public private(set) var frames: UInt64 = 0
    /// Of those, the frames whose capture was cut short (captured length < wire length).
    public private(set) var truncatedFrames: UInt64 = 0

    private enum State {
        case reading
        case ended
        case failed(CaptureError)
    }

    private let handle: UnsafeMutableRawPointer
    private var state = State.reading
    private var arena: UnsafeMutableRawPointer
    private var arenaBytes: Int
    /// A frame pulled from libpcap that did not fit the arena; its bytes are still in libpcap's
    /// buffer because libpcap has not been called since.
    private var pending = tw_pkt()
    private var hasPending = false

    /// Opens `path` for reading. `arenaBytes` sizes the burst arena (it grows once if a single
    /// frame is larger; libpcap bounds frames at 256 KiB for ordinary link types).
    public init(path: String, arenaBytes: Int = PcapReader.defaultArenaBytes) throws(CaptureError) {
        guard arenaBytes > 0 else {
            throw CaptureError(call: "PcapReader.init", path: path,
                               message: "arenaBytes must be positive, got \(arenaBytes)")
        }
        var errbuf = [CChar](repeating: 0, count: 256)
        guard let h = tw_pcap_open_read(path, &errbuf) else {
            throw CaptureError(call: "pcap_open_offline_with_tstamp_precision", path: path,
                               message: cString(errbuf))
        }
        self.path = path
        self.handle = h
        self.linkType = tw_pcap_datalink(h)
        self.snapLength = Int(tw_pcap_snaplen(h))
        self.arenaBytes = arenaBytes
        self.arena = UnsafeMutableRawPointer.allocate(byteCount: arenaBytes,
                                                      alignment: PcapReader.frameAlignment)
    }

    deinit {
        tw_pcap_close(handle)
        arena.deallocate()
    }

    /// The next frame into `pkt`: true with a frame, false at end of file. The frame's bytes point
    /// into libpcap's buffer and stay valid until the next call to `next` or `read`.
    public func next(_ pkt: inout tw_pkt) throws(CaptureError) -> Bool {
        if hasPending {
            pkt = pending
            hasPending = false
        } else if try !pull(&pkt) {
            return false
        }
        account(pkt)
        return true
    }

    /// Up to `capacity` frames into `pkts[0..<n]`, copied into the reader's arena; returns n, 0 at
    /// end of file (or for a capacity of 0). The frames stay valid until the next call to `read`.
    public func read(into pkts: UnsafeMutablePointer<tw_pkt>, capacity: Int) throws(CaptureError) -> Int {
        precondition(capacity >= 0, "PcapReader.read: negative capacity")
        var n = 0
        var used = 0
        while n < capacity {
            var pkt = tw_pkt()
            if hasPending {
                pkt = pending
                hasPending = false
            } else {
                do {
                    if try !pull(&pkt) { break }
                } catch {
                    // Hand out what this burst already holds; the state keeps the error for the
                    // next call.
                    if n > 0 { break }
                    throw error
                }
            }
            let len = Int(pkt.len)
            let mask = PcapReader.frameAlignment - 1
            var start = (used + mask) & ~mask
            if start + len > arenaBytes {
                if n > 0 {
                    pending = pkt
                    hasPending = true
                    break
                }
                // A single frame larger than the whole arena: nothing of this burst is in it yet,
                // so it can be replaced by a larger one.
                growArena(to: len)
                start = 0
            }
            if len > 0 {
                (arena + start).copyMemory(from: UnsafeRawPointer(pkt.data), byteCount: len)
            }
            pkt.data = UnsafePointer((arena + start).assumingMemoryBound(to: UInt8.self))
            pkts[n] = pkt
            used = start + len
            n += 1
            account(pkt)
        }
        return n
    }

    /// Reads the first four bytes of `path` and names its format.
    public static func detectFormat(path: String) throws(CaptureError) -> CaptureFormat {
        let fd = FileIO.open(path, flags: O_RDONLY)
        if fd < 0 {
            throw CaptureError(call: "open", path: path, message: errnoText(-fd))
        }
        defer { _ = FileIO.close(fd) }
        var magic: UInt32 = 0
        let got = withUnsafeMutableBytes(of: &magic) { FileIO.readFully(fd, $0.baseAddress!, 4) }
        if got < 0 {
            throw CaptureError(call: "read", path: path, message: errnoText(Int32(-got)))
        }
        guard got == 4 else {
            throw CaptureError(call: "PcapReader.detectFormat", path: path,
                               message: "file too short for a capture header (\(got) bytes)")
        }
        // `magic` holds the bytes in host (little-endian) order; a file written on a machine of
        // the other byte order shows the byte-swapped value.
        switch magic {
        case 0xA1B2_C3D4, 0xD4C3_B2A1: return .pcapMicro
        case 0xA1B2_3C4D, 0x4D3C_B2A1: return .pcapNano
        case 0x0A0D_0D0A: return .pcapng
        default:
            let hex = String(UInt32(bigEndian: magic), radix: 16)
            throw CaptureError(call: "PcapReader.detectFormat", path: path,
                               message: "not a pcap or pcapng file (first bytes 0x\(hex))")
        }
    }

    // One frame from libpcap, honouring the end and error states.
    private func pull(_ pkt: inout tw_pkt) throws(CaptureError) -> Bool {
        switch state {
        case .ended: return false
        case .failed(let error): throw error
        case .reading: break
        }
        let rc = tw_pcap_next(handle, &pkt, nil)
        if rc == 1 { return true }
        if rc == 0 {
            state = .ended
            return false
        }
        let error = CaptureError(call: "pcap_next_ex", path: path,
                                 message: String(cString: tw_pcap_error(handle)))
        state = .failed(error)
        throw error
    }

    private func account(_ pkt: tw_pkt) {
        frames &+= 1
        if pkt.flags & UInt32(TW_PKT_TRUNCATED) != 0 { truncatedFrames &+= 1 }
    }

    private func growArena(to bytes: Int) {
        let rounded = (bytes + 0xFFFF) & ~0xFFFF
        arena.deallocate()
        arena = UnsafeMutableRawPointer.allocate(byteCount: rounded,
                                                 alignment: PcapReader.frameAlignment)
        arenaBytes = rounded
    }
}

// MARK: - Writer

/// Writes frames to a capture file: classic pcap (µs or ns, through libpcap) or pcapng (ns).
///
/// Frames longer than `snapLength` are cut to it, keeping their wire length. Output is buffered:
/// `flush` pushes it to the file, `close` flushes and releases the file (deinit closes too, but
/// only an explicit `close` reports a failure). A write that the file refused (a full disk) is
/// thrown by the `write` that met it for pcapng, and by the next `flush` or `close` for classic
/// pcap, whose writer is libpcap's stdio stream.
public final class PcapWriter {
    /// The largest snapshot length libpcap accepts for ordinary link types (MAXIMUM_SNAPLEN).
    public static let maximumSnapLength = 262_144

    public let path: String
    public let format: CaptureFormat
    public let linkType: Int32
    public let snapLength: Int
    /// Frames accepted by `write` so far.
    public private(set) var framesWritten: UInt64 = 0

    private enum Backend {
        case libpcap(UnsafeMutableRawPointer)
        case pcapng(PcapngFile)
        case closed
    }

    private var backend: Backend

    /// Creates (or truncates) `path`. `linkType` is written to the file as is (1: Ethernet);
    /// `snapLength` must lie in 1...262144.
    public init(path: String, format: CaptureFormat, linkType: Int32 = 1 /* EN10MB */,
                snapLength: Int = 65535) throws(CaptureError) {
        guard (1...PcapWriter.maximumSnapLength).contains(snapLength) else {
            throw CaptureError(call: "PcapWriter.init", path: path,
                               message: "snapLength \(snapLength) is outside 1...\(PcapWriter.maximumSnapLength)")
        }
        guard (0...0xFFFF).contains(linkType) else {
            throw CaptureError(call: "PcapWriter.init", path: path,
                               message: "linkType \(linkType) is outside 0...65535")
        }
        self.path = path
        self.format = format
        self.linkType = linkType
        self.snapLength = snapLength
        switch format {
        case .pcapMicro, .pcapNano:
            var errbuf = [CChar](repeating: 0, count: 256)
            guard let h = tw_pcap_open_write(path, linkType, Int32(snapLength), format == .pcapNano,
                                             &errbuf) else {
                throw CaptureError(call: "pcap_dump_open", path: path, message: cString(errbuf))
            }
            backend = .libpcap(h)
        case .pcapng:
            backend = .pcapng(try PcapngFile(path: path, linkType: UInt16(linkType),
                                             snapLength: UInt32(snapLength)))
        }
    }

    deinit {
        try? close()
    }

    /// Appends one frame captured at `timestampNanos` (ns since the Unix epoch). `wireLength` is
    /// the frame's length on the wire when `frame` holds only its start (default: frame.count).
    /// pcapMicro keeps the timestamp to the microsecond (truncated); classic pcap stores 32-bit
    /// seconds, so timestamps after 2106-02-07 are refused there.
    public func write(_ frame: UnsafeRawBufferPointer, timestampNanos: UInt64,
                      wireLength: Int? = nil) throws(CaptureError) {
        let wire = wireLength ?? frame.count
        guard wire >= frame.count, wire <= Int(UInt32.max) else {
            throw CaptureError(call: "PcapWriter.write", path: path,
                               message: "wire length \(wire) is shorter than the frame (\(frame.count) bytes) or above 2^32-1")
        }
        let caplen = min(frame.count, snapLength)
        switch backend {
        case .libpcap(let h):
            guard timestampNanos / 1_000_000_000 <= UInt64(UInt32.max) else {
                throw CaptureError(call: "PcapWriter.write", path: path,
                                   message: "timestamp \(timestampNanos) ns does not fit classic pcap's 32-bit seconds")
            }
            var empty: UInt8 = 0
            if let base = frame.baseAddress, caplen > 0 {
                tw_pcap_write(h, base.assumingMemoryBound(to: UInt8.self), UInt32(caplen),
                              UInt32(wire), timestampNanos)
            } else {
                tw_pcap_write(h, &empty, 0, UInt32(wire), timestampNanos)
            }
        case .pcapng(let file):
            try file.appendPacket(frame, caplen: caplen, wireLength: UInt32(wire),
                                  timestampNanos: timestampNanos)
        case .closed:
            throw CaptureError(call: "PcapWriter.write", path: path, message: "the writer is closed")
        }
        framesWritten &+= 1
    }

    /// Writes buffered output to the file.
    public func flush() throws(CaptureError) {
        switch backend {
        case .libpcap(let h):
            if tw_pcap_flush(h) != 0 {
                throw CaptureError(call: "pcap_dump_flush", path: path, message: errnoText(errno))
            }
        case .pcapng(let file):
            try file.flush()
        case .closed:
            throw CaptureError(call: "PcapWriter.flush", path: path, message: "the writer is closed")
        }
    }

    /// Flushes and closes the file. The file is released even when the flush fails (the error is
    /// thrown after); closing a closed writer does nothing.
    public func close() throws(CaptureError) {
        let current = backend
        backend = .closed
        switch current {
        case .libpcap(let h):
            let rc = tw_pcap_flush(h)
            let e = errno
            tw_pcap_close_write(h)
            if rc != 0 {
                throw CaptureError(call: "pcap_dump_flush", path: path, message: errnoText(e))
            }
        case .pcapng(let file):
            try file.close()
        case .closed:
            return
        }
    }
}

// MARK: - pcapng file writer

/// The pcapng side of PcapWriter: blocks are assembled in a buffer allocated once and written out
/// when it fills, on flush and on close. On a failed write the unwritten bytes stay buffered.
final class PcapngFile {
    static let bufferBytes = 1 << 20
    static let blockSHB: UInt32 = 0x0A0D_0D0A
    static let blockIDB: UInt32 = 0x0000_0001
    static let blockEPB: UInt32 = 0x0000_0006
    static let byteOrderMagic: UInt32 = 0x1A2B_3C4D
    static let application = Array("Tickwire".utf8)

    let path: String
    private var fd: Int32
    private let buffer: UnsafeMutableRawPointer
    private let capacity: Int
    private var used = 0

    init(path: String, linkType: UInt16, snapLength: UInt32) throws(CaptureError) {
        let fd = FileIO.open(path, flags: O_WRONLY | O_CREAT | O_TRUNC, mode: 0o644)
        if fd < 0 {
            throw CaptureError(call: "open", path: path, message: errnoText(-fd))
        }
        self.path = path
        self.fd = fd
        // Room for the largest Enhanced Packet Block (32 bytes around a padded snapLength frame).
        self.capacity = max(PcapngFile.bufferBytes, Int(snapLength) + 64)
        self.buffer = UnsafeMutableRawPointer.allocate(byteCount: capacity, alignment: 64)
        appendSectionHeader()
        appendInterfaceDescription(linkType: linkType, snapLength: snapLength)
        // Write the header now: the file is a valid (empty) capture from the start, and a file
        // that cannot be written fails here rather than at the first flush.
        do {
            try flush()
        } catch {
            _ = FileIO.close(fd)
            self.fd = -1
            throw error
        }
    }

    deinit {
        if fd >= 0 { _ = FileIO.close(fd) }
        buffer.deallocate()
    }

    func appendPacket(_ frame: UnsafeRawBufferPointer, caplen: Int, wireLength: UInt32,
                      timestampNanos: UInt64) throws(CaptureError) {
        guard fd >= 0 else {
            throw CaptureError(call: "PcapWriter.write", path: path, message: "the writer is closed")
        }
        let padded = (caplen + 3) & ~3
        let total = 32 + padded
        if used + total > capacity { try flush() }
        var at = used
        put32(PcapngFile.blockEPB, &at)
        put32(UInt32(total), &at)
        put32(0, &at) // interface id: the only IDB
        put32(UInt32(truncatingIfNeeded: timestampNanos >> 32), &at)
        put32(UInt32(truncatingIfNeeded: timestampNanos), &at)
        put32(UInt32(caplen), &at)
        put32(wireLength, &at)
        if caplen > 0, let base = frame.baseAddress {
            (buffer + at).copyMemory(from: base, byteCount: caplen)
        }
        at += caplen
        while at & 3 != 0 {
            buffer.storeBytes(of: 0, toByteOffset: at, as: UInt8.self)
            at += 1
        }
        put32(UInt32(total), &at)
        used = at
    }

    func flush() throws(CaptureError) {
        var done = 0
        while done < used {
            let n = FileIO.write(fd, buffer + done, used - done)
            if n < 0 {
                if done > 0 {
                    _ = memmove(buffer, buffer + done, used - done)
                    used -= done
                }
                throw CaptureError(call: "write", path: path, message: errnoText(Int32(-n)))
            }
            done += n
        }
        used = 0
    }

    /// Flushes and closes; idempotent. The descriptor is released even if the flush fails.
    func close() throws(CaptureError) {
        guard fd >= 0 else { return }
        var failure: CaptureError?
        do {
            try flush()
        } catch {
            failure = error
            used = 0
        }
        let rc = FileIO.close(fd)
        fd = -1
        if let failure { throw failure }
        if rc < 0 { throw CaptureError(call: "close", path: path, message: errnoText(-rc)) }
    }

    // Section Header Block: byte-order magic, version 1.0, section length unknown (-1), and the
    // writing application as shb_userappl.
    private func appendSectionHeader() {
        let app = PcapngFile.application
        let appPadded = (app.count + 3) & ~3
        let total = 24 + (4 + appPadded) + 4 + 4
        var at = used
        put32(PcapngFile.blockSHB, &at)
        put32(UInt32(total), &at)
        put32(PcapngFile.byteOrderMagic, &at)
        put16(1, &at) // major version
        put16(0, &at) // minor version
        put32(0xFFFF_FFFF, &at) // section length: not specified (64-bit -1)
        put32(0xFFFF_FFFF, &at)
        put16(4, &at) // shb_userappl
        put16(UInt16(app.count), &at)
        for byte in app {
            buffer.storeBytes(of: byte, toByteOffset: at, as: UInt8.self)
            at += 1
        }
        while at & 3 != 0 {
            buffer.storeBytes(of: 0, toByteOffset: at, as: UInt8.self)
            at += 1
        }
        put32(0, &at) // opt_endofopt
        put32(UInt32(total), &at)
        used = at
    }

    // Interface Description Block: link type, snapshot length, if_tsresol = 9 (10^-9 s units).
    private func appendInterfaceDescription(linkType: UInt16, snapLength: UInt32) {
        let total = 16 + 8 + 4 + 4
        var at = used
        put32(PcapngFile.blockIDB, &at)
        put32(UInt32(total), &at)
        put16(linkType, &at)
        put16(0, &at) // reserved
        put32(snapLength, &at)
        put16(9, &at) // if_tsresol
        put16(1, &at)
        put32(9, &at) // value 9, then three bytes of padding (little-endian u32 9 = 09 00 00 00)
        put32(0, &at) // opt_endofopt
        put32(UInt32(total), &at)
        used = at
    }

    private func put16(_ value: UInt16, _ at: inout Int) {
        buffer.storeBytes(of: value.littleEndian, toByteOffset: at, as: UInt16.self)
        at += 2
    }

    private func put32(_ value: UInt32, _ at: inout Int) {
        buffer.storeBytes(of: value.littleEndian, toByteOffset: at, as: UInt32.self)
        at += 4
    }
}
