/*
 * bad-pointer: hands the monitor guest pointers outside guest memory. Usage: bad-pointer CASE, CASE one of
 * puts-data (buffer past the end), puts-struct (argument struct past the end), puts-wrap (length that wraps
 * around), halt-cookie (HALT cookie past the end). The monitor must stop with "Invalid guest access", exit 1.
 */
#include "runtime.h"
#include "notes.h"

RUNCC_ABI_NOTE();
RUNCC_NO_DEVICES();

int app_main(const char *cmdline)
{
    uint64_t top = runtime_boot_info->mem_size;
    if (str_equal(cmdline, "puts-data")) {
        volatile struct hvt_puts arg = { .data = top - 8, .len = 64 };
        hvt_hypercall(HVT_HYPERCALL_PUTS, &arg);
    } else if (str_equal(cmdline, "puts-struct")) {
        hvt_hypercall(HVT_HYPERCALL_PUTS, (void *)(uintptr_t)(top + 0x1000));
    } else if (str_equal(cmdline, "puts-wrap")) {
        volatile struct hvt_puts arg = { .data = 0x200000, .len = ~0ull - 0x1000 };
        hvt_hypercall(HVT_HYPERCALL_PUTS, &arg);
    } else if (str_equal(cmdline, "halt-cookie")) {
        volatile struct hvt_halt arg = { .cookie = top - 16, .exit_status = 0 };
        hvt_hypercall(HVT_HYPERCALL_HALT, &arg);
    }
    print("bad-pointer: the monitor accepted the bad pointer\n");
    return 3;
}
