// A dictionary keyed by recorded order references that almost every lookup misses (the venue's
// consumed and displaced orders: a few thousand references, asked about on most of a traded
// stock's messages). A Swift Dictionary hashes every lookup with SipHash (~20 ns); here a
// counting filter answers the misses first: 65,536 one-byte counters (64 KiB, L2-resident),
// one per bucket of a multiplicative hash of the reference, each the number of keys in its
// bucket. A zero counter means absent, with no dictionary lookup; any other value asks the
// dictionary. Counters saturate at 255 and then never go down (still never a false "absent").
//
// The filter's memory is owned by the map's owner: `release()` once, from its deinit.

struct RefMap<Value> {
    private var map: [UInt64: Value] = [:]
    private let counts: UnsafeMutablePointer<UInt8>
    static var buckets: Int { 1 << 16 }

    init(capacity: Int = 0) {
        counts = .allocate(capacity: Self.buckets)
        counts.initialize(repeating: 0, count: Self.buckets)
        if capacity > 0 { map.reserveCapacity(capacity) }
    }

    func release() { counts.deallocate() }

    @inline(__always)
    static func bucket(_ ref: UInt64) -> Int { Int(truncatingIfNeeded: (ref &* 0x9E37_79B9_7F4A_7C15) >> 48) }

    var isEmpty: Bool { map.isEmpty }
    var count: Int { map.count }

    /// Whether `ref` may be a key (false: it is not).
    @inline(__always)
    func mayContain(_ ref: UInt64) -> Bool { counts[Self.bucket(ref)] != 0 }

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
        if counts[b] != 255 { counts[b] &-= 1 }
        return v
    }

    @inline(__always)
    private func added(_ ref: UInt64) {
        let b = Self.bucket(ref)
        if counts[b] != 255 { counts[b] &+= 1 }
    }
}
