// The venue simulator's matching engine: one central limit order book per symbol, price-time
// priority, integer prices (1/10,000 dollars).
//
// Orders: limit (rests what does not match), market (matches at any price, never rests) and IOC
// (matches up to its limit, the rest is cancelled). Fills happen at the resting order's price,
// best price first and, within a price, in arrival order; a fill is reported to both owners.
//
// Changes follow OUCH: a cancel gives the shares that should remain (0 = all); a replace gives a
// new price and quantity and keeps the order's place only when the price is unchanged and the
// quantity does not go up, otherwise the order goes to the back of its (new) price and gets a new
// reference. A replace to a price that crosses the other side trades like a new order.
//
// Self-match prevention is per firm: when an incoming order would trade with a resting order of
// the same firm, either the resting order is cancelled and matching goes on, or the rest of the
// incoming order is cancelled.
//
// Everything the engine does is told, in order, to a sink: to owners (accepted, rejected,
// executed, canceled, replaced) and to the market-data feed (add, execute, cancel, delete,
// replace, with the venue's order reference numbers), so a feed built from the events rebuilds
// exactly the engine's book. A size-down that keeps priority is published as a partial cancel
// (ITCH X), since an ITCH replace (U) sends the order to the back of the queue; a crossing
// replace is published as a delete, the executions, then an add of what rests.
//
// Memory: orders and levels live in slabs with free lists, sides in sorted arrays with the best
// price last; nothing here is on the appliance's hot path, but the simulator must generate more
// than a million messages a second, so no per-order allocation in steady state.
public import OrderBook
import OrderEntry
public import TickwireCore

/// Who sent an order: the session (owner) that gets its reports, and its firm.
public struct OrderOwner: Hashable, Sendable {
    public var session: UInt32
    public var firm: UInt32
    public init(session: UInt32, firm: UInt32) {
        self.session = session
        self.firm = firm
    }

    /// The simulator's own background participants have sessions from 1000; sessions below
    /// are trading clients over order entry.
    @inline(__always)
    public var isBackground: Bool { session >= 1000 }
}

public enum OrderKind: Sendable, Equatable {
    case limit
    case market
    case ioc
}

public struct NewOrder: Sendable, Equatable {
    public var locate: StockLocate
    public var side: Side
    public var shares: Shares
    /// Ignored for market orders.
    public var price: Price
    public var kind: OrderKind
    public var owner: OrderOwner
    /// Publish the add with the firm's attribution (ITCH F) rather than anonymously (A).
    public var attributed: Bool
    public init(locate: StockLocate, side: Side, shares: Shares, price: Price, kind: OrderKind = .limit,
                owner: OrderOwner, attributed: Bool = false) {
        self.locate = locate
        self.side = side
        self.shares = shares
        self.price = price
        self.kind = kind
        self.owner = owner
        self.attributed = attributed
    }
}

public enum SelfMatchPolicy: Sendable, Equatable {
    /// Cancel the resting order of the same firm and keep matching.
    case cancelResting
    /// Cancel what is left of the incoming order.
    case cancelIncoming
}

public enum RejectReason: UInt8, Sendable, Equatable {
    case unknownSymbol
    case invalidShares
    case invalidPrice
    case capacity
    case unknownOrder
    case notOwner
}

public enum CancelReason: UInt8, Sendable, Equatable {
    /// Asked for by the owner.
    case user
    /// What an IOC or market order could not fill.
    case immediateOrCancel
    /// Self-match prevention.
    case selfMatch
}

/// One thing that happened, in the order it happened. Owner events carry the owner's session;
/// market-data events are what the ITCH feed publishes.
public enum EngineEvent: Sendable, Equatable {
    case accepted(owner: OrderOwner, ref: OrderRef, order: NewOrder)
    case rejected(owner: OrderOwner, reason: RejectReason)
    /// `ref` (of `owner`) traded `shares` at `price`; `resting`: it was the resting side.
    case executed(owner: OrderOwner, ref: OrderRef, shares: Shares, price: Price, match: UInt64, resting: Bool)
    /// `ref` lost `shares`; `remaining` are left live.
    case canceled(owner: OrderOwner, ref: OrderRef, shares: Shares, remaining: Shares, reason: CancelReason)
    /// `old` is now `new` (the same reference when priority was kept) with these shares and price.
    case replaced(owner: OrderOwner, old: OrderRef, new: OrderRef, shares: Shares, price: Price)
    case cancelRejected(owner: OrderOwner, ref: OrderRef, reason: RejectReason)

