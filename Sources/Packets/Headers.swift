// Headers.swift: zero-copy views over packet headers (Ethernet with up to two VLAN tags, IPv4,
// UDP, TCP, ARP, IGMP), the Internet checksum, and the one-call UDP frame parser of the hot path.
//
// A view is a small struct holding the UnsafeRawBufferPointer it was made from; it copies and
// allocates nothing, and it must not outlive the memory it points into (an mbuf, a ring slot).
// The rule for every view: all lengths are checked once, in the failable `init?`; a short or
// malformed header gives nil, never a trap. The accessors then read only at offsets the init has
// proved to be in bounds. Multi-byte fields are big-endian on the wire and returned in host order.
public import CShims

// MARK: - Byte access

extension UnsafeRawBufferPointer {
    @inlinable @inline(__always)
    func be16(_ offset: Int) -> UInt16 {
        UInt16(bigEndian: loadUnaligned(fromByteOffset: offset, as: UInt16.self))
    }

    @inlinable @inline(__always)
    func be32(_ offset: Int) -> UInt32 {
        UInt32(bigEndian: loadUnaligned(fromByteOffset: offset, as: UInt32.self))
    }

    /// Bytes `lower..<upper`; callers have checked `0 <= lower <= upper <= count`.
    @inlinable @inline(__always)
    func sub(_ lower: Int, _ upper: Int) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(rebasing: self[lower..<upper])
    }
}

// MARK: - Addresses and constants

/// A 48-bit MAC address, kept in the low 48 bits of `rawValue` (first octet most significant).
@frozen
public struct MACAddress: Hashable, Sendable, CustomStringConvertible {
    public var rawValue: UInt64

    @inlinable
    public init(rawValue: UInt64) { self.rawValue = rawValue & 0xFFFF_FFFF_FFFF }

    public init(_ a: UInt8, _ b: UInt8, _ c: UInt8, _ d: UInt8, _ e: UInt8, _ f: UInt8) {
        rawValue = UInt64(a) << 40 | UInt64(b) << 32 | UInt64(c) << 24
            | UInt64(d) << 16 | UInt64(e) << 8 | UInt64(f)
    }

    /// Parses "aa:bb:cc:dd:ee:ff" (':' or '-', one or two hex digits a group); nil if malformed.
    public init?(_ text: String) {
        var value: UInt64 = 0, group: UInt64 = 0, digits = 0, separators = 0
        for c in text.utf8 {
            if c == UInt8(ascii: ":") || c == UInt8(ascii: "-") {
                guard digits > 0, separators < 5 else { return nil }
                value = value << 8 | group
                group = 0
                digits = 0
                separators += 1
            } else {
                guard let nibble = hexValue(c), digits < 2 else { return nil }
                group = group << 4 | UInt64(nibble)
                digits += 1
            }
        }
        guard separators == 5, digits > 0 else { return nil }
        self.init(rawValue: value << 8 | group)
    }

    /// Reads six bytes at `offset`; the caller has checked `offset + 6 <= bytes.count`.
    @inlinable
    init(_ bytes: UnsafeRawBufferPointer, at offset: Int) {
        rawValue = UInt64(bytes.be16(offset)) << 32 | UInt64(bytes.be32(offset + 2))
    }

    public static let broadcast = MACAddress(rawValue: 0xFFFF_FFFF_FFFF)
    public static let zero = MACAddress(rawValue: 0)

    /// The I/G bit of the first octet.
    @inlinable public var isMulticast: Bool { rawValue & 0x0100_0000_0000 != 0 }
    @inlinable public var isBroadcast: Bool { rawValue == 0xFFFF_FFFF_FFFF }

    public var description: String {
        (0..<6).map { i in hexByte(UInt8(truncatingIfNeeded: rawValue >> UInt64(40 - 8 * i))) }
            .joined(separator: ":")
    }
}

