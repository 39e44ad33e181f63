export const client = (): number => 1;
