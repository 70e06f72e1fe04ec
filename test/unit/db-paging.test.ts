/** `pageOf` (shared/db/paging.ts): one 1-based page of a list read whole, with LiteLLM's paging fields. DynamoDB-free. */
import { pageOf } from '../../shared/db/paging';

const ten = Array.from({ length: 10 }, (_, i) => i);

test('a middle page, the last (short) page and a page past the end', () => {
  expect(pageOf(ten, 2, 4)).toEqual({ items: [4, 5, 6, 7], total: 10, page: 2, page_size: 4, total_pages: 3 });
  expect(pageOf(ten, 3, 4)).toEqual({ items: [8, 9], total: 10, page: 3, page_size: 4, total_pages: 3 });
  expect(pageOf(ten, 9, 4)).toEqual({ items: [], total: 10, page: 9, page_size: 4, total_pages: 3 });
});

test('an empty list has 0 pages, or 1 where the route says so (users and keys do, as LiteLLM)', () => {
  expect(pageOf([], 1, 25)).toEqual({ items: [], total: 0, page: 1, page_size: 25, total_pages: 0 });
  expect(pageOf([], 1, 25, { atLeastOnePage: true }).total_pages).toBe(1);
  expect(pageOf(ten, 1, 5, { atLeastOnePage: true }).total_pages).toBe(2);
});
