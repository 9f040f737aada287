import { createHash } from 'node:crypto';
import type { DataSource, QueryRunner } from 'typeorm';

/** A 64-bit advisory-lock key derived from a name. */
function lockKey(name: string): string {
  return BigInt.asIntN(64, BigInt('0x' + createHash('sha256').update(name).digest('hex').slice(0, 16))).toString();
}

/**
 * Leadership by a PostgreSQL session advisory lock held on a dedicated connection: among all
 * instances sharing the database, one runs the guarded work; the others take over when it stops or dies.
 */
export class LeaderLock {
  private runner?: QueryRunner;
  private readonly key: string;

  constructor(
    private readonly dataSource: DataSource,
    name: string,
  ) {
    this.key = lockKey(name);
  }

  get held(): boolean {
    return this.runner !== undefined;
  }

  /** Tries once; true when this instance now holds the lock. */
  async tryAcquire(): Promise<boolean> {
    if (this.runner) return true;
    const runner = this.dataSource.createQueryRunner();
    await runner.connect();
    try {
      const rows: Array<{ acquired: boolean }> = await runner.query('SELECT pg_try_advisory_lock($1::bigint) AS acquired', [this.key]);
      if (rows[0]?.acquired) {
        this.runner = runner;
        return true;
      }
    } catch (error) {
      await runner.release();
      throw error;
    }
    await runner.release();
    return false;
  }

  /** Throws when the connection holding the lock is gone (the lock went with it). */
  async assertHeld(): Promise<void> {
    if (!this.runner) throw new Error('leader lock not held');
    await this.runner.query('SELECT 1');
  }

  async release(): Promise<void> {
    const runner = this.runner;
    this.runner = undefined;
    if (!runner) return;
    try {
      await runner.query('SELECT pg_advisory_unlock($1::bigint)', [this.key]);
    } finally {
      await runner.release();
    }
  }
}
