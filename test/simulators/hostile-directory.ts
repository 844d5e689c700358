import { createServer, type Server, type Socket } from 'node:net';

/**
 * An LDAP server that speaks just enough of the protocol (RFC 4511, BER as X.690 defines
 * it) to misbehave the ways a broken or hostile directory can: it takes any bind, then
 * answers a search with entries without end (`endless`, ignoring the sizeLimit it was
 * sent) or with one entry whose photo is `hugeBytes` long (`huge`). It never sends
 * SearchResultDone while the client still reads. `searchClosed()` tells how many bytes
 * it wrote to the connection that searched, once that closed. (test/simulators/README.md)
 */
export interface HostileDirectory {
  url: string;
  /** Resolves, once the connection that searched closes, with the bytes written to it. */
  searchClosed(): Promise<number>;
  close(): Promise<void>;
}

export async function startHostileDirectory(mode: 'endless' | 'huge', hugeBytes = 0): Promise<HostileDirectory> {
  let closed: Promise<number> = new Promise(() => {});
  const server = await serve((socket, message) => {
    if (message.operation === BIND_REQUEST) socket.write(ldapMessage(message.id, tlv(BIND_RESPONSE, SUCCESS)));
    else if (message.operation === SEARCH_REQUEST) closed = answerSearch(socket, message.id, mode, hugeBytes);
  });
  return { url: server.url, searchClosed: () => closed, close: server.close };
}

/** A simple bind as the client sent it (RFC 4511 §4.2: the name, and the password of `simple [0]`). */
export interface SimpleBind {
  dn: string;
  password: string;
}

/**
 * A directory that refuses every bind with `resultCode` and the diagnosticMessage
 * `diagnostic` makes of the bind (RFC 4511 §4.2.2, §4.1.9): one that quotes the password
 * back, as a broken or hostile server may. `binds` counts the binds it was sent.
 */
export interface RefusingDirectory {
  url: string;
  binds: number;
  close(): Promise<void>;
}

export async function startRefusingDirectory(resultCode: number, diagnostic: (bind: SimpleBind) => string): Promise<RefusingDirectory> {
  const server = await serve((socket, message) => {
    if (message.operation !== BIND_REQUEST) return;
    directory.binds++;
    const result = Buffer.concat([
      tlv(0x0a, Buffer.from([resultCode])),
      tlv(0x04, Buffer.alloc(0)),
      tlv(0x04, Buffer.from(diagnostic(simpleBindOf(message.body)))),
    ]);
    socket.write(ldapMessage(message.id, tlv(BIND_RESPONSE, result)));
  });
  const directory: RefusingDirectory = { url: server.url, binds: 0, close: server.close };
  return directory;
}

