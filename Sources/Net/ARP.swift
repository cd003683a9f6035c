// ARP (RFC 826) and IGMP (RFC 2236, RFC 3376) of the host. See Host.swift's design note.
public import Packets

extension NetHost {
    // MARK: - ARP

    /// The MAC for `ip` (a next hop) if known; otherwise starts resolving it (unless told not
    /// to) and returns nil. A known MAC stays in use while a refresh is unanswered.
    @inline(__always)
    public func lookup(_ ip: IPv4Address, now: Int64, resolveIfMissing: Bool = true) -> MACAddress? {
        for i in 0..<arpCount where arp[i].ip == ip && arp[i].state != .free {
            if arp[i].known { return arp[i].mac }
            if resolveIfMissing, arp[i].state == .failed, now >= arp[i].nextProbe {
                arp[i].state = .incomplete
                arp[i].probes = 0
                probe(i, now)
            }
            return nil
        }
        if resolveIfMissing { resolve(ip, now: now) }
        return nil
    }

    /// Starts resolving `ip` if it has no entry (the first request goes out now).
    public func resolve(_ ip: IPv4Address, now: Int64) {
        for i in 0..<arpCount where arp[i].ip == ip && arp[i].state != .free { return }
        let i = arpSlot()
        arp[i] = ARPEntry(ip: ip, mac: .zero, state: .incomplete, confirmed: 0, nextProbe: now, probes: 0, known: false)
        probe(i, now)
    }

    /// A free entry, else the oldest entry (reused).
    func arpSlot() -> Int {
        var oldest = 0
        for i in 0..<arpCount {
            if arp[i].state == .free { return i }
            if arp[i].confirmed < arp[oldest].confirmed { oldest = i }
        }
        return oldest
    }

    /// Sends a request for entry `i`: unicast to the known MAC while refreshing (RFC 1122
    /// §2.3.2.1), broadcast otherwise.
    func probe(_ i: Int, _ now: Int64) {
        arp[i].probes += 1
        arp[i].nextProbe = now + configuration.arpRetryNanos
        nextARPCheck = min(nextARPCheck, arp[i].nextProbe)
        let unicast = arp[i].known && now - arp[i].confirmed < configuration.arpTimeoutNanos
        sendARP(operation: ARPOperation.request, targetMAC: unicast ? arp[i].mac : .zero, targetIP: arp[i].ip, unicast: unicast)
    }

    func pollARP(_ now: Int64) {
        var next = Int64.max
        for i in 0..<arpCount {
            switch arp[i].state {
            case .free, .failed:
                continue
            case .reachable:
                let age = now - arp[i].confirmed
                if age >= configuration.arpRefreshNanos {
                    if now >= arp[i].nextProbe {
                        if arp[i].probes >= configuration.arpRetries {
                            // Unanswered: keep the MAC (a peer that stopped answering ARP may still
                            // take our frames) but count it; requests go on, spaced out.
                            counters.arpFailures &+= 1
                            arp[i].probes = 0
                            arp[i].nextProbe = now + configuration.arpRetryNanos * 10
                        } else {
                            probe(i, now)
                        }
                    }
                    next = min(next, arp[i].nextProbe)
                } else {
                    next = min(next, arp[i].confirmed + configuration.arpRefreshNanos)
                }
            case .incomplete:
                if now >= arp[i].nextProbe {
                    if arp[i].probes >= configuration.arpRetries {
                        arp[i].state = .failed
                        counters.arpFailures &+= 1
                        arp[i].nextProbe = now + configuration.arpRetryNanos * 10
                        continue
                    }
                    probe(i, now)
                }
                next = min(next, arp[i].nextProbe)
            }
        }
        nextARPCheck = next
    }

    /// Records `mac` for `ip` if we have an entry for it (RFC 826's merge), or always when
    /// `create` (the sender asked for us, so we will talk to it).
    func learn(_ ip: IPv4Address, _ mac: MACAddress, create: Bool = false) {
        guard ip != .any, ip != address, !mac.isMulticast, mac != .zero else { return }
        var slot = -1
        for i in 0..<arpCount where arp[i].ip == ip && arp[i].state != .free {
            slot = i
            break
        }
        if slot < 0 {
            guard create, ip.value & netmask == address.value & netmask else { return }
            slot = arpSlot()
        }
        arp[slot] = ARPEntry(ip: ip, mac: mac, state: .reachable, confirmed: now, nextProbe: now, probes: 0, known: true)
        nextARPCheck = min(nextARPCheck, now + configuration.arpRefreshNanos)
        for i in 0..<slotCount {
            guard let u = hotSlots[i] else { continue }
            u._withUnsafeGuaranteedRef { $0.nextHopResolved(ip, mac) }
        }
    }

