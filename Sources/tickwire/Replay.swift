import ArgumentParser
import Inference
import CShims
import Foundation
import MarketData
import ITCHBook
import OrderBook
import Strategy
import TickwireCore
import Packets
import DPDK
import Capture

enum Venue: String, ExpressibleByArgument, CaseIterable { case nasdaq, iex }
enum ReplayBackend: String, ExpressibleByArgument, CaseIterable { case file, dpdk }

struct Replay: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Replay an ITCH BinaryFILE or a pcap/pcapng capture (optionally .gz) through the feed handler and the book."
    )

    @Argument(help: "An ITCH 5.0 BinaryFILE, or a pcap/pcapng capture of MoldUDP64 (nasdaq) or IEX-TP (iex).")
    var file: String

    @Option(help: "nasdaq (ITCH 5.0 over MoldUDP64) or iex (IEX-TP: TOPS 1.6 / DEEP 1.0).")
    var venue: Venue = .nasdaq

    @Option(help: "How a capture is read: file (libpcap) or dpdk (the net_pcap PMD, the live path).")
    var backend: ReplayBackend = .file

    @Option(name: .customLong("feed-a"), help: "Line A group:port.")
    var feedA: String = FeedAddress.defaultA.description

    @Option(name: .customLong("feed-b"), help: "Line B group:port.")
    var feedB: String = FeedAddress.defaultB.description

    @Option(name: .customLong("rerequest"), help: "MoldUDP64 re-request server IP:PORT for gaps on both lines (default: none, gaps are reported).")
    var rerequest: String?

    @Option(name: .customLong("book-out"), help: "Write the final book: '<locate> <symbol> <B|S> <price> <shares> <orders>' per level.")
    var bookOut: String?

    @Option(name: .customLong("max-orders"), help: "Live orders the book preallocates for.")
    var maxOrders: Int = 4_000_000

    @Option(name: .customLong("iex-port"), help: "IEX: only this UDP destination port is decoded (default: every UDP frame).")
    var iexPort: UInt16?

    @Option(help: "Trade the capture with a strategy (mm or taker), as the appliance does live; orders go to an echo venue.")
    var strategy: String?

    @Option(help: "With --strategy: symbols the strategy trades (locates 1...N).")
    var traded: Int = 20

    @Option(name: .customLong("max-position"), help: "With --strategy: shares per symbol either way.")
    var maxPosition: Int64 = 1_000

    @Option(help: "With --strategy: the trained models' folder, as live ('none': without them).")
    var models: String = ModelSet.defaultDirectory

    @Option(help: "With --strategy: symbols of the venue.")
    var symbols: Int = 100

    @Option(name: .customLong("decisions-out"), help: "With --strategy: write the decision log (CSV) here.")
    var decisionsOut: String?

    @Flag(help: "Print one JSON object.")
    var json = false

    func run() throws {
        if let strategy {
            guard let kind = StrategyKind(rawValue: strategy) else { throw ValidationError("--strategy is mm or taker") }
            guard FileManager.default.fileExists(atPath: file) else { throw fail("no such file: \(file)") }
            guard venue == .nasdaq, try InputKind.detect(path: file) == .capture else {
                throw ValidationError("--strategy replays a capture of MoldUDP64 (NASDAQ)")
            }
            guard symbols >= 1, symbols <= 10_000 else { throw ValidationError("--symbols must be in 1...10000") }
            guard let a = FeedAddress(feedA), let b = FeedAddress(feedB) else { throw ValidationError("--feed-a/--feed-b take IP:PORT") }
            let spec = StrategySpec(kind: kind, traded: traded, maxPosition: maxPosition,
                                    models: try StrategySpec.loadModels(models, explicit: models != ModelSet.defaultDirectory))
            try spec.validate(symbols: symbols)
            let r: StrategyReplayReport
            do {
                switch kind {
                case .marketMaker:
                    r = try replayWithStrategy(spec.marketMaker(symbols: symbols), spec: spec, capture: file, symbols: symbols,
                                               lineA: a, lineB: b, maxOrders: maxOrders, decisionsOut: decisionsOut)
                case .taker:
                    r = try replayWithStrategy(spec.taker(symbols: symbols), spec: spec, capture: file, symbols: symbols,
                                               lineA: a, lineB: b, maxOrders: maxOrders, decisionsOut: decisionsOut)
                }
            } catch {
                throw fail("\(error)")
            }
            if json { printJSON(r) } else {
                print("replay with \(strategy): \(r.messages) messages, \(r.strategyCalls) strategy calls, \(r.orders) orders, "
                    + "\(r.replaces) replaces, \(r.cancels) cancels, \(r.riskRejects) risk rejects")
            }
            return
        }
        guard FileManager.default.fileExists(atPath: file) else { throw fail("no such file: \(file)") }
        guard let a = FeedAddress(feedA), let b = FeedAddress(feedB) else {
            throw ValidationError("--feed-a/--feed-b take IP:PORT, e.g. 233.54.12.111:26477")
        }
        let kind = try InputKind.detect(path: file)
        if backend == .dpdk && kind != .capture {
            throw ValidationError("--backend dpdk reads captures (through net_pcap); \(file) is an ITCH BinaryFILE")
        }
        if backend == .dpdk && file.hasSuffix(".gz") {
            throw ValidationError("--backend dpdk reads uncompressed pcap (net_pcap cannot read gzip): gunzip \(file) first, or use --backend file")
        }
        var report: ReplayReport
        switch venue {
        case .iex:
            guard kind == .capture else { throw ValidationError("--venue iex replays captures, not ITCH files") }
            report = try replayIEX()
        case .nasdaq:
            let book: OrderBook
            do {
                book = try OrderBook(configuration: OrderBookConfiguration(maxOrders: maxOrders))
            } catch {
                throw fail("book: \(error)")
            }
            var builder = ITCHBookBuilder(book: book)
            let started = tw_clock_monotonic_raw_ns()
            if kind == .itchFile {
                report = try replayITCHFile(into: &builder)
            } else if let rerequest {
                guard let server = FeedAddress(rerequest) else { throw ValidationError("--rerequest takes IP:PORT") }
                let client: UDPRecoveryClient
                do {
                    client = try UDPRecoveryClient(server: server.ip, port: server.port)
                } catch {
                    throw fail("\(error)")
                }
                report = try replayCapture(builder: builder, requester: client, lineA: a, lineB: b) { feed, now in
                    pumpRecovery(client: client, feed: feed, now: now)
                }
            } else {
                report = try replayCapture(builder: builder, requester: NoRecovery(), lineA: a, lineB: b) { _, _ in }
            }
            report.elapsedNs = tw_clock_monotonic_raw_ns() - started
            if let bookOut { try writeBook(builder: report.builder ?? builder, to: bookOut) }
        }
        report.builder = nil
        if json {
            printJSON(report)
        } else {
            report.printText()
        }
    }

    // MARK: ITCH BinaryFILE

    func replayITCHFile(into builder: inout ITCHBookBuilder) throws -> ReplayReport {
        let bytes: [UInt8]
        do {
            bytes = try ITCHFile.load(path: file)
        } catch {
            throw fail("\(error)")
        }
        var report = ReplayReport(venue: "nasdaq", backend: "file", input: "itch")
        bytes.withUnsafeBytes { raw in
            var walker = ITCHFileWalker(raw)
            var seq: UInt64 = 0
            while let m = walker.next() {
                seq &+= 1
                builder.onMessage(m, sequence: seq)
            }
            report.framing = "\(walker.framing)"
            if case .truncatedTail(let remaining) = walker.status { report.truncatedTailBytes = remaining }
            if case .unknownType(let t, let off) = walker.status { report.walkStoppedAt = "unknown type \(t) at offset \(off)" }
        }
        report.fill(from: builder)
        return report
    }

    // MARK: captures (MoldUDP64)

    func replayCapture<R: MoldUDP64Requester>(
        builder: ITCHBookBuilder, requester: R, lineA: FeedAddress, lineB: FeedAddress,
        pump: (MoldFeedHandler<ITCHBookBuilder, R>, UInt64) -> Void
    ) throws -> ReplayReport {
        var conf = MoldUDP64Configuration()
        conf.startSequence = 1
        let feed = MoldFeedHandler(lineA: lineA, lineB: lineB, consumer: builder, requester: requester, configuration: conf)
        var report = ReplayReport(venue: "nasdaq", backend: backend.rawValue, input: "capture")
        var now: UInt64 = 0
        let onFrame: (UnsafeRawBufferPointer, UInt64) -> Void = { frame, ts in
            if ts > now { now = ts }
            feed.onFrame(frame, now: now)
            feed.session.poll(now: now)
            if feed.session.awaitingRecovery { pump(feed, now) }
        }
        switch backend {
        case .file: try readFile(report: &report, onFrame)
        case .dpdk: try readDPDK(report: &report, onFrame)
        }
        // The end of the capture: whatever is still missing is asked for now, then given up.
        feed.session.resolveNow(now: now, giveUp: false)
        pump(feed, now)
        feed.session.resolveNow(now: now, giveUp: true)
        report.fill(from: feed.session.consumer)
        report.fill(from: feed)
        report.builder = feed.session.consumer
        return report
    }

    /// Reads answers to re-requests for as long as one is outstanding (at most the session's
    /// request timeouts), feeding them in as the recovery line.
    func pumpRecovery<C>(client: UDPRecoveryClient, feed: MoldFeedHandler<C, UDPRecoveryClient>, now start: UInt64) {
        var pkts = [tw_pkt](repeating: tw_pkt(), count: 64)
        let t0 = tw_clock_monotonic_raw_ns()
        while feed.session.hasGap {
            let elapsed = UInt64(max(0, tw_clock_monotonic_raw_ns() - t0))
            let now = start &+ elapsed
            feed.session.poll(now: now)
            if !feed.session.awaitingRecovery { break }
            if !client.wait(timeoutMillis: 5) { continue }
            let n = pkts.withUnsafeMutableBufferPointer { client.receive(into: $0.baseAddress!, capacity: 64) }
            for p in pkts[0..<max(n, 0)] {
                feed.session.onPacket(UnsafeRawBufferPointer(start: p.data, count: Int(p.len)), line: .recovery, now: now)
            }
        }
    }

    func readFile(report: inout ReplayReport, _ onFrame: (UnsafeRawBufferPointer, UInt64) -> Void) throws {
        let reader: PcapReader
        do {
            reader = try PcapReader(path: file)
        } catch {
            throw fail("\(error)")
        }
        var pkts = [tw_pkt](repeating: tw_pkt(), count: 32)
        while true {
            let n: Int
            do {
                n = try pkts.withUnsafeMutableBufferPointer { try reader.read(into: $0.baseAddress!, capacity: 32) }
            } catch {
                report.readError = "\(error)"
                break
            }
            if n == 0 { break }
            for p in pkts[0..<n] { onFrame(UnsafeRawBufferPointer(start: p.data, count: Int(p.len)), p.rx_timestamp) }
        }
        report.frames = reader.frames
        report.truncatedFrames = reader.truncatedFrames
    }

    /// The live path: EAL, a net_pcap port reading the capture, rx bursts of descriptors.
    func readDPDK(report: inout ReplayReport, _ onFrame: (UnsafeRawBufferPointer, UInt64) -> Void) throws {
        // Count the frames first so that the loop knows when net_pcap has delivered them all.
        var expected: UInt64 = 0
        do {
            let r = try PcapReader(path: file)
            var p = tw_pkt()
            do { while try r.next(&p) {} } catch {}
            expected = r.frames
        } catch {
            throw fail("\(error)")
        }
        do {
            _ = try EAL.start(arguments: EAL.noHardwareArguments(filePrefix: "tw-replay-\(getpid())"))
            let pool = try Mempool(name: "replay_rx", count: 16_383, cache: 256)
            var conf = DPDKPort.Configuration()
            conf.promiscuous = false
            conf.allMulticast = false
            let port = try DPDKPort(vdev: "net_pcap_replay0", arguments: "rx_pcap=\(file)", mempool: pool, configuration: conf)
            defer { port.close() }
            let clock = TSCClock.calibrate(windowNanos: 20_000_000)
            let unit = port.rxTimestampUnit
            var got: UInt64 = 0
            var idle = 0
            while got < expected && idle < 2_000_000 {
                let n = port.receive(capacity: 32)
                if n == 0 {
                    idle += 1
                    continue
                }
                idle = 0
                let tscNow = UInt64(clock.realtimeNanos(tsc: TSCClock.now()))
                let frames = port.frames()
                for i in 0..<n {
                    let p = frames.frame(i)
                    // net_pcap's stamp is the record's time in µs: the capture's clock, as the
                    // file reader gives it (in ns). A stamp in an unknown unit is not used.
                    let ts = p.flags & UInt32(TW_PKT_HW_TIMESTAMP) != 0 ? (unit?.nanoseconds(p.rx_timestamp) ?? tscNow) : tscNow
                    onFrame(UnsafeRawBufferPointer(start: p.data, count: Int(p.len)), ts)
                }
                port.release(count: n)
                got &+= UInt64(n)
            }
            report.frames = got
            report.hardwareTimestamps = port.rxTimestampsPresent
            report.rxTimestampUnit = port.rxTimestampsPresent ? port.rxTimestampUnit?.rawValue ?? "unknown (not used)" : nil
        } catch {
            throw fail("\(error)")
        }
        EAL.stop()
    }

    // MARK: IEX

    func replayIEX() throws -> ReplayReport {
        var report = ReplayReport(venue: "iex", backend: backend.rawValue, input: "capture")
        let started = tw_clock_monotonic_raw_ns()
        var stats: IEXReplayStats
        switch backend {
        case .file:
            do {
                stats = try IEXReplay.replayIEX(pcapPath: file, port: iexPort)
            } catch {
                throw fail("\(error)")
            }
        case .dpdk:
            var replayer = IEXFrameReplayer(port: iexPort, handler: IEXNullHandler())
            try readDPDK(report: &report) { frame, _ in replayer.onFrame(frame, truncated: false) }
            stats = replayer.finish()
        }
        report.elapsedNs = tw_clock_monotonic_raw_ns() - started
        report.fill(from: stats)
        return report
    }

    func writeBook(builder: ITCHBookBuilder, to path: String) throws {
        var text = ""
        builder.dump { text += $0 }
        do {
            try text.write(toFile: path, atomically: true, encoding: .utf8)
        } catch {
            throw fail("cannot write \(path): \(error.localizedDescription)")
        }
    }
}

