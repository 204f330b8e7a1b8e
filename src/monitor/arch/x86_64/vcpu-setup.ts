// Brings an hvt vCPU to its entry state on x86_64: CPUID and TSC frequency (guest-independent), then GDT, page
// tables, sregs and regs for the guest.
import {
  KVM_CAP_GET_TSC_KHZ,
  KVM_GET_SUPPORTED_CPUID,
  KVM_GET_TSC_KHZ,
  KVM_SET_CPUID2,
  KVM_SET_REGS,
  KVM_SET_SREGS,
} from '../../../ffi/kvm-api';
import { EIO, errno, libc, strerror } from '../../../ffi/libc';
import { GuestMemory } from '../../guest-memory';
import { KvmVm } from '../../kvm/kvm-vm';
import { fatal } from '../../monitor-error';
import { writeGdt } from './gdt';
import { X86_BOOT_INFO_BASE } from './layout';
import { writePageTables } from './page-tables';
import { buildRegs, buildSregs } from './vcpu-registers';

/** Entries reserved for KVM_GET_SUPPORTED_CPUID, as the Solo5 tender does. */
const CPUID_MAX_ENTRIES = 100;

/** Passes the host's KVM-supported CPUID leaves to the guest unchanged. */
function setCpuid(vm: KvmVm): void {
  const cpuid = vm.scratch.data;
  cpuid.setUint32(0, CPUID_MAX_ENTRIES, true); // nent
  cpuid.setUint32(4, 0, true); // padding
  if (libc.ioctl(vm.kvmFd, KVM_GET_SUPPORTED_CPUID, vm.scratch.address) < 0) {
    fatal(`KVM: ioctl (GET_SUPPORTED_CPUID) failed: ${strerror(errno())}`);
  }
  vm.ioctl(vm.vcpuFd, KVM_SET_CPUID2, vm.scratch.address, 'SET_CPUID2');
}

/** The guest's TSC frequency in Hz: guests derive monotonic time from RDTSC and this. */
function tscHz(vm: KvmVm): number {
  if (vm.checkExtension(KVM_CAP_GET_TSC_KHZ) !== 1) fatal('host does not support KVM_CAP_GET_TSC_KHZ');
  const khz = libc.ioctl(vm.vcpuFd, KVM_GET_TSC_KHZ, 0);
  if (khz < 0) {
    const error = errno();
    if (error === EIO) fatal('KVM: host TSC is unstable, cannot continue');
    fatal(`KVM: ioctl (GET_TSC_KHZ) failed: ${strerror(error)}`);
  }
  return khz * 1000;
}

/**
 * The vCPU's CPUID leaves and the TSC frequency (Hz) for the boot info: neither depends on the guest, and
 * KVM_GET_SUPPORTED_CPUID alone costs about half a millisecond, so a pre-started monitor has them done early.
 */
export function initVcpu(vm: KvmVm): number {
  setCpuid(vm);
  return tscHz(vm);
}

/** Sets up guest low memory and the vCPU's registers. */
export function setupVcpu(vm: KvmVm, memory: GuestMemory, entry: number): void {
  writeGdt(memory.data);
  writePageTables(memory.data, memory.allocBytes);
  buildSregs(vm.scratch.data);
  vm.ioctl(vm.vcpuFd, KVM_SET_SREGS, vm.scratch.address, 'SET_SREGS');
  buildRegs(vm.scratch.data, entry, memory.guestSizeBytes, X86_BOOT_INFO_BASE);
  vm.ioctl(vm.vcpuFd, KVM_SET_REGS, vm.scratch.address, 'SET_REGS');
}
