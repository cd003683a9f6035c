// A venue in a box for the in-process tick-to-trade benchmark and for replaying a capture with
// a strategy: it accepts any login and answers every OUCH 4.2 order at once, as a venue with
// nothing to trade against would: Enter Order -> Accepted (an IOC also -> Canceled), Replace
// -> Replaced, Cancel -> Canceled; a client heartbeat -> a server heartbeat. Answers wait in a
// preallocated byte ring until the gateway reads them; nothing allocates after init. Never for
// trading: there is no market behind it.
public import TickwireCore

public final class EchoVenueTransport: ByteStreamTransport {
    public private(set) var isOpen = true
    public private(set) var bytesSent: UInt64 = 0
    public private(set) var ordersAnswered: UInt64 = 0
    /// Client heartbeats answered with a server heartbeat.
    public private(set) var heartbeatsAnswered: UInt64 = 0
    /// Bytes of unsequenced data it could not read (not OUCH 4.2, or a bad length).
    public private(set) var unreadable: UInt64 = 0
    /// Sends or answers dropped because the inbox or the answer ring was full (the gateway did
    /// not read for too long).
    public private(set) var overflow: UInt64 = 0
    let ring: UnsafeMutableRawBufferPointer
    var head = 0, tail = 0
    /// Open shares by order number (direct-mapped: the gateway numbers orders consecutively).
    let open: UnsafeMutablePointer<UInt32>
    let openMask: Int
    var nextRef: UInt64 = 1
    let inbox: UnsafeMutableRawBufferPointer
    var inboxCount = 0
    var framer = SoupBinTCPFramer(direction: .fromClient)
    let scratch: UnsafeMutableRawBufferPointer

    public init(ringBytes: Int = 1 << 20, orders: Int = 1 << 16) {
        ring = .allocate(byteCount: ringBytes, alignment: 8)
        var n = 1
        while n < orders { n <<= 1 }
        open = .allocate(capacity: n)
        open.initialize(repeating: 0, count: n)
        openMask = n - 1
        inbox = .allocate(byteCount: 1 << 16, alignment: 8)
        scratch = .allocate(byteCount: 256, alignment: 8)
    }

    deinit {
        ring.deallocate()
        open.deallocate()
        scratch.deallocate()
        inbox.deallocate()
    }

    /// Takes the bytes as a NIC would: a copy into the venue's inbox, nothing more. The venue
    /// reads them when the gateway next reads its answers (`receive`), so that the venue's own
    /// work never lands inside the sender's timing.
    public func send(_ bytes: UnsafeRawBufferPointer) -> Int {
        guard isOpen else { return -32 }  // EPIPE
        bytesSent &+= UInt64(bytes.count)
        if inboxCount + bytes.count > inbox.count {
            overflow &+= 1
            return bytes.count
        }
        inbox.baseAddress!.advanced(by: inboxCount).copyMemory(from: bytes.baseAddress!, byteCount: bytes.count)
        inboxCount += bytes.count
        return bytes.count
    }

    /// Answers every complete packet waiting in the inbox (the framer keeps an incomplete one
    /// for the next read). A stream SoupBinTCP cannot frame ends the session, as a venue would.
    func processInbox() {
        guard inboxCount > 0 else { return }
        framer.feed(UnsafeRawBufferPointer(rebasing: inbox[0..<inboxCount]))
        reading: while true {
            switch framer.next() {
            case .packet(let p):
                switch p.type {
                case .loginRequest:
                    if let n = SoupBinTCP.encodeLoginAccepted(into: scratch, session: SoupBinTCP.session("ECHO")!, sequenceNumber: 1) {
                        enqueue(UnsafeRawBufferPointer(rebasing: scratch[0..<n]))
                    }
                case .unsequencedData:
                    answer(p.payload)
                case .clientHeartbeat:
                    // A venue heartbeats an idle session; answering the client's keeps a quiet
                    // run (no orders for longer than the dead-peer timeout) logged in.
                    if let n = SoupBinTCP.encodeEmpty(into: scratch, type: .serverHeartbeat) {
                        heartbeatsAnswered &+= 1
                        enqueue(UnsafeRawBufferPointer(rebasing: scratch[0..<n]))
                    }
                case .logoutRequest:
                    isOpen = false
                default:
                    break
                }
            case .needMoreData:
                break reading
            case .failed:
                isOpen = false
                break reading
            }
        }
        inboxCount = 0
    }

