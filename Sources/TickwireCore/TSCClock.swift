// The TSC as the hot path's clock: one `rdtsc` per stamp, converted to nanoseconds off the hot
// path by multiply-and-shift with constants calibrated against the kernel's clocks.
//
// Calibration reads CLOCK_MONOTONIC_RAW (not slewed by NTP, so the rate is the oscillator's) and
// brackets each clock read between two TSC reads, keeping the tightest bracket, at the start and
// end of a window. The frequency is the ratio of the two deltas. CLOCK_REALTIME is anchored the
// same way so that TSC stamps can be printed as wall-clock times and lined up with pcap files.
public import CShims

public struct TSCClock: Sendable, Equatable {
    /// TSC ticks per second, as calibrated.
    public let hz: UInt64
    /// ns = (cycles * mult) >> shift, with a 128-bit product so that no delta overflows
    /// (the result is exact to 64 bits for deltas of centuries).
    public let mult: UInt64
    public let shift: UInt64
    /// A TSC reading and the CLOCK_REALTIME and CLOCK_MONOTONIC_RAW values at that instant.
    public let anchorTSC: UInt64
    public let anchorRealtimeNanos: Int64
    public let anchorMonotonicRawNanos: Int64

    public init(hz: UInt64, anchorTSC: UInt64 = 0, anchorRealtimeNanos: Int64 = 0,
                anchorMonotonicRawNanos: Int64 = 0) {
        precondition(hz > 0, "TSC frequency must be positive")
        self.hz = hz
        // The largest shift whose multiplier still fits in 63 bits: for a GHz-class TSC that is
        // 62 or 63 fractional bits, so the conversion error stays far below 1 ns per day.
        var s: UInt64 = 63
        while s > 1 && (UInt128(1_000_000_000) << s) / UInt128(hz) >= UInt128(1) << 63 { s -= 1 }
        self.shift = s
        self.mult = UInt64((UInt128(1_000_000_000) << s) / UInt128(hz))
        self.anchorTSC = anchorTSC
        self.anchorRealtimeNanos = anchorRealtimeNanos
        self.anchorMonotonicRawNanos = anchorMonotonicRawNanos
    }

    /// Reads the TSC (not serialising).
    @inlinable @inline(__always)
    public static func now() -> UInt64 { tw_rdtsc() }

    /// Reads the TSC after earlier instructions have completed (end of a timed section).
    @inlinable @inline(__always)
    public static func nowSerialized() -> UInt64 { tw_rdtscp() }

    /// Converts a cycle count to nanoseconds.
    @inlinable @inline(__always)
    public func nanoseconds(cycles: UInt64) -> UInt64 {
        let p = cycles.multipliedFullWidth(by: mult)
        // (high:low) >> shift, 1 <= shift <= 63.
        return (p.high << (64 &- shift)) | (p.low >> shift)
    }

    /// Converts a TSC reading to ns since the Unix epoch (CLOCK_REALTIME at calibration).
    @inlinable
    public func realtimeNanos(tsc: UInt64) -> Int64 {
        if tsc >= anchorTSC {
            return anchorRealtimeNanos &+ Int64(truncatingIfNeeded: nanoseconds(cycles: tsc &- anchorTSC))
        }
        return anchorRealtimeNanos &- Int64(truncatingIfNeeded: nanoseconds(cycles: anchorTSC &- tsc))
    }

    /// Converts a TSC reading to CLOCK_MONOTONIC_RAW nanoseconds (the time base of timers that
    /// are also read with `tw_clock_monotonic_raw_ns`, such as the order session's).
    @inlinable @inline(__always)
    public func monotonicRawNanos(tsc: UInt64) -> Int64 {
        if tsc >= anchorTSC {
            return anchorMonotonicRawNanos &+ Int64(truncatingIfNeeded: nanoseconds(cycles: tsc &- anchorTSC))
        }
        return anchorMonotonicRawNanos &- Int64(truncatingIfNeeded: nanoseconds(cycles: anchorTSC &- tsc))
    }

    struct Sample {
        var tsc: UInt64
        var nanos: Int64
        var bracket: UInt64
    }

