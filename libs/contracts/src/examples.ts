import type { EventOf, EventType } from './catalog';

/**
 * One valid example per event type (latest version). Used by unit tests, by
 * other services' tests and in docs/asyncapi.yaml. Use `exampleOf` to get a
 * mutable copy.
 */

const envelope = (n: number) => ({
  schemaVersion: 1 as const,
  eventId: `0b7e6f9c-3d2a-4c1b-9e8f-${String(n).padStart(12, '0')}`,
  occurredAt: '2025-01-31T12:00:00.000Z',
  correlationId: 'req-7f3a9c',
  causationId: null,
  environment: 'production',
});

const agent = 'support-bot';

export const EXAMPLES: { readonly [T in EventType]: EventOf<T> } = {
  'agent.session.started': {
    ...envelope(1),
    type: 'agent.session.started',
    data: { agent, versionId: 'v42', sessionId: 'sess-1', tenant: 'acme', feature: 'refunds', user: 'user-9' },
  },
  'agent.session.ended': {
    ...envelope(2),
    type: 'agent.session.ended',
    data: { agent, versionId: 'v42', sessionId: 'sess-1', tenant: 'acme', feature: 'refunds', reason: 'completed', durationMs: 183_250 },
  },
  'agent.request.completed': {
    ...envelope(3),
    type: 'agent.request.completed',
    data: {
      agent,
      versionId: 'v42',
      sessionId: 'sess-1',
      requestId: 'req-7f3a9c',
      tenant: 'acme',
      feature: 'refunds',
      role: 'primary',
      latencyMs: 1234.5,
      tokensIn: 812,
      tokensOut: 164,
      costUsd: 0.00421,
      toolCalls: [
        { name: 'lookup_order', argsHash: 'sha256:9f2c', ok: true, latencyMs: 88 },
        { name: 'issue_refund', argsHash: 'sha256:41aa', ok: false, latencyMs: 301.2 },
      ],
      error: null,
      policyViolations: [{ policy: 'pii.echo', detail: 'Echoed a card number suffix' }],
      outputDigest: 'sha256:c0ffee',
      output: 'Your refund for order 1042 has been requested.',
      userFeedback: { score: 0.5, comment: 'quick' },
      scores: { accuracy: 0.92, hallucination: 0.03 },
    },
  },
  'agent.feedback.recorded': {
    ...envelope(4),
    type: 'agent.feedback.recorded',
    data: { agent, versionId: 'v42', sessionId: 'sess-1', requestId: 'req-7f3a9c', tenant: 'acme', feedback: { rating: 4 } },
  },
  'registry.version.registered': {
    ...envelope(5),
    type: 'registry.version.registered',
    data: {
      agent,
      versionId: 'v43',
      label: '2.4.0',
      digest: `sha256:${'ab'.repeat(32)}`,
      layers: { code: `sha256:${'01'.repeat(32)}`, model: `sha256:${'02'.repeat(32)}`, prompt: `sha256:${'03'.repeat(32)}`, tools: `sha256:${'04'.repeat(32)}`, policies: `sha256:${'05'.repeat(32)}` },
      spec: {
        code: { ref: '3f6c2a9d0b1e4f5a6b7c8d9e0f1a2b3c4d5e6f70' },
        endpoint: 'http://support-bot-2-4-0.agents.svc:8080/',
        model: { provider: 'openai', name: 'gpt-4o-2024-08-06', params: { temperature: 0.2 } },
        prompt: { system: 'You are a support agent.', instructions: '', examples: [] },
        tools: [],
        policies: { maxSteps: 8, maxCostPerRequestUsd: 0.05, allowedTools: [] },
      },
      model: 'openai/gpt-4o-2024-08-06',
      endpoint: 'http://support-bot-2-4-0.agents.svc:8080/',
      previousVersionId: 'v42',
      bump: 'minor',
      bumpReasons: ['model changed: openai/gpt-4o-mini → openai/gpt-4o-2024-08-06'],
      registeredBy: 'ci@iris',
      labels: { team: 'support' },
    },
  },
  'rollout.event': {
    ...envelope(6),
    type: 'rollout.event',
    data: { rolloutId: 'ro-17', agent, kind: 'stage.advanced', detail: { from: 'canary-5', to: 'canary-25' } },
  },
  'killswitch.set': {
    ...envelope(7),
    type: 'killswitch.set',
    data: {
      revision: 4,
      changedAt: '2025-01-31T12:00:00.000Z',
      kills: [
        {
          killId: 'k-hallucinations',
          scope: { agent, versionId: 'v43', tenant: 'acme' },
          reason: 'Hallucination rate above 5%',
          actor: 'oncall@acme',
          killedAt: '2025-01-31T12:00:00.000Z',
          expiresAt: '2025-01-31T13:00:00.000Z',
          onKill: 'migrate',
          allowNoRoute: false,
        },
      ],
      fallbacks: [{ agent, versionId: 'v40-faq' }],
      change: 'kill k-hallucinations engaged',
    },
  },
  'metrics.snapshot': {
    ...envelope(9),
    type: 'metrics.snapshot',
    data: {
      agent,
      windowStart: '2025-01-31T11:59:00Z',
      windowEnd: '2025-01-31T12:00:00Z',
      versions: {
        v42: { requests: 950, errorRate: 0.01, p95LatencyMs: 2100, costUsd: 3.9 },
        v43: { requests: 50, errorRate: 0.02, p95LatencyMs: 2300, costUsd: 0.21 },
      },
      view: 'window',
      role: 'primary',
      tenants: { v43: { acme: { requests: 20, errorRate: 0.05 } } },
    },
  },
  'shadow.report': {
    ...envelope(10),
    type: 'shadow.report',
    data: {
      agent,
      baselineVersionId: 'v42',
      candidateVersionId: 'v43',
      windowStart: '2025-01-31T11:55:00Z',
      windowEnd: '2025-01-31T12:00:00Z',
      samples: { pairs: 400, noisePairs: 120, shadowFailures: 2 },
      decisionDifferenceRate: 0.0475,
      noiseFloorRate: 0.04166,
      differences: [
        {
          kind: 'decision',
          candidate: { count: 19, of: 400, rate: 0.0475 },
          noiseFloor: { count: 5, of: 120, rate: 0.04166 },
          excess: 0.00584,
          pValue: 0.39,
          flagged: false,
        },
      ],
      toolUsage: { newTools: [], removedTools: [], calledMoreOften: [] },
      cost: { baselineUsd: 1.68, candidateUsd: 1.74, deltaPct: 3.57 },
      latency: { baselineMeanMs: 1210, candidateMeanMs: 1188, deltaMs: -22 },
      newViolations: { pairs: 0, policies: [] },
      errorMismatches: { candidateOnly: 1, baselineOnly: 1 },
      shadowFailureRate: 0.005,
      verdict: 'pass',
      reasons: [],
    },
  },
  'routing.decision': {
    ...envelope(11),
    type: 'routing.decision',
    data: {
      agent,
      revision: 7,
      decidedAt: '2025-01-31T12:00:00Z',
      table: {
        strategy: 'rainbow',
        versions: [
          { versionId: 'v42', label: '2.3.0', state: 'active', newSessionWeight: 0.95, existingSessions: 'keep', endpoint: 'http://support-bot-2-3-0.agents.svc:8080/' },
          { versionId: 'v43', label: '2.4.0', state: 'canary', newSessionWeight: 0.05, existingSessions: 'keep', endpoint: 'http://support-bot-2-4-0.agents.svc:8080/' },
        ],
        shadowTargets: [],
        fallbackVersionId: 'v42',
        sessionPolicy: 'let-finish',
        targeting: { cohorts: [{ versionId: 'v43', tenants: ['iris-internal'], users: [], features: [] }], overrides: [] },
        epochs: [
          { revision: 6, effectiveAt: '2025-01-31T11:50:00Z', weights: { v42: 0.99, v43: 0.01 } },
          { revision: 7, effectiveAt: '2025-01-31T12:00:00Z', weights: { v42: 0.95, v43: 0.05 } },
        ],
      },
      rolloutId: 'ro-17',
      reason: 'Canary stage 5%',
    },
  },
};

/** A deep, mutable copy of the example of `type`. */
export function exampleOf<T extends EventType>(type: T): EventOf<T> {
  return structuredClone(EXAMPLES[type]) as EventOf<T>;
}
