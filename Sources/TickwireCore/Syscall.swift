// The one way the project's Swift makes a system call (the C shim's counterpart is `TW_SYSCALL`
// in CShims/tw_syscall.h; the shim's functions return -errno, read here by `Syscall.shim`).
//
// Every call: retried while it fails with EINTR (a signal, not an answer); a failure is an
// `Errno` (non-blocking callers test `wouldBlock`) or a `SystemError` naming the call; an errno
// that only a bug of this process can cause (a descriptor it closed or never had, a pointer
// outside its memory, a descriptor that is not a socket) stops the process at once with the
// call named, as a precondition failure: carrying on would act on someone else's descriptor.
// The call's name is an autoclosure, built only when there is an error to name, so the hot
// callers (the kernel TCP send and receive) pay one comparison.
// Public: the inlinable calls below read errno and its constants in the caller's module.
#if canImport(Glibc)
public import Glibc
#endif

/// The errno a system call failed with.
public struct Errno: Error, Hashable, Sendable, CustomStringConvertible {
    public let code: Int32

    @inlinable public init(_ code: Int32) { self.code = code }

    /// Nothing now (EAGAIN, EWOULDBLOCK): a non-blocking call's "try later".
    @inlinable public var wouldBlock: Bool { code == EAGAIN || code == EWOULDBLOCK }

    /// Only a bug of this process causes it: EBADF, EFAULT, ENOTSOCK.
    @inlinable public var isBug: Bool { code == EBADF || code == EFAULT || code == ENOTSOCK }

    public var description: String { String(cString: strerror(code)) }

    /// The typed error of the call that failed with it.
    public func error(_ call: String) -> SystemError {
        SystemError(call: call, errno: code, reason: description)
    }
}

public enum Syscall {
    /// `body`: a libc call that returns a negative value and sets errno when it fails. Called
    /// again while it fails with EINTR; its result, or the errno.
    @inlinable @inline(__always)
    public static func call<T: BinaryInteger>(_ name: @autoclosure () -> String, _ body: () -> T) -> Result<T, Errno> {
        while true {
            let r = body()
            if r >= 0 { return .success(r) }
            let e = Errno(errno)
            if e.code == EINTR { continue }
            if e.isBug { bug(name(), e) }
            return .failure(e)
        }
    }

    /// The same, a failure thrown as a `SystemError` naming the call.
    @inlinable @inline(__always)
    public static func checked<T: BinaryInteger>(_ name: @autoclosure () -> String, _ body: () -> T) throws(SystemError) -> T {
        switch call(name(), body) {
        case .success(let r): return r
        case .failure(let e): throw e.error(name())
        }
    }

    /// A CShims call's result: non-negative, or -errno (the shim retried EINTR itself).
    @inlinable @inline(__always)
    public static func shim<T: SignedInteger & FixedWidthInteger>(_ name: @autoclosure () -> String, _ rc: T) -> Result<T, Errno> {
        if rc >= 0 { return .success(rc) }
        let e = Errno(Int32(truncatingIfNeeded: 0 &- rc))
        if e.isBug { bug(name(), e) }
        return .failure(e)
    }

    /// The same, a failure thrown as a `SystemError` naming the call.
    @inlinable @inline(__always)
    public static func shimChecked<T: SignedInteger & FixedWidthInteger>(_ name: @autoclosure () -> String, _ rc: T) throws(SystemError) -> T {
        switch shim(name(), rc) {
        case .success(let r): return r
        case .failure(let e): throw e.error(name())
        }
    }

    /// close(2): never retried (on Linux the descriptor is released even when it reports
    /// EINTR, and a retry could close a descriptor another thread just opened); EBADF is a bug
    /// (closed twice); EIO from a file's last flush is returned for those who care.
    @discardableResult
    public static func close(_ fd: Int32) -> Errno? {
        if Glibc.close(fd) == 0 { return nil }
        let e = Errno(errno)
        if e.code == EINTR { return nil }
        if e.isBug { bug("close(\(fd))", e) }
        return e
    }

    /// poll(2) for input on `fd` up to `timeoutMillis`: true when it is readable (false on a
    /// timeout or a failure).
    public static func waitReadable(_ fd: Int32, timeoutMillis: Int32) -> Bool {
        var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        if case .success(let n) = call("poll(\(fd))", { poll(&p, 1, timeoutMillis) }) { return n > 0 }
        return false
    }

    @usableFromInline
    static func bug(_ call: String, _ e: Errno) -> Never {
        preconditionFailure("\(call) failed with \(e) (errno \(e.code)): only a bug of this process causes that")
    }
}
