/**
 * Hostile Redis data for the property-based specs and the `properties` benchmark: generators of
 * values (as the bytes Redis holds) and of whole keyspaces, built from the pieces that broken or
 * malicious data is made of, and the end-to-end invariant a migration of such a keyspace keeps.
 *
 * The generators are deliberately biased towards the edges: NUL and lone UTF-16 surrogates in
 * member names and values (as JSON escapes, and as raw code units that an encoder either
 * replaces or writes as invalid UTF-8), numbers JavaScript cannot hold, thousands of nesting
 * levels, `__proto__`/`constructor` members, duplicate member names (also spelled with escapes),
 * a UTF-8 BOM, a bare emoji (V8's JSON.parse error quotes half of its surrogate pair), invalid
 * UTF-8 sequences, and near-valid tenants (so the accepting paths are exercised too).
 */
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type pg from 'pg';
import type { Redis } from 'ioredis';
import type {
  MigrationCounts,
  MigrationResult,
  MigrationService,
  OutcomeReason,
} from '#tenant-migration';
import {
  isStorableText,
  storableJsonValue,
} from '../../libs/tenant-migration/src/common/storable-text.js';
// Not part of the library's public API: how the reader names a key that is not UTF-8, which the
// quarantine stores; the end-to-end check compares against exactly that.
import { escapeKeyName } from '../../libs/tenant-migration/src/source/key-name.js';
import { quarantineName } from '../../libs/tenant-migration/src/migration/tenant-merge.sql.js';
import { ENHANCED_FIELDS } from '../../libs/tenant-migration/src/tenants/tenant-record.spec-fixture.js';

// ---------------------------------------------------------------------------------------------
// Text helpers (independent of the code under test: they are the oracle)
// ---------------------------------------------------------------------------------------------

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** True when the string holds no unpaired UTF-16 surrogate (what `String#isWellFormed` says). */
export const isWellFormedText = (text: string): boolean => !LONE_SURROGATE.test(text);

/**
 * WTF-8: UTF-8 that also encodes lone surrogates (as 3-byte ED A0..BF xx sequences), which
 * is what a careless writer (CESU-8, a JVM's modified UTF-8, a C extension) puts in Redis.
 * The result is not valid UTF-8 whenever the text has a lone surrogate.
 */
