// Input: the bytes of one OUCH message, decoded as it stands by OUCH 4.2 and OUCH 5.0, inbound
// and outbound (four decoders, same bytes).
//
// For each decode that succeeds: every field is read through the view's `message`, OUCH 5.0
// appendages are walked element by element, and the message value is encoded again with
// `encode(into:)`. Invariants checked:
// - a decoded message always re-encodes (its values came off the wire, so they fit it), into a
//   buffer of exactly the encoded size and not into one byte less;
// - the re-encoding decodes again, with the same decoder, to an equal message value;
// - when the input is canonical the re-encoding is byte for byte the input. OUCH 4.2 messages
//   are always canonical (fixed layout, every byte a field). An OUCH 5.0 message is not when its
//   appendage has tags the spec does not define (not kept in the value), repeats a tag or lists
//   tags out of order (the encoder writes each once, in tag order), or is an empty appendage
//   behind an optional Appendage Length (the encoder leaves the length out);
// - a validated appendage is well-formed and its elements cover it exactly, each known tag with
//   the spec's value size;
// - OUCH 4.2 decodes exactly when the length is the one its type table gives;
// - read as a bare TagValue list, the input's iteration and `validate` agree, and the options
//   parsed from it write (to exactly `encodedLength` bytes) and parse back to themselves.
import OrderEntry

/// A message value the harness can encode again and compare.
protocol Reencodable: Hashable {
    func encode(into out: UnsafeMutableRawBufferPointer) -> Int?
}

extension OUCH42.EnterOrder: Reencodable {}
extension OUCH42.ReplaceOrder: Reencodable {}
extension OUCH42.CancelOrder: Reencodable {}
extension OUCH42.ModifyOrder: Reencodable {}
extension OUCH42.SystemEvent: Reencodable {}
extension OUCH42.Accepted: Reencodable {}
extension OUCH42.Replaced: Reencodable {}
extension OUCH42.Canceled: Reencodable {}
extension OUCH42.AIQCanceled: Reencodable {}
extension OUCH42.Executed: Reencodable {}
extension OUCH42.BrokenTrade: Reencodable {}
extension OUCH42.Rejected: Reencodable {}
extension OUCH42.CancelPending: Reencodable {}
extension OUCH42.CancelReject: Reencodable {}
extension OUCH42.OrderPriorityUpdate: Reencodable {}
extension OUCH42.OrderModified: Reencodable {}

extension OUCH50.EnterOrder: Reencodable {}
extension OUCH50.ReplaceOrder: Reencodable {}
extension OUCH50.CancelOrder: Reencodable {}
extension OUCH50.ModifyOrder: Reencodable {}
extension OUCH50.MassCancel: Reencodable {}
extension OUCH50.AccountQuery: Reencodable {}
extension OUCH50.SystemEvent: Reencodable {}
extension OUCH50.OrderAccepted: Reencodable {}
extension OUCH50.OrderReplaced: Reencodable {}
extension OUCH50.OrderCanceled: Reencodable {}
extension OUCH50.AIQCanceled: Reencodable {}
extension OUCH50.OrderExecuted: Reencodable {}
extension OUCH50.BrokenTrade: Reencodable {}
extension OUCH50.OrderRejected: Reencodable {}
extension OUCH50.CancelPending: Reencodable {}
extension OUCH50.CancelReject: Reencodable {}
extension OUCH50.OrderPriorityUpdate: Reencodable {}
extension OUCH50.OrderModified: Reencodable {}
extension OUCH50.OrderRestated: Reencodable {}
extension OUCH50.MassCancelResponse: Reencodable {}
extension OUCH50.AccountQueryResponse: Reencodable {}

/// What one decode gave: the message value and whether the input is in the encoder's own form.
struct Decoded {
    var message: any Reencodable
    var canonical: Bool
}

/// Folded into from every field read, so no read is dead.
nonisolated(unsafe) var sink = 0

// MARK: OUCH 4.2

func decoded42<V: OUCH42MessageView>(_ view: V) -> Decoded where V.Message: Reencodable {
    precondition(view.bytes.count == V.length && view.base.load(as: UInt8.self) == V.messageType,
                 "OUCH 4.2 view over bytes of another type or length")
    let m = view.message
    sink &+= m.hashValue
    return Decoded(message: m, canonical: true)
}

func inbound42(_ bytes: UnsafeRawBufferPointer) -> Decoded? {
    switch OUCH42.decodeInbound(bytes) {
    case .success(.enterOrder(let v)): decoded42(v)
    case .success(.replaceOrder(let v)): decoded42(v)
    case .success(.cancelOrder(let v)): decoded42(v)
    case .success(.modifyOrder(let v)): decoded42(v)
    case .failure: nil
    }
}

