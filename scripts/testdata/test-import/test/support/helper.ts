// A test helper.
export const helper = (): string => 'help';
