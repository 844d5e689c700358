import type { Request, RequestHandler } from 'express';
import type { Principal } from '../domain/account.js';
import { addressesOf } from '../domain/directory.js';
import { canonicalSmtpAddress, isSmtpAddress } from '../domain/email.js';
import { BridgeError } from '../domain/errors.js';
import type { PhotoFingerprint } from '../domain/photo.js';
import { userOwner } from '../domain/photo-owner.js';
import type { Logger } from '../logger.js';
import { admittedBody } from '../http/admitted-body.js';
import { ifMatchHolds, listNames } from '../http/etag-match.js';
import { InProgressPerAccount } from '../http/in-progress-per-account.js';
import { mailboxName, ownMailboxes } from '../http/own-mailboxes.js';
import { auditPhotoChange, type PhotoChangeActor, type PhotoChangeDoor } from '../photos/photo-change-audit.js';
import type { PhotoService } from '../photos/photo-service.js';
import type { PhotoPrecondition, Store } from '../store/store.js';

interface PhotoChangesOptions {
  store: Store;
  photos: PhotoService;
  log: Logger;
  /** BRIDGE_SELF_SERVICE_PHOTOS: users may change their own photo. */
  selfService: boolean;
}

/** Whether a caller may change a photo (what the page needs to offer "Change my photo"), or why not. */
interface PhotoChangeState {
  /** Whose photo: the directory person's primary address, or the address asked for when there is no such person (or it is not the caller's to know). */
  email: string;
  allowed: boolean;
  locked: boolean;
  reason?: string;
}

/** A stored photo, and the primary address of the person it is now the photo of. */
type ChangedPhoto = PhotoFingerprint & { email: string };

/** A change's If-Match and If-None-Match, as the request sent them. */
export interface ChangeConditions {
  'if-match'?: string | undefined;
  'if-none-match'?: string | undefined;
}

/**
 * Who may change whose photo, and one audit line per change (photo-change-audit.ts). An
 * administrator changes any user's photo; a user changes only their own, and only when
 * self-service is on and no administrator locked it. Every HTTP door that changes a user's
 * photo (admin API, Graph, self-service) goes through here, so the rule exists once; the
 * command line, whose operator owns the store anyway, writes the same audit line itself.
 */
export class PhotoChanges {
  constructor(private readonly options: PhotoChangesOptions) {}

  /**
   * Throws when `actor` may not change `email`'s photo: 403 with the reason, or for a user the
   * directory does not list, `unlisted`'s error (the door's own 404). Checked before the body
   * is read: an upload for no one was read whole first, after its 100 Continue.
   */
  async authorize(
    actor: Principal,
    email: string,
    conditions: ChangeConditions,
    unlisted: () => BridgeError | Promise<BridgeError> = () => BridgeError.userNotFound(email),
  ): Promise<void> {
    const person = await this.allowed(actor, email, unlisted);
    // The change's If-Match and If-None-Match (RFC 9110 §13.1.1–2), before the upload is read;
    // set and remove test them again in the write's own transaction.
    preconditionOf(conditions, this.options.photos)?.(await this.options.store.getPhotoInfo(userOwner(person)));
  }

  /** The primary address of the person whose photo `actor` may change by `email`; throws when they may not. */
  private async allowed(
    actor: Principal,
    email: string,
    unlisted: () => BridgeError | Promise<BridgeError> = () => BridgeError.userNotFound(email),
  ): Promise<string> {
    const { state, unlisted: isUnlisted } = await this.judged(actor, email);
    if (isUnlisted) throw await unlisted();
    if (!state.allowed) throw BridgeError.forbidden(state.reason!);
    return state.email;
  }

  /** Whether `actor` may change `email`'s photo, whether it is locked, and if refused, the message they get. */
  async stateFor(actor: Principal, email: string): Promise<PhotoChangeState> {
    return (await this.judged(actor, email)).state;
  }

  /**
   * Judged for the person `email` names, under their primary address, so a change by any of
   * their addresses is one person's (and audited as one target). Another's photo is refused
   * before anything is looked up: whom the directory lists is not told to those who may not
   * change them.
   */
  private async judged(actor: Principal, email: string): Promise<{ state: PhotoChangeState; unlisted?: true }> {
    if (actor.role !== 'admin' && !(await this.isOwn(actor, email)))
      return { state: { email, allowed: false, locked: false, reason: 'you may change only your own photo' } };
    const person = (await this.options.store.getUser(email))?.email;
    const locked = person === undefined ? undefined : await this.options.store.isPhotoLocked(person);
    if (person === undefined || locked === undefined)
      return {
        state: { email, allowed: false, locked: false, reason: 'the directory does not list this address, so it has no photo to change' },
        unlisted: true,
      };
    if (actor.role === 'admin') return { state: { email: person, allowed: true, locked } };
    if (!this.options.selfService) {
      return { state: { email: person, allowed: false, locked, reason: 'changing your own photo is turned off on this bridge; ask an administrator' } };
    }
    if (locked) return { state: { email: person, allowed: false, locked, reason: BridgeError.photoLocked().message } };
    return { state: { email: person, allowed: true, locked } };
  }

  /**
   * Whether `email` is the actor's own mailbox as the contact routes judge it (ownMailboxes):
   * their login, or another address of the directory person the login names (a login by UPN
   * changing the photo of the primary address /me gives as its id).
   */
  private async isOwn(actor: Principal, email: string): Promise<boolean> {
    const login = ownEmailOf(actor);
    const named = mailboxName(email);
    return login !== undefined && (await ownMailboxes(this.options.store, login, [named])).has(named);
  }

