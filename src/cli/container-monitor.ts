// The container process of a unikernel container. It starts before its configuration exists (runtime/monitor-
// handoff.ts): opens /dev/kvm, creates the VM and vCPU, reserves guest memory, says "booted" on fd 3, and waits for
// its configuration there; then prepares the VM, says "ready", waits at the start gate (a FIFO that `runcc start`
// opens), runs the guest and exits with its status. `runcc create` spawns it and configures it once its own work is
// done; the shim's pool keeps a few booted and configures one per container.
// Usage (by the runtime only): container-monitor --reserve-mib=N
import './no-debugger-door';
import { closeSync, writeSync } from 'node:fs';
import { takeControllingTerminal } from '../ffi/console';
import { closeDescriptor, duplicateOnto } from '../ffi/fd-passing';
import { MonitorError, monitorFailure } from '../monitor/monitor-error';
import { exitMonitor } from '../monitor/monitor-exit';
import { DEFAULT_MEM_MIB, NetAttachment, netRingFromEnv } from '../monitor/monitor-config';
import { LateBootConfig, PreparedVm, ReservedVm, checkKernel, prepareVm, reserveVm } from '../monitor/vm-boot';
import { ContainerMonitorConfig, reserveFromArgs } from '../runtime/monitor-launch';
import { HANDOFF_FD, HandoffError, ReceivedConfiguration, receiveConfiguration, tellLauncher } from '../runtime/monitor-handoff';
import { wireGuestNetwork } from '../net/container-network';
import { recordedWiring, unwire } from '../net/network-teardown';
import { guestArgs } from '../net/guest-network-args';
import { NetworkError } from '../net/network-error';
import { RuntimeError } from '../runtime/runtime-error';
import { prepareStartGate, waitAtStartGate } from '../runtime/start-gate';
import { SECCOMP_ENV, SECCOMP_MODES, SeccompMode, seccompMode } from '../seccomp/seccomp-filter';
import { prepareConfinement } from '../monitor/confinement/seccomp-install';

const PROG = 'runcc';

function stderr(line: string): void {
  try {
    writeSync(2, `${PROG}: ${line}\n`);
  } catch {
    // the container's stderr is gone; nothing else to tell
  }
}

function sayAndClose(message: Parameters<typeof tellLauncher>[0]): void {
  tellLauncher(message);
  try {
    closeSync(HANDOFF_FD);
  } catch {
    // already closed
  }
}

/** Puts the received descriptors where the configuration says: stdio onto 0-2, TAP indices into fd numbers. */
function applyDescriptors(received: ReceivedConfiguration): ContainerMonitorConfig {
  const { message, fds } = received;
  if (message.stdio) {
    message.stdio.forEach((index, target) => duplicateOnto(fds[index], target));
  }
  const tapFds = new Set<number>();
  const nets: NetAttachment[] = message.config.nets.map((n) => {
    if (n.backend?.kind !== 'fd') return n;
    tapFds.add(n.backend.fd);
    return { ...n, backend: { ...n.backend, fd: fds[n.backend.fd] } };
  });
  // The stdio copies are on 0-2 now; TAP fds stay as received (the VM reads and writes them).
  fds.forEach((fd, index) => {
    if (!tapFds.has(index)) closeDescriptor(fd);
  });
  return { ...message.config, nets };
}

async function main(argv: readonly string[]): Promise<number> {
  let vm: PreparedVm;
  let config: ContainerMonitorConfig;
  let stateDir: string;
  let seccomp: SeccompMode | undefined;
  let reserved: ReservedVm;
  try {
    seccomp = seccompMode(process.env[SECCOMP_ENV]);
    if (seccomp === undefined) throw new MonitorError(`${SECCOMP_ENV}=${process.env[SECCOMP_ENV]}: expected one of ${SECCOMP_MODES.join(', ')}`);
    reserved = reserveVm(reserveFromArgs(argv) ?? DEFAULT_MEM_MIB);
    // What the guest's start needs whatever the guest is, done before the configuration is waited for.
    prepareConfinement(seccomp);
    prepareStartGate();
  } catch (error) {
    sayAndClose({ type: 'error', message: monitorFailure(error).message.replace(/\n/g, '; ') });
    return 1;
  }
  tellLauncher({ type: 'booted' });
  try {
    const received = receiveConfiguration();
    stateDir = received.message.stateDir;
    config = applyDescriptors(received);
    if (config.terminal) takeControllingTerminal(0);
    vm = prepareVm(checkKernel(config.kernelPath), { ...config, netRing: netRingFromEnv(process.env) }, { report: stderr, exit: (code) => process.exit(code), seccomp }, reserved);
  } catch (error) {
    const message = error instanceof HandoffError ? error.message : monitorFailure(error).message;
    sayAndClose({ type: 'error', message: message.replace(/\n/g, '; ') });
    return 1;
  }
  sayAndClose({ type: 'ready' });
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
    // (Not for TAPs the launcher wired elsewhere: this process is not in their namespace.)
    if (!config.confinement && seccomp === 'off' && config.netDevices.length > 0) process.on('exit', () => unwire(recordedWiring(stateDir)));
    const network = wireGuestNetwork(config.containerId, config.netDevices, stateDir);
    // TAPs the launcher opened and sent (config.nets) and those wired here (its netns's interfaces) both attach.
    const late: LateBootConfig = { nets: network.nets, guestArgs: guestArgs(config.netFormat, network.ipv4, config.guestArgs) };
    return await vm.run(late, stateDir);
  } catch (error) {
    const failure = error instanceof NetworkError ? new MonitorError(error.message) : monitorFailure(error);
    for (const line of failure.message.split('\n')) stderr(line);
    return failure.exitCode;
  }
}

main(process.argv.slice(2)).then(exitMonitor);
