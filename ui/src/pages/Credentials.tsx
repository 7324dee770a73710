import { useState } from 'preact/hooks';
import { Badge, Card, Link, PageHead, Pager, Show, useAsync, useDebounced } from '../components/ui';
import { get } from '../lib/api';
import { BUILTIN_SERVICES } from '../lib/ini';
import { fmtInt, secretText } from '../lib/shape';
import { fmtAgo, fmtTime } from '../lib/time';
import type { Credential, Page } from '../lib/types';

const LIMIT = 50;

export function CredentialsPage() {
  const [search, setSearch] = useState('');
  const [service, setService] = useState('');
  const [offset, setOffset] = useState(0);
  const q = useDebounced(search.trim(), 300);
  const list = useAsync((s) => get<Page<Credential>>('/credentials', { search: q, service, limit: LIMIT, offset }, s), [q, service, offset]);
  return (
    <div class="page" data-page="credentials">
      <PageHead title="Credentials" sub="Usernames, passwords and keys attackers tried against deckies." />
      <Card
        title="Captured credentials"
        actions={
          <div class="row gap-s">
            <input class="search" placeholder="Search principal, secret or decky…" value={search} onInput={(e) => (setSearch((e.target as HTMLInputElement).value), setOffset(0))} />
            <select value={service} onChange={(e) => (setService((e.target as HTMLSelectElement).value), setOffset(0))} aria-label="Service">
              <option value="">All services</option>
              {BUILTIN_SERVICES.map((s) => (
                <option value={s}>{s}</option>
              ))}
            </select>
          </div>
        }
      >
        <Show
          a={list}
          empty={(p) => p.data.length === 0}
          emptyTitle={q || service ? 'No credential matches' : 'No credentials captured yet'}
          emptyHint={q || service ? 'Try a shorter search.' : 'Login attempts on SSH, FTP, databases and other services are recorded here.'}
        >
          {(p) => (
            <>
              <div class="table-wrap">
                <table class="table" data-testid="credentials-table">
                  <thead>
                    <tr>
                      <th>Principal</th>
                      <th>Secret</th>
                      <th>Service</th>
                      <th>Decky</th>
                      <th>Attacker</th>
                      <th>Outcome</th>
                      <th class="num">Tries</th>
                      <th>Last seen</th>
                    </tr>
                  </thead>
                  <tbody>
                    {p.data.map((c) => (
                      <tr key={c.id}>
                        <td class="mono">{c.principal ?? '—'}</td>
                        <td class="mono ellipsis" title={c.secret_sha256 ? `sha256 ${c.secret_sha256}` : ''}>
                          {secretText(c)}
                          {c.secret_kind && c.secret_kind !== 'password' && <> <Badge>{c.secret_kind}</Badge></>}
                        </td>
                        <td>{c.service}</td>
                        <td>{c.decky_name}</td>
                        <td class="mono">{c.attacker_uuid ? <Link href={`/attackers/${c.attacker_uuid}`}>{c.attacker_ip}</Link> : c.attacker_ip}</td>
                        <td>
                          <Badge tone={c.outcome === 'success' || c.outcome === 'accepted' ? 'bad' : 'muted'}>{c.outcome ?? 'unknown'}</Badge>
                        </td>
                        <td class="num">{fmtInt(c.attempt_count)}</td>
                        <td title={fmtTime(c.last_seen)}>{fmtAgo(c.last_seen)}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
              <Pager total={p.total} limit={LIMIT} offset={offset} onOffset={setOffset} />
            </>
          )}
        </Show>
      </Card>
    </div>
  );
}
