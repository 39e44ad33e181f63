// The syntax of age recipients, with no dependency on the age library: the CLI checks what the
// user typed before it loads any crypto code.

/**
 * X25519 recipients (`age1` + 58 bech32 chars) and the post-quantum hybrid ML-KEM-768+X25519
 * recipients of age 1.3 (`age1pq1…`, ~1,950 chars), which age-encryption supports too.
 */
export function isAgeRecipient(r: string): boolean {
  return /^age1[023456789acdefghjklmnpqrstuvwxyz]{58}$/.test(r) || /^age1pq1[023456789acdefghjklmnpqrstuvwxyz]{1000,3000}$/.test(r);
}

/**
 * Why `r` cannot be used as an age recipient, or undefined when it can. The answer never quotes
 * `r`: a string pasted where a recipient belongs may be a private key (`AGE-SECRET-KEY-1…`), and
 * an error message is the last place it should be copied to.
 */
export function recipientProblem(r: string): string | undefined {
  if (isAgeRecipient(r)) return undefined;
  if (/^AGE-SECRET-KEY-/i.test(r.trim())) {
    return 'is an age PRIVATE key (AGE-SECRET-KEY-…), not a recipient: give its public key (age1…, printed by `age-keygen -y`), and treat this private key as exposed if it was shared';
  }
  return 'is not an age recipient (expected age1… or age1pq1…)';
}
