import { isUuid, uuidV5 } from './uuid.js';

const DNS = '6ba7b810-9dad-11d1-80b4-00c04fd430c8';
const URL_NS = '6ba7b811-9dad-11d1-80b4-00c04fd430c8';

describe('uuid', () => {
  it('computes RFC 9562 version-5 ids (same vectors as Python uuid.uuid5)', () => {
    expect(uuidV5('www.example.com', DNS)).toBe('2ed6657d-e927-568b-95e1-2665a8aea6a2');
    expect(uuidV5('streamline:ledger:events', URL_NS)).toBe('6cf43791-ccec-5e0c-9a37-8bab6bcc5b1e');
  });

  it('is deterministic and sets version and variant bits', () => {
    const a = uuidV5('x', DNS);
    expect(uuidV5('x', DNS)).toBe(a);
    expect(uuidV5('y', DNS)).not.toBe(a);
    expect(a[14]).toBe('5');
    expect(['8', '9', 'a', 'b']).toContain(a[19]);
    expect(() => uuidV5('x', 'not-a-uuid')).toThrow(TypeError);
  });

  it('recognises UUIDs in either case', () => {
    expect(isUuid('2ED6657D-E927-568B-95E1-2665A8AEA6A2')).toBe(true);
    expect(isUuid('2ed6657d-e927-568b-95e1-2665a8aea6a')).toBe(false);
    expect(isUuid('')).toBe(false);
  });
});
