// The gateway's view of its own orders: one record per client order number, kept in a
// preallocated ring indexed by that number (the gateway numbers its orders consecutively, so
// no hashing), with the state machine of an order's life and its invariants enforced.
//
//   pendingNew --accepted--> accepted --executed--> partiallyFilled --executed--> filled
//   pendingNew --rejected--> rejected
//   accepted/partiallyFilled --cancel sent--> pendingCancel --canceled (all)--> canceled
//                                             pendingCancel --canceled (part) / cancel reject--> back
//   accepted/partiallyFilled --replace sent--> pendingReplace --replaced--> replaced (the new
//        order, pendingNew until then, becomes accepted with the venue's new reference)
//   an IOC or a venue cancel may end any live state directly.
//
// Invariants: an order is never filled beyond its quantity (an execution that would overfill is
// refused and counted: it means a bug here or at the venue); its fill notional never overflows
// (refused and counted); leaves never go negative; nothing
// happens to an order after a terminal state (filled, canceled, replaced, rejected): such an
// event is counted as a violation and ignored. Unknown order numbers are counted.
public import TickwireCore
import CShims

public enum OrderStatus: UInt8, Sendable, CaseIterable, CustomStringConvertible {
    case free = 0
    case pendingNew
    case accepted
    case partiallyFilled
    case filled
    case pendingCancel
    case canceled
    case pendingReplace
    case replaced
    case rejected

    @inline(__always)
    public var isTerminal: Bool { self == .filled || self == .canceled || self == .replaced || self == .rejected }
    /// Resting at the venue, or possibly so (sent and not yet answered).
    @inline(__always)
    public var isOpen: Bool { !isTerminal && self != .free }

    public var description: String {
        switch self {
        case .free: "free"
        case .pendingNew: "pending new"
        case .accepted: "accepted"
        case .partiallyFilled: "partially filled"
        case .filled: "filled"
        case .pendingCancel: "pending cancel"
        case .canceled: "canceled"
        case .pendingReplace: "pending replace"
        case .replaced: "replaced"
        case .rejected: "rejected"
        }
    }
}

public struct GatewayOrder: Sendable, Equatable {
    /// The client order number: OUCH 4.2 token digits, OUCH 5.0 UserRefNum.
    public var id: UInt32
    public var locate: StockLocate
    public var side: Side
    public var price: Price
    public var quantity: UInt32
    public var filled: UInt32
    /// Shares still open at the venue.
    public var leaves: UInt32
    public var status: OrderStatus
    /// The state to return to when a pending cancel or replace is refused.
    public var before: OrderStatus
    public var venueRef: OrderRef
    /// The order this one replaces (0: none) / that replaced it.
    public var replaces: UInt32
    public var replacedBy: UInt32
    /// Sum of fill price x shares, for the average fill price.
    public var fillNotional: Int64
    /// The connection it was sent on (the gateway counts connections).
    public var epoch: UInt32
    /// Its reservation in the risk engine (rawValue of a RiskOrderID; `hasRisk` false: none).
    public var riskID: UInt64
    public var hasRisk: Bool
    /// Shares executed on the earlier orders of its replace chain (set when the venue confirms
    /// the replace): OUCH's Replace size counts them, so a replace of this order for `open`
    /// more shares goes out as `chainFilled + filled + open`.
    public var chainFilled: UInt32 = 0

    public var averageFillPrice: Price? { filled == 0 ? nil : Price(rawValue: fillNotional / Int64(filled)) }
}

public struct OrderStoreCounters: Sendable, Equatable {
    public var violations: UInt64 = 0
    public var overfills: UInt64 = 0
    public var unknownOrders: UInt64 = 0
    public var capacityRefusals: UInt64 = 0
    /// Executions refused because price × shares, summed over the order, would overflow Int64.
    public var notionalOverflows: UInt64 = 0
    /// Sent on a connection that dropped, and unknown to the venue after the replay.
    public var lostInTransit: UInt64 = 0
}

public final class OrderStore {
    public let capacity: Int
    let mask: Int
    let slots: UnsafeMutablePointer<GatewayOrder>
    public private(set) var openCount = 0
    public private(set) var counters = OrderStoreCounters()

    /// Room for `capacity` orders (rounded up to a power of two) of which any may be open; an
    /// order number reuses the slot of the number `capacity` before it, refused while that one
    /// is open.
    public init(capacity c: Int) {
        var n = 1024
        while n < c { n <<= 1 }
        capacity = n
        mask = n - 1
        slots = .allocate(capacity: n)
        slots.initialize(repeating: GatewayOrder(id: 0, locate: StockLocate(rawValue: 0), side: .buy, price: .zero, quantity: 0, filled: 0,
                                                 leaves: 0, status: .free, before: .free, venueRef: OrderRef(rawValue: 0),
                                                 replaces: 0, replacedBy: 0, fillNotional: 0, epoch: 0, riskID: 0, hasRisk: false), count: n)
    }

