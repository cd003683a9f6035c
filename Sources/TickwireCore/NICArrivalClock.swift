// NIC arrival stamps on the TSC's time line, from the packets themselves.
//
// A packet's NIC stamp says when it arrived, on the NIC's clock; the loop reads the TSC when the
// rx burst that carried it returns, which is later by the time it waited in the descriptor ring
// and the burst (`nic_to_rx`), never earlier. So over any stretch, the smallest difference
// (rx TSC - stamp, both in TSC ticks) is the clocks' offset plus the shortest wait the stretch
// saw, and the lower envelope of those differences is the NIC clock mapped onto the TSC. This
// estimator keeps the minimum per window of NIC time and fits offset + drift by least squares
// through the last `windows` minima, lowered onto the lowest of them (so a rate error of the
// NIC's oscillator, ±100 ppm, is followed rather than folded into the wait); the open window's
// running minimum counts too, so the map is ready from the first packet. Fitting all differences instead would put the average
// wait, not the shortest, at zero.
//
// It needs no readable NIC clock: it serves a PMD that stamps packets but cannot be read
// (`rte_eth_read_clock` unsupported), and DPDK's net_pcap, whose stamps are the capture's record
// times. A step of the NIC clock (set by PTP) shows as a window minimum off the envelope by more
// than `stepThresholdNanos`: below it (no wait explains that) at once, above it (every packet of
// a window may have waited) once the next window agrees; the windows then restart from the new
// offset, counted in `steps`, so the step is followed, not smeared.
//
// The hot loop owns it: `observe` is a few integer operations and one comparison per stamped
// packet, and a fit over at most `windows` points when a window closes; nothing allocates after
// init, and the state is one class reached unretained.

public final class NICArrivalClock {
    /// TSC ticks per nanosecond of the NIC clock (the TSC's calibrated rate).
    public let ticksPerNano: Double
    public let windowNanos: UInt64
    public let windows: Int
    public let stepThresholdNanos: Double
    /// Closed windows' minima: NIC time (ns, relative to `base`) and offset (ticks).
    let stamps: UnsafeMutablePointer<Double>
    let offsets: UnsafeMutablePointer<Double>
    var head = 0
    var closed = 0
    var base: UInt64 = 0
    var started = false
    /// The open window: its start (ns, relative to base), minimum offset and that packet's time.
    var windowStart: Double = 0
    var openMin: Double = .infinity
    var openStamp: Double = 0
    /// How far the open window's packets went below the fitted line, at most (ticks, >= 0).
    var openDeficit: Double = 0
    /// The fit: offset(t) = a + b·t (t relative to base, ticks), over the closed windows.
    var a: Double = 0
    var b: Double = 0
    var fitted = false
    /// A window minimum above the envelope by more than the threshold, held for one window.
    var suspect: (stamp: Double, offset: Double)?
    public private(set) var steps: UInt64 = 0
    public private(set) var observed: UInt64 = 0

    /// `windowNanos`: the span of NIC time of one minimum (long enough that some packet in it
    /// met an empty ring; 10 ms by default); `windows`: minima in the fit.
    public init(clock: TSCClock, windowNanos: UInt64 = 10_000_000, windows: Int = 32, stepThresholdNanos: Double = 2_000) {
        ticksPerNano = Double(clock.hz) / 1e9
        self.windowNanos = max(windowNanos, 1)
        self.windows = max(windows, 2)
        self.stepThresholdNanos = stepThresholdNanos
        stamps = .allocate(capacity: self.windows)
        stamps.initialize(repeating: 0, count: self.windows)
        offsets = .allocate(capacity: self.windows)
        offsets.initialize(repeating: 0, count: self.windows)
    }

    deinit {
        stamps.deallocate()
        offsets.deallocate()
    }

    /// A packet stamped `nicNanos` by the NIC, seen by the loop at TSC `rx`.
    @inline(__always)
    public func observe(nicNanos: UInt64, rx: UInt64) {
        if !started {
            started = true
            base = nicNanos
        }
        observed &+= 1
        let t = Double(Int64(bitPattern: nicNanos &- base))
        let offset = Double(rx) - t * ticksPerNano
        if t - windowStart >= Double(windowNanos) { closeWindow(at: t) }
        if offset < openMin {
            openMin = offset
            openStamp = t
        }
        if fitted {
            let deficit = a + b * t - offset
            if deficit > openDeficit { openDeficit = deficit }
        }
    }

    /// The TSC at which the packet stamped `nicNanos` arrived at the NIC (0: nothing seen yet).
    @inline(__always)
    public func tsc(nicNanos: UInt64) -> UInt64 {
        guard started else { return 0 }
        let t = Double(Int64(bitPattern: nicNanos &- base))
        // The open window is newer than the fit: a packet of it below the line lowers the line
        // by as much (the drift the line follows is kept), so no arrival is after its poll.
        let offset = fitted ? a + b * t - (t >= windowStart ? openDeficit : 0) : openMin
        let v = offset + t * ticksPerNano
        return v > 0 ? UInt64(v) : 0
    }

    @inline(never)
    func closeWindow(at t: Double) {
        if openMin.isFinite {
            let r = fitted ? openMin - (a + b * openStamp) : 0
            let threshold = stepThresholdNanos * ticksPerNano
            if r < -threshold {
                // Below the envelope: no wait explains it; the NIC clock stepped forward.
                restart()
                add(openStamp, openMin)
            } else if r > threshold {
                // Above it: every packet of the window waited that long, or the clock stepped
                // back. The next window says which: held until then.
                if let held = suspect {
                    restart()
                    add(held.stamp, held.offset)
                    add(openStamp, openMin)
                } else {
                    suspect = (openStamp, openMin)
                }
            } else {
                suspect = nil
                add(openStamp, openMin)
            }
        }
        // Windows are aligned to the NIC's time line, so a silent stretch closes one window.
        windowStart = (t / Double(windowNanos)).rounded(.down) * Double(windowNanos)
        openMin = .infinity
        openDeficit = 0
    }

    func restart() {
        steps &+= 1
        closed = 0
        head = 0
        suspect = nil
    }

    func add(_ stamp: Double, _ offset: Double) {
        stamps[head] = stamp
        offsets[head] = offset
        head = head + 1 == windows ? 0 : head + 1
        closed = min(closed + 1, windows)
        fit()
    }

    func fit() {
        if closed == 1 {
            (a, b, fitted) = (offsets[(head + windows - 1) % windows], 0, true)
            return
        }
        var sx = 0.0, sy = 0.0
        for i in 0..<closed { sx += stamps[i]; sy += offsets[i] }
        let n = Double(closed), mx = sx / n, my = sy / n
        var sxx = 0.0, sxy = 0.0
        for i in 0..<closed {
            let dx = stamps[i] - mx
            sxx += dx * dx
            sxy += dx * (offsets[i] - my)
        }
        b = sxx > 0 ? sxy / sxx : 0
        a = my - b * mx
        // Down to the lowest minimum: the line supports the minima from below (the envelope),
        // rather than passing through their middle.
        var below = 0.0
        for i in 0..<closed { below = max(below, a + b * stamps[i] - offsets[i]) }
        a -= below
        fitted = true
    }
}