export const wtf8 = (text: string): Buffer => {
  const bytes: number[] = [];
  for (let i = 0; i < text.length; i++) {
    const cp = text.codePointAt(i) ?? 0;
    if (cp > 0xffff) i++;
    if (cp < 0x80) bytes.push(cp);
    else if (cp < 0x800) bytes.push(0xc0 | (cp >> 6), 0x80 | (cp & 63));
    else if (cp < 0x10000) bytes.push(0xe0 | (cp >> 12), 0x80 | ((cp >> 6) & 63), 0x80 | (cp & 63));
    else
      bytes.push(
        0xf0 | (cp >> 18),
        0x80 | ((cp >> 12) & 63),
        0x80 | ((cp >> 6) & 63),
        0x80 | (cp & 63),
      );
  }
  return Buffer.from(bytes);
};

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/** Long runs (deep nesting, padding) shown as `piece×N`, so a counterexample stays readable. */
const abbreviate = (text: string): string => {
  const collapsed = text
    // invisible characters (BOM, joiners, bidi controls, separators) spelled out
    .replace(
      /[\u0085\u00a0\u200b-\u200f\u2028\u2029\u202a-\u202e\u2060\u2066-\u2069\ufeff]/g,
      (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
    )
    .replace(
      /([^]{1,8}?)\1{7,}/g,
      (run: string, piece: string) => `‹${piece}×${run.length / piece.length}›`,
    );
  return collapsed.length > 400
    ? `${collapsed.slice(0, 400)}… (${collapsed.length} chars)`
    : collapsed;
};

// ---------------------------------------------------------------------------------------------
// Values
// ---------------------------------------------------------------------------------------------

/** The member names of the tenant format (README, "Validation rules"): any other name is rejected. */
export const TENANT_FIELD_NAMES: ReadonlySet<string> = new Set(ENHANCED_FIELDS);
const REQUIRED_FIELD_NAMES = ['emoji', 'createdAt'];

/** The maximum value size the specs and the benchmark configure (the library's default). */
export const MAX_VALUE_BYTES = 65_536;

/**
 * One generated Redis string value. `mustReject` is why the value cannot be a tenant whatever
 * the validator's details (not UTF-8, not JSON, not an object, an unknown or duplicate member,
 * a missing required member, too large), or null when the generator makes no claim.
 */
export class HostileValue {
  constructor(
    readonly bytes: Buffer,
    readonly shown: string,
    readonly mustReject: string | null,
  ) {}

  [fc.toStringMethod](): string {
    return this.mustReject === null
      ? this.shown
      : `${this.shown} (must be rejected: ${this.mustReject})`;
  }
}

/** A piece of JSON text, with the first member name that occurs twice in one of its objects. */
interface Fragment {
  text: string;
  duplicate: string | null;
}
const plain = (text: string): Fragment => ({ text, duplicate: null });

/**
 * What a member-name fragment names once the text has gone through UTF-8: raw lone surrogates
 * become U+FFFD (so two different ones collide), escapes survive.
 */
const decodedName = (fragment: string): string =>
  JSON.parse(Buffer.from(fragment, 'utf8').toString('utf8')) as string;

/** `{ name: value, ... }` from fragments, remembering a duplicate name at any depth. */
const objectFragment = (
  members: readonly (readonly [string, Fragment])[],
  padding = '',
): Fragment => {
  const seen = new Set<string>();
  let duplicate: string | null = null;
  for (const [name, value] of members) {
    const decoded = decodedName(name);
    if (seen.has(decoded)) duplicate ??= decoded;
    seen.add(decoded);
    duplicate ??= value.duplicate;
  }
  return { text: `{${members.map(([n, v]) => `${n}:${v.text}`).join(',')}${padding}}`, duplicate };
};

/** A JSON string literal that keeps lone surrogates as raw code units (JSON.stringify escapes them). */
const rawStringLiteral = (text: string): string =>
  // eslint-disable-next-line no-control-regex -- JSON must escape exactly these control characters
  `"${text.replace(/["\\\u0000-\u001f]/g, (c) => JSON.stringify(c).slice(1, -1))}"`;

/** One code unit or grapheme, biased towards the ones PostgreSQL, JSON and HTML care about. */
export const hostileUnit: fc.Arbitrary<string> = fc.oneof(
  { weight: 5, arbitrary: fc.string({ unit: 'grapheme', minLength: 1, maxLength: 1 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }) },
  {
    weight: 3,
    arbitrary: fc.constantFrom(
      '\u0000',
      '\ud800',
      '\udbff',
      '\udc00',
      '\udfff',
      '\ud83c',
      '\udf55',
      '🍕',
      '👨‍👩‍👧',
      '\u200d',
      '\ufeff',
      '\u202e',
      '\u2028',
      '\u0085',
      '\u007f',
      '<',
      '>',
      '"',
      '\\',
      '\n',
      '\t',
      ' ',
      '\ufffd',
    ),
  },
);
/**
 * The string unit of generated JSON values: hostile units, and now and then a whole name that
 * means something to JavaScript objects, so `{"__proto__": ...}` members come out.
 */
export const jsonStringUnit: fc.Arbitrary<string> = fc.oneof(
  { weight: 12, arbitrary: hostileUnit },
  {
    weight: 1,
    arbitrary: fc.constantFrom('__proto__', 'constructor', 'toString', 'emoji', 'createdAt'),
  },
);
/** Short strings of hostile units (may hold NUL and lone surrogates). */
export const hostileString: fc.Arbitrary<string> = fc.string({ unit: hostileUnit, maxLength: 12 });

const stringLiteral: fc.Arbitrary<string> = fc.oneof(
  hostileString.map((s) => JSON.stringify(s)),
  hostileString.map(rawStringLiteral),
);

/** Numbers at and past the edges of a double and of the timestamp range. */
const HOSTILE_NUMBERS = [
  '1e400',
  '-1e400',
  '-0',
  '0',
  '18446744073709551616',
  '12345678901234567890123',
  '9007199254740993',
  '1e21',
  '1.7e12',
  '1700000000000.5',
  '-1',
  '1700000000000',
  '1.7000000000001e12',
  '4102444800000',
  '946684799999',
  '5e-324',
] as const;
const hostileNumber: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(...HOSTILE_NUMBERS),
  fc.double().map((n) => JSON.stringify(n)),
  fc.bigInt({ min: -(2n ** 80n), max: 2n ** 80n }).map(String),
);

/** Thousands of nesting levels: arrays, objects, or arrays inside a member. */
const deepNesting: fc.Arbitrary<string> = fc
  .tuple(fc.integer({ min: 500, max: 6000 }), fc.constantFrom('array', 'object', 'mixed'))
  .map(([depth, kind]) =>
    kind === 'array'
      ? `${'['.repeat(depth)}${']'.repeat(depth)}`
      : kind === 'object'
        ? `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`
        : `${'[{"x":'.repeat(depth)}null${'}]'.repeat(depth)}`,
  );

/** Member names: mostly the format's own, then every kind of trouble. */
const memberName: fc.Arbitrary<string> = fc.oneof(
  { weight: 10, arbitrary: fc.constantFrom(...TENANT_FIELD_NAMES).map((n) => JSON.stringify(n)) },
  // the same names spelled with escapes: a duplicate that a textual check would miss
  {
    weight: 1,
    arbitrary: fc.constantFrom('"\\u0065moji"', '"created\\u0041t"', '"\\u0062usinessName"'),
  },
  {
    weight: 3,
    arbitrary: fc.constantFrom(
      '"\\u0000x"',
      '"x\\u0000"',
      '"\\u0000"',
      '"\\ud800"',
      '"\\udfff"',
      '"\\ud83c"',
      '"\ud800"',
      '"a\udc00"',
      '"\ud83c"',
      '"__proto__"',
      '"constructor"',
      '"prototype"',
      '"toString"',
      '"hasOwnProperty"',
      '"valueOf"',
      '""',
      '"emoji\\u0000"',
      '"EMOJI"',
      '" emoji"',
      '"createdat"',
    ),
  },
  { weight: 1, arbitrary: stringLiteral },
);

