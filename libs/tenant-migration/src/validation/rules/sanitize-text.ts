import { invalidType, reason } from '../reasons.js';
import { accept, emptyAsAbsent, reject, type RuleOutcome } from './rule-outcome.js';

/** Single-line fields keep no control character at all; multi-line ones keep `\n` and `\t`. */
export type TextMode = 'single-line' | 'multi-line';

export interface TextFieldRule {
  field: string;
  /** In code points, after sanitization. */
  maxLength: number;
  mode: TextMode;
}

/** Anything that sanitization would change. Strings without any of it are returned as they are. */
const SINGLE_LINE_WORK =
  /\p{Cc}|[\u200B-\u200D\u2028\u2029\u2060\uFEFF\u202A-\u202E\u2066-\u2069<>]|^\s|\s$|\p{Cs}/u;
const MULTI_LINE_WORK =
  /(?![\t\n])\p{Cc}|[\u200B-\u200D\u2028\u2029\u2060\uFEFF\u202A-\u202E\u2066-\u2069<>]|^\s|\s$|\p{Cs}/u;

const LONE_SURROGATE = /\p{Cs}/gu;
/** An opening script or style tag. `[^<>]*`, not `[^>]*`: a run of unclosed tags stays linear. */
const SCRIPT_OR_STYLE_OPEN = /<(script|style)\b[^<>]*>/gi;
const SCRIPT_CLOSE = /<\/script\s*>/gi;
const STYLE_CLOSE = /<\/style\s*>/gi;
/**
 * Tags, closing tags, comments, doctypes and processing instructions. Every alternative
 * stops at the next `<` or `>`, so no input makes it scan more than linearly (a comment
 * holding `>` leaves its tail, whose `>` is then dropped).
 */
const TAG = /<\/?[a-zA-Z][^<>]*>|<[!?][^<>]*>/g;
const ANGLE = /[<>]/g;
const SINGLE_LINE_BREAKS = /[\t\n\v\f\r\u0085\u2028\u2029]+/g;
const MULTI_LINE_BREAKS = /\r\n?|[\u0085\u2028\u2029]/g;
const SINGLE_LINE_CONTROLS = /\p{Cc}/gu;
const MULTI_LINE_CONTROLS = /(?![\t\n])\p{Cc}/gu;
/** Zero-width space, word joiner, BOM, and the bidi embedding/override/isolate controls. */
const INVISIBLE = /[\u200B\u2060\uFEFF\u202A-\u202E\u2066-\u2069]/g;
/**
 * Scripts whose spelling needs ZWNJ/ZWJ (Persian `می‌خواهم`, Indic conjuncts): the joiners
 * survive between two of their letters. Latin, Greek and Cyrillic are not listed, so the
 * joiners cannot hide inside look-alike names there (`Ad\u200Dmin`).
 */
const JOINING_LETTER = String.raw`[\p{Script=Arabic}\p{Script=Syriac}\p{Script=Nko}\p{Script=Mongolian}\p{Script=Devanagari}\p{Script=Bengali}\p{Script=Gurmukhi}\p{Script=Gujarati}\p{Script=Oriya}\p{Script=Tamil}\p{Script=Telugu}\p{Script=Kannada}\p{Script=Malayalam}\p{Script=Sinhala}\p{Script=Myanmar}\p{Script=Khmer}]`;
/** ZWJ/ZWNJ that are not inside an emoji ZWJ sequence or between two joining-script letters. */
const STRAY_JOINER = new RegExp(
  String.raw`(?<!${JOINING_LETTER}|[\p{Extended_Pictographic}\p{Emoji_Modifier}\uFE0F])[\u200C\u200D]|[\u200C\u200D](?!${JOINING_LETTER}|\p{Extended_Pictographic})`,
  'gu',
);

