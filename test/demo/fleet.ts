// The demo's fleet chapter: three lab hosts (test/support/hosts.ts: each its own network, /srv,
// dockerd and sshd) and a registry, one release rolled out to all three one after another, a
// failing host bringing the fleet back, and a fleet status. The lab is removed at the end.
import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { ActionResult } from '../e2e/action-harness.js';
import { startLab, type Lab } from '../support/hosts.js';
import { makeTempDir, serverNode, writeSampleStack } from '../support/sandbox.js';

export interface ChapterStep {
  title: string;
  expect: string;
  act: () => Promise<string>;
}

type Act = (title: string, inputs: Record<string, string>) => Promise<ActionResult>;

const SOURCE = '/opt/seisei-odoo-addons/infra/stacks';

/** One line per host of the `hosts` output. */
const rows = (r: ActionResult) =>
  (JSON.parse(r.outputs.hosts ?? '[]') as { host: string; status: string }[])
    .map((h) => `${h.host} ${h.status}`)
    .join(', ');

export function fleetChapter(action: Act): ChapterStep[] {
  let lab: Lab | undefined;
  const stack = `fleet-${randomBytes(2).toString('hex')}`;
  const files: Record<'old' | 'new', string> = { old: '', new: '' };
  const tags: Record<'old' | 'new', string> = { old: '', new: '' };
  const inputs = (): Record<string, string> => {
    const hosts = lab!.hosts;
    return {
      hosts: hosts.map((h) => `${h.ip} # ${h.name}`).join('\n'),
      username: hosts[0]!.sshd.user,
      private_key: hosts[0]!.sshd.privateKey,
      host_key: hosts.map((h) => h.sshd.knownHostsLine).join('\n'),
      remote_node: serverNode(),
      registry: lab!.registry!.address,
      registry_username: lab!.registry!.username,
      registry_password: lab!.registry!.password,
      stack,
    };
  };
  const deploy = (which: 'old' | 'new') =>
    action(`fleet deploy ${tags[which]} (rollout 1)`, {
      ...inputs(),
      environment: 'staging',
      image_tag: tags[which],
      digest_file: files[which],
      rollout: '1',
    });
  const writeStack = (healthPath: string, only?: number) =>
    Promise.all(
      lab!.hosts
        .filter((_, i) => only === undefined || i === only)
        .map((h) =>
          writeSampleStack(h.hostPath(`${SOURCE}/${stack}`), {
            port: 8090,
            publishAddress: '0.0.0.0',
            smokeTimeoutS: 5,
            healthPath,
          }),
        ),
    );

  return [
    {
      title: 'A fleet: three lab hosts (own network, /srv, dockerd, sshd) and a registry',
      expect: 'three hosts up, two images pushed',
      act: async () => {
        lab = await startLab({ hosts: 3, registry: true });
        const tmp = await makeTempDir('demo-fleet');
        for (const which of ['old', 'new'] as const) {
          const img = await lab.pushImage('ok', `demo-${which}-${randomBytes(3).toString('hex')}`);
          tags[which] = img.tag;
          files[which] = path.join(tmp, `${which}.json`);
          await writeFile(
            files[which],
            JSON.stringify({
              git_sha: 'd'.repeat(40),
              git_sha7: 'd'.repeat(7),
              built_at_utc: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
              images: { app: { tag: img.tag, ref: img.ref, digest: img.digest } },
            }),
          );
        }
        await writeStack('/health');
        return lab.hosts.map((h) => `${h.name} ${h.ip}`).join(', ');
      },
    },
    {
      title: 'Fleet deploy, one host after another (rollout 1)',
      expect: 'success on all three',
      act: async () => {
        const r = await deploy('old');
        if (r.outputs.status !== 'success') throw new Error(`status ${r.outputs.status}: ${rows(r)}`);
        return rows(r);
      },
    },
    {
      title: 'The next release fails its smoke check on host 2',
      expect: 'host 2 rolls itself back, host 1 is rolled back, host 3 untouched',
      act: async () => {
        await writeStack('/no-such-page', 1);
        const r = await deploy('new');
        await writeStack('/health', 1);
        if (r.outputs.status !== 'rolled_back' || r.code === 0)
          throw new Error(`status ${r.outputs.status} (exit ${r.code}): ${rows(r)}`);
        return rows(r);
      },
    },
    {
      title: 'Fleet status: every host runs the same release',
      expect: 'no drift',
      act: async () => {
        const r = await action('fleet status', { ...inputs(), mode: 'status' });
        if (r.outputs.status !== 'success')
          throw new Error(`status ${r.outputs.status}: ${r.errors.join('; ')}`);
        return rows(r);
      },
    },
    {
      title: 'Remove the lab',
      expect: 'nothing left',
      act: async () => {
        await lab?.stop();
        return 'namespaces, dockerds, sshds and files removed';
      },
    },
  ];
}
