// A file directly in daemon/ is its own node of the folder graph.
export const log = (): void => undefined;