enum InputKind {
    case itchFile, capture

    static func detect(path: String) throws -> InputKind {
        guard let h = FileHandle(forReadingAtPath: path) else { throw fail("cannot open \(path)") }
        defer { try? h.close() }
        let magic = [UInt8](h.readData(ofLength: 4))
        if magic.count < 4 { return .itchFile }
        let m = UInt32(magic[0]) << 24 | UInt32(magic[1]) << 16 | UInt32(magic[2]) << 8 | UInt32(magic[3])
        switch m {
        case 0xD4C3_B2A1, 0xA1B2_C3D4, 0x4D3C_B2A1, 0xA1B2_3C4D, 0x0A0D_0D0A: return .capture
        default: return magic[0] == 0x1F && magic[1] == 0x8B ? .capture : .itchFile
        }
    }
}

/// The replay's summary: the keys of the command-line contract, then details.
struct ReplayReport: Encodable {
    var venue: String
    var backend: String
    var input: String
    var messages: UInt64 = 0
    var byType: [String: UInt64] = [:]
    var packets: UInt64 = 0
    var duplicates: UInt64 = 0
    var gaps: UInt64 = 0
    var recovered: UInt64 = 0
    var unrecoveredMessages: UInt64 = 0
    var unknownRefs: UInt64 = 0
    var orders: Int = 0
    // details
    var frames: UInt64 = 0
    var truncatedFrames: UInt64 = 0
    var readError: String?
    var heartbeats: UInt64 = 0
    var malformed: UInt64 = 0
    var unknownTypes: UInt64 = 0
    var badLengths: UInt64 = 0
    var requestsSent: UInt64 = 0
    var duplicateRefs: UInt64 = 0
    var overExecutions: UInt64 = 0
    var capacityExceeded: UInt64 = 0
    var bboChanges: UInt64 = 0
    var priceLevels: Int = 0
    var symbols: Int = 0
    var restarts: UInt64?
    var segments: UInt64?
    var bookSymbols: Int?
    var framing: String?
    var truncatedTailBytes: Int?
    var walkStoppedAt: String?
    var hardwareTimestamps: Bool?
    /// What the port's rx stamps count (net_pcap: microseconds), when it has stamps.
    var rxTimestampUnit: String?
    var elapsedNs: Int64 = 0
    var builder: ITCHBookBuilder? = nil

