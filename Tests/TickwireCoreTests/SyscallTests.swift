import Foundation
import Glibc
import Testing
import TickwireCore

/// The system-call choke point: EINTR is retried, a failure is a typed error naming the call,
/// "try later" is told apart, the shim's -errno is read the same way.
@Suite struct SyscallTests {
    @Test func interruptedCallsAreRetriedUntilTheyAnswer() throws {
        var calls = 0
        let r = try Syscall.checked("fake(3 interruptions)") { () -> Int32 in
            calls += 1
            if calls <= 3 {
                errno = EINTR
                return -1
            }
            return 42
        }
        #expect(r == 42 && calls == 4)
    }

    @Test func aFailureIsATypedErrorNamingTheCall() {
        let path = "/nonexistent/tickwire/\(getpid())"
        #expect(throws: SystemError(call: "open(\(path))", errno: ENOENT, reason: String(cString: strerror(ENOENT)))) {
            try Syscall.checked("open(\(path))") { open(path, O_RDONLY) }
        }
        guard case .failure(let e) = Syscall.call("open(\(path))", { open(path, O_RDONLY) }) else {
            Issue.record("opened a path that does not exist")
            return
        }
        #expect(e == Errno(ENOENT) && !e.wouldBlock && !e.isBug)
    }

    @Test func tryLaterIsNotAnError() throws {
        var fds: [Int32] = [0, 0]
        try #require(pipe(&fds) == 0)
        _ = fcntl(fds[0], F_SETFL, O_NONBLOCK)
        defer {
            Syscall.close(fds[0])
            Syscall.close(fds[1])
        }
        var byte: UInt8 = 0
        guard case .failure(let e) = Syscall.call("read(empty pipe)", { read(fds[0], &byte, 1) }) else {
            Issue.record("read a byte from an empty pipe")
            return
        }
        #expect(e.wouldBlock)
        byte = 7
        #expect(try Syscall.checked("write(pipe)") { write(fds[1], &byte, 1) } == 1)
        byte = 0
        #expect(try Syscall.checked("read(pipe)") { read(fds[0], &byte, 1) } == 1 && byte == 7)
    }

    @Test func theShimsNegatedErrnoReadsTheSameWay() throws {
        #expect(try Syscall.shimChecked("shim", Int32(5)) == 5)
        #expect(throws: SystemError(call: "shim(EPERM)", errno: EPERM, reason: String(cString: strerror(EPERM)))) {
            try Syscall.shimChecked("shim(EPERM)", -EPERM)
        }
        guard case .failure(let e) = Syscall.shim("shim(EAGAIN)", Int(-EAGAIN)) else {
            Issue.record("-EAGAIN read as a success")
            return
        }
        #expect(e.wouldBlock)
    }

    @Test func onlyABugsErrnosAreBugs() {
        #expect([EBADF, EFAULT, ENOTSOCK].allSatisfy { Errno($0).isBug })
        #expect(![ENOENT, EAGAIN, ECONNRESET, EPIPE, ENOSPC, EIO, EINVAL, EPERM].contains { Errno($0).isBug })
    }
}

/// Data files are read whole: a decision log of a 20-s run is about 5 MB, and `read`'s 4 MiB
/// cap cut one without a word (validate then ended a backtest's day at 12.6 s of 20).
@Suite struct TextFileTests {
    @Test func aDataFileIsReadWhole() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("tw-textfile-\(getpid()).csv").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let line = "18837,replace,1,B,100,1606900,1262521,82325779389077,7070,1,2,3,widened,calm\n"
        let text = "order_id\n" + String(repeating: line, count: 80_000)  // about 6 MB
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        #expect(text.utf8.count > 1 << 22)
        #expect(TextFile.readWhole(path) == text)
        #expect((TextFile.read(path)?.utf8.count ?? 0) < text.utf8.count, "read stays capped, for /proc and /sys")
        #expect(TextFile.readWhole(path + ".missing") == nil)
    }
}
