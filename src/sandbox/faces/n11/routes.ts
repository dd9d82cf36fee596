/**
 * The N11 face's HTTP API, mounted at /n11/ (so `baseURL` is `<sandbox>/n11/` where production has
 * `https://api.n11.com/`):
 *
 *   POST /ms/product/tasks/price-stock-update   {payload:{integrator, skus[]}} -> {id, type, status IN_QUEUE|REJECT, reasons}
 *   POST /ms/product/task-details/page-query    {taskId, pageable:{page,size}} -> {taskId, status, skus: Spring page}
 *   GET  /ms/product-query?stockCode=&page=&size=                             -> Spring page of product rows
 *
 * Every call needs the `appkey` and `appsecret` headers (else 401 SellerApiUserUnauthorizedException, as measured
 * on the real `/ms/` services). A body n11 documents as refused (no integrator, no skus, more than 1,000, prices
 * unpaired, inverted or with more than two decimals) is a 200 REJECT; a body of the wrong shape a Spring-style 400.
 * Throttling (undocumented at n11) is a 429 with Retry-After in seconds.
 */
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { issueLines } from '../../../../workflows/issues';
import type { MarketplaceTunables } from '../../marketplace-state';
import { N11_SANDBOX_CREDENTIALS, n11Status, type N11Face, type N11Operation, type N11TaskRow } from './face';

/** "Tek seferde maximum 1000 sku için güncelleme atabilirsiniz." */
const MAX_SKUS = 1_000;
/** product-query: "size" at most 250. */
const MAX_PRODUCT_PAGE_SIZE = 250;

const taskBody = z.object({
  payload: z.object({
    integrator: z.string().nullish(),
    skus: z
      .array(
        z.object({
          stockCode: z.string().min(1),
          quantity: z.number().int().optional(),
          listPrice: z.number().optional(),
          salePrice: z.number().optional(),
          currencyType: z.enum(['TL', 'USD', 'EUR']).optional(),
        }),
      )
      .nullish(),
  }),
});
type TaskSkuBody = NonNullable<z.infer<typeof taskBody>['payload']['skus']>[number];

const detailsBody = z.object({
  taskId: z.union([z.number().int(), z.string().regex(/^\d+$/).transform(Number)]),
  pageable: z.object({ page: z.number().int().min(0), size: z.number().int().min(1) }),
});

const productQuery = z.object({
  stockCode: z.string().min(1, 'the sandbox answers product-query by stockCode only'),
  page: z.coerce.number().int().min(0).default(0),
  size: z.coerce.number().int().min(1).max(MAX_PRODUCT_PAGE_SIZE).default(20),
});

export function n11Routes(face: N11Face, tunables: () => MarketplaceTunables): FastifyPluginAsync {
  return async (app) => {
    app.addHook('onRequest', async (request, reply) => {
      const { appkey, appsecret } = request.headers;
      if (appkey !== N11_SANDBOX_CREDENTIALS.appKey || appsecret !== N11_SANDBOX_CREDENTIALS.appSecret) {
        return reply.code(401).send({
          '@type': 'SellerApiUserUnauthorizedException',
          message: 'Apide doğrulama işlemi başarısız oldu.',
          status: 401,
        });
      }
    });
    // Unparseable JSON and unsupported content types answer as n11's Spring services do, not in Fastify's shape.
    app.setErrorHandler(async (error: { statusCode?: number; message: string }, request, reply) => {
      const status = error.statusCode ?? 500;
      return reply.code(status).send(springError(status, request, error.message));
    });

    app.post('/ms/product/tasks/price-stock-update', async (request, reply) => {
      if (throttled(face, 'price-stock-update', request, reply)) return reply;
      const body = taskBody.safeParse(request.body);
      if (!body.success) return reply.code(400).send(springError(400, request, issueLines(body.error).join('; ')));
      const { integrator, skus } = body.data.payload;
      const reasons = rejectionsOf(integrator, skus ?? []);
      if (reasons.length > 0) return { type: 'SKU_UPDATE', status: 'REJECT', reasons };
      const accepted = (skus ?? []).map(({ stockCode, quantity, listPrice, salePrice }) => ({
        stockCode,
        quantity,
        listPrice,
        salePrice,
      }));
      const id = face.accept(accepted, tunables().batchDelayMs);
      return { id, type: 'SKU_UPDATE', status: 'IN_QUEUE', reasons: [`${accepted.length} sku işlenmeye alındı.`] };
    });

    app.post('/ms/product/task-details/page-query', async (request, reply) => {
      if (throttled(face, 'task-details', request, reply)) return reply;
      const body = detailsBody.safeParse(request.body);
      if (!body.success) return reply.code(400).send(springError(400, request, issueLines(body.error).join('; ')));
      const { taskId, pageable } = body.data;
      const task = face.task(taskId);
      if (!task) return reply.code(404).send(springError(404, request, `${taskId} id'li task bulunamadı.`));
      const rows: N11TaskRow[] = task.result ?? [];
      return {
        taskId,
        type: 'SKU_UPDATE',
        status: task.result ? n11Status('PROCESSED', taskId) : 'IN_QUEUE',
        createdDate: new Date(task.acceptedAt).toISOString(),
        modifiedDate: new Date(task.completedAt ?? task.acceptedAt).toISOString(),
        skus: springPage(rows, pageable.page, pageable.size),
      };
    });

    app.get('/ms/product-query', async (request, reply) => {
      if (throttled(face, 'product-query', request, reply)) return reply;
      const query = productQuery.safeParse(request.query);
      if (!query.success) {
        return reply.code(400).send(springError(400, request, issueLines(query.error, 'query').join('; ')));
      }
      const { stockCode, page, size } = query.data;
      const quantity = face.held(stockCode, undefined);
      const rows = quantity === undefined ? [] : [productRow(stockCode, quantity)];
      return springPage(rows, page, size);
    });
  };
}

