import { startDynamoDb } from '../../local/dynamodb';
import { freePort } from '../../local/ports';
import { startSes } from '../../local/ses';

/**
 * Starts one real DynamoDB Local (in memory) and one local SES endpoint for the
 * whole test run; each test file then makes its own table (see ./stack.ts).
 */
export default async function globalSetup(): Promise<void> {
  const [dynamo, ses] = await Promise.all([startDynamoDb({ port: await freePort() }), startSes({ port: 0 })]);
  process.env.ONRAMP_TEST_DYNAMODB_ENDPOINT = dynamo.endpoint;
  process.env.ONRAMP_TEST_SES_ENDPOINT = ses.endpoint;
  (globalThis as Record<string, unknown>).__ONRAMP_STACK__ = [dynamo, ses];
}
