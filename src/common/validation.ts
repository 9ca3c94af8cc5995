import { isPostalCode, registerDecorator, type ValidationArguments, type ValidationOptions } from 'class-validator';

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
          const country = (args.object as Record<string, unknown>)[args.constraints[0]];
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
