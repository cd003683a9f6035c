// The gateway's send path in steady state: one iteration = 1,000 orders through
// OrderGateway.submit (pre-trade risk check, order store, OUCH 4.2 encode into the SoupBinTCP
// send buffer, hand-off to a null venue transport). Each order is answered with a venue reject
// inside the iteration (the receive path: decode, store, risk), so the state stays steady.
// The journaled variant adds the journal: each order's record pushed on its ring (the writer
// thread writes them to a file meanwhile), its room and health checked per order.
import Benchmark
import OrderEntry
import Risk
import TickwireCore
#if canImport(Glibc)
import Glibc
#endif

final class GatewayFixture: @unchecked Sendable {
    let gateway: OrderGateway<NullVenueTransport>
    let rejects: UnsafeMutableRawPointer
    var next: UInt32 = 1
    static let rejectLength = 24

    let journal: JournalWriter?

    init(journaled: Bool = false) {
        let path = "/tmp/tw-bench-journal-\(getpid()).twj"
        journal = journaled ? try! JournalWriter(path: path) : nil
        // The writer holds the file open and writes through its descriptor: unlinked now, the
        // file (about 100 MB a run) is gone when the benchmark process ends, not left in /tmp.
        if journaled { unlink(path) }
        let limits = RiskLimits(maxOrderShares: 10_000, maxOrderNotional: Int64(10_000) * 10_000_000, collarBps: 500,
                                maxPositionPerSymbol: 1_000_000, maxGrossPosition: 10_000_000, maxOpenOrders: 1_000,
                                throttleOrders: 1_000_000, throttleWindowNanos: 1_000)
        let risk = try! RiskEngine(limits: limits, maxLocates: 128)
        for l in 1...100 { risk.setReference(locate: StockLocate(rawValue: UInt16(l)), price: Price(rawValue: 1_000_000)) }
        let names: [Alpha8] = [.blank] + (1...100).map { Alpha8("SYN\(String(format: "%04d", $0))")! }
        gateway = OrderGateway(version: .v42, credentials: SoupBinTCPCredentials(username: "BENCH", password: "x"), symbols: names,
                               journal: journal, risk: risk)
        gateway.connect(NullVenueTransport(), now: 0)
        var none = NoGatewayListener()
        gateway.poll(now: 0, &none)
        // One reject per order number of a 1,000-order iteration, rewritten with the right token
        // before each iteration (outside the measurement).
        rejects = .allocate(byteCount: 1_000 * Self.rejectLength, alignment: 8)
    }

    func prepareRejects() {
        for k in 0..<1_000 {
            let id = next &+ UInt32(k)
            _ = OUCH42.Rejected(timestamp: VenueTime(nanosSinceMidnight: 0), orderToken: OrderTokens.token(id), reason: "X")
                .encode(into: UnsafeMutableRawBufferPointer(start: rejects + k * Self.rejectLength, count: Self.rejectLength))
        }
    }
}

nonisolated(unsafe) var gatewayFixture: GatewayFixture?
nonisolated(unsafe) var journaledGatewayFixture: GatewayFixture?

/// One iteration: 1,000 orders submitted and rejected; checks (outside the measurement) that
/// every order went out, so that a run measuring refusals cannot pass.
func gatewayIteration(_ f: GatewayFixture, _ benchmark: Benchmark) {
    for _ in benchmark.scaledIterations {
        f.prepareRejects()
        // The journal's writer has drained the last iteration's records (it runs meanwhile).
        while let j = f.journal, !j.hasRoom(for: 2_048) { usleep(100) }
        let before = f.gateway.counters.sent
        benchmark.startLoop()
        var t: Int64 = Int64(f.next) * 1_000
        for k in 0..<1_000 {
            let r = f.gateway.submit(locate: StockLocate(rawValue: UInt16(1 + k % 100)), side: k & 1 == 0 ? .buy : .sell, shares: 100,
                                     price: Price(rawValue: 1_000_000 - 2_000 + Int64(k % 40) * 100), now: t)
            blackHole(r)
            blackHole(f.gateway.applyVenueMessage(UnsafeRawBufferPointer(start: f.rejects + k * GatewayFixture.rejectLength,
                                                                         count: GatewayFixture.rejectLength)))
            t &+= 1_000
        }
        benchmark.stopLoop()
        precondition(f.gateway.counters.sent - before == 1_000, "every order went out (\(f.gateway.counters.sent - before))")
        f.next &+= 1_000
    }
}

func gatewayBenchmarks() {
    Benchmark("Gateway_submit_and_reject_1000_orders",
              configuration: .init(setup: {
                  if gatewayFixture == nil { gatewayFixture = GatewayFixture() }
              })) { benchmark in
        gatewayIteration(gatewayFixture!, benchmark)
    }

    Benchmark("Gateway_journaled_submit_and_reject_1000_orders",
              configuration: .init(setup: {
                  if journaledGatewayFixture == nil { journaledGatewayFixture = GatewayFixture(journaled: true) }
              })) { benchmark in
        gatewayIteration(journaledGatewayFixture!, benchmark)
    }
}