/// An IPv4 address, `value` in host order (10.1.2.3 is 0x0A01_0203).
@frozen
public struct IPv4Address: Hashable, Sendable, CustomStringConvertible {
    public var value: UInt32

    @inlinable
    public init(value: UInt32) { self.value = value }

    public init(_ a: UInt8, _ b: UInt8, _ c: UInt8, _ d: UInt8) {
        value = UInt32(a) << 24 | UInt32(b) << 16 | UInt32(c) << 8 | UInt32(d)
    }

    /// Parses dotted-quad "a.b.c.d" (decimal, 0...255, no leading zeros, as inet_pton); nil otherwise.
    public init?(_ dotted: String) {
        var result: UInt32 = 0, part: UInt32 = 0, digits = 0, dots = 0
        for c in dotted.utf8 {
            if c == UInt8(ascii: ".") {
                guard digits > 0, dots < 3 else { return nil }
                result = result << 8 | part
                part = 0
                digits = 0
                dots += 1
            } else {
                guard c >= UInt8(ascii: "0"), c <= UInt8(ascii: "9"),
                      digits == 0 || part != 0 else { return nil }
                part = part * 10 + UInt32(c - UInt8(ascii: "0"))
                digits += 1
                guard part <= 255 else { return nil }
            }
        }
        guard dots == 3, digits > 0 else { return nil }
        value = result << 8 | part
    }

    public static let any = IPv4Address(value: 0)
    public static let allSystems = IPv4Address(224, 0, 0, 1)
    public static let allRouters = IPv4Address(224, 0, 0, 2)
    public static let igmpV3Routers = IPv4Address(224, 0, 0, 22)

    /// 224.0.0.0/4.
    @inlinable public var isMulticast: Bool { value & 0xF000_0000 == 0xE000_0000 }

    /// 01:00:5e followed by the low 23 bits of the address (RFC 1112).
    @inlinable public var multicastMAC: MACAddress {
        MACAddress(rawValue: 0x0100_5E00_0000 | UInt64(value & 0x007F_FFFF))
    }

    public var description: String {
        "\(value >> 24).\(value >> 16 & 0xFF).\(value >> 8 & 0xFF).\(value & 0xFF)"
    }
}

public enum EtherType {
    public static let ipv4: UInt16 = 0x0800
    public static let arp: UInt16 = 0x0806
    public static let ipv6: UInt16 = 0x86DD
    public static let vlan: UInt16 = 0x8100
    public static let qinq: UInt16 = 0x88A8
}

public enum IPProtocol {
    public static let icmp: UInt8 = 1
    public static let igmp: UInt8 = 2
    public static let tcp: UInt8 = 6
    public static let udp: UInt8 = 17
}

public enum ARPOperation {
    public static let request: UInt16 = 1
    public static let reply: UInt16 = 2
}

public enum IGMPType {
    public static let query: UInt8 = 0x11
    public static let v1Report: UInt8 = 0x12
    public static let v2Report: UInt8 = 0x16
    public static let leave: UInt8 = 0x17
    public static let v3Report: UInt8 = 0x22
}

/// IGMPv3 group record types (RFC 3376 §4.2.12).
public enum IGMPv3RecordType {
    public static let modeIsInclude: UInt8 = 1
    public static let modeIsExclude: UInt8 = 2
    public static let changeToInclude: UInt8 = 3
    public static let changeToExclude: UInt8 = 4
    public static let allowNewSources: UInt8 = 5
    public static let blockOldSources: UInt8 = 6
}

// MARK: - Ethernet

@frozen
public struct EthernetView {
    /// The whole frame the view was made from.
    public let bytes: UnsafeRawBufferPointer
    /// 14, 18 or 22 (no tag, one tag, two tags).
    public let headerLength: Int
    public let vlanCount: Int
    /// The EtherType after at most two VLAN tags (still 0x8100/0x88A8 if there were more).
    public let etherType: UInt16

