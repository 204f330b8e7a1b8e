/* Start-up, console, time and exit for our hvt unikernels. */
#include "runtime.h"
#include "notes.h"

/* Every guest of this runtime reads runcc's address words (DEVICE.ipv4=A/N, DEVICE.gateway=G) if it reads any;
 * RUNCC_NO_NET_FORMAT_NOTE builds the runtime without saying so (the runtime's tests of format detection). */
#ifndef RUNCC_NO_NET_FORMAT_NOTE
RUNCC_NET_FORMAT_NOTE("runcc");
#endif

const struct hvt_boot_info *runtime_boot_info;
/* The network ring the monitor offered, or NULL (net-ring.c uses it). */
struct hvt_ring *runtime_net_ring;

__attribute__((section(".text.boot"), noreturn, used))
void _start(const struct hvt_boot_info *bi)
{
    runtime_boot_info = bi;
    if ((bi->host_features & HVT_FEATURE_RING_IO) && bi->net_ring != 0)
        runtime_net_ring = (struct hvt_ring *)(uintptr_t)bi->net_ring;
    runtime_exit(app_main((const char *)(uintptr_t)bi->cmdline));
}

void *memset(void *dst, int c, size_t n)
{
    unsigned char *d = dst;
    while (n--)
        *d++ = (unsigned char)c;
    return dst;
}

void *memcpy(void *dst, const void *src, size_t n)
{
    unsigned char *d = dst;
    const unsigned char *s = src;
    while (n--)
        *d++ = *s++;
    return dst;
}

int memcmp(const void *a, const void *b, size_t n)
{
    const unsigned char *x = a, *y = b;
    for (; n; n--, x++, y++)
        if (*x != *y)
            return *x - *y;
    return 0;
}

size_t strlen(const char *s)
{
    size_t n = 0;
    while (s[n])
        n++;
    return n;
}

int str_equal(const char *a, const char *b)
{
    while (*a && *a == *b) {
        a++;
        b++;
    }
    return *a == *b;
}

void console_write(const char *text, size_t len)
{
    volatile struct hvt_puts arg = { .data = (uint64_t)(uintptr_t)text, .len = len };
    hvt_hypercall(HVT_HYPERCALL_PUTS, &arg);
}

void print(const char *text)
{
    console_write(text, strlen(text));
}

void print_u64(uint64_t value)
{
    char buf[21];
    int at = sizeof buf;
    do {
        buf[--at] = (char)('0' + value % 10);
        value /= 10;
    } while (value);
    console_write(buf + at, sizeof buf - at);
}

void print_hex(uint64_t value)
{
    char buf[18];
    int at = sizeof buf;
    do {
        buf[--at] = "0123456789abcdef"[value & 0xf];
        value >>= 4;
    } while (value);
    buf[--at] = 'x';
    buf[--at] = '0';
    console_write(buf + at, sizeof buf - at);
}

uint64_t walltime_ns(void)
{
    volatile struct hvt_walltime arg = { 0 };
    hvt_hypercall(HVT_HYPERCALL_WALLTIME, &arg);
    return arg.nsecs;
}

int poll_ns(uint64_t timeout_ns, uint64_t *ready_set)
{
    volatile struct hvt_poll arg = { .timeout_nsecs = timeout_ns };
    hvt_hypercall(HVT_HYPERCALL_POLL, &arg);
    if (ready_set)
        *ready_set = arg.ready_set;
    return arg.ret;
}

void runtime_exit(int status)
{
    volatile struct hvt_halt arg = { .cookie = 0, .exit_status = status };
    for (;;)
        hvt_hypercall(HVT_HYPERCALL_HALT, &arg);
}

void runtime_abort(const char *why)
{
    print("ABORT: ");
    print(why);
    print("\n");
    runtime_exit(255);
}

uint64_t parse_u64(const char *text, uint64_t fallback)
{
    uint64_t value = 0;
    int digits = 0;
    while (*text == ' ')
        text++;
    while (*text >= '0' && *text <= '9') {
        value = value * 10 + (uint64_t)(*text++ - '0');
        digits++;
    }
    return digits ? value : fallback;
}

/* Keeps the data segment non-empty: Solo5 loaders skip PT_LOAD segments without file bytes. */
__attribute__((used)) volatile uint64_t runtime_data_marker = 0x72756e6363;

const struct mft_entry *device_lookup(const char *name, uint32_t type, uint64_t *handle)
{
    const struct mft *mft = (const struct mft *)(uintptr_t)runtime_boot_info->mft;
    const struct mft_entry *entries = (const struct mft_entry *)(mft + 1);
    for (uint32_t i = 0; i < mft->entries; i++) {
        if (entries[i].type == type && str_equal(entries[i].name, name)) {
            *handle = i;
            return &entries[i];
        }
    }
    return 0;
}

int net_write_hypercall(uint64_t handle, const void *frame, size_t len)
{
    volatile struct hvt_netio arg = { .handle = handle, .data = (uint64_t)(uintptr_t)frame, .len = len };
    hvt_hypercall(HVT_HYPERCALL_NET_WRITE, &arg);
    return arg.ret;
}

int net_read_hypercall(uint64_t handle, void *buf, size_t size, size_t *read_len)
{
    volatile struct hvt_netio arg = { .handle = handle, .data = (uint64_t)(uintptr_t)buf, .len = size };
    hvt_hypercall(HVT_HYPERCALL_NET_READ, &arg);
    *read_len = arg.len;
    return arg.ret;
}

int block_write_raw(uint64_t handle, uint64_t offset, const void *buf, size_t len)
{
    volatile struct hvt_blkio arg = { .handle = handle, .offset = offset, .data = (uint64_t)(uintptr_t)buf, .len = len };
    hvt_hypercall(HVT_HYPERCALL_BLOCK_WRITE, &arg);
    return arg.ret;
}

int block_read_raw(uint64_t handle, uint64_t offset, void *buf, size_t len)
{
    volatile struct hvt_blkio arg = { .handle = handle, .offset = offset, .data = (uint64_t)(uintptr_t)buf, .len = len };
    hvt_hypercall(HVT_HYPERCALL_BLOCK_READ, &arg);
    return arg.ret;
}

static int block_request_ok(uint64_t handle, uint64_t offset, size_t len)
{
    const struct mft *mft = (const struct mft *)(uintptr_t)runtime_boot_info->mft;
    const struct mft_entry *entries = (const struct mft_entry *)(mft + 1);
    if (handle >= mft->entries || entries[handle].type != MFT_BLOCK_BASIC)
        return 0;
    uint16_t bs = entries[handle].u.block.block_size;
    return offset % bs == 0 && len == bs;
}

int block_write(uint64_t handle, uint64_t offset, const void *buf, size_t len)
{
    return block_request_ok(handle, offset, len) ? block_write_raw(handle, offset, buf, len) : SOLO5_R_EINVAL;
}

int block_read(uint64_t handle, uint64_t offset, void *buf, size_t len)
{
    return block_request_ok(handle, offset, len) ? block_read_raw(handle, offset, buf, len) : SOLO5_R_EINVAL;
}

const char *result_name(int result)
{
    switch (result) {
    case SOLO5_R_OK: return "OK";
    case SOLO5_R_AGAIN: return "AGAIN";
    case SOLO5_R_EINVAL: return "EINVAL";
    case SOLO5_R_EUNSPEC: return "EUNSPEC";
    default: return "?";
    }
}
