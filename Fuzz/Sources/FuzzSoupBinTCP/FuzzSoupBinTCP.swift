// Input: a 4-byte header, then a SoupBinTCP byte stream.
//   byte 0: bits 0-2 pick the framer's maximum packet length (see `maxLengths`), bit 3 feeds an
//           empty chunk before every chunk, bit 4 makes those empty chunks nil-based;
//   bytes 1-3: chunk sizes, used in turn to cut the stream (0: the rest of the stream).
// For each direction (from server, from client, either) one framer takes the whole stream as one
// chunk (the reference), is reset, and takes it again cut into chunks; every packet is pulled, and
// those of the chunked pass are examined in depth.
//
// Invariants checked:
// - each packet is the next bytes of the stream: its header and payload equal the stream at the
//   running offset, whether it came from the chunk or was assembled in the framer's buffer;
// - its type is one the direction allows, its length within the maximum, a fixed-size type has
//   its fixed size, `SoupBinTCP.packet(in:)` accepts its bytes, and `SoupBinTCP.encode` writes
//   them back byte for byte (and refuses a buffer one byte short);
// - chunking changes nothing: the chunked pass yields the same packets and ends with the same
//   error (or the same number of buffered bytes) as the one-chunk pass; after a failure the
//   framer keeps answering that error; `reset()` clears everything;
// - the Login Request/Accepted/Rejected views exist exactly for their types, every field reads,
//   the numeric fields parse as a reference parser says, and re-encoding a login from its fields
//   gives a packet whose view reads the same fields.
// Sequenced and Unsequenced Data payloads go through the OUCH 4.2 and 5.0 inbound and outbound
// decoders, every field of each decoded message read and every OUCH 5.0 appendage walked.
import OrderEntry

/// Folded into from every field read, so no read is dead.
nonisolated(unsafe) var sink = 0

let maxLengths = [SoupBinTCP.maxPacketLength, SoupBinTCP.maxPacketLength, 1, 2, 3, 46, 47, 300]

/// What one pass saw of a packet: enough to compare the two passes.
struct Seen: Equatable {
    var type: SoupBinTCP.PacketType
    var offset: Int
    var payloadCount: Int
}

/// One pass over the stream: the packets so far, the error if any, and where the next packet
/// starts.
struct Pass {
    let stream: UnsafeRawBufferPointer
    let direction: SoupBinTCP.Direction
    let maxPacketLength: Int
    /// Whether to re-encode packets and read views and OUCH payloads too: only in the chunked
    /// pass, whose packets may be assembled in the framer's buffer; the one-chunk pass only has
    /// to frame the same bytes the same way.
    let deep: Bool
    var seen: [Seen] = []
    var offset = 0
    var error: SoupBinTCPFramer.FramingError?

    /// Pulls packets until the framer wants more data (true) or fails (false).
    mutating func drain(_ framer: inout SoupBinTCPFramer) -> Bool {
        while true {
            switch framer.next() {
            case .packet(let p): examine(p)
            case .needMoreData: return true
            case .failed(let e):
                error = e
                return false
            }
        }
    }

    mutating func examine(_ p: SoupBinTCP.Packet) {
        let count = p.payload.count
        let total = SoupBinTCP.headerLength + count
        precondition(offset + total <= stream.count, "a packet runs past the end of the stream")
        let wire = UnsafeRawBufferPointer(rebasing: stream[offset..<(offset + total)])
        precondition(Int(wire[0]) << 8 | Int(wire[1]) == p.packetLength, "packet length differs from the stream")
        precondition(wire[2] == p.type.rawValue, "packet type differs from the stream")
        precondition(p.payload.elementsEqual(wire[3...]), "payload differs from the stream")
        precondition(p.packetLength >= 1 && p.packetLength <= maxPacketLength, "packet longer than the maximum")
        switch direction {
        case .fromServer: precondition(p.type.sentByServer, "a client packet in a server stream")
        case .fromClient: precondition(p.type.sentByClient, "a server packet in a client stream")
        case .either: break
        }
        if let fixed = p.type.fixedPayloadLength { precondition(count == fixed, "fixed-size packet of another size") }

        if deep { examineContent(p, wire) }
        seen.append(Seen(type: p.type, offset: offset, payloadCount: count))
        offset += total
    }

