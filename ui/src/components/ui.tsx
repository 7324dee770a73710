// Shared building blocks: async loading, empty/loading/error states, badges, dialogs, pager.
import { Fragment, type ComponentChildren, type JSX } from 'preact';
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { errorText } from '../lib/errors';
import { pageInfo, fmtInt } from '../lib/shape';
import { navigate } from '../router';

/** State of an async load. */
export interface Async<T> {
  data: T | undefined;
  error: unknown;
  loading: boolean;
  reload: () => void;
  setData: (v: T) => void;
}

/** Runs fn when deps change (aborting the previous run) and exposes its state. */
export function useAsync<T>(fn: (signal: AbortSignal) => Promise<T>, deps: unknown[]): Async<T> {
  const [data, setData] = useState<T | undefined>(undefined);
  const [error, setError] = useState<unknown>(null);
  const [loading, setLoading] = useState(true);
  const [tick, setTick] = useState(0);
  useEffect(() => {
    const ac = new AbortController();
    setLoading(true);
    setError(null);
    fn(ac.signal).then(
      (v) => {
        if (!ac.signal.aborted) {
          setData(v);
          setLoading(false);
        }
      },
      (e) => {
        if (!ac.signal.aborted) {
          setError(e);
          setLoading(false);
        }
      },
    );
    return () => ac.abort();
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [...deps, tick]);
  const reload = useCallback(() => setTick((t) => t + 1), []);
  return { data, error, loading, reload, setData };
}

/** Debounces a value. */
export function useDebounced<T>(value: T, ms: number): T {
  const [v, setV] = useState(value);
  useEffect(() => {
    const t = setTimeout(() => setV(value), ms);
    return () => clearTimeout(t);
  }, [value, ms]);
  return v;
}

/** Re-renders every ms (for relative times). */
export function useTicker(ms: number): number {
  const [n, setN] = useState(Date.now());
  useEffect(() => {
    const t = setInterval(() => setN(Date.now()), ms);
    return () => clearInterval(t);
  }, [ms]);
  return n;
}

export function Link(props: { href: string; class?: string; children: ComponentChildren; title?: string }) {
  const onClick = (e: MouseEvent) => {
    if (e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
    e.preventDefault();
    navigate(props.href);
  };
  return (
    <a href={props.href} class={props.class} onClick={onClick} title={props.title}>
      {props.children}
    </a>
  );
}

export function Loading(props: { label?: string; rows?: number }) {
  return (
    <div class="loading" role="status" aria-live="polite">
      <span class="spinner" aria-hidden="true" />
      <span>{props.label ?? 'Loading…'}</span>
    </div>
  );
}

export function Empty(props: { title: string; children?: ComponentChildren }) {
  return (
    <div class="empty">
      <div class="empty-title">{props.title}</div>
      {props.children && <div class="empty-hint">{props.children}</div>}
    </div>
  );
}

export function ErrorBox(props: { error: unknown; onRetry?: () => void; title?: string }) {
  return (
    <div class="error-box" role="alert">
      <div>
        <strong>{props.title ?? 'Something went wrong'}</strong>
        <div>{errorText(props.error)}</div>
      </div>
      {props.onRetry && (
        <button class="btn" onClick={props.onRetry}>
          Retry
        </button>
      )}
    </div>
  );
}

/** Renders loading / error / empty / content for an Async value. */
export function Show<T>(props: {
  a: Async<T>;
  empty?: (d: T) => boolean;
  emptyTitle?: string;
  emptyHint?: ComponentChildren;
  children: (d: T) => ComponentChildren;
}) {
  const { a } = props;
  if (a.error && a.data === undefined) return <ErrorBox error={a.error} onRetry={a.reload} />;
  if (a.data === undefined) return <Loading />;
  if (props.empty && props.empty(a.data)) return <Empty title={props.emptyTitle ?? 'Nothing here yet'}>{props.emptyHint}</Empty>;
  return (
    <>
      {a.error ? <ErrorBox error={a.error} onRetry={a.reload} title="Refresh failed" /> : null}
      {props.children(a.data)}
    </>
  );
}

export function Badge(props: { tone?: 'ok' | 'warn' | 'bad' | 'info' | 'muted'; children: ComponentChildren; title?: string }) {
  return (
    <span class={`badge ${props.tone ?? 'muted'}`} title={props.title}>
      {props.children}
    </span>
  );
}

/** Tone of a state string. */
export function stateTone(state: string): 'ok' | 'warn' | 'bad' | 'info' | 'muted' {
  const s = state.toLowerCase();
  if (['running', 'up', 'ok', 'completed', 'success', 'succeeded', 'healthy'].includes(s)) return 'ok';
  if (['pending', 'creating', 'starting', 'deploying', 'mutating', 'in_progress', 'running_op', 'degraded'].includes(s)) return 'warn';
  if (['failed', 'error', 'exited', 'stopped', 'down', 'failing', 'unhealthy', 'crashed'].includes(s)) return 'bad';
  return 'muted';
}

export function Card(props: { title?: ComponentChildren; actions?: ComponentChildren; children: ComponentChildren; class?: string }) {
  return (
    <section class={`card ${props.class ?? ''}`}>
      {(props.title || props.actions) && (
        <header class="card-head">
          <h2>{props.title}</h2>
          <div class="card-actions">{props.actions}</div>
        </header>
      )}
      {props.children}
    </section>
  );
}

export function PageHead(props: { title: string; sub?: ComponentChildren; actions?: ComponentChildren }) {
  return (
    <header class="page-head">
      <div>
        <h1>{props.title}</h1>
        {props.sub && <p class="sub">{props.sub}</p>}
      </div>
      <div class="page-actions">{props.actions}</div>
    </header>
  );
}

/** A modal dialog using <dialog>. */
export function Modal(props: { open: boolean; title: string; onClose: () => void; children: ComponentChildren; wide?: boolean }) {
  const ref = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const d = ref.current;
    if (!d) return;
    if (props.open && !d.open) d.showModal();
    if (!props.open && d.open) d.close();
  }, [props.open]);
  return (
    <dialog ref={ref} class={`modal ${props.wide ? 'wide' : ''}`} onClose={props.onClose} onCancel={props.onClose}>
      {props.open && (
        <>
          <h2>{props.title}</h2>
          {props.children}
        </>
      )}
    </dialog>
  );
}