    case mdAdd(locate: StockLocate, ref: OrderRef, side: Side, shares: Shares, price: Price, firm: UInt32?)
    case mdExecute(locate: StockLocate, ref: OrderRef, shares: Shares, match: UInt64)
    case mdCancel(locate: StockLocate, ref: OrderRef, shares: Shares)
    case mdDelete(locate: StockLocate, ref: OrderRef)
    case mdReplace(locate: StockLocate, old: OrderRef, new: OrderRef, shares: Shares, price: Price)
    /// A trade against a non-displayed order (ITCH P): printed, no visible order touched.
    /// Never produced by the engine (it holds no hidden orders); the order-flow model adds them.
    case mdHiddenTrade(locate: StockLocate, side: Side, shares: Shares, price: Price, match: UInt64)
    /// An opening ("O") or closing ("C") cross (ITCH Q); from the order-flow model.
    case mdCross(locate: StockLocate, shares: UInt64, price: Price, match: UInt64, type: UInt8)
}

/// Receives the engine's events. Generic, so calls are direct.
public protocol EngineSink {
    mutating func on(_ event: EngineEvent)
}

/// A sink that keeps every event (tests, small tools).
public struct EventLog: EngineSink {
    public var events: [EngineEvent] = []
    public init() {}
    public mutating func on(_ event: EngineEvent) { events.append(event) }
}

public struct MatchingEngineConfiguration: Sendable {
    /// Symbols are locates 1...symbols.
    public var symbols: Int
    public var maxOrders: Int
    public var maxShares: UInt32 = 1_000_000
    /// The largest price OUCH 4.2 and ITCH can carry (Price(4) in a UInt32).
    public var maxPrice: Int64 = Int64(UInt32.max)
    /// Firms with self-match prevention, and how.
    public var selfMatch: [UInt32: SelfMatchPolicy] = [:]
    /// Order reference numbers come from `refSequences` interleaved sequences, one per group of
    /// symbols (locate modulo the count), each stepping by the count, as NASDAQ numbers its
    /// orders (its feed shows four such sequences, one per residue mod 4). Sequence i starts at
    /// `firstRef + i`.
    public var firstRef: UInt64 = 1
    public var refSequences: Int = 4
    public init(symbols: Int, maxOrders: Int = 1 << 20) {
        self.symbols = symbols
        self.maxOrders = maxOrders
    }
}

struct EngineOrder {
    var ref: UInt64
    var owner: OrderOwner
    var price: Int64
    var shares: UInt32
    var level: Int32
    var prev: Int32
    var next: Int32
    var locate: UInt16
    var side: Side
}

struct EngineLevel {
    var price: Int64
    var shares: UInt64
    var count: Int32
    var head: Int32
    var tail: Int32
}

public final class MatchingEngine {
    public let configuration: MatchingEngineConfiguration
    var orders = Pool<EngineOrder>(capacity: 1 << 12)
    var freeOrder: Int32 = -1
    var levels = Pool<EngineLevel>(capacity: 1 << 10)
    var freeLevel: Int32 = -1
    /// Per locate and side (locate * 2 + (sell ? 1 : 0)): level handles sorted worst to best.
    var sides: [[Int32]]
    /// Reference -> order slot. The engine numbers orders consecutively, so a direct-mapped
    /// table indexed by the low bits of the reference holds the recent ones (no hashing); an
    /// older order still live when its slot is wanted moves to the overflow dictionary.
    var recent: Pool<Int32>
    let recentMask: Int
    var overflow: [UInt64: Int32] = [:]
    var nextRefs: [UInt64]
    public private(set) var matchNumber: UInt64 = 0

    /// Takes the next match number for a print the engine did not make (hidden trades, crosses),
    /// so that match numbers stay unique across the feed.
    public func nextMatchNumber() -> UInt64 {
        matchNumber &+= 1
        return matchNumber
    }
    public private(set) var liveOrders = 0

