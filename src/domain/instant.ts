/**
 * The two ways clients write an instant: EWS's xs:dateTime (XML Schema Part 2 §3.2.7, as
 * .NET reads it: seconds required, any number of fraction digits) and Graph's OData
 * DateTimeOffset (OData ABNF: seconds optional, a fraction of at most 12 digits only after
 * them). Both have a zone optional (none: UTC) of at most 14 hours, hours 00–23 (.NET and
 * the ABNF take no 24:00 for the end of a day) and no year 0000.
 */
export type InstantForm = 'xs:dateTime' | 'OData';

const ZONE = '(Z|[+-](?:(?:0\\d|1[0-3]):[0-5]\\d|14:00))?';
const FORMS: Readonly<Record<InstantForm, RegExp>> = {
  'xs:dateTime': new RegExp(`^(\\d{4}-\\d{2}-\\d{2})T(\\d{2}:\\d{2}:\\d{2})(\\.\\d+)?${ZONE}$`),
  OData: new RegExp(`^(\\d{4}-\\d{2}-\\d{2})T(\\d{2}:\\d{2}(?::\\d{2})?)(\\.\\d{1,12})?${ZONE}$`),
};

/**
 * An instant written in `form`, as the stores keep times: ISO 8601 in UTC to the
 * millisecond. Undefined for anything else, an impossible date included.
 */
export function isoInstant(text: string, form: InstantForm): string | undefined {
  const parts = FORMS[form].exec(text.trim());
  if (!parts) return undefined;
  const [, date, time, fraction = '', zone = 'Z'] = parts as unknown as [string, string, string, string?, string?];
  // OData's fraction follows seconds only (`T10:00.5` is none).
  if (fraction && time.length < 8) return undefined;
  const [year, month, day] = date.split('-').map(Number) as [number, number, number];
  if (year === 0 || Number(time.slice(0, 2)) > 23) return undefined;
  // Milliseconds, as Date reads them: `.5` is `.500`, `.1234567` is `.123`.
  const millis = Date.parse(`${date}T${time}${fraction && `${fraction}00`.slice(0, 4)}${zone}`);
  if (Number.isNaN(millis)) return undefined;
  // Date.parse rolls 2021-02-30 over into March: a date that does not exist is refused.
  const local = new Date(Date.UTC(year, month - 1, day));
  if (local.getUTCMonth() !== month - 1 || local.getUTCDate() !== day) return undefined;
  return new Date(millis).toISOString();
}
