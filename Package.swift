// swift-tools-version: 6.1
import PackageDescription

// DPDK 22.11 from Debian (libdpdk-dev). SwiftPM cannot parse Debian's libdpdk.pc (it warns
// "Unexpected line" on its Libs.private and drops every flag), so the include paths, the forced
// `-include rte_config.h` and the -march DPDK's inline headers were built for are given here by
// hand, and only to the C target: Swift never sees an rte_*.h header.
let dpdkCFlags: [String] = [
    "-I/usr/include/dpdk",
    "-I/usr/include/x86_64-linux-gnu/dpdk",
    "-include", "rte_config.h",
    "-march=corei7",
]

// The DPDK libraries the shim calls; PMDs (net_null, net_ring, net_pcap, net_af_packet, ...) are
// not linked: Debian's EAL loads them as plugins from its dpdk/pmds-23.0 folder at start.
let dpdkLibraries: [LinkerSetting] = [
    "rte_eal", "rte_ethdev", "rte_mbuf", "rte_mempool", "rte_ring", "rte_bus_vdev", "rte_net",
    "rte_kvargs", "rte_telemetry", "pcap", "numa", "z",
].map { .linkedLibrary($0) }

// Modules whose state lives in class properties owned by one thread (the gateway, risk, the
// simulator): the runtime exclusivity checks on every access (swift_beginAccess, a TLS lookup)
// cost a sixth to two fifths of their hot paths under perf, and ownership is enforced by design
// (one owner thread, SPSC rings between threads), so they are compiled out for these modules.
let singleOwnerHotPath: [SwiftSetting] = [.unsafeFlags(["-enforce-exclusivity=unchecked"])]

// The tick-to-trade path crosses modules with generics (the engine over its strategy and
// transport, the feed handler over its consumer, the gateway's poll over its listener):
// without their bodies the client module cannot specialize them, and the loop ran through
// witness tables and runtime metadata lookups (swift_getGenericMetadata, swift_release under
// perf). Cross-module optimization makes the bodies available for specialization.
// `@_specialize` must not be used in these modules: a function that carries it is not
// serialized for the client, so every transport it does not list runs the generic body (the
// gateway's submit, replace and cancel listed the kernel's TCP and the null venue; Tickwire's
// own TCP on DPDK, the backtest venue and the echo venue instantiated SoupBinTCPClient's
// metadata at run time on every order). `make test` refuses it.
let crossModule: [SwiftSetting] = [.unsafeFlags(["-cross-module-optimization"])]

// Swift's function-merging pass folds specializations that differ only in what they call
// (the gateway's submit over each transport, the engine's sink over each strategy) into one
// body that takes the callees as function pointers ("...Tm" symbols): every transport then
// reaches messageArea and commitUnsequenced through an indirect call that cannot be inlined.
// Off, each specialization is its own direct code (callgrind: gateway submit 696 -> 684
// instructions an order, bench t2t -1.3%, backtest -0.6%; the binary ~6 KB larger). Note:
// the frontend reuses an object whose IR is unchanged, so changing this flag needs a clean
// build to take effect (CI builds from a fresh clone).
let strict: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("InternalImportsByDefault"),
    .unsafeFlags(["-Xfrontend", "-disable-llvm-merge-functions-pass"]),
]

