import { createRemoteJWKSet, jwtVerify, type JWTPayload, type JWTVerifyGetKey, SignJWT } from 'jose';
import type { AppConfig } from '../config';
import { UnauthenticatedError } from '../errors';
import type { Principal } from './principal';
import { PARTNER_ROLES, Role } from './roles';

const ROLE_NAMES = new Set<string>(Object.values(Role));

/**
 * Verifies bearer tokens: HS256 with JWT_SECRET, or RS/ES keys from JWKS_URL in production.
 * `iss` and `aud` are checked when configured; `alg: none` and unexpected algorithms are refused by jose.
 */
export class TokenVerifier {
  private readonly jwks?: JWTVerifyGetKey;
  private readonly secret: Uint8Array;

  constructor(private readonly config: AppConfig) {
    this.secret = new TextEncoder().encode(config.jwtSecret);
    if (config.jwksUrl) this.jwks = createRemoteJWKSet(new URL(config.jwksUrl));
  }

  /** Reads an `Authorization` header value. Undefined for no header; throws for a bad one. */
  async fromHeader(header: string | undefined | null): Promise<Principal | undefined> {
    if (header === undefined || header === null || header === '') return undefined;
    const match = /^Bearer\s+(\S+)$/i.exec(header.trim());
    if (!match) throw new UnauthenticatedError('Authorization must be "Bearer <token>"');
    return this.verify(match[1]);
  }

  async verify(token: string): Promise<Principal> {
    let payload: JWTPayload;
    try {
      const options = {
        issuer: this.config.jwtIssuer,
        audience: this.config.jwtAudience,
        clockTolerance: 5,
      };
      payload = this.jwks
        ? (await jwtVerify(token, this.jwks, { ...options, algorithms: ['RS256', 'ES256', 'PS256', 'EdDSA'] })).payload
        : (await jwtVerify(token, this.secret, { ...options, algorithms: ['HS256'] })).payload;
    } catch {
      throw new UnauthenticatedError('Invalid or expired token');
    }
    return principalFromClaims(payload);
  }
}

export function principalFromClaims(payload: JWTPayload): Principal {
  const { sub, roles, partner_id: partnerId, customer_id: customerId } = payload as JWTPayload & {
    roles?: unknown;
    partner_id?: unknown;
    customer_id?: unknown;
  };
  if (typeof sub !== 'string' || sub.length === 0 || sub.length > 200) {
    throw new UnauthenticatedError('Token has no valid "sub" claim');
  }
  if (!Array.isArray(roles) || roles.length === 0 || !roles.every((r) => typeof r === 'string' && ROLE_NAMES.has(r))) {
    throw new UnauthenticatedError('Token "roles" claim must be a non-empty array of known roles');
  }
  const principal: Principal = { userId: sub, roles: roles as Role[] };
  if (typeof payload.exp === 'number') principal.expiresAt = payload.exp * 1000;
  if (partnerId !== undefined) {
    if (typeof partnerId !== 'string' || partnerId.length === 0 || partnerId.length > 64) {
      throw new UnauthenticatedError('Token "partner_id" claim is malformed');
    }
    principal.partnerId = partnerId;
  }
  if (customerId !== undefined) {
    if (typeof customerId !== 'string' || customerId.length === 0 || customerId.length > 64) {
      throw new UnauthenticatedError('Token "customer_id" claim is malformed');
    }
    principal.customerId = customerId;
  }
  if (principal.roles.some((r) => PARTNER_ROLES.includes(r)) && !principal.partnerId) {
    throw new UnauthenticatedError('A partner role needs a "partner_id" claim');
  }
  if (principal.roles.includes(Role.CUSTOMER_ADMIN) && !principal.customerId) {
    throw new UnauthenticatedError('CUSTOMER_ADMIN needs a "customer_id" claim');
  }
  return principal;
}

export interface DevTokenClaims {
  sub: string;
  roles: Role[];
  partnerId?: string;
  customerId?: string;
}

/** Signs an HS256 development token (demo output, `npm run token`, tests). */
export async function signDevToken(secret: string, claims: DevTokenClaims, expiresIn = '12h'): Promise<string> {
  const jwt = new SignJWT({
    roles: claims.roles,
    ...(claims.partnerId ? { partner_id: claims.partnerId } : {}),
    ...(claims.customerId ? { customer_id: claims.customerId } : {}),
  })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(claims.sub)
    .setIssuedAt()
    .setExpirationTime(expiresIn);
  return jwt.sign(new TextEncoder().encode(secret));
}