/** A loopback LDAP server handing each whole message to `answer`; an unbind ends the connection. */
async function serve(answer: (socket: Socket, message: LdapMessage) => void): Promise<{ url: string; close: () => Promise<void> }> {
  const server: Server = createServer((socket) => {
    socket.on('error', () => {});
    let pending = Buffer.alloc(0);
    socket.on('data', (data: Buffer) => {
      pending = Buffer.concat([pending, data]);
      for (let message = takeMessage(pending); message; message = takeMessage(pending)) {
        pending = pending.subarray(message.length);
        if (message.operation === UNBIND_REQUEST) socket.end();
        else answer(socket, message);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return { url: `ldap://127.0.0.1:${port}`, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

const BIND_REQUEST = 0x60;
const BIND_RESPONSE = 0x61;
const UNBIND_REQUEST = 0x42;
const SEARCH_REQUEST = 0x63;
const SEARCH_RESULT_ENTRY = 0x64;
/** LDAPResult: resultCode success, empty matchedDN and diagnosticMessage. */
const SUCCESS = Buffer.from([0x0a, 0x01, 0x00, 0x04, 0x00, 0x04, 0x00]);

/** Writes entries until the client goes away (or the huge one whole); resolves with the bytes written. */
function answerSearch(socket: Socket, id: number, mode: 'endless' | 'huge', hugeBytes: number): Promise<number> {
  let sent = 0;
  const photo = Buffer.alloc(1024 * 1024, 0xff);
  let entry = 0;
  const pump = () => {
    while (!socket.destroyed) {
      let piece: Buffer;
      if (mode === 'endless') piece = Buffer.concat([entryHead(id, `cn=person ${entry++},dc=example`, photo.length), photo]);
      else if (sent === 0) piece = entryHead(id, 'cn=huge,dc=example', hugeBytes);
      else if (sent < hugeBytes) piece = photo.subarray(0, Math.min(photo.length, hugeBytes - sent + 1));
      else return;
      sent += piece.length;
      if (!socket.write(piece)) return void socket.once('drain', pump);
    }
  };
  pump();
  return new Promise((resolve) => socket.once('close', () => resolve(sent)));
}

/** A SearchResultEntry up to the start of its one photo value, `photoBytes` long, which follows. */
function entryHead(id: number, dn: string, photoBytes: number): Buffer {
  const value = header(0x04, photoBytes);
  const values = header(0x31, value.length + photoBytes);
  const type = tlv(0x04, Buffer.from('thumbnailPhoto'));
  const attribute = header(0x30, type.length + values.length + value.length + photoBytes);
  const attributes = header(0x30, attribute.length + type.length + values.length + value.length + photoBytes);
  const name = tlv(0x04, Buffer.from(dn));
  const rest = Buffer.concat([name, attributes, attribute, type, values, value]);
  const operation = header(SEARCH_RESULT_ENTRY, rest.length + photoBytes);
  const messageId = tlv(0x02, Buffer.from([id]));
  return Buffer.concat([header(0x30, messageId.length + operation.length + rest.length + photoBytes), messageId, operation, rest]);
}

function ldapMessage(id: number, operation: Buffer): Buffer {
  return tlv(0x30, Buffer.concat([tlv(0x02, Buffer.from([id])), operation]));
}

function tlv(tag: number, content: Buffer): Buffer {
  return Buffer.concat([header(tag, content.length), content]);
}

/** A tag and a BER length (short form below 128, long form above). */
function header(tag: number, length: number): Buffer {
  if (length < 0x80) return Buffer.from([tag, length]);
  const bytes: number[] = [];
  for (let rest = length; rest > 0; rest = Math.floor(rest / 256)) bytes.unshift(rest % 256);
  return Buffer.from([tag, 0x80 | bytes.length, ...bytes]);
}

interface LdapMessage {
  id: number;
  operation: number;
  /** The protocolOp's contents. */
  body: Buffer;
  length: number;
}

/** The first whole LDAPMessage in `buffer`: its id (ldapts's stay small), its operation's tag and contents, and its length; undefined until all of it is in. */
function takeMessage(buffer: Buffer): LdapMessage | undefined {
  if (buffer.length < 2) return undefined;
  const [length, headerLength] = readLength(buffer, 1);
  if (buffer.length < headerLength + 1 + length) return undefined;
  const idAt = 1 + headerLength;
  const idLength = buffer[idAt + 1]!;
  let id = 0;
  for (let i = 0; i < idLength; i++) id = id * 256 + buffer[idAt + 2 + i]!;
  const operationAt = idAt + 2 + idLength;
  const [bodyLength, bodyHeader] = readLength(buffer, operationAt + 1);
  const bodyAt = operationAt + 1 + bodyHeader;
  return { id, operation: buffer[operationAt]!, body: buffer.subarray(bodyAt, bodyAt + bodyLength), length: 1 + headerLength + length };
}

/** BindRequest's contents: version INTEGER, name OCTET STRING, then `simple [0]` (RFC 4511 §4.2). */
function simpleBindOf(body: Buffer): SimpleBind {
  const [versionLength, versionHeader] = readLength(body, 1);
  const nameAt = 1 + versionHeader + versionLength;
  const [nameLength, nameHeader] = readLength(body, nameAt + 1);
  const passwordAt = nameAt + 1 + nameHeader + nameLength;
  const [passwordLength, passwordHeader] = readLength(body, passwordAt + 1);
  const password = body.subarray(passwordAt + 1 + passwordHeader, passwordAt + 1 + passwordHeader + passwordLength);
  return { dn: body.subarray(nameAt + 1 + nameHeader, passwordAt).toString('utf8'), password: password.toString('utf8') };
}

function readLength(buffer: Buffer, at: number): [length: number, headerLength: number] {
  const first = buffer[at]!;
  if (first < 0x80) return [first, 1];
  let length = 0;
  for (let i = 1; i <= (first & 0x7f); i++) length = length * 256 + buffer[at + i]!;
  return [length, 1 + (first & 0x7f)];
}
