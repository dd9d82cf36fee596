/**
 * The Whippy Ware face: /whippy/api/v1/... over the shared catalogue. Accepts exactly what WhippyStockClient sends
 * (see its doc comment for the readings of the ambiguous endpoints).
 */
import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import type { CatalogState } from './catalog-state';
import type { WhippyStockInput } from './stock-writes';
import {
  badRequest,
  installErrorHandler,
  many,
  pageLinks,
  paging,
  type Query,
  requireToken,
  SandboxHttpError,
  single,
} from './http-helpers';
import type { SandboxState } from './state';
import { STOCK_TYPES, type StockStore, UNIT_TYPES } from './stock-store';
import { drfFieldErrors } from '../../workflows/issues';

/**
 * DRF's default field messages (rest_framework/fields.py and serializers.py `default_error_messages`). Each field
 * picks one the way its `run_validation` does: absent -> required, null -> null, otherwise the type's own complaint.
 */
const DRF = {
  required: 'This field is required.',
  null: 'This field may not be null.',
  blank: 'This field may not be blank.',
  string: 'Not a valid string.',
  integer: 'A valid integer is required.',
  boolean: 'Must be a valid boolean.',
  minValue: (min: number) => `Ensure this value is greater than or equal to ${min}.`,
  choice: (input: unknown) => `"${pythonStr(input)}" is not a valid choice.`,
  notADictionary: (input: unknown) => `Invalid data. Expected a dictionary, but got ${pythonTypeName(input)}.`,
  /** `Serializer.errors` for a `null` body (no period: DRF's own wording). */
  noData: 'No data provided',
} as const;

/** Python's `type(x).__name__` of a parsed JSON value. */
function pythonTypeName(value: unknown): string {
  if (value === null) return 'NoneType';
  if (Array.isArray(value)) return 'list';
  if (typeof value === 'string') return 'str';
  if (typeof value === 'boolean') return 'bool';
  if (typeof value === 'number') return Number.isInteger(value) ? 'int' : 'float';
  return 'dict';
}

/** Python's `str(x)` of a parsed JSON value (containers as their repr, strings inside them single-quoted). */
function pythonStr(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value === null) return 'None';
  if (typeof value === 'boolean') return value ? 'True' : 'False';
  const repr = (v: unknown): string => (typeof v === 'string' ? `'${v}'` : pythonStr(v));
  if (Array.isArray(value)) return `[${value.map(repr).join(', ')}]`;
  if (typeof value === 'object') {
    return `{${Object.entries(value)
      .map(([k, v]) => `${repr(k)}: ${repr(v)}`)
      .join(', ')}}`;
  }
  return String(value);
}

/** A zod `error` option answering DRF's message for the raw input; `present` covers a given, non-null value. */
const drfError = (present: (input: unknown) => string) => ({
  error: (issue: { input?: unknown }) =>
    issue.input === undefined ? DRF.required : issue.input === null ? DRF.null : present(issue.input),
});
const charError = drfError((input) => (input === '' ? DRF.blank : DRF.string));
const integerError = (min: number) =>
  drfError((input) => (Number.isInteger(input) && (input as number) < min ? DRF.minValue(min) : DRF.integer));

/** CharField. `allowBlank` keeps an empty string valid (the optional text fields always accepted one). */
const charField = (allowBlank = false) => (allowBlank ? z.string(charError) : z.string(charError).min(1, charError));
/** A location code: a non-blank string or an integer, answered as the string it names. */
const locationField = () =>
  z.union([z.string(charError).min(1, charError), z.number(charError).int(charError)], charError).transform(String);
/** IntegerField(min_value=min). */
const integerField = (min: number) => z.number(integerError(min)).int(integerError(min)).min(min, integerError(min));
const booleanField = () => z.boolean(drfError(() => DRF.boolean));
const choiceField = <const T extends readonly [string, ...string[]]>(choices: T) =>
  z.enum(choices, drfError(DRF.choice));

const stockInputSchema = z.object({
  sku: charField(),
  provider: charField(),
  location: locationField(),
  stock: integerField(0),
  reserved_stock: integerField(0).optional(),
  is_active: booleanField().optional(),
  period: charField(true).nullable().optional(),
  stock_type: choiceField(STOCK_TYPES).optional(),
  unit_type: choiceField(UNIT_TYPES).optional(),
});

const reservedSchema = z.object({
  sku: charField(),
  location: locationField(),
  provider: charField(true).optional(),
  date: charField(true).optional(),
});

type FieldErrors = Record<string, string[]>;

