/**
 * Exactly-once effect: remembers the eventIds seen, grouped by the window of
 * their occurredAt, so whole groups are forgotten once their window is past
 * the lateness horizon (a redelivery of such an event is classified late anyway).
 */
export class EventIdFilter {
  private readonly byWindow = new Map<number, Set<string>>();
  private lastWindowStartMs = NaN;
  private lastIds: Set<string> | undefined;

  static fromJSON(json: EventIdFilterJSON): EventIdFilter {
    const filter = new EventIdFilter();
    for (const { windowStartMs, eventIds } of json) filter.byWindow.set(windowStartMs, new Set(eventIds));
    return filter;
  }

  /** Records the id; false when it was already seen (a redelivery). */
  add(windowStartMs: number, eventId: string): boolean {
    let ids = windowStartMs === this.lastWindowStartMs ? this.lastIds : this.byWindow.get(windowStartMs);
    if (ids === undefined) {
      ids = new Set<string>();
      this.byWindow.set(windowStartMs, ids);
    }
    this.lastWindowStartMs = windowStartMs;
    this.lastIds = ids;
    if (ids.has(eventId)) return false;
    ids.add(eventId);
    return true;
  }

  /** Forgets the ids of every window starting before `windowStartMs`. */
  forgetBefore(windowStartMs: number): void {
    for (const start of this.byWindow.keys()) if (start < windowStartMs) this.byWindow.delete(start);
    this.lastWindowStartMs = NaN;
    this.lastIds = undefined;
  }

  get size(): number {
    let n = 0;
    for (const ids of this.byWindow.values()) n += ids.size;
    return n;
  }

  toJSON(): EventIdFilterJSON {
    return [...this.byWindow.entries()]
      .sort(([a], [b]) => a - b)
      .map(([windowStartMs, ids]) => ({ windowStartMs, eventIds: [...ids] }));
  }
}

export type EventIdFilterJSON = Array<{ windowStartMs: number; eventIds: string[] }>;
