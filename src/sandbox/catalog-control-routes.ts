/**
 * Control endpoints of the catalogue (mounted under /control): seed, bulk stock changes, what a channel should hold and
 * what its marketplace holds, a delivered baseline, batch status counts, product stocks delivered twice, records handed out malformed, and expiring
 * Omnitron tokens.
 */
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { BATCH_STATUSES } from './batch-requests';
import { badRequest, installErrorHandler, type Query, single } from './http-helpers';
import type { SandboxState } from './state';
import { issueLines } from '../../workflows/issues';

const seedSchema = z.object({
  skus: z.number().int().min(1).max(5_000_000, 'at most 5000000 SKUs'),
  locations: z.number().int().min(3).max(1000).optional(),
  stockLists: z.number().int().min(3).max(100).optional(),
  seed: z.number().int().optional(),
  credentials: z
    .object({ username: z.string().min(1), password: z.string().min(1), whippyToken: z.string().min(1) })
    .partial()
    .optional(),
  trendyolRemoteIds: z.enum(['barcode', 'content-id']).optional(),
  trendyolRemoteIdAttribute: z.string().min(1).nullable().optional(),
});

/** Every size a control body names is bounded (a 400 names the limit): a typo'd count must not freeze the sandbox. */
const MAX_STOCK_CHANGES = 1_000_000;
const MAX_DRIFT = 100_000;

const stockChangesSchema = z
  .object({
    changes: z
      .array(
        z.object({
          sku: z.string(),
          location: z.string().optional(),
          stock: z.number().int().min(0).optional(),
          delta: z.number().int().optional(),
        }),
      )
      .max(MAX_STOCK_CHANGES, `at most ${MAX_STOCK_CHANGES} stock changes per request`)
      .optional(),
    random: z
      .object({
        count: z.number().int().min(0).max(MAX_STOCK_CHANGES, `at most ${MAX_STOCK_CHANGES} stock changes per request`),
        seed: z.number().int(),
      })
      .optional(),
  })
  .refine((b) => (b.changes === undefined) !== (b.random === undefined), 'give either changes or random');

const driftSchema = z
  .object({
    stock_list: z.number().int().positive().optional(),
    skus: z
      .array(z.object({ sku: z.string(), quantity: z.number().int().min(0).nullable() }))
      .max(MAX_DRIFT, `at most ${MAX_DRIFT} drifted SKUs per request`)
      .optional(),
    random: z
      .object({
        count: z.number().int().min(1).max(MAX_DRIFT, `at most ${MAX_DRIFT} drifted SKUs per request`),
        seed: z.number().int(),
      })
      .optional(),
  })
  .strict()
  .refine((b) => (b.skus === undefined) !== (b.random === undefined), 'give either skus or random');

const baselineSchema = z.object({ stock_list: z.number().int().positive().optional() }).strict();

/** `?channel=<id>` of a seeded channel, else 400. */
function requiredChannel(query: Query): number {
  const channel = Number(single(query, 'channel'));
  if (!Number.isInteger(channel) || channel <= 0) throw badRequest({ channel: ['This parameter is required.'] });
  return channel;
}

function parse<S extends z.ZodType>(schema: S, body: unknown): z.infer<S> {
  const parsed = schema.safeParse(body ?? {});
  if (parsed.success) return parsed.data;
  throw badRequest({ errors: issueLines(parsed.error) });
}

export function catalogControlRoutes(state: SandboxState): FastifyPluginAsync {
  return async (app) => {
    installErrorHandler(app);
    const catalog = () => state.catalog;

    app.post('/seed', async (request) => catalog().seed(parse(seedSchema, request.body)));

    app.get('/catalog', async () => catalog().describe());

    app.post('/stocks', async (request) => {
      const body = parse(stockChangesSchema, request.body);
      if (body.random) {
        const skus = catalog().writes.randomStockChanges(body.random.count, body.random.seed);
        return { changed: skus.length, skus };
      }
      const stocks = (body.changes ?? []).map((change) => ({
        sku: change.sku,
        stock: catalog().writes.changeStock(change),
      }));
      return { changed: stocks.length, stocks };
    });

    /** The channel and stock list (`?stock_list=`, the main one by default) a per-list control names. */
    const channelList = (request: FastifyRequest) => {
      const channel = Number((request.params as { channelId: string }).channelId);
      const listId = Number(single(request.query as Query, 'stock_list') ?? catalog().model.catalog?.stock_list ?? 1);
      const list = catalog().model.stockListById(listId);
      if (!list || !catalog().model.channels.has(channel))
        throw badRequest({ detail: 'Unknown channel or stock list.' });
      return { channel, ordinal: list.ordinal };
    };

    app.get('/channels/:channelId/expected', async (request) => {
      const { channel, ordinal } = channelList(request);
      return catalog().checks.expected(channel, ordinal);
    });

    app.get('/channels/:channelId/held', async (request) => {
      const { channel, ordinal } = channelList(request);
      return catalog().checks.held(channel, ordinal);
    });

    app.get('/omnitron/batches', async (request) => {
      const channelText = single(request.query as Query, 'channel');
      const batches = [...catalog().batches.all.values()].filter(
        (b) => channelText === undefined || b.channel === Number(channelText),
      );
      const counts = Object.fromEntries(BATCH_STATUSES.map((s) => [s, 0]));
      for (const b of batches) counts[b.status] = (counts[b.status] ?? 0) + 1;
      const open = batches
        .filter((b) => b.status !== 'done' && b.status !== 'fail')
        .map((b) => ({
          pk: b.pk,
          channel: b.channel,
          status: b.status,
          objects: b.objects.length,
          modified_date: b.modified_date,
        }));
      return { counts, open };
    });

    app.post('/channels/:channelId/baseline', async (request) => {
      const channel = Number((request.params as { channelId: string }).channelId);
      const body = parse(baselineSchema, request.body);
      const listId = body.stock_list ?? catalog().model.catalog?.stock_list ?? 1;
      const list = catalog().model.stockListById(listId);
      if (!list || !catalog().model.channels.has(channel))
        throw badRequest({ detail: 'Unknown channel or stock list.' });
      return { channel, stock_list: list.id, delivered: catalog().checks.markDelivered(channel, list.ordinal) };
    });

    app.post('/channels/:channelId/drift', async (request) => {
      const channel = Number((request.params as { channelId: string }).channelId);
      const body = parse(driftSchema, request.body);
      const list = catalog().model.stockListById(body.stock_list ?? catalog().model.catalog?.stock_list ?? 1);
      if (!list || !catalog().model.channels.has(channel))
        throw badRequest({ detail: 'Unknown channel or stock list.' });
      const change = body.skus ? { skus: body.skus } : { random: body.random ?? { count: 0, seed: 0 } };
      return { channel, stock_list: list.id, drifted: catalog().checks.drift(channel, list.ordinal, change) };
    });

    app.get('/omnitron/duplicates', async (request) => {
      const query = request.query as Query;
      const channel = requiredChannel(query);
      const afterBatch = Number(single(query, 'after_batch') ?? 0);
      return { channel, ...catalog().checks.deliveredTwice(channel, afterBatch) };
    });

    app.get('/omnitron/malformed', async (request) => {
      const channel = requiredChannel(request.query as Query);
      return { channel, records: catalog().checks.malformedHandedOut(channel) };
    });

    app.post('/omnitron/expire-tokens', async () => {
      const expired = catalog().tokens.size;
      catalog().tokens.clear();
      return { expired };
    });
  };
}
