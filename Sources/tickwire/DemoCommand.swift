// `tickwire demo`: the whole appliance in one command. The venue simulator runs in its own
// network namespace behind a veth pair, on the kernel's UDP and TCP. The appliance owns the
// near end of the veth through DPDK's af_packet PMD: with `--order-transport tickwire` (the
// default) that end has no kernel address and everything above L2 is Tickwire's (the feed,
// orders over Tickwire's TCP, ARP, IGMP, ICMP); with `kernel` it has one and orders go
// through the kernel's TCP. `--compare-transports` runs both, kernel first, with the same seed.
// tcpdump on the venue's end of the veth is the passive tap (DPDK's af_packet sends with
// PACKET_QDISC_BYPASS, which a tap on our own end would not see). Without the rights for
// namespaces it falls back to kernel sockets on loopback, and says so. At the end it prints the
// report and writes it as JSON, the stage percentiles and the decision log as CSV, and the
// latency distributions as a PNG.
import Appliance
import ArgumentParser
import CShims
import Foundation
import MarketData
import Net
import OrderEntry
import Risk
import Strategy
import TickwireCore
import Packets
import DPDK

enum DemoBackend: String, ExpressibleByArgument, CaseIterable { case dpdk, kernel }
enum OrderTransportKind: String, ExpressibleByArgument, CaseIterable, Encodable { case tickwire, kernel }
enum DemoPMD: String, ExpressibleByArgument, CaseIterable {
    case afPacket = "af_packet", afXDP = "af_xdp"
    var vdev: String { self == .afPacket ? "net_af_packet0" : "net_af_xdp0" }
    /// The PMD's arguments on `iface`. af_xdp: busy_budget=0, or DPDK 22.11's rx burst makes a
    /// recvfrom (preferred busy polling) on every empty poll: 44,000 system calls a second on
    /// the hot thread under strace, and a feed packet waits for the one in progress.
    func arguments(iface: String) -> String { self == .afPacket ? "iface=\(iface)" : "iface=\(iface),busy_budget=0" }
}

