// docker's daemon.json with runcc registered as a runtime (`docker run --runtime=runcc`): the one key added, every
// other setting kept as it was.

export const RUNTIME_NAME = 'runcc';

export interface ConfigChange {
  text: string;
  changed: boolean;
}

/** `current` (daemon.json's text, or undefined when there is none) with `runtimes.runcc.path` set to `runccPath`. */
export function dockerConfigWithRuncc(current: string | undefined, runccPath: string): ConfigChange {
  let config: Record<string, unknown> = {};
  if (current !== undefined && current.trim() !== '') {
    const parsed: unknown = JSON.parse(current);
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('daemon.json: not a JSON object');
    config = parsed as Record<string, unknown>;
  }
  const runtimes = (config.runtimes ?? {}) as Record<string, unknown>;
  if (typeof runtimes !== 'object' || Array.isArray(runtimes)) throw new Error('daemon.json: "runtimes" is not an object');
  const existing = runtimes[RUNTIME_NAME] as { path?: unknown } | undefined;
  if (existing && existing.path === runccPath && Object.keys(existing).length === 1) return { text: current ?? '', changed: false };
  const updated = { ...config, runtimes: { ...runtimes, [RUNTIME_NAME]: { path: runccPath } } };
  return { text: `${JSON.stringify(updated, null, 2)}\n`, changed: true };
}
