/*
 * bad-protection: hands the monitor hypercall arguments that lie inside guest memory but where the host may not
 * access them as asked. Usage: bad-protection CASE, CASE one of walltime-text (WALLTIME's struct, which the monitor
 * writes, in the guest's text), walltime-rodata (in rodata), puts-noperm (PUTS's struct in a segment without
 * permissions), puts-data-noperm (PUTS's string there). The monitor must stop with "Invalid guest access", exit 1,
 * never fault. Linked with a script that adds the permissionless segment (.noperm).
 */
#include "runtime.h"
#include "notes.h"

RUNCC_ABI_NOTE();
RUNCC_NO_DEVICES();

static const struct hvt_walltime in_rodata = { 0 };
__attribute__((section(".noperm"), used, aligned(16))) struct hvt_puts noperm_puts = { .data = 0, .len = 1 };
__attribute__((section(".noperm"), used)) char noperm_text[16] = "unreadable";

int app_main(const char *cmdline)
{
    if (str_equal(cmdline, "walltime-text")) {
        hvt_hypercall(HVT_HYPERCALL_WALLTIME, (void *)(uintptr_t)&app_main);
    } else if (str_equal(cmdline, "walltime-rodata")) {
        hvt_hypercall(HVT_HYPERCALL_WALLTIME, (void *)(uintptr_t)&in_rodata);
    } else if (str_equal(cmdline, "puts-noperm")) {
        hvt_hypercall(HVT_HYPERCALL_PUTS, &noperm_puts);
    } else if (str_equal(cmdline, "puts-data-noperm")) {
        volatile struct hvt_puts arg = { .data = (uint64_t)(uintptr_t)noperm_text, .len = 4 };
        hvt_hypercall(HVT_HYPERCALL_PUTS, &arg);
    }
    print("bad-protection: the monitor accepted the argument\n");
    return 3;
}
