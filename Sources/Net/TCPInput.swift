// Segment arrival (RFC 9293 §3.10.7) for Tickwire's TCP. See TCP.swift's design note.
import Packets
import CShims
#if canImport(Glibc)
import Glibc   // errno values only (EPIPE, ECONNRESET, ...): no call into libc on the hot path
#endif

extension NetTCPConnection {
    /// One segment for this connection (checksum already verified by the host).
    func segmentArrived(_ t: TCPView, _ now: Int64) {
        counters.segmentsIn &+= 1
        let flags = t.flags
        if state == .synSent { return synSentInput(t, flags, now) }

        let seq = t.sequence
        let payload = t.payload
        let syn = flags.contains(.syn), fin = flags.contains(.fin)
        let segLen = payload.count + (syn ? 1 : 0) + (fin ? 1 : 0)
        // 1. Sequence number: is any of the segment in the window (RFC 9293's four cases)?
        let wnd = UInt32(receiveWindow)
        let acceptable: Bool
        if segLen == 0 {
            acceptable = wnd == 0 ? seq == rcvNxt : seqLE(rcvNxt, seq) && seqLT(seq, rcvNxt &+ wnd)
        } else if wnd == 0 {
            acceptable = false
        } else {
            let last = seq &+ UInt32(segLen) &- 1
            acceptable = (seqLE(rcvNxt, seq) && seqLT(seq, rcvNxt &+ wnd)) || (seqLE(rcvNxt, last) && seqLT(last, rcvNxt &+ wnd))
        }
        if !acceptable {
            if flags.contains(.rst) { return drop(.rstOutsideWindow) }
            if segLen > 0 && seqLT(seq, rcvNxt) { counters.duplicateSegments &+= 1 } else { drop(.outsideWindow) }
            if state == .timeWait && fin { timeWaitDeadline = now + configuration.timeWaitNanos }
            sendAck()
            return
        }
        // 2. RST (RFC 5961 §3.2): only at exactly RCV.NXT; elsewhere in the window, a challenge ACK.
        if flags.contains(.rst) {
            guard seq == rcvNxt else {
                counters.challengeAcks &+= 1
                sendAck()
                return
            }
            counters.resetsIn &+= 1
            switch state {
            case .synReceived: reset(ECONNREFUSED)
            case .closing, .lastAck, .timeWait: enterClosed()
            default: reset(ECONNRESET)
            }
            return
        }
        // 4. SYN on a synchronized connection (RFC 5961 §4): a challenge ACK. In SYN-RECEIVED
        // the peer's SYN again means our SYN-ACK was lost: send it again.
        if syn {
            if state == .synReceived && seq == irs {
                sendSYN(now)
                return
            }
            counters.challengeAcks &+= 1
            drop(.synOnSynchronized)
            sendAck()
            return
        }
        // 5. ACK.
        guard flags.contains(.ack) else { return drop(.noAck) }
        let ack = t.acknowledgment
        if state == .synReceived {
            guard seqLT(sndUna, ack) && seqLE(ack, sndMax) else {
                drop(.badAck)
                sendControl(seq: ack, ack: 0, flags: [.rst])
                counters.resetsOut &+= 1
                return
            }
            state = .established
            sndWnd = UInt32(t.window)
            sndWl1 = seq
            sndWl2 = ack
        }
        guard processAck(t, seq: seq, ack: ack, payloadCount: payload.count, syn: syn, fin: fin, now) else { return }
        if finQueued && seqGT(ack, finSeq) {
            // Our FIN is acknowledged.
            switch state {
            case .finWait1: state = .finWait2
            case .closing: enterTimeWait(now)
            case .lastAck:
                enterClosed()
                return
            default: break
            }
        }
        // 7. Data.
        if !payload.isEmpty {
            switch state {
            case .established, .finWait1, .finWait2:
                deliver(seq, payload)
            default:
                drop(.dataAfterFin)
            }
        }
        // 8. FIN: taken when every byte before it has arrived; one beyond a hole waits.
        if fin {
            let finAt = seq &+ UInt32(payload.count)
            if finAt == rcvNxt {
                processFin(now)
            } else if seqGT(finAt, rcvNxt) {
                pendingFinSeq = finAt
            } else if state == .timeWait {
                timeWaitDeadline = now + configuration.timeWaitNanos
                sendAck()
            }
        }
        output(now)
    }

