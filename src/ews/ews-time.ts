import { BridgeError } from '../domain/errors.js';
import { isoInstant } from '../domain/instant.js';
import type { ContactMatch, TimeBound, TimeComparison } from '../store/store.js';
import { enumValue, textOf } from './soap-args.js';
import type { XmlElement } from './soap-reader.js';

/**
 * How precisely a request is shown times, and so how they are compared: its DateTimePrecision
 * header (Exchange 2010 SP2 on: "date/time values are returned to the nearest seconds", or
 * millisecond), whole seconds without one, as Exchange writes them.
 */
export type TimePrecision = (typeof PRECISIONS)[number];

const PRECISIONS = ['Seconds', 'Milliseconds'] as const;

export const DEFAULT_PRECISION: TimePrecision = 'Seconds';

/** The request's DateTimePrecision header, among the headers it kept: once at most, and one of the schema's two values. */
export function readTimePrecision(headers: readonly XmlElement[]): TimePrecision {
  const sent = headers.filter((header) => header.local === 'DateTimePrecision');
  if (sent.length > 1) throw BridgeError.schemaValidation(`the header 'DateTimePrecision' may occur once, not ${sent.length} times`);
  return sent[0] ? enumValue(textOf(sent[0]), PRECISIONS, 'DateTimePrecision', DEFAULT_PRECISION) : DEFAULT_PRECISION;
}

/** A stored time (ISO 8601 in UTC to the millisecond) as EWS writes it: 2026-11-25T21:07:18Z, or 2026-11-25T21:07:18.671Z. */
export function ewsDateTime(iso: string, precision: TimePrecision): string {
  return `${iso.slice(0, precision === 'Seconds' ? 19 : 23)}Z`;
}

/** The milliseconds of the unit a precision shows. */
const UNIT_MS: Readonly<Record<TimePrecision, number>> = { Seconds: 1000, Milliseconds: 1 };

/** The last instant the stores' text columns compare as instants: past year 9999, toISOString writes `+010000-…`, before every year in text. */
const LAST_INSTANT = Date.UTC(9999, 11, 31, 23, 59, 59, 999);

/** A fraction finer than the millisecond that is not zero (.NET writes ticks, 7 digits): the constant lies just after the millisecond isoInstant keeps. */
const PAST_THE_MILLISECOND = /\.\d{3,}[1-9]/;

const EVERY_CONTACT: ContactMatch = { and: [] };
const NO_CONTACT: ContactMatch = { not: EVERY_CONTACT };

/**
 * A contact's time compared with `constant` (an xs:dateTime) as the client is shown it: cut to
 * the precision's unit, so that `IsGreaterThan` the newest LastModifiedTime a client saw finds
 * none of the contacts it saw, and `IsEqualTo` it finds them. The bound is moved to a whole
 * unit, never the column cut, so the comparison stays one an index answers. Shown s (s cut to
 * the unit) against T: s > T ⇔ stored ≥ floor(T) + unit; s ≥ T ⇔ stored ≥ ceil(T);
 * s < T ⇔ stored < ceil(T); s ≤ T ⇔ stored < floor(T) + unit. Undefined for no xs:dateTime.
 */
export function timeMatchAsShown(comparison: TimeComparison, stamp: TimeBound['stamp'], constant: string, precision: TimePrecision): ContactMatch | undefined {
  const instant = isoInstant(constant, 'xs:dateTime');
  if (instant === undefined) return undefined;
  const at = Date.parse(instant);
  const unit = UNIT_MS[precision];
  const floor = Math.floor(at / unit) * unit;
  const next = floor + unit;
  const ceil = floor === at && !PAST_THE_MILLISECOND.test(constant) ? at : next;
  const from = (ms: number): ContactMatch => (ms > LAST_INSTANT ? NO_CONTACT : { bound: 'ge', time: new Date(ms).toISOString(), stamp });
  const before = (ms: number): ContactMatch => (ms > LAST_INSTANT ? EVERY_CONTACT : { bound: 'lt', time: new Date(ms).toISOString(), stamp });
  switch (comparison) {
    case 'gt':
      return from(next);
    case 'ge':
      return from(ceil);
    case 'lt':
      return before(ceil);
    case 'le':
      return before(next);
    case 'eq':
      return { and: [from(ceil), before(next)] };
    case 'ne':
      return { not: { and: [from(ceil), before(next)] } };
  }
}
