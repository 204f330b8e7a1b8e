/* hypercalls: makes N WALLTIME hypercalls back to back (default 1000000), for round-trip benchmarks. */
#include "runtime.h"
#include "notes.h"

RUNCC_ABI_NOTE();
RUNCC_NO_DEVICES();

int app_main(const char *cmdline)
{
    uint64_t n = parse_u64(cmdline, 1000000);
    uint64_t last = 0;
    for (uint64_t i = 0; i < n; i++) {
        uint64_t now = walltime_ns();
        if (now < last)
            runtime_abort("walltime went backwards");
        last = now;
    }
    print_u64(n);
    print(" hypercalls\n");
    return 0;
}
