/** shared/utf8.ts must agree with Node's encoder, which the main process uses for the same limits. */
import { describe, expect, it } from 'vitest';
import { utf8Length } from '../../shared/utf8.js';

describe('utf8Length', () => {
  it.each(['', 'derp', 'é', '€', '😀', 'a😀b', '\ud83d', '\ud83dx', '\ude00', 'x\ud83d'])(
    'counts %j as Buffer does',
    (s) => {
      expect(utf8Length(s)).toBe(Buffer.byteLength(s));
    },
  );
});
