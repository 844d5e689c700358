import { UserSettingName } from 'ews-javascript-api';
import { ItemIds } from '../../src/ews/item-ids.js';
import { SyncStateWriter } from '../../src/ews/sync-state.js';
import type { Store } from '../../src/store/store.js';
import { envelope } from '../support/soap.js';

/**
 * The hostile SOAP requests of issue 8, built once: the in-process tests
 * (hostile-requests.test.ts) and `npm run abuse` (bench/abuse/) replay the same bytes.
 */

/** The body limit of the SOAP endpoint: the floods below fill it. */
export const ONE_MIB = 1024 * 1024;

/** Names every JavaScript object inherits; looked up with `in` or `obj[name]` they reach code, not data. */
export const INHERITED_NAMES = ['constructor', 'toString', '__proto__', 'valueOf'] as const;

export function getAttachment(attachmentIds: readonly string[]): string {
  return envelope(
    `<m:GetAttachment><m:AttachmentIds>${attachmentIds.map((id) => `<t:AttachmentId Id="${id}"/>`).join('')}</m:AttachmentIds></m:GetAttachment>`,
  );
}

export function convertId(ids: readonly string[], destination = 'HexEntryId'): string {
  const alternates = ids.map((id) => `<t:AlternateId Format="EwsId" Id="${id}" Mailbox="someone@contoso.com"/>`).join('');
  return envelope(`<m:ConvertId DestinationFormat="${destination}"><m:SourceIds>${alternates}</m:SourceIds></m:ConvertId>`);
}

export function getItem(itemIds: readonly string[], baseShape = 'AllProperties', additional = ''): string {
  const shape = `<m:ItemShape><t:BaseShape>${baseShape}</t:BaseShape>${additional}</m:ItemShape>`;
  return envelope(`<m:GetItem>${shape}<m:ItemIds>${itemIds.map((id) => `<t:ItemId Id="${id}"/>`).join('')}</m:ItemIds></m:GetItem>`);
}

export function resolveNames(entry: string, attributes = 'ReturnFullContactData="true" ContactDataShape="AllProperties"'): string {
  return envelope(`<m:ResolveNames ${attributes}><m:UnresolvedEntry>${entry}</m:UnresolvedEntry></m:ResolveNames>`);
}

export function getUserPhoto(email: string, size = 'HR96x96'): string {
  return envelope(`<m:GetUserPhoto><m:Email>${email}</m:Email><m:SizeRequested>${size}</m:SizeRequested></m:GetUserPhoto>`);
}

/** FindItem in the caller's Contacts folder, `folders` times over, paged by `view` (an IndexedPageItemView); `padding` empty elements inside each folder id. */
export function findItem(folders: number, view: string, padding = 0): string {
  const folder = `<t:DistinguishedFolderId Id="contacts">${'<t:a/>'.repeat(padding)}</t:DistinguishedFolderId>`;
  return envelope(
    `<m:FindItem Traversal="Shallow"><m:ItemShape><t:BaseShape>AllProperties</t:BaseShape></m:ItemShape>${view}<m:ParentFolderIds>${folder.repeat(folders)}</m:ParentFolderIds></m:FindItem>`,
  );
}

/** A FindItem of the Contacts folder whose QueryString holds `words` words: each is looked for in seven places of every contact. */
export function findItemQueryString(words: number): string {
  const text = Array.from({ length: words }, (_, i) => `w${i}`).join(' ');
  return envelope(
    `<m:FindItem Traversal="Shallow"><m:ItemShape><t:BaseShape>IdOnly</t:BaseShape></m:ItemShape><m:ParentFolderIds><t:DistinguishedFolderId Id="contacts"/></m:ParentFolderIds><m:QueryString>${text}</m:QueryString></m:FindItem>`,
  );
}

/** A FindPeople in a folder (`directory`: the GAL), searched by `query` when given, paged by `view` (an IndexedPageItemView), with a `restriction`. */
export function findPeople(folder: string, view: string, query?: string, restriction = ''): string {
  const search = query === undefined ? '' : `<m:QueryString>${query}</m:QueryString>`;
  return envelope(
    `<m:FindPeople><m:PersonaShape><t:BaseShape>Default</t:BaseShape></m:PersonaShape>${view}${restriction}<m:ParentFolderId><t:DistinguishedFolderId Id="${folder}"/></m:ParentFolderId>${search}</m:FindPeople>`,
  );
}

/** A FindItem or FindPeople Restriction that is an Or of `count` substring tests: each compares a part of every contact's name. */
export function orOfContains(count: number): string {
  return orOf(
    count,
    (i) =>
      `<t:Contains ContainmentMode="Substring" ContainmentComparison="IgnoreCase"><t:FieldURI FieldURI="contacts:DisplayName"/><t:Constant Value="n${i}"/></t:Contains>`,
  );
}

