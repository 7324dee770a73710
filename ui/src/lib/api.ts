// The API client: Bearer token on every call, JSON bodies, errors mapped to ApiError, session state.
import { ApiError, mapApiError } from './errors';
import { jwtExp, queryString } from './shape';
import type { Config, LoginResponse } from './types';

export const API = '/api/v1';
const KEY = 'decnet.session';

/** The signed-in session as the UI knows it. */
export interface Session {
  token: string;
  username: string;
  mustChange: boolean;
  role: Config['role'] | null;
}

type Listener = (s: Session | null) => void;
let session: Session | null = load();
const listeners = new Set<Listener>();

function load(): Session | null {
  try {
    const raw = sessionStorage.getItem(KEY);
    if (!raw) return null;
    const s = JSON.parse(raw) as Session;
    const exp = jwtExp(s.token);
    if (exp !== null && exp * 1000 < Date.now()) return null;
    return s;
  } catch {
    return null;
  }
}

/** Current session (null when signed out). */
export function getSession(): Session | null {
  return session;
}

/** Replaces the session and notifies subscribers. */
export function setSession(s: Session | null): void {
  session = s;
  try {
    if (s) sessionStorage.setItem(KEY, JSON.stringify(s));
    else sessionStorage.removeItem(KEY);
  } catch {
    /* storage unavailable: keep in memory */
  }
  listeners.forEach((l) => l(s));
}

/** Subscribes to session changes; returns the unsubscribe function. */
export function onSession(l: Listener): () => void {
  listeners.add(l);
  return () => listeners.delete(l);
}

/** Options of a call. */
export interface CallOpts {
  query?: Record<string, string | number | boolean | null | undefined | string[]>;
  signal?: AbortSignal;
  /** Do not react to 401/403-must-change globally (login and change-password handle them). */
  quiet?: boolean;
}

/** Performs an API call and returns the parsed JSON (undefined for 204). */
export async function call<T>(method: string, path: string, body?: unknown, opts: CallOpts = {}): Promise<T> {
  const headers: Record<string, string> = { Accept: 'application/json' };
  if (session?.token) headers.Authorization = `Bearer ${session.token}`;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  let res: Response;
  try {
    res = await fetch(API + path + queryString(opts.query ?? {}), {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: opts.signal,
      cache: 'no-store',
    });
  } catch (e) {
    if (e instanceof DOMException && e.name === 'AbortError') throw e;
    throw mapApiError(0, null);
  }
  if (res.status === 204) return undefined as T;
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    /* keep text */
  }
  if (!res.ok) {
    const err = mapApiError(res.status, parsed, res.headers.get('Retry-After'));
    if (!opts.quiet) react(err);
    throw err;
  }
  return parsed as T;
}

function react(err: ApiError): void {
  if (err.kind === 'unauthenticated' && session) setSession(null);
  if (err.kind === 'must-change-password' && session && !session.mustChange) setSession({ ...session, mustChange: true });
}

/** GET shorthand. */
export function get<T>(path: string, query?: CallOpts['query'], signal?: AbortSignal): Promise<T> {
  return call<T>('GET', path, undefined, { query, signal });
}

/** Logs in and stores the session; the role is fetched when the password needs no change. */
export async function login(username: string, password: string): Promise<Session> {
  const r = await call<LoginResponse>('POST', '/auth/login', { username, password }, { quiet: true });
  const s: Session = { token: r.access_token, username, mustChange: r.must_change_password, role: null };
  setSession(s);
  if (!s.mustChange) await refreshRole();
  return getSession() ?? s;
}

/** Reads the caller's role from /config. */
export async function refreshRole(): Promise<void> {
  const cfg = await call<Config>('GET', '/config');
  const s = getSession();
  if (s) setSession({ ...s, role: cfg.role });
}

/**
 * Changes the password, then signs in again with the new one: the change bumps tokens_valid_from, so the old
 * token stops working.
 */
export async function changePassword(oldPassword: string, newPassword: string): Promise<void> {
  await call('POST', '/auth/change-password', { old_password: oldPassword, new_password: newPassword }, { quiet: true });
  const s = getSession();
  if (!s) return;
  await login(s.username, newPassword);
}

/** Logs out (best effort) and clears the session. */
export async function logout(): Promise<void> {
  try {
    await call('POST', '/auth/logout', undefined, { quiet: true });
  } catch {
    /* the token is dropped anyway */
  }
  setSession(null);
}

/** Fetches a single-use SSE ticket. */
export async function sseTicket(): Promise<string> {
  const r = await call<{ ticket: string; expires_in: number }>('POST', '/auth/sse-ticket');
  return r.ticket;
}

export { ApiError };
