/*
 * time: WALLTIME is after 2017 and advances; POLL with a timeout sleeps about that long; the TSC (scaled by the
 * boot info's cpu_cycle_freq) agrees with the wall clock. Usage: time [SLEEP_MS [COUNT]] (defaults 1000, 3).
 * Prints each measured sleep and SUCCESS or FAILURE.
 */
#include "runtime.h"
#include "notes.h"

RUNCC_ABI_NOTE();
RUNCC_NO_DEVICES();

#define NS_PER_MS 1000000ull
#define JAN_1_2017_NS 1483228800000000000ull

static const char *skip_number(const char *s)
{
    while (*s == ' ')
        s++;
    while (*s >= '0' && *s <= '9')
        s++;
    return s;
}

int app_main(const char *cmdline)
{
    uint64_t sleep_ms = parse_u64(cmdline, 1000);
    uint64_t count = parse_u64(skip_number(cmdline), 3);
    uint64_t freq = runtime_boot_info->cpu_cycle_freq;
    int ok = 1;

    uint64_t first = walltime_ns();
    if (first < JAN_1_2017_NS) {
        print("walltime is before 2017\n");
        ok = 0;
    }
    print("cpu_cycle_freq ");
    print_u64(freq);
    print("\n");
    for (uint64_t i = 0; i < count; i++) {
        uint64_t wall0 = walltime_ns();
        uint64_t tsc0 = rdtsc();
        int ready = poll_ns(sleep_ms * NS_PER_MS, 0);
        uint64_t tsc1 = rdtsc();
        uint64_t wall1 = walltime_ns();
        if (wall1 < wall0 || tsc1 <= tsc0) {
            print("time went backwards\n");
            ok = 0;
        }
        uint64_t wall_ms = (wall1 - wall0) / NS_PER_MS;
        uint64_t tsc_ms = (tsc1 - tsc0) / (freq / 1000);
        print("slept ");
        print_u64(wall_ms);
        print(" ms (tsc ");
        print_u64(tsc_ms);
        print(" ms), ready ");
        print_u64((uint64_t)ready);
        print("\n");
        if (wall_ms < sleep_ms || ready != 0)
            ok = 0;
    }
    print(ok ? "SUCCESS\n" : "FAILURE\n");
    return ok ? 0 : 1;
}
