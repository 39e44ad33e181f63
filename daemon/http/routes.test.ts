import { describe, expect, it } from 'vitest';
import { DuplicateRouteError, RouteTable, type Route } from './routes.js';

const route = (method: Route['method'], path: string): Route => ({ method, path, handle: () => ({ status: 200, text: path }) });

describe('RouteTable', () => {
  const table = new RouteTable([
    { routes: [route('GET', '/status'), route('POST', '/hooks/:name')] },
    { routes: [route('POST', '/reconcile/:name')] },
  ]);

  it('matches exact paths by method', () => {
    expect(table.match('GET', '/status')?.route.path).toBe('/status');
    expect(table.match('POST', '/status')).toBeUndefined();
    expect(table.match('GET', '/status/')).toBeUndefined();
  });

  it('matches a prefix and exactly one non-empty segment, decoded', () => {
    expect(table.match('POST', '/hooks/repo')).toMatchObject({ name: 'repo', route: { path: '/hooks/:name' } });
    expect(table.match('POST', '/hooks/my%20repo')?.name).toBe('my repo');
    expect(table.match('POST', '/reconcile/apps')?.route.path).toBe('/reconcile/:name');
    expect(table.match('POST', '/hooks/')).toBeUndefined();
    expect(table.match('POST', '/hooks/a/b')).toBeUndefined();
    expect(table.match('GET', '/hooks/repo')).toBeUndefined();
    expect(table.match('POST', '/other/repo')).toBeUndefined();
  });

  it('a malformed %-escape names nothing (empty name), it is no error', () => {
    expect(table.match('POST', '/hooks/%E0%A4%A')?.name).toBe('');
  });

  it('refuses a method and path given twice, also across owners', () => {
    expect(() => new RouteTable([{ routes: [route('GET', '/metrics')] }, { routes: [route('GET', '/metrics')] }])).toThrow(
      DuplicateRouteError,
    );
    expect(() => new RouteTable([{ routes: [route('POST', '/hooks/:name'), route('POST', '/hooks/:name')] }])).toThrow(
      'HTTP route POST /hooks/:name is given twice',
    );
    expect(() => new RouteTable([{ routes: [route('GET', '/metrics'), route('POST', '/metrics')] }])).not.toThrow();
  });
});
