/* The Solo5 hvt guest ABI as our guest runtime sees it: boot info, hypercall argument structs, notes. */
#ifndef RUNCC_HVT_ABI_H
#define RUNCC_HVT_ABI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HVT_ABI_TARGET 1
#define HVT_ABI_VERSION 2

#define HVT_HYPERCALL_PIO_BASE 0x500
#define HVT_HYPERCALL_WALLTIME 1
#define HVT_HYPERCALL_PUTS 2
#define HVT_HYPERCALL_POLL 3
#define HVT_HYPERCALL_BLOCK_WRITE 4
#define HVT_HYPERCALL_BLOCK_READ 5
#define HVT_HYPERCALL_NET_WRITE 6
#define HVT_HYPERCALL_NET_READ 7
#define HVT_HYPERCALL_HALT 8

#define SOLO5_R_OK 0
#define SOLO5_R_AGAIN 1
#define SOLO5_R_EINVAL 2
#define SOLO5_R_EUNSPEC 3

struct hvt_boot_info {
    uint64_t mem_size;
    uint64_t kernel_end;
    uint64_t cpu_cycle_freq;
    uint64_t cmdline;
    uint64_t mft;
    uint32_t host_features;
    uint32_t guest_features;
    uint64_t net_ring;
};

struct hvt_walltime { uint64_t nsecs; };
struct hvt_puts { uint64_t data; uint64_t len; };
struct hvt_poll { uint64_t timeout_nsecs; uint64_t ready_set; int32_t ret; };
struct hvt_halt { uint64_t cookie; int32_t exit_status; };
struct hvt_blkio { uint64_t handle; uint64_t offset; uint64_t data; uint64_t len; int32_t ret; };
struct hvt_netio { uint64_t handle; uint64_t data; uint64_t len; int32_t ret; };

/* The optional shared-memory network ring (Solo5 0.11+): offered when host_features has HVT_FEATURE_RING_IO and
 * net_ring is non-zero. The guest owns ent_tail and com_head, the host ent_head, com_tail and needs_kick. */
#define HVT_FEATURE_RING_IO 1u
#define HVT_RING_SLOTS 1024u
#define HVT_RING_SLOT_BYTES 2048u
#define HVT_RING_KICK_PORT 0x600
#define HVT_RING_OP_NET_WRITE 1u
#define HVT_RING_OP_NET_READ 2u

struct hvt_ring_entry {
    uint32_t op;
    uint32_t handle;
    uint64_t data;
    uint32_t len;
    uint32_t id;
    uint64_t reserved;
};

struct hvt_ring_commit {
    uint32_t id;
    int32_t ret;
    uint32_t len;
    uint32_t reserved;
};

struct hvt_ring {
    uint32_t ent_tail;
    uint32_t com_head;
    uint8_t guest_pad[56];
    uint32_t ent_head;
    uint32_t com_tail;
    uint32_t needs_kick;
    uint8_t host_pad[52];
    struct hvt_ring_entry entries[HVT_RING_SLOTS];
    struct hvt_ring_commit commits[HVT_RING_SLOTS];
};

_Static_assert(sizeof(struct hvt_ring) == 49280, "hvt_ring layout");
_Static_assert(__builtin_offsetof(struct hvt_ring, ent_head) == 64, "hvt_ring host indices");
_Static_assert(__builtin_offsetof(struct hvt_ring, commits) == 32896, "hvt_ring commits");

#define SOLO5_NOTE_ABI1 0x31494241u
#define SOLO5_NOTE_MFT1 0x3154464du

#define MFT_VERSION 1
#define MFT_BLOCK_BASIC 1u
#define MFT_NET_BASIC 2u
#define MFT_RESERVED_FIRST 0x40000000u

struct mft {
    uint32_t version;
    uint32_t entries;
};

struct mft_entry {
    char name[68];
    uint32_t type;
    union {
        struct { uint64_t capacity; uint16_t block_size; } block;
        struct { uint8_t mac[6]; uint16_t mtu; } net;
    } u;
    union { int hostfd; void *data; } b;
    bool attached;
};

_Static_assert(sizeof(struct mft_entry) == 104, "mft_entry layout");
_Static_assert(sizeof(struct hvt_boot_info) == 56, "hvt_boot_info layout");

/* An ELF note owned by "Solo5": 12-byte header, the name padded to 8, then the descriptor. */
struct solo5_note_header {
    uint32_t namesz;
    uint32_t descsz;
    uint32_t type;
    char name[8];
};

#endif
