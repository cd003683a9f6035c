import FuzzDriver

/// The process entry SwiftPM names for this target (see FuzzDriver). `FuzzGateway --write-seeds
/// DIR` writes scripts of honest sessions into DIR instead of fuzzing.
@_cdecl("FuzzGateway_main")
func fuzzerMain(_ argc: Int32, _ argv: FuzzArgv) -> Int32 {
    if argc == 3, let flag = argv?[1], String(cString: flag) == "--write-seeds", let dir = argv?[2] {
        return writeSeeds(to: String(cString: dir))
    }
    return runLibFuzzer(argc, argv) { fuzz($0, $1) }
}
