import { z } from 'zod';
import type { ContactFields } from '../domain/contact.js';
import { canonicalUpToAsciiCase, isSmtpAddress } from '../domain/email.js';
import { importedWhatsappPhone } from './imported-phone.js';
import { hiddenCharacterProblem } from '../domain/plain-text.js';
import { optionalImportedText } from './imported-text.js';

/** The flat columns of a contacts CSV; a vCard is read into the same shape. */
export const CONTACT_COLUMNS = [
  'displayName',
  'givenName',
  'surname',
  'company',
  'department',
  'jobTitle',
  'email1',
  'email2',
  'email3',
  'businessPhone',
  'mobilePhone',
  'homePhone',
  'whatsappPhone',
  'superOfficeId',
  'ucwaPerson',
] as const;

export type ContactRecord = Partial<Record<(typeof CONTACT_COLUMNS)[number], string>>;

const optionalText = optionalImportedText;
// In the spelling the store keeps a contact's addresses in: a card finds the contact it is another version of whichever spelling each has.
const optionalEmail = optionalText
  .refine((value) => value === undefined || isSmtpAddress(value), 'is not an SMTP address')
  .superRefine((value, context) => {
    // One that shows nothing more would be a second card that reads as the first.
    const problem = value === undefined ? undefined : hiddenCharacterProblem(value);
    if (problem !== undefined) context.addIssue({ code: 'custom', message: problem });
  })
  .transform((value) => value && canonicalUpToAsciiCase(value));

const recordSchema = z.strictObject({
  displayName: optionalText,
  givenName: optionalText,
  surname: optionalText,
  company: optionalText,
  department: optionalText,
  jobTitle: optionalText,
  email1: optionalEmail,
  email2: optionalEmail,
  email3: optionalEmail,
  businessPhone: optionalText,
  mobilePhone: optionalText,
  homePhone: optionalText,
  whatsappPhone: importedWhatsappPhone,
  superOfficeId: optionalText,
  ucwaPerson: optionalText,
});

/** A contact record as checked: each value composed, trimmed and one line; an address in the spelling the store keeps. */
export type CheckedContactRecord = Partial<z.output<typeof recordSchema>>;

/** Checks each value of one contact record; returns them or a one-line reason. */
export function checkedContactRecord(record: ContactRecord): CheckedContactRecord | string {
  const parsed = recordSchema.safeParse(record);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues.find((i) => i.code === 'unrecognized_keys') ?? parsed.error.issues[0]!;
  if (issue.code === 'unrecognized_keys') return `unknown column ${issue.keys.map((k) => `'${k}'`).join(', ')}`;
  return `${issue.path.join('.')} ${issue.message}`;
}

/** The fields of a checked record, checking nothing again: a stored contact's values under a CSV row's are taken as they are stored. */
export function contactFieldsOf(r: CheckedContactRecord): ContactFields | string {
  const emailAddresses = [r.email1, r.email2, r.email3].filter((email): email is string => email !== undefined);
  const displayName = r.displayName ?? derivedDisplayName({ ...r, emailAddresses });
  if (!displayName) return 'a contact needs a display name, a given name or surname, a company or an email address';
  return {
    displayName,
    givenName: r.givenName,
    surname: r.surname,
    company: r.company,
    department: r.department,
    jobTitle: r.jobTitle,
    emailAddresses,
    phones: { business: r.businessPhone, mobile: r.mobilePhone, home: r.homePhone },
    refs: { whatsappPhone: r.whatsappPhone, superOfficeId: r.superOfficeId, ucwaPerson: r.ucwaPerson },
  };
}

/** The display name of a contact given none: its given name and surname, else its company, else its first address. */
export function derivedDisplayName(fields: Pick<ContactFields, 'givenName' | 'surname' | 'company' | 'emailAddresses'>): string | undefined {
  return [fields.givenName, fields.surname].filter(Boolean).join(' ') || fields.company || fields.emailAddresses[0];
}

/** A contact as the CSV row that imports it: what a row leaving out some columns is laid over. */
export function contactRecordOf(fields: ContactFields): CheckedContactRecord {
  const [email1, email2, email3] = fields.emailAddresses;
  const { displayName, givenName, surname, company, department, jobTitle, phones, refs } = fields;
  return {
    displayName,
    givenName,
    surname,
    company,
    department,
    jobTitle,
    email1,
    email2,
    email3,
    businessPhone: phones.business,
    mobilePhone: phones.mobile,
    homePhone: phones.home,
    whatsappPhone: refs.whatsappPhone,
    superOfficeId: refs.superOfficeId,
    ucwaPerson: refs.ucwaPerson,
  };
}
