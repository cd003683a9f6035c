// L3 order book: every live order of every stock, in price-time priority, fed by decoded ITCH 5.0
// messages (A/F add, E/C execute, X cancel, D delete, U replace).
//
// DESIGN NOTE: the layout, and why
//
// Everything is preallocated in init from OrderBookConfiguration and freed in deinit; the class
// is the single owner of every buffer. Buffers are UnsafeMutablePointers held in `let`
// properties: no ARC, no exclusivity checks, no bounds checks and no growth on the hot path. The
// few mutable scalars (free-list heads, counters) live in one allocated `BookState`.
//
// Handles. Orders and levels are slots in two arrays, named by Int32 handles (-1 = none). Free
// slots are chained through the same `next` field into a free list, so taking and returning a
// slot is two stores. Int32 halves the size of the links next to 64-bit pointers, and an order
// slot is 24 bytes (ref, shares, level, prev, next); a level slot is 32 (two per cache line).
//
// Orders by reference: an open-addressing hash table of (ref, handle) slots, a power of two
// of at least 2 x maxOrders (load <= 1/2, so probes are short and a miss always meets an empty
// slot), Fibonacci hashing (ref * 2^64/phi, top bits), linear probing. Deletion shifts the
// following cluster back into the hole (no tombstones), so the table never degrades over a day
// of a billion adds and deletes, and an empty slot always ends a probe.
//
// FIFO queue per level: a doubly linked list through the orders' prev/next handles, with head
// and tail in the level. Append at the tail, unlink anywhere in O(1) (delete, full execute,
// replace), walk from the head for queue position. A level also keeps its total shares and
// order count, so top-of-book queries never walk the queue.
//
// Levels per stock and side: a sorted array of (key, level handle), best at the END. The key is
// the price for bids and ~price (= -price - 1) for asks, so both sides sort ascending with the
// best (largest key) last: most adds, deletes and new levels happen at or near the touch, where
// an insert or a removal moves only the few entries behind it, and a search scans the last 8
// keys linearly before a binary search of the rest. Keys sit in their own array so a search
// reads 8 keys per cache line without touching the levels.
//
// Level arena: the sorted arrays of all sides share one preallocated arena of power-of-two
// blocks (the smallest is `levelsPerSide` rounded up). A side gets its first block on its first
// add; a full side moves to a block twice as large (a copy inside the arena) and returns the old
// block to the free list of its size class. A class with no free block is taken from the bump
// pointer, else split from a larger free block. So a book with thousands of levels on one stock
// costs nothing to the other 8,000, and nothing is allocated from the system after init. A side
// that empties keeps its block: books refill.
//
// Top-of-book notification: a message touches one order, hence one side. Whether that side's
// top level changed is decided from the handles (was the order's level the last entry? is the
// new level now the last?), not by diffing, and returned with the locate in `BookUpdate`.
//
// Replace (U) reuses the old order's slot for the new reference: the hash gets the new key,
// the order is unlinked and appended at the tail of its new price level (or its own level when
// the price is unchanged: the order loses its priority either way).
//
// Anomalies never trap: unknown references, duplicate adds, over-executions and refused adds
// (capacity) are returned and counted.
public import TickwireCore

/// An order slot: 32 bytes, two per cache line and never straddling one. `next` also chains
/// free slots.
struct OrderSlot {
    var ref: UInt64
    var shares: UInt32
    var level: Int32
    var prev: Int32
    var next: Int32
    /// locate << 1 | (sell ? 1 : 0), as in LevelSlot.side: lets the top-of-book check run
    /// without waiting for the level's cache line.
    var side: Int32
    var unused: Int32 = 0
}

/// A price-level slot: 32 bytes. `head` also chains free slots.
struct LevelSlot {
    var price: Int64
    var shares: UInt64
    var head: Int32
    var tail: Int32
    var count: Int32
    /// locate << 1 | (sell ? 1 : 0): the index of the side this level belongs to.
    var side: Int32
}

/// An open-addressing slot; `handle < 0` means empty.
struct HashSlot {
    var key: UInt64
    var handle: Int32
}

/// One side of one stock: its block in the level arena and how many levels it holds.
struct SideBook {
    var base: Int32
    var count: Int32
    /// Size class of the block (capacity = minimum block << sizeClass); -1 = no block yet.
    var sizeClass: Int32
}

