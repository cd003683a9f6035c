// One message as a value, for feed handlers that decode into an array before applying, and for
// replay and tests.
import TickwireCore

extension OrderBook {
    /// Applies one message (exactly as the matching method would).
    public func apply(_ m: BookMessage) -> BookUpdate {
        switch m.kind {
        case .add: return add(locate: m.locate, ref: m.ref, side: m.side, shares: m.shares, price: m.price)
        case .execute: return execute(ref: m.ref, shares: m.shares)
        case .cancel: return cancel(ref: m.ref, shares: m.shares)
        case .delete: return delete(ref: m.ref)
        case .replace: return replace(old: m.ref, new: m.newRef, shares: m.shares, price: m.price)
        }
    }
}
