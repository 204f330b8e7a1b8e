/*
 * bad-hypercall: issues hypercall number N (from the command line) with a valid argument pointer. 0 is reserved and
 * 4..7 are device hypercalls that exist only when a device of their kind is attached: the monitor must stop with
 * "Invalid guest hypercall: num=N", exit 1.
 */
#include "runtime.h"
#include "notes.h"

RUNCC_ABI_NOTE();
RUNCC_NO_DEVICES();

int app_main(const char *cmdline)
{
    static volatile uint64_t scratch[8];
    hvt_hypercall((unsigned)parse_u64(cmdline, 0), scratch);
    print("bad-hypercall: the monitor accepted the hypercall\n");
    return 3;
}
