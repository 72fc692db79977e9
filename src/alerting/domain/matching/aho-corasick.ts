import { foldChar } from '../regex/regex-literals.js';

/**
 * A case-insensitive Aho–Corasick automaton compiled to a dense DFA over a reduced
 * alphabet: every UTF-16 code unit maps to a class (0 = "not in any pattern"), so one scan
 * of a line costs one table lookup per character whatever the number of patterns.
 *
 * Patterns must already be folded with foldCase(); text characters are folded through the
 * same table, so the scan never allocates a lower-cased copy of the line.
 */
let foldTable: Uint16Array | null = null;
let lowerTable: Uint16Array | null = null;

/** code unit -> folded code unit, computed once per process (about 10 ms). */
function tables(): { fold: Uint16Array; lower: Uint16Array } {
  if (!foldTable || !lowerTable) {
    foldTable = new Uint16Array(65536);
    lowerTable = new Uint16Array(65536);
    for (let c = 0; c < 65536; c++) {
      const ch = String.fromCharCode(c);
      const f = foldChar(ch);
      foldTable[c] = f.length === 1 ? f.charCodeAt(0) : c;
      const l = ch.toLowerCase();
      lowerTable[c] = l.length === 1 ? l.charCodeAt(0) : c;
    }
  }
  return { fold: foldTable, lower: lowerTable };
}

export class AhoCorasick {
  readonly patternCount: number;
  readonly stateCount: number;
  private readonly classes: Uint16Array;
  /** `classes` of the ASCII code units (a small table that stays in cache). */
  private readonly asciiClasses: Uint16Array;
  private readonly alphabetSize: number;
  /**
   * Transitions by row: a state's row is state × alphabetSize, and `rows[row + class]` is the
   * next state's row — bitwise-negated (so negative) when a pattern ends in that state. A scan
   * walks rows without a multiplication and reads the outputs only when the sign says so.
   */
  private readonly rows: Int32Array;
  private readonly outStart: Int32Array;
  private readonly outIds: Int32Array;

  constructor(patterns: readonly string[]) {
    this.patternCount = patterns.length;
    const { fold, lower } = tables();
    // Alphabet: class ids for the code units that occur in patterns.
    const classOf = new Map<number, number>();
    for (const p of patterns) {
      for (let i = 0; i < p.length; i++) {
        const c = p.charCodeAt(i);
        if (!classOf.has(c)) classOf.set(c, classOf.size + 1);
      }
    }
    this.alphabetSize = classOf.size + 1;
    this.classes = new Uint16Array(65536);
    if (classOf.size > 0) {
      for (let c = 0; c < 65536; c++) {
        this.classes[c] = classOf.get(fold[c]!) ?? classOf.get(lower[c]!) ?? classOf.get(c) ?? 0;
      }
    }

    // Trie.
    const children: Array<Map<number, number>> = [new Map<number, number>()];
    const outputs: number[][] = [[]];
    patterns.forEach((p, id) => {
      let s = 0;
      for (let i = 0; i < p.length; i++) {
        const cls = classOf.get(p.charCodeAt(i))!;
        let next = children[s]!.get(cls);
        if (next === undefined) {
          next = children.length;
          children.push(new Map<number, number>());
          outputs.push([]);
          children[s]!.set(cls, next);
        }
        s = next;
      }
      outputs[s]!.push(id);
    });
    this.stateCount = children.length;

    // Breadth-first failure links, folded into a full transition table.
    const A = this.alphabetSize;
    const delta = new Int32Array(this.stateCount * A);
    const fail = new Int32Array(this.stateCount);
    const queue: number[] = [];
    for (let a = 0; a < A; a++) {
      const next = children[0]!.get(a);
      if (next !== undefined) {
        delta[a] = next;
        queue.push(next);
      }
    }
    for (let qi = 0; qi < queue.length; qi++) {
      const s = queue[qi]!;
      const f = fail[s]!;
      for (const id of outputs[f]!) if (!outputs[s]!.includes(id)) outputs[s]!.push(id);
      for (let a = 0; a < A; a++) {
        const next = children[s]!.get(a);
        if (next !== undefined) {
          fail[next] = delta[f * A + a]!;
          delta[s * A + a] = next;
          queue.push(next);
        } else {
          delta[s * A + a] = delta[f * A + a]!;
        }
      }
    }
    const rows = new Int32Array(delta.length);
    for (let i = 0; i < delta.length; i++) {
      const next = delta[i]!;
      rows[i] = outputs[next]!.length > 0 ? ~(next * A) : next * A;
    }
    this.rows = rows;
    this.asciiClasses = this.classes.slice(0, 0x80);
    this.outStart = new Int32Array(this.stateCount + 1);
    let total = 0;
    for (let s = 0; s < this.stateCount; s++) {
      this.outStart[s] = total;
      total += outputs[s]!.length;
    }
    this.outStart[this.stateCount] = total;
    this.outIds = new Int32Array(total);
    let k = 0;
    for (let s = 0; s < this.stateCount; s++) for (const id of outputs[s]!) this.outIds[k++] = id;
  }

  /**
   * `scan` over the bytes [start, end) of an ASCII text (UTF-8 whose bytes are all below 0x80:
   * each byte is then the text's UTF-16 code unit, so the result is `scan`'s). Returns false,
   * with `found` incomplete, at the first byte that is not ASCII: the caller scans the decoded
   * text instead.
   */
  scanAscii(
    bytes: Uint8Array,
    start: number,
    end: number,
    seen: Int32Array,
    gen: number,
    found: number[],
  ): boolean {
    const ascii = this.asciiClasses;
    const rows = this.rows;
    let row = 0;
    for (let i = start; i < end; i++) {
      const b = bytes[i]!;
      if (b >= 0x80) return false;
      row = rows[row + ascii[b]!]!;
      if (row < 0) row = this.report(row, seen, gen, found);
    }
    return true;
  }

  /**
   * Scans `text`; for each pattern found for the first time in this scan, sets
   * `seen[id] = gen` and pushes the id to `found`. Pass a new `gen` per scan.
   */
  scan(text: string, seen: Int32Array, gen: number, found: number[]): void {
    const classes = this.classes;
    const rows = this.rows;
    let row = 0;
    for (let i = 0; i < text.length; i++) {
      row = rows[row + classes[text.charCodeAt(i)]!]!;
      if (row < 0) row = this.report(row, seen, gen, found);
    }
  }

  /**
   * A scan reached a state where patterns end (`marked`: its row, negated): each one not yet
   * seen in this scan is marked `seen[id] = gen` and pushed to `found`. Returns the state's row.
   */
  private report(marked: number, seen: Int32Array, gen: number, found: number[]): number {
    const row = ~marked;
    const state = row / this.alphabetSize;
    const outIds = this.outIds;
    for (let k = this.outStart[state]!, to = this.outStart[state + 1]!; k < to; k++) {
      const id = outIds[k]!;
      if (seen[id] !== gen) {
        seen[id] = gen;
        found.push(id);
      }
    }
    return row;
  }
}
