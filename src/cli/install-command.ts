// `runcc install`: registers runcc with the docker and/or containerd of this machine (daemon.json `runtimes`,
// config.toml CRI runtime). Idempotent; backs up each file it changes; prints what it did and what to reload.
import { accessSync, constants, existsSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import yargs from 'yargs';
import { SHARED_HANDLER, SHARED_OPTIONS_TEXT, SHIM_HANDLER, containerdConfigWithRuncc, containerdConfigWithRunccShared, containerdConfigWithRunccShim } from '../install/containerd-config';
import { readIfPresent, replaceWithBackup } from '../install/config-file';
import { dockerConfigWithRuncc } from '../install/docker-daemon-config';

/**
 * The runcc executable to register: --runtime-path, else the one running, as it was invoked (node makes argv[1]
 * absolute). An npm install's bin link (e.g. /usr/local/bin/runcc) stays valid across upgrades, which the file it
 * points to inside lib/node_modules need not, so the link is what gets registered.
 */
function runtimePath(given: string | undefined): string {
  const path = given ?? process.argv[1];
  try {
    accessSync(path, constants.X_OK);
  } catch {
    throw new Error(`${path} is not executable; pass --runtime-path with runcc's installed path (e.g. /usr/local/bin/runcc)`);
  }
  return path;
}

export interface InstallRequest {
  runtimePath?: string;
  docker?: boolean;
  containerd?: boolean;
  /** Also register runcc's shim v2 (runtime_type io.containerd.runcc.v2) as the CRI handler runcc-shim. */
  shim?: boolean;
  /** Also register the shared shim (shared_shim = 1) as the CRI handler runcc-shared, its options beside config.toml. */
  shared?: boolean;
  dockerConfig: string;
  containerdConfig: string;
}

/** Registers runcc as asked; returns the report lines (what changed, where the backups are, what to reload). */
export function install(request: InstallRequest): string[] {
  const lines: string[] = [];
  const say = (line: string): void => {
    lines.push(line);
  };
  const path = runtimePath(request.runtimePath);
  const dockerFile = request.dockerConfig;
  const containerdFile = request.containerdConfig;
  const explicit = Boolean(request.docker) || Boolean(request.containerd);
  const doDocker = explicit ? Boolean(request.docker) : existsSync('/etc/docker') || existsSync(dockerFile);
  const doContainerd = explicit ? Boolean(request.containerd) : existsSync('/etc/containerd') || existsSync(containerdFile);
  if (!doDocker && !doContainerd) throw new Error('found neither docker (/etc/docker) nor containerd (/etc/containerd); name one with --docker or --containerd');
  if (doDocker) {
    const change = dockerConfigWithRuncc(readIfPresent(dockerFile), path);
    if (!change.changed) say(`docker: ${dockerFile} already has runtime runcc → ${path}; unchanged`);
    else {
      const backup = replaceWithBackup(dockerFile, change.text);
      say(`docker: added runtime runcc → ${path} to ${dockerFile}${backup ? ` (previous file saved as ${backup})` : ''}`);
      say('docker: reload dockerd to use it (systemctl reload docker), then: docker run --runtime=runcc IMAGE');
    }
  }
  if (doContainerd) {
    // Both blocks in one write, so the backup is the file as it was before this run.
    const change = containerdConfigWithRuncc(readIfPresent(containerdFile), path);
    const shim = request.shim ? containerdConfigWithRunccShim(change.text) : { text: change.text, changed: false };
    const sharedOptions = join(dirname(containerdFile), 'runcc-shared.toml');
    const shared = request.shared ? containerdConfigWithRunccShared(shim.text, sharedOptions) : { text: shim.text, changed: false };
    const backup = change.changed || shim.changed || shared.changed ? replaceWithBackup(containerdFile, shared.text) : undefined;
    const saved = backup ? ` (previous file saved as ${backup})` : '';
    if (!change.changed) say(`containerd: ${containerdFile} already has runtime runcc → ${path}; unchanged`);
    else say(`containerd: added CRI runtime handler runcc → ${path} to ${containerdFile}${saved}`);
    if (request.shim && !shim.changed) say(`containerd: ${containerdFile} already has runtime ${SHIM_HANDLER}; unchanged`);
    if (shim.changed) say(`containerd: added CRI runtime handler ${SHIM_HANDLER} (runtime_type io.containerd.runcc.v2) to ${containerdFile}${change.changed ? '' : saved}`);
    if (request.shared && !shared.changed) say(`containerd: ${containerdFile} already has runtime ${SHARED_HANDLER}; unchanged`);
    if (shared.changed) {
      say(`containerd: added CRI runtime handler ${SHARED_HANDLER} (one shim for all its pods, options in ${sharedOptions}) to ${containerdFile}${change.changed || shim.changed ? '' : saved}`);
    }
    const shimHandlers = [shim.changed && SHIM_HANDLER, shared.changed && SHARED_HANDLER].filter(Boolean);
    if (shimHandlers.length > 0) {
      say(`containerd: containerd-shim-runcc-v2 must be on containerd's PATH (npm installs it beside runcc); then ctr run --runtime io.containerd.runcc.v2, or a RuntimeClass with handler: ${shimHandlers.join(' or ')}`);
    }
    if (request.shared) {
      if (existsSync(sharedOptions)) say(`containerd: ${sharedOptions} is there; unchanged`);
      else {
        writeFileSync(sharedOptions, SHARED_OPTIONS_TEXT, { mode: 0o644 });
        say(`containerd: wrote ${sharedOptions} (shared_shim = 1, one spare); ctr run --runtime io.containerd.runcc.v2 --runtime-config-path ${sharedOptions} uses it too`);
      }
    }
    if (change.changed || shim.changed || shared.changed) {
      say(`containerd: restart containerd to use it (systemctl restart containerd); Kubernetes: a RuntimeClass with handler: ${['runcc', ...shimHandlers].join(' or ')}`);
    }
  }
  return lines;
}

export function runInstallCommand(argv: string[]): void {
  void yargs(argv)
    .scriptName('runcc install')
    .usage('$0 [--docker] [--containerd] [options]\n\nRegisters runcc with docker and/or containerd (both when found, if neither is named).')
    .option('docker', { type: 'boolean', describe: 'register with docker (daemon.json)' })
    .option('containerd', { type: 'boolean', describe: 'register with containerd (config.toml)' })
    .option('docker-config', { type: 'string', default: '/etc/docker/daemon.json' })
    .option('containerd-config', { type: 'string', default: '/etc/containerd/config.toml' })
    .option('shim', { type: 'boolean', describe: "with --containerd: also register runcc's shim v2 (io.containerd.runcc.v2) as handler runcc-shim" })
    .option('shared', { type: 'boolean', describe: "with --containerd: also register runcc's shared shim (shared_shim = 1) as handler runcc-shared, options in runcc-shared.toml beside config.toml" })
    .option('runtime-path', { type: 'string', describe: 'runcc executable to register (default: this one)' })
    .strict()
    .fail((message, error, y) => {
      process.stderr.write(`runcc install: ${error ? error.message : message}\n\n${y.help()}\n`);
      process.exit(1);
    })
    .help()
    .parse(argv, {}, (error, parsed) => {
      if (error) return;
      try {
        const lines = install({
          runtimePath: parsed['runtime-path'] as string | undefined,
          docker: parsed.docker as boolean | undefined,
          containerd: parsed.containerd as boolean | undefined,
          shim: parsed.shim as boolean | undefined,
          shared: parsed.shared as boolean | undefined,
          dockerConfig: String(parsed['docker-config']),
          containerdConfig: String(parsed['containerd-config']),
        });
        process.stdout.write(lines.map((line) => `${line}\n`).join(''));
        process.exit(0);
      } catch (failure) {
        process.stderr.write(`runcc install: ${(failure as Error).message}\n`);
        process.exit(1);
      }
    });
}
