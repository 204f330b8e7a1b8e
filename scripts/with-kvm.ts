// Runs a command where /dev/kvm works: natively when the host has it, otherwise inside the sandbox VM.
// Usage: with-kvm [--sandbox] [--timeout=SECONDS] [--mem=MIB] [--] COMMAND [ARGS...]
import { spawnSync } from 'node:child_process';
import { hostHasKvm } from '../src/host/kvm-device';
import { runInSandbox, sandboxEnv } from './sandbox/run-in-sandbox';
import { SandboxSetupError } from './sandbox/sandbox-image';

// The e2e global setup asks the built script (test/e2e/require-kvm.js).
export { hostHasKvm };

interface WithKvmArgs {
  forceSandbox: boolean;
  timeoutSeconds: number;
  memMiB: number;
  command: string[];
}

function parseArgs(argv: string[]): WithKvmArgs {
  const parsed: WithKvmArgs = {
    forceSandbox: process.env.RUNCC_SANDBOX === 'always',
    timeoutSeconds: Number(process.env.RUNCC_SANDBOX_TIMEOUT ?? 3000),
    memMiB: Number(process.env.RUNCC_SANDBOX_MEM ?? 3072),
    command: [],
  };
  let i = 0;
  for (; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--') {
      i++;
      break;
    } else if (arg === '--sandbox') parsed.forceSandbox = true;
    else if (arg.startsWith('--timeout=')) parsed.timeoutSeconds = Number(arg.slice('--timeout='.length));
    else if (arg.startsWith('--mem=')) parsed.memMiB = Number(arg.slice('--mem='.length));
    else break;
  }
  parsed.command = argv.slice(i);
  if (parsed.command.length === 0) throw new SandboxSetupError('with-kvm: no command given');
  if (!(parsed.timeoutSeconds > 0)) throw new SandboxSetupError('with-kvm: --timeout must be a positive number of seconds');
  if (!(parsed.memMiB >= 512)) throw new SandboxSetupError('with-kvm: --mem must be at least 512 (MiB)');
  return parsed;
}

async function main(): Promise<number> {
  const args = parseArgs(process.argv.slice(2));
  if (!args.forceSandbox && process.env.RUNCC_SANDBOX !== 'never' && hostHasKvm()) {
    const result = spawnSync(args.command[0], args.command.slice(1), { stdio: 'inherit' });
    if (result.error) throw new SandboxSetupError(`with-kvm: ${args.command[0]}: ${result.error.message}`);
    return result.status ?? 128 + 15;
  }
  if (!args.forceSandbox && process.env.RUNCC_SANDBOX === 'never') {
    throw new SandboxSetupError('with-kvm: /dev/kvm is not usable here and RUNCC_SANDBOX=never forbids the sandbox VM');
  }
  return runInSandbox({
    command: args.command,
    cwd: process.cwd(),
    env: sandboxEnv(process.env),
    timeoutSeconds: args.timeoutSeconds,
    memMiB: args.memMiB,
    output: process.stdout,
  });
}

if (require.main === module) {
  main().then(
    (status) => process.exit(status),
    (error: unknown) => {
      process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
      process.exit(125);
    },
  );
}
