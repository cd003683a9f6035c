// The shim's one choke point for system calls (the Swift side's is TickwireCore's `Syscall`):
// the call again while it fails with EINTR, then its result, or -errno. Callers return that as
// it is; Swift reads it with `Syscall.shim`, which names the call and stops on a bug's errno.
#pragma once
#include <errno.h>

#define TW_SYSCALL(expr)                                  \
    ({                                                    \
        long tw_rc_;                                      \
        do {                                              \
            tw_rc_ = (long)(expr);                        \
        } while (tw_rc_ < 0 && errno == EINTR);           \
        tw_rc_ < 0 ? -(long)errno : tw_rc_;               \
    })
