import { preview } from './reasons.js';

/** A member name that appears more than once in one object of a JSON text. */
export interface DuplicateName {
  /** Where the member is: `emoji`, `features.whatsapp`, `items[2].name`. */
  readonly path: string;
  /** How many times the name appears in that object: 2 or more. */
  readonly count: number;
}

/** Distinct duplicates reported per text: a hostile value could otherwise carry thousands. */
export const MAX_DUPLICATES_REPORTED = 10;

/**
 * Up to this many names an object's names are compared one by one: no allocation, and
 * cheaper than a Set for the 2 members of a legacy value or the at most 15 of an enhanced
 * one (names of different lengths differ at the first test). Past it they go into a Set,
 * so a hostile object of many thousand members stays linear.
 */
const LINEAR_SEARCH_LIMIT = 16;
/** A string value is read unit by unit up to this length, then by `indexOf` jumps. */
const SHORT_STRING = 32;
/** Path segments shown either side of the elided middle of a deep path, so a field stays short. */
const PATH_EDGE_SEGMENTS = 4;
/** Scratch arrays grown past this are dropped after the scan, so one huge value does not pin memory. */
const KEEP_CAPACITY = 1024;
/** A name shown as it is in a path; any other (empty, long, dots, NUL, lone surrogates) is shown by `preview`. */
const PLAIN_NAME = /^[A-Za-z0-9_$-]{1,64}$/;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;

const NONE: readonly DuplicateName[] = Object.freeze([]);

// The scan's stacks. They live here, reused by every call, because the scan runs once per
// Redis key: allocating them per call cost more than the scan of a typical value. The scan
// is synchronous and calls no user code, so no two scans share them; every slot is written
// before it is read within a call.
//
// Open containers, innermost last: the index in the name table of an object's first name
// (-1 for an array); the member being read (an object's name index, an array's element
// index); where the container opens in the text, which identifies the object; and, for
// objects past `LINEAR_SEARCH_LIMIT` names, the Set of their names.
const frameFirstName: number[] = [];
const frameCurrent: number[] = [];
const frameOpener: number[] = [];
const frameNameSet: (Set<string> | undefined)[] = [];
// The names of every open object, outermost first: where each lies in the text (between
// its quotes) and, for a name written with escapes, what it decodes to.
const nameStart: number[] = [];
const nameEnd: number[] = [];
const nameDecoded: (string | undefined)[] = [];

interface Found {
  readonly objectOpener: number;
  readonly name: string;
  readonly path: string;
  count: number;
}

/**
 * Every member name that appears more than once in the same object of `text`, at any depth
 * (at most `MAX_DUPLICATES_REPORTED`, in the order of their second occurrences).
 * `JSON.parse` keeps the last of such members silently, so which value the sender meant is
 * ambiguous. Names are compared as decoded: `"a"` and `"\u0061"` are the same name.
 *
 * `text` must be valid JSON (the caller has parsed it): the scan follows structure only, so
 * numbers, literals and whitespace are skipped unread, and a name is a string read where an
 * object expects one. Nesting is followed on explicit stacks, so depth is bounded by memory,
 * not by the call stack. One pass; no allocation for a value whose objects each have at
 * most `LINEAR_SEARCH_LIMIT` names without escapes.
 */
export function findDuplicateNames(text: string): readonly DuplicateName[] {
  const length = text.length;
  let depth = 0;
  let names = 0;
  let expectName = false;
  let decodedAny = false;
  let found: Found[] | undefined;
  let i = 0;
  while (i < length) {
    const unit = text.charCodeAt(i++);
    // digits, '-', '.', ':' and 'E' say nothing about structure; the commonest case first
    if (unit > COMMA && unit < OPEN_ARRAY) continue;
    if (unit === QUOTE) {
      if (!expectName) {
        i = stringEnd(text, i) + 1;
        continue;
      }
      let end = i;
      let escaped = false;
      for (; end < length; end++) {
        const c = text.charCodeAt(end);
        if (c === QUOTE) break;
        if (c === BACKSLASH) {
          escaped = true;
          end++;
        }
      }
      const index = names++;
      nameStart[index] = i;
      nameEnd[index] = end;
      nameDecoded[index] = escaped ? (JSON.parse(text.slice(i - 1, end + 1)) as string) : undefined;
      decodedAny ||= escaped;
      const top = depth - 1;
      const first = frameFirstName[top];
      let repeated = false;
      if (index - first < LINEAR_SEARCH_LIMIT) {
        for (let k = first; k < index && !repeated; k++) repeated = sameName(text, k, index);
      } else repeated = isRepeatedInLarge(text, top, index);
      if (repeated) found = recordRepeat(found, text, depth, index);
      frameCurrent[top] = index;
      expectName = false;
      i = end + 1;
    } else if (unit === COMMA) {
      if (depth > 0) {
        const top = depth - 1;
        if (frameFirstName[top] < 0) frameCurrent[top]++;
        else expectName = true;
      }
    } else if (unit === OPEN_OBJECT || unit === OPEN_ARRAY) {
      const object = unit === OPEN_OBJECT;
      frameFirstName[depth] = object ? names : -1;
      frameCurrent[depth] = 0;
      frameOpener[depth] = i - 1;
      frameNameSet[depth] = undefined;
      depth++;
      expectName = object;
    } else if ((unit === CLOSE_OBJECT || unit === CLOSE_ARRAY) && depth > 0) {
      depth--;
      if (frameFirstName[depth] >= 0) names = frameFirstName[depth];
      frameNameSet[depth] = undefined;
      expectName = false;
    }
  }
  release(decodedAny);
  return found === undefined ? NONE : found.map(({ path, count }) => ({ path, count }));
}