/**
 * Makes a free-text value safe to store and display: lone surrogates become U+FFFD; script
 * and style elements are removed with their content, other tags are removed and any `<`/`>`
 * left is dropped; C0/C1 control characters are removed (single-line: line breaks and tabs
 * become one space; multi-line: line breaks become `\n`); zero-width and bidi-control
 * characters are removed, except ZWJ/ZWNJ inside emoji sequences and joining scripts; the
 * result is trimmed. Letters of every script, RTL included, are kept as they are. Quotes,
 * `;` and `--` are text: SQL safety comes from parameterized writes, not from here.
 * Returns the input itself when there was nothing to do (compare with `!==` for "changed").
 */
export function sanitizeText(text: string, mode: TextMode): string {
  const multiLine = mode === 'multi-line';
  if (!(multiLine ? MULTI_LINE_WORK : SINGLE_LINE_WORK).test(text)) return text;
  let out = text.replace(LONE_SURROGATE, '\uFFFD');
  if (out.includes('<') || out.includes('>')) {
    out = removeScriptsAndStyles(out).replace(TAG, '').replace(ANGLE, '');
  }
  out = multiLine
    ? out.replace(MULTI_LINE_BREAKS, '\n').replace(MULTI_LINE_CONTROLS, '')
    : out.replace(SINGLE_LINE_BREAKS, ' ').replace(SINGLE_LINE_CONTROLS, '');
  return out.replace(INVISIBLE, '').replace(STRAY_JOINER, '').trim();
}

/**
 * Removes each script/style element with its content, in one forward pass: after an opening
 * tag without a closing one nothing more is searched (the tag itself goes with the other
 * tags), so hostile input costs linear time, unlike a lazy `<script>[\s\S]*?</script>`.
 */
function removeScriptsAndStyles(text: string): string {
  let out = '';
  let copied = 0;
  SCRIPT_OR_STYLE_OPEN.lastIndex = 0;
  for (
    let open = SCRIPT_OR_STYLE_OPEN.exec(text);
    open !== null;
    open = SCRIPT_OR_STYLE_OPEN.exec(text)
  ) {
    const close = open[1].toLowerCase() === 'script' ? SCRIPT_CLOSE : STYLE_CLOSE;
    close.lastIndex = SCRIPT_OR_STYLE_OPEN.lastIndex;
    if (close.exec(text) === null) break;
    out += text.slice(copied, open.index);
    copied = close.lastIndex;
    SCRIPT_OR_STYLE_OPEN.lastIndex = copied;
  }
  return copied === 0 ? text : out + text.slice(copied);
}

/** Length in code points (what a person counts), not UTF-16 units. */
export function codePointLength(text: string): number {
  let count = 0;
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    if (unit < 0xdc00 || unit > 0xdfff) count++;
  }
  return count;
}

/**
 * A free-text field: a string, sanitized (noted when that changed it), at most `maxLength`
 * code points afterwards. Empty, or nothing left after sanitization, means absent.
 * Over-long text is rejected, never truncated: truncation would lose data silently.
 */
export function checkText(value: unknown, rule: TextFieldRule): RuleOutcome<string | null> {
  const { field } = rule;
  if (typeof value !== 'string') return reject(invalidType(field, 'a string', value));
  const clean = sanitizeText(value, rule.mode);
  if (clean.length === 0) {
    if (value.trim().length === 0) return emptyAsAbsent(field);
    return accept(null, [
      reason(
        'sanitized-text',
        `${field} held only markup or invisible characters; stored as absent`,
        field,
      ),
    ]);
  }
  if (clean.length > rule.maxLength) {
    const length = codePointLength(clean);
    if (length > rule.maxLength) {
      return reject(
        reason(
          'text-too-long',
          `${field} has ${length} characters; at most ${rule.maxLength} are allowed`,
          field,
        ),
      );
    }
  }
  if (clean === value) return accept(clean);
  return accept(clean, [
    reason(
      'sanitized-text',
      `${field}: markup, control or invisible characters or surrounding spaces were removed`,
      field,
    ),
  ]);
}
