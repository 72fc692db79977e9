import { randomBytes } from 'node:crypto';
import { SecretBox } from './secret-box.js';

describe('SecretBox', () => {
  const box = new SecretBox(randomBytes(32));

  it('round-trips and never stores the secret in clear', () => {
    const sealed = box.seal('a-very-secret-value-123', 'sub-1');
    expect(sealed).toMatch(/^v1:/);
    expect(sealed).not.toContain('a-very-secret');
    expect(box.open(sealed, 'sub-1')).toBe('a-very-secret-value-123');
    expect(box.seal('x'.repeat(20), 'sub-1')).not.toBe(box.seal('x'.repeat(20), 'sub-1'));
  });

  it('refuses a value moved to another subscription, a wrong key or tampering', () => {
    const sealed = box.seal('a-very-secret-value-123', 'sub-1');
    expect(() => box.open(sealed, 'sub-2')).toThrow();
    expect(() => new SecretBox(randomBytes(32)).open(sealed, 'sub-1')).toThrow();
    const raw = Buffer.from(sealed.slice(3), 'base64');
    raw[raw.length - 1] = raw[raw.length - 1]! ^ 1;
    expect(() => box.open(`v1:${raw.toString('base64')}`, 'sub-1')).toThrow();
  });

  it('without a key stores plainly but still opens encrypted values only with a key', () => {
    const plain = new SecretBox(null);
    expect(plain.open(plain.seal('s3cret-s3cret-s3cret', 'a'), 'a')).toBe('s3cret-s3cret-s3cret');
    expect(() => plain.open(box.seal('s3cret-s3cret-s3cret', 'a'), 'a')).toThrow(
      /NOTIFIER_SECRET_KEY/,
    );
  });
});
