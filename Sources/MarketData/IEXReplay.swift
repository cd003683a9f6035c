// IEXReplay.swift: replays an IEX capture (pcap/pcapng of Ethernet/IPv4/UDP carrying IEX-TP
// with TOPS 1.6 or DEEP 1.0) through the decoders, the session tracker and, for DEEP, the book.
//
// Used by tests and by the command line. It reads frame by frame with `PcapReader.next`, parses
// the UDP frame, checks the IEX-TP header, tracks sequence numbers, and dispatches every message
// not seen before. Nothing in a capture ends a replay early except a read error, which is
// recorded in the stats, not thrown: a capture whose last record was cut short (as IEX's DEEP
// sample is) replays to that record and reports it in `truncatedFrames` and `readError`.
// Only failing to open the file throws.

import Packets
public import Capture
import CShims

/// What a replay saw.
public struct IEXReplayStats: Sendable, Equatable {
    /// Frames the capture reader handed out (a record libpcap could not read is not included).
    public var frames: UInt64 = 0
    /// Frames captured shorter than they were on the wire (decoded as far as they go), plus a
    /// final record cut short by the end of the file (unreadable: its messages are lost).
    public var truncatedFrames: UInt64 = 0
    /// The capture error that ended reading before the end of the file, if any.
    public var readError: String? = nil
    /// Frames that were not Ethernet/IPv4/UDP (or were malformed as such).
    public var nonUDPFrames: UInt64 = 0
    /// UDP frames on another destination port than the one asked for.
    public var otherPortFrames: UInt64 = 0
    /// IEX-TP segments accepted (heartbeats included).
    public var segments: UInt64 = 0
    /// UDP payloads refused as IEX-TP: shorter than the header, version not 1, or payload
    /// length beyond the datagram.
    public var malformedSegments: UInt64 = 0
    /// Well-formed IEX-TP segments of a protocol other than TOPS (0x8003) or DEEP (0x8004).
    public var unknownProtocolSegments: UInt64 = 0
    /// Segments whose payload the capture cut short (their complete messages were decoded).
    public var truncatedSegments: UInt64 = 0
    /// Segments whose message framing ended early (a bad length, a message running past the
    /// end, or a message count that disagrees with the payload).
    public var framingErrors: UInt64 = 0
    /// Segments with message count 0.
    public var heartbeats: UInt64 = 0
    /// Messages decoded and dispatched (messages skipped as already seen are not included).
    public var messages: UInt64 = 0
    /// `messages` by type character ("Q", "8", ...).
    public var messagesByType: [Character: UInt64] = [:]
    /// Messages of a type this module does not know.
    public var unknownMessages: UInt64 = 0
    /// Messages shorter than their type's specified length (not decoded).
    public var shortMessages: UInt64 = 0
    /// Messages missing, summed over all sequence gaps.
    public var gaps: UInt64 = 0
    /// Sequence gaps.
    public var gapEvents: UInt64 = 0
    /// Segments whose messages had all been seen already.
    public var duplicates: UInt64 = 0
    /// Messages skipped as already seen (duplicate and overlapping segments).
    public var duplicateMessages: UInt64 = 0
    /// Sequence restarts at 1 within a session id.
    public var restarts: UInt64 = 0
    /// The feed of the first IEX-TP segment (nil if there was none).
    public var feed: IEXFeed? = nil
    /// True when segments of both TOPS and DEEP were seen.
    public var mixedFeeds = false
    /// Distinct IEX-TP session ids.
    public var sessions = 0
    /// Distinct symbols in any symbol-bearing message.
    public var symbolsSeen = 0
    /// DEEP: symbols whose book holds at least one level at the end of the replay.
    public var bookSymbols = 0
    /// DEEP: what the book was fed (crossed/locked counts are taken at event completion).
    public var book = IEXDeepBookCounters()
    /// Send time of the first and last segment (ns since the epoch; 0 when there were none).
    public var firstSendTime: Int64 = 0
    public var lastSendTime: Int64 = 0

    public init() {}

    /// Count of messages of type `type` ("Q", "8", ...).
    public func count(of type: Character) -> UInt64 { messagesByType[type] ?? 0 }
}

/// A handler that does nothing: the default for `IEXReplay.replayIEX`.
public struct IEXNullHandler: IEXHandler {
    public init() {}
}

