// Counts the calls this executable's code makes to the Swift runtime's generic metadata lookup.
#pragma once
#include <stdint.h>

/// Calls of swift_getGenericMetadata from the benchmark executable's own code (the Swift
/// modules of Tickwire are linked into it) since the process started.
uint64_t tw_generic_metadata_lookups(void);

/// Marks a measured loop running (1) or not (0), for a debugger's condition: under gdb,
/// `break swift_getGenericMetadata if tw_metadata_loop_running` stops at the loop's lookups.
void tw_metadata_loop(int running);
