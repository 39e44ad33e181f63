export { LeaderElector, type LeaderCallbacks } from './elector.js';
export { leaseRequestOptions, LeaseStore, type LeaseRef, type StoredLease } from './lease-store.js';
export { DEFAULT_LEADER_ELECTION, defaultIdentity, leaderElectionOptions, type LeaderElectionOptions } from './options.js';
export { LeaderElectionConfigError, LeaseAccessError, LeaseConflictError } from './errors.js';
export { decide, leaseSeconds, observe, releasedRecord, type Clock, type Decision, type Observed } from './decide.js';
export { microTime, recordOf, type LeaseObject, type LeaseRecord } from './record.js';
export { homeKubeClient, homeLoadOptions } from './home-cluster.js';
export { sleep, within } from './wait.js';
