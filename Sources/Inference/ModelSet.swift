// The five shipped models, loaded together from one folder (`models/` in the repository, written
// by `research/train.py`):
//
//   uptick.json    GBDT, P(the next mid change is up | stock features, buy side's view)
//   fill.json      GBDT, P(an order joining the back of the touch queue fills within 1 s)
//   toxicity.json  GBDT, P(1 s after a passive fill, the mid is beyond the fill price against us)
//   adapt.json     GBDT regression, expected |mid change| over the next second, in ticks
//   regime_*.json  logistic one-vs-rest over `MarketState`'s row
//
// The four stock models read `FeatureState`'s row; for a sell-side question they read the row
// written with `side: .sell` (see `FeatureState.write(into:now:side:)`).
public import TickwireCore

public final class ModelSet: Sendable {
    public let uptick: GBDTModel
    public let fill: GBDTModel
    public let toxicity: GBDTModel
    public let adapt: GBDTModel
    public let regime: RegimeModels
    public let directory: String

    public init(uptick: GBDTModel, fill: GBDTModel, toxicity: GBDTModel, adapt: GBDTModel, regime: RegimeModels, directory: String) {
        self.uptick = uptick
        self.fill = fill
        self.toxicity = toxicity
        self.adapt = adapt
        self.regime = regime
        self.directory = directory
    }

    /// Loads and checks every model of the folder; the first problem is the error (a missing
    /// file, a feature list that differs from the schema...), so a bad deployment stops at start.
    public static func load(directory: String) throws(ModelLoadError) -> ModelSet {
        func gbdt(_ name: String) throws(ModelLoadError) -> GBDTModel {
            try GBDTModel.load(path: directory + "/\(name).json", schema: FeatureState.schema)
        }
        return ModelSet(uptick: try gbdt("uptick"), fill: try gbdt("fill"), toxicity: try gbdt("toxicity"),
                        adapt: try gbdt("adapt"), regime: try RegimeModels.load(directory: directory), directory: directory)
    }

    /// The folder the command line uses when none is given: `models/` under the working folder.
    public static let defaultDirectory = "models"
}
