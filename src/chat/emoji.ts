/**
 * What a reaction may be: one emoji, or a short name of the fixed set below, which is stored as its
 * emoji (so `heart` and ❤️ count as one reaction).
 */

/** The short names a reaction may be given as, and the emoji each stands for. */
export const REACTION_SHORT_NAMES: Readonly<Record<string, string>> = {
  '+1': '👍',
  '-1': '👎',
  heart: '❤️',
  laugh: '😂',
  wow: '😮',
  sad: '😢',
  fire: '🔥',
  tada: '🎉',
  eyes: '👀',
  pray: '🙏',
  ok: '👌',
  check: '✅',
};

/** An emoji's longest form in UTF-16 units: a family of ZWJ sequences with skin tones is below it. */
export const MAX_EMOJI_LENGTH = 64;

const graphemes = new Intl.Segmenter(undefined, { granularity: 'grapheme' });

/** Only code points that emoji are made of: pictographs, their modifiers, ZWJ, VS16, keycap, tags. */
const EMOJI_PARTS = /^(?:\p{Extended_Pictographic}|\p{Emoji_Component}|\p{Emoji_Modifier}|\u200D|\uFE0F|\u20E3)+$/u;
const PICTOGRAPHIC = /\p{Extended_Pictographic}/u;
const FLAG = /^\p{Regional_Indicator}{2}$/u;
const KEYCAP = /^[0-9#*]\uFE0F?\u20E3$/u;
const LOOSE_ZWJ = /^\u200D|\u200D$/u;
/** A pictograph shown as text unless VS16 follows it (❤, ☺, ©): stored with VS16, so ❤ and ❤️ are one reaction. */
const TEXT_STYLE = /^(?!\p{Emoji_Presentation})\p{Extended_Pictographic}$/u;

/**
 * The emoji a reaction names: a short name's emoji, or `input` itself when it is one grapheme
 * cluster that is an emoji (a pictograph with its modifiers and ZWJ sequence, a flag of two
 * regional indicators, a keycap); a lone text-style pictograph gets its VS16. Undefined for anything else: text, several graphemes, a bare
 * digit or modifier, control characters.
 */
export function reactionEmoji(input: string): string | undefined {
  const named = Object.hasOwn(REACTION_SHORT_NAMES, input) ? REACTION_SHORT_NAMES[input] : undefined;
  if (named) return named;
  if (input.length === 0 || input.length > MAX_EMOJI_LENGTH || !EMOJI_PARTS.test(input)) return undefined;
  const segments = [...graphemes.segment(input)];
  if (segments.length !== 1 || LOOSE_ZWJ.test(input)) return undefined;
  if (TEXT_STYLE.test(input)) return `${input}\uFE0F`;
  return PICTOGRAPHIC.test(input) || FLAG.test(input) || KEYCAP.test(input) ? input : undefined;
}
