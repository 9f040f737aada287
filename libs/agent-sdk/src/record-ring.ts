/**
 * Bounded FIFO addressed by absolute sequence numbers. When full, push() overwrites the oldest entry.
 * Entries stay until released, so a batch being published can be read again for a retry.
 */
export class RecordRing<T> {
  private readonly slots: Array<T | undefined>;
  private head = 0;
  private tail = 0;

  constructor(readonly capacity: number) {
    this.slots = new Array<T | undefined>(capacity);
  }

  /** Appends; returns true when the oldest entry was evicted to make room. */
  push(item: T): boolean {
    const full = this.tail - this.head === this.capacity;
    if (full) this.head++;
    this.slots[this.tail % this.capacity] = item;
    this.tail++;
    return full;
  }

  get size(): number {
    return this.tail - this.head;
  }

  /** Sequence number of the oldest retained entry. */
  get headSeq(): number {
    return this.head;
  }

  /** Sequence number the next push() gets. */
  get tailSeq(): number {
    return this.tail;
  }

  /** Entry `seq`, which must be in [headSeq, tailSeq). */
  at(seq: number): T {
    return this.slots[seq % this.capacity] as T;
  }

  /** Forgets every entry below `seq` (already gone entries are skipped). */
  releaseBefore(seq: number): void {
    const end = Math.min(seq, this.tail);
    for (let s = this.head; s < end; s++) this.slots[s % this.capacity] = undefined;
    if (end > this.head) this.head = end;
  }
}
