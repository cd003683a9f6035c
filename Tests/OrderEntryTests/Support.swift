// Helpers shared by the tests: encoding into a fresh buffer, hex, and a small seeded RNG.

import OrderEntry
import Testing
import TickwireCore

/// The bytes `encode` wrote into a 1 KiB scratch buffer (pre-filled with 0xEE so unwritten bytes
/// show), or nil if it returned nil.
func encoded(_ encode: (UnsafeMutableRawBufferPointer) -> Int?) -> [UInt8]? {
    var buffer = [UInt8](repeating: 0xEE, count: 1024)
    guard let n = buffer.withUnsafeMutableBytes({ encode($0) }) else { return nil }
    return Array(buffer.prefix(n))
}

/// Bytes from hex text; spaces and newlines are ignored.
func hex(_ text: String) -> [UInt8] {
    let digits = Array(text.unicodeScalars.filter { !$0.properties.isWhitespace })
    precondition(digits.count % 2 == 0, "odd number of hex digits")
    return stride(from: 0, to: digits.count, by: 2).map {
        UInt8(String(String.UnicodeScalarView(digits[$0..<$0 + 2])), radix: 16)!
    }
}

/// The ASCII bytes of `text`.
func ascii(_ text: String) -> [UInt8] { Array(text.utf8) }

/// Text of `bytes` for failure messages.
func hexString(_ bytes: some Sequence<UInt8>) -> String {
    bytes.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined(separator: " ")
}


extension Result {
    /// The error of a failure, nil for a success (decoded views are not Equatable).
    var failureValue: Failure? {
        if case .failure(let e) = self { e } else { nil }
    }
}

/// A known answer (the OUCH*KnownAnswerTests): `m` encodes to exactly the bytes of `spec` (hex,
/// written from the specification's tables), and those bytes decode to exactly `m`.
func checkKnownAnswer<M: Equatable>(_ name: String, _ m: M, _ spec: String, encode: (M, UnsafeMutableRawBufferPointer) -> Int?,
                                    decode: (UnsafeRawBufferPointer) -> M?) throws {
    let bytes = hex(spec)
    let out = try #require(encoded { encode(m, $0) }, "\(name) did not encode")
    #expect(out == bytes, "\(name): \(hexString(out))")
    let back = bytes.withUnsafeBytes { decode($0) }
    #expect(back == m, "\(name) decoded as \(String(describing: back))")
}
