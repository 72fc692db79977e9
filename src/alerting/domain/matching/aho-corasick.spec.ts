import { foldCase } from '../regex/regex-literals.js';
import { AhoCorasick } from './aho-corasick.js';

function scan(patterns: string[], text: string): string[] {
  const ac = new AhoCorasick(patterns.map(foldCase));
  const found: number[] = [];
  ac.scan(text, new Int32Array(patterns.length), 1, found);
  return found.map((i) => patterns[i]!).sort();
}

describe('AhoCorasick', () => {
  it('finds every pattern, including overlapping and nested ones', () => {
    expect(scan(['he', 'she', 'his', 'hers'], 'ushers')).toEqual(['he', 'hers', 'she']);
    expect(scan(['abc', 'bc', 'c', 'abcd'], 'xxabcxx')).toEqual(['abc', 'bc', 'c']);
  });

  it('matches case-insensitively without copying the text', () => {
    expect(scan(['out of memory', 'OOM'], 'Kernel: OUT OF MEMORY, oom killer')).toEqual([
      'OOM',
      'out of memory',
    ]);
    expect(scan(['straße', 'σίσυφος'], 'STRASSE STRAßE ΣΊΣΥΦΟΣ')).toEqual(['straße', 'σίσυφος']);
  });

  it('reports each pattern once per scan and nothing on an empty automaton', () => {
    expect(scan(['ab'], 'ab ab ab')).toEqual(['ab']);
    expect(scan([], 'anything')).toEqual([]);
  });

  it('agrees with a substring search on random text', () => {
    const patterns = ['aab', 'ab', 'ba', 'bab', 'abba', 'b'];
    const ac = new AhoCorasick(patterns);
    const seen = new Int32Array(patterns.length);
    let x = 7;
    for (let gen = 1; gen <= 500; gen++) {
      let text = '';
      for (let i = 0; i < 12; i++) {
        x = (x * 1103515245 + 12345) & 0x7fffffff;
        text += x % 3 === 0 ? 'a' : x % 3 === 1 ? 'b' : 'c';
      }
      const found: number[] = [];
      ac.scan(text, seen, gen, found);
      const expected = patterns.map((p, i) => (text.includes(p) ? i : -1)).filter((i) => i >= 0);
      expect([text, found.sort()]).toEqual([text, expected]);
    }
  });

  it('scans ASCII bytes as it scans the same text, between other bytes, and stops at non-ASCII', () => {
    const patterns = ['Failed password', 'oom', 'ab', 'bab', 'b c', 'error state'].map(foldCase);
    const ac = new AhoCorasick(patterns);
    const seen = new Int32Array(patterns.length);
    const alphabet = 'abc OMEFailed passwordoERROR State';
    let x = 11;
    let hits = 0;
    for (let gen = 1; gen <= 600; gen += 2) {
      let text = '';
      for (let i = 0; i < 30; i++) {
        x = (Math.imul(x, 1103515245) + 12345) & 0x7fffffff;
        text += alphabet[(x >>> 16) % alphabet.length];
      }
      const bytes = Buffer.concat([
        Buffer.from([0x6f, 0x6f, 0x6d, 0xff]),
        Buffer.from(text),
        Buffer.from('ab'),
      ]);
      const fromText: number[] = [];
      ac.scan(text, seen, gen, fromText);
      const fromBytes: number[] = [];
      expect(ac.scanAscii(bytes, 4, 4 + text.length, seen, gen + 1, fromBytes)).toBe(true);
      expect([text, fromBytes.sort()]).toEqual([text, fromText.sort()]);
      hits += fromText.length;
    }
    expect(hits).toBeGreaterThan(20); // not vacuous (the sequence is fixed: 38)
    const accented = Buffer.from('ab café');
    expect(ac.scanAscii(accented, 0, accented.length, seen, 1000, [])).toBe(false);
  });
});
