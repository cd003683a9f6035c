// SoupBinTCP 3.00: encoders against bytes written out by hand from the spec's packet tables, every
// packet type round-tripped, the ASCII numeric fields, and the stream framer under every split
// of a stream and under hostile input.

import Testing
import OrderEntry
import TickwireCore

/// A decoded packet copied out of the framer (its views die with the next call).
struct CopiedPacket: Equatable, CustomStringConvertible {
    var type: SoupBinTCP.PacketType
    var payload: [UInt8]
    var description: String { "\(type)(\(hexString(payload)))" }
}

/// Feeds `chunk` and collects packets until the framer wants more data or fails.
func drain(_ framer: inout SoupBinTCPFramer, _ chunk: ArraySlice<UInt8>,
           into packets: inout [CopiedPacket]) -> SoupBinTCPFramer.FramingError? {
    chunk.withUnsafeBytes { raw in
        framer.feed(raw)
        while true {
            switch framer.next() {
            case .packet(let p): packets.append(CopiedPacket(type: p.type, payload: Array(p.payload)))
            case .needMoreData: return nil
            case .failed(let e): return e
            }
        }
    }
}

@Suite struct SoupBinTCPTests {
    // MARK: Encoders, known answers

    @Test func loginRequestKnownAnswer() throws {
        // Length 47 = type + Username 6 + Password 10 + Requested Session 10 + Requested Sequence 20.
        let expected = hex("""
            00 2F 4C
            55 53 45 52 31 20
            50 41 53 53 57 4F 52 44 31 20
            20 20 20 20 20 20 20 20 20 20
            20 20 20 20 20 20 20 20 20 20 20 20 20 20 20 20 20 20 20 31
            """)
        let bytes = try #require(encoded {
            SoupBinTCP.encodeLoginRequest(into: $0, username: Alpha6("USER1")!, password: Alpha10("PASSWORD1")!,
                                          requestedSession: .blank, requestedSequenceNumber: 1)
        })
        #expect(bytes == expected, "\(hexString(bytes))")
    }

    @Test func loginAcceptedKnownAnswer() throws {
        // Session right-justified (left-padded), sequence number right-justified.
        let expected = hex("""
            00 1F 41
            20 20 20 20 53 45 53 53 30 31
            20 20 20 20 20 20 20 20 20 20 20 20 20 20 20 20 31 32 33 34
            """)
        let bytes = try #require(encoded {
            SoupBinTCP.encodeLoginAccepted(into: $0, session: SoupBinTCP.session("SESS01")!, sequenceNumber: 1234)
        })
        #expect(bytes == expected, "\(hexString(bytes))")
    }

    @Test func shortPacketsKnownAnswers() throws {
        #expect(encoded { SoupBinTCP.encodeLoginRejected(into: $0, reason: SoupBinTCP.notAuthorized) } == hex("00 02 4A 41"))
        #expect(encoded { SoupBinTCP.encodeEmpty(into: $0, type: .serverHeartbeat) } == hex("00 01 48"))
        #expect(encoded { SoupBinTCP.encodeEmpty(into: $0, type: .endOfSession) } == hex("00 01 5A"))
        #expect(encoded { SoupBinTCP.encodeEmpty(into: $0, type: .clientHeartbeat) } == hex("00 01 52"))
        #expect(encoded { SoupBinTCP.encodeEmpty(into: $0, type: .logoutRequest) } == hex("00 01 4F"))
        #expect(encoded { SoupBinTCP.encodeEmpty(into: $0, type: .sequencedData) } == nil)
        let msg = ascii("hi")
        #expect(msg.withUnsafeBytes { m in encoded { SoupBinTCP.encodeDebug(into: $0, text: m) } } == hex("00 03 2B 68 69"))
        #expect(msg.withUnsafeBytes { m in encoded { SoupBinTCP.encodeSequencedData(into: $0, message: m) } }
                == hex("00 03 53 68 69"))
        #expect(msg.withUnsafeBytes { m in encoded { SoupBinTCP.encodeUnsequencedData(into: $0, message: m) } }
                == hex("00 03 55 68 69"))
    }

    @Test func encodersRefuseSmallBuffers() {
        var small = [UInt8](repeating: 0, count: 48)
        small.withUnsafeMutableBytes { out in
            #expect(SoupBinTCP.encodeLoginRequest(into: out, username: .blank, password: .blank,
                                                  requestedSession: .blank, requestedSequenceNumber: 0) == nil)
            #expect(SoupBinTCP.encodeLoginAccepted(into: UnsafeMutableRawBufferPointer(rebasing: out[0..<32]),
                                                   session: .blank, sequenceNumber: 1) == nil)
            #expect(SoupBinTCP.encodeEmpty(into: UnsafeMutableRawBufferPointer(rebasing: out[0..<2]),
                                           type: .serverHeartbeat) == nil)
            #expect(SoupBinTCP.writeHeader(into: out, type: .sequencedData, payloadLength: 46) == nil)
            #expect(SoupBinTCP.writeHeader(into: out, type: .sequencedData, payloadLength: 45) == 3)
        }
        var big = [UInt8](repeating: 0, count: 70_000)
        big.withUnsafeMutableBytes { out in
            #expect(SoupBinTCP.writeHeader(into: out, type: .sequencedData, payloadLength: 65_534) == 3)
            #expect(SoupBinTCP.writeHeader(into: out, type: .sequencedData, payloadLength: 65_535) == nil)
        }
    }

    // MARK: Round trips of every type

    @Test func everyPacketTypeRoundTrips() throws {
        let payload = ascii("OUCH-BYTES")
        for type in SoupBinTCP.PacketType.allCases {
            let bytes: [UInt8]
            switch type {
            case .loginRequest:
                bytes = try #require(encoded {
                    SoupBinTCP.encodeLoginRequest(into: $0, username: Alpha6("TRADR1")!, password: Alpha10("SECRET1234")!,
                                                  requestedSession: SoupBinTCP.session("SESSION123")!,
                                                  requestedSequenceNumber: 987_654_321)
                })
            case .loginAccepted:
                bytes = try #require(encoded {
                    SoupBinTCP.encodeLoginAccepted(into: $0, session: SoupBinTCP.session("ABCDEFGHIJ")!,
                                                   sequenceNumber: 12_345_678_901_234_567_890)
                })
            case .loginRejected:
                bytes = try #require(encoded { SoupBinTCP.encodeLoginRejected(into: $0, reason: SoupBinTCP.sessionNotAvailable) })
            case .debug, .sequencedData, .unsequencedData:
                bytes = try #require(payload.withUnsafeBytes { p in encoded { SoupBinTCP.encode(into: $0, type: type, payload: p) } })
            case .serverHeartbeat, .endOfSession, .clientHeartbeat, .logoutRequest:
                bytes = try #require(encoded { SoupBinTCP.encodeEmpty(into: $0, type: type) })
            }
            try bytes.withUnsafeBytes { raw in
                let packet = try #require(SoupBinTCP.packet(in: raw), "\(type)")
                #expect(packet.type == type)
                #expect(packet.packetLength + 2 == bytes.count)
                #expect(Int(bytes[0]) << 8 | Int(bytes[1]) == bytes.count - 2)
                switch type {
                case .loginRequest:
                    let v = try #require(SoupBinTCP.LoginRequestView(packet))
                    #expect(v.username == Alpha6("TRADR1")!)
                    #expect(v.username.description == "TRADR1")
                    #expect(v.password == Alpha10("SECRET1234")!)
                    #expect(v.password.description == "SECRET1234")
                    #expect(v.requestedSession == SoupBinTCP.session("SESSION123")!)
                    #expect(v.requestedSession.description == "SESSION123")
                    #expect(v.requestedSequenceNumber == 987_654_321)
                case .loginAccepted:
                    let v = try #require(SoupBinTCP.LoginAcceptedView(packet))
                    #expect(v.session.description == "ABCDEFGHIJ")
                    #expect(v.sequenceNumber == 12_345_678_901_234_567_890)
                case .loginRejected:
                    #expect(SoupBinTCP.LoginRejectedView(packet)?.reason == "S")
                case .debug, .sequencedData, .unsequencedData:
                    #expect(Array(packet.payload) == payload)
                default:
                    #expect(packet.payload.count == 0)
                }
                // A view of the wrong type refuses the packet.
                if type != .loginRequest { #expect(SoupBinTCP.LoginRequestView(packet) == nil) }
            }
        }
    }

    @Test func packetInBytesRejectsMalformed() {
        for bad in [hex(""), hex("00"), hex("00 00"), hex("00 00 48"), hex("00 02 48"), hex("00 01 48 00"),
                    hex("00 01 51"), hex("00 02 41 41"), hex("00 05 53 01 02")] {
            bad.withUnsafeBytes { #expect(SoupBinTCP.packet(in: $0) == nil, "\(hexString(bad))") }
        }
    }

    @Test func typeDirections() {
        let server: Set<SoupBinTCP.PacketType> = [.debug, .loginAccepted, .loginRejected, .sequencedData, .serverHeartbeat, .endOfSession]
        let client: Set<SoupBinTCP.PacketType> = [.debug, .loginRequest, .unsequencedData, .clientHeartbeat, .logoutRequest]
        for t in SoupBinTCP.PacketType.allCases {
            #expect(t.sentByServer == server.contains(t), "\(t)")
            #expect(t.sentByClient == client.contains(t), "\(t)")
        }
    }

    // MARK: Numeric fields

    @Test func numericParsing() {
        func parse(_ s: String) -> UInt64? { ascii(s).withUnsafeBytes { SoupBinTCP.parseNumeric($0) } }
        #expect(parse("                   1") == 1)
        #expect(parse("1                   ") == 1)
        #expect(parse("     123456789      ") == 123_456_789)
        #expect(parse("00000000000000000000") == 0)
        #expect(parse("18446744073709551615") == UInt64.max)
        #expect(parse("18446744073709551616") == nil)
        #expect(parse("99999999999999999999") == nil)
        #expect(parse("                    ") == nil)
        #expect(parse("") == nil)
        #expect(parse("   12 3") == nil)
        #expect(parse("  -1") == nil)
        #expect(parse("  +1") == nil)
        #expect(parse("1a") == nil)
        #expect(parse("\t1") == nil)
        #expect(parse("1\0") == nil)
    }

    @Test func numericWriting() {
        func write(_ v: UInt64, width: Int) -> String? {
            var b = [UInt8](repeating: 0x58, count: width)
            let ok = b.withUnsafeMutableBytes { SoupBinTCP.writeNumeric(v, into: $0) }
            return ok ? String(decoding: b, as: UTF8.self) : nil
        }
        #expect(write(0, width: 20) == String(repeating: " ", count: 19) + "0")
        #expect(write(1234, width: 6) == "  1234")
        #expect(write(UInt64.max, width: 20) == "18446744073709551615")
        #expect(write(123, width: 2) == nil)
        #expect(write(12, width: 2) == "12")
    }

    // MARK: Framer

    /// A server-side stream: login, sequenced OUCH messages, heartbeat, debug, end of session.
    static func serverStream() throws -> (bytes: [UInt8], packets: [CopiedPacket]) {
        var bytes: [UInt8] = []
        var packets: [CopiedPacket] = []
        func add(_ p: [UInt8]?) throws {
            let p = try #require(p)
            bytes += p
            packets.append(CopiedPacket(type: SoupBinTCP.PacketType(rawValue: p[2])!, payload: Array(p[3...])))
        }
        try add(encoded { SoupBinTCP.encodeLoginAccepted(into: $0, session: SoupBinTCP.session("SESS01")!, sequenceNumber: 1) })
        let event = try #require(encoded { OUCH42.SystemEvent(timestamp: VenueTime(nanosSinceMidnight: 1), eventCode: "S").encode(into: $0) })
        try add(event.withUnsafeBytes { m in encoded { SoupBinTCP.encodeSequencedData(into: $0, message: m) } })
        try add(encoded { SoupBinTCP.encodeEmpty(into: $0, type: .serverHeartbeat) })
        let accepted = try #require(encoded {
            OUCH42.Accepted(timestamp: VenueTime(nanosSinceMidnight: 2), orderToken: Alpha14("T1")!, side: .buy,
                            shares: Shares(rawValue: 100), stock: Alpha8("AAPL")!, price: Price(rawValue: 1_502_500),
                            timeInForce: OUCH42.marketHours, firm: Alpha4("FIRM")!, display: "Y",
                            orderReferenceNumber: OrderRef(rawValue: 77), capacity: "A", intermarketSweepEligibility: "N",
                            minimumQuantity: Shares(rawValue: 0), crossType: "N", orderState: "L",
                            bboWeightIndicator: " ").encode(into: $0)
        })
        try add(accepted.withUnsafeBytes { m in encoded { SoupBinTCP.encodeSequencedData(into: $0, message: m) } })
        try add(ascii("note").withUnsafeBytes { m in encoded { SoupBinTCP.encodeDebug(into: $0, text: m) } })
        try add(encoded { SoupBinTCP.encodeEmpty(into: $0, type: .endOfSession) })
        return (bytes, packets)
    }

    @Test func wholeStreamInOneChunkIsZeroCopy() throws {
        let (bytes, expected) = try Self.serverStream()
        var framer = SoupBinTCPFramer(maxPacketLength: 128, direction: .fromServer)
        var count = 0
        bytes.withUnsafeBytes { raw in
            framer.feed(raw)
            while case .packet(let p) = framer.next() {
                // Views point into the chunk itself.
                let start = p.payload.baseAddress! - raw.baseAddress!
                #expect(start >= 3 && start + p.payload.count <= raw.count)
                #expect(CopiedPacket(type: p.type, payload: Array(p.payload)) == expected[count])
                count += 1
            }
            #expect(framer.unreadByteCount == 0)
        }
        #expect(count == expected.count)
        #expect(framer.bufferedByteCount == 0)
    }

    @Test func everySingleSplitPoint() throws {
        let (bytes, expected) = try Self.serverStream()
        for cut in 0...bytes.count {
            var framer = SoupBinTCPFramer(maxPacketLength: 128, direction: .fromServer)
            var got: [CopiedPacket] = []
            #expect(drain(&framer, bytes[..<cut], into: &got) == nil)
            #expect(drain(&framer, bytes[cut...], into: &got) == nil)
            #expect(got == expected, "cut at \(cut)")
            #expect(framer.bufferedByteCount == 0)
        }
    }

    @Test func everyPairOfSplitPoints() throws {
        let (bytes, expected) = try Self.serverStream()
        var framer = SoupBinTCPFramer(maxPacketLength: 128, direction: .fromServer)
        for a in 0...bytes.count {
            for b in a...bytes.count {
                framer.reset()
                var got: [CopiedPacket] = []
                _ = drain(&framer, bytes[..<a], into: &got)
                _ = drain(&framer, bytes[a..<b], into: &got)
                _ = drain(&framer, bytes[b...], into: &got)
                if got != expected { Issue.record("cuts at \(a), \(b): \(got)"); return }
            }
        }
    }

    @Test func byteAtATime() throws {
        let (bytes, expected) = try Self.serverStream()
        var framer = SoupBinTCPFramer(maxPacketLength: 128, direction: .fromServer)
        var got: [CopiedPacket] = []
        for i in bytes.indices {
            #expect(drain(&framer, bytes[i...i], into: &got) == nil)
        }
        #expect(got == expected)
    }

    @Test func randomChunkingOfALongStream() throws {
        let (one, expectedOne) = try Self.serverStream()
        let bytes = Array([[UInt8]](repeating: one, count: 50).joined())
        let expected = Array([[CopiedPacket]](repeating: expectedOne, count: 50).joined())
        var rng = SplitMix64(seed: 7)
        for _ in 0..<20 {
            var framer = SoupBinTCPFramer(maxPacketLength: 128, direction: .fromServer)
            var got: [CopiedPacket] = []
            var i = 0
            while i < bytes.count {
                let n = Int.random(in: 1...150, using: &rng)
                let end = min(bytes.count, i + n)
                #expect(drain(&framer, bytes[i..<end], into: &got) == nil)
                i = end
            }
            #expect(got == expected)
        }
    }

    @Test func partialPacketIsBuffered() {
        var framer = SoupBinTCPFramer(maxPacketLength: 64)
        var got: [CopiedPacket] = []
        #expect(drain(&framer, hex("00 05 53 01 02")[...], into: &got) == nil)
        #expect(got.isEmpty)
        #expect(framer.bufferedByteCount == 5)
        #expect(drain(&framer, hex("03 04 00")[...], into: &got) == nil)
        #expect(got == [CopiedPacket(type: .sequencedData, payload: [1, 2, 3, 4])])
        #expect(framer.bufferedByteCount == 1)
        #expect(drain(&framer, hex("01 48")[...], into: &got) == nil)
        #expect(got.last == CopiedPacket(type: .serverHeartbeat, payload: []))
        #expect(framer.bufferedByteCount == 0)
    }

    // MARK: Hostile input

    @Test(arguments: [
        (hex("00 00 48"), SoupBinTCPFramer.FramingError.zeroLength),
        (hex("00 00"), .zeroLength),
        (hex("FF FF 53"), .tooLong(length: 65_535, maximum: 100)),
        (hex("00 65"), .tooLong(length: 101, maximum: 100)),
        (hex("00 01 51"), .unknownType(0x51)),
        (hex("00 01 00"), .unknownType(0)),
        (hex("00 01 52"), .unexpectedType(.clientHeartbeat)),
        (hex("00 01 4C"), .unexpectedType(.loginRequest)),
        (hex("00 02 48 00"), .badLength(type: .serverHeartbeat, length: 2)),
        (hex("00 02 41 20"), .badLength(type: .loginAccepted, length: 2)),
        (hex("00 03 4A 41 41"), .badLength(type: .loginRejected, length: 3)),
    ])
    func hostileHeaders(input: [UInt8], error: SoupBinTCPFramer.FramingError) {
        // Whole, and one byte at a time: the same error either way, and it sticks.
        for byteAtATime in [false, true] {
            var framer = SoupBinTCPFramer(maxPacketLength: 100, direction: .fromServer)
            var got: [CopiedPacket] = []
            var failure: SoupBinTCPFramer.FramingError?
            // A good packet first, so the error comes mid-stream.
            #expect(drain(&framer, hex("00 01 48")[...], into: &got) == nil)
            if byteAtATime {
                for i in input.indices where failure == nil { failure = drain(&framer, input[i...i], into: &got) }
            } else {
                failure = drain(&framer, input[...], into: &got)
            }
            #expect(failure == error, "\(hexString(input)) byteAtATime=\(byteAtATime)")
            #expect(got == [CopiedPacket(type: .serverHeartbeat, payload: [])])
            #expect(framer.error == error)
            #expect(drain(&framer, hex("00 01 48")[...], into: &got) == error)
            framer.reset()
            #expect(drain(&framer, hex("00 01 48")[...], into: &got) == nil)
            #expect(got.count == 2)
        }
    }

    @Test func clientDirectionRejectsServerPackets() {
        var framer = SoupBinTCPFramer(maxPacketLength: 100, direction: .fromClient)
        var got: [CopiedPacket] = []
        #expect(drain(&framer, hex("00 01 52 00 01 4F 00 02 2B 21")[...], into: &got) == nil)
        #expect(got.map(\.type) == [.clientHeartbeat, .logoutRequest, .debug])
        #expect(drain(&framer, hex("00 01 48")[...], into: &got) == .unexpectedType(.serverHeartbeat))
    }

    @Test func randomGarbageNeverCrashes() {
        var rng = SplitMix64(seed: 42)
        var failures = 0
        for _ in 0..<2_000 {
            var framer = SoupBinTCPFramer(maxPacketLength: 300)
            let bytes = (0..<Int.random(in: 0...200, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
            var got: [CopiedPacket] = []
            var i = 0
            while i < bytes.count {
                let end = min(bytes.count, i + Int.random(in: 1...17, using: &rng))
                if drain(&framer, bytes[i..<end], into: &got) != nil { failures += 1; break }
                i = end
            }
            for p in got { #expect(p.payload.count + 1 <= 300) }
        }
        #expect(failures > 1_000)
    }
}
