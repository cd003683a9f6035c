// Byte access for the stack's frame parsing and building (big-endian fields, unaligned), and
// SipHash-2-4 for RFC 6528's initial sequence numbers. Internal: the views and builders of
// `Packets` are the public surface; these are the few primitives the stack needs beyond them.

extension UnsafeRawBufferPointer {
    @inline(__always) func u16(_ o: Int) -> UInt16 { UInt16(bigEndian: loadUnaligned(fromByteOffset: o, as: UInt16.self)) }
    @inline(__always) func u32(_ o: Int) -> UInt32 { UInt32(bigEndian: loadUnaligned(fromByteOffset: o, as: UInt32.self)) }
    @inline(__always) func slice(_ lower: Int, _ upper: Int) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(rebasing: self[lower..<upper])
    }
}

extension UnsafeMutableRawBufferPointer {
    @inline(__always) func set8(_ v: UInt8, _ o: Int) { storeBytes(of: v, toByteOffset: o, as: UInt8.self) }
    @inline(__always) func set16(_ v: UInt16, _ o: Int) { storeBytes(of: v.bigEndian, toByteOffset: o, as: UInt16.self) }
    @inline(__always) func set32(_ v: UInt32, _ o: Int) { storeBytes(of: v.bigEndian, toByteOffset: o, as: UInt32.self) }
    @inline(__always) func setMAC(_ mac: UInt64, _ o: Int) {
        set16(UInt16(truncatingIfNeeded: mac >> 32), o)
        set32(UInt32(truncatingIfNeeded: mac), o + 2)
    }
    @inline(__always) func mslice(_ lower: Int, _ upper: Int) -> UnsafeMutableRawBufferPointer {
        UnsafeMutableRawBufferPointer(rebasing: self[lower..<upper])
    }
    @inline(__always) func readOnly(_ lower: Int, _ upper: Int) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(rebasing: self[lower..<upper])
    }
}

/// SipHash-2-4 (Aumasson and Bernstein) of a few 64-bit words under a 128-bit key: the keyed
/// pseudorandom function F() of RFC 6528 §3, so that an off-path attacker cannot guess our
/// initial sequence numbers from earlier connections.
struct SipHash24 {
    var v0: UInt64, v1: UInt64, v2: UInt64, v3: UInt64
    var length: UInt64 = 0

    init(k0: UInt64, k1: UInt64) {
        v0 = k0 ^ 0x736f_6d65_7073_6575
        v1 = k1 ^ 0x646f_7261_6e64_6f6d
        v2 = k0 ^ 0x6c79_6765_6e65_7261
        v3 = k1 ^ 0x7465_6462_7974_6573
    }

    @inline(__always) mutating func round() {
        v0 = v0 &+ v1; v1 = (v1 << 13) | (v1 >> 51); v1 ^= v0; v0 = (v0 << 32) | (v0 >> 32)
        v2 = v2 &+ v3; v3 = (v3 << 16) | (v3 >> 48); v3 ^= v2
        v0 = v0 &+ v3; v3 = (v3 << 21) | (v3 >> 43); v3 ^= v0
        v2 = v2 &+ v1; v1 = (v1 << 17) | (v1 >> 47); v1 ^= v2; v2 = (v2 << 32) | (v2 >> 32)
    }

    /// One 8-byte little-endian message word.
    mutating func add(_ m: UInt64) {
        v3 ^= m
        round(); round()
        v0 ^= m
        length &+= 8
    }

    mutating func finish() -> UInt64 {
        let b = length << 56
        v3 ^= b
        round(); round()
        v0 ^= b
        v2 ^= 0xff
        round(); round(); round(); round()
        return v0 ^ v1 ^ v2 ^ v3
    }

    static func hash(k0: UInt64, k1: UInt64, _ words: UInt64...) -> UInt64 {
        var h = SipHash24(k0: k0, k1: k1)
        for w in words { h.add(w) }
        return h.finish()
    }
}

/// Sequence-number arithmetic modulo 2^32 (RFC 9293 §3.4).
@inline(__always) func seqLT(_ a: UInt32, _ b: UInt32) -> Bool { Int32(bitPattern: a &- b) < 0 }
@inline(__always) func seqLE(_ a: UInt32, _ b: UInt32) -> Bool { Int32(bitPattern: a &- b) <= 0 }
@inline(__always) func seqGT(_ a: UInt32, _ b: UInt32) -> Bool { Int32(bitPattern: a &- b) > 0 }
@inline(__always) func seqGE(_ a: UInt32, _ b: UInt32) -> Bool { Int32(bitPattern: a &- b) >= 0 }