    @inlinable
    public init?(_ bytes: UnsafeRawBufferPointer) {
        guard bytes.count >= 14 else { return nil }
        var typeOffset = 12
        var type = bytes.be16(typeOffset)
        var tags = 0
        while tags < 2, type == 0x8100 || type == 0x88A8 {
            guard bytes.count >= typeOffset + 6 else { return nil }   // TCI + next EtherType
            typeOffset += 4
            type = bytes.be16(typeOffset)
            tags += 1
        }
        self.bytes = bytes
        headerLength = typeOffset + 2
        vlanCount = tags
        etherType = type
    }

    @inlinable public var destination: MACAddress { MACAddress(bytes, at: 0) }
    @inlinable public var source: MACAddress { MACAddress(bytes, at: 6) }
    /// The 12-bit VLAN ID of the first (outer) tag.
    @inlinable public var outerVLANID: UInt16? { vlanCount > 0 ? bytes.be16(14) & 0x0FFF : nil }
    /// The 3-bit priority (PCP) of the outer tag.
    @inlinable public var outerPriority: UInt8? { vlanCount > 0 ? bytes[14] >> 5 : nil }
    /// The VLAN ID of the second tag of a QinQ frame.
    @inlinable public var innerVLANID: UInt16? { vlanCount > 1 ? bytes.be16(18) & 0x0FFF : nil }
    /// Everything after the header, link padding included.
    @inlinable public var payload: UnsafeRawBufferPointer { bytes.sub(headerLength, bytes.count) }
}

// MARK: - IPv4

@frozen
public struct IPv4View {
    /// The buffer the view was made from (it may extend past `totalLength`).
    public let bytes: UnsafeRawBufferPointer

    @inlinable
    public init?(_ bytes: UnsafeRawBufferPointer) {
        guard bytes.count >= 20 else { return nil }
        let headerLength = Int(bytes[0] & 0x0F) &* 4
        let totalLength = Int(bytes.be16(2))
        guard bytes[0] >> 4 == 4, headerLength >= 20, headerLength <= totalLength,
              totalLength <= bytes.count else { return nil }
        self.bytes = bytes
    }

    @inlinable public var version: UInt8 { bytes[0] >> 4 }
    /// IHL * 4, 20...60.
    @inlinable public var headerLength: Int { Int(bytes[0] & 0x0F) &* 4 }
    @inlinable public var dscp: UInt8 { bytes[1] >> 2 }
    @inlinable public var ecn: UInt8 { bytes[1] & 0x03 }
    @inlinable public var totalLength: UInt16 { bytes.be16(2) }
    @inlinable public var identification: UInt16 { bytes.be16(4) }
    /// The three flag bits (reserved, DF, MF).
    @inlinable public var flags: UInt8 { bytes[6] >> 5 }
    @inlinable public var dontFragment: Bool { bytes[6] & 0x40 != 0 }
    @inlinable public var moreFragments: Bool { bytes[6] & 0x20 != 0 }
    /// In units of 8 bytes.
    @inlinable public var fragmentOffset: UInt16 { bytes.be16(6) & 0x1FFF }
    @inlinable public var ttl: UInt8 { bytes[8] }
    @inlinable public var ipProtocol: UInt8 { bytes[9] }
    @inlinable public var headerChecksum: UInt16 { bytes.be16(10) }
    @inlinable public var source: IPv4Address { IPv4Address(value: bytes.be32(12)) }
    @inlinable public var destination: IPv4Address { IPv4Address(value: bytes.be32(16)) }
    @inlinable public var header: UnsafeRawBufferPointer { bytes.sub(0, headerLength) }
    @inlinable public var options: UnsafeRawBufferPointer { bytes.sub(20, headerLength) }
    /// Bounded by `totalLength`, so Ethernet padding is excluded.
    @inlinable public var payload: UnsafeRawBufferPointer {
        bytes.sub(headerLength, Int(totalLength))
    }
    @inlinable public var isChecksumValid: Bool { internetChecksum(header) == 0 }
    /// MF set or a non-zero fragment offset.
    @inlinable public var isFragment: Bool { bytes.be16(6) & 0x3FFF != 0 }
}

