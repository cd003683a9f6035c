// The venue's market-data encoder: the matching engine's market-data events become ITCH 5.0
// messages (A/F, E, X, D, U), plus the session's system events, stock directory and trading
// actions, and trades and crosses that do not touch the book (P, Q). Each message is handed, as
// bytes without a length prefix, to an ITCHMessageSink (a MoldUDP64 packer, a BinaryFILE
// writer, a test). One 64-byte scratch buffer is owned by the publisher: no allocation per
// message.
public import MarketData
public import TickwireCore

/// Receives encoded ITCH messages (no length prefix).
public protocol ITCHMessageSink {
    mutating func message(_ bytes: UnsafeRawBufferPointer)
}

/// Collects messages as a BinaryFILE (2-byte big-endian length before each).
public struct BinaryFileSink: ITCHMessageSink {
    public var bytes: [UInt8] = []
    public private(set) var count = 0
    public init() {}
    public mutating func message(_ m: UnsafeRawBufferPointer) {
        bytes.append(UInt8(m.count >> 8))
        bytes.append(UInt8(m.count & 0xFF))
        bytes.append(contentsOf: m)
        count += 1
    }
}

public final class ITCHPublisher {
    /// Symbol of each locate (index 0 unused).
    public let symbols: [Symbol]
    /// MPID shown on attributed adds (F), by firm; firms not listed show "TWXX".
    public var attributions: [UInt32: ITCH.Alpha4] = [:]
    public private(set) var published: UInt64 = 0
    let scratch: UnsafeMutableRawBufferPointer

    public init(symbols: [Symbol]) {
        self.symbols = [Symbol.blank] + symbols
        scratch = .allocate(byteCount: 64, alignment: 8)
    }

    deinit { scratch.deallocate() }

    @inline(__always)
    func emit<O: ITCHMessageSink>(_ n: Int?, _ out: inout O) {
        guard let n else { return }
        published &+= 1
        out.message(UnsafeRawBufferPointer(rebasing: scratch[0..<n]))
    }

    func symbol(_ locate: StockLocate) -> Symbol {
        Int(locate.rawValue) < symbols.count ? symbols[Int(locate.rawValue)] : .blank
    }

    /// Publishes a market-data event; owner events are ignored (returns false).
    @discardableResult
    public func publish<O: ITCHMessageSink>(_ e: EngineEvent, at t: VenueTime, to out: inout O) -> Bool {
        switch e {
        case let .mdAdd(locate, ref, side, shares, price, firm):
            if let firm {
                emit(ITCHEncoder.addOrderMPID(into: scratch, stockLocate: locate, timestamp: t, orderRef: ref, side: side,
                                              shares: shares, stock: symbol(locate), price: price,
                                              attribution: attributions[firm] ?? "TWXX"), &out)
            } else {
                emit(ITCHEncoder.addOrder(into: scratch, stockLocate: locate, timestamp: t, orderRef: ref, side: side,
                                          shares: shares, stock: symbol(locate), price: price), &out)
            }
        case let .mdExecute(locate, ref, shares, match):
            emit(ITCHEncoder.orderExecuted(into: scratch, stockLocate: locate, timestamp: t, orderRef: ref,
                                           executedShares: shares, matchNumber: match), &out)
        case let .mdCancel(locate, ref, shares):
            emit(ITCHEncoder.orderCancel(into: scratch, stockLocate: locate, timestamp: t, orderRef: ref, cancelledShares: shares), &out)
        case let .mdDelete(locate, ref):
            emit(ITCHEncoder.orderDelete(into: scratch, stockLocate: locate, timestamp: t, orderRef: ref), &out)
        case let .mdReplace(locate, old, new, shares, price):
            emit(ITCHEncoder.orderReplace(into: scratch, stockLocate: locate, timestamp: t, originalOrderRef: old,
                                          newOrderRef: new, shares: shares, price: price), &out)
        case let .mdHiddenTrade(locate, side, shares, price, match):
            emit(ITCHEncoder.trade(into: scratch, stockLocate: locate, timestamp: t, orderRef: OrderRef(rawValue: 0), side: side,
                                   shares: shares, stock: symbol(locate), price: price, matchNumber: match), &out)
        case let .mdCross(locate, shares, price, match, type):
            emit(ITCHEncoder.crossTrade(into: scratch, stockLocate: locate, timestamp: t, shares: shares, stock: symbol(locate),
                                        crossPrice: price, matchNumber: match, crossType: type), &out)
        default:
            return false
        }
        return true
    }

    /// System event: "O" start of messages, "S" start of system hours, "Q" start of market
    /// hours, "M" end of market hours, "E" end of system hours, "C" end of messages.
    public func systemEvent<O: ITCHMessageSink>(_ code: Character, at t: VenueTime, to out: inout O) {
        emit(ITCHEncoder.systemEvent(into: scratch, timestamp: t, eventCode: code.asciiValue ?? 0x20), &out)
    }

    /// The stock directory (R) and a trading action "T" (trading) for every symbol.
    public func directory<O: ITCHMessageSink>(at t: VenueTime, to out: inout O) {
        for locate in 1..<symbols.count {
            let l = StockLocate(rawValue: UInt16(locate))
            emit(ITCHEncoder.stockDirectory(
                into: scratch, stockLocate: l, timestamp: t, stock: symbols[locate], marketCategory: 0x51,
                financialStatusIndicator: 0x4E, roundLotSize: 100, roundLotsOnly: 0x4E, issueClassification: 0x43,
                issueSubType: "Z", authenticity: 0x50, shortSaleThresholdIndicator: 0x4E, ipoFlag: 0x4E,
                luldReferencePriceTier: 0x31, etpFlag: 0x4E, etpLeverageFactor: 0, inverseIndicator: 0x4E), &out)
        }
        for locate in 1..<symbols.count {
            emit(ITCHEncoder.stockTradingAction(into: scratch, stockLocate: StockLocate(rawValue: UInt16(locate)), timestamp: t,
                                                stock: symbols[locate], tradingState: 0x54, reserved: 0x20, reason: "    "), &out)
        }
    }
}
