/* block-many: declares 63 block devices (storage0..storage62, the manifest maximum); writes and reads back one
 * block on the first and the last. */
#include "runtime.h"
#include "notes.h"

#include "block-many-entries.h"

RUNCC_ABI_NOTE();
RUNCC_MANIFEST_NOTE(64, { .version = MFT_VERSION, .entries = 64, .e = { MFT_RESERVED_ENTRY, BLOCK_MANY_ENTRIES } });

static uint8_t wbuf[512], rbuf[512];

static int round_trip(const char *name)
{
    uint64_t handle;
    if (!device_lookup(name, MFT_BLOCK_BASIC, &handle))
        return 0;
    for (int i = 0; i < 512; i++)
        wbuf[i] = (uint8_t)(i ^ handle);
    return block_write(handle, 0, wbuf, 512) == SOLO5_R_OK && block_read(handle, 0, rbuf, 512) == SOLO5_R_OK &&
           memcmp(wbuf, rbuf, 512) == 0;
}

int app_main(const char *cmdline)
{
    (void)cmdline;
    int ok = round_trip("storage0") && round_trip("storage62");
    print(ok ? "SUCCESS\n" : "FAILURE\n");
    return ok ? 0 : 1;
}