/** Values that are right for some member: so near-valid tenants come out often. */
const PLAUSIBLE_VALUES = [
  '"Salon Élise"',
  '"a@example.com"',
  '"+33612345678"',
  '"https://cdn.example.com/l.png"',
  '"Healthcare"',
  '"ten_1"',
  '"1 rue de la Paix\\nParis"',
  '{"primary":"#112233"}',
  '{"whatsapp":true,"analytics":false}',
  '{"plan":"premium","status":"active","expiresAt":1799999999000}',
  '"<script>x</script>Shop"',
  '"Ad\\u200dmin"',
  '""',
  'null',
  'true',
] as const;

/** Members right for their field, some with text the sanitizer must clean (NUL, lone surrogates, markup). */
const FITTING_MEMBERS: readonly (readonly [string, string])[] = [
  ['"businessName"', '"Salon Élise"'],
  ['"email"', '"a@example.com"'],
  ['"phone"', '"+33612345678"'],
  ['"logo"', '"https://cdn.example.com/l.png"'],
  ['"businessCategory"', '"Healthcare"'],
  ['"id"', '"ten_1"'],
  ['"address"', '"1 rue de la Paix\\nParis"'],
  ['"brandColors"', '{"primary":"#112233"}'],
  ['"features"', '{"whatsapp":true,"analytics":false}'],
  ['"subscription"', '{"plan":"premium","status":"active","expiresAt":1799999999000}'],
  ['"businessName"', '"<script>x</script>Shop"'],
  ['"ownerName"', '"Ad\\u200dmin"'],
  ['"ownerName"', '"Élise\\u0000"'],
  ['"businessDescription"', '"Cuts\\u0000 and colour\\ud800"'],
  ['"address"', '"\\udfff1 rue\\u0000"'],
  ['"businessName"', '"\ud800Shop"'],
];

/** Nested objects shaped like brandColors/features/subscription, with hostile members inside. */
const NESTED_NAMES = [
  '"primary"',
  '"secondary"',
  '"accent"',
  '"whatsapp"',
  '"analytics"',
  '"plan"',
  '"status"',
  '"expiresAt"',
] as const;
const nestedObject: fc.Arbitrary<Fragment> = fc
  .array(
    fc.tuple(
      fc.oneof(
        { weight: 4, arbitrary: fc.constantFrom(...NESTED_NAMES) },
        { weight: 1, arbitrary: memberName },
      ),
      fc.oneof(
        fc.constantFrom('"#112233"', 'true', '"premium"', '"active"', '1799999999000'),
        stringLiteral,
        hostileNumber,
      ),
    ),
    { maxLength: 4 },
  )
  .map((members) => objectFragment(members.map(([n, v]) => [n, plain(v)] as const)));

const anyMemberValue: fc.Arbitrary<Fragment> = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...PLAUSIBLE_VALUES).map(plain) },
  { weight: 3, arbitrary: stringLiteral.map(plain) },
  { weight: 2, arbitrary: hostileNumber.map(plain) },
  { weight: 2, arbitrary: nestedObject },
  {
    weight: 1,
    arbitrary: fc
      .jsonValue({ stringUnit: jsonStringUnit, maxDepth: 2 })
      .map((v) => plain(JSON.stringify(v))),
  },
  { weight: 1, arbitrary: deepNesting.map(plain) },
);

const GOOD_EMOJIS = ['"🍕"', '"💈"', '"👨‍👩‍👧"', '"🇫🇷"', '"1️⃣"', '"❤️"', '"\\ud83c\\udf55"'] as const;
const BAD_EMOJIS = [
  '"🍕🍕"',
  '"pizza"',
  '"\\ud83c"',
  '"\ud83c"',
  '"\\u0000"',
  '"🍕\\u0000"',
  '42',
  '""',
] as const;
const emojiValue: fc.Arbitrary<string> = fc.oneof(
  { weight: 8, arbitrary: fc.constantFrom(...GOOD_EMOJIS) },
  { weight: 2, arbitrary: fc.constantFrom(...BAD_EMOJIS) },
  { weight: 1, arbitrary: stringLiteral },
);
const createdAtValue: fc.Arbitrary<string> = fc.oneof(
  {
    weight: 10,
    arbitrary: fc.integer({ min: Date.UTC(2000, 0, 1), max: Date.UTC(2099, 0, 1) }).map(String),
  },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      '"1700000000000"',
      '"yesterday"',
      '"2024-01-01T00:00:00Z"',
      'null',
      '"\\u0000"',
    ),
  },
  { weight: 2, arbitrary: hostileNumber },
);

