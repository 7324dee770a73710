// The log search grammar of spec/api.md §4: shell-style tokens, ANDed; `key:value` filters on
// decky/service/event/attacker columns or SD fields; bare tokens are substring matches.

/** Columns a `key:value` filter can target; anything else is an SD field. */
export type TermKind = 'decky' | 'service' | 'event' | 'attacker' | 'field' | 'text';

/** One parsed token of a search query. */
export interface Term {
  kind: TermKind;
  /** Original key as typed (empty for text terms). */
  key: string;
  value: string;
  /** For field terms, the key the server will use (`[A-Za-z0-9_]` only). */
  field?: string;
}

/**
 * tokenize splits shell-style: whitespace separates, double or single quotes group words (the quotes are
 * removed, also mid-token as in `cmd:"ls -la"`). Unbalanced quotes → plain whitespace split, as the API does.
 */
export function tokenize(q: string): string[] {
  const out: string[] = [];
  let cur = '';
  let has = false;
  let quote: string | null = null;
  for (let i = 0; i < q.length; i++) {
    const c = q[i];
    if (quote) {
      if (c === quote) quote = null;
      else if (c === '\\' && quote === '"' && (q[i + 1] === '"' || q[i + 1] === '\\')) cur += q[++i];
      else cur += c;
    } else if (c === '"' || c === "'") {
      quote = c;
      has = true;
    } else if (c === '\\' && i + 1 < q.length) {
      cur += q[++i];
      has = true;
    } else if (/\s/.test(c)) {
      if (has) out.push(cur);
      cur = '';
      has = false;
    } else {
      cur += c;
      has = true;
    }
  }
  if (quote) return q.split(/\s+/).filter((t) => t !== '');
  if (has) out.push(cur);
  return out;
}

const ATTACKER_KEYS = new Set(['attacker', 'attacker-ip', 'attacker_ip']);

/** Classifies one token. */
export function classify(token: string): Term {
  const i = token.indexOf(':');
  if (i <= 0 || i === token.length - 1) return { kind: 'text', key: '', value: token };
  const key = token.slice(0, i);
  const value = token.slice(i + 1);
  if (key === 'decky') return { kind: 'decky', key, value };
  if (key === 'service') return { kind: 'service', key, value };
  if (key === 'event') return { kind: 'event', key, value };
  if (ATTACKER_KEYS.has(key)) return { kind: 'attacker', key, value };
  return { kind: 'field', key, value, field: key.replace(/[^A-Za-z0-9_]/g, '') };
}

/** Parses a query into terms. */
export function parseQuery(q: string): Term[] {
  return tokenize(q).map(classify);
}

/** Quotes a token part when it holds whitespace or quotes. */
export function quote(s: string): string {
  if (s !== '' && !/[\s"'\\]/.test(s)) return s;
  return '"' + s.replace(/\\/g, '\\\\').replace(/"/g, '\\"') + '"';
}

/** Renders one term back to query text. */
export function termText(t: Term): string {
  if (t.kind === 'text') return quote(t.value);
  return `${t.key}:${quote(t.value)}`;
}

/** Renders terms back to a query string (round-trips with parseQuery). */
export function buildQuery(terms: Term[]): string {
  return terms.map(termText).join(' ');
}

/** Adds `key:value` (replacing an existing filter with the same key), or a text term when key is empty. */
export function withFilter(q: string, key: string, value: string): string {
  const terms = parseQuery(q);
  const t = key ? classify(`${key}:${value}`) : { kind: 'text' as const, key: '', value };
  if (key && value === '') return buildQuery(terms.filter((x) => x.key !== key));
  const idx = key ? terms.findIndex((x) => x.key === key) : -1;
  if (idx >= 0) terms[idx] = t;
  else if (!terms.some((x) => x.kind === t.kind && x.key === t.key && x.value === t.value)) terms.push(t);
  return buildQuery(terms);
}

/** Removes the term at index i. */
export function withoutTerm(q: string, i: number): string {
  const terms = parseQuery(q);
  terms.splice(i, 1);
  return buildQuery(terms);
}

/** Client-side evaluation of a query against a log row (used to filter the live feed locally). */
export function matches(
  terms: Term[],
  row: { decky: string; service: string; event_type: string; attacker_ip: string | null; raw_line: string; fields: Record<string, unknown> },
): boolean {
  return terms.every((t) => {
    switch (t.kind) {
      case 'decky':
        return row.decky === t.value;
      case 'service':
        return row.service === t.value;
      case 'event':
        return row.event_type === t.value;
      case 'attacker':
        return row.attacker_ip !== null && row.attacker_ip === t.value;
      case 'field': {
        const v = row.fields?.[t.field ?? t.key];
        return v !== undefined && String(v) === t.value;
      }
      case 'text': {
        const needle = t.value.toLowerCase();
        return [row.raw_line, row.decky, row.service, row.attacker_ip ?? ''].some((h) => h.toLowerCase().includes(needle));
      }
    }
    return false;
  });
}
