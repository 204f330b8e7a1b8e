// CI's proof of the install command: packs the built checkout (`npm pack`), installs the tarball with
// `npm install -g --prefix` into a temporary prefix, and runs what it put on PATH from another directory:
// `runcc --version`, `runcc install` (registers the installed path), and, where KVM works (natively or in the
// sandbox VM), `runcc-hvt` on hello and `runcc check`. Leaves nothing behind. Usage: packed-install
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const ROOT = resolve(__dirname, '../..');
const HELLO = join(ROOT, 'bundle-examples/build/hello.hvt');

interface Outcome {
  status: number | null;
  output: string;
}

function run(argv: string[], cwd: string): Outcome {
  const result = spawnSync(argv[0], argv.slice(1), { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 1_800_000 });
  return { status: result.status, output: `${result.stdout ?? ''}${result.stderr ?? ''}${result.error ? result.error.message : ''}` };
}

function main(): number {
  for (const built of ['dist/cli/main.js', 'dist/scripts/with-kvm.js', 'bundle-examples/build/hello.hvt']) {
    if (!existsSync(join(ROOT, built))) throw new Error(`${built} is missing: run \`npm run build\` first`);
  }
  const scratch = mkdtempSync(join(tmpdir(), 'runcc-packed-'));
  let passed = 0;
  let failed = 0;
  const expect = (what: string, outcome: Outcome, ok: (o: Outcome) => boolean): void => {
    if (ok(outcome)) {
      passed++;
      process.stdout.write(`packed install: ok: ${what}\n`);
    } else {
      failed++;
      process.stdout.write(`packed install: FAILED: ${what} (status ${outcome.status})\n${outcome.output}\n`);
    }
  };
  try {
    // The build already ran (npm test builds first); prepack would only build again.
    const pack = run(['npm', 'pack', '--ignore-scripts', '--pack-destination', scratch], ROOT);
    const tarball = readdirSync(scratch).find((name) => name.endsWith('.tgz'));
    if (pack.status !== 0 || !tarball) throw new Error(`npm pack failed:\n${pack.output}`);
    const prefix = join(scratch, 'prefix');
    const install = run(['npm', 'install', '-g', '--prefix', prefix, join(scratch, tarball), '--no-audit', '--no-fund', '--prefer-offline'], scratch);
    if (install.status !== 0) throw new Error(`npm install -g failed:\n${install.output}`);
    const bin = join(prefix, 'bin');
    const away = join(scratch, 'elsewhere');
    run(['mkdir', away], scratch);

    expect('runcc --version from another directory', run([join(bin, 'runcc'), '--version'], away), (o) => o.status === 0 && /^runcc version \d/.test(o.output));
    // The shim beside runcc, where containerd finds it on PATH; `-v` loads its bundle (protobufjs included).
    expect('containerd-shim-runcc-v2 -v beside runcc', run([join(bin, 'containerd-shim-runcc-v2'), '-v'], away), (o) => o.status === 0 && /^containerd-shim-runcc-v2:\n\s+Version: \d/.test(o.output));
    const daemonJson = join(scratch, 'daemon.json');
    const registered = run([join(bin, 'runcc'), 'install', '--docker', '--docker-config', daemonJson], away);
    expect('runcc install registers the installed runcc', registered, (o) => {
      if (o.status !== 0 || !existsSync(daemonJson)) return false;
      const config = JSON.parse(readFileSync(daemonJson, 'utf8')) as { runtimes?: Record<string, { path?: string }> };
      return config.runtimes?.runcc?.path === join(bin, 'runcc');
    });
    // One sandbox VM boot for both KVM steps.
    const script = `'${join(bin, 'runcc-hvt')}' '${HELLO}' packed && '${join(bin, 'runcc')}' check`;
    const kvm = run([process.execPath, join(ROOT, 'dist/scripts/with-kvm.js'), '--timeout=900', '--', 'sh', '-c', script], away);
    expect('runcc-hvt hello, then runcc check (real KVM)', kvm, (o) => o.status === 0 && o.output.includes('Hello from a runcc unikernel!') && o.output.includes("Command line: 'packed'"));
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  process.stdout.write(`packed install: ${passed} passed, ${failed} failed\n`);
  return failed === 0 ? 0 : 1;
}

try {
  process.exit(main());
} catch (error) {
  process.stderr.write(`packed install: ${(error as Error).message}\n`);
  process.exit(1);
}
