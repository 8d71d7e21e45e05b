// Section 4: how long after the app starts answering does the smoke step pass? The app is the
// slow-start image variant (its /health appears some seconds after start); a prober in this
// process polls the URL every ~10 ms and notes when the new release first answers, and the
// journal's `smoke ok` event says when the executor noticed. Real apps take seconds to start, so
// the start delay is 4-5 s (the smoke poll has long reached its steady interval by then) and moves
// by a fraction of a second from run to run, so the answers land at different points of the poll
// cycle.
import http from 'node:http';
import path from 'node:path';
import { sleep, writeSampleStack } from '../support/sandbox.js';
import { type Bench, expectStatus, stepEvent, uniqueName } from './context.js';
import { fmtMs, fmtStats, heading, log, stats } from './lib.js';

const TARGET_MS = 500;

function get(url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { agent: false, timeout: 1000 }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
  });
}

/** Polls until `url` answers 200 with `body`; resolves with the time of that answer (or never, when stopped). */
function firstAnswer(url: string, body: string, stop: { done: boolean }): Promise<number | undefined> {
  return (async () => {
    while (!stop.done) {
      const answer = await get(url).catch(() => undefined);
      if (answer?.status === 200 && answer.body.trim() === body) return Date.now();
      await sleep(10);
    }
    return undefined;
  })();
}

export async function smokeSection(b: Bench): Promise<void> {
  // Quick mode: 1.5-2.5 s, still past the poll's ramp-up (100 ms ×1.5 up to its cap) once `up` is done.
  const startS = b.opts.quick ? 1.5 : 4;
  heading(`4. smoke detection latency (app answers ${startS}-${startS + 1} s after start)`);
  const t = await b.target();
  const stack = uniqueName('slow');
  const port = await t.addStack(stack, { smokeTimeoutS: 30 });
  const url = `http://127.0.0.1:${port}/health`;
  const tags = ['slow-a', 'slow-b'];
  for (const tag of tags) await t.image(tag, 'slow-start');

  const latencies: number[] = [];
  for (let i = b.opts.warmup ? -1 : 0; i < b.opts.runs; i++) {
    const tag = tags[(i + 1) % 2]!;
    const delayS = (startS + (((i + 1) * 0.2) % 1)).toFixed(2); // 4.0, 4.2, ... 4.8, 4.0, ...
    await writeSampleStack(path.join(t.source, stack), {
      port,
      smokeTimeoutS: 30,
      serviceExtra: `environment:\n  SLOW_START_S: "${delayS}"`,
    });
    const stop = { done: false };
    const answered = firstAnswer(url, `ok ${tag}`, stop);
    const r = expectStatus(await t.deploy(tag, 'staging', [], stack), 'success', 'slow-start deploy');
    stop.done = true;
    const first = await answered;
    const ok = stepEvent(r, 'smoke');
    if (!first || !ok) throw new Error(`no first answer (${first}) or no smoke ok event`);
    if (i >= 0) latencies.push(Date.parse(ok.ts) - first); // run -1 warms up (network, first container)
  }
  const s = stats(latencies);
  log(`  app first answers -> smoke ok   ${fmtStats(s)}`);
  b.summary.check('smoke', 'detection latency', s.median, TARGET_MS, fmtMs);
  b.summary.add('smoke', 'detection latency, worst run', fmtMs(s.max));
}
