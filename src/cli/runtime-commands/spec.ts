// `runcc spec`: a config.json template for a unikernel bundle; never overwrites one.
import { existsSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { RuntimeError } from '../../runtime/runtime-error';
import { unikernelSpecTemplate } from '../../runtime/spec-template';
import { RuntimeCommand } from './command';

export const specCommand: RuntimeCommand = {
  command: 'spec',
  describe: 'write a config.json template for a unikernel bundle',
  builder: (y) => y.option('bundle', { alias: 'b', type: 'string', default: '.' }),
  perContainer: false,
  run: (argv) => {
    const path = join(resolve(String(argv.bundle)), 'config.json');
    if (existsSync(path)) throw new RuntimeError('File config.json exists. Remove it first');
    writeFileSync(path, `${JSON.stringify(unikernelSpecTemplate(), null, 2)}\n`);
    return 0;
  },
};
