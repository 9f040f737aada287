export default async function globalTeardown(): Promise<void> {
  const state = globalThis as unknown as { __IRIS_TEARDOWN__?: Array<() => Promise<void>> };
  for (const step of (state.__IRIS_TEARDOWN__ ?? []).reverse()) {
    await step();
  }
}
