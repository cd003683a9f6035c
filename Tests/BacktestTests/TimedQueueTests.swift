@testable import Backtest
import Testing
import TickwireCore

/// The in-flight queue's records come back byte for byte, whatever their length (the small
/// copy has a branch per size band), and its copy touches nothing outside the record.
struct TimedQueueTests {

    @Test func recordsOfEveryLengthComeBackExactly() {
        var rng = SplitMix64(state: 11)
        var q = TimedQueue(capacity: 256)  // grows and compacts along the way
        var expected: [[UInt8]] = []
        var front = 0
        for round in 0..<40 {
            for n in 0...100 {
                let bytes = (0..<n).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
                bytes.withUnsafeBytes { _ = q.push($0, at: UInt64(round * 1_000 + n)) }
                expected.append(bytes)
            }
            // Read some back before the next round pushes more.
            while expected.count - front > 37 {
                let got = Array(q.front)
                #expect(got == expected[front], "record \(front) of \(expected[front].count) bytes")
                q.pop()
                front += 1
            }
        }
        while front < expected.count {
            let got = Array(q.front)
            #expect(got == expected[front])
            q.pop()
            front += 1
        }
        let empty = q.isEmpty
        #expect(empty)
    }

    @Test func copyWritesOnlyItsRange() {
        let source = (0..<128).map { UInt8($0 + 1) }
        for n in 0...100 {
            var out = [UInt8](repeating: 0xEE, count: n + 32)
            source.withUnsafeBytes { s in
                out.withUnsafeMutableBytes { d in TimedQueue.copy(to: d.baseAddress! + 16, from: s.baseAddress!, count: n) }
            }
            #expect(Array(out[16..<(16 + n)]) == Array(source[0..<n]), "\(n) bytes")
            #expect(out[0..<16].allSatisfy { $0 == 0xEE } && out[(16 + n)...].allSatisfy { $0 == 0xEE }, "\(n) bytes: outside untouched")
        }
    }
}
