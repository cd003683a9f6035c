import ArgumentParser
import CShims
import Exchange
import Foundation
import MarketData
import ITCHBook
import OrderBook
import TickwireCore

struct Gen: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Generate data.",
        subcommands: [GenITCH.self]
    )
}

struct GenITCH: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "itch",
        abstract: "Write a synthetic ITCH 5.0 BinaryFILE day (deterministic for a seed)."
    )

    @Option(help: "Messages in the day.")
    var messages: Int = 1_000_000

    @Option(help: "Output file.")
    var out: String

    @Option(help: "Seed: the same seed gives the same bytes.")
    var seed: UInt64 = 1

    @Option(help: "flow: the venue simulator's order-flow model (queue-reactive, regimes); simple: the fast synthetic day.")
    var model: String = "flow"

    @Option(help: "Stocks (locates 1...N), activity heavy-tailed across them (default: 100 for flow, 1000 for simple).")
    var stocks: Int?

    @Option(help: "flow model: stamp the messages as the paced venue does, this many a second (the demo's feed runs at 50000); 0: the model's own clock.")
    var rate: Double = 0

    @Option(name: .customLong("live-orders"), help: "simple model: live orders once the books have filled (split across stocks by activity).")
    var liveOrders: Int = 200_000

    @Flag(help: "Print one JSON object.")
    var json = false

    struct Report: Encodable {
        var out: String
        var messages: Int
        var bytes: Int
        var seed: UInt64
        var stocks: Int
        var model: String
        var elapsedNs: Int64
        var messagesPerSec: Double
        var liveOrders: Int?
        var venueSeconds: Double?
        var regimeSeconds: [String: Double]?
    }

    func run() throws {
        let stocks = self.stocks ?? (model == "flow" ? 100 : 1000)
        guard messages > 0, stocks > 0, stocks < 65_535, liveOrders > 0 else {
            throw ValidationError("--messages and --live-orders must be positive and --stocks within 1...65534")
        }
        guard model == "flow" || model == "simple" else { throw ValidationError("--model is flow or simple, not \(model)") }
        guard rate == 0 || (rate >= 100 && rate <= 10_000_000) else { throw ValidationError("--rate is 0 or within 100...1e7 messages a second") }
        guard rate == 0 || model == "flow" else { throw ValidationError("--rate paces the flow model's day (--model flow)") }
        let fd: Int32
        switch Syscall.call("open(\(out))", { open(out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644) }) {
        case .success(let d): fd = d
        case .failure(let e): throw fail("cannot create \(out): \(e)")
        }
        let t0 = tw_clock_monotonic_raw_ns()
        var bytes = 0
        var flow: FlowDaySummary?
        func writeAll(_ chunk: UnsafeRawBufferPointer) throws {
            var off = 0
            while off < chunk.count {
                switch Syscall.call("write(\(out))", { write(fd, chunk.baseAddress! + off, chunk.count - off) }) {
                case .success(let n): off += n
                case .failure(let e): throw fail("write \(out): \(e)")
                }
            }
            bytes += chunk.count
        }
        do {
            if model == "flow" {
                var c = OrderFlowConfiguration(seed: seed, symbols: stocks)
                c.seed = seed
                flow = try FlowDay.generate(c, messages: messages, rate: rate, write: writeAll)
            } else {
                var c = SyntheticDayConfiguration(messages: messages, seed: seed)
                c.stocks = stocks
                c.targetLiveOrders = liveOrders
                try SyntheticDay.generate(c, write: writeAll)
            }
        } catch {
            Syscall.close(fd)
            throw error
        }
        if let e = Syscall.close(fd) { throw fail("close \(out): \(e)") }
        let ns = tw_clock_monotonic_raw_ns() - t0
        let r = Report(out: out, messages: messages, bytes: bytes, seed: seed, stocks: stocks, model: model, elapsedNs: ns,
                       messagesPerSec: (Double(messages) / (Double(ns) / 1e9)).rounded(), liveOrders: flow?.liveOrders,
                       venueSeconds: flow.map { round3($0.venueSeconds) }, regimeSeconds: flow?.regimeSeconds.mapValues(round3))
        if json {
            printJSON(r)
        } else {
            print("wrote \(messages) messages (\(bytes) bytes) to \(out) in \(String(format: "%.2f", Double(ns) / 1e9)) s "
                + "(\(model) model, \(String(format: "%.2f", r.messagesPerSec / 1e6)) M msgs/s)")
        }
    }
}

