import { z } from 'zod';
import { EXTERNAL_REF_KEYS, MAX_OTHER_ADDRESSES, OPTIONAL_USER_FIELDS, type DirectoryUser, type ExternalRefs } from '../domain/directory.js';
import { canonicalSmtpAddress, isSmtpAddress } from '../domain/email.js';
import { hiddenCharacterProblem } from '../domain/plain-text.js';
import { importedWhatsappPhone } from './imported-phone.js';
import { importedText, optionalImportedText, requiredImportedText } from './imported-text.js';

/** The columns of an import or export file, in the order an export writes them. */
export const DIRECTORY_COLUMNS = ['email', 'displayName', ...OPTIONAL_USER_FIELDS] as const;

const text = importedText;
const optionalText = optionalImportedText;

const address = text.refine(isSmtpAddress, 'is not an SMTP address').transform(canonicalSmtpAddress);

/** A CSV cell separates them by spaces, commas or semicolons; JSON lists them. */
const otherAddresses = z
  .union([z.string().transform((cell) => cell.split(/[\s,;]+/).filter((address) => address !== '')), z.array(z.string())])
  .pipe(z.array(address).max(MAX_OTHER_ADDRESSES, `lists more than ${MAX_OTHER_ADDRESSES} addresses`))
  .optional();

/**
 * Hidden from address lists: JSON's boolean, or a cell as LDAP writes it (TRUE, FALSE —
 * msExchHideFromAddressLists), any case, or 1/0; empty is not hidden.
 */
const HIDDEN_CELLS = new Map<string, true | undefined>([
  ['true', true],
  ['1', true],
  ['false', undefined],
  ['0', undefined],
  ['', undefined],
]);
const hidden = z
  .union([z.boolean(), z.string().transform((cell) => cell.trim().toLowerCase())], {
    error: 'is not true or false (JSON: a boolean, or "TRUE", "FALSE", "1" or "0" as text)',
  })
  .optional()
  .refine((value) => typeof value !== 'string' || HIDDEN_CELLS.has(value), 'is not TRUE, FALSE, 1 or 0')
  .transform((value) => (typeof value === 'string' ? HIDDEN_CELLS.get(value) : value || undefined));

const recordSchema = z.strictObject({
  email: address,
  otherAddresses,
  displayName: requiredImportedText,
  givenName: optionalText,
  surname: optionalText,
  alias: optionalText,
  company: optionalText,
  department: optionalText,
  title: optionalText,
  businessPhone: optionalText,
  mobilePhone: optionalText,
  sipAddress: optionalText,
  /** The manager's primary SMTP address. */
  manager: optionalText.pipe(address.optional()),
  hiddenFromAddressLists: hidden,
  ldapDn: optionalText,
  graphId: optionalText,
  superOfficeId: optionalText,
  whatsappPhone: importedWhatsappPhone,
  ucwaPerson: optionalText,
});

/**
 * Checks one flat record (a CSV row or a JSON object); returns the user or a one-line reason.
 * `stored` holds the addresses the directory has already that hold a character that shows
 * nothing (storedHiddenAddresses): those may come again, as an export imports again unchanged.
 */
export function toDirectoryUser(record: Record<string, unknown>, stored: ReadonlySet<string> = new Set()): DirectoryUser | string {
  const parsed = recordSchema.safeParse(record);
  if (!parsed.success) {
    const issues = parsed.error.issues;
    const unknown = issues.find((i) => i.code === 'unrecognized_keys');
    if (unknown) return `unknown column ${unknown.keys.map((k) => `'${k}'`).join(', ')}`;
    // Every problem of the row at once: mended one at a time, a row with two took two imports to learn of the second.
    return issues
      .map((issue) => {
        const field = issue.path.join('.') || 'record';
        return issue.code === 'invalid_type' && record[field] === undefined ? `${field} is required` : `${field} ${issue.message}`;
      })
      .join('; ');
  }
  const { email, displayName, otherAddresses, hiddenFromAddressLists, manager, ...fields } = parsed.data;
  const hidden = newAddressProblem(email, otherAddresses ?? [], stored);
  if (hidden !== undefined) return hidden;
  const refs: ExternalRefs = {};
  const user: DirectoryUser = { email, displayName, refs };
  if (hiddenFromAddressLists) user.hiddenFromAddressLists = true;
  // No one is their own manager, as import-ldap has none for an entry whose manager DN is its own (setManagers).
  if (manager !== undefined && manager !== email) user.manager = manager;
  const others = [...new Set(otherAddresses)].filter((other) => other !== email);
  if (others.length > 0) user.otherAddresses = others;
  for (const [key, value] of Object.entries(fields)) {
    if (value === undefined) continue;
    if ((EXTERNAL_REF_KEYS as readonly string[]).includes(key)) refs[key as keyof ExternalRefs] = value;
    else (user as unknown as Record<string, string>)[key] = value;
  }
  return user;
}

/**
 * Why an address the record brings would make its user a second person who reads as
 * another (hiddenCharacterProblem), named by its field; a manager is only looked up.
 */
function newAddressProblem(email: string, otherAddresses: readonly string[], stored: ReadonlySet<string>): string | undefined {
  const fields: [string, string][] = [['email', email], ...otherAddresses.map((other, i): [string, string] => [`otherAddresses.${i}`, other])];
  for (const [field, address] of fields) {
    const problem = stored.has(address) ? undefined : hiddenCharacterProblem(address);
    if (problem !== undefined) return `${field} ${problem}`;
  }
  return undefined;
}

/** The flat record an export writes for a user. */
export function toRecord(user: DirectoryUser): Record<(typeof DIRECTORY_COLUMNS)[number], string> {
  const { refs, otherAddresses, hiddenFromAddressLists, ...fields } = user;
  const flat: Record<string, string | undefined> = {
    ...fields,
    ...refs,
    otherAddresses: otherAddresses?.join(' '),
    hiddenFromAddressLists: hiddenFromAddressLists && 'TRUE',
  };
  return Object.fromEntries(DIRECTORY_COLUMNS.map((column) => [column, flat[column] ?? ''])) as Record<(typeof DIRECTORY_COLUMNS)[number], string>;
}