/** DRF field errors, `{"field": ["message"]}`: one message per field (each fails one way at a time in DRF). */
function fieldErrors(error: z.ZodError): FieldErrors {
  return Object.fromEntries(
    Object.entries(drfFieldErrors(error)).map(([field, messages]) => [field, messages.slice(0, 1)]),
  );
}

/** One serializer run, errors as DRF shapes them; `T` is the errors' type (a list child's can be a bare list). */
type Validated<S extends z.ZodType, T = FieldErrors> = { ok: true; data: z.infer<S> } | { ok: false; errors: T };

/** `Serializer.to_internal_value`: anything but a JSON object fails before any field is looked at. */
function validate<S extends z.ZodType>(schema: S, input: unknown): Validated<S> {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    return { ok: false, errors: { non_field_errors: [DRF.notADictionary(input)] } };
  }
  const parsed = schema.safeParse(input);
  return parsed.success ? { ok: true, data: parsed.data } : { ok: false, errors: fieldErrors(parsed.error) };
}

/** A whole request body: none at all reads as `{}` (every required field missing), `null` as "No data provided". */
function validateBody<S extends z.ZodType>(schema: S, body: unknown): Validated<S> {
  if (body === null) return { ok: false, errors: { non_field_errors: [DRF.noData] } };
  return validate(schema, body ?? {});
}

/** One item of a list body (`ListSerializer`): a `null` item fails as a field would, so its errors are a bare list. */
function validateItem<S extends z.ZodType>(schema: S, item: unknown): Validated<S, FieldErrors | string[]> {
  return item === null ? { ok: false, errors: [DRF.null] } : validate(schema, item);
}

function parseBody<S extends z.ZodType>(schema: S, body: unknown): z.infer<S> {
  const result = validateBody(schema, body);
  if (!result.ok) throw badRequest(result.errors);
  return result.data;
}

type Predicate = (r: number) => boolean;

const NUMBER_FIELDS = { stock: 'stock', reserved_stock: 'reserved' } as const;
const DATE_FIELDS = { created_date: 'created', modified_date: 'modified' } as const;
const COMPARE: Record<string, (a: number, b: number) => boolean> = {
  '': (a, b) => a === b,
  __gt: (a, b) => a > b,
  __gte: (a, b) => a >= b,
  __lt: (a, b) => a < b,
  __lte: (a, b) => a <= b,
};

/** Every documented filter of `GET stocks/` as predicates over record indexes; sku and location pick an index. */
function stockQuery(
  store: StockStore,
  query: Query,
): { source: ArrayLike<number> | undefined; predicates: Predicate[] } {
  const predicates: Predicate[] = [];
  const value = (key: string) => single(query, key);
  for (const [param, column] of [...Object.entries(NUMBER_FIELDS), ...Object.entries(DATE_FIELDS)]) {
    for (const [suffix, compare] of Object.entries(COMPARE)) {
      const text = value(`${param}${suffix}`);
      if (text === undefined) continue;
      const number = param in NUMBER_FIELDS;
      const bound = number ? Number(text) : Date.parse(text);
      // django-filter's form fields: NumberFilter is a forms.DecimalField, IsoDateTimeFilter a forms.DateTimeField.
      const message = number ? 'Enter a number.' : 'Enter a valid date/time.';
      if (Number.isNaN(bound)) throw badRequest({ [`${param}${suffix}`]: [message] });
      const values = store[column as 'stock' | 'reserved' | 'created' | 'modified'];
      predicates.push((r) => compare(values[r] ?? 0, bound));
    }
  }
  const active = value('is_active');
  if (active !== undefined) {
    const wanted = /^(true|1)$/i.test(active) ? 1 : 0;
    predicates.push((r) => store.active[r] === wanted);
  }
  const locationsWhere = (keep: (l: StockStore['locations'][number]) => boolean) => {
    const allowed = new Uint8Array(store.locations.length);
    store.locations.forEach((l) => (allowed[l.ordinal] = keep(l) ? 1 : 0));
    predicates.push((r) => allowed[store.location[r] ?? 0] === 1);
  };
  const provider = value('provider');
  if (provider !== undefined) locationsWhere((l) => l.provider === provider);
  const locationName = value('location_name')?.toLowerCase();
  if (locationName !== undefined) locationsWhere((l) => l.name.toLowerCase().includes(locationName));
  const providerName = value('provider_name')?.toLowerCase();
  if (providerName !== undefined) {
    locationsWhere((l) => (store.providers.get(l.provider)?.name.toLowerCase() ?? '').includes(providerName));
  }
  for (const [param, choices, column] of [
    ['unit_type', UNIT_TYPES, store.unitType],
    ['stock_type', STOCK_TYPES, store.stockType],
  ] as const) {
    const text = value(param);
    if (text === undefined) continue;
    const index = (choices as readonly string[]).indexOf(text);
    predicates.push((r) => column[r] === index);
  }
  for (const [param, compare] of [
    ['period__startswith__gte', COMPARE.__gte],
    ['period__startswith__lte', COMPARE.__lte],
    ['period__endswith__gte', COMPARE.__gte],
    ['period__endswith__lte', COMPARE.__lte],
  ] as const) {
    const text = value(param);
    if (text === undefined || !compare) continue;
    const bound = Date.parse(text);
    predicates.push((r) => {
      const period = store.period.get(r);
      return period !== undefined && compare(Date.parse(period), bound);
    });
  }

  const sku = value('sku');
  const location = value('location');
  if (sku !== undefined) {
    const index = store.skuIndex.get(sku);
    const records: number[] = [];
    if (index !== undefined) store.forEachOfSku(index, (r) => records.push(r));
    records.sort((a, b) => a - b);
    if (location !== undefined) predicates.push((r) => store.locations[store.location[r] ?? 0]?.code === location);
    return { source: records, predicates };
  }
  if (location !== undefined) {
    const found = store.locationByCode.get(location);
    return { source: found ? (store.byLocation[found.ordinal] ?? []) : [], predicates };
  }
  return { source: undefined, predicates };
}

