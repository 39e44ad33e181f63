// The User-Agent of a daemon replica's requests: names the replica, so the apiserver's audit
// log tells which replica wrote an object (issue 21 counts "no object written by two replicas
// in one revision" from it). The identity is the Lease identity (POD_NAME, else hostname_pid).

/** `gitops-seal (replica <identity>)`; replicaOfUserAgent reads it back. */
export function replicaUserAgent(identity: string): string {
  return `gitops-seal (replica ${identity})`;
}

/** The replica a User-Agent names, or undefined when it is not a replica's. */
export function replicaOfUserAgent(ua: string): string | undefined {
  return /^gitops-seal \(replica (.+)\)$/.exec(ua)?.[1];
}
