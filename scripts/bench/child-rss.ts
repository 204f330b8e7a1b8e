// Runs one command and prints its peak resident memory in KiB (a fresh process, so no other child is counted).
import { spawnSync } from 'node:child_process';
import { childrenMaxRssKiB } from '../../src/ffi/resource-usage';

const [command, ...args] = process.argv.slice(2);
const result = spawnSync(command, args, { stdio: ['ignore', 'ignore', 'inherit'] });
if (result.status !== 0) {
  process.stderr.write(`child-rss: ${command} exited with ${result.status ?? result.signal}\n`);
  process.exit(1);
}
process.stdout.write(`${childrenMaxRssKiB()}\n`);
