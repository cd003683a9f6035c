// Runs the appliance against a venue: the feed from a DPDK port (an af_packet vdev on a veth,
// or any PMD) or from kernel UDP sockets; the order session over Tickwire's own TCP on that
// same DPDK port (kernel bypass both ways) or over the kernel's TCP (the comparison, and
// laptops); the strategy on the hot loop, telemetry on a cold thread. Shared by `tickwire demo`
// and `tickwire run`.
import Appliance
import CShims
import Foundation
import MarketData
import Net
import OrderBook
import OrderEntry
import Risk
import Strategy
import TickwireCore
import Packets
import DPDK
import Sockets

/// Where the feed comes from.
enum FeedSource {
    /// A DPDK vdev, e.g. ("net_af_packet0", "iface=twd0"); `eal` are the EAL arguments.
    case dpdk(vdev: String, arguments: String, eal: [String])
    /// Kernel UDP sockets joined on `interface`.
    case kernel(interface: IPv4Address)
    /// A NIC the EAL probes from `eal` (`-a ADDRESS`, hugepages), with the profile's mempool
    /// and queue sizes; the rx pool is made on the port's NUMA node.
    case dpdkPCI(address: String, eal: [String], mbufs: Int, mbufCache: Int, rxDescriptors: Int, txDescriptors: Int,
                 rxTimestamps: RxTimestampPolicy = .auto)

