// L3 order book: every live order of every stock, in price-time priority, fed by decoded ITCH 5.0
// messages (A/F add, E/C execute, X cancel, D delete, U replace).
//
// DESIGN NOTE: the layout, and why
//
// Everything is preallocated in init from OrderBookConfiguration and freed in deinit; the class
// is the single owner of every buffer. Buffers are UnsafeMutablePointers held in `let`
// properties: no ARC, no exclusivity checks, no bounds checks, no existentials or closures and
// no growth on the hot path. The few mutable scalars (free-list heads, counters) live in one
// allocated `BookState`. Buffers of 2 MiB and more are 2 MiB aligned and advised to transparent
// huge pages (fewer TLB misses on tables hit at random). Init writes every slot, so every page
// is faulted in before the first message.
//
// Handles. Orders and levels are slots of two arrays, named by Int32 handles (-1 = none). Free
// slots are chained through a link field into a LIFO free list, so taking and returning a slot
// is two stores, and the slot reused is the one freed last (still in cache). Int32 links halve
// the size of 64-bit pointers. An order slot is 32 bytes (ref, shares, level, prev, next, side),
// two per cache line, never straddling one; a level slot is 32 bytes (price, total shares, head,
// tail, order count, side).
//
// Orders by reference: an open-addressing table of (ref, handle) slots, a power of two of at least
// 2 x maxOrders (load <= 1/2: short probes, and a miss always meets an empty slot) and, when the
// day's peak is known, of 8 x that peak (`peakOrders`: the dense runs of recent references rarely
// meet at load <= 1/8), linear probing in Robin Hood order: each slot keeps its distance from the
// key's home, an insert takes the place of the first entry nearer its home than the new key and
// moves the rest of the run on by one, so along a run the homes never decrease. A search ends at
// the first entry nearer its home than the probe. Deletion shifts the following entries back into
// the hole (no tombstones) and stops at an empty slot or at an entry at its home, so the table
// does not degrade over a day of hundreds of millions of adds and deletes, and deleting from a run
// of consecutive references (every entry at its home) moves nothing. Measured (bench book, deep
// day, 264,000 live orders): plain linear probing scanned 7.2 slots per deletion at load 1/4 (a
// book sized for 500,000 orders) and 1.8 at 1/32, and ran 25% slower at the higher load. The home
// slot keeps the venue's numbering local: NASDAQ numbers orders in interleaved sequences stepping
// by 4, so the ref is rotated right by 2 and blocks of 256 consecutive refs of one sequence land
// on 256 consecutive slots (4 KiB: one page, 4 slots per cache line), so the orders placed in the
// same stretch of time share lines and TLB entries; each block starts at a Fibonacci-hashed
// position (x * 2^64/phi, top bits), so refs that differ only in high bits or step by larger
// powers of two still spread over the table. Measured on the simulator's day (bench book,
// alternating builds in one session): 256-slot blocks 13.2-14.4 M msgs/s against 10.1-11.1 M with
// 16-slot blocks, whose random placement touched a new page every 16 orders.
//
// FIFO queue per level: a doubly linked list through the orders' prev/next handles, head and
// tail in the level. Append at the tail and unlink anywhere in O(1) (delete, full execute,
// replace); walk from the head for queue position. A level keeps its total shares and order
// count, so top-of-book and level queries never walk a queue.
//
// Levels per stock and side: a sorted array of (key, level handle) entries, 16 bytes, best at
// the END. The key is the price for bids and ~price (= -price - 1) for asks, so both sides sort
// ascending with the best (largest key) last: most adds, deletes and new levels are at or near
// the touch, where an insert or removal moves only the few entries behind it, and a search scans
// the last 8 entries before a binary search of the rest. Key and handle share a cache line. The
// side record (32 bytes per stock and side) also keeps a copy of its best entry, so an add at the
// touch and the top-of-book check never read the array.
//
// Level arena: the sorted arrays of all sides share one preallocated arena of power-of-two
// blocks (the smallest is `levelsPerSide` rounded up). A side gets its first block on its first
// add; a full side moves to a block twice as large (a copy inside the arena) and returns the old
// block to the free list of its size class. A class with no free block is cut from the bump
// pointer, else split from a larger free block. So a stock with thousands of levels costs the
// other 8,000 nothing, and nothing is allocated from the system after init. A side that empties
// keeps its block: books refill.
//
// Top-of-book notification: a message touches one order, hence one side, so only that side's
// best can change. Whether it did is decided from handles (was the order's level the side's top?
// is the level it joined the top now?), never by diffing, and returned with the locate and side
// in `BookUpdate`.
//
// Replace (U) reuses the old order's slot for the new reference: the table gets the new key,
// the order is unlinked and appended at the tail of the level of its new price (of its own level
// when the price is unchanged: it loses its priority either way).
//
// Anomalies never trap: unknown references, duplicate adds, over-executions and refused adds
// (capacity, locate range) are returned and counted.
public import TickwireCore
#if os(Linux)
import Glibc
#endif

