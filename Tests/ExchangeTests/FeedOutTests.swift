import Exchange
import Foundation
import MarketData
import TestSupport
import Testing
import TickwireCore
import Packets

enum Paths {
    static var binary: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent(".build/debug/tickwire").path
    }
    static func temp(_ name: String) -> String {
        scratchDirectory("tw-exchange").appendingPathComponent(name).path
    }
}

/// Runs the tickwire binary; returns its JSON object and its stdout.
func runTickwire(_ args: [String]) throws -> [String: Any] {
    try JSONSerialization.jsonObject(with: try runChecked(Paths.binary, args)) as? [String: Any] ?? [:]
}

/// Keeps what the venue sends, for tests.
struct CollectingOutput: PacketOutput {
    var packets: [(FeedLine, [UInt8])] = []
    mutating func send(_ payload: UnsafeRawBufferPointer, line: FeedLine, to destination: FeedAddress) {
        packets.append((line, Array(payload)))
    }
}

@Suite(.serialized) struct FeedOutTests {
    @Test func faultsAreSeededAndCounted() {
        func run(_ seed: UInt64) -> [UInt8] {
            var line = FaultyLine(line: .a, destination: .defaultA,
                                  faults: LineFaults(loss: 0.1, burst: 0.01, burstLength: 5, duplicate: 0.05, reorder: 0.05, delayPackets: 2),
                                  seed: seed)
            var out = CollectingOutput()
            for i in 0..<2_000 {
                var p = [UInt8(i & 0xFF), UInt8(i >> 8)]
                p.withUnsafeMutableBytes { line.offer(UnsafeRawBufferPointer($0), &out) }
            }
            line.drain(&out)
            let c = line.counters
            #expect(c.sent == 2_000 - c.lost + c.duplicated)
            #expect(c.lost > 150 && c.duplicated > 50 && c.reordered > 50)
            #expect(UInt64(out.packets.count) == c.sent)
            return out.packets.flatMap { $0.1 }
        }
        #expect(run(1) == run(1))
        #expect(run(1) != run(2))
        #expect(LineFaults("loss=0.01,burst=0.001:20,dup=0.02,reorder=0.03,delay=3")
            == LineFaults(loss: 0.01, burst: 0.001, burstLength: 20, duplicate: 0.02, reorder: 0.03, delayPackets: 3))
        #expect(LineFaults("loss=2") == nil && LineFaults("bogus=1") == nil && LineFaults("burst=0.1") == nil)
        #expect(LineFaults("none") == LineFaults.none)
    }

    /// The simulator's feed with losses on both lines (bursts too), duplicates, reordering and
    /// B lagging: the appliance's replay of the capture, re-requesting from the venue's server,
    /// recovers every message and rebuilds the engine's book level by level.
    @Test func lossyFeedRecoversEveryMessageAndRebuildsTheEnginesBook() throws {
        try #require(FileManager.default.isExecutableFile(atPath: Paths.binary), "build tickwire first")
        let capturePath = Paths.temp("lossy-venue.pcap")
        let day = try LossyFeedCapture(path: capturePath, symbols: 20, seed: 9, steps: 30_000, lines: [
            FaultyLine(line: .a, destination: .defaultA, faults: LineFaults(loss: 0.04, burst: 0.004, burstLength: 8, duplicate: 0.02, reorder: 0.02), seed: 1),
            FaultyLine(line: .b, destination: .defaultB, faults: LineFaults(loss: 0.04, burst: 0.004, burstLength: 8, delayPackets: 3), seed: 1),
        ], heartbeatEvery: 5_000)
        let (model, publisher, store, packer) = (day.model, day.publisher, day.store, day.packer)
        let lostA = packer.lines[0].counters.lost, lostB = packer.lines[1].counters.lost
        #expect(lostA > 50 && lostB > 50)

        let server = try MoldRetransmitServer(store: store)
        server.start()
        defer { server.stop() }
        let bookOut = Paths.temp("lossy-venue.book")
        let r = try runTickwire(["replay", capturePath, "--rerequest", "127.0.0.1:\(server.port)", "--json", "--book-out", bookOut])
        #expect(r["messages"] as? Int == store.count)
        #expect(r["unrecovered_messages"] as? Int == 0)
        #expect((r["recovered"] as? Int ?? 0) > 0)
        #expect((r["duplicates"] as? Int ?? 0) > 0)
        #expect(r["unknown_refs"] as? Int == 0)
        #expect(r["orders"] as? Int == model.engine.liveOrders)
        #expect(server.served > 0)
        let replayed = try String(contentsOfFile: bookOut, encoding: .utf8)
        let engine = model.engine.dump { publisher.symbols[Int($0.rawValue)].description }
        #expect(replayed == engine)
        #expect(engine.split(separator: "\n").count > 100)
    }
}

/// The simulator's pacing with microbursts (the soak's "10 times the mean rate for 10 ms every
/// second"): the burst carries ten times its share, every whole second still carries the rate.
@Suite struct MicroburstPacingTests {
    @Test func theBurstRunsAtTenTimesTheMeanAndTheMeanHolds() {
        let r = 100_000.0
        func due(_ ms: Double) -> UInt64 { VenueSimulator.messagesDue(after: Int64(ms * 1e6), rate: r, burstFactor: 10, burstNanos: 10_000_000) }
        #expect(due(10) == 10_000, "10 ms at 1 M/s")
        #expect(due(5) == 5_000)
        #expect(due(1_000) == 100_000 && due(3_000) == 300_000, "whole seconds carry the rate")
        #expect(due(1_010) == 110_000, "the next second's burst")
        // After the burst the rest of the second runs at (100,000 - 10,000) / 0.99 per second.
        #expect(due(505) == 10_000 + UInt64(90_000.0 / 0.99 * 0.495))
        // A factor of 1 is even pacing.
        #expect(VenueSimulator.messagesDue(after: 250_000_000, rate: r, burstFactor: 1, burstNanos: 10_000_000) == 25_000)
    }
}
