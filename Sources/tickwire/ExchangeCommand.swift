import ArgumentParser
import Synchronization
import CShims
import Exchange
import Foundation
import MarketData
import TickwireCore
import Packets

struct ExchangeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "exchange",
        abstract: "The venue simulator: order flow on a matching engine, ITCH in MoldUDP64 on lines A and B, a re-request server.",
        discussion: """
            Market data goes to the multicast groups of --feed-a and --feed-b through the kernel (loopback \
            interface by default), so an appliance on the same box receives it; re-requests are answered on \
            --rerequest. Faults per line: "loss=0.01,burst=0.001:20,dup=0.01,reorder=0.01,delay=3".
            """
    )

    @Option(help: "Run for this many seconds.")
    var seconds: Double = 10

    @Option(help: "Stop after this many ITCH messages (default: run for --seconds).")
    var messages: UInt64?

    @Option(help: "ITCH messages per second; 0 runs unpaced (measures the simulator).")
    var rate: Double = 50_000

    @Option(help: "Microbursts: the first 10 ms of every second at this many times --rate, the rest slower (the mean stays --rate); 1: none.")
    var microburst: Double = 1

    @Option(help: "Seed of the order flow.")
    var seed: UInt64 = 1

    @Option(help: "Symbols (locates 1...N).")
    var symbols: Int = 100

    @Option(name: .customLong("feed-a"), help: "Line A multicast group and port.")
    var feedA: String = FeedAddress.defaultA.description

    @Option(name: .customLong("feed-b"), help: "Line B multicast group and port.")
    var feedB: String = FeedAddress.defaultB.description

    @Option(help: "Interface address for the multicast sends.")
    var interface: String = "127.0.0.1"

    @Option(help: "Re-request server address and port (port 0: any free port, printed).")
    var rerequest: String = "127.0.0.1:0"

    @Option(name: .customLong("order-entry"), help: "SoupBinTCP/OUCH order entry address and port (port 0: any free port, printed).")
    var orderEntry: String = "127.0.0.1:26500"

    @Option(name: .customLong("user"), help: "An order-entry user, name:password:firm[:4.2|5.0] (repeat for more; default TW1:secret:1:4.2 and TW2:secret:2:5.0).")
    var users: [String] = []

    @Flag(name: .customLong("no-order-entry"), help: "Run without order entry.")
    var noOrderEntry = false

    @Option(name: .customLong("faults-a"), help: "Faults on line A.")
    var faultsA: String = "none"

    @Option(name: .customLong("faults-b"), help: "Faults on line B.")
    var faultsB: String = "none"

    @Option(help: "MoldUDP64 session name (10 characters).")
    var session: String = "TWSIM00001"

    @Option(help: "Write everything sent as pcap (nanosecond timestamps).")
    var capture: String?

    @Option(help: "Seconds to keep answering re-requests after the end of session.")
    var linger: Double = 0.5

    @Option(name: .customLong("book-out"), help: "Write the engine's book when the session ends (before the linger), in the replay's dump format.")
    var bookOut: String?

    @Flag(name: .customLong("no-send"), help: "Do not send on sockets (with --capture: write a capture only).")
    var noSend = false

    @Option(name: .customLong("start-delay"), help: "Seconds with order entry up before the feed starts (clients log in first).")
    var startDelay: Double = 0

    @Flag(name: .customLong("start-on-login"), help: "Start the feed 100 ms after the first client logs in; --start-delay is then the longest wait.")
    var startOnLogin = false

    @Option(help: "on: the flow sees the trading clients' orders when it decides (the touch, queue sizes, which order to cancel); off: it decides on its own orders alone, so a client's order changes nothing it does until it trades (what a backtest assumes). Clients' orders trade with it either way.")
    var reaction: FlowReaction = .on

    @Option(help: "messages: --rate messages a second, stamped with the flow's clock; events: each event goes out when the wall clock reaches its time and is stamped with it (venue time runs with the wall clock; the day equals a generated one of the same seed, as tickwire validate needs).")
    var pace: VenuePacing = .messages

    @Option(name: .customLong("flow-start-ns"), help: "Venue time of the flow's start, nanoseconds since midnight (default: now, UTC).")
    var flowStartNs: UInt64?

    @Flag(help: "Print one JSON object.")
    var json = false

    func run() throws {
        guard seconds > 0, seconds <= 86_400 else { throw ValidationError("--seconds must be in (0, 86400]") }
        guard rate >= 0, rate <= 100_000_000 else { throw ValidationError("--rate must be in [0, 1e8]") }
        guard symbols >= 1, symbols <= 65_000 else { throw ValidationError("--symbols must be in 1...65000") }
        guard let a = FeedAddress(feedA), let b = FeedAddress(feedB) else { throw ValidationError("--feed-a/--feed-b must be IP:PORT") }
        guard let rr = FeedAddress(rerequest) else { throw ValidationError("--rerequest must be IP:PORT") }
        guard let ip = IPv4Address(interface) else { throw ValidationError("--interface must be an IPv4 address") }
        guard let fa = LineFaults(faultsA) else { throw ValidationError("--faults-a: cannot read \"\(faultsA)\"") }
        guard let fb = LineFaults(faultsB) else { throw ValidationError("--faults-b: cannot read \"\(faultsB)\"") }
        guard session.utf8.count <= 10 else { throw ValidationError("--session is at most 10 characters") }
        guard let oeAddress = FeedAddress(orderEntry) else { throw ValidationError("--order-entry must be IP:PORT") }
        var oe = OrderEntryConfiguration()
        oe.address = oeAddress.ip
        oe.port = oeAddress.port
        if !users.isEmpty {
            oe.users = try users.map {
                guard let u = OrderEntryUser($0) else { throw ValidationError("--user: cannot read \"\($0)\" (name:password:firm[:4.2|5.0])") }
                return u
            }
        }
        var c = VenueConfiguration()
        c.flow = OrderFlowConfiguration(seed: seed, symbols: symbols)
        // Live: venue time is today's time of day (UTC), and flows with the wall clock when paced
        // (the model makes about 1.02 messages per event).
        c.flow.start = VenueTime(nanosSinceMidnight: UInt64(tw_clock_realtime_ns()) % 86_400_000_000_000)
        if let flowStartNs {
            guard flowStartNs < 86_400_000_000_000 else { throw ValidationError("--flow-start-ns is nanoseconds since midnight (below 86,400e9)") }
            c.flow.start = VenueTime(nanosSinceMidnight: flowStartNs)
        }
        if rate > 0 { c.flow.eventsPerSecond = rate / 1.02 }
        guard pace == .messages || rate > 0 else { throw ValidationError("--pace events needs a --rate (the flow's calm events a second)") }
        c.flow.reactsToClients = reaction == .on
        c.paceByEventTime = pace == .events
        c.session = session
        c.feedA = a
        c.feedB = b
        c.faultsA = fa
        c.faultsB = fb
        c.interface = ip
        c.rerequest = rr
        c.rate = rate
        guard microburst >= 1 else { throw ValidationError("--microburst is a factor of at least 1") }
        c.microburstFactor = microburst
        c.capturePath = capture
        c.sendUDP = !noSend
        c.orderEntry = noOrderEntry ? nil : oe
        let venue: VenueSimulator
        do { venue = try VenueSimulator(configuration: c) } catch { throw fail("\(error)") }
        if !json {
            let entry = venue.orderPort.map { "order entry (SoupBinTCP) on \(oeAddress.ip):\($0)" } ?? "no order entry"
            print("exchange: session \(session), line A \(a), line B \(b), re-requests on \(rr.ip):\(venue.rerequestPort), \(entry), "
                + "\(symbols) symbols, " + (rate > 0 ? "\(Int(rate)) msgs/s" : "unpaced") + ", \(seconds) s")
        }
        // SIGINT/SIGTERM end the session early, cleanly (End of Session, the summary). A parent
        // may have started us with them blocked (the mask is inherited): unblock them.
        Signals.handle([SIGINT, SIGTERM]) { _ in exchangeStop.store(true, ordering: .relaxed) }
        // The book is written when the session ends, before the linger: a client replaying the
        // capture compares with it while its re-requests are still answered.
        var bookError: String?
        let s = venue.run(seconds: seconds, messages: messages, linger: linger, startDelay: max(0, min(startDelay, 60)), startOnLogin: startOnLogin,
                          stop: { exchangeStop.load(ordering: .relaxed) }, ended: {
                              guard let bookOut else { return }
                              let text = venue.model.engine.dump { venue.publisher.symbols[Int($0.rawValue)].description }
                              do { try text.write(toFile: bookOut, atomically: true, encoding: .utf8) } catch { bookError = "write \(bookOut): \(error)" }
                          })
        if let bookError { throw fail(bookError) }
        if json {
            printJSON(s)
        } else {
            print("exchange: \(s.messages) messages in \(s.seconds) s (\(Int(s.msgsPerSec)) msgs/s), packets A \(s.packets["a"] ?? 0) "
                + "B \(s.packets["b"] ?? 0), lost A \(s.lost["a"] ?? 0) B \(s.lost["b"] ?? 0), re-requests served \(s.rerequestsServed), "
                + "\(s.liveOrders) live orders")
        }
    }
}

/// Raised by SIGINT/SIGTERM: the venue ends its session at the next turn.
let exchangeStop = Atomic<Bool>(false)

enum FlowReaction: String, ExpressibleByArgument, CaseIterable {
    case on, off
}

enum VenuePacing: String, ExpressibleByArgument, CaseIterable {
    case messages, events
}
