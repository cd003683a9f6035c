// IEX-TP 1.x / TOPS 1.6 / DEEP 1.0: hex fixtures laid out from the specifications, the session
// tracker, the DEEP book, a fuzz of the segment parser and dispatcher, and replays of IEX's real
// sample captures from ../shared/data (or $TICKWIRE_SHARED_DATA).
//
// Real data (see shared/data/README.md): "Data provided by IEX" (IEX historical data terms);
// TOPS16.pcap and DEEP10.pcap.gz as carried in github.com/timpalpant/go-iex testdata.

import Foundation
import Testing
import MarketData
import TickwireCore

// MARK: - Fixture helpers

/// Bytes from hex text: per line, the text before `//`, as whitespace-separated byte pairs.
private func iexHex(_ text: String) -> [UInt8] {
    var out: [UInt8] = []
    for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
        let code = line.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
        for token in code.split(whereSeparator: { $0 == " " || $0 == "\t" }) {
            guard let byte = UInt8(token, radix: 16), token.count == 2 else {
                Issue.record("bad hex token \(token)")
                continue
            }
            out.append(byte)
        }
    }
    return out
}

private let iexTimestamp: Int64 = 1_499_697_155_788_781_087
private let iexZIEXT = IEXSymbol("ZIEXT")!

/// One message per type, field by field as the TOPS 1.6 / DEEP 1.0 specifications lay them out
/// (little-endian integers, prices with 4 implied decimals, 8-byte space-padded symbols).
private let iexFixtures: [Character: String] = [
    "S": """
        53                       // type S
        45                       // system event E: end of system hours
        1f 36 74 11 9e fe cf 14  // timestamp 1499697155788781087
        """,
    "D": """
        44                       // type D
        80                       // flags: test security
        1f 36 74 11 9e fe cf 14  // timestamp
        5a 49 45 58 54 20 20 20  // symbol ZIEXT
        64 00 00 00              // round lot size 100
        24 1d 0f 00 00 00 00 00  // adjusted POC price 99.05
        01                       // LULD tier 1
        """,
    "H": """
        48                       // type H
        48                       // status H: halted
        1f 36 74 11 9e fe cf 14  // timestamp
        5a 49 45 58 54 20 20 20  // symbol ZIEXT
        54 31 20 20              // reason "T1"
        """,
    "O": """
        4f                       // type O
        4f                       // status O: operationally halted
        1f 36 74 11 9e fe cf 14  // timestamp
        5a 49 45 58 54 20 20 20  // symbol ZIEXT
        """,
    "P": """
        50                       // type P
        01                       // status 1: in effect
        1f 36 74 11 9e fe cf 14  // timestamp
        5a 49 45 58 54 20 20 20  // symbol ZIEXT
        41                       // detail A: activated
        """,
    "Q": """
        51                       // type Q
        40                       // flags: outside regular session
        1f 36 74 11 9e fe cf 14  // timestamp
        5a 49 45 58 54 20 20 20  // symbol ZIEXT
        e4 25 00 00              // bid size 9700
        24 1d 0f 00 00 00 00 00  // bid price 99.05
        ec 1d 0f 00 00 00 00 00  // ask price 99.07
        e8 03 00 00              // ask size 1000
        """,
    "T": """
        54                       // type T
        a0                       // sale conditions: intermarket sweep, odd lot
        1f 36 74 11 9e fe cf 14  // timestamp
        5a 49 45 58 54 20 20 20  // symbol ZIEXT
        64 00 00 00              // size 100
        24 1d 0f 00 00 00 00 00  // price 99.05
        96 8f 06 00 00 00 00 00  // trade id 429974
        """,
    "X": """
        58                       // type X
        51                       // price type Q: official opening
        1f 36 74 11 9e fe cf 14  // timestamp
        5a 49 45 58 54 20 20 20  // symbol ZIEXT
        24 1d 0f 00 00 00 00 00  // official price 99.05
        """,
    "B": """
        42                       // type B
        00                       // sale conditions: none
        1f 36 74 11 9e fe cf 14  // timestamp
        5a 49 45 58 54 20 20 20  // symbol ZIEXT
        64 00 00 00              // size 100
        24 1d 0f 00 00 00 00 00  // price 99.05
        96 8f 06 00 00 00 00 00  // trade id 429974
        """,
    "A": """
        41                       // type A
        43                       // auction type C: closing
        1f 36 74 11 9e fe cf 14  // timestamp
        5a 49 45 58 54 20 20 20  // symbol ZIEXT
        10 27 00 00              // paired shares 10000
        24 1d 0f 00 00 00 00 00  // reference price 99.05
        18 1f 0f 00 00 00 00 00  // indicative clearing price 99.10
        d0 07 00 00              // imbalance shares 2000
        42                       // imbalance side B
        01                       // extension number 1
        b8 d5 63 59              // scheduled auction time 1499715000 s
        00 23 0f 00 00 00 00 00  // auction book clearing price 99.20
        30 1b 0f 00 00 00 00 00  // collar reference price 99.00
        78 98 0d 00 00 00 00 00  // lower auction collar 89.10
        e8 9d 10 00 00 00 00 00  // upper auction collar 108.90
        """,
    "8": """
        38                       // type 8: buy side
        01                       // event flags: event processing complete
        1f 36 74 11 9e fe cf 14  // timestamp
        5a 49 45 58 54 20 20 20  // symbol ZIEXT
        64 00 00 00              // size 100
        24 1d 0f 00 00 00 00 00  // price 99.05
        """,
    "5": """
        35                       // type 5: sell side
        00                       // event flags: event in progress
        1f 36 74 11 9e fe cf 14  // timestamp
        5a 49 45 58 54 20 20 20  // symbol ZIEXT
        c8 00 00 00              // size 200
        ec 1d 0f 00 00 00 00 00  // price 99.07
        """,
    "E": """
        45                       // type E
        4f                       // security event O: opening process complete
        1f 36 74 11 9e fe cf 14  // timestamp
        5a 49 45 58 54 20 20 20  // symbol ZIEXT
        """,
]

private func iexFixture(_ type: Character) -> [UInt8] { iexHex(iexFixtures[type]!) }

/// Runs `body` with a message view over `bytes`.
private func withIEXMessage<R>(_ bytes: [UInt8], _ body: (IEXMessage) throws -> R) throws -> R {
    try bytes.withUnsafeBytes { raw in
        let m = try #require(IEXMessage(raw))
        return try body(m)
    }
}

