import Appliance
import CShims
import Risk
import Strategy
import Testing
import TickwireCore
import DPDK

/// The NIC's counters in the accounting: a rise in imissed, read on the cold side, is a feed
/// gap for risk on the hot loop's next housekeeping turn.
@Suite struct NICWatchTests {
    final class FakeNIC: @unchecked Sendable { var stats = PortStats() }

    @Test func aRiseInImissedIsAFeedGapThatFiresTheKillSwitch() throws {
        let clock = TSCClock.calibrate(windowNanos: 10_000_000)
        let taker = Taker(symbols: [StockLocate(rawValue: 1)], model: ImbalanceUptickModel(), maxLocates: 3, parameters: TakerParameters())
        let rig = try TickToTradeRig(strategy: taker, symbols: 2, clock: clock)
        #expect(rig.isLoggedIn)
        let nic = FakeNIC()
        nic.stats.rxMissed = 5  // before the run: not the run's
        let watch = NICWatch(ports: [(name: "net_test0", read: { nic.stats })], publishTo: rig.appliance.nicMissed)
        var tsc = tw_rdtsc()
        func housekeeping() {
            tsc &+= clock.hz / 50  // 20 ms: past the loop's 10 ms housekeeping interval
            rig.appliance.betweenBursts(idle: true, tsc: tsc)
        }
        nic.stats.rxPackets = 1_000
        watch.sample()
        housekeeping()
        #expect(rig.appliance.counters.nicDropEvents == 0)
        #expect(rig.engine.gateway.risk?.isEngaged == false)
        #expect(watch.counters["net_test0"] == { var c = NICCounters(); c.ipackets = 1_000; return c }())

        nic.stats.rxMissed = 5 + 37
        watch.sample()
        housekeeping()
        #expect(rig.appliance.counters.nicDropEvents == 1 && rig.appliance.counters.nicMissed == 37)
        #expect(rig.engine.gateway.risk?.killReason == .feedGap)
        #expect(watch.counters["net_test0"]?.imissed == 37)
        // No further rise: no further event.
        watch.sample()
        housekeeping()
        #expect(rig.appliance.counters.nicDropEvents == 1)
    }
}
