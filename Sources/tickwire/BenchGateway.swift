import ArgumentParser
import CShims
import Foundation
import OrderEntry
import Risk
import TickwireCore

/// `tickwire bench gateway`: two timings per order.
/// - `risk_encode_*`: what the gateway issue specifies, the pre-trade risk check plus the OUCH
///   encode of the order, the two calls timed back to back (the reservation is released outside
///   the timing).
/// - p50/p99/... : the whole send path through `OrderGateway.submit`: risk check, order store,
///   OUCH encode into the SoupBinTCP send buffer, framing and the hand-off to the transport (a
///   null venue that takes the bytes); each order is answered with a venue reject, outside the
///   timing, so that the state stays steady.
struct BenchGateway: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gateway",
        abstract: "Risk check + OUCH encode per order on the gateway's send path: p50/p99 in ns."
    )

    @Option(help: "Orders to time.")
    var orders: Int = 200_000

    @Option(help: "OUCH version: 4.2 or 5.0.")
    var ouch: String = "4.2"

    @Flag(help: "Print one JSON object.")
    var json = false

    @Flag(help: "Also time, after each order, a fixed piece of work of about the path's median length (CShims/probe.c: the same instructions and data every run): its spread is the machine's noise. Reported as probe_*, with both p99/p50 ratios.")
    var probe = false

    struct Report: Encodable {
        var orders: Int
        var ouch: String
        var p50Ns: Double
        var p99Ns: Double
        var p999Ns: Double
        var maxNs: Double
        var meanNs: Double
        var timerOverheadNs: Double
        var riskRejects: UInt64
        var riskEncodeP50Ns: Double
        var riskEncodeP99Ns: Double
        var riskEncodeP999Ns: Double
        /// With --probe: the fixed work's times, measured between the orders of the same loop.
        var probeRounds: Int?
        var probeP50Ns: Double?
        var probeP99Ns: Double?
        var probeP999Ns: Double?
        var probeP99OverP50: Double?
        var p99OverP50: Double?
    }

    func run() throws {
        guard let version = OUCHVersion(rawValue: ouch) else { throw ValidationError("--ouch is 4.2 or 5.0") }
        guard orders >= 1000 else { throw ValidationError("--orders must be at least 1000") }
        let clock = TSCClock.calibrate()
        let limits = RiskLimits(maxOrderShares: 10_000, maxOrderNotional: Int64(10_000) * 10_000_000, collarBps: 500,
                                maxPositionPerSymbol: 1_000_000, maxGrossPosition: 10_000_000, maxOpenOrders: 1_000,
                                throttleOrders: 5_000, throttleWindowNanos: 1_000_000)
        let risk: RiskEngine
        do { risk = try RiskEngine(limits: limits, maxLocates: 128) } catch { throw fail("\(error)") }
        for l in 1...100 { risk.setReference(locate: StockLocate(rawValue: UInt16(l)), price: Price(rawValue: 1_000_000)) }
        let names: [Alpha8] = [.blank] + (1...100).map { Alpha8("SYN\(String(format: "%04d", $0))")! }
        let g = OrderGateway<NullVenueTransport>(version: version, credentials: SoupBinTCPCredentials(username: "BENCH", password: "x"),
                                                 symbols: names, risk: risk)
        g.connect(NullVenueTransport(), now: 0)
        var none = NoGatewayListener()
        g.poll(now: 0, &none)
        guard g.isLoggedIn else { throw fail("the null venue did not log the gateway in") }
        var samples = CycleHistogram(capacity: orders)
        defer { samples.release() }
        var reject = [UInt8](repeating: 0, count: 64)
        var overhead = UInt64.max
        for _ in 0..<1000 {
            let a = tw_rdtsc()
            let b = tw_rdtscp()
            overhead = min(overhead, b &- a)
        }
        let count = orders  // the @Option getter is generic: read it once, outside the loop
        let probing = probe
        // The fixed work sized to about the send path's median (75 ns): rounds raised (by 2, by 8
        // past 32) until the probe's median reaches it.
        var probeRounds: UInt32 = 0
        var probes = CycleHistogram(capacity: probing ? orders : 1)
        defer { probes.release() }
        if probing {
            let target = clock.hz * 75 / 1_000_000_000
            func median(_ r: UInt32) -> UInt64 {
                var h = CycleHistogram(capacity: 4001)
                defer { h.release() }
                for _ in 0..<4001 { h.add(tw_noise_probe(r)) }
                return h.sorted(2000)
            }
            probeRounds = 4
            while probeRounds < 4096 && median(probeRounds) < target { probeRounds += probeRounds < 32 ? 2 : 8 }
        }
        var i = 0
        while i < count {
            let locate = StockLocate(rawValue: UInt16(1 + i % 100))
            let price = Price(rawValue: 1_000_000 + Int64(i % 40) * 100 - 2_000)
            let t0 = tw_rdtsc()
            let r = g.submit(locate: locate, side: i & 1 == 0 ? .buy : .sell, shares: 100, price: price, now: Int64(i) * 1000)
            let t1 = tw_rdtscp()
            samples.add(t1 &- t0)
            guard case .sent(let id) = r else { throw fail("order \(i) not sent: \(r)") }
            // The venue's answer, untimed: a reject closes the order in the store and in risk.
            let n = reject.withUnsafeMutableBytes { out -> Int in
                switch version {
                case .v42: OUCH42.Rejected(timestamp: VenueTime(nanosSinceMidnight: 0), orderToken: OrderTokens.token(id),
                                           reason: "X").encode(into: out) ?? 0
                case .v50: OUCH50.OrderRejected(timestamp: VenueTime(nanosSinceMidnight: 0), userRefNum: id, reason: 1,
                                                clOrdID: .blank).encode(into: out) ?? 0
                }
            }
            _ = reject.withUnsafeBytes { g.applyVenueMessage(UnsafeRawBufferPointer(rebasing: $0[0..<n])) }
            if probing { probes.add(tw_noise_probe(probeRounds)) }
            i += 1
        }
        func ns(_ c: UInt64) -> Double { (Double(clock.nanoseconds(cycles: c)) * 10).rounded() / 10 }
        let (p50, p99, p999) = (ns(samples.sorted(orders / 2)), ns(samples.sorted(orders * 99 / 100)), ns(samples.sorted(orders * 999 / 1000)))
        let (maxNs, meanNs) = (ns(samples.sorted(orders - 1)), ns(samples.total / UInt64(orders)))
        func ratio(_ a: Double, _ b: Double) -> Double { b > 0 ? (a / b * 100).rounded() / 100 : 0 }
        var probeFigures: (p50: Double, p99: Double, p999: Double)?
        if probing {
            probeFigures = (ns(probes.sorted(orders / 2)), ns(probes.sorted(orders * 99 / 100)), ns(probes.sorted(orders * 999 / 1000)))
        }
        samples.reset()

        // Risk check + OUCH encode alone, into a buffer of its own.
        var buffer = [UInt8](repeating: 0, count: 128)
        let names1 = names
        i = 0
        while i < count {
            let locate = StockLocate(rawValue: UInt16(1 + i % 100))
            let side: Side = i & 1 == 0 ? .buy : .sell
            let price = Price(rawValue: 1_000_000 + Int64(i % 40) * 100 - 2_000)
            let token = OrderTokens.token(UInt32(truncatingIfNeeded: i + 1))
            let t0 = tw_rdtsc()
            let d = risk.check(OrderIntent(locate: locate, side: side, shares: Shares(rawValue: 100), price: price), now: UInt64(count + i) * 1000)  // after the first loop's times: the throttle refuses a clock going back
            let n = buffer.withUnsafeMutableBytes { out -> Int? in
                switch version {
                case .v42:
                    OUCH42.EnterOrder(orderToken: token, side: side == .buy ? .buy : .sell, shares: Shares(rawValue: 100), stock: names1[Int(locate.rawValue)],
                                      price: price, timeInForce: OUCH42.systemHours, firm: .blank, display: "Y", capacity: "P",
                                      intermarketSweepEligibility: "N", minimumQuantity: Shares(rawValue: 0), crossType: "N",
                                      customerType: " ").encode(into: out)
                case .v50:
                    OUCH50.encodeEnterOrder(into: out, userRefNum: UInt32(truncatingIfNeeded: i + 1), side: side == .buy ? .buy : .sell,
                                            quantity: Shares(rawValue: 100), symbol: names1[Int(locate.rawValue)], price: price,
                                            timeInForce: "0", display: "Y", capacity: "P", intermarketSweepEligibility: "N",
                                            crossType: "N", clOrdID: token)
                }
            }
            let t1 = tw_rdtscp()
            samples.add(t1 &- t0)
            guard let id = d.orderID, n != nil else { throw fail("order \(i): risk \(d), encoded \(String(describing: n))") }
            risk.onNotSent(id)
            i += 1
        }
        let rep = Report(orders: orders, ouch: ouch, p50Ns: p50, p99Ns: p99, p999Ns: p999, maxNs: maxNs, meanNs: meanNs,
                         timerOverheadNs: ns(overhead), riskRejects: g.counters.riskRejects,
                         riskEncodeP50Ns: ns(samples.sorted(orders / 2)), riskEncodeP99Ns: ns(samples.sorted(orders * 99 / 100)),
                         riskEncodeP999Ns: ns(samples.sorted(orders * 999 / 1000)),
                         probeRounds: probing ? Int(probeRounds) : nil, probeP50Ns: probeFigures?.p50, probeP99Ns: probeFigures?.p99,
                         probeP999Ns: probeFigures?.p999, probeP99OverP50: probeFigures.map { ratio($0.p99, $0.p50) },
                         p99OverP50: ratio(p99, p50))
        if json {
            printJSON(rep)
        } else {
            print("risk check + OUCH \(ouch) encode: p50 \(rep.riskEncodeP50Ns) ns, p99 \(rep.riskEncodeP99Ns) ns, p99.9 \(rep.riskEncodeP999Ns) ns")
            print("gateway send path (risk + store + OUCH \(ouch) encode + framing): p50 \(rep.p50Ns) ns, p99 \(rep.p99Ns) ns, "
                + "p99.9 \(rep.p999Ns) ns (timer overhead \(rep.timerOverheadNs) ns, included in both)")
            if let f = probeFigures {
                print("fixed work between the orders (\(probeRounds) rounds): p50 \(f.p50) ns, p99 \(f.p99) ns, p99.9 \(f.p999) ns; "
                    + "p99/p50: send path \(rep.p99OverP50 ?? 0), fixed work \(rep.probeP99OverP50 ?? 0)")
            }
        }
    }
}