    func examineContent(_ p: SoupBinTCP.Packet, _ wire: UnsafeRawBufferPointer) {
        let count = p.payload.count
        let total = wire.count
        guard let one = SoupBinTCP.packet(in: wire) else { fatalError("packet(in:) rejects a framed packet") }
        precondition(one.type == p.type && one.payload.count == count, "packet(in:) reads a framed packet differently")

        withBuffer(total) { out in
            precondition(SoupBinTCP.encode(into: out, type: p.type, payload: p.payload) == total, "encode length")
            precondition(UnsafeRawBufferPointer(out).elementsEqual(wire), "encode does not give back the packet")
        }
        withBuffer(total - 1) { out in
            precondition(SoupBinTCP.encode(into: out, type: p.type, payload: p.payload) == nil,
                         "encode into a buffer one byte short")
        }

        readViews(p)
        switch p.type {
        case .sequencedData, .unsequencedData: readOUCH(p.payload)
        case .debug: for b in p.payload { sink &+= Int(b) }
        default: break
        }
    }
}

/// Runs `body` over a fresh heap buffer of exactly `count` bytes (ASan sees writes past it).
func withBuffer(_ count: Int, _ body: (UnsafeMutableRawBufferPointer) -> Void) {
    let b = UnsafeMutableRawBufferPointer.allocate(byteCount: count, alignment: 1)
    defer { b.deallocate() }
    body(b)
}

// MARK: Login views

func readViews(_ p: SoupBinTCP.Packet) {
    let request = SoupBinTCP.LoginRequestView(p)
    let accepted = SoupBinTCP.LoginAcceptedView(p)
    let rejected = SoupBinTCP.LoginRejectedView(p)
    precondition((request != nil) == (p.type == .loginRequest), "Login Request view for another type")
    precondition((accepted != nil) == (p.type == .loginAccepted), "Login Accepted view for another type")
    precondition((rejected != nil) == (p.type == .loginRejected), "Login Rejected view for another type")

    if let v = request {
        sink &+= v.username.hashValue &+ v.password.hashValue &+ v.requestedSession.hashValue
        sink &+= v.username.description.utf8.count &+ v.password.description.utf8.count
            &+ v.requestedSession.description.utf8.count &+ (v.requestedSession.isBlank ? 1 : 0)
        let seq = checkNumeric(v.requestedSequenceNumberField, v.requestedSequenceNumber)
        if let seq {
            withBuffer(49) { out in
                let n = SoupBinTCP.encodeLoginRequest(into: out, username: v.username, password: v.password,
                                                      requestedSession: v.requestedSession,
                                                      requestedSequenceNumber: seq)
                precondition(n == 49, "Login Request encode length")
                guard let q = SoupBinTCP.packet(in: UnsafeRawBufferPointer(out)),
                      let again = SoupBinTCP.LoginRequestView(q) else { fatalError("re-encoded Login Request") }
                precondition(again.username == v.username && again.password == v.password
                             && again.requestedSession == v.requestedSession
                             && again.requestedSequenceNumber == seq, "Login Request does not round-trip")
            }
        }
    }
    if let v = accepted {
        sink &+= v.session.hashValue &+ v.session.description.utf8.count
        if let seq = checkNumeric(v.sequenceNumberField, v.sequenceNumber) {
            withBuffer(33) { out in
                precondition(SoupBinTCP.encodeLoginAccepted(into: out, session: v.session, sequenceNumber: seq) == 33,
                             "Login Accepted encode length")
                guard let q = SoupBinTCP.packet(in: UnsafeRawBufferPointer(out)),
                      let again = SoupBinTCP.LoginAcceptedView(q) else { fatalError("re-encoded Login Accepted") }
                precondition(again.session == v.session && again.sequenceNumber == seq, "Login Accepted does not round-trip")
            }
        }
    }
    if let v = rejected {
        let reason = v.reason
        sink &+= Int(reason.rawValue) &+ reason.description.utf8.count
        withBuffer(4) { out in
            precondition(SoupBinTCP.encodeLoginRejected(into: out, reason: reason) == 4, "Login Rejected encode length")
            guard let q = SoupBinTCP.packet(in: UnsafeRawBufferPointer(out)),
                  let again = SoupBinTCP.LoginRejectedView(q) else { fatalError("re-encoded Login Rejected") }
            precondition(again.reason == reason, "Login Rejected does not round-trip")
        }
    }
}

