/*
 * block-tester: exercises the block device "storage". Writes a pattern to every 10th block and the last block,
 * reads each back; checks that reads past the end, across the end, misaligned or of a partial block, and with a bad
 * handle are refused with EINVAL. Prints SUCCESS, or what failed (exit 1).
 * `block-tester bench [MB]`: writes then reads MB (default 16, wrapping over the device) and prints MB/s.
 */
#include "runtime.h"
#include "notes.h"

RUNCC_ABI_NOTE();
RUNCC_MANIFEST_NOTE(2, { .version = MFT_VERSION, .entries = 2,
                         .e = { MFT_RESERVED_ENTRY, { .name = "storage", .type = MFT_BLOCK_BASIC } } });

#define MAX_SECTOR 65536

static uint8_t wbuf[MAX_SECTOR] __attribute__((aligned(4096)));
static uint8_t rbuf[MAX_SECTOR] __attribute__((aligned(4096)));
static int failures;

static void expect(int result, int wanted, const char *what)
{
    if (result == wanted)
        return;
    print("FAILED: ");
    print(what);
    print(": got ");
    print(result_name(result));
    print(", wanted ");
    print(result_name(wanted));
    print("\n");
    failures++;
}

static void fill(uint64_t block, size_t bs)
{
    for (size_t i = 0; i < bs; i++)
        wbuf[i] = (uint8_t)((block * 131 + i * 7) ^ (block >> 8));
}

static int bench(uint64_t handle, uint64_t capacity, size_t bs, uint64_t megabytes)
{
    uint64_t blocks = megabytes * 1024 * 1024 / bs;
    uint64_t device_blocks = capacity / bs;
    fill(1, bs);
    uint64_t t0 = walltime_ns();
    for (uint64_t i = 0; i < blocks; i++)
        expect(block_write(handle, (i % device_blocks) * bs, wbuf, bs), SOLO5_R_OK, "bench write");
    uint64_t t1 = walltime_ns();
    for (uint64_t i = 0; i < blocks; i++)
        expect(block_read(handle, (i % device_blocks) * bs, rbuf, bs), SOLO5_R_OK, "bench read");
    uint64_t t2 = walltime_ns();
    uint64_t bytes = blocks * bs;
    print("write MB/s ");
    print_u64(bytes / ((t1 - t0) / 1000 + 1)); /* bytes per µs = MB/s */
    print("\nread MB/s ");
    print_u64(bytes / ((t2 - t1) / 1000 + 1));
    print("\n");
    return failures ? 1 : 0;
}

int app_main(const char *cmdline)
{
    uint64_t handle;
    const struct mft_entry *e = device_lookup("storage", MFT_BLOCK_BASIC, &handle);
    if (!e)
        runtime_abort("block device missing from the manifest");
    uint64_t capacity = e->u.block.capacity;
    size_t bs = e->u.block.block_size;
    print("capacity ");
    print_u64(capacity);
    print(" bytes, block size ");
    print_u64(bs);
    print("\n");
    if (bs > MAX_SECTOR)
        runtime_abort("block size too large for this tester");
    if (cmdline[0] == 'b')
        return bench(handle, capacity, bs, parse_u64(cmdline + 5, 16));

    uint64_t blocks = capacity / bs;
    for (uint64_t b = 0; b < blocks; b = (b + 10 < blocks || b == blocks - 1) ? b + 10 : blocks - 1) {
        fill(b, bs);
        expect(block_write(handle, b * bs, wbuf, bs), SOLO5_R_OK, "write");
        memset(rbuf, 0, bs);
        expect(block_read(handle, b * bs, rbuf, bs), SOLO5_R_OK, "read");
        if (memcmp(wbuf, rbuf, bs) != 0) {
            print("FAILED: data read back differs\n");
            failures++;
        }
        if (b == blocks - 1)
            break;
    }
    expect(block_read_raw(handle, capacity, rbuf, bs), SOLO5_R_EINVAL, "read at the end");
    expect(block_write_raw(handle, capacity - bs, wbuf, 2 * bs), SOLO5_R_EINVAL, "write across the end");
    expect(block_read_raw(handle, ~0ull - 1, rbuf, bs), SOLO5_R_EINVAL, "read far past the end");
    expect(block_read(handle, 1, rbuf, bs), SOLO5_R_EINVAL, "misaligned read");
    expect(block_write(handle, 0, wbuf, bs / 2), SOLO5_R_EINVAL, "partial-block write");
    expect(block_read_raw(handle + 7, 0, rbuf, bs), SOLO5_R_EINVAL, "read with a bad handle");
    expect(block_read_raw(0, 0, rbuf, bs), SOLO5_R_EINVAL, "read with the reserved handle");
    print(failures ? "FAILURE\n" : "SUCCESS\n");
    return failures ? 1 : 0;
}
