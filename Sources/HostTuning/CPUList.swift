import Foundation
public import TickwireCore

/// The kernel's two ways of writing a set of CPUs: lists ("0-3,8,10-11", used by isolcpus=,
/// cpulist and smp_affinity_list files) and hex masks ("ff,00000003", used by smp_affinity and
/// default_smp_affinity). Parsing is lenient (bad parts are skipped) because the inputs are kernel
/// files and hand-written profiles, and a typo must not bring the tool down.
extension CPUList {
    /// Parses a list; nil when any part is not a number or range, so callers can report the typo.
    public static func parseStrict(_ s: String) -> [Int]? {
        let trimmed = s.trimmingCharacters(in: .whitespacesAndNewlines)
        if trimmed.isEmpty { return [] }
        var out: Set<Int> = []
        for part in trimmed.split(separator: ",", omittingEmptySubsequences: false) {
            let bounds = part.split(separator: "-", maxSplits: 1, omittingEmptySubsequences: false)
                .map { $0.trimmingCharacters(in: .whitespaces) }
            guard let lo = Int(bounds[0]), lo >= 0 else { return nil }
            let hi: Int
            if bounds.count == 2 {
                guard let h = Int(bounds[1]), h >= lo, h - lo < 65536 else { return nil }
                hi = h
            } else {
                hi = lo
            }
            out.formUnion(lo...hi)
        }
        return out.sorted()
    }

    /// Parses a hex mask as written by /proc/irq/default_smp_affinity: 32-bit groups, most
    /// significant first, separated by commas. nil when a group is not hex.
    public static func parseMask(_ s: String) -> [Int]? {
        let groups = s.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: ",")
        if groups.isEmpty { return nil }
        var cpus: [Int] = []
        for (index, group) in groups.reversed().enumerated() {
            guard let bits = UInt64(group, radix: 16) else { return nil }
            for bit in 0..<32 where bits & (1 << UInt64(bit)) != 0 { cpus.append(index * 32 + bit) }
        }
        return cpus.sorted()
    }

    /// The mask form of a set of CPUs, in the kernel's comma-grouped layout.
    public static func formatMask<S: Sequence<Int>>(_ cpus: S) -> String {
        let set = Set(cpus.filter { $0 >= 0 })
        let groupCount = max(1, ((set.max() ?? 0) / 32) + 1)
        var groups: [String] = []
        for g in (0..<groupCount).reversed() {
            var bits: UInt32 = 0
            for bit in 0..<32 where set.contains(g * 32 + bit) { bits |= 1 << UInt32(bit) }
            let hex = String(bits, radix: 16)
            groups.append(g == groupCount - 1 ? hex : String(repeating: "0", count: 8 - hex.count) + hex)
        }
        return groups.joined(separator: ",")
    }
}
