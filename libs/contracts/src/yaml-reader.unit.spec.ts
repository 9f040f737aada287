import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseYaml, YamlSyntaxError } from './yaml-reader';
import { toYaml } from './yaml';

const fixture = (name: string): string => readFileSync(join(__dirname, 'test-fixtures', 'seed-yaml', name), 'utf8');

describe('parseYaml: the seed files', () => {
  it('reads quality_gates.yaml', () => {
    const doc = parseYaml(fixture('quality_gates.yaml')) as any;
    expect(doc.gates).toHaveLength(5);
    expect(doc.gates[0]).toEqual({ name: 'quality_score', type: 'threshold', metric: 'offline_quality_score', threshold: 0.85, operator: '>=' });
    expect(doc.gates[2]).toEqual({ name: 'regression_tests', type: 'test_suite', test_suite: 'critical_scenarios', min_pass_rate: 1 });
    expect(doc.gates.map((g: any) => g.operator)).toEqual(['>=', '>=', undefined, '<=', '<=']);
  });

  it('reads docker-compose.yml (empty values, flow lists, `${VAR}` and quoted numbers stay text)', () => {
    const doc = parseYaml(fixture('docker-compose.yml')) as any;
    expect(doc.version).toBe('3.9');
    expect(Object.keys(doc.services)).toEqual(['agent-api', 'agent-worker', 'db', 'redis']);
    expect(doc.services['agent-api'].ports).toEqual(['8000:8000']);
    expect(doc.services['agent-api'].environment[2]).toBe('OPENAI_API_KEY=${OPENAI_API_KEY}');
    expect(doc.services['agent-api'].deploy.resources.limits).toEqual({ cpus: '2', memory: '4G' });
    expect(doc.services.db.healthcheck).toEqual({ test: ['CMD-SHELL', 'pg_isready -U postgres'], interval: '5s', timeout: '5s', retries: 5 });
    expect(doc.volumes).toEqual({ postgres_data: null, redis_data: null });
  });

  it('reads a Kubernetes Deployment (lists at their key\'s indent, dotted keys) and an HPA', () => {
    const deployment = parseYaml(fixture('agent-deployment.yaml')) as any;
    const pod = deployment.spec.template.spec;
    expect(deployment.spec.template.metadata.annotations).toEqual({ 'prometheus.io/scrape': 'true', 'prometheus.io/port': '8000', 'prometheus.io/path': '/metrics' });
    expect(pod.containers[0].env.map((e: any) => e.name)).toEqual(['DATABASE_URL', 'OPENAI_API_KEY', 'POD_NAME']);
    expect(pod.containers[0].lifecycle.preStop.exec.command).toEqual(['/bin/sh', '-c', 'sleep 10']);
    expect(pod.affinity.podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution[0].podAffinityTerm.topologyKey).toBe('kubernetes.io/hostname');
    const hpa = parseYaml(fixture('agent-hpa.yaml')) as any;
    expect(hpa.spec.metrics.map((m: any) => m.type)).toEqual(['Resource', 'Resource', 'Pods']);
    expect(hpa.spec.behavior.scaleDown.policies).toEqual([{ type: 'Pods', value: 1, periodSeconds: 120 }]);
  });

  it('round-trips every seed file through toYaml', () => {
    for (const name of ['quality_gates.yaml', 'docker-compose.yml', 'agent-deployment.yaml', 'agent-hpa.yaml']) {
      const value = parseYaml(fixture(name));
      expect(parseYaml(toYaml(value))).toEqual(value);
    }
  });
});

