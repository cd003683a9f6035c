// A starting corpus: one valid message of most types, OUCH 4.2 and 5.0, written by the library's
// own encoders (5.0 ones with and without appendages).
import Glibc
import OrderEntry
import TickwireCore

let token = Alpha14("ORD0000000001")!
let stock = Alpha8("AAPL")!
let firm = Alpha4("FIRM")!
let noon = VenueTime(nanosSinceMidnight: 43_200_000_000_000)
let options50 = OUCH50.Options(firm: firm, minQty: Shares(rawValue: 100), customerType: "R",
                               maxFloor: Shares(rawValue: 200), pegOffset: Price(rawValue: -500),
                               expireTime: 3_600, handleInst: " ", groupID: 7, aiqGroupID: 0x2A2A)

/// (file name, encoder) for every seed.
func allSeeds() -> [(String, (UnsafeMutableRawBufferPointer) -> Int?)] { [
    ("ouch42-enter-order", OUCH42.EnterOrder(
        orderToken: token, side: .buy, shares: Shares(rawValue: 100), stock: stock, price: Price(rawValue: 1_502_500),
        timeInForce: OUCH42.marketHours, firm: firm, display: "A", capacity: "A", intermarketSweepEligibility: "N",
        minimumQuantity: Shares(rawValue: 0), crossType: "N", customerType: "R").encode),
    ("ouch42-cancel-order", OUCH42.CancelOrder(orderToken: token, shares: Shares(rawValue: 0)).encode),
    ("ouch42-modify-order", OUCH42.ModifyOrder(orderToken: token, side: .sellShort, shares: Shares(rawValue: 50)).encode),
    ("ouch42-system-event", OUCH42.SystemEvent(timestamp: noon, eventCode: "S").encode),
    ("ouch42-accepted", OUCH42.Accepted(
        timestamp: noon, orderToken: token, side: .sell, shares: Shares(rawValue: 300), stock: stock,
        price: Price(rawValue: 990_000), timeInForce: 0, firm: firm, display: "Y", orderReferenceNumber: OrderRef(rawValue: 77),
        capacity: "P", intermarketSweepEligibility: "Y", minimumQuantity: Shares(rawValue: 0), crossType: "N",
        orderState: "L", bboWeightIndicator: "1").encode),
    ("ouch42-executed", OUCH42.Executed(
        timestamp: noon, orderToken: token, executedShares: Shares(rawValue: 100), executionPrice: Price(rawValue: 1_502_500),
        liquidityFlag: "A", matchNumber: 123_456).encode),
    ("ouch42-canceled", OUCH42.Canceled(timestamp: noon, orderToken: token, decrementShares: Shares(rawValue: 200),
                                        reason: "U").encode),
    ("ouch50-enter-order", OUCH50.EnterOrder(
        userRefNum: 1, side: .buy, quantity: Shares(rawValue: 100), symbol: stock, price: Price(rawValue: 1_502_500),
        timeInForce: "0", display: "Y", capacity: "A", intermarketSweepEligibility: "N", crossType: "N",
        clOrdID: token, options: options50).encode),
    ("ouch50-enter-order-plain", OUCH50.EnterOrder(
        userRefNum: 2, side: .sell, quantity: Shares(rawValue: 10), symbol: stock, price: Price(rawValue: 0x7FFF_FFFF),
        timeInForce: "0", display: "Y", capacity: "A", intermarketSweepEligibility: "N", crossType: "N",
        clOrdID: token).encode),
    ("ouch50-cancel-order", OUCH50.CancelOrder(userRefNum: 1, quantity: Shares(rawValue: 0)).encode),
    ("ouch50-cancel-order-appendage", OUCH50.CancelOrder(userRefNum: 1, quantity: Shares(rawValue: 0),
                                                         options: OUCH50.Options(userRefIdx: 3)).encode),
    ("ouch50-mass-cancel", OUCH50.MassCancel(userRefNum: 9, firm: firm, symbol: .blank,
                                             options: OUCH50.Options(side: .buy)).encode),
    ("ouch50-account-query", OUCH50.AccountQuery().encode),
    ("ouch50-system-event", OUCH50.SystemEvent(timestamp: noon, eventCode: "E").encode),
    ("ouch50-order-accepted", OUCH50.OrderAccepted(
        timestamp: noon, userRefNum: 1, side: .buy, quantity: Shares(rawValue: 100), symbol: stock,
        price: Price(rawValue: 1_502_500), timeInForce: "0", display: "Y", orderReferenceNumber: OrderRef(rawValue: 5),
        capacity: "A", intermarketSweepEligibility: "N", crossType: "N", orderState: "L", clOrdID: token,
        options: OUCH50.Options(secondaryOrdRefNum: 5, bboWeightIndicator: "2")).encode),
    ("ouch50-order-executed", OUCH50.OrderExecuted(
        timestamp: noon, userRefNum: 1, quantity: Shares(rawValue: 100), price: Price(rawValue: 1_502_500),
        liquidityFlag: "R", matchNumber: 99).encode),
    ("ouch50-order-rejected", OUCH50.OrderRejected(timestamp: noon, userRefNum: 3, reason: 0x0014, clOrdID: token).encode),
    ("ouch50-order-restated", OUCH50.OrderRestated(
        timestamp: noon, userRefNum: 1, reason: "P",
        options: OUCH50.Options(displayQuantity: Shares(rawValue: 40), displayPrice: Price(rawValue: 1_500_000))).encode),
] }

/// Writes every seed as its own file in `dir` (which must exist); 0 on success.
func writeSeeds(to dir: String) -> Int32 {
    let seeds = allSeeds()
    var buffer = [UInt8](repeating: 0, count: 1024)
    for (name, encode) in seeds {
        guard let n = buffer.withUnsafeMutableBytes({ encode($0) }) else {
            print("seed \(name) did not encode")
            return 1
        }
        guard writeFile(dir + "/seed-" + name, Array(buffer.prefix(n))) else { return 1 }
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
