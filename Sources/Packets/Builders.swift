// Builders.swift: write headers and whole frames into a caller-provided buffer.
//
// Each builder checks the whole length it needs before writing anything, returns the number of
// bytes written, or nil (buffer untouched) when the buffer is too small or an argument is out of
// range; it never traps and never allocates. Frames are not padded to the 60-byte Ethernet
// minimum: that is left to the NIC / driver.

extension UnsafeMutableRawBufferPointer {
    @inline(__always)
    func put8(_ value: UInt8, _ offset: Int) {
        storeBytes(of: value, toByteOffset: offset, as: UInt8.self)
    }

    @inline(__always)
    func put16(_ value: UInt16, _ offset: Int) {
        storeBytes(of: value.bigEndian, toByteOffset: offset, as: UInt16.self)
    }

    @inline(__always)
    func put32(_ value: UInt32, _ offset: Int) {
        storeBytes(of: value.bigEndian, toByteOffset: offset, as: UInt32.self)
    }

    @inline(__always)
    func putMAC(_ mac: MACAddress, _ offset: Int) {
        put16(UInt16(truncatingIfNeeded: mac.rawValue >> 32), offset)
        put32(UInt32(truncatingIfNeeded: mac.rawValue), offset + 2)
    }

    /// Copies `bytes` to `offset`; the caller has checked it fits.
    @inline(__always)
    func put(_ bytes: UnsafeRawBufferPointer, _ offset: Int) {
        guard !bytes.isEmpty else { return }
        UnsafeMutableRawBufferPointer(rebasing: self[offset..<offset + bytes.count]).copyMemory(from: bytes)
    }

    @inline(__always)
    func mutableSub(_ lower: Int, _ upper: Int) -> UnsafeMutableRawBufferPointer {
        UnsafeMutableRawBufferPointer(rebasing: self[lower..<upper])
    }

    @inline(__always)
    func sub(_ lower: Int, _ upper: Int) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(rebasing: self[lower..<upper])
    }
}

public enum FrameBuilder {
    /// IPv4 Router Alert option (RFC 2113), used by IGMP.
    static let routerAlertOption: UInt32 = 0x9404_0000

    // MARK: Headers

    /// An Ethernet header (14 bytes, or 18 with an 802.1Q tag). nil if the buffer is too small
    /// or `vlanID` is above 4095.
    public static func ethernet(into buffer: UnsafeMutableRawBufferPointer, destination: MACAddress,
                                source: MACAddress, etherType: UInt16,
                                vlanID: UInt16? = nil) -> Int? {
        let length = vlanID == nil ? 14 : 18
        guard buffer.count >= length, (vlanID ?? 0) <= 0x0FFF else { return nil }
        buffer.putMAC(destination, 0)
        buffer.putMAC(source, 6)
        if let vlanID {
            buffer.put16(EtherType.vlan, 12)
            buffer.put16(vlanID, 14)
            buffer.put16(etherType, 16)
        } else {
            buffer.put16(etherType, 12)
        }
        return length
    }

    /// A 20-byte IPv4 header with DF set and the header checksum computed. nil if the buffer is
    /// too small or the total length would exceed 65535.
    public static func ipv4(into buffer: UnsafeMutableRawBufferPointer, source: IPv4Address,
                            destination: IPv4Address, protocol: UInt8, payloadLength: Int,
                            ttl: UInt8 = 64, identification: UInt16 = 0, dscp: UInt8 = 0) -> Int? {
        ipv4Header(into: buffer, source: source, destination: destination, protocol: `protocol`,
                   payloadLength: payloadLength, ttl: ttl, identification: identification,
                   dscp: dscp, routerAlert: false)
    }

    static func ipv4Header(into buffer: UnsafeMutableRawBufferPointer, source: IPv4Address,
                           destination: IPv4Address, protocol: UInt8, payloadLength: Int,
                           ttl: UInt8, identification: UInt16, dscp: UInt8,
                           routerAlert: Bool) -> Int? {
        let headerLength = routerAlert ? 24 : 20
        guard payloadLength >= 0, payloadLength <= 65535 - headerLength,
              buffer.count >= headerLength else { return nil }
        buffer.put8(0x40 | UInt8(headerLength / 4), 0)
        buffer.put8((dscp & 0x3F) << 2, 1)
        buffer.put16(UInt16(headerLength + payloadLength), 2)
        buffer.put16(identification, 4)
        buffer.put16(0x4000, 6)                                   // DF, offset 0
        buffer.put8(ttl, 8)
        buffer.put8(`protocol`, 9)
        buffer.put16(0, 10)
        buffer.put32(source.value, 12)
        buffer.put32(destination.value, 16)
        if routerAlert { buffer.put32(routerAlertOption, 20) }
        buffer.put16(internetChecksum(buffer.sub(0, headerLength)), 10)
        return headerLength
    }

