// A naive L3 book, written to be obviously right rather than fast: a dictionary of orders, and
// per stock and side a dictionary from price to the refs at that price in arrival order; levels
// are sorted by price when asked for. It follows the same rules as OrderBook (outcomes,
// counters, what bboChanged means) but has no capacities except the locate range.
import OrderBook
import TickwireCore

final class ReferenceBook {
    struct Order: Equatable {
        var locate: UInt16
        var side: Side
        var price: Int64
        var shares: UInt32
    }

    struct SideKey: Hashable {
        var locate: UInt16
        var side: Side
    }

    struct Level: Equatable {
        var price: Int64
        var shares: UInt64
        var refs: [UInt64]
    }

    let maxLocates: Int
    var orders: [UInt64: Order] = [:]
    var queues: [SideKey: [Int64: [UInt64]]] = [:]
    var counters = OrderBookCounters()

    init(maxLocates: Int) { self.maxLocates = maxLocates }

    var liveOrders: Int { orders.count }

    /// Levels of one side, best first (bids high to low, asks low to high).
    func levels(_ locate: UInt16, _ side: Side) -> [Level] {
        let byPrice = queues[SideKey(locate: locate, side: side)] ?? [:]
        let prices = byPrice.keys.sorted(by: side == .buy ? (>) : (<))
        return prices.map { p in
            let refs = byPrice[p]!
            return Level(price: p, shares: refs.reduce(0) { $0 + UInt64(orders[$1]!.shares) }, refs: refs)
        }
    }

    func top(_ locate: UInt16, _ side: Side) -> PriceLevel? {
        guard let l = levels(locate, side).first else { return nil }
        return PriceLevel(price: Price(rawValue: l.price), shares: l.shares, orders: l.refs.count)
    }

    func queuePosition(_ ref: UInt64) -> QueuePosition? {
        guard let o = orders[ref] else { return nil }
        let refs = queues[SideKey(locate: o.locate, side: o.side)]![o.price]!
        let ahead = refs.prefix { $0 != ref }
        return QueuePosition(sharesAhead: ahead.reduce(0) { $0 + UInt64(orders[$1]!.shares) }, ordersAhead: ahead.count)
    }

    private func append(_ ref: UInt64, _ o: Order) {
        orders[ref] = o
        queues[SideKey(locate: o.locate, side: o.side), default: [:]][o.price, default: []].append(ref)
    }

    private func remove(_ ref: UInt64) {
        let o = orders.removeValue(forKey: ref)!
        let key = SideKey(locate: o.locate, side: o.side)
        queues[key]![o.price]!.removeAll { $0 == ref }
        if queues[key]![o.price]!.isEmpty { queues[key]![o.price] = nil }
    }

    private func result(_ outcome: BookOutcome, _ locate: UInt16, _ side: Side, before: PriceLevel?) -> BookUpdate {
        BookUpdate(outcome: outcome, bboChanged: top(locate, side) != before, side: side,
                   locate: StockLocate(rawValue: locate))
    }

    private var unknown: BookUpdate {
        counters.unknownRefs += 1
        return BookUpdate(outcome: .unknownRef, bboChanged: false, side: .buy, locate: StockLocate(rawValue: 0))
    }

    func add(locate: UInt16, ref: UInt64, side: Side, shares: UInt32, price: Int64) -> BookUpdate {
        if Int(locate) >= maxLocates {
            counters.capacityExceeded += 1
            counters.locatesOutOfRange += 1
            return BookUpdate(outcome: .capacityExceeded, bboChanged: false, side: side, locate: StockLocate(rawValue: locate))
        }
        if orders[ref] != nil {
            counters.duplicateRefs += 1
            return BookUpdate(outcome: .duplicateRef, bboChanged: false, side: side, locate: StockLocate(rawValue: locate))
        }
        let before = top(locate, side)
        append(ref, Order(locate: locate, side: side, price: price, shares: shares))
        counters.adds += 1
        return result(.applied, locate, side, before: before)
    }

    func reduce(ref: UInt64, shares n: UInt32, isCancel: Bool) -> BookUpdate {
        guard let o = orders[ref] else { return unknown }
        if isCancel { counters.cancels += 1 } else { counters.executes += 1 }
        let before = top(o.locate, o.side)
        var outcome = BookOutcome.applied
        if n < o.shares {
            orders[ref]!.shares -= n
        } else {
            remove(ref)
            if n > o.shares {
                outcome = .overExecution
                counters.overExecutions += 1
            }
        }
        return result(outcome, o.locate, o.side, before: before)
    }

    func delete(ref: UInt64) -> BookUpdate {
        guard let o = orders[ref] else { return unknown }
        let before = top(o.locate, o.side)
        remove(ref)
        counters.deletes += 1
        return result(.applied, o.locate, o.side, before: before)
    }

    func replace(old: UInt64, new: UInt64, shares: UInt32, price: Int64) -> BookUpdate {
        guard let o = orders[old] else { return unknown }
        if orders[new] != nil {
            counters.duplicateRefs += 1
            return BookUpdate(outcome: .duplicateRef, bboChanged: false, side: o.side, locate: StockLocate(rawValue: o.locate))
        }
        let before = top(o.locate, o.side)
        remove(old)
        append(new, Order(locate: o.locate, side: o.side, price: price, shares: shares))
        counters.replaces += 1
        return result(.applied, o.locate, o.side, before: before)
    }

    func apply(_ m: BookMessage) -> BookUpdate {
        switch m.kind {
        case .add:
            return add(locate: m.locate.rawValue, ref: m.ref.rawValue, side: m.side, shares: m.shares.rawValue, price: m.price.rawValue)
        case .execute:
            return reduce(ref: m.ref.rawValue, shares: m.shares.rawValue, isCancel: false)
        case .cancel:
            return reduce(ref: m.ref.rawValue, shares: m.shares.rawValue, isCancel: true)
        case .delete:
            return delete(ref: m.ref.rawValue)
        case .replace:
            return replace(old: m.ref.rawValue, new: m.newRef.rawValue, shares: m.shares.rawValue, price: m.price.rawValue)
        }
    }
}
