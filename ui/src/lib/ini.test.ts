import { describe, expect, it } from 'vitest';
import { checkIni, collisions, fanOutNames, lexIni } from './ini';

const firstError = (t: string) => checkIni(t).errors[0]?.message;

describe('content and lexical checks (config.md §3 / X8)', () => {
  it.each([
    ['', 'INI content is empty'],
    ['   \n  ', 'INI content is empty'],
    ['key=value', 'Invalid INI format: no sections found'],
    ['[a\nfoo=bar', 'Invalid INI format: no sections found'],
    ['# only a comment\n', 'The provided INI content must contain at least one section (no sections found)'],
    ['[a]\nservices\n', "Invalid INI format: line 2: expected 'key = value'"],
    ['[a]\nservices=ssh\n[a]\n', "Invalid INI format: line 3: duplicate section '[a]'"],
    ['[a]\nservices=ssh\nSERVICES=http\n', "Invalid INI format: line 3: duplicate key 'services' in section '[a]'"],
    ['[a]\n = x\n', 'Invalid INI format: line 2: empty key'],
    ['[a]\n[ ]\n', 'Invalid INI format: line 2: empty section name'],
    ['[general]\nnet=10.0.0.0/24\n', 'INI must contain at least one decky section'],
  ])('%j → %s', (t, want) => expect(firstError(t)).toBe(want));

  it('rejects more than 512 KiB', () => {
    expect(firstError('[' + 'a'.repeat(524289) + ']')).toBe('INI content is too large (max 512KB)');
  });

  it('handles CRLF, continuation lines, case-folded keys and no inline comments', () => {
    const { sections, error } = lexIni('[general]\r\ninterface=eth0\r\n[omega]\r\nSERVICES=ssh ; x\r\nnote = a\r\n  b\r\n');
    expect(error).toBeNull();
    expect(sections[0].keys).toEqual({ interface: 'eth0' });
    expect(sections[1].keys).toEqual({ services: 'ssh ; x', note: 'a\nb' });
  });
});

describe('section checks and plan', () => {
  it('plans X15-style deckies with fan-out, archetype services and nmap_os', () => {
    const r = checkIni(
      '[web]\nip=192.168.1.3\nservices=http\n[dc]\narchetype=domain-controller\n[ws]\narchetype=windows-workstation\namount=3\n[printer]\narchetype=printer\nnmap_os=cisco\n',
    );
    expect(r.errors).toEqual([]);
    expect(r.plan.map((p) => [p.name, p.ip, p.services.join(','), p.nmap_os])).toEqual([
      ['web', '192.168.1.3', 'http', 'linux'],
      ['dc', 'auto', 'ldap,smb,rdp,llmnr', 'windows_server'],
      ['ws-01', 'auto', 'smb,rdp', 'windows'],
      ['ws-02', 'auto', 'smb,rdp', 'windows'],
      ['ws-03', 'auto', 'smb,rdp', 'windows'],
      ['printer', 'auto', 'snmp,ftp', 'cisco'],
    ]);
  });

  it('skips persona and custom sections and accepts custom services', () => {
    const r = checkIni('[custom-myservice]\nbinary=img:1\n[decky-01]\nservices=ssh, myservice\n[decky-01.ssh]\npassword=x\n');
    expect(r.errors).toEqual([]);
    expect(r.plan).toHaveLength(1);
    expect(r.plan[0].services).toEqual(['ssh', 'myservice']);
  });

  it('inherits [DEFAULT] keys', () => {
    const r = checkIni('[DEFAULT]\nservices=ssh\n[a]\n[b]\nservices=http\n');
    expect(r.plan.map((p) => p.services)).toEqual([['ssh'], ['http']]);
  });

  it.each([
    ['[bad]\namount=101\n', '[bad] amount=101 exceeds maximum allowed (100).'],
    ['[bad]\namount=0\n', "[bad] amount= must be a positive integer, got '0'"],
    ['[bad]\namount=potato\n', "[bad] amount= must be a positive integer, got 'potato'"],
    ['[bad-group]\nservices=ssh\nip=10.0.0.50\namount=3\n', '[bad-group] Cannot combine ip= with amount=3. Remove ip= or use amount=1.'],
    ['[d]\nservices=ssh\nmutate_interval=abc\n', "[d] mutate_interval= must be an integer, got 'abc'"],
    ['[d]\nservices=ssh\nmutate_interval=-5\n', "[d] mutate_interval= must be at least 1, got '-5'"],
    ['[x]\nservices=ssh\nnmap_os=solaris\n', "[x] nmap_os='solaris' is not a known OS family. Available: bsd, cisco, embedded, linux, windows, windows_server"],
    ['[a]\narchetype=nope\n', "Unknown archetype 'nope'. Available: database-server, deaddeck, devops-host, domain-controller, file-server, industrial-control, iot-device, linux-server, mail-server, monitoring-node, printer, voip-server, web-server, windows-server, windows-workstation"],
    ['[a]\nfoo=1\n', "[a] unknown key 'foo'; accepted keys: amount, archetype, ip, mutate_interval, nmap_os, services"],
    ['[general]\nfoo=1\n[a]\nservices=ssh\n', "[general] unknown key 'foo'; accepted keys: gw, interface, mutate_interval, net"],
    ['[bad name!]\nservices=ssh\n', "[bad name!] invalid decky name 'bad name!': must match ^[A-Za-z0-9._-]+$ and be at most 128 characters"],
    ['[a]\nnmap_os=bsd\nnmap-os=bsd\n', '[a] both nmap_os and nmap-os are set; use one'],
    ['[custom-x]\nexec=/bin/x\n[a]\nservices=ssh\n', '[custom-x] binary= is required'],
    ['[g]\nservices=ssh\namount=2\n[g-01]\nservices=ssh\n', "duplicate decky name 'g-01'"],
  ])('%j → %s', (t, want) => expect(firstError(t)).toBe(want));

  it('lists unknown services like the server', () => {
    const m = firstError('[a]\nservices=ssh,bogus\n');
    expect(m).toMatch(/^Unknown service\(s\) in \[a\]: \['bogus'\]\. Available: \['conpot', 'dns', /);
    expect(firstError('[x]\nservices=ssh,\n')).toMatch(/^Unknown service\(s\) in \[x\]: \[''\]/);
  });

  it('reports the line of the offending key', () => {
    expect(checkIni('[a]\nservices=ssh\namount=0\n').errors[0].line).toBe(3);
  });
});

describe('helpers', () => {
  it('fans out names with two-digit padding', () => {
    expect(fanOutNames('g', 1)).toEqual(['g']);
    expect(fanOutNames('g', 100).slice(-2)).toEqual(['g-99', 'g-100']);
  });
  it('finds collisions with the fleet', () => {
    const plan = checkIni('[decky-01]\nservices=ssh\n[decky-09]\nservices=ssh\n').plan;
    expect(collisions(plan, ['decky-01', 'decky-02'])).toEqual(['decky-01']);
  });
});
