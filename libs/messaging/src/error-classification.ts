import { MessagingError } from './errors';

/**
 * What a handler failure means for the message being handled:
 * - `retriable`: the message is fine, a dependency is not (database down, broker hiccup): wait it out, never dead-letter;
 * - `permanent`: the message can never be handled (it is invalid, refused, poison): dead-letter it at once;
 * - `unknown`: anything else: a few bounded retries, then dead-letter (the behaviour before errors were told apart).
 */
export type ErrorClass = 'retriable' | 'permanent' | 'unknown';

/** Thrown (or used as a `cause`) by code that knows its failure is transient: the message is retried until it succeeds. */
export class RetriableError extends MessagingError {
  readonly code = 'MESSAGING_RETRIABLE';
}

/** Thrown by a handler that knows the message itself can never be handled: it is dead-lettered without retries. */
export class PoisonMessageError extends MessagingError {
  readonly code = 'MESSAGING_POISON_MESSAGE';
}

/** Node socket errors of a dependency that is (for now) unreachable. */
const RETRIABLE_SYSTEM_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ECONNABORTED', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'ENETDOWN', 'EAI_AGAIN']);

/**
 * PostgreSQL SQLSTATEs of a transient failure: class 08 (connection exception), serialization failure, deadlock,
 * too many connections / insufficient resources, lock not available, operator intervention (shutdown, restart).
 */
const RETRIABLE_SQLSTATE = /^(08...|40001|40P01|53...|55P03|57P0[1-3]|57014)$/;

/** Messages of transient failures that carry no code (pg, pg-pool, TypeORM). */
const RETRIABLE_MESSAGE =
  /connection terminated|timeout exceeded when trying to connect|connection timeout|client has encountered a connection error|too many clients|the database system is (starting up|shutting down)|terminating connection|socket hang up|Connection is not established|Driver not Connected/i;

/** Contract decode / validation failures and typed refusals: the message itself is at fault. */
const PERMANENT_CODES = new Set(['CONTRACT_VIOLATION', 'MESSAGING_POISON_MESSAGE']);

/** Classifies an error, looking through its `cause` chain (and AggregateError members): any retriable link makes it retriable. */
export function classifyError(error: unknown): ErrorClass {
  let permanent = false;
  for (const link of causeChain(error)) {
    if (link instanceof RetriableError) return 'retriable';
    if (link instanceof PoisonMessageError) permanent = true;
    if (!link || typeof link !== 'object') continue;
    const fields = link as { code?: unknown; retriable?: unknown; name?: unknown; message?: unknown };
    const code = typeof fields.code === 'string' ? fields.code : undefined;
    if (code && PERMANENT_CODES.has(code)) permanent = true;
    if (permanent) continue;
    if (fields.retriable === true) return 'retriable'; // kafkajs marks each error
    if (code && (RETRIABLE_SYSTEM_CODES.has(code) || RETRIABLE_SQLSTATE.test(code))) return 'retriable';
    if (typeof fields.message === 'string' && RETRIABLE_MESSAGE.test(fields.message)) return 'retriable';
  }
  return permanent ? 'permanent' : 'unknown';
}

export function isRetriableError(error: unknown): boolean {
  return classifyError(error) === 'retriable';
}

/** The error, its causes (`cause`, TypeORM's `driverError`) and AggregateError members, at most 16 deep. */
function causeChain(error: unknown): unknown[] {
  const seen: unknown[] = [];
  const queue: unknown[] = [error];
  while (queue.length > 0 && seen.length < 16) {
    const link = queue.shift();
    if (link === undefined || link === null || seen.includes(link)) continue;
    seen.push(link);
    if (typeof link !== 'object') continue;
    const fields = link as { cause?: unknown; driverError?: unknown; errors?: unknown };
    queue.push(fields.cause, fields.driverError);
    if (Array.isArray(fields.errors)) queue.push(...fields.errors);
  }
  return seen;
}
