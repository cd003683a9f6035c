// swift-tools-version: 6.1
// libFuzzer targets for the decoders. A package of its own: a fuzz target has no main (libFuzzer
// brings it), so it only links with -sanitize=fuzzer. How to run: Fuzz/README.md.
import PackageDescription

let fuzzFlags: [SwiftSetting] = [.unsafeFlags(["-parse-as-library"])]

let package = Package(
    name: "TickwireFuzz",
    dependencies: [.package(name: "Tickwire", path: "..")],
    targets: [
        .target(name: "FuzzDriver"),
        .executableTarget(name: "FuzzITCH", dependencies: ["FuzzDriver", .product(name: "MarketData", package: "Tickwire"), .product(name: "ITCHBook", package: "Tickwire"),
                                                           .product(name: "OrderBook", package: "Tickwire")],
                          swiftSettings: fuzzFlags),
        .executableTarget(name: "FuzzMoldUDP64", dependencies: ["FuzzDriver", .product(name: "MarketData", package: "Tickwire")],
                          swiftSettings: fuzzFlags),
        .executableTarget(name: "FuzzIEX", dependencies: ["FuzzDriver", .product(name: "MarketData", package: "Tickwire"),
                                                          .product(name: "ITCHBook", package: "Tickwire"), .product(name: "OrderBook", package: "Tickwire"),
                                                          .product(name: "TickwireCore", package: "Tickwire")],
                          swiftSettings: fuzzFlags),
        .executableTarget(name: "FuzzPcap", dependencies: ["FuzzDriver", .product(name: "Packets", package: "Tickwire"),
                                                           .product(name: "Capture", package: "Tickwire"),
                                                           .product(name: "CShims", package: "Tickwire")],
                          swiftSettings: fuzzFlags),
        .executableTarget(name: "FuzzSoupBinTCP", dependencies: ["FuzzDriver", .product(name: "OrderEntry", package: "Tickwire"),
                                                                 .product(name: "TickwireCore", package: "Tickwire")],
                          swiftSettings: fuzzFlags),
        .executableTarget(name: "FuzzOUCH", dependencies: ["FuzzDriver", .product(name: "OrderEntry", package: "Tickwire"),
                                                           .product(name: "TickwireCore", package: "Tickwire")],
                          swiftSettings: fuzzFlags),
        .executableTarget(name: "FuzzGateway", dependencies: ["FuzzDriver", .product(name: "OrderEntry", package: "Tickwire"),
                                                              .product(name: "Risk", package: "Tickwire"),
                                                              .product(name: "TestSupport", package: "Tickwire"),
                                                              .product(name: "TickwireCore", package: "Tickwire")],
                          swiftSettings: fuzzFlags),
        .executableTarget(name: "FuzzBacktest", dependencies: ["FuzzDriver", .product(name: "Backtest", package: "Tickwire"),
                                                               .product(name: "MarketData", package: "Tickwire"),
                                                               .product(name: "ITCHBook", package: "Tickwire"),
                                                               .product(name: "OrderBook", package: "Tickwire"),
                                                               .product(name: "OrderEntry", package: "Tickwire"),
                                                               .product(name: "Risk", package: "Tickwire"),
                                                               .product(name: "Strategy", package: "Tickwire"),
                                                               .product(name: "TickwireCore", package: "Tickwire")],
                          swiftSettings: fuzzFlags),
        .executableTarget(name: "FuzzNet", dependencies: ["FuzzDriver", .product(name: "Net", package: "Tickwire"),
                                                          .product(name: "Packets", package: "Tickwire"),
                                                          .product(name: "TickwireCore", package: "Tickwire")],
                          swiftSettings: fuzzFlags),
    ],
    swiftLanguageModes: [.v6]
)
