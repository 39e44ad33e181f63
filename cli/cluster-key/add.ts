// `cluster-key add PATH_REGEX`: put the cluster recipient into the `.sops.yaml` creation rule
// whose path_regex is PATH_REGEX and record its pin, editing the user's file through the `yaml`
// Document API so that comments, order and quoting of everything else stay as they were.
//
// The rule gets a plain age recipient (sops reads it like any other). After an accepted
// rotation the new recipient *replaces* the old one in every rule that named it: new files are
// encrypted to the current key only, and existing files keep their old stanza (the cluster still
// decrypts with its retired key) until `gitops-seal updatekeys` moves them.
import { isMap, isScalar, isSeq, parseDocument, Scalar, YAMLMap, YAMLSeq, type Document } from 'yaml';
import { ConfigError, sanitizeMessage } from '../errors.js';
import { PINS_KEY, type ClusterKeyPin } from './pins.js';

export interface FetchedKey {
  readonly recipient: string;
  readonly fingerprint: string;
  readonly retired: readonly string[];
}

export interface AddRequest {
  readonly pathRegex: string;
  readonly pinName: string;
  readonly key: FetchedKey;
  /** The pin already recorded under pinName, if any (checked by the caller). */
  readonly pinned: ClusterKeyPin | undefined;
}

export interface AddResult {
  readonly text: string;
  /** Human-readable lines of what changed (empty: nothing to write). */
  readonly changes: string[];
}

type Rule = YAMLMap<unknown, unknown>;

function ruleList(doc: Document, configPath: string): YAMLSeq<unknown> {
  const rules = doc.get('creation_rules', true);
  if (rules === undefined || rules === null || (isScalar(rules) && rules.value === null)) {
    const seq = new YAMLSeq<unknown>();
    doc.set('creation_rules', seq);
    return seq;
  }
  if (!isSeq(rules)) throw new ConfigError('creation_rules must be a list', configPath);
  // `creation_rules: []` would otherwise grow into one long flow-style line.
  if (rules.flow && rules.items.length === 0) rules.flow = false;
  return rules;
}

function pathRegexOf(rule: Rule): string | undefined {
  const v = rule.get('path_regex');
  return typeof v === 'string' && v !== '' ? v : undefined;
}

/** Age recipients held by one rule's `age` node (a comma-separated string or a list). */
function ageNodes(rule: Rule): Array<{ owner: YAMLMap<unknown, unknown>; key: string }> {
  const groups = rule.get('key_groups', true);
  if (isSeq(groups) && groups.items.length > 0) {
    return groups.items.filter((g): g is YAMLMap<unknown, unknown> => isMap(g)).map((g) => ({ owner: g, key: 'age' }));
  }
  return [{ owner: rule, key: 'age' }];
}

function listOf(node: unknown): string[] {
  if (isScalar(node) && typeof node.value === 'string') {
    return node.value
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s !== '');
  }
  if (isSeq(node)) return node.items.map((i) => (isScalar(i) ? String(i.value).trim() : '')).filter((s) => s !== '');
  return [];
}

/** Add `recipient` to one age node, in the form the user wrote it. True when it changed. */
function addTo(owner: YAMLMap<unknown, unknown>, key: string, recipient: string, inGroup: boolean): boolean {
  const node = owner.get(key, true);
  if (listOf(node).includes(recipient)) return false;
  if (isSeq(node)) node.add(new Scalar(recipient));
  else if (isScalar(node) && typeof node.value === 'string' && node.value.trim() !== '') {
    node.value = `${node.value.replace(/[\s,]+$/, '')},${recipient}`;
  } else if (inGroup) {
    // key_groups' age is a list in sops' schema.
    const seq = new YAMLSeq<unknown>();
    seq.add(new Scalar(recipient));
    owner.set(key, seq);
  } else owner.set(key, recipient);
  return true;
}

/** Replace `from` by `to` in one age node; true when it changed. */
function replaceIn(owner: YAMLMap<unknown, unknown>, key: string, from: string, to: string): boolean {
  const node = owner.get(key, true);
  if (!listOf(node).includes(from)) return false;
  if (isSeq(node)) {
    const have = listOf(node).includes(to);
    node.items = node.items.flatMap((i) => {
      if (!isScalar(i) || String(i.value).trim() !== from) return [i];
      if (have) return [];
      i.value = to;
      return [i];
    });
  } else if (isScalar(node) && typeof node.value === 'string') {
    let hasTo = listOf(node).includes(to);
    const out: string[] = [];
    for (const raw of node.value.split(',')) {
      if (raw.trim() !== from) out.push(raw);
      else if (!hasTo) {
        out.push(raw.replace(from, to));
        hasTo = true;
      }
    }
    node.value = out.join(',');
  }
  return true;
}

