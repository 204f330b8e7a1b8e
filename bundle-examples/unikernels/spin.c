/* spin: announces itself, then spins forever without a single exit (for signal tests). */
#include "runtime.h"
#include "notes.h"

RUNCC_ABI_NOTE();
RUNCC_NO_DEVICES();

int app_main(const char *cmdline)
{
    (void)cmdline;
    print("spinning\n");
    volatile uint64_t counter = 0;
    for (;;)
        counter++;
}
