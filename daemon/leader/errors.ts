// Errors of leader election, each naming the Lease and what was attempted, so one log line says
// which object, which call and why (RBAC, missing namespace, apiserver down).

/** Bad election settings (flags): reported before anything starts. */
export class LeaderElectionConfigError extends Error {
  override readonly name = 'LeaderElectionConfigError';
}

/** Another replica wrote the Lease between our read and our write (409). Expected under contention. */
export class LeaseConflictError extends Error {
  override readonly name = 'LeaseConflictError';
  constructor(
    readonly lease: string,
    readonly operation: 'create' | 'update',
  ) {
    super(`lease ${lease}: ${operation} lost a race with another replica (409 Conflict); will look again`);
  }
}

/** A Lease call failed for another reason (no answer, Forbidden, namespace missing …). */
export class LeaseAccessError extends Error {
  override readonly name = 'LeaseAccessError';
  constructor(
    readonly lease: string,
    readonly operation: 'get' | 'create' | 'update',
    readonly status: number | undefined,
    detail: string,
    hint?: string,
  ) {
    super(`lease ${lease}: ${operation} failed: ${detail}${hint ? ` (${hint})` : ''}`);
  }
}
