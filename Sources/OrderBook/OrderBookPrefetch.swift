// Prefetch hints for a software-pipelined feed: a decoder that can see a few messages ahead
// (the rest of a MoldUDP64 packet, the next records of a file) asks for the lines that message
// will touch, so that their misses overlap instead of queueing one after the other. The chain
// of a message is table slot -> order slot -> level and queue neighbours, each address known
// only once the previous line has arrived; hence three stages, issued at decreasing distances.
//
// Hints never change the book and never fault: they read only slots inside the buffers (a
// stale handle is still a handle), and a wrong guess costs one wasted prefetch.
public import CShims
public import TickwireCore

extension OrderBook {
    /// Stage 1 (farthest): the table line where `ref` lives or would be inserted. Inlinable:
    /// a feed that looks ahead calls it for every message, in another module.
    @inlinable @inline(__always)
    public func prefetchReference(_ ref: OrderRef) {
        tw_prefetch(table + home(ref.rawValue))
    }

    /// Stage 2: the order slot of `ref`, if it is live (its table line should be cached now).
    @inline(__always)
    public func prefetchOrder(_ ref: OrderRef) {
        let h = lookup(ref.rawValue).handle
        if h >= 0 { tw_prefetch_write(orders + Int(h)) }
    }

    /// Stage 3 (nearest): the level of `ref` and its neighbours in the queue: what an execute,
    /// cancel, delete or replace writes next.
    @inline(__always)
    public func prefetchQueue(_ ref: OrderRef) {
        let h = lookup(ref.rawValue).handle
        guard h >= 0 else { return }
        let o = orders[Int(h)]
        if o.level >= 0 { tw_prefetch_write(levels + Int(o.level)) }
        if o.prev >= 0 { tw_prefetch_write(orders + Int(o.prev)) }
        if o.next >= 0 { tw_prefetch_write(orders + Int(o.next)) }
    }

    /// For an add: the side record, its best level and that level's last order (most adds join
    /// the touch, at its tail).
    @inline(__always)
    public func prefetchSide(locate: StockLocate, side: Side) {
        let loc = Int(locate.rawValue)
        guard loc < locateCount else { return }
        let s = sides + (loc &<< 1 | (side == .sell ? 1 : 0))
        let top = s.pointee.topLevel
        guard top >= 0 else { return }
        tw_prefetch_write(levels + Int(top))
        let tail = levels[Int(top)].tail
        if tail >= 0 { tw_prefetch_write(orders + Int(tail)) }
    }
}
