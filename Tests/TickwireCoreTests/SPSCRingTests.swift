import Testing
import Foundation
@testable import TickwireCore

@Suite struct SPSCRingTests {
    @Test func capacityRoundsUpToPowerOfTwo() {
        #expect(SPSCRing<Int>(capacity: 1).capacity == 2)
        #expect(SPSCRing<Int>(capacity: 5).capacity == 8)
        #expect(SPSCRing<Int>(capacity: 1024).capacity == 1024)
    }

    @Test func fifoFullAndEmpty() {
        let r = SPSCRing<Int>(capacity: 4)
        #expect(r.pop() == nil)
        for i in 0..<4 { #expect(r.push(i)) }
        #expect(!r.push(99), "a full ring refuses, nothing overwritten")
        #expect(r.count == 4)
        for i in 0..<4 { #expect(r.pop() == i) }
        #expect(r.pop() == nil)
        #expect(r.isEmpty)
        // Wrap around many times.
        for i in 0..<10_000 {
            #expect(r.push(i))
            #expect(r.pop() == i)
        }
    }

    @Test func batchPop() {
        let r = SPSCRing<UInt32>(capacity: 16)
        for i in 0..<10 { _ = r.push(UInt32(i)) }
        var out = [UInt32](repeating: 0, count: 4)
        let n = out.withUnsafeMutableBufferPointer { r.pop(into: $0) }
        #expect(n == 4)
        #expect(out == [0, 1, 2, 3])
        var rest = [UInt32](repeating: 0, count: 16)
        let m = rest.withUnsafeMutableBufferPointer { r.pop(into: $0) }
        #expect(m == 6)
        #expect(Array(rest[0..<6]) == [4, 5, 6, 7, 8, 9])
        #expect(rest.withUnsafeMutableBufferPointer { r.pop(into: $0) } == 0)
    }

    /// One producer thread and one consumer thread move 2 million sequence numbers through a
    /// small ring: every value arrives once, in order, with the payload intact.
    @Test func twoThreadsInOrderNothingLost() async {
        struct Item: Equatable { var seq: UInt64; var check: UInt64 }
        let ring = SPSCRing<Item>(capacity: 64)
        let total: UInt64 = 2_000_000
        let producer = Thread {
            var i: UInt64 = 0
            while i < total {
                if ring.push(Item(seq: i, check: i &* 0x9E37_79B9_7F4A_7C15)) {
                    i += 1
                } else {
                    sched_yield()  // 2 shared cores: let the consumer run rather than spin a slice away
                }
            }
        }
        let result = Mutex<(ok: Bool, received: UInt64)>((true, 0))
        let done = DispatchSemaphore(value: 0)
        let consumer = Thread {
            var expect: UInt64 = 0
            var ok = true
            while expect < total {
                if let item = ring.pop() {
                    if item.seq != expect || item.check != expect &* 0x9E37_79B9_7F4A_7C15 { ok = false }
                    expect += 1
                } else {
                    sched_yield()
                }
            }
            result.withLock { $0 = (ok, expect) }
            done.signal()
        }
        consumer.start()
        producer.start()
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            DispatchQueue.global().async {
                done.wait()
                c.resume()
            }
        }
        let r = result.withLock { $0 }
        #expect(r.ok)
        #expect(r.received == total)
        #expect(ring.isEmpty)
    }
}

import Synchronization
