// A tiny History-API router: patterns like `/attackers/:uuid`.

/** Matches a path against a pattern; returns params or null. */
export function matchRoute(pattern: string, path: string): Record<string, string> | null {
  const norm = (s: string) => s.replace(/\/+$/, '') || '/';
  const p = norm(pattern).split('/');
  const a = norm(path.split(/[?#]/)[0]).split('/');
  if (p.length !== a.length) return null;
  const params: Record<string, string> = {};
  for (let i = 0; i < p.length; i++) {
    if (p[i].startsWith(':')) {
      if (a[i] === '') return null;
      try {
        params[p[i].slice(1)] = decodeURIComponent(a[i]);
      } catch {
        return null;
      }
    } else if (p[i] !== a[i]) return null;
  }
  return params;
}

/** First matching route of a table. */
export function resolve<T>(routes: { path: string; view: T }[], path: string): { view: T; params: Record<string, string> } | null {
  for (const r of routes) {
    const params = matchRoute(r.path, path);
    if (params) return { view: r.view, params };
  }
  return null;
}
