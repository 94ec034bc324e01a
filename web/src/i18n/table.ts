/** A string, or one per plural category for strings with a `{count}` (Russian has one/few/many). */
export type Text = string | (Partial<Record<Intl.LDMLPluralRule, string>> & { other: string });

/**
 * One part of the page's strings, English and Russian: the type checker holds the Russian table to
 * exactly the English one's keys.
 */
export function strings<K extends string>(
  en: Record<K, Text>,
  ru: NoInfer<Record<K, Text>>,
): Record<'en' | 'ru', Record<K, Text>> {
  return { en, ru };
}
