// A deterministic synthetic ITCH 5.0 day for tests and benchmarks (`tickwire gen itch`), over
// stocks whose activity is heavy-tailed (Zipf), with prices clustered near each stock's wandering
// mid; most changes hit recently placed orders. Every E/C/X/D/U refers to a live order with
// shares it really has, so a book fed from it never sees an unknown reference.
//
// The book has a realistic size. On a real day the number of live orders plateaus (a NASDAQ day
// of 283 million messages peaked at 1.65 million live orders over 8,371 books): adds and removals
// balance. The real snippet of the opening (adds 56%, replaces 22%, deletes 17%) is the book
// still filling. So each stock has a target depth (its share of `targetLiveOrders`, by
// activity): below it, some deletes become adds (an empty book fills with ~70% adds, the
// snippet's mix on the way up); above it, some adds become deletes; at the plateau the mix is the
// steady one of the configuration (adds ~39%, replaces 20%, deletes ~33%, executions and partial
// cancels a few per cent, trades and crosses rare). A day whose book grew by a third of its
// messages would be a benchmark of cache misses, not of a market.
//
// The venue simulator's order-flow model replaces it for realism (queue-reactive arrivals,
// regimes); this one exists to be fast and reproducible.
import TickwireCore

public struct SyntheticDayConfiguration: Sendable {
    public var messages: Int
    public var seed: UInt64 = 1
    public var stocks: Int = 1000
    /// Live orders over all stocks once the books have filled (each stock's share follows its
    /// activity, at least 20).
    public var targetLiveOrders: Int = 200_000
    /// Probabilities in 1/1000 of each book message kind at the plateau; the rest are P trades.
    public var addPerMille = 360, addMPIDPerMille = 30, replacePerMille = 200, deletePerMille = 330
    public var executePerMille = 40, executeWithPricePerMille = 5, cancelPerMille = 25, crossPerMille = 1
    public init(messages: Int, seed: UInt64 = 1) {
        self.messages = messages
        self.seed = seed
    }
}

public enum SyntheticDay {
    /// Generates the day as an ITCH BinaryFILE (each message preceded by its 2-byte length),
    /// handing each chunk of bytes to `write` (about 1 MiB at a time).
    public static func generate(_ c: SyntheticDayConfiguration, write: (UnsafeRawBufferPointer) throws -> Void) rethrows {
        var g = Generator(c)
        var chunk = [UInt8](repeating: 0, count: 1 << 20)
        var used = 0
        var produced = 0
        var message = [UInt8](repeating: 0, count: 64)
        while produced < c.messages {
            let len = message.withUnsafeMutableBytes { g.next(into: $0, remaining: c.messages - produced) }
            if len == 0 { continue }
            if used + 2 + len > chunk.count {
                try chunk.withUnsafeBytes { try write(UnsafeRawBufferPointer(rebasing: $0[0..<used])) }
                used = 0
            }
            chunk[used] = UInt8(len >> 8)
            chunk[used + 1] = UInt8(len & 0xFF)
            for i in 0..<len { chunk[used + 2 + i] = message[i] }
            used += 2 + len
            produced += 1
        }
        try chunk.withUnsafeBytes { try write(UnsafeRawBufferPointer(rebasing: $0[0..<used])) }
    }

    /// The whole day in memory.
    public static func generate(_ c: SyntheticDayConfiguration) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(c.messages * 34)
        generate(c) { out.append(contentsOf: $0) }
        return out
    }

    /// The symbol of synthetic stock `locate` ("SYN0001"...).
    public static func symbol(locate: Int) -> Symbol {
        let digits = String(locate)
        return Symbol("SYN" + String(repeating: "0", count: max(0, 4 - digits.count)) + digits)
    }
}

struct Generator {
    let c: SyntheticDayConfiguration
    var rng: SplitMix64
    var time: UInt64 = 34_200_000_000_000  // 09:30:00
    var nextRef: UInt64 = 1  // internal dense id of the next order (indexes the arrays below)
    // Wire references as NASDAQ numbers them: several interleaved sequences, each stepping by 4
    // with its own residue mod 4 (the real snippet's adds step by 4 within four such sequences).
    var sequenceNext: [UInt64] = [5_676_634, 7_856_425, 9_899_132, 7_508_039]
    var orderWire: [UInt64] = [0]
    var match: UInt64 = 1
    var phase = 0           // prologue steps done
    var cumulative: [UInt64] = []  // Zipf activity, scaled to 2^32
    var mid: [Int64]
    // Live orders, struct of arrays indexed by ref; per-stock live lists with O(1) removal.
    var orderLocate: [UInt16] = [0]
    var orderSide: [UInt8] = [0]
    var orderShares: [UInt32] = [0]
    var orderPrice: [Int64] = [0]
    var orderSlot: [Int32] = [-1]
    var live: [[UInt64]]
    var target: [Int]

