import type { KeyEntry } from './key-registry';
import type { TenantKey } from './keys';

interface TrackedSession {
  startedAtMs: number | null;
  endedAtMs: number | null;
  lastActivityMs: number;
}

interface KeySessions {
  readonly entry: KeyEntry;
  readonly sessions: Map<string, TrackedSession>;
}

export interface TrackedSessionJSON {
  key: TenantKey;
  sessionId: string;
  startedAtMs: number | null;
  endedAtMs: number | null;
  lastActivityMs: number;
}

/**
 * The live-sessions gauge, tracked by session id across windows: a repeated
 * start or end (even with another eventId) changes nothing, an end seen before
 * its start is remembered, so the gauge never goes negative nor double-counts.
 * Memory is bounded: an ended session is forgotten `retentionMs` after its end,
 * an open one after `retentionMs` without activity (expired: it no longer counts as live).
 */
export class SessionTracker {
  private readonly byKey = new Map<string, KeySessions>();
  private count = 0;

  constructor(private readonly retentionMs: number) {}

  static fromJSON(retentionMs: number, json: readonly TrackedSessionJSON[], intern: (key: TenantKey) => KeyEntry): SessionTracker {
    const tracker = new SessionTracker(retentionMs);
    for (const { key, sessionId, startedAtMs, endedAtMs, lastActivityMs } of json) {
      tracker.sessionsOf(intern(key)).set(sessionId, { startedAtMs, endedAtMs, lastActivityMs });
      tracker.count++;
    }
    return tracker;
  }

  /** True when this is the first start seen for the session. */
  started(key: KeyEntry, sessionId: string, atMs: number): boolean {
    const session = this.session(key, sessionId, atMs);
    if (session.startedAtMs !== null) return false;
    session.startedAtMs = atMs;
    return true;
  }

  /** True when this is the first end seen for the session. */
  ended(key: KeyEntry, sessionId: string, atMs: number): boolean {
    const session = this.session(key, sessionId, atMs);
    if (session.endedAtMs !== null) return false;
    session.endedAtMs = atMs;
    return true;
  }

  /** Activity (request, feedback) keeps a tracked session from expiring; untracked sessions are not created. */
  touched(key: KeyEntry, sessionId: string, atMs: number): void {
    const session = this.byKey.get(key.id)?.sessions.get(sessionId);
    if (session !== undefined && atMs > session.lastActivityMs) session.lastActivityMs = atMs;
  }

  /**
   * Sessions live at instant `atMs`, per tenant key id: started before it, and
   * neither ended before it nor idle for longer than the retention at that instant.
   */
  liveAt(atMs: number): Map<string, { key: TenantKey; live: number }> {
    const live = new Map<string, { key: TenantKey; live: number }>();
    for (const { entry, sessions } of this.byKey.values()) {
      let n = 0;
      for (const s of sessions.values()) if (s.startedAtMs !== null && s.startedAtMs < atMs && this.liveUntil(s) >= atMs) n++;
      if (n > 0) live.set(entry.id, { key: entry.key, live: n });
    }
    return live;
  }

  /** After this instant no tracked session is live (−Infinity when none is). */
  lastLiveInstant(): number {
    let last = -Infinity;
    for (const { sessions } of this.byKey.values()) {
      for (const s of sessions.values()) if (s.startedAtMs !== null) last = Math.max(last, this.liveUntil(s));
    }
    return last;
  }

  /** Forgets sessions ended, or idle, for longer than the retention at event time `watermarkMs`. */
  evict(watermarkMs: number): void {
    const horizon = watermarkMs - this.retentionMs;
    for (const [keyId, { sessions }] of this.byKey) {
      for (const [sessionId, s] of sessions) {
        if ((s.endedAtMs ?? s.lastActivityMs) < horizon) {
          sessions.delete(sessionId);
          this.count--;
        }
      }
      if (sessions.size === 0) this.byKey.delete(keyId);
    }
  }

  get size(): number {
    return this.count;
  }

  keyIds(): Iterable<string> {
    return this.byKey.keys();
  }

  toJSON(): TrackedSessionJSON[] {
    const out: TrackedSessionJSON[] = [];
    for (const { entry, sessions } of this.byKey.values()) {
      for (const [sessionId, s] of sessions) out.push({ key: { ...entry.key }, sessionId, ...s });
    }
    return out;
  }

  private liveUntil(s: TrackedSession): number {
    return s.endedAtMs ?? s.lastActivityMs + this.retentionMs;
  }

  private sessionsOf(key: KeyEntry): Map<string, TrackedSession> {
    let forKey = this.byKey.get(key.id);
    if (forKey === undefined) {
      forKey = { entry: key, sessions: new Map() };
      this.byKey.set(key.id, forKey);
    }
    return forKey.sessions;
  }

  private session(key: KeyEntry, sessionId: string, atMs: number): TrackedSession {
    const sessions = this.sessionsOf(key);
    let session = sessions.get(sessionId);
    if (session === undefined) {
      session = { startedAtMs: null, endedAtMs: null, lastActivityMs: atMs };
      sessions.set(sessionId, session);
      this.count++;
    } else if (atMs > session.lastActivityMs) {
      session.lastActivityMs = atMs;
    }
    return session;
  }
}
