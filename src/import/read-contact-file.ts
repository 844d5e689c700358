import { BASE64_TEXT } from '../domain/text-bytes.js';
import ICAL from 'ical.js';
import { MAX_CONTACT_EMAILS, type ContactFields } from '../domain/contact.js';
import { checkedContactRecord, CONTACT_COLUMNS, contactFieldsOf, type CheckedContactRecord, type ContactRecord } from './contact-record.js';
import { readCsvRecords } from './csv-records.js';
import { optionalImportedText } from './imported-text.js';
import { ImportFileError, nobodyIn } from './import-file-error.js';
import { vcard21As30 } from './vcard21.js';
import { contentLines, vcardCards, VcardLineError, type ContentLine, type VcardText } from './vcard-cards.js';

export const CONTACT_FORMATS = ['vcard', 'csv'] as const;
export type ContactFormat = (typeof CONTACT_FORMATS)[number];

/** One contact as read from a file, its photo still as the file carried it. */
export interface ContactDraft {
  where: string;
  fields: ContactFields;
  photo?: Buffer;
  /** A CSV row's checked values, of its header's columns only: a contact it updates keeps what the others hold. */
  csvRow?: CheckedContactRecord;
}

export interface ContactFileResult {
  drafts: ContactDraft[];
  problems: string[];
  /** What the file's cards hold that no contact field keeps, by what it is, with how many cards hold it: said, not dropped unseen. */
  notKept: Map<string, number>;
}

/** Reads every contact of a vCard (2.1, 3.0 or 4.0) or CSV file, collecting each bad one's reason and place. */
export function readContactFile(content: string, format: ContactFormat): ContactFileResult {
  return format === 'vcard' ? readVcards(content) : readCsv(content);
}

interface ReadEntry {
  where: string;
  record: ContactRecord | string;
  /** What of the card no field keeps (vCard properties, a fax number, a middle name). */
  notKept?: readonly string[];
  photo?: Buffer | string;
  /** A vCard's UID: what a later import of the same card is recognised by. */
  uid?: string;
  /** A CSV row: its draft says which columns its file has. */
  fromCsv?: boolean;
}

function collect(entries: ReadEntry[]): ContactFileResult {
  const result: ContactFileResult = { drafts: [], problems: entries.length === 0 ? [nobodyIn('contacts')] : [], notKept: new Map() };
  for (const { where, record, photo, uid, fromCsv = false, notKept = [] } of entries) {
    for (const what of notKept) result.notKept.set(what, (result.notKept.get(what) ?? 0) + 1);
    const checked = checkedEntry(record, fromCsv);
    if (typeof checked === 'string') result.problems.push(`${where}: ${checked}`);
    else if (typeof photo === 'string') result.problems.push(`${where}: ${photo}`);
    else {
      const { fields, csvRow } = checked;
      result.drafts.push({ where, fields: uid === undefined ? fields : { ...fields, refs: { ...fields.refs, vcardUid: uid } }, photo, csvRow });
    }
  }
  return result;
}

/** A record's fields, with a CSV row's checked values of its file's columns only (a left-out column is no key, an empty cell a key holding nothing); or why it is refused. */
function checkedEntry(record: ContactRecord | string, fromCsv: boolean): Pick<ContactDraft, 'fields' | 'csvRow'> | string {
  if (typeof record === 'string') return record;
  const checked = checkedContactRecord(record);
  if (typeof checked === 'string') return checked;
  const fields = contactFieldsOf(checked);
  if (typeof fields === 'string') return fields;
  if (!fromCsv) return { fields };
  return { fields, csvRow: Object.fromEntries(Object.keys(record).map((column) => [column, checked[column as keyof CheckedContactRecord]])) };
}

function readCsv(content: string): ContactFileResult {
  try {
    return collect(readCsvRecords<ContactRecord>(content, CONTACT_COLUMNS).map(({ where, record }) => ({ where, record, fromCsv: true })));
  } catch (error) {
    if (error instanceof ImportFileError) return { drafts: [], problems: error.problems, notKept: new Map() };
    throw error;
  }
}

