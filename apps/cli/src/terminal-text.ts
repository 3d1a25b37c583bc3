import { escapeCodePoint, unicodeEscape } from '#tenant-migration';

/**
 * Text from the stores (key names, values, messages that quote them) made safe to show on a
 * terminal. A terminal acts on control characters: ESC starts sequences that set the window
 * title, clear the screen or rewrite what was printed, CR overwrites the line, and in many
 * terminals a C1 character (U+0080-U+009F, e.g. U+009B CSI) is an escape by itself. Bidi and
 * zero-width format characters do not act, but they reorder or hide what is shown, so a key can
 * read as another. Every such character is written visibly instead: `\x1b`, `\x9b`, `\u202e`.
 * Backslashes are left as they are (the human view stays readable; `--json` is the exact form).
 */

/**
 * Kept as they are, even though they hold characters escaped elsewhere: a zero-width joiner
 * between two pictographs (👩‍💻, 🏳️‍🌈) and an emoji tag sequence (🏴 with tag letters, the
 * flags of England, Scotland, Wales). Both are ordinary emoji; escaped, a tenant's emoji would
 * be unreadable.
 */
const EMOJI_JOIN = String.raw`\p{Extended_Pictographic}(?:\uFE0F|\p{Emoji_Modifier})?\u200D(?=\p{Extended_Pictographic})`;
const EMOJI_TAGS = String.raw`\u{1F3F4}[\u{E0020}-\u{E007E}]+\u{E007F}`;

/**
 * What is escaped: C0 controls (tab and newline too: inside a value they would fake a column or
 * a line of output), DEL and C1; soft hyphen, Arabic letter mark, Mongolian vowel separator;
 * zero-width space/joiners and LRM/RLM; line and paragraph separators; the bidi embeddings,
 * overrides and isolates; word joiner and invisible operators; deprecated format characters;
 * BOM; interlinear annotation controls; tag characters; and lone surrogates (not text at all:
 * a terminal would show U+FFFD, hiding what the store holds).
 */
const BEYOND_C0 = String.raw`[\u007F-\u009F\u00AD\u061C\u180E\u200B-\u200F\u2028-\u202E\u2060-\u2064\u2066-\u206F\uFEFF\uFFF9-\uFFFB\u{E0000}-\u{E007F}]`;
const UNSAFE = String.raw`[\u0000-\u001F]|${BEYOND_C0}|[\uD800-\uDFFF]`;

const PATTERN = new RegExp(`(${EMOJI_JOIN}|${EMOJI_TAGS})|${UNSAFE}`, 'gu');

/** One character, spelled so that a terminal shows it and does nothing else. */
const visible = (char: string): string => escapeCodePoint(char.codePointAt(0) ?? 0);

/** `text` with every character a terminal would act on, or that hides or reorders text, escaped. */
export const terminalText = (text: string): string =>
  text.replace(PATTERN, (match: string, emoji: string | undefined) => emoji ?? visible(match));

/**
 * The same characters as `\u` escapes inside a JSON document, for `--json`: JSON.stringify
 * escapes C0 and lone surrogates already, not DEL, C1, U+2028/U+2029 or the bidi and zero-width
 * characters, which a terminal showing the document (or a JavaScript parser before ES2019, for
 * U+2028/U+2029) acts on. Such characters occur only inside JSON strings, where `\uXXXX` is the
 * same character: the parsed document is unchanged. Emoji sequences keep their joiners as in
 * `terminalText`.
 */
// C0 and lone surrogates are left out: JSON.stringify has escaped them inside strings, and the
// newlines outside strings are the document's own layout.
const JSON_PATTERN = new RegExp(`(${EMOJI_JOIN}|${EMOJI_TAGS})|${BEYOND_C0}`, 'gu');

const jsonEscape = (char: string): string => {
  let out = '';
  // a character above U+FFFF (the tag characters) is written as its surrogate pair, as JSON requires
  for (let i = 0; i < char.length; i++) out += unicodeEscape(char.charCodeAt(i));
  return out;
};

/** A JSON text (from JSON.stringify) with the characters above written as `\u` escapes. */
export const terminalSafeJson = (json: string): string =>
  json.replace(
    JSON_PATTERN,
    (match: string, emoji: string | undefined) => emoji ?? jsonEscape(match),
  );
