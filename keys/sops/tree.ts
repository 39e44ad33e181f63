// The format-neutral tree the YAML and JSON stores expose, and the walk + crypt rules of
// getsops/sops sops.go (walkBranch/walkSlice/shouldBeEncrypted). Stores build this tree with
// setters that write straight back into their own document, so comments, key order and
// formatting of everything we do not touch survive.
import type { Leaf } from './cipher.js';

export interface CryptRule {
  encryptedRegex?: string;
  unencryptedRegex?: string;
  encryptedSuffix?: string;
  unencryptedSuffix?: string;
  encryptedCommentRegex?: string;
  unencryptedCommentRegex?: string;
}

export const DEFAULT_UNENCRYPTED_SUFFIX = '_unencrypted';

/** One comment line (text after '#'), writable in place. */
export interface CommentRef {
  text: string;
  set(text: string): void;
}

export interface LeafNode {
  t: 'leaf';
  leaf: Leaf;
  set(leaf: Leaf): void;
  /**
   * sops writes an encrypted comment inside a list as a list item (`- ENC[...,type:comment]`);
   * on decryption it becomes a comment again. Only sequence items support this.
   */
  toComment?(text: string): void;
}
export interface MapNode {
  t: 'map';
  items: MapItem[];
}
export interface SeqNode {
  t: 'seq';
  items: SeqItem[];
}
export interface NullNode {
  t: 'null';
}
export type TreeNode = LeafNode | MapNode | SeqNode | NullNode;
export type CommentItem = { t: 'comment'; c: CommentRef };
export type MapItem = CommentItem | { t: 'pair'; key: string; value: TreeNode };
export type SeqItem = CommentItem | TreeNode;

/** Thrown by rule validation; the file layer wraps it with the file name. */
export class RuleError extends Error {}

const RULE_KEYS = [
  'encryptedRegex',
  'unencryptedRegex',
  'encryptedSuffix',
  'unencryptedSuffix',
  'encryptedCommentRegex',
  'unencryptedCommentRegex',
] as const;

/** sops allows at most one crypt rule; with none, `unencrypted_suffix: _unencrypted` applies. */
export function normalizeRule(rule: CryptRule | undefined): CryptRule {
  const set = RULE_KEYS.filter((k) => rule?.[k] !== undefined && rule[k] !== '');
  if (set.length > 1) throw new RuleError(`only one crypt rule may be set, got ${set.join(', ')}`);
  if (set.length === 0) return { unencryptedSuffix: DEFAULT_UNENCRYPTED_SUFFIX };
  const k = set[0] as (typeof RULE_KEYS)[number];
  const out: CryptRule = { [k]: rule?.[k] };
  if (k.endsWith('Regex')) compile(out[k] as string);
  return out;
}

const regexCache = new Map<string, RegExp>();
function compile(src: string): RegExp {
  let re = regexCache.get(src);
  if (!re) {
    try {
      // Go RE2 syntax is, for the patterns people write here, a subset of JS syntax; the one
      // common RE2-only form is a leading (?i)/(?s)/(?m) flag group.
      const m = /^\(\?([ims]+)\)/.exec(src);
      re = m ? new RegExp(src.slice(m[0].length), m[1]) : new RegExp(src);
    } catch {
      throw new RuleError(`invalid crypt rule regex ${JSON.stringify(src)}`);
    }
    regexCache.set(src, re);
  }
  return re;
}