/// Checks `parsed` (the library's reading of `field`) against a reference parser, and that a
/// parsed value writes back and parses again to itself; returns the value.
func checkNumeric(_ field: UnsafeRawBufferPointer, _ parsed: UInt64?) -> UInt64? {
    precondition(field.count == SoupBinTCP.sequenceNumberLength, "numeric field width")
    precondition(parsed == referenceNumeric(field), "parseNumeric disagrees with the reference parser")
    precondition(SoupBinTCP.parseNumeric(field) == parsed, "the view's number differs from parseNumeric")
    guard let value = parsed else { return nil }
    withBuffer(field.count) { out in
        precondition(SoupBinTCP.writeNumeric(value, into: out), "a parsed number does not fit its field")
        precondition(SoupBinTCP.parseNumeric(UnsafeRawBufferPointer(out)) == value, "writeNumeric/parseNumeric")
    }
    return value
}

/// Spaces, then at least one decimal digit, then spaces, with the value in UInt64; else nil.
func referenceNumeric(_ field: UnsafeRawBufferPointer) -> UInt64? {
    let bytes = Array(field)
    guard let first = bytes.firstIndex(where: { $0 != 0x20 }) else { return nil }
    let last = bytes.lastIndex(where: { $0 != 0x20 })!
    let digits = bytes[first...last]
    guard digits.allSatisfy({ (0x30...0x39).contains($0) }) else { return nil }
    var value: UInt64 = 0
    for d in digits {
        let (m, o1) = value.multipliedReportingOverflow(by: 10)
        let (s, o2) = m.addingReportingOverflow(UInt64(d - 0x30))
        if o1 || o2 { return nil }
        value = s
    }
    return value
}

// MARK: OUCH payloads

/// Walks an OUCH 5.0 appendage and reads every field through `message`.
func read50<V: OUCH50MessageView>(_ v: V) -> Int where V.Message: Hashable {
    var h = 0
    for e in v.appendage {
        h &+= Int(e.tag) &+ e.value.count &+ Int(e.u8 ?? 0) &+ Int(e.u16 ?? 0) &+ Int(e.u32 ?? 0)
            &+ Int(truncatingIfNeeded: e.u64 ?? 0)
    }
    return h &+ v.message.hashValue
}

func readOUCH(_ payload: UnsafeRawBufferPointer) {
    switch OUCH42.decodeInbound(payload) {
    case .success(.enterOrder(let v)): sink &+= v.message.hashValue
    case .success(.replaceOrder(let v)): sink &+= v.message.hashValue
    case .success(.cancelOrder(let v)): sink &+= v.message.hashValue
    case .success(.modifyOrder(let v)): sink &+= v.message.hashValue
    case .failure(let e): sink &+= e.hashValue
    }
    switch OUCH42.decodeOutbound(payload) {
    case .success(.systemEvent(let v)): sink &+= v.message.hashValue
    case .success(.accepted(let v)): sink &+= v.message.hashValue
    case .success(.replaced(let v)): sink &+= v.message.hashValue
    case .success(.canceled(let v)): sink &+= v.message.hashValue
    case .success(.aiqCanceled(let v)): sink &+= v.message.hashValue
    case .success(.executed(let v)): sink &+= v.message.hashValue
    case .success(.brokenTrade(let v)): sink &+= v.message.hashValue
    case .success(.rejected(let v)): sink &+= v.message.hashValue
    case .success(.cancelPending(let v)): sink &+= v.message.hashValue
    case .success(.cancelReject(let v)): sink &+= v.message.hashValue
    case .success(.orderPriorityUpdate(let v)): sink &+= v.message.hashValue
    case .success(.orderModified(let v)): sink &+= v.message.hashValue
    case .failure(let e): sink &+= e.hashValue
    }
    switch OUCH50.decodeInbound(payload) {
    case .success(.enterOrder(let v)): sink &+= read50(v)
    case .success(.replaceOrder(let v)): sink &+= read50(v)
    case .success(.cancelOrder(let v)): sink &+= read50(v)
    case .success(.modifyOrder(let v)): sink &+= read50(v)
    case .success(.massCancel(let v)): sink &+= read50(v)
    case .success(.accountQuery(let v)): sink &+= read50(v)
    case .failure(let e): sink &+= e.hashValue
    }
    switch OUCH50.decodeOutbound(payload) {
    case .success(.systemEvent(let v)): sink &+= read50(v)
    case .success(.orderAccepted(let v)): sink &+= read50(v)
    case .success(.orderReplaced(let v)): sink &+= read50(v)
    case .success(.orderCanceled(let v)): sink &+= read50(v)
    case .success(.aiqCanceled(let v)): sink &+= read50(v)
    case .success(.orderExecuted(let v)): sink &+= read50(v)
    case .success(.brokenTrade(let v)): sink &+= read50(v)
    case .success(.orderRejected(let v)): sink &+= read50(v)
    case .success(.cancelPending(let v)): sink &+= read50(v)
    case .success(.cancelReject(let v)): sink &+= read50(v)
    case .success(.orderPriorityUpdate(let v)): sink &+= read50(v)
    case .success(.orderModified(let v)): sink &+= read50(v)
    case .success(.orderRestated(let v)): sink &+= read50(v)
    case .success(.massCancelResponse(let v)): sink &+= read50(v)
    case .success(.accountQueryResponse(let v)): sink &+= read50(v)
    case .failure(let e): sink &+= e.hashValue
    }
}

