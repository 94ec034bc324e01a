import fc from 'fast-check';

/**
 * Hostile values for the fuzz suites (issue 5 §2): wrong types, deep nesting, large strings,
 * prototype-pollution keys, Unicode edge cases, binary attachments, SQL and HTML fragments.
 * Everything stays below the 64 KiB transport limit, which has its own test.
 */

export const SQL_AND_HTML = [
  "'; DROP TABLE messages; --",
  "' OR '1'='1",
  '"; SELECT * FROM users; --',
  "1; UPDATE users SET username='x'",
  '$1 $2 \\x00 %s %n %%',
  "') ON CONFLICT DO NOTHING; --",
  '<script>alert(1)</script>',
  '<img src=x onerror=alert(1)>',
  '"><svg/onload=alert(1)>',
  '&lt;b&gt;&amp;&#x27;',
  '{{constructor.constructor("return 1")()}}',
  '${process.exit(1)}',
  '../../../../etc/passwd',
  '%00%2e%2e%2f',
] as const;

export const UNICODE_EDGES = [
  '\u200b', // zero-width space
  '\u200d', // zero-width joiner
  '\u202e', // right-to-left override
  '\u2028\u2029', // JS line/paragraph separators
  '\ufeff', // BOM
  '\u00a0', // no-break space (trimmed by String.prototype.trim)
  '\u3000', // ideographic space
  'e\u0301', // combining accent
  '👩‍👩‍👧‍👦', // ZWJ family
  '🏳️‍🌈',
  '𝕳𝖊𝖑𝖑𝖔', // astral letters
  '\uffff\ufffe\ufffd',
  'Z̸̢̛̝͉̈́a̵̧̛l̴̢̛g̵̛o̷',
  '\r\n\t\v\f',
  'Привет, мир',
  'مرحبا بالعالم',
] as const;

export const POLLUTION_KEYS = [
  '__proto__',
  'constructor',
  'prototype',
  'toString',
  'valueOf',
  'hasOwnProperty',
  '__defineGetter__',
] as const;

/** Strings a text field may carry and PostgreSQL may store: well-formed, no NUL. */
export const storableString = (maxLength: number) =>
  fc
    .array(
      fc.oneof(
        { weight: 3, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
        { weight: 2, arbitrary: fc.constantFrom(...UNICODE_EDGES, ...SQL_AND_HTML) },
        { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 20 }) },
        { weight: 1, arbitrary: fc.constantFrom(' ', '  \n', '\t') },
      ),
      { maxLength: Math.max(1, Math.floor(maxLength / 20)) },
    )
    .map((parts) => parts.join('').replaceAll('\u0000', '').slice(0, maxLength))
    .filter((s) => s.isWellFormed());

/** Any string at all, including lone surrogates, NUL and very long ones. */
export const hostileString = fc.oneof(
  { weight: 4, arbitrary: fc.string({ unit: 'binary', maxLength: 64 }) },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      ...SQL_AND_HTML,
      ...UNICODE_EDGES,
      ...POLLUTION_KEYS,
      '',
      ' ',
      '\u0000',
      '\ud800',
      '\udfff',
      'null',
      'undefined',
      'NaN',
    ),
  },
  {
    weight: 1,
    arbitrary: fc.string({
      unit: fc.constantFrom('a', 'я', '😀', '\u0000', '\ud83d'),
      minLength: 1000,
      maxLength: 12_000,
    }),
  },
  { weight: 1, arbitrary: fc.nat({ max: 5000 }).map((n) => 'x'.repeat(n)) },
);

/** Numbers no schema expects. */
const hostileNumber = fc.oneof(
  fc.integer(),
  fc.double(),
  fc.constantFrom(0, -0, -1, 1.5, 2 ** 53, -(2 ** 53), Number.MAX_SAFE_INTEGER + 2, 1e308, Number.MIN_VALUE),
);

/** Nesting far deeper than any payload needs, as arrays or objects. */
export const deepNesting = fc.tuple(fc.integer({ min: 50, max: 1_000 }), fc.boolean()).map(([depth, asArray]) => {
  let value: unknown = 'bottom';
  // One reference per level: the value is a chain, not a DAG that serialises exponentially.
  for (let i = 0; i < depth; i++)
    value = asArray ? [value] : i % 2 === 0 ? { chatId: value, text: 'x' } : { text: value };
  return value;
});

const binary = fc.uint8Array({ maxLength: 2048 }).map((bytes) => Buffer.from(bytes));

/** An object whose keys include prototype-pollution names and the payload fields. */
const hostileObject = (leaf: fc.Arbitrary<unknown>) =>
  fc
    .array(
      fc.tuple(
        fc.oneof(
          fc.constantFrom(
            ...POLLUTION_KEYS,
            'chatId',
            'text',
            'clientMessageId',
            'replyTo',
            'messageId',
            'emoji',
            'before',
            'after',
            'limit',
            'userIds',
            'name',
            'email',
            'username',
            'password',
            'search',
          ),
          fc.string({ maxLength: 10 }),
        ),
        leaf,
      ),
      { maxLength: 8 },
    )
    .map((entries) => {
      // JSON.parse semantics: "__proto__" becomes an own key, as it does on the wire.
      return JSON.parse(`{${entries.map(([k, v]) => `${JSON.stringify(k)}:${safeJson(v)}`).join(',')}}`);
    });

function safeJson(value: unknown): string {
  try {
    return JSON.stringify(value) ?? 'null';
  } catch {
    return 'null';
  }
}

const leaf: fc.Arbitrary<unknown> = fc.oneof(
  hostileString,
  hostileNumber,
  fc.boolean(),
  fc.constant(null),
  fc.constant(undefined),
  fc.array(fc.oneof(hostileString, hostileNumber), { maxLength: 5 }),
);

/** Any value a client could put in an event's arguments or a JSON body. */
export const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 4, arbitrary: leaf },
  { weight: 4, arbitrary: hostileObject(leaf) },
  { weight: 2, arbitrary: hostileObject(hostileObject(leaf)) },
  { weight: 2, arbitrary: fc.anything({ maxDepth: 4, maxKeys: 6, withNullPrototype: true, withTypedArray: true }) },
  { weight: 1, arbitrary: deepNesting },
  { weight: 1, arbitrary: binary },
  { weight: 1, arbitrary: fc.record({ chatId: binary, text: binary }) },
);
