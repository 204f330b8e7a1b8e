// The one set-up step of a fresh Debian machine: installs with apt what `npm run demo` or `npm test` needs and the
// machine lacks, saying what and why; as non-root it prints the exact command instead and fails.
// Usage: setup-host [demo|test] [--dry-run]      (`npm run demo`, `npm test` and .ci/run call it)
// No service may start: docker and containerd run only where the tests start them (inside the sandbox VM).
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hasCommand } from '../src/host/commands';
import { hostHasKvm } from '../src/host/kvm-device';
import { HostPackage, HostView, SetupScope, aptCommands, installedPackages, missingPackages } from './setup/host-packages';

const DPKG_STATUS = '/var/lib/dpkg/status';
/** Debian's hook that invoke-rc.d asks before starting a service; exit 101 means "not allowed". */
const POLICY_RC_D = '/usr/sbin/policy-rc.d';

function hostView(): HostView {
  return { installed: installedPackages(readFileSync(DPKG_STATUS, 'utf8')), hasCommand, hardwareKvm: hostHasKvm() };
}

function run(argv: string[]): void {
  const result = spawnSync(argv[0], argv.slice(1), {
    stdio: 'inherit',
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
  if (result.status !== 0) throw new Error(`${argv.join(' ')} failed (${result.error?.message ?? `status ${result.status}`})`);
}

/** Installs with invoke-rc.d refusing every service start (a policy-rc.d of our own, removed afterwards). */
function installWithoutServices(missing: HostPackage[]): void {
  const ownPolicy = !existsSync(POLICY_RC_D);
  if (ownPolicy) writeFileSync(POLICY_RC_D, '#!/bin/sh\nexit 101\n', { mode: 0o755 });
  try {
    for (const argv of aptCommands(missing)) run(argv);
  } finally {
    if (ownPolicy) rmSync(POLICY_RC_D, { force: true });
  }
}

function main(argv: string[]): number {
  const scope: SetupScope = argv.includes('demo') ? 'demo' : 'test';
  const dryRun = argv.includes('--dry-run');
  if (!existsSync(DPKG_STATUS)) {
    process.stdout.write(`setup-host: not a Debian system (no ${DPKG_STATUS}); install by hand: ${missingPackages(scope, { installed: new Set(), hasCommand, hardwareKvm: hostHasKvm() }).map((p) => p.name).join(' ')}\n`);
    return 0;
  }
  const missing = missingPackages(scope, hostView());
  if (missing.length === 0) {
    process.stdout.write(`setup-host: everything \`npm ${scope === 'demo' ? 'run demo' : 'test'}\` needs is installed\n`);
    return 0;
  }
  for (const pkg of missing) process.stdout.write(`setup-host: missing ${pkg.name} (${pkg.why})\n`);
  const commands = aptCommands(missing).map((command) => command.join(' '));
  if (dryRun) {
    process.stdout.write(`setup-host: would run: ${commands.join(' && ')}\n`);
    return 0;
  }
  if (process.getuid?.() !== 0) {
    process.stderr.write(`setup-host: not root; install them with:\n  sudo sh -c 'export DEBIAN_FRONTEND=noninteractive; ${commands.join(' && ')}'\n`);
    return 1;
  }
  process.stdout.write(`setup-host: installing ${missing.map((pkg) => pkg.name).join(' ')}\n`);
  installWithoutServices(missing);
  return 0;
}

try {
  process.exit(main(process.argv.slice(2)));
} catch (error) {
  process.stderr.write(`setup-host: ${(error as Error).message}\n`);
  process.exit(1);
}
