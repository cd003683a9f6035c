// The reference market maker: one bid and one ask per stock, around the microprice, skewed
// against inventory. Parameters are public and may change between callbacks: the models'
// parameter adaptation (issue 7) moves width, size, inventory limit and skew live.
import OrderBook
public import OrderEntry
public import TickwireCore

public struct MarketMakerParameters: Sendable, Equatable {
    /// Minimum price increment, in price units (NASDAQ: $0.01 = 100).
    public var tick: Int64 = 100
    /// Distance of each quote from the fair price, in ticks.
    public var halfWidthTicks: Int64 = 1
    /// Shares per quote.
    public var size: UInt32 = 100
    /// Ticks the fair price moves against each `size` shares of inventory.
    public var skewTicksPerLot: Int64 = 1
    /// No more buying at or above this long position, no more selling at or below its negative.
    public var maxInventory: Int64 = 500
    /// A live quote is moved when its wanted price is this many ticks away...
    public var requoteTicks: Int64 = 1
    /// ...and it was last sent at least this long ago (feed clock): a microprice that flickers
    /// across a tick boundary would otherwise replace on every message, into the throttle.
    public var minRequoteNanos: UInt64 = 2_000_000
    public init() {}
}

public struct MarketMakerCounters: Sendable, Equatable {
    public var quotesSent: UInt64 = 0
    public var replacesSent: UInt64 = 0
    public var cancelsSent: UInt64 = 0
    public var fills: UInt64 = 0
    public var refused: UInt64 = 0
    public init() {}
}

public final class MarketMaker: Strategy {
    public var parameters: MarketMakerParameters
    public private(set) var counters = MarketMakerCounters()
    let maxLocates: Int
    let traded: UnsafeMutablePointer<Bool>
    /// Per locate: two quotes (bid at 2*l, ask at 2*l+1).
    let quotes: UnsafeMutablePointer<Quote>
    let inventory: UnsafeMutablePointer<Int64>
    let lastTop: UnsafeMutablePointer<BookTop>
    /// Order number -> quote slot, direct-mapped (order numbers are consecutive; a slot is
    /// trusted only when its id matches).
    let owners: UnsafeMutablePointer<Owner>
    let ownerMask: Int

    enum QuoteState: UInt8 { case none, sending, pendingNew, live, pendingReplace, pendingCancel }

    struct Quote {
        var state: QuoteState = .none
        var id: UInt32 = 0
        var price: Price = .zero
        var pendingPrice: Price = .zero
        var shares: UInt32 = 0
        var sentAt: UInt64 = 0
    }

    struct Owner {
        var id: UInt32 = 0
        var slot: Int32 = -1
    }

    /// `symbols`: the locates to quote (others are ignored).
    public init(symbols: [StockLocate], maxLocates: Int = 1 << 16, parameters: MarketMakerParameters = .init()) {
        self.parameters = parameters
        self.maxLocates = maxLocates
        traded = .allocate(capacity: maxLocates)
        traded.initialize(repeating: false, count: maxLocates)
        for s in symbols where Int(s.rawValue) < maxLocates { traded[Int(s.rawValue)] = true }
        quotes = .allocate(capacity: 2 * maxLocates)
        quotes.initialize(repeating: Quote(), count: 2 * maxLocates)
        inventory = .allocate(capacity: maxLocates)
        inventory.initialize(repeating: 0, count: maxLocates)
        lastTop = .allocate(capacity: maxLocates)
        lastTop.initialize(repeating: BookTop(locate: StockLocate(rawValue: 0), bid: .zero, bidShares: 0, ask: .zero, askShares: 0),
                           count: maxLocates)
        let n = 1 << 16
        owners = .allocate(capacity: n)
        owners.initialize(repeating: Owner(), count: n)
        ownerMask = n - 1
    }

    deinit {
        traded.deallocate()
        quotes.deallocate()
        inventory.deallocate()
        lastTop.deallocate()
        owners.deallocate()
    }

    public func inventory(_ locate: StockLocate) -> Int64 {
        Int(locate.rawValue) < maxLocates ? inventory[Int(locate.rawValue)] : 0
    }

    @inline(__always)
    public func trades(_ locate: StockLocate) -> Bool {
        let l = Int(locate.rawValue)
        return l < maxLocates && traded[l]
    }

    public func onBook(_ top: BookTop, _ ctx: inout StrategyContext) {
        let l = Int(top.locate.rawValue)
        guard l < maxLocates else { return }
        lastTop[l] = top
        requote(l, top, &ctx)
    }

    public func onTrade(locate: StockLocate, price: Price, shares: UInt32, _ ctx: inout StrategyContext) {}

    /// Where the quotes should be for this touch and inventory (nil: no quote on that side).
    @inline(__always)
    func wanted(_ top: BookTop, inventory inv: Int64) -> (bid: Price?, ask: Price?) {
        guard top.isTwoSided else { return (nil, nil) }
        let p = parameters
        let tick = max(p.tick, 1)
        let lot = Int64(max(p.size, 1))
        let fair = top.microprice - (inv * p.skewTicksPerLot * tick) / lot
        var bid = floorTo(fair - p.halfWidthTicks * tick, tick)
        var ask = ceilTo(fair + p.halfWidthTicks * tick, tick)
        // Passive only: never at or through the other side's touch.
        bid = min(bid, top.ask.rawValue - tick)
        ask = max(ask, top.bid.rawValue + tick)
        return (inv < p.maxInventory && bid > 0 ? Price(rawValue: bid) : nil,
                inv > -p.maxInventory ? Price(rawValue: ask) : nil)
    }

