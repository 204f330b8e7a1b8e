/* triple-fault: raises #UD with no IDT installed, so the CPU shuts down (KVM_EXIT_SHUTDOWN). */
#include "runtime.h"
#include "notes.h"

RUNCC_ABI_NOTE();
RUNCC_NO_DEVICES();

int app_main(const char *cmdline)
{
    (void)cmdline;
    __asm__ __volatile__("ud2");
    return 3;
}
