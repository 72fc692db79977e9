import http from 'node:http';
import https from 'node:https';
import { type MessagingConfig } from './kafka.js';

/**
 * The HTTP agent of the schema-registry client: for an `https://` registry signed by a private
 * CA (SCHEMA_REGISTRY_CA_FILE), an agent that trusts that CA and verifies the host name; else
 * none (Node's defaults: system roots).
 */
export function registryAgent(config: MessagingConfig): https.Agent | undefined {
  if (config.registryCa === undefined) return undefined;
  return new https.Agent({ ca: config.registryCa, keepAlive: true });
}

/** `Authorization` header of the registry's basic auth, when configured. */
export function registryAuthHeader(config: MessagingConfig): Record<string, string> {
  if (config.registryUsername === undefined || config.registryPassword === undefined) return {};
  const token = Buffer.from(`${config.registryUsername}:${config.registryPassword}`).toString(
    'base64',
  );
  return { authorization: `Basic ${token}` };
}

/**
 * Readiness probe of the registry: `GET <url>/subjects` with the client's credentials and CA,
 * resolved on a 2xx answer, rejected on anything else or after `timeoutMs`.
 */
export function probeRegistry(config: MessagingConfig, timeoutMs: number): Promise<void> {
  const url = new URL(`${config.registryUrl.replace(/\/$/, '')}/subjects`);
  const get = url.protocol === 'https:' ? https.get : http.get;
  return new Promise<void>((resolve, reject) => {
    const req = get(
      url,
      {
        headers: { accept: 'application/json', ...registryAuthHeader(config) },
        // Node's global agent, which keeps a separate pool per `ca`.
        ...(config.registryCa === undefined ? {} : { ca: config.registryCa }),
      },
      (res) => {
        res.resume(); // the body is not needed; drain it so the socket is released
        const status = res.statusCode ?? 0;
        if (status >= 200 && status < 300) resolve();
        else reject(new Error(`registry answered ${status}`));
      },
    );
    req.setTimeout(timeoutMs, () =>
      req.destroy(new Error(`registry did not answer within ${timeoutMs} ms`)),
    );
    req.on('error', reject);
  });
}
