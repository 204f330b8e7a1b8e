// Runs one command inside a throwaway QEMU VM (software emulation, nested KVM) that sees the host's root filesystem.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BEGIN_MARKER, STATUS_MARKER, SandboxJob, buildInitramfs, findKernel } from './sandbox-image';

export interface SandboxOptions extends SandboxJob {
  timeoutSeconds: number;
  memMiB: number;
  /** Where the command's console output goes; kernel and firmware noise before the command starts is held back. */
  output: NodeJS.WritableStream;
}

/** Exit status used when the VM ran out of time, like coreutils' timeout(1). */
export const SANDBOX_TIMEOUT_STATUS = 124;
/** Exit status used when the VM ended without reporting the command's status. */
export const SANDBOX_FAILURE_STATUS = 125;

const QEMU = 'qemu-system-x86_64';

/** Host environment variables that travel into the VM (plus every RUNCC_*). */
const FORWARDED_ENV = ['PATH', 'HOME', 'CI', 'TERM', 'LANG', 'NODE_OPTIONS', 'FORCE_COLOR', 'NO_COLOR'];

export function sandboxEnv(hostEnv: NodeJS.ProcessEnv): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(hostEnv)) {
    if (value !== undefined && (FORWARDED_ENV.includes(name) || name.startsWith('RUNCC_'))) env[name] = value;
  }
  env.RUNCC_IN_SANDBOX = '1';
  // The VM console is a terminal; CI=true keeps test runners from drawing interactive progress on it.
  env.CI ??= 'true';
  return env;
}

/**
 * Boots the VM, streams the command's console output, and resolves to the command's exit status
 * (SANDBOX_TIMEOUT_STATUS on timeout, SANDBOX_FAILURE_STATUS when the VM died first). Leaves no files behind.
 */
export function runInSandbox(options: SandboxOptions): Promise<number> {
  const kernel = findKernel();
  const workDir = mkdtempSync(join(tmpdir(), 'runcc-sandbox-'));
  const cleanup = (): void => rmSync(workDir, { recursive: true, force: true });
  try {
    const initrd = join(workDir, 'initramfs.cpio');
    const processSnapshot = join(workDir, 'processes');
    writeFileSync(initrd, buildInitramfs(kernel, { ...options, processSnapshot }));
    const args = [
      '-machine', 'q35', '-cpu', 'max', '-accel', `tcg,thread=${process.env.RUNCC_SANDBOX_TCG_THREAD ?? 'single'}`, '-smp', process.env.RUNCC_SANDBOX_CPUS ?? '2', '-m', String(options.memMiB),
      '-nographic', '-no-reboot', '-nic', 'none',
      '-kernel', kernel.vmlinuz, '-initrd', initrd,
      '-append', 'console=ttyS0 quiet loglevel=1 panic=-1',
      '-virtfs', 'local,path=/,mount_tag=host,security_model=passthrough,multidevs=remap',
    ];
    return superviseQemu(args, options, processSnapshot).finally(cleanup);
  } catch (error) {
    cleanup();
    throw error;
  }
}

function superviseQemu(args: string[], options: SandboxOptions, processSnapshot: string): Promise<number> {
  return new Promise((resolve) => {
    const qemu = spawn(QEMU, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let started = false;
    let status: number | undefined;
    let timedOut = false;
    let pending = '';
    let preamble = '';
    let qemuErrors = '';

    const onLine = (line: string): void => {
      if (!started) {
        if (line.includes(BEGIN_MARKER)) started = true;
        else preamble += `${line}\n`;
        return;
      }
      const at = line.indexOf(STATUS_MARKER);
      if (at >= 0) {
        status = Number.parseInt(line.slice(at + STATUS_MARKER.length), 10);
        if (at > 0) options.output.write(`${line.slice(0, at)}\n`);
        return;
      }
      if (status === undefined) options.output.write(`${line}\n`);
    };

    qemu.stdout.setEncoding('utf8');
    qemu.stdout.on('data', (chunk: string) => {
      pending += chunk.replace(/\r/g, '');
      let newline = pending.indexOf('\n');
      while (newline >= 0) {
        onLine(pending.slice(0, newline));
        pending = pending.slice(newline + 1);
        newline = pending.indexOf('\n');
      }
    });
    qemu.stderr.setEncoding('utf8');
    qemu.stderr.on('data', (chunk: string) => {
      qemuErrors += chunk;
    });

    const timer = setTimeout(() => {
      timedOut = true;
      qemu.kill('SIGKILL');
    }, options.timeoutSeconds * 1000);
    const forward = (): void => {
      qemu.kill('SIGKILL');
    };
    process.once('SIGINT', forward);
    process.once('SIGTERM', forward);

    const finish = (code: number): void => {
      clearTimeout(timer);
      process.removeListener('SIGINT', forward);
      process.removeListener('SIGTERM', forward);
      resolve(code);
    };
    qemu.on('error', (error) => {
      process.stderr.write(`sandbox: cannot start ${QEMU}: ${error.message} (apt-get install qemu-system-x86)\n`);
      finish(SANDBOX_FAILURE_STATUS);
    });
    qemu.on('close', () => {
      if (pending) onLine(pending);
      if (timedOut) {
        process.stderr.write(`sandbox: command timed out after ${options.timeoutSeconds} s\n`);
        // What the VM was running when it last looked (every 30 s): where a hung command waited.
        if (existsSync(processSnapshot)) process.stderr.write(`sandbox: its processes then:\n${readFileSync(processSnapshot, 'utf8')}`);
        finish(SANDBOX_TIMEOUT_STATUS);
      } else if (status === undefined || Number.isNaN(status)) {
        process.stderr.write(
          `sandbox: the VM stopped without reporting the command's status\n${started ? '' : preamble}${qemuErrors}`,
        );
        finish(SANDBOX_FAILURE_STATUS);
      } else {
        finish(status);
      }
    });
  });
}
