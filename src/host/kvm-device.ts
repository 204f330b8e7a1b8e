// What /dev/kvm is on this machine: absent, not openable, backed by hardware virtualization, or a paravirtual
// implementation. Shared by `runcc check`, the set-up step and the sandbox launcher (scripts/with-kvm.ts).
import { closeSync, existsSync, openSync } from 'node:fs';

export type KvmKind = 'absent' | 'no-access' | 'hardware' | 'paravirtual';

export interface KvmProbe {
  /** Throws like open(2) does (ENOENT, EACCES, …) when /dev/kvm cannot be opened read-write. */
  openKvm(): void;
  /** True when the named kernel module is loaded or built in (/sys/module/NAME). */
  moduleLoaded(name: string): boolean;
}

export const HOST_KVM_PROBE: KvmProbe = {
  openKvm: () => closeSync(openSync('/dev/kvm', 'r+')),
  moduleLoaded: (name) => existsSync(`/sys/module/${name}`),
};

/** The vendor modules whose /dev/kvm runs guests on the CPU itself. */
const HARDWARE_KVM_MODULES = ['kvm_intel', 'kvm_amd'];

/**
 * Some cloud VMs offer a /dev/kvm backed by a paravirtual implementation (e.g. kvm_pvm) that emulates privileged
 * guest instructions and fails on SSE; it does not behave like the KVM users run unikernels on, so it counts apart.
 */
export function kvmKind(probe: KvmProbe = HOST_KVM_PROBE): KvmKind {
  try {
    probe.openKvm();
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'absent' : 'no-access';
  }
  return HARDWARE_KVM_MODULES.some((name) => probe.moduleLoaded(name)) ? 'hardware' : 'paravirtual';
}

/** True when /dev/kvm opens and is backed by hardware virtualization (kvm_intel or kvm_amd). */
export function hostHasKvm(probe: KvmProbe = HOST_KVM_PROBE): boolean {
  return kvmKind(probe) === 'hardware';
}
