// Bad input corpus (issue 6 item 8): CLI arguments, digest manifests, request files for `run`,
// stack configuration (x-seisei-deploy), verified markers and the action's inputs. Each case must be
// refused with its own specific error and leave no side effect: the server tree is snapshotted
// before and after (only the run journal and a complete `failed` history line may appear), and a
// canary file that every injection payload tries to create must never exist.
import { createHash, randomBytes } from 'node:crypto';
import {
  existsSync,
  lstatSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  readlinkSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import { InputError } from '../../src/inputs/fields.js';
import type { RawInputs } from '../../src/inputs/raw.js';
import { parseSettings } from '../../src/inputs/settings.js';
import { fingerprintOfBlob } from '../../src/ssh/host-key.js';
import { ed25519Key } from '../unit/helpers/keys.js';
import { containerImages, digestManifest } from '../e2e/fixture.js';
import type { Sandbox } from './harness.js';
import { readHistory } from './harness.js';

export type Group = 'cli' | 'manifest' | 'request' | 'stack-config' | 'marker' | 'action-input';

export interface BadCase {
  group: Group;
  name: string;
  /** The specific error the refusal must carry. */
  expect: RegExp;
  /** In the fast subset (inside the test command). */
  fast?: boolean;
  /** Returns the error text (stderr + result message) and the exit code; 0 means accepted. */
  run(env: CorpusEnv): Promise<{ code: number; message: string }>;
}

export interface CaseResult {
  group: Group;
  name: string;
  rejected: boolean;
  specific: boolean;
  sideEffects: string[];
  message: string;
}

interface CorpusEnv {
  sb: Sandbox;
  stack: string;
  tag: string;
  /** A valid digest manifest for `tag`. */
  manifest: string;
  canary: string;
  tmp: string;
  /** Runs the CLI (--root/--source added) and returns exit code and error text. */
  cli(args: string[], raw?: boolean): Promise<{ code: number; message: string }>;
  /** deploy <stack> staging <tag> --digest-file <manifest> with one part replaced. */
  deploy(over?: {
    stack?: string;
    env?: string;
    tag?: string;
    extra?: string[];
    manifest?: string;
  }): Promise<{
    code: number;
    message: string;
  }>;
  file(name: string, content: string | Buffer): string;
}

const inj = (canary: string) => ({
  subst: `$(touch ${canary})`,
  backtick: `\`touch ${canary}\``,
  semicolon: `x;touch ${canary}`,
  pipe: `x|touch ${canary}`,
  and: `x&&touch ${canary}`,
  newline: `x\ntouch ${canary}`,
});

/** Every case; `canary` is known only at run time, so payloads are built inside run(). */
export function corpus(): BadCase[] {
  const cases: BadCase[] = [];
  const add = (group: Group, name: string, expect: RegExp, run: BadCase['run'], fast = false) =>
    cases.push({ group, name, expect, run, fast });

  // ---- CLI: stack, tag and environment names ----
  const STACK = /stack .* is not a valid stack name/;
  const TAG = /image_tag .* is not a valid Docker tag/;
  const ENV = /environment .* is not a valid environment name/;
  const stacks: [string, (c: string) => string, boolean?][] = [
    ['path traversal ../../etc', () => '../../etc', true],
    ['upper case', () => 'Odoo'],
    ['empty', () => ''],
    ['64 characters', () => 'a'.repeat(64)],
    ['shell $(...)', (c) => inj(c).subst, true],
    ['shell ;', (c) => inj(c).semicolon],
    ['shell |', (c) => inj(c).pipe],
    ['full-width unicode', () => 'ｓｔａｃｋ'],
    ['zero-width space', () => 'stack\u200b'],
    ['leading dot', () => '.hidden'],
    ['slash', () => 'a/b'],
    ['100 kB', () => 'x'.repeat(100_000)],
  ];
  for (const [name, value, fast] of stacks)
    add('cli', `deploy stack: ${name}`, STACK, (e) => e.deploy({ stack: value(e.canary) }), fast);
  add('cli', 'deploy stack: option-like -rf', /Unknown option|not a valid stack/, (e) =>
    e.deploy({ stack: '-rf' }),
  );
  const tags: [string, (c: string) => string, boolean?][] = [
    ['path traversal ../x', () => '../x', true],
    ['space', () => 'tag with space'],
    ['leading dot', () => '.dot'],
    ['129 characters', () => 'a'.repeat(129)],
    ['shell $(...)', (c) => inj(c).subst],
    ['shell backticks', (c) => inj(c).backtick, true],
    ['greek unicode', () => 'ταγ'],
  ];
  for (const [name, value, fast] of tags)
    add('cli', `deploy image_tag: ${name}`, TAG, (e) => e.deploy({ tag: value(e.canary) }), fast);
  const envs: [string, (c: string) => string][] = [
    ['upper case', () => 'Prod'],
    ['path traversal', () => '../../x'],
    ['33 characters', () => 'x'.repeat(33)],
    ['leading digit', () => '1abc'],
    ['shell &&', (c) => inj(c).and],
  ];
  for (const [name, value] of envs)
    add('cli', `deploy env: ${name}`, ENV, (e) => e.deploy({ env: value(e.canary) }));

  // ---- CLI: numbers ----
  const WHOLE = (opt: string) =>
    new RegExp(`${opt} must be a whole number|${opt}.*ambiguous|argument missing`);
  const rollback = (e: CorpusEnv, extra: string[]) => e.cli(['rollback', e.stack, 'staging', ...extra]);
  add('cli', '--steps 0', /steps: .*(>=|at least|too small)/i, (e) => rollback(e, ['--steps', '0']), true);
  add('cli', '--steps -1', WHOLE('--steps'), (e) => rollback(e, ['--steps', '-1']));
  add('cli', '--steps 1.5', WHOLE('--steps'), (e) => rollback(e, ['--steps', '1.5']));
  add('cli', '--steps abc', WHOLE('--steps'), (e) => rollback(e, ['--steps', 'abc']));
  add('cli', '--steps 1e3', WHOLE('--steps'), (e) => rollback(e, ['--steps', '1e3']));
  add('cli', '--steps 101', /steps: .*(<=|at most|too big)/i, (e) => rollback(e, ['--steps', '101']));
  add('cli', '--steps 99999999999', WHOLE('--steps'), (e) => rollback(e, ['--steps', '99999999999']));
  add(
    'cli',
    '--keep 0',
    /keep_releases: .*(>=|too small)/i,
    (e) => e.deploy({ extra: ['--keep', '0'] }),
    true,
  );
  add('cli', '--keep -3', WHOLE('--keep'), (e) => e.deploy({ extra: ['--keep', '-3'] }));
  add('cli', '--keep x', WHOLE('--keep'), (e) => e.deploy({ extra: ['--keep', 'x'] }));
  add('cli', '--keep 1001', /keep_releases: .*(<=|too big)/i, (e) => e.deploy({ extra: ['--keep', '1001'] }));
  add('cli', '--lock-timeout -1', WHOLE('--lock-timeout'), (e) =>
    e.deploy({ extra: ['--lock-timeout', '-1'] }),
  );
  add('cli', '--lock-timeout abc', WHOLE('--lock-timeout'), (e) =>
    e.deploy({ extra: ['--lock-timeout', 'abc'] }),
  );
  add('cli', '--lock-timeout 86401', /lock_timeout_s: .*(<=|too big)/i, (e) =>
    e.deploy({ extra: ['--lock-timeout', '86401'] }),
  );
  add('cli', '--lock-timeout 1e9', WHOLE('--lock-timeout'), (e) =>
    e.deploy({ extra: ['--lock-timeout', '1e9'] }),
  );

  // ---- CLI: shape, paths, free text ----
  add('cli', 'extra positional', /deploy takes <stack> <env> <image_tag>/, (e) =>
    e.deploy({ extra: ['surplus'] }),
  );
  add(
    'cli',
    'unknown option --force',
    /Unknown option '--force'/,
    (e) => e.deploy({ extra: ['--force'] }),
    true,
  );
  add('cli', 'unknown command', /unknown command "destroy"/, (e) => e.cli(['destroy', e.stack]));
  add('cli', 'rollback with three positionals', /rollback takes <stack> <env>/, (e) =>
    e.cli(['rollback', e.stack, 'staging', 'extra']),
  );
  // Relative paths and '..' are resolved against the working directory, as every shell tool does
  // (issue 11): the error then names the resolved, absolute path.
  add('cli', '--digest-file relative', /digest_file: \/\S+\/digests-missing\.json cannot be read/, (e) =>
    e.deploy({ manifest: 'digests-missing.json' }),
  );
  add('cli', "--digest-file with '..'", /digest_file: \/nonexistent-dots\.json cannot be read/, (e) =>
    e.deploy({ manifest: '/tmp/../nonexistent-dots.json' }),
  );
  add('cli', '--digest-file missing', /digest_file: .* cannot be read/, (e) =>
    e.deploy({ manifest: `/nonexistent-${randomBytes(3).toString('hex')}.json` }),
  );
  add('cli', '--break-glass without --reason', /--break-glass needs a reason/, (e) =>
    e.deploy({ extra: ['--break-glass'] }),
  );
  add('cli', '--reason without --break-glass', /a reason was given without --break-glass/, (e) =>
    e.deploy({ extra: ['--reason', 'because'] }),
  );
  add('cli', '--reason with a newline', /break_glass_reason contains control characters/, (e) =>
    e.deploy({ extra: ['--break-glass', '--reason', inj(e.canary).newline] }),
  );
  add('cli', '--actor of 201 characters', /actor is longer than 200/, (e) =>
    e.deploy({ extra: ['--actor', 'a'.repeat(201)] }),
  );
  add('cli', '--actor with an escape sequence', /actor contains control characters/, (e) =>
    e.deploy({ extra: ['--actor', 'evil\u001b[31m'] }),
  );
  add('cli', '--images lower-case variable', /"image_ref" is not an upper-case variable name/, (e) =>
    e.deploy({ extra: ['--images', 'image_ref=app'] }),
  );
  add('cli', '--images path in the image name', /image names are \[a-z0-9\]/, (e) =>
    e.deploy({ extra: ['--images', 'IMAGE_REF=../app'] }),
  );
  add('cli', '--images without =', /is not ENV_VAR=image-name/, (e) =>
    e.deploy({ extra: ['--images', 'IMAGE_REF'] }),
  );
  add('cli', '--registry with shell characters', /registry must be a host name/, (e) =>
    e.deploy({
      extra: [
        '--registry',
        inj(e.canary).semicolon,
        '--registry-username',
        'u',
        '--registry-password-file',
        '/x',
      ],
    }),
  );
  add(
    'cli',
    '--run-key path traversal',
    /run key must be/,
    (e) => e.deploy({ extra: ['--run-key', '../../../tmp/x'] }),
    true,
  );
  add('cli', '--root relative', /no release layout under \/\S+\/srv-missing\b/, (e) =>
    e.cli(['rollback', e.stack, 'staging', '--root', 'srv-missing'], true),
  );
  add('cli', "--root with '..'", /no release layout under \/etc\b/, (e) =>
    e.cli(['rollback', e.stack, 'staging', '--root', '/tmp/../etc'], true),
  );
  add('cli', '--source relative', /\/\S+\/stacks-missing\/\S+ does not exist/, (e) =>
    e.cli(
      ['deploy', e.stack, 'staging', e.tag, '--digest-file', e.manifest].concat([
        '--root',
        e.sb.t.root,
        '--source',
        'stacks-missing',
      ]),
      true,
    ),
  );

  add('cli', 'follow: run key traversal', /follow takes a valid <stack> and <run_key>/, (e) =>
    e.cli(['follow', e.stack, '../../../etc/passwd']),
  );
  add('cli', 'verify: tag traversal', TAG, (e) => e.cli(['verify', '../../etc/passwd']));
  add('cli', 'unverify: tag traversal', TAG, (e) => e.cli(['unverify', '../x']));
  add('cli', 'status: stack traversal', STACK, (e) => e.cli(['status', '../../etc']));
  add('cli', 'history: -n abc', /-n must be a whole number/, (e) => e.cli(['history', e.stack, '-n', 'abc']));
  add('cli', 'cleanup: --keep 0', /--keep must be at least 1/, (e) =>
    e.cli(['cleanup', e.stack, '--keep', '0']),
  );

  // ---- digest manifests ----
  const man = (e: CorpusEnv, m: unknown, extra: string[] = []) =>
    e.deploy({
      manifest: e.file(
        `m-${randomBytes(3).toString('hex')}.json`,
        typeof m === 'string' ? m : JSON.stringify(m),
      ),
      extra,
    });
  const good = (e: CorpusEnv) =>
    JSON.parse(readFileSync(e.manifest, 'utf8')) as ReturnType<typeof digestManifest>;
  const withImage = (e: CorpusEnv, f: (img: Record<string, unknown>) => void) => {
    const m = good(e);
    f(m.images.app as unknown as Record<string, unknown>);
    return m;
  };
  const otherDigest = 'sha256:' + 'ab'.repeat(32);
  add('manifest', 'not JSON', /not valid JSON/, (e) => man(e, 'not json at all'), true);
  add('manifest', 'empty object', /missing required field "git_sha"/, (e) => man(e, {}));
  add('manifest', 'JSON null', /must be object/, (e) => man(e, 'null'));
  add('manifest', 'images is an array', /images: must be object/, (e) => man(e, { ...good(e), images: [] }));
  add('manifest', 'no images', /images.*(fewer than 1|no image)/, (e) => man(e, { ...good(e), images: {} }));
  add(
    'manifest',
    'ref not ending in its digest',
    /does not end in @sha256:/,
    (e) =>
      man(
        e,
        withImage(e, (i) => (i.ref = String(i.ref).replace(/@sha256:.*/, '@' + otherDigest))),
      ),
    true,
  );
  add('manifest', 'tag differs from image_tag', /does not equal the requested image_tag/, (e) =>
    man(
      e,
      withImage(e, (i) => (i.tag = 'sha-other')),
    ),
  );
  add('manifest', 'git_sha7 not a prefix', /is not a prefix of git_sha/, (e) =>
    man(e, { ...good(e), git_sha7: '0000000' === good(e).git_sha.slice(0, 7) ? '1111111' : '0000000' }),
  );
  add('manifest', 'digest not sha256 hex', /digest: must match/, (e) =>
    man(
      e,
      withImage(e, (i) => (i.digest = 'sha256:xyz')),
    ),
  );
  add('manifest', 'upper-case image name', /image name "App" is invalid/, (e) =>
    man(e, { ...good(e), images: { App: good(e).images.app } }),
  );
  add('manifest', 'image name path traversal', /image name "\.\.\/x" is invalid/, (e) =>
    man(e, { ...good(e), images: { '../x': good(e).images.app } }),
  );
  add('manifest', 'ref with a shell payload', /ref: must match/, (e) =>
    man(
      e,
      withImage(e, (i) => (i.ref = `${inj(e.canary).subst}@${String(i.digest)}`)),
    ),
  );
  add('manifest', 'git_sha of 1 MB', /git_sha: must match/, (e) =>
    man(e, { ...good(e), git_sha: 'a'.repeat(1 << 20) }),
  );
  add('manifest', 'git_sha is a number', /git_sha: must be string/, (e) =>
    man(e, { ...good(e), git_sha: 42 }),
  );
  add('manifest', 'built_at_utc not UTC', /built_at_utc/, (e) =>
    man(e, { ...good(e), built_at_utc: '2026-01-31T12:00:00+09:00' }),
  );
  add('manifest', 'two images and no --images', /has 2 images .* set images:/, (e) =>
    man(e, { ...good(e), images: { app: good(e).images.app, ocr: good(e).images.app } }),
  );
  add('manifest', '--images names an absent image', /names an image that is not in the manifest/, (e) =>
    man(e, good(e), ['--images', 'IMAGE_REF=missing']),
  );
  add('manifest', 'unicode tag', /tag: must match/, (e) =>
    man(
      e,
      withImage(e, (i) => (i.tag = 'sha-ünï')),
    ),
  );

  // ---- request files for `run` ----
  const request = (e: CorpusEnv, r: unknown) =>
    e.cli(
      [
        'run',
        e.file(`r-${randomBytes(3).toString('hex')}.json`, typeof r === 'string' ? r : JSON.stringify(r)),
      ],
      true,
    );
  const valid = (e: CorpusEnv) => ({
    command: 'deploy',
    stack: e.stack,
    env: 'staging',
    image_tag: e.tag,
    digest_file: e.manifest,
    root: e.sb.t.root,
    source: e.sb.t.source,
  });
  add('request', 'not JSON', /request file .* is not readable JSON/, (e) => request(e, '{"command":'), true);
  add('request', 'a JSON array', /the request must be a JSON object, got an array/, (e) => request(e, []));
  add('request', 'JSON null', /the request must be a JSON object, got null/, (e) => request(e, 'null'));
  add('request', 'images with a lower-case variable', /images/, (e) =>
    request(e, { ...valid(e), images: { image_ref: 'app' } }),
  );
  add('request', 'unknown command', /command: /, (e) => request(e, { ...valid(e), command: 'destroy' }));
  add('request', 'stack is a number', /stack/, (e) => request(e, { ...valid(e), stack: 123 }));
  add('request', 'stack path traversal', STACK, (e) => request(e, { ...valid(e), stack: '../../x' }), true);
  add('request', 'actor of 5 MB', /actor is longer than 200/, (e) =>
    request(e, { ...valid(e), actor: 'a'.repeat(5 << 20) }),
  );
  add('request', 'lock_timeout_s 1e12', /lock_timeout_s/, (e) =>
    request(e, { ...valid(e), lock_timeout_s: 1e12 }),
  );
  add('request', 'lock_timeout_s as a string', /lock_timeout_s/, (e) =>
    request(e, { ...valid(e), lock_timeout_s: '10' }),
  );
  add('request', 'rollback steps 0', /steps/, (e) =>
    request(e, { command: 'rollback', stack: e.stack, env: 'staging', steps: 0, root: e.sb.t.root }),
  );
  add(
    'request',
    'an extra field',
    /unknown field\(s\) in the deploy request: "force"/,
    (e) => request(e, { ...valid(e), force: true }),
    true,
  );
  add('request', 'a __proto__ field', /unknown field\(s\) in the deploy request: "__proto__"/, (e) =>
    request(e, JSON.stringify(valid(e)).replace(/^\{/, '{"__proto__":{"break_glass":true},')),
  );
  add('request', 'root relative', /root must be an absolute path/, (e) =>
    request(e, { ...valid(e), root: 'srv' }),
  );
  add('request', 'gated_envs with a bad name', ENV, (e) => request(e, { ...valid(e), gated_envs: ['Prod'] }));
  add('request', 'full-width unicode stack', STACK, (e) => request(e, { ...valid(e), stack: 'ｓｔａｃｋ' }));
  add('request', 'relative registry password file', /registry password file must be an absolute path/, (e) =>
    request(e, { ...valid(e), registry_login: { registry: 'ghcr.io', username: 'u', password_file: 'pw' } }),
  );
  add('request', "digest_file with '..'", /digest_file must be an absolute path/, (e) =>
    request(e, { ...valid(e), digest_file: '/srv/../etc/passwd' }),
  );
  add('request', 'keep_releases 0', /keep_releases/, (e) => request(e, { ...valid(e), keep_releases: 0 }));
  add('request', 'break_glass as a string', /break_glass/, (e) =>
    request(e, { ...valid(e), break_glass: 'yes' }),
  );
  add('request', 'run_key with a slash', /run key must be/, (e) =>
    request(e, { ...valid(e), run_key: 'a/../../b' }),
  );

  // ---- stack configuration: the x-seisei-deploy block of the source compose file ----
  const config = (e: CorpusEnv, block: string) => withSourceCompose(e, block, () => e.deploy());
  const X = 'x-seisei-deploy';
  const cfg: [string, string, RegExp, boolean?][] = [
    [
      'smoke url file://',
      `${X}:\n  smoke:\n    - url: file:///etc/passwd\n`,
      /smoke url must start with http/,
      true,
    ],
    [
      'smoke url javascript:',
      `${X}:\n  smoke:\n    - url: "javascript:alert(1)"\n`,
      /smoke url must start with http/,
    ],
    ['negative smoke_timeout_s', `${X}:\n  smoke_timeout_s: -5\n`, /smoke_timeout_s/, true],
    ['zero smoke_timeout_s', `${X}:\n  smoke_timeout_s: 0\n`, /smoke_timeout_s/],
    ['smoke_timeout_s as text', `${X}:\n  smoke_timeout_s: ten\n`, /smoke_timeout_s/],
    ['smoke_timeout_s 99999', `${X}:\n  smoke_timeout_s: 99999\n`, /smoke_timeout_s/],
    ['unknown key', `${X}:\n  smok: []\n`, /smok/],
    ['wait_healthy as text', `${X}:\n  wait_healthy: "yes"\n`, /wait_healthy/],
    [
      'pre_deploy hook as a shell string',
      `${X}:\n  hooks:\n    pre_deploy: "touch CANARY"\n`,
      /pre_deploy/,
      true,
    ],
    ['unknown hook', `${X}:\n  hooks:\n    post_deploy: ["touch", "CANARY"]\n`, /post_deploy/],
    ['keep_releases 0', `${X}:\n  keep_releases: 0\n`, /keep_releases/],
    [
      'expect_status 999',
      `${X}:\n  smoke:\n    - url: http://127.0.0.1/\n      expect_status: 999\n`,
      /expect_status/,
    ],
    ['invalid YAML', `${X}:\n  smoke: [\n`, /is not valid YAML/],
    ['block is a string', `${X}: "fast please"\n`, /x-seisei-deploy in .* is invalid/],
    ['smoke is not a list', `${X}:\n  smoke: http://127.0.0.1/\n`, /smoke/],
  ];
  for (const [name, block, expect, fast] of cfg)
    add('stack-config', name, expect, (e) => config(e, block.replace('CANARY', e.canary)), fast);

  // ---- verified markers (production deploys are gated) ----
  const marker = (e: CorpusEnv, content: string | null, dir = false) => {
    const file = path.join(e.sb.t.root, 'releases', 'verified', e.tag);
    if (dir) mkdirSync(file);
    else if (content !== null) writeFileSync(file, content);
    return e.deploy({ env: 'production' }).finally(() => rmSync(file, { recursive: true, force: true }));
  };
  add('marker', 'no marker', /Version not verified: .* does not exist/, (e) => marker(e, null), true);
  add('marker', 'not JSON', /is neither empty nor JSON/, (e) => marker(e, 'verified by bob'));
  add('marker', 'JSON null', /is not a marker \(not a JSON object\)/, (e) => marker(e, 'null'), true);
  add('marker', 'JSON array', /is not a marker \(not a JSON object\)/, (e) => marker(e, '[1,2]'));
  add('marker', 'digests is a string', /"digests" is not an object/, (e) => marker(e, '{"digests":"x"}'));
  add('marker', 'digest not sha256', /digests\.app is not a sha256 digest/, (e) =>
    marker(e, JSON.stringify({ digests: { app: 'sha256:zzz' } })),
  );
  add('marker', 'other digest verified', /Verified digests differ .* app: verified/, (e) =>
    marker(e, JSON.stringify({ image_tag: e.tag, digests: { app: otherDigest } })),
  );
  add('marker', 'a directory', /verified marker .* is not a file/, (e) => marker(e, null, true));

  // ---- the action's inputs (src/inputs.ts parseSettings), in process ----
  const key = ed25519Key('server');
  const user = ed25519Key('user');
  const base: RawInputs = {
    mode: 'deploy',
    stack: 'odoo18',
    environment: 'staging',
    image_tag: 'sha-abc1234',
    host: '127.0.0.1',
    username: 'deploy',
    private_key: user.privateKey,
    host_key: fingerprintOfBlob(key.blob),
  };
  const action = (over: RawInputs) => async () => {
    try {
      parseSettings({ ...base, ...over }, { GITHUB_RUN_ID: '1' });
      return { code: 0, message: 'accepted' };
    } catch (err) {
      return { code: err instanceof InputError ? 2 : 1, message: (err as Error).message };
    }
  };
  const inputs: [string, RawInputs, RegExp, boolean?][] = [
    ['stack path traversal', { stack: '../x' }, /stack: /, true],
    ['image_tag shell payload', { image_tag: '$(touch /tmp/x)' }, /image_tag: /],
    ['environment upper case', { environment: 'Prod' }, /environment: /],
    ['port 70000', { port: '70000' }, /port: /],
    ['port abc', { port: 'abc' }, /port: /],
    ['host_key missing', { host_key: '' }, /host_key: required/, true],
    ['host_key garbage', { host_key: 'none' }, /host_key/],
    ['break_glass without reason', { break_glass: 'true' }, /break_glass_reason: required/],
    ['steps_back 0', { steps_back: '0' }, /steps_back: /],
    ['keep_releases -1', { keep_releases: '-1' }, /keep_releases: /],
    ['lock_timeout x', { lock_timeout: 'x' }, /lock_timeout: /],
    ['srv_root relative', { srv_root: 'srv' }, /srv_root: /],
    ["srv_root with '..'", { srv_root: '/srv/../etc' }, /srv_root: /],
    ['images without =', { images: 'IMAGE_REF' }, /images: /],
    ['mode destroy', { mode: 'destroy' }, /mode: /],
    ['remote_node with a shell payload', { remote_node: 'node; touch /tmp/x' }, /remote_node: /],
    ['host with a space', { host: 'evil host' }, /host: /],
    ['actor of 201 characters', { actor: 'a'.repeat(201) }, /actor/],
  ];
  for (const [name, over, expect, fast] of inputs) add('action-input', name, expect, action(over), fast);
  return cases;
}

/** Replaces the x-seisei-deploy block of the stack's source compose file for one run. */
async function withSourceCompose<T>(e: CorpusEnv, block: string, body: () => Promise<T>): Promise<T> {
  const file = path.join(e.sb.t.source, e.stack, 'docker-compose.yml');
  const original = readFileSync(file, 'utf8');
  const i = original.indexOf('x-seisei-deploy:');
  writeFileSync(file, original.slice(0, i) + block);
  try {
    return await body();
  } finally {
    writeFileSync(file, original);
  }
}

// ---- running the corpus ----

/** Every file, directory and symlink under root, except run journals and the history (checked apart). */
export function treeSnapshot(root: string): Map<string, string> {
  const out = new Map<string, string>();
  const skip = new Set([
    path.join(root, 'releases', 'runs'),
    path.join(root, 'releases', 'deploy_history.log'),
  ]);
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const p = path.join(dir, name);
      if (skip.has(p)) continue;
      const st = lstatSync(p);
      if (st.isSymbolicLink()) out.set(p, `link:${readlinkSync(p)}`);
      else if (st.isDirectory()) {
        out.set(p, 'dir');
        walk(p);
      } else
        out.set(p, `file:${st.mode.toString(8)}:${createHash('sha1').update(readFileSync(p)).digest('hex')}`);
    }
  };
  if (existsSync(root)) walk(root);
  // The locks directory is created by the first run that locks; an empty one is no side effect.
  const locks = path.join(root, 'releases', 'locks');
  if (out.get(locks) === 'dir' && ![...out.keys()].some((k) => k.startsWith(locks + '/'))) out.delete(locks);
  return out;
}