// MARK: - UDP

@frozen
public struct UDPView {
    /// The buffer the view was made from (it may extend past `length`).
    public let bytes: UnsafeRawBufferPointer

    @inlinable
    public init?(_ bytes: UnsafeRawBufferPointer) {
        guard bytes.count >= 8 else { return nil }
        let length = Int(bytes.be16(4))
        guard length >= 8, length <= bytes.count else { return nil }
        self.bytes = bytes
    }

    @inlinable public var sourcePort: UInt16 { bytes.be16(0) }
    @inlinable public var destinationPort: UInt16 { bytes.be16(2) }
    @inlinable public var length: UInt16 { bytes.be16(4) }
    @inlinable public var checksum: UInt16 { bytes.be16(6) }
    /// Header and payload, `length` bytes.
    @inlinable public var segment: UnsafeRawBufferPointer { bytes.sub(0, Int(length)) }
    @inlinable public var payload: UnsafeRawBufferPointer { bytes.sub(8, Int(length)) }

    /// A zero checksum means "not computed" and counts as valid.
    public func isChecksumValid(source: IPv4Address, destination: IPv4Address) -> Bool {
        checksum == 0
            || transportChecksum(source: source, destination: destination,
                                 protocol: IPProtocol.udp, segment: segment) == 0
    }
}

// MARK: - TCP

@frozen
public struct TCPFlags: OptionSet, Hashable, Sendable {
    public let rawValue: UInt8
    @inlinable public init(rawValue: UInt8) { self.rawValue = rawValue }

    public static let fin = TCPFlags(rawValue: 0x01)
    public static let syn = TCPFlags(rawValue: 0x02)
    public static let rst = TCPFlags(rawValue: 0x04)
    public static let psh = TCPFlags(rawValue: 0x08)
    public static let ack = TCPFlags(rawValue: 0x10)
    public static let urg = TCPFlags(rawValue: 0x20)
    public static let ece = TCPFlags(rawValue: 0x40)
    public static let cwr = TCPFlags(rawValue: 0x80)
}

@frozen
public struct TCPView {
    /// The segment: header, options and payload (pass the IPv4 payload, not the raw frame tail).
    public let bytes: UnsafeRawBufferPointer

    @inlinable
    public init?(_ bytes: UnsafeRawBufferPointer) {
        guard bytes.count >= 20 else { return nil }
        let headerLength = Int(bytes[12] >> 4) &* 4
        guard headerLength >= 20, headerLength <= bytes.count else { return nil }
        self.bytes = bytes
    }

    @inlinable public var sourcePort: UInt16 { bytes.be16(0) }
    @inlinable public var destinationPort: UInt16 { bytes.be16(2) }
    @inlinable public var sequence: UInt32 { bytes.be32(4) }
    @inlinable public var acknowledgment: UInt32 { bytes.be32(8) }
    /// In 32-bit words, 5...15.
    @inlinable public var dataOffset: UInt8 { bytes[12] >> 4 }
    @inlinable public var headerLength: Int { Int(bytes[12] >> 4) &* 4 }
    @inlinable public var flags: TCPFlags { TCPFlags(rawValue: bytes[13]) }
    @inlinable public var window: UInt16 { bytes.be16(14) }
    @inlinable public var checksum: UInt16 { bytes.be16(16) }
    @inlinable public var urgentPointer: UInt16 { bytes.be16(18) }
    @inlinable public var options: UnsafeRawBufferPointer { bytes.sub(20, headerLength) }
    @inlinable public var payload: UnsafeRawBufferPointer { bytes.sub(headerLength, bytes.count) }

