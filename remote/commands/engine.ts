// Docker Engine API requests as paths (pure; unit-tested without Docker). The executor asks the
// daemon these read-only questions over its local socket when it can (remote/engine-api.ts); each
// has a docker CLI equivalent in ./docker.ts for every other setup.

/** Is the daemon there? Answers "OK" with the version in its Server header, in < 1 ms (/version
 * runs `runc --version` and more on the daemon's side: 5-10 ms). */
export const enginePing = () => '/_ping';

/** `docker image inspect REF`: 200 when the image is present, 404 when not. */
export const engineImage = (ref: string) => `/images/${encodeURI(ref)}/json`;

/** `docker ps --all --quiet --filter label=com.docker.compose.project=P` */
export const engineProjectContainers = (project: string) =>
  `/containers/json?all=1&filters=${encodeURIComponent(
    JSON.stringify({ label: [`com.docker.compose.project=${project}`] }),
  )}`;

/** `docker inspect --type container ID` */
export const engineContainer = (id: string) => `/containers/${encodeURIComponent(id)}/json`;
