import { LoggerService } from '@nestjs/common';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
const LEVEL_RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };
const SECRET_KEY = /pass(word)?|secret|token|authorization|api[-_]?key|credential|sasl/i;

export type LogFields = Record<string, unknown>;
export type LogSink = (line: string) => void;

/** Masks values under secret-looking keys, recursively. */
export function redactSecrets(value: unknown, depth = 0): unknown {
  if (depth > 6 || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((item) => redactSecrets(item, depth + 1));
  if (value instanceof Error) return { name: value.name, message: value.message, stack: value.stack };
  const out: Record<string, unknown> = {};
  for (const [key, inner] of Object.entries(value)) {
    out[key] = SECRET_KEY.test(key) ? '***' : redactSecrets(inner, depth + 1);
  }
  return out;
}

/**
 * Structured JSON logs, one object per line: time, level, service, context, msg, and fields
 * (agent, versionId, rolloutId… when the caller has them). Implements Nest's LoggerService.
 */
export class JsonLogger implements LoggerService {
  constructor(
    private readonly service: string,
    private readonly minLevel: LogLevel = 'info',
    private readonly sink: LogSink = (line) => process.stdout.write(line + '\n'),
    private readonly baseFields: LogFields = {},
  ) {}

  /** A logger that adds fixed fields (e.g. a component name) to every line. */
  child(fields: LogFields): JsonLogger {
    return new JsonLogger(this.service, this.minLevel, this.sink, { ...this.baseFields, ...fields });
  }

  write(level: LogLevel, msg: string, fields: LogFields = {}): void {
    if (LEVEL_RANK[level] < LEVEL_RANK[this.minLevel]) return;
    const entry = { time: new Date().toISOString(), level, service: this.service, ...this.baseFields, msg, ...(redactSecrets(fields) as LogFields) };
    this.sink(JSON.stringify(entry));
  }

  debug(message: unknown, ...rest: unknown[]): void {
    this.write('debug', String(message), this.nestFields(rest));
  }
  verbose(message: unknown, ...rest: unknown[]): void {
    this.write('debug', String(message), this.nestFields(rest));
  }
  log(message: unknown, ...rest: unknown[]): void {
    this.write('info', String(message), this.nestFields(rest));
  }
  info(msg: string, fields?: LogFields): void {
    this.write('info', msg, fields);
  }
  warn(message: unknown, ...rest: unknown[]): void {
    this.write('warn', String(message), this.nestFields(rest));
  }
  error(message: unknown, ...rest: unknown[]): void {
    const fields = this.nestFields(rest);
    if (message instanceof Error) {
      this.write('error', message.message, { ...fields, error: message });
    } else {
      this.write('error', String(message), fields);
    }
  }

  /** Nest passes (context) or (stack, context) or a fields object as trailing arguments. */
  private nestFields(rest: unknown[]): LogFields {
    const fields: LogFields = {};
    for (const item of rest) {
      if (typeof item === 'string') {
        if (item.includes('\n    at ')) fields.stack = item;
        else fields.context = item;
      } else if (item instanceof Error) {
        fields.error = item;
      } else if (item && typeof item === 'object') {
        Object.assign(fields, item);
      }
    }
    return fields;
  }
}
