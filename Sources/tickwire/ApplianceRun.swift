// Runs the appliance against a venue: the order session over kernel TCP, the feed from a DPDK
// port (an af_packet vdev on a veth, or any PMD) or from kernel UDP sockets, the strategy on
// the hot loop, telemetry on a cold thread. Shared by `tickwire demo` and `tickwire run`.
import Appliance
import CShims
import Foundation
import MarketData
import OrderBook
import OrderEntry
import Risk
import Strategy
import TickwireCore
import Wire

/// Where the feed comes from.
enum FeedSource {
    /// A DPDK vdev, e.g. ("net_af_packet0", "iface=twd0"); `eal` are the EAL arguments.
    case dpdk(vdev: String, arguments: String, eal: [String])
    /// Kernel UDP sockets joined on `interface`.
    case kernel(interface: IPv4Address)

    var label: String {
        switch self {
        case .dpdk(let v, let a, _): "dpdk \(v),\(a)"
        case .kernel(let i): "kernel udp on \(i)"
        }
    }
}

struct TradingSetup {
    var orderEntry: FeedAddress
    var version: OUCHVersion = .v42
    var credentials: SoupBinTCPCredentials
    var symbols: Int
    var traded: [StockLocate]
    var lineA: FeedAddress
    var lineB: FeedAddress
    var rerequest: FeedAddress
    var journalPath: String?
    var limits: RiskLimits
    var hotCore: Int?
    var coldCore: Int?
    var maxOrders: Int = 1 << 20
    /// Serve Prometheus text on 127.0.0.1:port (nil: no metrics).
    var metricsPort: UInt16?
}

/// What a run did, for the reports.
struct RunOutcome {
    var seconds: Double
    var engine: EngineCounters
    var appliance: ApplianceCounters
    var feed: MoldUDP64Counters
    var frames: FeedFrameCounters
    var gateway: GatewayCounters
    var riskRejects: [String: UInt64]
    var killSwitch: String?
    var pnl: Double
    var realized: Double
    var positions: [String: Int64]
    var openOrdersAtEnd: Int
    var recorder: LatencyRecorder
    var rxTimestampSource: String
    var source: String
    var liveOrdersInBook: Int
    var bookMessages: UInt64
    /// The strategy's `modelSummary()`.
    var models: [String: String]
}

enum ApplianceRunError: Error, CustomStringConvertible {
    case setup(String)
    var description: String {
        switch self { case .setup(let s): s }
    }
}

func symbolNames(_ n: Int) -> [Alpha8] {
    [.blank] + (1...max(n, 1)).map { Alpha8(SyntheticDay.symbol(locate: $0).description) ?? .blank }
}

/// Connects and logs in, retrying the connect while the venue is not yet listening.
func connectGateway(_ g: OrderGateway<TCPConnection>, to venue: FeedAddress, waitSeconds: Double) throws {
    let deadline = tw_clock_monotonic_raw_ns() + Int64(waitSeconds * 1e9)
    var lastError = ""
    while tw_clock_monotonic_raw_ns() < deadline {
        do {
            let c = try TCPConnection.connect(to: venue.ip, port: venue.port, timeoutMillis: 500)
            g.connect(c, now: tw_clock_monotonic_raw_ns())
            var l = NoGatewayListener()
            while tw_clock_monotonic_raw_ns() < deadline {
                g.poll(now: tw_clock_monotonic_raw_ns(), &l)
                if g.isLoggedIn { return }
                if g.client.state != .awaitingLogin { break }
                usleep(1_000)
            }
            lastError = "login: \(g.client.state)"
            if g.client.state != .awaitingLogin && g.client.state != .disconnected { break }
        } catch {
            lastError = "\(error)"
            usleep(100_000)
        }
    }
    throw ApplianceRunError.setup("cannot log in to the venue at \(venue): \(lastError)")
}

