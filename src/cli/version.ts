// runcc's version, from package.json.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

function readVersion(): string {
  for (const up of ['../..', '../../..']) {
    try {
      const pkg = JSON.parse(readFileSync(join(__dirname, up, 'package.json'), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'runcc' && pkg.version) return pkg.version;
    } catch {
      // try the next candidate: src/cli under ts-jest, dist/src/cli when built
    }
  }
  return 'unknown';
}

export const RUNCC_VERSION = readVersion();