func outbound42(_ bytes: UnsafeRawBufferPointer) -> Decoded? {
    switch OUCH42.decodeOutbound(bytes) {
    case .success(.systemEvent(let v)): decoded42(v)
    case .success(.accepted(let v)): decoded42(v)
    case .success(.replaced(let v)): decoded42(v)
    case .success(.canceled(let v)): decoded42(v)
    case .success(.aiqCanceled(let v)): decoded42(v)
    case .success(.executed(let v)): decoded42(v)
    case .success(.brokenTrade(let v)): decoded42(v)
    case .success(.rejected(let v)): decoded42(v)
    case .success(.cancelPending(let v)): decoded42(v)
    case .success(.cancelReject(let v)): decoded42(v)
    case .success(.orderPriorityUpdate(let v)): decoded42(v)
    case .success(.orderModified(let v)): decoded42(v)
    case .failure: nil
    }
}

// MARK: OUCH 5.0

func decoded50<V: OUCH50MessageView>(_ view: V) -> Decoded where V.Message: Reencodable {
    let n = view.bytes.count
    precondition(n >= V.baseLength && view.base.load(as: UInt8.self) == V.messageType,
                 "OUCH 5.0 view over bytes of another type or too short")
    switch V.appendageRule {
    case .none: precondition(n == V.baseLength && !view.hasAppendageLength, "System Event with an appendage")
    case .required: precondition(view.hasAppendageLength, "required Appendage Length missing")
    case .optional: precondition(n == V.baseLength || view.hasAppendageLength, "stray bytes after the fixed part")
    }

    var canonical = true
    let appendage = view.appendage
    precondition(appendage.isWellFormed, "a validated appendage is not well-formed")
    if view.hasAppendageLength {
        precondition(Int(view.base.load(fromByteOffset: V.baseLength, as: UInt8.self)) << 8
                     | Int(view.base.load(fromByteOffset: V.baseLength + 1, as: UInt8.self)) == appendage.bytes.count,
                     "Appendage Length does not match the appendage")
        if V.appendageRule == .optional && appendage.isEmpty { canonical = false }
    }
    var covered = 0
    var lastTag = -1
    for element in appendage {
        covered += 2 + element.value.count
        sink &+= Int(element.tag) &+ element.value.count
        sink &+= Int(element.u8 ?? 0) &+ Int(element.u16 ?? 0) &+ Int(element.u32 ?? 0) &+ Int(truncatingIfNeeded: element.u64 ?? 0)
        for b in element.value { sink &+= Int(b) }
        guard let size = OUCH50.Tag.valueLength(of: element.tag) else {
            canonical = false  // an unknown tag: skipped by the value, so not re-encoded
            continue
        }
        precondition(size == element.value.count, "a validated appendage has a known tag of the wrong size")
        precondition(appendage.first(tag: element.tag) != nil, "first(tag:) misses a tag the iterator found")
        if Int(element.tag) <= lastTag { canonical = false }  // repeated or out of tag order
        lastTag = Int(element.tag)
    }
    precondition(covered == appendage.bytes.count, "the elements of a validated appendage do not cover it")

    let m = view.message
    sink &+= m.hashValue
    return Decoded(message: m, canonical: canonical)
}

func inbound50(_ bytes: UnsafeRawBufferPointer) -> Decoded? {
    switch OUCH50.decodeInbound(bytes) {
    case .success(.enterOrder(let v)): decoded50(v)
    case .success(.replaceOrder(let v)): decoded50(v)
    case .success(.cancelOrder(let v)): decoded50(v)
    case .success(.modifyOrder(let v)): decoded50(v)
    case .success(.massCancel(let v)): decoded50(v)
    case .success(.accountQuery(let v)): decoded50(v)
    case .failure: nil
    }
}

func outbound50(_ bytes: UnsafeRawBufferPointer) -> Decoded? {
    switch OUCH50.decodeOutbound(bytes) {
    case .success(.systemEvent(let v)): decoded50(v)
    case .success(.orderAccepted(let v)): decoded50(v)
    case .success(.orderReplaced(let v)): decoded50(v)
    case .success(.orderCanceled(let v)): decoded50(v)
    case .success(.aiqCanceled(let v)): decoded50(v)
    case .success(.orderExecuted(let v)): decoded50(v)
    case .success(.brokenTrade(let v)): decoded50(v)
    case .success(.orderRejected(let v)): decoded50(v)
    case .success(.cancelPending(let v)): decoded50(v)
    case .success(.cancelReject(let v)): decoded50(v)
    case .success(.orderPriorityUpdate(let v)): decoded50(v)
    case .success(.orderModified(let v)): decoded50(v)
    case .success(.orderRestated(let v)): decoded50(v)
    case .success(.massCancelResponse(let v)): decoded50(v)
    case .success(.accountQueryResponse(let v)): decoded50(v)
    case .failure: nil
    }
}

// MARK: Re-encoding