    public func isChecksumValid(source: IPv4Address, destination: IPv4Address) -> Bool {
        transportChecksum(source: source, destination: destination,
                          protocol: IPProtocol.tcp, segment: bytes) == 0
    }

    /// The data of the first option of `kind` (the bytes after kind and length); nil if absent
    /// or if the option list is malformed before it.
    public func option(kind: UInt8) -> UnsafeRawBufferPointer? {
        let list = options
        var i = 0
        while i < list.count {
            let k = list[i]
            if k == 0 { return nil }                  // end of option list
            if k == 1 { i += 1; continue }            // no-operation
            guard i + 1 < list.count else { return nil }
            let length = Int(list[i + 1])
            guard length >= 2, length <= list.count - i else { return nil }
            if k == kind { return list.sub(i + 2, i + length) }
            i += length
        }
        return nil
    }

    /// The MSS option (kind 2).
    public var maximumSegmentSize: UInt16? {
        guard let data = option(kind: 2), data.count == 2 else { return nil }
        return data.be16(0)
    }

    /// The window scale option (kind 3).
    public var windowScale: UInt8? {
        guard let data = option(kind: 3), data.count == 1 else { return nil }
        return data[0]
    }
}

// MARK: - ARP

/// Ethernet/IPv4 ARP only (htype 1, ptype 0x0800, hlen 6, plen 4); anything else is nil.
@frozen
public struct ARPView {
    public let bytes: UnsafeRawBufferPointer

    @inlinable
    public init?(_ bytes: UnsafeRawBufferPointer) {
        guard bytes.count >= 28, bytes.be16(0) == 1, bytes.be16(2) == 0x0800,
              bytes[4] == 6, bytes[5] == 4 else { return nil }
        self.bytes = bytes
    }

    /// 1 request, 2 reply (see `ARPOperation`).
    @inlinable public var operation: UInt16 { bytes.be16(6) }
    @inlinable public var senderMAC: MACAddress { MACAddress(bytes, at: 8) }
    @inlinable public var senderIP: IPv4Address { IPv4Address(value: bytes.be32(14)) }
    @inlinable public var targetMAC: MACAddress { MACAddress(bytes, at: 18) }
    @inlinable public var targetIP: IPv4Address { IPv4Address(value: bytes.be32(24)) }
}

// MARK: - IGMP

/// An IGMP message (v1, v2, or v3). Make it from the IPv4 payload: the checksum covers all of it.
@frozen
public struct IGMPView {
    public let bytes: UnsafeRawBufferPointer

    @inlinable
    public init?(_ bytes: UnsafeRawBufferPointer) {
        guard bytes.count >= 8 else { return nil }
        self.bytes = bytes
    }

    /// See `IGMPType`.
    @inlinable public var type: UInt8 { bytes[0] }
    /// In 1/10 s (v2), or the v3 code.
    @inlinable public var maxRespTime: UInt8 { bytes[1] }
    @inlinable public var checksum: UInt16 { bytes.be16(2) }
    /// The group of a v1/v2 report, a leave or a query (0.0.0.0 for a general query).
    @inlinable public var groupAddress: IPv4Address { IPv4Address(value: bytes.be32(4)) }
    public var isChecksumValid: Bool { internetChecksum(bytes) == 0 }

    /// The "number of group records" field of a v3 report; 0 for other types.
    public var groupRecordCount: Int { type == IGMPType.v3Report ? Int(bytes.be16(6)) : 0 }

    /// The group records of a v3 report (empty for other types). Iteration stops early at the
    /// first record that does not fit in the buffer.
    public var groupRecords: IGMPv3GroupRecords {
        IGMPv3GroupRecords(bytes: bytes.sub(8, bytes.count), remaining: groupRecordCount)
    }
}

public struct IGMPv3GroupRecord {
    /// See `IGMPv3RecordType`.
    public let recordType: UInt8
    public let multicastAddress: IPv4Address
    public let numberOfSources: Int
    /// `numberOfSources` addresses, 4 bytes each.
    public let sources: UnsafeRawBufferPointer