struct DemoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Run the venue simulator and the appliance for ~20 s and report ticks, orders, fills, PnL and latency."
    )

    @Option(help: "Seconds of trading.")
    var seconds: Double = 20

    @Option(help: "ITCH messages per second from the simulator.")
    var rate: Double = 50_000

    @Option(help: "Symbols of the simulated venue.")
    var symbols: Int = 100

    @OptionGroup var strategyOptions: StrategyOptions

    @Option(help: "OUCH version: 4.2 or 5.0.")
    var ouch: String = "4.2"

    @Option(help: "Where the report, CSV, PNG, capture and journal go.")
    var out: String = "out/demo"

    @Option(name: .customLong("order-port"), help: "The venue's SoupBinTCP port (the feed uses 26477, re-requests 26478).")
    var orderPort: UInt16 = 26500

    @Option(help: "dpdk: the venue in a network namespace, the feed through DPDK af_packet on a veth (falls back to kernel when namespaces are not allowed); kernel: kernel sockets on loopback.")
    var backend: DemoBackend = .dpdk

    @Option(name: .customLong("order-transport"), help: "tickwire: orders over Tickwire's TCP on the DPDK port (kernel bypassed both ways); kernel: over the kernel's TCP.")
    var orderTransport: OrderTransportKind = .tickwire

    @Option(help: "The DPDK PMD on the appliance's end of the veth with Tickwire's TCP: af_packet or af_xdp (the kernel transport always uses af_packet: AF_XDP's program takes every frame of the queue, so the kernel's TCP would see none).")
    var pmd: DemoPMD = .afPacket

    @Option(name: .customLong("ack-delay-us"), help: "Tickwire's TCP: delay an ACK of in-order data up to this many microseconds for an order to carry it (0: one ACK per rx burst).")
    var ackDelayMicros: Int = 0

    @Flag(name: .customLong("compare-transports"), help: "Run twice with the same seed, kernel TCP then Tickwire's TCP, and compare wire to wire.")
    var compareTransports = false

    @Flag(help: "Print the report as one JSON object.")
    var json = false

    func log(_ s: String) {
        FileHandle.standardError.write(Data(("demo: " + s + "\n").utf8))
    }

    func run() throws {
        guard seconds >= 1, seconds <= 3600 else { throw ValidationError("--seconds must be in [1, 3600]") }
        guard rate >= 100, rate <= 2_000_000 else { throw ValidationError("--rate must be in [100, 2e6]") }
        guard symbols >= 1, symbols <= 10_000 else { throw ValidationError("--symbols must be in 1...10000") }
        let spec = try strategyOptions.spec(symbols: symbols)
        guard let version = OUCHVersion(rawValue: ouch) else { throw ValidationError("--ouch is 4.2 or 5.0") }
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        // One demo per machine: it owns the namespace, the veth and their addresses, and its
        // set-up tears down what it finds of them. Held until this process exits.
        if getuid() == 0, let holder = DemoNetwork.lock() { throw fail(holder) }
        flagForSignals()
        if compareTransports {
            guard backend == .dpdk else { throw ValidationError("--compare-transports needs --backend dpdk") }
            let kernelRun = try runOnce(transport: .kernel, spec: spec, version: version, out: out + "/kernel")
            let tickwireRun = try runOnce(transport: .tickwire, spec: spec, version: version, out: out + "/tickwire")
            var final = tickwireRun
            var by: [String: LatencySummary] = [:]
            if let k = kernelRun.wireToWireNs { by["kernel"] = k }
            if let t = tickwireRun.wireToWireNs { by["tickwire"] = t }
            final.wireToWireByTransport = by
            if let k = kernelRun.wireToWireNs, let t = tickwireRun.wireToWireNs, t.p50 > 0, t.p99 > 0 {
                final.wireToWireRatio = TransportRatio(p50: Double(k.p50) / Double(t.p50), p99: Double(k.p99) / Double(t.p99))
            }
            final.files["kernel_report_json"] = out + "/kernel/report.json"
            try jsonString(final).write(toFile: out + "/report.json", atomically: true, encoding: .utf8)
            if json {
                printJSON(final)
            } else {
                final.printText()
                final.printComparison(kernel: kernelRun)
            }
            return
        }
        let report = try runOnce(transport: orderTransport, spec: spec, version: version, out: out)
        if json { printJSON(report) } else { report.printText() }
    }

    func flagForSignals() {
        let flag = RunFlag()
        demoFlag = flag
        Signals.handle([SIGINT, SIGTERM]) { _ in demoFlag?.stop() }
    }

    /// One demo run with `transport`, its files under `out`.
    /// `venue`: more arguments for the venue simulator (`tickwire validate`: its seed, the
    /// flow's reaction, pacing by event time, the flow's start).
    func runOnce(transport: OrderTransportKind, spec: StrategySpec, version: OUCHVersion, out: String,
                 venue venueExtra: [String] = []) throws -> DemoReport {
        let kind = spec.kind
        let traded = strategyOptions.traded
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        let me = CommandLine.arguments[0].hasPrefix("/") ? CommandLine.arguments[0]
            : FileManager.default.currentDirectoryPath + "/" + CommandLine.arguments[0]

        var net = DemoNetwork(log: log)
        var fallbackReason: String?
        if backend == .kernel {
            fallbackReason = "--backend kernel"
        } else if let why = net.setUp(kernelAddress: transport == .kernel) {
            fallbackReason = why
        }
        if fallbackReason != nil && transport == .tickwire {
            log("Tickwire's TCP needs the DPDK port: orders go over the kernel's TCP on loopback")
        }
        defer { net.tearDown() }
        let mode = fallbackReason == nil ? "netns+dpdk" : "loopback"
        if let r = fallbackReason { log("no namespace (\(r)): falling back to kernel sockets on loopback") }
        let venueIP = fallbackReason == nil ? DemoNetwork.venueIP : "127.0.0.1"
        let lineA = FeedAddress(ip: IPv4Address(239, 192, 10, 1), port: 26477)
        let lineB = FeedAddress(ip: IPv4Address(239, 192, 10, 2), port: 26477)
        let rerequest = FeedAddress(ip: IPv4Address(venueIP)!, port: 26478)

        // The cores: the hot loop on the last, everything else the demo starts (the tap, the
        // venue and its threads, the EAL's, telemetry, the journal's writer, the timer) on the
        // others. Every thread of this process takes the other cores now (the runtime's
        // workers, started before us, too), so that every process and thread started later
        // inherits them; the hot loop pins itself when it starts.
        let cpus = ProcessInfo.processInfo.activeProcessorCount
        let hotCore: Int? = cpus >= 2 ? cpus - 1 : nil
        if let hotCore {
            for t in ThreadAffinity.threads(of: getpid(), process: "tickwire") where t.cpus.contains(hotCore) {
                do { try ThreadPlacement.setAffinity(tid: t.tid, Array(0..<hotCore)) } catch { log("cpu affinity: \(error)") }
            }
        }

        // The tap.
        let capturePath = out + "/capture.pcap"
        try? FileManager.default.removeItem(atPath: capturePath)
        let tapArgs = ["tcpdump", "-i", fallbackReason == nil ? DemoNetwork.farEnd : "lo", "-n", "-q", "-U",
                       "--time-stamp-precision=nano", "-w", capturePath, "udp port 26477 or tcp port \(orderPort)"]
        let tap = Subprocess.start(fallbackReason == nil ? ["ip", "netns", "exec", DemoNetwork.namespace] + tapArgs : tapArgs,
                                   stdout: out + "/tcpdump.log")
        if tap == nil { log("tcpdump is not available: no wire-to-wire figures") }
        usleep(500_000)

        // The venue: order entry up at once, the feed 100 ms after our login (up to 30 s): a
        // fixed delay was shorter than a debug build's start (EAL, port, book), and the feed's
        // first seconds went by unread, recovered by re-request.
        var venueArgs = [me, "exchange", "--seconds", String(seconds + 1), "--rate", String(rate), "--symbols", String(symbols),
                         "--interface", venueIP, "--feed-a", lineA.description, "--feed-b", lineB.description,
                         "--rerequest", rerequest.description, "--order-entry", "\(venueIP):\(orderPort)",
                         "--start-delay", "30", "--start-on-login", "--linger", "1", "--json"] + venueExtra
        if fallbackReason == nil { venueArgs = ["ip", "netns", "exec", DemoNetwork.namespace] + venueArgs }
        guard let venue = Subprocess.start(venueArgs, stdout: out + "/venue.json", stderr: out + "/venue.log") else {
            throw fail("cannot start the venue simulator (\(venueArgs.joined(separator: " ")))")
        }
        defer { venue.terminate() }

        var setup = TradingSetup(orderEntry: FeedAddress(ip: IPv4Address(venueIP)!, port: orderPort), version: version,
                                 credentials: SoupBinTCPCredentials(username: "TW1", password: "secret"), symbols: symbols,
                                 traded: spec.tradedLocates, lineA: lineA, lineB: lineB,
                                 rerequest: rerequest, journalPath: out + "/journal.twj", limits: spec.limits,
                                 hotCore: nil, coldCore: nil)
        if version == .v50 { setup.credentials = SoupBinTCPCredentials(username: "TW2", password: "secret") }
        try? FileManager.default.removeItem(atPath: setup.journalPath!)
        if let hotCore {
            setup.hotCore = hotCore
            setup.coldCore = 0
        }
        let source: FeedSource = fallbackReason == nil
            ? .dpdk(vdev: (transport == .tickwire ? pmd : DemoPMD.afPacket).vdev,
                    arguments: (transport == .tickwire ? pmd : DemoPMD.afPacket).arguments(iface: DemoNetwork.nearEnd),
                    eal: EAL.noHardwareArguments(filePrefix: "tw-demo-\(getpid())"))
            : .kernel(interface: IPv4Address(127, 0, 0, 1))
        if fallbackReason == nil && transport == .tickwire {
            var nc = NetConfiguration(address: IPv4Address(DemoNetwork.applianceIP)!, prefixLength: 24,
                                      multicastGroups: [lineA.ip, lineB.ip])
            nc.tcp.ackDelayNanos = Int64(max(0, min(ackDelayMicros, 200_000))) * 1_000
            setup.net = nc
        }
        let flag = RunFlag()
        demoFlag = flag
        log("mode \(mode); orders over \(setup.net == nil ? "the kernel's TCP" : "Tickwire's TCP"); venue \(venueIP); strategy \(kind.rawValue) on \(traded) symbols; \(Int(seconds)) s")

        // Where every thread runs, read from /proc once the hot loop is pinned (checked in the report).
        let probe = hotCore.map { AffinityProbe(hotCore: $0, processes: [("tickwire", getpid()), ("venue", venue.process.processIdentifier)]
                                                + (tap.map { [("tcpdump", $0.process.processIdentifier)] } ?? []), flag: flag) }
        probe?.start()
        let outcome: RunOutcome
        do {
            switch kind {
            case .marketMaker:
                outcome = try runTrading(strategy: spec.marketMaker(symbols: symbols), setup: setup,
                                         source: source, seconds: seconds, flag: flag, log: log)
            case .taker:
                outcome = try runTrading(strategy: spec.taker(symbols: symbols),
                                         setup: setup, source: source, seconds: seconds, flag: flag, log: log)
            }
        } catch {
            throw fail("\(error)")
        }
        _ = venue.wait(timeoutSeconds: 10)
        usleep(300_000)
        tap?.interrupt()
        _ = tap?.wait(timeoutSeconds: 5)

        let decisionsPath = out + "/decisions.csv"
        try outcome.recorder.decisionLog().write(toFile: decisionsPath, atomically: true, encoding: .utf8)
        var w2w: WireToWireResult?
        var w2wValues: [UInt64] = []
        if tap != nil {
            do {
                let a = try WireToWire.analyze(capture: capturePath, decisions: outcome.recorder.decisions, orderEntryPort: orderPort)
                w2w = a.result
                w2wValues = a.values
            } catch {
                log("capture: \(error)")
            }
        }
        var report = DemoReport(outcome: outcome, mode: mode, fallbackReason: fallbackReason, strategy: kind.rawValue,
                                wireToWire: w2w, files: [:])
        report.affinity = probe?.report()
        var files = ["report_json": out + "/report.json", "stages_csv": out + "/stages.csv", "decisions_csv": decisionsPath,
                     "capture": capturePath, "journal": setup.journalPath!]
        try outcome.recorder.percentileTable().write(toFile: out + "/stages.csv", atomically: true, encoding: .utf8)
        if let png = LatencyChart.write(recorder: outcome.recorder, wireToWire: w2wValues, to: out + "/latency.png", log: log) {
            files["latency_png"] = png
        }
        var final = report
        final.files = files
        try jsonString(final).write(toFile: out + "/report.json", atomically: true, encoding: .utf8)
        guard outcome.engine.ordersSent > 0 else { throw fail("no order was sent: see \(out)/venue.log") }
        return final
    }
}