    /// Step 5 for synchronized states. False when the segment is not to be processed further.
    func processAck(_ t: TCPView, seq: UInt32, ack: UInt32, payloadCount: Int, syn: Bool, fin: Bool, _ now: Int64) -> Bool {
        if seqGT(ack, sndMax) {
            drop(.ackOfUnsentData)
            sendAck()
            return false
        }
        let window = UInt32(t.window)
        if seqLE(ack, sndUna) {
            // RFC 5681 §2: a duplicate ACK carries no data, no SYN/FIN, the same window, and
            // arrives while data is outstanding.
            if ack == sndUna && payloadCount == 0 && !fin && window == sndWnd && sndMax != sndUna {
                counters.duplicateAcks &+= 1
                dupAcks += 1
                if dupAcks == 3 && !inRecovery && seqGT(ack, recover &- 1) {
                    // Fast retransmit (RFC 5681 §3.2, RFC 6582).
                    counters.fastRetransmits &+= 1
                    ssthresh = max(Int(sndMax &- sndUna) / 2, 2 * sendMSS)
                    inRecovery = true
                    recover = sndMax
                    retransmitFirst(now)
                    cwnd = ssthresh + 3 * sendMSS
                } else if dupAcks > 3 && inRecovery {
                    cwnd += sendMSS
                }
            }
            updateWindow(seq: seq, ack: ack, window: window, now)
            return true
        }
        // New data acknowledged.
        let acked = Int(ack &- sndUna)
        let upTo = finQueued && seqGT(ack, finSeq) ? finSeq : ack
        let consumed = Int(Int32(bitPattern: upTo &- ringSeq))
        if consumed > 0 {
            let n = min(consumed, sendCount)
            ringSeq &+= UInt32(n)
            sendCount -= n
        }
        sndUna = ack
        if seqLT(sndNxt, sndUna) { sndNxt = sndUna }
        if rttTiming && seqGE(ack, rttSeq) {
            rttTiming = false
            rttSample(now - rttStart)
        } else {
            // New data acknowledged: the backoff is over (RFC 6298 (5.7)'s spirit; Linux does
            // the same), back to the estimate, or to the initial RTO while there is none.
            rto = hasRTT ? min(max(srtt + max(1, 4 * rttvar), configuration.minRTONanos), configuration.maxRTONanos)
                : configuration.initialRTONanos
        }
        rtxCount = 0
        if inRecovery {
            if seqGE(ack, recover) {
                // Full acknowledgment: leave fast recovery (RFC 6582 §3.2 (3)).
                inRecovery = false
                cwnd = min(ssthresh, max(Int(sndMax &- sndUna), sendMSS) + sendMSS)
            } else {
                // Partial acknowledgment: the next hole goes now; deflate by what was acked.
                retransmitFirst(now)
                cwnd = max(cwnd - acked + sendMSS, sendMSS)
            }
        } else if cwnd < ssthresh {
            cwnd += min(acked, sendMSS)                         // slow start
        } else {
            cwnd += max(1, sendMSS * sendMSS / max(cwnd, 1))    // congestion avoidance
        }
        dupAcks = 0
        rtxDeadline = sndUna == sndMax ? 0 : now + rto
        updateWindow(seq: seq, ack: ack, window: window, now)
        return true
    }

    /// RFC 9293 §3.10.7.4: the send window from the newest segment.
    func updateWindow(seq: UInt32, ack: UInt32, window: UInt32, _ now: Int64) {
        if seqLT(sndWl1, seq) || (sndWl1 == seq && seqLE(sndWl2, ack)) {
            sndWnd = window
            sndWl1 = seq
            sndWl2 = ack
            if window > 0 {
                persistDeadline = 0
                persistBackoff = 0
            }
        }
    }

    func synSentInput(_ t: TCPView, _ flags: TCPFlags, _ now: Int64) {
        let ack = t.acknowledgment
        if flags.contains(.ack) && (seqLE(ack, iss) || seqGT(ack, sndMax)) {
            drop(.badAck)
            if !flags.contains(.rst) {
                sendControl(seq: ack, ack: 0, flags: [.rst])
                counters.resetsOut &+= 1
            }
            return
        }
        if flags.contains(.rst) {
            if flags.contains(.ack) {
                counters.resetsIn &+= 1
                reset(ECONNREFUSED)
            } else {
                drop(.rstOutsideWindow)
            }
            return
        }
        guard flags.contains(.syn) else { return drop(.unexpectedFlags) }
        irs = t.sequence
        rcvNxt = irs &+ 1
        readSeq = rcvNxt
        let peerMSS = Int(t.maximumSegmentSize ?? 536)
        sendMSS = max(64, min(peerMSS, ourMSS))
        sndWnd = UInt32(t.window)
        sndWl1 = t.sequence
        sndWl2 = ack
        if !t.payload.isEmpty { drop(.unexpectedFlags) }      // data on a SYN is not taken
        if flags.contains(.ack) {
            sndUna = ack
            // Karn: no sample from a retransmitted SYN; the backed-off RTO goes back to the
            // initial one (RFC 6298 (5.7) would hold 3 s; at colo round trips that only delays
            // the first loss recovery).
            if rtxCount == 0 && synSentAt > 0 { rttSample(now - synSentAt) } else { rto = configuration.initialRTONanos }
            rtxCount = 0
            rtxDeadline = 0
            cwnd = initialWindow
            state = .established
            sendAck()
            output(now)
        } else {
            // Simultaneous open (RFC 9293 §3.5): SYN-RECEIVED, our SYN again with an ACK.
            state = .synReceived
            sendSYN(now)
        }
    }

