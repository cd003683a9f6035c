import CShims

// A linear model between two clocks: the TSC (x, ticks) and another clock (y, nanoseconds):
// a NIC's PTP clock, or CLOCK_REALTIME (what a tcpdump tap stamps with). A cold thread feeds it
// pairs read back to back; the model fits y = a + b·x by least squares over a sliding window of
// the last `capacity` pairs, so the rate (the two oscillators' ratio) follows drift, and the
// conversion interpolates inside the window and extrapolates a little beyond it.
//
// A clock step (the NIC clock set by PTP, a leap of CLOCK_REALTIME) must not be smeared into
// the fit: a pair whose residual exceeds `stepThresholdNanos` is held as suspect; a second
// pair that agrees with it confirms a step (reported, and the window restarts from the two
// pairs at the new offset); a second pair that fits the old line marks the first an outlier
// (counted and dropped: a sample read while the thread was preempted).
//
// Numerics: x and y are kept relative to the window's first pair, so the sums stay far below
// 2^53 for windows of minutes at GHz rates and the fit is exact to well under a nanosecond.
// The model is a value owned by the cold thread that samples the clocks; whoever converts on
// another thread gets a copy.

public struct ClockModel: Sendable, Equatable {
    /// What a new pair did to the model.
    public enum Outcome: Sendable, Equatable {
        case accepted
        /// Held: it disagrees with the line; the next pair says whether it was a step.
        case suspect
        /// The previous suspect was alone: dropped.
        case outlierDropped
        /// The other clock jumped by this many nanoseconds (the window restarted).
        case step(Int64)
    }

    public let capacity: Int
    public let stepThresholdNanos: Int64
    /// The window (ring) of pairs relative to (x0, y0).
    var xs: [Double]
    var ys: [Double]
    var head = 0
    public private(set) var count = 0
    var x0: UInt64 = 0
    var y0: Int64 = 0
    /// The fit, relative to (x0, y0): y - y0 = a + b·(x - x0).
    var a: Double = 0
    var b: Double = 0
    var suspect: (x: UInt64, y: Int64)?
    /// After a step the window restarts with two pairs; until it holds `minimumRatePairs` the
    /// rate from before the step is kept (two close pairs give a poor rate).
    var rateHint: Double = 0
    static let minimumRatePairs = 8
    public private(set) var steps: UInt64 = 0
    public private(set) var outliers: UInt64 = 0
    public private(set) var lastStepNanos: Int64 = 0
    /// Root mean square of the window's residuals (ns).
    public private(set) var residualRMS: Double = 0

    /// `capacity` pairs in the window (at least 2); a residual beyond `stepThresholdNanos` is a
    /// suspect step.
    public init(capacity: Int = 64, stepThresholdNanos: Int64 = 2_000) {
        self.capacity = max(2, capacity)
        self.stepThresholdNanos = max(1, stepThresholdNanos)
        xs = Array(repeating: 0, count: self.capacity)
        ys = Array(repeating: 0, count: self.capacity)
    }

    public static func == (l: ClockModel, r: ClockModel) -> Bool {
        l.capacity == r.capacity && l.count == r.count && l.x0 == r.x0 && l.y0 == r.y0 && l.a == r.a && l.b == r.b
    }

    /// Whether the model can convert (two pairs at least).
    public var isReady: Bool { count >= 2 }
    /// Nanoseconds of the other clock per tick.
    public var nanosPerTick: Double { b }

