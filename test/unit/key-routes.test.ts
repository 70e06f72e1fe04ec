import { keyMayCall } from '../../shared/keys/routes';

describe('allowed_routes matching (keyMayCall)', () => {
  const may = (allowed: string[] | undefined, path: string) => keyMayCall({ allowed_routes: allowed }, path);

  test('no list, or an empty one, restricts nothing', () => {
    expect(may(undefined, '/team/list')).toBe(true);
    expect(may([], '/team/list')).toBe(true);
  });

  test('an entry matches its route and the routes below it, not a longer name', () => {
    expect(may(['/key'], '/key')).toBe(true);
    expect(may(['/key'], '/key/info')).toBe(true);
    expect(may(['/key'], '/keys')).toBe(false);
    expect(may(['/key/info'], '/key/list')).toBe(false);
  });

  test('a trailing * matches every route with that prefix', () => {
    expect(may(['/v1/*'], '/v1/chat/completions')).toBe(true);
    expect(may(['/v1/*'], '/v2/team/list')).toBe(false);
    expect(may(['/key*'], '/keys')).toBe(true);
  });

  test('any entry that matches is enough', () => {
    expect(may(['/user/info', '/key/*'], '/key/list')).toBe(true);
    expect(may(['/user/info', '/key/*'], '/team/list')).toBe(false);
  });
});
