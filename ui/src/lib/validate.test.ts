import { describe, expect, it } from 'vitest';
import { limitProblem, passwordProblems, usernameProblem } from './validate';

describe('passwordProblems', () => {
  it('accepts a good password', () => expect(passwordProblems('correct horse battery', 'correct horse battery', 'old')).toEqual([]));
  it('enforces 12..72 characters and 72 bytes', () => {
    expect(passwordProblems('short', 'short')).toContain('at least 12 characters');
    expect(passwordProblems('x'.repeat(73), 'x'.repeat(73))).toContain('at most 72 characters (72 bytes)');
    const multi = 'é'.repeat(40); // 40 chars, 80 bytes
    expect(passwordProblems(multi, multi)).toContain('at most 72 characters (72 bytes)');
  });
  it('requires confirmation and a change', () => {
    expect(passwordProblems('abcdefghijkl', 'abcdefghijkX')).toContain('both new passwords must match');
    expect(passwordProblems('abcdefghijkl', 'abcdefghijkl', 'abcdefghijkl')).toContain('must differ from the current password');
  });
});

describe('usernameProblem / limitProblem', () => {
  it.each([
    ['', 'required'],
    ['a'.repeat(65), 'at most 64 characters'],
    ['alice', null],
  ])('username %j', (u, want) => expect(usernameProblem(u)).toBe(want));
  it.each([
    ['10', null],
    ['0', 'between 1 and 4096'],
    ['4097', 'between 1 and 4096'],
    ['1.5', 'a whole number'],
    ['', 'a whole number'],
  ])('limit %j', (t, want) => expect(limitProblem(t)).toBe(want));
});