nonisolated(unsafe) var demoFlag: RunFlag?

func jsonString<T: Encodable>(_ v: T) -> String {
    let enc = JSONEncoder()
    enc.keyEncodingStrategy = .convertToSnakeCase
    enc.outputFormatting = [.sortedKeys, .prettyPrinted]
    return (try? enc.encode(v)).flatMap { String(data: $0, encoding: .utf8) } ?? "{}"
}

struct TransportRatio: Encodable {
    /// Kernel TCP's wire to wire over Tickwire's TCP's (2.0: Tickwire's is half the kernel's).
    var p50: Double
    var p99: Double
}

struct DemoReport: Encodable {
    var mode: String
    var orderTransport: String
    var tcp: TCPReport?
    /// Each DPDK port's counters over the run (imissed: frames the rx ring had no room for).
    var nic: [String: NICCounters]?
    /// The port's NIC clock against the TSC, where it can be read (samples, steps, outliers,
    /// the fit's residual and the oscillator's rate): what NIC arrivals were converted with.
    var nicClock: NICClockSampler.Report?
    var wireToWireByTransport: [String: LatencySummary]?
    var wireToWireRatio: TransportRatio?
    var fallbackReason: String?
    var strategy: String
    var seconds: Double
    var ticks: UInt64
    var feedPackets: UInt64
    var feedGaps: UInt64
    /// Feed frames dropped, by reason (bad IPv4 or UDP checksum, fragments, ...; only those seen).
    var feedFrameDrops: [String: UInt64]
    var recoveredMessages: UInt64
    /// Messages the feed gave up on (reported, never silent; each gap fires the kill switch).
    var unrecoveredMessages: UInt64
    var strategyCalls: UInt64
    var triggeringTicks: UInt64
    var orders: UInt64
    var replaces: UInt64
    var cancels: UInt64
    var fills: UInt64
    var filledShares: UInt64
    var pnl: Double
    var realizedPnl: Double
    var positions: [String: Int64]
    var riskRejects: UInt64
    var riskRejectReasons: [String: UInt64]
    var killSwitch: String?
    /// Venue messages refused as impossible (each fires the kill switch), and the last one.
    var venueViolations: UInt64
    var lastVenueViolation: String?
    /// The journal's failure, if it failed (a failure fires the kill switch unless configured to continue).
    var journalFailure: String?
    /// Stocks whose book a capacity overflow made unusable, and why (risk refused orders in them).
    var unusableBooks: [String: String]
    /// Market guard trips by guard (liquidity compression, liquidity gap, activity burst, ...),
    /// and the guards still tripped at the end by symbol.
    var guardTrips: [String: UInt64]
    var guardsTrippedAtEnd: [String: [String]]
    var openOrdersAtEnd: Int
    var rxTimestampSource: String
    var txTimestampSource: String
    var tickToTradeNs: LatencySummary
    var stagesNs: [String: LatencySummary]
    /// The decode stage split at the trigger's frame (`decode_wait`, `decode_frame`) and the
    /// strategy's whole decision (`model_and_strategy`): `LatencyRecorder.stageDetail`.
    var stageDetailNs: [String: LatencySummary]
    var wireToWireNs: LatencySummary?
    var wireToWire: WireToWireResult?
    var stampsDropped: UInt64
    /// What the strategy's models did (regime, holds, toxic fills...; empty without models).
    var models: [String: String]
    /// Where every thread of the appliance, the venue and the tap could run during the run
    /// (nil on one core).
    var affinity: AffinityReport?
    /// Rx bursts that brought frames, and frames per such burst: a trigger's decode stage
    /// includes the frames ahead of it in its burst.
    var rxBursts: UInt64
    var rxFramesPerBurst: Double
    var files: [String: String]