/** A rule that matches every path: anything appended after it would never be used. */
function matchesEverything(rule: Rule): boolean {
  const pr = pathRegexOf(rule);
  return pr === undefined || pr === '.*' || pr === '^.*$' || pr === '.*$' || pr === '^.*';
}

function setPin(doc: Document, name: string, key: FetchedKey, retired: readonly string[]): void {
  const pin = new YAMLMap<unknown, unknown>();
  pin.set('recipient', key.recipient);
  pin.set('fingerprint', key.fingerprint);
  if (retired.length > 0) {
    const seq = new YAMLSeq<unknown>();
    for (const r of retired) seq.add(new Scalar(r));
    pin.set('retired', seq);
  }
  if (!doc.has(PINS_KEY)) {
    const section = new YAMLMap<unknown, unknown>();
    section.set('clusterKeys', new YAMLMap<unknown, unknown>());
    const pair = doc.createPair(PINS_KEY, section);
    (pair.key as Scalar).commentBefore = ' Fingerprint pins of cluster-held keys (gitops-seal cluster-key add); sops ignores this key.';
    (doc.contents as YAMLMap<unknown, unknown>).items.push(pair);
  }
  const section = doc.get(PINS_KEY, true);
  if (!isMap(section)) throw new Error(`${PINS_KEY} must be a mapping`);
  if (!isMap(section.get('clusterKeys', true))) section.set('clusterKeys', new YAMLMap<unknown, unknown>());
  doc.setIn([PINS_KEY, 'clusterKeys', name], pin);
}

/** Apply `add` to the text of a `.sops.yaml` (empty for a new file). */
export function applyAdd(configText: string, configPath: string, req: AddRequest): AddResult {
  const doc: Document = parseDocument(configText, { logLevel: 'error' });
  if (doc.errors.length > 0) throw new ConfigError(sanitizeMessage(doc.errors[0]), configPath);
  if (doc.contents === null || (isScalar(doc.contents) && doc.contents.value === null)) doc.contents = new YAMLMap();
  if (!isMap(doc.contents)) throw new ConfigError('expected a mapping at the top level', configPath);
  const pinsSection = doc.get(PINS_KEY, true);
  if (pinsSection !== undefined && !isMap(pinsSection)) throw new ConfigError(`${PINS_KEY} must be a mapping`, configPath);

  const rules = ruleList(doc, configPath);
  const changes: string[] = [];
  const { key, pinned } = req;
  const rotating = pinned !== undefined && pinned.recipient !== key.recipient;

  // 1. A rotation accepted: the new recipient takes the old one's place wherever it was.
  if (rotating) {
    rules.items.forEach((r, i) => {
      if (!isMap(r)) return;
      for (const { owner, key: k } of ageNodes(r)) {
        if (replaceIn(owner, k, pinned.recipient, key.recipient))
          changes.push(`creation_rules[${i}]: replaced ${pinned.fingerprint} by ${key.fingerprint}`);
      }
    });
  }

  // 2. The rule for PATH_REGEX, found by exact path_regex, or created.
  let index = rules.items.findIndex((r) => isMap(r) && pathRegexOf(r) === req.pathRegex);
  if (index < 0) {
    const rule = new YAMLMap<unknown, unknown>();
    rule.set('path_regex', req.pathRegex);
    rule.set('age', key.recipient);
    // First match wins in sops: a new rule goes before a catch-all rule, else it would be dead.
    const catchAll = rules.items.findIndex((r) => isMap(r) && matchesEverything(r));
    index = catchAll >= 0 ? catchAll : rules.items.length;
    rules.items.splice(index, 0, rule);
    changes.push(
      `creation_rules[${index}]: new rule for path_regex ${JSON.stringify(req.pathRegex)} with the cluster recipient ${key.fingerprint}`,
    );
  } else {
    const rule = rules.items[index] as Rule;
    const groups = rule.get('key_groups', true);
    const inGroup = isSeq(groups) && groups.items.length > 0;
    const target = ageNodes(rule)[0];
    if (target && addTo(target.owner, target.key, key.recipient, inGroup)) {
      changes.push(`creation_rules[${index}]: added the cluster recipient ${key.fingerprint}`);
    }
  }

  // 3. The pin: the current recipient, and every recipient pinned before it as retired.
  const retired = rotating
    ? [pinned.recipient, ...pinned.retired.filter((r) => r !== key.recipient && r !== pinned.recipient)]
    : (pinned?.retired ?? []);
  if (pinned === undefined || rotating) {
    setPin(doc, req.pinName, key, retired);
    changes.push(`${PINS_KEY}.clusterKeys.${req.pinName}: pinned ${key.fingerprint}${rotating ? ` (was ${pinned.fingerprint})` : ''}`);
  }
  if (changes.length === 0) return { text: configText, changes };
  return { text: doc.toString({ lineWidth: 0 }), changes };
}
