// The Swarm engine's update delay without Docker: which services get at least MIN_UPDATE_DELAY_S
// between two tasks of an update, and the compose text merged over the release's for them.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parse } from 'yaml';
import {
  goDurationMs,
  MIN_UPDATE_DELAY_S,
  shortDelayServices,
  updateDelayOverride,
} from '../../remote/engine/swarm-update-delay.js';

const STACK = `version: "3.8"
x-deploy: &rolling
  replicas: 3
  update_config: { parallelism: 1, delay: 10s }
services:
  web:
    image: \${IMAGE_REF}
    deploy:
      replicas: 2
      update_config: { parallelism: 1, order: stop-first, delay: 0s, monitor: 2s }
  api:
    image: api
    deploy: { replicas: "\${API_REPLICAS}" }
  agent:
    image: agent
    deploy: { mode: global, update_config: { delay: 500ms } }
  slow:
    image: slow
    deploy: { replicas: 2, update_config: { delay: "\${SLOW_DELAY:-1m}" } }
  shared:
    image: shared
    deploy:
      <<: *rolling
  side:
    image: side
    deploy: { replicas: 1 }
  single:
    image: single
  odd:
    image: odd
    deploy: { replicas: 2, update_config: { delay: soon } }
`;

test('Go durations as compose files write them, in milliseconds', () => {
  assert.equal(goDurationMs('0s'), 0);
  assert.equal(goDurationMs('0'), 0);
  assert.equal(goDurationMs('1s'), 1000);
  assert.equal(goDurationMs('500ms'), 500);
  assert.equal(goDurationMs('0.5s'), 500);
  assert.equal(goDurationMs('1m30s'), 90_000);
  assert.equal(goDurationMs('1h'), 3_600_000);
  assert.equal(goDurationMs('-2s'), -2000);
  for (const bad of ['', '5', 's', '1x', '1s ms', 'soon']) assert.equal(goDurationMs(bad), undefined, bad);
});

test('services with more than one task and a delay under the minimum are the ones the engine slows', () => {
  assert.equal(MIN_UPDATE_DELAY_S, 1);
  // web: 0s; api: replicas from .env, no delay; agent: global, 500ms. Not: slow (1m), shared (10s
  // through a merge key), side and single (one task), odd (a delay docker will judge itself).
  assert.deepEqual(shortDelayServices(STACK, { API_REPLICAS: '3' }), ['web', 'api', 'agent']);
  assert.deepEqual(shortDelayServices(STACK, { API_REPLICAS: '1' }), ['web', 'agent']);
  // A delay from .env counts as the .env sets it.
  assert.ok(shortDelayServices(STACK, { SLOW_DELAY: '0s' }).includes('slow'));
  assert.deepEqual(shortDelayServices('services: {}\n', {}), []);
  assert.deepEqual(shortDelayServices(': not [yaml', {}), []);
});

test("the override sets only the delay of those services and carries the release file's version", () => {
  const o = updateDelayOverride(STACK, {})!;
  assert.deepEqual(o.services, ['web', 'agent']);
  assert.deepEqual(parse(o.text), {
    version: '3.8',
    services: {
      web: { deploy: { update_config: { delay: '1s' } } },
      agent: { deploy: { update_config: { delay: '1s' } } },
    },
  });
  const noVersion = updateDelayOverride('services:\n  w: { image: w, deploy: { replicas: 2 } }\n', {})!;
  assert.deepEqual(parse(noVersion.text), {
    services: { w: { deploy: { update_config: { delay: '1s' } } } },
  });
  assert.equal(updateDelayOverride('services:\n  w: { image: w }\n', {}), undefined);
});
