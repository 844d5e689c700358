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

/** How many other addresses a user may carry: AD's proxyAddresses of a large mailbox stay well below it. */
export const MAX_OTHER_ADDRESSES = 100;

/** Every address a user is found by, the primary first. */
export function addressesOf(user: DirectoryUser): string[] {
  return [user.email, ...(user.otherAddresses ?? [])];
}
