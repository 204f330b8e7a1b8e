/* net_write/net_read through Solo5's network ring when the monitor offers it. A file of its own, linked from the
 * runtime's archive only into guests that call these: the copies below would otherwise grow every guest. */
#include "runtime.h"

extern struct hvt_ring *runtime_net_ring;
#define ring runtime_net_ring

struct hvt_ring *net_ring(void)
{
    return runtime_net_ring;
}

/* Copies of queued frames: the entry at index i uses copy i % RING_COPIES, free again once the host's ent_head has
 * passed i. 64 in flight keep the host busy; 1024 would add 2 MiB to every guest of this runtime (hello included). */
#define RING_COPIES 64u
static uint8_t ring_copies[RING_COPIES][HVT_RING_SLOT_BYTES] __attribute__((aligned(64)));
static uint32_t ring_read_id;

static inline void cpu_relax(void)
{
    __asm__ __volatile__("pause" ::: "memory");
}

/* Waits until fewer than `limit` entries are in flight; returns the index to fill (the guest alone writes ent_tail). */
static uint32_t ring_claim(uint32_t limit)
{
    uint32_t tail = ring->ent_tail;
    while (tail - __atomic_load_n(&ring->ent_head, __ATOMIC_ACQUIRE) >= limit)
        cpu_relax();
    return tail;
}

/* Publishes the entry at `tail`, then kicks if the host sleeps: the fence orders our ent_tail store before the
 * needs_kick load, as the host orders its needs_kick store before its ent_tail load, so one of us sees the other. */
static void ring_publish(uint32_t tail)
{
    __atomic_store_n(&ring->ent_tail, tail + 1, __ATOMIC_RELEASE);
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    if (__atomic_load_n(&ring->needs_kick, __ATOMIC_RELAXED))
        ring_kick();
}

int net_write(uint64_t handle, const void *frame, size_t len)
{
    if (!ring || len > HVT_RING_SLOT_BYTES)
        return net_write_hypercall(handle, frame, len);
    uint32_t tail = ring_claim(RING_COPIES);
    uint8_t *slot = ring_copies[tail % RING_COPIES];
    memcpy(slot, frame, len);
    struct hvt_ring_entry *e = &ring->entries[tail % HVT_RING_SLOTS];
    e->op = HVT_RING_OP_NET_WRITE;
    e->handle = (uint32_t)handle;
    e->data = (uint64_t)(uintptr_t)slot;
    e->len = (uint32_t)len;
    e->id = 0;
    ring_publish(tail);
    return SOLO5_R_OK;
}

int net_read(uint64_t handle, void *buf, size_t size, size_t *read_len)
{
    if (!ring)
        return net_read_hypercall(handle, buf, size, read_len);
    uint32_t tail = ring_claim(HVT_RING_SLOTS);
    struct hvt_ring_entry *e = &ring->entries[tail % HVT_RING_SLOTS];
    uint32_t id = ++ring_read_id;
    e->op = HVT_RING_OP_NET_READ;
    e->handle = (uint32_t)handle;
    e->data = (uint64_t)(uintptr_t)buf;
    e->len = size > 0xffffffffu ? 0xffffffffu : (uint32_t)size;
    e->id = id;
    ring_publish(tail);
    uint32_t head = ring->com_head;
    while (__atomic_load_n(&ring->com_tail, __ATOMIC_ACQUIRE) == head)
        cpu_relax();
    const struct hvt_ring_commit *c = &ring->commits[head % HVT_RING_SLOTS];
    if (c->id != id)
        runtime_abort("net ring: a commit for another read");
    int ret = c->ret;
    *read_len = c->len;
    __atomic_store_n(&ring->com_head, head + 1, __ATOMIC_RELEASE);
    return ret;
}

