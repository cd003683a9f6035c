// `tickwire run --profile P --config C`: the appliance for real. The hardware profile says which
// cores the threads run on and what the box must be (validated against the live host before
// anything starts: a refusal is an actionable message, not a slow hot path); the trading
// configuration says where the venue is, how the feed arrives, what to trade. SIGINT/SIGTERM
// end the run cleanly (open orders cancelled, journal flushed); SIGUSR1 or a line "kill" in the
// control file fires the kill switch.
import Appliance
import ArgumentParser
import Inference
import Foundation
import HostTuning
import Logging
import MarketData
import Net
import OrderEntry
import Strategy
import TickwireCore
import Packets
import DPDK
import Yams

struct TradingConfig: Decodable {
    struct Venue: Decodable {
        var orderEntry: String
        var ouch: String?
        var credentialsFile: String?
        /// tickwire (Tickwire's TCP on the feed's DPDK port; needs `net`) or kernel (default).
        var transport: String?
        enum CodingKeys: String, CodingKey { case orderEntry = "order_entry", ouch, credentialsFile = "credentials_file", transport }
    }
    /// Our host on the DPDK port, for Tickwire's TCP (and ARP, IGMP, ICMP there).
    struct Net: Decodable {
        var address: String       // 10.1.0.1/24
        var gateway: String?
        var vlan: UInt16?
        var igmp: Int?
    }
    struct Feed: Decodable {
        var source: String
        var port: String?
        var interface: String?
        var lineA: String
        var lineB: String
        var rerequest: String
        enum CodingKeys: String, CodingKey { case source, port, interface, lineA = "line_a", lineB = "line_b", rerequest }
    }
    struct StrategyConfig: Decodable {
        var kind: String
        var traded: Int
        var maxPosition: Int64?
        /// The trained models' folder (default `models`, if present; "none": without them).
        var models: String?
        enum CodingKeys: String, CodingKey { case kind, traded, maxPosition = "max_position", models }
    }
    /// How the L3 book is sized (it preallocates everything and never grows while trading).
    struct Book: Decodable {
        /// Most live orders at once (default 2,097,152; a real NASDAQ day peaked at 1.65 million).
        var maxOrders: Int?
        /// The live orders expected at the day's peak, when known: the reference table is sized
        /// for it (at most 1/8 full there; `OrderBookConfiguration.peakOrders`).
        var peakOrders: Int?
        enum CodingKeys: String, CodingKey { case maxOrders = "max_orders", peakOrders = "peak_orders" }
    }
    var venue: Venue
    var feed: Feed
    var book: Book?
    var symbols: Int
    var strategy: StrategyConfig
    var journal: String?
    /// halt (default: a journal failure fires the kill switch) or continue (counted, reported).
    var journalOnFailure: String?
    var net: Net?

    enum CodingKeys: String, CodingKey { case venue, feed, book, symbols, strategy, journal, journalOnFailure = "journal_on_failure", net }

    static func load(_ path: String) throws -> TradingConfig {
        guard let text = TextFile.read(path) else { throw ValidationError("cannot read the configuration \(path)") }
        let d = YAMLDecoder()
        do {
            return try d.decode(TradingConfig.self, from: text, userInfo: [:])
        } catch let DecodingError.keyNotFound(k, ctx) {
            throw ValidationError("\(path): missing key \((ctx.codingPath + [k]).map(\.stringValue).joined(separator: "."))")
        } catch let DecodingError.typeMismatch(_, ctx) {
            throw ValidationError("\(path): wrong type at \(ctx.codingPath.map(\.stringValue).joined(separator: ".")): \(ctx.debugDescription)")
        } catch {
            throw ValidationError("\(path): \(error)")
        }
    }
}

nonisolated(unsafe) var runFlag: RunFlag?

enum FeedSourceKind { case dpdk, kernel }

struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run the appliance: hardware profile (cores, ports, checks) + trading configuration (venue, feed, strategy)."
    )

    @Option(help: "The hardware profile (hw-profiles/*.yaml).")
    var profile: String

    @Option(help: "The trading configuration (config/*.yaml; the default trades against `tickwire exchange` on this machine).")
    var config: String = "config/sim-loopback.yaml"

    @Option(help: "Stop after this many seconds (default: until SIGINT/SIGTERM).")
    var seconds: Double = 86_400

    @Option(help: "A control file, polled: a line \"kill\" fires the kill switch (as does SIGUSR1).")
    var control: String?

    @Option(help: "Read /proc and /sys under this root for the profile checks (tests).")
    var sysroot: String = "/"

    @Option(name: .customLong("metrics-port"), help: "Prometheus text on 127.0.0.1:PORT/metrics (0: off).")
    var metricsPort: UInt16 = 9464

    @Flag(help: "Check only: validate the profile against the host, build the EAL arguments and the network plan, print them, and exit (1 if refused).")
    var check = false

    @Flag(help: "Print the report as one JSON object.")
    var json = false

    struct CheckReport: Encodable {
        var profile: String
        var refused: Bool
        var findings: [String]
        var ealArguments: [String]
        var feedSource: String
        var orderTransport: String
        var netAddress: String?
        var bookMaxOrders: Int
        var bookPeakOrders: Int?
    }

    /// Logs go through swift-log to stderr, from the cold threads only (the hot loop never logs).
    static let logger: Logger = {
        LoggingSystem.bootstrap(StreamLogHandler.standardError)
        return Logger(label: "tickwire.run")
    }()

    func log(_ s: String) { Self.logger.info("\(s)") }

    func run() throws {
        let hw: HWProfile
        do { hw = try HWProfile.load(profile) } catch { throw fail("\(error)") }
        let cfg = try TradingConfig.load(config)
        // The box first: refuse before anything starts.
        let findings = ProfileValidator.validate(hw, host: HostSnapshot.read(sysroot: sysroot))
        for f in findings where f.severity == .warn { log("warning: \(f)") }
        if ProfileValidator.refuses(findings) && !check {
            for f in findings where f.severity == .refuse { log("refused: \(f)") }
            throw fail("profile \(hw.box.name) refused on this host (see above); fix the host or the profile")
        }
        guard let oe = FeedAddress(cfg.venue.orderEntry) else { throw ValidationError("venue.order_entry must be IP:PORT") }
        guard let version = OUCHVersion(rawValue: cfg.venue.ouch ?? "4.2") else { throw ValidationError("venue.ouch is 4.2 or 5.0") }
        guard let a = FeedAddress(cfg.feed.lineA), let b = FeedAddress(cfg.feed.lineB), let rr = FeedAddress(cfg.feed.rerequest) else {
            throw ValidationError("feed.line_a, feed.line_b and feed.rerequest must be IP:PORT")
        }
        guard cfg.symbols >= 1, cfg.symbols <= 10_000 else { throw ValidationError("symbols must be in 1...10000") }
        guard let kind = StrategyKind(rawValue: cfg.strategy.kind) else { throw ValidationError("strategy.kind is mm or taker") }
        let spec = StrategySpec(kind: kind, traded: cfg.strategy.traded, maxPosition: cfg.strategy.maxPosition ?? 1_000,
                                models: try StrategySpec.loadModels(cfg.strategy.models ?? ModelSet.defaultDirectory, explicit: cfg.strategy.models != nil))
        try spec.validate(symbols: cfg.symbols)
        // Credentials are needed to trade, not to check the box (`--check`).
        let creds: SoupBinTCPCredentials
        switch SoupBinTCPCredentials.load(file: cfg.venue.credentialsFile, environment: ProcessInfo.processInfo.environment) {
        case .success(let c): creds = c
        case .failure(let e):
            if !check { throw fail("\(e)") }
            creds = SoupBinTCPCredentials(username: "CHECK", password: "")
        }
        let source: FeedSource
        switch cfg.feed.source {
        case "kernel":
            guard let ip = IPv4Address(cfg.feed.interface ?? "0.0.0.0") else { throw ValidationError("feed.interface must be an IPv4 address") }
            source = .kernel(interface: ip)
        case "dpdk":
            let name = cfg.feed.port ?? "feed"
            guard let port = hw.ports.first(where: { $0.name == name }) else { throw ValidationError("the profile has no port named \(name)") }
            // The profile's EAL arguments, without its vdevs: the feed's vdev is created as a port.
            var eal: [String] = []
            var it = EALArguments.build(hw).makeIterator()
            while let arg = it.next() {
                if arg == "--vdev" { _ = it.next(); continue }
                if arg.hasPrefix("--vdev=") { continue }
                eal.append(arg)
            }
            switch port.device {
            case .vdev(let v):
                let parts = v.split(separator: ",", maxSplits: 1)
                source = .dpdk(vdev: String(parts[0]), arguments: parts.count > 1 ? String(parts[1]) : "", eal: eal)
            case .pci(let address):
                // The NIC itself: the EAL probes it from `-a ADDRESS` (with hugepages from the
                // profile); queue sizes and the mempool come from the profile too.
                source = .dpdkPCI(address: address, eal: EALArguments.build(hw), mbufs: hw.memory.mbufs, mbufCache: hw.memory.mbufCache,
                                  rxDescriptors: hw.memory.rxDescriptors, txDescriptors: hw.memory.txDescriptors,
                                  rxTimestamps: port.rxTimestamps)
            }
        default:
            throw ValidationError("feed.source is kernel or dpdk")
        }
        if let j = cfg.journal {
            try? FileManager.default.createDirectory(atPath: URL(fileURLWithPath: j).deletingLastPathComponent().path,
                                                     withIntermediateDirectories: true)
        }
        var setup = TradingSetup(orderEntry: oe, version: version, credentials: creds, symbols: cfg.symbols, traded: spec.tradedLocates,
                                 lineA: a, lineB: b, rerequest: rr, journalPath: cfg.journal, limits: spec.limits,
                                 hotCore: hw.cores.hot, coldCore: hw.cores.housekeeping.first)
        setup.metricsPort = metricsPort == 0 ? nil : metricsPort
        if let b = cfg.book {
            if let m = b.maxOrders {
                guard TradingSetup.maxOrdersRange.contains(m) else { throw ValidationError("\(config): book.max_orders must be in [1000, 64000000], not \(m)") }
                setup.maxOrders = m
            }
            if let p = b.peakOrders {
                guard p >= 1, p <= setup.maxOrders else {
                    throw ValidationError("\(config): book.peak_orders must be in [1, book.max_orders = \(setup.maxOrders)], not \(p)")
                }
                setup.peakOrders = p
            }
        }
        switch cfg.journalOnFailure ?? "halt" {
        case "halt": break
        case "continue": setup.continueWithoutJournal = true
        case let other: throw ValidationError("\(config): journal_on_failure is halt or continue, not \(other)")
        }
        let transport = cfg.venue.transport ?? "kernel"
        switch transport {
        case "kernel": break
        case "tickwire":
            guard case .dpdk = cfg.feed.source == "dpdk" ? FeedSourceKind.dpdk : FeedSourceKind.kernel else {
                throw ValidationError("venue.transport tickwire runs on the DPDK port: set feed.source dpdk")
            }
            guard let n = cfg.net, let (addr, prefix) = NetConfiguration.parseCIDR(n.address) else {
                throw ValidationError("venue.transport tickwire needs net.address (ADDRESS/PREFIX, e.g. 10.1.0.1/24)")
            }
            var nc = NetConfiguration(address: addr, prefixLength: prefix, multicastGroups: [a.ip, b.ip], igmpVersion: n.igmp ?? 3)
            if let g = n.gateway {
                guard let gw = IPv4Address(g) else { throw ValidationError("net.gateway \(g) is not an IPv4 address") }
                nc.gateway = gw
            }
            nc.vlanID = n.vlan
            setup.net = nc
        default:
            throw ValidationError("venue.transport is kernel or tickwire")
        }
        if check {
            var eal: [String] = []
            switch source {
            case .dpdk(_, _, let e), .dpdkPCI(_, let e, _, _, _, _, _): eal = e
            case .kernel: break
            }
            let refused = ProfileValidator.refuses(findings)
            let r = CheckReport(profile: hw.box.name, refused: refused, findings: findings.map(\.description), ealArguments: eal,
                                feedSource: source.label, orderTransport: transport, netAddress: cfg.net?.address,
                                bookMaxOrders: setup.maxOrders, bookPeakOrders: setup.peakOrders)
            if json {
                printJSON(r)
            } else {
                print("profile \(r.profile): \(refused ? "REFUSED" : "passes") on \(sysroot)")
                for f in r.findings { print("  \(f)") }
                print("  EAL: \(eal.joined(separator: " "))")
                print("  feed: \(r.feedSource); orders over \(transport == "tickwire" ? "Tickwire's TCP from \(r.netAddress ?? "?")" : "the kernel's TCP")")
                print("  book: \(r.bookMaxOrders) live orders at most\(r.bookPeakOrders.map { ", its reference table sized for a peak of \($0)" } ?? "")")
            }
            if refused { throw ExitCode(1) }
            return
        }
        // The main thread (later the hot loop) starts on housekeeping; signals and the control
        // file raise flags the loop reads between bursts.
        if let h = hw.cores.housekeeping.first { try? CorePinning.pinCurrentThread(toCore: h) }
        let flag = RunFlag()
        runFlag = flag
        Signals.handle([SIGINT, SIGTERM]) { _ in runFlag?.stop() }
        Signals.handle([SIGUSR1]) { _ in runFlag?.requestKill() }
        if let control {
            let t = Thread {
                try? ThreadPlacement.nameCurrentThread("tw-control")
                if let h = hw.cores.housekeeping.first { try? CorePinning.pinCurrentThread(toCore: h) }
                while flag.isRunning {
                    if let text = TextFile.read(control),
                       text.split(separator: "\n").contains(where: { $0.trimmingCharacters(in: .whitespaces) == "kill" }) {
                        flag.requestKill()
                    }
                    usleep(50_000)
                }
            }
            t.start()
        }
        log("profile \(hw.box.name): hot core \(hw.cores.hot), housekeeping \(hw.cores.housekeeping); strategy \(kind.rawValue) on \(spec.traded) symbols")
        let outcome: RunOutcome
        do {
            switch kind {
            case .marketMaker:
                outcome = try runTrading(strategy: spec.marketMaker(symbols: cfg.symbols), setup: setup, source: source, seconds: seconds,
                                         flag: flag, log: log)
            case .taker:
                outcome = try runTrading(strategy: spec.taker(symbols: cfg.symbols), setup: setup, source: source, seconds: seconds,
                                         flag: flag, log: log)
            }
        } catch {
            throw fail("\(error)")
        }
        let report = DemoReport(outcome: outcome, mode: "run", fallbackReason: nil, strategy: kind.rawValue, wireToWire: nil, files: [:])
        if json { printJSON(report) } else { report.printText() }
    }
}
