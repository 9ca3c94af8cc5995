import { domainToASCII, domainToUnicode } from 'node:url';
import { isPostalCode, registerDecorator, type ValidationArguments, type ValidationOptions } from 'class-validator';
import { codePointLength, identifierProblem } from './text';

/**
 * At most `max` characters, counted as the column counts them: Unicode code points, as a MySQL/MariaDB
 * utf8mb4 varchar(max) does (src/common/text.ts), of the value after the text rules (NFC, trimmed).
 * The one length rule of every text input: class-validator's MaxLength counts UTF-16 units and its
 * variation selectors not at all. `stored` gives the form the service writes when it is not the
 * value itself (an email lower-cased: "İ" becomes two code points), so that form is what is counted.
 */
export function MaxCodePoints(max: number, options?: ValidationOptions & { stored?: (value: string) => string }) {
  const { stored, ...validationOptions } = options ?? {};
  return function (object: object, propertyName: string) {
    registerDecorator({
      name: 'maxCodePoints',
      target: object.constructor,
      propertyName,
      constraints: [max],
      options: { message: `${propertyName} must be at most ${max} characters (Unicode code points)`, ...validationOptions },
      validator: {
        validate(value: unknown) {
          return typeof value === 'string' && codePointLength(stored ? stored(value) : value) <= max;
        },
      },
    });
  };
}

/** An identifier that is compared, never read by people (a token subject): no invisible character in it (src/common/text.ts). */
export function IsVisibleIdentifier(options?: ValidationOptions) {
  return function (object: object, propertyName: string) {
    registerDecorator({
      name: 'isVisibleIdentifier',
      target: object.constructor,
      propertyName,
      options: { message: `${propertyName} must not contain invisible characters`, ...options },
      validator: {
        validate(value: unknown) {
          return typeof value === 'string' && identifierProblem(value) === null;
        },
      },
    });
  };
}

/**
 * Postal code valid for the country named by another property of the same input, where the
 * validator library knows that country's format; elsewhere a generic 2–10 character shape.
 */
export function IsPostalCodeForCountry(countryProperty: string, options?: ValidationOptions) {
  return function (object: object, propertyName: string) {
    registerDecorator({
      name: 'isPostalCodeForCountry',
      target: object.constructor,
      propertyName,
      constraints: [countryProperty],
      options: { message: 'must be a valid postal code for the country', ...options },
      validator: {
        validate(value: unknown, args: ValidationArguments) {
          if (typeof value !== 'string') return false;
          const country = (args.object as Record<string, unknown>)[args.constraints[0] as string];
          if (typeof country !== 'string') return /^[A-Za-z0-9][A-Za-z0-9 -]{1,9}$/.test(value);
          try {
            return isPostalCode(value, country.toUpperCase() as never);
          } catch {
            // the library has no format for this country
            return /^[A-Za-z0-9][A-Za-z0-9 -]{1,9}$/.test(value);
          }
        },
      },
    });
  };
}

const PLACEHOLDER_NAMES = /\b(test|testing|dummy|sample|asdf|qwerty|lorem ipsum)\b/i;

/**
 * The exact legal company name: no test or placeholder names, and not a bare acronym
 * (a single all-capital word of 2–5 letters such as "IBM" or "ACME").
 */
export function IsLegalCompanyName(options?: ValidationOptions) {
  return function (object: object, propertyName: string) {
    registerDecorator({
      name: 'isLegalCompanyName',
      target: object.constructor,
      propertyName,
      options: {
        message: 'must be the exact legal company name (no test names, no bare acronyms)',
        ...options,
      },
      validator: {
        validate(value: unknown) {
          if (typeof value !== 'string') return false;
          const name = value.trim();
          if (name.length === 0) return false;
          if (PLACEHOLDER_NAMES.test(name)) return false;
          if (/^[A-Z]{2,5}$/.test(name)) return false;
          return true;
        },
      },
    });
  };
}

/**
 * UTS #31's Recommended scripts (Table 5): the scripts in modern customary use. A letter of any other
 * script (historic, limited-use) in a tenant domain is refused.
 */
