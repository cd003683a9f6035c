// The gateway's receive path end to end, against a venue that says anything: a script of the
// strategy's requests (orders, cancels, replaces) and of venue output (OUCH messages built from
// fuzzed fields about our own orders, raw OUCH payloads, raw SoupBinTCP stream bytes, heartbeats,
// hang-ups and reconnects) drives one `OrderGateway` with pre-trade risk over a `ScriptedVenue`:
// SoupBinTCP framing -> OUCH decode -> venue checks -> order store -> risk -> positions.
//
// Input: byte 0 is the configuration (bit 0: OUCH 5.0 instead of 4.2; bit 1: the venue answers
// requests honestly, as `EchoResponder`; bit 2: real-session mode, the venue simulator's
// symbols SYN0001..SYN0003 and absolute shares and prices in new orders and replaces, the form
// of the seeds `tools/gateway_seed.py` makes from a real session's capture); then operations,
// each an opcode byte and its arguments (missing bytes read as 0). See `Script.step`.
//
// Invariants, checked after every operation (a failed precondition is a finding):
// - positions equal the sum of the fills the gateway reported (per symbol: the gateway's own and
//   risk's, unless risk has flagged an overflow), and every order's filled shares equal the sum
//   of its reported executions;
// - no order is open at the venue in our books unless the venue accepted it (an Accepted, an
//   adoption or a Replaced naming it was reported);
// - counters add up: executions counted = executions reported; for every order filled <=
//   quantity and leaves <= quantity - filled; the store's open count is the number of open
//   orders it lists;
// - a venue violation always leaves the kill switch fired, and nothing traps.
#if canImport(Glibc)
import Glibc
#endif
import OrderEntry
import Risk
import TestSupport
import TickwireCore

let scriptedSymbols: [Alpha8] = [.blank, Alpha8("AAA")!, Alpha8("BBB")!, Alpha8("CCC")!]
/// The venue simulator's first three (`tickwire exchange`, `tickwire gateway --symbols 3`).
let venueSymbols: [Alpha8] = [.blank, Alpha8("SYN0001")!, Alpha8("SYN0002")!, Alpha8("SYN0003")!]

/// What the gateway reported, for the invariants.
struct Ledger: GatewayListener {
    var fills = [Int64](repeating: 0, count: 4)
    var filledByOrder: [UInt32: UInt64] = [:]
    var acknowledged: Set<UInt32> = []
    var executions: UInt64 = 0
    mutating func gateway(_ event: GatewayEvent, sequence: UInt64) {
        switch event {
        case .executed(let id, let locate, let side, let shares, _, _):
            executions += 1
            filledByOrder[id, default: 0] += UInt64(shares)
            let l = Int(locate.rawValue)
            if l < fills.count { fills[l] += side == .buy ? Int64(shares) : -Int64(shares) }
        case .accepted(let id, _), .adopted(let id, _):
            acknowledged.insert(id)
        case .replaced(_, let new, _):
            acknowledged.insert(new)
        default:
            break
        }
    }
}

/// Reads the script's bytes; past the end, zeros.
struct Reader {
    let data: UnsafeBufferPointer<UInt8>
    var at = 0
    var done: Bool { at >= data.count }
    mutating func u8() -> UInt8 {
        defer { at += 1 }
        return at < data.count ? data[at] : 0
    }
    mutating func u16() -> UInt16 { UInt16(u8()) << 8 | UInt16(u8()) }
    mutating func u32() -> UInt32 { UInt32(u16()) << 16 | UInt32(u16()) }
    mutating func u64() -> UInt64 { UInt64(u32()) << 32 | UInt64(u32()) }
    mutating func bytes(_ n: Int) -> [UInt8] { (0..<n).map { _ in u8() } }
}

final class Script {
    let version: OUCHVersion
    let g: OrderGateway<ScriptedVenue>
    let risk: RiskEngine
    let responder: EchoResponder?
    var venue: ScriptedVenue
    var ledger = Ledger()
    /// Order numbers the gateway gave out (new orders and replacements).
    var ours: [UInt32] = []
    var now: Int64 = 1_000_000

    let symbols: [Alpha8]
    /// Real-session mode: absolute shares and prices (u32 each) in new orders and replaces.
    let absolute: Bool