/// An order slot: 32 bytes, two per cache line and never straddling one. `next` also chains
/// free slots.
struct OrderSlot {
    var ref: UInt64
    var shares: UInt32
    var level: Int32
    var prev: Int32
    var next: Int32
    /// locate << 1 | (sell ? 1 : 0), as in LevelSlot.side: the top-of-book check and the level
    /// search need not wait for the level's cache line.
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

/// An open-addressing slot; `handle < 0` means empty. `distance` is how far the slot lies past
/// the key's home (in the padding a 16-byte slot has anyway): the Robin Hood order is kept from
/// it, and a deletion stops at the first entry that sits at its home.
@usableFromInline
struct HashSlot {
    var key: UInt64
    var handle: Int32
    var distance: Int32
}

/// One entry of a side's sorted level array: the sort key and the level handle, side by side
/// so that finding a level costs one cache line, not two.
struct SideEntry {
    var key: Int64
    var level: Int32
    var unused: Int32 = 0
}

/// One side of one stock: its block in the level arena, how many levels it holds, and a copy
/// of its best entry (so that the touch is found, and top-of-book checked, without reading the
/// arena). 32 bytes.
struct SideBook {
    var base: Int32
    var count: Int32
    /// Size class of the block (capacity = minimum block << sizeClass); -1 = no block yet.
    var sizeClass: Int32
    /// The best level's handle (-1 when empty) and key.
    var topLevel: Int32
    var topKey: Int64
    var unused: Int64 = 0
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
    @usableFromInline let table: UnsafeMutablePointer<HashSlot>
    @usableFromInline let tableMask: Int
    @usableFromInline let tableShift: UInt64
    let sides: UnsafeMutablePointer<SideBook>
    let locateCount: Int
    /// Level arena: every side's sorted (key, level) array lives in a block of it.
    let entries: UnsafeMutablePointer<SideEntry>
    let arenaSlots: Int
    let minBlockShift: Int
    /// Free block list head per size class (-1 = empty); the next link is kept in
    /// entries[base].level.
    let classFree: UnsafeMutablePointer<Int32>
    static let sizeClasses = 40
    /// Byte offsets of the queue links in the slots (`unlink` writes them through raw pointers;
    /// init checks them against the layout).
    static var nextOffset: Int { 20 }
    static var prevOffset: Int { 16 }
    static var headOffset: Int { 16 }
    static var tailOffset: Int { 20 }
    @usableFromInline static let blockBits: UInt64 = 8
    @usableFromInline static let blockMask: UInt64 = (1 << blockBits) - 1
    let state: UnsafeMutablePointer<BookState>
    /// Per locate: 1 once a capacity overflow refused one of its messages. Its book has missed
    /// an order (or lost one on a replace) and stays wrong from then on: unusable until restart.
    let unusable: UnsafeMutablePointer<UInt8>

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
        precondition(MemoryLayout<OrderSlot>.offset(of: \OrderSlot.next) == Self.nextOffset
                     && MemoryLayout<OrderSlot>.offset(of: \OrderSlot.prev) == Self.prevOffset
                     && MemoryLayout<LevelSlot>.offset(of: \LevelSlot.head) == Self.headOffset
                     && MemoryLayout<LevelSlot>.offset(of: \LevelSlot.tail) == Self.tailOffset, "slot layout")

