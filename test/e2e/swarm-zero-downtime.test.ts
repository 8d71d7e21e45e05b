// Zero downtime, measured (issue 17, acceptance 2): a client that sees the nodes like an external
// load balancer (lb-client.ts: 25 requests/s, each to the next node, failing over to the others)
// runs during a rolling deploy of the Swarm engine (three nodes, one web task each, stop-first,
// parallelism 1, healthchecks): no request may fail. The same client against one host running the
// Compose engine reports that engine's downtime window, for docs/performance.md.
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startLab, type Lab } from '../support/hosts.js';
import type { PushedImage } from '../support/images.js';
import { dockerAvailable } from '../support/sandbox.js';
import { writeSampleStack } from '../support/stack.js';
import { formSwarm } from '../support/swarm.js';
import { hostExecutor, lbText, measure } from './swarm-fixture.js';

const hasDocker = await dockerAvailable();
const isRoot = process.getuid?.() === 0;
const skip = !hasDocker || !isRoot ? 'needs dockerd and root' : false;

const SWARM_PORT = 18090;
const COMPOSE_PORT = 18091;
const ROOT = '/srv/seisei';
const SOURCE = '/srv/stacks';

/** Web on every node (one task each, host mode), rolling one task at a time after its healthcheck. */
const COMPOSE = `version: "3.8"
services:
  web:
    image: \${IMAGE_REF}
    ports:
      - { target: 8080, published: ${SWARM_PORT}, protocol: tcp, mode: host }
    deploy:
      replicas: 3
      placement: { max_replicas_per_node: 1 }
      update_config: { parallelism: 1, order: stop-first, delay: 0s, monitor: 2s, failure_action: pause }
x-seisei-deploy:
  engine: swarm
  smoke:
    - url: http://127.0.0.1:${SWARM_PORT}/health
      contains: ok
`;

describe(
  'availability during a rolling deploy, Swarm on three nodes and Compose on one host',
  { skip },
  () => {
    let lab: Lab;
    let v1: PushedImage;
    let v2: PushedImage;

    before(async () => {
      lab = await startLab({ hosts: 3, registry: true });
      v1 = await lab.pushImage('healthy', 'zd-1', 'web');
      v2 = await lab.pushImage('healthy', 'zd-2', 'web');
      await formSwarm(lab);
    });
    after(() => lab?.stop());

    test('Swarm: a rolling deploy of three tasks on three nodes loses no request', async (t) => {
      const ex = hostExecutor(lab, lab.hosts[0]!, ROOT, SOURCE);
      const dir = ex.host.hostPath(`${SOURCE}/edge`);
      await mkdir(dir, { recursive: true });
      await writeFile(path.join(dir, 'docker-compose.yml'), COMPOSE);
      await writeFile(path.join(dir, '.env'), 'IMAGE_REF=placeholder\n');
      const first = await ex.deploy('edge', 'zd-1', { web: v1 }, { vars: 'IMAGE_REF=web' });
      assert.equal(first.result?.status, 'success', first.result?.msg);

      const nodes = lab.hosts.map((h) => `${h.ip}:${SWARM_PORT}`);
      const t0 = Date.now();
      const { lb, value: r } = await measure(nodes, () =>
        ex.deploy('edge', 'zd-2', { web: v2 }, { vars: 'IMAGE_REF=web' }),
      );
      t.diagnostic(`swarm rolling deploy, 3 tasks on 3 nodes, ${Date.now() - t0} ms: ${lbText(lb)}`);
      assert.equal(r.result?.status, 'success', r.result?.msg);
      assert.equal(lb.failed, 0, lbText(lb));
      assert.ok(lb.bodies['ok zd-1']! > 0 && lb.bodies['ok zd-2']! > 0, lbText(lb));
    });

    test('Compose: the same client against one host sees the downtime window of a deploy', async (t) => {
      const host = lab.hosts[2]!;
      const ex = hostExecutor(lab, host, ROOT, SOURCE);
      await writeSampleStack(host.hostPath(`${SOURCE}/one`), {
        port: COMPOSE_PORT,
        publishAddress: '0.0.0.0',
        smokeTimeoutS: 30,
      });
      const first = await ex.deploy('one', 'zd-1', { app: v1 }, { vars: 'IMAGE_REF=app' });
      assert.equal(first.result?.status, 'success', first.result?.msg);

      const t0 = Date.now();
      const { lb, value: r } = await measure([`${host.ip}:${COMPOSE_PORT}`], () =>
        ex.deploy('one', 'zd-2', { app: v2 }, { vars: 'IMAGE_REF=app' }),
      );
      const windows = lb.failedWindows.map(
        (w) => `${Math.round(w.end - w.start)} ms (${w.requests} requests)`,
      );
      t.diagnostic(
        `compose deploy on one host, ${Date.now() - t0} ms: ${lbText(lb)}; downtime ${windows.join(', ') || 'none'}`,
      );
      assert.equal(r.result?.status, 'success', r.result?.msg);
      assert.ok(lb.bodies['ok zd-1']! > 0 && lb.bodies['ok zd-2']! > 0, lbText(lb));
    });
  },
);