    init(config: UInt8) {
        version = config & 1 == 0 ? .v42 : .v50
        absolute = config & 4 != 0
        symbols = absolute ? venueSymbols : scriptedSymbols
        risk = try! RiskEngine(limits: RiskLimits(maxOrderShares: 100_000, maxOrderNotional: 1 << 50, collarBps: 10_000,
                                                  allowWithoutReference: true, maxPositionPerSymbol: 10_000_000,
                                                  maxGrossPosition: 100_000_000, maxOpenOrders: 1_000, throttleOrders: 1_000,
                                                  throttleWindowNanos: 1_000_000_000, maxLoss: 1 << 40),
                               maxLocates: symbols.count)
        g = OrderGateway<ScriptedVenue>(version: version, credentials: SoupBinTCPCredentials(username: "FUZZ", password: "x"),
                                        symbols: symbols, capacity: 1024, risk: risk)
        responder = config & 2 != 0 ? EchoResponder(version: version) : nil
        venue = responder?.venue() ?? ScriptedVenue()
        g.connect(venue, now: now)
        poll()
    }

    func poll() {
        now += 1_000
        g.poll(now: now, &ledger)
        check()
    }

    /// One of our order numbers (or, with the high bit, any number).
    func target(_ r: inout Reader) -> UInt32 {
        let b = r.u8()
        if b & 0x80 != 0 || ours.isEmpty { return b & 0x40 != 0 ? r.u32() : UInt32(b & 0x3F) }
        return ours[Int(b) % ours.count]
    }

    func shares(_ r: inout Reader, for id: UInt32) -> UInt32 {
        let o = g.store.order(id)
        switch r.u8() % 6 {
        case 0: return 0
        case 1: return 1
        case 2: return o?.leaves ?? 100
        case 3: return (o?.leaves ?? 100) &+ 1
        case 4: return max(1, (o?.leaves ?? 100) / 2)
        default: return r.u32()
        }
    }

    func price(_ r: inout Reader, for id: UInt32) -> Price {
        let p = g.store.order(id)?.price.rawValue ?? 100_000
        switch r.u8() % 7 {
        case 0: return Price(rawValue: p)
        case 1: return Price(rawValue: p - 1)
        case 2: return Price(rawValue: p + 1)
        case 3: return .zero
        case 4: return Price(rawValue: -1)
        case 5: return Price(rawValue: 1 << 62)
        default:
            let raw = Int64(bitPattern: r.u64())
            return Price(rawValue: version == .v42 ? Int64(UInt32(truncatingIfNeeded: raw)) : raw)
        }
    }

    func token(_ id: UInt32) -> Alpha14 { OrderTokens.token(id) }
    var side: OUCHSide { .buy }