/// The mutable scalars of the book, kept behind one pointer.
struct BookState {
    var orderFree: Int32
    var levelFree: Int32
    var liveOrders: Int
    var liveLevels: Int
    var arenaBump: Int
    var counters: OrderBookCounters
}

/// A multi-stock L3 order book. Single-threaded: one owner (the market-data core) applies
/// messages and answers queries; it is not Sendable.
public final class OrderBook {
    public let configuration: OrderBookConfiguration

    let orders: UnsafeMutablePointer<OrderSlot>
    let orderCapacity: Int
    let levels: UnsafeMutablePointer<LevelSlot>
    let levelCapacity: Int
    let table: UnsafeMutablePointer<HashSlot>
    let tableMask: Int
    let tableShift: UInt64
    let sides: UnsafeMutablePointer<SideBook>
    let locateCount: Int
    /// Level arena: sorted keys and, at the same index, level handles.
    let keys: UnsafeMutablePointer<Int64>
    let slotLevels: UnsafeMutablePointer<Int32>
    let arenaSlots: Int
    let minBlockShift: Int
    /// Free block list head per size class (-1 = empty); the next link is kept in keys[base].
    let classFree: UnsafeMutablePointer<Int32>
    static let sizeClasses = 40
    let state: UnsafeMutablePointer<BookState>

    /// Allocates and initialises every buffer (and so touches every page up front).
    public init(configuration c: OrderBookConfiguration) throws(OrderBookConfigurationError) {
        guard c.maxOrders >= 1, c.maxOrders <= 1 << 30 else {
            throw OrderBookConfigurationError("maxOrders \(c.maxOrders) not in 1...\(1 << 30)")
        }
        guard c.maxLocates >= 1, c.maxLocates <= 65_536 else {
            throw OrderBookConfigurationError("maxLocates \(c.maxLocates) not in 1...65536")
        }
        guard c.levelsPerSide >= 1, c.levelsPerSide <= 1 << 20 else {
            throw OrderBookConfigurationError("levelsPerSide \(c.levelsPerSide) not in 1...\(1 << 20)")
        }
        guard c.maxLevels >= 1, c.maxLevels <= 1 << 30 else {
            throw OrderBookConfigurationError("maxLevels \(c.maxLevels) not in 1...\(1 << 30)")
        }
        guard c.levelArenaSlots >= 1, c.levelArenaSlots <= Int(Int32.max) else {
            throw OrderBookConfigurationError("levelArenaSlots \(c.levelArenaSlots) not in 1...\(Int32.max)")
        }
        configuration = c

        orderCapacity = c.maxOrders
        orders = .allocate(capacity: c.maxOrders)
        for i in 0 ..< c.maxOrders {
            orders[i] = OrderSlot(ref: 0, shares: 0, level: -1, prev: -1,
                                  next: i + 1 < c.maxOrders ? Int32(i + 1) : -1, side: -1)
        }

        levelCapacity = c.maxLevels
        levels = .allocate(capacity: c.maxLevels)
        for i in 0 ..< c.maxLevels {
            levels[i] = LevelSlot(price: 0, shares: 0, head: i + 1 < c.maxLevels ? Int32(i + 1) : -1,
                                  tail: -1, count: 0, side: -1)
        }

        var bits = 1
        while (1 << bits) < 2 * c.maxOrders { bits += 1 }
        tableMask = (1 << bits) - 1
        tableShift = UInt64(64 - bits)
        table = .allocate(capacity: 1 << bits)
        table.initialize(repeating: HashSlot(key: 0, handle: -1), count: 1 << bits)

        locateCount = c.maxLocates
        sides = .allocate(capacity: 2 * c.maxLocates)
        sides.initialize(repeating: SideBook(base: 0, count: 0, sizeClass: -1), count: 2 * c.maxLocates)

        var shift = 0
        while (1 << shift) < c.levelsPerSide { shift += 1 }
        minBlockShift = shift
        arenaSlots = c.levelArenaSlots
        keys = .allocate(capacity: c.levelArenaSlots)
        keys.initialize(repeating: 0, count: c.levelArenaSlots)
        slotLevels = .allocate(capacity: c.levelArenaSlots)
        slotLevels.initialize(repeating: -1, count: c.levelArenaSlots)
        classFree = .allocate(capacity: Self.sizeClasses)
        classFree.initialize(repeating: -1, count: Self.sizeClasses)

        state = .allocate(capacity: 1)
        state.initialize(to: BookState(orderFree: 0, levelFree: 0, liveOrders: 0, liveLevels: 0,
                                       arenaBump: 0, counters: OrderBookCounters()))
    }