    init(outcome o: RunOutcome, mode: String, fallbackReason: String?, strategy: String, wireToWire: WireToWireResult?, files: [String: String]) {
        self.mode = mode
        orderTransport = o.orderTransport
        tcp = o.tcp
        nic = o.nic
        rxBursts = o.appliance.bursts
        rxFramesPerBurst = o.appliance.bursts == 0 ? 0 : (Double(o.appliance.frames + o.appliance.datagrams) / Double(o.appliance.bursts) * 1000).rounded() / 1000
        nicClock = o.nicClock
        self.fallbackReason = fallbackReason
        self.strategy = strategy
        seconds = (o.seconds * 10).rounded() / 10
        ticks = o.engine.messages
        feedPackets = o.feed.packets.total
        feedGaps = o.feed.gaps
        feedFrameDrops = Dictionary(uniqueKeysWithValues: FrameDrop.allCases.filter { o.frames.drops[$0] > 0 }.map { ("\($0)", o.frames.drops[$0]) })
        recoveredMessages = o.feed.recoveredMessages
        unrecoveredMessages = o.feed.unrecoveredMessages
        strategyCalls = o.engine.strategyCalls
        triggeringTicks = o.engine.triggeringTicks
        orders = o.engine.ordersSent
        replaces = o.engine.replacesSent
        cancels = o.engine.cancelsSent
        fills = o.engine.fills
        filledShares = o.engine.filledShares
        pnl = o.pnl
        realizedPnl = o.realized
        positions = o.positions
        riskRejects = o.riskRejects.values.reduce(0, +)
        riskRejectReasons = o.riskRejects
        killSwitch = o.killSwitch
        venueViolations = o.gateway.venueViolations
        lastVenueViolation = o.lastVenueViolation
        journalFailure = o.journalFailure
        unusableBooks = o.unusableBooks
        guardTrips = o.guardTrips
        guardsTrippedAtEnd = o.guardsTrippedAtEnd
        openOrdersAtEnd = o.openOrdersAtEnd
        rxTimestampSource = o.rxTimestampSource
        txTimestampSource = o.txTimestampSource
        tickToTradeNs = LatencySummary(o.recorder.tickToTrade)
        stagesNs = o.recorder.stageSummaries
        stageDetailNs = o.recorder.stageDetail
        self.wireToWire = wireToWire
        wireToWireNs = wireToWire?.wireToWireNanos
        stampsDropped = o.engine.stampsDropped
        models = o.models
        self.files = files
    }

