import { describe, expect, it } from 'vitest';
import { ApiError, detailOf, errorText, mapApiError } from './errors';

describe('mapApiError', () => {
  it.each([
    [0, null, 'network', /Cannot reach decnetd/],
    [401, { detail: 'Could not validate credentials' }, 'unauthenticated', /session has expired/],
    [401, { detail: 'Incorrect username or password' }, 'invalid', /^Incorrect username or password\.$/],
    [401, { detail: 'Incorrect old password' }, 'invalid', /^Incorrect old password\.$/],
    [403, { detail: 'Password change required before accessing this resource' }, 'must-change-password', /new password/],
    [403, { detail: 'Insufficient permissions' }, 'forbidden', /admin role/],
    [403, { detail: 'Cannot delete your own account' }, 'forbidden', /^Cannot delete your own account$/],
    [404, { detail: 'Attacker not found' }, 'not-found', /^Attacker not found$/],
    [409, { detail: "decky 'decky-01' already exists; submit with replace_fleet=true to overwrite the fleet" }, 'conflict', /already exists/],
    [400, { detail: 'Bad Request: Schema structural violation (wrong type, extra fields, or invalid length).' }, 'invalid', /missing, too long or too short/],
    [415, 'Unsupported Media Type — Content-Type must be application/json', 'invalid', /JSON/],
    [422, { detail: 'Invalid request parameters' }, 'invalid', /out of range/],
    [422, { detail: 'Invalid INI config' }, 'invalid', /512 KB/],
    [500, { detail: 'Internal Server Error', error_id: 'ab'.repeat(16) }, 'server', /reference abab/],
    [503, { status: 'unhealthy' }, 'unavailable', /unavailable/],
    [418, {}, 'unknown', /HTTP 418/],
  ])('%d %j', (status, body, kind, re) => {
    const e = mapApiError(status as number, body);
    expect(e).toBeInstanceOf(ApiError);
    expect(e.kind).toBe(kind);
    expect(e.message).toMatch(re as RegExp);
    expect(e.status).toBe(status);
  });

  it('uses Retry-After for 429', () => {
    expect(mapApiError(429, { detail: 'Rate limit exceeded' }, '42').message).toBe('Too many attempts. Try again in 42 s.');
    expect(mapApiError(429, { detail: 'Rate limit exceeded' }, null).message).toBe('Too many attempts. Try again in a moment.');
    expect(mapApiError(429, { detail: 'SSE connection limit (5) reached' }).message).toMatch(/live views/);
  });

  it('keeps the error id and detail', () => {
    const e = mapApiError(500, { detail: 'Internal Server Error', error_id: 'f'.repeat(32) });
    expect(e.errorId).toBe('f'.repeat(32));
    expect(e.detail).toBe('Internal Server Error');
  });
});

describe('detailOf', () => {
  it('joins developer-mode lists', () => {
    expect(detailOf({ detail: [{ msg: 'a' }, 'b'] })).toBe('a; b');
    expect(detailOf(null)).toBeNull();
    expect(errorText(new Error('x'))).toBe('x');
    expect(errorText('y')).toBe('y');
  });
});