/// An IEX-TP segment: 40-byte header, then each message behind its 2-byte length.
private func iexSegment(protocolID: UInt16 = 0x8004, session: UInt32 = 1_137_508_352,
                        firstSequence: UInt64 = 1, count: Int? = nil, payloadLength: Int? = nil,
                        streamOffset: UInt64 = 0, sendTime: Int64 = iexTimestamp,
                        messages: [[UInt8]]) -> [UInt8] {
    var payload: [UInt8] = []
    for m in messages {
        payload += withUnsafeBytes(of: UInt16(m.count).littleEndian, Array.init)
        payload += m
    }
    var out: [UInt8] = [1, 0]
    out += withUnsafeBytes(of: protocolID.littleEndian, Array.init)
    out += withUnsafeBytes(of: UInt32(1).littleEndian, Array.init)
    out += withUnsafeBytes(of: session.littleEndian, Array.init)
    out += withUnsafeBytes(of: UInt16(truncatingIfNeeded: payloadLength ?? payload.count).littleEndian, Array.init)
    out += withUnsafeBytes(of: UInt16(truncatingIfNeeded: count ?? messages.count).littleEndian, Array.init)
    out += withUnsafeBytes(of: streamOffset.littleEndian, Array.init)
    out += withUnsafeBytes(of: firstSequence.littleEndian, Array.init)
    out += withUnsafeBytes(of: sendTime.littleEndian, Array.init)
    return out + payload
}

/// Records which callback saw what, as short strings.
private struct IEXRecorder: IEXHandler {
    var events: [String] = []
    mutating func onSystemEvent(_ m: IEXSystemEvent) { events.append("S \(m.event)") }
    mutating func onSecurityDirectory(_ m: IEXSecurityDirectory) { events.append("D \(m.symbol)") }
    mutating func onTradingStatus(_ m: IEXTradingStatus) { events.append("H \(m.symbol) \(m.reason)") }
    mutating func onOperationalHaltStatus(_ m: IEXOperationalHaltStatus) { events.append("O \(m.symbol)") }
    mutating func onShortSalePriceTestStatus(_ m: IEXShortSalePriceTestStatus) { events.append("P \(m.symbol)") }
    mutating func onSecurityEvent(_ m: IEXSecurityEvent) { events.append("E \(m.symbol)") }
    mutating func onQuoteUpdate(_ m: IEXQuoteUpdate) { events.append("Q \(m.symbol) \(m.bidPrice) \(m.askPrice)") }
    mutating func onTradeReport(_ m: IEXTradeReport) { events.append("T \(m.symbol) \(m.size)@\(m.price)") }
    mutating func onOfficialPrice(_ m: IEXOfficialPrice) { events.append("X \(m.symbol) \(m.officialPrice)") }
    mutating func onTradeBreak(_ m: IEXTradeBreak) { events.append("B \(m.symbol) \(m.tradeID)") }
    mutating func onAuctionInformation(_ m: IEXAuctionInformation) { events.append("A \(m.symbol)") }
    mutating func onPriceLevelUpdate(_ m: IEXPriceLevelUpdate) {
        events.append("\(m.side == .buy ? "8" : "5") \(m.symbol) \(m.size)@\(m.price) \(m.eventFlags)")
    }
    mutating func onUnknownMessage(_ m: IEXMessage) { events.append("? \(m.type)") }
    mutating func onShortMessage(_ m: IEXMessage) { events.append("short \(m.type)") }
}

/// Reads every field of every message it is given (for the fuzz: each accessor must be safe on
/// whatever the dispatcher lets through), folding them into a checksum.
private struct IEXFieldToucher: IEXHandler {
    var sum: UInt64 = 0
    var book = IEXDeepBook(symbolCapacity: 16, levelsPerSide: 4, maxLevelsPerSide: 64, maxSymbols: 256)

    mutating func mix(_ v: UInt64) { sum = (sum &* 31) &+ v }
    mutating func mix(_ p: Price) { mix(UInt64(bitPattern: p.rawValue)) }
    mutating func mix(_ s: Shares) { mix(UInt64(s.rawValue)) }
    mutating func mix(_ t: Int64) { mix(UInt64(bitPattern: t)) }
    mutating func mix(_ s: IEXSymbol) { mix(s.rawValue) }

    mutating func onSystemEvent(_ m: IEXSystemEvent) { mix(UInt64(m.event)); mix(m.timestamp) }
    mutating func onSecurityDirectory(_ m: IEXSecurityDirectory) {
        mix(UInt64(m.flags.rawValue)); mix(m.timestamp); mix(m.symbol); mix(m.roundLotSize)
        mix(m.adjustedPOCPrice); mix(UInt64(m.luldTier))
    }
    mutating func onTradingStatus(_ m: IEXTradingStatus) {
        mix(UInt64(m.status)); mix(m.timestamp); mix(m.symbol); mix(UInt64(m.reasonRaw))
        mix(UInt64(m.reason.utf8.count))
    }
    mutating func onOperationalHaltStatus(_ m: IEXOperationalHaltStatus) {
        mix(UInt64(m.status)); mix(UInt64(m.isHalted ? 1 : 0)); mix(m.timestamp); mix(m.symbol)
    }
    mutating func onShortSalePriceTestStatus(_ m: IEXShortSalePriceTestStatus) {
        mix(UInt64(m.status)); mix(UInt64(m.isInEffect ? 1 : 0)); mix(m.timestamp); mix(m.symbol); mix(UInt64(m.detail))
    }
    mutating func onSecurityEvent(_ m: IEXSecurityEvent) { mix(UInt64(m.event)); mix(m.timestamp); mix(m.symbol) }
    mutating func onQuoteUpdate(_ m: IEXQuoteUpdate) {
        mix(UInt64(m.flags.rawValue)); mix(m.timestamp); mix(m.symbol); mix(m.bidSize); mix(m.bidPrice)
        mix(m.askPrice); mix(m.askSize); mix(UInt64(m.symbol.description.utf8.count))
    }
    mutating func onTradeReport(_ m: IEXTradeReport) {
        mix(UInt64(m.saleConditions.rawValue)); mix(m.timestamp); mix(m.symbol); mix(m.size); mix(m.price)
        mix(m.tradeID)
    }
    mutating func onOfficialPrice(_ m: IEXOfficialPrice) {
        mix(UInt64(m.priceType)); mix(m.timestamp); mix(m.symbol); mix(m.officialPrice)
    }
    mutating func onTradeBreak(_ m: IEXTradeBreak) {
        mix(UInt64(m.saleConditions.rawValue)); mix(m.timestamp); mix(m.symbol); mix(m.size); mix(m.price)
        mix(m.tradeID)
    }
    mutating func onAuctionInformation(_ m: IEXAuctionInformation) {
        mix(UInt64(m.auctionType)); mix(m.timestamp); mix(m.symbol); mix(m.pairedShares); mix(m.referencePrice)
        mix(m.indicativeClearingPrice); mix(m.imbalanceShares); mix(UInt64(m.imbalanceSide))
        mix(UInt64(m.extensionNumber)); mix(UInt64(m.scheduledAuctionTime)); mix(m.auctionBookClearingPrice)
        mix(m.collarReferencePrice); mix(m.lowerAuctionCollar); mix(m.upperAuctionCollar)
    }
    mutating func onPriceLevelUpdate(_ m: IEXPriceLevelUpdate) {
        mix(UInt64(m.eventFlags)); mix(m.timestamp); mix(m.symbol); mix(m.size); mix(m.price)
        book.apply(m)
        let bbo = book.bbo(m.symbol)
        mix(bbo.bid?.price ?? .zero); mix(bbo.ask?.price ?? .zero)
    }
    mutating func onUnknownMessage(_ m: IEXMessage) { mix(UInt64(m.type)) }
    mutating func onShortMessage(_ m: IEXMessage) { mix(UInt64(m.length)) }
}