func runTrading<S: Strategy>(strategy: S, setup: TradingSetup, source: FeedSource, seconds: Double, flag: RunFlag,
                             loginWaitSeconds: Double = 10, log: (String) -> Void) throws -> RunOutcome {
    // The feed side first, so that nothing of the feed is missed once the venue starts it.
    var port: DPDKPort?
    var lineA: KernelUDPReceiver?
    var lineB: KernelUDPReceiver?
    switch source {
    case .dpdk(let vdev, let args, let eal):
        do {
            if !EAL.isRunning { _ = try EAL.start(arguments: eal) }
            let pool = try Mempool(name: "tw_rx", count: 8191, cache: 256)
            port = try DPDKPort(vdev: vdev, arguments: args, mempool: pool)
        } catch {
            throw ApplianceRunError.setup("DPDK port \(vdev),\(args): \(error)")
        }
    case .kernel(let interface):
        do {
            lineA = try KernelUDPReceiver(group: setup.lineA.ip, port: setup.lineA.port, interface: interface)
            lineB = try KernelUDPReceiver(group: setup.lineB.ip, port: setup.lineB.port, interface: interface)
        } catch {
            throw ApplianceRunError.setup("feed sockets on \(interface): \(error)")
        }
    }
    defer {
        port?.close()
        lineA?.close()
        lineB?.close()
    }
    let risk: RiskEngine
    do { risk = try RiskEngine(limits: setup.limits, maxLocates: setup.symbols + 1) } catch {
        throw ApplianceRunError.setup("risk limits: \(error)")
    }
    let journal: JournalWriter?
    do { journal = try setup.journalPath.map { p throws(SystemError) in try JournalWriter(path: p) } } catch {
        throw ApplianceRunError.setup("journal: \(error)")
    }
    let gateway = OrderGateway<TCPConnection>(version: setup.version, credentials: setup.credentials, symbols: symbolNames(setup.symbols),
                                              journal: journal, risk: risk)
    try connectGateway(gateway, to: setup.orderEntry, waitSeconds: loginWaitSeconds)
    log("logged in to \(setup.orderEntry) (OUCH \(setup.version.rawValue)); feed from \(source.label)")

    let book: OrderBook
    do { book = try OrderBook(configuration: OrderBookConfiguration(maxOrders: setup.maxOrders, maxLocates: setup.symbols + 1)) } catch {
        throw ApplianceRunError.setup("book: \(error)")
    }
    let engine = TradingEngine(book: book, gateway: gateway, strategy: strategy)
    let requester: UDPRecoveryClient
    do { requester = try UDPRecoveryClient(server: setup.rerequest.ip, port: setup.rerequest.port) } catch {
        throw ApplianceRunError.setup("re-request socket: \(error)")
    }
    let clock = TSCClock.calibrate(windowNanos: 50_000_000)
    let appliance = Appliance(engine: engine, lineA: setup.lineA, lineB: setup.lineB, requester: requester, clock: clock)
    let telemetry = TelemetryDrain(ring: engine.stamps, clock: clock)
    if let port = setup.metricsPort {
        do {
            let exporter = try MetricsExporter(port: port)
            telemetry.counters = appliance.snapshots
            telemetry.onCounters = { exporter.update($0) }
            exporter.serve(flag: flag, core: setup.coldCore)
            log("metrics: Prometheus text on http://127.0.0.1:\(exporter.port)/metrics")
        } catch {
            throw ApplianceRunError.setup("metrics port \(port): \(error)")
        }
    }
    telemetry.start(core: setup.coldCore)

    // The timer that ends the run (a signal or the control command may end it sooner).
    let timer = Thread {
        let end = Date().addingTimeInterval(seconds)
        while flag.isRunning && Date() < end { usleep(20_000) }
        flag.stop()
    }
    timer.start()
    if let core = setup.hotCore { try? ThreadPlacement.pinCurrentThread(to: core) }
    try? ThreadPlacement.nameCurrentThread("tw-hot")
    let t0 = Date()
    if let port {
        appliance.run(port: port, flag: flag)
    } else if let lineA, let lineB {
        appliance.run(lineA: lineA, lineB: lineB, flag: flag)
    }
    let ran = Date().timeIntervalSince(t0)

    // Wind down: cancel what is open, hear the answers, log out, flush the journal.
    func now() -> Int64 { tw_clock_monotonic_raw_ns() }
    engine.trading = false
    gateway.cancelAll(now: now())
    let until = now() + 2_000_000_000
    var open = 1
    while now() < until {
        engine.pollVenue(now: now())
        open = 0
        gateway.store.forEachOpen { _ in open += 1 }
        if open == 0 { break }
        usleep(1_000)
    }
    log("wind-down: \(gateway.counters.cancelsSent) cancels sent, \(open) open, session \(gateway.client.state)")
    appliance.publishCounters()
    gateway.client.logout(now: now())
    journal?.close()
    let recorder = telemetry.finish()

    var rejects: [String: UInt64] = [:]
    for r in RiskReject.allCases where risk.rejectCount(r) > 0 { rejects["\(r)"] = risk.rejectCount(r) }
    var positions: [String: Int64] = [:]
    for (l, p) in gateway.positions.enumerated() where p != 0 { positions[SyntheticDay.symbol(locate: l).description] = p }
    return RunOutcome(seconds: ran, engine: engine.counters, appliance: appliance.counters, feed: appliance.feed.session.counters,
                      frames: appliance.feed.frameCounters, gateway: gateway.counters, riskRejects: rejects,
                      killSwitch: risk.killReason.map { "\($0)" }, pnl: Double(risk.positions.totalPnL) / 10_000,
                      realized: Double(risk.positions.totalRealized) / 10_000, positions: positions, openOrdersAtEnd: open,
                      recorder: recorder,
                      // The stamps are TSC readings at the burst's return even when the PMD
                      // timestamps packets: NIC time is another clock (not converted yet).
                      rxTimestampSource: port?.hardwareTimestamps == true ? "tsc_at_rx_burst (nic timestamps on, not used)" : "tsc_at_rx_burst",
                      source: source.label, liveOrdersInBook: book.liveOrders, bookMessages: engine.counters.messages, models: strategy.modelSummary())
}
