// A simulated day published as MoldUDP64 on two faulty lines into a capture file, as the venue
// simulator sends it: the input of the tests that check recovery and arbitration against the
// venue's own book.
public import Exchange
public import MarketData
import Packets
public import TickwireCore

/// The day a capture holds, and the venue's side of it (the flow model, with its matching
/// engine's book; every message the session stored, for a re-request server; the lines' counts).
public struct LossyFeedCapture {
    public let model: OrderFlowModel
    /// The feed's publisher (its symbols name the locates).
    public let publisher: ITCHPublisher
    public let store: MoldMessageStore
    public let packer: MoldPacker<UDPFeedOutput>

    /// Publishes the opening book and `steps` flow steps of `symbols` stocks on `lines` into a
    /// capture at `path` (a flush every 4 steps, a heartbeat every `heartbeatEvery` steps when
    /// given), then ends the session.
    public init(path: String, symbols: Int, seed: UInt64, steps: Int, lines: [FaultyLine], heartbeatEvery: Int? = nil) throws {
        model = OrderFlowModel(configuration: OrderFlowConfiguration(seed: seed, symbols: symbols))
        publisher = ITCHPublisher(symbols: FlowDay.symbols(symbols))
        let session = MoldSession("TWSIM00001")
        store = MoldMessageStore(session: session)
        let capture = try VenueCapture(path: path)
        packer = MoldPacker(session: session, store: store, lines: lines,
                            output: UDPFeedOutput(sender: nil, capture: capture, source: FeedAddress(ip: IPv4Address(127, 0, 0, 1), port: 40_000)))
        var sink = PublishingSink(publisher: publisher, time: model.configuration.start, out: packer)
        publisher.systemEvent("O", at: sink.time, to: &sink.out)
        publisher.directory(at: sink.time, to: &sink.out)
        model.openingBook(&sink)
        publisher.systemEvent("Q", at: sink.time, to: &sink.out)
        for i in 0..<steps {
            model.step(&sink)
            sink.time = VenueTime(nanosSinceMidnight: model.now)
            if i % 4 == 3 { packer.flush() }
            if let every = heartbeatEvery, i % every == 0 { packer.heartbeat() }
        }
        publisher.systemEvent("M", at: sink.time, to: &sink.out)
        packer.endSession()
        try capture.close()
    }
}
