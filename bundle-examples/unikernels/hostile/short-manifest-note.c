/* short-manifest-note: an MFT1 note whose descsz (1) is smaller than its alignment padding. */
#include "runtime.h"
#include "notes.h"

RUNCC_ABI_NOTE();

__attribute__((section(".note.solo5.manifest"), used, aligned(8)))
const struct { struct solo5_note_header h; uint8_t desc[4]; } runcc_manifest_note = {
    .h = { .namesz = 6, .descsz = 1, .type = SOLO5_NOTE_MFT1, .name = "Solo5" },
};

int app_main(const char *cmdline)
{
    (void)cmdline;
    return 3;
}
