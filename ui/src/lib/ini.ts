// Client-side pre-check of a deployment INI (spec/config.md §2–§5) and a preview of the deckies it plans.
// The server stays authoritative: this gives instant feedback while typing, the deploy call gives the verdict.

export const BUILTIN_SERVICES = [
  'conpot', 'dns', 'docker_api', 'elasticsearch', 'ftp', 'http', 'https', 'imap', 'k8s', 'ldap', 'llmnr', 'mongodb',
  'mqtt', 'mssql', 'mysql', 'pop3', 'postgres', 'rdp', 'redis', 'sip', 'smb', 'smtp', 'smtp_relay', 'snmp', 'ssh',
  'telnet', 'tftp', 'vnc',
];

/** Archetype slug → [services, nmap_os] (catalog.md §2). */
export const ARCHETYPES: Record<string, [string[], string]> = {
  'windows-workstation': [['smb', 'rdp'], 'windows'],
  'windows-server': [['smb', 'rdp', 'ldap'], 'windows_server'],
  'domain-controller': [['ldap', 'smb', 'rdp', 'llmnr'], 'windows_server'],
  'linux-server': [['ssh', 'http'], 'linux'],
  'web-server': [['http', 'ftp'], 'linux'],
  'database-server': [['mysql', 'postgres', 'redis'], 'linux'],
  'mail-server': [['smtp', 'pop3', 'imap'], 'linux'],
  'file-server': [['smb', 'ftp', 'ssh'], 'linux'],
  printer: [['snmp', 'ftp'], 'embedded'],
  'iot-device': [['mqtt', 'snmp', 'telnet'], 'embedded'],
  'industrial-control': [['conpot'], 'embedded'],
  'voip-server': [['sip'], 'linux'],
  'monitoring-node': [['snmp', 'ssh'], 'linux'],
  'devops-host': [['docker_api', 'ssh', 'k8s'], 'linux'],
  deaddeck: [['ssh'], 'linux'],
};

export const OS_FAMILIES = ['bsd', 'cisco', 'embedded', 'linux', 'windows', 'windows_server'];
const GENERAL_KEYS = ['gw', 'interface', 'mutate_interval', 'net'];
const DECKY_KEYS = ['amount', 'archetype', 'ip', 'mutate_interval', 'nmap_os', 'services'];
const MAX_BYTES = 524288;

/** A problem found by the pre-check; line is 1-based (0 = whole file). */
export interface IniIssue {
  line: number;
  message: string;
}

/** A parsed section. */
export interface IniSection {
  name: string;
  line: number;
  keys: Record<string, string>;
  keyLines: Record<string, number>;
}

/** A decky the INI would create. */
export interface PlannedDecky {
  name: string;
  section: string;
  ip: string;
  services: string[];
  archetype: string | null;
  nmap_os: string;
  mutate_interval: number | null;
}

/** Result of the pre-check. */
export interface IniCheck {
  errors: IniIssue[];
  sections: IniSection[];
  plan: PlannedDecky[];
  general: Record<string, string>;
}

/** UTF-8 byte length. */
export function byteLength(s: string): number {
  return new TextEncoder().encode(s).length;
}

