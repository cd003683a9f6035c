// An honest venue without a market, for a `ScriptedVenue`: it accepts every order as entered,
// takes cancels and replaces as asked, cancels what an IOC leaves at once, and never trades.
// Tests add what a lying venue would say through `afterEnter`.
public import OrderEntry
public import TickwireCore

/// An order as the gateway entered it.
public struct EnteredOrder: Sendable {
    /// OUCH 5.0 UserRefNum, or the number in an OUCH 4.2 token ("TW" + digits).
    public var id: UInt32
    public var token: Alpha14
    public var side: OUCHSide
    public var shares: UInt32
    public var price: Price
    public var symbol: Alpha8
}

public final class EchoResponder {
    public let version: OUCHVersion
    /// Open shares by order number.
    public private(set) var open: [UInt32: UInt32] = [:]
    public private(set) var entered: [EnteredOrder] = []
    /// Called after each Enter Order is answered: what a hostile venue adds.
    public var afterEnter: ((ScriptedVenue, EnteredOrder) -> Void)?
    var nextRef: UInt64 = 1

    public init(version: OUCHVersion) { self.version = version }

    /// A scripted venue answered by this responder.
    public func venue() -> ScriptedVenue {
        let v = ScriptedVenue()
        v.respond = { v, m in self.answer(v, m) }  // the venue keeps its responder alive
        return v
    }

    static let t0 = VenueTime(nanosSinceMidnight: 0)

    public func answer(_ v: ScriptedVenue, _ m: [UInt8]) {
        m.withUnsafeBytes { b in
            switch version {
            case .v42: answer42(v, b)
            case .v50: answer50(v, b)
            }
        }
    }

    func ref() -> OrderRef {
        defer { nextRef += 1 }
        return OrderRef(rawValue: nextRef)
    }

    func answer42(_ v: ScriptedVenue, _ b: UnsafeRawBufferPointer) {
        switch OUCH42.decodeInbound(b) {
        case .success(.enterOrder(let o)):
            let id = OrderTokens.orderNumber(o.orderToken) ?? 0
            v.sequenced(OUCH42.Accepted(timestamp: Self.t0, orderToken: o.orderToken, side: o.side, shares: o.shares, stock: o.stock,
                                        price: o.price, timeInForce: o.timeInForce, firm: o.firm, display: o.display,
                                        orderReferenceNumber: ref(), capacity: o.capacity,
                                        intermarketSweepEligibility: o.intermarketSweepEligibility, minimumQuantity: o.minimumQuantity,
                                        crossType: o.crossType, orderState: "L", bboWeightIndicator: " ").encode)
            if o.timeInForce == OUCH42.immediateOrCancel {
                v.sequenced(OUCH42.Canceled(timestamp: Self.t0, orderToken: o.orderToken, decrementShares: o.shares, reason: "I").encode)
            } else {
                open[id] = o.shares.rawValue
            }
            let e = EnteredOrder(id: id, token: o.orderToken, side: o.side, shares: o.shares.rawValue, price: o.price, symbol: o.stock)
            entered.append(e)
            afterEnter?(v, e)
        case .success(.cancelOrder(let c)):
            let id = OrderTokens.orderNumber(c.orderToken) ?? 0
            guard let had = open[id], had > c.shares.rawValue else { return }
            open[id] = c.shares.rawValue == 0 ? nil : c.shares.rawValue
            v.sequenced(OUCH42.Canceled(timestamp: Self.t0, orderToken: c.orderToken, decrementShares: Shares(rawValue: had - c.shares.rawValue),
                                        reason: "U").encode)
        case .success(.replaceOrder(let r)):
            let old = OrderTokens.orderNumber(r.existingOrderToken) ?? 0
            let new = OrderTokens.orderNumber(r.replacementOrderToken) ?? 0
            guard open.removeValue(forKey: old) != nil else { return }
            open[new] = r.shares.rawValue
            let side = entered.first { $0.id == old }?.side ?? .buy
            let stock = entered.first { $0.id == old }?.symbol ?? .blank
            v.sequenced(OUCH42.Replaced(timestamp: Self.t0, replacementOrderToken: r.replacementOrderToken, side: side, shares: r.shares,
                                        stock: stock, price: r.price, timeInForce: r.timeInForce, firm: .blank, display: r.display,
                                        orderReferenceNumber: ref(), capacity: "P", intermarketSweepEligibility: r.intermarketSweepEligibility,
                                        minimumQuantity: r.minimumQuantity, crossType: "N", orderState: "L",
                                        previousOrderToken: r.existingOrderToken, bboWeightIndicator: " ").encode)
            entered.append(EnteredOrder(id: new, token: r.replacementOrderToken, side: side, shares: r.shares.rawValue, price: r.price, symbol: stock))
        default:
            break
        }
    }

    func answer50(_ v: ScriptedVenue, _ b: UnsafeRawBufferPointer) {
        switch OUCH50.decodeInbound(b) {
        case .success(.enterOrder(let o)):
            v.sequenced(OUCH50.OrderAccepted(timestamp: Self.t0, userRefNum: o.userRefNum, side: o.side, quantity: o.quantity, symbol: o.symbol,
                                             price: o.price, timeInForce: o.timeInForce, display: o.display, orderReferenceNumber: ref(),
                                             capacity: o.capacity, intermarketSweepEligibility: o.intermarketSweepEligibility,
                                             crossType: o.crossType, orderState: "L", clOrdID: o.clOrdID).encode)
            if o.timeInForce == "3" {
                v.sequenced(OUCH50.OrderCanceled(timestamp: Self.t0, userRefNum: o.userRefNum, quantity: o.quantity, reason: "I").encode)
            } else {
                open[o.userRefNum] = o.quantity.rawValue
            }
            let e = EnteredOrder(id: o.userRefNum, token: o.clOrdID, side: o.side, shares: o.quantity.rawValue, price: o.price, symbol: o.symbol)
            entered.append(e)
            afterEnter?(v, e)
        case .success(.cancelOrder(let c)):
            guard let had = open[c.userRefNum], had > c.quantity.rawValue else { return }
            open[c.userRefNum] = c.quantity.rawValue == 0 ? nil : c.quantity.rawValue
            v.sequenced(OUCH50.OrderCanceled(timestamp: Self.t0, userRefNum: c.userRefNum, quantity: Shares(rawValue: had - c.quantity.rawValue),
                                             reason: "U").encode)
        case .success(.replaceOrder(let r)):
            guard open.removeValue(forKey: r.origUserRefNum) != nil else { return }
            open[r.userRefNum] = r.quantity.rawValue
            let side = entered.first { $0.id == r.origUserRefNum }?.side ?? .buy
            let symbol = entered.first { $0.id == r.origUserRefNum }?.symbol ?? .blank
            v.sequenced(OUCH50.OrderReplaced(timestamp: Self.t0, origUserRefNum: r.origUserRefNum, userRefNum: r.userRefNum, side: side,
                                             quantity: r.quantity, symbol: symbol, price: r.price, timeInForce: r.timeInForce,
                                             display: r.display, orderReferenceNumber: ref(), capacity: "P",
                                             intermarketSweepEligibility: r.intermarketSweepEligibility, crossType: "N", orderState: "L",
                                             clOrdID: r.clOrdID).encode)
            entered.append(EnteredOrder(id: r.userRefNum, token: r.clOrdID, side: side, shares: r.quantity.rawValue, price: r.price, symbol: symbol))
        default:
            break
        }
    }
}