function readVcards(content: string): ContactFileResult {
  if (!/^BEGIN:VCARD\s*$/im.test(content)) return { drafts: [], problems: ['no BEGIN:VCARD found'], notKept: new Map() };
  return collect(
    vcardCards(content).map((card) => ('problem' in card ? { where: card.where, record: card.problem } : { where: card.where, ...readCard(card) })),
  );
}

/** One card read by ical.js; a card it cannot read, by the line that it cannot. */
function readCard(card: VcardText): Omit<ReadEntry, 'where'> {
  // vCard 2.1 (Outlook's and old phones' export) is read as the 3.0 it says (vcard21.ts), each card by its own VERSION.
  const is21 = /^VERSION:2\.1\s*$/i.test(card.lines.find((line) => /^VERSION:/i.test(line)) ?? '');
  let lines: ContentLine[] | undefined;
  let jcard: unknown;
  try {
    lines = is21 ? vcard21As30(card) : undefined;
    jcard = ICAL.parse(lines ? lines.map(({ text }) => text).join('\r\n') : card.lines.join('\r\n'));
  } catch (error) {
    if (error instanceof VcardLineError) return { record: `line ${error.line}: ${error.message}` };
    const bad = (lines ?? contentLines(card)).find(({ text }) => !readsAlone(text));
    return { record: `${bad ? `line ${bad.line}: ` : ''}${(error as Error).message}` };
  }
  return vcardRecord(new ICAL.Component(jcard as unknown[]));
}

/** Whether ical.js reads a content line on its own: the one a card's parse failed at is the first that it does not. */
function readsAlone(text: string): boolean {
  // BEGIN and END are no properties; a card's own are where vcardCards found them.
  if (/^(BEGIN|END):/i.test(text)) return true;
  try {
    ICAL.parse.property(text, ICAL.design.vcard3);
    return true;
  } catch {
    return false;
  }
}

function vcardRecord(card: ICAL.Component): Omit<ReadEntry, 'where'> {
  // A text property may hold line breaks (an escaped \n); the fields kept are one line each.
  const value = (name: string) => {
    const first = card.getFirstPropertyValue(name);
    return first === null || first === undefined ? undefined : unescapedSemicolons(String(first)).replace(/\r?\n/g, ' ');
  };
  const [surname, givenName, ...otherNames] = structured(card.getFirstPropertyValue('n'));
  const [company, department] = structured(card.getFirstPropertyValue('org'));
  const emails = card.getAllProperties('email').map((property) => String(property.getFirstValue()));
  const { phones, notKept: phonesNotKept } = phonesOf(card);
  const notKept = [
    ...new Set(card.getAllProperties().flatMap((property) => (READ_PROPERTIES.has(property.name) ? [] : [property.name.toUpperCase()]))),
    ...(otherNames.some(Boolean) ? ["N's middle names, prefixes or suffixes"] : []),
    ...phonesNotKept,
    // As a second work number is: said, with how many cards hold it, the rest of the card kept (a fourth address refused the whole file).
    ...(emails.length > MAX_CONTACT_EMAILS ? [`an EMAIL past the first ${MAX_CONTACT_EMAILS}`] : []),
    ...ONE_KEPT.filter((name) => card.getAllProperties(name).length > 1).map((name) => `a second ${name.toUpperCase()}`),
  ];
  // Checked as the record's fields are: a UID is stored, shown in the vCard an export writes, and compared on every later import.
  const uid = optionalImportedText.safeParse(value('uid'));
  if (!uid.success) return { record: `UID ${uid.error.issues[0]!.message}` };
  return {
    record: {
      displayName: value('fn'),
      givenName,
      surname,
      company,
      department,
      jobTitle: value('title'),
      email1: emails[0],
      email2: emails[1],
      email3: emails[2],
      businessPhone: phones.work,
      mobilePhone: phones.cell,
      homePhone: phones.home,
    },
    photo: photoOf(card.getFirstProperty('photo')),
    uid: uid.data,
    notKept,
  };
}

/** The properties of which a contact keeps the first. */
const ONE_KEPT = ['fn', 'n', 'org', 'title', 'photo', 'uid'];

