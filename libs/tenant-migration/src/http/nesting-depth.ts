/**
 * The bound on how deeply a request's value nests arrays and objects, and its check.
 *
 * class-transformer and class-validator walk a value recursively, so a body of 100 kB of `[`
 * (50,000 levels) or of `{"a":` (20,000) overflows the stack: a RangeError, and a 500. No body
 * or query of the admin API nests more than two levels; 32 leaves room for any legitimate one.
 */
export const MAX_NESTING_DEPTH = 32;

/** An array or object to look into; a binary value is a leaf, as a string is. */
const isContainer = (value: unknown): value is object =>
  typeof value === 'object' && value !== null && !ArrayBuffer.isView(value);

/**
 * Whether `value` nests arrays or objects more than `limit` levels deep: a scalar is 0 levels,
 * `[]` and `{}` are 1, `{"a":[1]}` is 2. It keeps its own stack, so no depth overflows it, and
 * stops at the first container beyond the limit; a wide value costs one visit per member.
 */
export const nestsDeeperThan = (value: unknown, limit: number): boolean => {
  const containers: object[] = [];
  const depths: number[] = [];
  if (isContainer(value)) {
    containers.push(value);
    depths.push(1);
  }
  for (let container = containers.pop(); container !== undefined; container = containers.pop()) {
    const depth = depths.pop() ?? 0;
    if (depth > limit) return true;
    for (const member of Object.values(container)) {
      if (isContainer(member)) {
        containers.push(member);
        depths.push(depth + 1);
      }
    }
  }
  return false;
};
