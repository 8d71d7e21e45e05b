// `npm run faults`: the reliability suite of issue 6 against the real sandbox (dockerd, a registry
// with authentication, the committed dist/remote.cjs run by the server's node). Prints what it does,
// then the tables that docs/reliability.md shows. Exit 1 if any invariant broke or any bad input
// was accepted, answered vaguely or left a side effect.
//
//   npm run faults                     everything (about 9 minutes)
//   npm run faults -- kill-deploy      only the scenarios whose id is given (see EXECUTOR_SCENARIOS;
//                                      ssh-cut is the SSH set of ssh-cut.ts)
//   npm run faults -- inputs           only the bad input corpus
//   npm run faults -- kill-swarm       only the Swarm engine's kill rows (the host lab's swarm)
//   npm run faults -- --fast           the subset the test command runs
import { runCorpus, type CaseResult } from './bad-inputs.js';
import { startSandbox } from './harness.js';
import { EXECUTOR_SCENARIOS, type FaultScenario, type Row } from './scenarios.js';
import { SSH_SCENARIOS } from './ssh-cut.js';
import { SWARM_KILL } from './swarm-kill.js';
import { faultTable, inputTable, totals } from './table.js';

// Every scenario the suite knows, in the order of issue 6's items (the table's order): the kill -9
// rows (item 1), the SSH cuts (item 2, test/faults/ssh-cut.ts), then items 3-7.
const isKill = (s: FaultScenario) => s.id.startsWith('kill-');
export const ALL_SCENARIOS: FaultScenario[] = [
  ...EXECUTOR_SCENARIOS.filter(isKill),
  ...SSH_SCENARIOS,
  ...EXECUTOR_SCENARIOS.filter((s) => !isKill(s)),
  SWARM_KILL,
];

const args = process.argv.slice(2);
const known = new Set([...ALL_SCENARIOS.map((s) => s.id), 'inputs']);
const badOption = args.find((a) => a.startsWith('-') && !['--fast', '--help', '-h'].includes(a));
const badId = args.find((a) => !a.startsWith('-') && !known.has(a));
if (args.includes('--help') || args.includes('-h') || badOption || badId) {
  if (badOption ?? badId)
    process.stderr.write(`unknown ${badOption ? 'option' : 'scenario'} ${badOption ?? badId}\n`);
  process.stderr.write(
    `usage: npm run faults [-- --fast] [-- ID...]\n  IDs: ${[...known].join(', ')}\n  --fast: the subset the test command runs\n`,
  );
  process.exit(badOption || badId ? 2 : 0);
}
const fast = args.includes('--fast');
const picked = args.filter((a) => !a.startsWith('--'));
const wants = (id: string) => !picked.length || picked.includes(id);

const started = Date.now();
const log = (m: string) => console.log(`[${((Date.now() - started) / 1000).toFixed(0).padStart(4)} s] ${m}`);

const sb = await startSandbox();
const rows: Row[] = [];
let inputs: CaseResult[] = [];
let canaryFound = false;
let containersChanged = false;
try {
  for (const s of ALL_SCENARIOS.filter((x) => wants(x.id) && (!fast || x.fast))) {
    log(`== ${s.title}`);
    const got = await s.run({ sb, fast, log });
    for (const r of got) for (const b of r.broken) log(`  BROKEN ${r.fault}: ${b}`);
    rows.push(...got);
  }
  if (wants('inputs')) {
    log('== bad input corpus');
    const c = await runCorpus(sb, { fast });
    inputs = c.results;
    canaryFound = c.canaryFound;
    containersChanged = c.containersChanged;
  }
} finally {
  await sb.close();
}

console.log('\nNotes per fault (where each kill landed, what status said, the error a failure gave):');
for (const r of rows) for (const n of r.notes) console.log(`- ${r.group}: ${r.fault}: ${n}`);
if (rows.length) console.log('\n' + faultTable(rows));
if (inputs.length) {
  console.log('\n' + inputTable(inputs));
  const bad = inputs.filter((r) => !r.rejected || !r.specific || r.sideEffects.length);
  for (const r of bad)
    console.log(
      `  ${r.group}: ${r.name}: ${!r.rejected ? 'ACCEPTED' : !r.specific ? 'vague error' : 'side effect'}: ${r.message} ${r.sideEffects.join('; ')}`,
    );
  console.log(
    `canary file created: ${canaryFound ? 'YES' : 'never'}; live containers changed: ${containersChanged ? 'YES' : 'no'}`,
  );
}
const t = totals(rows);
const inputFailures = inputs.filter((r) => !r.rejected || !r.specific || r.sideEffects.length).length;
const ok =
  t.consistent === t.injected &&
  t.nextOk === t.injected &&
  !t.lost &&
  !t.corrupt &&
  !inputFailures &&
  !canaryFound &&
  !containersChanged &&
  rows.every((r) => !r.broken.length);
console.log(
  `\n${ok ? 'ALL INVARIANTS HELD' : 'FAILURES (see BROKEN lines above)'} in ${((Date.now() - started) / 1000).toFixed(0)} s`,
);
process.exit(ok ? 0 : 1);
