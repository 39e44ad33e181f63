// The daemon's event bus and its event types; Kubernetes Events as one of its subscribers.
export { EventBus, now, type Handlers, type Subscriber } from './bus.js';
export type {
  DaemonEvent,
  DaemonEventType,
  EventOf,
  SyncStarted,
  SyncApplied,
  SyncRefused,
  DriftCorrected,
  SourceFetched,
  SourceFailed,
  ImagePushed,
  ImageFailed,
  LeaderChanged,
  SyncTimed,
} from './types.js';
export { EventRecorder, type EventType } from './recorder.js';
export { recordSyncEvents, type EventSink } from './sync-events.js';
