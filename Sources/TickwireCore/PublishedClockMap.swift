// A clock model's map handed from the cold thread that fits it to the hot loop that converts
// with it, through a seqlock: the writer makes the sequence odd, writes the fields, makes it
// even; a reader reads the sequence, the fields and the sequence again, and keeps the fields
// only when both reads are the same even number. The writer never waits, the reader never
// blocks the writer, and neither locks or allocates. The fields are relaxed atomics (a racy
// plain read would be a data race), ordered by the fences around them.
//
// A value type around one 128-byte block, so the hot loop reads it without reference counting;
// whoever creates it calls `destroy()` once.
public import Atomics

/// A linear map from another clock (y, its own unit) to the TSC: the inverse of a
/// `ClockModel`'s fit, as plain numbers a hot loop can copy.
public struct ClockMap: Sendable, Equatable, BitwiseCopyable {
    /// The fit is y - y0 = a + b·(x - x0), x in TSC ticks.
    public var x0: UInt64
    public var y0: Int64
    public var a: Double
    public var b: Double

    public init(x0: UInt64, y0: Int64, a: Double, b: Double) {
        (self.x0, self.y0, self.a, self.b) = (x0, y0, a, b)
    }

    /// The TSC at the other clock's `y` (0 when the map cannot say: no rate, or out of range).
    @inlinable @inline(__always)
    public func tsc(at y: Int64) -> UInt64 {
        guard b > 0 else { return 0 }
        let v = Double(x0) + (Double(y &- y0) - a) / b
        return v >= 1 && v < 1.8e19 ? UInt64(v) : 0
    }
}

extension ClockModel {
    /// The fit as a map (nil before two pairs).
    public var map: ClockMap? {
        guard isReady, b > 0 else { return nil }
        return ClockMap(x0: x0, y0: y0, a: a, b: b)
    }
}

public struct PublishedClockMap: @unchecked Sendable {
    @usableFromInline let sequence: UnsafeAtomic<UInt64>
    @usableFromInline let x0: UnsafeAtomic<UInt64>
    @usableFromInline let y0: UnsafeAtomic<UInt64>
    @usableFromInline let a: UnsafeAtomic<UInt64>
    @usableFromInline let b: UnsafeAtomic<UInt64>
    let block: UnsafeMutableRawPointer

    public init() {
        block = UnsafeMutableRawPointer.allocate(byteCount: 128, alignment: 128)
        block.initializeMemory(as: UInt8.self, repeating: 0, count: 128)
        let cells = block.bindMemory(to: UInt64.AtomicRepresentation.self, capacity: 5)
        sequence = UnsafeAtomic(at: cells)
        x0 = UnsafeAtomic(at: cells + 1)
        y0 = UnsafeAtomic(at: cells + 2)
        a = UnsafeAtomic(at: cells + 3)
        b = UnsafeAtomic(at: cells + 4)
    }

    public func destroy() { block.deallocate() }

    /// Writer (one thread only): the new map.
    public func publish(_ m: ClockMap) {
        let s = sequence.load(ordering: .relaxed)
        sequence.store(s &+ 1, ordering: .relaxed)
        atomicMemoryFence(ordering: .releasing)
        x0.store(m.x0, ordering: .relaxed)
        y0.store(UInt64(bitPattern: m.y0), ordering: .relaxed)
        a.store(m.a.bitPattern, ordering: .relaxed)
        b.store(m.b.bitPattern, ordering: .relaxed)
        sequence.store(s &+ 2, ordering: .releasing)
    }

    /// How many maps were published.
    public var generation: UInt64 { sequence.load(ordering: .acquiring) / 2 }

    /// Reader (any thread): the last map published, whole; nil before the first, or when a
    /// publish was under way on every one of a few tries (the writer preempted in the middle:
    /// the hot loop must not wait for a cold thread; the caller goes without a map this once).
    @inlinable @inline(__always)
    public func load() -> ClockMap? {
        for _ in 0..<8 {
            let s1 = sequence.load(ordering: .acquiring)
            if s1 == 0 { return nil }
            if s1 & 1 != 0 { continue }
            let m = ClockMap(x0: x0.load(ordering: .relaxed), y0: Int64(bitPattern: y0.load(ordering: .relaxed)),
                             a: Double(bitPattern: a.load(ordering: .relaxed)), b: Double(bitPattern: b.load(ordering: .relaxed)))
            atomicMemoryFence(ordering: .acquiring)
            if sequence.load(ordering: .relaxed) == s1 { return m }
        }
        return nil
    }
}
