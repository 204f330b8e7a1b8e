// Registering runcc with docker and containerd: the keys added, everything else kept, idempotence, and the docs'
// snippets being exactly what is written.
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { install } from '../../../src/cli/install-command';
import { parseShimOptions } from '../../../src/shim/shim-options';
import { SHARED_OPTIONS_TEXT, configVersion, containerdConfigWithRuncc, containerdConfigWithRunccShared, containerdConfigWithRunccShim, runccRuntimeBlock, runccSharedRuntimeBlock, runccShimRuntimeBlock } from '../../../src/install/containerd-config';
import { dockerConfigWithRuncc } from '../../../src/install/docker-daemon-config';

const DOCS = join(__dirname, '../../../docs');
const RUNCC = '/usr/local/bin/runcc';

test('docker: runtimes.runcc added, other settings kept, a second run changes nothing', () => {
  const first = dockerConfigWithRuncc('{"log-driver":"journald","runtimes":{"other":{"path":"/x"}}}', RUNCC);
  expect(first.changed).toBe(true);
  expect(JSON.parse(first.text)).toEqual({ 'log-driver': 'journald', runtimes: { other: { path: '/x' }, runcc: { path: RUNCC } } });
  expect(dockerConfigWithRuncc(first.text, RUNCC)).toEqual({ text: first.text, changed: false });
  expect(JSON.parse(dockerConfigWithRuncc(undefined, RUNCC).text)).toEqual({ runtimes: { runcc: { path: RUNCC } } });
  expect(() => dockerConfigWithRuncc('[1]', RUNCC)).toThrow('daemon.json: not a JSON object');
});

test('containerd: the block is appended in the file’s config version; a second run changes nothing', () => {
  const v2 = 'version = 2\n[plugins."io.containerd.grpc.v1.cri"]\n  sandbox_image = "pause:3.6"\n';
  const first = containerdConfigWithRuncc(v2, RUNCC);
  expect(first).toEqual({ text: `${v2}\n${runccRuntimeBlock(RUNCC, 2)}`, changed: true });
  expect(containerdConfigWithRuncc(first.text, RUNCC)).toEqual({ text: first.text, changed: false });
  const v3 = containerdConfigWithRuncc('version = 3\n', RUNCC).text;
  expect(v3).toContain("[plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.runcc]");
  expect(configVersion('# nothing\n')).toBe(1);
  expect(() => containerdConfigWithRuncc('root = "/x"\n', RUNCC)).toThrow('config.toml declares version 1');
  expect(() => containerdConfigWithRuncc(first.text, '/opt/runcc')).toThrow('config.toml already has a runcc runtime with another BinaryName; edit it by hand');
});

test('the configuration shown in docs/ is what `runcc install` writes', () => {
  const docker = readFileSync(join(DOCS, 'docker.md'), 'utf8');
  expect(docker).toContain(`\`\`\`json\n${dockerConfigWithRuncc(undefined, RUNCC).text}\`\`\``);
  const containerd = readFileSync(join(DOCS, 'containerd.md'), 'utf8');
  expect(containerd).toContain(`\`\`\`toml\n${runccRuntimeBlock(RUNCC, 2)}\`\`\``);
  expect(containerd).toContain(`\`\`\`toml\n${runccRuntimeBlock(RUNCC, 3)}\`\`\``);
  expect(containerd).toContain(`\`\`\`toml\n${runccShimRuntimeBlock(2)}\`\`\``);
  expect(containerd).toContain(`\`\`\`toml\n${runccSharedRuntimeBlock(2, '/etc/containerd/runcc-shared.toml')}\`\`\``);
  expect(containerd).toContain(`\`\`\`toml\n${SHARED_OPTIONS_TEXT}\`\`\``);
});