    // MARK: Whole frames

    /// Ethernet + IPv4 + UDP + payload. A computed UDP checksum of 0 is sent as 0xFFFF;
    /// `computeUDPChecksum: false` sends 0 ("none").
    public static func udpFrame(into buffer: UnsafeMutableRawBufferPointer,
                                srcMAC: MACAddress, dstMAC: MACAddress,
                                srcIP: IPv4Address, dstIP: IPv4Address,
                                srcPort: UInt16, dstPort: UInt16,
                                payload: UnsafeRawBufferPointer, vlanID: UInt16? = nil,
                                ttl: UInt8 = 64, computeUDPChecksum: Bool = true) -> Int? {
        let l2 = vlanID == nil ? 14 : 18
        let udpLength = 8 + payload.count
        guard udpLength <= 65535 - 20, buffer.count >= l2 + 20 + udpLength,
              ethernet(into: buffer, destination: dstMAC, source: srcMAC,
                       etherType: EtherType.ipv4, vlanID: vlanID) != nil,
              ipv4(into: buffer.mutableSub(l2, buffer.count), source: srcIP, destination: dstIP,
                   protocol: IPProtocol.udp, payloadLength: udpLength, ttl: ttl) != nil
        else { return nil }
        let u = l2 + 20
        buffer.put16(srcPort, u)
        buffer.put16(dstPort, u + 2)
        buffer.put16(UInt16(udpLength), u + 4)
        buffer.put16(0, u + 6)
        buffer.put(payload, u + 8)
        if computeUDPChecksum {
            let sum = transportChecksum(source: srcIP, destination: dstIP, protocol: IPProtocol.udp,
                                        segment: buffer.sub(u, u + udpLength))
            buffer.put16(sum == 0 ? 0xFFFF : sum, u + 6)
        }
        return u + udpLength
    }

    /// Ethernet + IPv4 + TCP (+ options, a multiple of 4 bytes up to 40) + payload, with the TCP
    /// checksum computed.
    public static func tcpSegment(into buffer: UnsafeMutableRawBufferPointer,
                                  srcMAC: MACAddress, dstMAC: MACAddress,
                                  srcIP: IPv4Address, dstIP: IPv4Address,
                                  srcPort: UInt16, dstPort: UInt16,
                                  sequence: UInt32, acknowledgment: UInt32, flags: TCPFlags,
                                  window: UInt16,
                                  options: UnsafeRawBufferPointer = UnsafeRawBufferPointer(start: nil, count: 0),
                                  payload: UnsafeRawBufferPointer = UnsafeRawBufferPointer(start: nil, count: 0),
                                  vlanID: UInt16? = nil, ttl: UInt8 = 64) -> Int? {
        let l2 = vlanID == nil ? 14 : 18
        let headerLength = 20 + options.count
        guard options.count % 4 == 0, options.count <= 40,
              payload.count <= 65535 - 20 - headerLength else { return nil }
        let tcpLength = headerLength + payload.count
        guard buffer.count >= l2 + 20 + tcpLength,
              ethernet(into: buffer, destination: dstMAC, source: srcMAC,
                       etherType: EtherType.ipv4, vlanID: vlanID) != nil,
              ipv4(into: buffer.mutableSub(l2, buffer.count), source: srcIP, destination: dstIP,
                   protocol: IPProtocol.tcp, payloadLength: tcpLength, ttl: ttl) != nil
        else { return nil }
        let t = l2 + 20
        buffer.put16(srcPort, t)
        buffer.put16(dstPort, t + 2)
        buffer.put32(sequence, t + 4)
        buffer.put32(acknowledgment, t + 8)
        buffer.put8(UInt8(headerLength / 4) << 4, t + 12)
        buffer.put8(flags.rawValue, t + 13)
        buffer.put16(window, t + 14)
        buffer.put16(0, t + 16)                                   // checksum, below
        buffer.put16(0, t + 18)                                   // urgent pointer
        buffer.put(options, t + 20)
        buffer.put(payload, t + headerLength)
        buffer.put16(transportChecksum(source: srcIP, destination: dstIP, protocol: IPProtocol.tcp,
                                       segment: buffer.sub(t, t + tcpLength)), t + 16)
        return t + tcpLength
    }

