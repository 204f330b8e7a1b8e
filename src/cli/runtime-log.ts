// runc-style logging for the runtime commands: --log FILE (created even when nothing is logged, since the
// containerd shim reads it after any failure), --log-format text|json; json lines are {"level","msg","time"}.
import { appendFileSync, closeSync, openSync } from 'node:fs';
import winston from 'winston';
import Transport from 'winston-transport';

export type LogFormat = 'text' | 'json';

/** Appends each entry synchronously, so nothing is lost when the command exits right after logging. */
class SyncAppendTransport extends Transport {
  constructor(
    private readonly target: string | number,
    options?: Transport.TransportStreamOptions,
  ) {
    super(options);
  }

  override log(info: Record<symbol | string, unknown>, next: () => void): void {
    appendFileSync(this.target, `${String(info[Symbol.for('message')])}\n`);
    next();
  }
}

function formatter(format: LogFormat): winston.Logform.Format {
  return winston.format.printf((info) => {
    const time = new Date().toISOString();
    if (format === 'json') return JSON.stringify({ level: info.level, msg: String(info.message), time });
    return `time="${time}" level=${info.level} msg=${JSON.stringify(String(info.message))}`;
  });
}

export interface RuntimeLog {
  logger: winston.Logger;
  /** True when entries go somewhere other than stderr (then errors are printed on stderr too, as runc does). */
  toFile: boolean;
}

export function createRuntimeLog(logPath: string | undefined, format: LogFormat, debug: boolean): RuntimeLog {
  if (logPath) closeSync(openSync(logPath, 'a'));
  const logger = winston.createLogger({
    level: debug ? 'debug' : 'info',
    format: formatter(format),
    transports: [new SyncAppendTransport(logPath ?? 2)],
  });
  return { logger, toFile: logPath !== undefined };
}
