/* Start-up, console, time and exit for our hvt unikernels. */
#include "runtime.h"

const struct hvt_boot_info *runtime_boot_info;

__attribute__((section(".text.boot"), noreturn, used))
void _start(const struct hvt_boot_info *bi)
{
    runtime_boot_info = bi;
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