        orderCapacity = c.maxOrders
        orders = BookMemory.allocate(OrderSlot.self, count: c.maxOrders)
        for i in 0 ..< c.maxOrders {
            (orders + i).initialize(to: OrderSlot(ref: 0, shares: 0, level: -1, prev: -1,
                                                  next: i + 1 < c.maxOrders ? Int32(i + 1) : -1, side: -1))
        }

        levelCapacity = c.maxLevels
        levels = BookMemory.allocate(LevelSlot.self, count: c.maxLevels)
        for i in 0 ..< c.maxLevels {
            (levels + i).initialize(to: LevelSlot(price: 0, shares: 0, head: i + 1 < c.maxLevels ? Int32(i + 1) : -1,
                                                  tail: -1, count: 0, side: -1))
        }

        var bits = 1
        // Load at most 1/2 at capacity, and at most 1/8 at a known peak (`peakOrders`); at most
        // 2^31 slots (32 GiB) beyond what the capacity needs.
        let slots = max(2 * c.maxOrders, min(8 * min(max(c.peakOrders ?? 0, 0), c.maxOrders), 1 << 31))
        while (1 << bits) < slots { bits += 1 }
        tableMask = (1 << bits) - 1
        tableShift = UInt64(64 - bits)
        table = BookMemory.allocate(HashSlot.self, count: 1 << bits)
        table.initialize(repeating: HashSlot(key: 0, handle: -1, distance: 0), count: 1 << bits)

        locateCount = c.maxLocates
        unusable = .allocate(capacity: c.maxLocates)
        unusable.initialize(repeating: 0, count: c.maxLocates)
        sides = BookMemory.allocate(SideBook.self, count: 2 * c.maxLocates)
        sides.initialize(repeating: SideBook(base: 0, count: 0, sizeClass: -1, topLevel: -1, topKey: .min),
                         count: 2 * c.maxLocates)

        var shift = 0
        while (1 << shift) < c.levelsPerSide { shift += 1 }
        minBlockShift = shift
        arenaSlots = c.levelArenaSlots
        entries = BookMemory.allocate(SideEntry.self, count: c.levelArenaSlots)
        entries.initialize(repeating: SideEntry(key: 0, level: -1), count: c.levelArenaSlots)
        classFree = .allocate(capacity: Self.sizeClasses)
        classFree.initialize(repeating: -1, count: Self.sizeClasses)

        state = .allocate(capacity: 1)
        state.initialize(to: BookState(orderFree: 0, levelFree: 0, liveOrders: 0, liveLevels: 0,
                                       arenaBump: 0, counters: OrderBookCounters()))
    }

    deinit {
        BookMemory.deallocate(orders)
        BookMemory.deallocate(levels)
        BookMemory.deallocate(table)
        BookMemory.deallocate(sides)
        BookMemory.deallocate(entries)
        classFree.deallocate()
        state.deallocate()
        unusable.deallocate()
    }

    // MARK: - Messages

