// A starting corpus: short client and server sessions written by the library's encoders, each
// behind the 4-byte harness header (config byte, three chunk sizes).
import Glibc
import OrderEntry
import TickwireCore

/// Appends what `encode` writes (into a 1 KiB scratch buffer) to `bytes`; traps if it fails,
/// which only a mistake in a seed below can cause.
func append(_ bytes: inout [UInt8], _ encode: (UnsafeMutableRawBufferPointer) -> Int?) {
    var scratch = [UInt8](repeating: 0, count: 1024)
    guard let n = scratch.withUnsafeMutableBytes({ encode($0) }) else { fatalError("a seed did not encode") }
    bytes += scratch.prefix(n)
}

/// An OUCH message framed as Sequenced or Unsequenced Data.
func data(_ type: SoupBinTCP.PacketType, _ message: @escaping (UnsafeMutableRawBufferPointer) -> Int?)
    -> (UnsafeMutableRawBufferPointer) -> Int? {
    { out in
        var inner = [UInt8](repeating: 0, count: 512)
        guard let n = inner.withUnsafeMutableBytes({ message($0) }) else { return nil }
        return inner.withUnsafeBytes {
            SoupBinTCP.encode(into: out, type: type, payload: UnsafeRawBufferPointer(rebasing: $0[0..<n]))
        }
    }
}

func clientSession() -> [UInt8] {
    var s: [UInt8] = []
    append(&s) { SoupBinTCP.encodeLoginRequest(into: $0, username: Alpha6("USER1")!, password: Alpha10("SECRET")!,
                                               requestedSession: .blank, requestedSequenceNumber: 1) }
    append(&s, data(.unsequencedData, OUCH42.EnterOrder(
        orderToken: Alpha14("T1")!, side: .buy, shares: Shares(rawValue: 100), stock: Alpha8("MSFT")!,
        price: Price(rawValue: 4_200_000), timeInForce: 0, firm: .blank, display: "Y", capacity: "A",
        intermarketSweepEligibility: "N", minimumQuantity: Shares(rawValue: 0), crossType: "N",
        customerType: " ").encode))
    append(&s, data(.unsequencedData, OUCH50.EnterOrder(
        userRefNum: 7, side: .sell, quantity: Shares(rawValue: 50), symbol: Alpha8("MSFT")!,
        price: Price(rawValue: 4_210_000), timeInForce: "0", display: "Y", capacity: "A",
        intermarketSweepEligibility: "N", crossType: "N", clOrdID: Alpha14("C7")!,
        options: OUCH50.Options(minQty: Shares(rawValue: 10), pegOffset: Price(rawValue: 100))).encode))
    append(&s, data(.unsequencedData, OUCH50.CancelOrder(userRefNum: 7, quantity: Shares(rawValue: 0)).encode))
    append(&s) { SoupBinTCP.encodeEmpty(into: $0, type: .clientHeartbeat) }
    append(&s) { out in ascii("hello").withUnsafeBytes { SoupBinTCP.encodeDebug(into: out, text: $0) } }
    append(&s) { SoupBinTCP.encodeEmpty(into: $0, type: .logoutRequest) }
    return s
}

func serverSession() -> [UInt8] {
    let noon = VenueTime(nanosSinceMidnight: 43_200_000_000_000)
    var s: [UInt8] = []
    append(&s) { SoupBinTCP.encodeLoginAccepted(into: $0, session: SoupBinTCP.session("SESS01")!, sequenceNumber: 1) }
    append(&s, data(.sequencedData, OUCH42.SystemEvent(timestamp: noon, eventCode: "S").encode))
    append(&s, data(.sequencedData, OUCH42.Executed(
        timestamp: noon, orderToken: Alpha14("T1")!, executedShares: Shares(rawValue: 100),
        executionPrice: Price(rawValue: 4_200_000), liquidityFlag: "A", matchNumber: 1).encode))
    append(&s, data(.sequencedData, OUCH50.OrderCanceled(
        timestamp: noon, userRefNum: 7, quantity: Shares(rawValue: 50), reason: "U",
        options: OUCH50.Options(bboWeightIndicator: "S")).encode))
    append(&s) { SoupBinTCP.encodeEmpty(into: $0, type: .serverHeartbeat) }
    append(&s) { SoupBinTCP.encodeEmpty(into: $0, type: .endOfSession) }
    return s
}

func rejectedSession() -> [UInt8] {
    var s: [UInt8] = []
    append(&s) { SoupBinTCP.encodeLoginRejected(into: $0, reason: SoupBinTCP.notAuthorized) }
    return s
}

func ascii(_ text: String) -> [UInt8] { Array(text.utf8) }

/// Writes every seed as its own file in `dir` (which must exist); 0 on success.
func writeSeeds(to dir: String) -> Int32 {
    let seeds: [(String, [UInt8])] = [
        ("client-whole", [0x00, 0, 0, 0] + clientSession()),
        ("client-chunks", [0x00, 1, 7, 40] + clientSession()),
        ("client-empty-chunks", [0x18, 3, 0, 0] + clientSession()),
        ("server-whole", [0x00, 0, 0, 0] + serverSession()),
        ("server-chunks", [0x08, 2, 33, 5] + serverSession()),
        ("server-small-max", [0x07, 16, 16, 16] + serverSession()),
        ("login-rejected", [0x00, 1, 1, 1] + rejectedSession()),
    ]
    for (name, bytes) in seeds {
        guard writeFile(dir + "/seed-" + name, bytes) else { return 1 }
    }
    print("wrote \(seeds.count) seeds to \(dir)")
    return 0
}

/// Writes `bytes` to `path`, replacing it; false (with a message) on failure.
func writeFile(_ path: String, _ bytes: [UInt8]) -> Bool {
    guard let f = fopen(path, "wb") else {
        print("cannot open \(path)")
        return false
    }
    defer { fclose(f) }
    return bytes.withUnsafeBytes { fwrite($0.baseAddress, 1, $0.count, f) } == bytes.count
}
