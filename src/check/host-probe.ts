// The real machine, as `runcc check` reads it.
import { closeSync, existsSync, openSync, readFileSync } from 'node:fs';
import { commandPath } from '../host/commands';
import { kvmKind } from '../host/kvm-device';
import { HostProbe } from './requirements';

/** KVM modules by preference: hardware vendors first, then paravirtual implementations seen on cloud VMs. */
const KVM_MODULES = ['kvm_intel', 'kvm_amd', 'kvm_pvm'];

export const HOST_PROBE: HostProbe = {
  kvm: () => kvmKind(),
  kvmModule: () => KVM_MODULES.find((name) => existsSync(`/sys/module/${name}`)),
  openError: (path) => {
    try {
      closeSync(openSync(path, 'r+'));
      return undefined;
    } catch (error) {
      return (error as NodeJS.ErrnoException).code ?? String(error);
    }
  },
  command: (name) => commandPath(name),
  readFile: (path) => {
    try {
      return readFileSync(path, 'utf8');
    } catch {
      return undefined;
    }
  },
  exists: (path) => existsSync(path),
};