/** True once in `n` draws; shrinks to false, so a counterexample keeps a rare piece only if it needs it. */
const rarely = (n: number): fc.Arbitrary<boolean> =>
  fc.integer({ min: 0, max: n - 1 }).map((i) => i === n - 1);

type Encoding = 'utf-8' | 'wtf-8';
/** Byte sequences no UTF-8 decoder accepts: a stray byte, an overlong NUL, a surrogate, a cut emoji, past U+10FFFF. */
const INVALID_UTF8: readonly (readonly number[])[] = [
  [0xff],
  [0xc0, 0x80],
  [0xed, 0xa0, 0x80],
  [0xf0, 0x9f, 0x8d],
  [0xf4, 0x90, 0x80, 0x80],
  [0x80],
  [0xfe, 0xfe],
];

/** Why these bytes cannot be a tenant, whatever the validator's details; null when unsure. */
const mustRejectReason = (bytes: Buffer, duplicate: string | null): string | null => {
  if (bytes.length > MAX_VALUE_BYTES) return `larger than ${MAX_VALUE_BYTES} bytes`;
  let text: string;
  try {
    text = strictUtf8.decode(bytes);
  } catch {
    return 'not UTF-8';
  }
  // A leading BOM: whether it is tolerated is the validator's policy; what follows it is not.
  const body = text.startsWith('\ufeff') ? text.slice(1) : text;
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return 'not JSON';
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    return 'not a JSON object';
  const unknown = Object.keys(parsed).find((name) => !TENANT_FIELD_NAMES.has(name));
  if (unknown !== undefined) return `unknown member ${JSON.stringify(unknown)}`;
  const missing = REQUIRED_FIELD_NAMES.find((name) => !Object.hasOwn(parsed, name));
  if (missing !== undefined) return `no member ${missing}`;
  return duplicate === null ? null : `duplicate member ${JSON.stringify(duplicate)}`;
};

const encode = (text: string, encoding: Encoding): Buffer =>
  encoding === 'utf-8' ? Buffer.from(text, 'utf8') : wtf8(text);

const valueOf = (
  text: string,
  encoding: Encoding,
  duplicate: string | null,
  splice?: { at: number; bytes: readonly number[] },
): HostileValue => {
  let bytes = encode(text, encoding);
  let shown = `${encoding} ${abbreviate(JSON.stringify(text))}`;
  if (splice) {
    const at = splice.at % (bytes.length + 1);
    bytes = Buffer.concat([bytes.subarray(0, at), Buffer.from(splice.bytes), bytes.subarray(at)]);
    shown += ` with bytes ${Buffer.from(splice.bytes).toString('hex')} at byte ${at}`;
  }
  return new HostileValue(bytes, shown, mustRejectReason(bytes, duplicate));
};

/** Tenant-shaped values: emoji and createdAt (each may be missing), extra members, hostile pieces around them. */
export const tenantLikeValue: fc.Arbitrary<HostileValue> = fc
  .record({
    emoji: fc.option(emojiValue, { freq: 12, nil: undefined }),
    createdAt: fc.option(createdAtValue, { freq: 12, nil: undefined }),
    extra: fc.oneof(
      { withCrossShrink: true },
      { weight: 2, arbitrary: fc.constant([]) },
      {
        weight: 3,
        arbitrary: fc.array(
          fc.oneof(
            {
              weight: 1,
              arbitrary: fc
                .constantFrom(...FITTING_MEMBERS)
                .map(([n, v]) => [n, plain(v)] as const),
            },
            { weight: 1, arbitrary: fc.tuple(memberName, anyMemberValue) },
          ),
          { maxLength: 5 },
        ),
      },
    ),
    extraFirst: fc.boolean(),
    bom: rarely(12),
    space: fc.constantFrom('', '', '', '', '', '', ' ', '\n\t', ' \r\n', '\u00a0'),
    oversize: rarely(40),
    encoding: fc.constantFrom<Encoding>('utf-8', 'utf-8', 'wtf-8'),
    splice: fc.oneof(
      { withCrossShrink: true },
      { weight: 14, arbitrary: fc.constant(undefined) },
      {
        weight: 1,
        arbitrary: fc.record({ at: fc.nat(), bytes: fc.constantFrom(...INVALID_UTF8) }),
      },
    ),
  })
  .map(({ emoji, createdAt, extra, extraFirst, bom, space, oversize, encoding, splice }) => {
    const required: [string, Fragment][] = [];
    if (emoji !== undefined) required.push(['"emoji"', plain(emoji)]);
    if (createdAt !== undefined) required.push(['"createdAt"', plain(createdAt)]);
    const members = extraFirst ? [...extra, ...required] : [...required, ...extra];
    const object = objectFragment(members, oversize ? ' '.repeat(MAX_VALUE_BYTES) : '');
    const text = `${bom ? '\ufeff' : ''}${space}${object.text}${space}`;
    return valueOf(text, encoding, object.duplicate, splice);
  });

