// Reports the gzipped size of the initial JS (entry script + modulepreloads referenced by dist/index.html)
// and fails the build when it exceeds the budget (400 KB gzipped, issue 7).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

const BUDGET = 400 * 1024;
const dist = new URL('../dist/', import.meta.url).pathname;
const html = readFileSync(join(dist, 'index.html'), 'utf8');
const refs = new Set();
for (const m of html.matchAll(/<(?:script[^>]*\ssrc|link[^>]*rel="modulepreload"[^>]*\shref)="([^"]+\.js)"/g)) refs.add(m[1]);
for (const m of html.matchAll(/<link[^>]*\shref="([^"]+\.js)"[^>]*rel="modulepreload"/g)) refs.add(m[1]);
if (refs.size === 0) {
  console.error('check-size: no script found in dist/index.html');
  process.exit(1);
}
let total = 0;
for (const r of refs) {
  const buf = readFileSync(join(dist, r.replace(/^\//, '')));
  const gz = gzipSync(buf, { level: 9 }).length;
  total += gz;
  console.log(`  ${r}  ${(buf.length / 1024).toFixed(1)} KB raw, ${(gz / 1024).toFixed(1)} KB gzip`);
}
console.log(`initial JS: ${(total / 1024).toFixed(1)} KB gzipped (budget ${BUDGET / 1024} KB)`);
if (total > BUDGET) {
  console.error('check-size: initial JS over budget');
  process.exit(1);
}
