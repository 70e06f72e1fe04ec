import { acceptsMediaType, essence, FORM_TYPE, isFormType, isJsonType, JSON_TYPE } from '../../shared/http/core/media-type';
import { statusOf } from '../../shared/http/core/error-status';

describe('media types (shared/http/core/media-type.ts)', () => {
  test('the essence drops parameters and case', () => {
    expect(essence('Application/JSON; charset=utf-8')).toBe('application/json');
    expect(essence(undefined)).toBe('');
  });

  test('JSON: application/json and structured +json types, with or without parameters; nothing else', () => {
    for (const t of ['application/json', 'application/json; charset=utf-8', 'APPLICATION/JSON', 'application/vnd.api+json', 'application/merge-patch+json;x=y']) {
      expect({ t, json: isJsonType(t) }).toEqual({ t, json: true });
    }
    for (const t of [undefined, '', 'text/json', 'application/jsonx', 'application/json-seq', 'text/plain', FORM_TYPE]) {
      expect({ t, json: isJsonType(t) }).toEqual({ t, json: false });
    }
  });

  test('forms: urlencoded and multipart; nothing else', () => {
    expect(isFormType('application/x-www-form-urlencoded; charset=UTF-8')).toBe(true);
    expect(isFormType('Multipart/Form-Data; boundary=x')).toBe(true);
    expect(isFormType('application/x-www-form-urlencodedx')).toBe(false);
    expect(isFormType(JSON_TYPE)).toBe(false);
  });

  test('a route accepts a body of its declared family with well-formed parameters, else it is a 415', () => {
    expect(acceptsMediaType([JSON_TYPE], 'application/json; charset=utf-8')).toBe(true);
    expect(acceptsMediaType([JSON_TYPE], 'application/json; charset')).toBe(false);
    expect(acceptsMediaType([JSON_TYPE], FORM_TYPE)).toBe(false);
    expect(acceptsMediaType([FORM_TYPE], 'multipart/form-data; boundary=abc')).toBe(true);
    expect(acceptsMediaType([JSON_TYPE, FORM_TYPE], FORM_TYPE)).toBe(true);
  });
});

describe('error statuses (shared/http/core/error-status.ts)', () => {
  // The pages read the same table: see the page statuses asserted in pages-self-serve.test.ts.
  test("LiteLLM's 401 for a missing team permission, its 400 for an existing member", () => {
    expect(statusOf({ kind: 'team_member_permission' })).toBe(401);
    expect(statusOf({ kind: 'team_member_already_in_team' })).toBe(400);
  });
});