/** The properties a card is read by, and those about the card itself rather than the person (its version, the program that wrote it, when). */
const READ_PROPERTIES = new Set(['fn', 'n', 'org', 'email', 'tel', 'title', 'photo', 'uid', 'version', 'prodid', 'rev', 'kind']);

/**
 * A vCard text value with its escaped semicolons undone, which ical.js leaves as `\;` in a
 * property of one field (FN, TITLE) while undoing `\\`, `\,` and `\n` (kewisch/ical.js#173).
 * RFC 6350 §3.4: semicolons "in non-compound properties MAY be escaped. On input, an escaped
 * SEMICOLON character is never a field separator"; RFC 2426 (3.0) has `\;` among a text value's
 * escaped-char. A backslash written before an unescaped semicolon (`\\;`) ical.js has
 * already made the same `\;`, so it reads as `;` too.
 */
function unescapedSemicolons(text: string): string {
  return text.replaceAll('\\;', ';');
}

function structured(value: unknown): (string | undefined)[] {
  const parts = Array.isArray(value) ? value : typeof value === 'string' ? value.split(';') : [];
  return parts.map((part) => (Array.isArray(part) ? part.join(' ') : String(part ?? '')) || undefined);
}

/** TEL types of a line no one talks on: kept as a business number, a fax number was shown, and dialled, as the person's phone. */
const NOT_SPOKEN = ['fax', 'pager', 'modem', 'bbs', 'textphone'];

/** The first work, mobile and home number (a number without a type counts as work), and what of the numbers is not kept. */
function phonesOf(card: ICAL.Component): { phones: { work?: string; cell?: string; home?: string }; notKept: string[] } {
  const phones: { work?: string; cell?: string; home?: string } = {};
  const notKept = new Set<string>();
  for (const property of card.getAllProperties('tel')) {
    const types = [property.getParameter('type') ?? []].flat().map((type) => String(type).toLowerCase());
    const unspoken = NOT_SPOKEN.find((type) => types.includes(type));
    if (unspoken && !types.includes('voice') && !types.includes('cell')) {
      notKept.add(`TEL of type ${unspoken}`);
      continue;
    }
    const kind = types.includes('cell') ? 'cell' : types.includes('home') ? 'home' : 'work';
    if (phones[kind] === undefined) phones[kind] = writtenNumber(String(property.getFirstValue()));
    else notKept.add(`a second ${kind} TEL`);
  }
  return { phones, notKept: [...notKept] };
}

/**
 * A TEL value as the bridge keeps a number, as written: a vCard 4 `tel:` URI (RFC 3966) is its
 * number, after its `phone-context` when that is a number's start (§5.1.5), and its `ext`
 * parameter, "a phone extension" (§5.3), written as libphonenumber writes and reads one back
 * (" ext. 5555"), so Graph and the page show no URI parameters as digits. Other parameters
 * (`isub`, a domain context) are no part of the number dialled.
 */
function writtenNumber(value: string): string {
  // The parameters are the rest of the value: matched as `(.*)$`, a line terminator after a `;` made the number give back digits, quadratic in them.
  const uri = /^tel:([^;]*)/i.exec(value);
  if (!uri) return value;
  const [start, number = ''] = uri;
  const parameters = value.slice(start.length);
  const context = /;phone-context=(\+[^;]*)/i.exec(parameters)?.[1];
  const extension = /;ext=([^;]*)/i.exec(parameters)?.[1];
  return (context ? `${context}-${number}` : number) + (extension ? ` ext. ${extension}` : '');
}

/** An embedded photo (vCard 3 base64, vCard 4 data: URI) as bytes; a reason when it cannot be one. */
function photoOf(property: ICAL.Property | null): Buffer | string | undefined {
  if (!property) return undefined;
  const raw = String(property.getFirstValue() ?? '').replace(/\s+/g, '');
  if (/^https?:/i.test(raw)) return 'PHOTO is a URL; the bridge only imports embedded photos';
  const data = /^data:[^,]*;base64,(.*)$/i.exec(raw);
  const base64 = data ? data[1]! : raw;
  if (!BASE64_TEXT.test(base64) || base64 === '') return 'PHOTO is not base64 image data';
  return Buffer.from(base64, 'base64');
}
