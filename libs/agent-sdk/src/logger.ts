/** Logger port of the SDK; same shape as @iris/messaging's MessagingLogger, so either can be passed. */
export type AgentSdkLogLevel = 'error' | 'warn' | 'info' | 'debug';

export interface AgentSdkLogger {
  log(level: AgentSdkLogLevel, message: string, fields?: Record<string, unknown>): void;
}

/** Default: one JSON line per entry on stderr. */
export function stderrJsonLogger(component = 'iris.agent-sdk'): AgentSdkLogger {
  return {
    log(level, message, fields) {
      if (level === 'debug') return;
      process.stderr.write(JSON.stringify({ time: new Date().toISOString(), level, component, message, ...fields }) + '\n');
    },
  };
}

export const silentAgentLogger: AgentSdkLogger = { log: () => undefined };

/**
 * Lets at most one line per `intervalMs` through for each distinct message; the next line that passes
 * reports how many were suppressed meanwhile. Keeps an outage from flooding the agent's logs.
 */
export function rateLimitedLogger(inner: AgentSdkLogger, intervalMs: number, now: () => number = Date.now): AgentSdkLogger {
  const lastByMessage = new Map<string, { at: number; suppressed: number }>();
  return {
    log(level, message, fields) {
      const at = now();
      const last = lastByMessage.get(message);
      if (last && at - last.at < intervalMs) {
        last.suppressed++;
        return;
      }
      if (lastByMessage.size > 1000) lastByMessage.clear(); // bounded, even for messages with variable text
      lastByMessage.set(message, { at, suppressed: 0 });
      inner.log(level, message, last?.suppressed ? { ...fields, suppressed: last.suppressed } : fields);
    },
  };
}