const SORTABLE: Record<string, (store: StockStore, r: number) => number | string> = {
  id: (_s, r) => r,
  sku: (s, r) => s.skus[s.sku[r] ?? 0] ?? '',
  stock: (s, r) => s.stock[r] ?? 0,
  reserved_stock: (s, r) => s.reserved[r] ?? 0,
  created_date: (s, r) => s.created[r] ?? 0,
  modified_date: (s, r) => s.modified[r] ?? 0,
};

/** Filtered, sorted, paged record indexes plus the total count; O(page) for the unfiltered and index-only cases. */
function selectRecords(store: StockStore, query: Query, offset: number, limit: number) {
  const { source, predicates } = stockQuery(store, query);
  const length = source ? source.length : store.size;
  const at = (i: number) => (source ? (source[i] ?? 0) : i);
  const sort = single(query, 'sort');
  const field = sort?.replace(/^-/, '');
  if (sort !== undefined && (!field || !SORTABLE[field])) throw badRequest({ sort: [`Cannot sort by "${sort}".`] });
  const matches = (r: number) => predicates.every((p) => p(r));
  if (field && field !== 'id') {
    const key = SORTABLE[field] ?? SORTABLE.id!;
    const all: number[] = [];
    for (let i = 0; i < length; i++) if (matches(at(i))) all.push(at(i));
    const sign = sort?.startsWith('-') ? -1 : 1;
    all.sort((a, b) => {
      const ka = key(store, a);
      const kb = key(store, b);
      return (ka < kb ? -1 : ka > kb ? 1 : a - b) * sign;
    });
    return { count: all.length, records: all.slice(offset, offset + limit) };
  }
  const index = sort === '-id' ? (i: number) => at(length - 1 - i) : at;
  if (predicates.length === 0) {
    const records: number[] = [];
    for (let i = offset; i < Math.min(length, offset + limit); i++) records.push(index(i));
    return { count: length, records };
  }
  const records: number[] = [];
  let count = 0;
  for (let i = 0; i < length; i++) {
    const r = index(i);
    if (!matches(r)) continue;
    if (count >= offset && records.length < limit) records.push(r);
    count++;
  }
  return { count, records };
}

/** `Store_checkResult` rows of one SKU: active records, raw or salable stock. */
function storeRows(catalog: CatalogState, sku: string, salable: boolean) {
  const store = catalog.whippy;
  const index = store.skuIndex.get(sku);
  const rows: { sku: string; retail_store_code: string; retail_store_name: string; stock: number }[] = [];
  if (index === undefined) return rows;
  store.forEachOfSku(index, (r) => {
    const location = store.locations[store.location[r] ?? 0];
    if (store.active[r] !== 1 || !location) return;
    rows.push({
      sku,
      retail_store_code: location.code,
      retail_store_name: location.name,
      stock: salable ? store.salable(r) : (store.stock[r] ?? 0),
    });
  });
  return rows.sort((a, b) => a.retail_store_code.localeCompare(b.retail_store_code));
}

