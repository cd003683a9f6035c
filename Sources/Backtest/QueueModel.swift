// How the backtest venue decides when the market's flow reaches one of our resting orders.
//
// `l3FIFO` (the default on an L3 feed such as ITCH): our order rests in the venue's copy of the
// book at the back of its price level's FIFO queue, behind every order there when it arrived.
// The orders ahead are known by identity, so an execution of one of them just moves us up, a
// cancel of one of them moves us up by its size, and an execution of an order *behind* us (or of
// any order at a worse price: the aggressor went through our price) is the moment the flow would
// have reached us first: we are filled, up to that execution's size.
//
// `probabilistic` (for feeds without order identity, IEX DEEP and TOPS, or to see what the L3
// model buys on an L3 feed): only the level's total size is known. Our estimate of the shares
// ahead (`front`) starts at the level's size when we arrive; a trade at our price comes off the
// front; a decrease of the level that is not a trade (a cancel) came from ahead of us with
// probability 1 - p(front, back), where back = the level's size - front and
//   p(front, back) = f(back) / (f(back) + f(front)),
// f(x) = x^n (`power`) or log(1 + x) (`log`): the family documented by Rigtorp ("Estimating order
// queue position", 2013) and used by hftbacktest's ProbQueueModel. The front's expectation
// moves by (1 - p) of the decrease. A trade that drives the front below zero filled us by the
// overshoot. n large: cancels come from the back (optimistic for us); n = 0: evenly.
//
// Both models share the price-based rules that need no identity: our resting order is filled by
// a trade through its price, and by an order added (or replaced) on the other side at a price
// that crosses it, which then rests with what is left of it. A hidden-order print (ITCH P)
// does what `HiddenPrintPolicy` says: on NASDAQ a print at a price worse than ours is a trade
// through ours (`through`, the default), and displayed orders have priority over hidden ones at
// the same price, so one at our price reached us too (`atOurPrice`); the venue simulator's P
// prints are synthetic and never trade its book, so on its days they are ignored (`ignore`).

public enum HiddenPrintPolicy: String, Sendable, Equatable, CaseIterable {
    case ignore
    case through
    case atOurPrice = "at-price"
}

/// What the recorded day's aggressor does where the order it executed is gone from the venue's
/// book, or short of shares: our orders took them earlier (a take of ours, an add or replace
/// across our quotes, an earlier aggressor rerouted). Live, the aggressor would have met other
/// orders, and the day's later moves of that order never happen (the venue has no such order).
/// The feed shows only that the aggressor reached the order's price; its limit is not on it.
public enum ConsumedLiquidity: String, Sendable, Equatable, CaseIterable {
    /// The shares are lost with the order: the aggressor trades less than the day says.
    case drop
    /// It meets what rests at the order's price or better, and goes no further.
    case atPrice = "at-price"
    /// It walks on through the book, as a market order (the venue simulator's marketable
    /// orders: 70% market, 30% IOC two ticks through the touch).
    case walk
}

public enum QueueModel: Sendable, Equatable, CustomStringConvertible {
    case l3FIFO
    case probabilistic(ProbabilityFunction)

    public enum ProbabilityFunction: Sendable, Equatable {
        /// f(x) = x^n.
        case power(Double)
        /// f(x) = log(1 + x).
        case log
    }

    /// "l3" (or "l3-fifo"), "prob-power:N" (e.g. prob-power:2), "prob-log".
    public init?(name: String) {
        switch name {
        case "l3", "l3-fifo": self = .l3FIFO
        case "prob-log": self = .probabilistic(.log)
        default:
            guard name.hasPrefix("prob-power:"), let n = Double(name.dropFirst("prob-power:".count)), n >= 0, n <= 16 else { return nil }
            self = .probabilistic(.power(n))
        }
    }

    public var description: String {
        switch self {
        case .l3FIFO: "l3"
        case .probabilistic(.log): "prob-log"
        case .probabilistic(.power(let n)): "prob-power:\(n == n.rounded() ? String(Int(n)) : String(n))"
        }
    }

    /// The chance that a decrease of the level came from behind our order.
    static func probabilityBehind(_ f: ProbabilityFunction, front: Double, back: Double) -> Double {
        let fb: Double, ff: Double
        switch f {
        case .power(let n):
            fb = pow(max(back, 0), n)
            ff = pow(max(front, 0), n)
        case .log:
            fb = log1p(max(back, 0))
            ff = log1p(max(front, 0))
        }
        let s = fb + ff
        guard s > 0, s.isFinite else { return 0.5 }
        return fb / s
    }
}

#if canImport(Glibc)
import Glibc
#endif
