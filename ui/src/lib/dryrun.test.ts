import { describe, expect, it } from 'vitest';
import { dryRunBody, serverAllowsDeploy, serverCheckFromError, serverPlanRows, shouldAskServer } from './dryrun';
import { mapApiError } from './errors';
import { checkIni } from './ini';

describe('dry-run request', () => {
  it('carries the INI, the mode and dry_run', () => {
    expect(dryRunBody('[a]\n', true)).toEqual({ ini_content: '[a]\n', replace_fleet: true, dry_run: true });
  });
  it('asks the server only after the lexical pre-check passes', () => {
    expect(shouldAskServer(checkIni('[a]\nservices=ssh\n'))).toBe(true);
    expect(shouldAskServer(checkIni('[a\nservices=ssh'))).toBe(false);
    expect(shouldAskServer(checkIni('[general]\nnet=10.0.0.0/24\n'))).toBe(false);
  });
});

describe('serverPlanRows', () => {
  it('keeps the server order and shapes each decky', () => {
    const rows = serverPlanRows({
      dry_run: true,
      deckies: [
        { name: 'web', ip: '10.213.9.50', services: ['ssh', 'http'], distro: 'debian', nmap_os: 'linux', hostname: 'srv-web', archetype: 'web-server', state: 'planned' },
        { name: 'db-01', ip: '10.213.9.1', services: [], distro: '', nmap_os: 'linux', hostname: 'db1', archetype: null },
      ],
    });
    expect(rows).toEqual([
      { name: 'web', ip: '10.213.9.50', services: ['ssh', 'http'], os: 'debian · linux', hostname: 'srv-web', archetype: 'web-server' },
      { name: 'db-01', ip: '10.213.9.1', services: [], os: 'linux', hostname: 'db1', archetype: null },
    ]);
  });
  it.each([[null], [{}], [{ deckies: 'x' }], ['text']])('tolerates %j', (b) => expect(serverPlanRows(b)).toEqual([]));
  it('drops nameless items and non-string services', () => {
    expect(serverPlanRows({ deckies: [{ ip: '1.2.3.4' }, null, { name: 'a', services: ['ssh', 3] }] })).toEqual([
      { name: 'a', ip: '', services: ['ssh'], os: '', hostname: '', archetype: null },
    ]);
  });
});

describe('serverCheckFromError', () => {
  it('shows the server text of a validation refusal and blocks the deploy', () => {
    const s = serverCheckFromError(mapApiError(409, { detail: 'IP 10.213.9.1 is already in use by an existing decky' }));
    expect(s).toEqual({ state: 'refused', message: 'IP 10.213.9.1 is already in use by an existing decky' });
    expect(serverAllowsDeploy(s)).toBe(false);
    expect(serverCheckFromError(mapApiError(422, { detail: 'Invalid INI config' }))).toEqual({ state: 'refused', message: 'Invalid INI config' });
  });
  it('treats transport and server failures as "could not check"', () => {
    for (const e of [mapApiError(0, null), mapApiError(503, { detail: 'Fleet engine not available' }), new Error('boom')]) {
      const s = serverCheckFromError(e);
      expect(s.state).toBe('unavailable');
      expect(serverAllowsDeploy(s)).toBe(true);
    }
  });
  it('allows only a successful plan otherwise', () => {
    expect(serverAllowsDeploy({ state: 'ok', rows: [] })).toBe(true);
    expect(serverAllowsDeploy({ state: 'pending' })).toBe(false);
    expect(serverAllowsDeploy({ state: 'idle' })).toBe(false);
  });
});
