import { ensureSearchAttributes } from '../../src/temporal/search-attributes';
import { connectTestTemporal, type TestTemporal } from '../support/temporal';

let temporal: TestTemporal;
beforeAll(async () => {
  temporal = await connectTestTemporal();
});
afterAll(async () => {
  await temporal.close();
});

test('the dev server has stockflow search attributes as Keywords, and ensure is idempotent', async () => {
  const { customAttributes } = await temporal.client.connection.operatorService.listSearchAttributes({
    namespace: 'default',
  });
  const keyword = 2; // INDEXED_VALUE_TYPE_KEYWORD
  expect(customAttributes?.StockChannelId).toBe(keyword);
  expect(customAttributes?.StockFlow).toBe(keyword);
  await expect(ensureSearchAttributes(temporal.client.connection, 'default')).resolves.toEqual([]);
});
