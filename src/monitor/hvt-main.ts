// The solo5-hvt-compatible monitor: argument passes, executable checks, VM setup, run (ABI reference §1.2).
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { HVT_ABI_VERSION } from '../solo5/abi';
import { confinementFromEnv, netRingFromEnv } from './monitor-config';
import { monitorFailure } from './monitor-error';
import { locateKernel, parseOptions, usageText } from './options';
import { checkKernel, prepareVm } from './vm-boot';
import { SeccompMode } from '../seccomp/seccomp-filter';

export interface MonitorHost {
  /** Program name used as the message prefix and in the usage text ("runcc-hvt"). */
  prog: string;
  version: string;
  /** Writes operator-facing text to standard error. */
  writeStderr(text: string): void;
  /** Ends the process at once (signals). */
  exit(code: number): never;
  /** The seccomp filter mode (RUNCC_SECCOMP). */
  seccomp?: SeccompMode;
}

function report(host: MonitorHost, message: string): void {
  host.writeStderr(message.split('\n').map((line) => `${host.prog}: ${line}\n`).join(''));
}

async function boot(argv: readonly string[], host: MonitorHost): Promise<number> {
  const located = locateKernel(argv);
  if (located.kind === 'help') {
    host.writeStderr(usageText(host.prog));
    return 1;
  }
  if (located.kind === 'version') {
    host.writeStderr(`${host.prog} tender, version ${host.version}\nABI version ${HVT_ABI_VERSION}\n`);
    return 0;
  }
  const kernel = checkKernel(argv[located.index]);
  const config = { ...parseOptions(argv, located.index), confinement: confinementFromEnv(process.env), netRing: netRingFromEnv(process.env) };
  const vm = prepareVm(kernel, config, { report: (message) => report(host, message), exit: host.exit, seccomp: host.seccomp });
  // The empty root is made (and removed at once) on a local filesystem.
  return vm.run(undefined, existsSync('/run') ? '/run' : tmpdir());
}

/**
 * Runs `runcc hvt ARGS` and resolves to the process exit status: the guest's halt status, or 1 with a message on
 * stderr for every error (never a stack trace).
 */
export async function hvtMain(argv: readonly string[], host: MonitorHost): Promise<number> {
  try {
    return await boot(argv, host);
  } catch (error) {
    const failure = monitorFailure(error);
    report(host, failure.message);
    if (failure.withUsage) host.writeStderr(usageText(host.prog));
    return failure.exitCode;
  }
}