    /// A venue message about order `id`, from fuzzed fields.
    func venueMessage(_ r: inout Reader) {
        let kind = r.u8() % 8
        let id = target(&r)
        let o = g.store.order(id)
        let oside: OUCHSide = o?.side == .sell ? .sell : .buy
        let symbol = o.map { symbols[Int($0.locate.rawValue) % symbols.count] } ?? symbols[1]
        let t = VenueTime(nanosSinceMidnight: UInt64(now))
        switch (version, kind) {
        case (.v42, 0):
            let n = shares(&r, for: id), p = price(&r, for: id)
            venue.sequenced(OUCH42.Accepted(timestamp: t, orderToken: token(id), side: oside, shares: Shares(rawValue: n), stock: symbol,
                                            price: p, timeInForce: 99_998, firm: .blank, display: "Y", orderReferenceNumber: OrderRef(rawValue: UInt64(id) + 1),
                                            capacity: "P", intermarketSweepEligibility: "N", minimumQuantity: Shares(rawValue: 0),
                                            crossType: "N", orderState: "L", bboWeightIndicator: " ").encode)
        case (.v42, 1):
            let n = shares(&r, for: id), p = price(&r, for: id)
            venue.sequenced(OUCH42.Executed(timestamp: t, orderToken: token(id), executedShares: Shares(rawValue: n), executionPrice: p,
                                            liquidityFlag: "A", matchNumber: UInt64(r.u16())).encode)
        case (.v42, 2):
            let n = shares(&r, for: id)
            venue.sequenced(OUCH42.Canceled(timestamp: t, orderToken: token(id), decrementShares: Shares(rawValue: n), reason: "U").encode)
        case (.v42, 3):
            let new = target(&r)
            let n = shares(&r, for: new), p = price(&r, for: new)
            venue.sequenced(OUCH42.Replaced(timestamp: t, replacementOrderToken: token(new), side: oside, shares: Shares(rawValue: n), stock: symbol,
                                            price: p, timeInForce: 99_998, firm: .blank, display: "Y", orderReferenceNumber: OrderRef(rawValue: UInt64(new) + 1),
                                            capacity: "P", intermarketSweepEligibility: "N", minimumQuantity: Shares(rawValue: 0), crossType: "N",
                                            orderState: "L", previousOrderToken: token(id), bboWeightIndicator: " ").encode)
        case (.v42, 4):
            venue.sequenced(OUCH42.Rejected(timestamp: t, orderToken: token(id), reason: "X").encode)
        case (.v42, 5):
            venue.sequenced(OUCH42.CancelReject(timestamp: t, orderToken: token(id)).encode)
        case (.v42, 6):
            let n = shares(&r, for: id)
            venue.sequenced(OUCH42.OrderModified(timestamp: t, orderToken: token(id), side: oside, shares: Shares(rawValue: n)).encode)
        case (.v50, 0):
            let n = shares(&r, for: id), p = price(&r, for: id)
            venue.sequenced(OUCH50.OrderAccepted(timestamp: t, userRefNum: id, side: oside, quantity: Shares(rawValue: n), symbol: symbol, price: p,
                                                 timeInForce: "0", display: "Y", orderReferenceNumber: OrderRef(rawValue: UInt64(id) + 1),
                                                 capacity: "P", intermarketSweepEligibility: "N", crossType: "N", orderState: "L",
                                                 clOrdID: token(id)).encode)
        case (.v50, 1):
            let n = shares(&r, for: id), p = price(&r, for: id)
            venue.sequenced(OUCH50.OrderExecuted(timestamp: t, userRefNum: id, quantity: Shares(rawValue: n), price: p, liquidityFlag: "A",
                                                 matchNumber: UInt64(r.u16())).encode)
        case (.v50, 2):
            let n = shares(&r, for: id)
            venue.sequenced(OUCH50.OrderCanceled(timestamp: t, userRefNum: id, quantity: Shares(rawValue: n), reason: "U").encode)
        case (.v50, 3):
            let new = target(&r)
            let n = shares(&r, for: new), p = price(&r, for: new)
            venue.sequenced(OUCH50.OrderReplaced(timestamp: t, origUserRefNum: id, userRefNum: new, side: oside, quantity: Shares(rawValue: n),
                                                 symbol: symbol, price: p, timeInForce: "0", display: "Y",
                                                 orderReferenceNumber: OrderRef(rawValue: UInt64(new) + 1), capacity: "P",
                                                 intermarketSweepEligibility: "N", crossType: "N", orderState: "L", clOrdID: token(new)).encode)
        case (.v50, 4):
            venue.sequenced(OUCH50.OrderRejected(timestamp: t, userRefNum: id, reason: r.u16(), clOrdID: token(id)).encode)
        case (.v50, 5):
            venue.sequenced(OUCH50.CancelReject(timestamp: t, userRefNum: id).encode)
        case (.v50, 6):
            let n = shares(&r, for: id)
            venue.sequenced(OUCH50.OrderModified(timestamp: t, userRefNum: id, side: oside, quantity: Shares(rawValue: n)).encode)
        default:
            venue.heartbeat()
        }
    }