    init(_ c: SyntheticDayConfiguration) {
        self.c = c
        rng = SplitMix64(state: c.seed &* 0x2545_F491_4F6C_DD1D &+ 1)
        var weights: [Double] = []
        for i in 0..<c.stocks { weights.append(1.0 / Double(i + 1).squareRoot() / Double(i + 1).squareRoot().squareRoot()) }
        let total = weights.reduce(0, +)
        var acc = 0.0
        for w in weights {
            acc += w / total
            cumulative.append(UInt64(acc * 4_294_967_296.0))
        }
        mid = []
        live = Array(repeating: [], count: c.stocks + 1)
        target = [0] + weights.map { max(20, Int(Double(c.targetLiveOrders) * $0 / total)) }
        mid.append(0)
        for _ in 0..<c.stocks { mid.append(Int64(5 + rng.below(300)) * 10_000 + Int64(rng.below(100)) * 100) }
    }

    mutating func pickStock() -> Int {
        let r = rng.next() & 0xFFFF_FFFF
        var lo = 0, hi = cumulative.count - 1
        while lo < hi {
            let m = (lo + hi) / 2
            if cumulative[m] < r { lo = m + 1 } else { hi = m }
        }
        return lo + 1
    }

    mutating func tick() -> VenueTime {
        time &+= UInt64(1 + rng.below(2000))
        return VenueTime(nanosSinceMidnight: time)
    }

    /// A price near the stock's mid: most orders within a few ticks of the touch.
    mutating func price(stock: Int, side: Side) -> Int64 {
        if rng.below(1000) < 20 { mid[stock] += rng.below(2) == 0 ? 100 : -100 }
        if mid[stock] < 20_000 { mid[stock] = 20_000 }
        var ticks = 1
        while ticks < 40 && rng.below(100) < 55 { ticks += 1 }
        return side == .buy ? mid[stock] - Int64(ticks) * 100 : mid[stock] + Int64(ticks) * 100
    }

    mutating func addLive(_ ref: UInt64, stock: Int, side: Side, shares: UInt32, price: Int64) {
        let sequence = stock & 3
        orderWire.append(sequenceNext[sequence])
        sequenceNext[sequence] += 4
        orderLocate.append(UInt16(stock))
        orderSide.append(side.rawValue)
        orderShares.append(shares)
        orderPrice.append(price)
        orderSlot.append(Int32(live[stock].count))
        live[stock].append(ref)
    }

    mutating func removeLive(_ ref: UInt64) {
        let stock = Int(orderLocate[Int(ref)])
        let slot = Int(orderSlot[Int(ref)])
        let last = live[stock].removeLast()
        if last != ref {
            live[stock][slot] = last
            orderSlot[Int(last)] = Int32(slot)
        }
        orderSlot[Int(ref)] = -1
        orderShares[Int(ref)] = 0
    }

    /// A live order of an active stock, or nil when the chosen stock has none. Most changes hit
    /// recent orders (as on a real feed, where most orders are cancelled or replaced soon after
    /// they are placed); the rest hit any resting order.
    mutating func pickLive(stock s: Int) -> UInt64? {
        let n = live[s].count
        if n == 0 { return nil }
        if rng.below(100) < 85 {
            var back = 0
            while back < n - 1 && rng.below(100) < 35 { back += 1 }
            return live[s][n - 1 - back]
        }
        return live[s][rng.below(n)]
    }

