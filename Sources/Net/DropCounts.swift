// Counted drops: every frame or segment the stack refuses is counted by its reason.

/// One counter per reason a frame or segment was dropped (`Reason`: an enum whose raw values are
/// 0..<n), and their total, kept as it goes so that the hot loop's counter snapshots read one
/// field. Counting allocates nothing (the array is made once).
public struct DropCounts<Reason: CaseIterable & RawRepresentable>: Sendable, Equatable where Reason.RawValue == Int {
    public private(set) var counts: [UInt64] = Array(repeating: 0, count: Reason.allCases.count)
    public private(set) var total: UInt64 = 0
    public init() {}

    @inline(__always)
    public mutating func count(_ r: Reason) {
        counts[r.rawValue] &+= 1
        total &+= 1
    }

    public subscript(_ r: Reason) -> UInt64 { counts[r.rawValue] }

    /// Adds another set (a retired connection's).
    public mutating func add(_ o: Self) {
        for i in 0..<counts.count { counts[i] &+= o.counts[i] }
        total &+= o.total
    }

    /// The reasons that occurred, by name (reports).
    public var byName: [String: UInt64] {
        var out: [String: UInt64] = [:]
        for r in Reason.allCases where counts[r.rawValue] > 0 { out["\(r)"] = counts[r.rawValue] }
        return out
    }
}