    /// The source at `index`, or nil when out of range.
    public func source(at index: Int) -> IPv4Address? {
        guard index >= 0, index < numberOfSources else { return nil }
        return IPv4Address(value: sources.be32(index * 4))
    }
}

/// A non-allocating, bounds-checked iterator over the group records of an IGMPv3 report.
public struct IGMPv3GroupRecords: Sequence, IteratorProtocol {
    let bytes: UnsafeRawBufferPointer
    var remaining: Int
    var offset = 0

    init(bytes: UnsafeRawBufferPointer, remaining: Int) {
        self.bytes = bytes
        self.remaining = remaining
    }

    public mutating func next() -> IGMPv3GroupRecord? {
        guard remaining > 0, bytes.count - offset >= 8 else { return nil }
        let auxWords = Int(bytes[offset + 1])
        let sourceCount = Int(bytes.be16(offset + 2))
        let end = offset + 8 + 4 * sourceCount + 4 * auxWords
        guard end <= bytes.count else {
            remaining = 0
            return nil
        }
        let record = IGMPv3GroupRecord(
            recordType: bytes[offset],
            multicastAddress: IPv4Address(value: bytes.be32(offset + 4)),
            numberOfSources: sourceCount,
            sources: bytes.sub(offset + 8, offset + 8 + 4 * sourceCount))
        offset = end
        remaining -= 1
        return record
    }
}

// MARK: - Checksums

/// The Internet checksum (RFC 1071) of `bytes`, an odd last byte padded with zero. `initial` is
/// a partial sum of big-endian 16-bit words to include (e.g. a pseudo-header). Checksumming a
/// header that holds a correct checksum yields 0.
public func internetChecksum(_ bytes: UnsafeRawBufferPointer, initial: UInt32 = 0) -> UInt16 {
    // One's-complement addition is byte-order independent (RFC 1071 §2(B)), and 2^16 and 2^32
    // are both 1 modulo 0xFFFF: the data is added as the native 32-bit halves of 64-bit words
    // into a 64-bit sum, which no carry can leave (each step adds less than 2^33), then folded
    // and swapped to big-endian order. No branch depends on the data: the former end-around
    // carry after each 64-bit add was a branch taken about every other word, mispredicted on
    // fresh packets (the feed verifies two checksums a frame, the stack one a segment).
    var sum: UInt64 = 0
    var i = 0
    let count = bytes.count
    while count &- i >= 8 {
        let w = bytes.loadUnaligned(fromByteOffset: i, as: UInt64.self)
        sum &+= (w & 0xFFFF_FFFF) &+ (w &>> 32)
        i &+= 8
    }
    if count &- i >= 4 {
        sum &+= UInt64(bytes.loadUnaligned(fromByteOffset: i, as: UInt32.self))
        i &+= 4
    }
    if count &- i >= 2 {
        sum &+= UInt64(bytes.loadUnaligned(fromByteOffset: i, as: UInt16.self))
        i &+= 2
    }
    if i < count {
        // The odd byte is the high-order byte of a zero-padded big-endian word.
        sum &+= UInt64(UInt16(bigEndian: UInt16(bytes[i]) << 8))
    }
    let native = fold(sum)
    let bigEndian = UInt64(UInt16(bigEndian: UInt16(native)))
    return ~UInt16(fold(bigEndian &+ UInt64(initial)))
}

/// Folds a one's-complement sum to 16 bits (end-around carry), in four fixed steps rather than
/// a loop on the value: after the 32-bit step the value is below 2^33, after the next three at
/// most 0x2FFFE, 0x10001 and 0xFFFF. A step on a value already at most 0xFFFF leaves it as it
/// is, and a step never turns a value other than 0 into 0, so the result is the loop's.
@inline(__always)
private func fold(_ value: UInt64) -> UInt64 {
    var v = (value & 0xFFFF_FFFF) &+ (value &>> 32)
    v = (v & 0xFFFF) &+ (v &>> 16)
    v = (v & 0xFFFF) &+ (v &>> 16)
    return (v & 0xFFFF) &+ (v &>> 16)
}