    /// Add Order (A) and Add Order with MPID (F): a new order at the back of its price level.
    public func add(locate: StockLocate, ref: OrderRef, side: Side, shares: Shares, price: Price) -> BookUpdate {
        let loc = Int(locate.rawValue)
        guard loc < locateCount else {
            state.pointee.counters.capacityExceeded &+= 1
            state.pointee.counters.locatesOutOfRange &+= 1
            return BookUpdate(outcome: .capacityExceeded, bboChanged: false, side: side, locate: locate)
        }
        let probe = lookup(ref.rawValue)
        if probe.handle >= 0 {
            state.pointee.counters.duplicateRefs &+= 1
            return BookUpdate(outcome: .duplicateRef, bboChanged: false, side: side, locate: locate)
        }
        let o = state.pointee.orderFree
        guard o >= 0 else {
            markUnusable(loc)
            return BookUpdate(outcome: .capacityExceeded, bboChanged: false, side: side, locate: locate)
        }
        let sideIndex = loc &<< 1 | (side == .sell ? 1 : 0)
        let lv = findOrInsertLevel(sideIndex, price.rawValue)
        guard lv.handle >= 0 else {
            markUnusable(loc)
            return BookUpdate(outcome: .capacityExceeded, bboChanged: false, side: side, locate: locate)
        }
        state.pointee.orderFree = orders[Int(o)].next
        append(o, ref: ref.rawValue, shares: shares.rawValue, level: lv.handle, side: sideIndex)
        insertSlot(probe.slot, key: ref.rawValue, handle: o)
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
                append(o, ref: new.rawValue, shares: shares.rawValue, level: lv, side: sideIndex)
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
                markUnusable(Int(locate.rawValue))
                return BookUpdate(outcome: .capacityExceeded, bboChanged: wasTop, side: side, locate: locate)
            }
            append(o, ref: new.rawValue, shares: shares.rawValue, level: target.handle, side: sideIndex)
            changed = wasTop || target.isTop
        }
        // The old key leaves first (its removal may shift the new key's place back by one), then
        // the new key goes where the table's order puts it now (the same lines: cached).
        removeSlot(oldProbe.slot)
        insertSlot(lookup(new.rawValue).slot, key: new.rawValue, handle: o)
        state.pointee.counters.replaces &+= 1
        return BookUpdate(outcome: .applied, bboChanged: changed, side: side, locate: locate)
    }

    /// A capacity overflow refused a message of stock `loc`: counted, and its book marked
    /// unusable (cold: it happens once per stock at most).
    func markUnusable(_ loc: Int) {
        state.pointee.counters.capacityExceeded &+= 1
        if unusable[loc] == 0 {
            unusable[loc] = 1
            state.pointee.counters.unusableBooks &+= 1
        }
    }

    /// False once a capacity overflow refused a message of this stock (its book missed an order
    /// and cannot be trusted), and for a locate beyond the book's range.
    @inline(__always)
    public func isUsable(_ locate: StockLocate) -> Bool {
        let loc = Int(locate.rawValue)
        return loc < locateCount && unusable[loc] == 0
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

    /// Home slot of a reference. NASDAQ numbers orders in a few interleaved sequences that step
    /// by 4 (the low two bits name the sequence), so the reference is first rotated right by 2:
    /// then 256 consecutive references of one sequence land on 256 consecutive slots (one page;
    /// four per cache line, so a burst of adds shares lines), and each block starts at a
    /// Fibonacci-hashed position, so references differing only in high bits, or stepping by
    /// other powers of two, still spread over the whole table.
    @inline(__always)
    @inlinable
    func home(_ key: UInt64) -> Int {
        let r = (key &>> 2) | (key &<< 62)
        let block = ((r &>> Self.blockBits) &* 0x9E37_79B9_7F4A_7C15) &>> tableShift
        return Int(truncatingIfNeeded: block &+ (r & Self.blockMask)) & tableMask
    }

    /// The slot holding `key` and its handle; else -1 and the slot where `key` belongs
    /// (`insertSlot`).
    ///
    /// Robin Hood order: along a run of occupied slots the entries' homes never decrease, so an
    /// entry nearer its home than the probe is to `key`'s home is past where `key` would be, and
    /// the search ends there (or at an empty slot).
    @inline(__always)
    func lookup(_ key: UInt64) -> (slot: Int, handle: Int32) {
        var i = home(key)
        var d: Int32 = 0
        while true {
            let s = table[i]
            if s.handle < 0 || s.distance < d { return (i, -1) }
            if s.key == key { return (i, s.handle) }
            i = (i &+ 1) & tableMask
            d &+= 1
        }
    }

    /// Puts `key` at `slot`, the place `lookup` found for it: the entries from there to the end
    /// of the run move one slot on (their order kept, each one further from home).
    @inline(__always)
    func insertSlot(_ slot: Int, key: UInt64, handle: Int32) {
        var carry = HashSlot(key: key, handle: handle, distance: Int32(truncatingIfNeeded: (slot &- home(key)) & tableMask))
        var i = slot
        while true {
            let s = table[i]
            table[i] = carry
            if s.handle < 0 { return }
            carry = HashSlot(key: s.key, handle: s.handle, distance: s.distance &+ 1)
            i = (i &+ 1) & tableMask
        }
    }

    /// Empties `slot` and moves the entries after it back by one until an empty slot or an
    /// entry at its home (backward-shift deletion; Robin Hood order lets it stop there: in a run
    /// of references numbered in sequence every entry sits at its home, so a delete moves none).
    @inline(__always)
    func removeSlot(_ slot: Int) {
        var hole = slot
        while true {
            let j = (hole &+ 1) & tableMask
            let s = table[j]
            if s.handle < 0 || s.distance == 0 { break }
            table[hole] = HashSlot(key: s.key, handle: s.handle, distance: s.distance &- 1)
            hole = j
        }
        table[hole].handle = -1
        table[hole].distance = 0
    }

    @inline(__always)
    func isTop(_ level: Int32, _ sideIndex: Int) -> Bool { sides[sideIndex].topLevel == level }

    /// Index of `key` in entries[base ..< base + n] (ascending keys), or where it would go.
    /// Scans the last 8 (the touch) linearly, then binary-searches the rest.
    @inline(__always)
    func search(_ base: Int, _ n: Int, _ key: Int64) -> (index: Int, found: Bool) {
        let e = entries + base
        var i = n &- 1
        let stop = n > 8 ? n &- 8 : 0
        while i >= stop {
            let v = e[i].key
            if v <= key { return v == key ? (i, true) : (i &+ 1, false) }
            i &-= 1
        }
        var lo = 0
        var hi = stop
        while lo < hi {
            let mid = (lo &+ hi) &>> 1
            if e[mid].key < key { lo = mid &+ 1 } else { hi = mid }
        }
        return (lo, lo < stop && e[lo].key == key)
    }

    /// The level of `price` on this side, made (and inserted in order) if missing; handle -1 if
    /// no level or arena room is left. `isTop`: the level is now the side's best.
    @inline(__always)
    func findOrInsertLevel(_ sideIndex: Int, _ price: Int64) -> (handle: Int32, isTop: Bool) {
        let key = Self.key(sideIndex, price)
        let sb = sides[sideIndex]
        let n = Int(sb.count)
        var index = n
        if n > 0 && key <= sb.topKey {
            if key == sb.topKey { return (sb.topLevel, true) }
            // Below the touch: search the rest (the top entry is known to be larger).
            let at = search(Int(sb.base), n &- 1, key)
            if at.found { return (entries[Int(sb.base) &+ at.index].level, false) }
            index = at.index
        }
        return insertLevel(sideIndex, price, key, index)
    }

    /// A new level at `index` of the side's array (`index == count`: the new best).
    func insertLevel(_ sideIndex: Int, _ price: Int64, _ key: Int64, _ index: Int) -> (handle: Int32, isTop: Bool) {
        let lv = state.pointee.levelFree
        guard lv >= 0 else { return (-1, false) }
        var sb = sides[sideIndex]
        let n = Int(sb.count)
        if sb.sizeClass < 0 || n == (1 &<< (minBlockShift &+ Int(sb.sizeClass))) {
            guard grow(sideIndex) else { return (-1, false) }
            sb = sides[sideIndex]
        }
        state.pointee.levelFree = levels[Int(lv)].head
        levels[Int(lv)] = LevelSlot(price: price, shares: 0, head: -1, tail: -1, count: 0,
                                    side: Int32(truncatingIfNeeded: sideIndex))
        let e = entries + Int(sb.base)
        var i = n
        while i > index {
            e[i] = e[i &- 1]
            i &-= 1
        }
        e[index] = SideEntry(key: key, level: lv)
        sides[sideIndex].count = Int32(truncatingIfNeeded: n &+ 1)
        if index == n {
            sides[sideIndex].topLevel = lv
            sides[sideIndex].topKey = key
        }
        state.pointee.liveLevels &+= 1
        return (lv, index == n)
    }

    /// Appends order slot `o` at the tail of `level` with the given ref and shares.
    @inline(__always)
    func append(_ o: Int32, ref: UInt64, shares: UInt32, level: Int32, side: Int) {
        let tail = levels[Int(level)].tail
        orders[Int(o)] = OrderSlot(ref: ref, shares: shares, level: level, prev: tail, next: -1,
                                   side: Int32(truncatingIfNeeded: side))
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
        // The link to rewrite on each side is the neighbour's, or the level's head or tail at an
        // end of the queue: chosen by a select, not a branch (whether an order is first or last
        // in its queue follows no pattern a predictor learns; callgrind's branch simulation
        // counted 0.9 mispredictions a delete on the two branches this replaces).
        let lv = UnsafeMutableRawPointer(levels + Int(level))
        let before = prev >= 0 ? UnsafeMutableRawPointer(orders + Int(max(prev, 0))) + Self.nextOffset : lv + Self.headOffset
        let after = next >= 0 ? UnsafeMutableRawPointer(orders + Int(max(next, 0))) + Self.prevOffset : lv + Self.tailOffset
        before.storeBytes(of: next, as: Int32.self)
        after.storeBytes(of: prev, as: Int32.self)
        levels[Int(level)].shares &-= UInt64(orders[Int(o)].shares)
        levels[Int(level)].count &-= 1
        if levels[Int(level)].count == 0 { removeLevel(level) }
    }

    func removeLevel(_ level: Int32) {
        let sideIndex = Int(levels[Int(level)].side)
        let sb = sides[sideIndex]
        let base = Int(sb.base)
        let n = Int(sb.count)
        if sb.topLevel == level {
            if n > 1 {
                let next = entries[base &+ n &- 2]
                sides[sideIndex].topLevel = next.level
                sides[sideIndex].topKey = next.key
            } else {
                sides[sideIndex].topLevel = -1
                sides[sideIndex].topKey = .min
            }
        } else {
            // A live level is always found.
            let at = search(base, n &- 1, Self.key(sideIndex, levels[Int(level)].price))
            let e = entries + base
            var i = at.index
            while i < n &- 1 {
                e[i] = e[i &+ 1]
                i &+= 1
            }
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
        for i in 0 ..< n { entries[newBase &+ i] = entries[old &+ i] }
        if sb.sizeClass >= 0 { freeBlock(old, Int(sb.sizeClass)) }
        sides[sideIndex].base = Int32(truncatingIfNeeded: newBase)
        sides[sideIndex].sizeClass = Int32(truncatingIfNeeded: newClass)
        return true
    }

    /// A block of `minBlock << sizeClass` slots: from the class's free list, the bump pointer,
    /// or split from a larger free block; -1 if none.
    func allocateBlock(_ sizeClass: Int) -> Int {
        let head = classFree[sizeClass]
        if head >= 0 {
            classFree[sizeClass] = entries[Int(head)].level
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
        classFree[c] = entries[base].level
        // Keep the lower half at each step down; free the upper halves.
        while c > sizeClass {
            c &-= 1
            freeBlock(base &+ (1 &<< (minBlockShift &+ c)), c)
        }
        return base
    }

    func freeBlock(_ base: Int, _ sizeClass: Int) {
        entries[base].level = classFree[sizeClass]
        classFree[sizeClass] = Int32(truncatingIfNeeded: base)
    }
}

/// Big buffers: 2 MiB aligned and, on Linux, advised to transparent huge pages (fewer TLB
/// misses on tables of tens of megabytes that are hit at random).
enum BookMemory {
    static let hugePage = 2 << 20

    static func allocate<T>(_ type: T.Type, count: Int) -> UnsafeMutablePointer<T> {
        let bytes = max(count, 1) * MemoryLayout<T>.stride
        if bytes < hugePage {
            return UnsafeMutablePointer<T>.allocate(capacity: max(count, 1))
        }
        let rounded = (bytes + hugePage - 1) & ~(hugePage - 1)
        let raw = UnsafeMutableRawPointer.allocate(byteCount: rounded, alignment: hugePage)
        #if os(Linux)
        _ = madvise(raw, rounded, MADV_HUGEPAGE)
        #endif
        return raw.bindMemory(to: T.self, capacity: count)
    }

    static func deallocate<T>(_ pointer: UnsafeMutablePointer<T>) {
        UnsafeMutableRawPointer(pointer).deallocate()
    }
}
