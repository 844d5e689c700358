import type { DirectoryUser } from '../domain/directory.js';
import { asciiLower } from '../domain/plain-text.js';

/**
 * A report names their manager by whichever address the source had: AD's `manager` DN read as
 * that entry's `mail`, a CSV's column, perhaps one of the manager's secondary (`smtp:`) proxy
 * addresses. Direct reports are found through the index on the manager column, by the
 * manager's primary address, so both stores keep that column as the manager's primary address:
 * after an import, a report naming an address that is no one's primary but someone's other
 * address (that address's owner, as a lookup finds it: the earliest to claim it) is made to name
 * that person's primary address. A report could name a manager's other address only where an
 * import wrote the report, or wrote the manager with that address among their others (imported
 * after their reports, or their primary address changed and the old one kept as another): the
 * addresses managerAddressesOf gives, each found through that index, so an import reads no other report.
 */
export function managerAddressesOf(users: readonly DirectoryUser[]): string[] {
  const addresses = new Set<string>();
  for (const user of users) {
    if (user.manager !== undefined) addresses.add(asciiLower(user.manager));
    for (const other of user.otherAddresses ?? []) addresses.add(asciiLower(other));
  }
  return [...addresses];
}

/**
 * SQLite: reports `which` selects (SQL on `r`) that name a manager by another address, made to
 * name the manager's primary one. The manager column and user_addresses compare NOCASE.
 */
export function sqliteManagersToPrimarySql(which: string): string {
  return `UPDATE users AS r SET manager = (SELECT email FROM users WHERE id = (SELECT min(user_id) FROM user_addresses WHERE address = r.manager))
    WHERE ${which} AND NOT EXISTS (SELECT 1 FROM users WHERE email = r.manager) AND EXISTS (SELECT 1 FROM user_addresses WHERE address = r.manager)`;
}

/**
 * The same on PostgreSQL, for the reports naming one of `addresses` (SQL for a text[] in ASCII
 * lower case, as the other addresses are kept and as lower() folds under "C"). The addresses
 * reports name that are no one's primary are found first, through the manager index, and only
 * their owners looked up in the other addresses' GIN index: looking up every address an import
 * brings, or a min(id) per report (planned as a walk of the primary key testing every user's
 * addresses), made an import of 30,000 users take a minute instead of two seconds.
 */
export function postgresManagersToPrimarySql(addresses: string): string {
  return `WITH named AS (
      SELECT DISTINCT lower(r.manager) AS address FROM users r
      WHERE lower(r.manager) = ANY (${addresses}) AND NOT EXISTS (SELECT 1 FROM users WHERE lower(email) = lower(r.manager))
    ), owners AS (
      SELECT n.address, min(u.id) AS id FROM named n JOIN users u ON u.other_addresses @> jsonb_build_array(n.address) GROUP BY n.address
    )
    UPDATE users r SET manager = m.email FROM owners o JOIN users m ON m.id = o.id WHERE lower(r.manager) = o.address`;
}