    deinit {
        orders.deallocate()
        levels.deallocate()
        table.deallocate()
        sides.deallocate()
        keys.deallocate()
        slotLevels.deallocate()
        classFree.deallocate()
        state.deallocate()
    }

    // MARK: - Messages

    /// Add Order (A) and Add Order with MPID (F): a new order at the back of its price level.
    public func add(locate: StockLocate, ref: OrderRef, side: Side, shares: Shares, price: Price) -> BookUpdate {
        let loc = Int(locate.rawValue)
        guard loc < locateCount else {
            state.pointee.counters.capacityExceeded &+= 1
            return BookUpdate(outcome: .capacityExceeded, bboChanged: false, side: side, locate: locate)
        }
        let probe = lookup(ref.rawValue)
        if probe.handle >= 0 {
            state.pointee.counters.duplicateRefs &+= 1
            return BookUpdate(outcome: .duplicateRef, bboChanged: false, side: side, locate: locate)
        }
        let o = state.pointee.orderFree
        guard o >= 0 else {
            state.pointee.counters.capacityExceeded &+= 1
            return BookUpdate(outcome: .capacityExceeded, bboChanged: false, side: side, locate: locate)
        }
        let sideIndex = loc &<< 1 | (side == .sell ? 1 : 0)
        let lv = findOrInsertLevel(sideIndex, price.rawValue)
        guard lv.handle >= 0 else {
            state.pointee.counters.capacityExceeded &+= 1
            return BookUpdate(outcome: .capacityExceeded, bboChanged: false, side: side, locate: locate)
        }
        state.pointee.orderFree = orders[Int(o)].next
        append(o, ref: ref.rawValue, shares: shares.rawValue, level: lv.handle)
        table[probe.slot] = HashSlot(key: ref.rawValue, handle: o)
        state.pointee.liveOrders &+= 1
        state.pointee.counters.adds &+= 1
        return BookUpdate(outcome: .applied, bboChanged: lv.isTop, side: side, locate: locate)
    }

    /// Order Executed (E) and Order Executed with Price (C): take `shares` off the order; remove
    /// it at zero. More shares than it has: removed, `overExecution`.
    public func execute(ref: OrderRef, shares: Shares) -> BookUpdate {
        reduce(ref: ref.rawValue, by: shares.rawValue, isCancel: false)
    }

    /// Order Cancel (X): take `shares` off the order; remove it at zero. More shares than it has:
    /// removed, `overExecution`.
    public func cancel(ref: OrderRef, shares: Shares) -> BookUpdate {
        reduce(ref: ref.rawValue, by: shares.rawValue, isCancel: true)
    }

    /// Order Delete (D).
    public func delete(ref: OrderRef) -> BookUpdate {
        let probe = lookup(ref.rawValue)
        let o = probe.handle
        guard o >= 0 else {
            state.pointee.counters.unknownRefs &+= 1
            return BookUpdate(outcome: .unknownRef, bboChanged: false, side: .buy, locate: StockLocate(rawValue: 0))
        }
        let lv = orders[Int(o)].level
        let sideIndex = Int(orders[Int(o)].side)
        let top = isTop(lv, sideIndex)
        unlink(o, lv)
        releaseOrder(o)
        removeSlot(probe.slot)
        state.pointee.counters.deletes &+= 1
        return BookUpdate(outcome: .applied, bboChanged: top, side: Self.side(sideIndex), locate: Self.locate(sideIndex))
    }

