/**
 * An xs:dateTime (EWS) or OData DateTimeOffset (Graph) — `2020-01-01T00:00:00Z`, with
 * seconds, a fraction and a zone optional (none: UTC) — as the stores keep times: ISO 8601
 * in UTC to the millisecond. Undefined for anything else, an impossible date included.
 */
export function isoInstant(text: string): string | undefined {
  const parts = INSTANT.exec(text.trim());
  if (!parts) return undefined;
  const [, date, time, fraction = '', zone = 'Z'] = parts as unknown as [string, string, string, string?, string?];
  // Milliseconds, as Date reads them: `.5` is `.500`, `.1234567` is `.123`.
  const millis = Date.parse(`${date}T${time}${fraction && `${fraction}00`.slice(0, 4)}${zone}`);
  if (Number.isNaN(millis)) return undefined;
  const instant = new Date(millis);
  // Date.parse rolls 2021-02-30 over into March: a date that does not exist is refused.
  const [year, month, day] = date.split('-').map(Number) as [number, number, number];
  const local = new Date(Date.UTC(year, month - 1, day));
  if (local.getUTCMonth() !== month - 1 || local.getUTCDate() !== day) return undefined;
  return instant.toISOString();
}

/** Year-month-day, hours and minutes (seconds optional), a fraction of up to 7 digits (.NET's ticks), a zone of at most 14 hours (XML Schema 1.1 Part 2 §3.3.7). */
const INSTANT = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2}(?::\d{2})?)(\.\d{1,7})?(Z|[+-](?:(?:0\d|1[0-3]):[0-5]\d|14:00))?$/;