    /// Adds a pair read back to back: `x` TSC, `y` the other clock's nanoseconds.
    @discardableResult
    public mutating func add(x: UInt64, y: Int64) -> Outcome {
        if count < 2 {
            if count == 0 { (x0, y0) = (x, y) }
            guard count == 0 || x > lastX else { return .outlierDropped }
            push(x, y)
            fit()
            return .accepted
        }
        let r = Double(y &- y0) - predictRelative(x)
        if abs(r) <= Double(stepThresholdNanos) {
            let hadSuspect = suspect != nil
            suspect = nil
            push(x, y)
            fit()
            if hadSuspect {
                outliers &+= 1
                return .outlierDropped
            }
            return .accepted
        }
        if let s = suspect {
            let rs = Double(s.y &- y0) - predictRelative(s.x)
            if abs(r - rs) <= Double(stepThresholdNanos) {
                // Both agree on a new offset: a step. Restart from the two pairs.
                suspect = nil
                steps &+= 1
                lastStepNanos = Int64(((r + rs) / 2).rounded())
                rateHint = b
                count = 0
                head = 0
                (x0, y0) = (s.x, s.y)
                push(s.x, s.y)
                push(x, y)
                fit()
                return .step(lastStepNanos)
            }
            outliers &+= 1
        }
        suspect = (x, y)
        return .suspect
    }

    /// The other clock's nanoseconds at TSC `x` (nil before two pairs).
    public func convert(_ x: UInt64) -> Int64? {
        guard count >= 2 else { return nil }
        return y0 &+ Int64(predictRelative(x).rounded())
    }

    /// The TSC at the other clock's `y` nanoseconds (the inverse; nil before two pairs).
    public func tsc(at y: Int64) -> UInt64? {
        guard count >= 2, b > 0 else { return nil }
        let dx = (Double(y &- y0) - a) / b
        let v = Double(x0) + dx
        guard v.isFinite, v >= 0, v < 1.8e19 else { return nil }
        return UInt64(v)
    }

    // MARK: - Fit

    var lastX: UInt64 { x0 &+ UInt64(xs[(head + capacity - 1) % capacity]) }

    func predictRelative(_ x: UInt64) -> Double {
        let dx = x >= x0 ? Double(x &- x0) : -Double(x0 &- x)
        return a + b * dx
    }

    mutating func push(_ x: UInt64, _ y: Int64) {
        if count == capacity {
            // The oldest pair leaves: re-base on the next one so the values stay small.
            let nextOldest = (head + 1) % capacity
            let dx = xs[nextOldest], dy = ys[nextOldest]
            if dx != 0 || dy != 0 {
                for i in 0..<capacity {
                    xs[i] -= dx
                    ys[i] -= dy
                }
                x0 &+= UInt64(dx)
                y0 &+= Int64(dy)
            }
            count -= 1
        }
        xs[head] = Double(x &- x0)
        ys[head] = Double(y &- y0)
        head = (head + 1) % capacity
        count += 1
    }

    mutating func fit() {
        let n = Double(count)
        let first = head - count + capacity
        var sx = 0.0, sy = 0.0
        for k in 0..<count {
            let i = (first + k) % capacity
            sx += xs[i]
            sy += ys[i]
        }
        let mx = sx / n, my = sy / n
        var sxx = 0.0, sxy = 0.0
        for k in 0..<count {
            let i = (first + k) % capacity
            let dx = xs[i] - mx
            sxx += dx * dx
            sxy += dx * (ys[i] - my)
        }
        if count < Self.minimumRatePairs, rateHint > 0 {
            b = rateHint
        } else {
            b = sxx > 0 ? sxy / sxx : b
            rateHint = 0
        }
        a = my - b * mx
        var ss = 0.0
        for k in 0..<count {
            let i = (first + k) % capacity
            let r = ys[i] - (a + b * xs[i])
            ss += r * r
        }
        residualRMS = (ss / n).squareRoot()
    }
}

/// A cold thread's pair of the TSC and another clock, read so that the pair is tight: the
/// clock read between two serialising TSC reads, `tries` times, keeping the narrowest bracket.
public enum ClockPair {
    public static func read(_ clock: () -> Int64, tries: Int = 8) -> (tsc: UInt64, nanos: Int64, bracketTicks: UInt64) {
        let s = TSCClock.sample(clock, tries: tries)
        return (s.tsc, s.nanos, s.bracket)
    }

    /// TSC and CLOCK_REALTIME.
    public static func realtime(tries: Int = 8) -> (tsc: UInt64, nanos: Int64, bracketTicks: UInt64) {
        read({ tw_clock_realtime_ns() }, tries: tries)
    }
}
