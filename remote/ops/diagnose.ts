// Judges one stack's facts (status-facts.ts): do the symlink, the manifest and the running
// containers agree? Pure, so every rule is unit-tested without a server or Docker.
import type { ContainerState } from '../docker.js';
import { describeHolder } from '../domain/lock-holder.js';
import { hostname } from 'node:os';
import { sameImage } from '../domain/compose-services.js';
import type { StatusFacts } from './status-facts.js';

export interface Problem {
  /** `drift` makes `status` exit 1; a `warning` is shown but does not. */
  severity: 'drift' | 'warning';
  code: string;
  message: string;
}

export function diagnose(f: StatusFacts): Problem[] {
  const out: Problem[] = [];
  const drift = (code: string, message: string) => out.push({ severity: 'drift', code, message });
  const warn = (code: string, message: string) => out.push({ severity: 'warning', code, message });
  const { link, manifest: m } = f;
  const env = m.state === 'ok' && m.value.env ? m.value.env : '<env>';
  const converge = `redeploy or run \`seisei-deploy rollback ${f.stack} ${env}\``;
  const deployed = link.kind !== 'missing' || m.state !== 'missing';

  if (link.unsafe) drift('link-unsafe', link.unsafe);
  else if (link.kind === 'symlink' && !link.targetExists)
    drift(
      'link-dangling',
      `the symlink ${link.path} points to ${link.target}, which does not exist: redeploy to converge`,
    );

  if (m.state === 'unreadable')
    drift(
      'manifest-unreadable',
      `the current manifest ${m.path} is not readable JSON: ${converge} to rewrite it`,
    );
  if (m.state === 'missing' && link.releaseId)
    drift(
      'manifest-missing',
      `the symlink says ${link.releaseId} is live but there is no current manifest ${m.path}: ${converge} to write one`,
    );
  if (m.state === 'ok') {
    const id = m.value.release_id;
    if (link.kind === 'missing')
      drift(
        'link-missing',
        `the manifest says ${id} is live but ${link.path} does not exist: redeploy to converge`,
      );
    else if (link.releaseId && link.releaseId !== id)
      drift(
        'link-manifest',
        `the symlink ${link.path} points to ${link.releaseId} but the manifest says ${id}: ${converge} so both name one release`,
      );
    if (!m.releaseExists)
      drift(
        'manifest-release-gone',
        `the manifest names ${id}, whose release directory is gone: redeploy to converge`,
      );
    if (f.live && link.releaseId === id) {
      const frozen: [field: string, said: string | undefined, ref: string][] = [
        ['image_ref', m.value.image_ref, f.live.main.ref],
        ...Object.entries(m.value.images ? f.live.images : {}).map(
          ([v, img]): [string, string | undefined, string] => [
            `images.${v}`,
            m.value.images?.[v]?.ref,
            img.ref,
          ],
        ),
      ];
      for (const [field, said, ref] of frozen)
        if (said !== ref)
          drift(
            'manifest-edited',
            `the manifest's ${field} is ${said ?? '(missing)'} but release ${id} froze ${ref}: ${converge} to rewrite the manifest`,
          );
    }
  }

  if (f.containers.state === 'unavailable') {
    if (deployed)
      drift(
        'docker-unavailable',
        `cannot list the containers (${f.containers.error}): whether the stack runs is unknown`,
      );
  } else if (deployed) {
    containerProblems(f, f.containers.list, converge, drift);
  } else if (f.containers.list.length) {
    drift(
      'not-deployed',
      `containers of project ${f.stack} are running (${names(f.containers.list)}) but nothing is deployed at ${link.path}: deploy the stack with seisei-deploy, or stop them`,
    );
  }

  if (f.live?.bad)
    warn(
      'live-bad',
      `the live release ${link.releaseId} is marked bad (it failed a smoke check): ${converge}`,
    );
  if (f.lock.state === 'stale')
    warn(
      'lock-stale',
      `stale lock ${f.lock.path} left by a dead process (${describeHolder(f.lock.holder)}): it will be taken over by the next run`,
    );
  if (f.lock.state === 'held')
    warn(
      'lock-held',
      `a run holds the lock (${describeHolder(f.lock.holder)}): what you see may be mid-change${
        f.lock.holder.hostname !== hostname()
          ? `; it was recorded on another host, so no run here will take it over: if that run is gone, seisei-deploy unlock ${f.stack} --yes`
          : ''
      }`,
    );
  if (f.lock.state === 'unreadable')
    warn(
      'lock-unreadable',
      `the lock ${f.lock.path} is unreadable: the next run takes it over if it stays so`,
    );
  if (f.lastRun?.state === 'dead')
    warn(
      'run-unfinished',
      `the last run ${f.lastRun.key} stopped without a result (executor killed or crashed); see its journal ${f.lastRun.journal}. The other checks show whether it left the stack inconsistent`,
    );
  return out;
}

const names = (cs: ContainerState[]) => cs.map((c) => c.name).join(', ');

function containerProblems(
  f: StatusFacts,
  cs: ContainerState[],
  converge: string,
  drift: (code: string, message: string) => void,
): void {
  const live = f.manifest.state === 'ok' ? f.manifest.value.release_id : f.link.releaseId;
  if (!cs.length) {
    drift(
      'no-containers',
      `no containers running for project ${f.stack} (live: ${live ?? 'unknown'}): ${converge}`,
    );
    return;
  }
  const manifestRefs =
    f.manifest.state === 'ok'
      ? [f.manifest.value.image_ref, ...Object.values(f.manifest.value.images ?? {}).map((i) => i.ref)]
      : [];
  if (f.services) {
    const known = new Set(f.services.list.map((s) => s.service));
    for (const s of f.services.list) {
      const mine = cs.filter((c) => c.service === s.service);
      if (!mine.length)
        drift(
          'service-missing',
          `service ${s.service} has no container (it should run ${s.image}): ${converge}`,
        );
      for (const c of mine.filter((c) => !sameImage(c.image, s.image))) {
        const says = manifestRefs.includes(s.image) ? 'the manifest says' : `release ${f.services.from} says`;
        drift(
          'container-image',
          `running container ${c.name} uses ${c.image} but ${says} ${s.image}: ${converge}`,
        );
      }
    }
    for (const c of cs.filter((c) => !known.has(c.service)))
      drift(
        'container-foreign',
        `container ${c.name} (service ${c.service || '?'}) is not in release ${f.services.from}'s compose file, so it was started by hand: remove it, or ${converge}`,
      );
  } else {
    for (const ref of new Set(manifestRefs.filter(Boolean)))
      if (!cs.some((c) => sameImage(c.image, ref)))
        drift('image-not-running', `no container runs ${ref}, which the manifest says is live: ${converge}`);
  }
  for (const c of cs) {
    if (c.status === 'exited' || c.status === 'dead')
      drift(
        'container-stopped',
        `container ${c.name} is ${c.status} (exit code ${c.exitCode}): see \`docker logs ${c.name}\`; ${converge}`,
      );
    else if (c.status !== 'running')
      drift(
        'container-not-running',
        `container ${c.name} is ${c.status}: see \`docker logs ${c.name}\`; ${converge}`,
      );
    else if (c.health === 'unhealthy')
      drift(
        'container-unhealthy',
        `container ${c.name} is unhealthy: see \`docker logs ${c.name}\`; ${converge}`,
      );
  }
}
