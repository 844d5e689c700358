import type { Role } from '../domain/account.js';
import type { Logger } from '../logger.js';

/** Which door a photo change came through. */
export type PhotoChangeDoor = 'admin-api' | 'self-service' | 'graph' | 'outlook' | 'cli';

/** `remove user`: the user left the directory, and their photo with them. */
export type PhotoChangeAction = 'set photo' | 'remove photo' | 'lock photo' | 'unlock photo' | 'remove user';

/** Who made a change: a login of the bridge, or (`operator`) the operating-system user running the command line. */
export interface PhotoChangeActor {
  username: string;
  role: Role | 'operator';
}

interface PhotoChange {
  actor: PhotoChangeActor;
  /** The directory user whose photo changed. */
  target: string;
  action: PhotoChangeAction;
  door: PhotoChangeDoor;
  /** A new photo's hash, so the line says which photo without carrying it. */
  sha256?: string;
}

/**
 * The one audit line of a photo change, whichever door it came through (HTTP or the
 * command line), so whoever reads the log finds every change in one shape: `audit: "photo"`,
 * actor, actorRole, target, action, door, and a new photo's sha256 — never its bytes.
 */
export function auditPhotoChange(log: Logger, { actor, target, action, door, sha256 }: PhotoChange): void {
  log.info(
    { audit: 'photo', actor: actor.username, actorRole: actor.role, target, action, door, ...(sha256 === undefined ? {} : { sha256 }) },
    `${actor.username}: ${action} of ${target}`,
  );
}
