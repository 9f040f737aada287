/** A small injectable logger; the default writes JSON lines to stderr. */
export type LogLevelName = 'error' | 'warn' | 'info' | 'debug';

export interface MessagingLogger {
  log(level: LogLevelName, message: string, fields?: Record<string, unknown>): void;
}

const LEVEL_RANK: Record<LogLevelName, number> = { error: 0, warn: 1, info: 2, debug: 3 };
const SECRET_FIELD = /pass(word)?|secret|token|credential|sasl|authorization|private.?key/i;

export function jsonLinesLogger(
  options: { minLevel?: LogLevelName; write?: (line: string) => void; component?: string } = {},
): MessagingLogger {
  const minRank = LEVEL_RANK[options.minLevel ?? 'info'];
  const write = options.write ?? ((line: string) => process.stderr.write(line + '\n'));
  const component = options.component ?? 'messaging';
  return {
    log(level, message, fields) {
      if (LEVEL_RANK[level] > minRank) return;
      write(JSON.stringify({ time: new Date().toISOString(), level, component, message, ...redactSecrets(fields ?? {}) }));
    },
  };
}

export const silentLogger: MessagingLogger = { log: () => undefined };

/** Replaces values of secret-looking fields (recursively) so they never reach a log line. */
export function redactSecrets(fields: Record<string, unknown>, depth = 0): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(fields)) {
    if (SECRET_FIELD.test(name)) out[name] = '[redacted]';
    else if (value instanceof Error) out[name] = { name: value.name, message: value.message };
    else if (value && typeof value === 'object' && !Array.isArray(value) && depth < 4)
      out[name] = redactSecrets(value as Record<string, unknown>, depth + 1);
    else out[name] = value;
  }
  return out;
}
