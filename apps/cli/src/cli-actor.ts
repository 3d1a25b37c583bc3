import { userInfo } from 'node:os';

/**
 * Who runs the CLI, for the audit log: `cli:<os user>`. Some containers have no passwd entry
 * for the user (userInfo throws there); the operation still runs, recorded as `cli:unknown`.
 */
export const cliActor = (user: () => { username: string } = userInfo): string => {
  try {
    const { username } = user();
    return `cli:${username || 'unknown'}`;
  } catch {
    return 'cli:unknown';
  }
};