    public init(configuration c: MatchingEngineConfiguration) {
        configuration = c
        let n = max(c.refSequences, 1)
        nextRefs = (0..<n).map { c.firstRef &+ UInt64($0) }
        sides = Array(repeating: [], count: 2 * (c.symbols + 1))
        var bits = 10
        while (1 << bits) < min(max(c.maxOrders, 1), 1 << 22) { bits += 1 }
        recent = Pool(repeating: -1, count: 1 << bits)
        recentMask = (1 << bits) - 1
    }

    deinit {
        orders.deallocate()
        levels.deallocate()
        recent.deallocate()
    }

    // MARK: - Requests

    /// Enters an order: matches what it can, rests a limit order's remainder. Returns its
    /// reference (also for orders that did not rest), or nil when rejected.
    @discardableResult
    public func submit<S: EngineSink>(_ o: NewOrder, _ sink: inout S) -> OrderRef? {
        guard o.locate.rawValue >= 1, Int(o.locate.rawValue) <= configuration.symbols else {
            sink.on(.rejected(owner: o.owner, reason: .unknownSymbol))
            return nil
        }
        guard o.shares.rawValue >= 1, o.shares.rawValue <= configuration.maxShares else {
            sink.on(.rejected(owner: o.owner, reason: .invalidShares))
            return nil
        }
        if o.kind != .market {
            guard o.price.rawValue > 0, o.price.rawValue <= configuration.maxPrice else {
                sink.on(.rejected(owner: o.owner, reason: .invalidPrice))
                return nil
            }
        }
        // A limit order may rest: it needs a slot. Checked before anything trades.
        if o.kind == .limit && liveOrders >= configuration.maxOrders {
            sink.on(.rejected(owner: o.owner, reason: .capacity))
            return nil
        }
        let ref = takeRef(o.locate)
        sink.on(.accepted(owner: o.owner, ref: ref, order: o))
        let left = match(o.locate, o.side, o.kind == .market ? nil : o.price.rawValue, o.shares.rawValue, o.owner, ref, &sink)
        if left.shares > 0 {
            if o.kind == .limit && !left.selfMatchStop {
                rest(ref.rawValue, o.owner, o.locate, o.side, o.price.rawValue, left.shares, attributed: o.attributed, &sink)
            } else {
                sink.on(.canceled(owner: o.owner, ref: ref, shares: Shares(rawValue: left.shares), remaining: Shares(rawValue: 0),
                                  reason: left.selfMatchStop ? .selfMatch : .immediateOrCancel))
            }
        }
        return ref
    }

    /// OUCH cancel: `remaining` is the size the order should have afterwards (0 cancels it).
    /// Asking for more than it has left changes nothing (and is not an error).
    public func cancel<S: EngineSink>(ref: OrderRef, owner: OrderOwner, remaining: Shares = Shares(rawValue: 0), _ sink: inout S) {
        guard let h = slot(ref.rawValue) else {
            sink.on(.cancelRejected(owner: owner, ref: ref, reason: .unknownOrder))
            return
        }
        let o = orders[Int(h)]
        guard o.owner.session == owner.session else {
            sink.on(.cancelRejected(owner: owner, ref: ref, reason: .notOwner))
            return
        }
        let cut = OUCHRules.cancelDecrement(open: o.shares, intended: remaining.rawValue)
        guard cut > 0 else { return }
        let locate = StockLocate(rawValue: o.locate)
        if remaining.rawValue == 0 {
            sink.on(.mdDelete(locate: locate, ref: ref))
            remove(h)
        } else {
            sink.on(.mdCancel(locate: locate, ref: ref, shares: Shares(rawValue: cut)))
            reduce(h, by: cut)
        }
        sink.on(.canceled(owner: o.owner, ref: ref, shares: Shares(rawValue: cut), remaining: remaining, reason: .user))
    }

