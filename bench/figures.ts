/**
 * The benchmark's pure rules (no I/O, so unit-tested in figures.spec.ts): which child exits
 * count as success, how a figure is refused when it is not a real number, and in which order
 * the project and the reference run on each repeated run.
 */

/** A step of the benchmark (a child process, or a figure it printed) that did not give an answer. */
export class BenchStepError extends Error {
  constructor(
    readonly step: string,
    readonly reason: string,
  ) {
    super(`${step} failed: ${reason}`);
    this.name = 'BenchStepError';
  }
}

/** Which pipeline runs first on one run of a size. */
export type RunOrder = 'project-first' | 'reference-first';

/**
 * Run 1, 3, 5, ... time the project first; run 2, 4, ... the reference first, so neither
 * pipeline always gets the warmer (or colder) caches and page cache of going second.
 */
export const runOrder = (run: number): RunOrder => {
  if (!Number.isInteger(run) || run < 1) throw new RangeError(`run numbers start at 1, got ${run}`);
  return run % 2 === 1 ? 'project-first' : 'reference-first';
};

/**
 * Runs `project` and `reference` one after the other in the run's order; returns both results
 * whichever went first.
 */
export const inRunOrder = async <P, R>(
  run: number,
  project: () => Promise<P>,
  reference: () => Promise<R>,
): Promise<{ project: P; reference: R }> => {
  if (runOrder(run) === 'project-first') {
    const p = await project();
    return { project: p, reference: await reference() };
  }
  const r = await reference();
  return { project: await project(), reference: r };
};

/**
 * Whether a child's exit is a success for its step: it exited by itself (no signal) with one of
 * the codes the step accepts (the schema, seed and reference steps accept 0 only).
 */
export const exitAccepted = (
  code: number | null,
  signal: NodeJS.Signals | null,
  accepted: readonly number[],
): boolean => signal === null && code !== null && accepted.includes(code);

/** Why a child's exit is refused, in a few words for the one-line failure. */
export const exitReason = (code: number | null, signal: NodeJS.Signals | null): string =>
  signal !== null ? `killed by ${signal}` : `exited with ${code ?? 'no code'}`;

/** A measured figure, refused unless it is a finite number above zero. */
export const positiveFigure = (value: number, step: string, what: string): number => {
  if (!Number.isFinite(value) || value <= 0)
    throw new BenchStepError(step, `${what} is ${value}, not a positive number`);
  return value;
};

/** project / reference, refused when either figure (or the quotient) is not a positive number. */
export const ratio = (project: number, reference: number, step: string): number =>
  positiveFigure(
    positiveFigure(project, step, 'the project time') /
      positiveFigure(reference, step, 'the reference time'),
    step,
    'the ratio',
  );

/** The `seconds=` figure of the reference pipeline's one output line. */
export const referenceSeconds = (output: string): number => {
  const match = /\bseconds=(\d+(?:\.\d+)?)\b/.exec(output);
  if (!match)
    throw new BenchStepError(
      'reference pipeline',
      `no seconds= figure in its output: ${JSON.stringify(output.slice(0, 200))}`,
    );
  return positiveFigure(Number(match[1]), 'reference pipeline', 'its time');
};

/** A child's JSON output, or a failure naming the step when it is not JSON. */
export const parseOutput = <T>(output: string, step: string): T => {
  try {
    return JSON.parse(output) as T;
  } catch {
    throw new BenchStepError(
      step,
      `its output is not JSON: ${JSON.stringify(output.slice(0, 200))}`,
    );
  }
};

/** `--runs`: how many times each size is measured, a whole number from 1. */
export const parseRuns = (text: string): number => {
  const n = Number(text.replace(/_/g, ''));
  if (!/^\d[\d_]*$/.test(text) || !Number.isInteger(n) || n < 1)
    throw new RangeError(`--runs takes a whole number >= 1, got "${text}"`);
  return n;
};
