import { CHAR_SETS, CharSet } from './char-set.js';

/**
 * A small parser for the JavaScript regex dialect (flags i, m, s, u), producing just enough
 * structure for the backtracking-risk analysis and the literal prefilter. It is strict on
 * purpose: anything it does not understand is reported as unsupported rather than guessed,
 * because a guess could hide a dangerous construct.
 */
export type RegexNode =
  | { readonly kind: 'empty' }
  | { readonly kind: 'char'; readonly set: CharSet; readonly literal: string | null }
  | { readonly kind: 'seq'; readonly items: readonly RegexNode[] }
  | { readonly kind: 'alt'; readonly options: readonly RegexNode[] }
  | {
      readonly kind: 'group';
      readonly body: RegexNode;
      readonly capture: boolean;
      readonly name: string | null;
    }
  | {
      readonly kind: 'look';
      readonly body: RegexNode;
      readonly behind: boolean;
      readonly negate: boolean;
    }
  | { readonly kind: 'assert'; readonly which: '^' | '$' | 'b' | 'B' }
  | {
      readonly kind: 'repeat';
      readonly body: RegexNode;
      readonly min: number;
      readonly max: number;
      readonly lazy: boolean;
    }
  | { readonly kind: 'backref'; readonly ref: string };

export interface ParsedRegex {
  readonly source: string;
  readonly flags: string;
  readonly ast: RegexNode;
  readonly groupNames: readonly string[];
}

export class RegexSyntaxError extends Error {
  constructor(
    message: string,
    readonly position: number,
  ) {
    super(message);
    this.name = 'RegexSyntaxError';
  }
}

const QUANTIFIER_RE = /^\{(\d+)(,(\d*))?\}/;

class Parser {
  private pos = 0;
  private readonly unicode: boolean;
  private readonly ignoreCase: boolean;
  private readonly dotAll: boolean;
  readonly groupNames: string[] = [];

  constructor(
    private readonly src: string,
    flags: string,
  ) {
    this.unicode = flags.includes('u');
    this.ignoreCase = flags.includes('i');
    this.dotAll = flags.includes('s');
  }

  parse(): RegexNode {
    const node = this.disjunction();
    if (this.pos < this.src.length) this.fail(`unmatched ")"`);
    return node;
  }

  private fail(reason: string, at = this.pos): never {
    throw new RegexSyntaxError(reason, at);
  }

  private peek(offset = 0): string {
    return this.src.charAt(this.pos + offset);
  }

  private disjunction(): RegexNode {
    const options = [this.alternative()];
    while (this.peek() === '|') {
      this.pos++;
      options.push(this.alternative());
    }
    return options.length === 1 ? options[0]! : { kind: 'alt', options };
  }

  private alternative(): RegexNode {
    const items: RegexNode[] = [];
    while (this.pos < this.src.length && this.peek() !== '|' && this.peek() !== ')') {
      items.push(this.term());
    }
    if (items.length === 0) return { kind: 'empty' };
    return items.length === 1 ? items[0]! : { kind: 'seq', items };
  }

