/**
 * Request bodies checked the way Django REST Framework serialisers check them, answering DRF's own messages
 * (`rest_framework/fields.py` default_error_messages): a missing field, a present but invalid value, a bad choice and
 * a null each get their own words, keyed by field, all at once. The sandbox's Omnitron face refuses what the real
 * serialisers refuse, and in the same words, so a client's mistake shows in tests as it would in production.
 */
import { badRequest } from './http-helpers';

type Outcome<T> = { ok: true; value: T } | { ok: false; message: string | Record<string, unknown> };
export type Field<T> = (value: unknown) => Outcome<T>;

const ok = <T>(value: T): Outcome<T> => ({ ok: true, value });
const error = (message: string): Outcome<never> => ({ ok: false, message });

/** IntegerField: ints and integral strings; `min` as MinValueValidator. */
export function integer(options: { min?: number } = {}): Field<number> {
  return (value) => {
    const n = typeof value === 'string' && /^\s*-?\d+\s*$/.test(value) ? Number(value) : value;
    if (typeof n !== 'number' || !Number.isInteger(n)) return error('A valid integer is required.');
    if (options.min !== undefined && n < options.min) {
      return error(`Ensure this value is greater than or equal to ${options.min}.`);
    }
    return ok(n);
  };
}

/** CharField: strings and numbers (DRF coerces them); blank refused unless allowed. */
export function string(options: { allowBlank?: boolean; maxLength?: number } = {}): Field<string> {
  return (value) => {
    if (typeof value !== 'string' && typeof value !== 'number') return error('Not a valid string.');
    const text = String(value);
    if (!options.allowBlank && text.trim() === '') return error('This field may not be blank.');
    if (options.maxLength !== undefined && text.length > options.maxLength) {
      return error(`Ensure this field has no more than ${options.maxLength} characters.`);
    }
    return ok(text);
  };
}

export function boolean(): Field<boolean> {
  const truthy = new Set([true, 'true', 'True', 'TRUE', '1', 1, 'yes', 'on']);
  const falsy = new Set([false, 'false', 'False', 'FALSE', '0', 0, 'no', 'off']);
  return (value) =>
    truthy.has(value as never) ? ok(true) : falsy.has(value as never) ? ok(false) : error('Must be a valid boolean.');
}

export function choice<const C extends string>(choices: readonly C[]): Field<C> {
  return (value) =>
    choices.includes(value as C) ? ok(value as C) : error(`"${String(value)}" is not a valid choice.`);
}

/** DateTimeField with DRF's default ISO 8601 input format (a space instead of `T` is accepted, as Django does). */
export function datetime(): Field<string> {
  const ISO = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:?\d{2})?$/;
  return (value) =>
    typeof value === 'string' && ISO.test(value) && !Number.isNaN(Date.parse(value.replace(' ', 'T')))
      ? ok(value)
      : error(
          'Datetime has wrong format. Use one of these formats instead: YYYY-MM-DDThh:mm[:ss[.uuuuuu]][+HH:MM|-HH:MM|Z].',
        );
}

/** PrimaryKeyRelatedField: an int naming an existing object. */
export function relatedPk(exists: (pk: number) => boolean): Field<number> {
  const asInt = integer();
  return (value) => {
    const parsed = asInt(value);
    if (!parsed.ok)
      return error(`Incorrect type. Expected pk value, received ${typeof value === 'string' ? 'str' : typeof value}.`);
    return exists(parsed.value) ? parsed : error(`Invalid pk "${parsed.value}" - object does not exist.`);
  };
}

export function nullable<T>(field: Field<T>): Field<T | null> {
  return (value) => (value === null ? ok(null) : field(value));
}

/** ListField / many=True of a nested serializer: errors per item, as DRF lists them. */
export function listOf<T>(item: Field<T>): Field<T[]> {
  return (value) => {
    if (!Array.isArray(value)) return error(`Expected a list of items but got type "${typeName(value)}".`);
    const results = value.map(item);
    if (results.every((r) => r.ok)) return ok(results.map((r) => (r as { value: T }).value));
    return { ok: false, message: results.map((r) => (r.ok ? {} : r.message)) as unknown as Record<string, unknown> };
  };
}

export interface FieldSpec<T> {
  field: Field<T>;
  /** Required fields missing from the body: "This field is required." */
  required?: boolean;
}

type Parsed<S extends Record<string, FieldSpec<unknown>>> = {
  [K in keyof S]?: S[K] extends FieldSpec<infer T> ? T : never;
};

/** A nested serializer as a field: the object's own field errors, keyed by field. */
export function object<S extends Record<string, FieldSpec<unknown>>>(spec: S): Field<Parsed<S>> {
  return (value) => {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      return error(`Invalid data. Expected a dictionary, but got ${typeName(value)}.`);
    }
    const body = value as Record<string, unknown>;
    const errors: Record<string, unknown> = {};
    const out: Record<string, unknown> = {};
    for (const [key, { field, required }] of Object.entries(spec)) {
      if (!(key in body) || body[key] === undefined) {
        if (required) errors[key] = ['This field is required.'];
        continue;
      }
      if (body[key] === null && !field(null).ok) {
        errors[key] = ['This field may not be null.'];
        continue;
      }
      const parsed = field(body[key]);
      if (parsed.ok) out[key] = parsed.value;
      else errors[key] = typeof parsed.message === 'string' ? [parsed.message] : parsed.message;
    }
    return Object.keys(errors).length > 0 ? { ok: false, message: errors } : ok(out as Parsed<S>);
  };
}

/** Validates a request body against a serializer spec: the parsed fields, or a 400 with every field's errors. */
export function validateBody<S extends Record<string, FieldSpec<unknown>>>(spec: S, body: unknown): Parsed<S> {
  const parsed = object(spec)(body ?? {});
  if (parsed.ok) return parsed.value;
  throw badRequest(
    typeof parsed.message === 'string'
      ? { non_field_errors: [parsed.message] }
      : (parsed.message as Record<string, unknown>),
  );
}

/** Python's type names, as DRF's messages show them. */
function typeName(value: unknown): string {
  if (value === null) return 'NoneType';
  if (Array.isArray(value)) return 'list';
  if (typeof value === 'string') return 'str';
  if (typeof value === 'boolean') return 'bool';
  if (typeof value === 'number') return Number.isInteger(value) ? 'int' : 'float';
  return 'dict';
}
