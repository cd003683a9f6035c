// The gateway's journal: an append-only, checksummed log of every order event, so that after a
// crash the gateway knows what it sent, what the venue answered, the next order number and the
// next SoupBinTCP sequence number.
//
// Hot path: `append` pushes a fixed-size record on an SPSC ring (no allocation, no syscall, no
// lock); a full ring is a refusal (false, counted), never a spin: the gateway checks `hasRoom`
// before it sends an order, so an order whose record has no room is not sent. Cold path: one
// writer thread pops records in batches, encodes them and writes each batch with one write()
// (and fdatasync when `syncEveryBatch`). A record reaches the file shortly after the event; a
// SIGKILL loses at most the records still in the ring, which the venue's replay makes good
// (every venue answer carries our order number; see OrderGateway's adoption of unknown orders).
//
// Failure: a write or fdatasync that fails (a full disk, an I/O error, a file gone under it) is
// sticky: the journal is no longer a complete record, so nothing more is written (what follows
// is counted as lost, not appended after a hole), `failure` says which call failed and why, and
// the gateway fires the kill switch (or, when configured to continue, counts and says so).
//
// File format, per record: 'J' (1 byte), kind (1), payload length (2, little-endian), payload,
// CRC-32C of everything before it (4). A reader stops at the first record that is cut short or
// fails its checksum (a torn last record): everything before it is trusted, nothing after.
import CShims
import Synchronization
public import TickwireCore
#if os(Linux)
import Glibc
#endif

public enum JournalKind: UInt8, Sendable {
    case sent = 1            // id, locate, side, shares, price, flags (ioc)
    case cancelSent = 2      // id, shares (remaining)
    case replaceSent = 3     // id (new), other (old), shares, price
    case accepted = 4        // id, ref, seq, shares, locate, side, price
    case executed = 5        // id, shares, price, ref (match number), seq
    case canceled = 6        // id, shares (decrement), seq
    case replaced = 7        // id (new), other (old), ref, shares, price, seq
    case rejected = 8        // id, seq
    case cancelRejected = 9  // id, seq
    case sequence = 10       // seq (a venue message that touched no order)
}

/// One journal record: plain data, 48 bytes.
public struct JournalRecord: BitwiseCopyable, Sendable, Equatable {
    public var kind: UInt8
    public var side: UInt8
    public var locate: UInt16
    public var id: UInt32
    public var other: UInt32
    public var shares: UInt32
    public var price: Int64
    public var ref: UInt64
    public var seq: UInt64
    public var flags: UInt32

    public init(kind: JournalKind, id: UInt32 = 0, other: UInt32 = 0, locate: StockLocate = StockLocate(rawValue: 0), side: Side = .buy,
                shares: UInt32 = 0, price: Price = .zero, ref: UInt64 = 0, seq: UInt64 = 0, flags: UInt32 = 0) {
        self.kind = kind.rawValue
        self.side = side.rawValue
        self.locate = locate.rawValue
        self.id = id
        self.other = other
        self.shares = shares
        self.price = price.rawValue
        self.ref = ref
        self.seq = seq
        self.flags = flags
    }

    static let payloadLength = 44

    func encode(into p: UnsafeMutableRawPointer) {
        p.storeBytes(of: side, toByteOffset: 0, as: UInt8.self)
        p.storeBytes(of: 0, toByteOffset: 1, as: UInt8.self)
        p.storeBytes(of: locate.littleEndian, toByteOffset: 2, as: UInt16.self)
        p.storeBytes(of: id.littleEndian, toByteOffset: 4, as: UInt32.self)
        p.storeBytes(of: other.littleEndian, toByteOffset: 8, as: UInt32.self)
        p.storeBytes(of: shares.littleEndian, toByteOffset: 12, as: UInt32.self)
        p.storeBytes(of: price.littleEndian, toByteOffset: 16, as: Int64.self)
        p.storeBytes(of: ref.littleEndian, toByteOffset: 24, as: UInt64.self)
        p.storeBytes(of: seq.littleEndian, toByteOffset: 32, as: UInt64.self)
        p.storeBytes(of: flags.littleEndian, toByteOffset: 40, as: UInt32.self)
    }