// MARK: Entry

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    guard size >= 4 else { return 0 }
    let config = data[0]
    let maxPacketLength = maxLengths[Int(config & 7)]
    let emptyChunks = config & 0x08 != 0
    let nilEmptyChunks = config & 0x10 != 0
    let sizes = [Int(data[1]), Int(data[2]), Int(data[3])]
    let stream = UnsafeRawBufferPointer(start: data + 4, count: size - 4)

    for direction in [SoupBinTCP.Direction.fromServer, .fromClient, .either] {
        var framer = SoupBinTCPFramer(maxPacketLength: maxPacketLength, direction: direction)
        precondition(framer.maxPacketLength == maxPacketLength && framer.error == nil, "framer init")

        // The whole stream as one chunk.
        var whole = Pass(stream: stream, direction: direction, maxPacketLength: maxPacketLength, deep: false)
        framer.feed(stream)
        if whole.drain(&framer) {
            precondition(framer.unreadByteCount == 0, "needMoreData with bytes of the chunk unread")
            precondition(framer.bufferedByteCount == stream.count - whole.offset, "buffered bytes after one chunk")
        } else {
            precondition(framer.error == whole.error, "error property differs from the failure")
            guard case .failed(let again) = framer.next(), again == whole.error else {
                fatalError("a failed framer stopped answering its error")
            }
            precondition(framer.bufferedByteCount == 0, "bytes buffered after a failure")
            framer.feed(UnsafeRawBufferPointer(start: nil, count: 0))  // allowed once failed
        }

        framer.reset()
        precondition(framer.error == nil && framer.bufferedByteCount == 0 && framer.unreadByteCount == 0, "reset")

        // The same stream in chunks.
        var chunked = Pass(stream: stream, direction: direction, maxPacketLength: maxPacketLength, deep: true)
        var position = 0
        var turn = 0
        var failed = false
        while position < stream.count && !failed {
            if emptyChunks {
                let base = nilEmptyChunks ? nil : stream.baseAddress! + position
                framer.feed(UnsafeRawBufferPointer(start: base, count: 0))
                failed = !chunked.drain(&framer)
                if failed { break }
            }
            let wanted = sizes[turn % sizes.count]
            turn += 1
            let n = wanted == 0 ? stream.count - position : min(wanted, stream.count - position)
            framer.feed(UnsafeRawBufferPointer(rebasing: stream[position..<(position + n)]))
            position += n
            failed = !chunked.drain(&framer)
        }
        precondition(chunked.seen == whole.seen, "chunking changed the packets")
        precondition(chunked.error == whole.error, "chunking changed the error")
        if !failed {
            precondition(framer.bufferedByteCount == stream.count - chunked.offset, "buffered bytes after chunks")
        }
    }
    return 0
}