    @inline(__always) func floorTo(_ v: Int64, _ t: Int64) -> Int64 { v >= 0 ? v / t * t : -((-v + t - 1) / t) * t }
    @inline(__always) func ceilTo(_ v: Int64, _ t: Int64) -> Int64 { -floorTo(-v, t) }

    func requote(_ l: Int, _ top: BookTop, _ ctx: inout StrategyContext) {
        let w = wanted(top, inventory: inventory[l])
        manage(slot: 2 * l, locate: top.locate, side: .buy, want: w.bid, &ctx)
        manage(slot: 2 * l + 1, locate: top.locate, side: .sell, want: w.ask, &ctx)
    }

    @inline(__always)
    func manage(slot: Int, locate: StockLocate, side: Side, want: Price?, _ ctx: inout StrategyContext) {
        let q = quotes + slot
        switch q.pointee.state {
        case .none:
            guard let want else { return }
            let size = parameters.size
            if ctx.add(.new(tag: UInt32(slot), locate: locate, side: side, shares: size, price: want, kind: .day)) {
                q.pointee = Quote(state: .sending, id: 0, price: want, pendingPrice: want, shares: size, sentAt: ctx.now)
            }
        case .live:
            guard let want else {
                if ctx.add(.cancel(id: q.pointee.id)) { q.pointee.state = .pendingCancel }
                return
            }
            let away = abs(want.rawValue - q.pointee.price.rawValue)
            if away >= parameters.requoteTicks * max(parameters.tick, 1), ctx.now &- q.pointee.sentAt >= parameters.minRequoteNanos,
               ctx.add(.replace(id: q.pointee.id, shares: parameters.size, price: want)) {
                q.pointee.state = .pendingReplace
                q.pointee.pendingPrice = want
                q.pointee.sentAt = ctx.now
            }
        case .sending, .pendingNew, .pendingReplace, .pendingCancel:
            return  // one request in flight per quote
        }
    }

    @inline(__always)
    func own(_ id: UInt32, slot: Int) { owners[Int(id) & ownerMask] = Owner(id: id, slot: Int32(slot)) }

    @inline(__always)
    func slot(of id: UInt32) -> Int? {
        let o = owners[Int(id) & ownerMask]
        return o.id == id && o.slot >= 0 ? Int(o.slot) : nil
    }

    public func onSubmitted(tag: UInt32, result: SubmitResult, _ ctx: inout StrategyContext) {
        let s = Int(tag)
        guard s < 2 * maxLocates else { return }
        if case .sent(let id) = result {
            quotes[s].id = id
            quotes[s].state = .pendingNew
            own(id, slot: s)
            counters.quotesSent &+= 1
        } else {
            quotes[s].state = .none
            counters.refused &+= 1
        }
    }

    /// The gateway's answer to a replace action (the replacement's number, nil: not sent) or a
    /// cancel action (sent or not).
    public func onReplaceSent(id: UInt32, newID: UInt32?, _ ctx: inout StrategyContext) {
        guard let s = slot(of: id) else { return }
        if let newID {
            own(newID, slot: s)
            counters.replacesSent &+= 1
        } else {
            quotes[s].state = .live
            counters.refused &+= 1
        }
    }

    public func onCancelSent(id: UInt32, sent: Bool, _ ctx: inout StrategyContext) {
        guard let s = slot(of: id) else { return }
        if sent { counters.cancelsSent &+= 1 } else { quotes[s].state = .none }
    }

    public func onOrder(_ event: GatewayEvent, _ ctx: inout StrategyContext) {
        switch event {
        case .accepted(let id, _), .adopted(let id, _):
            guard let s = slot(of: id), quotes[s].id == id, quotes[s].state == .pendingNew else { return }
            quotes[s].state = .live
        case .executed(let id, let locate, let side, let shares, _, _):
            let l = Int(locate.rawValue)
            guard l < maxLocates else { return }
            inventory[l] &+= side == .buy ? Int64(shares) : -Int64(shares)
            counters.fills &+= 1
            if let s = slot(of: id), quotes[s].id == id {
                quotes[s].shares = quotes[s].shares > shares ? quotes[s].shares - shares : 0
                if quotes[s].shares == 0 { quotes[s].state = .none }
            }
            // Inventory moved the fair price: requote both sides at once from the last touch.
            if traded[l] { requote(l, lastTop[l], &ctx) }
        case .canceled(let id, _):
            guard let s = slot(of: id), quotes[s].id == id else { return }
            quotes[s].state = .none
            let l = s >> 1
            requote(l, lastTop[l], &ctx)
        case .replaced(let old, let new):
            guard let s = slot(of: new) else { return }
            if quotes[s].id == old || quotes[s].state == .pendingReplace {
                quotes[s].id = new
                quotes[s].price = quotes[s].pendingPrice
                quotes[s].shares = parameters.size
                quotes[s].state = .live
            }
        case .rejected(let id, _):
            guard let s = slot(of: id) else { return }
            if quotes[s].id == id { quotes[s].state = .none }
            else if quotes[s].state == .pendingReplace { quotes[s].state = .live }  // the replacement was refused
        case .cancelRejected(let id):
            guard let s = slot(of: id), quotes[s].id == id, quotes[s].state == .pendingCancel else { return }
            quotes[s].state = .live
        case .systemEvent:
            return
        }
    }
}
