// The simplest market maker there is, for holding backtesters against each other (Tickwire's
// and hftbacktest's, research/hftbacktest): on each stock it trades, one order of `shares` a
// side, `offsetTicks` behind the touch (0: at the touch). When the touch moves away from a quote,
// the quote is cancelled and, once the venue says so, entered again at the new price: it never
// replaces (hftbacktest does not model a replace of one's own order), so both backtesters see the
// same requests. It decides on every touch change and on every answer of the venue (a cancel
// confirmed, a fill), from the last touch, as hftbacktest's loop does on each feed event and
// order response. The touch it pegs to is the market's, without its own orders (hftbacktest's
// depth holds the feed's orders only). A side stops quoting at the position limit. No models,
// no features.
public import OrderBook
public import OrderEvents
public import TickwireCore

public final class FixedOffsetMaker: Strategy {
    struct Quote {
        var id: UInt32 = 0
        var price: Int64 = 0
        var leaves: UInt32 = 0
        /// A new order is on its way (no number yet), or a cancel is.
        var entering = false
        var cancelling = false
    }

    public let offsetTicks: Int64
    public let tick: Int64
    public let shares: UInt32
    public let maxPosition: Int64
    let traded: [Bool]
    /// Per locate: [buy, sell].
    var quotes: [[Quote]]
    var position: [Int64]
    /// The last two-sided touch per locate: the venue's answers are decided against it.
    var lastTop: [BookTop?]
    /// Order number -> locate * 2 + side, for the venue's answers.
    var owner: [UInt32: Int] = [:]
    public private(set) var fills = 0

    public init(symbols: [StockLocate], maxLocates: Int, offsetTicks: Int64 = 0, tick: Int64 = 100, shares: UInt32 = 100, maxPosition: Int64 = 1_000) {
        self.offsetTicks = offsetTicks
        self.tick = tick
        self.shares = shares
        self.maxPosition = maxPosition
        var t = [Bool](repeating: false, count: maxLocates)
        for s in symbols where Int(s.rawValue) < maxLocates { t[Int(s.rawValue)] = true }
        traded = t
        quotes = Array(repeating: [Quote(), Quote()], count: maxLocates)
        position = Array(repeating: 0, count: maxLocates)
        lastTop = Array(repeating: nil, count: maxLocates)
    }

    public func trades(_ locate: StockLocate) -> Bool { Int(locate.rawValue) < traded.count && traded[Int(locate.rawValue)] }

    public func onBook(_ top: BookTop, _ ctx: inout StrategyContext) {
        guard market(top).isTwoSided else { return }
        lastTop[Int(top.locate.rawValue)] = top
        quote(top, &ctx)
    }

    /// The touch without our own quotes (`BookTop.without`): hftbacktest's depth is the feed's
    /// orders alone, and a quote pegged to a touch that is only itself would chase its own price.
    func market(_ top: BookTop) -> BookTop {
        let l = Int(top.locate.rawValue)
        guard l < quotes.count else { return top }
        let b = quotes[l][0], a = quotes[l][1]
        return top.without(side: .buy, price: Price(rawValue: b.id != 0 ? b.price : 0), shares: b.leaves)
            .without(side: .sell, price: Price(rawValue: a.id != 0 ? a.price : 0), shares: a.leaves)
    }

    func quote(_ book: BookTop, _ ctx: inout StrategyContext) {
        let l = Int(book.locate.rawValue)
        let top = market(book)
        guard top.isTwoSided else { return }
        for s in 0..<2 {
            let side: Side = s == 0 ? .buy : .sell
            let target = s == 0 ? top.bid.rawValue - offsetTicks * tick : top.ask.rawValue + offsetTicks * tick
            guard target > 0 else { continue }
            var q = quotes[l][s]
            if q.id != 0, q.price != target, !q.cancelling {
                if ctx.add(.cancel(id: q.id)) { q.cancelling = true }
            }
            let room = s == 0 ? maxPosition - position[l] : maxPosition + position[l]
            if q.id == 0, !q.entering, room >= Int64(shares) {
                if ctx.add(.new(tag: UInt32(l << 1 | s), locate: top.locate, side: side, shares: shares, price: Price(rawValue: target), kind: .day)) {
                    q.entering = true
                    q.price = target
                }
            }
            quotes[l][s] = q
        }
    }

    public func onTrade(locate: StockLocate, price: Price, shares: UInt32, aggressor: Side, _ ctx: inout StrategyContext) {}

    public func onSubmitted(tag: UInt32, result: SubmitResult, _ ctx: inout StrategyContext) {
        let l = Int(tag >> 1), s = Int(tag & 1)
        guard l < quotes.count else { return }
        quotes[l][s].entering = false
        if case .sent(let id) = result {
            quotes[l][s].id = id
            quotes[l][s].leaves = shares
            owner[id] = Int(tag)
        }
    }

    public func onCancelSent(id: UInt32, sent: Bool, _ ctx: inout StrategyContext) {
        guard !sent, let k = owner[id] else { return }
        quotes[k >> 1][k & 1].cancelling = false
    }

    public func onOrder(_ event: GatewayEvent, _ ctx: inout StrategyContext) {
        switch event {
        case .executed(let id, _, let side, let n, _, _):
            guard let k = owner[id] else { return }
            fills += 1
            position[k >> 1] += side == .buy ? Int64(n) : -Int64(n)
            let left = quotes[k >> 1][k & 1].leaves > n ? quotes[k >> 1][k & 1].leaves - n : 0
            quotes[k >> 1][k & 1].leaves = left
            if left == 0 { done(id, k) }
            requote(k, &ctx)
        case .canceled(let id, _), .rejected(let id, _), .cancelRejected(let id):
            guard let k = owner[id] else { return }
            done(id, k)
            requote(k, &ctx)
        default:
            return
        }
    }

    func done(_ id: UInt32, _ k: Int) {
        owner[id] = nil
        if quotes[k >> 1][k & 1].id == id { quotes[k >> 1][k & 1] = Quote() }
    }

    /// After the venue's answer: both sides of the stock decided again on its last touch.
    func requote(_ k: Int, _ ctx: inout StrategyContext) {
        if k >> 1 < lastTop.count, let top = lastTop[k >> 1] { quote(top, &ctx) }
    }
}
