/* exitcode: exits with the status given on its command line (default 0). */
#include "runtime.h"
#include "notes.h"

RUNCC_ABI_NOTE();
RUNCC_NO_DEVICES();

int app_main(const char *cmdline)
{
    int status = (int)parse_u64(cmdline, 0);
    print("exiting with status ");
    print_u64((uint64_t)status);
    print("\n");
    return status;
}
