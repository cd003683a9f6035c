// Positions and PnL per symbol, from fills, in integers.
//
// METHOD: average cost, kept as an exact signed cost basis.
//
// Per symbol the book keeps the position P (signed shares: + long, - short) and the cost basis C
// (Int64, 1/10,000 dollars): the sum of price × signed shares over the shares still open, so C
// has the sign of P and the average open price is C / P, a fraction never rounded and never
// stored. A fill of q shares at price p, direction d (+1 buy, -1 sell):
//
//   - same direction as P (or P == 0): opens q shares; C += d × p × q, P += d × q.
//   - against P: first closes r = min(q, |P|) shares. The cost leaving the position is
//     C × r / |P|, truncated toward zero (exactly C when r == |P|); realized PnL gets the cash of
//     the closing shares minus that cost, -d × p × r - C × r / |P|; C and P drop accordingly.
//     The q - r shares left over (a flip through zero) open a new position at p: C = d × p × (q - r).
//
// Rounding: only a partial close divides, and the remainder of that division stays in C, so it
// is realized when the position closes. No 1/10,000 is created or lost: at every moment
// realized + unrealized == the fills' cash flow + P × mark exactly (for a whole-unit mark), and
// once P returns to 0, C is 0 and realized is exactly the cash flow. A single partial close can be
// off its "true" fractional share of the cost by less than one unit. C × r is formed in 128 bits.
//
// Mark: twice the mark is kept (`mark2`), so a BBO mid (bid + ask) / 2 that falls on a half unit
// is exact. The mark is the mid when the engine has a two-sided BBO, otherwise the last mark
// set, otherwise the last fill price. Unrealized = floor((P × mark2 - 2 × C) / 2): a half unit is
// rounded down, against us, which is the safe way for the loss limit.
//
// Totals over symbols (realized, unrealized) are kept up to date on every change, so the total
// PnL is two loads.
//
// Overflow: prices and shares come from the venue, so nothing here may trap on them. Products
// are formed in 128 bits and every stored sum is checked; a fill or a mark whose result does not
// fit in Int64 changes nothing and sets `overflowed`, from which `totalPnL` reads as a loss past
// any limit (Int64.min / 2): the loss limit then stops trading, the safe answer to a book that
// can no longer be valued. The gateway refuses venue prices outside its sane range and
// executions beyond an order's open shares first, so with real limits this never happens.
public import TickwireCore

/// One symbol's position. 40 bytes.
struct PositionSlot {
    var position: Int64
    var cost: Int64
    var realized: Int64
    var unrealized: Int64
    /// Twice the mark; 0 = none yet.
    var mark2: Int64
}

struct PositionTotals {
    var realized: Int64
    var unrealized: Int64
    /// A fill or a mark did not fit (see the header): the book's value is unknown.
    var overflowed: Bool
}

/// Positions, cost bases and PnL for symbols `1 ..< maxLocates`, preallocated. Single-threaded.
public final class PositionBook {
    let slots: UnsafeMutablePointer<PositionSlot>
    let locateCount: Int
    let totals: UnsafeMutablePointer<PositionTotals>

    public init(maxLocates: Int) throws(RiskConfigurationError) {
        guard maxLocates >= 2, maxLocates <= 65_536 else {
            throw RiskConfigurationError("maxLocates \(maxLocates) not in 2...65536")
        }
        locateCount = maxLocates
        slots = .allocate(capacity: maxLocates)
        slots.initialize(repeating: PositionSlot(position: 0, cost: 0, realized: 0, unrealized: 0, mark2: 0),
                         count: maxLocates)
        totals = .allocate(capacity: 1)
        totals.initialize(to: PositionTotals(realized: 0, unrealized: 0, overflowed: false))
    }

    deinit {
        slots.deallocate()
        totals.deallocate()
    }

    // MARK: - Updates

    /// Applies a fill. Returns false (and changes nothing) for locate 0 or out of range, and for
    /// a fill whose result does not fit (then `overflowed` is set).
    @discardableResult
    public func onFill(locate: StockLocate, side: Side, shares: Shares, price: Price) -> Bool {
        let loc = Int(locate.rawValue)
        guard loc != 0, loc < locateCount else { return false }
        return apply(loc, buy: side == .buy, shares: Int64(shares.rawValue), price: price.rawValue)
    }

    /// Sets the mark to a price (when there is no two-sided BBO, e.g. a reference or closing price).
    @discardableResult
    public func setMark(locate: StockLocate, price: Price) -> Bool {
        let loc = Int(locate.rawValue)
        guard loc != 0, loc < locateCount else { return false }
        guard let mark2 = Int64(exactly: Int128(price.rawValue) * 2) else { return false }
        return setMark2(loc, mark2)
    }

    /// Sets the mark to the mid of a two-sided quote, (bid + ask) / 2, kept exactly.
    @discardableResult
    public func setMid(locate: StockLocate, bid: Price, ask: Price) -> Bool {
        let loc = Int(locate.rawValue)
        guard loc != 0, loc < locateCount else { return false }
        guard let mark2 = Int64(exactly: Int128(bid.rawValue) + Int128(ask.rawValue)) else { return false }
        return setMark2(loc, mark2)
    }

