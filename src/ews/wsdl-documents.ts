import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { escapeXml } from './xml.js';

/** One service's contract in `wsdl/`: its folder, and the schemas its WSDL imports by relative name. */
interface Contract {
  readonly folder: URL;
  readonly schemas: readonly string[];
}

const WSDL_DIR = new URL('../../wsdl/', import.meta.url);
export const EWS_CONTRACT: Contract = { folder: WSDL_DIR, schemas: ['messages.xsd', 'types.xsd'] };
export const AUTODISCOVER_CONTRACT: Contract = { folder: new URL('autodiscover/', WSDL_DIR), schemas: ['messages.xsd'] };

/** Where a contract's WSDL is on disk: the `soap` package resolves its imports from there. */
export const wsdlPathOf = (contract: Contract): string => fileURLToPath(new URL('Services.wsdl', contract.folder));

/** The contract files, read once: the WSDL and its schemas, by their names in lower case. */
export function loadWsdlDocuments(contract: Contract = EWS_CONTRACT): { wsdl: string; schemas: ReadonlyMap<string, string> } {
  const read = (name: string) => readFileSync(new URL(name, contract.folder), 'utf8');
  return { wsdl: read('Services.wsdl'), schemas: new Map(contract.schemas.map((name) => [name, read(name)])) };
}

/** The WSDL as served: its soap:address is the service's path under the base URL the client reached (the public URL behind a proxy). */
export function wsdlForHost(wsdl: string, origin: string, servicePath = '/EWS/Exchange.asmx'): string {
  return wsdl.replace(/(<soap:address location=")[^"]*(")/, `$1${escapeXml(origin)}${servicePath}$2`);
}
