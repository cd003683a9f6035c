// TEMPORARY until Headers.swift lands
public enum EtherType { public static let ipv4: UInt16 = 0x0800; public static let arp: UInt16 = 0x0806; public static let ipv6: UInt16 = 0x86DD }
public struct EthernetView {
  public let etherType: UInt16; public let vlanCount: Int
  @inlinable public init?(_ b: UnsafeRawBufferPointer) { if b.count < 14 { return nil }; var et = UInt16(b[12]) << 8 | UInt16(b[13]); var v = 0; if et == 0x8100 || et == 0x88A8 { if b.count < 18 { return nil }; v = 1; et = UInt16(b[16]) << 8 | UInt16(b[17]) }; etherType = et; vlanCount = v }
}