    static func decode(kind: UInt8, _ p: UnsafeRawPointer) -> JournalRecord {
        var r = JournalRecord(kind: .sequence)
        r.kind = kind
        r.side = p.load(fromByteOffset: 0, as: UInt8.self)
        r.locate = UInt16(littleEndian: p.loadUnaligned(fromByteOffset: 2, as: UInt16.self))
        r.id = UInt32(littleEndian: p.loadUnaligned(fromByteOffset: 4, as: UInt32.self))
        r.other = UInt32(littleEndian: p.loadUnaligned(fromByteOffset: 8, as: UInt32.self))
        r.shares = UInt32(littleEndian: p.loadUnaligned(fromByteOffset: 12, as: UInt32.self))
        r.price = Int64(littleEndian: p.loadUnaligned(fromByteOffset: 16, as: Int64.self))
        r.ref = UInt64(littleEndian: p.loadUnaligned(fromByteOffset: 24, as: UInt64.self))
        r.seq = UInt64(littleEndian: p.loadUnaligned(fromByteOffset: 32, as: UInt64.self))
        r.flags = UInt32(littleEndian: p.loadUnaligned(fromByteOffset: 40, as: UInt32.self))
        return r
    }

    public var journalKind: JournalKind? { JournalKind(rawValue: kind) }
}

/// CRC-32C (Castagnoli), table-driven.
enum CRC32C {
    static let table: [UInt32] = (0..<256).map { i -> UInt32 in
        var c = UInt32(i)
        for _ in 0..<8 { c = c & 1 != 0 ? (c >> 1) ^ 0x82F6_3B78 : c >> 1 }
        return c
    }

    static func checksum(_ p: UnsafeRawPointer, _ n: Int, table t: UnsafePointer<UInt32>) -> UInt32 {
        var c: UInt32 = 0xFFFF_FFFF
        for i in 0..<n { c = t[Int((c ^ UInt32(p.load(fromByteOffset: i, as: UInt8.self))) & 0xFF)] ^ (c >> 8) }
        return c ^ 0xFFFF_FFFF
    }
}

public struct JournalReadResult: Sendable {
    public var records: [JournalRecord]
    /// Bytes after the last good record (a torn or corrupt tail), ignored.
    public var ignoredTailBytes: Int
}

public final class JournalWriter: @unchecked Sendable {
    public let path: String
    public let syncEveryBatch: Bool
    let fd: Int32
    let ring: SPSCRing<JournalRecord>
    let stopping = Atomic<Bool>(false)
    var thread: pthread_t?
    let crc: UnsafeMutablePointer<UInt32>
    /// Written by the writer thread only; read after `close`.
    public private(set) var recordsWritten: UInt64 = 0
    public private(set) var writeErrors: UInt64 = 0
    /// Appends refused because the ring was full (or the writer had stopped).
    public private(set) var fullRefusals: UInt64 = 0
    /// Records not written because the journal had failed before them.
    public private(set) var recordsLost: UInt64 = 0
    /// Set by the writer thread when a write or sync failed (sticky); read by the hot loop.
    let failedFlag = Atomic<Bool>(false)
    let failureLock = Mutex<SystemError?>(nil)

    static let recordBytes = 4 + JournalRecord.payloadLength + 4