/// The UDP/TCP checksum over the IPv4 pseudo-header and `segment` (header + payload). Write it
/// with the checksum field zeroed (UDP sends a 0 result as 0xFFFF); a received segment with a
/// correct checksum yields 0.
public func transportChecksum(source: IPv4Address, destination: IPv4Address, protocol: UInt8,
                              segment: UnsafeRawBufferPointer) -> UInt16 {
    let pseudo = (source.value >> 16) + (source.value & 0xFFFF)
        + (destination.value >> 16) + (destination.value & 0xFFFF)
        + UInt32(`protocol`) + UInt32(UInt16(truncatingIfNeeded: segment.count))
    return internetChecksum(segment, initial: pseudo)
}

// MARK: - Hot path: one-call UDP frame parser

/// Why `parseUDPFrame` dropped a frame.
public enum FrameDrop: UInt8, CaseIterable, Sendable {
    case truncatedEthernet, notIPv4, badIPv4Header, badIPv4Checksum, fragment, notUDP, badUDPLength, badUDPChecksum
}

/// The fields of an Ethernet/IPv4/UDP frame the feed handlers need; `payload` points into the frame.
@frozen
public struct UDPFrame {
    public let sourceIP: IPv4Address
    public let destinationIP: IPv4Address
    public let sourcePort: UInt16
    public let destinationPort: UInt16
    public let payload: UnsafeRawBufferPointer
    /// The outer VLAN ID, if the frame was tagged.
    public let vlanID: UInt16?

    @inlinable
    public init(sourceIP: IPv4Address, destinationIP: IPv4Address, sourcePort: UInt16,
                destinationPort: UInt16, payload: UnsafeRawBufferPointer, vlanID: UInt16?) {
        self.sourceIP = sourceIP
        self.destinationIP = destinationIP
        self.sourcePort = sourcePort
        self.destinationPort = destinationPort
        self.payload = payload
        self.vlanID = vlanID
    }
}

@frozen
public enum UDPFrameParse {
    case udp(UDPFrame)
    case dropped(FrameDrop)
}

/// Parses Ethernet (up to two VLAN tags) / IPv4 / UDP in one pass. The UDP checksum is checked
/// when asked (0, "not computed", passes; see `UDPView.isChecksumValid`); fragments are
/// dropped, not reassembled.
@inlinable
public func parseUDPFrame(_ frame: UnsafeRawBufferPointer, verifyIPChecksum: Bool, verifyUDPChecksum: Bool = false) -> UDPFrameParse {
    guard let ethernet = EthernetView(frame) else { return .dropped(.truncatedEthernet) }
    guard ethernet.etherType == 0x0800 else { return .dropped(.notIPv4) }
    guard let ip = IPv4View(ethernet.payload) else { return .dropped(.badIPv4Header) }
    if verifyIPChecksum && !ip.isChecksumValid { return .dropped(.badIPv4Checksum) }
    if ip.isFragment { return .dropped(.fragment) }
    guard ip.ipProtocol == 17 else { return .dropped(.notUDP) }
    guard let udp = UDPView(ip.payload) else { return .dropped(.badUDPLength) }
    if verifyUDPChecksum && !udp.isChecksumValid(source: ip.source, destination: ip.destination) { return .dropped(.badUDPChecksum) }
    return .udp(UDPFrame(sourceIP: ip.source, destinationIP: ip.destination,
                         sourcePort: udp.sourcePort, destinationPort: udp.destinationPort,
                         payload: udp.payload, vlanID: ethernet.outerVLANID))
}