    func printText() {
        func row(_ name: String, _ s: LatencySummary) -> String {
            func f(_ v: UInt64) -> String { let s = String(v); return String(repeating: " ", count: max(0, 9 - s.count)) + s }
            return name.padding(toLength: 14, withPad: " ", startingAt: 0) + f(s.count) + f(s.p50) + f(s.p90) + f(s.p99) + f(s.p999) + f(s.max)
        }
        print((mode == "run" ? "Tickwire run" : "Tickwire demo: \(mode)") + (fallbackReason.map { " (fallback: \($0))" } ?? "")
              + ", orders over \(orderTransport == "tickwire" ? "Tickwire's TCP (kernel bypassed)" : "the kernel's TCP"), strategy \(strategy), \(seconds) s")
        print("  ticks (ITCH messages)  \(ticks) in \(feedPackets) packets; gaps \(feedGaps), recovered \(recoveredMessages) msgs")
        print("  strategy calls         \(strategyCalls); ticks that traded \(triggeringTicks)")
        print("  orders                 \(orders) new, \(replaces) replaces, \(cancels) cancels; open at end \(openOrdersAtEnd)")
        print("  fills                  \(fills) (\(filledShares) shares); PnL \(String(format: "%.2f", pnl)) USD (realized \(String(format: "%.2f", realizedPnl)))")
        if !models.isEmpty {
            print("  models                 " + models.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", "))
        }
        for (name, p) in (nic ?? [:]).sorted(by: { $0.key < $1.key }) {
            print("  nic \(name.padding(toLength: 18, withPad: " ", startingAt: 0)) \(p.ipackets) frames in, \(p.opackets) out; imissed \(p.imissed), ierrors \(p.ierrors), rx_nombuf \(p.rxNombuf), oerrors \(p.oerrors)"
                  + (p.imissed > 0 ? " (dropped at the NIC: a feed gap for risk)" : ""))
        }
        print("  rx bursts              \(rxBursts), \(rxFramesPerBurst) frames each on average")
        if let t = tcp {
            print("  tickwire tcp           \(t.segmentsOut) segments out, \(t.segmentsIn) in; \(t.retransmits) retransmits, \(t.outOfOrderHeld) out of order held, \(t.reconnects) reconnects; srtt \(t.smoothedRttNs) ns; drops \(t.drops)")
        }
        print("  risk                   \(riskRejects) rejects \(riskRejectReasons.isEmpty ? "" : "\(riskRejectReasons)"); kill switch: \(killSwitch ?? "not fired")")
        if !guardTrips.isEmpty || venueViolations > 0 || !unusableBooks.isEmpty || journalFailure != nil {
            print("  tail guards            trips \(guardTrips); venue violations \(venueViolations); unusable books \(unusableBooks.keys.sorted()); journal \(journalFailure ?? "ok")")
        }
        if let a = affinity {
            let others = Dictionary(grouping: a.threads.filter { $0.thread != "tw-hot" }, by: \.process).mapValues(\.count)
            print("  cpu affinity           hot core \(a.hotCore): \(a.hotCoreAlone ? "tw-hot alone" : "SHARED: \(a.problems.joined(separator: "; "))"); "
                  + "cores \(a.otherCores): " + others.sorted { $0.key < $1.key }.map { "\($0.value) threads of \($0.key)" }.joined(separator: ", "))
        }
        print("")
        // One line per stage in the order the packet travels, wire in to wire out: the tap's
        // side of the software first and last, the software's stages between.
        print("  latency, wire in to wire out (ns; rx stamp: \(rxTimestampSource), tx stamp: \(txTimestampSource))")
        print("  stage             count      p50      p90      p99    p99.9      max")
        if let a = wireToWire?.wireToRxNanos { print("  " + row("wire_to_rx", a) + "   tap to rx stamp: receive, ring, poll") }
        if let n = stagesNs["nic_to_rx"] { print("  " + row("nic_to_rx", n) + "   NIC stamp to the rx burst's return: ring and burst") }
        for st in LatencyStage.allCases {
            guard let s = stagesNs[st.rawValue] else { continue }
            print("  " + row(st.rawValue, s) + (st == .send ? "   the send call to its return" : ""))
            if st == .decode, let w = stageDetailNs["decode_wait"], let f = stageDetailNs["decode_frame"] {
                print("  " + row(" wait", w) + "   of which behind the burst's earlier frames")
                print("  " + row(" frame", f) + "   of which its frame: parse, session, earlier messages, decode")
                if let a = stageDetailNs["decode_frame_first"] { print("  " + row("  first", a) + "   the frame's first message") }
                if let b = stageDetailNs["decode_frame_later"] { print("  " + row("  later", b) + "   after earlier messages of its frame (no send)") }
                if let b = stageDetailNs["decode_frame_later_per_message"] { print("  " + row("  per message", b) + "   later, per earlier message of its frame") }
                if let c = stageDetailNs["decode_frame_after_send"] { print("  " + row("  after send", c) + "   after an earlier message's order went out") }
            }
            if st == .strategy, let m = stageDetailNs["model_and_strategy"] {
                print("  " + row(" decision", m) + "   model and strategy: book to the strategy's return")
            }
        }
        if let c = wireToWire?.sendToWireNanos { print("  " + row("send_to_wire", c) + "   encoded to the tap: the send up to the wire") }
        print("  " + row("tick_to_trade", tickToTradeNs) + (stagesNs["nic_to_rx"] != nil ? "   NIC stamp to the send's return"
                                                                                           : "   the software: rx stamp to the send's return"))
        if let w = wireToWire {
            print("  " + row("wire_to_wire", w.wireToWireNanos) + "   the tap: trigger packet to order")
            if let o = w.outsideSoftwareNanos {
                print("  " + row("not_seen", o) + "   wire to wire less the software's part (per pair)")
            }
            print("  (wire to wire: \(w.pairs) orders paired with their trigger packets in the capture; \(w.ordersNotCaptured) orders and \(w.triggersNotCaptured) triggers not found;"
                  + " wire_to_rx, send_to_wire and not_seen put the software's TSC stamps on the tap's clock through a clock model"
                  + (w.splitDisagreements > 0 ? ", \(w.splitDisagreements) pairs left out where the clocks disagreed)" : ")"))
        } else {
            print("  wire_to_wire: no capture")
        }
        print("")
        for k in files.keys.sorted() { print("  \(k.padding(toLength: 14, withPad: " ", startingAt: 0)) \(files[k]!)") }
    }

    /// The two transports side by side (the same seed, kernel first).
    func printComparison(kernel: DemoReport) {
        print("")
        print("  wire to wire by order transport (ns, the venue's end of the link, same seed)")
        print("  transport          count      p50      p90      p99    p99.9      max")
        func row(_ name: String, _ s: LatencySummary?) {
            guard let s else { return print("  \(name): no capture") }
            func f(_ v: UInt64) -> String { let t = String(v); return String(repeating: " ", count: max(0, 9 - t.count)) + t }
            print("  " + name.padding(toLength: 14, withPad: " ", startingAt: 0) + f(s.count) + f(s.p50) + f(s.p90) + f(s.p99) + f(s.p999) + f(s.max))
        }
        row("kernel", kernel.wireToWireNs)
        row("tickwire", wireToWireNs)
        if let r = wireToWireRatio {
            print(String(format: "  kernel / tickwire: p50 %.2fx, p99 %.2fx", r.p50, r.p99))
        }
    }
}