    enum CodingKeys: String, CodingKey {
        case venue, backend, input, messages, byType, packets, duplicates, gaps, recovered, unrecoveredMessages,
             unknownRefs, orders, frames, truncatedFrames, readError, heartbeats, malformed, unknownTypes, badLengths,
             requestsSent, duplicateRefs, overExecutions, capacityExceeded, bboChanges, priceLevels, symbols,
             restarts, segments, bookSymbols, framing, truncatedTailBytes, walkStoppedAt, hardwareTimestamps, rxTimestampUnit, elapsedNs
    }

    init(venue: String, backend: String, input: String) {
        self.venue = venue
        self.backend = backend
        self.input = input
    }

    mutating func fill(from b: ITCHBookBuilder) {
        messages = b.counters.delivered
        for (t, n) in b.counters.byType where n > 0 { byType[String(t)] = n }
        unknownTypes = b.counters.unknownType
        badLengths = b.counters.badLength
        let c = b.book.counters
        unknownRefs = c.unknownRefs
        duplicateRefs = c.duplicateRefs
        overExecutions = c.overExecutions
        capacityExceeded = c.capacityExceeded
        orders = b.book.liveOrders
        priceLevels = b.book.liveLevels
        bboChanges = b.bboChanges
        symbols = b.directory.count
    }

