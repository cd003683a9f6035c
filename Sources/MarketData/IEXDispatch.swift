// IEXDispatch.swift: static dispatch of IEX TOPS/DEEP messages to a generic handler.
//
// A handler is any type conforming to `IEXHandler`; every callback has an empty default, so a
// handler implements only what it needs. Dispatch is generic (`<H: IEXHandler>`, inout), never
// through an existential, so the compiler specialises it per handler and the unused callbacks
// vanish. The views passed to callbacks point into the datagram: they must not outlive it.
//
// Types are dispatched by type byte whatever the segment's protocol id: TOPS and DEEP share every
// type except Q (TOPS only) and 8/5/E (DEEP only), and no type byte means different layouts in
// the two feeds.

/// Callbacks for decoded IEX messages; all default to doing nothing.
public protocol IEXHandler {
    mutating func onSystemEvent(_ message: IEXSystemEvent)
    mutating func onSecurityDirectory(_ message: IEXSecurityDirectory)
    mutating func onTradingStatus(_ message: IEXTradingStatus)
    mutating func onOperationalHaltStatus(_ message: IEXOperationalHaltStatus)
    mutating func onShortSalePriceTestStatus(_ message: IEXShortSalePriceTestStatus)
    mutating func onSecurityEvent(_ message: IEXSecurityEvent)
    mutating func onQuoteUpdate(_ message: IEXQuoteUpdate)
    mutating func onTradeReport(_ message: IEXTradeReport)
    mutating func onOfficialPrice(_ message: IEXOfficialPrice)
    mutating func onTradeBreak(_ message: IEXTradeBreak)
    mutating func onAuctionInformation(_ message: IEXAuctionInformation)
    mutating func onPriceLevelUpdate(_ message: IEXPriceLevelUpdate)
    /// A type byte this module does not know (IEX may add types without notice).
    mutating func onUnknownMessage(_ message: IEXMessage)
    /// A known type shorter than its specified length: not decoded.
    mutating func onShortMessage(_ message: IEXMessage)
    /// A replay cleared its DEEP book (the sequence restarted at 1): what was known of the
    /// book is void until the feed rebuilds it.
    mutating func onBookCleared()
}

extension IEXHandler {
    @inlinable public mutating func onSystemEvent(_ message: IEXSystemEvent) {}
    @inlinable public mutating func onSecurityDirectory(_ message: IEXSecurityDirectory) {}
    @inlinable public mutating func onTradingStatus(_ message: IEXTradingStatus) {}
    @inlinable public mutating func onOperationalHaltStatus(_ message: IEXOperationalHaltStatus) {}
    @inlinable public mutating func onShortSalePriceTestStatus(_ message: IEXShortSalePriceTestStatus) {}
    @inlinable public mutating func onSecurityEvent(_ message: IEXSecurityEvent) {}
    @inlinable public mutating func onQuoteUpdate(_ message: IEXQuoteUpdate) {}
    @inlinable public mutating func onTradeReport(_ message: IEXTradeReport) {}
    @inlinable public mutating func onOfficialPrice(_ message: IEXOfficialPrice) {}
    @inlinable public mutating func onTradeBreak(_ message: IEXTradeBreak) {}
    @inlinable public mutating func onAuctionInformation(_ message: IEXAuctionInformation) {}
    @inlinable public mutating func onPriceLevelUpdate(_ message: IEXPriceLevelUpdate) {}
    @inlinable public mutating func onUnknownMessage(_ message: IEXMessage) {}
    @inlinable public mutating func onShortMessage(_ message: IEXMessage) {}
    @inlinable public mutating func onBookCleared() {}
}

/// What happened to one message.
@frozen
public enum IEXDispatchOutcome: UInt8, Sendable {
    case handled
    case unknownType
    case tooShort
}

/// What happened to one segment's messages.
@frozen
public struct IEXSegmentDispatch: Equatable, Sendable {
    /// Messages read from the payload (including skipped ones).
    public var messages: Int = 0
    /// Messages passed to a typed callback.
    public var handled: Int = 0
    /// Leading messages not dispatched because the caller asked to skip them (already seen).
    public var skipped: Int = 0
    public var unknown: Int = 0
    public var short: Int = 0
    /// How message iteration ended (`.wellFormed` for a well-formed payload).
    public var stop: IEXMessageStop = .wellFormed

