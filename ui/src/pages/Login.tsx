import { useState } from 'preact/hooks';
import { changePassword, getSession, login, logout } from '../lib/api';
import { errorText } from '../lib/errors';
import { passwordProblems } from '../lib/validate';

function Brand() {
  return (
    <div class="auth-brand">
      <svg viewBox="0 0 32 32" width="36" height="36" aria-hidden="true">
        <path d="M8 22 L16 8 L24 22 Z" fill="none" stroke="currentColor" stroke-width="2.5" stroke-linejoin="round" />
        <circle cx="16" cy="18" r="2.5" fill="currentColor" />
      </svg>
      <div>
        <div class="auth-title">decnet</div>
        <div class="muted">deception network console</div>
      </div>
    </div>
  );
}

export function LoginPage() {
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await login(username.trim(), password);
    } catch (err) {
      setError(errorText(err));
      setBusy(false);
    }
  };
  return (
    <div class="auth-wrap">
      <form class="auth-card" onSubmit={submit} data-testid="login-form">
        <Brand />
        <label class="field">
          <span>Username</span>
          <input name="username" autoComplete="username" value={username} required autoFocus onInput={(e) => setUsername((e.target as HTMLInputElement).value)} />
        </label>
        <label class="field">
          <span>Password</span>
          <input
            name="password"
            type="password"
            autoComplete="current-password"
            value={password}
            required
            maxLength={72}
            onInput={(e) => setPassword((e.target as HTMLInputElement).value)}
          />
        </label>
        {error && (
          <div class="error-box" role="alert">
            {error}
          </div>
        )}
        <button class="btn primary block" type="submit" disabled={busy || !username || !password}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
        <p class="muted small">First sign-in: use the admin account configured in DECNET_ADMIN_USER / DECNET_ADMIN_PASSWORD.</p>
      </form>
    </div>
  );
}

export function ChangePasswordPage(props: { forced: boolean; onDone?: () => void }) {
  const [old, setOld] = useState('');
  const [next, setNext] = useState('');
  const [confirm, setConfirm] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [done, setDone] = useState(false);
  const problems = passwordProblems(next, confirm, old);
  const submit = async (e: Event) => {
    e.preventDefault();
    if (problems.length) return;
    setBusy(true);
    setError(null);
    try {
      await changePassword(old, next);
      setDone(true);
      props.onDone?.();
    } catch (err) {
      setError(errorText(err));
    } finally {
      setBusy(false);
    }
  };
  const s = getSession();
  const form = (
    <form class={props.forced ? 'auth-card' : 'card narrow'} onSubmit={submit} data-testid="change-password-form">
      {props.forced && <Brand />}
      <h2>{props.forced ? 'Choose a new password' : 'Change password'}</h2>
      {props.forced && (
        <p class="muted">
          The account <strong>{s?.username}</strong> still uses its initial password. Choose a personal one (12–72 characters) to continue.
        </p>
      )}
      <label class="field">
        <span>Current password</span>
        <input name="old_password" type="password" autoComplete="current-password" value={old} required maxLength={72} onInput={(e) => setOld((e.target as HTMLInputElement).value)} />
      </label>
      <label class="field">
        <span>New password</span>
        <input name="new_password" type="password" autoComplete="new-password" value={next} required onInput={(e) => setNext((e.target as HTMLInputElement).value)} />
      </label>
      <label class="field">
        <span>Repeat new password</span>
        <input name="confirm_password" type="password" autoComplete="new-password" value={confirm} required onInput={(e) => setConfirm((e.target as HTMLInputElement).value)} />
      </label>
      {next !== '' && problems.length > 0 && <div class="hint-list">New password: {problems.join(', ')}.</div>}
      {error && (
        <div class="error-box" role="alert">
          {error}
        </div>
      )}
      {done && !props.forced && <div class="ok-box">Password updated. Other sessions of this account were signed out.</div>}
      <div class="row gap">
        <button class="btn primary" type="submit" disabled={busy || problems.length > 0 || !old}>
          {busy ? 'Saving…' : 'Update password'}
        </button>
        {props.forced && (
          <button class="btn" type="button" onClick={() => void logout()}>
            Sign out
          </button>
        )}
      </div>
    </form>
  );
  return props.forced ? <div class="auth-wrap">{form}</div> : form;
}