public enum IEXReplay {
    /// Replays `pcapPath` and returns its stats.
    /// - Parameters:
    ///   - port: only UDP frames to this destination port are decoded (nil: every UDP frame is
    ///     tried as IEX-TP, and non-IEX traffic counts as malformed or unknown-protocol).
    ///   - resetBookOnRestart: clear the DEEP book when a session's sequence restarts at 1.
    public static func replayIEX(pcapPath: String, port: UInt16? = nil,
                                 resetBookOnRestart: Bool = true) throws(CaptureError) -> IEXReplayStats {
        var handler = IEXNullHandler()
        var book = IEXDeepBook()
        return try replayIEX(pcapPath: pcapPath, port: port, resetBookOnRestart: resetBookOnRestart,
                             book: &book, handler: &handler)
    }

    /// Replays `pcapPath`, feeding DEEP price level updates into `book` and every new message to
    /// `handler` (after the book has applied it).
    public static func replayIEX<H: IEXHandler>(
        pcapPath: String, port: UInt16? = nil, resetBookOnRestart: Bool = true,
        book: inout IEXDeepBook, handler: inout H
    ) throws(CaptureError) -> IEXReplayStats {
        let reader = try PcapReader(path: pcapPath)
        var replayer = IEXFrameReplayer(port: port, resetBookOnRestart: resetBookOnRestart, handler: handler)
        swap(&replayer.inner.book, &book)  // the replay owns the caller's book until it returns
        var pkt = tw_pkt()
        var readError: String?
        var cutRecord = false
        while true {
            do {
                guard try reader.next(&pkt) else { break }
            } catch {
                readError = error.description
                // libpcap's words for a record whose bytes the file does not hold.
                if error.message.contains("truncated") { cutRecord = true }
                break
            }
            replayer.onFrame(pkt.bytes, truncated: pkt.flags & UInt32(TW_PKT_TRUNCATED) != 0)
        }
        var stats = replayer.finish()
        stats.frames = reader.frames
        stats.truncatedFrames = reader.truncatedFrames &+ (cutRecord ? 1 : 0)
        stats.readError = readError
        swap(&replayer.inner.book, &book)
        handler = replayer.inner.user
        return stats
    }
}

/// The frame-by-frame half of an IEX replay, so that frames from any backend (a capture file
/// or a DPDK port) take the same path: UDP parse, IEX-TP segment, sequence tracking, dispatch.
public struct IEXFrameReplayer<H: IEXHandler> {
    public let port: UInt16?
    public let resetBookOnRestart: Bool
    var stats = IEXReplayStats()
    var tracker = IEXSessionTracker()
    var inner: IEXReplayHandler<H>
    var byType = [UInt64](repeating: 0, count: 256)
    var sawTOPS = false
    var sawDEEP = false
    public private(set) var framesSeen: UInt64 = 0

    public init(port: UInt16?, resetBookOnRestart: Bool = true, handler: H) {
        self.port = port
        self.resetBookOnRestart = resetBookOnRestart
        inner = IEXReplayHandler(book: IEXDeepBook(), user: handler)
    }

    public var book: IEXDeepBook { inner.book }

    /// One Ethernet frame; `truncated` when the capture cut it short.
    public mutating func onFrame(_ frame: UnsafeRawBufferPointer, truncated frameTruncated: Bool) {
        framesSeen &+= 1
        guard case .udp(let udp) = parseUDPFrame(frame, verifyIPChecksum: false) else {
            stats.nonUDPFrames &+= 1
            return
        }
        if let port, udp.destinationPort != port {
            stats.otherPortFrames &+= 1
            return
        }
        let segment: IEXTPSegment
        switch IEXTPSegment.parse(udp.payload, allowTruncated: frameTruncated) {
        case .segment(let s): segment = s
        case .dropped:
            stats.malformedSegments &+= 1
            return
        }
        guard let feed = segment.feed else {
            stats.unknownProtocolSegments &+= 1
            return
        }
        if stats.feed == nil { stats.feed = feed }
        if feed == .tops { sawTOPS = true } else { sawDEEP = true }
        stats.segments &+= 1
        if segment.isTruncated { stats.truncatedSegments &+= 1 }
        if stats.firstSendTime == 0 { stats.firstSendTime = segment.sendTime }
        stats.lastSendTime = segment.sendTime

        let outcome = tracker.track(segment)
        if outcome.kind == .restart && resetBookOnRestart {
            inner.book.clear()
            inner.user.onBookCleared()
        }

        var it = segment.messages
        var index = 0
        while let message = it.next() {
            index += 1
            if index <= outcome.skip { continue }
            stats.messages &+= 1
            byType[Int(message.type)] &+= 1
            switch IEXDispatch.dispatch(message, to: &inner) {
            case .handled: break
            case .unknownType: stats.unknownMessages &+= 1
            case .tooShort: stats.shortMessages &+= 1
            }
        }
        if it.stoppedEarly { stats.framingErrors &+= 1 }
    }

