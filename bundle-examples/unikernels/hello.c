/* hello: prints a greeting and its command line, exits 0. */
#include "runtime.h"
#include "notes.h"

RUNCC_ABI_NOTE();
RUNCC_NO_DEVICES();

int app_main(const char *cmdline)
{
    print("Hello from a runcc unikernel!\n");
    print("Command line: '");
    print(cmdline);
    print("'\n");
    return 0;
}
