// The shim's own options: what containerd sends as runtime options (runtimeoptions.v1.Options on `start`'s stdin:
// CRI's `ConfigPath`, `ctr run --runtime-config-path`, or containerd 1.7's TOML table as config_body), read as a
// small TOML file of `key = whole number` lines.
import { readFileSync } from 'node:fs';
import { decode } from './proto/schema';

export interface ShimOptions {
  /** Pre-started monitors kept booted (0: none, every create spawns one). */
  monitorPoolSize: number;
  /** Guest memory each spare reserves, MiB: a container asking for another size still gets it (a new mapping). */
  monitorPoolMemMiB?: number;
  /** 1: each pod sandbox gets a spare in its network namespace, for its first unikernel container; 0: none. */
  podSpare: number;
  /**
   * 1: every container of a containerd namespace started with these options is served by one shim, which stays
   * `sharedShimIdleS` seconds after its last container (its pool booted) instead of exiting at that Shutdown.
   */
  sharedShim: number;
  sharedShimIdleS: number;
}

/** How `start` hands the options to the server it spawns. */
export const SHIM_OPTIONS_ENV = 'RUNCC_SHIM_OPTIONS';

export const DEFAULT_SHIM_OPTIONS: ShimOptions = { monitorPoolSize: 0, podSpare: 1, sharedShim: 0, sharedShimIdleS: 300 };

const KEYS: Record<string, keyof ShimOptions> = {
  monitor_pool_size: 'monitorPoolSize',
  MonitorPoolSize: 'monitorPoolSize',
  monitor_pool_mem_mib: 'monitorPoolMemMiB',
  MonitorPoolMemMiB: 'monitorPoolMemMiB',
  pod_spare: 'podSpare',
  PodSpare: 'podSpare',
  shared_shim: 'sharedShim',
  SharedShim: 'sharedShim',
  shared_shim_idle_s: 'sharedShimIdleS',
  SharedShimIdleS: 'sharedShimIdleS',
};

const MAX_POOL = 64;
const MAX_IDLE_S = 24 * 3600;

export class ShimOptionsError extends Error {}

/** The options in `text` (TOML: comments, tables and unknown keys ignored; our keys must be whole numbers). */
export function parseShimOptions(text: string, where: string): ShimOptions {
  const options: ShimOptions = { ...DEFAULT_SHIM_OPTIONS };
  text.split('\n').forEach((raw, index) => {
    const line = raw.replace(/#.*$/, '').trim();
    const match = /^([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)$/.exec(line);
    if (!match || !(match[1] in KEYS)) return;
    const value = match[2].trim();
    if (!/^\d+$/.test(value)) throw new ShimOptionsError(`${where}:${index + 1}: ${match[1]} = ${value}: expected a whole number`);
    options[KEYS[match[1]]] = Number(value);
  });
  if (options.monitorPoolSize > MAX_POOL) throw new ShimOptionsError(`${where}: monitor_pool_size = ${options.monitorPoolSize}: at most ${MAX_POOL}`);
  if (options.podSpare > 1) throw new ShimOptionsError(`${where}: pod_spare = ${options.podSpare}: 0 or 1`);
  if (options.sharedShim > 1) throw new ShimOptionsError(`${where}: shared_shim = ${options.sharedShim}: 0 or 1`);
  if (options.sharedShimIdleS < 1 || options.sharedShimIdleS > MAX_IDLE_S) throw new ShimOptionsError(`${where}: shared_shim_idle_s = ${options.sharedShimIdleS}: from 1 to ${MAX_IDLE_S}`);
  if (options.monitorPoolMemMiB !== undefined && options.monitorPoolMemMiB < 2) throw new ShimOptionsError(`${where}: monitor_pool_mem_mib must be at least 2`);
  return options;
}

interface RuntimeOptions {
  type_url: string;
  config_path: string;
  config_body: Buffer;
}

/** The options in a google.protobuf.Any from containerd (empty input: none were configured). */
export function shimOptionsFromAny(bytes: Buffer): ShimOptions {
  if (bytes.length === 0) return { ...DEFAULT_SHIM_OPTIONS };
  const any = decode<{ type_url: string; value: Buffer }>('google.protobuf.Any', bytes);
  if (!/(^|\/)runtimeoptions\.v1\.Options$/.test(any.type_url)) return { ...DEFAULT_SHIM_OPTIONS };
  const options = decode<RuntimeOptions>('runtimeoptions.v1.Options', any.value);
  if (options.config_path) {
    let text: string;
    try {
      text = readFileSync(options.config_path, 'utf8');
    } catch (error) {
      throw new ShimOptionsError(`runtime options: cannot read ${options.config_path}: ${(error as Error).message}`);
    }
    return parseShimOptions(text, options.config_path);
  }
  if (options.config_body.length > 0) return parseShimOptions(options.config_body.toString('utf8'), 'runtime options');
  return { ...DEFAULT_SHIM_OPTIONS };
}
