// Network namespaces with TAP interfaces for end-to-end tests: real devices, isolated from the host's network.
import { execFileSync, spawn } from 'node:child_process';

let created = 0;

export interface PingSummary {
  transmitted: number;
  received: number;
  output: string;
}

/** Runs a ping command line (argv) to its end; resolves to the counts of its summary line. */
export function runPing(argv: string[]): Promise<PingSummary> {
  return new Promise((resolve) => {
    const child = spawn(argv[0], argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    child.on('close', () => {
      const match = /(\d+) packets transmitted, (\d+) received/.exec(output);
      resolve({ transmitted: Number(match?.[1] ?? 0), received: Number(match?.[2] ?? 0), output });
    });
  });
}

export interface TapSpec {
  name: string;
  /** CIDR address for the host side, e.g. 10.0.0.1/24; none leaves the TAP unaddressed. */
  address?: string;
  mtu?: number;
  up?: boolean;
}

export class TestNetwork {
  readonly ns = `runcc-e2e-${process.pid}-${++created}`;

  constructor(taps: TapSpec[]) {
    execFileSync('ip', ['netns', 'add', this.ns]);
    this.ip('link', 'set', 'lo', 'up');
    for (const tap of taps) {
      this.ip('tuntap', 'add', tap.name, 'mode', 'tap');
      if (tap.mtu) this.ip('link', 'set', tap.name, 'mtu', String(tap.mtu));
      if (tap.address) this.ip('addr', 'add', tap.address, 'dev', tap.name);
      if (tap.up !== false) this.ip('link', 'set', tap.name, 'up');
    }
  }

  ip(...args: string[]): string {
    return execFileSync('ip', ['-n', this.ns, ...args], { encoding: 'utf8' });
  }

  /** argv prefix that runs a command inside the namespace. */
  exec(argv: string[]): string[] {
    return ['ip', 'netns', 'exec', this.ns, ...argv];
  }

  /** Runs ping inside the namespace; resolves to its summary counts. */
  ping(args: string[]): Promise<PingSummary> {
    return runPing(['ip', 'netns', 'exec', this.ns, 'ping', ...args]);
  }

  destroy(): void {
    execFileSync('ip', ['netns', 'del', this.ns]);
  }
}
