import type { Request } from 'express';

/** The members of a host's `request.user` that name who it is, in the order they are looked for. */
const IDENTITY_MEMBERS = ['id', 'sub', 'username', 'name', 'email'] as const;

/** Longest actor label kept: the audit log names a caller, it does not store documents. */
const MAX_ACTOR = 200;

/**
 * Who the audit log and the operations name for a request: `admin-api:<who>` from the guard's
 * `request.user` (a string, or its id, sub, username, name or email), else `admin-api`.
 */
export const actorOf = (request: Request): string => {
  const user: unknown = (request as Request & { user?: unknown }).user;
  let who: string | null = null;
  if (typeof user === 'string' && user) who = user;
  else if (typeof user === 'object' && user !== null) {
    for (const member of IDENTITY_MEMBERS) {
      const value: unknown = (user as Record<string, unknown>)[member];
      if ((typeof value === 'string' && value) || typeof value === 'number') {
        who = String(value);
        break;
      }
    }
  }
  if (who === null) return 'admin-api';
  // eslint-disable-next-line no-control-regex
  return `admin-api:${who.replace(/[\u0000-\u001f\u007f]/g, '?').slice(0, MAX_ACTOR)}`;
};
