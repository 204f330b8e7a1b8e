// The container process of a unikernel container: prepares the VM, reports readiness to `runcc create` on fd 3,
// waits at the start gate (a FIFO that `runcc start` opens), then runs the guest and exits with its status.
// Usage (by the runtime only): container-monitor STATE_DIR
import './no-debugger-door';
import { closeSync, readFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { takeControllingTerminal } from '../ffi/console';
import { MonitorError, monitorFailure } from '../monitor/monitor-error';
import { LateBootConfig, checkKernel, prepareVm } from '../monitor/vm-boot';
import { CONTAINER_MONITOR_CONFIG, ContainerMonitorConfig, READY_FD, READY_LINE } from '../runtime/monitor-launch';
import { recordedWiring, unwire, wireGuestNetwork } from '../net/container-network';
import { guestArgs } from '../net/guest-network-args';
import { NetworkError } from '../net/network-error';
import { RuntimeError } from '../runtime/runtime-error';
import { waitAtStartGate } from '../runtime/start-gate';
import { SECCOMP_ENV, SECCOMP_MODES, SeccompMode, seccompMode } from '../seccomp/seccomp-filter';

const PROG = 'runcc';

function stderr(line: string): void {
  try {
    writeSync(2, `${PROG}: ${line}\n`);
  } catch {
    // the container's stderr is gone; nothing else to tell
  }
}

function tellCreator(line: string): void {
  writeSync(READY_FD, `${line}\n`);
  closeSync(READY_FD);
}

async function main(stateDir: string): Promise<number> {
  let vm;
  let config: ContainerMonitorConfig;
  let seccomp: SeccompMode | undefined;
  try {
    seccomp = seccompMode(process.env[SECCOMP_ENV]);
    if (seccomp === undefined) throw new MonitorError(`${SECCOMP_ENV}=${process.env[SECCOMP_ENV]}: expected one of ${SECCOMP_MODES.join(', ')}`);
    config = JSON.parse(readFileSync(join(stateDir, CONTAINER_MONITOR_CONFIG), 'utf8')) as ContainerMonitorConfig;
    if (config.terminal) takeControllingTerminal(0);
    vm = prepareVm(checkKernel(config.kernelPath), config, {
      report: stderr,
      exit: (code) => process.exit(code),
      seccomp,
    });
  } catch (error) {
    tellCreator(`error: ${monitorFailure(error).message.replace(/\n/g, '; ')}`);
    return 1;
  }
  tellCreator(READY_LINE);
  try {
    await waitAtStartGate(stateDir);
  } catch (error) {
    stderr(error instanceof RuntimeError ? error.message : monitorFailure(error).message);
    return 1;
  }
  try {
    // The TAPs go with this process. The redirects on the container's interfaces are undone by `runcc delete`: a
    // confined monitor can no longer run tc (no capabilities, an empty root, no child processes under seccomp); an
    // unconfined one without the filter undoes them itself as well when it exits.
    if (!config.confinement && seccomp === 'off') process.on('exit', () => unwire(recordedWiring(stateDir)));
    const network = wireGuestNetwork(config.containerId, config.netDevices, stateDir);
    const late: LateBootConfig = { nets: network.nets, guestArgs: guestArgs(config.netFormat, network.ipv4, config.guestArgs) };
    return await vm.run(late, stateDir);
  } catch (error) {
    const failure = error instanceof NetworkError ? new MonitorError(error.message) : monitorFailure(error);
    for (const line of failure.message.split('\n')) stderr(line);
    return failure.exitCode;
  }
}

main(process.argv[2]).then((status) => process.exit(status));
