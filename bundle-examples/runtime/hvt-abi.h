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
