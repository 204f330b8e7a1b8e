// The KVM userspace API as data: ioctl requests, capabilities, exit reasons and struct layouts (linux/kvm.h, x86_64).
import { io, ior, iow, iowr } from './ioctl-request';

const KVMIO = 0xae;

/** Struct sizes in bytes, as the kernel's uapi headers define them on x86_64. */
export const KVM_STRUCT_SIZE = {
  kvm_userspace_memory_region: 32,
  kvm_regs: 144,
  kvm_sregs: 312,
  kvm_segment: 24,
  kvm_dtable: 16,
  kvm_cpuid2_header: 8,
  kvm_cpuid_entry2: 40,
  kvm_run: 2352,
  kvm_ioeventfd: 64,
} as const;

export const KVM_API_VERSION = 12;

export const KVM_GET_API_VERSION = io(KVMIO, 0x00);
export const KVM_CREATE_VM = io(KVMIO, 0x01);
export const KVM_CHECK_EXTENSION = io(KVMIO, 0x03);
export const KVM_GET_VCPU_MMAP_SIZE = io(KVMIO, 0x04);
export const KVM_GET_SUPPORTED_CPUID = iowr(KVMIO, 0x05, KVM_STRUCT_SIZE.kvm_cpuid2_header);
export const KVM_CREATE_VCPU = io(KVMIO, 0x41);
export const KVM_SET_USER_MEMORY_REGION = iow(KVMIO, 0x46, KVM_STRUCT_SIZE.kvm_userspace_memory_region);
export const KVM_RUN = io(KVMIO, 0x80);
export const KVM_GET_REGS = ior(KVMIO, 0x81, KVM_STRUCT_SIZE.kvm_regs);
export const KVM_SET_REGS = iow(KVMIO, 0x82, KVM_STRUCT_SIZE.kvm_regs);
export const KVM_GET_SREGS = ior(KVMIO, 0x83, KVM_STRUCT_SIZE.kvm_sregs);
export const KVM_SET_SREGS = iow(KVMIO, 0x84, KVM_STRUCT_SIZE.kvm_sregs);
export const KVM_SET_CPUID2 = iow(KVMIO, 0x90, KVM_STRUCT_SIZE.kvm_cpuid2_header);
export const KVM_GET_TSC_KHZ = io(KVMIO, 0xa3);
export const KVM_IOEVENTFD = iow(KVMIO, 0x79, KVM_STRUCT_SIZE.kvm_ioeventfd);

export const KVM_CAP_USER_MEMORY = 3;
export const KVM_CAP_GET_TSC_KHZ = 61;
export const KVM_CAP_IOEVENTFD = 36;

/** struct kvm_ioeventfd: datamatch u64, addr u64, len u32, fd s32, flags u32 (then padding to 64 bytes). */
export const KVM_IOEVENTFD_OFFSET = { datamatch: 0, addr: 8, len: 16, fd: 20, flags: 24 } as const;
export const KVM_IOEVENTFD_FLAG_PIO = 2;

export const KVM_EXIT_IO = 2;
export const KVM_EXIT_DEBUG = 4;
export const KVM_EXIT_HLT = 5;
export const KVM_EXIT_MMIO = 6;
export const KVM_EXIT_SHUTDOWN = 8;
export const KVM_EXIT_FAIL_ENTRY = 9;
export const KVM_EXIT_INTERNAL_ERROR = 17;

export const KVM_EXIT_IO_OUT = 1;

/** Byte offsets inside the mmapped `struct kvm_run`. */
export const KVM_RUN_OFFSET = {
  exit_reason: 8,
  io_direction: 32,
  io_size: 33,
  io_port: 34,
  io_count: 36,
  io_data_offset: 40,
  mmio_phys_addr: 32,
  mmio_data: 40,
  mmio_len: 48,
  mmio_is_write: 52,
  fail_entry_reason: 32,
  internal_suberror: 32,
} as const;

/** Byte offsets of fields in `struct kvm_regs`. */
export const KVM_REGS_OFFSET = {
  rax: 0, rbx: 8, rcx: 16, rdx: 24, rsi: 32, rdi: 40, rsp: 48, rbp: 56,
  rip: 128, rflags: 136,
} as const;

/** Byte offsets of fields in `struct kvm_sregs`. */
export const KVM_SREGS_OFFSET = {
  cs: 0, ds: 24, es: 48, fs: 72, gs: 96, ss: 120, tr: 144, ldt: 168,
  gdt: 192, idt: 208,
  cr0: 224, cr2: 232, cr3: 240, cr4: 248, cr8: 256, efer: 264, apic_base: 272,
} as const;

/** Byte offsets inside `struct kvm_segment`. */
export const KVM_SEGMENT_OFFSET = {
  base: 0, limit: 8, selector: 12, type: 14, present: 15, dpl: 16, db: 17, s: 18, l: 19, g: 20, avl: 21,
  unusable: 22,
} as const;