    deinit { slots.deallocate() }

    @inline(__always)
    func slot(_ id: UInt32) -> UnsafeMutablePointer<GatewayOrder>? {
        let p = slots + (Int(id) & mask)
        if p.pointee.id == id && p.pointee.status != .free { return p }
        counters.unknownOrders += 1
        return nil
    }

    public func order(_ id: UInt32) -> GatewayOrder? {
        let p = slots + (Int(id) & mask)
        return p.pointee.id == id && p.pointee.status != .free ? p.pointee : nil
    }

    /// Starts bringing the slot of order `id` into the cache for writing (the next order's,
    /// once an order or a replace is out: in a live session that slot was last touched
    /// `capacity` orders ago and is cold). No effect on the store's state.
    @inline(__always)
    func prefetch(_ id: UInt32) {
        let p = UnsafeRawPointer(slots + (Int(id) & mask))
        tw_prefetch_write(p)
        tw_prefetch_write(p + (MemoryLayout<GatewayOrder>.stride - 1))
    }

    /// A new order, pending until the venue answers. False if its slot is held by an open order.
    @discardableResult
    public func new(id: UInt32, locate: StockLocate, side: Side, price: Price, quantity: UInt32, replaces: UInt32 = 0, epoch: UInt32 = 0,
                    riskID: UInt64? = nil) -> Bool {
        let p = slots + (Int(id) & mask)
        if p.pointee.status.isOpen {
            counters.capacityRefusals += 1
            return false
        }
        p.pointee = GatewayOrder(id: id, locate: locate, side: side, price: price, quantity: quantity, filled: 0, leaves: quantity,
                                 status: .pendingNew, before: .pendingNew, venueRef: OrderRef(rawValue: 0), replaces: replaces,
                                 replacedBy: 0, fillNotional: 0, epoch: epoch, riskID: riskID ?? 0, hasRisk: riskID != nil)
        openCount += 1
        return true
    }

    func violation() { counters.violations += 1 }

    func close(_ p: UnsafeMutablePointer<GatewayOrder>, _ s: OrderStatus) {
        p.pointee.status = s
        p.pointee.leaves = 0
        openCount -= 1
    }

    public func accepted(id: UInt32, venueRef: OrderRef, shares: UInt32) {
        guard let p = slot(id) else { return }
        guard p.pointee.status == .pendingNew else { return violation() }
        p.pointee.venueRef = venueRef
        p.pointee.leaves = min(shares, p.pointee.quantity - p.pointee.filled)
        p.pointee.status = .accepted
        p.pointee.before = .accepted
    }

    /// Returns false (and counts) for an execution the order cannot take.
    @discardableResult
    public func executed(id: UInt32, shares: UInt32, price: Price) -> Bool {
        guard let p = slot(id) else { return false }
        guard !p.pointee.status.isTerminal else {
            violation()
            return false
        }
        guard shares <= p.pointee.leaves, shares <= p.pointee.quantity - p.pointee.filled else {
            counters.overfills += 1
            violation()
            return false
        }
        // The price is the venue's: the notional is checked, never trusted to fit.
        let (value, o1) = Int64(shares).multipliedReportingOverflow(by: price.rawValue)
        let (notional, o2) = p.pointee.fillNotional.addingReportingOverflow(value)
        guard !o1, !o2 else {
            counters.notionalOverflows += 1
            return false
        }
        p.pointee.filled += shares
        p.pointee.leaves -= shares
        p.pointee.fillNotional = notional
        if p.pointee.leaves == 0 {
            // Filled (what was cut earlier by partial cancels is gone too). A replace still in
            // flight finds no live order: the venue drops it, the replacement never comes.
            close(p, .filled)
            dropWaitingReplacement(p)
        } else if p.pointee.status == .accepted || p.pointee.status == .pendingNew {
            p.pointee.status = .partiallyFilled
            p.pointee.before = .partiallyFilled
        } else {
            p.pointee.before = .partiallyFilled
        }
        return true
    }

