import { JsonLogger } from './index';

describe('JsonLogger', () => {
  it('writes one JSON object per line with service, level, message and fields', () => {
    const lines: string[] = [];
    const logger = new JsonLogger('registry', 'info', (line) => lines.push(line));
    logger.info('version registered', { agent: 'support-bot', versionId: 'v1' });
    logger.debug('hidden below the minimum level');
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0])).toMatchObject({ level: 'info', service: 'registry', msg: 'version registered', agent: 'support-bot', versionId: 'v1' });
  });

  it('masks secret-looking fields, also nested', () => {
    const lines: string[] = [];
    const logger = new JsonLogger('kill-switch', 'debug', (line) => lines.push(line));
    logger.info('connecting', { sasl: { username: 'u', password: 'p4ss' }, nested: { apiKey: 'k', token: 't' } });
    expect(lines[0]).not.toMatch(/p4ss|"k"|"t"/);
  });

  it('accepts Nest-style (message, context) calls', () => {
    const lines: string[] = [];
    new JsonLogger('x', 'info', (line) => lines.push(line)).log('Mapped route', 'RouterExplorer');
    expect(JSON.parse(lines[0])).toMatchObject({ msg: 'Mapped route', context: 'RouterExplorer' });
  });
});
