// The IPv4 interfaces of the current network namespace, as `ip -json` reports them: what a container engine or CNI
// plugin configured (eth0 with its address, MAC, MTU and the default gateway) for the guest to take over.
import { execFileSync } from 'node:child_process';
import { NetworkError } from './network-error';

export interface Ipv4Interface {
  ifname: string;
  /** True when a gone guest's drop filter holds it (see container-network.ts): claimed by removing that filter. */
  closed?: boolean;
  mac: string;
  mtu: number;
  address: string;
  prefixLength: number;
  gateway?: string;
}

interface IpAddrEntry {
  ifname?: string;
  link_type?: string;
  address?: string;
  mtu?: number;
  addr_info?: { family?: string; local?: string; prefixlen?: number }[];
}

interface IpRouteEntry {
  dst?: string;
  gateway?: string;
  dev?: string;
}

interface TcQdiscEntry {
  kind?: string;
  dev?: string;
}

interface TcFilterEntry {
  pref?: number;
}

/**
 * Filter priorities on a container interface's ingress. The guest's redirect is at REDIRECT_PREF; when its guest is
 * gone, a drop-all filter at CLOSED_PREF takes its place, so that nothing (the namespace's own kernel included)
 * answers for the container's address until another guest takes the interface over.
 */
export const CLOSED_PREF = 1;
export const REDIRECT_PREF = 2;

/** Runs an iproute2 command (`ip`, `tc`) in this namespace; its stdout. Failures name the command and its error. */
export function iproute2(program: 'ip' | 'tc', args: readonly string[]): string {
  try {
    return execFileSync(program, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (error) {
    const failure = error as { stderr?: string; code?: string; message: string };
    const hint = failure.code === 'ENOENT' ? ' (is iproute2 installed?)' : '';
    throw new NetworkError(`${program} ${args.join(' ')} failed: ${failure.stderr?.trim() || failure.message}${hint}`);
  }
}

/** Runs an iproute2 command in this namespace; its JSON output, parsed. */
export function ipJson(program: 'ip' | 'tc', args: readonly string[]): unknown {
  const text = iproute2(program, ['-json', ...args]);
  return text.trim() === '' ? [] : JSON.parse(text);
}

/**
 * Ethernet interfaces with an IPv4 address, in name order, with the default route's gateway where it leaves through
 * them. Interfaces listed in `taken` (already redirected to another guest) and `exclude` are left out.
 */
export function parseIpv4Interfaces(addrs: unknown, routes: unknown, taken: ReadonlySet<string>): Ipv4Interface[] {
  const gateways = new Map<string, string>();
  for (const route of (routes as IpRouteEntry[]) ?? []) {
    if (route.dst === 'default' && route.gateway && route.dev && !gateways.has(route.dev)) gateways.set(route.dev, route.gateway);
  }
  const found: Ipv4Interface[] = [];
  for (const entry of (addrs as IpAddrEntry[]) ?? []) {
    if (!entry.ifname || entry.link_type !== 'ether' || !entry.address || taken.has(entry.ifname)) continue;
    const inet = entry.addr_info?.find((a) => a.family === 'inet' && a.local && a.prefixlen !== undefined);
    if (!inet) continue;
    found.push({
      ifname: entry.ifname,
      mac: entry.address,
      mtu: entry.mtu ?? 1500,
      address: inet.local!,
      prefixLength: inet.prefixlen!,
      ...(gateways.has(entry.ifname) ? { gateway: gateways.get(entry.ifname) } : {}),
    });
  }
  return found.sort((a, b) => (a.ifname < b.ifname ? -1 : a.ifname > b.ifname ? 1 : 0));
}

/** Interfaces with an ingress qdisc: a guest (or someone else) redirects their traffic, or a gone guest closed them. */
export function parseIngressInterfaces(qdiscs: unknown): Set<string> {
  return new Set(((qdiscs as TcQdiscEntry[]) ?? []).filter((q) => q.kind === 'ingress' && q.dev).map((q) => q.dev!));
}

/** True when an ingress's filters (`tc -json filter show`) are only the drop-all that a gone guest left. */
export function isClosedIngress(filters: unknown): boolean {
  const entries = (filters as TcFilterEntry[]) ?? [];
  return entries.length > 0 && entries.every((f) => f.pref === CLOSED_PREF);
}

/** The free IPv4 interfaces of this network namespace: no ingress qdisc, or closed by a gone guest. */
export function listFreeIpv4Interfaces(): Ipv4Interface[] {
  const ingress = parseIngressInterfaces(ipJson('tc', ['qdisc', 'show']));
  const closed = new Set([...ingress].filter((dev) => isClosedIngress(ipJson('tc', ['filter', 'show', 'dev', dev, 'ingress']))));
  const taken = new Set([...ingress].filter((dev) => !closed.has(dev)));
  return parseIpv4Interfaces(ipJson('ip', ['address', 'show']), ipJson('ip', ['-4', 'route', 'show', 'default']), taken)
    .map((i) => (closed.has(i.ifname) ? { ...i, closed: true } : i));
}
