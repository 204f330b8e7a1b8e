// `runcc spec`: a config.json template for a unikernel bundle (rootfs/ holds the .hvt file named in process.args).
import { OCI_VERSION, Spec } from '../oci/runtime-spec';

export function unikernelSpecTemplate(): Spec {
  return {
    ociVersion: OCI_VERSION,
    root: { path: 'rootfs', readonly: true },
    process: { args: ['/unikernel.hvt'], cwd: '/', env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'], terminal: false, user: { uid: 0, gid: 0 } },
    hostname: 'runcc',
    annotations: {},
    linux: {
      namespaces: [{ type: 'network' }, { type: 'uts' }, { type: 'ipc' }],
      resources: { memory: { limit: 64 * 1024 * 1024 } },
    },
  };
}
