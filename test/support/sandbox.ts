// The shared test harness: real Docker, a private registry, tiny images, sample stacks and a
// real sshd. Every helper is safe to call from several test files, each in its own process;
// state lives in temp dirs created per call.
export { run, runOk, type RunOptions, type RunResult } from './exec.js';
export {
  canConnect,
  freePort,
  httpGet,
  makeTempDir,
  sleep,
  waitFor,
  waitForHttp,
  type HttpResponse,
} from './util.js';
export {
  composeV1,
  docker,
  dockerAvailable,
  dockerEnv,
  dockerOk,
  ensureDocker,
  projectContainers,
  removeComposeProject,
  type ContainerState,
} from './docker.js';
export { registryLogin, startRegistry, type Registry, type RegistryOptions } from './registry.js';
export {
  APP_PORT_IN_CONTAINER,
  APP_VARIANTS,
  CGI_HEALTH_PATH,
  buildAndPush,
  buildImage,
  buildTestImages,
  healthPath,
  type AppVariant,
  type PushedImage,
  type TestImageSpec,
} from './images.js';
export {
  SAMPLE_ENV_COMMENT,
  SAMPLE_ENV_OTHER,
  writeSampleStack,
  type SampleStack,
  type SampleStackOptions,
} from './stack.js';
export {
  childPids,
  ensureDeployUser,
  generateKey,
  sshArgs,
  startSshd,
  type Sshd,
  type SshdOptions,
} from './sshd.js';
export { REPO_ROOT, runnerNode, serverNode } from './node.js';
export {
  cleanupLabLeftovers,
  startLab,
  type Lab,
  type LabHost,
  type LabOptions,
  type LabRegistry,
  type LabSshd,
} from './hosts.js';
