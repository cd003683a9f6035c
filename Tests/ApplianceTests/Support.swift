import Appliance
import Exchange
import Strategy
import TickwireCore

/// A taker rig over a simulated flow day (3 ITCH messages a frame) on `symbols` stocks: the
/// frames, the rig and the stocks it trades. `threshold`: the taker's; no cooldown, a position
/// limit out of the way.
struct TakerDay {
    let frames: TickToTradeFrames
    let rig: TickToTradeRig<Taker<ImbalanceUptickModel>>
    let locates: [StockLocate]

    init(seed: UInt64, symbols: Int = 10, messages: Int, threshold: Double = 0.55, cooldown: Bool = false,
         clock: TSCClock = TSCClock.calibrate(windowNanos: 20_000_000), maxOrders: Int = 1 << 20) throws {
        let day = FlowDay.generate(OrderFlowConfiguration(seed: seed, symbols: symbols), messages: messages).bytes
        frames = TickToTradeFrames(itch: day, perPacket: 3)
        var p = TakerParameters()
        p.threshold = threshold
        if !cooldown {
            p.cooldownNanos = 0
            p.maxPosition = 1 << 30
        }
        locates = (1...symbols).map { StockLocate(rawValue: UInt16($0)) }
        rig = try TickToTradeRig(strategy: Taker(symbols: locates, model: ImbalanceUptickModel(), maxLocates: symbols + 1, parameters: p),
                                 symbols: symbols, clock: clock, maxOrders: maxOrders)
    }
}