function diff(a: Map<string, string>, b: Map<string, string>): string[] {
  const out: string[] = [];
  for (const [k, v] of b) if (a.get(k) !== v) out.push(`${a.has(k) ? 'changed' : 'created'} ${k}`);
  for (const k of a.keys()) if (!b.has(k)) out.push(`removed ${k}`);
  return out;
}

export async function runCorpus(
  sb: Sandbox,
  opts: { fast: boolean; log?: (m: string) => void },
): Promise<{ results: CaseResult[]; canaryFound: boolean; containersChanged: boolean }> {
  const stack = `f-bad-${randomBytes(3).toString('hex')}`;
  await sb.t.addStack(stack);
  const first = await sb.deploy(stack);
  if (first.code !== 0) throw new Error(`corpus setup deploy failed: ${first.result?.msg}`);
  const tmp = path.join(sb.t.tmp, `corpus-${randomBytes(3).toString('hex')}`);
  mkdirSync(tmp, { recursive: true });
  const tag = sb.tag('sha-bad');
  const manifest = path.join(tmp, 'good.json');
  writeFileSync(manifest, JSON.stringify(digestManifest(tag, { app: sb.base })));
  const canary = path.join(sb.t.tmp, `CANARY-${randomBytes(4).toString('hex')}`);
  const asResult = (r: { code: number; stderr: string; result?: { msg: string } }) => ({
    code: r.code,
    message: `${r.stderr}\n${r.result?.msg ?? ''}`.trim(),
  });
  const env: CorpusEnv = {
    sb,
    stack,
    tag,
    manifest,
    canary,
    tmp,
    cli: async (args, raw = false) => asResult(await sb.exec(args, { raw })),
    deploy: async (o = {}) =>
      asResult(
        await sb.exec([
          'deploy',
          o.stack ?? stack,
          o.env ?? 'staging',
          o.tag ?? tag,
          '--digest-file',
          o.manifest ?? manifest,
          '--lock-timeout',
          '5',
          ...(o.extra ?? []),
        ]),
      ),
    file: (name, content) => {
      const p = path.join(tmp, name);
      writeFileSync(p, content);
      return p;
    },
  };
  // Marker cases write their marker here before the run; the directory itself is part of the layout.
  mkdirSync(path.join(sb.t.root, 'releases', 'verified'), { recursive: true });
  const containersBefore = JSON.stringify(await containerImages(stack));
  const results: CaseResult[] = [];
  for (const c of corpus().filter((x) => !opts.fast || x.fast)) {
    const before = treeSnapshot(sb.t.root);
    const history = readHistory(sb.t.root);
    const r = await c.run(env);
    const sideEffects = diff(before, treeSnapshot(sb.t.root));
    const h = readHistory(sb.t.root);
    if (!h.text.startsWith(history.text)) sideEffects.push('history rewritten');
    for (const line of h.lines.slice(history.lines.length)) {
      const rec = JSON.parse(line) as { status?: string };
      if (rec.status !== 'failed') sideEffects.push(`history gained a ${rec.status} record`);
    }
    if (existsSync(canary)) sideEffects.push('the canary file exists: something executed a payload');
    results.push({
      group: c.group,
      name: c.name,
      rejected: r.code !== 0,
      specific: c.expect.test(r.message),
      sideEffects,
      message: r.message.split('\n')[0]!.slice(0, 200),
    });
    opts.log?.(`${c.group}: ${c.name}: ${r.code !== 0 ? 'rejected' : 'ACCEPTED'}`);
  }
  const containersChanged = JSON.stringify(await containerImages(stack)) !== containersBefore;
  return { results, canaryFound: existsSync(canary), containersChanged };
}
