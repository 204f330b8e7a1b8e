// The monitor's confinement once the guest is about to run: the seccomp filter of src/seccomp/, installed just
// before the first KVM_RUN, when everything privileged (devices, TAPs, the network wiring) is done.
import { installProcessFilter } from '../../ffi/seccomp';
import { encodeFilters } from '../../seccomp/bpf-builder';
import { SeccompMode, monitorFilter } from '../../seccomp/seccomp-filter';
import { MonitorError } from '../monitor-error';

type FilteringMode = Exclude<SeccompMode, 'off'>;
const programs = new Map<FilteringMode, Uint8Array>();

function fail(error: unknown): never {
  throw new MonitorError(`seccomp: ${(error as Error).message} (RUNCC_SECCOMP=off runs without the filter)`);
}

function programFor(mode: FilteringMode): Uint8Array {
  let program = programs.get(mode);
  if (program === undefined) {
    program = encodeFilters(monitorFilter(mode));
    programs.set(mode, program);
  }
  return program;
}

/**
 * Builds the filter for `mode` ahead of confine(mode), which then only installs it: a pre-started monitor does this
 * before it knows its guest (building it takes most of a millisecond).
 */
export function prepareConfinement(mode: SeccompMode): void {
  if (mode === 'off') return;
  try {
    programFor(mode);
  } catch (error) {
    fail(error);
  }
}

export function confine(mode: SeccompMode): void {
  if (mode === 'off') return;
  try {
    installProcessFilter(programFor(mode));
  } catch (error) {
    fail(error);
  }
}