// MARK: - Real data location

/// `relative` under the shared data folder: $TICKWIRE_SHARED_DATA if set, else
/// `<repo root>/../shared/data` (the repo root is three levels above this file).
private func iexSharedData(_ relative: String) -> String {
    if let dir = ProcessInfo.processInfo.environment["TICKWIRE_SHARED_DATA"], !dir.isEmpty {
        return URL(fileURLWithPath: dir).appendingPathComponent(relative).path
    }
    return URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent()  // MarketDataTests
        .deletingLastPathComponent()  // Tests
        .deletingLastPathComponent()  // repo root
        .deletingLastPathComponent()  // its parent
        .appendingPathComponent("shared/data")
        .appendingPathComponent(relative).path
}

/// Gunzips DEEP10.pcap.gz into a temporary file (removed after `body`).
private func withDEEP10<R>(_ body: (String) throws -> R) throws -> R {
    let gz = iexSharedData("iex/DEEP10.pcap.gz")
    try #require(FileManager.default.fileExists(atPath: gz),
                 "real capture not found at \(gz): set TICKWIRE_SHARED_DATA to the shared/data folder")
    let out = FileManager.default.temporaryDirectory
        .appendingPathComponent("tickwire-iex-deep10-\(UUID().uuidString).pcap")
    try #require(FileManager.default.createFile(atPath: out.path, contents: nil), "cannot create \(out.path)")
    defer { try? FileManager.default.removeItem(at: out) }
    let handle = try FileHandle(forWritingTo: out)
    let gzip = Process()
    gzip.executableURL = URL(fileURLWithPath: "/bin/gzip")
    gzip.arguments = ["-dc", gz]
    gzip.standardOutput = handle
    try gzip.run()
    gzip.waitUntilExit()
    try handle.close()
    try #require(gzip.terminationStatus == 0, "gzip -dc \(gz) exited with \(gzip.terminationStatus)")
    return try body(out.path)
}

// MARK: - Transport

@Suite("IEX-TP segments")
struct IEXSegmentTests {
    @Test("header fields at their spec offsets, little-endian")
    func headerFields() throws {
        // Version 1, protocol 0x8004 (DEEP), channel 1, session 1137508352, payload 76 bytes with
        // 3 messages, stream offset 0x1234, first sequence 42, send time.
        let bytes = iexHex("""
            01                       // version 1
            00                       // reserved
            04 80                    // message protocol id 0x8004: DEEP
            01 00 00 00              // channel id 1
            00 00 cd 43              // session id 1137508352
            4c 00                    // payload length 76
            03 00                    // message count 3
            34 12 00 00 00 00 00 00  // stream offset 0x1234
            2a 00 00 00 00 00 00 00  // first message sequence number 42
            1f 36 74 11 9e fe cf 14  // send time 1499697155788781087
            0a 00                    // length 10
            """) + iexFixture("S") + iexHex("1e 00") + iexFixture("8") + iexHex("1e 00") + iexFixture("5")
        #expect(bytes.count == 40 + 76)
        try bytes.withUnsafeBytes { raw in
            let s = try #require(IEXTPSegment(raw))
            #expect(s.version == 1)
            #expect(s.reserved == 0)
            #expect(s.messageProtocolID == 0x8004)
            #expect(s.feed == .deep)
            #expect(s.channelID == 1)
            #expect(s.sessionID == 1_137_508_352)
            #expect(s.payloadLength == 76)
            #expect(s.messageCount == 3)
            #expect(s.streamOffset == 0x1234)
            #expect(s.firstMessageSequenceNumber == 42)
            #expect(s.sendTime == iexTimestamp)
            #expect(!s.isHeartbeat)
            #expect(!s.isTruncated)
            var it = s.messages
            var types: [UInt8] = []
            while let m = it.next() { types.append(m.type) }
            #expect(types == [0x53, 0x38, 0x35])
            #expect(it.stop == .wellFormed)
            #expect(it.yielded == 3)

            var rec = IEXRecorder()
            let d = IEXDispatch.dispatch(s, to: &rec)
            #expect(d == { var e = IEXSegmentDispatch(); e.messages = 3; e.handled = 3; return e }())
            #expect(rec.events == ["S 69", "8 ZIEXT 100@99.0500 1", "5 ZIEXT 200@99.0700 0"])
        }
    }

    @Test("a TOPS heartbeat: count 0, no payload")
    func heartbeat() throws {
        let bytes = iexSegment(protocolID: 0x8003, firstSequence: 57_675, messages: [])
        try bytes.withUnsafeBytes { raw in
            let s = try #require(IEXTPSegment(raw))
            #expect(s.feed == .tops)
            #expect(s.isHeartbeat)
            #expect(s.payload.count == 0)
            var it = s.messages
            #expect(it.next() == nil)
            #expect(it.stop == .wellFormed)
        }
    }

    @Test("malformed headers are refused with a reason, never a trap")
    func malformedHeaders() {
        func parse(_ b: [UInt8], truncated: Bool = false) -> IEXTPSegmentDrop? {
            b.withUnsafeBytes { raw in
                switch IEXTPSegment.parse(raw, allowTruncated: truncated) {
                case .segment: nil
                case .dropped(let why): why
                }
            }
        }
        let good = iexSegment(messages: [iexFixture("8")])
        #expect(parse(good) == nil)
        #expect(parse([]) == .shortHeader)
        #expect(parse(Array(good.prefix(39))) == .shortHeader)
        var v2 = good
        v2[0] = 2
        #expect(parse(v2) == .badVersion)
        // Payload length beyond the datagram: refused, or accepted as truncated when asked.
        let cut = Array(good.prefix(good.count - 5))
        #expect(parse(cut) == .payloadBeyondBuffer)
        #expect(parse(cut, truncated: true) == nil)
        cut.withUnsafeBytes { raw in
            guard let s = IEXTPSegment(raw, allowTruncated: true) else {
                Issue.record("truncated segment refused")
                return
            }
            #expect(s.isTruncated)
            var it = s.messages
            #expect(it.next() == nil)
            #expect(it.stop == .messagePastEnd)
        }
        // An unknown protocol id still parses; `feed` is nil.
        iexSegment(protocolID: 0x8005, messages: []).withUnsafeBytes { raw in
            #expect(IEXTPSegment(raw)?.feed == nil)
        }
    }

