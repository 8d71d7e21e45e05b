// Shell words for remote command lines: POSIX quoting of every untrusted word, and the prefix that
// runs a command as root. Pure functions, unit-tested without a server.

/** POSIX shell single-quoting; every untrusted word on a remote command line goes through this. */
export function shellQuote(s: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}
export const shellJoin = (words: readonly string[]) => words.map(shellQuote).join(' ');

/** How the action runs things on the server (inputs sudo, remote_node, srv_root). */
export interface RemoteOptions {
  sudo: boolean;
  node: string;
  /** srv_root: where the last deploy installed the executor (releases/bin/seisei-deploy). */
  root?: string;
}

/** The command prefix that runs something as root (or as the SSH user when sudo is off). */
export const asRoot = (r: Pick<RemoteOptions, 'sudo'>) => (r.sudo ? 'sudo -n ' : '');
