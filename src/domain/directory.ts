/** References to the same person in other systems; each source reads the one it knows. */
export interface ExternalRefs {
  ldapDn?: string;
  graphId?: string;
  superOfficeId?: string;
  whatsappPhone?: string;
  ucwaPerson?: string;
}

export const EXTERNAL_REF_KEYS = ['ldapDn', 'graphId', 'superOfficeId', 'whatsappPhone', 'ucwaPerson'] as const;

/** A mailbox user of the directory (the GAL), keyed by primary SMTP address. */
export interface DirectoryUser {
  email: string;
  /**
   * The other addresses the mailbox is found by, lower case: its secondary (`smtp:`) proxy
   * addresses and a userPrincipalName that is not its address. Never shown as the address.
   */
  otherAddresses?: string[];
  displayName: string;
  givenName?: string;
  surname?: string;
  alias?: string;
  company?: string;
  department?: string;
  title?: string;
  businessPhone?: string;
  mobilePhone?: string;
  sipAddress?: string;
  /** The primary SMTP address of their manager; direct reports are the users who name them here. */
  manager?: string;
  /**
   * Exchange's HiddenFromAddressListsEnabled (AD's msExchHideFromAddressLists): left out of
   * every list and search — ResolveNames, FindPeople, the directory page, Graph's user list —
   * yet found by their address, as a hidden mailbox still receives mail and shows its photo.
   */
  hiddenFromAddressLists?: true;
  refs: ExternalRefs;
}

/** A user's fields a record may leave out: all but the primary address and the display name, which every record gives. */
export const OPTIONAL_USER_FIELDS = [
  'givenName',
  'surname',
  'alias',
  'company',
  'department',
  'title',
  'businessPhone',
  'mobilePhone',
  'sipAddress',
  'manager',
  'hiddenFromAddressLists',
  ...EXTERNAL_REF_KEYS,
  'otherAddresses',
] as const;

export type OptionalUserField = (typeof OPTIONAL_USER_FIELDS)[number];

/**
 * A user as an import of a file brings them: the fields in `kept`, which the record left out
 * (a CSV file without that column, a JSON object without that key), stay as the directory has
 * them, as an update by csvde or Entra's bulk update leaves what it does not name; every other
 * field is set, or cleared when it is undefined.
 */
export interface DirectoryUserUpdate extends DirectoryUser {
  kept?: readonly OptionalUserField[];
}

/** How many other addresses a user may carry: AD's proxyAddresses of a large mailbox stay well below it. */
export const MAX_OTHER_ADDRESSES = 100;

/** Every address a user is found by, the primary first. */
export function addressesOf(user: DirectoryUser): string[] {
  return [user.email, ...(user.otherAddresses ?? [])];
}
