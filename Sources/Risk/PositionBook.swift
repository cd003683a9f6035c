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
// PnL is two loads. Arithmetic traps on Int64 overflow (|position| × price must fit: e.g. 10^8
// shares at $100,000 fits by a wide margin), which the position limits keep far away.
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
        totals.initialize(to: PositionTotals(realized: 0, unrealized: 0))
    }

    deinit {
        slots.deallocate()
        totals.deallocate()
    }

    // MARK: - Updates

    /// Applies a fill. Returns false (and changes nothing) for locate 0 or out of range.
    @discardableResult
    public func onFill(locate: StockLocate, side: Side, shares: Shares, price: Price) -> Bool {
        let loc = Int(locate.rawValue)
        guard loc != 0, loc < locateCount else { return false }
        apply(loc, buy: side == .buy, shares: Int64(shares.rawValue), price: price.rawValue)
        return true
    }

    /// Sets the mark to a price (when there is no two-sided BBO, e.g. a reference or closing price).
    @discardableResult
    public func setMark(locate: StockLocate, price: Price) -> Bool {
        let loc = Int(locate.rawValue)
        guard loc != 0, loc < locateCount else { return false }
        setMark2(loc, price.rawValue &* 2)
        return true
    }

    /// Sets the mark to the mid of a two-sided quote, (bid + ask) / 2, kept exactly.
    @discardableResult
    public func setMid(locate: StockLocate, bid: Price, ask: Price) -> Bool {
        let loc = Int(locate.rawValue)
        guard loc != 0, loc < locateCount else { return false }
        setMark2(loc, bid.rawValue &+ ask.rawValue)
        return true
    }

    func apply(_ loc: Int, buy: Bool, shares q: Int64, price p: Int64) {
        let s = slots + loc
        var pos = s.pointee.position
        var cost = s.pointee.cost
        var realized: Int64 = 0
        var opening = q
        if pos != 0 && (pos > 0) != buy {
            // Against the position: close min(q, |P|) shares first.
            let held = pos.magnitude
            let r = Swift.min(q, Int64(held))
            let removed: Int64 = r == Int64(held)
                ? cost
                : Int64(Int128(cost) * Int128(r) / Int128(held))
            let cash = buy ? -(p * r) : p * r
            realized = cash - removed
            cost -= removed
            pos += buy ? r : -r
            opening = q - r
        }
        if opening > 0 {
            let value = p * opening
            cost += buy ? value : -value
            pos += buy ? opening : -opening
        }
        s.pointee.position = pos
        s.pointee.cost = cost
        s.pointee.realized += realized
        totals.pointee.realized += realized
        if s.pointee.mark2 == 0 { s.pointee.mark2 = p * 2 }
        revalue(s)
    }

    func setMark2(_ loc: Int, _ mark2: Int64) {
        let s = slots + loc
        s.pointee.mark2 = mark2
        revalue(s)
    }

    /// Recomputes one symbol's unrealized PnL against its mark and moves the total by the change.
    @inline(__always)
    func revalue(_ s: UnsafeMutablePointer<PositionSlot>) {
        let u = (s.pointee.position * s.pointee.mark2 - 2 * s.pointee.cost) >> 1
        totals.pointee.unrealized += u - s.pointee.unrealized
        s.pointee.unrealized = u
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
    /// Realized + unrealized, over all symbols, 1/10,000 dollars.
    public var totalPnL: Int64 { totals.pointee.realized + totals.pointee.unrealized }

    private func slot(_ locate: StockLocate) -> PositionSlot? {
        let loc = Int(locate.rawValue)
        guard loc != 0, loc < locateCount else { return nil }
        return slots[loc]
    }
}