    func arpInput(_ b: UnsafeRawBufferPointer, _ now: Int64) {
        guard let a = ARPView(b) else { return drop(.badARP) }
        let op = a.operation
        let sender = a.senderIP
        if sender == address {
            // Someone else claims our address (or our own announcement looped back).
            if a.senderMAC != mac { counters.arpConflicts &+= 1 }
            return drop(.arpOtherTarget)
        }
        switch op {
        case ARPOperation.request:
            counters.arpRequestsIn &+= 1
            if a.targetIP == address {
                learn(sender, a.senderMAC, create: true)
                sendARP(operation: ARPOperation.reply, targetMAC: a.senderMAC, targetIP: sender)
            } else {
                learn(sender, a.senderMAC)   // refreshes an entry we have (gratuitous ARP)
                drop(.arpOtherTarget)
            }
        case ARPOperation.reply:
            counters.arpRepliesIn &+= 1
            learn(sender, a.senderMAC)
        default:
            drop(.badARP)
        }
    }

    func sendARP(operation: UInt16, targetMAC: MACAddress, targetIP: IPv4Address, unicast: Bool = false) {
        guard let f = allocateFrame() else { return }
        let d = f.data
        guard d.count >= l2Length + 28 else { discardFrame(f); return }
        let request = operation == ARPOperation.request
        let o = writeEthernet(d, to: request && !unicast ? .broadcast : targetMAC, etherType: EtherType.arp)
        d.set16(1, o)
        d.set16(EtherType.ipv4, o + 2)
        d.set8(6, o + 4)
        d.set8(4, o + 5)
        d.set16(operation, o + 6)
        d.setMAC(mac.rawValue, o + 8)
        d.set32(address.value, o + 14)
        d.setMAC(request ? 0 : targetMAC.rawValue, o + 18)
        d.set32(targetIP.value, o + 24)
        // Pad to the 60-byte Ethernet minimum: some PMDs (af_packet) send what they are given.
        let end = max(o + 28, 60)
        if end > o + 28 { d.mslice(o + 28, end).initializeMemory(as: UInt8.self, repeating: 0) }
        if send(f, length: end) {
            if request { counters.arpRequestsOut &+= 1 } else { counters.arpRepliesOut &+= 1 }
        }
    }

    /// The ARP cache as (address, MAC, state) for reports and tests.
    public var arpTable: [(IPv4Address, MACAddress, String)] {
        (0..<arpCount).compactMap { i in
            arp[i].state == .free ? nil : (arp[i].ip, arp[i].mac, "\(arp[i].state)")
        }
    }

    // MARK: - IGMP

    var answersInV2: Bool { configuration.igmpVersion == 2 || now < olderQuerierUntil }

    func igmpInput(_ b: UnsafeRawBufferPointer, destination: IPv4Address, _ now: Int64) {
        guard let g = IGMPView(b), g.isChecksumValid else { return drop(.badIGMP) }
        switch g.type {
        case IGMPType.query:
            counters.igmpQueries &+= 1
            // RFC 3376 §7.1: 8 bytes is a v1 (max resp 0) or v2 query, 12 or more a v3 query.
            let maxResp: Int64
            if b.count >= 12 {
                let code = Int64(g.maxRespTime)
                maxResp = code < 128 ? code : ((code & 0x0F) | 0x10) << (((code >> 4) & 0x07) + 3)
            } else {
                maxResp = g.maxRespTime == 0 ? 100 : Int64(g.maxRespTime)   // v1: 10 s
                // An older querier: answer in v2 for the Older Version Querier Present Timeout.
                olderQuerierUntil = now + 260_000_000_000
            }
            let window = max(maxResp, 1) * 100_000_000   // tenths of a second
            let group = g.groupAddress
            for i in 0..<groups.count where group == .any || group == groups[i] {
                let due = now + Int64(rng.next() % UInt64(window))
                if igmpDue[i] == 0 || due < igmpDue[i] { igmpDue[i] = due }
                nextIGMPCheck = min(nextIGMPCheck, igmpDue[i])
            }
        case IGMPType.v2Report, IGMPType.v1Report:
            // RFC 2236 §3: another member reported the group, our pending v2 report is suppressed.
            if answersInV2 {
                for i in 0..<groups.count where groups[i] == g.groupAddress { igmpDue[i] = 0 }
            }
        case IGMPType.v3Report, IGMPType.leave:
            break
        default:
            drop(.badIGMP)
        }
    }

    func pollIGMP(_ now: Int64) {
        var next = Int64.max
        if igmpUnsolicitedLeft > 0 {
            if now >= igmpNextUnsolicited {
                sendIGMPReports(all: true, now)
                igmpUnsolicitedLeft -= 1
                igmpNextUnsolicited = now + configuration.igmpUnsolicitedIntervalNanos
            }
            if igmpUnsolicitedLeft > 0 { next = igmpNextUnsolicited }
        }
        var anyDue = false
        for i in 0..<groups.count where igmpDue[i] != 0 {
            if now >= igmpDue[i] { anyDue = true } else { next = min(next, igmpDue[i]) }
        }
        if anyDue { sendIGMPReports(all: false, now) }
        nextIGMPCheck = next
    }