    @Test("message framing errors stop iteration with a counted reason")
    func framing() throws {
        func stop(_ bytes: [UInt8]) -> (Int, IEXMessageStop) {
            bytes.withUnsafeBytes { raw in
                guard let s = IEXTPSegment(raw) else { return (-1, .wellFormed) }
                var it = s.messages
                var n = 0
                while it.next() != nil { n += 1 }
                return (n, it.stop)
            }
        }
        let s = iexFixture("S")
        // Well formed.
        #expect(stop(iexSegment(messages: [s, s])) == (2, .wellFormed))
        // Count larger than the payload holds.
        #expect(stop(iexSegment(count: 3, messages: [s, s])) == (2, .fewerMessagesThanCount))
        // Count smaller: bytes left over.
        #expect(stop(iexSegment(count: 1, messages: [s, s])) == (1, .bytesAfterLastMessage))
        // A zero length.
        var zero = iexSegment(count: 2, messages: [s])
        zero += [0, 0]
        zero[12] = UInt8(zero.count - 40)
        #expect(stop(zero) == (1, .badLength))
        // A single stray byte where a length is due.
        var stray = iexSegment(count: 2, messages: [s])
        stray += [7]
        stray[12] = UInt8(stray.count - 40)
        #expect(stop(stray) == (1, .badLength))
        // A length running past the payload (but within the datagram: the payload bounds it).
        var past = iexSegment(count: 2, messages: [s, s])
        past[40 + 12] = 0xFF
        #expect(stop(past) == (1, .messagePastEnd))
        var bounded = iexSegment(messages: [s, s])
        bounded[12] = 12  // payload length covers only the first message
        #expect(stop(bounded) == (1, .fewerMessagesThanCount))
    }

    @Test("a segment of every message type dispatches each to its callback, in order")
    func everyType() throws {
        let order: [Character] = ["S", "D", "H", "O", "P", "Q", "T", "X", "B", "A", "8", "5", "E"]
        let bytes = iexSegment(firstSequence: 100, messages: order.map(iexFixture) + [[0x7A, 1, 2]])
        try bytes.withUnsafeBytes { raw in
            let s = try #require(IEXTPSegment(raw))
            var rec = IEXRecorder()
            let d = IEXDispatch.dispatch(s, to: &rec)
            #expect(d.messages == 14)
            #expect(d.handled == 13)
            #expect(d.unknown == 1)
            #expect(d.short == 0)
            #expect(d.stop == .wellFormed)
            #expect(rec.events == [
                "S 69", "D ZIEXT", "H ZIEXT T1", "O ZIEXT", "P ZIEXT", "Q ZIEXT 99.0500 99.0700",
                "T ZIEXT 100@99.0500", "X ZIEXT 99.0500", "B ZIEXT 429974", "A ZIEXT",
                "8 ZIEXT 100@99.0500 1", "5 ZIEXT 200@99.0700 0", "E ZIEXT", "? 122",
            ])
            // Skipping the first 10 (already seen) leaves the last four.
            var rec2 = IEXRecorder()
            let d2 = IEXDispatch.dispatch(s, skipping: 10, to: &rec2)
            #expect(d2.skipped == 10)
            #expect(rec2.events.count == 4)
        }
    }
}

// MARK: - Messages

@Suite("IEX TOPS 1.6 / DEEP 1.0 messages")
struct IEXMessageTests {
    @Test("fixture lengths match the specified lengths", arguments: Array(iexFixtures.keys).sorted())
    func lengths(type: Character) throws {
        let b = iexFixture(type)
        #expect(b.count == IEXMessageType.specifiedLength(b[0]))
        #expect(IEXMessageType.all.contains(b[0]))
    }

    @Test("one byte short: refused by the view, counted short by dispatch",
          arguments: Array(iexFixtures.keys).sorted())
    func short(type: Character) throws {
        let b = Array(iexFixture(type).dropLast())
        try withIEXMessage(b) { m in
            var rec = IEXRecorder()
            #expect(IEXDispatch.dispatch(m, to: &rec) == .tooShort)
            #expect(rec.events == ["short \(b[0])"])
        }
    }

    @Test("longer than specified (IEX may grow messages): decoded from the known prefix",
          arguments: Array(iexFixtures.keys).sorted())
    func grown(type: Character) throws {
        let b = iexFixture(type)
        let expected = try withIEXMessage(b) { m -> [String] in
            var rec = IEXRecorder()
            IEXDispatch.dispatch(m, to: &rec)
            return rec.events
        }
        try withIEXMessage(b + [0xEE, 0xEE, 0xEE, 0xEE]) { m in
            var rec = IEXRecorder()
            #expect(IEXDispatch.dispatch(m, to: &rec) == .handled)
            #expect(rec.events == expected)
        }
    }

    @Test("S System Event")
    func systemEvent() throws {
        try withIEXMessage(iexFixture("S")) { m in
            let v = try #require(IEXSystemEvent(m))
            #expect(v.event == IEXSystemEventCode.endOfSystemHours)
            #expect(v.timestamp == iexTimestamp)
            #expect(IEXQuoteUpdate(m) == nil)
        }
    }

    @Test("D Security Directory")
    func securityDirectory() throws {
        try withIEXMessage(iexFixture("D")) { m in
            let v = try #require(IEXSecurityDirectory(m))
            #expect(v.flags == [.testSecurity])
            #expect(v.timestamp == iexTimestamp)
            #expect(v.symbol == iexZIEXT)
            #expect(v.roundLotSize == Shares(rawValue: 100))
            #expect(v.adjustedPOCPrice == Price(rawValue: 990_500))
            #expect(v.luldTier == 1)
        }
    }

    @Test("H Trading Status")
    func tradingStatus() throws {
        try withIEXMessage(iexFixture("H")) { m in
            let v = try #require(IEXTradingStatus(m))
            #expect(v.status == IEXTradingStatusCode.halted)
            #expect(v.timestamp == iexTimestamp)
            #expect(v.symbol == iexZIEXT)
            #expect(v.reason == "T1")
        }
    }

    @Test("O Operational Halt Status")
    func operationalHalt() throws {
        try withIEXMessage(iexFixture("O")) { m in
            let v = try #require(IEXOperationalHaltStatus(m))
            #expect(v.status == 0x4F)
            #expect(v.isHalted)
            #expect(v.timestamp == iexTimestamp)
            #expect(v.symbol == iexZIEXT)
        }
    }

    @Test("P Short Sale Price Test Status")
    func shortSalePriceTest() throws {
        try withIEXMessage(iexFixture("P")) { m in
            let v = try #require(IEXShortSalePriceTestStatus(m))
            #expect(v.isInEffect)
            #expect(v.detail == UInt8(ascii: "A"))
            #expect(v.timestamp == iexTimestamp)
            #expect(v.symbol == iexZIEXT)
        }
    }

