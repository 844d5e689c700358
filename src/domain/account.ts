export type Role = 'user' | 'admin';
export const ROLES: readonly Role[] = ['user', 'admin'];

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