    /// Reads `clock` between two TSC reads `tries` times and keeps the tightest bracket.
    static func sample(_ clock: () -> Int64, tries: Int = 64) -> Sample {
        var best = Sample(tsc: 0, nanos: 0, bracket: .max)
        for _ in 0..<tries {
            let a = tw_rdtscp()
            let ns = clock()
            let b = tw_rdtscp()
            if b >= a && b - a < best.bracket {
                best = Sample(tsc: a + (b - a) / 2, nanos: ns, bracket: b - a)
            }
        }
        return best
    }

    /// Calibrates against CLOCK_MONOTONIC_RAW over `windowNanos` of wall time (busy wait).
    public static func calibrate(windowNanos: Int64 = 100_000_000) -> TSCClock {
        let m0 = sample(tw_clock_monotonic_raw_ns)
        let r0 = sample(tw_clock_realtime_ns)
        var m1 = sample(tw_clock_monotonic_raw_ns)
        while m1.nanos - m0.nanos < windowNanos {
            m1 = sample(tw_clock_monotonic_raw_ns, tries: 4)
        }
        m1 = sample(tw_clock_monotonic_raw_ns)
        let cycles = m1.tsc &- m0.tsc
        let nanos = UInt64(m1.nanos - m0.nanos)
        let hz = UInt64((UInt128(cycles) * 1_000_000_000) / UInt128(max(nanos, 1)))
        return TSCClock(hz: hz, anchorTSC: r0.tsc, anchorRealtimeNanos: r0.nanos,
                        anchorMonotonicRawNanos: m0.nanos + Int64(nanosecondsApprox(r0.tsc &- m0.tsc, hz: hz)))
    }

    private static func nanosecondsApprox(_ cycles: UInt64, hz: UInt64) -> UInt64 {
        UInt64((UInt128(cycles) * 1_000_000_000) / UInt128(max(hz, 1)))
    }
}

/// Whether this CPU's TSC can serve as a clock: it must tick at a constant rate whatever the
/// frequency (constant_tsc) and keep ticking in deep C-states (nonstop_tsc).
public struct TSCInvariance: Sendable, Equatable {
    public let constantTSC: Bool
    public let nonstopTSC: Bool
    /// The kernel's current clocksource (tsc, kvm-clock, hpet...), nil when unreadable.
    public let clocksource: String?

    public var isInvariant: Bool { constantTSC && nonstopTSC }

    /// A sentence for the operator when the TSC is not a safe clock, nil when it is.
    public var warning: String? {
        if isInvariant { return nil }
        var missing: [String] = []
        if !constantTSC { missing.append("constant_tsc") }
        if !nonstopTSC { missing.append("nonstop_tsc") }
        return "TSC is not invariant (missing CPU flags: \(missing.joined(separator: ", "))): "
            + "cycle counts may drift with frequency changes or stop in deep C-states; "
            + "latency figures from it are not trustworthy on this machine"
    }

    public init(constantTSC: Bool, nonstopTSC: Bool, clocksource: String?) {
        self.constantTSC = constantTSC
        self.nonstopTSC = nonstopTSC
        self.clocksource = clocksource
    }

    /// Reads the flags line of `cpuinfo` (default /proc/cpuinfo) and the current clocksource.
    public static func read(cpuinfo: String = "/proc/cpuinfo",
                            clocksource: String = "/sys/devices/system/clocksource/clocksource0/current_clocksource")
        -> TSCInvariance
    {
        let info = TextFile.read(cpuinfo) ?? ""
        var flags: Set<Substring> = []
        for line in info.split(separator: "\n") where line.hasPrefix("flags") {
            if let colon = line.firstIndex(of: ":") {
                flags = Set(line[line.index(after: colon)...].split(separator: " "))
            }
            break
        }
        let cs = TextFile.read(clocksource).map { String($0.filter { !$0.isWhitespace }) }
        return TSCInvariance(constantTSC: flags.contains("constant_tsc"),
                             nonstopTSC: flags.contains("nonstop_tsc"), clocksource: cs)
    }
}