    @Test("Q Quote Update (TOPS)")
    func quoteUpdate() throws {
        try withIEXMessage(iexFixture("Q")) { m in
            let v = try #require(IEXQuoteUpdate(m))
            #expect(v.flags == [.outsideRegularSession])
            #expect(!v.flags.contains(.symbolUnavailable))
            #expect(v.timestamp == iexTimestamp)
            #expect(v.symbol == iexZIEXT)
            #expect(v.bidSize == Shares(rawValue: 9700))
            #expect(v.bidPrice == Price(rawValue: 990_500))
            #expect(v.askPrice == Price(rawValue: 990_700))
            #expect(v.askSize == Shares(rawValue: 1000))
        }
    }

    @Test("T Trade Report")
    func tradeReport() throws {
        try withIEXMessage(iexFixture("T")) { m in
            let v = try #require(IEXTradeReport(m))
            #expect(v.saleConditions == [.intermarketSweep, .oddLot])
            #expect(v.timestamp == iexTimestamp)
            #expect(v.symbol == iexZIEXT)
            #expect(v.size == Shares(rawValue: 100))
            #expect(v.price == Price(rawValue: 990_500))
            #expect(v.tradeID == 429_974)
            #expect(IEXTradeBreak(m) == nil)
        }
    }

    @Test("X Official Price")
    func officialPrice() throws {
        try withIEXMessage(iexFixture("X")) { m in
            let v = try #require(IEXOfficialPrice(m))
            #expect(v.priceType == UInt8(ascii: "Q"))
            #expect(v.timestamp == iexTimestamp)
            #expect(v.symbol == iexZIEXT)
            #expect(v.officialPrice == Price(rawValue: 990_500))
        }
    }

    @Test("B Trade Break")
    func tradeBreak() throws {
        try withIEXMessage(iexFixture("B")) { m in
            let v = try #require(IEXTradeBreak(m))
            #expect(v.saleConditions == [])
            #expect(v.symbol == iexZIEXT)
            #expect(v.size == Shares(rawValue: 100))
            #expect(v.price == Price(rawValue: 990_500))
            #expect(v.tradeID == 429_974)
        }
    }

    @Test("A Auction Information")
    func auctionInformation() throws {
        try withIEXMessage(iexFixture("A")) { m in
            let v = try #require(IEXAuctionInformation(m))
            #expect(v.auctionType == UInt8(ascii: "C"))
            #expect(v.timestamp == iexTimestamp)
            #expect(v.symbol == iexZIEXT)
            #expect(v.pairedShares == Shares(rawValue: 10_000))
            #expect(v.referencePrice == Price(rawValue: 990_500))
            #expect(v.indicativeClearingPrice == Price(rawValue: 991_000))
            #expect(v.imbalanceShares == Shares(rawValue: 2000))
            #expect(v.imbalanceSide == UInt8(ascii: "B"))
            #expect(v.extensionNumber == 1)
            #expect(v.scheduledAuctionTime == 1_499_715_000)
            #expect(v.auctionBookClearingPrice == Price(rawValue: 992_000))
            #expect(v.collarReferencePrice == Price(rawValue: 990_000))
            #expect(v.lowerAuctionCollar == Price(rawValue: 891_000))
            #expect(v.upperAuctionCollar == Price(rawValue: 1_089_000))
        }
    }

    @Test("8 / 5 Price Level Update (DEEP)")
    func priceLevelUpdate() throws {
        try withIEXMessage(iexFixture("8")) { m in
            let v = try #require(IEXPriceLevelUpdate(m))
            #expect(v.side == .buy)
            #expect(v.eventFlags == 1)
            #expect(v.isEventComplete)
            #expect(v.timestamp == iexTimestamp)
            #expect(v.symbol == iexZIEXT)
            #expect(v.size == Shares(rawValue: 100))
            #expect(v.price == Price(rawValue: 990_500))
        }
        try withIEXMessage(iexFixture("5")) { m in
            let v = try #require(IEXPriceLevelUpdate(m))
            #expect(v.side == .sell)
            #expect(!v.isEventComplete)
            #expect(v.size == Shares(rawValue: 200))
            #expect(v.price == Price(rawValue: 990_700))
        }
        // A negative price (signed fixed point) comes through as is.
        var neg = iexFixture("8")
        neg.replaceSubrange(22..<30, with: iexHex("c7 cf ff ff ff ff ff ff"))
        try withIEXMessage(neg) { m in
            #expect(IEXPriceLevelUpdate(m)?.price == Price(rawValue: -12_345))
        }
    }

    @Test("E Security Event (DEEP)")
    func securityEvent() throws {
        try withIEXMessage(iexFixture("E")) { m in
            let v = try #require(IEXSecurityEvent(m))
            #expect(v.event == IEXSecurityEventCode.openingProcessComplete)
            #expect(v.timestamp == iexTimestamp)
            #expect(v.symbol == iexZIEXT)
        }
    }

    @Test("symbols: padding, order, text")
    func symbols() {
        #expect(IEXSymbol("ZIEXT")?.rawValue == 0x2020_2054_5845_495A)
        #expect(IEXSymbol("ZIEXT")?.description == "ZIEXT")
        #expect(IEXSymbol("BRK.B")?.description == "BRK.B")
        #expect(IEXSymbol("ABCDEFGH")?.description == "ABCDEFGH")
        #expect(IEXSymbol("") == nil)
        #expect(IEXSymbol("ABCDEFGHI") == nil)
        #expect(IEXSymbol("A B") == nil)
        #expect(IEXSymbol("AA")! < IEXSymbol("AAB")!)
        #expect(IEXSymbol("AB")! < IEXSymbol("B")!)
        #expect(IEXSymbol(rawValue: 0x2020_2020_2020_0141).description == "A?")
        #expect(IEXSymbol(rawValue: 0).description == "????????")
    }
}

// MARK: - Session tracking

