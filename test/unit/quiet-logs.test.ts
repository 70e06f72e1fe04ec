/** A passing `npm test` prints jest's report only: the service logger is silent under jest. */
import { logger } from '../../shared/core/logger';

test('the service logger writes nothing under jest, not even errors with a stack', () => {
  const written: string[] = [];
  const capture = (chunk: string | Uint8Array) => {
    written.push(String(chunk));
    return true;
  };
  const out = jest.spyOn(process.stdout, 'write').mockImplementation(capture);
  const err = jest.spyOn(process.stderr, 'write').mockImplementation(capture);
  try {
    logger.error('unhandled error', { error: new Error('provoked by a test') });
    logger.warn('invitation email not sent');
    logger.info('budget reset summary');
  } finally {
    out.mockRestore();
    err.mockRestore();
  }
  expect(written).toEqual([]);
  expect(logger.getLevelName()).toBe('SILENT');
});
