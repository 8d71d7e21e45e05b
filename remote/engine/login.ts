// The run's registry login for an engine's pull or deploy: `docker login --password-stdin` into the
// run's private DOCKER_CONFIG (remote/registry-credentials.ts); the password never in argv.
import { login } from '../commands/docker.js';
import type { Docker } from '../docker.js';
import type { Login } from './engine.js';

export async function dockerLogin(docker: Docker, l: Login): Promise<void> {
  await docker.must(
    login(l.registry, l.username),
    `docker login to ${l.registry} as ${l.username}`,
    l.password,
  );
}
