/*
 * device-abuse: misuses the net device "service0" and block device "storage". Usage: device-abuse CASE.
 * Fatal (the monitor must stop with "Invalid guest access", exit 1): net-write-data, net-read-len, block-data.
 * Refused (the hypercall must return EINVAL; the guest prints it and exits 0): net-handle, block-handle.
 */
#include "runtime.h"
#include "notes.h"

RUNCC_ABI_NOTE();
RUNCC_MANIFEST_NOTE(3, { .version = MFT_VERSION, .entries = 3,
                         .e = { MFT_RESERVED_ENTRY, { .name = "service0", .type = MFT_NET_BASIC },
                                { .name = "storage", .type = MFT_BLOCK_BASIC } } });

static uint8_t buf[4096];

static int report(const char *what, int result)
{
    print(what);
    print(": ");
    print(result_name(result));
    print("\n");
    return result == SOLO5_R_EINVAL ? 0 : 3;
}

int app_main(const char *cmdline)
{
    uint64_t net, blk;
    if (!device_lookup("service0", MFT_NET_BASIC, &net) || !device_lookup("storage", MFT_BLOCK_BASIC, &blk))
        runtime_abort("devices missing from the manifest");
    uint64_t top = runtime_boot_info->mem_size;
    size_t got;
    if (str_equal(cmdline, "net-write-data"))
        net_write_hypercall(net, (void *)(uintptr_t)(top - 16), 64);
    else if (str_equal(cmdline, "net-read-len"))
        net_read_hypercall(net, buf, top, &got);
    else if (str_equal(cmdline, "block-data"))
        block_read_raw(blk, 0, (void *)(uintptr_t)(top - 256), 512);
    else if (str_equal(cmdline, "net-handle"))
        return report("NET_WRITE with the block device's handle", net_write_hypercall(blk, buf, 60));
    else if (str_equal(cmdline, "block-handle"))
        return report("BLOCK_READ with a handle past the manifest", block_read_raw(blk + (1ull << 32) + 40, 0, buf, 512));
    print("device-abuse: the monitor accepted the request\n");
    return 3;
}
