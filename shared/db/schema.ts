import type { CreateTableCommandInput } from '@aws-sdk/client-dynamodb';
import { TABLE_INDEXES } from './keys';

/**
 * The table's shape, used to create it locally and in tests. The CDK stack in
 * `infra/` declares the same keys and indexes (asserted in test/infra).
 */
export function tableDefinition(tableName: string): CreateTableCommandInput {
  const keyAttrs = ['PK', 'SK', ...TABLE_INDEXES.flatMap((i) => [`${i}PK`, `${i}SK`])];
  return {
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: keyAttrs.map((AttributeName) => ({ AttributeName, AttributeType: 'S' })),
    KeySchema: [
      { AttributeName: 'PK', KeyType: 'HASH' },
      { AttributeName: 'SK', KeyType: 'RANGE' },
    ],
    GlobalSecondaryIndexes: TABLE_INDEXES.map((IndexName) => ({
      IndexName,
      KeySchema: [
        { AttributeName: `${IndexName}PK`, KeyType: 'HASH' },
        { AttributeName: `${IndexName}SK`, KeyType: 'RANGE' },
      ],
      Projection: { ProjectionType: 'ALL' },
    })),
  };
}
