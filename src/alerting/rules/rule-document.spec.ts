import { compileDocument, compileDocumentText, withoutRule, withRule } from './rule-document.js';

const doc = {
  version: 1,
  defaults: { severity: 'high' },
  rules: [
    { id: 'a', type: 'pattern', match: { keywords: ['boom'] } },
    { id: 'b', type: 'pattern', match: { keywords: ['bang'] } },
  ],
};

describe('rule documents', () => {
  it('compiles a valid document and applies its defaults', () => {
    const r = compileDocument(doc);
    if (!r.ok) throw new Error(JSON.stringify(r.errors));
    expect(r.compiled.enabled.map((x) => [x.spec.id, x.spec.severity])).toEqual([
      ['a', 'high'],
      ['b', 'high'],
    ]);
  });

  it('reports each problem with rule id, field and reason', () => {
    const r = compileDocumentText(
      'rules:\n  - id: slow\n    type: pattern\n    match: { regex: "(a+)+$" }\n  - id: freq\n    type: frequency\n    treshold: 3\n    match: { keywords: [x] }\n',
    );
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.errors).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          ruleId: 'slow',
          field: 'match.regex',
          code: expect.stringMatching(/^REGEX\./) as string,
        }),
        expect.objectContaining({ ruleId: 'freq', field: 'treshold', code: 'RULE.UNKNOWN_FIELD' }),
      ]),
    );
  });

  it('reports YAML syntax errors with their position, and non-map documents', () => {
    const bad = compileDocumentText('rules: [\n  - id: x');
    expect(bad).toMatchObject({
      ok: false,
      errors: expect.arrayContaining([
        expect.objectContaining({
          code: 'RULES.YAML',
          field: expect.stringMatching(/^line \d+/) as string,
        }),
      ]) as unknown[],
    });
    expect(compileDocument([1, 2])).toMatchObject({ ok: false, errors: [{ code: 'RULES.TYPE' }] });
  });

  it('replaces, appends and removes single rules without touching the rest', () => {
    const replaced = withRule(doc, { id: 'b', type: 'pattern', match: { keywords: ['pop'] } });
    expect((replaced.rules as Array<{ id: string; match: unknown }>).map((r) => r.id)).toEqual([
      'a',
      'b',
    ]);
    expect((replaced.rules as Array<{ match: unknown }>)[1]!.match).toEqual({ keywords: ['pop'] });
    expect(replaced.defaults).toEqual({ severity: 'high' });
    const appended = withRule(doc, { id: 'c', type: 'pattern', match: { keywords: ['c'] } });
    expect((appended.rules as unknown[]).length).toBe(3);
    expect((doc.rules as unknown[]).length).toBe(2);
    expect((withoutRule(doc, 'a')!.rules as Array<{ id: string }>).map((r) => r.id)).toEqual(['b']);
    expect(withoutRule(doc, 'zz')).toBeNull();
  });
});
