// The one place the shim gets a container's monitor from: a pre-started spare of its MonitorPool when one fits
// (the container's namespaces are all to be new), else none, and createContainer spawns one as `runcc create` does.
import { MonitorPool, Spare } from '../runtime/monitor-pool';
import { spareServes } from '../runtime/operations/create';
import { Namespace } from '../oci/runtime-spec';
import { ShimOptions } from './shim-options';

export interface MonitorSource {
  /** A booted spare for a container with these namespaces, or undefined: spawn one. */
  take(namespaces: readonly Namespace[] | undefined): Promise<Spare | undefined>;
  close(): Promise<void>;
}

export function monitorSource(options: ShimOptions): MonitorSource {
  if (options.monitorPoolSize === 0) return { take: async () => undefined, close: async () => {} };
  const pool = new MonitorPool({ size: options.monitorPoolSize, memMiB: options.monitorPoolMemMiB });
  return {
    // A spare cannot join a namespace that exists (a pod's): those containers get a spawned monitor, and no spare
    // is spent on them.
    take: async (namespaces) => (spareServes(namespaces) ? pool.take() : undefined),
    close: () => pool.close(),
  };
}
