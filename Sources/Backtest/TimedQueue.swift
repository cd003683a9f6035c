// Bytes in flight: a FIFO of byte records, each stamped with the simulated time it reaches the
// other end. The backtester keeps three: our order entry on its way to the venue, the venue's
// answers on their way back, and the feed (every message the venue publishes, ours included) on
// its way to the engine. Times only go forward in each queue (a TCP stream and a feed are
// ordered), which `push` enforces by never stamping a record earlier than the one before it.
//
// Storage is one contiguous block that is compacted when its tail reaches the end and doubled
// when a record does not fit: a queue holds what is in flight within one latency, so it reaches
// its size within the first milliseconds of a run and then stays there (the backtester is not
// the live hot path, but its steady state allocates nothing).

struct TimedQueue: ~Copyable {
    private var storage: UnsafeMutableRawPointer
    private var capacity: Int
    private var head = 0
    private var tail = 0
    /// Records in the queue.
    private(set) var count = 0
    /// The time of the last record pushed (the next is never earlier).
    private(set) var lastTime: UInt64 = 0
    /// Records pushed since the queue was made, and where the last one starts: the last record
    /// can be amended in place while it is in the queue and unread (`withLast`).
    private(set) var pushes: UInt64 = 0
    private var lastOffset = 0
    /// How far into the front record a partial read has got (the answers' queue reads a record
    /// across several `receive` calls when the reader's buffer is short).
    private var frontOffset = 0

    static let headerBytes = 16  // time (8), length (4), padding (4)

    init(capacity: Int = 1 << 16) {
        self.capacity = max(capacity, 64)
        storage = .allocate(byteCount: self.capacity, alignment: 8)
    }

    deinit { storage.deallocate() }

    var isEmpty: Bool { count == 0 }

    /// The arrival time of the front record (UInt64.max when empty).
    var nextTime: UInt64 {
        count == 0 ? .max : storage.loadUnaligned(fromByteOffset: head, as: UInt64.self)
    }

    /// Appends a record arriving at `time`, or at the last record's time if that is later.
    /// Returns the time it was stamped with.
    @discardableResult @inline(__always)
    mutating func push(_ bytes: UnsafeRawBufferPointer, at time: UInt64) -> UInt64 {
        // Offsets stay below `capacity`: their arithmetic needs no overflow checks. A record
        // longer than its 32-bit length field still traps, as it always did.
        let t = max(time, lastTime)
        lastTime = t
        let n = bytes.count
        let need = Self.headerBytes &+ ((n &+ 7) & ~7)
        if tail &+ need > capacity { makeRoom(need) }
        storage.storeBytes(of: t, toByteOffset: tail, as: UInt64.self)
        storage.storeBytes(of: UInt32(n), toByteOffset: tail &+ 8, as: UInt32.self)
        if n > 0 { Self.copy(to: storage + (tail &+ Self.headerBytes), from: bytes.baseAddress.unsafelyUnwrapped, count: n) }
        lastOffset = tail
        tail &+= need
        count &+= 1
        pushes &+= 1
        return t
    }

    /// `count` bytes from `source` (an ITCH message, at most 50 bytes, or our order entry):
    /// from 16 to 64 as four 16-byte moves at offsets clamped to the end (they overlap for
    /// shorter records), reading and writing only inside both ranges; others by `copyMemory`.
    /// A published message is copied here once per message of the day: the library call's
    /// setup cost more than the copy, and a branch on the size (short deletes, cancels and
    /// executions against longer adds and replaces, in no order a predictor learns) missed a
    /// third of the time under callgrind's branch simulation.
    @inline(__always)
    static func copy(to destination: UnsafeMutableRawPointer, from source: UnsafeRawPointer, count n: Int) {
        typealias Chunk = SIMD16<UInt8>
        if n >= 16 && n <= 64 {
            let last = n &- 16
            let second = min(16, last), third = min(32, last)
            let a = source.loadUnaligned(as: Chunk.self)
            let b = source.loadUnaligned(fromByteOffset: second, as: Chunk.self)
            let c = source.loadUnaligned(fromByteOffset: third, as: Chunk.self)
            let d = source.loadUnaligned(fromByteOffset: last, as: Chunk.self)
            destination.storeBytes(of: a, as: Chunk.self)
            destination.storeBytes(of: b, toByteOffset: second, as: Chunk.self)
            destination.storeBytes(of: c, toByteOffset: third, as: Chunk.self)
            destination.storeBytes(of: d, toByteOffset: last, as: Chunk.self)
        } else {
            destination.copyMemory(from: source, byteCount: n)
        }
    }

