export const ROLES = ['user', 'admin'] as const;
export type Role = (typeof ROLES)[number];

/** A login of the bridge. The name is usually the mailbox's SMTP address. */
export interface Account {
  username: string;
  passwordHash: string;
  role: Role;
}

/** Who a request is acting as, once authenticated. */
export interface Principal {
  username: string;
  role: Role;
}