    /// Opens (creating, or appending to) the journal and starts its writer thread.
    public init(path: String, ringCapacity: Int = 1 << 16, syncEveryBatch: Bool = false) throws(SystemError) {
        self.path = path
        self.syncEveryBatch = syncEveryBatch
        fd = try Syscall.checked("open(\(path))") { open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644) }
        ring = SPSCRing(capacity: ringCapacity)
        crc = .allocate(capacity: 256)
        crc.initialize(from: CRC32C.table, count: 256)
        let box = Unmanaged.passRetained(self)
        var t = pthread_t()
        let rc = pthread_create(&t, nil, { arg in
            let w = Unmanaged<JournalWriter>.fromOpaque(arg!).takeRetainedValue()
            w.run()
            return nil
        }, box.toOpaque())
        guard case .success = Syscall.shim("pthread_create(journal writer)", 0 - rc) else {
            // No writer: a journal that records nothing must not be handed out.
            box.release()
            Syscall.close(fd)
            throw Errno(rc).error("pthread_create(journal writer for \(path))")
        }
        thread = t
    }

    deinit {
        if thread != nil { close() }
        crc.deallocate()
    }

    /// Hot path: queues a record for the writer. False when the ring is full (counted): the
    /// record is not kept.
    @inline(__always)
    @discardableResult
    public func append(_ r: JournalRecord) -> Bool {
        if ring.push(r) { return true }
        fullRefusals &+= 1
        return false
    }

    /// Room for `records` more records now (the writer only makes more).
    @inline(__always)
    public func hasRoom(for records: Int = 1) -> Bool { ring.capacity - ring.count >= records }

    /// Whether a write or a sync has failed (sticky; see `failure`).
    @inline(__always)
    public var hasFailed: Bool { failedFlag.load(ordering: .relaxed) }

    /// The call that failed and its errno, once the journal has failed.
    public var failure: SystemError? { failureLock.withLock { $0 } }

    func fail(_ call: String, _ e: Errno) {
        failureLock.withLock { f in
            if f == nil { f = e.error("\(call)(\(path))") }
        }
        failedFlag.store(true, ordering: .releasing)
    }

    /// Writes what is queued, stops the thread, closes the file.
    public func close() {
        guard let t = thread else { return }
        stopping.store(true, ordering: .releasing)
        pthread_join(t, nil)
        thread = nil
        if let e = Syscall.close(fd), !failedFlag.load(ordering: .relaxed) {
            // The last flush of a file system that reports late (NFS): the journal is not whole.
            writeErrors += 1
            fail("close", e)
        }
    }

    func run() {
        let batch = UnsafeMutableBufferPointer<JournalRecord>.allocate(capacity: 1024)
        let out = UnsafeMutableRawPointer.allocate(byteCount: 1024 * Self.recordBytes, alignment: 8)
        defer {
            batch.deallocate()
            out.deallocate()
        }
        while true {
            let n = ring.pop(into: batch)
            if n == 0 {
                if stopping.load(ordering: .acquiring) && ring.isEmpty { return }
                usleep(200)
                continue
            }
            if failedFlag.load(ordering: .relaxed) {
                recordsLost += UInt64(n)  // never appended after a hole
                continue
            }
            var off = 0
            for i in 0..<n {
                let r = batch[i]
                let p = out + off
                p.storeBytes(of: UInt8(ascii: "J"), toByteOffset: 0, as: UInt8.self)
                p.storeBytes(of: r.kind, toByteOffset: 1, as: UInt8.self)
                p.storeBytes(of: UInt16(JournalRecord.payloadLength).littleEndian, toByteOffset: 2, as: UInt16.self)
                r.encode(into: p + 4)
                let c = CRC32C.checksum(p, 4 + JournalRecord.payloadLength, table: crc)
                p.storeBytes(of: c.littleEndian, toByteOffset: 4 + JournalRecord.payloadLength, as: UInt32.self)
                off += Self.recordBytes
            }
            var done = 0
            while done < off {
                let written = Syscall.call("write(\(path))") { write(fd, out + done, off - done) }
                guard case .success(let w) = written, w > 0 else {
                    writeErrors += 1
                    if case .failure(let e) = written { fail("write", e) } else { fail("write", Errno(EIO)) }
                    break
                }
                done += w
            }
            if done < off {
                recordsLost += UInt64(n - done / Self.recordBytes)
                recordsWritten += UInt64(done / Self.recordBytes)
                continue
            }
            if syncEveryBatch, case .failure(let e) = Syscall.call("fdatasync(\(path))", { fdatasync(fd) }) {
                writeErrors += 1
                fail("fdatasync", e)
            }
            recordsWritten += UInt64(n)
        }
    }

    /// Every good record of a journal file, stopping at a torn or corrupt one.
    public static func read(path: String) -> JournalReadResult? {
        guard case .success(let fd) = Syscall.call("open(\(path))", { open(path, O_RDONLY | O_CLOEXEC) }) else { return nil }
        defer { Syscall.close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let read = chunk.withUnsafeMutableBytes { b in Syscall.call("read(\(path))") { Glibc.read(fd, b.baseAddress, b.count) } }
            guard case .success(let n) = read, n > 0 else { break }
            bytes.append(contentsOf: chunk[0..<n])
        }
        return parse(bytes)
    }

    public static func parse(_ bytes: [UInt8]) -> JournalReadResult {
        var records: [JournalRecord] = []
        var off = 0
        let table = CRC32C.table
        bytes.withUnsafeBytes { b in
            table.withUnsafeBufferPointer { t in
                while off + 4 <= b.count {
                    guard b[off] == UInt8(ascii: "J") else { break }
                    let len = Int(b[off + 2]) | Int(b[off + 3]) << 8
                    guard len == JournalRecord.payloadLength, off + 4 + len + 4 <= b.count else { break }
                    let p = b.baseAddress! + off
                    let want = UInt32(littleEndian: p.loadUnaligned(fromByteOffset: 4 + len, as: UInt32.self))
                    guard CRC32C.checksum(p, 4 + len, table: t.baseAddress!) == want else { break }
                    records.append(JournalRecord.decode(kind: b[off + 1], p + 4))
                    off += 4 + len + 4
                }
            }
        }
        return JournalReadResult(records: records, ignoredTailBytes: bytes.count - off)
    }
}
