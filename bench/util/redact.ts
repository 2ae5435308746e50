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