/** Whole values that are not tenant-shaped at all. */
const TOP_LEVEL = [
  '🍕',
  '"🍕"',
  '\ud83c',
  '"\\ud83c"',
  '[]',
  '{}',
  'null',
  'true',
  '1e400',
  '-0',
  '12345678901234567890123',
  '',
  ' ',
  '{',
  '{"emoji":',
  '{"emoji":"🍕","createdAt":1700000000000',
  '{"emoji":"🍕",}',
  "{'emoji':'🍕'}",
  '\ufeff',
  '\ufeff{}',
  '\u0000',
  '{"emoji":"🍕","createdAt":1700000000000}\u0000',
  '{"emoji":"🍕","createdAt":1700000000000}{}',
  'NaN',
  'undefined',
] as const;
const topLevelValue: fc.Arbitrary<HostileValue> = fc.oneof(
  fc
    .tuple(fc.constantFrom(...TOP_LEVEL), fc.constantFrom<Encoding>('utf-8', 'wtf-8'))
    .map(([text, encoding]) => valueOf(text, encoding, null)),
  deepNesting.map((text) => valueOf(text, 'utf-8', null)),
);

/** Any bytes at all. */
export const byteValue: fc.Arbitrary<HostileValue> = fc
  .uint8Array({ maxLength: 48 })
  .map((array) => {
    const bytes = Buffer.from(array);
    return new HostileValue(
      bytes,
      `bytes ${bytes.toString('hex') || '(empty)'}`,
      mustRejectReason(bytes, null),
    );
  });

/** Any JSON value (hostile strings and member names included), as JSON.stringify writes it. */
export const jsonValueValue: fc.Arbitrary<HostileValue> = fc
  .jsonValue({ stringUnit: jsonStringUnit, maxDepth: 3 })
  .map((value) => valueOf(JSON.stringify(value), 'utf-8', null));

/** Tenants that are valid whatever their key: the accepting path, renames and name conflicts need them. */
export const validTenantValue: fc.Arbitrary<HostileValue> = fc
  .tuple(
    fc.constantFrom(...GOOD_EMOJIS),
    fc.integer({ min: Date.UTC(2000, 0, 1), max: Date.UTC(2099, 0, 1) }),
    fc.boolean(),
  )
  .map(([emoji, createdAt, enhanced]) =>
    valueOf(
      `{"emoji":${emoji},"createdAt":${createdAt}${enhanced ? ',"businessName":"Shop","features":{"whatsapp":true}' : ''}}`,
      'utf-8',
      null,
    ),
  );

/** Every kind of value, near-valid tenants most often. */
export const hostileValue: fc.Arbitrary<HostileValue> = fc.oneof(
  { withCrossShrink: true },
  { weight: 6, arbitrary: tenantLikeValue },
  { weight: 1, arbitrary: topLevelValue },
  { weight: 1, arbitrary: byteValue },
  { weight: 1, arbitrary: jsonValueValue },
);

// ---------------------------------------------------------------------------------------------
// Keyspaces
// ---------------------------------------------------------------------------------------------

/** A DNS label as the format allows it (lower case), plus a few names that are invalid or reserved. */
export const subdomainName: fc.Arbitrary<string> = fc.oneof(
  { weight: 12, arbitrary: fc.stringMatching(/^[a-z0-9](?:[a-z0-9-]{0,12}[a-z0-9])?$/) },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      'www',
      'api',
      'admin',
      'a--b',
      '-x',
      'x-',
      'a'.repeat(63),
      'a'.repeat(64),
      'xn--p1ai',
      '0',
    ),
  },
);

/** Upper-cases the letters of `name` picked by the bits of `mask` (at least one changes if it can). */
const applyCase = (name: string, mask: number): string => {
  const letters = [...name].filter((c) => /[a-z]/.test(c)).length;
  const bits = letters === 0 ? 0 : mask % 2 ** Math.min(letters, 30) || 1;
  let i = 0;
  return name.replace(/[a-z]/g, (c) => ((bits >> (i++ % 30)) & 1 ? c.toUpperCase() : c));
};

/** What a generated key holds: a string value, or a type the migration does not read. */
export type KeyContent =
  { kind: 'string'; value: HostileValue } | { kind: 'hash' | 'list' | 'set' };

export interface KeyspaceEntrySpec {
  /** The key's name after the prefix: bytes when it is not UTF-8, a string otherwise. */
  name: string | Buffer;
  content: KeyContent;
}

export class Keyspace {
  constructor(readonly entries: readonly KeyspaceEntrySpec[]) {}

