// The one place the shim gets a container's monitor from: a pre-started spare spawned where the container's spec
// puts its monitor (spareFits), else none, and createContainer spawns one as `runcc create` does. Spares come from
// the shim's pool (namespaces of their own: `ctr run`'s containers) and from one spare per pod sandbox, spawned in
// the pod's network namespace when the sandbox is created, for the pod's first unikernel container. A pool spare
// also serves a pod's container (createContainer wires the guest in the pod's namespace and sends the TAPs:
// spareWiredNetns), first when it is booted and the pod's own is not.
import { spareFits, spareWiredNetns } from '../runtime/monitor-launch';
import { MonitorPool, Spare } from '../runtime/monitor-pool';
import { Namespace } from '../oci/runtime-spec';
import { ShimOptions } from './shim-options';

export interface MonitorSource {
  /** A booted spare for a container with these namespaces, or undefined: spawn one. */
  take(namespaces: readonly Namespace[] | undefined): Promise<Spare | undefined>;
  /** A pod's sandbox holding the network namespace `netns` was created: a spare starts booting there. */
  podCreated(sandboxId: string, netns: string): void;
  /** The sandbox is deleted: its spare, if not taken, is killed and reaped. */
  podRemoved(sandboxId: string): Promise<void>;
  close(): Promise<void>;
}

/** Where a pod's spare is spawned: the pod's network namespace, and uts and ipc namespaces of its own (as CRI's containers get them here). */
export function podSpareNamespaces(netns: string): Namespace[] {
  return [{ type: 'network', path: netns }, { type: 'uts' }, { type: 'ipc' }];
}

export function monitorSource(options: ShimOptions): MonitorSource {
  const pool = options.monitorPoolSize > 0 ? new MonitorPool({ size: options.monitorPoolSize, memMiB: options.monitorPoolMemMiB }) : undefined;
  const pods = new Map<string, { namespaces: Namespace[]; pool: MonitorPool }>();
  const podOf = (namespaces: readonly Namespace[] | undefined): [string, { namespaces: Namespace[]; pool: MonitorPool }] | undefined =>
    [...pods.entries()].find(([, pod]) => spareFits(pod.namespaces, namespaces));
  const podSpare = async (namespaces: readonly Namespace[] | undefined): Promise<Spare | undefined> => {
    const entry = podOf(namespaces);
    if (!entry) return undefined;
    const [sandboxId, pod] = entry;
    // One spare per pod: the pod's later containers spawn theirs, as without a spare.
    pods.delete(sandboxId);
    try {
      return await pod.pool.take();
    } catch {
      return undefined; // it failed to boot: a spawned monitor serves instead
    } finally {
      void pod.pool.close();
    }
  };
  return {
    take: async (namespaces) => {
      const poolServes = pool !== undefined && (spareFits(pool.namespaces, namespaces) || spareWiredNetns(pool.namespaces, namespaces) !== undefined);
      // The one booted now wins: a pod's spare still booting would keep the container waiting for a node start-up.
      if (poolServes && pool.ready > 0 && !(podOf(namespaces)?.[1].pool.ready ?? 0)) return pool.take();
      return (await podSpare(namespaces)) ?? (poolServes ? pool.take() : undefined);
    },
    podCreated: (sandboxId, netns) => {
      if (!options.podSpare || pods.has(sandboxId)) return;
      const namespaces = podSpareNamespaces(netns);
      pods.set(sandboxId, { namespaces, pool: new MonitorPool({ size: 1, refill: false, namespaces, memMiB: options.monitorPoolMemMiB }) });
    },
    podRemoved: async (sandboxId) => {
      const pod = pods.get(sandboxId);
      pods.delete(sandboxId);
      await pod?.pool.close();
    },
    close: async () => {
      const closing = [...pods.values()].map((pod) => pod.pool.close());
      pods.clear();
      await Promise.all([pool?.close(), ...closing]);
    },
  };
}
