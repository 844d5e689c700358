import type { EwsOperation } from './ews-operation.js';
import { MESSAGES_NS } from './namespaces.js';
import { convertId } from './operations/convert-id.js';
import { findFolder } from './operations/find-folder.js';
import { findItem } from './operations/find-item.js';
import { findPeopleOperation } from './operations/find-people.js';
import { getAttachment } from './operations/get-attachment.js';
import { getFolder } from './operations/get-folder.js';
import { getItem } from './operations/get-item.js';
import { getPersona } from './operations/get-persona.js';
import { getUserPhoto } from './operations/get-user-photo.js';
import { resolveNames } from './operations/resolve-names.js';
import { syncFolderHierarchy } from './operations/sync-folder-hierarchy.js';
import { syncFolderItems } from './operations/sync-folder-items.js';
import { readWsdlContract, type ContractOperation } from './wsdl-contract.js';

/** The code behind each operation the WSDL names. */
export const OPERATION_HANDLERS: ReadonlyMap<string, EwsOperation> = new Map<string, EwsOperation>([
  ['GetUserPhoto', getUserPhoto],
  ['ResolveNames', resolveNames],
  ['GetItem', getItem],
  ['GetAttachment', getAttachment],
  ['GetFolder', getFolder],
  ['FindItem', findItem],
  ['FindFolder', findFolder],
  ['SyncFolderItems', syncFolderItems],
  ['SyncFolderHierarchy', syncFolderHierarchy],
  ['FindPeople', findPeopleOperation],
  ['GetPersona', getPersona],
  ['ConvertId', convertId],
]);

/** Request element (local name in the messages namespace) → operation: what dispatch looks up. */
export type OperationTable = ReadonlyMap<string, { name: string; operation: EwsOperation }>;

/**
 * The dispatch table, built from the served WSDL: every operation it declares must have
 * code here and every handler must be declared there, or the bridge does not start.
 * A Map, so no request element can reach an inherited property (`constructor`, `__proto__`).
 */
export async function loadOperationTable(contract?: readonly ContractOperation[]): Promise<OperationTable> {
  const operations = contract ?? (await readWsdlContract());
  const problems = [
    ...operations.filter((op) => !OPERATION_HANDLERS.has(op.name)).map((op) => `the WSDL declares ${op.name}, which has no handler`),
    ...[...OPERATION_HANDLERS.keys()]
      .filter((name) => !operations.some((op) => op.name === name))
      .map((name) => `${name} has a handler but is not in the WSDL`),
    ...operations.filter((op) => op.requestElement.ns !== MESSAGES_NS).map((op) => `${op.name}'s request element is not in the messages namespace`),
  ];
  if (problems.length > 0) throw new Error(`wsdl/ and the EWS operations disagree:\n  ${problems.join('\n  ')}`);
  return new Map(operations.map((op) => [op.requestElement.local, { name: op.name, operation: OPERATION_HANDLERS.get(op.name)! }]));
}
