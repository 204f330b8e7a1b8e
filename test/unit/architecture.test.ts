// Holds the folder rules of docs/architecture.md by reading every import in src/.
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const SRC = resolve(__dirname, '../../src');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? sourceFiles(path) : path.endsWith('.ts') ? [path] : [];
  });
}

const files = sourceFiles(SRC).map((path) => {
  const text = readFileSync(path, 'utf8');
  const imports = [...text.matchAll(/^import[^'"]*['"]([^'"]+)['"]/gm)].map((m) => m[1]);
  return { file: relative(SRC, path), imports };
});

function folderOf(file: string): string {
  return file.split('/')[0];
}

test('koffi is imported only by src/ffi/libc.ts', () => {
  const users = files.filter((f) => f.imports.includes('koffi')).map((f) => f.file);
  expect(users).toEqual(['ffi/libc.ts']);
});

test.each(['elf', 'solo5', 'oci', 'seccomp'])('the pure folder %s imports nothing else of ours', (folder) => {
  for (const f of files.filter((x) => folderOf(x.file) === folder)) {
    for (const spec of f.imports.filter((s) => s.startsWith('.'))) {
      const target = relative(SRC, resolve(SRC, dirname(f.file), spec));
      expect({ file: f.file, target: folderOf(target) }).toEqual({ file: f.file, target: folder });
    }
  }
});

test('the monitor never reaches the CLI, and only arch/index.ts picks an architecture folder', () => {
  for (const f of files.filter((x) => folderOf(x.file) === 'monitor')) {
    for (const spec of f.imports.filter((s) => s.startsWith('.'))) {
      const target = relative(SRC, resolve(SRC, dirname(f.file), spec));
      expect(folderOf(target)).not.toBe('cli');
      if (target.startsWith('monitor/arch/x86_64') && !f.file.startsWith('monitor/arch/x86_64')) {
        expect(f.file).toBe('monitor/arch/index.ts');
      }
    }
  }
});

test('the runtime never touches KVM: from the monitor it takes only the MonitorConfig type', () => {
  for (const f of files.filter((x) => folderOf(x.file) === 'runtime')) {
    for (const spec of f.imports.filter((s) => s.startsWith('.'))) {
      const target = relative(SRC, resolve(SRC, dirname(f.file), spec));
      if (folderOf(target) === 'monitor') expect({ file: f.file, target }).toEqual({ file: f.file, target: 'monitor/monitor-config' });
      expect(target.startsWith('ffi/kvm')).toBe(false);
    }
  }
});

test('images never reach the monitor or KVM', () => {
  for (const f of files.filter((x) => folderOf(x.file) === 'image')) {
    for (const spec of f.imports.filter((s) => s.startsWith('.'))) {
      const target = relative(SRC, resolve(SRC, dirname(f.file), spec));
      expect({ file: f.file, monitor: folderOf(target) === 'monitor' || target.startsWith('ffi/kvm') }).toEqual({ file: f.file, monitor: false });
    }
  }
});

test('network wiring never reaches KVM or the lifecycle', () => {
  for (const f of files.filter((x) => folderOf(x.file) === 'net')) {
    for (const spec of f.imports.filter((s) => s.startsWith('.'))) {
      const target = relative(SRC, resolve(SRC, dirname(f.file), spec));
      expect({ file: f.file, ok: !target.startsWith('ffi/kvm') && folderOf(target) !== 'runtime' }).toEqual({ file: f.file, ok: true });
    }
  }
});

test('host facts and runcc check stand apart from the runtime and the monitor', () => {
  for (const f of files.filter((x) => ['host', 'check'].includes(folderOf(x.file)))) {
    for (const spec of f.imports.filter((s) => s.startsWith('.'))) {
      const target = folderOf(relative(SRC, resolve(SRC, dirname(f.file), spec)));
      expect({ file: f.file, ok: ['host', 'check'].includes(target) }).toEqual({ file: f.file, ok: true });
    }
  }
});

/**
 * The modules of ours that a runtime command loads: its static imports, those of the modules its handler
 * require()s, and theirs; a deeper require() loads code only on a use the command may not make (makeStartGate's
 * FIFO for create), so it is not followed.
 */
function loadedBy(command: string): Set<string> {
  const seen = new Set<string>();
  const specs = (path: string, pattern: RegExp): string[] =>
    [...readFileSync(join(SRC, path), 'utf8').matchAll(pattern)].map((m) => `${relative(SRC, resolve(SRC, dirname(path), m[1]))}.ts`);
  const visit = (path: string): void => {
    if (seen.has(path)) return;
    seen.add(path);
    for (const target of specs(path, /^import(?! type)[^'"]*['"](\.[^'"]+)['"]/gm)) visit(target);
  };
  const entry = `cli/runtime-commands/${command}.ts`;
  visit(entry);
  for (const target of specs(entry, /require\('(\.[^']+)'\)/g)) visit(target);
  return seen;
}

test.each(['state', 'kill', 'delete', 'start'])('`runcc %s`, on the path of every docker run or stop, loads no native module', (command) => {
  const native = [...loadedBy(command)].filter((path) => path.startsWith('ffi/'));
  expect(native).toEqual([]);
});
