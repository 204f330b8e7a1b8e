/* write-text: writes into its own code; the host maps text read-only, so KVM_RUN fails with EFAULT. */
#include "runtime.h"
#include "notes.h"

RUNCC_ABI_NOTE();
RUNCC_NO_DEVICES();

int app_main(const char *cmdline)
{
    (void)cmdline;
    *(volatile uint8_t *)(uintptr_t)&app_main = 0xc3;
    print("write-text: wrote into .text\n");
    return 3;
}
