import { parseArgs } from 'node:util';
import ms from 'ms';
import { signDevToken } from '../src/common/auth/jwt';
import { PARTNER_ROLES, Role } from '../src/common/auth/roles';
import { loadConfig } from '../src/common/config';

/**
 * Prints a development token signed with JWT_SECRET:
 *   npm run token -- --partner <id> --role ADMIN_AGENT
 *   npm run token -- --customer <id>
 *   npm run token -- --operator
 */
const { values } = parseArgs({
  options: {
    partner: { type: 'string' },
    customer: { type: 'string' },
    operator: { type: 'boolean', default: false },
    role: { type: 'string' },
    sub: { type: 'string' },
    expires: { type: 'string', default: '12h' },
  },
});

function fail(message: string): never {
  console.error(message);
  process.exit(2);
}

async function main() {
  const config = loadConfig();
  if (config.jwksUrl) fail('JWKS_URL is set: tokens come from your identity provider, not from this script');
  let claims: Parameters<typeof signDevToken>[1];
  if (values.operator) {
    claims = { sub: values.sub ?? 'operator', roles: [Role.PLATFORM_ADMIN] };
  } else if (values.partner) {
    const role = (values.role ?? Role.GLOBAL_ADMIN) as Role;
    if (!PARTNER_ROLES.includes(role)) fail(`--role must be one of ${PARTNER_ROLES.join(', ')}`);
    claims = { sub: values.sub ?? `dev-${role.toLowerCase()}`, roles: [role], partnerId: values.partner };
  } else if (values.customer) {
    claims = { sub: values.sub ?? 'dev-customer-admin', roles: [Role.CUSTOMER_ADMIN], customerId: values.customer };
  } else {
    fail('usage: npm run token -- --operator | --partner <id> [--role ROLE] | --customer <id>');
  }
  const life = ms(values.expires as ms.StringValue);
  if (typeof life !== 'number' || !(life > 0)) fail(`--expires must be a duration such as 30m or 12h (got "${values.expires}")`);
  if (life > config.jwtMaxAgeMs) fail(`--expires ${values.expires} is longer than the server accepts (JWT_MAX_AGE, ${ms(config.jwtMaxAgeMs)})`);
  console.log(await signDevToken(config.jwtSecret, claims, values.expires));
}

main().catch((err) => fail(String(err)));
