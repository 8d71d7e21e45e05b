// The executor installed on the server (<root>/releases/bin/seisei-deploy): the shell that looks at
// it as the SSH user (is it there, can only root change it, its sha256), what that shell and the
// executor's `version --json` answer, and how an administrator installs it.
import { shellQuote } from './shell.js';

/** What the preflight found at <root>/releases/bin/seisei-deploy, looked at as the SSH user (no sudo). */
export interface InstalledExecutorInfo {
  path: string;
  /**
   * ok: a regular file that only root can change (root owns it and every directory above it, none
   * writable by group or others except sticky ones like /tmp), readable by the SSH user: sha256 is
   * its hash. absent: provably not there. untrusted: there, but someone other than root could
   * change it. unknown: could not be looked at (a directory not searchable, the file not readable).
   */
  state: 'ok' | 'absent' | 'untrusted' | 'unknown';
  sha256?: string;
  /** Why it is untrusted or unknown: text from the server (neutralise it before logging). */
  reason?: string;
}

/** What `seisei-deploy version --json` of the installed executor said (narrow mode only). */
export interface InstalledVersion {
  version: string;
  request_format: number;
}

/** The `exe=` line of the preflight: the installed executor's `version --json`, if it answered. */
export function parseInstalledVersion(text: string | undefined): InstalledVersion | undefined {
  if (!text) return undefined;
  try {
    const v = JSON.parse(text) as Partial<InstalledVersion>;
    if (typeof v.version === 'string' && Number.isSafeInteger(v.request_format))
      return { version: v.version.slice(0, 100), request_format: v.request_format! };
  } catch {
    /* an older executor without `version`: unknown */
  }
  return undefined;
}

/** How an administrator installs or upgrades the executor (docs/server-setup.md section 4). */
export const upgradeHint = (root: string) =>
  `an administrator installs this action's build once with the remote.cjs of this action version (dist/remote.cjs in the action's repository at the ref the workflow uses): sudo node remote.cjs install --root ${root}`;

/**
 * Shell (POSIX sh, GNU or busybox stat) that prints one `cli=` line about the executor installed at
 * `path`, run as the SSH user without sudo: `cli=absent`, `cli=ok <sha256>`, `cli=untrusted <why>`
 * or `cli=unknown <why>`. Trusted only when root alone can change the file: root owns the file and
 * each directory above it, on the path as given and on the physical path (symlinks resolved), and
 * none of them is writable by group or others (a sticky directory, like /tmp, excepted).
 */
export function installedExecutorScript(path: string): string {
  return [
    `F=${shellQuote(path)}`,
    // cli_walk P: "ok" when root owns P and each directory above it, and none of them (a symlink
    // aside: its mode means nothing) is writable by group or others unless it is a sticky
    // directory; otherwise the first problem. One stat for them all; an answer that does not
    // have one line per path is a problem (fail-closed).
    `cli_walk() { p=$1; set --; ` +
      `while :; do set -- "$@" "$p"; [ "$p" = / ] && break; p=\${p%/*}; [ -n "$p" ] || p=/; done; ` +
      `n=$#; o=$(stat -c '%u %A %n' -- "$@" 2>/dev/null) || { echo "cannot stat $1 or a directory above it"; return; }; ` +
      `k=0; r=ok; while IFS= read -r l; do k=$((k+1)); u=\${l%% *}; l=\${l#* }; m=\${l%% *}; q=\${l#* }; ` +
      `if [ "$u" != 0 ]; then r="$q is owned by uid $u, not root"; break; fi; ` +
      `case $m in l*|d????????[tT]) ;; ?????w*|????????w*) r="$q is writable by group or others ($m)"; break;; ` +
      `[-d]?????????) ;; *) r="cannot read the mode of $q ($m)"; break;; esac; done <<EOF\n$o\nEOF\n` +
      `if [ "$r" = ok ] && [ "$k" != "$n" ]; then r="cannot check $1: unexpected answer from stat"; fi; echo "$r"; }`,
    // Missing for sure: the nearest ancestor that exists is searchable, so its child is really absent.
    `cli_absent() { c=$F; while [ ! -e "$c" ] && [ ! -L "$c" ]; do p=\${c%/*}; [ -n "$p" ] || p=/; ` +
      `if [ -e "$p" ]; then [ -d "$p" ] && [ -x "$p" ]; return; fi; [ "$p" = "$c" ] && return 1; c=$p; done; return 1; }`,
    `if [ -e "$F" ] || [ -L "$F" ]; then`,
    `  if [ -L "$F" ] || [ ! -f "$F" ]; then echo "cli=untrusted $F is not a regular file"`,
    `  else`,
    `    b=$(cli_walk "$F")`,
    `    if [ "$b" = ok ]; then d=$(cd -P -- "\${F%/*}" 2>/dev/null && pwd -P); ` +
      `if [ -n "$d" ]; then b=$(cli_walk "$d"); else b="cannot resolve the directory of $F"; fi; fi`,
    // One line, whatever the names hold.
    `    if [ "$b" != ok ]; then printf 'cli=untrusted %s\\n' "$(printf %s "\${b:-cannot check $F}" | tr '\\n' ' ')"`,
    `    elif h=$(sha256sum < "$F" 2>/dev/null); then echo "cli=ok \${h%% *}"`,
    `    else echo "cli=unknown $F is not readable by $(id -un 2>/dev/null)"; fi`,
    `  fi`,
    `elif cli_absent; then echo cli=absent`,
    `else echo "cli=unknown a directory above $F is not searchable by $(id -un 2>/dev/null)"; fi`,
  ].join('\n');
}

/** The `cli=` line of the preflight (installedExecutorScript) as InstalledExecutorInfo. */
export function parseInstalled(line: string | undefined, path: string): InstalledExecutorInfo {
  const [state = '', ...rest] = (line ?? '').split(' ');
  const detail = rest.join(' ').slice(0, 500);
  if (state === 'absent') return { path, state: 'absent' };
  if (state === 'ok' && /^[0-9a-f]{64}$/.test(detail)) return { path, state: 'ok', sha256: detail };
  if (state === 'untrusted') return { path, state: 'untrusted', reason: detail || 'no reason given' };
  return {
    path,
    state: 'unknown',
    reason: detail || (line === undefined ? 'no answer' : `unexpected answer: ${line.slice(0, 200)}`),
  };
}
