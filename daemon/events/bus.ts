// The daemon's in-process event bus: producers (sync controllers, source pollers, image
// automation, leader election) publish typed events; consumers (status, metrics, Kubernetes
// Events, notifications: daemon/notify) subscribe. Delivery is synchronous and in publish order, so
// when `reconcile()` resolves, /status already shows its outcome. A failing subscriber never
// fails the producer nor starves the other subscribers: its error goes to `onError`.
import type { DaemonEvent, DaemonEventType, EventOf } from './types.js';

export type Subscriber = (event: DaemonEvent) => void;
/** One handler per event type, each optional. */
export type Handlers = { [T in DaemonEventType]?: (event: EventOf<T>) => void };

export class EventBus {
  private readonly subscribers = new Set<Subscriber>();

  constructor(
    /** Told about a subscriber that threw (with the event's type, never its content). */
    private readonly onError: (err: unknown, type: DaemonEventType) => void = () => undefined,
  ) {}

  publish(event: DaemonEvent): void {
    for (const s of [...this.subscribers]) {
      try {
        s(event);
      } catch (err) {
        this.onError(err, event.type);
      }
    }
  }

  /** Every event to `fn`; the returned function unsubscribes. */
  subscribe(fn: Subscriber): () => void {
    this.subscribers.add(fn);
    return () => {
      this.subscribers.delete(fn);
    };
  }

  /** Events of the types `handlers` names, each to its handler; the returned function unsubscribes. */
  on(handlers: Handlers): () => void {
    return this.subscribe((event) => {
      // The map is keyed by type, so the handler found takes exactly this event's type.
      const h = handlers[event.type] as ((e: DaemonEvent) => void) | undefined;
      h?.(event);
    });
  }
}

/** The current time as events carry it. */
export function now(): string {
  return new Date().toISOString();
}