    /// The stats so far (frames as seen by this replayer; a file reader knows better and
    /// overwrites frames and truncatedFrames).
    public func finish() -> IEXReplayStats {
        var stats = self.stats
        stats.frames = framesSeen
        stats.heartbeats = tracker.heartbeats
        stats.gaps = tracker.gapMessages
        stats.gapEvents = tracker.gapEvents
        stats.duplicates = tracker.duplicates
        stats.duplicateMessages = tracker.duplicateMessages
        stats.restarts = tracker.restarts
        stats.sessions = tracker.sessionCount
        stats.mixedFeeds = sawTOPS && sawDEEP
        stats.symbolsSeen = inner.symbols.count
        stats.bookSymbols = inner.book.nonEmptySymbolCount
        stats.book = inner.book.counters
        for (type, n) in byType.enumerated() where n > 0 {
            stats.messagesByType[Character(Unicode.Scalar(UInt8(type)))] = n
        }
        return stats
    }
}

/// Wraps the caller's handler: keeps the symbol set and the book, then forwards.
struct IEXReplayHandler<H: IEXHandler>: IEXHandler {
    var book: IEXDeepBook
    var user: H
    var symbols: Set<IEXSymbol> = []

    init(book: IEXDeepBook, user: H) {
        self.book = book
        self.user = user
        symbols.reserveCapacity(1024)
    }

    mutating func onSystemEvent(_ m: IEXSystemEvent) { user.onSystemEvent(m) }
    mutating func onSecurityDirectory(_ m: IEXSecurityDirectory) {
        symbols.insert(m.symbol)
        user.onSecurityDirectory(m)
    }
    mutating func onTradingStatus(_ m: IEXTradingStatus) {
        symbols.insert(m.symbol)
        user.onTradingStatus(m)
    }
    mutating func onOperationalHaltStatus(_ m: IEXOperationalHaltStatus) {
        symbols.insert(m.symbol)
        user.onOperationalHaltStatus(m)
    }
    mutating func onShortSalePriceTestStatus(_ m: IEXShortSalePriceTestStatus) {
        symbols.insert(m.symbol)
        user.onShortSalePriceTestStatus(m)
    }
    mutating func onSecurityEvent(_ m: IEXSecurityEvent) {
        symbols.insert(m.symbol)
        user.onSecurityEvent(m)
    }
    mutating func onQuoteUpdate(_ m: IEXQuoteUpdate) {
        symbols.insert(m.symbol)
        user.onQuoteUpdate(m)
    }
    mutating func onTradeReport(_ m: IEXTradeReport) {
        symbols.insert(m.symbol)
        user.onTradeReport(m)
    }
    mutating func onOfficialPrice(_ m: IEXOfficialPrice) {
        symbols.insert(m.symbol)
        user.onOfficialPrice(m)
    }
    mutating func onTradeBreak(_ m: IEXTradeBreak) {
        symbols.insert(m.symbol)
        user.onTradeBreak(m)
    }
    mutating func onAuctionInformation(_ m: IEXAuctionInformation) {
        symbols.insert(m.symbol)
        user.onAuctionInformation(m)
    }
    mutating func onPriceLevelUpdate(_ m: IEXPriceLevelUpdate) {
        symbols.insert(m.symbol)
        book.apply(m)
        user.onPriceLevelUpdate(m)
    }
    mutating func onUnknownMessage(_ m: IEXMessage) { user.onUnknownMessage(m) }
    mutating func onShortMessage(_ m: IEXMessage) { user.onShortMessage(m) }
}
