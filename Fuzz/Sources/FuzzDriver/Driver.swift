// SwiftPM links debug executables with --defsym main=<Target>_main (so that tests can link
// them), which hides libFuzzer's own main. Each target's `<Target>_main` calls this, which hands
// control to libFuzzer's driver with the target's LLVMFuzzerTestOneInput.
public typealias FuzzArgv = UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?
public typealias FuzzCallback = @convention(c) (UnsafePointer<UInt8>, Int) -> Int32

@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(_ argc: UnsafeMutablePointer<Int32>, _ argv: UnsafeMutablePointer<FuzzArgv>,
                         _ callback: FuzzCallback) -> Int32

public func runLibFuzzer(_ argc: Int32, _ argv: FuzzArgv, _ callback: FuzzCallback) -> Int32 {
    var c = argc
    var v = argv
    return LLVMFuzzerRunDriver(&c, &v, callback)
}