    /// OUCH replace. Keeps priority (and the reference) when the price is unchanged and the
    /// quantity does not grow; otherwise a new reference at the back of the new price, trading
    /// first if it crosses. `shares` 0 cancels the order. Returns the live reference afterwards
    /// (nil if rejected, or if nothing rests).
    @discardableResult
    public func replace<S: EngineSink>(ref: OrderRef, owner: OrderOwner, shares: Shares, price: Price, _ sink: inout S) -> OrderRef? {
        guard let h = slot(ref.rawValue) else {
            sink.on(.cancelRejected(owner: owner, ref: ref, reason: .unknownOrder))
            return nil
        }
        let o = orders[Int(h)]
        guard o.owner.session == owner.session else {
            sink.on(.cancelRejected(owner: owner, ref: ref, reason: .notOwner))
            return nil
        }
        guard shares.rawValue <= configuration.maxShares else {
            sink.on(.cancelRejected(owner: owner, ref: ref, reason: .invalidShares))
            return nil
        }
        guard price.rawValue > 0, price.rawValue <= configuration.maxPrice else {
            sink.on(.cancelRejected(owner: owner, ref: ref, reason: .invalidPrice))
            return nil
        }
        let locate = StockLocate(rawValue: o.locate)
        if shares.rawValue == 0 {
            cancel(ref: ref, owner: owner, remaining: shares, &sink)
            return nil
        }
        if price.rawValue == o.price && shares.rawValue <= o.shares {
            if shares.rawValue < o.shares {
                sink.on(.mdCancel(locate: locate, ref: ref, shares: Shares(rawValue: o.shares - shares.rawValue)))
                reduce(h, by: o.shares - shares.rawValue)
            }
            sink.on(.replaced(owner: o.owner, old: ref, new: ref, shares: shares, price: price))
            return ref
        }
        let newRef = takeRef(locate)
        let crosses: Bool
        if let best = bestPrice(locate, o.side.opposite) {
            crosses = o.side == .buy ? price.rawValue >= best : price.rawValue <= best
        } else {
            crosses = false
        }
        if !crosses {
            sink.on(.mdReplace(locate: locate, old: ref, new: newRef, shares: shares, price: price))
            remove(h)
            sink.on(.replaced(owner: o.owner, old: ref, new: newRef, shares: shares, price: price))
            place(newRef.rawValue, o.owner, locate, o.side, price.rawValue, shares.rawValue)
            return newRef
        }
        sink.on(.mdDelete(locate: locate, ref: ref))
        remove(h)
        sink.on(.replaced(owner: o.owner, old: ref, new: newRef, shares: shares, price: price))
        let left = match(locate, o.side, price.rawValue, shares.rawValue, o.owner, newRef, &sink)
        if left.shares > 0 {
            if !left.selfMatchStop {
                rest(newRef.rawValue, o.owner, locate, o.side, price.rawValue, left.shares, attributed: false, &sink)
                return newRef
            }
            sink.on(.canceled(owner: o.owner, ref: newRef, shares: Shares(rawValue: left.shares), remaining: Shares(rawValue: 0), reason: .selfMatch))
        }
        return nil
    }

    // MARK: - Queries

    public func bestBid(_ locate: StockLocate) -> PriceLevel? { level(locate, .buy, 0) }
    public func bestAsk(_ locate: StockLocate) -> PriceLevel? { level(locate, .sell, 0) }

    /// Level `index` from the best (0) outward.
    public func level(_ locate: StockLocate, _ side: Side, _ index: Int) -> PriceLevel? {
        let s = sideIndex(locate, side)
        guard s < sides.count, index >= 0, index < sides[s].count else { return nil }
        let l = levels[Int(sides[s][sides[s].count - 1 - index])]
        return PriceLevel(price: Price(rawValue: l.price), shares: l.shares, orders: Int(l.count))
    }

    public func levels(_ locate: StockLocate, _ side: Side) -> [PriceLevel] {
        let s = sideIndex(locate, side)
        guard s < sides.count else { return [] }
        return sides[s].reversed().map {
            let l = levels[Int($0)]
            return PriceLevel(price: Price(rawValue: l.price), shares: l.shares, orders: Int(l.count))
        }
    }

    public struct LiveOrder: Sendable, Equatable {
        public var ref: OrderRef
        public var owner: OrderOwner
        public var locate: StockLocate
        public var side: Side
        public var shares: Shares
        public var price: Price
    }

