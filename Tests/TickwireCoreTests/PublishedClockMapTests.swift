import Foundation
import Testing
@testable import TickwireCore

/// The seqlock that hands a clock model's map from the cold thread to the hot loop: a reader
/// gets a whole map, never fields of two, while the writer publishes as fast as it can.
@Suite struct PublishedClockMapTests {
    /// Every field of map k is a function of k, so a torn read (fields of two maps) shows.
    static func map(_ k: UInt64) -> ClockMap {
        ClockMap(x0: k, y0: -Int64(k) * 3, a: Double(k) * 0.5, b: Double(k) + 1)
    }

    @Test func aReaderNeverSeesATornMap() {
        let published = PublishedClockMap()
        defer { published.destroy() }
        #expect(published.load() == nil, "nothing published yet")
        let writes: UInt64 = 2_000_000
        let writer = Thread {
            for k in 1...writes { published.publish(Self.map(k)) }
        }
        writer.start()
        var reads = 0, torn = 0, backwards = 0
        var last: UInt64 = 0
        while true {
            guard let m = published.load() else { continue }
            reads += 1
            if m != Self.map(m.x0) { torn += 1 }
            if m.x0 < last { backwards += 1 }
            last = m.x0
            if m.x0 == writes { break }
        }
        #expect(torn == 0, "\(torn) torn maps in \(reads) reads")
        #expect(backwards == 0, "\(backwards) maps older than one read before")
        #expect(published.generation == writes)
        #expect(published.load() == Self.map(writes))
    }

    @Test func theMapConvertsAsTheModelDoes() throws {
        var m = ClockModel(capacity: 16)
        var c = SyntheticClock(ppm: 75)
        var t = 0.0
        for _ in 0..<40 {
            let (x, y) = c.read(t)
            m.add(x: x, y: y)
            t += 0.01
        }
        let map = try #require(m.map)
        for y in stride(from: c.offset, to: c.offset + 500_000_000, by: 7_777_777) {
            let fromModel = try #require(m.tsc(at: y))
            let fromMap = map.tsc(at: y)
            #expect(fromModel == fromMap || fromModel &+ 1 == fromMap || fromModel == fromMap &+ 1)
        }
        #expect(ClockMap(x0: 1, y0: 0, a: 0, b: 0).tsc(at: 5) == 0, "no rate: cannot say")
    }
}
