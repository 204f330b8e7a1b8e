/*
 * hypercall-fuzz: issues ROUNDS random hypercalls (numbers 0..15) whose argument structs hold random pointers,
 * lengths, offsets and handles, drawn from a PRNG seeded with SEED. Usage: hypercall-fuzz SEED ROUNDS. Declares a
 * block device "storage" (attach a scratch file). The monitor must end every run with a Solo5 message and status 1,
 * or the guest's own status (a random HALT, or 0 after "survived N rounds") — never a fault, a hang or a stack.
 * POLL timeouts are capped at 1 ms so a run cannot sleep for long.
 */
#include "runtime.h"
#include "notes.h"

RUNCC_ABI_NOTE();
RUNCC_MANIFEST_NOTE(2, { .version = MFT_VERSION, .entries = 2,
                         .e = { MFT_RESERVED_ENTRY, { .name = "storage", .type = MFT_BLOCK_BASIC } } });

static uint64_t state;
static uint64_t next(void)
{
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    return state;
}

static const char rodata_text[] = "read-only text for PUTS";
static uint8_t buffer[8192] __attribute__((aligned(4096)));
static uint64_t arg[8] __attribute__((aligned(16)));

/* A value for a pointer, length, offset or handle: mostly plausible, sometimes at or past the edges. */
static uint64_t interesting(void)
{
    uint64_t top = runtime_boot_info->mem_size;
    switch (next() % 12) {
    case 0: return 0;
    case 1: return next() % 64;
    case 2: return (uint64_t)(uintptr_t)buffer + next() % sizeof buffer;
    case 3: return (uint64_t)(uintptr_t)buffer;
    case 4: return (uint64_t)(uintptr_t)rodata_text;
    case 5: return (uint64_t)(uintptr_t)&app_main;
    case 6: return top - 1 - next() % 4096;
    case 7: return top;
    case 8: return top + next() % 4096;
    case 9: return ~0ull - next() % 4096;
    case 10: return 512 * (next() % 16);
    default: return next();
    }
}

int app_main(const char *cmdline)
{
    const char *p = cmdline;
    state = parse_u64(p, 1) * 0x9e3779b97f4a7c15ull + 1;
    while (*p && *p != ' ')
        p++;
    uint64_t rounds = parse_u64(*p ? p + 1 : p, 1000);
    uint64_t storage;
    if (!device_lookup("storage", MFT_BLOCK_BASIC, &storage))
        runtime_abort("storage missing from the manifest");
    for (uint64_t round = 0; round < rounds; round++) {
        /* Mostly the calls this guest's devices have (WALLTIME..BLOCK_READ), sometimes any port of the range. */
        unsigned nr = next() % 128 ? (unsigned)(1 + next() % 5) : (unsigned)(next() % 16);
        for (unsigned i = 0; i < 8; i++)
            arg[i] = interesting();
        volatile void *where = arg;
        if (next() % 32 == 0)
            where = (volatile void *)(uintptr_t)interesting();
        /* Keep most requests plausible, so that runs go on past their first call and reach the handlers' depths. */
        if (nr == HVT_HYPERCALL_PUTS && where == arg && next() % 8) {
            arg[0] = (uint64_t)(uintptr_t)buffer;
            arg[1] = next() % 64;
        }
        if ((nr == HVT_HYPERCALL_BLOCK_READ || nr == HVT_HYPERCALL_BLOCK_WRITE) && where == arg && next() % 8) {
            arg[0] = storage;
            arg[2] = (uint64_t)(uintptr_t)buffer;
        }
        if (nr == HVT_HYPERCALL_POLL && where == arg)
            arg[0] = next() % 1000000; /* timeout_nsecs: at most 1 ms */
        if (nr == HVT_HYPERCALL_POLL && where != arg)
            continue; /* a POLL elsewhere could sleep for a random time */
        if (nr == HVT_HYPERCALL_HALT && where == arg)
            arg[0] = 0; /* no cookie: a cookie is judged like any pointer, tested above */
        hvt_hypercall(nr, where);
    }
    print("hypercall-fuzz: survived ");
    print_u64(rounds);
    print(" rounds\n");
    return 0;
}
