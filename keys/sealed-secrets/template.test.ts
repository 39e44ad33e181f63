import { describe, expect, it } from 'vitest';
import { renderTemplate } from './template.js';

const values = new Map([
  ['user', Buffer.from('app')],
  ['pass', Buffer.from('p@ss')],
  ['dotted.key', Buffer.from('d')],
]);
const render = (s: string) => {
  const r = renderTemplate(s, values);
  return r.ok ? r.value.toString() : `ERR ${r.why}`;
};

describe('renderTemplate (the Go text/template subset of spec.template.data)', () => {
  it('renders literal text, fields and index, with trim markers, as Go would', () => {
    expect(render('plain')).toBe('plain');
    expect(render('postgres://{{ .user }}:{{.pass}}@db/app')).toBe('postgres://app:p@ss@db/app');
    expect(render('{{ index . "dotted.key" }}')).toBe('d');
    expect(render('a  {{- .user -}}  b')).toBe('aappb');
    expect(render('{{ .missing }}')).toBe('<no value>');
  });

  it('refuses what it cannot evaluate, without quoting any value', () => {
    expect(render('{{ .pass | b64enc }}')).toMatch(/^ERR uses template functions/);
    expect(render('{{ if .user }}x{{ end }}')).toMatch(/^ERR uses template functions/);
    expect(render('x {{ .user')).toBe('ERR has an unterminated template action');
  });
});
