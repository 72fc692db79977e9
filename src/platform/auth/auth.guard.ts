import {
  type CanActivate,
  type ExecutionContext,
  ForbiddenException,
  Inject,
  Injectable,
  SetMetadata,
  UnauthorizedException,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { ApiKeyVerifier, hasScope, type ApiKeyRecord } from './api-keys.js';
import { verifyJwt, type JwtOptions } from './jwt.js';

export const PUBLIC_ROUTE = 'streamline:public';
export const REQUIRED_SCOPES = 'streamline:scopes';

/** Open route (health, metrics, docs): no credentials needed. */
export const Public = (): MethodDecorator & ClassDecorator => SetMetadata(PUBLIC_ROUTE, true);

/** Credentials needed, holding every one of `scopes` (`admin` holds all). */
export const RequireScopes = (...scopes: string[]): MethodDecorator & ClassDecorator =>
  SetMetadata(REQUIRED_SCOPES, scopes);

export interface Principal {
  readonly kind: 'api-key' | 'jwt';
  readonly id: string;
  readonly scopes: readonly string[];
  readonly apiKey?: ApiKeyRecord;
}

export const JWT_OPTIONS = Symbol('JWT_OPTIONS');

interface HttpRequestLike {
  method: string;
  headers: Record<string, string | string[] | undefined>;
  principal?: Principal;
}

/**
 * Global guard: every route is closed unless marked `@Public()`, and a closed route without a
 * `@RequireScopes(...)` policy is refused (fail closed). Credentials: `x-api-key: <key>` or
 * `Authorization: ApiKey <key>` for any route; `Authorization: Bearer <jwt>` (HS256, when
 * JWT_SECRET is set) for reads (GET/HEAD) only. 401 = no valid credentials, 403 = wrong scope.
 */
@Injectable()
export class AuthGuard implements CanActivate {
  constructor(
    @Inject(Reflector) private readonly reflector: Reflector,
    @Inject(ApiKeyVerifier) private readonly verifier: ApiKeyVerifier,
    @Inject(JWT_OPTIONS) private readonly jwt: JwtOptions | undefined,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (context.getType() !== 'http') return true;
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(PUBLIC_ROUTE, targets)) return true;
    const required = this.reflector.getAllAndOverride<string[] | undefined>(
      REQUIRED_SCOPES,
      targets,
    );
    const request = context.switchToHttp().getRequest<HttpRequestLike>();
    const principal = await this.authenticate(request);
    if (!principal) {
      throw new UnauthorizedException({
        statusCode: 401,
        error: 'Unauthorized',
        code: 'AUTH.MISSING_OR_INVALID_CREDENTIALS',
        message: 'send a valid API key in x-api-key (or Authorization: ApiKey <key>)',
      });
    }
    if (!required || required.length === 0) {
      throw new ForbiddenException({
        statusCode: 403,
        error: 'Forbidden',
        code: 'AUTH.NO_POLICY',
        message: 'route has no access policy',
      });
    }
    const missing = required.filter((s) => !hasScope(principal.scopes, s));
    if (missing.length > 0) {
      throw new ForbiddenException({
        statusCode: 403,
        error: 'Forbidden',
        code: 'AUTH.INSUFFICIENT_SCOPE',
        message: `credentials lack scope ${missing.join(', ')}`,
        requiredScopes: required,
      });
    }
    request.principal = principal;
    return true;
  }

  private async authenticate(request: HttpRequestLike): Promise<Principal | undefined> {
    const header = (name: string): string | undefined => {
      const v = request.headers[name];
      return Array.isArray(v) ? v[0] : v;
    };
    const auth = header('authorization');
    const apiKey = header('x-api-key') ?? (auth?.startsWith('ApiKey ') ? auth.slice(7) : undefined);
    if (apiKey) {
      const record = await this.verifier.verify(apiKey);
      return record
        ? { kind: 'api-key', id: record.id, scopes: record.scopes, apiKey: record }
        : undefined;
    }
    if (
      auth?.startsWith('Bearer ') &&
      this.jwt &&
      (request.method === 'GET' || request.method === 'HEAD')
    ) {
      const claims = verifyJwt(auth.slice(7).trim(), this.jwt);
      if (!claims) return undefined;
      // Tokens are for user-facing reads: only read scopes count.
      return {
        kind: 'jwt',
        id: claims.sub ?? 'jwt',
        scopes: claims.scopes.filter((s) => s.endsWith(':read')),
      };
    }
    return undefined;
  }
}
