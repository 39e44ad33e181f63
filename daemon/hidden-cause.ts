// An error that wraps a lower-level failure keeps it as `cause` for debugging and for callers that
// classify it, but the raw cause is unvetted: a URL with credentials, a server's response body, a
// request's headers. Its text was already redacted into the wrapping error's own message; the
// raw value must travel no further. Hidden as a non-enumerable, read-only property it is skipped
// by JSON.stringify, object spread and for…in — so by every JSON log line, Event or status
// document built from the error's own properties (daemon/log.ts copies exactly those) — while
// `err.cause` still reads it. (pino appends an Error cause's *message* to the logged message;
// daemon/log.ts scrubs that text by shape like every other string of the line.)

/** Set `err.cause` to `cause`, hidden from serialisation as above. */
export function hideCause(err: Error, cause: unknown): void {
  Object.defineProperty(err, 'cause', { value: cause, enumerable: false, writable: false });
}