let package = Package(
    name: "Tickwire",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "tickwire", targets: ["tickwire"]),
        .library(name: "TickwireCore", targets: ["TickwireCore"]),
        .library(name: "Packets", targets: ["Packets"]),
        .library(name: "DPDK", targets: ["DPDK"]),
        .library(name: "Sockets", targets: ["Sockets"]),
        .library(name: "Capture", targets: ["Capture"]),
        .library(name: "Net", targets: ["Net"]),
        .library(name: "CShims", targets: ["CShims"]),
        .library(name: "MarketData", targets: ["MarketData"]),
        .library(name: "ITCHBook", targets: ["ITCHBook"]),
        .library(name: "OrderBook", targets: ["OrderBook"]),
        .library(name: "Exchange", targets: ["Exchange"]),
        .library(name: "OrderEntry", targets: ["OrderEntry"]),
        .library(name: "OrderEvents", targets: ["OrderEvents"]),
        .library(name: "Risk", targets: ["Risk"]),
        .library(name: "Strategy", targets: ["Strategy"]),
        .library(name: "Appliance", targets: ["Appliance"]),
        .library(name: "Backtest", targets: ["Backtest"]),
        .library(name: "TCA", targets: ["TCA"]),
        .library(name: "HostTuning", targets: ["HostTuning"]),
        .library(name: "Inference", targets: ["Inference"]),
        // Test support shared by the tests and the fuzz targets (never linked into tickwire).
        .library(name: "TestSupport", targets: ["TestSupport"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-atomics.git", from: "1.2.0"),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift.git", from: "0.1.0"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.0.0"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.0.0"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.5.0"),
    ],
    targets: [
        .target(
            name: "CShims",
            path: "CShims",
            publicHeadersPath: "include",
            cSettings: [.unsafeFlags(dpdkCFlags + ["-O2", "-Wall", "-Wextra", "-Wno-unused-parameter"])],
            linkerSettings: dpdkLibraries
        ),
        .target(
            name: "TickwireCore",
            dependencies: [
                "CShims",
                .product(name: "Atomics", package: "swift-atomics"),
            ],
            swiftSettings: strict
        ),
        // Packet I/O, one module per thing: header views and frame builders (no I/O); the DPDK
        // port with its mempool and the EAL; the kernel's TCP and UDP sockets; capture files.
        .target(
            name: "Packets",
            dependencies: ["CShims"],
            swiftSettings: strict
        ),
        .target(
            name: "DPDK",
            dependencies: ["CShims", "TickwireCore", "Packets"],
            swiftSettings: strict
        ),
        .target(
            name: "Sockets",
            dependencies: ["CShims", "TickwireCore", "Packets"],
            swiftSettings: strict
        ),
        .target(
            name: "Capture",
            dependencies: ["CShims", "TickwireCore"],
            swiftSettings: strict
        ),
        // A host on a DPDK port: ARP, ICMP echo, IGMP, UDP out and Tickwire's TCP client for
        // order entry, run on the hot core between bursts.
        .target(
            name: "Net",
            dependencies: ["CShims", "TickwireCore", "Packets", "DPDK"],
            swiftSettings: strict + singleOwnerHotPath + crossModule
        ),
        .target(
            name: "MarketData",
            dependencies: ["CShims", "TickwireCore", "Packets", "Sockets", "Capture"],
            swiftSettings: strict + singleOwnerHotPath + crossModule
        ),
        // ITCH into the L3 book (the stock directory and the builder): where the feed meets the
        // book, so that MarketData does not depend on OrderBook.
        .target(
            name: "ITCHBook",
            dependencies: ["TickwireCore", "MarketData", "OrderBook"],
            swiftSettings: strict + singleOwnerHotPath + crossModule
        ),
        .target(
            name: "OrderBook",
            dependencies: ["CShims", "TickwireCore"],
            swiftSettings: strict + singleOwnerHotPath + crossModule
        ),
        .target(
            name: "Risk",
            dependencies: ["TickwireCore"],
            swiftSettings: strict + singleOwnerHotPath + crossModule
        ),
        // What strategies and the gateway say to each other (no OUCH): the strategies' only view
        // of order entry.
        .target(
            name: "OrderEvents",
            dependencies: ["TickwireCore"],
            swiftSettings: strict + crossModule
        ),
        .target(
            name: "OrderEntry",
            dependencies: ["CShims", "TickwireCore", "Risk", "OrderEvents"],
            swiftSettings: strict + singleOwnerHotPath + crossModule
        ),
        .target(
            name: "TestSupport",
            dependencies: ["OrderEntry", "Packets", "Sockets", "TickwireCore", "Exchange", "MarketData"],
            swiftSettings: strict
        ),
        .target(
            name: "Exchange",
            dependencies: ["CShims", "TickwireCore", "Packets", "Sockets", "Capture", "MarketData", "OrderBook", "OrderEntry"],
            // The simulator's engine and flow model keep their state in class properties that
            // one thread mutates; dynamic exclusivity checks on them cost 40% of generation
            // time (measured with perf).
            swiftSettings: strict + singleOwnerHotPath
        ),
        .target(
            name: "Strategy",
            // Not OrderEntry: a strategy compiles against OrderEvents, never the OUCH codecs.
            dependencies: ["TickwireCore", "OrderBook", "OrderEvents", "Inference"],
            swiftSettings: strict + singleOwnerHotPath + crossModule
        ),
        .target(
            name: "Appliance",
            dependencies: [
                "CShims", "TickwireCore", "Packets", "DPDK", "Sockets", "Capture", "Net", "MarketData", "ITCHBook", "OrderBook", "OrderEntry", "Risk", "Strategy", "Inference",
                .product(name: "Histogram", package: "hdrhistogram-swift"),
            ],
            swiftSettings: strict + singleOwnerHotPath + crossModule
        ),
        // The backtester: the live engine against an exchange model over the recorded day's L3
        // book (queue and latency models), over the same OUCH session and risk as live.
        .target(
            name: "Backtest",
            dependencies: ["CShims", "TickwireCore", "MarketData", "ITCHBook", "OrderBook", "OrderEntry", "Risk", "Strategy", "Appliance"],
            swiftSettings: strict + singleOwnerHotPath + crossModule
        ),
        // Transaction cost analysis of a backtest or a live run (offline).
        .target(
            name: "TCA",
            dependencies: ["TickwireCore", "MarketData", "ITCHBook", "OrderBook"],
            swiftSettings: strict
        ),
        // hw-profiles (YAML), host checks (`tune check`), the kernel command line, runtime
        // tuning writes and the EAL arguments of a profile; cold code, no DPDK.
        .target(
            name: "HostTuning",
            dependencies: ["CShims", "TickwireCore", .product(name: "Yams", package: "Yams")],
            swiftSettings: strict
        ),
        // Model runtimes (logistic, GBDT from LightGBM text / XGBoost JSON, MLP), model files
        // checked against a feature schema at load; parsing is cold, prediction allocates nothing.
        .target(
            name: "Training",
            dependencies: ["TickwireCore", "MarketData", "ITCHBook", "OrderBook", "Strategy", "Exchange", "Inference"],
            swiftSettings: strict
        ),
        .target(
            name: "Inference",
            dependencies: ["CShims", "TickwireCore"],
            swiftSettings: strict + singleOwnerHotPath + crossModule
        ),
        .executableTarget(
            name: "tickwire",
            dependencies: [
                "CShims", "TickwireCore", "Packets", "DPDK", "Sockets", "Capture", "Net", "MarketData", "ITCHBook", "OrderBook", "Exchange", "OrderEntry", "Risk", "Strategy", "Appliance", "Backtest", "TCA", "HostTuning", "Inference", "Training",
                .product(name: "Histogram", package: "hdrhistogram-swift"),
                .product(name: "Yams", package: "Yams"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: strict
        ),
        .testTarget(name: "TickwireCoreTests", dependencies: ["TickwireCore", "CShims"]),
        .testTarget(name: "NetTests", dependencies: ["TestSupport", "Net", "Packets", "DPDK", "TickwireCore", "CShims", "OrderEntry"]),
        .testTarget(name: "WireTests", dependencies: ["Packets", "DPDK", "Sockets", "Capture", "TickwireCore", "CShims"]),
        .testTarget(name: "MarketDataTests", dependencies: ["TestSupport", "MarketData", "ITCHBook", "Packets", "Capture", "TickwireCore", "CShims", "OrderBook"]),
        .testTarget(name: "OrderBookTests", dependencies: ["OrderBook", "TickwireCore"]),
        .testTarget(name: "OrderEntryTests", dependencies: ["OrderEntry", "TickwireCore", "Packets", "Sockets", "Exchange", "Risk", "TestSupport"]),
        .testTarget(name: "RiskTests", dependencies: ["Risk", "TickwireCore"]),
        .testTarget(name: "InferenceTests", dependencies: ["TestSupport", "Inference", "TickwireCore"], exclude: ["Fixtures"], swiftSettings: strict),
        .testTarget(name: "TrainingTests", dependencies: ["Training", "Inference", "Exchange", "MarketData", "TickwireCore"], swiftSettings: strict),
        .testTarget(name: "HostTuningTests", dependencies: ["HostTuning", "TickwireCore"], exclude: ["Fixtures"], swiftSettings: strict),
        .testTarget(name: "ApplianceTests", dependencies: ["TestSupport", "Appliance", "Strategy", "Inference", "Training", "Exchange", "MarketData", "ITCHBook", "OrderBook", "OrderEntry", "Risk", "Packets", "DPDK", "Capture", "TickwireCore", "CShims"]),
        .testTarget(name: "BacktestTests", dependencies: ["Backtest", "TCA", "TestSupport", "Appliance", "Strategy", "Inference", "Exchange", "MarketData", "ITCHBook", "OrderBook", "OrderEntry", "Risk", "TickwireCore"]),
        .testTarget(name: "ExchangeTests", dependencies: ["TestSupport", "Exchange", "MarketData", "ITCHBook", "OrderBook", "Packets", "Sockets", "TickwireCore", "CShims", "Capture"]),
    ],
    swiftLanguageModes: [.v6]
)
