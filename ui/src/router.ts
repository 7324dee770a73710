// Navigation state for the tiny router (matching lives in lib/router.ts).
import { useEffect, useState } from 'preact/hooks';

const EVT = 'decnet:navigate';

/** Navigates within the SPA. */
export function navigate(to: string, replace = false): void {
  if (to === location.pathname + location.search) return;
  if (replace) history.replaceState(null, '', to);
  else history.pushState(null, '', to);
  window.dispatchEvent(new Event(EVT));
  window.scrollTo(0, 0);
}

/** Current location (path + search), re-rendering on navigation. */
export function useLocation(): { path: string; search: URLSearchParams } {
  const [loc, setLoc] = useState(() => ({ path: location.pathname, search: new URLSearchParams(location.search) }));
  useEffect(() => {
    const on = () => setLoc({ path: location.pathname, search: new URLSearchParams(location.search) });
    window.addEventListener('popstate', on);
    window.addEventListener(EVT, on);
    return () => {
      window.removeEventListener('popstate', on);
      window.removeEventListener(EVT, on);
    };
  }, []);
  return loc;
}

/** Replaces query parameters of the current URL without a new history entry. */
export function setQuery(params: Record<string, string | null | undefined>): void {
  const sp = new URLSearchParams(location.search);
  for (const [k, v] of Object.entries(params)) {
    if (v === null || v === undefined || v === '') sp.delete(k);
    else sp.set(k, v);
  }
  const s = sp.toString();
  history.replaceState(null, '', location.pathname + (s ? '?' + s : ''));
}