/**
 * Whether name `index` repeats an earlier name of the object at frame `top`, once that object
 * has `LINEAR_SEARCH_LIMIT` names before it: through the object's Set, made here the first time.
 */
function isRepeatedInLarge(text: string, top: number, index: number): boolean {
  const name = nameAt(text, index);
  let set = frameNameSet[top];
  if (set === undefined) {
    set = new Set<string>();
    for (let k = frameFirstName[top]; k < index; k++) set.add(nameAt(text, k));
    frameNameSet[top] = set;
  }
  if (set.has(name)) return true;
  set.add(name);
  return false;
}

const nameAt = (text: string, index: number): string =>
  nameDecoded[index] ?? text.slice(nameStart[index], nameEnd[index]);

/** Two names of the table compared as decoded, without decoding names that have no escapes. */
function sameName(text: string, a: number, b: number): boolean {
  const decodedA = nameDecoded[a];
  const decodedB = nameDecoded[b];
  if (decodedA === undefined && decodedB === undefined) {
    const startA = nameStart[a];
    const startB = nameStart[b];
    const size = nameEnd[a] - startA;
    if (size !== nameEnd[b] - startB) return false;
    for (let k = 0; k < size; k++)
      if (text.charCodeAt(startA + k) !== text.charCodeAt(startB + k)) return false;
    return true;
  }
  if (decodedA !== undefined && decodedB !== undefined) return decodedA === decodedB;
  // one decoded, one as written: the written one is its own decoded form
  const decoded = decodedA ?? decodedB ?? '';
  const written = decodedA === undefined ? a : b;
  return (
    decoded.length === nameEnd[written] - nameStart[written] &&
    text.startsWith(decoded, nameStart[written])
  );
}

/** Counts a repeat of name `index` (in the innermost of `depth` open containers). */
function recordRepeat(
  found: Found[] | undefined,
  text: string,
  depth: number,
  index: number,
): Found[] {
  const objectOpener = frameOpener[depth - 1];
  const name = nameAt(text, index);
  const list = found ?? [];
  const earlier = list.find((f) => f.objectOpener === objectOpener && f.name === name);
  if (earlier !== undefined) earlier.count++;
  else if (list.length < MAX_DUPLICATES_REPORTED)
    list.push({ objectOpener, name, path: pathOf(text, depth, index), count: 2 });
  return list;
}

/**
 * The path of name `index` in the innermost of `depth` open containers: `a.b`, `a[2].b`;
 * past `2 * PATH_EDGE_SEGMENTS + 1` segments, the middle is elided (`a.b.c.d...w.x.y.z`).
 */
function pathOf(text: string, depth: number, index: number): string {
  const top = depth - 1;
  const join = (from: number, to: number): string => {
    let path = '';
    for (let frame = from; frame <= to; frame++) {
      if (frameFirstName[frame] < 0) path += `[${frameCurrent[frame]}]`;
      else {
        const segment = pathName(nameAt(text, frame === top ? index : frameCurrent[frame]));
        path += path === '' ? segment : `.${segment}`;
      }
    }
    return path;
  };
  if (depth <= 2 * PATH_EDGE_SEGMENTS + 1) return join(0, top);
  return `${join(0, PATH_EDGE_SEGMENTS - 1)}...${join(depth - PATH_EDGE_SEGMENTS, top)}`;
}

/** A name as a path segment: a plain name as it is, any other quoted and shortened. */
const pathName = (name: string): string => (PLAIN_NAME.test(name) ? name : preview(name));

/**
 * The index of the quote that closes the string whose content starts at `from` (the text's
 * length if there is none). Short strings are read unit by unit, which beats the call of
 * `indexOf` for the emoji of a typical value; long ones by `indexOf` jumps to each quote, the
 * closing one being the first after an even run of backslashes. Each backslash run is
 * counted once, so the scan stays linear.
 */
function stringEnd(text: string, from: number): number {
  // past the end of the text charCodeAt is NaN, never a quote: indexOf then gives up
  const stop = from + SHORT_STRING;
  let at = from;
  while (at < stop) {
    const c = text.charCodeAt(at);
    if (c === QUOTE) return at;
    at += c === BACKSLASH ? 2 : 1;
  }
  for (;;) {
    const quote = text.indexOf('"', at);
    if (quote < 0) return text.length;
    let before = quote - 1;
    while (text.charCodeAt(before) === BACKSLASH) before--;
    if ((quote - before) % 2 === 1) return quote;
    at = quote + 1;
  }
}

/** Lets go of decoded names and of stacks a large value grew, once a scan is over. */
function release(decodedAny: boolean): void {
  if (decodedAny) nameDecoded.length = 0;
  if (nameStart.length > KEEP_CAPACITY) nameStart.length = nameEnd.length = nameDecoded.length = 0;
  if (frameFirstName.length > KEEP_CAPACITY)
    frameFirstName.length = frameCurrent.length = frameOpener.length = frameNameSet.length = 0;
}
