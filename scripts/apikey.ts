/**
 * Admin command for API keys (`npm run apikey -- <command>`):
 *   create --name <name> --scopes <a,b,...> [--monthly-quota N] [--rate N]   prints the key once
 *   revoke <id>
 *   list
 * Uses DATABASE_URL and DATABASE_SSL (+ DATABASE_SSL_CA_FILE), as the services do. Keys are
 * stored hashed; a lost key cannot be recovered, only replaced.
 */
import { parseArgs } from 'node:util';
import pg from 'pg';
import {
  apiKeysDdl,
  createApiKey,
  listApiKeys,
  revokeApiKey,
} from '../src/platform/auth/api-keys.js';
import { databaseSslFromEnv } from '../src/platform/database/ssl.js';

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: {
    name: { type: 'string' },
    scopes: { type: 'string' },
    'monthly-quota': { type: 'string' },
    rate: { type: 'string' },
    json: { type: 'boolean', default: false },
  },
});
const [command, arg] = positionals;
const pool = new pg.Pool({
  connectionString: process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/streamline',
  ssl: databaseSslFromEnv(process.env),
  max: 1,
});
try {
  await pool.query(apiKeysDdl());
  if (command === 'create') {
    if (!values.name || !values.scopes) throw new Error('create needs --name and --scopes');
    const scopes = values.scopes
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    const created = await createApiKey(pool, {
      name: values.name,
      scopes,
      monthlyQuota: values['monthly-quota'] ? Number(values['monthly-quota']) : null,
      ratePerSecond: values.rate ? Number(values.rate) : null,
    });
    console.log(
      values.json
        ? JSON.stringify({ ...created, scopes })
        : `id ${created.id}\nkey ${created.key}\n(store it now: only its hash is kept)`,
    );
  } else if (command === 'revoke' && arg) {
    console.log((await revokeApiKey(pool, arg)) ? `revoked ${arg}` : `no active key ${arg}`);
  } else if (command === 'list') {
    for (const k of await listApiKeys(pool)) {
      console.log(
        `${k.id}  ${k.name}  [${k.scopes.join(',')}]${k.revokedAt ? `  revoked ${k.revokedAt.toISOString()}` : ''}`,
      );
    }
  } else {
    console.error('usage: npm run apikey -- create --name N --scopes a,b | revoke <id> | list');
    process.exitCode = 2;
  }
} finally {
  await pool.end();
}