    public func order(_ ref: OrderRef) -> LiveOrder? {
        guard let h = slot(ref.rawValue) else { return nil }
        return live(orders[Int(h)])
    }

    func live(_ o: EngineOrder) -> LiveOrder {
        LiveOrder(ref: OrderRef(rawValue: o.ref), owner: o.owner, locate: StockLocate(rawValue: o.locate), side: o.side,
                  shares: Shares(rawValue: o.shares), price: Price(rawValue: o.price))
    }

    /// The orders at a price, in queue order.
    public func queue(_ locate: StockLocate, _ side: Side, _ price: Price) -> [LiveOrder] {
        let s = sideIndex(locate, side)
        guard s < sides.count, let lv = sides[s].first(where: { levels[Int($0)].price == price.rawValue }) else { return [] }
        var out: [LiveOrder] = []
        var h = levels[Int(lv)].head
        while h >= 0 {
            let o = orders[Int(h)]
            out.append(live(o))
            h = o.next
        }
        return out
    }

    /// Every level of every symbol in the replay's `--book-out` format (one line per level,
    /// best first: `<locate> <symbol> <B|S> <price in 1/10,000 $> <shares> <orders>`), so a
    /// replay of the venue's feed can be compared with the venue's own book byte for byte.
    public func dump(symbols: (StockLocate) -> String) -> String {
        var out = ""
        for loc in 1...max(configuration.symbols, 1) {
            let locate = StockLocate(rawValue: UInt16(loc))
            for side in [Side.buy, .sell] {
                for l in levels(locate, side) {
                    out += "\(loc) \(symbols(locate)) \(side.letter) \(l.price.rawValue) \(l.shares) \(l.orders)\n"
                }
            }
        }
        return out
    }

    /// Number of price levels on a side.
    public func depth(_ locate: StockLocate, _ side: Side) -> Int {
        let s = sideIndex(locate, side)
        return s < sides.count ? sides[s].count : 0
    }

    /// Shares resting on a side within `ticks` levels of the best.
    public func sharesNearTouch(_ locate: StockLocate, _ side: Side, levels n: Int) -> UInt64 {
        let s = sideIndex(locate, side)
        guard s < sides.count else { return 0 }
        let arr = sides[s]
        var total: UInt64 = 0
        var i = arr.count - 1
        while i >= 0 && i >= arr.count - n {
            total &+= levels[Int(arr[i])].shares
            i -= 1
        }
        return total
    }

    /// A live order of `locate` picked by `pick` among its count (for the order-flow model's
    /// cancellations): walks from the best level of `side` outward, `index` orders deep.
    public func nthOrder(_ locate: StockLocate, _ side: Side, _ index: Int) -> LiveOrder? {
        let s = sideIndex(locate, side)
        guard s < sides.count else { return nil }
        var k = index
        for lv in sides[s].reversed() {
            let l = levels[Int(lv)]
            if k < Int(l.count) {
                var h = l.head
                while k > 0 { h = orders[Int(h)].next; k -= 1 }
                let o = orders[Int(h)]
                return live(o)
            }
            k -= Int(l.count)
        }
        return nil
    }

    /// The order at `position` (0 = first in time) of the `levelIndex`-th level from the best.
    public func order(_ locate: StockLocate, _ side: Side, level levelIndex: Int, position: Int) -> LiveOrder? {
        let s = sideIndex(locate, side)
        guard s < sides.count, levelIndex >= 0, levelIndex < sides[s].count else { return nil }
        let l = levels[Int(sides[s][sides[s].count - 1 - levelIndex])]
        guard position >= 0, position < Int(l.count) else { return nil }
        var h = l.head
        var k = position
        while k > 0 { h = orders[Int(h)].next; k -= 1 }
        let o = orders[Int(h)]
        return live(o)
    }

    /// Shares and order count of the `levelIndex`-th level from the best (zeros past the last).
    @inline(__always)
    public func levelSize(_ locate: StockLocate, _ side: Side, _ levelIndex: Int) -> (price: Int64, shares: UInt64, orders: Int) {
        let s = sideIndex(locate, side)
        guard s < sides.count, levelIndex < sides[s].count else { return (0, 0, 0) }
        let l = levels[Int(sides[s][sides[s].count - 1 - levelIndex])]
        return (l.price, l.shares, Int(l.count))
    }