    /// Order Replace (U): the order `old` is replaced by `new` with new shares and price, on the
    /// same stock and side, at the back of the queue of its (new) price: it loses its priority,
    /// even at an unchanged price.
    ///
    /// - `old` unknown: `unknownRef`, nothing added (its stock and side are not known).
    /// - `new` already live (including `new == old`): `duplicateRef`, the book is unchanged.
    /// - no level left for the new price: `capacityExceeded`, the old order is removed and the
    ///   new one is not added.
    public func replace(old: OrderRef, new: OrderRef, shares: Shares, price: Price) -> BookUpdate {
        let oldProbe = lookup(old.rawValue)
        let o = oldProbe.handle
        guard o >= 0 else {
            state.pointee.counters.unknownRefs &+= 1
            return BookUpdate(outcome: .unknownRef, bboChanged: false, side: .buy, locate: StockLocate(rawValue: 0))
        }
        let lv = orders[Int(o)].level
        let sideIndex = Int(orders[Int(o)].side)
        let side = Self.side(sideIndex)
        let locate = Self.locate(sideIndex)
        let newProbe = lookup(new.rawValue)
        if newProbe.handle >= 0 {
            state.pointee.counters.duplicateRefs &+= 1
            return BookUpdate(outcome: .duplicateRef, bboChanged: false, side: side, locate: locate)
        }
        let wasTop = isTop(lv, sideIndex)
        let oldShares = orders[Int(o)].shares
        var changed: Bool
        if levels[Int(lv)].price == price.rawValue {
            // Same level: to the back of the queue, shares adjusted.
            if orders[Int(o)].next >= 0 {
                unlink(o, lv)
                append(o, ref: new.rawValue, shares: shares.rawValue, level: lv)
            } else {
                orders[Int(o)].ref = new.rawValue
                orders[Int(o)].shares = shares.rawValue
                levels[Int(lv)].shares = levels[Int(lv)].shares &- UInt64(oldShares) &+ UInt64(shares.rawValue)
            }
            changed = wasTop && oldShares != shares.rawValue
        } else {
            unlink(o, lv)
            let target = findOrInsertLevel(sideIndex, price.rawValue)
            guard target.handle >= 0 else {
                releaseOrder(o)
                removeSlot(oldProbe.slot)
                state.pointee.counters.capacityExceeded &+= 1
                return BookUpdate(outcome: .capacityExceeded, bboChanged: wasTop, side: side, locate: locate)
            }
            append(o, ref: new.rawValue, shares: shares.rawValue, level: target.handle)
            changed = wasTop || target.isTop
        }
        // Insert first (into an empty slot: nothing moves, oldProbe.slot stays valid), then
        // remove the old key (which may shift the new one back: fine).
        table[newProbe.slot] = HashSlot(key: new.rawValue, handle: o)
        removeSlot(oldProbe.slot)
        state.pointee.counters.replaces &+= 1
        return BookUpdate(outcome: .applied, bboChanged: changed, side: side, locate: locate)
    }

    // MARK: - Hot-path helpers

    @inline(__always)
    static func side(_ sideIndex: Int) -> Side { sideIndex & 1 == 0 ? .buy : .sell }

    @inline(__always)
    static func locate(_ sideIndex: Int) -> StockLocate { StockLocate(rawValue: UInt16(truncatingIfNeeded: sideIndex &>> 1)) }

    /// Sort key within a side: best is largest. Asks use ~price (= -price - 1: order reversing,
    /// and defined for every Int64).
    @inline(__always)
    static func key(_ sideIndex: Int, _ price: Int64) -> Int64 { sideIndex & 1 == 0 ? price : ~price }

    /// Home slot of a reference: blocks of 16 consecutive references (a venue numbers its
    /// orders consecutively) land on 16 consecutive slots, four per cache line, so a burst of
    /// adds shares lines; each block starts at a Fibonacci-hashed position, so references that
    /// differ only in high bits, or step by a power of two, still spread over the table.
    @inline(__always)
    func home(_ key: UInt64) -> Int {
        let block = ((key &>> 4) &* 0x9E37_79B9_7F4A_7C15) &>> tableShift
        return Int(truncatingIfNeeded: block &+ (key & 15)) & tableMask
    }

    /// The slot holding `key` and its handle, or the empty slot where it would go and -1.
    @inline(__always)
    func lookup(_ key: UInt64) -> (slot: Int, handle: Int32) {
        var i = home(key)
        while true {
            let s = table[i]
            if s.handle < 0 { return (i, -1) }
            if s.key == key { return (i, s.handle) }
            i = (i &+ 1) & tableMask
        }
    }

    /// Empties slot `hole` and shifts the rest of its cluster back (backward-shift deletion): an
    /// entry moves into the hole unless its home lies cyclically in (hole, its slot].
    @inline(__always)
    func removeSlot(_ slot: Int) {
        var hole = slot
        var j = slot
        while true {
            j = (j &+ 1) & tableMask
            let s = table[j]
            if s.handle < 0 { break }
            let h = home(s.key)
            let stays = hole <= j ? (hole < h && h <= j) : (hole < h || h <= j)
            if !stays {
                table[hole] = s
                hole = j
            }
        }
        table[hole].handle = -1
    }

