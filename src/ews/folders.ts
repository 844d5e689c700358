import { createHash } from 'node:crypto';
import { BridgeError } from '../domain/errors.js';
import { shapeOf } from './contact-xml.js';
import { checkedIdList } from './requested-ids.js';
import type { EwsContext } from './ews-operation.js';
import { mailboxName } from '../http/own-mailboxes.js';
import { attribute, child, enumValue, requiredAttribute, requiredChild, soleChild, textOf } from './soap-args.js';
import type { XmlElement } from './soap-reader.js';
import { element, text } from './xml.js';

/**
 * The folders a mailbox shows here: the Contacts folder, and the two folders above it
 * that clients walk through to find it (exchangelib asks for the root before anything);
 * and the directory (Exchange 2013's `directory` distinguished folder: the GAL as
 * FindPeople searches it), which GetFolder answers — exchangelib's `account.directory`
 * asks for it so — and which holds no items and is in no folder's hierarchy. Every
 * mailbox has the same four; their ids are sealed like item ids.
 */
export const FOLDERS = {
  root: { code: 1, element: 't:Folder', displayName: 'Root', folderClass: undefined, parent: undefined },
  msgfolderroot: { code: 2, element: 't:Folder', displayName: 'Top of Information Store', folderClass: 'IPF.Note', parent: 'root' },
  contacts: { code: 3, element: 't:ContactsFolder', displayName: 'Contacts', folderClass: 'IPF.Contact', parent: 'msgfolderroot' },
  directory: { code: 4, element: 't:Folder', displayName: 'Directory', folderClass: undefined, parent: undefined },
} as const;
export type FolderName = keyof typeof FOLDERS;

/** The folders below `name`: its children, or (deep) every folder under it, each before its own. */
export function subfolders(name: FolderName, deep: boolean): FolderName[] {
  const children = (Object.keys(FOLDERS) as FolderName[]).filter((other) => FOLDERS[other].parent === name);
  return deep ? children.flatMap((folder) => [folder, ...subfolders(folder, true)]) : children;
}

const BY_CODE = new Map(Object.entries(FOLDERS).map(([name, folder]) => [folder.code as number, name as FolderName]));

/**
 * A FolderId or DistinguishedFolderId of a request, as read: only the strings that name
 * the folder. A read request is remembered (the SOAP memo counts it by its body's bytes),
 * so it keeps no element trees: 300 empty elements inside one folder id once made each
 * remembered 1.7 KB envelope hold ~100 KB. `mailbox`: in mailboxName's form, '' for none.
 */
export type FolderRef = { kind: 'distinguished'; name: string; mailbox: string } | { kind: 'id'; id: string } | { kind: 'other' };

export function readFolderRef(id: XmlElement): FolderRef {
  if (id.local === 'DistinguishedFolderId') return { kind: 'distinguished', name: requiredAttribute(id, 'Id'), mailbox: folderMailbox(id) };
  return id.local === 'FolderId' ? { kind: 'id', id: requiredAttribute(id, 'Id') } : { kind: 'other' };
}

function folderMailbox(id: XmlElement): string {
  return mailboxName(textOf(child(child(id, 'Mailbox'), 'EmailAddress')));
}

/**
 * The mailboxes the request's DistinguishedFolderIds name, wherever they are: the endpoint
 * finds which of them are the caller's (ownMailboxes) before the operation runs, so that
 * folderOf tells them apart with no store read of its own.
 */
export function mailboxesNamed(request: XmlElement): string[] {
  const named: string[] = [];
  const pending = [request];
  for (let element = pending.pop(); element; element = pending.pop()) {
    if (element.local !== 'DistinguishedFolderId') {
      pending.push(...element.children);
      continue;
    }
    const mailbox = folderMailbox(element);
    if (mailbox !== '') named.push(mailbox);
  }
  return named;
}

/** A TargetFolderIdType (SyncFolderId, FindPeople's ParentFolderId): one folder id, no fewer, no more. */
export function readTargetFolder(target: XmlElement): FolderRef {
  const [folder, ...more] = target.children;
  if (!folder || more.length > 0) throw BridgeError.schemaValidation(`The element '${target.local}' holds one folder id.`);
  return readFolderRef(folder);
}

/**
 * A folder request's FolderShape, which the schema requires with its BaseShape: read for
 * that alone, as every folder answers its few properties whole, whatever the shape asks.
 */
export function checkFolderShape(request: XmlElement): void {
  shapeOf(textOf(requiredChild(requiredChild(request, 'FolderShape'), 'BaseShape')), 'BaseShape');
}

/** The folder ids one FindItem, FindFolder or ResolveNames may name: every folder here is one of four. */
const MAX_PARENT_FOLDERS = 10;

/**
 * A request's ParentFolderIds (FindItem and FindFolder require one; ResolveNames may have
 * one): when given, one folder id at least, as its NonEmptyArrayOfBaseFolderIdsType has it,
 * and at most MAX_PARENT_FOLDERS.
 */
export function readParentFolders(request: XmlElement, required: true): FolderRef[];
export function readParentFolders(request: XmlElement, required: false): FolderRef[] | undefined;
export function readParentFolders(request: XmlElement, required: boolean): FolderRef[] | undefined {
  const list = required ? requiredChild(request, 'ParentFolderIds') : soleChild(request, 'ParentFolderIds');
  return list && checkedIdList(list.children, 'ParentFolderIds', MAX_PARENT_FOLDERS).map(readFolderRef);
}

/** What tells a request's folder ids apart: the caller's mailbox, and which mailboxes the request names are the caller's. */
type FolderContext = Pick<EwsContext, 'ids' | 'mailbox' | 'ownMailboxes'>;