/** Lexical parse (§2) with the content checks of §3. Stops at the first lexical error, like the server. */
export function lexIni(text: string): { sections: IniSection[]; error: IniIssue | null } {
  if (byteLength(text) > MAX_BYTES) return { sections: [], error: { line: 0, message: 'INI content is too large (max 512KB)' } };
  if (text.trim() === '') return { sections: [], error: { line: 0, message: 'INI content is empty' } };
  const lines = text.replace(/\r\n?/g, '\n').split('\n');
  const sections: IniSection[] = [];
  const names = new Set<string>();
  let cur: IniSection | null = null;
  let lastKey: string | null = null;
  let sawContent = false;
  const fail = (line: number, detail: string) => ({ sections, error: { line, message: `Invalid INI format: ${detail}` } });
  for (let i = 0; i < lines.length; i++) {
    const n = i + 1;
    const raw = lines[i];
    const t = raw.trim();
    if (t === '') {
      lastKey = null;
      continue;
    }
    if (t.startsWith('#') || t.startsWith(';')) continue;
    const isHeader = t.startsWith('[') && t.endsWith(']') && t.length >= 2;
    if (!sawContent) {
      sawContent = true;
      if (!isHeader) return { sections, error: { line: n, message: 'Invalid INI format: no sections found' } };
    }
    if (/^[ \t]/.test(raw) && lastKey !== null && cur) {
      cur.keys[lastKey] += '\n' + t;
      continue;
    }
    if (isHeader) {
      const name = t.slice(1, -1).trim();
      if (name === '') return fail(n, `line ${n}: empty section name`);
      if (names.has(name)) return fail(n, `line ${n}: duplicate section '[${name}]'`);
      names.add(name);
      cur = { name, line: n, keys: {}, keyLines: {} };
      sections.push(cur);
      lastKey = null;
      continue;
    }
    const eq = t.search(/[=:]/);
    if (eq < 0 || !cur) return fail(n, `line ${n}: expected 'key = value'`);
    const key = t.slice(0, eq).trim().toLowerCase();
    const value = t.slice(eq + 1).trim();
    if (key === '') return fail(n, `line ${n}: empty key`);
    if (key in cur.keys) return fail(n, `line ${n}: duplicate key '${key}' in section '[${cur.name}]'`);
    cur.keys[key] = value;
    cur.keyLines[key] = n;
    lastKey = key;
  }
  if (!sawContent) {
    return { sections, error: { line: 0, message: 'The provided INI content must contain at least one section (no sections found)' } };
  }
  return { sections, error: null };
}

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

/** True for a dotted-quad IPv4 literal. */
export function isIPv4(s: string): boolean {
  return IPV4.test(s);
}

const NAME_RE = /^[A-Za-z0-9._-]+$/;

/** Fan-out names of a section (§4.2). */
export function fanOutNames(section: string, amount: number): string[] {
  if (amount <= 1) return [section];
  return Array.from({ length: amount }, (_, i) => `${section}-${String(i + 1).padStart(2, '0')}`);
}

