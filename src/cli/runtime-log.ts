// runc-style logging for the runtime commands: --log FILE (created even when nothing is logged, since the
// containerd shim reads it after any failure), --log-format text|json; json lines are {"level","msg","time"}.
// winston is loaded on the first entry only: most invocations (create, start, state from a shim) log nothing, and
// every module loaded is start-up time on each of them.
import { appendFileSync, closeSync, openSync } from 'node:fs';
import type winston from 'winston';
import type Transport from 'winston-transport';

export type LogFormat = 'text' | 'json';

export type RuntimeLogger = Pick<winston.Logger, 'error' | 'warn' | 'info' | 'debug'>;

export interface RuntimeLog {
  /** The winston logger, made on first use. */
  readonly logger: RuntimeLogger;
  /** True when entries go somewhere other than stderr (then errors are printed on stderr too, as runc does). */
  toFile: boolean;
}

function makeLogger(target: string | number, format: LogFormat, debug: boolean): winston.Logger {
  const winstonModule = require('winston') as typeof winston;
  const TransportBase = require('winston-transport') as typeof Transport;

  /** Appends each entry synchronously, so nothing is lost when the command exits right after logging. */
  class SyncAppendTransport extends TransportBase {
    override log(info: Record<symbol | string, unknown>, next: () => void): void {
      appendFileSync(target, `${String(info[Symbol.for('message')])}\n`);
      next();
    }
  }

  return winstonModule.createLogger({
    level: debug ? 'debug' : 'info',
    format: winstonModule.format.printf((info) => {
      const time = new Date().toISOString();
      if (format === 'json') return JSON.stringify({ level: info.level, msg: String(info.message), time });
      return `time="${time}" level=${info.level} msg=${JSON.stringify(String(info.message))}`;
    }),
    transports: [new SyncAppendTransport()],
  });
}

export function createRuntimeLog(logPath: string | undefined, format: LogFormat, debug: boolean): RuntimeLog {
  if (logPath) closeSync(openSync(logPath, 'a'));
  let logger: winston.Logger | undefined;
  return {
    get logger(): RuntimeLogger {
      logger ??= makeLogger(logPath ?? 2, format, debug);
      return logger;
    },
    toFile: logPath !== undefined,
  };
}
