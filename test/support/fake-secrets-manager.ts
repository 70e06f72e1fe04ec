/**
 * A small in-memory Secrets Manager behind a stubbed SDK client `send` (there is no
 * local Secrets Manager): names, versions, deletion with a recovery window, restore.
 * It answers the commands shared/models/credentials.ts sends and records them.
 */
type Secret = { arn: string; versions: Map<string, string>; current: string; deleted: boolean };

/** Answers the commands the store sends as Secrets Manager would, and records them. */
export function fakeSecretsManager() {
  const secrets = new Map<string, Secret>();
  const sent: Array<{ command: string; input: Record<string, any> }> = [];
  const fail = (name: string, message: string) => Object.assign(new Error(message), { name });
  const find = (id: string) => secrets.get(id) ?? [...secrets.values()].find((s) => s.arn === id);
  const send = jest.fn(async (command: { constructor: { name: string }; input: Record<string, any> }) => {
    const name = command.constructor.name.replace(/Command$/, '');
    const input = command.input;
    sent.push({ command: name, input });
    switch (name) {
      case 'CreateSecret': {
        if (secrets.has(input.Name)) throw fail('ResourceExistsException', 'exists');
        const arn = `arn:aws:secretsmanager:eu-west-1:123456789012:secret:${input.Name}-AbCdEf`;
        secrets.set(input.Name, { arn, versions: new Map([[input.ClientRequestToken, input.SecretString]]), current: input.ClientRequestToken, deleted: false });
        return { ARN: arn, Name: input.Name, VersionId: input.ClientRequestToken };
      }
      case 'PutSecretValue': {
        const s = find(input.SecretId);
        if (!s) throw fail('ResourceNotFoundException', "Secrets Manager can't find the specified secret.");
        if (s.deleted) throw fail('InvalidRequestException', "You can't perform this operation on the secret because it was marked for deletion.");
        s.versions.set(input.ClientRequestToken, input.SecretString);
        s.current = input.ClientRequestToken;
        return { ARN: s.arn, VersionId: input.ClientRequestToken };
      }
      case 'GetSecretValue': {
        const s = find(input.SecretId);
        if (!s || s.deleted) throw fail('ResourceNotFoundException', "Secrets Manager can't find the specified secret.");
        const value = s.versions.get(input.VersionId ?? s.current);
        if (value === undefined) throw fail('ResourceNotFoundException', 'no such version');
        return { ARN: s.arn, SecretString: value };
      }
      case 'DeleteSecret': {
        const s = find(input.SecretId);
        if (!s) throw fail('ResourceNotFoundException', 'not found');
        s.deleted = true;
        return { ARN: s.arn };
      }
      case 'RestoreSecret': {
        const s = find(input.SecretId)!;
        s.deleted = false;
        return { ARN: s.arn };
      }
    }
    throw new Error(`unexpected command ${name}`);
  });
  return { secrets, sent, client: { send } as any };
}
