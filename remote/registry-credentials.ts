// Where a run's registry credentials live on the server: the password it was given and the private
// DOCKER_CONFIG its `docker login` writes, both in root-owned directories of the run, never in /tmp.
import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import type { Layout } from '../common/layout.js';
import type { DeployRequest } from '../common/request.js';
import { dockerConfigDir } from './docker-cli-config.js';
import { pidExists } from './domain/process.js';
import { stagedPasswordFile } from './domain/run-inputs.js';
import type { Login } from './engine/engine.js';
import { DeployError } from './errors.js';

/** The run's registry login, its password read (and the staged password file deleted). */
export function takeLogin(layout: Layout, req: DeployRequest): Login | undefined {
  const login = req.registry_login;
  if (!login) return undefined;
  const staged = login.password_file === stagedPasswordFile(layout, req.stack, req.run_key);
  return {
    registry: login.registry,
    username: login.username,
    password: takePassword(login.password_file, staged),
  };
}

/** However the run ends (a lock timeout included), a password `run -` staged for it does not stay on disk. */
export function dropStagedPassword(layout: Layout, req: DeployRequest): void {
  const staged = stagedPasswordFile(layout, req.stack, req.run_key);
  if (staged && req.registry_login?.password_file === staged) rmSync(staged, { force: true });
}

/**
 * Reads the registry password. The file is deleted only when the executor itself staged it (the
 * action's `run -` input, `staged`); a file an operator names with --registry-password-file is
 * theirs: it is read and left where it is.
 */
export function takePassword(file: string, staged: boolean): string {
  let password: string;
  try {
    password = readFileSync(file, 'utf8').replace(/\r?\n$/, '');
  } catch (err) {
    throw new DeployError(`registry password file ${file} cannot be read: ${(err as Error).message}`, 2);
  }
  if (staged) rmSync(file, { force: true });
  return password;
}

const CONFIG_PREFIX = 'docker-config-';

/**
 * A private docker config directory for this run only: `<runsDir>/docker-config-<pid>-<random>`,
 * made with one mkdir(2) (it fails if the name exists, and it never follows a link) inside the
 * stack's runs directory, which must be a real directory writable by no one but this user. The
 * caller removes it with `dispose`. A run killed with the login in it (kill -9 skips every
 * `finally`) leaves one behind: each new one first removes those of runs whose process is gone,
 * in that directory only (rm does not follow links, and no other user can write there).
 */
export function privateDockerConfig(runsDir: string): { dir: string; dispose(): void } {
  mkdirSync(runsDir, { recursive: true, mode: 0o750 });
  checkPrivateDir(runsDir);
  removeDeadRunsConfigs(runsDir);
  const dir = join(
    runsDir,
    `${CONFIG_PREFIX}${process.pid}-${Math.floor(Math.random() * 2 ** 32).toString(16)}`,
  );
  mkdirSync(dir, { mode: 0o700 });
  // The CLI looks for plugins (`docker compose`) under its config dir too: keep finding those
  // installed in the usual one (e.g. /root/.docker/cli-plugins).
  const plugins = join(dockerConfigDir(process.env), 'cli-plugins');
  if (existsSync(plugins)) symlinkSync(plugins, join(dir, 'cli-plugins'));
  return { dir, dispose: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A directory (not a link) owned by this user that no group or other may write to. */
function checkPrivateDir(dir: string): void {
  const st = lstatSync(dir);
  const uid = process.getuid?.();
  if (!st.isDirectory() || (uid !== undefined && st.uid !== uid) || st.mode & 0o022)
    throw new DeployError(
      `${dir} must be a directory owned by ${uid === 0 ? 'root' : 'the executing user'} that no one else can write to (it holds registry logins); fix its owner and mode (chmod 750)`,
    );
}

function removeDeadRunsConfigs(runsDir: string): void {
  for (const name of readdirSync(runsDir)) {
    const pid = Number(new RegExp(`^${CONFIG_PREFIX}(\\d+)-`).exec(name)?.[1]);
    if (pid && pid !== process.pid && !pidExists(pid))
      rmSync(join(runsDir, name), { recursive: true, force: true });
  }
}