/** The documented refusals of a whole task body, in n11's words where it gives them. */
function rejectionsOf(integrator: string | null | undefined, skus: TaskSkuBody[]): string[] {
  const reasons: string[] = [];
  if (!integrator?.trim()) reasons.push('integrator alanı boş olamaz.');
  if (skus.length === 0) reasons.push('En az bir sku gönderilmelidir.');
  if (skus.length > MAX_SKUS) reasons.push(`Tek seferde maximum ${MAX_SKUS} sku için güncelleme atabilirsiniz.`);
  for (const { stockCode, listPrice, salePrice } of skus) {
    if ((listPrice === undefined) !== (salePrice === undefined)) {
      reasons.push(`${stockCode}: Fiyat güncellemelerinde listPrice ve salePrice birlikte gönderilmelidir.`);
    } else if (listPrice !== undefined && salePrice !== undefined) {
      if (!twoDecimals(listPrice) || !twoDecimals(salePrice)) {
        reasons.push(`${stockCode}: listPrice ve salePrice noktadan sonra en fazla 2 hane olmalıdır.`);
      } else if (listPrice < salePrice) {
        reasons.push(`${stockCode}: listPrice, salePrice'dan düşük olamaz.`);
      }
    }
  }
  return reasons;
}

function twoDecimals(value: number): boolean {
  return Math.abs(Math.round(value * 100) - value * 100) < 1e-6;
}

/** Answers 429 when `operation`'s budget is spent; true when it did. */
function throttled(face: N11Face, operation: N11Operation, request: FastifyRequest, reply: FastifyReply): boolean {
  const delayMs = face.throttle(operation);
  if (delayMs === 0) return false;
  void reply
    .code(429)
    .header('Retry-After', String(Math.ceil(delayMs / 1000)))
    .send(springError(429, request, 'Too many requests'));
  return true;
}

const REASON_PHRASES: Record<number, string> = {
  400: 'Bad Request',
  404: 'Not Found',
  415: 'Unsupported Media Type',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
};

/** Spring Boot's default error body, which n11's `/ms/` services answer with. */
function springError(status: number, request: FastifyRequest, message: string) {
  return {
    timestamp: new Date().toISOString(),
    status,
    error: REASON_PHRASES[status] ?? 'Error',
    message,
    path: request.url.split('?')[0]?.replace(/^\/n11/, ''),
  };
}

/** A Spring Data page of `rows`. */
function springPage<T>(rows: readonly T[], page: number, size: number) {
  const totalPages = Math.ceil(rows.length / size);
  const content = rows.slice(page * size, (page + 1) * size);
  return {
    content,
    pageable: { pageNumber: page, pageSize: size, offset: page * size },
    totalElements: rows.length,
    totalPages,
    number: page,
    size,
    numberOfElements: content.length,
    first: page === 0,
    last: page + 1 >= totalPages,
    empty: content.length === 0,
  };
}

/** A product-query row: one SKU of the seller, as GetProductQuery lists it. */
function productRow(stockCode: string, quantity: number) {
  return {
    n11ProductId: productIdOf(stockCode),
    stockCode,
    productMainId: stockCode,
    title: stockCode,
    status: 'Active',
    saleStatus: quantity > 0 ? 'On_Sale' : 'Out_Of_Stock',
    currencyType: 'TL',
    quantity,
  };
}

/** A stable 10-digit n11 product id per stockCode. */
function productIdOf(stockCode: string): number {
  let hash = 0;
  for (const char of stockCode) hash = (hash * 31 + char.charCodeAt(0)) % 9_000_000_000;
  return 1_000_000_000 + hash;
}
