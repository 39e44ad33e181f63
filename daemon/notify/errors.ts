// Why a delivery failed, as a fixed reason word (metrics label, status) plus a one-line detail
// that names the endpoint by its provider name — never by its URL (a Slack or Discord webhook
// URL is itself the credential) and never with a response body that could echo a token.

export type DeliveryFailure = 'timeout' | 'network' | 'http-4xx' | 'http-5xx' | 'rate-limited' | 'credentials' | 'payload';

export class DeliveryError extends Error {
  override readonly name = 'DeliveryError';
  constructor(
    readonly reason: DeliveryFailure,
    message: string,
    /** Whether sending again may succeed (timeouts, network errors, 429 and 5xx answers). */
    readonly retryable: boolean,
    /** The server's Retry-After, when it sent one. */
    readonly retryAfterMs?: number,
  ) {
    super(message);
  }
}
