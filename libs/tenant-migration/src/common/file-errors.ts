/** The system error code (`ENOENT`, `ENOSPC`...) of a failed file operation, if it has one. */
export const errnoOf = (error: unknown): string | undefined => {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
};

/**
 * Why a folder cannot be written into, for the codes a caller can fix by naming another
 * folder (a usage error, not a broken machine): `<folder> <reason>`.
 */
const FOLDER_PROBLEMS: Readonly<Record<string, string>> = {
  ENOENT: 'does not exist and cannot be created',
  ENOTDIR: 'is not a folder',
  EEXIST: 'is not a folder',
  EACCES: 'is not writable',
  EPERM: 'is not writable',
  EROFS: 'is on a read-only file system',
  ENAMETOOLONG: 'has too long a name',
  ELOOP: 'has too many symbolic links',
};

/** The reason a folder operation failed with `error`, when it is one the caller can act on. */
export const folderProblemOf = (error: unknown): string | undefined => {
  const code = errnoOf(error);
  return code ? FOLDER_PROBLEMS[code] : undefined;
};

/** Whether a write failed because the disk (or the user's quota) is full. */
export const isDiskFull = (error: unknown): boolean => {
  const code = errnoOf(error);
  return code === 'ENOSPC' || code === 'EDQUOT';
};
