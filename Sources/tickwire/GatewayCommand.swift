import ArgumentParser
import CShims
import Foundation
import MarketData
import Appliance
import Net
import OrderEntry
import Risk
import Synchronization
import TickwireCore
import Sockets

/// Set by SIGUSR1: the operator's kill switch.
let operatorKill = Atomic<Bool>(false)

/// `tickwire gateway`: the order gateway against a venue (the simulator, or any SoupBinTCP/OUCH
/// venue), with its journal, driven by a scripted burst of orders. It restores from the journal
/// when the file exists, so a killed run can be restarted and its state compared with the
/// venue's. Credentials come from TICKWIRE_OUCH_USER/TICKWIRE_OUCH_PASSWORD or --credentials F.
struct GatewayCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gateway",
        abstract: "Run the order gateway against a venue: a scripted burst of orders, journaled; restarts from the journal."
    )

    @Option(name: .customLong("order-entry"), help: "The venue's SoupBinTCP address and port.")
    var orderEntry: String = "127.0.0.1:26500"

    @Option(help: "OUCH version: 4.2 or 5.0.")
    var ouch: String = "4.2"

    @Option(help: "A file whose first line is username:password (else the environment).")
    var credentials: String?

    @Option(help: "The journal file (restored from when it exists).")
    var journal: String?

    @Option(help: "Orders of the scripted burst (0: only recover, settle and report).")
    var orders: Int = 100

    @Option(help: "Orders per second of the burst.")
    var rate: Double = 1_000

    @Option(help: "Symbols of the venue (SYN0001...).")
    var symbols: Int = 100

    @Flag(help: "Fsync the journal after every batch.")
    var sync = false

    @Flag(name: .customLong("continue-without-journal"), help: "On a journal failure, trade on (counted and reported) instead of firing the kill switch.")
    var continueWithoutJournal = false

    @Option(help: "A control file, polled: a line \"kill\" fires the kill switch (as does SIGUSR1).")
    var control: String?

    @Flag(name: .customLong("no-risk"), help: "Send without pre-trade risk (tests of the wire alone).")
    var noRisk = false

    @Option(help: "kernel: the kernel's TCP; tickwire: Tickwire's TCP on a DPDK port (--iface or --vdev, --ip), reconnecting when the venue drops the session.")
    var transport: OrderTransportKind = .kernel

    @OptionGroup var net: NetPortOptions

    @Flag(help: "Print one JSON object.")
    var json = false

    struct Report: Encodable {
        var orderTransport: String = "kernel"
        var reconnects: Int = 0
        var ordersSent: UInt64
        var openOrders: [String: UInt32]   // venue reference -> open shares
        var positions: [String: Int64]     // locate -> net shares
        var nextOrderNumber: UInt32
        var nextSequence: UInt64
        var restoredRecords: Int
        var ignoredJournalBytes: Int
        var lostInTransit: UInt64
        var adopted: UInt64
        var violations: UInt64
        var executions: UInt64
        var logins: UInt64
        var killSwitch: String?
        /// Venue messages refused as impossible (each fires the kill switch), and the last one.
        var venueViolations: UInt64
        var lastVenueViolation: String?
        var journalFailure: String?
        var journalRecordsDropped: UInt64
        var riskOpenOrders: Int?
        var riskRejects: UInt64
        var refusedAfterKill: Int
    }

    func run() throws {
        guard let venue = FeedAddress(orderEntry) else { throw ValidationError("--order-entry must be IP:PORT") }
        guard let version = OUCHVersion(rawValue: ouch) else { throw ValidationError("--ouch is 4.2 or 5.0") }
        guard orders >= 0, rate > 0, symbols >= 1, symbols < 65_000 else { throw ValidationError("bad --orders, --rate or --symbols") }
        let creds: SoupBinTCPCredentials
        switch SoupBinTCPCredentials.load(file: credentials, environment: ProcessInfo.processInfo.environment) {
        case .success(let c): creds = c
        case .failure(let e): throw fail("\(e)")
        }
        var restored: [JournalRecord] = []
        var ignored = 0
        if let journal, FileManager.default.fileExists(atPath: journal) {
            guard let r = JournalWriter.read(path: journal) else { throw fail("cannot read the journal \(journal)") }
            restored = r.records
            ignored = r.ignoredTailBytes
        }
        let writer: JournalWriter?
        do { writer = try journal.map { p throws(SystemError) in try JournalWriter(path: p, syncEveryBatch: sync) } } catch { throw fail("\(error)") }
        let names: [Alpha8] = [.blank] + (1...symbols).map { Alpha8(SyntheticDay.symbol(locate: $0).description) ?? .blank }
        // Limits wide enough for the scripted burst; the point here is that every order passes
        // through them and that the kill switch works.
        let risk: RiskEngine? = noRisk ? nil : try {
            do {
                return try RiskEngine(limits: RiskLimits(maxOrderShares: 10_000, maxOrderNotional: 1 << 50, collarBps: 10_000,
                                                         allowWithoutReference: true, maxPositionPerSymbol: 10_000_000,
                                                         maxGrossPosition: 100_000_000, maxOpenOrders: 50_000,
                                                         throttleOrders: 1_000_000, throttleWindowNanos: 1_000_000_000),
                                      maxLocates: symbols + 1)
            } catch { throw fail("\(error)") }
        }()
        Signals.handle([SIGUSR1]) { _ in operatorKill.store(true, ordering: .relaxed) }
        func now() -> Int64 { tw_clock_monotonic_raw_ns() }
        switch transport {
        case .kernel:
            let g = OrderGateway<TCPConnection>(version: version, credentials: creds, symbols: names, journal: writer, risk: risk)
            if !restored.isEmpty { g.restore(restored) }
            try drive(g, risk: risk, writer: writer, restored: restored.count, ignored: ignored, reconnect: false, connect: {
                do { g.connect(try TCPConnection.connect(to: venue.ip, port: venue.port), now: now()) } catch { throw fail("\(error)") }
            }, pump: {})
        case .tickwire:
            let link: NetLink
            do { link = try net.openLink(filePrefix: "tw-gateway-\(getpid())") } catch { throw fail("\(error)") }
            link.host.start(now: now())
            let g = OrderGateway<NetOrderTransport>(version: version, credentials: creds, symbols: names, journal: writer, risk: risk)
            if !restored.isEmpty { g.restore(restored) }
            try drive(g, risk: risk, writer: writer, restored: restored.count, ignored: ignored, reconnect: true, connect: {
                // Connect and wait for the login (or its refusal): the TCP handshake needs the port pumped.
                do { try connectGatewayNet(g, link: link, to: venue, waitSeconds: 10) } catch { throw fail("\(error)") }
            }, pump: { link.pump() })
            let conn = g.client.transport
            conn?.close()
            _ = link.pump(seconds: 0.5) { conn == nil || conn!.state == .timeWait || conn!.state == .closed }
            link.host.shutdown(now: now())
            link.port.close()
        }
    }

    /// Connects (`connect`), logs in, runs the burst and reports. `pump` turns the transport
    /// between polls (the DPDK port for Tickwire's TCP; a short sleep for the kernel's). With
    /// `reconnect`, a session the venue drops is opened again and logged in with the next
    /// sequence number: the venue replays what was missed, and the gateway's replay logic
    /// (nothing new until the replay is over) runs as after any reconnect.
    func drive<T: ByteStreamTransport>(_ g: OrderGateway<T>, risk: RiskEngine?, writer: JournalWriter?, restored: Int, ignored: Int,
                                       reconnect: Bool, connect: () throws -> Void, pump pumpTransport: () -> Void) throws {
        func controlSaysKill() -> Bool {
            guard let control, let text = TextFile.read(control) else { return false }
            return text.split(separator: "\n").contains { $0.trimmingCharacters(in: .whitespaces) == "kill" }
        }
        var listener = NoGatewayListener()
        func now() -> Int64 { tw_clock_monotonic_raw_ns() }
        func pump(seconds: Double, until done: () -> Bool) -> Bool {
            let end = now() + Int64(seconds * 1e9)
            while now() < end {
                pumpTransport()
                g.poll(now: now(), &listener)
                if done() { return true }
                if !reconnect { usleep(200) }    // the kernel's socket: no port to turn
            }
            return done()
        }
        /// Connects, logs in, and waits out the venue's replay: after a restart (or any
        /// reconnect) nothing goes out until it is over.
        func logIn(_ what: String) throws {
            try connect()
            guard pump(seconds: 5, until: { g.isLoggedIn }) else { throw fail("\(what) failed: \(g.client.state)") }
            if g.settleAfterReplay { _ = pump(seconds: 5) { !g.settleAfterReplay } }
        }
        g.continueWithoutJournal = continueWithoutJournal
        g.onVenueViolation = { v in FileHandle.standardError.write(Data("tickwire gateway: venue violation, kill switch: \(v)\n".utf8)) }
        try logIn("login")
        var reconnects = 0

        // The burst: resting bids far below any market (they never trade), marketable IOC sells,
        // cancels of earlier bids, and replaces of earlier bids: half to another passive price,
        // half to one share at a price through the asks (the replacement trades, its execution
        // counted over the replace chain). A crossing replacement that found no ask and rests
        // is cancelled at once: left at that price, the flow would trade it at any time, also
        // after this run's report.
        var resting: [UInt32] = []
        var crossing: [UInt32] = []
        /// Cancels crossing replacements that rest; forgets those that are done (`untilClosed`:
        /// only once closed, else also once their cancel is on its way).
        func sweepCrossing(untilClosed: Bool) {
            crossing.removeAll { id in
                guard let o = g.store.order(id) else { return true }
                if o.status == .accepted || o.status == .partiallyFilled { g.cancel(id: id, now: now()) }
                return o.status.isTerminal || (!untilClosed && o.status == .pendingCancel)
            }
        }
        let start = now()
        var i = 0
        var refusedAfterKill = 0
        var lastControl = start
        while i < orders {
            if operatorKill.load(ordering: .relaxed) || (now() - lastControl > 50_000_000 && controlSaysKill()) {
                if !(risk?.isEngaged ?? false) { g.kill(reason: .operator, now: now()) }
            }
            if now() - lastControl > 50_000_000 { lastControl = now() }
            let due = Int(Double(now() - start) / 1e9 * rate) + 1
            while i < min(due, orders) {
                let locate = StockLocate(rawValue: UInt16(1 + i % min(symbols, 5)))
                switch i % 5 {
                case 0, 1:
                    switch g.submit(locate: locate, side: .buy, shares: 100, price: Price(rawValue: 10_000 + Int64(i % 50)), now: now()) {
                    case .sent(let id): resting.append(id)
                    case .refused(let r) where r == RiskReject.killSwitch.rawValue: refusedAfterKill += 1
                    default: break
                    }
                case 2:
                    _ = g.submit(locate: locate, side: .sell, shares: 100, price: Price(rawValue: 100), kind: .ioc, now: now())
                case 3:
                    if let id = resting.first {
                        resting.removeFirst()
                        g.cancel(id: id, now: now())
                    }
                default:
                    guard let id = resting.last else { break }
                    if (i / 5) % 2 == 0 {
                        if let new = g.replace(id: id, shares: 200, price: Price(rawValue: 10_500), now: now()) { resting[resting.count - 1] = new }
                    } else if let new = g.replace(id: id, shares: 1, price: Price(rawValue: 90_000_000), now: now()) {
                        resting.removeLast()  // crossing: it trades; a rest is cancelled below
                        crossing.append(new)
                    }
                }
                i += 1
            }
            pumpTransport()
            g.poll(now: now(), &listener)
            if !g.isLoggedIn {
                guard reconnect, g.client.state == .disconnected else { throw fail("the session dropped: \(g.client.state)") }
                reconnects += 1
                try logIn("login after a reconnect")
                continue
            }
            sweepCrossing(untilClosed: false)
            if !reconnect { usleep(100) }
        }
        // Let the answers arrive: nothing pending, and no crossing replacement left resting
        // (the flow would trade it after this report).
        _ = pump(seconds: 5) {
            sweepCrossing(untilClosed: true)
            if !crossing.isEmpty { return false }
            var pending = false
            g.store.forEachOpen { if $0.status == .pendingNew || $0.status == .pendingCancel || $0.status == .pendingReplace { pending = true } }
            return !pending
        }
        var open: [String: UInt32] = [:]
        g.store.forEachOpen { open[String($0.venueRef.rawValue)] = $0.leaves }
        var positions: [String: Int64] = [:]
        for (l, p) in g.positions.enumerated() where p != 0 { positions[String(l)] = p }
        var report = Report(ordersSent: g.counters.sent, openOrders: open, positions: positions, nextOrderNumber: g.nextOrderNumber,
                            nextSequence: g.client.nextSequence, restoredRecords: restored, ignoredJournalBytes: ignored,
                            lostInTransit: g.store.counters.lostInTransit, adopted: g.counters.adopted,
                            violations: g.store.counters.violations, executions: g.counters.executions, logins: g.client.counters.logins,
                            killSwitch: (risk?.killReason ?? g.killReason).map { "\($0)" }, venueViolations: g.counters.venueViolations,
                            lastVenueViolation: g.lastVenueViolation.map { "\($0)" }, journalFailure: writer?.failure.map { "\($0)" },
                            journalRecordsDropped: g.counters.journalRecordsDropped, riskOpenOrders: risk?.openOrderCount, riskRejects: g.counters.riskRejects,
                            refusedAfterKill: refusedAfterKill)
        report.orderTransport = transport.rawValue
        report.reconnects = reconnects
        g.client.logout(now: now())
        writer?.close()
        if json {
            printJSON(report)
        } else {
            print("gateway: \(report.ordersSent) orders sent, \(open.count) open, positions \(positions), next order \(report.nextOrderNumber)")
        }
    }
}