const RECOMMENDED_SCRIPTS = [
  'Arabic',
  'Armenian',
  'Bengali',
  'Bopomofo',
  'Cyrillic',
  'Devanagari',
  'Ethiopic',
  'Georgian',
  'Greek',
  'Gujarati',
  'Gurmukhi',
  'Han',
  'Hangul',
  'Hebrew',
  'Hiragana',
  'Kannada',
  'Katakana',
  'Khmer',
  'Lao',
  'Latin',
  'Malayalam',
  'Myanmar',
  'Oriya',
  'Sinhala',
  'Tamil',
  'Telugu',
  'Thaana',
  'Thai',
  'Tibetan',
];
/**
 * UTS #39's "highly restrictive" level: one script, or one of these sets that readers of Chinese,
 * Japanese and Korean mix. Script_Extensions, so a character shared by scripts (the prolonged sound
 * mark ー of Hiragana and Katakana) counts for each; Common (digits, hyphen) and Inherited (combining
 * marks) go with any script.
 */
const SCRIPT_SETS = [
  ...RECOMMENDED_SCRIPTS.map((script) => [script]),
  ['Latin', 'Han', 'Hiragana', 'Katakana'],
  ['Latin', 'Han', 'Bopomofo'],
  ['Latin', 'Han', 'Hangul'],
].map((scripts) => new RegExp(`^[${scripts.map((s) => `\\p{scx=${s}}`).join('')}\\p{scx=Zyyy}\\p{scx=Zinh}]+$`, 'u'));

const ASCII_LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
const TOP_LEVEL = /^(?:[a-z]{2,63}|xn--[a-z0-9-]{1,59})$/;

/**
 * Why a tenant domain (lower-cased) is refused, or null. Domains tell tenants apart, so two that look
 * the same must be the same string: ASCII letters, digits and hyphens only (no zero-width space,
 * Cyrillic look-alike, combining mark or full-width letter can hide in it); an internationalised
 * name only as punycode (xn--) labels that decode, as IDNA writes them, to letters, marks and digits
 * of one script per label (UTS #39 highly restrictive), so "аpple" with a Cyrillic а is refused.
 */
export function tenantDomainProblem(raw: string): string | null {
  const domain = raw.toLowerCase();
  if (!/^[\x21-\x7e]*$/.test(domain)) {
    return 'must be ASCII letters, digits, hyphens and dots: write an internationalised name in punycode (xn--…)';
  }
  if (domain.length > 253) return 'must be at most 253 characters';
  const labels = domain.split('.');
  if (labels.length < 2) return 'must be a fully qualified domain name, e.g. contoso.onmicrosoft.com';
  for (const label of labels) {
    if (!ASCII_LABEL.test(label)) return `has an invalid label "${label}": 1 to 63 letters, digits or hyphens, not starting or ending with a hyphen`;
    // "ab--" is reserved by IDNA for encodings; xn-- is the only one in use
    if (label.slice(2, 4) === '--' && !label.startsWith('xn--')) return `has an invalid label "${label}": "--" in the 3rd and 4th positions is reserved`;
  }
  if (!TOP_LEVEL.test(labels[labels.length - 1])) return 'must end in a top-level domain of letters';
  if (!labels.some((label) => label.startsWith('xn--'))) return null;

  // WHATWG URL's IDNA (UTS #46): '' when a label does not decode; a canonical domain comes back unchanged
  const unicode = domainToUnicode(domain);
  if (!unicode || domainToASCII(unicode) !== domain) return 'has a punycode (xn--) label that is not a valid internationalised name';
  const decoded = unicode.split('.');
  for (const [i, label] of labels.entries()) {
    if (!label.startsWith('xn--')) continue;
    const name = decoded[i];
    if (!/^[\p{L}\p{M}\p{Nd}-]+$/u.test(name) || /^\p{M}/u.test(name)) {
      return `has a punycode label "${label}" (${name}) with characters other than letters, marks, digits and hyphens`;
    }
    if (!SCRIPT_SETS.some((set) => set.test(name))) {
      return `has a punycode label "${label}" (${name}) that mixes scripts: each label must be in one script`;
    }
  }
  return null;
}

/** A tenant domain (see tenantDomainProblem); the service stores it lower-cased. */
export function IsTenantDomain(options?: ValidationOptions) {
  return function (object: object, propertyName: string) {
    registerDecorator({
      name: 'isTenantDomain',
      target: object.constructor,
      propertyName,
      options: {
        message: (args: ValidationArguments) => `${propertyName} ${typeof args.value === 'string' ? tenantDomainProblem(args.value) : 'must be a domain name'}`,
        ...options,
      },
      validator: {
        validate: (value: unknown) => typeof value === 'string' && tenantDomainProblem(value) === null,
      },
    });
  };
}
