// The external-command runner: bounded memory on huge output, linear line splitting, and a timeout
// that ends the command's whole process group.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { groupMembers } from '../support/util.js';
import {
  LineSplitter,
  MAX_LINE_BYTES,
  STREAMED_KEEP_BYTES,
  run,
  truncatedMarker,
} from '../../remote/exec.js';

const MB = 1024 * 1024;

test('a child printing a 64 MB line and many lines: memory stays bounded and the long line is cut with a marker', async () => {
  const lineCount = 50_000;
  const script = `
    const big = Buffer.alloc(${64 * MB}, 0x78);
    process.stdout.write(big);
    process.stdout.write('\\n');
    let s = '';
    for (let i = 0; i < ${lineCount}; i++) s += 'line ' + i + '\\n';
    process.stdout.write(s);`;
  const lines: string[] = [];
  const rssBefore = process.memoryUsage().rss;
  let rssPeak = rssBefore;
  const r = await run([process.execPath, '-e', script], {
    onLine: (l) => {
      lines.push(l);
      if (lines.length % 1000 === 0) rssPeak = Math.max(rssPeak, process.memoryUsage().rss);
    },
  });
  rssPeak = Math.max(rssPeak, process.memoryUsage().rss);
  assert.equal(r.code, 0);
  assert.equal(lines.length, 1 + lineCount);
  assert.equal(lines[0], 'x'.repeat(MAX_LINE_BYTES) + truncatedMarker(64 * MB - MAX_LINE_BYTES));
  assert.equal(lines.at(-1), `line ${lineCount - 1}`);
  // The result keeps the tail only, and says how much went.
  const total =
    64 * MB + 1 + Array.from({ length: lineCount }, (_, i) => `line ${i}\n`.length).reduce((a, b) => a + b);
  assert.ok(Buffer.byteLength(r.stdout) <= STREAMED_KEEP_BYTES);
  assert.ok(r.stdout.endsWith(`line ${lineCount - 1}\n`));
  assert.equal(r.dropped.stdout + Buffer.byteLength(r.stdout), total);
  // What the runner held at once: a tail and a partial line per stream (plus one pipe chunk each).
  assert.ok(r.peakHeldBytes <= 2 * (STREAMED_KEEP_BYTES + 64 * 1024 + MAX_LINE_BYTES), `${r.peakHeldBytes}`);
  assert.ok(rssPeak - rssBefore < 256 * MB, `rss grew by ${Math.round((rssPeak - rssBefore) / MB)} MB`);
});

test('without a line callback the whole output up to the capture limit is returned', async () => {
  const r = await run([process.execPath, '-e', `process.stdout.write('a'.repeat(300000))`]);
  assert.equal(r.stdout, 'a'.repeat(300000));
  assert.equal(r.dropped.stdout, 0);
  const small = await run([process.execPath, '-e', `process.stdout.write('ab'.repeat(1000))`], {
    keepBytes: 10,
  });
  assert.equal(small.stdout, 'ab'.repeat(5));
  assert.equal(small.dropped.stdout, 1990);
});

test('lines split at LF, CRLF and lone CR across any chunking, long ones cut, as a naive split does', () => {
  const piece = fc.oneof(
    fc.constantFrom('\n', '\r', '\r\n', ' ', 'é', '日本', '::error::x'),
    fc.string({ maxLength: 12 }),
  );
  fc.assert(
    fc.property(
      fc.array(piece, { maxLength: 40 }),
      fc.array(fc.integer({ min: 1, max: 9 }), { minLength: 1, maxLength: 10 }),
      fc.integer({ min: 1, max: 20 }),
      (pieces, cuts, max) => {
        const bytes = Buffer.from(pieces.join(''));
        const got: string[] = [];
        const s = new LineSplitter(max, (l) => got.push(l));
        for (let at = 0, i = 0; at < bytes.length; i++) {
          const n = cuts[i % cuts.length]!;
          s.push(bytes.subarray(at, at + n));
          at += n;
        }
        s.end();
        const want = pieces
          .join('')
          .split(/\r\n|\r|\n/)
          .map((l) => {
            const b = Buffer.from(l);
            return b.length > max ? b.subarray(0, max).toString('utf8') + truncatedMarker(b.length - max) : l;
          })
          .filter((l) => l.trim());
        assert.deepEqual(got, want);
      },
    ),
    { numRuns: 500 },
  );
});

test('a timed-out command and everything it started are killed, and the result says so', async () => {
  const lines: string[] = [];
  const r = await run(['sh', '-c', 'echo $$; sleep 3600 & wait'], {
    timeoutMs: 300,
    onLine: (l) => lines.push(l),
  });
  assert.equal(r.timedOut, true);
  const group = Number(lines[0]); // sh leads its own process group: its pid is the group id
  assert.ok(group > 0, lines.join('\n'));
  await waitFor(() => groupMembers(group).length === 0);
  assert.deepEqual(groupMembers(group), [], 'the backgrounded sleep survived');
});

test('a command that ignores SIGTERM is killed after the grace period', async () => {
  const lines: string[] = [];
  const r = await run(['sh', '-c', 'trap "" TERM; echo $$; sleep 3600 & wait; sleep 3600'], {
    timeoutMs: 200,
    graceMs: 200,
    onLine: (l) => lines.push(l),
  });
  assert.equal(r.timedOut, true);
  const group = Number(lines[0]); // sh is the group leader: its pid is the group id
  await waitFor(() => groupMembers(group).length === 0);
  assert.deepEqual(groupMembers(group), []);
});

test('a command that finishes in time is not marked timed out', async () => {
  const r = await run(['sh', '-c', 'echo done'], { timeoutMs: 10_000 });
  assert.deepEqual([r.code, r.stdout, r.timedOut], [0, 'done\n', undefined]);
});

async function waitFor(ok: () => boolean, ms = 5000): Promise<void> {
  const until = Date.now() + ms;
  while (!ok() && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
}
