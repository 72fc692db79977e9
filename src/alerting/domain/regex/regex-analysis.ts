import { CharSet } from './char-set.js';
import { type RegexNode } from './regex-parser.js';

/** Structural facts about regex AST nodes, shared by the safety check and the prefilter. */

export function nullable(node: RegexNode): boolean {
  switch (node.kind) {
    case 'empty':
    case 'assert':
    case 'look':
    case 'backref':
      return true;
    case 'char':
      return false;
    case 'seq':
      return node.items.every(nullable);
    case 'alt':
      return node.options.some(nullable);
    case 'group':
      return nullable(node.body);
    case 'repeat':
      return node.min === 0 || nullable(node.body);
  }
}

/** Characters that can start a non-empty match of `node`. */
export function firstChars(node: RegexNode): CharSet {
  switch (node.kind) {
    case 'empty':
    case 'assert':
    case 'look':
      return CharSet.empty();
    case 'backref':
      return CharSet.any();
    case 'char':
      return node.set;
    case 'seq': {
      let set = CharSet.empty();
      for (const item of node.items) {
        set = set.union(firstChars(item));
        if (!nullable(item)) break;
      }
      return set;
    }
    case 'alt':
      return node.options.reduce((acc, o) => acc.union(firstChars(o)), CharSet.empty());
    case 'group':
    case 'repeat':
      return firstChars(node.body);
  }
}

/** Every character `node` can consume anywhere in its match. */
export function allChars(node: RegexNode): CharSet {
  switch (node.kind) {
    case 'empty':
    case 'assert':
    case 'look':
      return CharSet.empty();
    case 'backref':
      return CharSet.any();
    case 'char':
      return node.set;
    case 'seq':
      return node.items.reduce((acc, i) => acc.union(allChars(i)), CharSet.empty());
    case 'alt':
      return node.options.reduce((acc, o) => acc.union(allChars(o)), CharSet.empty());
    case 'group':
    case 'repeat':
      return allChars(node.body);
  }
}

/** True when some repeat inside `node` (including node itself) satisfies `pred`. */
export function someRepeat(
  node: RegexNode,
  pred: (r: Extract<RegexNode, { kind: 'repeat' }>) => boolean,
): boolean {
  switch (node.kind) {
    case 'repeat':
      return pred(node) || someRepeat(node.body, pred);
    case 'seq':
      return node.items.some((i) => someRepeat(i, pred));
    case 'alt':
      return node.options.some((o) => someRepeat(o, pred));
    case 'group':
    case 'look':
      return someRepeat(node.body, pred);
    default:
      return false;
  }
}

/** The fixed literal text every match of `node` starts with (lower-cased when folding). */
export function literalPrefix(node: RegexNode, fold: boolean): string {
  const parts: string[] = [];
  const walk = (n: RegexNode): boolean => {
    switch (n.kind) {
      case 'char':
        if (n.literal === null) return false;
        parts.push(fold ? n.literal.toLowerCase() : n.literal);
        return true;
      case 'group':
        return walk(n.body);
      case 'seq':
        for (const item of n.items) if (!walk(item)) return false;
        return true;
      case 'empty':
        return true;
      default:
        return false;
    }
  };
  walk(node);
  return parts.join('');
}

/**
 * Flattens a concatenation through plain (unquantified) groups, so `a(b.*)c` is seen as the
 * sequence a, b, .*, c for the adjacency check.
 */
export function flattenSeq(node: RegexNode): RegexNode[] {
  if (node.kind === 'seq') return node.items.flatMap(flattenSeq);
  if (node.kind === 'group') return flattenSeq(node.body);
  if (node.kind === 'empty') return [];
  return [node];
}
