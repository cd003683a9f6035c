// The strategies as the command line builds them: one place, so that `demo`, `run` and
// `replay --strategy` make the same strategy from the same options (a replay reproduces a
// live run only if both trade with the same parameters).
import ArgumentParser
import Foundation
import Inference
import Risk
import Strategy
import TickwireCore

struct StrategyOptions: ParsableArguments {
    @Option(help: "Strategy: mm (market maker) or taker; backtest also takes fixed (a fixed-offset market maker, for comparing backtesters).")
    var strategy: String = "mm"

    @Option(help: "Symbols the strategy trades (locates 1...N).")
    var traded: Int = 20

    @Option(name: .customLong("max-position"), help: "Shares per symbol the strategy may hold either way (risk's limit is the same, gross 10x).")
    var maxPosition: Int64 = 1_000

    @Option(help: "Folder of the trained models the strategy uses (research/train.py writes it); 'none': trade without them.")
    var models: String = ModelSet.defaultDirectory

    var kind: StrategyKind? { StrategyKind(rawValue: strategy) }

    /// Checks the options and loads the models: call once, then use `spec`.
    func spec(symbols: Int) throws -> StrategySpec {
        guard let kind else { throw ValidationError("--strategy is mm or taker") }
        let spec = StrategySpec(kind: kind, traded: traded, maxPosition: maxPosition, models: try StrategySpec.loadModels(models, explicit: models != ModelSet.defaultDirectory))
        try spec.validate(symbols: symbols)
        return spec
    }
}

struct StrategySpec {
    var kind: StrategyKind
    var traded: Int
    var maxPosition: Int64
    /// The trained models (nil: the taker uses the imbalance logistic, the market maker quotes
    /// with its fixed parameters).
    var models: ModelSet?

    /// Loads the models of `path` ('none': no models). The default folder may be absent (a
    /// build run outside the repository): then no models, said on stderr. A folder that exists
    /// but does not load (a file missing, a schema mismatch) is an error, never a silent fallback.
    static func loadModels(_ path: String, explicit: Bool) throws -> ModelSet? {
        if path == "none" { return nil }
        var isFolder: ObjCBool = false
        if explicit, !FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) || !isFolder.boolValue {
            throw ValidationError("--models \(path): no such folder (research/make_models.sh writes one; 'none' trades without models)")
        }
        if !explicit, !FileManager.default.fileExists(atPath: path) {
            FileHandle.standardError.write(Data("note: no \(path)/ folder here: trading without the trained models\n".utf8))
            return nil
        }
        do {
            return try ModelSet.load(directory: path)
        } catch {
            throw ValidationError("\(error)")
        }
    }

    func validate(symbols: Int) throws {
        guard traded >= 1, traded <= symbols else { throw ValidationError("need 1 <= --traded <= the venue's symbols (\(symbols))") }
        guard maxPosition >= 100, maxPosition <= 100_000_000 else { throw ValidationError("--max-position must be in [100, 1e8]") }
    }

    /// The stocks traded: locates 1...traded, unless a command chose others (`backtest --most-active`).
    var locates: [StockLocate]?

    var tradedLocates: [StockLocate] { locates ?? (1...max(traded, 1)).map { StockLocate(rawValue: UInt16($0)) } }

    func marketMaker(symbols: Int) -> MarketMaker {
        var p = MarketMakerParameters()
        p.halfWidthTicks = 0
        p.maxInventory = maxPosition
        return MarketMaker(symbols: tradedLocates, maxLocates: symbols + 1, parameters: p, models: models)
    }

    func taker(symbols: Int) -> Taker<UptickPredictor> {
        var p = TakerParameters()
        p.maxPosition = maxPosition
        // The trained model's probabilities are calibrated (models/REPORT.md): 0.7 is about the
        // top 5% of its predictions on the held-out day. The imbalance logistic is not.
        if models != nil { p.threshold = 0.7 }
        return Taker(symbols: tradedLocates, model: UptickPredictor(models: models), models: models, maxLocates: symbols + 1, parameters: p)
    }

    /// Risk limits of a demo or replay run: per order 1,000 shares and $500K, a 5% collar,
    /// positions as the strategy's, 200 open orders, 5,000 orders a second, a $50K loss limit.
    /// Tail guards: the runaway guards stop the book at 4,500 orders and replaces a second (under
    /// the throttle), 500 refusals in a row, more than 200 orders per fill once 5,000 went out, or
    /// a $20K drawdown within a minute; the market guards (liquidity compression to 0.75 of the
    /// touch's baseline, a spread 1.5 times its own, top-of-book changes at twice their pace)
    /// observe and count (`guard_trips` in the report), as they were measured on the simulator's
    /// drought and volatile regimes (TailGuardSimulatorTests); set their action to reduce or halt
    /// to act on them.
    var limits: RiskLimits {
        var l = RiskLimits(maxOrderShares: 1_000, maxOrderNotional: 5_000_000_000, collarBps: 500, allowWithoutReference: false,
                           maxPositionPerSymbol: maxPosition, maxGrossPosition: 10 * maxPosition, maxOpenOrders: 200,
                           throttleOrders: 5_000, throttleWindowNanos: 1_000_000_000, maxLoss: 50_000 * 10_000, killOnCrossedBook: true)
        l.tail.maxOrdersPerSecond = 4_500
        l.tail.maxRejectStreak = 500
        l.tail.maxOrderToFill = 200
        l.tail.minOrdersForRatio = 5_000
        l.tail.maxDrawdown = 20_000 * 10_000
        l.tail.drawdownWindowNanos = 60_000_000_000
        l.tail.depthCollapseRatio = 0.75
        l.tail.spreadBlowoutRatio = 1.5
        l.tail.activityBurstRatio = 2
        l.tail.warmupUpdates = 1_000
        l.tail.marketAction = .observe
        return l
    }
}
