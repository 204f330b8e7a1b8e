/* unattached-device: declares a block device "storage"; run without --block the monitor must refuse to boot. */
#include "runtime.h"
#include "notes.h"

RUNCC_ABI_NOTE();
RUNCC_MANIFEST_NOTE(2, { .version = MFT_VERSION, .entries = 2,
                         .e = { MFT_RESERVED_ENTRY, { .name = "storage", .type = MFT_BLOCK_BASIC } } });

int app_main(const char *cmdline)
{
    (void)cmdline;
    return 3;
}
