import { parseDuration, runKillSwitchCli } from './kill-switch-cli';

const io = () => {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, io: { env: { IRIS_KILL_SWITCH_URL: 'http://127.0.0.1:1' }, out: (l: string) => out.push(l), err: (l: string) => err.push(l) } };
};

describe('kill-switch CLI (no server needed)', () => {
  it.each([
    [[], /no command/],
    [['explode'], /unknown command explode/],
    [['kill', '--agent', 'bot'], /--reason is required/],
    [['kill', '--reason', 'x', '--ttl', 'soon'], /--ttl soon/],
    [['kill', '--reason', 'x', '--colour', 'red'], /colour/],
    [['unkill'], /one kill id/],
    [['fallback', 'bot'], /a version id \(or --clear\)/],
    [['fallback', 'bot', 'v1', '--clear'], /a version id \(or --clear\)/],
  ])('%j is a usage error (exit 2, with the usage)', async (argv, message) => {
    const run = io();
    expect(await runKillSwitchCli(argv, run.io)).toBe(2);
    expect(run.err.join('\n')).toMatch(message);
    expect(run.err.join('\n')).toMatch(/usage:/);
  });

  it('an unreachable service is a failure (exit 1) naming the command', async () => {
    const run = io();
    expect(await runKillSwitchCli(['list'], run.io)).toBe(1);
    expect(run.err[0]).toMatch(/^kill-switch list: fetch failed/);
  });

  it('reads durations', () => {
    expect([parseDuration('1500'), parseDuration('90s'), parseDuration('30m'), parseDuration('2h'), parseDuration('1d')]).toEqual([1_500, 90_000, 1_800_000, 7_200_000, 86_400_000]);
  });
});