/** Pre-checks an INI: lexical errors, section checks the client can do without the catalog, and the plan. */
export function checkIni(text: string): IniCheck {
  const { sections, error } = lexIni(text);
  const res: IniCheck = { errors: [], sections, plan: [], general: {} };
  if (error) {
    res.errors.push(error);
    return res;
  }
  const customs = new Set<string>();
  for (const s of sections) if (s.name.startsWith('custom-') && !s.name.includes('.')) customs.add(s.name.slice(7));
  const services = new Set([...BUILTIN_SERVICES, ...customs]);
  const defaults = sections.find((s) => s.name === 'DEFAULT')?.keys ?? {};
  const err = (line: number, message: string) => res.errors.push({ line, message });
  const deckySections: IniSection[] = [];
  for (const s of sections) {
    if (s.name === 'DEFAULT') continue;
    if (s.name === 'general') {
      for (const k of Object.keys(s.keys)) {
        const kk = k === 'mutate-interval' ? 'mutate_interval' : k;
        if (!GENERAL_KEYS.includes(kk)) err(s.keyLines[k], `[general] unknown key '${k}'; accepted keys: ${GENERAL_KEYS.join(', ')}`);
      }
      res.general = { ...s.keys };
      continue;
    }
    const dot = s.name.lastIndexOf('.');
    if (dot > 0 && services.has(s.name.slice(dot + 1))) continue; // persona subsection: checked by the server
    if (s.name.startsWith('custom-')) {
      if (!s.keys.binary) err(s.line, `[${s.name}] binary= is required`);
      continue;
    }
    deckySections.push(s);
  }
  if (deckySections.length === 0) {
    err(0, 'INI must contain at least one decky section');
    return res;
  }
  const produced = new Set<string>();
  for (const s of deckySections) {
    const keys: Record<string, string> = { ...defaults, ...s.keys };
    const line = (k: string) => s.keyLines[k] ?? s.line;
    for (const alias of ['nmap', 'mutate']) {
      const a = alias === 'nmap' ? ['nmap_os', 'nmap-os'] : ['mutate_interval', 'mutate-interval'];
      if (a[0] in s.keys && a[1] in s.keys) err(line(a[1]), `[${s.name}] both ${a[0]} and ${a[1]} are set; use one`);
    }
    for (const k of Object.keys(keys)) {
      const kk = k.replace('-', '_');
      if (!DECKY_KEYS.includes(kk)) err(line(k), `[${s.name}] unknown key '${k}'; accepted keys: ${DECKY_KEYS.join(', ')}`);
    }
    let amount = 1;
    if (keys.amount !== undefined) {
      const a = keys.amount;
      if (!/^\d+$/.test(a) || Number(a) < 1) err(line('amount'), `[${s.name}] amount= must be a positive integer, got '${a}'`);
      else if (Number(a) > 100) err(line('amount'), `[${s.name}] amount=${Number(a)} exceeds maximum allowed (100).`);
      else amount = Number(a);
    }
    const ip = keys.ip;
    if (ip !== undefined && ip !== '') {
      if (amount > 1) err(line('ip'), `[${s.name}] Cannot combine ip= with amount=${amount}. Remove ip= or use amount=1.`);
      else if (!isIPv4(ip)) err(line('ip'), `[${s.name}] ip= must be an IPv4 address, got '${ip}'`);
    }
    const miRaw = keys.mutate_interval ?? keys['mutate-interval'];
    let mi: number | null = null;
    if (miRaw !== undefined && miRaw !== '') {
      if (!/^-?\d+$/.test(miRaw)) err(line('mutate_interval'), `[${s.name}] mutate_interval= must be an integer, got '${miRaw}'`);
      else if (Number(miRaw) < 1) err(line('mutate_interval'), `[${s.name}] mutate_interval= must be at least 1, got '${miRaw}'`);
      else mi = Number(miRaw);
    }
    const arch = keys.archetype && keys.archetype !== '' ? keys.archetype : null;
    if (arch && !(arch in ARCHETYPES)) {
      err(line('archetype'), `Unknown archetype '${arch}'. Available: ${Object.keys(ARCHETYPES).sort().join(', ')}`);
    }
    const osRaw = keys.nmap_os ?? keys['nmap-os'];
    if (osRaw && !OS_FAMILIES.includes(osRaw)) {
      err(line('nmap_os'), `[${s.name}] nmap_os='${osRaw}' is not a known OS family. Available: ${OS_FAMILIES.join(', ')}`);
    }
    let svc: string[] = [];
    if (keys.services !== undefined && keys.services !== '') {
      for (const item of keys.services.split(',').map((x) => x.trim())) if (!svc.includes(item)) svc.push(item);
      const unknown = svc.filter((x) => !services.has(x));
      if (unknown.length) {
        err(
          line('services'),
          `Unknown service(s) in [${s.name}]: [${unknown.map((u) => `'${u}'`).join(', ')}]. Available: [${[...services]
            .sort()
            .map((u) => `'${u}'`)
            .join(', ')}]`,
        );
      }
    } else if (arch && ARCHETYPES[arch]) {
      svc = [...ARCHETYPES[arch][0]];
    }
    const os = osRaw || (arch && ARCHETYPES[arch] ? ARCHETYPES[arch][1] : 'linux');
    for (const name of fanOutNames(s.name, amount)) {
      if (!NAME_RE.test(name) || name.length > 128) {
        err(s.line, `[${s.name}] invalid decky name '${name}': must match ^[A-Za-z0-9._-]+$ and be at most 128 characters`);
        break;
      }
      if (produced.has(name)) err(s.line, `duplicate decky name '${name}'`);
      produced.add(name);
      res.plan.push({
        name,
        section: s.name,
        ip: ip && amount === 1 ? ip : 'auto',
        services: svc,
        archetype: arch,
        nmap_os: os,
        mutate_interval: mi,
      });
    }
  }
  return res;
}

/** Names in the plan that already exist in the fleet (additive deploys would be refused). */
export function collisions(plan: PlannedDecky[], existing: string[]): string[] {
  const have = new Set(existing);
  return plan.filter((p) => have.has(p.name)).map((p) => p.name);
}