    @inlinable public init() {}
}

public enum IEXDispatch {
    /// Decodes one message and calls the matching callback of `handler`.
    @inlinable
    @discardableResult
    public static func dispatch<H: IEXHandler>(_ message: IEXMessage, to handler: inout H) -> IEXDispatchOutcome {
        let b = message.bytes
        let n = b.count
        switch b[0] {
        case IEXMessageType.priceLevelUpdateBuy, IEXMessageType.priceLevelUpdateSell:
            guard n >= IEXPriceLevelUpdate.length else { break }
            handler.onPriceLevelUpdate(IEXPriceLevelUpdate(unchecked: b))
            return .handled
        case IEXMessageType.quoteUpdate:
            guard n >= IEXQuoteUpdate.length else { break }
            handler.onQuoteUpdate(IEXQuoteUpdate(unchecked: b))
            return .handled
        case IEXMessageType.tradeReport:
            guard n >= IEXTradeReport.length else { break }
            handler.onTradeReport(IEXTradeReport(unchecked: b))
            return .handled
        case IEXMessageType.tradingStatus:
            guard n >= IEXTradingStatus.length else { break }
            handler.onTradingStatus(IEXTradingStatus(unchecked: b))
            return .handled
        case IEXMessageType.operationalHaltStatus:
            guard n >= IEXOperationalHaltStatus.length else { break }
            handler.onOperationalHaltStatus(IEXOperationalHaltStatus(unchecked: b))
            return .handled
        case IEXMessageType.shortSalePriceTestStatus:
            guard n >= IEXShortSalePriceTestStatus.length else { break }
            handler.onShortSalePriceTestStatus(IEXShortSalePriceTestStatus(unchecked: b))
            return .handled
        case IEXMessageType.auctionInformation:
            guard n >= IEXAuctionInformation.length else { break }
            handler.onAuctionInformation(IEXAuctionInformation(unchecked: b))
            return .handled
        case IEXMessageType.securityDirectory:
            guard n >= IEXSecurityDirectory.length else { break }
            handler.onSecurityDirectory(IEXSecurityDirectory(unchecked: b))
            return .handled
        case IEXMessageType.systemEvent:
            guard n >= IEXSystemEvent.length else { break }
            handler.onSystemEvent(IEXSystemEvent(unchecked: b))
            return .handled
        case IEXMessageType.securityEvent:
            guard n >= IEXSecurityEvent.length else { break }
            handler.onSecurityEvent(IEXSecurityEvent(unchecked: b))
            return .handled
        case IEXMessageType.officialPrice:
            guard n >= IEXOfficialPrice.length else { break }
            handler.onOfficialPrice(IEXOfficialPrice(unchecked: b))
            return .handled
        case IEXMessageType.tradeBreak:
            guard n >= IEXTradeBreak.length else { break }
            handler.onTradeBreak(IEXTradeBreak(unchecked: b))
            return .handled
        default:
            handler.onUnknownMessage(message)
            return .unknownType
        }
        handler.onShortMessage(message)
        return .tooShort
    }

    /// Dispatches every message of `segment` after the first `skipping` (messages already
    /// processed, as `IEXSessionTracker` reports for a segment that overlaps the stream).
    @inlinable
    @discardableResult
    public static func dispatch<H: IEXHandler>(_ segment: IEXTPSegment, skipping: Int = 0,
                                               to handler: inout H) -> IEXSegmentDispatch {
        var result = IEXSegmentDispatch()
        var it = segment.messages
        while let message = it.next() {
            result.messages &+= 1
            if result.messages <= skipping {
                result.skipped &+= 1
                continue
            }
            switch dispatch(message, to: &handler) {
            case .handled: result.handled &+= 1
            case .unknownType: result.unknown &+= 1
            case .tooShort: result.short &+= 1
            }
        }
        result.stop = it.stop
        return result
    }
}
