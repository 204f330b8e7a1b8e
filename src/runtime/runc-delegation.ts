// Containers that are not unikernels (Kubernetes pause containers, sidecars) go to runc, with identical arguments.
import { spawnSync } from 'node:child_process';
import { RuntimeError } from './runtime-error';

/** runc's path: $RUNCC_RUNC, else `runc` on PATH. */
export function runcPath(): string {
  return process.env.RUNCC_RUNC ?? 'runc';
}

/** Runs runc with `argv` (runcc's own arguments, unchanged) on the caller's stdio; returns runc's exit status. */
export function delegateToRunc(argv: readonly string[]): number {
  const result = spawnSync(runcPath(), argv, { stdio: 'inherit' });
  if (result.error) {
    const missing = (result.error as NodeJS.ErrnoException).code === 'ENOENT';
    throw new RuntimeError(
      missing
        ? `this bundle is not a unikernel and runc (${runcPath()}) is not installed to run it; set RUNCC_RUNC to its path`
        : `cannot run ${runcPath()}: ${result.error.message}`,
    );
  }
  return result.status ?? 128 + 9;
}
