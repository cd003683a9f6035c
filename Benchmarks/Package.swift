// swift-tools-version: 6.1
// package-benchmark suites for Tickwire's hot paths. A package of its own so that the main
// build does not pull in the benchmark machinery. Thresholds/ holds the checked-in limits
// (`make bench-check`): allocations and retains of the steady-state loops must stay at 0.
import PackageDescription

let package = Package(
    name: "TickwireBenchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "Tickwire", path: ".."),
        .package(url: "https://github.com/ordo-one/benchmark.git", from: "1.38.1", traits: ["MallocInterposer"]),
    ],
    targets: [
        // Counts the executable's generic metadata lookups (MetadataLookups.c says how).
        .target(name: "MetadataLookups", path: "Benchmarks/MetadataLookups"),
        .executableTarget(
            name: "HotPath",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "Packets", package: "Tickwire"),
                .product(name: "DPDK", package: "Tickwire"),
                .product(name: "Net", package: "Tickwire"),
                .product(name: "TickwireCore", package: "Tickwire"),
                .product(name: "CShims", package: "Tickwire"),
                .product(name: "MarketData", package: "Tickwire"),
                .product(name: "ITCHBook", package: "Tickwire"),
                .product(name: "OrderBook", package: "Tickwire"),
                .product(name: "OrderEntry", package: "Tickwire"),
                .product(name: "Risk", package: "Tickwire"),
                .product(name: "Strategy", package: "Tickwire"),
                .product(name: "Appliance", package: "Tickwire"),
                .product(name: "Exchange", package: "Tickwire"),
                .product(name: "Inference", package: "Tickwire"),
                .product(name: "Backtest", package: "Tickwire"),
                "MetadataLookups",
            ],
            path: "Benchmarks/HotPath",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
    ],
    swiftLanguageModes: [.v6]
)
