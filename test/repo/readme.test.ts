/** Keeps README.md honest: CI must run exactly the test command that README documents. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const root = new URL('../../', import.meta.url);

describe('README', () => {
  it('documents the exact test command that .ci/run executes', () => {
    const readme = readFileSync(new URL('README.md', root), 'utf8');
    const section = readme.split('## Run the tests')[1] ?? '';
    const command = /```sh\n(.+)\n```/.exec(section)?.[1];
    const ci = readFileSync(new URL('.ci/run', root), 'utf8').trim().split('\n').at(-1);
    expect(command).toBeDefined();
    expect(ci).toBe(command);
  });
});
