// A dictionary keyed by recorded order references that almost every lookup misses (the venue's
// consumed and displaced orders: a few thousand references, asked about on most of a traded
// stock's messages). A Swift Dictionary hashes every lookup with SipHash (~20 ns); here a
// counting filter answers the misses first: 65,536 one-byte counters (64 KiB), each the number
// of keys in its bucket. A zero counter means absent, with no dictionary lookup; any other value
// asks the dictionary. Counters saturate at 255 and then never go down (still never a false
// "absent").
//
// Buckets keep the venue's numbering local, as the book's reference table does: the reference
// is rotated right by 2 (NASDAQ numbers orders in interleaved sequences stepping by 4), its low
// 8 bits pick a counter inside a 256-counter block and the rest picks the block by a
// multiplicative hash. The messages of a stretch of time name references numbered close
// together, so their counters share a few cache lines; with the whole reference hashed, every
// check was a miss at a random line of the 64 KiB (measured: a fifth of the venue's own time
// per message went to that one load).
//
// A lookup reads a bit per bucket (set while its counter is not zero: 8 KiB, which stays in the
// first-level cache), not the counter itself.
//
// The filter's memory is owned by the map's owner: `release()` once, from its deinit.

struct RefMap<Value> {
    private var map: [UInt64: Value] = [:]
    private let counts: UnsafeMutablePointer<UInt8>
    private let occupied: UnsafeMutablePointer<UInt64>
    static var buckets: Int { 1 << 16 }

    init(capacity: Int = 0) {
        counts = .allocate(capacity: Self.buckets)
        counts.initialize(repeating: 0, count: Self.buckets)
        occupied = .allocate(capacity: Self.buckets / 64)
        occupied.initialize(repeating: 0, count: Self.buckets / 64)
        if capacity > 0 { map.reserveCapacity(capacity) }
    }

    func release() {
        counts.deallocate()
        occupied.deallocate()
    }

    @inline(__always)
    static func bucket(_ ref: UInt64) -> Int {
        let r = (ref &>> 2) | (ref &<< 62)
        let block = ((r &>> 8) &* 0x9E37_79B9_7F4A_7C15) &>> 56
        return Int(truncatingIfNeeded: block &<< 8 | (r & 0xFF))
    }

    var isEmpty: Bool { map.isEmpty }
    var count: Int { map.count }

    /// Whether `ref` may be a key (false: it is not).
    @inline(__always)
    func mayContain(_ ref: UInt64) -> Bool {
        let b = Self.bucket(ref)
        return occupied[b &>> 6] & (1 &<< UInt64(b & 63)) != 0
    }

    subscript(ref: UInt64) -> Value? {
        @inline(__always) get { mayContain(ref) ? map[ref] : nil }
        set {
            if let v = newValue {
                if map.updateValue(v, forKey: ref) == nil { added(ref) }
            } else {
                _ = removeValue(forKey: ref)
            }
        }
    }

    @discardableResult
    mutating func removeValue(forKey ref: UInt64) -> Value? {
        guard mayContain(ref), let v = map.removeValue(forKey: ref) else { return nil }
        let b = Self.bucket(ref)
        if counts[b] != 255 {
            counts[b] &-= 1
            if counts[b] == 0 { occupied[b &>> 6] &= ~(1 &<< UInt64(b & 63)) }
        }
        return v
    }

    @inline(__always)
    private func added(_ ref: UInt64) {
        let b = Self.bucket(ref)
        if counts[b] != 255 { counts[b] &+= 1 }
        occupied[b &>> 6] |= 1 &<< UInt64(b & 63)
    }
}

/// A set of order references (the backtest's count of a day's live orders before it sizes its
/// books, `peakLiveOrders`): open addressing, linear probing from a
/// multiplicative hash, deletion by shifting the rest of the cluster back (no tombstones), grown
/// at half full. A Swift Set SipHashes every reference: on a 5 M-message day the pass took as long
/// as a fifth of the backtest itself.
public struct RefSet {
    /// Keys; 0 marks an empty slot, so the reference 0 is kept apart.
    private var slots: [UInt64]
    private var mask: Int
    private var hasZero = false
    public private(set) var count = 0

    public init(capacity: Int = 1 << 16) {
        var n = 16
        while n < 2 * capacity { n <<= 1 }
        slots = [UInt64](repeating: 0, count: n)
        mask = n - 1
    }

    @inline(__always)
    private func home(_ k: UInt64) -> Int { Int(truncatingIfNeeded: (k &* 0x9E37_79B9_7F4A_7C15) >> 32) & mask }

    public mutating func insert(_ k: UInt64) {
        guard k != 0 else {
            if !hasZero { hasZero = true; count += 1 }
            return
        }
        var i = home(k)
        while slots[i] != 0 {
            if slots[i] == k { return }
            i = (i + 1) & mask
        }
        slots[i] = k
        count += 1
        if 2 * count > slots.count { grow() }
    }

    public mutating func remove(_ k: UInt64) {
        guard k != 0 else {
            if hasZero { hasZero = false; count -= 1 }
            return
        }
        var i = home(k)
        while slots[i] != k {
            if slots[i] == 0 { return }
            i = (i + 1) & mask
        }
        // Shift back every later key of the cluster whose home is not between the hole and it.
        var hole = i
        var j = (i + 1) & mask
        while slots[j] != 0 {
            let h = home(slots[j])
            if (j > hole && (h <= hole || h > j)) || (j < hole && (h <= hole && h > j)) {
                slots[hole] = slots[j]
                hole = j
            }
            j = (j + 1) & mask
        }
        slots[hole] = 0
        count -= 1
    }

    public func contains(_ k: UInt64) -> Bool {
        guard k != 0 else { return hasZero }
        var i = home(k)
        while slots[i] != 0 {
            if slots[i] == k { return true }
            i = (i + 1) & mask
        }
        return false
    }

    private mutating func grow() {
        let old = slots
        slots = [UInt64](repeating: 0, count: old.count * 2)
        mask = slots.count - 1
        for k in old where k != 0 {
            var i = home(k)
            while slots[i] != 0 { i = (i + 1) & mask }
            slots[i] = k
        }
    }
}
