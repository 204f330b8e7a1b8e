// A network namespace wired as docker's or CNI's are (a veth pair, the container side eth0 with an address and a
// default route), and what runcc may have left in it: for the tests that put a guest on such an eth0.
import { execFileSync } from 'node:child_process';

/** A netns with eth0 (10.88.0.2/24, default route via 10.88.0.1) whose veth peer is on the host with 10.88.0.1/24. */
export class VethNamespace {
  readonly ns = `runcc-e2e-veth-${process.pid}`;
  readonly hostSide = `rcce2e${process.pid % 100000}`;

  constructor() {
    execFileSync('ip', ['netns', 'add', this.ns]);
    execFileSync('ip', ['link', 'add', this.hostSide, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', this.ns]);
    execFileSync('ip', ['addr', 'add', '10.88.0.1/24', 'dev', this.hostSide]);
    execFileSync('ip', ['link', 'set', this.hostSide, 'up']);
    this.ip('link', 'set', 'lo', 'up');
    this.ip('addr', 'add', '10.88.0.2/24', 'dev', 'eth0');
    this.ip('link', 'set', 'eth0', 'up');
    this.ip('route', 'add', 'default', 'via', '10.88.0.1');
  }

  get path(): string {
    return `/var/run/netns/${this.ns}`;
  }

  ip(...args: string[]): string {
    return execFileSync('ip', ['-n', this.ns, ...args], { encoding: 'utf8' });
  }

  /** Adds eth1 (10.87.0.2/24) whose veth peer is on the host with 10.87.0.1/24. */
  addSecondInterface(): void {
    execFileSync('ip', ['link', 'add', `${this.hostSide}b`, 'type', 'veth', 'peer', 'name', 'eth1', 'netns', this.ns]);
    execFileSync('ip', ['addr', 'add', '10.87.0.1/24', 'dev', `${this.hostSide}b`]);
    execFileSync('ip', ['link', 'set', `${this.hostSide}b`, 'up']);
    this.ip('addr', 'add', '10.87.0.2/24', 'dev', 'eth1');
    this.ip('link', 'set', 'eth1', 'up');
  }

  /**
   * What runcc may have left: links other than lo, eth0 and eth1, and the state of `dev`'s ingress as the kernel
   * reports it: no qdisc ('none'), a guest's redirect ('redirect'), or only a gone guest's drop-all, or a redirect
   * to a TAP that went with its monitor, both of which drop everything ('closed').
   */
  leftovers(dev = 'eth0'): { links: string[]; ingress: 'none' | 'redirect' | 'closed' | string } {
    const links = (JSON.parse(this.ip('-json', 'link', 'show')) as { ifname: string }[]).map((l) => l.ifname).filter((n) => !['lo', 'eth0', 'eth1'].includes(n));
    const tc = (...args: string[]): any[] => JSON.parse(execFileSync('ip', ['netns', 'exec', this.ns, 'tc', '-json', ...args], { encoding: 'utf8' }) || '[]');
    const qdiscs = tc('qdisc', 'show', 'dev', dev, 'ingress');
    if (qdiscs.length === 0) return { links, ingress: 'none' };
    const actions = tc('filter', 'show', 'dev', dev, 'ingress').flatMap((f) => (f.options?.actions ?? []) as { kind: string; to_dev?: string; control_action?: { type: string } }[]);
    const present = new Set((JSON.parse(this.ip('-json', 'link', 'show')) as { ifname: string }[]).map((l) => l.ifname));
    const kinds = actions.map((a) => (a.kind === 'gact' ? a.control_action?.type : a.kind === 'mirred' && !present.has(a.to_dev ?? '') ? 'drop' : a.kind)).sort();
    if (kinds.length > 0 && kinds.every((k) => k === 'drop')) return { links, ingress: 'closed' };
    if (kinds.length === 1 && kinds[0] === 'mirred') return { links, ingress: 'redirect' };
    return { links, ingress: kinds.join(',') || 'qdisc without filters' };
  }

  macOfEth0(): string {
    return (JSON.parse(this.ip('-json', 'link', 'show', 'eth0')) as { address: string }[])[0].address;
  }

  destroy(): void {
    execFileSync('ip', ['netns', 'del', this.ns]);
  }
}
