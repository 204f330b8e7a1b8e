// Global setup of the engine tests: containerd and dockerd (scripts/engines/engine-daemons.ts), shared by the
// docker, containerd and Kubernetes CRI tests. Refuses to start without hardware KVM or the packages.
import { startEngines } from '../../scripts/engines/engine-daemons';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const requireKvm = require('../e2e/require-kvm') as () => Promise<void>;

export default async function setupEngines(): Promise<void> {
  await requireKvm();
  await startEngines();
}
