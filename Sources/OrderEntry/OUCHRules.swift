// The rules of OUCH order entry that both ends follow, in one place: the client
// (`OrderGateway`) and the venue (`Exchange.OrderEntryServer` and its matching engine) read the
// same fields the same way, so the simulator cannot drift from what the gateway expects. What is
// one end's job stays with it: the venue's book and priority, the client's order store and risk.
public import TickwireCore

public enum OUCHRules {
    /// A Replace Order's size counts the whole replace chain (OUCH 4.2 and 5.0 alike): the
    /// shares executed on the order and on the orders it replaced, plus the shares to be open
    /// afterwards. What a client sends to leave `open` shares open (saturating).
    @inlinable @inline(__always)
    public static func replaceSize(open: UInt32, executedOnChain: UInt32) -> Shares {
        let (v, overflow) = open.addingReportingOverflow(executedOnChain)
        return Shares(rawValue: overflow ? .max : v)
    }

    /// What a Replace of `size` shares leaves open at the venue: the size less what executed on
    /// the chain; 0 when the size is no more than that (the venue takes the order out).
    @inlinable @inline(__always)
    public static func openAfterReplace(size: UInt32, executedOnChain: UInt32) -> Shares {
        Shares(rawValue: size > executedOnChain ? size - executedOnChain : 0)
    }

    /// A Cancel Order's shares are the size the order is to have afterwards (0 cancels it; a
    /// size not below what is open changes nothing): the shares the cancel takes off.
    @inlinable @inline(__always)
    public static func cancelDecrement(open: UInt32, intended: UInt32) -> UInt32 {
        intended < open ? open - intended : 0
    }
}