    /// Applies a fill to symbol `loc`. False (nothing changed, `overflowed` set) when a result
    /// would not fit in Int64.
    @discardableResult
    func apply(_ loc: Int, buy: Bool, shares q: Int64, price p: Int64) -> Bool {
        let s = slots + loc
        let pos = Int128(s.pointee.position)
        let cost = Int128(s.pointee.cost)
        let q = Int128(q), p = Int128(p)
        var newPos = pos, newCost = cost
        var realized: Int128 = 0
        var opening = q
        if pos != 0 && (pos > 0) != buy {
            // Against the position: close min(q, |P|) shares first.
            let held = pos.magnitude
            let r = Swift.min(q, Int128(held))
            let removed = r == Int128(held) ? cost : cost * r / Int128(held)
            let cash = buy ? -(p * r) : p * r
            realized = cash - removed
            newCost -= removed
            newPos += buy ? r : -r
            opening = q - r
        }
        if opening > 0 {
            let value = p * opening
            newCost += buy ? value : -value
            newPos += buy ? opening : -opening
        }
        guard let position = Int64(exactly: newPos), let basis = Int64(exactly: newCost), let gain = Int64(exactly: realized),
              case let (slotRealized, o1) = s.pointee.realized.addingReportingOverflow(gain), !o1,
              case let (totalRealized, o2) = totals.pointee.realized.addingReportingOverflow(gain), !o2,
              let mark2 = s.pointee.mark2 != 0 ? s.pointee.mark2 : Int64(exactly: p * 2),
              let u = Self.unrealized(position: position, mark2: mark2, cost: basis),
              case let (change, o3) = u.subtractingReportingOverflow(s.pointee.unrealized), !o3,
              case let (totalUnrealized, o4) = totals.pointee.unrealized.addingReportingOverflow(change), !o4
        else {
            totals.pointee.overflowed = true
            return false
        }
        s.pointee.position = position
        s.pointee.cost = basis
        s.pointee.realized = slotRealized
        s.pointee.mark2 = mark2
        s.pointee.unrealized = u
        totals.pointee.realized = totalRealized
        totals.pointee.unrealized = totalUnrealized
        return true
    }

    /// floor((P × mark2 - 2 × C) / 2), or nil when it does not fit in Int64.
    @inline(__always)
    static func unrealized(position: Int64, mark2: Int64, cost: Int64) -> Int64? {
        Int64(exactly: (Int128(position) * Int128(mark2) - 2 * Int128(cost)) >> 1)
    }

    /// False (nothing changed, `overflowed` set) when the position's value at this mark does not
    /// fit in Int64.
    @discardableResult
    func setMark2(_ loc: Int, _ mark2: Int64) -> Bool {
        let s = slots + loc
        guard let u = Self.unrealized(position: s.pointee.position, mark2: mark2, cost: s.pointee.cost),
              case let (d, o1) = u.subtractingReportingOverflow(s.pointee.unrealized), !o1,
              case let (total, o2) = totals.pointee.unrealized.addingReportingOverflow(d), !o2
        else {
            totals.pointee.overflowed = true
            return false
        }
        s.pointee.mark2 = mark2
        s.pointee.unrealized = u
        totals.pointee.unrealized = total
        return true
    }

    // MARK: - Queries (0 for locate 0 or out of range)

    /// Signed shares: + long, - short.
    public func position(_ locate: StockLocate) -> Int64 { slot(locate)?.position ?? 0 }
    /// Signed cost basis of the open shares, 1/10,000 dollars (sign of the position).
    public func costBasis(_ locate: StockLocate) -> Int64 { slot(locate)?.cost ?? 0 }
    /// The average open price, truncated to a whole 1/10,000 (display only: the exact value is
    /// costBasis / position); nil when flat.
    public func averagePrice(_ locate: StockLocate) -> Price? {
        guard let s = slot(locate), s.position != 0 else { return nil }
        return Price(rawValue: s.cost / s.position)
    }
    public func realizedPnL(_ locate: StockLocate) -> Int64 { slot(locate)?.realized ?? 0 }
    public func unrealizedPnL(_ locate: StockLocate) -> Int64 { slot(locate)?.unrealized ?? 0 }
    /// Twice the current mark (0 = none): mids on half units stay exact.
    public func mark2(_ locate: StockLocate) -> Int64 { slot(locate)?.mark2 ?? 0 }

    public var totalRealized: Int64 { totals.pointee.realized }
    public var totalUnrealized: Int64 { totals.pointee.unrealized }
    /// Realized + unrealized, over all symbols, 1/10,000 dollars; Int64.min / 2 (a loss past any
    /// limit) once a fill or a mark overflowed.
    public var totalPnL: Int64 {
        let (t, o) = totals.pointee.realized.addingReportingOverflow(totals.pointee.unrealized)
        return o || totals.pointee.overflowed ? Int64.min / 2 : t
    }
    /// A fill or a mark did not fit in Int64 and was not applied: the book's value is unknown.
    public var overflowed: Bool { totals.pointee.overflowed }

    private func slot(_ locate: StockLocate) -> PositionSlot? {
        let loc = Int(locate.rawValue)
        guard loc != 0, loc < locateCount else { return nil }
        return slots[loc]
    }
}
