// Client-side form checks mirroring the API's limits.
import { byteLength } from './ini';

/** Problems with a proposed new password (empty when acceptable). */
export function passwordProblems(next: string, confirm: string, old = ''): string[] {
  const p: string[] = [];
  if ([...next].length < 12) p.push('at least 12 characters');
  if ([...next].length > 72 || byteLength(next) > 72) p.push('at most 72 characters (72 bytes)');
  if (confirm !== next) p.push('both new passwords must match');
  if (next !== '' && next === old) p.push('must differ from the current password');
  return p;
}

/** Problems with a new username (POST /config/users: 1..64 characters). */
export function usernameProblem(name: string): string | null {
  const n = [...name].length;
  if (n === 0) return 'required';
  if (n > 64) return 'at most 64 characters';
  return null;
}

/** Problem with a deployment limit input (1..4096), or null. */
export function limitProblem(text: string): string | null {
  if (!/^\d+$/.test(text.trim())) return 'a whole number';
  const n = Number(text);
  if (n < 1 || n > 4096) return 'between 1 and 4096';
  return null;
}