  [fc.toStringMethod](): string {
    const lines = this.entries.map(({ name, content }) => {
      const shownName =
        typeof name === 'string' ? JSON.stringify(name) : `bytes ${name.toString('hex')}`;
      return `  ${shownName} => ${content.kind === 'string' ? content.value[fc.toStringMethod]() : content.kind}`;
    });
    return `Keyspace(${this.entries.length} keys)[\n${lines.join('\n')}\n]`;
  }
}

/**
 * Shrink candidates per value in a keyspace: a keyspace that fails shrinks mostly by dropping
 * keys (each candidate is a whole migration), so a value is simplified only this far.
 */
const VALUE_SHRINKS = 40;
const keyContent: fc.Arbitrary<KeyContent> = fc.oneof(
  { withCrossShrink: true },
  { weight: 20, arbitrary: validTenantValue.map((value) => ({ kind: 'string', value }) as const) },
  {
    weight: 20,
    arbitrary: fc
      .limitShrink(hostileValue, VALUE_SHRINKS)
      .map((value) => ({ kind: 'string', value }) as const),
  },
  {
    weight: 1,
    arbitrary: fc.constantFrom('hash', 'list', 'set').map((kind) => ({ kind }) as const),
  },
);

type NameShape =
  { shape: 'lower' } | { shape: 'upper'; mask: number } | { shape: 'utf8'; text: string };
const nameShape: fc.Arbitrary<NameShape> = fc.oneof(
  { weight: 4, arbitrary: fc.constant({ shape: 'lower' } as const) },
  { weight: 4, arbitrary: fc.nat().map((mask) => ({ shape: 'upper', mask }) as const) },
  {
    weight: 1,
    // Valid UTF-8 without NUL, so the name the quarantine stores is the name itself.
    arbitrary: fc
      .string({ unit: 'binary', maxLength: 10 })
      .filter((s) => !s.includes('\u0000'))
      .map((text) => ({ shape: 'utf8', text }) as const),
  },
);

/**
 * Keyspaces of up to `maxKeys` keys, in families: a subdomain and one to four keys named after
 * it (the name itself, upper-case variants, or any UTF-8 name), so case variants of one name
 * (`shop`, `Shop`, `SHOP`) and upper-case names whose lower-case form is free or taken are
 * common and land in different batches. Names are unique and valid UTF-8. A failing keyspace
 * shrinks by dropping families and keys, which leaves the other names as they are.
 */
export const utf8Keyspace = (maxKeys = 400): fc.Arbitrary<Keyspace> =>
  fc
    .array(
      fc.record({
        base: subdomainName,
        members: fc.array(fc.tuple(nameShape, keyContent), { minLength: 1, maxLength: 4 }),
      }),
      { maxLength: Math.ceil(maxKeys / 2.5), size: 'max' },
    )
    .map((families) => {
      const byName = new Map<string, KeyspaceEntrySpec>();
      for (const { base, members } of families) {
        for (const [shape, content] of members) {
          const name =
            shape.shape === 'lower'
              ? base
              : shape.shape === 'upper'
                ? applyCase(base, shape.mask)
                : shape.text;
          if (!byName.has(name) && byName.size < maxKeys) byName.set(name, { name, content });
        }
      }
      return new Keyspace([...byName.values()]);
    });

/** A key name that is not UTF-8: a label with an invalid sequence somewhere in it. */
const nonUtf8Name: fc.Arbitrary<Buffer> = fc
  .tuple(subdomainName, fc.nat(), fc.constantFrom(...INVALID_UTF8), fc.uint8Array({ maxLength: 4 }))
  .map(([label, at, bad, tail]) => {
    const bytes = Buffer.from(label);
    const cut = at % (bytes.length + 1);
    return Buffer.concat([
      bytes.subarray(0, cut),
      Buffer.from(bad),
      bytes.subarray(cut),
      Buffer.from(tail),
    ]);
  })
  .filter((name) => !strictUtf8Ok(name));

const strictUtf8Ok = (bytes: Buffer): boolean => {
  try {
    strictUtf8.decode(bytes);
    return true;
  } catch {
    return false;
  }
};

/**
 * Keyspaces mixing names that are not UTF-8 with valid ones, some of which are spelled like
 * the escaped form of a binary name (`a\xffb`, with a real backslash): the quarantine must still
 * tell every key apart.
 */
export const binaryNameKeyspace = (maxKeys = 60): fc.Arbitrary<Keyspace> =>
  fc
    .array(
      fc.tuple(
        fc.oneof(
          { weight: 2, arbitrary: nonUtf8Name.map((bytes) => ({ bytes, withLookalike: false })) },
          { weight: 1, arbitrary: nonUtf8Name.map((bytes) => ({ bytes, withLookalike: true })) },
          {
            weight: 2,
            arbitrary: subdomainName.map((name) => ({
              bytes: Buffer.from(name),
              withLookalike: false,
            })),
          },
        ),
        keyContent,
      ),
      { maxLength: maxKeys },
    )
    .map((specs) => {
      const byHex = new Map<string, KeyspaceEntrySpec>();
      const add = (name: string | Buffer, content: KeyContent): void => {
        const hex = (typeof name === 'string' ? Buffer.from(name) : name).toString('hex');
        if (!byHex.has(hex)) byHex.set(hex, { name, content });
      };
      for (const [{ bytes, withLookalike }, content] of specs) {
        add(strictUtf8Ok(bytes) ? bytes.toString('utf8') : bytes, content);
        // A valid name whose text is what the reader writes for the binary one.
        if (withLookalike) add(escapeKeyName(bytes), content);
      }
      return new Keyspace([...byHex.values()]);
    });