    var label: String {
        switch self {
        case .dpdk(let v, let a, _): "dpdk \(v),\(a)"
        case .kernel(let i): "kernel udp on \(i)"
        case .dpdkPCI(let a, _, _, _, _, _, _): "dpdk pci \(a)"
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
    /// A journal failure fires the kill switch unless this is set (then it is counted and
    /// reported, and trading goes on).
    var continueWithoutJournal = false
    var limits: RiskLimits
    var hotCore: Int?
    var coldCore: Int?
    /// Live orders the book holds (a real NASDAQ day peaked at 1.65 million); one more refuses a
    /// message and makes that stock's book unusable (risk then refuses orders in it).
    var maxOrders: Int = 1 << 21
    /// The live-order capacities a book may be made for (`book.max_orders` of a trading
    /// configuration, `backtest --max-orders`).
    static let maxOrdersRange = 1_000...64_000_000
    /// The live orders expected at the peak (the book's reference table is sized for it).
    var peakOrders: Int?
    /// Serve Prometheus text on 127.0.0.1:port (nil: no metrics).
    var metricsPort: UInt16?
    /// Our host on the DPDK port for Tickwire's TCP (nil: orders over the kernel's TCP).
    var net: NetConfiguration?
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
    var lastVenueViolation: String?
    /// The journal's failure (the call and its error), if it failed.
    var journalFailure: String?
    /// Stocks whose book a capacity overflow made unusable (symbol: why); risk refused orders in them.
    var unusableBooks: [String: String] = [:]
    /// Market guard trips by guard, and the guards tripped at the end by symbol.
    var guardTrips: [String: UInt64] = [:]
    var guardsTrippedAtEnd: [String: [String]] = [:]
    var pnl: Double
    var realized: Double
    var positions: [String: Int64]
    var openOrdersAtEnd: Int
    var recorder: LatencyRecorder
    var rxTimestampSource: String
    /// Where the last stamp comes from: the TSC once the send call returned.
    var txTimestampSource = "tsc_after_send"
    var source: String
    var liveOrdersInBook: Int
    var bookMessages: UInt64
    /// The strategy's `modelSummary()`.
    var models: [String: String]
    /// "tickwire" or "kernel".
    var orderTransport: String = "kernel"
    /// Tickwire's TCP and stack counters (nil over the kernel's TCP).
    var tcp: TCPReport?
    /// Each DPDK port's counters over the run (rte_eth_stats; nil on kernel sockets): imissed
    /// is what the NIC dropped because the rx ring was full, which no stage stamp can see.
    var nic: [String: NICCounters]?
    /// The port's NIC clock against the TSC (nil where it cannot be read).
    var nicClock: NICClockSampler.Report?
}

/// What Tickwire's TCP and its host did in a run (the demo's and run's `tcp` key).
struct TCPReport: Encodable {
    var segmentsIn: UInt64
    var segmentsOut: UInt64
    var bytesIn: UInt64
    var bytesOut: UInt64
    var retransmits: UInt64
    var fastRetransmits: UInt64
    var timeouts: UInt64
    var outOfOrderHeld: UInt64
    var duplicateSegments: UInt64
    var duplicateAcks: UInt64
    var challengeAcks: UInt64
    var windowProbes: UInt64
    var resetsIn: UInt64
    var resetsOut: UInt64
    var drops: [String: UInt64]
    var reconnects: UInt64
    var smoothedRttNs: Int64
    var stack: [String: UInt64]
    var stackDrops: [String: UInt64]

    init(host: NetHost<DPDKNetDevice>, reconnects: UInt64, srtt: Int64) {
        let t = host.tcpCounters
        (segmentsIn, segmentsOut, bytesIn, bytesOut) = (t.segmentsIn, t.segmentsOut, t.bytesIn, t.bytesOut)
        (retransmits, fastRetransmits, timeouts, outOfOrderHeld) = (t.retransmits, t.fastRetransmits, t.timeouts, t.outOfOrderHeld)
        (duplicateSegments, duplicateAcks, challengeAcks, windowProbes) = (t.duplicateSegments, t.duplicateAcks, t.challengeAcks, t.windowProbes)
        (resetsIn, resetsOut) = (t.resetsIn, t.resetsOut)
        drops = t.drops.byName
        self.reconnects = reconnects
        smoothedRttNs = srtt
        let n = host.counters
        stack = n.byName
        stackDrops = n.drops.byName
    }
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

/// Connects over Tickwire's TCP and logs in, retrying while the venue is not yet listening
/// (a refused or unanswered SYN), pumping the port meanwhile (ARP, the handshake, the login).
func connectGatewayNet(_ g: OrderGateway<NetOrderTransport>, link: NetLink, to venue: FeedAddress, waitSeconds: Double) throws {
    let deadline = tw_clock_monotonic_raw_ns() + Int64(waitSeconds * 1e9)
    var lastError = ""
    func now() -> Int64 { tw_clock_monotonic_raw_ns() }
    while now() < deadline {
        let c: NetOrderTransport
        do { c = try link.host.connect(to: venue.ip, port: venue.port, now: now()) } catch {
            throw ApplianceRunError.setup("connect to \(venue): \(error)")
        }
        _ = link.pump(seconds: min(2, max(0, Double(deadline - now()) / 1e9))) { c.state != .synSent && c.state != .synReceived }
        guard c.state == .established else {
            lastError = c.error != 0 ? "TCP: \(String(cString: strerror(c.error)))" : "TCP: no answer (\(c.state.rawValue))"
            c.abort()
            usleep(100_000)
            continue
        }
        g.connect(c, now: now())
        var l = NoGatewayListener()
        while now() < deadline {
            link.pump()
            g.poll(now: now(), &l)
            if g.isLoggedIn { return }
            if g.client.state != .awaitingLogin { break }
        }
        lastError = "login: \(g.client.state)"
        if g.client.state != .awaitingLogin && g.client.state != .disconnected { break }
    }
    throw ApplianceRunError.setup("cannot log in to the venue at \(venue) over Tickwire's TCP: \(lastError)")
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
            var conf = DPDKPort.Configuration()
            // af_xdp (DPDK 22.11) gives the kernel 1,024 buffers to fill and counts a frame in
            // imissed only when they run out; an rx ring smaller than 2,048 fills up first and
            // its drops go uncounted (WireTests: anOverrunRxRingIsCountedAsImissed).
            conf.rxDescriptors = 2048
            port = try DPDKPort(vdev: vdev, arguments: args, mempool: pool, configuration: conf)
        } catch {
            throw ApplianceRunError.setup("DPDK port \(vdev),\(args): \(error)")
        }
    case .dpdkPCI(let address, let eal, let mbufs, let cache, let rxd, let txd, let stamps):
        do {
            if !EAL.isRunning { _ = try EAL.start(arguments: eal) }
            let id = try EAL.portID(named: address)
            let info = try PortInfo(port: id)
            let pool = try Mempool(name: "tw_rx", count: mbufs, cache: min(cache, 512), socket: info.socket)
            var conf = DPDKPort.Configuration()
            conf.rxDescriptors = rxd
            conf.txDescriptors = txd
            conf.rxTimestamps = stamps
            port = try DPDKPort(port: id, mempool: pool, configuration: conf)
        } catch {
            throw ApplianceRunError.setup("DPDK port \(address): \(error)")
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
    // The book before the login: made after it, its preallocation (two million orders, every
    // locate) ate the venue's start delay and the feed's first seconds went by unread (a gap
    // at every demo's start, recovered by re-request, its orders' wire to wire in seconds).
    let book: OrderBook
    // Every locate a feed can name (not only the configuration's symbols): a real feed's
    // locates run past the stocks traded, and none may be refused for being out of range.
    do { book = try OrderBook(configuration: OrderBookConfiguration(maxOrders: setup.maxOrders, maxLocates: 65_536, peakOrders: setup.peakOrders)) } catch {
        throw ApplianceRunError.setup("book: \(error)")
    }
    let risk: RiskEngine
    do { risk = try RiskEngine(limits: setup.limits, maxLocates: setup.symbols + 1) } catch {
        throw ApplianceRunError.setup("risk limits: \(error)")
    }
    let journal: JournalWriter?
    do { journal = try setup.journalPath.map { p throws(SystemError) in try JournalWriter(path: p) } } catch {
        throw ApplianceRunError.setup("journal: \(error)")
    }
    if let netConfig = setup.net {
        guard let port else { throw ApplianceRunError.setup("Tickwire's TCP runs on the DPDK port: the feed source must be dpdk") }
        let link: NetLink
        do { link = try NetLink(port: port, configuration: netConfig) } catch {
            throw ApplianceRunError.setup("network stack on port \(port.info.name): \(error)")
        }
        link.host.start(now: tw_clock_monotonic_raw_ns())
        let gateway = OrderGateway<NetOrderTransport>(version: setup.version, credentials: setup.credentials, symbols: symbolNames(setup.symbols),
                                                      journal: journal, risk: risk)
        logVenueViolations(gateway)
        gateway.continueWithoutJournal = setup.continueWithoutJournal
        try connectGatewayNet(gateway, link: link, to: setup.orderEntry, waitSeconds: loginWaitSeconds)
        log("logged in to \(setup.orderEntry) (OUCH \(setup.version.rawValue)) over Tickwire's TCP from \(netConfig.address); feed from \(source.label)")
        let requester = NetRecoveryClient(host: link.host, server: setup.rerequest.ip, port: setup.rerequest.port)
        var reconnect = NetReconnect(venue: setup.orderEntry.ip, port: setup.orderEntry.port)
        var outcome = try trade(strategy: strategy, book: book, gateway: gateway, requester: requester, risk: risk, journal: journal, setup: setup,
                                source: source, port: port, seconds: seconds, flag: flag, log: log,
                                loop: { runKernelBypass($0, link: link, flag: flag, reconnect: &reconnect) }, pump: { link.pump() })
        // Our FIN after the logout, the venue's FIN, then the IGMP leaves.
        let conn = gateway.client.transport
        conn?.close()
        _ = link.pump(seconds: 0.5) { conn == nil || conn!.state == .timeWait || conn!.state == .closed }
        link.host.shutdown(now: tw_clock_monotonic_raw_ns())
        link.pump()
        outcome.orderTransport = "tickwire"
        outcome.tcp = TCPReport(host: link.host, reconnects: reconnect.reconnects, srtt: conn?.smoothedRTT ?? 0)
        return outcome
    }
    let gateway = OrderGateway<TCPConnection>(version: setup.version, credentials: setup.credentials, symbols: symbolNames(setup.symbols),
                                              journal: journal, risk: risk)
    logVenueViolations(gateway)
    gateway.continueWithoutJournal = setup.continueWithoutJournal
    try connectGateway(gateway, to: setup.orderEntry, waitSeconds: loginWaitSeconds)
    log("logged in to \(setup.orderEntry) (OUCH \(setup.version.rawValue)) over the kernel's TCP; feed from \(source.label)")
    let requester: UDPRecoveryClient
    do { requester = try UDPRecoveryClient(server: setup.rerequest.ip, port: setup.rerequest.port) } catch {
        throw ApplianceRunError.setup("re-request socket: \(error)")
    }
    return try trade(strategy: strategy, book: book, gateway: gateway, requester: requester, risk: risk, journal: journal, setup: setup,
                     source: source, port: port, seconds: seconds, flag: flag, log: log,
                     loop: { appliance in
                         if let port {
                             appliance.run(port: port, flag: flag)
                         } else if let lineA, let lineB {
                             appliance.run(lineA: lineA, lineB: lineB, flag: flag)
                         }
                     }, pump: {})
}

/// Each venue message refused as impossible goes to stderr with its bytes (rare by nature: it
/// fires the kill switch, so the write's cost on the hot thread does not matter).
func logVenueViolations<T: ByteStreamTransport>(_ gateway: OrderGateway<T>) {
    gateway.onVenueViolation = { v in FileHandle.standardError.write(Data("tickwire: venue violation, kill switch: \(v)\n".utf8)) }
}

/// What stage 0 is, and what the port's own stamps would be.
func rxTimestampSource(_ port: DPDKPort?) -> String {
    guard let port, port.rxTimestampsPresent else { return "tsc_at_rx_burst" }
    if port.rxTimestampPolicy == .off { return "tsc_at_rx_burst (\(port.info.driver) stamps packets: rx_timestamps off)" }
    guard let unit = port.rxTimestampUnit else { return "tsc_at_rx_burst (\(port.info.driver) stamps packets in a unit not known here: not used)" }
    if port.info.readClockCapable {
        return "nic (\(port.info.driver), \(unit.rawValue), mapped onto the TSC by the NIC clock read against it on the cold thread)"
    }
    return "nic (\(port.info.driver), \(unit.rawValue), mapped onto the TSC by the lower envelope of rx - stamp)"
}

/// The part of a run both order transports share: book, engine, appliance, telemetry, the hot
/// loop (`loop`), the wind-down (cancel what is open while `pump` keeps the port turning), the
/// report.
func trade<S: Strategy, T: ByteStreamTransport, R: MoldUDP64Requester>(
    strategy: S, book: OrderBook, gateway: OrderGateway<T>, requester: R, risk: RiskEngine, journal: JournalWriter?, setup: TradingSetup,
    source: FeedSource, port: DPDKPort?, seconds: Double, flag: RunFlag, log: (String) -> Void,
    loop: (Appliance<S, T, R>) -> Void, pump: () -> Void
) throws -> RunOutcome {
    let engine = TradingEngine(book: book, gateway: gateway, strategy: strategy)
    let clock = TSCClock.calibrate(windowNanos: 50_000_000)
    let appliance = Appliance(engine: engine, lineA: setup.lineA, lineB: setup.lineB, requester: requester, clock: clock)
    // NIC stamps: through the port's clock, sampled on the telemetry thread, where it can be
    // read; else through the envelope of the stamps themselves.
    var nicClock: NICClockSampler?
    if let port, let unit = port.usableRxTimestampUnit {
        if port.info.readClockCapable {
            let sampler = NICClockSampler(clock: clock, readNIC: { port.readClock() }, toNanos: { unit.nanoseconds($0) })
            // Three pairs a sampling interval apart before the loop: the map converts from the
            // first frame on, with a rate from pairs as far apart as the ones that follow (two
            // close pairs give a rate whose error would read as steps).
            for i in 0..<3 {
                if i > 0 { usleep(10_000) }
                sampler.sample()
            }
            appliance.useNICStamps(unit: unit, sampler: sampler)
            nicClock = sampler
        } else {
            appliance.useNICStamps(unit: unit)
        }
    }
    let telemetry = TelemetryDrain(ring: engine.stamps, clock: clock)
    if let nicClock { telemetry.everyDrain = { nicClock.sampleIfDue() } }
    let nic = port.map { NICWatch(ports: [$0], publishTo: appliance.nicMissed) }
    telemetry.everySecond = { nic?.sample() }
    if let port = setup.metricsPort {
        do {
            let exporter = try MetricsExporter(port: port)
            telemetry.counters = appliance.snapshots
            telemetry.onCounters = { exporter.update($0) }
            telemetry.everySecond = {
                guard let nic else { return }
                nic.sample()
                exporter.update(nic: nic.counters)
            }
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
    // The hot loop runs on this thread, pinned; the pin is undone after it, so that what this
    // thread starts later (the demo's second run: venue, tap) does not inherit the hot core.
    let affinity = ThreadPlacement.currentAffinity()
    if let core = setup.hotCore { try? ThreadPlacement.pinCurrentThread(to: core) }
    defer { if setup.hotCore != nil && !affinity.isEmpty { try? ThreadPlacement.setCurrentAffinity(affinity) } }
    try? ThreadPlacement.nameCurrentThread("tw-hot")
    let t0 = Date()
    loop(appliance)
    let ran = Date().timeIntervalSince(t0)

    // Wind down: cancel what is open, hear the answers, log out, flush the journal.
    func now() -> Int64 { tw_clock_monotonic_raw_ns() }
    engine.trading = false
    gateway.cancelAll(now: now())
    let until = now() + 2_000_000_000
    var open = 1
    while now() < until {
        pump()
        engine.pollVenue(now: now())
        open = 0
        gateway.store.forEachOpen { _ in open += 1 }
        if open == 0 { break }
        if setup.net == nil { usleep(1_000) }
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
    var unusable: [String: String] = [:]
    if book.counters.unusableBooks > 0 {
        for l in 1..<65_536 where !book.isUsable(StockLocate(rawValue: UInt16(l))) {
            unusable[engine.directory.name(StockLocate(rawValue: UInt16(l)))] = "the book ran out of room (\(setup.maxOrders) live orders); risk refused orders in it"
        }
    }
    var outcome = RunOutcome(seconds: ran, engine: engine.counters, appliance: appliance.counters, feed: appliance.feed.session.counters,
                      frames: appliance.feed.frameCounters, gateway: gateway.counters, riskRejects: rejects,
                      killSwitch: risk.killReason.map { "\($0)" }, lastVenueViolation: gateway.lastVenueViolation.map { "\($0)" },
                      journalFailure: journal?.failure.map { "\($0)" }, pnl: Double(risk.positions.totalPnL) / 10_000,
                      realized: Double(risk.positions.totalRealized) / 10_000, positions: positions, openOrdersAtEnd: open,
                      recorder: recorder,
                      rxTimestampSource: rxTimestampSource(port),
                      source: source.label, liveOrdersInBook: book.liveOrders, bookMessages: engine.counters.messages, models: strategy.modelSummary(),
                      nic: nic?.counters)
    outcome.unusableBooks = unusable
    outcome.nicClock = nicClock?.counters
    for g in MarketGuard.allCases where risk.tripCount(g) > 0 { outcome.guardTrips["\(g)"] = risk.tripCount(g) }
    for l in setup.traded {
        let t = risk.trippedGuards(l)
        if !t.isEmpty { outcome.guardsTrippedAtEnd[engine.directory.name(l)] = t.map { "\($0)" } }
    }
    return outcome
}
