// containerd's config.toml with a `runcc` runtime for its CRI plugin (the handler a Kubernetes RuntimeClass names):
// the io.containerd.runc.v2 shim with runcc as its BinaryName. The block is appended to the existing text, in the
// section names of the file's config version (2: containerd 1.x, 3: containerd 2.x); nothing else is touched.

export interface ContainerdChange {
  text: string;
  changed: boolean;
}

/** The section prefix of the CRI plugin in config `version` (2: containerd 1.x, 3: containerd 2.x). */
function criPlugin(version: 2 | 3): string {
  return version === 3 ? "plugins.'io.containerd.cri.v1.runtime'" : 'plugins."io.containerd.grpc.v1.cri"';
}

/** A CRI runtime handler's block: its runtime type, the annotation lists runcc reads, and its options if any. */
function runtimeBlock(version: 2 | 3, handler: string, runtimeType: string, options: Record<string, string> = {}): string {
  const section = `${criPlugin(version)}.containerd.runtimes.${handler}`;
  const entries = Object.entries(options);
  return `[${section}]
  runtime_type = "${runtimeType}"
  pod_annotations = ["org.runcc.*"]
  container_annotations = ["org.runcc.*", "com.urunc.unikernel.*"]
${entries.length > 0 ? `  [${section}.options]\n${entries.map(([key, value]) => `    ${key} = "${value}"\n`).join('')}` : ''}`;
}

/** The TOML block registering runcc for config `version` (2 or 3). */
export function runccRuntimeBlock(runccPath: string, version: 2 | 3): string {
  return runtimeBlock(version, 'runcc', 'io.containerd.runc.v2', { BinaryName: runccPath });
}

/** The config version a config.toml declares (containerd reads a file without one as version 1). */
export function configVersion(text: string): number {
  const match = /^\s*version\s*=\s*(\d+)/m.exec(text);
  return match ? Number(match[1]) : 1;
}

/** `current` (config.toml's text, or undefined) with the runcc runtime added, unless a runcc runtime is there. */
export function containerdConfigWithRuncc(current: string | undefined, runccPath: string): ContainerdChange {
  if (current && /containerd\.runtimes\.runcc\]/.test(current) && !current.includes(`BinaryName = "${runccPath}"`) && [2, 3].includes(configVersion(current))) {
    throw new Error('config.toml already has a runcc runtime with another BinaryName; edit it by hand');
  }
  return withHandler(current, 'runcc', (version) => runccRuntimeBlock(runccPath, version));
}

/** The CRI handler name of runcc's own shim (`runcc` stays the runc shim with runcc as its BinaryName). */
export const SHIM_HANDLER = 'runcc-shim';
export const SHIM_RUNTIME_TYPE = 'io.containerd.runcc.v2';

/**
 * The TOML block registering runcc's shim v2 for config `version` (2 or 3): containerd starts
 * `containerd-shim-runcc-v2` from its PATH (npm installs it beside runcc, /usr/local/bin).
 */
export function runccShimRuntimeBlock(version: 2 | 3): string {
  return runtimeBlock(version, SHIM_HANDLER, SHIM_RUNTIME_TYPE);
}

/** `current` with a handler's block added (by its config version), unless a runtime of that name is there. */
function withHandler(current: string | undefined, handler: string, block: (version: 2 | 3) => string): ContainerdChange {
  if (current === undefined || current.trim() === '') return { text: `version = 2\n\n${block(2)}`, changed: true };
  const version = configVersion(current);
  if (version !== 2 && version !== 3) {
    throw new Error(`config.toml declares version ${version}; runcc can register itself in version 2 or 3 files (run \`containerd config migrate\` first)`);
  }
  if (current.includes(`containerd.runtimes.${handler}]`)) return { text: current, changed: false };
  return { text: `${current.replace(/\n*$/, '\n')}\n${block(version)}`, changed: true };
}

/** `current` with the shim runtime handler added, unless a runcc-shim runtime is there. */
export function containerdConfigWithRunccShim(current: string | undefined): ContainerdChange {
  return withHandler(current, SHIM_HANDLER, runccShimRuntimeBlock);
}

/** The CRI handler of runcc's shim with `shared_shim = 1`: one shim for all its pods (docs/containerd.md). */
export const SHARED_HANDLER = 'runcc-shared';

/** The runtime options `runcc install --shared` writes where none are: a shared shim that keeps one spare booted, for pods too. */
export const SHARED_OPTIONS_TEXT = `# runcc's shared shim (docs/containerd.md): one shim per containerd namespace for these options
shared_shim = 1
shared_shim_idle_s = 300
monitor_pool_size = 1
# pods take the pool's spare too, wired in the pod's network namespace
pod_spare = 0
`;

/** The handler whose options (the TOML file `optionsPath`, read by the shim) say `shared_shim = 1`. */
export function runccSharedRuntimeBlock(version: 2 | 3, optionsPath: string): string {
  return runtimeBlock(version, SHARED_HANDLER, SHIM_RUNTIME_TYPE, { TypeUrl: 'io.containerd.runcc.v2.options', ConfigPath: optionsPath });
}

/** `current` with the shared shim's handler added, unless a runcc-shared runtime is there. */
export function containerdConfigWithRunccShared(current: string | undefined, optionsPath: string): ContainerdChange {
  return withHandler(current, SHARED_HANDLER, (version) => runccSharedRuntimeBlock(version, optionsPath));
}
