// Specialized code names its generic types' metadata statically; code that runs unspecialized
// (a generic body that cross-module optimization did not serialize, so the caller could not
// specialize it) asks the runtime for the metadata of its generic types on every call:
// swift_getGenericMetadata, a lookup in a concurrent hash map. Twice such a hot loop went
// unnoticed (the gateway on every transport but two; the kernel-bypass loop), because neither
// allocates nor retains. So this executable defines swift_getGenericMetadata itself: the static
// linker binds every call in the executable's objects to this definition, which counts the call
// and jumps to the runtime's (the next definition, libswiftCore's). The jump keeps every
// register as the caller left it, so the Swift calling convention needs no knowledge here.
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include "MetadataLookups.h"

uint64_t tw_metadata_lookup_calls;
volatile int tw_metadata_loop_running;
void *tw_metadata_lookup_real;

/// Called once from the trampoline (first lookup, maybe before any constructor ran).
void *tw_metadata_lookup_resolve(void) {
    void *f = dlsym(RTLD_NEXT, "swift_getGenericMetadata");
    if (f == NULL) {
        fprintf(stderr, "MetadataLookups: no swift_getGenericMetadata after this executable\n");
        abort();
    }
    __atomic_store_n(&tw_metadata_lookup_real, f, __ATOMIC_RELEASE);
    return f;
}

void tw_metadata_loop(int running) { tw_metadata_loop_running = running; }

uint64_t tw_generic_metadata_lookups(void) { return __atomic_load_n(&tw_metadata_lookup_calls, __ATOMIC_RELAXED); }

#if defined(__x86_64__)
__asm__(
    ".text\n"
    ".globl swift_getGenericMetadata\n"
    ".type swift_getGenericMetadata, @function\n"
    ".p2align 4\n"
    "swift_getGenericMetadata:\n"
    "    lock incq tw_metadata_lookup_calls(%rip)\n"
    "    movq tw_metadata_lookup_real(%rip), %rax\n"
    "    testq %rax, %rax\n"
    "    jz 1f\n"
    "    jmp *%rax\n"
    "1:  pushq %rdi\n"               // the argument registers (C may clobber them); entry rsp is 8 mod 16
    "    pushq %rsi\n"
    "    pushq %rdx\n"
    "    pushq %rcx\n"
    "    pushq %r8\n"
    "    pushq %r9\n"
    "    subq $8, %rsp\n"            // 16-byte alignment for the call
    "    call tw_metadata_lookup_resolve\n"
    "    addq $8, %rsp\n"
    "    popq %r9\n"
    "    popq %r8\n"
    "    popq %rcx\n"
    "    popq %rdx\n"
    "    popq %rsi\n"
    "    popq %rdi\n"
    "    jmp *%rax\n"
    ".size swift_getGenericMetadata, .-swift_getGenericMetadata\n");
#else
#error "MetadataLookups: the trampoline is written for x86-64"
#endif
