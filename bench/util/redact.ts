// Greedy up to the last "@" of the token: a password may itself contain "@", "/", "?" or "#".
const URL_WITH_PASSWORD = /([a-z][a-z0-9+.-]*:\/\/[^:/?#@\s]*:)([^\s]*)@/gi;

/** Replaces the password of a connection URL with "***". Leaves URLs without one untouched. */
export function redactUrl(url: string): string {
  return url.replace(URL_WITH_PASSWORD, "$1***@");
}

/**
 * Removes every known secret from free text (error messages, command output): URL passwords,
 * and each literal secret given.
 */
export function redactText(text: string, secrets: readonly string[] = []): string {
  let out = redactUrl(text);
  for (const secret of secrets) {
    if (secret.length >= 3) out = out.split(secret).join("***");
  }
  return out;
}

// Password-bearing words of a shell command: --password=X / --password X, *PASSWORD=X / *PWD=X
// environment assignments, and a MySQL client's -pX.
const PASSWORD_OPTION = /(--password(?:=|\s+))("[^"]*"|'[^']*'|\S+)/gi;
const PASSWORD_ENV = /(\b[A-Z_]*(?:PASSWORD|PWD)=)("[^"]*"|'[^']*'|\S+)/g;
const MYSQL_CLIENT_P =
  /(\b(?:mysql|mariadb|mysqladmin|mariadb-admin|mysqldump|mariadb-dump)\b[^|;&\n]*?\s-p)(?!\s)("[^"]*"|'[^']*'|\S+)/g;

/**
 * A shell command (--crash-command and the like) with its secrets removed: those of redactText,
 * and passwords given as options or environment assignments.
 */
export function redactCommand(command: string, secrets: readonly string[] = []): string {
  return redactText(command, secrets)
    .replace(PASSWORD_OPTION, "$1***")
    .replace(PASSWORD_ENV, "$1***")
    .replace(MYSQL_CLIENT_P, "$1***");
}
