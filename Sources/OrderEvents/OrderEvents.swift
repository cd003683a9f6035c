// What a strategy and the order gateway say to each other, apart from how the gateway says it
// to a venue: the order kind a strategy asks for, the gateway's answer to a submission, and the
// venue's events about our orders as the gateway reports them. A module of its own so that the
// strategies depend on this and not on the OUCH codecs (Package.swift: Strategy depends on
// TickwireCore, OrderBook, Inference and OrderEvents).
public import TickwireCore

public enum OrderKindRequest: Sendable, Equatable {
    case day
    case ioc
}

public enum SubmitResult: Sendable, Equatable {
    case sent(id: UInt32)
    case notLoggedIn
    case unknownSymbol
    case storeFull
    case refused(reason: UInt8)
    /// The session's send queue is too full to take it (the venue is not reading): refused
    /// before risk reserved anything; room is kept for cancels.
    case sendBufferFull
    /// The journal cannot record it (its ring is full, or it has failed and the gateway does
    /// not continue without it): not sent, nothing reserved.
    case journalUnavailable
}

/// What the gateway learns from the venue, for the strategy, risk and the journal.
public enum GatewayEvent: Sendable, Equatable {
    case accepted(id: UInt32, ref: OrderRef)
    case executed(id: UInt32, locate: StockLocate, side: Side, shares: UInt32, price: Price, match: UInt64)
    case canceled(id: UInt32, shares: UInt32)
    /// `ref`: the replacement's order reference on the venue's feed (a new one, or the old
    /// one when the venue kept the order's place).
    case replaced(old: UInt32, new: UInt32, ref: OrderRef)
    case rejected(id: UInt32, reason: UInt16)
    case cancelRejected(id: UInt32)
    case systemEvent(code: UInt8)
    /// An order of ours the venue knows and we had no record of (a journal tail lost in a
    /// crash): taken over from the venue's Accepted.
    case adopted(id: UInt32, ref: OrderRef)
}