    /// In-window data at `seq`: into the ring; in order, it becomes readable (and fills what
    /// it can of the out-of-order ranges), otherwise its range is remembered.
    func deliver(_ seqIn: UInt32, _ payloadIn: UnsafeRawBufferPointer) {
        var seq = seqIn
        var p = payloadIn
        if seqLT(seq, rcvNxt) {
            let cut = Int(rcvNxt &- seq)
            if cut >= p.count {
                counters.duplicateSegments &+= 1
                ackPending = true
                return
            }
            p = p.slice(cut, p.count)
            seq = rcvNxt
        }
        let rightEdge = rcvNxt &+ UInt32(receiveWindow)
        if seqGT(seq &+ UInt32(p.count), rightEdge) {
            drop(.beyondWindow)
            let keep = Int(Int32(bitPattern: rightEdge &- seq))
            if keep <= 0 { return }
            p = p.slice(0, keep)
        }
        let pos = Int(seq &- (irs &+ 1)) & recvMask
        let first = min(p.count, recvRing.count - pos)
        (recvRing.baseAddress! + pos).copyMemory(from: p.baseAddress!, byteCount: first)
        if first < p.count { recvRing.baseAddress!.copyMemory(from: p.baseAddress! + first, byteCount: p.count - first) }
        let end = seq &+ UInt32(p.count)
        if seq == rcvNxt {
            let before = rcvNxt
            rcvNxt = end
            var filled = false
            while oooCount > 0 && seqLE(oooStart[0], rcvNxt) {
                if seqGT(oooEnd[0], rcvNxt) { rcvNxt = oooEnd[0] }
                removeInterval(0)
                filled = true
            }
            counters.bytesIn &+= UInt64(rcvNxt &- before)
            bytesSinceAck += Int(rcvNxt &- before)
            if filled {
                sendAck()          // a hole filled: tell the sender at once
            } else if configuration.ackDelayNanos == 0 || bytesSinceAck >= 2 * ourMSS {
                ackPending = true
            } else if ackDeadline == 0 {
                ackDeadline = hostNow + configuration.ackDelayNanos
            }
            if let f = pendingFinSeq, f == rcvNxt { processFin(hostNow) }
        } else {
            if insertInterval(seq, end) {
                counters.outOfOrderHeld &+= 1
            } else {
                drop(.reassemblyFull)
            }
            sendAck()              // a duplicate ACK for the sender's fast retransmit
        }
    }

    /// Adds [s, e) to the sorted out-of-order ranges, merging what overlaps or touches.
    func insertInterval(_ s: UInt32, _ e: UInt32) -> Bool {
        var i = 0
        while i < oooCount && seqLT(oooEnd[i], s) { i += 1 }
        var j = i
        while j < oooCount && seqLE(oooStart[j], e) { j += 1 }
        if i == j {
            guard oooCount < configuration.reassemblyIntervals else { return false }
            var k = oooCount
            while k > i {
                oooStart[k] = oooStart[k - 1]
                oooEnd[k] = oooEnd[k - 1]
                k -= 1
            }
            oooStart[i] = s
            oooEnd[i] = e
            oooCount += 1
            return true
        }
        oooStart[i] = seqLT(oooStart[i], s) ? oooStart[i] : s
        oooEnd[i] = seqGT(oooEnd[j - 1], e) ? oooEnd[j - 1] : e
        let removed = j - i - 1
        if removed > 0 {
            for k in (i + 1)..<(oooCount - removed) {
                oooStart[k] = oooStart[k + removed]
                oooEnd[k] = oooEnd[k + removed]
            }
            oooCount -= removed
        }
        return true
    }

    func removeInterval(_ i: Int) {
        for k in i..<(oooCount - 1) {
            oooStart[k] = oooStart[k + 1]
            oooEnd[k] = oooEnd[k + 1]
        }
        oooCount -= 1
    }

    func processFin(_ now: Int64) {
        pendingFinSeq = nil
        guard !finReceived else { return }
        finReceived = true
        rcvNxt &+= 1
        switch state {
        case .synReceived, .established:
            state = .closeWait
        case .finWait1:
            if finQueued && seqGT(sndUna, finSeq) { enterTimeWait(now) } else { state = .closing }
        case .finWait2:
            enterTimeWait(now)
        default:
            break
        }
        sendAck()
    }

    func enterTimeWait(_ now: Int64) {
        state = .timeWait
        rtxDeadline = 0
        persistDeadline = 0
        timeWaitDeadline = now + configuration.timeWaitNanos
    }

    /// Out-of-order ranges held now (tests).
    public var outOfOrderRanges: Int { oooCount }
}
