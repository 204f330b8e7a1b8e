// The single place that picks the guest architecture: the host's, since KVM runs guests of the host's kind.
import { EM_X86_64 } from '../../elf/elf64';
import { MonitorError } from '../monitor-error';
import { GuestArch } from './guest-arch';
import { decodeHypercall } from './x86_64/hypercall-exit';
import { X86_BOOT_INFO_BASE, X86_GUEST_MAX_MEM_BYTES, X86_GUEST_PAGE_BYTES, X86_MIN_LOAD_ADDR, X86_PAGE_BYTES } from './x86_64/layout';
import { initVcpu, setupVcpu } from './x86_64/vcpu-setup';

const x86_64: GuestArch = {
  name: 'x86_64',
  elfMachine: EM_X86_64,
  pageBytes: X86_PAGE_BYTES,
  minLoadAddr: X86_MIN_LOAD_ADDR,
  bootInfoBase: X86_BOOT_INFO_BASE,
  memGranuleBytes: X86_GUEST_PAGE_BYTES,
  maxMemBytes: X86_GUEST_MAX_MEM_BYTES,
  initVcpu,
  setupVcpu,
  decodeHypercall,
};

export function hostArch(): GuestArch {
  if (process.arch === 'x64') return x86_64;
  throw new MonitorError(`unsupported host architecture: ${process.arch} (runcc runs hvt guests on x86_64)`);
}