/** A Restriction that is an Or of `count` ordering comparisons of the company: each made of every contact, no index holding it. */
export function orOfCompanyBounds(count: number): string {
  return orOf(
    count,
    (i) =>
      `<t:IsGreaterThan><t:FieldURI FieldURI="contacts:CompanyName"/><t:FieldURIOrConstant><t:Constant Value="zz${i}"/></t:FieldURIOrConstant></t:IsGreaterThan>`,
  );
}

function orOf(count: number, test: (i: number) => string): string {
  return `<m:Restriction><t:Or>${Array.from({ length: count }, (_, i) => test(i)).join('')}</t:Or></m:Restriction>`;
}

/** SyncFolderItems on the caller's Contacts folder from `state`, `max` changes at most. */
export function syncFolderItems(state: string, max = 512): string {
  return envelope(
    `<m:SyncFolderItems><m:ItemShape><t:BaseShape>AllProperties</t:BaseShape></m:ItemShape><m:SyncFolderId><t:DistinguishedFolderId Id="contacts"/></m:SyncFolderId>` +
      `<m:SyncState>${state}</m:SyncState><m:MaxChangesReturned>${max}</m:MaxChangesReturned></m:SyncFolderItems>`,
  );
}

/**
 * A SyncState the bridge never gave: its items in the bridge's format (sync-state.ts) for the
 * Contacts folder — `count` ids two apart, each with a version the folder's contacts never
 * have — and no MAC, as a client makes one up.
 */
export function forgedSyncState(count: number): string {
  return Buffer.concat([Buffer.from([1, 3]), Buffer.alloc(count * 5, Buffer.from([2, 0, 0, 0, 0]))]).toString('base64');
}

/**
 * The SyncState the bridge gave a client of `mailbox` that then had `count` contacts, ids two
 * apart, since deleted: the largest a client can genuinely send. Sealed with the store's key,
 * as only the bridge can.
 */
export async function staleSyncState(store: Pick<Store, 'secret'>, mailbox: string, count: number): Promise<string> {
  const state = new SyncStateWriter('items', 'contacts', count);
  for (let i = 1; i <= count; i++) state.add(2 * i, 0);
  return state.sealedFor({ ids: new ItemIds(await store.secret('item-ids', 32)), mailbox });
}

/** A SyncState that fills most of a body with one id whose distance from the last never ends. */
export function endlessSyncState(bytes = ONE_MIB - 4096): string {
  return Buffer.concat([Buffer.from([1, 3]), Buffer.alloc(Math.floor((bytes * 3) / 4) - 2, 0xff)]).toString('base64');
}

/** One id listed as often as fits in `bodyBytes`: the 347 MB GetAttachment amplification. */
export function repeatedIds(id: string, bodyBytes = ONE_MIB): string[] {
  const overhead = getAttachment([]).length;
  const each = getAttachment([id]).length - overhead;
  return new Array<string>(Math.floor((bodyBytes - overhead) / each)).fill(id);
}

/** Ids that look like ids and decode to nothing: a long id list costs only its reading. */
export function distinctIds(count: number): string[] {
  return Array.from({ length: count }, (_, i) => Buffer.from(`not-an-id-${i}`).toString('base64'));
}

/** Short distinct attribute names, so ~95 k of them fit in 1 MiB. */
function attributes(count: number, from = 0): string {
  let xml = '';
  for (let i = from; i < from + count; i++) xml += ` a${i.toString(36)}=""`;
  return xml;
}

/** A ResolveNames whose operation element carries `count` attributes (sax compared each with all before it). */
export function attributesOnOneElement(count: number): string {
  return envelope(`<m:ResolveNames${attributes(count)}><m:UnresolvedEntry>a</m:UnresolvedEntry></m:ResolveNames>`);
}

/** Distinct within one element, repeated across elements: the shortest names that stay within the per-element limit. */
const SPREAD_NAMES = 'abcdefghijklmnopqrstuvwxyzABCDEF';

/**
 * `count` attributes spread over elements of 32 each (`a=""`, 5 bytes apiece): within
 * every per-element limit. At ~160 k it is the densest request the reader accepts —
 * 5000 elements of 32 attributes — in about 830 KB.
 */