  private term(): RegexNode {
    const start = this.pos;
    const c = this.peek();
    if (c === '^' || c === '$') {
      this.pos++;
      return this.noQuantifier({ kind: 'assert', which: c }, start);
    }
    if (c === '\\' && (this.peek(1) === 'b' || this.peek(1) === 'B')) {
      this.pos += 2;
      return this.noQuantifier(
        { kind: 'assert', which: this.src.charAt(start + 1) as 'b' | 'B' },
        start,
      );
    }
    if (c === '(' && this.src.startsWith('(?', this.pos)) {
      const look = /^\(\?(<?)([=!])/.exec(this.src.slice(this.pos, this.pos + 4));
      if (look) {
        this.pos += look[0].length;
        const body = this.disjunction();
        this.expect(')', start);
        const node: RegexNode = {
          kind: 'look',
          body,
          behind: look[1] === '<',
          negate: look[2] === '!',
        };
        return this.noQuantifier(node, start);
      }
    }
    const atom = this.atom();
    return this.quantified(atom);
  }

  private noQuantifier(node: RegexNode, start: number): RegexNode {
    const c = this.peek();
    if (
      c === '*' ||
      c === '+' ||
      c === '?' ||
      (c === '{' && QUANTIFIER_RE.test(this.src.slice(this.pos)))
    ) {
      this.fail('a quantifier cannot follow an assertion or lookaround', start);
    }
    return node;
  }

  private expect(ch: string, openedAt: number): void {
    if (this.peek() !== ch) this.fail(`missing "${ch}"`, openedAt);
    this.pos++;
  }

  private quantified(atom: RegexNode): RegexNode {
    const c = this.peek();
    let min: number;
    let max: number;
    if (c === '*') [min, max] = [0, Infinity];
    else if (c === '+') [min, max] = [1, Infinity];
    else if (c === '?') [min, max] = [0, 1];
    else if (c === '{') {
      const m = QUANTIFIER_RE.exec(this.src.slice(this.pos));
      if (!m) return atom; // a literal "{" (Annex B), handled by atom() next time round
      min = Number(m[1]);
      max = m[2] === undefined ? min : m[3] === '' ? Infinity : Number(m[3]);
      if (max < min) this.fail('numbers out of order in {} quantifier');
      this.pos += m[0].length - 1;
    } else return atom;
    this.pos++;
    let lazy = false;
    if (this.peek() === '?') {
      lazy = true;
      this.pos++;
    }
    const next = this.peek();
    if (next === '*' || next === '+' || next === '?') this.fail('nothing to repeat');
    return { kind: 'repeat', body: atom, min, max, lazy };
  }

  private atom(): RegexNode {
    const start = this.pos;
    const c = this.peek();
    switch (c) {
      case '(': {
        this.pos++;
        let capture = true;
        let name: string | null = null;
        if (this.peek() === '?') {
          if (this.peek(1) === ':') {
            capture = false;
            this.pos += 2;
          } else if (this.peek(1) === '<') {
            const m = /^\?<([A-Za-z_$][\w$]*)>/.exec(this.src.slice(this.pos));
            if (!m) this.fail('invalid capture group name');
            name = m[1]!;
            this.groupNames.push(name);
            this.pos += m[0].length;
          } else {
            this.fail(
              'unsupported group syntax (inline modifiers like (?i) are only allowed at the very start)',
            );
          }
        }
        const body = this.disjunction();
        this.expect(')', start);
        return { kind: 'group', body, capture, name };
      }
      case '[':
        return this.charClass();
      case '.':
        this.pos++;
        return { kind: 'char', set: this.dotAll ? CHAR_SETS.dotAll : CHAR_SETS.dot, literal: null };
      case '\\':
        return this.atomEscape();
      case '*':
      case '+':
      case '?':
        return this.fail('nothing to repeat');
      case ')':
        return this.fail('unmatched ")"');
      case '{':
        if (this.unicode || QUANTIFIER_RE.test(this.src.slice(this.pos)))
          this.fail('nothing to repeat');
        return this.literalChar();
      default:
        return this.literalChar();
    }
  }

  private literalChar(): RegexNode {
    const code = this.unicode ? this.src.codePointAt(this.pos)! : this.src.charCodeAt(this.pos);
    const text = String.fromCodePoint(code);
    this.pos += text.length;
    return this.charNode(code, text);
  }

  private charNode(code: number, text: string): RegexNode {
    let set = code > 0xffff ? CharSet.ofCodes([0xd800]) : CharSet.ofCodes([code]);
    if (this.ignoreCase) set = set.caseFolded();
    return { kind: 'char', set, literal: text };
  }

  private atomEscape(): RegexNode {
    const start = this.pos;
    this.pos++; // backslash
    const c = this.peek();
    if (c === '') this.fail('\\ at end of pattern', start);
    const cls = this.classEscape();
    if (cls) return { kind: 'char', set: cls, literal: null };
    if (/[1-9]/.test(c)) {
      const m = /^\d+/.exec(this.src.slice(this.pos))!;
      this.pos += m[0].length;
      return { kind: 'backref', ref: m[0] };
    }
    if (c === 'k' && this.peek(1) === '<') {
      const m = /^k<([^>]*)>/.exec(this.src.slice(this.pos));
      if (!m) this.fail('invalid named backreference', start);
      this.pos += m[0].length;
      return { kind: 'backref', ref: m[1]! };
    }
    const code = this.characterEscape(start);
    return this.charNode(code, String.fromCodePoint(code));
  }

  /** \d \D \s \S \w \W and \p{..} \P{..}; null when the escape is something else. */
  private classEscape(): CharSet | null {
    const c = this.peek();
    let set: CharSet | null = null;
    switch (c) {
      case 'd':
        set = CHAR_SETS.digit;
        break;
      case 'D':
        set = CHAR_SETS.digit.complement();
        break;
      case 's':
        set = CHAR_SETS.space;
        break;
      case 'S':
        set = CHAR_SETS.space.complement();
        break;
      case 'w':
        set =
          this.unicode && this.ignoreCase
            ? CHAR_SETS.word.union(CharSet.ofCodes([0x17f]))
            : CHAR_SETS.word;
        break;
      case 'W':
        set = CHAR_SETS.word.complement();
        break;
      case 'p':
      case 'P': {
        if (!this.unicode) return null;
        const m = /^[pP]\{[^}]*\}/.exec(this.src.slice(this.pos));
        if (!m) this.fail('invalid unicode property escape');
        this.pos += m[0].length;
        // Unknown membership: treat as "could be anything" so checks stay conservative.
        return CharSet.any();
      }
      default:
        return null;
    }
    this.pos++;
    return this.ignoreCase ? set.caseFolded() : set;
  }

