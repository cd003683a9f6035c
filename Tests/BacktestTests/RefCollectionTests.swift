@testable import Backtest
import Testing
import TickwireCore

/// The venue's reference collections against Swift's own, under random inserts and removals
/// (clustered references, as a venue numbers them, and the reference 0).
struct RefCollectionTests {

    @Test func refSetIsASet() {
        var rng = SplitMix64(state: 7)
        var set = RefSet(capacity: 16)  // starts small: grows many times
        var model = Set<UInt64>()
        for step in 0..<200_000 {
            // Mostly a window of recent references (deletes find what adds made), some far ones.
            let k: UInt64 = rng.next() % 10 == 0 ? rng.next() : UInt64(step / 4) &- rng.next() % 2_000 &+ 1_000
            if rng.next() % 3 == 0 {
                set.remove(k)
                model.remove(k)
            } else {
                set.insert(k)
                model.insert(k)
            }
            if step % 997 == 0 {
                #expect(set.count == model.count)
                for probe in 0..<64 {
                    let q = UInt64(step / 4) &- UInt64(probe * 37)
                    #expect(set.contains(q) == model.contains(q), "reference \(q) at step \(step)")
                }
            }
        }
        #expect(set.count == model.count)
        for k in model { #expect(set.contains(k)) }
    }

    @Test func refMapIsADictionary() {
        var rng = SplitMix64(state: 11)
        var map = RefMap<Int>()
        defer { map.release() }
        var model: [UInt64: Int] = [:]
        for step in 0..<100_000 {
            let k = rng.next() % 4_096
            switch rng.next() % 4 {
            case 0:
                map[k] = nil
                model[k] = nil
            case 1:
                #expect(map.removeValue(forKey: k) == model.removeValue(forKey: k))
            default:
                map[k] = step
                model[k] = step
            }
            if step % 101 == 0 {
                let q = rng.next() % 4_096
                #expect(map[q] == model[q])
                #expect(map.count == model.count)
            }
        }
        for (k, v) in model { #expect(map[k] == v) }
    }

    /// References that share a filter bucket: each stays found while any other of its bucket
    /// comes and goes, and once all are gone the bucket answers "absent" again. (The random
    /// test's references below 4,096 never share a bucket.)
    @Test func refMapBucketsSharedByReferences() {
        let home = RefMap<Int>.bucket(1_000)
        var shared: [UInt64] = []
        var k: UInt64 = 1_001
        while shared.count < 4 {
            if RefMap<Int>.bucket(k) == home { shared.append(k) }
            k &+= 1
        }
        let refs = [1_000] + shared
        var map = RefMap<Int>()
        defer { map.release() }
        for (i, r) in refs.enumerated() { map[r] = i }
        for (i, r) in refs.enumerated() {
            #expect(map.removeValue(forKey: r) == i)
            #expect(map[r] == nil)
            for (j, other) in refs.enumerated() where j > i { #expect(map[other] == j) }
        }
        #expect(!map.mayContain(1_000))
        map[shared[2]] = 7
        #expect(map[shared[2]] == 7)
        #expect(map.mayContain(1_000))  // the same bucket: asked of the dictionary, not found there
        #expect(map[1_000] == nil)
    }
}
