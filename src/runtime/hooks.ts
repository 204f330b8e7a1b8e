// OCI hooks: each runs with the container state as JSON on stdin, in listed order, within its timeout.
import { spawnSync } from 'node:child_process';
import { Hook, HookName, State } from '../oci/runtime-spec';
import { RuntimeError } from './runtime-error';

/** Runs `hooks` in order; the first failure throws (callers decide whether a failure is fatal, per the spec). */
export function runHooks(name: HookName, hooks: readonly Hook[] | undefined, state: State, prefix: readonly string[] = []): void {
  for (const hook of hooks ?? []) {
    const argv = [...prefix, hook.path, ...(hook.args ?? [hook.path]).slice(1)];
    const result = spawnSync(argv[0], argv.slice(1), {
      argv0: hook.args?.[0],
      input: JSON.stringify(state),
      env: Object.fromEntries((hook.env ?? []).map((entry) => [entry.slice(0, entry.indexOf('=')), entry.slice(entry.indexOf('=') + 1)])),
      timeout: hook.timeout ? hook.timeout * 1000 : undefined,
      stdio: ['pipe', 'ignore', 'pipe'],
      encoding: 'utf8',
    });
    if (result.error) throw new RuntimeError(`${name} hook ${hook.path}: ${result.error.message}`);
    if (result.signal) throw new RuntimeError(`${name} hook ${hook.path} was killed by ${result.signal}${hook.timeout ? ` (timeout ${hook.timeout}s)` : ''}`);
    if (result.status !== 0) {
      throw new RuntimeError(`${name} hook ${hook.path} exited with status ${result.status}: ${result.stderr.trim()}`);
    }
  }
}
