// Alpha fields at full width and padded, codes, sides and price ranges.

import Testing
import OrderEntry
import TickwireCore

@Suite struct CommonTests {
    /// Stores `value` into a buffer and returns the bytes written plus the value loaded back.
    static func storeAndLoad<A: Equatable>(_ value: A, width: Int, store: (A, UnsafeMutableRawPointer) -> Void,
                                           load: (UnsafeRawPointer) -> A) -> (bytes: [UInt8], back: A) {
        var buffer = [UInt8](repeating: 0xEE, count: width + 2)
        buffer.withUnsafeMutableBytes { store(value, $0.baseAddress! + 1) }
        let back = buffer.withUnsafeBytes { load($0.baseAddress! + 1) }
        #expect(buffer.first == 0xEE && buffer.last == 0xEE, "wrote outside its \(width) bytes")
        return (Array(buffer[1...width]), back)
    }

    @Test func fullWidthAlphaFieldsRoundTrip() throws {
        let a14 = try #require(Alpha14("ABCDEFGHIJKLMN"))
        let r14 = Self.storeAndLoad(a14, width: 14, store: { $0.store(to: $1) }, load: { Alpha14(loading: $0) })
        #expect(r14.bytes == ascii("ABCDEFGHIJKLMN") && r14.back == a14 && a14.description == "ABCDEFGHIJKLMN")
        let a10 = try #require(Alpha10("0123456789"))
        let r10 = Self.storeAndLoad(a10, width: 10, store: { $0.store(to: $1) }, load: { Alpha10(loading: $0) })
        #expect(r10.bytes == ascii("0123456789") && r10.back == a10)
        let a8 = try #require(Alpha8("ABCDEFGH"))
        let r8 = Self.storeAndLoad(a8, width: 8, store: { $0.store(to: $1) }, load: { Alpha8(loading: $0) })
        #expect(r8.bytes == ascii("ABCDEFGH") && r8.back == a8)
        let a6 = try #require(Alpha6("ZYXWVU"))
        let r6 = Self.storeAndLoad(a6, width: 6, store: { $0.store(to: $1) }, load: { Alpha6(loading: $0) })
        #expect(r6.bytes == ascii("ZYXWVU") && r6.back == a6)
        let a4 = try #require(Alpha4("WXYZ"))
        let r4 = Self.storeAndLoad(a4, width: 4, store: { $0.store(to: $1) }, load: { Alpha4(loading: $0) })
        #expect(r4.bytes == ascii("WXYZ") && r4.back == a4)
    }

    @Test func paddingAndJustification() throws {
        let token = try #require(Alpha14("AB"))
        #expect(Self.storeAndLoad(token, width: 14, store: { $0.store(to: $1) }, load: { Alpha14(loading: $0) }).bytes
                == ascii("AB            "))
        let session = try #require(SoupBinTCP.session("S1"))
        #expect(Self.storeAndLoad(session, width: 10, store: { $0.store(to: $1) }, load: { Alpha10(loading: $0) }).bytes
                == ascii("        S1"))
        #expect(session.description == "S1")
        #expect(SoupBinTCP.session("")! == .blank && Alpha10.blank.isBlank)
        #expect(Alpha14("")! == .blank && Alpha8("")! == .blank && Alpha4("")! == .blank && Alpha6("")! == .blank)
    }

    @Test func badAlphaTextIsRefused() {
        #expect(Alpha14("ABCDEFGHIJKLMNO") == nil)
        #expect(Alpha10("ABCDEFGHIJK") == nil)
        #expect(Alpha8("ABCDEFGHI") == nil)
        #expect(Alpha6("ABCDEFG") == nil)
        #expect(Alpha4("ABCDE") == nil)
        #expect(Alpha8("ÄB") == nil)
        #expect(Alpha4("A\nB") == nil)
    }

    @Test func sidesAndCodes() {
        #expect(OUCHSide.buy.rawValue == 0x42 && OUCHSide.sell.rawValue == 0x53)
        #expect(OUCHSide.sellShort.rawValue == 0x54 && OUCHSide.sellShortExempt.rawValue == 0x45)
        #expect(OUCHSide(Side.buy) == .buy && OUCHSide(Side.sell) == .sell)
        #expect(OUCHSide.sellShort.bookSide == .sell && OUCHSide.sellShortExempt.bookSide == .sell)
        #expect(OUCHSide("X").bookSide == nil && !OUCHSide("X").isValid && OUCHSide.buy.isValid)
        #expect(ASCIICode("Y").rawValue == 0x59 && ASCIICode("Y").description == "Y")
        #expect(ASCIICode(rawValue: 0).description == "0x0")
    }

    @Test func wirePriceRanges() {
        #expect(WirePrice.unsigned32(Price(rawValue: 0)) == 0)
        #expect(WirePrice.unsigned32(Price(rawValue: 4_294_967_295)) == UInt32.max)
        #expect(WirePrice.unsigned32(Price(rawValue: 4_294_967_296)) == nil)
        #expect(WirePrice.unsigned32(Price(rawValue: -1)) == nil)
        #expect(WirePrice.signed32(Price(rawValue: -2_147_483_648)) == Int32.min)
        #expect(WirePrice.signed32(Price(rawValue: 2_147_483_648)) == nil)
    }
}
