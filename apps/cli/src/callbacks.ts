/**
 * One callback made of several: the engine takes one `onStage` and one `onProgress`, and more
 * than one observer (the progress bar, the verbose log, the crash tests' kill switch) follow a
 * run. Each is called in the order given; undefined when none is given, so that the engine can
 * skip work done only for an observer.
 */
export const allOf = <A extends unknown[]>(
  ...callbacks: (((...args: A) => void) | undefined)[]
): ((...args: A) => void) | undefined => {
  const given = callbacks.filter(
    (callback): callback is (...args: A) => void => callback !== undefined,
  );
  if (given.length === 0) return undefined;
  return (...args: A) => {
    for (const callback of given) callback(...args);
  };
};
