// `runcc features`: the runtime-spec features document (features.md): what this runtime understands.
import { HOOK_NAMES, OCI_VERSION } from '../oci/runtime-spec';

export function featuresDocument(): object {
  return {
    ociVersionMin: '1.0.0',
    ociVersionMax: OCI_VERSION,
    hooks: [...HOOK_NAMES],
    mountOptions: [],
    linux: {
      namespaces: ['network', 'uts', 'ipc'],
      capabilities: [],
      cgroup: { v1: false, v2: true, systemd: true, systemdUser: false },
      seccomp: { enabled: false },
      apparmor: { enabled: false },
      selinux: { enabled: false },
    },
    annotations: {
      'org.opencontainers.runc.version': 'runcc',
      'org.runcc.kernel': 'path of the unikernel inside the rootfs, when it is not process.args[0]',
    },
  };
}