/** A confirmation dialog; optional phrase the user must type. */
export function Confirm(props: {
  open: boolean;
  title: string;
  body: ComponentChildren;
  confirmLabel: string;
  danger?: boolean;
  typeToConfirm?: string;
  busy?: boolean;
  error?: unknown;
  onConfirm: () => void;
  onClose: () => void;
}) {
  const [typed, setTyped] = useState('');
  useEffect(() => setTyped(''), [props.open]);
  const ok = !props.typeToConfirm || typed === props.typeToConfirm;
  return (
    <Modal open={props.open} title={props.title} onClose={props.onClose}>
      <div class="modal-body">{props.body}</div>
      {props.typeToConfirm && (
        <label class="field">
          <span>
            Type <code>{props.typeToConfirm}</code> to confirm
          </span>
          <input value={typed} onInput={(e) => setTyped((e.target as HTMLInputElement).value)} autoFocus />
        </label>
      )}
      {props.error ? <ErrorBox error={props.error} title="The action failed" /> : null}
      <div class="modal-actions">
        <button class="btn" onClick={props.onClose} disabled={props.busy}>
          Cancel
        </button>
        <button class={`btn ${props.danger ? 'danger' : 'primary'}`} disabled={!ok || props.busy} onClick={props.onConfirm}>
          {props.busy ? 'Working…' : props.confirmLabel}
        </button>
      </div>
    </Modal>
  );
}

export function Pager(props: { total: number; limit: number; offset: number; onOffset: (o: number) => void }) {
  const p = pageInfo(props.total, props.limit, props.offset);
  return (
    <div class="pager">
      <span class="muted">
        {fmtInt(p.from)}–{fmtInt(p.to)} of {fmtInt(props.total)}
      </span>
      <button class="btn sm" disabled={!p.hasPrev} onClick={() => props.onOffset(Math.max(0, props.offset - props.limit))}>
        ‹ Prev
      </button>
      <span class="muted">
        Page {p.page} / {p.pages}
      </span>
      <button class="btn sm" disabled={!p.hasNext} onClick={() => props.onOffset(props.offset + props.limit)}>
        Next ›
      </button>
    </div>
  );
}

/** Key/value table of an arbitrary object (fields, fingerprints). */
export function KV(props: { obj: Record<string, unknown> | null | undefined; onPick?: (k: string, v: string) => void }) {
  const entries = Object.entries(props.obj ?? {});
  if (entries.length === 0) return <span class="muted">none</span>;
  return (
    <dl class="kv">
      {entries.map(([k, v]) => {
        const text = v !== null && typeof v === 'object' ? JSON.stringify(v) : String(v);
        return (
          <Fragment key={k}>
            <dt>{k}</dt>
            <dd>
              {props.onPick && (v === null || typeof v !== 'object') ? (
                <button class="linkish" title={`Filter on ${k}:${text}`} onClick={() => props.onPick!(k, text)}>
                  {text}
                </button>
              ) : (
                <code>{text}</code>
              )}
            </dd>
          </Fragment>
        );
      })}
    </dl>
  );
}

export function Field(props: { label: string; hint?: string; children: ComponentChildren; error?: string | null }): JSX.Element {
  return (
    <label class="field">
      <span>{props.label}</span>
      {props.children}
      {props.error ? <small class="field-error">{props.error}</small> : props.hint ? <small class="muted">{props.hint}</small> : null}
    </label>
  );
}