describe('runcc install', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'runcc-install-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  test('writes both files, keeps a backup of each, reports it; a second run changes nothing and says so', () => {
    const dockerConfig = join(dir, 'docker/daemon.json');
    const containerdConfig = join(dir, 'containerd/config.toml');
    mkdirSync(join(dir, 'containerd'));
    writeFileSync(containerdConfig, 'version = 2\n');
    const request = { runtimePath: process.execPath, docker: true, containerd: true, dockerConfig, containerdConfig };
    expect(install(request)).toEqual([
      `docker: added runtime runcc → ${process.execPath} to ${dockerConfig}`,
      'docker: reload dockerd to use it (systemctl reload docker), then: docker run --runtime=runcc IMAGE',
      `containerd: added CRI runtime handler runcc → ${process.execPath} to ${containerdConfig} (previous file saved as ${containerdConfig}.runcc-backup)`,
      'containerd: restart containerd to use it (systemctl restart containerd); Kubernetes: a RuntimeClass with handler: runcc',
    ]);
    expect(readFileSync(`${containerdConfig}.runcc-backup`, 'utf8')).toBe('version = 2\n');
    expect(JSON.parse(readFileSync(dockerConfig, 'utf8'))).toEqual({ runtimes: { runcc: { path: process.execPath } } });
    expect(install(request)).toEqual([
      `docker: ${dockerConfig} already has runtime runcc → ${process.execPath}; unchanged`,
      `containerd: ${containerdConfig} already has runtime runcc → ${process.execPath}; unchanged`,
    ]);
    expect(readdirSync(join(dir, 'containerd')).sort()).toEqual(['config.toml', 'config.toml.runcc-backup']);
  });

  test('--shim adds the shim v2 handler beside the BinaryName one, in one write with one backup; idempotent', () => {
    const containerdConfig = join(dir, 'config.toml');
    writeFileSync(containerdConfig, 'version = 2\n');
    const request = { runtimePath: process.execPath, containerd: true, shim: true, dockerConfig: join(dir, 'd.json'), containerdConfig };
    expect(install(request)).toEqual([
      `containerd: added CRI runtime handler runcc → ${process.execPath} to ${containerdConfig} (previous file saved as ${containerdConfig}.runcc-backup)`,
      `containerd: added CRI runtime handler runcc-shim (runtime_type io.containerd.runcc.v2) to ${containerdConfig}`,
      "containerd: containerd-shim-runcc-v2 must be on containerd's PATH (npm installs it beside runcc); then ctr run --runtime io.containerd.runcc.v2, or a RuntimeClass with handler: runcc-shim",
      'containerd: restart containerd to use it (systemctl restart containerd); Kubernetes: a RuntimeClass with handler: runcc or runcc-shim',
    ]);
    expect(readFileSync(`${containerdConfig}.runcc-backup`, 'utf8')).toBe('version = 2\n');
    const text = readFileSync(containerdConfig, 'utf8');
    expect(text).toContain(runccShimRuntimeBlock(2));
    expect(text).toContain(runccRuntimeBlock(process.execPath, 2));
    expect(install(request)).toEqual([
      `containerd: ${containerdConfig} already has runtime runcc → ${process.execPath}; unchanged`,
      `containerd: ${containerdConfig} already has runtime runcc-shim; unchanged`,
    ]);
    expect(containerdConfigWithRunccShim('version = 3\n').text).toContain("[plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.runcc-shim]\n  runtime_type = \"io.containerd.runcc.v2\"");
  });

  test('--shared adds handler runcc-shared with its options file beside config.toml, which a shim parses as shared; idempotent, keeping an options file that is there', () => {
    const containerdConfig = join(dir, 'config.toml');
    const options = join(dir, 'runcc-shared.toml');
    writeFileSync(containerdConfig, 'version = 2\n');
    const request = { runtimePath: process.execPath, containerd: true, shim: true, shared: true, dockerConfig: join(dir, 'd.json'), containerdConfig };
    expect(install(request)).toEqual([
      `containerd: added CRI runtime handler runcc → ${process.execPath} to ${containerdConfig} (previous file saved as ${containerdConfig}.runcc-backup)`,
      `containerd: added CRI runtime handler runcc-shim (runtime_type io.containerd.runcc.v2) to ${containerdConfig}`,
      `containerd: added CRI runtime handler runcc-shared (one shim for all its pods, options in ${options}) to ${containerdConfig}`,
      "containerd: containerd-shim-runcc-v2 must be on containerd's PATH (npm installs it beside runcc); then ctr run --runtime io.containerd.runcc.v2, or a RuntimeClass with handler: runcc-shim or runcc-shared",
      `containerd: wrote ${options} (shared_shim = 1, one spare); ctr run --runtime io.containerd.runcc.v2 --runtime-config-path ${options} uses it too`,
      'containerd: restart containerd to use it (systemctl restart containerd); Kubernetes: a RuntimeClass with handler: runcc or runcc-shim or runcc-shared',
    ]);
    const text = readFileSync(containerdConfig, 'utf8');
    expect(text).toContain(runccSharedRuntimeBlock(2, options));
    expect(text).toContain(`runtimes.runcc-shared.options]\n    TypeUrl = "io.containerd.runcc.v2.options"\n    ConfigPath = "${options}"\n`);
    expect(parseShimOptions(readFileSync(options, 'utf8'), options)).toMatchObject({ sharedShim: 1, sharedShimIdleS: 300, monitorPoolSize: 1 });
    writeFileSync(options, 'shared_shim = 1\n');
    expect(install(request)).toEqual([
      `containerd: ${containerdConfig} already has runtime runcc → ${process.execPath}; unchanged`,
      `containerd: ${containerdConfig} already has runtime runcc-shim; unchanged`,
      `containerd: ${containerdConfig} already has runtime runcc-shared; unchanged`,
      `containerd: ${options} is there; unchanged`,
    ]);
    expect(readFileSync(options, 'utf8')).toBe('shared_shim = 1\n');
    expect(containerdConfigWithRunccShared('version = 3\n', '/etc/containerd/runcc-shared.toml').text).toContain("[plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.runcc-shared]\n  runtime_type = \"io.containerd.runcc.v2\"");
    expect(SHARED_OPTIONS_TEXT).toContain('shared_shim = 1\n');
    // --shared alone: the shim must be on PATH for that handler too.
    const alone = join(dir, 'alone.toml');
    expect(install({ runtimePath: process.execPath, containerd: true, shared: true, dockerConfig: join(dir, 'd.json'), containerdConfig: alone })).toContain(
      "containerd: containerd-shim-runcc-v2 must be on containerd's PATH (npm installs it beside runcc); then ctr run --runtime io.containerd.runcc.v2, or a RuntimeClass with handler: runcc-shared",
    );
  });

  test('refuses a runtime path that is not executable', () => {
    const notExecutable = join(dir, 'runcc');
    writeFileSync(notExecutable, '');
    expect(() => install({ runtimePath: notExecutable, docker: true, dockerConfig: join(dir, 'd.json'), containerdConfig: join(dir, 'c.toml') })).toThrow(
      `${notExecutable} is not executable; pass --runtime-path with runcc's installed path (e.g. /usr/local/bin/runcc)`,
    );
  });
});