/**
 * Shrink candidates for one failing keyspace: each is a dry run and a migration (0.1 to 1 s), so
 * an unbounded search could take an hour; this many bring a failure down to a few keys.
 */
export const KEYSPACE_SHRINKS = 300;

/** Batch sizes: tiny ones often (many batch boundaries), up to a few pages of SCAN. */
export const batchSize: fc.Arbitrary<number> = fc.oneof(
  fc.integer({ min: 1, max: 8 }),
  fc.integer({ min: 9, max: 150 }),
);

// ---------------------------------------------------------------------------------------------
// The end-to-end property
// ---------------------------------------------------------------------------------------------

/** What the property needs of its surroundings (TestStores plus a MigrationService fits). */
export interface KeyspaceHarness {
  /** The tenant key prefix, e.g. `tm-test:<run>:properties:subdomain:`. */
  prefix: string;
  redis: Redis;
  /** A direct client on the migration's database, for assertions. */
  db: pg.Client;
  /** Deletes every key under the prefix (at least). */
  clearRedis(): Promise<void>;
  /** Empties the tables the migration writes. */
  clearDatabase(): Promise<void>;
  migrations: MigrationService;
}

/** The Redis key of an entry, as bytes. */
const keyBytes = (prefix: string, name: string | Buffer): Buffer =>
  Buffer.concat([Buffer.from(prefix), typeof name === 'string' ? Buffer.from(name) : name]);

/**
 * The name the quarantine reports a key under (the engine's `quarantineName`): a UTF-8 key with
 * its backslashes doubled, or the escaped form of one that is not UTF-8. A tenant row's
 * `source_key` is the key itself; tenant keys never hold a backslash, so the two agree.
 */
export const reportedName = (prefix: string, name: string | Buffer): string =>
  typeof name === 'string'
    ? quarantineName({ key: prefix + name })
    : quarantineName({ key: escapeKeyName(keyBytes(prefix, name)), escapedName: true });

const writeKeyspace = async (harness: KeyspaceHarness, keyspace: Keyspace): Promise<void> => {
  const CHUNK = 200;
  for (let i = 0; i < keyspace.entries.length; i += CHUNK) {
    const pipeline = harness.redis.pipeline();
    for (const { name, content } of keyspace.entries.slice(i, i + CHUNK)) {
      const key = keyBytes(harness.prefix, name);
      if (content.kind === 'string') pipeline.set(key, content.value.bytes);
      else if (content.kind === 'hash') pipeline.hset(key, 'emoji', '🍕');
      else if (content.kind === 'list')
        pipeline.rpush(key, '{"emoji":"🍕","createdAt":1700000000000}');
      else pipeline.sadd(key, 'a', 'b');
    }
    for (const [error] of (await pipeline.exec()) ?? []) if (error) throw error;
  }
};

const COUNT_FIELDS = [
  'scanned',
  'migrated',
  'created',
  'updated',
  'unchanged',
  'skipped',
  'rejected',
  'conflicts',
] as const;
/** The parts of the accounting a dry run must predict exactly. */
const predicted = (c: MigrationCounts) => ({
  ...Object.fromEntries(COUNT_FIELDS.map((f) => [f, c[f]])),
  skippedByReason: c.skippedByReason,
  rejectedByReason: c.rejectedByReason,
  normalizedByNote: c.normalizedByNote,
});

const isReason = (value: unknown): value is OutcomeReason => {
  if (typeof value !== 'object' || value === null) return false;
  const r = value as Record<string, unknown>;
  return (
    typeof r.code === 'string' &&
    typeof r.message === 'string' &&
    (r.field === undefined || typeof r.field === 'string')
  );
};

export interface KeyspaceCaseResult {
  keys: number;
  result: MigrationResult;
}

/**
 * Writes the keyspace under the prefix (cleared first), empties the database, previews the
 * migration with a dry run, migrates, and checks every invariant of the product:
 * - neither run throws, both balance, and both scan exactly the keys written;
 * - the dry run writes nothing and predicts the real run's accounting exactly;
 * - every key ends in exactly one place: the `source_key` of one tenant row (migrated or
 *   unchanged) or the `key` of one quarantine row of this run, never both, never neither; the
 *   rows' buckets match the counts, and no row names a key that was not written;
 * - a value that cannot be a tenant is quarantined as rejected;
 * - every stored reason is jsonb that PostgreSQL accepted and that reads back as a reason with
 *   only storable text, and what the engine reported for a key is exactly what it stored
 *   (through the project's encoder, `storableJson`).
 */
