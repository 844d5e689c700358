import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { escapeXml } from './xml.js';

const WSDL_DIR = new URL('../../wsdl/', import.meta.url);

export const WSDL_PATH = fileURLToPath(new URL('Services.wsdl', WSDL_DIR));

/** The contract files, read once: the WSDL and the schemas it imports by relative name. */
export function loadWsdlDocuments(): { wsdl: string; schemas: ReadonlyMap<string, string> } {
  const read = (name: string) => readFileSync(new URL(name, WSDL_DIR), 'utf8');
  return { wsdl: read('Services.wsdl'), schemas: new Map(['messages.xsd', 'types.xsd'].map((name) => [name, read(name)])) };
}

/** The WSDL as served: its soap:address is the EWS URL under the base URL the client reached (the public URL behind a proxy). */
export function wsdlForHost(wsdl: string, origin: string): string {
  return wsdl.replace(/(<soap:address location=")[^"]*(")/, `$1${escapeXml(origin)}/EWS/Exchange.asmx$2`);
}
