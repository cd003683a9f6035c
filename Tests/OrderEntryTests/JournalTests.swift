import TestSupport
import Foundation
import OrderEntry
import Testing
import TickwireCore

func tempPath(_ name: String) -> String {
    let p = scratchDirectory("tw-oe").appendingPathComponent(name).path
    try? FileManager.default.removeItem(atPath: p)
    return p
}

@Suite struct JournalTests {
    func sample(_ i: Int) -> JournalRecord {
        JournalRecord(kind: JournalKind(rawValue: UInt8(1 + i % 10))!, id: UInt32(i), other: UInt32(i / 2), locate: StockLocate(rawValue: UInt16(i % 7)),
                      side: i % 2 == 0 ? .buy : .sell, shares: UInt32(100 + i), price: Price(rawValue: Int64(1_000_000 + i)),
                      ref: UInt64(i) * 977, seq: UInt64(i), flags: UInt32(i % 2))
    }

    @Test func recordsComeBackInOrder() throws {
        let path = tempPath("j1.bin")
        let w = try JournalWriter(path: path, ringCapacity: 256)
        // More than the ring: a full ring refuses (the gateway refuses the order then); this
        // caller waits for room, and nothing is lost.
        for i in 0..<5_000 { while !w.append(sample(i)) { usleep(50) } }
        w.close()
        #expect(w.recordsWritten == 5_000 && w.writeErrors == 0)
        let r = try #require(JournalWriter.read(path: path))
        #expect(r.records.count == 5_000 && r.ignoredTailBytes == 0)
        #expect(r.records == (0..<5_000).map(sample))
        // Appending to an existing journal keeps what was there.
        let w2 = try JournalWriter(path: path)
        w2.append(sample(9_999))
        w2.close()
        #expect(JournalWriter.read(path: path)?.records.last == sample(9_999))
        #expect(JournalWriter.read(path: path)?.records.count == 5_001)
    }

    @Test func tornOrCorruptTailIsIgnored() throws {
        let path = tempPath("j2.bin")
        let w = try JournalWriter(path: path)
        for i in 0..<10 { w.append(sample(i)) }
        w.close()
        var bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
        let recordBytes = bytes.count / 10
        // A torn last record: every cut inside it leaves the first nine.
        for cut in 1..<recordBytes {
            let r = JournalWriter.parse(Array(bytes[0..<(bytes.count - cut)]))
            #expect(r.records.count == 9 && r.ignoredTailBytes == recordBytes - cut)
        }
        // A flipped bit in record 5: records 0...4 survive, nothing after is trusted.
        bytes[5 * recordBytes + 10] ^= 0x04
        let r = JournalWriter.parse(bytes)
        #expect(r.records.count == 5 && r.ignoredTailBytes == 5 * recordBytes)
        #expect(JournalWriter.read(path: tempPath("missing.bin")) == nil)
    }
}