    @inline(__always)
    func isTop(_ level: Int32, _ sideIndex: Int) -> Bool {
        let sb = sides[sideIndex]
        return slotLevels[Int(sb.base) &+ Int(sb.count) &- 1] == level
    }

    /// Index of `key` in keys[base ..< base + n] (ascending), or the index where it would go.
    @inline(__always)
    func search(_ base: Int, _ n: Int, _ key: Int64) -> (index: Int, found: Bool) {
        let k = keys + base
        var i = n &- 1
        let stop = n > 8 ? n &- 8 : 0
        while i >= stop {
            let v = k[i]
            if v <= key { return v == key ? (i, true) : (i &+ 1, false) }
            i &-= 1
        }
        var lo = 0
        var hi = stop
        while lo < hi {
            let mid = (lo &+ hi) &>> 1
            if k[mid] < key { lo = mid &+ 1 } else { hi = mid }
        }
        return (lo, lo < stop && k[lo] == key)
    }

    /// The level of `price` on this side, made (and inserted in order) if missing; handle -1 if
    /// no level or arena room is left. `isTop`: the level is now the side's best.
    @inline(__always)
    func findOrInsertLevel(_ sideIndex: Int, _ price: Int64) -> (handle: Int32, isTop: Bool) {
        let key = Self.key(sideIndex, price)
        var sb = sides[sideIndex]
        let n = Int(sb.count)
        let at = search(Int(sb.base), n, key)
        if at.found { return (slotLevels[Int(sb.base) &+ at.index], at.index == n &- 1) }
        let lv = state.pointee.levelFree
        guard lv >= 0 else { return (-1, false) }
        if sb.sizeClass < 0 || n == (1 &<< (minBlockShift &+ Int(sb.sizeClass))) {
            guard grow(sideIndex) else { return (-1, false) }
            sb = sides[sideIndex]
        }
        state.pointee.levelFree = levels[Int(lv)].head
        levels[Int(lv)] = LevelSlot(price: price, shares: 0, head: -1, tail: -1, count: 0, side: Int32(truncatingIfNeeded: sideIndex))
        let base = Int(sb.base)
        var i = n
        while i > at.index {
            keys[base &+ i] = keys[base &+ i &- 1]
            slotLevels[base &+ i] = slotLevels[base &+ i &- 1]
            i &-= 1
        }
        keys[base &+ at.index] = key
        slotLevels[base &+ at.index] = lv
        sides[sideIndex].count = Int32(truncatingIfNeeded: n &+ 1)
        state.pointee.liveLevels &+= 1
        return (lv, at.index == n)
    }

    /// Appends order slot `o` at the tail of `level` with the given ref and shares.
    @inline(__always)
    func append(_ o: Int32, ref: UInt64, shares: UInt32, level: Int32) {
        let tail = levels[Int(level)].tail
        orders[Int(o)] = OrderSlot(ref: ref, shares: shares, level: level, prev: tail, next: -1,
                                   side: levels[Int(level)].side)
        if tail >= 0 { orders[Int(tail)].next = o } else { levels[Int(level)].head = o }
        levels[Int(level)].tail = o
        levels[Int(level)].count &+= 1
        levels[Int(level)].shares &+= UInt64(shares)
    }

    /// Unlinks order `o` from `level`; removes and frees the level when it empties.
    @inline(__always)
    func unlink(_ o: Int32, _ level: Int32) {
        let prev = orders[Int(o)].prev
        let next = orders[Int(o)].next
        if prev >= 0 { orders[Int(prev)].next = next } else { levels[Int(level)].head = next }
        if next >= 0 { orders[Int(next)].prev = prev } else { levels[Int(level)].tail = prev }
        levels[Int(level)].shares &-= UInt64(orders[Int(o)].shares)
        levels[Int(level)].count &-= 1
        if levels[Int(level)].count == 0 { removeLevel(level) }
    }

