// The plaintext documents of the interop matrix. Every secret-looking value is a canary so the
// sweeps can prove no plaintext escaped into error text or temp files.
import type { CryptRule } from '../../keys/index.js';
import type { Canaries, Format } from './helpers.js';

export interface Doc {
  /** File name (the extension decides the format for sops and our CLI). */
  name: string;
  format: Format;
  text: string;
  /**
   * Crypt rule the keys API and sops are given explicitly. Our CLI gets no flag: for a
   * Kubernetes Secret it must pick `^(data|stringData)$` by itself.
   */
  rule?: CryptRule;
  /** Comment texts that must survive a round trip. */
  comments: string[];
  /** Lines that must stay readable (unencrypted) in the encrypted file. */
  plainLines: string[];
}

export const SECRET_REGEX = '^(data|stringData)$';

export function documents(c: Canaries): Doc[] {
  const secret: Doc = {
    name: 'secret.yaml',
    format: 'yaml',
    rule: { encryptedRegex: SECRET_REGEX },
    comments: [],
    plainLines: ['kind: Secret', 'name: db-credentials', 'namespace: apps'],
    text: [
      'apiVersion: v1',
      'kind: Secret',
      'metadata:',
      '  name: db-credentials',
      '  namespace: apps',
      '  labels:',
      '    app.kubernetes.io/name: db',
      'type: Opaque',
      'data:',
      `  password: ${c.b64('secret-data-password')}`,
      `  token: ${c.b64('secret-data-token')}`,
      'stringData:',
      '  config.yaml: |',
      '    user: admin',
      `    password: ${c.make('secret-stringdata-inner')}`,
      `  api-key: ${c.make('secret-stringdata-apikey')}`,
      '  empty: ""',
      '',
    ].join('\n'),
  };

  const types = {
    string: c.make('types-string'),
    int: 42,
    negative: -7,
    zero: 0,
    float: 3.25,
    bool_true: true,
    bool_false: false,
    nothing: null,
    empty: '',
    unicode: `grüße ✓ ${c.make('types-unicode')}`,
    list_of_maps: [
      { name: 'primary', secret: c.make('types-list-secret'), port: 5432 },
      { name: 'replica', nested: { deep: [1, 2.5, 'three', false], more: { key: c.make('types-deep') } } },
    ],
    scalars: ['a', 7, 0.5, true],
  };

  const typesYaml: Doc = {
    name: 'types.yaml',
    format: 'yaml',
    comments: [],
    plainLines: [],
    text: [
      `string: ${types.string}`,
      'int: 42',
      'negative: -7',
      'zero: 0',
      'float: 3.25',
      'bool_true: true',
      'bool_false: false',
      'nothing: null',
      'empty: ""',
      `unicode: "${types.unicode}"`,
      'list_of_maps:',
      '  - name: primary',
      `    secret: ${types.list_of_maps[0]?.secret as string}`,
      '    port: 5432',
      '  - name: replica',
      '    nested:',
      '      deep: [1, 2.5, "three", false]',
      '      more:',
      `        key: ${(types.list_of_maps[1] as { nested: { more: { key: string } } }).nested.more.key}`,
      'scalars: [a, 7, 0.5, true]',
      'multiline: |',
      `  first line ${c.make('types-multiline')}`,
      '  second line',
      '',
    ].join('\n'),
  };

  const typesJson: Doc = {
    name: 'types.json',
    format: 'json',
    comments: [],
    plainLines: [],
    text: `${JSON.stringify(types, null, 2)}\n`,
  };

  const commentA = `comment at the top ${c.make('comment-top')}`;
  const commentB = `comment before the password ${c.make('comment-before')}`;
  const commentC = `comment inside a list ${c.make('comment-list')}`;
  const comments: Doc = {
    name: 'comments.yaml',
    format: 'yaml',
    comments: [commentA, commentB, commentC],
    plainLines: [],
    text: [
      `# ${commentA}`,
      'database:',
      '  host: db.internal',
      `  # ${commentB}`,
      `  password: ${c.make('comments-password')}`,
      'users:',
      '  - alice',
      `  # ${commentC}`,
      '  - bob',
      '',
    ].join('\n'),
  };

  const multi: Doc = {
    name: 'multi.yaml',
    format: 'yaml',
    comments: [],
    plainLines: [],
    text: [
      'first:',
      `  secret: ${c.make('multi-first')}`,
      '  n: 1',
      '---',
      'second:',
      '  list:',
      `    - ${c.make('multi-second')}`,
      '    - 2',
      '---',
      `third: ${c.make('multi-third')}`,
      'flag: false',
      '',
    ].join('\n'),
  };

  return [secret, typesYaml, typesJson, comments, multi];
}
