// Server-side dry run of a deploy (POST /deckies/deploy with dry_run: true): request body, answer shaping
// and the wizard's combined validation state.
import { ApiError, errorText } from './errors';
import type { IniCheck } from './ini';
import type { Decky } from './types';

/** Body of the dry-run deploy request. */
export interface DryRunBody {
  ini_content: string;
  replace_fleet: boolean;
  dry_run: true;
}

/** 200 answer of a dry run: the deckies the deploy would create (GET /deckies item shape, state "planned"). */
export interface DryRunResponse {
  dry_run: true;
  deckies: Decky[];
}

/** One row of the server's planned-deckies table. */
export interface ServerPlanRow {
  name: string;
  ip: string;
  services: string[];
  os: string;
  hostname: string;
  archetype: string | null;
}

/** What the server said about the current INI. */
export type ServerCheck =
  | { state: 'idle' }
  | { state: 'pending' }
  | { state: 'ok'; rows: ServerPlanRow[] }
  | { state: 'refused'; message: string }
  | { state: 'unavailable'; message: string };

export function dryRunBody(text: string, replace: boolean): DryRunBody {
  return { ini_content: text, replace_fleet: replace, dry_run: true };
}

/** The server is asked only once the instant client-side pre-check passes. */
export function shouldAskServer(check: IniCheck): boolean {
  return check.errors.length === 0 && check.plan.length > 0;
}

const str = (v: unknown): string => (typeof v === 'string' ? v : '');

/** Shapes a dry-run answer into table rows, tolerating missing or mistyped fields. */
export function serverPlanRows(body: unknown): ServerPlanRow[] {
  const ds = body && typeof body === 'object' ? (body as { deckies?: unknown }).deckies : undefined;
  if (!Array.isArray(ds)) return [];
  return ds
    .filter((d): d is Record<string, unknown> => !!d && typeof d === 'object' && typeof (d as { name?: unknown }).name === 'string')
    .map((d) => ({
      name: str(d.name),
      ip: str(d.ip),
      services: Array.isArray(d.services) ? d.services.filter((s): s is string => typeof s === 'string') : [],
      os: [str(d.distro), str(d.nmap_os)].filter(Boolean).join(' · '),
      hostname: str(d.hostname),
      archetype: typeof d.archetype === 'string' ? d.archetype : null,
    }));
}

/**
 * Maps a failed dry run: validation answers (400/409/422) are a refusal carrying the server's own text and
 * block the deploy; anything else (network, 5xx, an engine without dry run) only means the server could not
 * check, and the deploy stays possible.
 */
export function serverCheckFromError(e: unknown): ServerCheck {
  if (e instanceof ApiError && (e.status === 400 || e.status === 409 || e.status === 422)) {
    return { state: 'refused', message: e.detail ?? e.message };
  }
  return { state: 'unavailable', message: errorText(e) };
}

/** Whether the wizard may go on to review with this server verdict. */
export function serverAllowsDeploy(s: ServerCheck): boolean {
  return s.state === 'ok' || s.state === 'unavailable';
}