    public func bestPrice(_ locate: StockLocate, _ side: Side) -> Int64? {
        let s = sideIndex(locate, side)
        guard s < sides.count, let last = sides[s].last else { return nil }
        return levels[Int(last)].price
    }

    // MARK: - Internals

    @inline(__always)
    func takeRef(_ locate: StockLocate) -> OrderRef {
        let i = Int(locate.rawValue) % nextRefs.count
        let r = nextRefs[i]
        nextRefs[i] = r &+ UInt64(nextRefs.count)
        return OrderRef(rawValue: r)
    }

    @inline(__always)
    func slot(_ ref: UInt64) -> Int32? {
        let h = recent[Int(truncatingIfNeeded: ref) & recentMask]
        if h >= 0 && orders[Int(h)].ref == ref && orders[Int(h)].level >= 0 { return h }
        return overflow.isEmpty ? nil : overflow[ref]
    }

    @inline(__always)
    func sideIndex(_ locate: StockLocate, _ side: Side) -> Int { Int(locate.rawValue) * 2 + (side == .sell ? 1 : 0) }

    /// What an incoming order has left after matching, and whether self-match prevention
    /// stopped it.
    struct Left {
        var shares: UInt32
        var selfMatchStop: Bool
    }

    /// Trades an incoming order against the other side; returns what is left.
    func match<S: EngineSink>(_ locate: StockLocate, _ side: Side, _ limit: Int64?, _ shares: UInt32,
                              _ owner: OrderOwner, _ ref: OrderRef, _ sink: inout S) -> Left {
        var left = shares
        let other = sideIndex(locate, side.opposite)
        let policy = configuration.selfMatch.isEmpty ? nil : configuration.selfMatch[owner.firm]
        while left > 0, let lv = sides[other].last {
            let level = levels[Int(lv)]
            if let limit {
                if side == .buy ? level.price > limit : level.price < limit { break }
            }
            let h = level.head
            let resting = orders[Int(h)]
            if let policy, resting.owner.firm == owner.firm {
                switch policy {
                case .cancelResting:
                    sink.on(.mdDelete(locate: locate, ref: OrderRef(rawValue: resting.ref)))
                    remove(h)
                    sink.on(.canceled(owner: resting.owner, ref: OrderRef(rawValue: resting.ref), shares: Shares(rawValue: resting.shares),
                                      remaining: Shares(rawValue: 0), reason: .selfMatch))
                    continue
                case .cancelIncoming:
                    return Left(shares: left, selfMatchStop: true)
                }
            }
            let fill = min(left, resting.shares)
            matchNumber &+= 1
            let px = Price(rawValue: level.price)
            let restingRef = OrderRef(rawValue: resting.ref)
            sink.on(.mdExecute(locate: locate, ref: restingRef, shares: Shares(rawValue: fill), match: matchNumber))
            if fill == resting.shares { remove(h) } else { reduce(h, by: fill) }
            left -= fill
            sink.on(.executed(owner: resting.owner, ref: restingRef, shares: Shares(rawValue: fill), price: px, match: matchNumber, resting: true))
            sink.on(.executed(owner: owner, ref: ref, shares: Shares(rawValue: fill), price: px, match: matchNumber, resting: false))
        }
        return Left(shares: left, selfMatchStop: false)
    }

    func rest<S: EngineSink>(_ ref: UInt64, _ owner: OrderOwner, _ locate: StockLocate, _ side: Side, _ price: Int64,
                             _ shares: UInt32, attributed: Bool, _ sink: inout S) {
        sink.on(.mdAdd(locate: locate, ref: OrderRef(rawValue: ref), side: side, shares: Shares(rawValue: shares),
                       price: Price(rawValue: price), firm: attributed ? owner.firm : nil))
        place(ref, owner, locate, side, price, shares)
    }