/// `parseUDPFrame` for a received descriptor: `flags` are its `tw_pkt.flags`, where the NIC's
/// checksum verdicts travel (CShims.h). A verdict of wrong drops the frame as software would; a
/// verdict of right skips that check in software; without a verdict, the check runs when asked.
@inlinable @inline(__always)
public func parseUDPFrame(_ frame: UnsafeRawBufferPointer, flags: UInt32, verifyIPChecksum: Bool, verifyUDPChecksum: Bool) -> UDPFrameParse {
    let ipGood = UInt32(TW_PKT_IP_CKSUM_GOOD), ipBad = UInt32(TW_PKT_IP_CKSUM_BAD)
    let l4Good = UInt32(TW_PKT_L4_CKSUM_GOOD), l4Bad = UInt32(TW_PKT_L4_CKSUM_BAD)
    if flags & (ipBad | l4Bad) != 0 {
        // A BAD bit alone is a wrong checksum; with its GOOD bit it is DPDK's NONE (data intact).
        if flags & (ipBad | ipGood) == ipBad { return .dropped(.badIPv4Checksum) }
        if flags & (l4Bad | l4Good) == l4Bad { return .dropped(.badUDPChecksum) }
    }
    return parseUDPFrame(frame, verifyIPChecksum: verifyIPChecksum && flags & ipGood == 0,
                         verifyUDPChecksum: verifyUDPChecksum && flags & l4Good == 0)
}

/// One counter per `FrameDrop`, in plain stored fields (no array, no allocation).
@frozen
public struct FrameDropCounters: Hashable, Sendable {
    public var truncatedEthernet: UInt64 = 0
    public var notIPv4: UInt64 = 0
    public var badIPv4Header: UInt64 = 0
    public var badIPv4Checksum: UInt64 = 0
    public var fragment: UInt64 = 0
    public var notUDP: UInt64 = 0
    public var badUDPLength: UInt64 = 0
    public var badUDPChecksum: UInt64 = 0

    @inlinable public init() {}

    @inlinable
    public mutating func count(_ drop: FrameDrop) {
        switch drop {
        case .truncatedEthernet: truncatedEthernet &+= 1
        case .notIPv4: notIPv4 &+= 1
        case .badIPv4Header: badIPv4Header &+= 1
        case .badIPv4Checksum: badIPv4Checksum &+= 1
        case .fragment: fragment &+= 1
        case .notUDP: notUDP &+= 1
        case .badUDPLength: badUDPLength &+= 1
        case .badUDPChecksum: badUDPChecksum &+= 1
        }
    }

    @inlinable
    public subscript(_ drop: FrameDrop) -> UInt64 {
        switch drop {
        case .truncatedEthernet: truncatedEthernet
        case .notIPv4: notIPv4
        case .badIPv4Header: badIPv4Header
        case .badIPv4Checksum: badIPv4Checksum
        case .fragment: fragment
        case .notUDP: notUDP
        case .badUDPLength: badUDPLength
        case .badUDPChecksum: badUDPChecksum
        }
    }

    public var total: UInt64 { FrameDrop.allCases.reduce(0) { $0 &+ self[$1] } }
}

// MARK: - Text helpers

private func hexValue(_ c: UInt8) -> UInt8? {
    switch c {
    case UInt8(ascii: "0")...UInt8(ascii: "9"): c - UInt8(ascii: "0")
    case UInt8(ascii: "a")...UInt8(ascii: "f"): c - UInt8(ascii: "a") + 10
    case UInt8(ascii: "A")...UInt8(ascii: "F"): c - UInt8(ascii: "A") + 10
    default: nil
    }
}

private func hexByte(_ b: UInt8) -> String {
    let digits = String(b, radix: 16)
    return b < 16 ? "0" + digits : digits
}

// MARK: - Descriptor convenience

extension tw_pkt {
    /// The frame's captured bytes (`len` of them); valid as long as the descriptor's frame is.
    public var bytes: UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(start: data.map { UnsafeRawPointer($0) }, count: Int(len))
    }
}
