// Shared by the runtime end-to-end tests: runcc invoked as a caller would, bundles of the example unikernels, and a
// state root on a tmpfs (/run: the start gate is a FIFO, which the sandbox's 9p root cannot hold).
import { closeSync, copyFileSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RUNCC, SLOWDOWN, unikernel } from './monitor-process';

/** The longest one runcc call of a test may take (create under emulation takes seconds, not minutes). */
export const RUNCC_CALL_TIMEOUT_MS = 60_000 * SLOWDOWN;

export interface Result {
  status: number | null;
  stdout: string;
  stderr: string;
}

export class RuntimeHarness {
  readonly root = `/run/runcc-e2e-${process.pid}`;
  readonly work = mkdtempSync(join(tmpdir(), 'runcc-e2e-runtime-'));
  /** For sockets and FIFOs: on a tmpfs, since the sandbox's 9p root cannot hold them. */
  readonly runDir = mkdtempSync('/run/runcc-e2e-');
  private outputs = 0;
  private bundles = 0;

  cleanup(): void {
    rmSync(this.work, { recursive: true, force: true });
    rmSync(this.runDir, { recursive: true, force: true });
    rmSync(this.root, { recursive: true, force: true });
  }

  /** Paths for a command's stdout and stderr files. */
  outputFiles(): { out: string; err: string } {
    const n = ++this.outputs;
    return { out: join(this.work, `out${n}`), err: join(this.work, `err${n}`) };
  }

  /**
   * Runs runcc to completion. Its stdout and stderr are files, not pipes: `create` hands its stdio to the
   * container's monitor, which outlives it, so a pipe would stay open (exactly what a containerd shim sees).
   */
  runcc(args: string[], env: NodeJS.ProcessEnv = process.env): Result {
    const { out, err } = this.outputFiles();
    const outFd = openSync(out, 'w');
    const errFd = openSync(err, 'w');
    try {
      // Bounded: a runcc that hangs fails its test (jest's own timeout cannot fire while spawnSync holds the loop).
      const r = spawnSync(process.execPath, [RUNCC, '--root', this.root, ...args], { stdio: ['ignore', outFd, errFd], env, timeout: RUNCC_CALL_TIMEOUT_MS, killSignal: 'SIGKILL' });
      if ((r.error as NodeJS.ErrnoException | undefined)?.code === 'ETIMEDOUT') throw new Error(`runcc ${args.join(' ')}: still running after ${RUNCC_CALL_TIMEOUT_MS / 1000} s; killed`);
      return { status: r.status, stdout: readFileSync(out, 'utf8'), stderr: readFileSync(err, 'utf8') };
    } finally {
      closeSync(outFd);
      closeSync(errFd);
    }
  }

  /** A bundle whose rootfs holds `kernel` as /unikernel.hvt; `edit` adjusts config.json. */
  bundle(kernel: string, args: string[], edit: (config: any) => void = () => undefined): string {
    const dir = join(this.work, `bundle${++this.bundles}`);
    mkdirSync(join(dir, 'rootfs'), { recursive: true });
    copyFileSync(unikernel(kernel), join(dir, 'rootfs/unikernel.hvt'));
    const config: any = {
      ociVersion: '1.2.0',
      root: { path: 'rootfs' },
      process: { args: ['/unikernel.hvt', ...args], cwd: '/', env: ['PATH=/bin'] },
      linux: { namespaces: [{ type: 'network' }, { type: 'uts' }], resources: { memory: { limit: 64 * 1024 * 1024 } } },
    };
    edit(config);
    writeFileSync(join(dir, 'config.json'), JSON.stringify(config));
    return dir;
  }

  state(id: string): any {
    const r = this.runcc(['state', id]);
    expect(r.stderr).toBe('');
    return JSON.parse(r.stdout);
  }
}

/**
 * Polls `predicate` until it holds. A predicate that throws (a process gone between two reads of /proc, an
 * assertion on a state that is still changing) is asked again on the next tick; if it never holds, the rejection
 * says what it last threw. A throw must never escape the timer: the wait would then neither end nor fail.
 */
export function waitUntil(predicate: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const tick = (): void => {
      let held = false;
      let threw: unknown;
      try {
        held = predicate();
      } catch (error) {
        threw = error;
      }
      if (held) resolve();
      else if (Date.now() > deadline) reject(new Error(`timed out${threw ? `; the condition last threw: ${(threw as Error).message ?? String(threw)}` : ''}`));
      else setTimeout(tick, 20);
    };
    tick();
  });
}
