// Single-producer/single-consumer ring for handing work from the hot core to cold threads
// (journal, telemetry, logs) and back.
//
// Layout: the element array, and four indices on four separate 128-byte blocks (two cache
// lines each, so the adjacent-line prefetcher does not couple them):
//   tail        written by the producer, read by the consumer  (release / acquire)
//   head        written by the consumer, read by the producer  (release / acquire)
//   cachedHead  the producer's private copy of head: re-read only when the ring looks full
//   cachedTail  the consumer's private copy of tail: re-read only when the ring looks empty
// Indices grow without wrapping (Int is 64-bit) and are masked into the power-of-two array.
// push and pop never allocate, lock or block; a full ring is reported to the producer, who
// counts the drop or retries: the hot path never waits for a cold thread.
public import Atomics

public final class SPSCRing<Element: BitwiseCopyable>: @unchecked Sendable {
    public let capacity: Int
    @usableFromInline let mask: Int
    @usableFromInline let buffer: UnsafeMutablePointer<Element>
    @usableFromInline let block: UnsafeMutableRawPointer
    @usableFromInline let tail: UnsafeAtomic<Int>
    @usableFromInline let head: UnsafeAtomic<Int>
    @usableFromInline let cachedHead: UnsafeMutablePointer<Int>
    @usableFromInline let cachedTail: UnsafeMutablePointer<Int>

    @usableFromInline static var stride: Int { 128 }

    /// A ring with room for `capacity` elements (rounded up to a power of two, at least 2).
    public init(capacity requested: Int) {
        precondition(requested > 0 && requested <= 1 << 40, "SPSCRing capacity out of range")
        var c = 2
        while c < requested { c <<= 1 }
        capacity = c
        mask = c - 1
        buffer = UnsafeMutablePointer<Element>.allocate(capacity: c)
        block = UnsafeMutableRawPointer.allocate(byteCount: 4 * Self.stride, alignment: 128)
        block.initializeMemory(as: UInt8.self, repeating: 0, count: 4 * Self.stride)
        tail = UnsafeAtomic(at: block.assumingMemoryBound(to: Int.AtomicRepresentation.self))
        head = UnsafeAtomic(at: (block + Self.stride).assumingMemoryBound(to: Int.AtomicRepresentation.self))
        tail.store(0, ordering: .relaxed)
        head.store(0, ordering: .relaxed)
        cachedHead = (block + 2 * Self.stride).bindMemory(to: Int.self, capacity: 1)
        cachedTail = (block + 3 * Self.stride).bindMemory(to: Int.self, capacity: 1)
        cachedHead.initialize(to: 0)
        cachedTail.initialize(to: 0)
    }

    deinit {
        buffer.deallocate()
        block.deallocate()
    }

    /// Producer only. Appends `element`; false when the ring is full (nothing written).
    @inlinable @inline(__always)
    public func push(_ element: Element) -> Bool {
        let t = tail.load(ordering: .relaxed)
        if t &- cachedHead.pointee == capacity {
            cachedHead.pointee = head.load(ordering: .acquiring)
            if t &- cachedHead.pointee == capacity { return false }
        }
        (buffer + (t & mask)).initialize(to: element)
        tail.store(t &+ 1, ordering: .releasing)
        return true
    }

    /// Consumer only. Removes and returns the oldest element, nil when the ring is empty.
    @inlinable @inline(__always)
    public func pop() -> Element? {
        let h = head.load(ordering: .relaxed)
        if h == cachedTail.pointee {
            cachedTail.pointee = tail.load(ordering: .acquiring)
            if h == cachedTail.pointee { return nil }
        }
        let e = buffer[h & mask]
        head.store(h &+ 1, ordering: .releasing)
        return e
    }

    /// Consumer only. Moves up to `max` elements into `out`, publishing the new head once.
    @inlinable
    public func pop(into out: UnsafeMutableBufferPointer<Element>) -> Int {
        let h = head.load(ordering: .relaxed)
        var available = cachedTail.pointee &- h
        if available == 0 {
            cachedTail.pointee = tail.load(ordering: .acquiring)
            available = cachedTail.pointee &- h
            if available == 0 { return 0 }
        }
        let n = min(available, out.count)
        for i in 0..<n { out[i] = buffer[(h &+ i) & mask] }
        head.store(h &+ n, ordering: .releasing)
        return n
    }

    /// Either side: elements in the ring at some instant (exact only when both sides are idle).
    public var count: Int { tail.load(ordering: .acquiring) &- head.load(ordering: .acquiring) }
    public var isEmpty: Bool { count == 0 }
}
