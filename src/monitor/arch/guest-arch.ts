// What the monitor needs from a guest architecture; x86_64/ implements it, aarch64/ will sit beside it.
import { GuestMemory } from '../guest-memory';
import { Gpa } from '../guest-address';
import { KvmVm } from '../kvm/kvm-vm';

export interface GuestArch {
  name: string;
  /** e_machine the ELF loader accepts. */
  elfMachine: number;
  /** Page size segment protections are aligned to. */
  pageBytes: number;
  minLoadAddr: Gpa;
  bootInfoBase: Gpa;
  /** Guest memory is a multiple of this, at least one of it. */
  memGranuleBytes: number;
  maxMemBytes: number;
  /**
   * What the vCPU gets whatever its guest (x86_64: the CPUID leaves); returns the CPU cycle frequency in Hz. Done
   * once the vCPU exists: a pre-started monitor does it before it knows its guest.
   */
  initVcpu(vm: KvmVm): number;
  /** Writes the guest's page tables etc. and sets the vCPU's registers for `entry`. */
  setupVcpu(vm: KvmVm, memory: GuestMemory, entry: number): void;
  /** `gpa * 16 + nr` for a hypercall exit, -1 for any other exit; bad hypercall exits end the monitor. */
  decodeHypercall(run: DataView, exitReason: number): number;
}
