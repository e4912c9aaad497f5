#ifndef ALLOCATION_COUNTING_H
#define ALLOCATION_COUNTING_H

#include <stdint.h>

/// Starts counting heap allocations per thread, through ordo-one/malloc-interposer's allocation
/// hook (the process must link its library, which then serves every malloc). Returns 0 when the
/// interposer does not see this process's allocations.
int allocation_counting_start(void);

/// Heap allocations the calling thread made since counting started.
uint64_t allocation_count_of_this_thread(void);

/// Writes a backtrace of each of the calling thread's next `count` allocations to standard error
/// (addresses, for addr2line); 0 stops.
void allocation_trace_next(int count);

#endif
