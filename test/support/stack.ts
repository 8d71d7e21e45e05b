// A sample stack source directory, as an operator keeps it under <stacks_source>/<stack>/.
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';

export interface SampleStackOptions {
  /** Host port on 127.0.0.1 published for the app (APP_PORT in .env). */
  port: number;
  /** Address the port is published on; default 127.0.0.1 ('0.0.0.0' to answer on a lab host's IP too). */
  publishAddress?: string;
  /** Smoke URL path; default '/health'. See healthPath()/CGI_HEALTH_PATH in images.ts. */
  healthPath?: string;
  /** Default 10. */
  smokeTimeoutS?: number;
  /** Default 200. */
  expectStatus?: number;
  /** Body substring the smoke check requires; default 'ok'. */
  contains?: string;
  /** Default true. */
  waitHealthy?: boolean;
  /** Written into x-seisei-deploy.hooks, e.g. { pre_deploy: ['sh', '-c', 'echo hi'] }. */
  hooks?: Record<string, string[]>;
  keepReleases?: number;
  /** Written into x-seisei-deploy.timeouts (seconds), e.g. { pre_deploy: 2 }. */
  timeouts?: Record<string, number>;
  /** IMAGE_REF in the source .env; default 'placeholder' (deploys replace it). */
  imageRef?: string;
  /** YAML lines added to the `app` service (indented for you), e.g. 'restart: "no"'. */
  serviceExtra?: string;
  /** YAML appended at the top level of the compose file, e.g. volumes. */
  extraCompose?: string;
  /** More services (YAML, indented for you), e.g. a sidecar whose image is not in the manifest. */
  extraServices?: string;
  /** Lines appended to .env. */
  extraEnv?: string;
}

export interface SampleStack {
  dir: string;
  composeFile: string;
  envFile: string;
}

/** The comment and OTHER lines of the sample .env, which deploys must keep byte for byte. */
export const SAMPLE_ENV_COMMENT = '# sample stack for seisei-deploy tests: keep this line';
export const SAMPLE_ENV_OTHER = 'OTHER=keep me';

/** Writes docker-compose.yml, .env and config/app.conf into `dir` (created if missing). */
export async function writeSampleStack(dir: string, opts: SampleStackOptions): Promise<SampleStack> {
  await mkdir(path.join(dir, 'config'), { recursive: true });
  const composeFile = path.join(dir, 'docker-compose.yml');
  const envFile = path.join(dir, '.env');
  await writeFile(composeFile, composeYaml(opts));
  await writeFile(envFile, envText(opts));
  await writeFile(path.join(dir, 'config', 'app.conf'), 'greeting = hello from the sample stack\n');
  return { dir, composeFile, envFile };
}

function composeYaml(opts: SampleStackOptions): string {
  return `version: "3.7"

services:
  app:
    image: \${IMAGE_REF}
    ports:
      - "${opts.publishAddress ?? '127.0.0.1'}:\${APP_PORT}:8080"
    volumes:
      - ./config/app.conf:/etc/app/app.conf:ro
${indent(opts.serviceExtra ?? '', 4)}
${indent(opts.extraServices ?? '', 2)}
x-seisei-deploy:
${extensionYaml(opts)}
${opts.extraCompose ?? ''}`;
}

function extensionYaml(opts: SampleStackOptions): string {
  const lines = [
    '  smoke:',
    `    - url: http://127.0.0.1:\${APP_PORT}${opts.healthPath ?? '/health'}`,
    `      expect_status: ${opts.expectStatus ?? 200}`,
    `      contains: ${JSON.stringify(opts.contains ?? 'ok')}`,
    `  smoke_timeout_s: ${opts.smokeTimeoutS ?? 10}`,
    `  wait_healthy: ${opts.waitHealthy ?? true}`,
  ];
  if (opts.hooks) {
    lines.push('  hooks:');
    // JSON arrays are valid YAML flow sequences and quote everything safely.
    for (const [name, argv] of Object.entries(opts.hooks)) lines.push(`    ${name}: ${JSON.stringify(argv)}`);
  }
  if (opts.keepReleases !== undefined) lines.push(`  keep_releases: ${opts.keepReleases}`);
  if (opts.timeouts) lines.push(`  timeouts: ${JSON.stringify(opts.timeouts)}`);
  return lines.join('\n') + '\n';
}

function envText(opts: SampleStackOptions): string {
  const lines = [
    SAMPLE_ENV_COMMENT,
    `APP_PORT=${opts.port}`,
    `IMAGE_REF=${opts.imageRef ?? 'placeholder'}`,
    SAMPLE_ENV_OTHER,
  ];
  return lines.join('\n') + '\n' + (opts.extraEnv ? opts.extraEnv.replace(/\n?$/, '\n') : '');
}

function indent(text: string, spaces: number): string {
  if (!text.trim()) return '';
  const pad = ' '.repeat(spaces);
  return (
    text
      .replace(/\n$/, '')
      .split('\n')
      .map((line) => pad + line)
      .join('\n') + '\n'
  );
}
