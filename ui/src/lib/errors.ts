// Mapping of API failures to messages a first-time operator understands.

/** What the UI should do about a failed call besides showing the message. */
export type ErrorKind =
  | 'network'
  | 'unauthenticated'
  | 'must-change-password'
  | 'forbidden'
  | 'not-found'
  | 'conflict'
  | 'invalid'
  | 'rate-limited'
  | 'server'
  | 'unavailable'
  | 'unknown';

/** ApiError is thrown by the API client for every non-2xx answer or transport failure. */
export class ApiError extends Error {
  readonly status: number;
  readonly kind: ErrorKind;
  readonly detail: string | null;
  readonly errorId: string | null;
  /** The parsed response body (e.g. the component report of a 503 /health). */
  body: unknown = null;

  constructor(status: number, kind: ErrorKind, message: string, detail: string | null, errorId: string | null) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.kind = kind;
    this.detail = detail;
    this.errorId = errorId;
  }
}

export const MUST_CHANGE_DETAIL = 'Password change required before accessing this resource';
const STRUCTURAL = 'Bad Request: Schema structural violation';

/** Extracts `detail` (string or developer-mode list) from an error body. */
export function detailOf(body: unknown): string | null {
  if (body && typeof body === 'object' && 'detail' in body) {
    const d = (body as { detail: unknown }).detail;
    if (typeof d === 'string') return d;
    if (Array.isArray(d)) {
      const parts = d.map((x) => {
        if (typeof x === 'string') return x;
        if (x && typeof x === 'object' && 'msg' in x) return String((x as { msg: unknown }).msg);
        return JSON.stringify(x);
      });
      return parts.join('; ');
    }
  }
  if (typeof body === 'string' && body.trim() !== '') return body.trim();
  return null;
}

/**
 * mapApiError turns an HTTP status (0 = the request never got an answer), the parsed body and the
 * Retry-After header into an ApiError with a human message.
 */
export function mapApiError(status: number, body: unknown, retryAfter?: string | null): ApiError {
  const detail = detailOf(body);
  const errorId =
    body && typeof body === 'object' && 'error_id' in body ? String((body as { error_id: unknown }).error_id) : null;
  const mk = (kind: ErrorKind, msg: string) => {
    const e = new ApiError(status, kind, msg, detail, errorId);
    e.body = body;
    return e;
  };

  if (status === 0) {
    return mk('network', 'Cannot reach decnetd. Check that the daemon is running and that this browser can reach it.');
  }
  switch (status) {
    case 400:
      if (detail && detail.startsWith(STRUCTURAL)) {
        return mk('invalid', 'The request was rejected as malformed: a value is missing, too long or too short.');
      }
      return mk('invalid', detail ?? 'The request was rejected as malformed.');
    case 401:
      if (detail === 'Incorrect username or password' || detail === 'Incorrect old password') return mk('invalid', detail + '.');
      return mk('unauthenticated', 'Your session has expired or was revoked. Please sign in again.');
    case 403:
      if (detail === MUST_CHANGE_DETAIL) return mk('must-change-password', 'You must choose a new password before continuing.');
      if (detail === 'Insufficient permissions') return mk('forbidden', 'This action needs the admin role. Ask an administrator.');
      return mk('forbidden', detail ?? 'You are not allowed to do this.');
    case 404:
      return mk('not-found', detail && detail !== 'Not Found' ? detail : 'Not found. It may have been removed.');
    case 409:
      return mk('conflict', detail ?? 'The request conflicts with the current state.');
    case 415:
      return mk('invalid', 'The dashboard sent a body the API does not accept (Content-Type must be JSON).');
    case 422:
      if (detail === 'Invalid request parameters') return mk('invalid', 'Some values are out of range or badly formatted.');
      if (detail === 'Invalid INI config') return mk('invalid', 'The INI configuration is invalid (it may be larger than 512 KB).');
      return mk('invalid', detail ?? 'Some values are out of range or badly formatted.');
    case 429: {
      const secs = retryAfter ? parseInt(retryAfter, 10) : NaN;
      if (detail && detail.startsWith('SSE connection limit')) {
        return mk('rate-limited', `Too many live views are open (${detail}). Close another dashboard tab.`);
      }
      const when = Number.isFinite(secs) && secs > 0 ? `in ${secs} s` : 'in a moment';
      return mk('rate-limited', `Too many attempts. Try again ${when}.`);
    }
    case 500:
      return mk('server', `decnetd hit an internal error${errorId ? ` (reference ${errorId})` : ''}. Check the daemon log.`);
    case 502:
    case 503:
    case 504:
      return mk('unavailable', detail ?? 'decnetd is unavailable right now. Try again shortly.');
    default:
      return mk('unknown', detail ?? `Unexpected answer from decnetd (HTTP ${status}).`);
  }
}

/** Human text for any thrown value. */
export function errorText(e: unknown): string {
  if (e instanceof ApiError) return e.message;
  if (e instanceof Error) return e.message;
  return String(e);
}