    /// An Ethernet/IPv4 ARP frame (42 bytes, 46 tagged). Requests go to the broadcast address
    /// (pass `targetMAC: .zero`), anything else to `targetMAC`.
    public static func arp(into buffer: UnsafeMutableRawBufferPointer, operation: UInt16,
                           senderMAC: MACAddress, senderIP: IPv4Address,
                           targetMAC: MACAddress, targetIP: IPv4Address,
                           vlanID: UInt16? = nil) -> Int? {
        let l2 = vlanID == nil ? 14 : 18
        guard buffer.count >= l2 + 28,
              ethernet(into: buffer,
                       destination: operation == ARPOperation.request ? .broadcast : targetMAC,
                       source: senderMAC, etherType: EtherType.arp, vlanID: vlanID) != nil
        else { return nil }
        buffer.put16(1, l2)                                       // Ethernet
        buffer.put16(EtherType.ipv4, l2 + 2)
        buffer.put8(6, l2 + 4)
        buffer.put8(4, l2 + 5)
        buffer.put16(operation, l2 + 6)
        buffer.putMAC(senderMAC, l2 + 8)
        buffer.put32(senderIP.value, l2 + 14)
        buffer.putMAC(targetMAC, l2 + 18)
        buffer.put32(targetIP.value, l2 + 24)
        return l2 + 28
    }

    /// An IGMPv1/v2 report (0x12, 0x16, sent to `group`) or leave (0x17, sent to 224.0.0.2):
    /// IPv4 with Router Alert, TTL 1, DSCP CS6 (as Linux), to the group's multicast MAC.
    /// nil for any other `type`.
    public static func igmpV2(into buffer: UnsafeMutableRawBufferPointer, type: UInt8,
                              group: IPv4Address, srcMAC: MACAddress, srcIP: IPv4Address,
                              vlanID: UInt16? = nil) -> Int? {
        guard type == IGMPType.v2Report || type == IGMPType.leave || type == IGMPType.v1Report
        else { return nil }
        let destination = type == IGMPType.leave ? IPv4Address.allRouters : group
        let g = (vlanID == nil ? 14 : 18) + 24
        guard let end = igmpFrame(into: buffer, igmpLength: 8, destination: destination,
                                  srcMAC: srcMAC, srcIP: srcIP, vlanID: vlanID) else { return nil }
        buffer.put8(type, g)
        buffer.put8(0, g + 1)                                     // max resp time
        buffer.put16(0, g + 2)
        buffer.put32(group.value, g + 4)
        buffer.put16(internetChecksum(buffer.sub(g, end)), g + 2)
        return end
    }

    /// An IGMPv3 report to 224.0.0.22 with one group record per address in `groups`, each of
    /// `recordType` with no sources: CHANGE_TO_EXCLUDE (the default) joins, CHANGE_TO_INCLUDE
    /// leaves. nil if `groups` is empty or too many for one packet.
    public static func igmpV3Report(into buffer: UnsafeMutableRawBufferPointer,
                                    groups: some Collection<IPv4Address>,
                                    srcMAC: MACAddress, srcIP: IPv4Address,
                                    recordType: UInt8 = IGMPv3RecordType.changeToExclude,
                                    vlanID: UInt16? = nil) -> Int? {
        let count = groups.count
        guard count > 0, count <= (65535 - 24 - 8) / 8 else { return nil }
        let g = (vlanID == nil ? 14 : 18) + 24
        guard let end = igmpFrame(into: buffer, igmpLength: 8 + 8 * count,
                                  destination: .igmpV3Routers, srcMAC: srcMAC, srcIP: srcIP,
                                  vlanID: vlanID) else { return nil }
        buffer.put8(IGMPType.v3Report, g)
        buffer.put8(0, g + 1)
        buffer.put16(0, g + 2)                                    // checksum, below
        buffer.put16(0, g + 4)                                    // reserved
        buffer.put16(UInt16(count), g + 6)
        var r = g + 8
        for group in groups {
            buffer.put8(recordType, r)
            buffer.put8(0, r + 1)                                 // aux data length
            buffer.put16(0, r + 2)                                // number of sources
            buffer.put32(group.value, r + 4)
            r += 8
        }
        buffer.put16(internetChecksum(buffer.sub(g, end)), g + 2)
        return end
    }

    /// Ethernet + IPv4 (Router Alert, TTL 1, CS6) headers for an IGMP message of `igmpLength`
    /// bytes; returns the frame end after checking the whole frame fits.
    static func igmpFrame(into buffer: UnsafeMutableRawBufferPointer, igmpLength: Int,
                          destination: IPv4Address, srcMAC: MACAddress, srcIP: IPv4Address,
                          vlanID: UInt16?) -> Int? {
        let l2 = vlanID == nil ? 14 : 18
        guard buffer.count >= l2 + 24 + igmpLength,
              ethernet(into: buffer, destination: destination.multicastMAC, source: srcMAC,
                       etherType: EtherType.ipv4, vlanID: vlanID) != nil,
              ipv4Header(into: buffer.mutableSub(l2, buffer.count), source: srcIP,
                         destination: destination, protocol: IPProtocol.igmp,
                         payloadLength: igmpLength, ttl: 1, identification: 0, dscp: 48,
                         routerAlert: true) != nil
        else { return nil }
        return l2 + 24 + igmpLength
    }
}