@Suite("IEX-TP session tracker")
struct IEXSessionTests {
    @Test("in sequence, heartbeats, gap, duplicate, overlap, restart, two sessions")
    func sequence() {
        var t = IEXSessionTracker()
        #expect(t.track(session: 7, firstSequence: 1, messageCount: 0).kind == .newSession)
        #expect(t.expectedNext(session: 7) == 1)
        #expect(t.track(session: 7, firstSequence: 1, messageCount: 3).kind == .inSequence)
        #expect(t.track(session: 7, firstSequence: 4, messageCount: 0)
            == IEXSequenceOutcome(kind: .inSequence, isHeartbeat: true))
        #expect(t.track(session: 7, firstSequence: 4, messageCount: 2).kind == .inSequence)
        #expect(t.expectedNext(session: 7) == 6)
        // Gap of 4 (6...9 missing).
        #expect(t.track(session: 7, firstSequence: 10, messageCount: 2)
            == IEXSequenceOutcome(kind: .gap, missing: 4, isHeartbeat: false))
        // Entirely old: duplicate, all skipped.
        #expect(t.track(session: 7, firstSequence: 10, messageCount: 2)
            == IEXSequenceOutcome(kind: .duplicate, skip: 2, isHeartbeat: false))
        // Overlap: 11 seen, 12 and 13 new.
        #expect(t.track(session: 7, firstSequence: 11, messageCount: 3)
            == IEXSequenceOutcome(kind: .overlap, skip: 1, isHeartbeat: false))
        #expect(t.expectedNext(session: 7) == 14)
        // A heartbeat from behind moves nothing.
        #expect(t.track(session: 7, firstSequence: 5, messageCount: 0).kind == .duplicate)
        #expect(t.expectedNext(session: 7) == 14)
        // A heartbeat ahead reveals a gap.
        #expect(t.track(session: 7, firstSequence: 16, messageCount: 0)
            == IEXSequenceOutcome(kind: .gap, missing: 2, isHeartbeat: true))
        // Restart at 1 within the same session id.
        #expect(t.track(session: 7, firstSequence: 1, messageCount: 5).kind == .restart)
        #expect(t.expectedNext(session: 7) == 6)
        // Another session is independent.
        #expect(t.track(session: 8, firstSequence: 500, messageCount: 1).kind == .newSession)
        #expect(t.track(session: 7, firstSequence: 6, messageCount: 1).kind == .inSequence)
        #expect(t.track(session: 8, firstSequence: 501, messageCount: 1).kind == .inSequence)

        #expect(t.segments == 13)
        #expect(t.heartbeats == 4)
        #expect(t.gapEvents == 2)
        #expect(t.gapMessages == 6)
        #expect(t.duplicates == 1)
        #expect(t.duplicateMessages == 3)
        #expect(t.overlaps == 1)
        #expect(t.restarts == 1)
        #expect(t.sessionCount == 2)
        t.reset()
        #expect(t.sessionCount == 0)
        #expect(t.segments == 0)
    }

    @Test("extreme sequence numbers wrap instead of trapping")
    func extremes() {
        var t = IEXSessionTracker()
        _ = t.track(session: 1, firstSequence: .max, messageCount: 0xFFFF)
        _ = t.track(session: 1, firstSequence: 0, messageCount: 0xFFFF)
        _ = t.track(session: 1, firstSequence: .max - 3, messageCount: 10)
        _ = t.track(session: 1, firstSequence: 1, messageCount: 0)
        _ = t.track(session: 1, firstSequence: .max, messageCount: 1)
        #expect(t.segments == 5)
    }
}

// MARK: - DEEP book

@Suite("IEX DEEP price-level book")
struct IEXDeepBookTests {
    private func p(_ dollars: Double) -> Price { Price(rawValue: Int64((dollars * 10_000).rounded())) }
    private func s(_ n: UInt32) -> Shares { Shares(rawValue: n) }

    @Test("levels: add, change, remove, best first, BBO")
    func levels() {
        var book = IEXDeepBook(symbolCapacity: 4, levelsPerSide: 2)
        let z = iexZIEXT
        book.apply(symbol: z, side: .buy, price: p(99.05), size: s(100), eventComplete: true)
        book.apply(symbol: z, side: .buy, price: p(99.03), size: s(300), eventComplete: true)
        book.apply(symbol: z, side: .buy, price: p(99.04), size: s(200), eventComplete: true)
        book.apply(symbol: z, side: .sell, price: p(99.08), size: s(50), eventComplete: true)
        book.apply(symbol: z, side: .sell, price: p(99.07), size: s(70), eventComplete: true)
        #expect(book.levels(z, side: .buy).map(\.price) == [p(99.05), p(99.04), p(99.03)])
        #expect(book.levels(z, side: .sell).map(\.price) == [p(99.07), p(99.08)])
        #expect(book.levels(z, side: .buy, limit: 1) == [IEXBookLevel(price: p(99.05), size: s(100))])
        #expect(book.bbo(z) == IEXBBO(bid: IEXBookLevel(price: p(99.05), size: s(100)),
                                      ask: IEXBookLevel(price: p(99.07), size: s(70)), inEvent: false))
        // Change, then remove the best bid.
        book.apply(symbol: z, side: .buy, price: p(99.05), size: s(150), eventComplete: true)
        #expect(book.bestBid(z)?.size == s(150))
        book.apply(symbol: z, side: .buy, price: p(99.05), size: s(0), eventComplete: true)
        #expect(book.bestBid(z)?.price == p(99.04))
        #expect(book.size(z, side: .buy, price: p(99.03)) == s(300))
        #expect(book.size(z, side: .buy, price: p(99.05)) == s(0))
        #expect(book.depth(z, side: .buy) == 2)
        // Removing a level that is not there is counted, nothing else.
        book.apply(symbol: z, side: .sell, price: p(98.00), size: s(0), eventComplete: true)
        #expect(book.counters.removalsOfUnknownLevels == 1)
        #expect(book.counters.levelsAdded == 5)
        #expect(book.counters.levelsChanged == 1)
        #expect(book.counters.levelsRemoved == 1)
        #expect(book.counters.updates == 8)
        #expect(book.symbolCount == 1)
        #expect(book.nonEmptySymbolCount == 1)
        // Unknown symbols answer empty.
        let other = IEXSymbol("OTHER")!
        #expect(book.bbo(other) == IEXBBO(bid: nil, ask: nil, inEvent: false))
        #expect(book.levels(other, side: .buy).isEmpty)
        book.clear()
        #expect(book.nonEmptySymbolCount == 0)
        #expect(book.symbolCount == 1)
        #expect(book.bestAsk(z) == nil)
    }

    @Test("event flags: crossing inside an event is not counted, at its end it is")
    func events() {
        var book = IEXDeepBook()
        let z = iexZIEXT
        book.apply(symbol: z, side: .buy, price: p(10.00), size: s(100), eventComplete: true)
        book.apply(symbol: z, side: .sell, price: p(10.02), size: s(100), eventComplete: true)
        // An aggressive sell: the ask goes through the bid for a moment, then the bid is consumed.
        book.apply(symbol: z, side: .sell, price: p(9.99), size: s(100), eventComplete: false)
        #expect(book.isInEvent(z))
        #expect(book.bbo(z).isCrossed)
        book.apply(symbol: z, side: .buy, price: p(10.00), size: s(0), eventComplete: false)
        book.apply(symbol: z, side: .sell, price: p(9.99), size: s(0), eventComplete: true)
        #expect(!book.isInEvent(z))
        #expect(!book.bbo(z).isCrossed)
        #expect(book.counters.crossedAtEventEnd == 0)
        #expect(book.counters.eventsCompleted == 3)
        // A crossed book at an event's end is counted; a locked one separately.
        book.apply(symbol: z, side: .buy, price: p(10.05), size: s(1), eventComplete: true)
        #expect(book.counters.crossedAtEventEnd == 1)
        book.apply(symbol: z, side: .buy, price: p(10.05), size: s(0), eventComplete: false)
        book.apply(symbol: z, side: .buy, price: p(10.02), size: s(1), eventComplete: true)
        #expect(book.bbo(z).isLocked)
        #expect(book.counters.lockedAtEventEnd == 1)
    }

    @Test("extreme prices and sizes, and the level and symbol bounds")
    func bounds() {
        var book = IEXDeepBook(symbolCapacity: 1, levelsPerSide: 1, maxLevelsPerSide: 4, maxSymbols: 2)
        let z = iexZIEXT
        for side in [Side.buy, .sell] {
            book.apply(symbol: z, side: side, price: Price(rawValue: .min), size: s(.max), eventComplete: true)
            book.apply(symbol: z, side: side, price: Price(rawValue: .max), size: s(1), eventComplete: true)
            book.apply(symbol: z, side: side, price: Price(rawValue: 0), size: s(2), eventComplete: true)
            book.apply(symbol: z, side: side, price: Price(rawValue: -1), size: s(3), eventComplete: true)
        }
        #expect(book.bestBid(z)?.price == Price(rawValue: .max))
        #expect(book.bestAsk(z)?.price == Price(rawValue: .min))
        #expect(book.levels(z, side: .buy).map(\.price.rawValue) == [.max, 0, -1, .min])
        #expect(book.levels(z, side: .sell).map(\.price.rawValue) == [.min, -1, 0, .max])
        // A fifth bid better than the worst evicts the worst; one worse than all is refused.
        book.apply(symbol: z, side: .buy, price: Price(rawValue: 5), size: s(5), eventComplete: true)
        #expect(book.levels(z, side: .buy).map(\.price.rawValue) == [.max, 5, 0, -1])
        book.apply(symbol: z, side: .buy, price: Price(rawValue: -100), size: s(5), eventComplete: true)
        #expect(book.depth(z, side: .buy) == 4)
        #expect(book.counters.levelsEvicted == 2)
        // Symbol bound.
        book.apply(symbol: IEXSymbol("B")!, side: .buy, price: p(1), size: s(1), eventComplete: true)
        book.apply(symbol: IEXSymbol("C")!, side: .buy, price: p(1), size: s(1), eventComplete: true)
        #expect(book.symbolCount == 2)
        #expect(book.counters.updatesForRejectedSymbols == 1)
    }
}

