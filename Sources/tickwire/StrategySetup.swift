// The strategies as the command line builds them: one place, so that `demo`, `run` and
// `replay --strategy` make the same strategy from the same options (a replay reproduces a
// live run only if both trade with the same parameters).
import ArgumentParser
import Risk
import Strategy
import TickwireCore

struct StrategyOptions: ParsableArguments {
    @Option(help: "Strategy: mm (market maker) or taker.")
    var strategy: String = "mm"

    @Option(help: "Symbols the strategy trades (locates 1...N).")
    var traded: Int = 20

    @Option(name: .customLong("max-position"), help: "Shares per symbol the strategy may hold either way (risk's limit is the same, gross 10x).")
    var maxPosition: Int64 = 1_000

    var kind: StrategyKind? { StrategyKind(rawValue: strategy) }

    func validate(symbols: Int) throws {
        guard kind != nil else { throw ValidationError("--strategy is mm or taker") }
        try spec.validate(symbols: symbols)
    }

    var spec: StrategySpec { StrategySpec(kind: kind ?? .marketMaker, traded: traded, maxPosition: maxPosition) }
    var tradedLocates: [StockLocate] { spec.tradedLocates }
    var limits: RiskLimits { spec.limits }
    func marketMaker(symbols: Int) -> MarketMaker { spec.marketMaker(symbols: symbols) }
    func taker(symbols: Int) -> Taker<ImbalanceUptickModel> { spec.taker(symbols: symbols) }
}

struct StrategySpec {
    var kind: StrategyKind
    var traded: Int
    var maxPosition: Int64

    func validate(symbols: Int) throws {
        guard traded >= 1, traded <= symbols else { throw ValidationError("need 1 <= --traded <= the venue's symbols (\(symbols))") }
        guard maxPosition >= 100, maxPosition <= 100_000_000 else { throw ValidationError("--max-position must be in [100, 1e8]") }
    }

    var tradedLocates: [StockLocate] { (1...max(traded, 1)).map { StockLocate(rawValue: UInt16($0)) } }

    func marketMaker(symbols: Int) -> MarketMaker {
        var p = MarketMakerParameters()
        p.halfWidthTicks = 0
        p.maxInventory = maxPosition
        return MarketMaker(symbols: tradedLocates, maxLocates: symbols + 1, parameters: p)
    }

    func taker(symbols: Int) -> Taker<ImbalanceUptickModel> {
        var p = TakerParameters()
        p.maxPosition = maxPosition
        return Taker(symbols: tradedLocates, model: ImbalanceUptickModel(), maxLocates: symbols + 1, parameters: p)
    }

    /// Risk limits of a demo or replay run: per order 1,000 shares and $500K, a 5% collar,
    /// positions as the strategy's, 200 open orders, 5,000 orders a second, a $50K loss limit.
    var limits: RiskLimits {
        RiskLimits(maxOrderShares: 1_000, maxOrderNotional: 5_000_000_000, collarBps: 500, allowWithoutReference: false,
                   maxPositionPerSymbol: maxPosition, maxGrossPosition: 10 * maxPosition, maxOpenOrders: 200,
                   throttleOrders: 5_000, throttleWindowNanos: 1_000_000_000, maxLoss: 50_000 * 10_000, killOnCrossedBook: true)
    }
}
