import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { Contact } from '../domain/contact.js';
import { BridgeError } from '../domain/errors.js';

/** What an id points at. The kind is inside the MAC, so a contact id is never accepted as an attachment id. */
export type IdKind = 'contact' | 'contactPhoto' | 'folder';

const FORMAT_VERSION = 1;
const KIND_CODES: Record<IdKind, number> = { contact: 1, contactPhoto: 2, folder: 3 };
const PAYLOAD_BYTES = 8; // version, kind, 6-byte row id
/** Bytes of a version's hash an id of something replaced under its row (encode's `version`) carries after its payload. */
const VERSION_BYTES = 6;
const MAC_BYTES = 16;
/** Where a SyncState's MAC starts: never an id's payload (8 or 14 bytes, its format version first), so neither MAC stands for the other. */
const STATE_LABEL = Buffer.from('sync-state\0');

/**
 * Opaque, tamper-evident ids for EWS ItemId and AttachmentId: base64 of a versioned
 * payload (with the hash of what the row holds, for an id of one version of it) and an
 * HMAC over it, keyed by a secret kept in the store. A forged or
 * mangled id fails the MAC (ErrorInvalidIdMalformed); a genuine id of another
 * mailbox's item passes it and is then simply not found for this caller.
 */
export class ItemIds {
  constructor(private readonly key: Buffer) {}

  /**
   * The id of a row; with `version` (what the row holds now, a photo's hash), an id of that version
   * only (isOfVersion), for a thing that is replaced rather than changed under its row.
   */
  encode(kind: IdKind, rowId: number, version?: string): string {
    const payload = Buffer.alloc(PAYLOAD_BYTES);
    payload[0] = FORMAT_VERSION;
    payload[1] = KIND_CODES[kind];
    payload.writeUIntBE(rowId, 2, 6);
    const sealed = version === undefined ? payload : Buffer.concat([payload, versionTag(version)]);
    return Buffer.concat([sealed, this.mac(sealed)]).toString('base64');
  }

  /**
   * Whether a genuine id was given for this version of its row (encode's `version`), not an
   * earlier one. An id without a version, as every photo's was before ids named their photo,
   * stands for what the row holds: clients keep those across the upgrade, and their sync told
   * them of no change that would have them ask for new ones.
   */
  isOfVersion(id: unknown, version: string): boolean {
    const sealed = this.payloadOf(id);
    if (sealed === undefined) return false;
    return sealed.length === PAYLOAD_BYTES || sealed.subarray(PAYLOAD_BYTES).equals(versionTag(version));
  }

  /** The row id inside a genuine id of the given kind; ErrorInvalidIdEmpty for `Id=""`, ErrorInvalidIdMalformed otherwise. */
  decode(kind: IdKind, id: unknown): number {
    return this.decodeAny(kind, [id]);
  }

  /** The row id inside the first of some spellings of one id that is genuine and of the given kind; the errors of `decode` for the first spelling otherwise. */
  decodeAny(kind: IdKind, spellings: readonly unknown[]): number {
    for (const id of spellings) {
      const payload = this.payloadOf(id);
      if (payload !== undefined && payload[1] === KIND_CODES[kind]) return payload.readUIntBE(2, 6);
    }
    throw spellings[0] === '' ? BridgeError.invalidIdEmpty() : BridgeError.invalidIdMalformed();
  }

  /** The first of some spellings that is an id this bridge sealed, of any kind. */
  firstGenuine(candidates: readonly string[]): string | undefined {
    return candidates.find((id) => this.payloadOf(id) !== undefined);
  }

  /**
   * The MAC that binds a SyncState's bytes to the mailbox it was written for (sync-state.ts):
   * a state lists row ids, and one a client made up, or took from another mailbox, would have
   * SyncFolderItems tell it genuine ItemIds of contacts that are not its own.
   */
  stateMac(mailbox: string, state: Buffer): Buffer {
    const owner = Buffer.from(mailbox);
    const length = Buffer.alloc(4);
    length.writeUInt32BE(owner.length);
    return createHmac('sha256', this.key).update(STATE_LABEL).update(length).update(owner).update(state).digest().subarray(0, MAC_BYTES);
  }

  private payloadOf(id: unknown): Buffer | undefined {
    if (typeof id !== 'string' || !/^[A-Za-z0-9+/]+={0,2}$/.test(id)) return undefined;
    const raw = Buffer.from(id, 'base64');
    // Only the spelling encode() writes: `id==` decodes to the same bytes, and a request
    // listing both would get the same photo twice past the rule that answers an id once.
    const sealed = raw.length - MAC_BYTES;
    if ((sealed !== PAYLOAD_BYTES && sealed !== PAYLOAD_BYTES + VERSION_BYTES) || raw.toString('base64') !== id) return undefined;
    const payload = raw.subarray(0, sealed);
    return timingSafeEqual(raw.subarray(sealed), this.mac(payload)) && payload[0] === FORMAT_VERSION ? payload : undefined;
  }

  private mac(payload: Buffer): Buffer {
    return createHmac('sha256', this.key).update(payload).digest().subarray(0, MAC_BYTES);
  }
}

/** What an id carries of a version: a hash, as long as the version may be (a photo's SHA-256 in hex). */
function versionTag(version: string): Buffer {
  return createHash('sha256').update(version).digest().subarray(0, VERSION_BYTES);
}

/** Changes whenever the contact or its photo does, as EWS ChangeKeys do. */
export function changeKeyOf(contact: Contact): string {
  return createHash('sha256')
    .update(`${contact.id}|${contact.updatedAt}|${contact.photo?.sha256 ?? ''}`)
    .digest()
    .subarray(0, 15)
    .toString('base64');
}