function requiredSkus(query: Query): string[] {
  const skus = many(query, 'sku');
  if (!skus?.length) throw badRequest({ sku: ['This field is required.'] });
  return skus;
}

/** Active stocks of a list page the SKUs with a ProductStock in it: one page of 100 (the reference's size is silent). */
const ACTIVE_STOCK_PAGE = 100;

export function whippyRoutes(state: SandboxState): FastifyPluginAsync {
  return async (app) => {
    installErrorHandler(app);
    requireToken(app, (token) => token === state.catalog.credentials.whippyToken);
    // A body-less POST (active stocks without `sku`) arrives as form-urlencoded from some clients (axios among them).
    app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_request, body, done) => {
      done(null, Object.fromEntries(new URLSearchParams(String(body))));
    });
    const catalog = () => state.catalog;

    app.get('/api/v1/stocks/', async (request) => {
      const query = request.query as Query;
      const p = paging(query, 100, 10_000);
      const { count, records } = selectRecords(catalog().whippy, query, p.offset, p.limit);
      return {
        count,
        ...pageLinks(request, p, p.offset + records.length < count),
        results: records.map((r) => catalog().whippy.toJson(r)),
      };
    });

    app.post('/api/v1/stocks/', async (request, reply) => {
      const r = catalog().writes.createStock(parseBody(stockInputSchema, request.body) as WhippyStockInput);
      return reply.code(201).send(catalog().whippy.toJson(r));
    });

    for (const direction of ['increase', 'decrease'] as const) {
      app.post(`/api/v1/stocks/${direction}_reserved_stock/`, async (request, reply) => {
        const result = catalog().writes.changeReserved(direction, parseBody(reservedSchema, request.body));
        if (result === 'already-reported') return reply.code(208).send({ message: 'Already reported' });
        return reply.code(201).send(catalog().whippy.toJson(result));
      });
    }

    for (const [name, salable] of [
      ['stock_query', false],
      ['salable_stock_query', true],
    ] as const) {
      app.get(`/api/v1/stocks/${name}/`, async (request) => {
        const [sku] = requiredSkus(request.query as Query);
        return { Store_checkResult: storeRows(catalog(), sku ?? '', salable) };
      });
      app.get(`/api/v1/stocks/multi_${name}/`, async (request) => {
        const skus = requiredSkus(request.query as Query);
        return { Store_checkResult: Object.fromEntries(skus.map((sku) => [sku, storeRows(catalog(), sku, salable)])) };
      });
    }

    app.post('/api/v1/stocks/insert_or_update_stock/', async (request) => {
      const body = request.body;
      if (!Array.isArray(body)) {
        catalog().writes.upsertStocks([parseBody(stockInputSchema, body) as WhippyStockInput]);
        return { Store_checkResult: {} };
      }
      const results = body.map((item) => validateItem(stockInputSchema, item));
      const inputs: WhippyStockInput[] = [];
      for (const result of results) if (result.ok) inputs.push(result.data as WhippyStockInput);
      if (inputs.length < results.length) throw badRequest({ errors: results.map((r) => (r.ok ? {} : r.errors)) });
      catalog().writes.upsertStocks(inputs);
      return { Store_checkResult: {} };
    });

    /** Both documented paths: `active-stocks/{id}/` and `stocks/{id}/` ("List Multiple Active Stock"). */
    for (const path of ['/api/v1/active-stocks/:stockListId/', '/api/v1/stocks/:stockListId/']) {
      app.post(path, async (request) => {
        const list = catalog().model.stockListById(Number((request.params as { stockListId: string }).stockListId));
        if (!list) throw new SandboxHttpError(404, { detail: 'Not found.' });
        const sku = (request.body as { sku?: unknown } | undefined)?.sku;
        const p = paging(request.query as Query, ACTIVE_STOCK_PAGE, ACTIVE_STOCK_PAGE);
        const store = catalog().whippy;
        const only = typeof sku === 'string' ? [store.skuIndex.get(sku) ?? -1].filter((i) => i >= 0) : undefined;
        const results: { sku: string; stock: number; extra_field: { locations: null } }[] = [];
        const total = only ? only.length : store.skus.length;
        let i = p.offset;
        for (; i < total && results.length < p.limit; i++) {
          const index = only ? (only[i] ?? 0) : i;
          const stock = catalog().stocks.json(list.ordinal, index);
          if (stock)
            results.push({ sku: store.skus[index] ?? '', stock: stock.stock, extra_field: { locations: null } });
        }
        const links = pageLinks(request, p, i < total);
        return { next: links.next, previous: links.previous, results };
      });
    }
  };
}