    /// Appends a record that `write` fills in place (at most `maxBytes`; `write` returns how
    /// many it wrote, nil for none: then nothing is queued).
    @discardableResult
    mutating func push(at time: UInt64, maxBytes: Int, _ write: (UnsafeMutableRawBufferPointer) -> Int?) -> Bool {
        let need = Self.headerBytes + ((maxBytes + 7) & ~7)
        if tail + need > capacity { makeRoom(need) }
        guard let n = write(UnsafeMutableRawBufferPointer(start: storage + tail + Self.headerBytes, count: maxBytes)), n <= maxBytes else {
            return false
        }
        let t = max(time, lastTime)
        lastTime = t
        storage.storeBytes(of: t, toByteOffset: tail, as: UInt64.self)
        storage.storeBytes(of: UInt32(n), toByteOffset: tail + 8, as: UInt32.self)
        lastOffset = tail
        tail += Self.headerBytes + ((n + 7) & ~7)
        count += 1
        pushes &+= 1
        return true
    }

    /// The bytes of the record pushed `pushes` == `pushed` (the last one), writable in place;
    /// nil when another was pushed since, it has left the queue, or its reading has begun.
    mutating func withLast<R>(pushed: UInt64, _ body: (UnsafeMutableRawBufferPointer) -> R) -> R? {
        // The last record is in the queue while it is not empty (it leaves last).
        guard pushed == pushes, count > 0, !(count == 1 && frontOffset > 0) else { return nil }
        let n = Int(storage.loadUnaligned(fromByteOffset: lastOffset + 8, as: UInt32.self))
        return body(UnsafeMutableRawBufferPointer(start: storage + lastOffset + Self.headerBytes, count: n))
    }

    /// Where the next record goes, for `delay(since:to:)` (valid until the next pop).
    var mark: Int { tail - head }

    /// The records pushed since `mark` arrive no earlier than `time` (nor does the next one):
    /// what one event published, held back together.
    mutating func delay(since mark: Int, to time: UInt64) {
        var o = head + mark
        guard o < tail else { return }
        while o < tail {
            if storage.loadUnaligned(fromByteOffset: o, as: UInt64.self) < time { storage.storeBytes(of: time, toByteOffset: o, as: UInt64.self) }
            let n = Int(storage.loadUnaligned(fromByteOffset: o + 8, as: UInt32.self))
            o += Self.headerBytes + ((n + 7) & ~7)
        }
        lastTime = max(lastTime, time)
    }

    /// The front record's bytes (valid until the next push or pop).
    var front: UnsafeRawBufferPointer {
        let n = Int(storage.loadUnaligned(fromByteOffset: head &+ 8, as: UInt32.self))
        return UnsafeRawBufferPointer(start: storage + (head &+ Self.headerBytes &+ frontOffset), count: n &- frontOffset)
    }

    /// Removes the front record.
    @inline(__always)
    mutating func pop() {
        precondition(count > 0)
        let n = Int(storage.loadUnaligned(fromByteOffset: head &+ 8, as: UInt32.self))
        head &+= Self.headerBytes &+ ((n &+ 7) & ~7)
        count &-= 1
        frontOffset = 0
        if count == 0 { head = 0; tail = 0 }
    }

    /// Consumes `n` bytes of the front record; the record is popped once all of it is read.
    mutating func consumeFront(_ n: Int) {
        let total = Int(storage.loadUnaligned(fromByteOffset: head + 8, as: UInt32.self))
        frontOffset += n
        if frontOffset >= total { pop() }
    }

    private mutating func makeRoom(_ need: Int) {
        let used = tail - head
        if used + need <= capacity / 2 || (used + need <= capacity && head > 0) {
            if used > 0 { storage.copyMemory(from: storage + head, byteCount: used) }
            lastOffset -= head
            head = 0
            tail = used
            if tail + need <= capacity { return }
        }
        var c = capacity * 2
        while c < used + need { c *= 2 }
        let s = UnsafeMutableRawPointer.allocate(byteCount: c, alignment: 8)
        if used > 0 { s.copyMemory(from: storage + head, byteCount: used) }
        storage.deallocate()
        storage = s
        capacity = c
        lastOffset -= head
        head = 0
        tail = used
    }
}
