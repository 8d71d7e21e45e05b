// The shell that receives one file on an exec's stdin into the action's private temp dir on the
// server and checks its sha256 (no SFTP). Pure: unit-tested with sh.
import { shellQuote } from './shell.js';

/** The private temp dir the action creates on the server (mktemp -d: 0700, owned by the SSH user). */
export const TEMP_DIR_RE = /^\/[A-Za-z0-9._/-]*\/seisei-deploy\.[A-Za-z0-9]{6,}$/;
const SENT_NAME_RE = /^[a-z0-9][a-z0-9._-]{0,63}$/;

/** A file the action sends: its name in the temp dir and the sha256 (hex) of its bytes. */
export interface SentFile {
  name: string;
  sha256: string;
}

/**
 * Shell, run as the SSH user, that writes its stdin to <dir>/<name> (mode 0600, never over an
 * existing entry) and checks the sha256 of what arrived. Without `dir` it first creates the private
 * temp dir and prints `dir=<path>`. Prints `sent=<sha256>`; when the bytes differ (stdin cut short
 * by a lost connection) it removes what it wrote (the dir, when it made it) and exits 3. Files thus
 * travel on the exec channel, like the request: the server needs no SFTP subsystem.
 */
export function sendFileScript(file: SentFile, dir?: string): string {
  if (!SENT_NAME_RE.test(file.name)) throw new Error(`internal: bad file name ${JSON.stringify(file.name)}`);
  if (!/^[0-9a-f]{64}$/.test(file.sha256)) throw new Error(`internal: bad sha256 ${file.sha256}`);
  if (dir !== undefined && !TEMP_DIR_RE.test(dir)) throw new Error(`internal: bad temp dir ${dir}`);
  const undo = dir === undefined ? 'rm -rf -- "$d"' : 'rm -f -- "$f"';
  return [
    'umask 077; set -C',
    dir === undefined
      ? `d=$(mktemp -d "\${TMPDIR:-/tmp}/seisei-deploy.XXXXXXXXXX") || exit 1; echo "dir=$d"`
      : `d=${shellQuote(dir)}`,
    `f="$d/"${shellQuote(file.name)}`,
    // Never over an existing entry (and set -C makes the redirection refuse one, too).
    `if [ -e "$f" ] || [ -L "$f" ]; then echo "$f exists already" >&2; exit 3; fi`,
    `cat > "$f" || { echo "cannot write $f" >&2; ${undo}; exit 3; }`,
    `h=$(sha256sum < "$f"); h=\${h%% *}`,
    `if [ "$h" = ${file.sha256} ]; then echo "sent=$h"; ` +
      `else echo "the file arrived with sha256 \${h:-?}, sent ${file.sha256}" >&2; ${undo}; exit 3; fi`,
  ].join('\n');
}
