/* Our minimal Solo5-ABI guest runtime: hypercalls, console, exit; each unikernel provides app_main(). */
#ifndef RUNCC_RUNTIME_H
#define RUNCC_RUNTIME_H

#include "hvt-abi.h"

/* Implemented by each unikernel; its return value becomes the monitor's exit status. */
int app_main(const char *cmdline);

extern const struct hvt_boot_info *runtime_boot_info;

static inline void hvt_hypercall(unsigned nr, volatile void *arg)
{
    __asm__ __volatile__("outl %0, %1"
                         :
                         : "a"((uint32_t)(uintptr_t)arg), "d"((uint16_t)(HVT_HYPERCALL_PIO_BASE + nr))
                         : "memory");
}

static inline uint64_t rdtsc(void)
{
    uint32_t lo, hi;
    __asm__ __volatile__("rdtsc" : "=a"(lo), "=d"(hi));
    return ((uint64_t)hi << 32) | lo;
}

void console_write(const char *text, size_t len);
void print(const char *text);
void print_u64(uint64_t value);
void print_hex(uint64_t value);
uint64_t walltime_ns(void);
/* POLL: sleeps up to timeout_ns; returns the number of ready devices. */
int poll_ns(uint64_t timeout_ns, uint64_t *ready_set);
__attribute__((noreturn)) void runtime_exit(int status);
__attribute__((noreturn)) void runtime_abort(const char *why);
/* The manifest entry `name` of `type` (from the boot info's manifest copy) and its handle; NULL if absent. */
const struct mft_entry *device_lookup(const char *name, uint32_t type, uint64_t *handle);
/* Device I/O; each returns a SOLO5_R_* code. block_* refuse misaligned or partial-block requests themselves
 * (returning SOLO5_R_EINVAL without a hypercall), as Solo5's bindings do; block_*_raw issue the hypercall as given. */
/* net_write/net_read go through the network ring when the monitor offers it (frames up to HVT_RING_SLOT_BYTES;
 * writes are then queued, fire-and-forget), else through the hypercalls; *_hypercall always use the hypercalls. */
int net_write(uint64_t handle, const void *frame, size_t len);
int net_read(uint64_t handle, void *buf, size_t size, size_t *read_len);
int net_write_hypercall(uint64_t handle, const void *frame, size_t len);
int net_read_hypercall(uint64_t handle, void *buf, size_t size, size_t *read_len);
/* The ring the monitor offered, or NULL (then every net call is a hypercall). */
struct hvt_ring *net_ring(void);
static inline void ring_kick(void)
{
    __asm__ __volatile__("outl %0, %1" : : "a"(0u), "d"((uint16_t)HVT_RING_KICK_PORT) : "memory");
}
int block_write(uint64_t handle, uint64_t offset, const void *buf, size_t len);
int block_read(uint64_t handle, uint64_t offset, void *buf, size_t len);
int block_write_raw(uint64_t handle, uint64_t offset, const void *buf, size_t len);
int block_read_raw(uint64_t handle, uint64_t offset, void *buf, size_t len);
const char *result_name(int result);
/* Parses a decimal number at the start of text; returns fallback when there is none. */
uint64_t parse_u64(const char *text, uint64_t fallback);
int str_equal(const char *a, const char *b);

void *memset(void *dst, int c, size_t n);
void *memcpy(void *dst, const void *src, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);

#endif