export const checkKeyspace = async (
  harness: KeyspaceHarness,
  keyspace: Keyspace,
  size: number,
): Promise<KeyspaceCaseResult> => {
  const { prefix, db, migrations } = harness;
  await harness.clearRedis();
  await writeKeyspace(harness, keyspace);
  await harness.clearDatabase();
  const written = keyspace.entries.length;

  const dry = await migrations.migrate({ dryRun: true, batchSize: size, autoResume: false });
  const leftByDryRun = await db.query<{ n: number }>(
    'SELECT (SELECT count(*) FROM tenants)::int + (SELECT count(*) FROM migration_exceptions)::int + (SELECT count(*) FROM migration_runs)::int AS n',
  );
  assert.equal(leftByDryRun.rows[0].n, 0, 'the dry run wrote nothing');
  assert.equal(dry.balanced, true, `dry run balanced: ${JSON.stringify(dry.counts)}`);
  assert.equal(dry.counts.scanned, written, 'the dry run scanned every key written');

  const real = await migrations.migrate({ batchSize: size, autoResume: false });
  const c = real.counts;
  assert.equal(real.balanced, true, `balanced: ${JSON.stringify(c)}`);
  assert.equal(c.scanned, written, 'scanned every key written, once');
  assert.equal(
    c.scanned,
    c.migrated + c.unchanged + c.skipped + c.rejected,
    'scanned = migrated + unchanged + skipped + rejected',
  );

  const tenants = (await db.query<{ source_key: string | null }>('SELECT source_key FROM tenants'))
    .rows;
  const exceptions = (
    await db.query<{
      run_id: string;
      key: string;
      bucket: string;
      reasons: unknown;
      reasons_text: string;
    }>(
      'SELECT run_id, key, bucket, reasons, reasons::text AS reasons_text FROM migration_exceptions',
    )
  ).rows;
  assert.ok(
    exceptions.every((e) => e.run_id === real.runId),
    'every quarantine row belongs to this run',
  );
  assert.equal(
    tenants.length,
    c.migrated + c.unchanged,
    'one tenant row per migrated or unchanged key',
  );
  assert.equal(
    exceptions.filter((e) => e.bucket === 'rejected').length,
    c.rejected,
    'one rejected row per rejected key',
  );
  assert.equal(
    exceptions.filter((e) => e.bucket === 'skipped').length,
    c.skipped,
    'one skipped row per skipped key',
  );

  const places = new Map<string, string[]>();
  const placed = (name: string, where: string): void => {
    places.set(name, [...(places.get(name) ?? []), where]);
  };
  for (const t of tenants) placed(t.source_key ?? '(null source_key)', 'tenants');
  for (const e of exceptions) placed(e.key, `migration_exceptions (${e.bucket})`);
  const expected = new Set<string>();
  for (const { name, content } of keyspace.entries) {
    const reported = reportedName(prefix, name);
    const where = places.get(reported) ?? [];
    assert.equal(
      where.length,
      1,
      `key ${JSON.stringify(reported)} must end in exactly one bucket; found in: ${where.join(', ') || 'none'}`,
    );
    assert.ok(
      !expected.has(reported),
      `two keys are reported under one name: ${JSON.stringify(reported)}`,
    );
    expected.add(reported);
    const mustReject =
      content.kind !== 'string' ? `a ${content.kind}, not a string` : content.value.mustReject;
    if (mustReject !== null) {
      assert.equal(
        where[0],
        'migration_exceptions (rejected)',
        `key ${JSON.stringify(reported)} must be rejected (${mustReject}), but is in ${where[0]}`,
      );
    }
  }
  for (const name of places.keys())
    assert.ok(
      expected.has(name),
      `a row names a key that was not written: ${JSON.stringify(name)}`,
    );

  const stored = new Map(exceptions.map((e) => [e.key, e.reasons]));
  for (const e of exceptions) {
    assert.deepEqual(
      JSON.parse(e.reasons_text),
      e.reasons,
      'stored reasons read back as they were written',
    );
    assert.ok(
      Array.isArray(e.reasons) && e.reasons.length > 0 && e.reasons.every(isReason),
      `reasons of ${JSON.stringify(e.key)}: ${e.reasons_text}`,
    );
    for (const r of e.reasons) {
      for (const text of [r.code, r.message, r.field ?? ''])
        assert.ok(isStorableText(text), `stored reason text is storable: ${JSON.stringify(text)}`);
    }
  }
  for (const sample of real.samples) {
    assert.deepEqual(
      stored.get(sample.key),
      storableJsonValue(sample.reasons),
      `reported and stored reasons of ${JSON.stringify(sample.key)} agree`,
    );
  }

  assert.deepEqual(predicted(dry.counts), predicted(c), 'the dry run predicts the real run');
  return { keys: written, result: real };
};
