import { invalidType, preview, reason } from '../reasons.js';
import { accept, reject, type RuleOutcome } from './rule-outcome.js';

/** Longest accepted emoji, in UTF-16 units (tag-sequence flags and family ZWJ sequences fit). */
const MAX_EMOJI_LENGTH = 64;

/** Everything a single emoji can be built from after its base character. */
const MODS = String.raw`(?:\p{Emoji_Modifier}|\uFE0F|\uFE0E)?(?:[\u{E0020}-\u{E007E}]+\u{E007F})?`;
/** A pictographic base; a lone regional indicator is a letter, not an emoji. */
const BASE = String.raw`(?!\p{Regional_Indicator})(?:\p{Extended_Pictographic}|\p{Emoji_Presentation})`;
/**
 * One emoji: a keycap (`1️⃣`), a flag (two regional indicators, `🇫🇷`), or a pictograph with
 * an optional skin tone / variation selector / tag sequence, joined by ZWJ to further ones
 * (`👨‍👩‍👧`, `🏳️‍🌈`, `🧑🏽‍🦰`).
 */
const EMOJI_SHAPE = new RegExp(
  String.raw`^(?:[0-9#*]\uFE0F?\u20E3|\p{Regional_Indicator}{2}|${BASE}${MODS}(?:\u200D${BASE}${MODS})*)$`,
  'u',
);
const SEGMENTER = new Intl.Segmenter('en', { granularity: 'grapheme' });

/**
 * Verdicts by string. Real data uses a few hundred distinct emoji, so after warm-up the
 * grapheme segmentation (the expensive part) is skipped; the cache is cleared when full so a
 * hostile keyspace cannot grow it without bound.
 */
const verdicts = new Map<string, boolean>();
const CACHE_LIMIT = 4096;

/** True when `text` is exactly one emoji grapheme cluster, nothing before or after. */
export function isSingleEmoji(text: string): boolean {
  if (text.length === 0 || text.length > MAX_EMOJI_LENGTH) return false;
  const known = verdicts.get(text);
  if (known !== undefined) return known;
  const verdict = EMOJI_SHAPE.test(text) && graphemeCount(text) === 1;
  if (verdicts.size >= CACHE_LIMIT) verdicts.clear();
  verdicts.set(text, verdict);
  return verdict;
}

function graphemeCount(text: string): number {
  let count = 0;
  for (const _ of SEGMENTER.segment(text)) if (++count > 1) break;
  return count;
}

/**
 * The `emoji` field: a string holding exactly one emoji. Surrounding whitespace is removed
 * (and noted); nothing else is changed, so ZWJ sequences, skin tones and flags survive.
 */
export function checkEmoji(value: unknown, field = 'emoji'): RuleOutcome<string> {
  if (typeof value !== 'string') return reject(invalidType(field, 'a string', value));
  if (isSingleEmoji(value)) return accept(value);
  const trimmed = value.trim();
  if (trimmed !== value && isSingleEmoji(trimmed)) {
    return accept(trimmed, [
      reason('sanitized-text', `${field}: surrounding whitespace removed`, field),
    ]);
  }
  return reject(
    reason('invalid-emoji', `${field} must be exactly one emoji, got ${preview(value)}`, field),
  );
}
