/* invalid-manifest: a manifest of version 2 (only 1 exists): "Solo5 manifest is invalid". */
#include "runtime.h"
#include "notes.h"

RUNCC_ABI_NOTE();
RUNCC_MANIFEST_NOTE(1, { .version = 2, .entries = 1, .e = { MFT_RESERVED_ENTRY } });

int app_main(const char *cmdline)
{
    (void)cmdline;
    return 3;
}
