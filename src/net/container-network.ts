// Wires a container's network namespace to its guest at `runcc start` (engines and CNI configure eth0 after
// `create`): per guest net device, a TAP of this container, and tc ingress + mirred redirects both ways between the
// TAP and a container interface, whose MAC and IPv4 configuration the guest takes over. Runs inside the netns.
// What was wired is recorded first, so `runcc delete` removes exactly that, even after the monitor was killed.
// When the guest is gone its interface is closed (a drop-all ingress filter), not released: the address stays on
// the interface for the engine and CNI, yet the namespace's kernel never answers for a guest that is not there.
import { createHash } from 'node:crypto';
import { renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { adoptTap, createTap } from '../ffi/tap';
import { libc } from '../ffi/libc';
import { NetAttachment } from '../monitor/monitor-config';
import { NetworkError } from './network-error';
import { GuestIpv4 } from './guest-network-args';
import { CLOSED_PREF, Ipv4Interface, REDIRECT_PREF, iproute2, listFreeIpv4Interfaces } from './netns-interfaces';
import { MATCH_ALL, NETWORK_RECORD, WiredInterface, closeInterface, tryRun } from './network-teardown';

export interface GuestNetwork {
  nets: NetAttachment[];
  ipv4: GuestIpv4[];
  /**
   * Gives back what was wired, as it was found (in the same netns), for a create that fails after the wiring; the
   * TAPs' fds in `nets` are the caller's to close.
   */
  release(): void;
}

/** A TAP name unique to the container and device index, within IFNAMSIZ: `rcc` + 8 hex digits + `n` + index. */
export function tapName(containerId: string, index: number): string {
  return `rcc${createHash('sha256').update(containerId).digest('hex').slice(0, 8)}n${index}`;
}

function macBytes(mac: string): Uint8Array {
  return new Uint8Array(mac.split(':').map((h) => parseInt(h, 16)));
}

/** Adds an ingress qdisc to `dev`. Exclusive: on a container interface it is how a guest claims it. */
function addIngress(dev: string): void {
  iproute2('tc', ['qdisc', 'add', 'dev', dev, 'ingress']);
}

/** Redirects every frame arriving on `from` out of `to` (a u32 match-all filter with a mirred egress redirect). */
function redirect(from: string, to: string, pref: number): void {
  iproute2('tc', ['filter', 'add', 'dev', from, 'parent', 'ffff:', 'pref', String(pref), ...MATCH_ALL, 'action', 'mirred', 'egress', 'redirect', 'dev', to]);
}

/** Gives the interfaces in `wired` back as they were found, for a start that failed: nothing of ours stays. */
function release(wired: readonly WiredInterface[], claimed: readonly Ipv4Interface[]): void {
  wired.forEach((w, index) => {
    if (claimed[index]?.closed) {
      closeInterface(w.ifname);
    } else {
      tryRun(['tc', 'qdisc', 'del', 'dev', w.ifname, 'ingress']);
    }
    tryRun(['ip', 'link', 'del', 'dev', w.tap]);
  });
}

const CLAIM_ATTEMPTS = 8;

function noInterface(devices: readonly string[], free: readonly Ipv4Interface[]): NetworkError {
  const missing = devices.slice(free.length);
  const plural = missing.length > 1;
  return new NetworkError(
    `the unikernel's net device${plural ? 's' : ''} ${missing.join(', ')} ha${plural ? 've' : 's'} no interface: ` +
      `the container's network namespace has ${free.length} free interface${free.length === 1 ? '' : 's'} with an IPv4 address (${free.map((i) => i.ifname).join(', ') || 'none'})`,
  );
}

/**
 * Claims the first free interface not in `mine` by adding its ingress qdisc, or for one a gone guest closed, by
 * deleting that guest's drop-all: either succeeds for one guest only, so another unikernel starting in the same
 * namespace at the same moment makes this one look again.
 */
function claimInterface(device: string, mine: readonly Ipv4Interface[]): Ipv4Interface {
  for (let attempt = 0; attempt < CLAIM_ATTEMPTS; attempt++) {
    const candidate = listFreeIpv4Interfaces().find((i) => !mine.some((m) => m.ifname === i.ifname));
    if (!candidate) break;
    try {
      if (candidate.closed) iproute2('tc', ['filter', 'del', 'dev', candidate.ifname, 'parent', 'ffff:', 'pref', String(CLOSED_PREF), 'protocol', 'all']);
      else addIngress(candidate.ifname);
      return candidate;
    } catch {
      // claimed by another guest between the listing and now
    }
  }
  throw new NetworkError(`the unikernel's net device ${device} has no interface: other containers took the namespace's free interfaces`);
}

/**
 * Gives each of the guest's `devices` (manifest order) the next free IPv4 interface of this netns: claims it,
 * records it in `stateDir`, creates the TAP (its fd goes to the VM) and redirects both ways. On failure undoes
 * what it did, and only that. `forAnotherNamespace`: the fds go to a monitor outside this netns (a launcher wires
 * for it), which cannot find the TAPs by name, so their offloads are turned off here and their MTU travels with them.
 */
export function wireGuestNetwork(containerId: string, devices: readonly string[], stateDir: string, forAnotherNamespace = false): GuestNetwork {
  if (devices.length === 0) return { nets: [], ipv4: [], release: () => {} };
  const free = listFreeIpv4Interfaces();
  if (free.length < devices.length) throw noInterface(devices, free);
  const record = join(stateDir, NETWORK_RECORD);
  const chosen: Ipv4Interface[] = [];
  const wired: WiredInterface[] = [];
  const fds: number[] = [];
  const releaseWiring = (): void => {
    release(wired, chosen);
    rmSync(record, { force: true });
  };
  try {
    devices.forEach((device, index) => {
      const iface = claimInterface(device, chosen);
      chosen.push(iface);
      const tap = tapName(containerId, index);
      wired.push({ ifname: iface.ifname, tap });
      writeFileSync(`${record}.tmp`, JSON.stringify(wired));
      renameSync(`${record}.tmp`, record);
      fds.push(createTap(tap));
      iproute2('ip', ['link', 'set', 'dev', tap, 'mtu', String(iface.mtu), 'up']);
      redirect(iface.ifname, tap, REDIRECT_PREF);
      addIngress(tap);
      redirect(tap, iface.ifname, REDIRECT_PREF);
      if (forAnotherNamespace) adoptTap(fds[index]);
    });
  } catch (error) {
    for (const fd of fds) libc.close(fd);
    releaseWiring();
    throw error;
  }
  return {
    nets: devices.map((name, index) => ({
      name,
      backend: { kind: 'fd', fd: fds[index], ...(forAnotherNamespace ? { mtu: chosen[index].mtu } : {}) },
      option: `--net:${name}=${wired[index].tap}`,
      mac: macBytes(chosen[index].mac),
    })),
    ipv4: devices.map((device, index) => ({
      device,
      address: chosen[index].address,
      prefixLength: chosen[index].prefixLength,
      ...(chosen[index].gateway ? { gateway: chosen[index].gateway } : {}),
    })),
    release: releaseWiring,
  };
}
