import { constants } from 'node:fs';
import { access, mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { InvalidOptionError } from '../errors/index.js';
import { errnoOf, folderProblemOf, isDiskFull } from '../common/file-errors.js';
import { errorMessage } from '../common/error-message.js';

/**
 * Creates the report folder if needed and checks that it can be written, before the report is
 * made: a folder that cannot be used is found at once, not after a full integrity check, and
 * said plainly (not as `EEXIST: file already exists, mkdir`).
 */
export const prepareFolder = async (folder: string): Promise<void> => {
  try {
    await mkdir(folder, { recursive: true });
    await access(folder, constants.W_OK);
  } catch (error) {
    const problem = folderProblemOf(error);
    if (problem)
      throw new InvalidOptionError(`cannot write the report into ${folder}: it ${problem}`, {
        folder,
        code: errnoOf(error),
      });
    throw error;
  }
};

/** Writes `text` under `<path>.partial`, then gives it its name: a full disk leaves no partial report behind. */
export const writeComplete = async (path: string, text: string): Promise<void> => {
  const partial = `${path}.partial`;
  try {
    await writeFile(partial, text);
    await rename(partial, path);
  } catch (error) {
    await rm(partial, { force: true }).catch(() => undefined);
    if (isDiskFull(error))
      throw new Error(`the disk is full: could not write the report ${path} (${errnoOf(error)})`, {
        cause: error,
      });
    throw new Error(`could not write the report ${path}: ${errorMessage(error)}`, { cause: error });
  }
};
