// SwiftPM links debug executables with --defsym main=FuzzPcap_main (so that tests can link them),
// which hides libFuzzer's own main: this entry point hands control to libFuzzer's driver.
typealias FuzzArgv = UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?

@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(_ argc: UnsafeMutablePointer<Int32>, _ argv: UnsafeMutablePointer<FuzzArgv>,
                         _ callback: @convention(c) (UnsafePointer<UInt8>, Int) -> Int32) -> Int32

@_cdecl("FuzzPcap_main")
func fuzzerMain(_ argc: Int32, _ argv: FuzzArgv) -> Int32 {
    var c = argc
    var v = argv
    return LLVMFuzzerRunDriver(&c, &v, { data, size in fuzz(data, size) })
}