struct BenchBook: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "book",
        abstract: "Decode + full L3 book update on one core, over a synthetic day or an ITCH file."
    )

    @Option(help: "An ITCH BinaryFILE to replay instead of a synthetic day.")
    var itch: String?

    @Option(help: "Messages of the synthetic day.")
    var messages: Int = 10_000_000

    @Option(help: "Synthetic day: flow (the simulator's order-flow model, as gen itch) or simple.")
    var model: String = "flow"

    @Option(help: "Seed of the synthetic day.")
    var seed: UInt64 = 1

    @Option(help: "Measured rounds (a fresh book each); the best counts.")
    var rounds: Int = 3

    @Option(name: .customLong("max-orders"), help: "Live orders the book preallocates for.")
    var maxOrders: Int = 4_000_000

    @Flag(help: "Prefetch a few messages ahead (software pipeline). It pays only when the book's working set is far larger than the caches; on the simulator's day it costs a quarter of the speed.")
    var prefetch = false

    @Flag(help: "Print one JSON object.")
    var json = false

    struct Report: Encodable {
        var messages: UInt64
        var msgsPerSec: Double
        var nsPerMsg: Double
        var rounds: Int
        var liveOrders: Int
        var unknownRefs: UInt64
        var capacityExceeded: UInt64
        var source: String
    }

    func run() throws {
        let bytes: [UInt8]
        var source: String
        if let itch {
            do { bytes = try ITCHFile.load(path: itch) } catch { throw fail("\(error)") }
            source = itch
        } else {
            switch model {
            case "flow":
                bytes = FlowDay.generate(OrderFlowConfiguration(seed: seed, symbols: 100), messages: messages).bytes
            case "simple":
                bytes = SyntheticDay.generate(SyntheticDayConfiguration(messages: messages, seed: seed))
            default:
                throw ValidationError("--model is flow or simple, not \(model)")
            }
            source = "\(model) day, seed \(seed)"
        }
        var best = Int64.max
        var count: UInt64 = 0
        var last: ITCHBookBuilder?
        for _ in 0..<max(rounds, 1) {
            let book: OrderBook
            do { book = try OrderBook(configuration: OrderBookConfiguration(maxOrders: maxOrders)) } catch { throw fail("\(error)") }
            var builder = ITCHBookBuilder(book: book)
            let (ns, n) = bytes.withUnsafeBytes { raw in
                prefetch ? BenchBook.applyPipelined(raw, &builder) : BenchBook.apply(raw, &builder)
            }
            if ns < best { best = ns }
            count = n
            last = builder
        }
        let r = Report(messages: count, msgsPerSec: (Double(count) / (Double(best) / 1e9)).rounded(),
                       nsPerMsg: round3(Double(best) / Double(max(count, 1))), rounds: rounds,
                       liveOrders: last?.book.liveOrders ?? 0, unknownRefs: last?.book.counters.unknownRefs ?? 0,
                       capacityExceeded: last?.book.counters.capacityExceeded ?? 0, source: source)
        if json {
            printJSON(r)
        } else {
            print(String(format: "%llu messages: %.1f M msgs/s, %.2f ns/msg (decode + L3 book, best of %d); %d live orders at the end",
                         r.messages, r.msgsPerSec / 1e6, r.nsPerMsg, rounds, r.liveOrders))
        }
    }

    /// The measured loop: walk the file, dispatch each message, update the book.
    @inline(never)
    static func apply(_ raw: UnsafeRawBufferPointer, _ builder: inout ITCHBookBuilder) -> (Int64, UInt64) {
        var walker = ITCHFileWalker(raw)
        var seq: UInt64 = 0
        let t0 = tw_clock_monotonic_raw_ns()
        while let m = walker.next() {
            seq &+= 1
            builder.onMessage(m, sequence: seq)
        }
        return (tw_clock_monotonic_raw_ns() - t0, seq)
    }

    /// The same with the prefetching pipeline of ITCHBookBuilder.
    @inline(never)
    static func applyPipelined(_ raw: UnsafeRawBufferPointer, _ builder: inout ITCHBookBuilder) -> (Int64, UInt64) {
        var walker = ITCHFileWalker(raw)
        var seq: UInt64 = 0
        let t0 = tw_clock_monotonic_raw_ns()
        _ = builder.applyPipelined(&walker, sequence: &seq)
        return (tw_clock_monotonic_raw_ns() - t0, seq)
    }
}