export function attributesSpread(count: number, entry: string): string {
  let junk = '';
  for (let from = 0; from < count; from += SPREAD_NAMES.length) {
    const names = SPREAD_NAMES.slice(0, Math.min(SPREAD_NAMES.length, count - from));
    junk += `<t:j${[...names].map((name) => ` ${name}=""`).join('')}/>`;
  }
  return envelope(`<m:ResolveNames ReturnFullContactData="false"><m:UnresolvedEntry>${entry}</m:UnresolvedEntry>${junk}</m:ResolveNames>`);
}

/** `depth` nested elements inside the operation. */
export function nested(depth: number): string {
  return envelope(`<m:ResolveNames>${'<t:x>'.repeat(depth)}${'</t:x>'.repeat(depth)}</m:ResolveNames>`);
}

/** A GetUserPhoto with `blanks` characters of white space between every tag (the old fast path's regex backtracked on them). */
export function blanksInGetUserPhoto(email: string, blanks: number): string {
  const gap = ' \t\r\n'.repeat(blanks).slice(0, Math.floor(blanks / 6));
  return envelope(`${gap}<m:GetUserPhoto${gap}>${gap}<m:Email>${email}</m:Email>${gap}<m:SizeRequested>HR96x96</m:SizeRequested>${gap}</m:GetUserPhoto${gap}>`);
}

/** `<m:constructor/>` and its kind as the operation itself. */
export function inheritedNameAsOperation(name: string): string {
  return envelope(`<m:${name}/>`);
}

/** The name as an element and the entry of a ResolveNames. */
export function inheritedNameInResolveNames(name: string): string {
  return envelope(`<m:ResolveNames ReturnFullContactData="true"><m:${name}/><m:UnresolvedEntry>${name}</m:UnresolvedEntry></m:ResolveNames>`);
}

/** The name as a FieldURI, an element and an ItemId of a GetItem. */
export function inheritedNameInGetItem(name: string): string {
  return getItem([name], 'IdOnly', `<t:AdditionalProperties><t:FieldURI FieldURI="${name}"/><t:${name}/></t:AdditionalProperties>`);
}

/** The name where the schema allows only some values: ResolveNames' ContactDataShape and SearchScope, GetItem's BaseShape. */
export function inheritedNameAsEnumValues(name: string): string[] {
  return [
    envelope(
      `<m:ResolveNames ReturnFullContactData="true" ContactDataShape="${name}" SearchScope="${name}"><m:UnresolvedEntry>a</m:UnresolvedEntry></m:ResolveNames>`,
    ),
    getItem(['AAAA'], name),
  ];
}

/**
 * Names answers and faults repeat, each `length` characters: an unknown operation (its
 * name went into four element names of the answer: 900 KB → 3.6 MB), an unbound
 * attribute prefix and an unbound element prefix (quoted in the fault).
 */
export const LONG_NAMES = {
  operation: (length: number) => envelope(`<m:${'A'.repeat(length)}/>`),
  attributePrefix: (length: number) => envelope(`<m:ResolveNames ${'p'.repeat(length)}:x="1"><m:UnresolvedEntry>a</m:UnresolvedEntry></m:ResolveNames>`),
  elementPrefix: (length: number) => envelope(`<${'p'.repeat(length)}:GetUserPhoto/>`),
} as const;

/** Not XML at all past its first element. */
export const MALFORMED_ENVELOPE = '<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body><m:GetItem><<>&;';

const AUTODISCOVER_NS = 'http://schemas.microsoft.com/exchange/2010/Autodiscover';

/** A SOAP Autodiscover GetUserSettings for `users` mailboxes and `settings` names. */
export function getUserSettings(users: readonly string[], settings: readonly string[]): string {
  const mailboxes = users.map((user) => `<a:User><a:Mailbox>${user}</a:Mailbox></a:User>`).join('');
  const names = settings.map((name) => `<a:Setting>${name}</a:Setting>`).join('');
  return (
    `<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/" xmlns:a="${AUTODISCOVER_NS}"><soap:Body>` +
    `<a:GetUserSettingsRequestMessage><a:Request><a:Users>${mailboxes}</a:Users><a:RequestedSettings>${names}</a:RequestedSettings></a:Request></a:GetUserSettingsRequestMessage>` +
    '</soap:Body></soap:Envelope>'
  );
}

/** Every UserSettingName Exchange defines, as the EWS Managed API (ported to ews-javascript-api) names them: a numeric enum, so its names are its non-numeric keys. */
export const EXCHANGE_USER_SETTINGS: readonly string[] = Object.keys(UserSettingName).filter((key) => Number.isNaN(Number(key)));

/** `count` distinct setting names no Exchange defines, each `length` characters long. */
export function unknownSettings(count: number, length: number): string[] {
  return Array.from({ length: count }, (_, i) => `${i}`.padStart(length, 'x'));
}