/// The veth pair and namespace of the demo: the venue at 10.212.0.2 in `twdemo`, the
/// appliance's end `twd0` (10.212.0.1) in the root namespace.
struct DemoNetwork {
    static let namespace = "twdemo"
    static let lockPath = "/run/tickwire-demo.lock"
    nonisolated(unsafe) static var lockFD: Int32 = -1

    /// Takes the machine's demo lock (flock, released when the process exits). nil when taken;
    /// otherwise why not: another demo holds it (its pid), or the lock file cannot be opened.
    static func lock() -> String? {
        let fd: Int32
        switch Syscall.call("open(\(lockPath))", { open(lockPath, O_RDWR | O_CREAT | O_CLOEXEC, 0o644) }) {
        case .success(let f): fd = f
        case .failure(let e): return "cannot open \(lockPath): \(e)"
        }
        if case .failure(let e) = Syscall.call("flock(\(lockPath))", { flock(fd, LOCK_EX | LOCK_NB) }) {
            var buf = [UInt8](repeating: 0, count: 32)
            var n = 0
            for attempt in 0..<3 where n <= 0 {  // the holder writes its pid just after it locks
                if attempt > 0 { usleep(50_000) }
                n = (try? Syscall.checked("pread(\(lockPath))", { pread(fd, &buf, 31, 0) })) ?? 0
            }
            let pid = n > 0 ? String(decoding: buf[0..<n], as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines) : "?"
            _ = Syscall.close(fd)
            return e.wouldBlock
                ? "another tickwire demo (pid \(pid)) is running on this machine: it owns the namespace \(namespace), its veth and 10.212.0.0/24; wait for it to end"
                : "\(lockPath): \(e)"
        }
        let me = Array("\(getpid())\n".utf8)
        _ = Syscall.call("ftruncate(\(lockPath))", { ftruncate(fd, 0) })
        _ = Syscall.call("pwrite(\(lockPath))", { pwrite(fd, me, me.count, 0) })
        lockFD = fd
        return nil
    }
    static let nearEnd = "twd0"
    static let farEnd = "twd1"
    static let venueIP = "10.212.0.2"
    static let applianceIP = "10.212.0.1"
    let log: (String) -> Void
    var made = false

    /// nil on success, else why not. `kernelAddress`: the near end gets 10.212.0.1 in the
    /// kernel (orders over the kernel's TCP); without it the near end is Tickwire's above L2.
    mutating func setUp(kernelAddress: Bool) -> String? {
        guard getuid() == 0 else { return "not root" }
        tearDown()
        let steps: [[String]] = [
            ["ip", "netns", "add", Self.namespace],
            ["ip", "link", "add", Self.nearEnd, "type", "veth", "peer", "name", Self.farEnd],
            ["ip", "link", "set", Self.farEnd, "netns", Self.namespace],
            ["ip", "link", "set", Self.nearEnd, "up"],
            ["ip", "netns", "exec", Self.namespace, "ip", "addr", "add", Self.venueIP + "/24", "dev", Self.farEnd],
            ["ip", "netns", "exec", Self.namespace, "ip", "link", "set", Self.farEnd, "up"],
            ["ip", "netns", "exec", Self.namespace, "ip", "link", "set", "lo", "up"],
            ["ip", "netns", "exec", Self.namespace, "ip", "route", "add", "224.0.0.0/4", "dev", Self.farEnd],
            // Full checksums and no segmentation offload on the venue's end: a veth otherwise hands
            // the other end partial checksums and 64 KiB super-segments, which no wire carries
            // (and Tickwire's TCP verifies every checksum). Both transports run with the same.
            ["ip", "netns", "exec", Self.namespace, "ethtool", "-K", Self.farEnd, "tx", "off", "tso", "off", "gso", "off"],
        ] + (kernelAddress ? [["ip", "addr", "add", Self.applianceIP + "/24", "dev", Self.nearEnd]] : [])
        made = true
        for s in steps {
            let (rc, err) = Subprocess.run(s)
            if rc != 0 {
                tearDown()
                return "\(s.joined(separator: " ")): \(err.trimmingCharacters(in: .whitespacesAndNewlines))"
            }
        }
        return nil
    }