    /// Puts an order at the back of its price level (made if missing).
    func place(_ ref: UInt64, _ owner: OrderOwner, _ locate: StockLocate, _ side: Side, _ price: Int64, _ shares: UInt32) {
        let s = sideIndex(locate, side)
        // Best last: bids ascending, asks descending. Search from the touch.
        var i = sides[s].count
        var lv: Int32 = -1
        while i > 0 {
            let p = levels[Int(sides[s][i - 1])].price
            if p == price { lv = sides[s][i - 1]; break }
            if side == .buy ? p < price : p > price { break }
            i -= 1
        }
        if lv < 0 {
            let l = EngineLevel(price: price, shares: 0, count: 0, head: -1, tail: -1)
            if freeLevel >= 0 {
                lv = freeLevel
                freeLevel = levels[Int(lv)].head
                levels[Int(lv)] = l
            } else {
                lv = Int32(levels.count)
                levels.append(l)
            }
            sides[s].insert(lv, at: i)
        }
        let tail = levels[Int(lv)].tail
        let o = EngineOrder(ref: ref, owner: owner, price: price, shares: shares, level: lv, prev: tail, next: -1,
                            locate: locate.rawValue, side: side)
        let h: Int32
        if freeOrder >= 0 {
            h = freeOrder
            freeOrder = orders[Int(h)].next
            orders[Int(h)] = o
        } else {
            h = Int32(orders.count)
            orders.append(o)
        }
        if tail >= 0 { orders[Int(tail)].next = h } else { levels[Int(lv)].head = h }
        levels[Int(lv)].tail = h
        levels[Int(lv)].count += 1
        levels[Int(lv)].shares += UInt64(shares)
        let r = Int(truncatingIfNeeded: ref) & recentMask
        let old = recent[r]
        if old >= 0 { overflow[orders[Int(old)].ref] = old }
        recent[r] = h
        liveOrders += 1
    }

    func reduce(_ h: Int32, by n: UInt32) {
        orders[Int(h)].shares -= n
        levels[Int(orders[Int(h)].level)].shares -= UInt64(n)
    }

    /// Unlinks and frees an order; removes its level when it empties.
    func remove(_ h: Int32) {
        let o = orders[Int(h)]
        let lv = o.level
        if o.prev >= 0 { orders[Int(o.prev)].next = o.next } else { levels[Int(lv)].head = o.next }
        if o.next >= 0 { orders[Int(o.next)].prev = o.prev } else { levels[Int(lv)].tail = o.prev }
        levels[Int(lv)].shares -= UInt64(o.shares)
        levels[Int(lv)].count -= 1
        if levels[Int(lv)].count == 0 {
            let s = sideIndex(StockLocate(rawValue: o.locate), o.side)
            if let at = sides[s].lastIndex(of: lv) { sides[s].remove(at: at) }
            levels[Int(lv)].head = freeLevel
            freeLevel = lv
        }
        let i = Int(truncatingIfNeeded: o.ref) & recentMask
        if recent[i] == h { recent[i] = -1 } else { overflow[o.ref] = nil }
        orders[Int(h)].level = -1
        orders[Int(h)].next = freeOrder
        freeOrder = h
        liveOrders -= 1
    }
}

/// A growable array of plain values behind a pointer: element access does no uniqueness check
/// (the engine is its only owner and frees it in deinit). Grows by doubling.
struct Pool<T> {
    var base: UnsafeMutablePointer<T>
    private(set) var count = 0
    private(set) var capacity: Int

    init(capacity: Int) {
        self.capacity = max(capacity, 1)
        base = .allocate(capacity: self.capacity)
    }

    init(repeating value: T, count: Int) {
        capacity = max(count, 1)
        base = .allocate(capacity: capacity)
        base.initialize(repeating: value, count: count)
        self.count = count
    }

    @inline(__always)
    subscript(i: Int) -> T {
        get { base[i] }
        nonmutating set { base[i] = newValue }
    }

    mutating func append(_ x: T) {
        if count == capacity {
            let bigger = UnsafeMutablePointer<T>.allocate(capacity: capacity * 2)
            bigger.moveInitialize(from: base, count: count)
            base.deallocate()
            base = bigger
            capacity *= 2
        }
        (base + count).initialize(to: x)
        count += 1
    }

    func deallocate() { base.deallocate() }
}
