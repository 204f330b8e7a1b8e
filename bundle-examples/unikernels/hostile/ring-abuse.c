/*
 * ring-abuse: breaks the rules of Solo5's network ring on "service0". Usage: ring-abuse CASE. Each case but the
 * last must end the monitor with its message and status 1 while the guest spins (the monitor, not the guest, ends it):
 *   ent-tail     ent_tail 5000 entries ahead of ent_head (the ring has 1024)
 *   slot-length  a NET_WRITE entry of 4096 bytes (the slot is 2048)
 *   entry-data   a NET_WRITE entry whose frame runs past the top of guest memory
 *   com-head     com_head ahead of com_tail, then a NET_READ that needs a commit
 *   kick-storm   kicks as fast as it can, forever, without queuing anything (SIGTERM must still end it)
 * Without a ring offered it prints "no ring offered" and exits 2.
 */
#include "runtime.h"
#include "notes.h"

RUNCC_ABI_NOTE();
RUNCC_MANIFEST_NOTE(2, { .version = MFT_VERSION, .entries = 2,
                         .e = { MFT_RESERVED_ENTRY, { .name = "service0", .type = MFT_NET_BASIC } } });

static uint8_t frame[4096];

static void publish(struct hvt_ring *ring, uint32_t tail)
{
    __atomic_store_n(&ring->ent_tail, tail, __ATOMIC_RELEASE);
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    ring_kick();
}

static void entry(struct hvt_ring *ring, uint32_t op, uint64_t handle, uint64_t data, uint32_t len)
{
    struct hvt_ring_entry *e = &ring->entries[ring->ent_tail % HVT_RING_SLOTS];
    e->op = op;
    e->handle = (uint32_t)handle;
    e->data = data;
    e->len = len;
    e->id = 1;
    publish(ring, ring->ent_tail + 1);
}

__attribute__((noreturn)) static void spin(void)
{
    for (;;)
        __asm__ __volatile__("pause");
}

int app_main(const char *cmdline)
{
    uint64_t net;
    if (!device_lookup("service0", MFT_NET_BASIC, &net))
        runtime_abort("service0 missing from the manifest");
    struct hvt_ring *ring = net_ring();
    if (!ring) {
        print("no ring offered\n");
        return 2;
    }
    const char *kind = cmdline;
    uint64_t top = runtime_boot_info->mem_size;
    memset(frame, 0xff, sizeof frame);
    print(kind);
    print(": abusing the ring\n");
    if (str_equal(kind, "ent-tail")) {
        publish(ring, ring->ent_tail + 5000);
    } else if (str_equal(kind, "slot-length")) {
        entry(ring, HVT_RING_OP_NET_WRITE, net, (uint64_t)(uintptr_t)frame, 4096);
    } else if (str_equal(kind, "entry-data")) {
        entry(ring, HVT_RING_OP_NET_WRITE, net, top - 16, 64);
    } else if (str_equal(kind, "com-head")) {
        __atomic_store_n(&ring->com_head, 7, __ATOMIC_RELEASE);
        entry(ring, HVT_RING_OP_NET_READ, net, (uint64_t)(uintptr_t)frame, sizeof frame);
    } else if (str_equal(kind, "kick-storm")) {
        for (;;)
            ring_kick();
    } else {
        runtime_abort("unknown case");
    }
    spin();
}
