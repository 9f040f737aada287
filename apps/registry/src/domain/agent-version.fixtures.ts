import { parseAgentVersion, type AgentVersionInput, type AgentVersionSpec } from './agent-version.schema';

/** Test data shared by the domain's unit specs. */
export const SHA_A = 'a'.repeat(40);
export const SHA_B = 'b'.repeat(40);

export function baseInput(): AgentVersionInput {
  return {
    code: { ref: SHA_A },
    model: { provider: 'openai', name: 'gpt-4', params: { temperature: 0.7, max_tokens: 2000 } },
    prompt: { system: 'You are a helpful customer support agent.\nBe kind.\n', instructions: 'Always be polite and concise.', examples: [] },
    tools: [
      {
        name: 'search',
        description: 'Search the knowledge base',
        parameters: {
          type: 'object',
          properties: { query: { type: 'string' }, mode: { type: 'string', enum: ['fast', 'deep'] } },
          required: ['query'],
        },
        enabled: true,
      },
      { name: 'send_email', description: 'Send an email', parameters: { type: 'object', properties: { to: { type: 'string' } }, required: ['to'] }, enabled: true },
    ],
    policies: { maxSteps: 10, maxCostPerRequestUsd: 1, allowedTools: ['search', 'send_email'] },
  };
}

/** Deep copy of the base input with `edit` applied, validated. */
export function version(edit: (input: AgentVersionInput) => void = () => undefined): AgentVersionSpec {
  const input = structuredClone(baseInput());
  edit(input);
  return parseAgentVersion(input);
}
