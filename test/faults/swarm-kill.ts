// The Swarm engine's kill -9 rows (issue 17): the executor killed during `docker stack deploy` and
// while the stack converges, on the real three-node swarm of the host lab. The scenario runs
// test/e2e/swarm.test.ts (its kill tests need the stack the earlier tests of that file deploy) and
// turns each kill test's verdict into a row: status explains the state, the next deploy succeeds.
import { spawn } from 'node:child_process';
import { REPO_ROOT } from '../support/node.js';
import { newRow, type FaultScenario, type Row } from './scenarios.js';

const KILL_TEST = /^\s*(ok|not ok) \d+ - (kill -9 of the executor .*)$/;

export const SWARM_KILL: FaultScenario = {
  id: 'kill-swarm',
  title: 'kill -9 of the executor on a swarm manager (Swarm engine, host lab)',
  fast: false,
  async run({ log }) {
    const { code, out } = await tap([
      '--import',
      'tsx',
      '--test',
      '--test-reporter=tap',
      'test/e2e/swarm.test.ts',
    ]);
    const rows: Row[] = [];
    for (const line of out.split('\n')) {
      const m = KILL_TEST.exec(line);
      if (!m) continue;
      const row = newRow('9 swarm engine', m[2]!.replace(/: status explains.*$/, ''));
      row.injected = 1;
      if (m[1] === 'ok') {
        row.consistent = 1;
        row.nextOk = 1;
        row.notes.push(
          'status named the unfinished run and the stale lock; the next deploy took the lock over',
        );
      } else row.broken.push(`${m[2]} failed (test/e2e/swarm.test.ts)`);
      log(`  ${m[1]}: ${m[2]}`);
      rows.push(row);
    }
    if (rows.length !== 2) {
      const row = newRow('9 swarm engine', 'kill -9 rows');
      row.broken.push(`expected 2 kill tests in test/e2e/swarm.test.ts, found ${rows.length} (exit ${code})`);
      rows.push(row);
    }
    return rows;
  },
};

function tap(args: string[]): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, out }));
  });
}
