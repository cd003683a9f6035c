// A readable NIC clock (rte_eth_read_clock) mapped onto the TSC on the cold thread, for the hot
// loop's arrival stamps. Every `spacingNanos` the telemetry thread reads the NIC clock between
// two TSC reads (the narrowest of a few brackets), feeds the pair to a `ClockModel` (least
// squares over a sliding window: offset and rate, so the oscillators' drift is followed; a
// step of the NIC clock, set by PTP, is detected and reported rather than smeared), and
// publishes the model's map through a seqlock (`PublishedClockMap`). The loop loads the map
// once per burst and converts each stamp with it: no lock, no call into the PMD.
//
// Where the port's clock cannot be read, the loop maps stamps by the lower envelope of
// (rx TSC - stamp) instead (`NICArrivalClock`): it needs nothing but the packets, and is what
// net_pcap replays use; a read clock gives the true arrival, the envelope gives it less the
// shortest wait of its window.
import Foundation
public import TickwireCore

public final class NICClockSampler: @unchecked Sendable {
    /// A pair read back to back: TSC and the NIC clock in nanoseconds (nil: the read failed).
    public typealias Read = () -> (tsc: UInt64, nanos: Int64)?

    public struct Report: Sendable, Equatable, Codable {
        public var samples: UInt64 = 0
        public var readFailures: UInt64 = 0
        public var steps: UInt64 = 0
        public var lastStepNanos: Int64 = 0
        public var outliers: UInt64 = 0
        /// Root mean square of the fit's residuals over the window (ns).
        public var residualRmsNanos: Double = 0
        /// NIC nanoseconds per TSC nanosecond, less one, in parts per million (the NIC
        /// oscillator's rate against the TSC's calibrated rate).
        public var ratePpm: Double = 0
        public init() {}
    }

    let read: Read
    let spacingNanos: UInt64
    let ticksPerNano: Double
    let lock = NSLock()
    var model: ClockModel
    var lastSample: UInt64 = 0
    var report = Report()
    /// What the hot loop reads.
    public let published = PublishedClockMap()

    /// `read` the pair (on the cold thread), every `spacingNanos` of TSC time at most.
    public init(clock: TSCClock, spacingNanos: UInt64 = 10_000_000, window: Int = 64, stepThresholdNanos: Int64 = 1_000, read: @escaping Read) {
        self.read = read
        self.spacingNanos = spacingNanos
        ticksPerNano = Double(clock.hz) / 1e9
        model = ClockModel(capacity: window, stepThresholdNanos: stepThresholdNanos)
    }

    /// The sampler of a DPDK port's clock, in the unit of its rx stamps converted to ns.
    public convenience init(clock: TSCClock, readNIC: @escaping () -> UInt64?, toNanos: @escaping (UInt64) -> UInt64, spacingNanos: UInt64 = 10_000_000) {
        self.init(clock: clock, spacingNanos: spacingNanos) {
            var failed = false
            let p = ClockPair.read({
                guard let v = readNIC() else {
                    failed = true
                    return 0
                }
                return Int64(bitPattern: toNanos(v))
            }, tries: 4)
            return failed ? nil : (p.tsc, p.nanos)
        }
    }

    deinit { published.destroy() }

    /// Takes a pair if `spacingNanos` have passed since the last (cold thread).
    public func sampleIfDue(now: UInt64 = TSCClock.now()) {
        guard lastSample == 0 || Double(now &- lastSample) >= Double(spacingNanos) * ticksPerNano else { return }
        lastSample = now
        sample()
    }

    /// Takes a pair now and publishes the map (cold thread).
    public func sample() {
        guard let p = read() else {
            lock.withLock { report.readFailures &+= 1 }
            return
        }
        lock.withLock {
            let outcome = model.add(x: p.tsc, y: p.nanos)
            report.samples &+= 1
            report.steps = model.steps
            report.outliers = model.outliers
            report.residualRmsNanos = model.residualRMS
            if case .step(let ns) = outcome { report.lastStepNanos = ns }
            if model.isReady { report.ratePpm = (model.nanosPerTick * ticksPerNano - 1) * 1e6 }
            // A suspect pair leaves the map as it was until the next pair says what it was.
            if outcome != .suspect, let m = model.map { published.publish(m) }
        }
    }

    public var counters: Report { lock.withLock { report } }
}