/// Timings in cycles, counted in one-cycle buckets below `limit` (16 KiB of counters, of which
/// the timing loop touches the few lines around its typical values) and kept whole above it:
/// exact ranks without a store per sample into an array megabytes long (with such an array, the
/// slow samples fell where its store reached a new line, every 8th, or a new page, every 512th).
struct CycleHistogram {
    static let limit = 4096
    let counts: UnsafeMutablePointer<UInt32>
    let above: UnsafeMutablePointer<UInt64>
    var aboveCount = 0
    var count = 0
    var total: UInt64 = 0
    let capacity: Int

    init(capacity: Int) {
        self.capacity = capacity
        counts = .allocate(capacity: Self.limit)
        counts.initialize(repeating: 0, count: Self.limit)
        above = .allocate(capacity: capacity)
        above.initialize(repeating: 0, count: capacity)
    }

    func release() {
        counts.deallocate()
        above.deallocate()
    }

    mutating func reset() {
        counts.update(repeating: 0, count: Self.limit)
        aboveCount = 0
        count = 0
        total = 0
    }

    @inline(__always)
    mutating func add(_ cycles: UInt64) {
        precondition(count < capacity)
        if cycles < UInt64(Self.limit) {
            counts[Int(cycles)] &+= 1
        } else {
            above[aboveCount] = cycles
            aboveCount += 1
        }
        count += 1
        total &+= cycles
    }

    /// The value of rank `k` (0-based) in ascending order.
    mutating func sorted(_ k: Int) -> UInt64 {
        precondition(k >= 0 && k < count)
        var seen = 0
        for c in 0..<Self.limit {
            seen += Int(counts[c])
            if seen > k { return UInt64(c) }
        }
        var rest = UnsafeMutableBufferPointer(start: above, count: aboveCount)
        rest.sort()
        return rest[k - seen]
    }
}
