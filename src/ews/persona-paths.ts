/**
 * A persona's properties named as the contact properties they are made from: `persona:DisplayName`
 * for `contacts:DisplayName`, and so on for each `contacts:` entry of `byContactPath` (MS-OXWSPERS
 * names a persona's DisplayName, GivenName, Surname and CompanyName as a contact's).
 */
export function personaPaths<T>(byContactPath: ReadonlyMap<string, T>): [string, T][] {
  return [...byContactPath].flatMap(([path, value]): [string, T][] =>
    path.startsWith('contacts:') ? [[`persona:${path.slice('contacts:'.length)}`, value]] : [],
  );
}