    func removeLevel(_ level: Int32) {
        let sideIndex = Int(levels[Int(level)].side)
        let sb = sides[sideIndex]
        let base = Int(sb.base)
        let n = Int(sb.count)
        let at = search(base, n, Self.key(sideIndex, levels[Int(level)].price))
        // at.found always holds for a live level.
        var i = at.index
        while i < n &- 1 {
            keys[base &+ i] = keys[base &+ i &+ 1]
            slotLevels[base &+ i] = slotLevels[base &+ i &+ 1]
            i &+= 1
        }
        sides[sideIndex].count = Int32(truncatingIfNeeded: n &- 1)
        levels[Int(level)].side = -1
        levels[Int(level)].head = state.pointee.levelFree
        state.pointee.levelFree = level
        state.pointee.liveLevels &-= 1
    }

    @inline(__always)
    func releaseOrder(_ o: Int32) {
        orders[Int(o)].level = -1
        orders[Int(o)].next = state.pointee.orderFree
        state.pointee.orderFree = o
        state.pointee.liveOrders &-= 1
    }

    @inline(__always)
    func reduce(ref: UInt64, by n: UInt32, isCancel: Bool) -> BookUpdate {
        let probe = lookup(ref)
        let o = probe.handle
        guard o >= 0 else {
            state.pointee.counters.unknownRefs &+= 1
            return BookUpdate(outcome: .unknownRef, bboChanged: false, side: .buy, locate: StockLocate(rawValue: 0))
        }
        if isCancel { state.pointee.counters.cancels &+= 1 } else { state.pointee.counters.executes &+= 1 }
        let lv = orders[Int(o)].level
        let sideIndex = Int(orders[Int(o)].side)
        let top = isTop(lv, sideIndex)
        let have = orders[Int(o)].shares
        if n < have {
            orders[Int(o)].shares = have &- n
            levels[Int(lv)].shares &-= UInt64(n)
            return BookUpdate(outcome: .applied, bboChanged: top && n != 0, side: Self.side(sideIndex), locate: Self.locate(sideIndex))
        }
        unlink(o, lv)
        releaseOrder(o)
        removeSlot(probe.slot)
        var outcome = BookOutcome.applied
        if n > have {
            outcome = .overExecution
            state.pointee.counters.overExecutions &+= 1
        }
        return BookUpdate(outcome: outcome, bboChanged: top, side: Self.side(sideIndex), locate: Self.locate(sideIndex))
    }

    // MARK: - Level arena

    /// Moves the side to a block of the next size class (its first block if it has none).
    func grow(_ sideIndex: Int) -> Bool {
        let sb = sides[sideIndex]
        let newClass = Int(sb.sizeClass) + 1
        guard newClass < Self.sizeClasses else { return false }
        let newBase = allocateBlock(newClass)
        guard newBase >= 0 else { return false }
        let n = Int(sb.count)
        let old = Int(sb.base)
        for i in 0 ..< n {
            keys[newBase &+ i] = keys[old &+ i]
            slotLevels[newBase &+ i] = slotLevels[old &+ i]
        }
        if sb.sizeClass >= 0 { freeBlock(old, Int(sb.sizeClass)) }
        sides[sideIndex] = SideBook(base: Int32(truncatingIfNeeded: newBase), count: sb.count,
                                    sizeClass: Int32(truncatingIfNeeded: newClass))
        return true
    }

    /// A block of `minBlock << sizeClass` slots: from the class's free list, the bump pointer,
    /// or split from a larger free block; -1 if none.
    func allocateBlock(_ sizeClass: Int) -> Int {
        let head = classFree[sizeClass]
        if head >= 0 {
            classFree[sizeClass] = Int32(truncatingIfNeeded: keys[Int(head)])
            return Int(head)
        }
        let size = 1 &<< (minBlockShift &+ sizeClass)
        let bump = state.pointee.arenaBump
        if bump <= arenaSlots &- size {
            state.pointee.arenaBump = bump &+ size
            return bump
        }
        var c = sizeClass &+ 1
        while c < Self.sizeClasses, classFree[c] < 0 { c &+= 1 }
        guard c < Self.sizeClasses else { return -1 }
        let base = Int(classFree[c])
        classFree[c] = Int32(truncatingIfNeeded: keys[base])
        // Keep the lower half at each step down; free the upper halves.
        while c > sizeClass {
            c &-= 1
            freeBlock(base &+ (1 &<< (minBlockShift &+ c)), c)
        }
        return base
    }

    func freeBlock(_ base: Int, _ sizeClass: Int) {
        keys[base] = Int64(classFree[sizeClass])
        classFree[sizeClass] = Int32(truncatingIfNeeded: base)
    }
}
