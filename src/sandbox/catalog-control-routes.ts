/**
 * Control endpoints of the catalogue (mounted under /control): seed, bulk stock changes, what a channel should hold,
 * batch status counts, and expiring Omnitron tokens.
 */
import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import { BATCH_STATUSES } from './catalog-state';
import { badRequest, installErrorHandler, type Query, single } from './http-helpers';
import type { SandboxState } from './state';

const seedSchema = z.object({
  skus: z.number().int().min(1).max(5_000_000),
  locations: z.number().int().min(3).max(1000).optional(),
  stockLists: z.number().int().min(3).max(100).optional(),
  seed: z.number().int().optional(),
  credentials: z
    .object({ username: z.string().min(1), password: z.string().min(1), whippyToken: z.string().min(1) })
    .partial()
    .optional(),
});

const stockChangesSchema = z.union([
  z.object({
    changes: z.array(
      z.object({
        sku: z.string(),
        location: z.string().optional(),
        stock: z.number().int().min(0).optional(),
        delta: z.number().int().optional(),
      }),
    ),
  }),
  z.object({ random: z.object({ count: z.number().int().min(0), seed: z.number().int() }) }),
]);

function parse<S extends z.ZodType>(schema: S, body: unknown): z.infer<S> {
  const parsed = schema.safeParse(body ?? {});
  if (parsed.success) return parsed.data;
  throw badRequest({ errors: parsed.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`) });
}

export function catalogControlRoutes(state: SandboxState): FastifyPluginAsync {
  return async (app) => {
    installErrorHandler(app);
    const catalog = () => state.catalog;

    app.post('/seed', async (request) => catalog().seed(parse(seedSchema, request.body)));

    app.get('/catalog', async () => catalog().describe());

    app.post('/stocks', async (request) => {
      const body = parse(stockChangesSchema, request.body);
      if ('random' in body) {
        const skus = catalog().randomStockChanges(body.random.count, body.random.seed);
        return { changed: skus.length, skus };
      }
      const stocks = body.changes.map((change) => ({ sku: change.sku, stock: catalog().changeStock(change) }));
      return { changed: stocks.length, stocks };
    });

    app.get('/channels/:channelId/expected', async (request) => {
      const channel = Number((request.params as { channelId: string }).channelId);
      const listId = Number(single(request.query as Query, 'stock_list') ?? catalog().catalog?.stock_list ?? 1);
      const list = catalog().stockListById(listId);
      if (!list || !catalog().channels.has(channel)) throw badRequest({ detail: 'Unknown channel or stock list.' });
      return catalog().expected(channel, list.ordinal);
    });

    app.get('/omnitron/batches', async (request) => {
      const channelText = single(request.query as Query, 'channel');
      const batches = [...catalog().batches.values()].filter(
        (b) => channelText === undefined || b.channel === Number(channelText),
      );
      const counts = Object.fromEntries(BATCH_STATUSES.map((s) => [s, 0]));
      for (const b of batches) counts[b.status] = (counts[b.status] ?? 0) + 1;
      const open = batches
        .filter((b) => b.status !== 'done' && b.status !== 'fail')
        .map((b) => ({ pk: b.pk, channel: b.channel, status: b.status, modified_date: b.modified_date }));
      return { counts, open };
    });

    app.post('/omnitron/expire-tokens', async () => {
      const expired = catalog().tokens.size;
      catalog().tokens.clear();
      return { expired };
    });
  };
}
