import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encode } from '../../../src/shim/proto/schema';
import { DEFAULT_SHIM_OPTIONS, parseShimOptions, shimOptionsFromAny } from '../../../src/shim/shim-options';

const any = (options: object): Buffer => encode('google.protobuf.Any', { type_url: 'runtimeoptions.v1.Options', value: encode('runtimeoptions.v1.Options', options) });

test('runtime options: a config file named by ConfigPath, a 1.7 config_body, or nothing', () => {
  const dir = mkdtempSync(join(tmpdir(), 'shim-options-'));
  try {
    const file = join(dir, 'runcc.toml');
    writeFileSync(file, '# pool\n[runcc]\nmonitor_pool_size = 2 # spares\nmonitor_pool_mem_mib = 64\nother = "x"\n');
    expect(shimOptionsFromAny(any({ type_url: 'io.containerd.runcc.v2.options', config_path: file }))).toEqual({ ...DEFAULT_SHIM_OPTIONS, monitorPoolSize: 2, monitorPoolMemMiB: 64 });
    expect(shimOptionsFromAny(any({ config_body: Buffer.from('MonitorPoolSize = 1\nPodSpare = 0\n') }))).toEqual({ ...DEFAULT_SHIM_OPTIONS, monitorPoolSize: 1, podSpare: 0 });
    expect(shimOptionsFromAny(Buffer.alloc(0))).toEqual({ monitorPoolSize: 0, podSpare: 1, sharedShim: 0, sharedShimIdleS: 300 });
    expect(() => shimOptionsFromAny(any({ config_path: join(dir, 'missing.toml') }))).toThrow(/cannot read .*missing\.toml/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  expect(() => parseShimOptions('monitor_pool_size = -1\n', 'f')).toThrow('f:1: monitor_pool_size = -1: expected a whole number');
  expect(() => parseShimOptions('monitor_pool_size = 1000\n', 'f')).toThrow('at most 64');
  expect(() => parseShimOptions('monitor_pool_mem_mib = 1\n', 'f')).toThrow('at least 2');
  expect(() => parseShimOptions('pod_spare = 2\n', 'f')).toThrow('f: pod_spare = 2: 0 or 1');
});

test('the shared shim: on with shared_shim = 1 (SharedShim in 1.7), its stay in seconds, both checked', () => {
  expect(parseShimOptions('shared_shim = 1\nshared_shim_idle_s = 60\n', 'f')).toEqual({ ...DEFAULT_SHIM_OPTIONS, sharedShim: 1, sharedShimIdleS: 60 });
  expect(parseShimOptions('SharedShim = 1\nSharedShimIdleS = 5\n', 'f')).toEqual({ ...DEFAULT_SHIM_OPTIONS, sharedShim: 1, sharedShimIdleS: 5 });
  expect(() => parseShimOptions('shared_shim = 2\n', 'f')).toThrow('f: shared_shim = 2: 0 or 1');
  expect(() => parseShimOptions('shared_shim_idle_s = 0\n', 'f')).toThrow('f: shared_shim_idle_s = 0: from 1 to 86400');
  expect(() => parseShimOptions('shared_shim_idle_s = 86401\n', 'f')).toThrow('from 1 to 86400');
});