  private characterEscape(start: number): number {
    const c = this.peek();
    this.pos++;
    switch (c) {
      case 't':
        return 9;
      case 'n':
        return 10;
      case 'v':
        return 11;
      case 'f':
        return 12;
      case 'r':
        return 13;
      case '0':
        if (/\d/.test(this.peek())) this.fail('octal escapes are not supported', start);
        return 0;
      case 'c': {
        const l = this.peek();
        if (!/[A-Za-z]/.test(l)) this.fail('invalid control escape', start);
        this.pos++;
        return l.charCodeAt(0) % 32;
      }
      case 'x': {
        const m = /^[0-9a-fA-F]{2}/.exec(this.src.slice(this.pos));
        if (!m) this.fail('invalid \\x escape', start);
        this.pos += 2;
        return parseInt(m[0], 16);
      }
      case 'u': {
        if (this.unicode && this.peek() === '{') {
          const m = /^\{([0-9a-fA-F]{1,6})\}/.exec(this.src.slice(this.pos));
          if (!m) this.fail('invalid \\u{} escape', start);
          this.pos += m[0].length;
          return parseInt(m[1]!, 16);
        }
        const m = /^[0-9a-fA-F]{4}/.exec(this.src.slice(this.pos));
        if (!m) this.fail('invalid \\u escape', start);
        this.pos += 4;
        return parseInt(m[0], 16);
      }
      default: {
        if (this.unicode && !/[\^$\\.*+?()[\]{}|/-]/.test(c))
          this.fail(`invalid escape \\${c}`, start);
        if (/[A-Za-z]/.test(c)) this.fail(`unknown escape \\${c}`, start);
        this.pos += c.length - 1;
        return c.codePointAt(0)!;
      }
    }
  }

  private charClass(): RegexNode {
    const start = this.pos;
    this.pos++;
    let negate = false;
    if (this.peek() === '^') {
      negate = true;
      this.pos++;
    }
    let set = CharSet.empty();
    while (this.peek() !== ']') {
      if (this.pos >= this.src.length) this.fail('unterminated character class', start);
      const from = this.classAtom();
      if (this.peek() === '-' && this.peek(1) !== ']' && this.peek(1) !== '') {
        this.pos++;
        const to = this.classAtom();
        if (typeof from !== 'number' || typeof to !== 'number') {
          if (this.unicode) this.fail('invalid character class range', start);
          set = set
            .union(toSet(from))
            .union(CharSet.ofCodes([45]))
            .union(toSet(to));
          continue;
        }
        if (to < from) this.fail('range out of order in character class', start);
        set = set.union(CharSet.range(from, to));
        continue;
      }
      set = set.union(toSet(from));
    }
    this.pos++;
    if (this.ignoreCase) set = set.caseFolded();
    if (negate) set = set.complement();
    return { kind: 'char', set, literal: null };
  }

  /** One class member: a code point, or a set for \d-style escapes. */
  private classAtom(): number | CharSet {
    const c = this.peek();
    if (c !== '\\') {
      const code = this.unicode ? this.src.codePointAt(this.pos)! : this.src.charCodeAt(this.pos);
      this.pos += code > 0xffff ? 2 : 1;
      return code;
    }
    const start = this.pos;
    this.pos++;
    const cls = this.classEscape();
    if (cls) return cls;
    if (this.peek() === 'b') {
      this.pos++;
      return 8;
    }
    if (this.peek() === '-') {
      this.pos++;
      return 45;
    }
    if (/[1-9]/.test(this.peek())) this.fail('backreferences are not allowed in a class', start);
    return this.characterEscape(start);
  }
}

function toSet(member: number | CharSet): CharSet {
  return typeof member === 'number' ? CharSet.ofCodes([member]) : member;
}

/** Parses `source` with `flags`; throws RegexSyntaxError. */
export function parseRegex(source: string, flags: string): ParsedRegex {
  const parser = new Parser(source, flags);
  const ast = parser.parse();
  return { source, flags, ast, groupNames: parser.groupNames };
}
