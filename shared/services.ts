import { Logins } from './auth/logins';
import { SessionSigner } from './auth/session';
import type { Config } from './config';
import { createDocumentClient, Table } from './db/table';
import { Users } from './users/service';

/** Everything a request handler or job needs, built once per process (Lambda cold start). */
export type Deps = {
  config: Config;
  table: Table;
  clock: () => Date;
  sessions: SessionSigner;
  users: Users;
  logins: Logins;
};

export function buildDeps(config: Config, overrides: { clock?: () => Date; table?: Table } = {}): Deps {
  const clock = overrides.clock ?? (() => new Date());
  const table =
    overrides.table ??
    new Table(createDocumentClient({ region: config.region, endpoint: config.dynamodbEndpoint }), config.tableName);
  const users = new Users(table, clock);
  return {
    config,
    table,
    clock,
    sessions: new SessionSigner(config.jwtSecret, config.sessionHours),
    users,
    logins: new Logins(table, users, config.masterKey, clock),
  };
}
