#include "AllocationCounting.h"

#include <execinfo.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

// malloc-interposer's C surface (its header is not part of its product).
typedef void (*malloc_interposer_allocation_hook_t)(size_t size);
void malloc_interposer_set_allocation_hook(malloc_interposer_allocation_hook_t hook);
void malloc_interposer_enable(void);

// Thread-locals of the executable: static TLS, which never allocates when touched.
static _Thread_local uint64_t allocations;
static _Thread_local int tracing;
static _Thread_local int inside;

static void count_allocation(size_t size) {
    allocations += 1;
    if (tracing > 0 && !inside) {
        inside = 1;  // what the backtrace allocates is not traced
        tracing -= 1;
        void *frames[32];
        int depth = backtrace(frames, 32);
        char line[64];
        int length = snprintf(line, sizeof line, "--- allocation of %zu bytes\n", size);
        if (length > 0) (void)!write(2, line, (size_t)length);
        backtrace_symbols_fd(frames, depth, 2);
        inside = 0;
    }
}

int allocation_counting_start(void) {
    void *warm[2];
    backtrace(warm, 2);  // loads the unwinder now, outside any measured region
    malloc_interposer_set_allocation_hook(count_allocation);
    malloc_interposer_enable();
    uint64_t before = allocations;
    void *volatile probe = malloc(24);
    free(probe);
    return allocations > before;
}

uint64_t allocation_count_of_this_thread(void) { return allocations; }

void allocation_trace_next(int count) { tracing = count; }