    /// The venue took `decrement` shares off the order.
    public func canceled(id: UInt32, decrement: UInt32) {
        guard let p = slot(id) else { return }
        guard !p.pointee.status.isTerminal else { return violation() }
        let cut = min(decrement, p.pointee.leaves)
        if cut != decrement { violation() }
        p.pointee.leaves -= cut
        if p.pointee.leaves == 0 {
            close(p, .canceled)
            // A replace the venue answered by taking the order out (its size no more than what
            // had executed, or invalid details), or one still in flight: the replacement will
            // never be accepted.
            dropWaitingReplacement(p)
        } else if p.pointee.status == .pendingCancel {
            p.pointee.status = p.pointee.before
        }
    }

    public func cancelSent(id: UInt32) {
        guard let p = slot(id) else { return }
        guard p.pointee.status == .accepted || p.pointee.status == .partiallyFilled else { return }
        p.pointee.before = p.pointee.status
        p.pointee.status = .pendingCancel
    }

    /// A cancel or replace the venue refused: back to where it was; the replacement that was
    /// waiting for it, if any, is rejected.
    public func cancelRejected(id: UInt32) {
        guard let p = slot(id) else { return }
        if p.pointee.status == .pendingCancel || p.pointee.status == .pendingReplace { p.pointee.status = p.pointee.before }
        dropWaitingReplacement(p)
    }

    /// The replacement waiting for order `p` (pending new, sent to replace it) will never be
    /// accepted: it is closed as rejected.
    func dropWaitingReplacement(_ p: UnsafeMutablePointer<GatewayOrder>) {
        let waiting = p.pointee.replacedBy
        guard waiting != 0, let n = slot(waiting), n.pointee.status == .pendingNew, n.pointee.replaces == p.pointee.id else { return }
        p.pointee.replacedBy = 0
        close(n, .rejected)
    }

    /// A replace of `old` by `new` was sent (`new` already made with `new(..., replaces: old)`).
    public func replaceSent(old: UInt32, new: UInt32) {
        guard let p = slot(old) else { return }
        p.pointee.replacedBy = new
        guard p.pointee.status == .accepted || p.pointee.status == .partiallyFilled else { return }
        p.pointee.before = p.pointee.status
        p.pointee.status = .pendingReplace
    }

    /// The venue replaced `old` by `new` (created with `new(..., replaces: old)` when the replace
    /// was sent) with this reference, size and price.
    public func replaced(old: UInt32, new: UInt32, venueRef: OrderRef, shares: UInt32, price: Price) {
        if let o = slot(old) {
            if o.pointee.status.isTerminal {
                violation()
            } else {
                o.pointee.replacedBy = new
                close(o, .replaced)
            }
        }
        guard let n = slot(new) else { return }
        guard n.pointee.status == .pendingNew else { return violation() }
        n.pointee.venueRef = venueRef
        n.pointee.price = price
        n.pointee.quantity = shares
        n.pointee.leaves = shares
        if let o = slot(old) { n.pointee.chainFilled = o.pointee.chainFilled &+ o.pointee.filled }
        n.pointee.status = .accepted
        n.pointee.before = .accepted
    }

    public func rejected(id: UInt32) {
        guard let p = slot(id) else { return }
        guard p.pointee.status == .pendingNew else { return violation() }
        close(p, .rejected)
        // A refused replacement: the order it was to replace stays as it was.
        if p.pointee.replaces != 0, let o = slot(p.pointee.replaces), o.pointee.replacedBy == id {
            o.pointee.replacedBy = 0
            if o.pointee.status == .pendingReplace { o.pointee.status = o.pointee.before }
        }
    }

    /// After a reconnect and the venue's replay: requests sent on an earlier connection that the
    /// venue never answered did not reach it. New orders (and replacements) are closed as lost;
    /// pending cancels and replaces go back to the order's state (the request can be sent again).
    /// Returns how many orders were closed.
    @discardableResult
    public func settleUnanswered(before epoch: UInt32) -> Int {
        var n = 0
        for i in 0..<capacity {
            let p = slots + i
            guard p.pointee.status.isOpen, p.pointee.epoch < epoch else { continue }
            switch p.pointee.status {
            case .pendingNew:
                close(p, .rejected)
                counters.lostInTransit += 1
                n += 1
            case .pendingCancel, .pendingReplace:
                p.pointee.status = p.pointee.before
                p.pointee.replacedBy = 0
            default:
                break
            }
        }
        return n
    }

    /// Gives an order its reservation in the risk engine (after a restart or an adoption).
    public func attachRisk(id: UInt32, riskID: UInt64) {
        guard let p = slot(id) else { return }
        p.pointee.riskID = riskID
        p.pointee.hasRisk = true
    }

    /// Open orders (pending or resting), oldest slot first.
    public func forEachOpen(_ body: (GatewayOrder) -> Void) {
        for i in 0..<capacity where slots[i].status.isOpen { body(slots[i]) }
    }
}