/** sops' Tree.shouldBeEncrypted, rule by rule in the same order. */
export function shouldBeEncrypted(
  rule: CryptRule,
  path: readonly string[],
  commentsStack: readonly (readonly string[])[],
  isComment: boolean,
): boolean {
  let encrypted = true;
  if (rule.unencryptedSuffix) {
    if (path.some((p) => p.endsWith(rule.unencryptedSuffix as string))) encrypted = false;
  }
  if (rule.encryptedSuffix) {
    encrypted = path.some((p) => p.endsWith(rule.encryptedSuffix as string));
  }
  if (rule.unencryptedRegex) {
    const re = compile(rule.unencryptedRegex);
    if (path.some((p) => re.test(p))) encrypted = false;
  }
  if (rule.encryptedRegex) {
    const re = compile(rule.encryptedRegex);
    encrypted = path.some((p) => re.test(p));
  }
  if (rule.unencryptedCommentRegex) {
    const re = compile(rule.unencryptedCommentRegex);
    if (commentsStack.some((cs) => cs.some((c) => re.test(c)))) encrypted = false;
  }
  if (rule.encryptedCommentRegex) {
    const re = compile(rule.encryptedCommentRegex);
    encrypted = false;
    const last = commentsStack.length - 1;
    outer: for (let i = 0; i < commentsStack.length; i++) {
      const cs = commentsStack[i] as readonly string[];
      for (let j = 0; j < cs.length; j++) {
        // The comment line that matches is itself left in clear (sops' special case).
        if (isComment && i === last && j === cs.length - 1) continue;
        if (re.test(cs[j] as string)) {
          encrypted = true;
          break outer;
        }
      }
    }
  }
  return encrypted;
}

export interface VisitLeaf {
  kind: 'value';
  node: LeafNode;
  path: readonly string[];
  encrypted: boolean;
}
export interface VisitComment {
  kind: 'comment';
  ref: CommentRef;
  path: readonly string[];
  encrypted: boolean;
  /** Keys of the mapping the comment sits in, for locating comments that moved a level. */
  siblingKeys: readonly string[];
}
export type Visit = VisitLeaf | VisitComment;

/**
 * Walks one document in sops order. Comments are visited too (they precede the values they
 * annotate); nulls are skipped, as sops skips nil. Map keys extend the path, list indices do not.
 */
export function walkDocument(root: MapNode, rule: CryptRule, visit: (v: Visit) => void): void {
  walkMap(root, [], [], rule, visit);
}

function walkMap(node: MapNode, path: string[], stackIn: string[][], rule: CryptRule, visit: (v: Visit) => void): void {
  const stack = [...stackIn, []];
  const top = (): string[] => stack[stack.length - 1] as string[];
  const siblingKeys = node.items.flatMap((i) => (i.t === 'pair' ? [i.key] : []));
  for (const item of node.items) {
    if (item.t === 'comment') {
      top().push(item.c.text);
      visit({ kind: 'comment', ref: item.c, path, encrypted: shouldBeEncrypted(rule, path, stack, true), siblingKeys });
      continue;
    }
    walkValue(item.value, [...path, item.key], stack, rule, visit);
    stack[stack.length - 1] = [];
  }
}

function walkSeq(node: SeqNode, path: string[], stackIn: string[][], rule: CryptRule, visit: (v: Visit) => void): void {
  const stack = [...stackIn, []];
  for (const item of node.items) {
    if (item.t === 'comment') {
      (stack[stack.length - 1] as string[]).push(item.c.text);
      visit({ kind: 'comment', ref: item.c, path, encrypted: shouldBeEncrypted(rule, path, stack, true), siblingKeys: [] });
      continue;
    }
    walkValue(item, path, stack, rule, visit);
    stack[stack.length - 1] = [];
  }
}

function walkValue(node: TreeNode, path: string[], stack: string[][], rule: CryptRule, visit: (v: Visit) => void): void {
  switch (node.t) {
    case 'map':
      return walkMap(node, path, stack, rule, visit);
    case 'seq':
      return walkSeq(node, path, stack, rule, visit);
    case 'leaf':
      return visit({ kind: 'value', node, path, encrypted: shouldBeEncrypted(rule, path, stack, false) });
    case 'null':
      return;
  }
}

/** Additional authenticated data for a value at `path`: "a:b:c:" (and ":" at the top level). */
export function aadFor(path: readonly string[]): string {
  return `${path.join(':')}:`;
}