  /** Stores a new photo through the one upload pipeline (limits, normalising, caches). */
  async set(actor: Principal, email: string, image: Buffer, door: PhotoChangeDoor, conditions: ChangeConditions): Promise<ChangedPhoto> {
    const person = await this.allowed(actor, email);
    if (image.length === 0) throw BridgeError.invalidImage('the body is empty');
    // Looked at again as it is written: the decode between takes seconds, and a lock may come meanwhile.
    const stored = await this.options.photos.setPhoto(
      userOwner(person),
      image,
      'upload',
      actor.role !== 'admin',
      preconditionOf(conditions, this.options.photos),
    );
    auditPhotoChange(this.options.log, { actor, target: person, action: 'set photo', door, sha256: stored.sha256 });
    return { email: person, ...stored };
  }

  /** Removes the photo; false when there was none. */
  async remove(actor: Principal, email: string, door: PhotoChangeDoor, conditions: ChangeConditions): Promise<boolean> {
    const person = await this.allowed(actor, email);
    const removed = await this.options.photos.removePhoto(userOwner(person), preconditionOf(conditions, this.options.photos));
    if (removed) auditPhotoChange(this.options.log, { actor, target: person, action: 'remove photo', door });
    return removed;
  }

  /**
   * An administrator's (or the command line operator's) removal of a directory user, found by any
   * of their addresses, their photo with them: their primary address, undefined when there is no such user.
   */
  async removeUser(actor: PhotoChangeActor, email: string, door: PhotoChangeDoor): Promise<string | undefined> {
    if (!administers(actor)) throw BridgeError.forbidden('only an administrator may remove a user');
    const user = await this.options.store.getUser(email);
    if (!user || !(await this.options.store.removeUser(user.email))) return undefined;
    for (const address of addressesOf(user)) this.options.photos.forget(userOwner(address));
    auditPhotoChange(this.options.log, { actor, target: user.email, action: 'remove user', door });
    return user.email;
  }

  /** Whether the user's photo is locked; undefined for no such user. */
  isLocked(email: string): Promise<boolean | undefined> {
    return this.options.store.isPhotoLocked(email);
  }

  /**
   * An administrator's (or the command line operator's) lock or unlock of a user's photo, by
   * any of their addresses: the person's primary address, undefined when there is no such user.
   */
  async lock(actor: PhotoChangeActor, email: string, locked: boolean, door: PhotoChangeDoor): Promise<string | undefined> {
    if (!administers(actor)) throw BridgeError.forbidden('only an administrator may lock a photo');
    const person = (await this.options.store.getUser(email))?.email;
    if (person === undefined) return undefined;
    // Asked again, a lock already so changes nothing, and is logged as nothing.
    if ((await this.options.store.isPhotoLocked(person)) === locked) return person;
    if (!(await this.options.store.setPhotoLocked(person, locked))) return undefined;
    auditPhotoChange(this.options.log, { actor, target: person, action: locked ? 'lock photo' : 'unlock photo', door });
    return person;
  }
}

/**
 * A change's If-Match and If-None-Match as a condition on the stored photo; none without
 * either. A tag names the photo when it is exactly the ETag of one of its renditions, any size
 * or format (PhotoService.servesEtag); a placeholder's names none.
 */
function preconditionOf(conditions: ChangeConditions, photos: PhotoService): PhotoPrecondition | undefined {
  const ifMatch = conditions['if-match'];
  const ifNoneMatch = conditions['if-none-match'];
  if (ifMatch === undefined && ifNoneMatch === undefined) return undefined;
  return (stored) => {
    const current = stored && ((tag: string) => photos.servesEtag(stored, tag));
    if (!ifMatchHolds(ifMatch, current)) throw BridgeError.preconditionFailed('the photo is no longer the one If-Match names');
    if (ifNoneMatch !== undefined && current && listNames(ifNoneMatch, current, 'weak')) {
      throw BridgeError.preconditionFailed('the user has a photo that If-None-Match excludes');
    }
  };
}

/** Whether `actor` manages the directory: an administrator, or the operator of the command line, who owns the store anyway. */
function administers(actor: PhotoChangeActor): boolean {
  return actor.role === 'admin' || actor.role === 'operator';
}

/** The directory address a login stands for; undefined when its name is not an address (such a login has no photo of its own). */
export function ownEmailOf(actor: Principal): string | undefined {
  const name = actor.username.trim();
  return isSmtpAddress(name) ? canonicalSmtpAddress(name) : undefined;
}

/**
 * Uploads one account may have in flight at once, over every upload route: a person
 * changes one photo at a time, and each upload holds up to the upload limit in memory
 * while it arrives and is decoded — one login once parked a 10 MiB body on each of 150
 * connections (2 GB).
 */
const uploading = new InProgressPerAccount(2);

/**
 * The body of a photo upload, read only after the credentials were checked: raw bytes
 * of any content type (clients label images loosely), at most the upload limit, read as
 * SOAP bodies are (read-body.ts). An account with two uploads in progress is answered
 * 503 + Retry-After at once, its body not read.
 */
export function photoUploadBody(maxUploadBytes: number): RequestHandler {
  return admittedBody(uploading, 'photo uploads', maxUploadBytes, () =>
    BridgeError.imageTooLarge(`the body is larger than the upload limit (${maxUploadBytes} bytes)`),
  );
}

/** The uploaded bytes, as `photoUploadBody` read them (empty when there was no body). */
export function uploadedImage(req: Request): Buffer {
  return Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
}
