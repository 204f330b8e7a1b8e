// Wires a container's network namespace to its guest at `runcc start` (engines and CNI configure eth0 after
// `create`): per guest net device, a TAP of this container, and tc ingress + mirred redirects both ways between the
// TAP and a container interface, whose MAC and IPv4 configuration the guest takes over. Runs inside the netns.
// What was wired is recorded first, so `runcc delete` removes exactly that, even after the monitor was killed.
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createTap } from '../ffi/tap';
import { libc } from '../ffi/libc';
import { NetAttachment } from '../monitor/monitor-config';
import { NetworkError } from './network-error';
import { GuestIpv4 } from './guest-network-args';
import { Ipv4Interface, listFreeIpv4Interfaces } from './netns-interfaces';

/** The record of a container's wiring, in its state directory. */
export const NETWORK_RECORD = 'network.json';

export interface WiredInterface {
  ifname: string;
  tap: string;
}

export interface GuestNetwork {
  nets: NetAttachment[];
  ipv4: GuestIpv4[];
}

/** A TAP name unique to the container and device index, within IFNAMSIZ: `rcc` + 8 hex digits + `n` + index. */
export function tapName(containerId: string, index: number): string {
  return `rcc${createHash('sha256').update(containerId).digest('hex').slice(0, 8)}n${index}`;
}

function run(program: string, args: readonly string[]): void {
  try {
    execFileSync(program, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (error) {
    const stderr = (error as { stderr?: Buffer }).stderr?.toString().trim();
    throw new NetworkError(`${program} ${args.join(' ')} failed: ${stderr || (error as Error).message}`);
  }
}

/** Best effort: used on paths that clean up, where the thing may already be gone. */
function tryRun(argv: readonly string[]): void {
  try {
    execFileSync(argv[0], argv.slice(1), { stdio: 'ignore' });
  } catch {
    // already gone
  }
}

function macBytes(mac: string): Uint8Array {
  return new Uint8Array(mac.split(':').map((h) => parseInt(h, 16)));
}

/** Redirects every frame arriving on `from` out of `to` (a u32 match-all filter with a mirred egress redirect). */
function redirect(from: string, to: string): void {
  run('tc', ['qdisc', 'add', 'dev', from, 'ingress']);
  run('tc', ['filter', 'add', 'dev', from, 'parent', 'ffff:', 'protocol', 'all', 'u32', 'match', 'u32', '0', '0',
    'action', 'mirred', 'egress', 'redirect', 'dev', to]);
}

/**
 * Removes the redirects and TAPs in `wired`; idempotent. `prefix` runs the commands elsewhere (`nsenter --net=PATH
 * --` from `runcc delete`); without it they run in the current netns.
 */
export function unwire(wired: readonly WiredInterface[], prefix: readonly string[] = []): void {
  for (const w of wired) {
    tryRun([...prefix, 'tc', 'qdisc', 'del', 'dev', w.ifname, 'ingress']);
    tryRun([...prefix, 'ip', 'link', 'del', 'dev', w.tap]);
  }
}

/**
 * Gives each of the guest's `devices` (manifest order) the next free IPv4 interface of this netns. Opens the TAPs
 * (their fds go to the VM), records them in `stateDir`, then redirects; on failure undoes everything.
 */
export function wireGuestNetwork(containerId: string, devices: readonly string[], stateDir: string): GuestNetwork {
  if (devices.length === 0) return { nets: [], ipv4: [] };
  const free = listFreeIpv4Interfaces();
  if (free.length < devices.length) {
    const missing = devices.slice(free.length).join(', ');
    throw new NetworkError(
      `the unikernel's net device${devices.length - free.length > 1 ? 's' : ''} ${missing} ha${devices.length - free.length > 1 ? 've' : 's'} no interface: ` +
        `the container's network namespace has ${free.length} free interface${free.length === 1 ? '' : 's'} with an IPv4 address (${free.map((i) => i.ifname).join(', ') || 'none'})`,
    );
  }
  const chosen: Ipv4Interface[] = free.slice(0, devices.length);
  const wired: WiredInterface[] = chosen.map((i, index) => ({ ifname: i.ifname, tap: tapName(containerId, index) }));
  const record = join(stateDir, NETWORK_RECORD);
  writeFileSync(`${record}.tmp`, JSON.stringify(wired));
  renameSync(`${record}.tmp`, record);
  const fds: number[] = [];
  try {
    chosen.forEach((iface, index) => {
      const tap = wired[index].tap;
      fds.push(createTap(tap));
      run('ip', ['link', 'set', 'dev', tap, 'mtu', String(iface.mtu), 'up']);
      redirect(iface.ifname, tap);
      redirect(tap, iface.ifname);
    });
  } catch (error) {
    for (const fd of fds) libc.close(fd);
    unwire(wired);
    rmSync(join(stateDir, NETWORK_RECORD), { force: true });
    throw error;
  }
  return {
    nets: devices.map((name, index) => ({
      name,
      backend: { kind: 'fd', fd: fds[index] },
      option: `--net:${name}=${wired[index].tap}`,
      mac: macBytes(chosen[index].mac),
    })),
    ipv4: devices.map((device, index) => ({
      device,
      address: chosen[index].address,
      prefixLength: chosen[index].prefixLength,
      ...(chosen[index].gateway ? { gateway: chosen[index].gateway } : {}),
    })),
  };
}

/** The wiring recorded in `stateDir`, or none. */
export function recordedWiring(stateDir: string): WiredInterface[] {
  try {
    return JSON.parse(readFileSync(join(stateDir, NETWORK_RECORD), 'utf8')) as WiredInterface[];
  } catch {
    return [];
  }
}
