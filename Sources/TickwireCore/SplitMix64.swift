// SplitMix64 (Steele, Lea and Flood 2014): the project's one seedable generator for simulated
// days, order flow and benchmark rows. Fast, 64 bits of state, and the same stream on every
// machine for a seed, which is what makes a generated day reproducible.
public struct SplitMix64: Sendable {
    public var state: UInt64

    @inlinable public init(state: UInt64) { self.state = state }
    /// The same: a seed is the first state.
    @inlinable public init(seed: UInt64) { self.state = seed }

    @inlinable @inline(__always)
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// In 0..<n (n >= 1; the modulo's bias is negligible for the small n of simulations and
    /// tests).
    @inlinable @inline(__always)
    public mutating func below(_ n: Int) -> Int { Int(next() % UInt64(max(n, 1))) }

    /// Uniform in [0, 1), 53 bits.
    @inlinable @inline(__always)
    public mutating func uniform() -> Double { Double(next() >> 11) * 0x1p-53 }
}

/// So that `Int.random(in:using:)`, `shuffled(using:)` and the like take it (tests, simulators).
extension SplitMix64: RandomNumberGenerator {}
