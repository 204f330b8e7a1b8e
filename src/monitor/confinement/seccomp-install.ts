// The monitor's confinement once the guest is about to run: the seccomp filter of src/seccomp/, installed just
// before the first KVM_RUN, when everything privileged (devices, TAPs, the network wiring) is done.
import { installProcessFilter } from '../../ffi/seccomp';
import { encodeFilters } from '../../seccomp/bpf-builder';
import { SeccompMode, monitorFilter } from '../../seccomp/seccomp-filter';
import { MonitorError } from '../monitor-error';

export function confine(mode: SeccompMode): void {
  if (mode === 'off') return;
  try {
    installProcessFilter(encodeFilters(monitorFilter(mode)));
  } catch (error) {
    throw new MonitorError(`seccomp: ${(error as Error).message} (RUNCC_SECCOMP=off runs without the filter)`);
  }
}