    /// Reports for the groups whose timer ran out (or all of them): one v3 report with every
    /// such group, or one v2 report per group.
    func sendIGMPReports(all: Bool, _ now: Int64) {
        if answersInV2 {
            for i in 0..<groups.count where all || (igmpDue[i] != 0 && now >= igmpDue[i]) {
                igmpDue[i] = 0
                sendIGMPv2(type: IGMPType.v2Report, group: groups[i])
            }
            return
        }
        // One v3 report with each group due; records of MODE_IS_EXCLUDE answer queries,
        // CHANGE_TO_EXCLUDE announce a join (RFC 3376 §5.1, §5.2).
        var due = 0
        for i in 0..<groups.count where all || (igmpDue[i] != 0 && now >= igmpDue[i]) { due += 1 }
        guard due > 0 else { return }
        sendIGMPv3(records: due, recordType: all ? IGMPv3RecordType.changeToExclude : IGMPv3RecordType.modeIsExclude) { i in
            let take = all || (igmpDue[i] != 0 && now >= igmpDue[i])
            if take { igmpDue[i] = 0 }
            return take
        }
    }

    func sendIGMPLeave() {
        if answersInV2 {
            for g in groups { sendIGMPv2(type: IGMPType.leave, group: g) }
        } else {
            sendIGMPv3(records: groups.count, recordType: IGMPv3RecordType.changeToInclude) { _ in true }
        }
    }

    /// IPv4 header with Router Alert (RFC 2113), TTL 1, DSCP CS6, to `dst`'s multicast MAC.
    func writeIGMPHeaders(_ d: UnsafeMutableRawBufferPointer, to dst: IPv4Address, igmpLength: Int) -> Int {
        let o = writeEthernet(d, to: dst.multicastMAC, etherType: EtherType.ipv4)
        ipID &+= 1
        d.set8(0x46, o)
        d.set8(48 << 2, o + 1)
        d.set16(UInt16(24 + igmpLength), o + 2)
        d.set16(ipID, o + 4)
        d.set16(0x4000, o + 6)
        d.set8(1, o + 8)
        d.set8(IPProtocol.igmp, o + 9)
        d.set16(0, o + 10)
        d.set32(address.value, o + 12)
        d.set32(dst.value, o + 16)
        d.set32(0x9404_0000, o + 20)
        d.set16(internetChecksum(d.readOnly(o, o + 24)), o + 10)
        return o + 24
    }

    func sendIGMPv2(type: UInt8, group: IPv4Address) {
        guard let f = allocateFrame() else { return }
        let d = f.data
        guard d.count >= l2Length + 32 else { discardFrame(f); return }
        let g = writeIGMPHeaders(d, to: type == IGMPType.leave ? .allRouters : group, igmpLength: 8)
        d.set8(type, g)
        d.set8(0, g + 1)
        d.set16(0, g + 2)
        d.set32(group.value, g + 4)
        d.set16(internetChecksum(d.readOnly(g, g + 8)), g + 2)
        if send(f, length: max(g + 8, 60)) {
            if type == IGMPType.leave { counters.igmpLeavesOut &+= 1 } else { counters.igmpReportsOut &+= 1 }
        }
    }

    func sendIGMPv3(records: Int, recordType: UInt8, include: (Int) -> Bool) {
        guard records > 0, let f = allocateFrame() else { return }
        let d = f.data
        let length = 8 + 8 * records
        guard d.count >= l2Length + 24 + length else { discardFrame(f); return }
        let g = writeIGMPHeaders(d, to: .igmpV3Routers, igmpLength: length)
        d.set8(IGMPType.v3Report, g)
        d.set8(0, g + 1)
        d.set16(0, g + 2)
        d.set16(0, g + 4)
        d.set16(UInt16(records), g + 6)
        var r = g + 8
        var written = 0
        for i in 0..<groups.count where written < records && include(i) {
            d.set8(recordType, r)
            d.set8(0, r + 1)
            d.set16(0, r + 2)
            d.set32(groups[i].value, r + 4)
            r += 8
            written += 1
        }
        d.set16(UInt16(written), g + 6)
        d.set16(internetChecksum(d.readOnly(g, r)), g + 2)
        if send(f, length: max(r, 60)) {
            if recordType == IGMPv3RecordType.changeToInclude { counters.igmpLeavesOut &+= 1 } else { counters.igmpReportsOut &+= 1 }
        }
    }
}
