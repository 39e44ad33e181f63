// Typed errors of the fleet view: each names the object (the Lease group, the peer) and the cause.

/** The group's Leases could not be listed (RBAC, apiserver down, timeout). */
export class FleetLeaseError extends Error {
  constructor(
    readonly namespace: string,
    readonly group: string,
    cause: string,
  ) {
    super(`cannot list the Leases of shard group "${group}" in namespace "${namespace}": ${cause}`);
    this.name = 'FleetLeaseError';
  }
}

/** A peer replica did not give a usable answer (unreachable, timeout, not a status document). */
export class PeerError extends Error {
  constructor(
    readonly identity: string,
    readonly address: string,
    readonly reason: string,
  ) {
    super(`replica "${identity}" at ${address}: ${reason}`);
    this.name = 'PeerError';
  }
}
