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

/// The OUCH messages a venue sends, by version (all have `encode(into:)`): the simulator's order
/// entry and the backtest venue encode their answers through these.
public protocol OUCH42Encodable { func encode(into out: UnsafeMutableRawBufferPointer) -> Int? }
public protocol OUCH50Encodable { func encode(into out: UnsafeMutableRawBufferPointer) -> Int? }
extension OUCH42.Accepted: OUCH42Encodable {}
extension OUCH42.Replaced: OUCH42Encodable {}
extension OUCH42.Canceled: OUCH42Encodable {}
extension OUCH42.Executed: OUCH42Encodable {}
extension OUCH42.Rejected: OUCH42Encodable {}
extension OUCH42.CancelReject: OUCH42Encodable {}
extension OUCH42.OrderModified: OUCH42Encodable {}
extension OUCH42.SystemEvent: OUCH42Encodable {}
extension OUCH50.OrderAccepted: OUCH50Encodable {}
extension OUCH50.OrderReplaced: OUCH50Encodable {}
extension OUCH50.OrderCanceled: OUCH50Encodable {}
extension OUCH50.OrderExecuted: OUCH50Encodable {}
extension OUCH50.OrderRejected: OUCH50Encodable {}
extension OUCH50.CancelReject: OUCH50Encodable {}
extension OUCH50.OrderModified: OUCH50Encodable {}
extension OUCH50.SystemEvent: OUCH50Encodable {}
