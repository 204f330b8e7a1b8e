// Runs the built monitor as a child process and collects what an operator would see.
import { ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';

export const ROOT = join(__dirname, '../..');
export const RUNCC_HVT = join(ROOT, 'dist/cli/runcc-hvt.js');
export const RUNCC = join(ROOT, 'dist/cli/main.js');

/** A unikernel built by bundle-examples/Makefile, e.g. 'hello' or 'hostile/bad-port'. */
export function unikernel(name: string): string {
  return join(ROOT, 'bundle-examples/build', `${name}.hvt`);
}

/** Under the sandbox VM everything runs emulated, about ten times slower than native. */
export const SLOWDOWN = process.env.RUNCC_IN_SANDBOX === '1' ? 10 : 1;

export interface MonitorResult {
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  wallMs: number;
}

export interface RunningMonitor {
  child: ChildProcess;
  /** Resolves once stdout contains `text`. */
  waitForStdout(text: string): Promise<void>;
  /** What it printed on stdout so far. */
  stdout(): string;
  /** Resolves once stderr contains `text`. */
  waitForStderr(text: string): Promise<void>;
  result: Promise<MonitorResult>;
}

/** argv of the monitor (`runcc-hvt` by default) with `args`. */
export function monitorArgv(args: readonly string[], bin = RUNCC_HVT): string[] {
  return [process.execPath, bin, ...args];
}

export function startMonitor(args: readonly string[], bin = RUNCC_HVT, env?: NodeJS.ProcessEnv): RunningMonitor {
  return startProcess(monitorArgv(args, bin), env);
}

/** Starts any command (e.g. the monitor inside a network namespace; `env`: variables added to the test's own) and collects its output. */
export function startProcess(argv: readonly string[], env?: NodeJS.ProcessEnv): RunningMonitor {
  const started = process.hrtime.bigint();
  const child = spawn(argv[0], argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'], env: env ? { ...process.env, ...env } : process.env });
  let stdout = '';
  let stderr = '';
  const waiters: { text: string; resolve: () => void }[] = [];
  const stderrWaiters: { text: string; resolve: () => void }[] = [];
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
    for (const waiter of waiters.filter((w) => stdout.includes(w.text))) waiter.resolve();
  });
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
    for (const waiter of stderrWaiters.filter((w) => stderr.includes(w.text))) waiter.resolve();
  });
  const result = new Promise<MonitorResult>((resolve) => {
    child.on('close', (status, signal) =>
      resolve({ status, signal, stdout, stderr, wallMs: Number(process.hrtime.bigint() - started) / 1e6 }),
    );
  });
  return {
    child,
    result,
    waitForStdout: (text) =>
      stdout.includes(text) ? Promise.resolve() : new Promise((resolve) => waiters.push({ text, resolve })),
    stdout: () => stdout,
    waitForStderr: (text) =>
      stderr.includes(text) ? Promise.resolve() : new Promise((resolve) => stderrWaiters.push({ text, resolve })),
  };
}

export function runMonitor(args: readonly string[], bin = RUNCC_HVT): Promise<MonitorResult> {
  return startMonitor(args, bin).result;
}
