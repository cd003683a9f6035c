import FuzzDriver

/// The process entry SwiftPM names for this target (see FuzzDriver).
@_cdecl("FuzzBacktest_main")
func fuzzerMain(_ argc: Int32, _ argv: FuzzArgv) -> Int32 { runLibFuzzer(argc, argv) { fuzz($0, $1) } }