    mutating func next(into out: UnsafeMutableRawBufferPointer, remaining: Int) -> Int {
        let t = tick()
        // Prologue: start of messages, the stock directory, trading, start of market hours.
        if phase == 0 {
            phase = 1
            return ITCHEncoder.systemEvent(into: out, timestamp: t, eventCode: 0x4F) ?? 0  // "O"
        }
        if phase <= c.stocks && remaining > 1 {
            let locate = phase
            phase += 1
            return ITCHEncoder.stockDirectory(
                into: out, stockLocate: StockLocate(rawValue: UInt16(locate)), timestamp: t,
                stock: SyntheticDay.symbol(locate: locate), marketCategory: 0x51, financialStatusIndicator: 0x4E,
                roundLotSize: 100, roundLotsOnly: 0x4E, issueClassification: 0x43, issueSubType: "Z",
                authenticity: 0x50, shortSaleThresholdIndicator: 0x4E, ipoFlag: 0x4E, luldReferencePriceTier: 0x31,
                etpFlag: 0x4E, etpLeverageFactor: 0, inverseIndicator: 0x4E) ?? 0
        }
        if phase == c.stocks + 1 {
            phase += 1
            return ITCHEncoder.systemEvent(into: out, timestamp: t, eventCode: 0x51) ?? 0  // "Q"
        }
        if remaining == 1 {
            return ITCHEncoder.systemEvent(into: out, timestamp: t, eventCode: 0x4D) ?? 0  // "M"
        }
        let s = pickStock()
        var r = rng.below(1000)
        let adds = c.addPerMille + c.addMPIDPerMille
        let depth = live[s].count, goal = target[s]
        if r < adds, depth > goal, rng.below(goal) < depth - goal {
            r = adds + c.replacePerMille  // over the target: a delete instead
        } else if r >= adds + c.replacePerMille, r < adds + c.replacePerMille + c.deletePerMille,
                  depth < goal, rng.below(goal) >= depth {
            r = rng.below(adds)  // filling: an add instead
        }
        if depth == 0 && r >= adds { r = rng.below(adds) }
        if r < adds {
            let side: Side = rng.below(2) == 0 ? .buy : .sell
            let px = price(stock: s, side: side)
            let shares = UInt32(100 * (1 + rng.below(10))) - (rng.below(10) == 0 ? UInt32(rng.below(99)) : 0)
            let ref = nextRef
            nextRef += 1
            addLive(ref, stock: s, side: side, shares: shares, price: px)
            let loc = StockLocate(rawValue: UInt16(s))
            let wire = OrderRef(rawValue: orderWire[Int(ref)])
            if r < c.addPerMille {
                return ITCHEncoder.addOrder(into: out, stockLocate: loc, timestamp: t, orderRef: wire,
                                            side: side, shares: Shares(rawValue: shares), stock: SyntheticDay.symbol(locate: s),
                                            price: Price(rawValue: px)) ?? 0
            }
            return ITCHEncoder.addOrderMPID(into: out, stockLocate: loc, timestamp: t, orderRef: wire,
                                            side: side, shares: Shares(rawValue: shares), stock: SyntheticDay.symbol(locate: s),
                                            price: Price(rawValue: px), attribution: "SYNX") ?? 0
        }
        r -= c.addPerMille + c.addMPIDPerMille
        guard let ref = pickLive(stock: s) else { return 0 }
        let i = Int(ref)
        let wire = OrderRef(rawValue: orderWire[i])
        let loc = StockLocate(rawValue: orderLocate[i])
        let side = Side(rawValue: orderSide[i]) ?? .buy
        if r < c.replacePerMille {
            let newRef = nextRef
            nextRef += 1
            let px = price(stock: s, side: side)
            let shares = UInt32(100 * (1 + rng.below(10)))
            removeLive(ref)
            addLive(newRef, stock: s, side: side, shares: shares, price: px)
            return ITCHEncoder.orderReplace(into: out, stockLocate: loc, timestamp: t, originalOrderRef: wire,
                                            newOrderRef: OrderRef(rawValue: orderWire[Int(newRef)]), shares: Shares(rawValue: shares),
                                            price: Price(rawValue: px)) ?? 0
        }
        r -= c.replacePerMille
        if r < c.deletePerMille {
            removeLive(ref)
            return ITCHEncoder.orderDelete(into: out, stockLocate: loc, timestamp: t, orderRef: wire) ?? 0
        }
        r -= c.deletePerMille
        let have = orderShares[i]
        if r < c.executePerMille + c.executeWithPricePerMille {
            let qty = rng.below(3) == 0 ? have : UInt32(1 + rng.below(Int(have)))
            if qty >= have { removeLive(ref) } else { orderShares[i] = have - qty }
            match += 1
            if r < c.executePerMille {
                return ITCHEncoder.orderExecuted(into: out, stockLocate: loc, timestamp: t, orderRef: wire,
                                                 executedShares: Shares(rawValue: qty), matchNumber: match) ?? 0
            }
            return ITCHEncoder.orderExecutedWithPrice(into: out, stockLocate: loc, timestamp: t, orderRef: wire,
                                                      executedShares: Shares(rawValue: qty), matchNumber: match, printable: 0x59,
                                                      executionPrice: Price(rawValue: orderPrice[i] + (side == .buy ? -100 : 100))) ?? 0
        }
        r -= c.executePerMille + c.executeWithPricePerMille
        if r < c.cancelPerMille && have > 1 {
            let qty = UInt32(1 + rng.below(Int(have - 1)))
            orderShares[i] = have - qty
            return ITCHEncoder.orderCancel(into: out, stockLocate: loc, timestamp: t, orderRef: wire,
                                           cancelledShares: Shares(rawValue: qty)) ?? 0
        }
        r -= c.cancelPerMille
        match += 1
        if r < c.crossPerMille {
            return ITCHEncoder.crossTrade(into: out, stockLocate: loc, timestamp: t, shares: UInt64(100 * (1 + rng.below(50))),
                                          stock: SyntheticDay.symbol(locate: s), crossPrice: Price(rawValue: mid[s]),
                                          matchNumber: match, crossType: 0x49) ?? 0
        }
        return ITCHEncoder.trade(into: out, stockLocate: loc, timestamp: t, orderRef: OrderRef(rawValue: 0), side: .buy,
                                 shares: Shares(rawValue: 100), stock: SyntheticDay.symbol(locate: s),
                                 price: Price(rawValue: mid[s]), matchNumber: match) ?? 0
    }
}
