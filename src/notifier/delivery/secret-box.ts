import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

/**
 * Subscription secrets at rest: AES-256-GCM with the service key (`v1:` + base64 of
 * iv | tag | ciphertext), bound to the subscription id as associated data so a value cannot
 * be moved to another subscription. Without a key, secrets are stored as `plain:` (the API
 * still never returns them).
 */
export class SecretBox {
  constructor(private readonly key: Buffer | null) {}

  get encrypts(): boolean {
    return this.key !== null;
  }

  seal(secret: string, subscriptionId: string): string {
    if (!this.key) return `plain:${secret}`;
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    cipher.setAAD(Buffer.from(subscriptionId));
    const ct = Buffer.concat([cipher.update(secret, 'utf8'), cipher.final()]);
    return `v1:${Buffer.concat([iv, cipher.getAuthTag(), ct]).toString('base64')}`;
  }

  open(sealed: string, subscriptionId: string): string {
    if (sealed.startsWith('plain:')) return sealed.slice(6);
    if (!sealed.startsWith('v1:')) throw new Error('unknown secret format');
    if (!this.key) throw new Error('secret is encrypted but NOTIFIER_SECRET_KEY is not set');
    const raw = Buffer.from(sealed.slice(3), 'base64');
    const decipher = createDecipheriv('aes-256-gcm', this.key, raw.subarray(0, 12));
    decipher.setAAD(Buffer.from(subscriptionId));
    decipher.setAuthTag(raw.subarray(12, 28));
    return Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString('utf8');
  }
}