/// The largest message any of the encoders can write: the longest fixed part (OUCH 4.2 Replaced,
/// 80) plus an Appendage Length and every option once (well under 200 bytes).
let scratchSize = 512

/// Encodes `decoded.message` again and checks it against `input` and against `decode`.
func reencode(_ input: UnsafeRawBufferPointer, _ decoded: Decoded, _ what: StaticString,
              decode: (UnsafeRawBufferPointer) -> Decoded?) {
    let message = decoded.message
    let scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: scratchSize, alignment: 1)
    defer { scratch.deallocate() }
    guard let n = message.encode(into: scratch) else { fatalError("\(what): a decoded message does not encode") }
    precondition(n >= 1 && n <= scratchSize, "\(what): encode reported an impossible length")

    // Exactly n bytes on the heap (ASan sees a write past them), then one byte less.
    let exact = UnsafeMutableRawBufferPointer.allocate(byteCount: n, alignment: 1)
    defer { exact.deallocate() }
    precondition(message.encode(into: exact) == n, "\(what): encode into an exact-size buffer")
    precondition(memoryEqual(UnsafeRawBufferPointer(exact), UnsafeRawBufferPointer(rebasing: scratch[0..<n])),
                 "\(what): two encodes of one message differ")
    let short = UnsafeMutableRawBufferPointer.allocate(byteCount: n - 1, alignment: 1)
    defer { short.deallocate() }
    precondition(message.encode(into: short) == nil, "\(what): encode into a buffer one byte short")

    if decoded.canonical {
        precondition(memoryEqual(UnsafeRawBufferPointer(exact), input),
                     "\(what): a canonical message re-encodes to other bytes")
    }
    guard let again = decode(UnsafeRawBufferPointer(exact)) else {
        fatalError("\(what): the re-encoded message does not decode")
    }
    precondition(again.canonical, "\(what): the encoder's output is not canonical")
    precondition(AnyHashable(again.message) == AnyHashable(message),
                 "\(what): the re-encoded message decodes to another value")
}

// MARK: The input as a bare appendage

/// Reads `input` as a TagValue list: iteration and `validate` must agree, and the options parsed
/// from it (well-formed or not) must write and parse back to themselves.
func bareAppendage(_ input: UnsafeRawBufferPointer) {
    let appendage = OUCH50.Appendage(bytes: input)
    var covered = 0
    var wrongSize = false
    for element in appendage {
        covered += 2 + element.value.count
        if let size = OUCH50.Tag.valueLength(of: element.tag), size != element.value.count { wrongSize = true }
    }
    precondition(covered <= input.count, "appendage elements run past its end")
    // validate passes exactly when iteration reached the end and every known tag had its size.
    precondition(appendage.isWellFormed == (covered == input.count && !wrongSize),
                 "Appendage.validate disagrees with its iterator")

    let options = OUCH50.Options(parsing: appendage)
    let n = options.encodedLength
    precondition(options.isEmpty == (n == 0), "Options.isEmpty")
    let out = UnsafeMutableRawBufferPointer.allocate(byteCount: n, alignment: 1)
    defer { out.deallocate() }
    guard let written = options.write(into: out) else { fatalError("parsed options do not write") }
    precondition(written == n, "Options.write length differs from encodedLength")
    let again = OUCH50.Appendage(bytes: UnsafeRawBufferPointer(out))
    precondition(again.isWellFormed, "Options.write gives a malformed appendage")
    precondition(OUCH50.Options(parsing: again) == options, "options do not survive write and parse")
    if n > 0 {
        let short = UnsafeMutableRawBufferPointer.allocate(byteCount: n - 1, alignment: 1)
        defer { short.deallocate() }
        precondition(options.write(into: short) == nil, "Options.write into a buffer one byte short")
    }
}

func memoryEqual(_ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer) -> Bool {
    a.count == b.count && a.elementsEqual(b)
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let input = UnsafeRawBufferPointer(start: data, count: size)

    let in42 = inbound42(input)
    let out42 = outbound42(input)
    let type = size > 0 ? data[0] : 0
    precondition((in42 != nil) == (size > 0 && OUCH42.inboundLength(of: type) == size),
                 "OUCH 4.2 inbound decode disagrees with its length table")
    precondition((out42 != nil) == (size > 0 && OUCH42.outboundLength(of: type) == size),
                 "OUCH 4.2 outbound decode disagrees with its length table")

    bareAppendage(input)
    if let d = in42 { reencode(input, d, "OUCH 4.2 inbound", decode: inbound42) }
    if let d = out42 { reencode(input, d, "OUCH 4.2 outbound", decode: outbound42) }
    if let d = inbound50(input) { reencode(input, d, "OUCH 5.0 inbound", decode: inbound50) }
    if let d = outbound50(input) { reencode(input, d, "OUCH 5.0 outbound", decode: outbound50) }
    return 0
}