    func answer(_ m: UnsafeRawBufferPointer) {
        let out = UnsafeMutableRawBufferPointer(rebasing: scratch[3...])
        switch OUCH42.decodeInbound(m) {
        case .success(.enterOrder(let o)):
            let id = OrderTokens.orderNumber(o.orderToken).map { Int($0) } ?? 0
            let ref = OrderRef(rawValue: nextRef)
            nextRef &+= 1
            let a = OUCH42.Accepted(timestamp: VenueTime(nanosSinceMidnight: 0), orderToken: o.orderToken, side: o.side, shares: o.shares, stock: o.stock, price: o.price,
                                    timeInForce: o.timeInForce, firm: o.firm, display: o.display, orderReferenceNumber: ref,
                                    capacity: o.capacity, intermarketSweepEligibility: o.intermarketSweepEligibility,
                                    minimumQuantity: o.minimumQuantity, crossType: o.crossType, orderState: "L", bboWeightIndicator: " ")
            sequenced(a.encode(into: out))
            if o.timeInForce == OUCH42.immediateOrCancel {
                sequenced(OUCH42.Canceled(timestamp: VenueTime(nanosSinceMidnight: 0), orderToken: o.orderToken, decrementShares: o.shares, reason: "I").encode(into: out))
            } else {
                open[id & openMask] = o.shares.rawValue
            }
            ordersAnswered &+= 1
        case .success(.cancelOrder(let c)):
            let id = OrderTokens.orderNumber(c.orderToken).map { Int($0) } ?? 0
            let had = open[id & openMask]
            guard had > c.shares.rawValue else { return }
            open[id & openMask] = c.shares.rawValue
            sequenced(OUCH42.Canceled(timestamp: VenueTime(nanosSinceMidnight: 0), orderToken: c.orderToken, decrementShares: Shares(rawValue: had - c.shares.rawValue),
                                      reason: "U").encode(into: out))
            ordersAnswered &+= 1
        case .success(.replaceOrder(let r)):
            let old = OrderTokens.orderNumber(r.existingOrderToken).map { Int($0) } ?? 0
            let new = OrderTokens.orderNumber(r.replacementOrderToken).map { Int($0) } ?? 0
            open[old & openMask] = 0
            open[new & openMask] = r.shares.rawValue
            let ref = OrderRef(rawValue: nextRef)
            nextRef &+= 1
            sequenced(OUCH42.Replaced(timestamp: VenueTime(nanosSinceMidnight: 0), replacementOrderToken: r.replacementOrderToken, side: .buy, shares: r.shares,
                                      stock: .blank, price: r.price, timeInForce: r.timeInForce, firm: .blank, display: r.display,
                                      orderReferenceNumber: ref, capacity: "P", intermarketSweepEligibility: r.intermarketSweepEligibility,
                                      minimumQuantity: r.minimumQuantity, crossType: "N", orderState: "L",
                                      previousOrderToken: r.existingOrderToken, bboWeightIndicator: " ").encode(into: out))
            ordersAnswered &+= 1
        default:
            unreadable &+= UInt64(m.count)
        }
    }

    @inline(__always)
    func sequenced(_ n: Int?) {
        guard let n, SoupBinTCP.writeHeader(into: scratch, type: .sequencedData, payloadLength: n) != nil else { return }
        enqueue(UnsafeRawBufferPointer(rebasing: scratch[0..<(3 + n)]))
    }

    func enqueue(_ b: UnsafeRawBufferPointer) {
        if tail + b.count > ring.count {
            // Compact: move what is unread to the front.
            let unread = tail - head
            if unread > 0 { ring.baseAddress!.copyMemory(from: ring.baseAddress!.advanced(by: head), byteCount: unread) }
            head = 0
            tail = unread
            guard tail + b.count <= ring.count else {
                overflow &+= 1
                return
            }
        }
        ring.baseAddress!.advanced(by: tail).copyMemory(from: b.baseAddress!, byteCount: b.count)
        tail += b.count
    }

    public func receive(into buffer: UnsafeMutableRawBufferPointer) -> TransportRead {
        processInbox()
        let n = min(buffer.count, tail - head)
        if n == 0 { return isOpen ? .wouldBlock : .closed }
        buffer.baseAddress!.copyMemory(from: ring.baseAddress!.advanced(by: head), byteCount: n)
        head += n
        if head == tail { head = 0; tail = 0 }
        return .bytes(n)
    }

    public func close() { isOpen = false }
}
