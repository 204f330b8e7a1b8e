/*
 * args-net: declares one net device, service0, prints its command line exactly as the monitor gave it, and exits 0.
 * The format tests run it in a network namespace whose eth0 has an IPv4 address, to see which words runcc adds.
 */
#include "runtime.h"
#include "notes.h"

RUNCC_ABI_NOTE();
RUNCC_MANIFEST_NOTE(2, { .version = MFT_VERSION, .entries = 2,
                         .e = { MFT_RESERVED_ENTRY, { .name = "service0", .type = MFT_NET_BASIC } } });

int app_main(const char *cmdline)
{
    print("Command line: '");
    print(cmdline);
    print("'\n");
    return 0;
}
