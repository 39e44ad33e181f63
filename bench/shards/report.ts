// The bench's figures: small number formats and the table of rows printed at the end.
import { readFileSync } from 'node:fs';

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
export const load = (): string => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
export const sorted = (xs: number[]): number[] => [...xs].sort((a, b) => a - b);
export const med = (xs: number[]): number => sorted(xs)[Math.floor((xs.length - 1) / 2)] ?? Number.NaN;
export const s = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;
export const range = (xs: number[]): string =>
  xs.length === 0 ? '—' : `${s(med(xs))} (${s(sorted(xs)[0]!)}–${s(sorted(xs)[xs.length - 1]!)}, n=${xs.length})`;

export const rows: [string, string][] = [];
export const row = (what: string, value: string): void => {
  rows.push([what, value]);
  console.log(`[shards] ${what}: ${value}`);
};

/** A membership event: a revision window that overlaps [from, to] is a handover window. */
export interface Handover {
  from: number;
  to: number;
  what: string;
}
export const handovers: Handover[] = [];
