import Testing
import TickwireCore
@testable import OrderEntry

/// The rules both ends of OUCH order entry follow (the gateway and the venue simulator use
/// these functions, so one wrong rule would fail here rather than agree with itself).
@Suite struct OUCHRulesTests {
    @Test func aReplaceSizeCountsTheChainsExecutions() {
        // 300 executed over the chain, 200 to stay open: the Replace says 500.
        #expect(OUCHRules.replaceSize(open: 200, executedOnChain: 300) == Shares(rawValue: 500))
        #expect(OUCHRules.openAfterReplace(size: 500, executedOnChain: 300) == Shares(rawValue: 200))
        // No more than what executed: the order comes out.
        #expect(OUCHRules.openAfterReplace(size: 300, executedOnChain: 300) == Shares(rawValue: 0))
        #expect(OUCHRules.openAfterReplace(size: 100, executedOnChain: 300) == Shares(rawValue: 0))
        // Saturating, never trapping, on a chain that executed near the top of the range.
        #expect(OUCHRules.replaceSize(open: .max, executedOnChain: 1) == Shares(rawValue: .max))
        // The two ends agree for every open size and chain.
        for executed: UInt32 in [0, 1, 99, 1_000_000] {
            for open: UInt32 in [0, 1, 50, 999_999] {
                let size = OUCHRules.replaceSize(open: open, executedOnChain: executed).rawValue
                #expect(OUCHRules.openAfterReplace(size: size, executedOnChain: executed).rawValue == open)
            }
        }
    }

    @Test func aCancelsSharesAreTheSizeAfterwards() {
        #expect(OUCHRules.cancelDecrement(open: 500, intended: 0) == 500, "0 cancels the order")
        #expect(OUCHRules.cancelDecrement(open: 500, intended: 200) == 300)
        #expect(OUCHRules.cancelDecrement(open: 500, intended: 500) == 0, "the size it has: nothing")
        #expect(OUCHRules.cancelDecrement(open: 500, intended: 900) == 0, "more than it has: nothing")
    }
}