    /// One operation; false when the script is over.
    func step(_ r: inout Reader) -> Bool {
        guard !r.done else { return false }
        switch r.u8() % 10 {
        case 0:  // a new order
            let locate = StockLocate(rawValue: UInt16(1 + r.u8() % 3))
            let flags = r.u8()
            let (n, p) = absolute ? (r.u32(), Price(rawValue: Int64(r.u32())))
                                  : (UInt32(1 + r.u16() % 1_000), Price(rawValue: 90_000 + Int64(r.u16() % 20_000)))
            if case .sent(let id) = g.submit(locate: locate, side: flags & 1 == 0 ? .buy : .sell, shares: n, price: p,
                                            kind: flags & 2 == 0 ? .day : .ioc, now: now) {
                ours.append(id)
            }
        case 1:  // a cancel, whole or partial
            let id = target(&r)
            let keep = r.u8()
            g.cancel(id: id, remaining: keep < 128 ? 0 : UInt32(keep & 0x7F), now: now)
        case 2:  // a replace
            let id = target(&r)
            let (n, p) = absolute ? (r.u32(), Price(rawValue: Int64(r.u32())))
                                  : (UInt32(1 + r.u16() % 1_000), Price(rawValue: 90_000 + Int64(r.u16() % 20_000)))
            if let new = g.replace(id: id, shares: n, price: p, now: now) { ours.append(new) }
        case 3, 4:  // a venue message from fuzzed fields
            venueMessage(&r)
        case 5:  // a raw OUCH payload as Sequenced Data
            venue.sequenced(r.bytes(Int(r.u8())))
        case 6:  // raw stream bytes
            venue.raw(r.bytes(Int(r.u8())))
        case 7:  // time passes (heartbeats, the peer's silence)
            now += Int64(r.u16()) * 1_000_000
        case 8:  // the venue hangs up, or the gateway reconnects (the replay ends at a heartbeat)
            if r.u8() & 1 == 0 {
                venue.hangUp()
            } else {
                venue = responder?.venue() ?? ScriptedVenue()
                g.connect(venue, now: now)
                venue.heartbeat()
            }
        default:  // a venue heartbeat
            venue.heartbeat()
        }
        poll()
        return true
    }

    func check() {
        let p = risk.positions
        for l in 1..<symbols.count {
            let loc = StockLocate(rawValue: UInt16(l))
            precondition(g.positions[l] == ledger.fills[l], "gateway position \(g.positions[l]) != reported fills \(ledger.fills[l]) (locate \(l))")
            if !p.overflowed {
                precondition(p.position(loc) == ledger.fills[l], "risk position \(p.position(loc)) != reported fills \(ledger.fills[l]) (locate \(l))")
            }
        }
        precondition(g.counters.executions == ledger.executions, "executions counted \(g.counters.executions) != reported \(ledger.executions)")
        var open = 0
        g.store.forEachOpen { o in
            open += 1
            if o.status != .pendingNew {
                precondition(ledger.acknowledged.contains(o.id), "order \(o.id) is \(o.status) but the venue never accepted it")
            }
        }
        precondition(open == g.store.openCount, "open count \(g.store.openCount) != \(open) open orders")
        for id in ours {
            guard let o = g.store.order(id) else { continue }
            precondition(o.filled <= o.quantity, "order \(id) filled \(o.filled) of \(o.quantity)")
            precondition(o.leaves <= o.quantity - o.filled, "order \(id) leaves \(o.leaves) beyond \(o.quantity) - \(o.filled)")
            precondition(UInt64(o.filled) == ledger.filledByOrder[id, default: 0], "order \(id) filled \(o.filled) != reported \(ledger.filledByOrder[id, default: 0])")
        }
        if g.counters.venueViolations > 0 {
            precondition(g.killReason != nil && risk.isEngaged, "a venue violation without the kill switch")
        }
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    guard size >= 1 else { return 0 }
    let s = Script(config: data[0])
    var r = Reader(data: UnsafeBufferPointer(start: data + 1, count: size - 1))
    var steps = 0
    while steps < 4_096, s.step(&r) { steps += 1 }
    if printSummary {
        // FUZZ_GATEWAY_SUMMARY=1 FuzzGateway SEED: what one script did (a real session's seed
        // must run with no violation and its fills booked).
        let c = s.g.counters
        print("steps \(steps), orders \(s.ours.count), executions \(c.executions), venue violations \(c.venueViolations), "
            + "kill switch \(s.g.killReason.map { "\($0)" } ?? "none"), positions \(Array(s.g.positions.dropFirst()))")
    }
    return 0
}

let printSummary = getenv("FUZZ_GATEWAY_SUMMARY") != nil