    mutating func fill<C, R>(from feed: MoldFeedHandler<C, R>) {
        let s = feed.session.counters
        packets = s.packets.total
        duplicates = s.duplicates
        gaps = s.gaps
        recovered = s.recoveredMessages
        unrecoveredMessages = s.unrecoveredMessages
        heartbeats = s.heartbeats
        malformed = s.malformed + feed.frameCounters.drops.total
        requestsSent = s.requestsSent
    }

    mutating func fill(from s: IEXReplayStats) {
        messages = s.messages
        for (t, n) in s.messagesByType { byType[String(t)] = n }
        packets = s.segments
        segments = s.segments
        duplicates = s.duplicates
        gaps = s.gapEvents
        unrecoveredMessages = s.gaps
        heartbeats = s.heartbeats
        restarts = s.restarts
        malformed = s.malformedSegments + s.framingErrors
        unknownTypes = s.unknownMessages
        if frames == 0 { frames = s.frames }
        truncatedFrames = max(truncatedFrames, s.truncatedFrames)
        readError = readError ?? s.readError
        symbols = s.symbolsSeen
        bookSymbols = s.bookSymbols
    }

    func printText() {
        print("\(venue) \(input) via \(backend): \(messages) messages in \(String(format: "%.3f", Double(elapsedNs) / 1e9)) s")
        print("by type   " + byType.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", "))
        if input == "capture" {
            print("frames \(frames), packets \(packets), heartbeats \(heartbeats), duplicates \(duplicates), malformed \(malformed)")
            print("gaps \(gaps), recovered \(recovered), unrecovered messages \(unrecoveredMessages), re-requests \(requestsSent)")
        }
        if venue == "nasdaq" {
            print("book: \(orders) live orders on \(priceLevels) levels, \(symbols) symbols; unknown refs \(unknownRefs), duplicate refs \(duplicateRefs)")
        } else {
            print("restarts \(restarts ?? 0), symbols \(symbols), symbols with book levels \(bookSymbols ?? 0)")
        }
        if truncatedFrames > 0 || readError != nil { print("truncated frames \(truncatedFrames)\(readError.map { "; read stopped: \($0)" } ?? "")") }
    }
}