/** Which folder a request's folder id names; ErrorFolderNotFound for any other (another mailbox's included). */
export function folderOf(ref: FolderRef, context: FolderContext): FolderName {
  if (ref.kind === 'distinguished' && Object.hasOwn(FOLDERS, ref.name) && (ref.mailbox === '' || context.ownMailboxes.has(ref.mailbox))) {
    return ref.name as FolderName;
  }
  if (ref.kind === 'id') {
    const sealed = context.ids.decode('folder', ref.id);
    const name = BY_CODE.get(sealed % 256);
    if (name && Math.floor(sealed / 256) === mailboxTag(context.mailbox)) return name;
  }
  throw folderNotFound();
}

/**
 * What a FolderId seals: the folder's code and a tag of its mailbox, so that one mailbox's
 * folder id is not found in another's, as in Exchange, where every mailbox's folders have
 * ids of their own. 40 bits of the address's hash: the id holds 48.
 */
function sealedFolder(name: FolderName, mailbox: string | undefined): number {
  return mailboxTag(mailbox) * 256 + FOLDERS[name].code;
}

function mailboxTag(mailbox: string | undefined): number {
  return createHash('sha256')
    .update(mailbox?.toLowerCase() ?? '')
    .digest()
    .readUIntBE(0, 5);
}

/** What a folder reference names, to tell references to one folder apart from others: its folder, or (none found) the reference itself. */
export function folderKey(context: FolderContext): (ref: FolderRef) => string {
  return (ref) => {
    try {
      return folderOf(ref, context);
    } catch {
      return `unknown ${JSON.stringify(ref)}`;
    }
  };
}

function folderNotFound(): BridgeError {
  return new BridgeError('ErrorFolderNotFound', 404, 'The specified folder could not be found in the store.');
}

/** What a folder's id is made from: the sealer, and the mailbox the folder is in. */
type FolderIdContext = Pick<EwsContext, 'ids' | 'mailbox'>;

/** A folder's id in its mailbox, as EWS hands it out (Graph's parentFolderId is the same id in Graph's form, exchange-id-forms.ts). */
export function folderId(name: FolderName, context: FolderIdContext): string {
  return context.ids.encode('folder', sealedFolder(name, context.mailbox));
}

function folderIdXml(tag: 't:FolderId' | 't:ParentFolderId', name: FolderName, context: FolderIdContext): string {
  return element(tag, { Id: folderId(name, context), ChangeKey: CHANGE_KEY });
}
// The folders themselves never change; only their contents do, and those carry their own ChangeKeys.
const CHANGE_KEY = 'AQAAAA==';

/** The folder in schema order: FolderId, ParentFolderId, FolderClass, DisplayName, TotalCount, ChildFolderCount (then UnreadCount, Folder only). */
export function folderXml(name: FolderName, totalCount: number, context: FolderIdContext): string {
  const folder = FOLDERS[name];
  return element(
    folder.element,
    {},
    folderIdXml('t:FolderId', name, context),
    folder.parent && folderIdXml('t:ParentFolderId', folder.parent, context),
    text('t:FolderClass', folder.folderClass),
    text('t:DisplayName', folder.displayName),
    text('t:TotalCount', totalCount),
    text('t:ChildFolderCount', subfolders(name, false).length),
    folder.element === 't:Folder' ? text('t:UnreadCount', 0) : undefined,
  );
}

/** The Contacts folder as the ParentFolderId of its items, when `fields` ask for it: made once for a request (a hash and a seal). */
export function contactsFolderXml(fields: ReadonlySet<string>, context: FolderIdContext): string | undefined {
  return fields.has('ParentFolderId') && context.mailbox ? folderIdXml('t:ParentFolderId', 'contacts', context) : undefined;
}

/**
 * The caller's folders that refs name; the others are left out, each to be answered in its
 * own message (ErrorFolderNotFound, ErrorInvalidIdMalformed).
 */
export function namedFolders(refs: readonly FolderRef[], context: FolderContext): Set<FolderName> {
  const names = new Set<FolderName>();
  for (const ref of refs) {
    try {
      names.add(folderOf(ref, context));
    } catch (error) {
      if (!(error instanceof BridgeError)) throw error;
    }
  }
  return names;
}

/**
 * The caller's Contacts folder's TotalCount, in the caller's search share: a count reads
 * every contact of the folder's index. Operations count it once, before their answer
 * starts, however often the folder is named (250 counts of a 20,000-contact folder were
 * 350 ms), so a spent share is the request's ErrorServerBusy fault, whose back-off clients
 * read, not one message's.
 */
export async function countContacts(context: Pick<EwsContext, 'mailbox' | 'store' | 'searches'>): Promise<number> {
  const mailbox = context.mailbox!;
  return (await context.searches.run(mailbox, () => context.store.pageContacts(mailbox, undefined, 0, 0))).total;
}

/** ItemQueryTraversalType, and Deep, which clients send FindItem too (exchangelib's `QuerySet.depth` offers it). */
const ITEM_TRAVERSALS = ['Shallow', 'Deep', 'SoftDeleted', 'Associated'] as const;

/** A SoftDeleted or Associated traversal: the bridge keeps neither deleted nor associated items. */
export function traversesNothing(request: XmlElement, required: boolean): boolean {
  const sent = required ? requiredAttribute(request, 'Traversal') : attribute(request, 'Traversal');
  const traversal = enumValue(sent, ITEM_TRAVERSALS, 'Traversal', 'Shallow');
  return traversal === 'SoftDeleted' || traversal === 'Associated';
}
