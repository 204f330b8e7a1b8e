/*
 * The two Solo5 notes every hvt unikernel carries, emitted at build time:
 *  - ABI1 (target, version), in .note.solo5.abi;
 *  - MFT1, the application manifest (reserved entry 0 + declared devices), in .note.solo5.manifest.
 * RUNCC_ABI_TARGET / RUNCC_ABI_VERSION exist so hostile test guests can lie about them.
 * Our runtime adds a third note of its own (runtime.c): "runcc"/NET1, naming the format in which the guest reads its
 * network configuration from the command line, so that runcc passes addresses only to guests that read them.
 */
#ifndef RUNCC_NOTES_H
#define RUNCC_NOTES_H

#include "hvt-abi.h"

#ifndef RUNCC_ABI_TARGET
#define RUNCC_ABI_TARGET HVT_ABI_TARGET
#endif
#ifndef RUNCC_ABI_VERSION
#define RUNCC_ABI_VERSION HVT_ABI_VERSION
#endif

struct abi1_note {
    struct solo5_note_header h;
    struct { uint32_t target, version, reserved0, reserved1; } abi;
};

#ifdef RUNCC_OMIT_ABI_NOTE
#define RUNCC_ABI_NOTE() struct runcc_no_abi_note
#else
#define RUNCC_ABI_NOTE()                                                                  \
    __attribute__((section(".note.solo5.abi"), used, aligned(4)))                         \
    const struct abi1_note runcc_abi_note = {                                             \
        .h = { .namesz = 6, .descsz = sizeof(runcc_abi_note.abi), .type = SOLO5_NOTE_ABI1, \
               .name = "Solo5" },                                                         \
        .abi = { .target = RUNCC_ABI_TARGET, .version = RUNCC_ABI_VERSION },              \
    }
#endif

/* A manifest with N entries; entry 0 must be the reserved one. descsz counts the 4 alignment bytes too. */
#define RUNCC_MANIFEST_NOTE(N, ...)                                                        \
    struct mft##N##_note {                                                                \
        struct solo5_note_header h;                                                       \
        struct { uint32_t version, entries; struct mft_entry e[N]; } __attribute__((aligned(8))) m; \
    };                                                                                    \
    __attribute__((section(".note.solo5.manifest"), used, aligned(8)))                    \
    const struct mft##N##_note runcc_manifest_note = {                                    \
        .h = { .namesz = 6, .descsz = sizeof(struct mft##N##_note) - sizeof(struct solo5_note_header), \
               .type = SOLO5_NOTE_MFT1, .name = "Solo5" },                                \
        .m = __VA_ARGS__,                                                                 \
    }

/* The runcc NET1 note: owner "runcc", the format name NUL-padded to 8 bytes ("runcc": DEVICE.ipv4=A/N words). */
#define RUNCC_NOTE_NET1 0x3154454eu
struct net1_note {
    struct solo5_note_header h;
    char format[8];
};

#define RUNCC_NET_FORMAT_NOTE(FORMAT)                                                     \
    __attribute__((section(".note.runcc"), used, aligned(4)))                             \
    const struct net1_note runcc_net_format_note = {                                      \
        .h = { .namesz = 6, .descsz = sizeof(runcc_net_format_note.format), .type = RUNCC_NOTE_NET1, \
               .name = "runcc" },                                                         \
        .format = FORMAT,                                                                 \
    }

#define MFT_RESERVED_ENTRY { .name = "", .type = MFT_RESERVED_FIRST }

/* The manifest of a unikernel that uses no devices. */
#define RUNCC_NO_DEVICES() \
    RUNCC_MANIFEST_NOTE(1, { .version = MFT_VERSION, .entries = 1, .e = { MFT_RESERVED_ENTRY } })

#endif
