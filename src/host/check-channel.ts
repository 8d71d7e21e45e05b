// The server check's channel (src/ssh/channel.ts): the check in one exec (Node.js, Docker, sudo,
// the installed executor), the executor commands its script offers next for a plan (run keys of this
// job), and the channel held open after the check until the session takes it for a run or a dry
// run, or declines it.
import { randomBytes } from 'node:crypto';
import { layout } from '../../common/layout.js';
import { RUN_KEY_RE } from '../../common/names.js';
import type { SshSession } from '../ssh/connection.js';
import { SshError } from '../ssh/errors.js';
import { checkChannelScript } from '../ssh/channel.js';
import { checkPreflight, type PreflightInfo } from '../ssh/preflight.js';
import { OpenChannel } from './channel.js';
import type { HostConfig, ServerOptions } from './config.js';
import { RemoteError } from './upload.js';

/** How long the server check may take before the action gives up on it. */
const CHECK_TIMEOUT_MS = 60_000;

/** What may follow the server check on its channel (run keys of this job). */
export interface ChannelPlan {
  /** `run - --detach --follow --run-key <runKey>`: a deploy or rollback. */
  runKey?: string;
  /** `run - --run-key <checkKey>`: a fleet host's dry run; with runKey too, its process then takes the run (`--then-run`). */
  checkKey?: string;
}

/** The commands the check's channel may run next: the installed executor, run by node or directly. */
function channelCommands(server: ServerOptions, plan: ChannelPlan): Record<string, string[]> {
  const cli = layout(server.root).cli;
  const out: Record<string, string[]> = {};
  const add = (what: string, args: string[]) => {
    out[`node-${what}`] = [server.node, cli, ...args];
    out[`direct-${what}`] = [cli, ...args];
  };
  for (const k of [plan.runKey, plan.checkKey])
    if (k !== undefined && !RUN_KEY_RE.test(k)) throw new RemoteError(`internal: invalid run key ${k}`);
  if (plan.checkKey !== undefined)
    add('check', [
      ...['run', '-', '--run-key', plan.checkKey],
      ...(plan.runKey !== undefined ? ['--then-run', plan.runKey] : []),
    ]);
  else if (plan.runKey !== undefined)
    add('run', ['run', '-', '--detach', '--follow', '--run-key', plan.runKey]);
  return out;
}

/**
 * Runs the server check on a new channel whose script then offers what `plan` names. Returns the
 * check's facts and the channel, still open when it offers something (else it has ended).
 */
export async function serverCheck(
  session: SshSession,
  config: HostConfig,
  plan: ChannelPlan,
): Promise<{ info: PreflightInfo; channel: OpenChannel; offers: boolean }> {
  const { server, target } = config;
  const nonce = randomBytes(12).toString('hex');
  const commands = channelCommands(server, plan);
  const channel = new OpenChannel(session, checkChannelScript(server, nonce, commands), {
    factsNonce: nonce,
  });
  const facts = await channel.waitFacts(CHECK_TIMEOUT_MS);
  if (facts.closed && facts.closed.code === null && !facts.text)
    throw new SshError(
      'connection',
      `Server check on ${target.host} got no answer: ${facts.closed.timedOut ? 'timed out after 60 s' : session.closeReason}`,
    );
  try {
    const info = checkPreflight(facts.text ?? '', server, target);
    return { info, channel, offers: Object.keys(commands).length > 0 };
  } catch (err) {
    channel.close();
    throw err;
  }
}

/** The log line that says what the server check found. */
export function serverLine(info: PreflightInfo, server: ServerOptions): string {
  return info.narrow
    ? `Server: sudo allows only the installed executor${info.installedVersion ? ` (seisei-deploy ${info.installedVersion.version})` : ''}`
    : `Server: Node.js ${info.nodeVersion}, Docker ${info.dockerVersion}${server.sudo ? ', passwordless sudo' : ''}`;
}

/** The check's channel, taken for `run` or `check`, with the word that starts it. */
export interface TakenChannel {
  channel: OpenChannel;
  plan: ChannelPlan;
  word: string;
  afterCheck?: boolean;
  thenRun?: boolean;
}

/** The executor the session chose, as far as taking the check's channel goes. */
export interface ChosenExecutor {
  /** The chosen executor is the installed one and of this build (it knows the channel's words). */
  installedThisBuild: boolean;
  /** Run by its shebang (narrow sudo), not by node. */
  direct: boolean;
}

/** The server check's channel, waiting for the word that says what runs next on it. */
export class WaitingChannel {
  private held?: { channel: OpenChannel; plan: ChannelPlan; afterCheck?: boolean };

  /** Keeps the channel for what its plan offers (afterCheck: a dry run ran on it, its run may follow). */
  hold(channel: OpenChannel, plan: ChannelPlan, afterCheck?: true): void {
    this.held = { channel, plan, ...(afterCheck ? { afterCheck } : {}) };
  }

  /**
   * Takes the channel for `what` (run with runKey, or check with checkKey) when the chosen executor
   * is the installed one of this build; otherwise ends that channel and returns undefined.
   */
  take(what: 'run' | 'check', key: string, executor: ChosenExecutor): TakenChannel | undefined {
    const p = this.held;
    this.held = undefined;
    if (!p) return undefined;
    // After a dry run only its run may follow; before one, only what the plan's script offers.
    const runnable = p.afterCheck || p.plan.checkKey === undefined;
    const planned =
      what === 'run' ? (runnable ? p.plan.runKey : undefined) : p.afterCheck ? undefined : p.plan.checkKey;
    if (p.channel.closed || planned !== key || !executor.installedThisBuild) {
      p.channel.decline();
      return undefined;
    }
    return {
      channel: p.channel,
      plan: p.plan,
      word: `${executor.direct ? 'direct' : 'node'}-${what}`,
      ...(p.afterCheck ? { afterCheck: true } : {}),
      ...(what === 'check' && p.plan.runKey !== undefined ? { thenRun: true } : {}),
    };
  }

  /** Ends the waiting channel, if any (anything else the session runs uses its own). */
  decline(): void {
    this.held?.channel.decline();
    this.held = undefined;
  }
}
