/**
 * An over-approximation of the set of UTF-16 code units a regex atom can consume. ASCII is
 * tracked exactly (a 128-bit map); everything above is summarised as none / some / all,
 * which is all the safety analysis needs: it only asks "can these two atoms match the same
 * character?" and "can this atom absorb every character of that one?", and answers
 * conservatively (towards "yes", i.e. towards rejecting a pattern) when unsure.
 */
export type NonAscii = 'none' | 'some' | 'all';

export class CharSet {
  private constructor(
    private readonly bits: Uint32Array,
    readonly nonAscii: NonAscii,
  ) {}

  static empty(): CharSet {
    return new CharSet(new Uint32Array(4), 'none');
  }

  static any(): CharSet {
    return new CharSet(Uint32Array.from([~0, ~0, ~0, ~0]), 'all');
  }

  static ofCodes(codes: readonly number[], nonAscii: NonAscii = 'none'): CharSet {
    const bits = new Uint32Array(4);
    let extra: NonAscii = nonAscii;
    for (const code of codes) {
      if (code < 128) bits[code >>> 5]! |= 1 << (code & 31);
      else if (extra === 'none') extra = 'some';
    }
    return new CharSet(bits, extra);
  }

  static range(from: number, to: number): CharSet {
    const bits = new Uint32Array(4);
    for (let c = from; c <= Math.min(to, 127); c++) bits[c >>> 5]! |= 1 << (c & 31);
    const nonAscii: NonAscii = to < 128 ? 'none' : from <= 128 && to >= 0xffff ? 'all' : 'some';
    return new CharSet(bits, nonAscii);
  }

  union(other: CharSet): CharSet {
    const bits = new Uint32Array(4);
    for (let i = 0; i < 4; i++) bits[i] = this.bits[i]! | other.bits[i]!;
    return new CharSet(bits, maxNonAscii(this.nonAscii, other.nonAscii));
  }

  /** Complement within the code-unit space (a negated class or \D, \S, \W). */
  complement(): CharSet {
    const bits = new Uint32Array(4);
    for (let i = 0; i < 4; i++) bits[i] = ~this.bits[i]! >>> 0;
    const nonAscii: NonAscii =
      this.nonAscii === 'none' ? 'all' : this.nonAscii === 'all' ? 'none' : 'some';
    return new CharSet(bits, nonAscii);
  }

  has(code: number): boolean {
    if (code >= 128) return this.nonAscii !== 'none';
    return (this.bits[code >>> 5]! & (1 << (code & 31))) !== 0;
  }

  isEmpty(): boolean {
    return this.nonAscii === 'none' && this.bits.every((w) => w === 0);
  }

  /** Conservative: non-ASCII parts are assumed to meet unless one side has none. */
  intersects(other: CharSet): boolean {
    for (let i = 0; i < 4; i++) if ((this.bits[i]! & other.bits[i]!) !== 0) return true;
    return this.nonAscii !== 'none' && other.nonAscii !== 'none';
  }

  /** Conservative towards true: "some" non-ASCII is assumed covered by "some". */
  isSubsetOf(other: CharSet): boolean {
    for (let i = 0; i < 4; i++) if ((this.bits[i]! & ~other.bits[i]!) !== 0) return false;
    if (this.nonAscii === 'none') return true;
    return other.nonAscii !== 'none';
  }

  /** Adds the other ASCII case of every letter (the `i` flag). */
  caseFolded(): CharSet {
    const bits = Uint32Array.from(this.bits);
    for (let c = 65; c <= 90; c++) {
      const lower = c + 32;
      if (this.has(c) || this.has(lower)) {
        bits[c >>> 5]! |= 1 << (c & 31);
        bits[lower >>> 5]! |= 1 << (lower & 31);
      }
    }
    return new CharSet(bits, this.nonAscii);
  }

  /** The ASCII members, when there are at most `max` of them and nothing non-ASCII. */
  smallMembers(max: number): number[] | null {
    if (this.nonAscii !== 'none') return null;
    const out: number[] = [];
    for (let c = 0; c < 128; c++) {
      if (this.has(c)) {
        out.push(c);
        if (out.length > max) return null;
      }
    }
    return out;
  }
}

function maxNonAscii(a: NonAscii, b: NonAscii): NonAscii {
  if (a === 'all' || b === 'all') return 'all';
  if (a === 'some' || b === 'some') return 'some';
  return 'none';
}

const DIGITS = CharSet.range(48, 57);
const WORD = CharSet.range(48, 57)
  .union(CharSet.range(65, 90))
  .union(CharSet.range(97, 122))
  .union(CharSet.ofCodes([95]));
const SPACE = CharSet.ofCodes([9, 10, 11, 12, 13, 32], 'some');
const LINE_TERMINATORS = CharSet.ofCodes([10, 13, 0x2028, 0x2029]);

export const CHAR_SETS = {
  digit: DIGITS,
  word: WORD,
  space: SPACE,
  /** `.` without the s flag: everything but line terminators (non-ASCII stays "all"). */
  dot: CharSet.ofCodes([10, 13]).complement(),
  dotAll: CharSet.any(),
  lineTerminators: LINE_TERMINATORS,
} as const;
