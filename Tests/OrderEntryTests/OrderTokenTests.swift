import OrderEntry
import Testing
import TickwireCore

/// The gateway's order tokens ("TW" and the order number in twelve digits) against a reference
/// built with String formatting, and their parse back, including tokens that are not ours.
@Suite struct OrderTokenTests {
    static func reference(_ id: UInt32) -> String {
        let digits = String(id)
        return "TW" + String(repeating: "0", count: 12 - digits.count) + digits
    }

    static let edges: [UInt32] = [0, 1, 9, 10, 99, 100, 9_999, 10_000, 99_999_999, 100_000_000, 100_000_001, 999_999_999,
                                  1_000_000_000, 4_199_999_999, 4_200_000_000, UInt32.max - 1, UInt32.max]

    @Test func tokenMatchesTheDecimalTextAndParsesBack() {
        var rng = SplitMix64(seed: 18)
        var ids = Self.edges
        for _ in 0..<200_000 { ids.append(UInt32(truncatingIfNeeded: rng.next())) }
        // Every power of ten and its neighbours, and every digit in every position.
        var p: UInt64 = 1
        while p <= UInt64(UInt32.max) {
            for d in [p - 1, p, p + 1] where d <= UInt64(UInt32.max) { ids.append(UInt32(d)) }
            for k in 1...9 where UInt64(k) * p <= UInt64(UInt32.max) { ids.append(UInt32(UInt64(k) * p)) }
            p *= 10
        }
        for id in ids {
            let t = OrderTokens.token(id)
            #expect(t.description == Self.reference(id), "token of \(id)")
            #expect(OrderTokens.orderNumber(t) == id, "parse of \(id)")
        }
    }

    /// The gateway's next token is the one before it incremented: the same as building it, across
    /// every carry (a nine, six nines: the rebuild), the powers of ten and the wrap at UInt32.max.
    @Test func successorIsTheNextNumbersToken() {
        var rng = SplitMix64(seed: 19)
        var starts = Self.edges.map { $0 &- 3 }
        for _ in 0..<2_000 { starts.append(UInt32(truncatingIfNeeded: rng.next())) }
        var p: UInt64 = 10
        while p <= UInt64(UInt32.max) {
            starts.append(UInt32(p - 5))
            starts.append(UInt32(truncatingIfNeeded: p * 7 - 5))
            p *= 10
        }
        var wrong = 0, steps = 0
        for s in starts {
            var token = OrderTokens.token(s)
            var n = s
            for _ in 0..<200 {
                n &+= 1
                token = OrderTokens.successor(of: token, number: n)
                if token != OrderTokens.token(n) { wrong += 1 }
                steps += 1
            }
        }
        // A long walk through a million-boundary: every last-six-digit pattern once.
        var token = OrderTokens.token(41_999_990)
        var n: UInt32 = 41_999_990
        for _ in 0..<1_100_000 {
            n &+= 1
            token = OrderTokens.successor(of: token, number: n)
            if token != OrderTokens.token(n) { wrong += 1 }
            steps += 1
        }
        #expect(wrong == 0 && steps > 1_500_000, "\(wrong) of \(steps) successors differ from the built token")
    }

    @Test func foreignTokensAreNotOurs() {
        let foreign = ["", "TW", "TW12345678901", "TW1234567890123", "XW000000000001", "tw000000000001", "TW00000000000A",
                       "TW0000000:0001", "TW/00000000001", "TW 00000000001", "TW004294967296", "TW999999999999",
                       "TW000000000001 ", "AB000000000001", "TWTW0000000001"]
        for s in foreign {
            guard let t = Alpha14(s) else { continue }  // longer than 14 bytes
            #expect(OrderTokens.orderNumber(t) == nil, "\(s) read as ours")
        }
        // Every byte position with every non-digit byte (a venue may send any): not ours.
        let base = Array(Self.reference(123_456_789).utf8)
        for i in 2..<14 {
            for b in UInt8(0)...UInt8(255) where !(0x30...0x39).contains(b) {
                var bytes = base
                bytes[i] = b
                let t = bytes.withUnsafeBytes { Alpha14(loading: $0.baseAddress!) }
                #expect(OrderTokens.orderNumber(t) == nil, "byte \(i) = \(b)")
            }
        }
        #expect(OrderTokens.orderNumber(Alpha14("TW004294967295")!) == UInt32.max)
    }
}
