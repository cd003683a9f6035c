// Running a command to its end from a test: the tickwire binary, tshark, tcpdump's readers.
// One place for the Process and Pipe sequence the test targets had each written out, and one
// that cannot stall: both pipes are drained at once (standard error on a second thread). A
// child that filled its standard error (64 KiB of pipe) while the test read standard output to
// its end, the other helpers' order, would have waited on the test and the test on it.
public import Foundation

/// What a finished command left: its exit status and what it wrote (empty where not kept).
public struct ProcessOutput: Sendable {
    public var status: Int32
    public var stdout: Data
    public var stderr: Data
    public var stdoutText: String { String(decoding: stdout, as: UTF8.self) }
    public var stderrText: String { String(decoding: stderr, as: UTF8.self) }
}

/// A command that ran and exited with a status other than 0; its standard error says why.
public struct ProcessFailure: Error, CustomStringConvertible {
    public var executable: String
    public var status: Int32
    public var stderr: String
    public var description: String { "\(executable) exited with \(status): \(stderr)" }
}

/// Runs `executable` with `args` until it exits. `keepStdout` / `keepStderr` false send that
/// stream to /dev/null. Throws only when the command cannot start.
public func runProcess(_ executable: String, _ args: [String], keepStdout: Bool = true, keepStderr: Bool = true) throws -> ProcessOutput {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: executable)
    p.arguments = args
    let out = Pipe(), err = Pipe()
    p.standardOutput = keepStdout ? out : FileHandle.nullDevice
    p.standardError = keepStderr ? err : FileHandle.nullDevice
    try p.run()
    let errData = DrainedPipe()
    if keepStderr {
        let reader = err.fileHandleForReading
        DispatchQueue.global().async {
            errData.data = reader.readDataToEndOfFile()
            errData.done.signal()
        }
    }
    let outData = keepStdout ? out.fileHandleForReading.readDataToEndOfFile() : Data()
    if keepStderr { errData.done.wait() }
    p.waitUntilExit()
    return ProcessOutput(status: p.terminationStatus, stdout: outData, stderr: errData.data)
}

/// A pipe's bytes read on another thread: written there before `done` is signalled, read here
/// only after waiting for it (the semaphore orders the two).
private final class DrainedPipe: @unchecked Sendable {
    var data = Data()
    let done = DispatchSemaphore(value: 0)
}

/// `runProcess`'s standard output when the command exits with 0; `ProcessFailure` (with its
/// standard error) otherwise.
public func runChecked(_ executable: String, _ args: [String]) throws -> Data {
    let r = try runProcess(executable, args)
    guard r.status == 0 else { throw ProcessFailure(executable: executable, status: r.status, stderr: r.stderrText) }
    return r.stdout
}

/// The standard output of a command that exited with 0, as text; nil if it could not start
/// or failed (its standard error is not kept).
public func commandOutput(_ executable: String, _ args: [String]) -> String? {
    guard let r = try? runProcess(executable, args, keepStderr: false), r.status == 0 else { return nil }
    return r.stdoutText
}