describe('parseYaml: real-world shapes', () => {
  it('expands anchors, aliases and `<<` merge keys', () => {
    const text = [
      'defaults: &defaults',
      '  provider: openai',
      '  temperature: 0.2',
      'tools: &tools [search_database, send_email]',
      'versions:',
      '  stable:',
      '    <<: *defaults',
      '    name: gpt-4',
      '  canary:',
      '    <<: *defaults',
      '    temperature: 0.7',
      '    name: gpt-4o',
      '    tools: *tools',
    ].join('\n');
    expect(parseYaml(text)).toEqual({
      defaults: { provider: 'openai', temperature: 0.2 },
      tools: ['search_database', 'send_email'],
      versions: {
        stable: { provider: 'openai', temperature: 0.2, name: 'gpt-4' },
        canary: { provider: 'openai', temperature: 0.7, name: 'gpt-4o', tools: ['search_database', 'send_email'] },
      },
    });
  });

  it('reads literal and folded block strings with every chomping indicator', () => {
    const text = [
      'prompt:',
      '  system: |',
      '    You are a helpful customer support agent.',
      '',
      '    - Be kind.',
      '      Be brief.',
      '  instructions: >',
      '    Always be polite',
      '    and concise.',
      '',
      '    Never promise refunds.',
      '  strip: |-',
      '    no newline',
      '  keep: >+',
      '    kept',
      '',
      'quoted: "one',
      '  two"',
      'plain: a multi-line',
      '  plain scalar',
    ].join('\n');
    expect(parseYaml(text)).toEqual({
      prompt: {
        system: 'You are a helpful customer support agent.\n\n- Be kind.\n  Be brief.\n',
        instructions: 'Always be polite and concise.\nNever promise refunds.\n',
        strip: 'no newline',
        keep: 'kept\n\n',
      },
      quoted: 'one two',
      plain: 'a multi-line plain scalar',
    });
  });

  it('reads multi-line flow collections, explicit `!!str` tags and YAML 1.2 scalars', () => {
    expect(parseYaml('allowed_tools: [\n  search_database,\n  send_email,\n]\nlabel: !!str 1.10\nyes: no\nhex: 0x1F\n')).toEqual({
      allowed_tools: ['search_database', 'send_email'],
      label: '1.10',
      yes: 'no',
      hex: 31,
    });
  });
});

describe('parseYaml: refusals name line and column', () => {
  it.each<[string, number, number, string | RegExp]>([
    ['a: 1\na: 2', 2, 1, 'duplicate key "a"'],
    ['a:\n\t- 1', 2, 1, /tabs are not allowed/i],
    ['a: .inf', 1, 4, 'non-finite number .inf is not supported'],
    ['model: [unclosed\n', 2, 1, /end with a \]/],
    ['a: !custom 1', 1, 4, 'Unresolved tag: !custom'],
    ['a: !!binary aGVsbG8=', 1, 4, /Unresolved tag/],
    ['? [a]\n: 1', 1, 3, 'a mapping key must be a scalar'],
    ['x: *nope', 1, 4, 'unknown alias *nope'],
    ['---\na: 1\n---\nb: 2', 3, 1, /multiple documents/],
  ])('%j', (text, line, column, reason) => {
    let error: unknown;
    try {
      parseYaml(text);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(YamlSyntaxError);
    expect(error).toMatchObject({ line, column });
    expect((error as Error).message).toMatch(reason);
    expect((error as Error).message).toMatch(new RegExp(`^YAML line ${line}, column ${column}: `));
  });

  it('refuses an alias bomb instead of expanding it', () => {
    const lines = ['a: &a [1, 1, 1, 1, 1, 1, 1, 1, 1, 1]'];
    for (const [name, prev] of [['b', 'a'], ['c', 'b'], ['d', 'c']]) lines.push(`${name}: &${name} [${Array(10).fill(`*${prev}`).join(', ')}]`);
    expect(() => parseYaml(lines.join('\n'))).toThrow(YamlSyntaxError);
  });

  it('builds plain objects only (a `__proto__` key is data)', () => {
    const value = parseYaml('__proto__: {polluted: true}') as any;
    expect(Object.getPrototypeOf(value)).toBe(Object.prototype);
    expect(({} as any).polluted).toBeUndefined();
    expect(Object.keys(value)).toEqual(['__proto__']);
  });
});
