import { LRUCache } from 'lru-cache';
import { createRemoteJWKSet, jwtVerify, type JWTPayload, type JWTVerifyGetKey, SignJWT } from 'jose';
import type { AppConfig } from '../config';
import { normalizeId } from '../ids';
import { UnauthenticatedError } from '../errors';
import type { Principal } from './principal';
import { PARTNER_ROLES, Role } from './roles';
import { systemTokenClock, type TokenClock } from '../clock';

const ROLE_NAMES = new Set<string>(Object.values(Role));
const CLOCK_TOLERANCE_S = 5;
/** how far ahead of this server's clock a token's `iat` or `nbf` may be (clock skew), in seconds */
const FUTURE_SKEW_S = 60;
/** the ids a token names are entity ids: UUIDs (a slug is an offer's), in the lower case normalizeId gives */
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const VERIFIED_TTL_MS = 60_000;
const MAX_CACHED_TOKEN = 4096;

/**
 * Verifies bearer tokens: HS256 with JWT_SECRET, or RS/ES keys from JWKS_URL in production.
 * `iss` and `aud` are checked when configured; `alg: none` and unexpected algorithms are refused by jose.
 * Every token must end: `exp` is required, its life (`exp − iat`, or `exp − now` without `iat`) is at
 * most JWT_MAX_AGE, and neither `iat` nor `nbf` may lie more than a minute ahead (`checkLifetime`).
 */
export class TokenVerifier {
  private readonly jwks?: JWTVerifyGetKey;
  private readonly secret: Uint8Array;
  /**
   * Tokens verified lately, by their exact text: a dashboard sends the same token with every request,
   * and checking its signature costs more than a page of its data. An entry is used until the token
   * expires (with jose's clock tolerance) and for at most VERIFIED_TTL_MS, so a key withdrawn from
   * the JWKS stops being honoured within that time (jose itself keeps JWKS keys for minutes).
   */
  private readonly verified = new LRUCache<string, { principal: Principal; until: number }>({ max: 10_000 });

  constructor(
    private readonly config: AppConfig,
    private readonly clock: TokenClock = systemTokenClock,
  ) {
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
    const now = this.clock.now();
    const known = this.verified.get(token);
    if (known && now < known.until) return { ...known.principal, roles: [...known.principal.roles] };
    const principal = await this.verifySignature(token);
    if (token.length <= MAX_CACHED_TOKEN) {
      const expires = principal.expiresAt === undefined ? Infinity : principal.expiresAt + CLOCK_TOLERANCE_S * 1000;
      this.verified.set(token, { principal: { ...principal, roles: [...principal.roles] }, until: Math.min(expires, now + VERIFIED_TTL_MS) });
    }
    return principal;
  }

  private async verifySignature(token: string): Promise<Principal> {
    let payload: JWTPayload;
    try {
      const options = {
        issuer: this.config.jwtIssuer,
        audience: this.config.jwtAudience,
        clockTolerance: CLOCK_TOLERANCE_S,
        currentDate: new Date(this.clock.now()),
      };
      payload = this.jwks
        ? (await jwtVerify(token, this.jwks, { ...options, algorithms: ['RS256', 'ES256', 'PS256', 'EdDSA'] })).payload
        : (await jwtVerify(token, this.secret, { ...options, algorithms: ['HS256'] })).payload;
    } catch {
      throw new UnauthenticatedError('Invalid or expired token');
    }
    checkLifetime(payload, this.clock.now() / 1000, this.config.jwtMaxAgeMs / 1000);
    return principalFromClaims(payload);
  }
}

/**
 * The time claims jose leaves optional, made rules: a token without `exp`, one that claims to live
 * longer than `maxAgeS`, or one issued (or valid from) more than FUTURE_SKEW_S ahead of `nowS` is
 * refused. jose has already checked that `exp` and `nbf` hold now and that each claim is a number.
 */
export function checkLifetime(payload: JWTPayload, nowS: number, maxAgeS: number): void {
  const { exp, iat, nbf } = payload;
  if (typeof exp !== 'number') throw new UnauthenticatedError('Token has no expiry ("exp" claim); every token must expire');
  if (typeof iat === 'number' && iat > nowS + FUTURE_SKEW_S) throw new UnauthenticatedError('Token is issued in the future ("iat" claim)');
  if (typeof nbf === 'number' && nbf > nowS + FUTURE_SKEW_S) throw new UnauthenticatedError('Token is not valid yet ("nbf" claim)');
  const life = exp - (typeof iat === 'number' ? iat : nowS);
  if (life > maxAgeS) {
    throw new UnauthenticatedError(`Token lives too long: at most ${Math.round(maxAgeS)} s from its issue ("exp" − "iat"); ask for a shorter-lived token`);
  }
}

export function principalFromClaims(payload: JWTPayload): Principal {
  const {
    sub,
    roles,
    partner_id: partnerId,
    customer_id: customerId,
  } = payload as JWTPayload & {
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
  const principal = principalOfKind(sub, roles as Role[], claimId(partnerId, 'partner_id'), claimId(customerId, 'customer_id'));
  if (typeof payload.exp === 'number') principal.expiresAt = payload.exp * 1000;
  return principal;
}

/** A partner or customer id from a claim: a UUID, in lower case (as every id is compared), else UNAUTHENTICATED. */
function claimId(value: unknown, claim: string): string | undefined {
  if (value === undefined) return undefined;
  const id = typeof value === 'string' ? normalizeId(value) : undefined;
  if (!id || !UUID.test(id)) throw new UnauthenticatedError(`Token "${claim}" claim is malformed: it must be a partner or customer id`);
  return id;
}

/**
 * A token is exactly one kind of caller: the operator (PLATFORM_ADMIN alone, no ids), a partner's
 * user (partner roles only, `partner_id`, no `customer_id`) or a customer's user (CUSTOMER_ADMIN
 * alone, `customer_id`, no `partner_id`). Any other mix is UNAUTHENTICATED. That the named partner
 * or customer exists is checked where the caller's scope is made (src/scope/caller.ts).
 */
function principalOfKind(userId: string, roles: Role[], partnerId?: string, customerId?: string): Principal {
  const only = (allowed: readonly Role[]) => roles.every((r) => allowed.includes(r));
  if (only([Role.PLATFORM_ADMIN]) && !partnerId && !customerId) return { kind: 'operator', userId, roles };
  if (only(PARTNER_ROLES) && partnerId && !customerId) return { kind: 'partner', userId, roles, partnerId };
  if (only([Role.CUSTOMER_ADMIN]) && customerId && !partnerId) return { kind: 'customer', userId, roles, customerId };
  throw new UnauthenticatedError(
    'Token claims are inconsistent: it must be an operator (PLATFORM_ADMIN, no ids), a partner user (partner roles and partner_id) or a customer user (CUSTOMER_ADMIN and customer_id)',
  );
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
