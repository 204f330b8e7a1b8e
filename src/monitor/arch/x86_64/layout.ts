// Guest-physical memory map of an hvt guest on x86_64 (ABI reference §3.2). Identity-mapped: GVA == GPA.
import { Gpa, gpa } from '../../guest-address';

export const X86_PAGE_BYTES = 0x1000;
/** The guest's 2 MiB large pages: memory sizes are multiples of this. */
export const X86_GUEST_PAGE_BYTES = 0x20_0000;
/** Four page directories of 512 × 2 MiB entries: the page tables cover at most 4 GiB. */
export const X86_GUEST_MAX_MEM_BYTES = 4 * 512 * X86_GUEST_PAGE_BYTES;

/** Boot GDT: null, code, data descriptors. Never read by the CPU: only the hidden segment caches matter. */
export const X86_GDT_BASE: Gpa = gpa(0x1000);
export const X86_GDT_ENTRIES = 3;
export const X86_GDT_LIMIT = X86_GDT_ENTRIES * 8 - 1;
/** Page-map level 4 (one entry used). */
export const X86_PML4_BASE: Gpa = gpa(0x2000);
/** Page-directory-pointer table: four entries, one per GiB. */
export const X86_PDPT_BASE: Gpa = gpa(0x3000);
/** Four page directories (PD0..PD3), 2 MiB entries; PD0[0] points at PT0 instead. */
export const X86_PD_BASE: Gpa = gpa(0x4000);
export const X86_PD_COUNT = 4;
/** 4 KiB page table for the first 2 MiB, so the low 64 KiB can be left unmapped and boot info read-only. */
export const X86_PT0_BASE: Gpa = gpa(0x8000);
/** hvt_boot_info, then the manifest copy, then the command line; read-only to the guest. */
export const X86_BOOT_INFO_BASE: Gpa = gpa(0x10000);
/** Lowest address an ELF segment may occupy. */
export const X86_MIN_LOAD_ADDR: Gpa = gpa(0x100000);

export const X86_SEL_CODE = 0x08;
export const X86_SEL_DATA = 0x10;
