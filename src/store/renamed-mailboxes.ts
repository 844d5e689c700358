import type { DirectoryUser } from '../domain/directory.js';
import { asciiLower, storedText } from '../domain/plain-text.js';
import { storedOrNull } from './store-rows.js';

/** A mailbox whose primary address an import changed, kept as one person under the new address. */
export interface RenamedMailbox {
  from: string;
  to: string;
}

/** A rename an import may hold, with the names the person comes with, as the store's rename statement takes them. */
export interface RenameCandidate extends RenamedMailbox {
  givenName: string | null;
  surname: string | null;
  alias: string | null;
  displayName: string;
}

/** What an import did beyond writing its rows. */
export interface DirectoryImport {
  renamed: RenamedMailbox[];
}

/**
 * The renames an import may hold. When Exchange's primary address changes (a marriage, a
 * new naming policy), its email address policy keeps the old one as a secondary proxy
 * address: the mailbox then comes in under a new primary address with the old one among
 * its other addresses. Each such pair is a candidate — an other address no one in the
 * import has as primary, taken by the first person who lists it, as a claimed address is.
 *
 * The store renames the person it has under `from` when it has no one under `to` yet and
 * the two share a name — the given name, the surname, the alias or the display name, ASCII
 * case ignored (sharesAName) — so that their id, photo and photo lock stay theirs and their
 * reports follow, where a new person beside the old one would have been made (and the old
 * one, with the photo an operator set, pruned). A marriage keeps the given name, a new
 * domain every name. The shared name keeps apart what is no rename: an address of someone
 * who left, given to a newcomer's mailbox; a file listing someone's address for another by
 * mistake — both then another's claim, as before.
 */
export function renameCandidates(users: readonly DirectoryUser[]): RenameCandidate[] {
  const primaries = new Set(users.map((user) => asciiLower(user.email)));
  const claimed = new Set<string>();
  const candidates: RenameCandidate[] = [];
  for (const user of users) {
    for (const address of user.otherAddresses ?? []) {
      const from = asciiLower(address);
      if (primaries.has(from) || claimed.has(from)) continue;
      claimed.add(from);
      candidates.push({
        from,
        to: asciiLower(user.email),
        // As the person's names are stored, which they are compared with.
        givenName: storedOrNull(user.givenName),
        surname: storedOrNull(user.surname),
        alias: storedOrNull(user.alias),
        displayName: storedText(user.displayName),
      });
    }
  }
  return candidates;
}

/** Candidates' old addresses per statement that picks those a stored person has. */
export const RENAME_CANDIDATES_PER_STATEMENT = 10_000;

/**
 * SQL true when the user a statement updates shares a name with a candidate whose names
 * are the parameters `names` (RenameCandidate's, in its order). A missing name matches none.
 */
export function sharesAName(names: readonly [givenName: string, surname: string, alias: string, displayName: string]): string {
  return ['given_name', 'surname', 'alias', 'display_name'].map((column, i) => `lower(${column}) = lower(${names[i]})`).join(' OR ');
}
