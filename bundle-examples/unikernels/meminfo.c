/* meminfo: prints the guest memory the monitor gave it (boot info mem_size) and its command line, exits 0. */
#include "runtime.h"
#include "notes.h"

RUNCC_ABI_NOTE();
RUNCC_NO_DEVICES();

int app_main(const char *cmdline)
{
    print("memory: ");
    print_u64(runtime_boot_info->mem_size >> 20);
    print(" MiB\ncommand line: '");
    print(cmdline);
    print("'\n");
    return 0;
}