// MARK: - Fuzz

@Suite("IEX fuzz")
struct IEXFuzzTests {
    @Test("100,000 random byte strings through the segment parser and dispatch never trap")
    func randomSegments() {
        var rng = SplitMix64(state: 0x1E_0001_6642)
        var toucher = IEXFieldToucher()
        var tracker = IEXSessionTracker()
        var accepted = 0
        var messages = 0
        var handled = 0
        var stops = 0
        let types = IEXMessageType.all + [0x00, 0x7A, 0xFF]
        for round in 0..<100_000 {
            var bytes: [UInt8]
            switch round % 4 {
            case 0:
                // Pure noise, any length (mostly refused).
                bytes = (0..<Int.random(in: 0...200, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
            default:
                // A plausible header with mutated lengths and counts, then a chain of messages of
                // known types with lengths near (and around) their specified lengths.
                var msgs: [[UInt8]] = []
                for _ in 0..<Int.random(in: 0...6, using: &rng) {
                    let type = types.randomElement(using: &rng)!
                    let base = max(IEXMessageType.specifiedLength(type), 1)
                    let len = max(1, base + Int.random(in: -3...3, using: &rng))
                    var m = (0..<len).map { _ in UInt8.random(in: 0...255, using: &rng) }
                    m[0] = type
                    msgs.append(m)
                }
                bytes = iexSegment(protocolID: Bool.random(using: &rng) ? 0x8003 : 0x8004,
                                   session: UInt32.random(in: 0...3, using: &rng),
                                   firstSequence: UInt64.random(in: 0...20, using: &rng),
                                   messages: msgs)
                if round % 4 == 2 {
                    // Corrupt a few bytes anywhere (header and length fields included).
                    for _ in 0..<Int.random(in: 1...4, using: &rng) {
                        bytes[Int.random(in: 0..<bytes.count, using: &rng)] = UInt8.random(in: 0...255, using: &rng)
                    }
                }
                if round % 4 == 3 {
                    // Cut it anywhere.
                    bytes.removeLast(Int.random(in: 0...bytes.count, using: &rng))
                }
            }
            bytes.withUnsafeBytes { raw in
                for allowTruncated in [false, true] {
                    guard let seg = IEXTPSegment(raw, allowTruncated: allowTruncated) else { continue }
                    accepted += 1
                    _ = seg.sendTime &+ Int64(seg.channelID) &+ Int64(seg.streamOffset & 0xFFFF)
                    // Track sequence numbers too; skip what the tracker says was seen only on the
                    // second pass, so that the first always dispatches every message.
                    let outcome = tracker.track(seg)
                    let d = IEXDispatch.dispatch(seg, skipping: allowTruncated ? outcome.skip : 0, to: &toucher)
                    messages += d.messages
                    handled += d.handled
                    if d.stop != .wellFormed { stops += 1 }
                }
                // The same bytes read as one bare message.
                if let m = IEXMessage(raw) {
                    IEXDispatch.dispatch(m, to: &toucher)
                }
            }
        }
        // The run reached the end; make sure it exercised something (seed 0x1E00016642 gives
        // 111,717 segments accepted, 304,773 messages, 69,006 handled, 21,422 framing stops and
        // 10,684 book updates).
        #expect(accepted > 50_000)
        #expect(messages > 150_000)
        #expect(handled > 40_000)
        #expect(stops > 10_000)
        #expect(toucher.book.counters.updates > 5_000)
        #expect(toucher.sum != 0)
    }
}

// MARK: - Real captures

/// Keeps its own naive book (dictionaries) beside an `IEXDeepBook`, and compares their best
/// levels every time an event completes.
private struct IEXBookChecker: IEXHandler {
    var book = IEXDeepBook()
    var bids: [IEXSymbol: [Int64: UInt32]] = [:]
    var asks: [IEXSymbol: [Int64: UInt32]] = [:]
    var eventEnds = 0
    var crossedEnds = 0
    var lockedEnds = 0
    var mismatches = 0
    var firstMismatch: String?

    mutating func reset() {
        book.clear()
        bids = [:]
        asks = [:]
    }

    mutating func onPriceLevelUpdate(_ m: IEXPriceLevelUpdate) {
        book.apply(m)
        let price = m.price.rawValue
        let size = m.size.rawValue
        if m.side == .buy {
            bids[m.symbol, default: [:]][price] = size == 0 ? nil : size
        } else {
            asks[m.symbol, default: [:]][price] = size == 0 ? nil : size
        }
        guard m.isEventComplete else { return }
        eventEnds += 1
        let bestBid = bids[m.symbol]?.max { $0.key < $1.key }
        let bestAsk = asks[m.symbol]?.min { $0.key < $1.key }
        if let b = bestBid, let a = bestAsk {
            if b.key > a.key { crossedEnds += 1 } else if b.key == a.key { lockedEnds += 1 }
        }
        let bbo = book.bbo(m.symbol)
        let expected = IEXBBO(
            bid: bestBid.map { IEXBookLevel(price: Price(rawValue: $0.key), size: Shares(rawValue: $0.value)) },
            ask: bestAsk.map { IEXBookLevel(price: Price(rawValue: $0.key), size: Shares(rawValue: $0.value)) },
            inEvent: false)
        if bbo != expected {
            mismatches += 1
            if firstMismatch == nil { firstMismatch = "\(m.symbol): \(bbo) != \(expected)" }
        }
    }
}

/// Resets the checker at each sequence restart, as the replay resets its own book.
private struct IEXRestartWatcher: IEXHandler {
    var checker = IEXBookChecker()
    var lastStartOfMessages = 0
    mutating func onSystemEvent(_ m: IEXSystemEvent) {
        // Each restart in DEEP10 begins with System Event "O" (start of messages).
        if m.event == IEXSystemEventCode.startOfMessages { checker.reset() }
    }
    mutating func onPriceLevelUpdate(_ m: IEXPriceLevelUpdate) { checker.onPriceLevelUpdate(m) }
}

@Suite("IEX real captures", .serialized)
struct IEXReplayTests {
    @Test("TOPS16.pcap: 13,022 frames, 57,674 messages, 237 heartbeats, no gaps")
    func tops() throws {
        let path = iexSharedData("iex/TOPS16.pcap")
        try #require(FileManager.default.fileExists(atPath: path),
                     "real capture not found at \(path): set TICKWIRE_SHARED_DATA to the shared/data folder")
        let stats = try IEXReplay.replayIEX(pcapPath: path, port: 16642)
        #expect(stats.frames == 13_022)
        #expect(stats.segments == 13_022)
        #expect(stats.messages == 57_674)
        #expect(stats.heartbeats == 237)
        #expect(stats.gaps == 0)
        #expect(stats.gapEvents == 0)
        #expect(stats.duplicates == 0)
        #expect(stats.restarts == 0)
        #expect(stats.truncatedFrames == 0)
        #expect(stats.readError == nil)
        #expect(stats.malformedSegments == 0)
        #expect(stats.framingErrors == 0)
        #expect(stats.unknownMessages == 0)
        #expect(stats.shortMessages == 0)
        #expect(stats.feed == .tops)
        #expect(!stats.mixedFeeds)
        #expect(stats.sessions == 1)
        #expect(stats.messagesByType == ["Q": 27_217, "H": 7_803, "P": 7_802, "O": 7_801, "T": 6_390,
                                         "A": 642, "D": 10, "S": 6, "B": 3])
        #expect(stats.symbolsSeen == 7_799)
        #expect(stats.bookSymbols == 0)
        // Without a port filter the result is the same (the capture is all IEX-TP).
        let unfiltered = try IEXReplay.replayIEX(pcapPath: path)
        #expect(unfiltered == stats)
    }

    @Test("DEEP10.pcap.gz: restarts, the cut last frame, the book")
    func deep() throws {
        try withDEEP10 { path in
            var watcher = IEXRestartWatcher()
            var book = IEXDeepBook()
            let stats = try IEXReplay.replayIEX(pcapPath: path, port: 16648, book: &book, handler: &watcher)
            // libpcap cannot read the last record (1490 bytes announced, 460 in the file): it
            // hands out 121,314 frames and reports the cut one as an error, counted here.
            #expect(stats.frames == 121_314)
            #expect(stats.truncatedFrames == 1)
            #expect(stats.frames + stats.truncatedFrames == 121_315)
            #expect(stats.readError?.contains("truncated") == true, "\(stats.readError ?? "no error")")
            // 392,010 messages in the file; 11 complete ones sit in the unreadable last record.
            #expect(stats.messages == 391_999)
            #expect(stats.restarts == 11)
            #expect(stats.gaps == 0)
            #expect(stats.duplicates == 0)
            #expect(stats.heartbeats == 7_937)
            #expect(stats.segments == 121_314)
            #expect(stats.malformedSegments == 0)
            #expect(stats.framingErrors == 0)
            #expect(stats.unknownMessages == 0)
            #expect(stats.shortMessages == 0)
            #expect(stats.feed == .deep)
            #expect(stats.sessions == 1)
            #expect(stats.messagesByType == ["H": 93_638, "O": 93_638, "P": 93_636, "T": 83_343,
                                             "5": 14_627, "8": 12_941, "B": 73, "E": 59, "S": 44])
            #expect(stats.symbolsSeen == 7_802)

            // The book (cleared at each restart) against the naive model, at every event end.
            let c = watcher.checker
            #expect(c.mismatches == 0, "\(c.firstMismatch ?? "")")
            #expect(c.eventEnds == 26_426)
            #expect(stats.book.eventsCompleted == 26_426)
            #expect(stats.book.updates == 27_568)
            #expect(stats.book.crossedAtEventEnd == UInt64(c.crossedEnds))
            #expect(stats.book.lockedAtEventEnd == UInt64(c.lockedEnds))
            #expect(stats.book.removalsOfUnknownLevels == 8)
            #expect(stats.bookSymbols == 14)
            #expect(book.nonEmptySymbolCount == 14)
            #expect(book.symbolCount == 20)
            // What the real data shows: IEX's DEEP 1.0 sample is from a test session whose books
            // cross at most event ends (22,400 crossed and 666 locked of 26,426), so "never
            // crosses" cannot hold for it; the counts are pinned as a regression check.
            #expect(stats.book.crossedAtEventEnd == 22_400)
            #expect(stats.book.lockedAtEventEnd == 666)
            let msft = IEXSymbol("MSFT")!
            #expect(book.bestBid(msft) == IEXBookLevel(price: Price(rawValue: 311_300), size: Shares(rawValue: 242)))
            #expect(book.bestAsk(msft) == IEXBookLevel(price: Price(rawValue: 298_200), size: Shares(rawValue: 363)))
            #expect(book.depth(msft, side: .buy) == 25)
            #expect(book.depth(msft, side: .sell) == 17)

            // Without clearing the book at restarts, stale levels survive (19 symbols non-empty).
            let kept = try IEXReplay.replayIEX(pcapPath: path, port: 16648, resetBookOnRestart: false)
            #expect(kept.bookSymbols == 19)
            #expect(kept.book.crossedAtEventEnd == 24_729)
            #expect(kept.messages == stats.messages)
        }
    }
}
