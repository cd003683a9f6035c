import Appliance
import Exchange
import Foundation
import MarketData
import Strategy
import Testing
import TickwireCore

/// The rig's lossy bursts (the benchmark of the loop with recovery pumping): every lost frame is
/// re-requested and recovered, and the engine sees every message once, in order.
@Suite struct RigRecoveryTests {
    @Test func everyLostFrameIsRecoveredThroughTheLoop() throws {
        let d = try TakerDay(seed: 2, symbols: 20, messages: 30_000, threshold: 0.6, cooldown: true)
        let (frames, rig) = (d.frames, d.rig)
        var i = 0
        while i < frames.count {
            // The last frames arrive whole: a loss at the very end shows no hole (no heartbeat here).
            rig.burst(frames, from: i, count: 1, losingEvery: i < frames.count - 60 ? 50 : .max)
            i += 1
            while rig.engine.stamps.pop() != nil {}
        }
        // The tail: let the last hole's window pass and its answer in.
        for _ in 0..<200 where rig.appliance.feed.session.hasGap {
            usleep(1_000)
            rig.burst(frames, from: frames.count - 1, count: 0, losingEvery: 50)
        }
        let c = rig.appliance.feed.session.counters
        #expect(c.recoveredMessages > 0 && c.unrecoveredMessages == 0, "\(c)")
        #expect(rig.engine.counters.messages == UInt64(frames.messages), "every message once")
        #expect(rig.appliance.feed.session.requester.requests > 0)
    }
}
