/* chatter: prints numbered lines forever (console back-pressure tests: a full pipe must not keep signals out). */
#include "runtime.h"
#include "notes.h"

RUNCC_ABI_NOTE();
RUNCC_NO_DEVICES();

int app_main(const char *cmdline)
{
    (void)cmdline;
    for (uint64_t line = 0;; line++) {
        print("chatter line ");
        print_u64(line);
        print(": the quick brown fox jumps over the lazy dog\n");
    }
}
