// Clocks and thread placement: calls whose arguments are C macros (CPU_SET) or that belong
// beside the DPDK code for one choke point per concern.
#define _GNU_SOURCE 1
#include "CShims.h"

#include <errno.h>

#include "tw_syscall.h"
#include <pthread.h>
#include <sched.h>
#include <string.h>
#include <time.h>
#include <sys/random.h>
#include <unistd.h>

int64_t tw_clock_monotonic_raw_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC_RAW, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

int64_t tw_clock_realtime_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

int tw_gettid(void) { return (int)gettid(); }

int tw_thread_pin_self(int cpu) {
    if (cpu < 0 || cpu >= CPU_SETSIZE) return -EINVAL;
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    return -pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
}

int tw_thread_set_affinity_self(const int *cpus, int count) {
    cpu_set_t set;
    CPU_ZERO(&set);
    for (int i = 0; i < count; i++) {
        if (cpus[i] < 0 || cpus[i] >= CPU_SETSIZE) return -EINVAL;
        CPU_SET(cpus[i], &set);
    }
    return -pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
}

int tw_thread_set_affinity_tid(int tid, const int *cpus, int count) {
    cpu_set_t set;
    CPU_ZERO(&set);
    for (int i = 0; i < count; i++) {
        if (cpus[i] < 0 || cpus[i] >= CPU_SETSIZE) return -EINVAL;
        CPU_SET(cpus[i], &set);
    }
    return (int)TW_SYSCALL(sched_setaffinity((pid_t)tid, sizeof(set), &set));
}

int tw_thread_affinity_self(int *cpus, int capacity) {
    cpu_set_t set;
    CPU_ZERO(&set);
    int rc = pthread_getaffinity_np(pthread_self(), sizeof(set), &set);
    if (rc != 0) return -rc;
    int n = 0;
    for (int c = 0; c < CPU_SETSIZE && n < capacity; c++)
        if (CPU_ISSET(c, &set)) cpus[n++] = c;
    return n;
}

int tw_thread_set_name_self(const char *name) {
    char buf[16];
    strncpy(buf, name, sizeof(buf) - 1);
    buf[15] = 0;
    return -pthread_setname_np(pthread_self(), buf);
}

int tw_current_cpu(void) { return sched_getcpu(); }

int tw_random_bytes(void *buf, size_t len) {
    uint8_t *p = buf;
    while (len > 0) {
        long n = TW_SYSCALL(getrandom(p, len, 0));
        if (n < 0) return (int)n;
        p += n;
        len -= (size_t)n;
    }
    return 0;
}
