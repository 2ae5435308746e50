// Greedy up to the last "@" of the token: a password may itself contain "@", "/", "?" or "#".
const URL_WITH_PASSWORD = /([a-z][a-z0-9+.-]*:\/\/[^:/?#@\s]*:)([^\s]*)@/gi;

/** Replaces the password of a connection URL with "***". Leaves URLs without one untouched. */
export function redactUrl(url: string): string {
  return url.replace(URL_WITH_PASSWORD, "$1***@");
}

const utf8 = new TextEncoder();

/** A hex digit of a percent-encoding, in either case (%2f and %2F decode alike). */
function hexDigit(digit: string): string {
  return /[A-F]/.test(digit) ? `[${digit}${digit.toLowerCase()}]` : digit;
}

/**
 * Matches a secret as it may stand in text: each character as it is or percent-encoded (its
 * UTF-8 bytes as %XX, either case), in any mix. So the decoded password of a URL is found in its
 * encodeURIComponent form (p%40ss for p@ss) and as the user typed it in the URL.
 */
function secretPattern(secret: string): RegExp {
  let source = "";
  for (const char of secret) {
    const literal = char.replace(/[\\^$.*+?()[\]{}|/-]/g, "\\$&");
    const encoded = [...utf8.encode(char)]
      .map((byte) => {
        const hex = byte.toString(16).toUpperCase().padStart(2, "0");
        return `%${hexDigit(hex[0] as string)}${hexDigit(hex[1] as string)}`;
      })
      .join("");
    source += `(?:${literal}|${encoded})`;
  }
  return new RegExp(source, "g");
}

/**
 * Removes every known secret from free text (error messages, command output): URL passwords,
 * and each literal secret given, also where it stands percent-encoded as in a URL.
 */
export function redactText(text: string, secrets: readonly string[] = []): string {
  let out = redactUrl(text);
  for (const secret of secrets) {
    if (secret.length >= 3) out = out.replace(secretPattern(secret), "***");
  }
  return out;
}

// Password-bearing words of a shell command, whichever program they are given to: --password=X /
// --password X (and --something-password=X), *PASSWORD=X / *PWD=X environment assignments, and
// -pX (the value joined to -p; "-p 3306" is a port for some tools and a prompt for mysql).
const PASSWORD_OPTION = /(--password(?:=|\s+)|--[\w-]+-password=)("[^"]*"|'[^']*'|\S+)/gi;
const PASSWORD_ENV = /(\b[A-Z_]*(?:PASSWORD|PWD)=)("[^"]*"|'[^']*'|\S+)/g;
// A MySQL tool's -pX is a password whatever X is, digits too (mysql, mysqladmin, mariadb-dump,
// pt-kill, xtrabackup, ...).
const MYSQL_TOOL_P =
  /(\b(?:mysql|mariadb|pt-|xtrabackup|innobackupex|mydumper|myloader)[\w-]*[^|;&\n]*?\s-p)(?!\s)("[^"]*"|'[^']*'|\S+)/g;
// Any other program's -pX, as a word of its own: a password too, unless X is a number, which is a
// port for ssh, nc and the like (ssh -p22).
const ANY_P = /((?:^|[\s"'=])-p)(?!\s)("[^"]*"|'[^']*'|\S+)/g;

/**
 * A shell command (--crash-command and the like) with its secrets removed: those of redactText,
 * and passwords given as options or environment assignments.
 */
export function redactCommand(command: string, secrets: readonly string[] = []): string {
  return redactText(command, secrets)
    .replace(PASSWORD_OPTION, "$1***")
    .replace(PASSWORD_ENV, "$1***")
    .replace(MYSQL_TOOL_P, "$1***")
    .replace(ANY_P, (word: string, flag: string, value: string) =>
      /^\d+$/.test(value) ? word : `${flag}***`,
    );
}