    mutating func tearDown() {
        _ = Subprocess.run(["ip", "link", "del", Self.nearEnd])
        _ = Subprocess.run(["ip", "netns", "del", Self.namespace])
        made = false
    }
}

/// Child processes of the demo (venue, tap), with their output in files.
final class Subprocess {
    let process: Process

    init(process: Process) { self.process = process }

    static func start(_ argv: [String], stdout: String? = nil, stderr: String? = nil) -> Subprocess? {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = argv
        if let stdout {
            _ = FileManager.default.createFile(atPath: stdout, contents: nil)
            p.standardOutput = FileHandle(forWritingAtPath: stdout)
        } else {
            p.standardOutput = FileHandle.nullDevice
        }
        if let stderr {
            _ = FileManager.default.createFile(atPath: stderr, contents: nil)
            p.standardError = FileHandle(forWritingAtPath: stderr)
        } else {
            p.standardError = p.standardOutput
        }
        do { try p.run() } catch { return nil }
        usleep(100_000)
        if !p.isRunning && p.terminationStatus != 0 { return nil }
        return Subprocess(process: p)
    }

    /// Runs to completion: exit status and stderr.
    static func run(_ argv: [String]) -> (Int32, String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = argv
        let err = Pipe()
        p.standardError = err
        p.standardOutput = FileHandle.nullDevice
        do { try p.run() } catch { return (127, "\(error)") }
        p.waitUntilExit()
        let data = err.fileHandleForReading.readDataToEndOfFile()
        return (p.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    func interrupt() { if process.isRunning { process.interrupt() } }
    func terminate() { if process.isRunning { process.terminate() } }

    /// Waits for exit; false on timeout.
    func wait(timeoutSeconds: Double) -> Bool {
        let end = Date().addingTimeInterval(timeoutSeconds)
        while process.isRunning && Date() < end { usleep(20_000) }
        return !process.isRunning
    }
}

/// The PNG chart of the latency distributions (gnuplot, a cold step after the run).
enum LatencyChart {
    /// Two panels: the stages stacked (each order's stage durations add up to its
    /// tick-to-trade; orders ranked by it, so the stack at p99 is what the p99 order spent
    /// where), with wire to wire beside it; then each stage's own percentile curve.
    static func write(recorder: LatencyRecorder, wireToWire: [UInt64], to path: String, log: (String) -> Void) -> String? {
        guard Subprocess.run(["gnuplot", "--version"]).0 == 0 else {
            log("gnuplot is not installed: no PNG (make deps installs gnuplot-nox)")
            return nil
        }
        let stages = LatencyStage.allCases
        // The stacked panel's columns: nic_to_rx (drawn when some trigger carried a NIC stamp),
        // then the stages.
        let columns = LatencyRecorder.stageRowColumns
        let k = columns.count
        // x = 1/(1-p) on a log axis (p50 at 2, p90 at 10, p99 at 100...).
        var ps: [Double] = stride(from: 0.0, to: 90.0, by: 2.5).map { $0 }
        ps += stride(from: 90.0, to: 99.0, by: 0.5).map { $0 } + stride(from: 99.0, to: 99.9, by: 0.1).map { $0 } + [99.9, 99.95, 99.99]
        let w2w = wireToWire.sorted()

        // Stacked: the order at each rank, its cumulative stage sums.
        let rows = recorder.stageRows.count / k
        var order = Array(0..<rows)
        let total = { (r: Int) -> UInt64 in (0..<k).reduce(0) { $0 + UInt64(recorder.stageRows[r * k + $1]) } }
        let totals = order.map(total)
        order.sort { totals[$0] < totals[$1] }
        var stacked = "# x " + columns.joined(separator: " ") + " wire_to_wire\n"
        if rows > 0 {
            for p in ps {
                let r = order[min(rows - 1, Int(Double(rows) * p / 100))]
                var sum: UInt64 = 0
                var line = "\(1 / (1 - p / 100))"
                for j in 0..<k {
                    sum += UInt64(recorder.stageRows[r * k + j])
                    line += " \(max(sum, 1))"
                }
                line += " " + (w2w.isEmpty ? "NaN" : String(w2w[min(w2w.count - 1, Int(Double(w2w.count) * p / 100))]))
                stacked += line + "\n"
            }
        }
        // Percentile curves per stage.
        var series: [(String, [UInt64])] = stages.map { st in
            (st.rawValue, ps.map { p in recorder.stage(st).totalCount > 0 ? recorder.stage(st).valueAtPercentile(p) : 0 })
        }
        let nicStamped = recorder.nicToRx.totalCount > 0
        if nicStamped { series.insert(("nic_to_rx", ps.map { recorder.nicToRx.valueAtPercentile($0) }), at: 0) }
        series.append(("tick_to_trade", ps.map { recorder.tickToTrade.totalCount > 0 ? recorder.tickToTrade.valueAtPercentile($0) : 0 }))
        if !w2w.isEmpty { series.append(("wire_to_wire", ps.map { w2w[min(w2w.count - 1, Int(Double(w2w.count) * $0 / 100))] })) }
        var curves = "# x " + series.map(\.0).joined(separator: " ") + "\n"
        for (i, p) in ps.enumerated() {
            curves += "\(1 / (1 - p / 100)) " + series.map { String(max($0.1[i], 1)) }.joined(separator: " ") + "\n"
        }
        let stackedPath = path + ".stacked.dat", curvesPath = path + ".dat"
        do {
            try stacked.write(toFile: stackedPath, atomically: true, encoding: .utf8)
            try curves.write(toFile: curvesPath, atomically: true, encoding: .utf8)
        } catch { return nil }
        var script = """
        set terminal png size 1100,1000 noenhanced
        set output '\(path)'
        set multiplot layout 2,1
        set logscale x
        set xlabel 'percentile of orders'
        set ylabel 'nanoseconds'
        set xtics ('p0' 1, 'p50' 2, 'p90' 10, 'p99' 100, 'p99.9' 1000, 'p99.99' 10000)
        set key outside right
        set grid
        set logscale y
        set title 'Tickwire: stages stacked per order (orders ranked by tick-to-trade), wire to wire from the tap'
        set style fill solid 0.6 noborder
        plot
        """
        var layers: [String] = []
        for j in stride(from: k - 1, through: nicStamped ? 0 : 1, by: -1) {
            let low = j == 0 ? "(1)" : "\(j + 1)"
            layers.append(" '\(stackedPath)' using 1:\(low):\(j + 2) with filledcurves title '\(columns[j])'")
        }
        layers.append(" '\(stackedPath)' using 1:\(k + 2) with lines lw 2 lc rgb 'black' title 'wire_to_wire (tap)'")
        script += layers.joined(separator: ",") + "\n"
        script += """
        set title 'Tickwire: latency by stage (percentile distribution of each)'
        plot
        """
        script += series.enumerated().map { i, s in " '\(curvesPath)' using 1:\(i + 2) with linespoints title '\(s.0)'" }.joined(separator: ",")
        script += "\nunset multiplot\n"
        let scriptPath = path + ".gp"
        do { try script.write(toFile: scriptPath, atomically: true, encoding: .utf8) } catch { return nil }
        let (rc, err) = Subprocess.run(["gnuplot", scriptPath])
        if rc != 0 {
            log("gnuplot failed: \(err)")
            return nil
        }
        return path
    }
}

/// Every thread of the demo's processes (the appliance, the venue, the tap), where it may run:
/// the hot core must hold the hot loop's thread and nothing else.
struct AffinityReport: Encodable {
    var hotCore: Int
    var otherCores: [Int]
    var hotCoreAlone: Bool
    /// What shares the hot core, when `hotCoreAlone` is false.
    var problems: [String]
    var threads: [ThreadAffinity]
}

/// Reads the threads' affinity while the hot loop runs pinned (a thread named tw-hot on the hot
/// core alone), for up to a second after the pin, so that the threads started with the run are
/// there; the last reading counts.
final class AffinityProbe: @unchecked Sendable {
    let hotCore: Int
    let processes: [(String, Int32)]
    let flag: RunFlag
    private let lock = NSLock()
    private var seen: [ThreadAffinity]?
    private var done = false

    init(hotCore: Int, processes: [(String, Int32)], flag: RunFlag) {
        self.hotCore = hotCore
        self.processes = processes
        self.flag = flag
    }

    func start() {
        let t = Thread { [self] in
            defer { lock.withLock { done = true } }
            let end = Date().addingTimeInterval(30)
            var pinnedAt: Date?
            while flag.isRunning && Date() < end {
                let ours = ThreadAffinity.threads(of: getpid(), process: "tickwire")
                let pinned = ours.contains { $0.thread == "tw-hot" && $0.cpus == [hotCore] }
                if pinnedAt == nil, pinned { pinnedAt = Date() }
                if let p = pinnedAt, pinned {
                    // A snapshot on every poll while the hot loop runs pinned (the last counts),
                    // so a short run is measured too; a second after the pin, when the run's
                    // threads are all there, the probe stops.
                    let all = processes.flatMap { ThreadAffinity.threads(of: $0.1, process: $0.0) }
                    if all.contains(where: { $0.process == "tickwire" && $0.thread == "tw-hot" && $0.cpus == [hotCore] }) {
                        lock.withLock { seen = all }
                    }
                    if Date().timeIntervalSince(p) >= 1 { return }
                }
                usleep(50_000)
            }
        }
        t.name = "tw-affinity"
        t.start()
    }

    /// The report; nil when the probe never saw the hot loop pinned (a run too short to
    /// measure). Waits up to 5 s for the probe to finish.
    func report() -> AffinityReport? {
        let end = Date().addingTimeInterval(5)
        while !lock.withLock({ done }) && Date() < end { usleep(20_000) }
        guard let threads = lock.withLock({ seen }) else { return nil }
        var problems: [String] = []
        for t in threads where t.cpus.contains(hotCore) && !(t.process == "tickwire" && t.thread == "tw-hot") {
            problems.append("\(t.process) \(t.thread) (tid \(t.tid)) may run on \(t.cpus)")
        }
        return AffinityReport(hotCore: hotCore, otherCores: Array(0..<hotCore), hotCoreAlone: problems.isEmpty,
                              problems: problems, threads: threads)
    }
}
