export default async function globalTeardown(): Promise<void> {
  const stack = (globalThis as Record<string, unknown>).__ONRAMP_STACK__ as Array<{ stop: () => Promise<void> }> | undefined;
  await Promise.all((stack ?? []).map((s) => s.stop()));
}
