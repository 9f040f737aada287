/** A small HTTP client of the kill-switch API (Node's fetch), as the CLI uses it. */
export interface KillSwitchClientOptions {
  baseUrl: string;
  token?: string;
}

export interface ApiResponse<T = any> {
  status: number;
  body: T;
}

export class KillSwitchClient {
  constructor(private readonly options: KillSwitchClientOptions) {}

  kill(body: Record<string, unknown>): Promise<ApiResponse> {
    return this.request('POST', '/v1/kills', body);
  }

  release(killId: string, reason?: string): Promise<ApiResponse> {
    return this.request('DELETE', `/v1/kills/${encodeURIComponent(killId)}`, reason === undefined ? undefined : { reason });
  }

  list(): Promise<ApiResponse> {
    return this.request('GET', '/v1/kills');
  }

  agentKills(agent: string): Promise<ApiResponse> {
    return this.request('GET', `/v1/agents/${encodeURIComponent(agent)}/kills`);
  }

  setFallback(agent: string, versionId: string | null): Promise<ApiResponse> {
    return this.request('PUT', `/v1/agents/${encodeURIComponent(agent)}/fallback`, { versionId });
  }

  private async request(method: string, path: string, body?: unknown): Promise<ApiResponse> {
    const headers: Record<string, string> = {};
    if (this.options.token) headers.authorization = `Bearer ${this.options.token}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    const response = await fetch(new URL(path, this.options.baseUrl), { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    const raw = await response.text();
    let parsed: unknown = raw;
    try {
      parsed = JSON.parse(raw);
    } catch {
      // not JSON: keep the text
    }
    return { status: response.status, body: parsed };
  }
}

/** One line saying why the kill switch refused a request: status, code, message, field reasons, stranded slices. */
export function describeRefusal(response: ApiResponse): string {
  const body = response.body as { code?: string; message?: string; errors?: Array<{ field: string; reason: string }> } | string;
  if (typeof body !== 'object' || body === null) return `${response.status} ${String(body).slice(0, 200)}`;
  const errors = body.errors?.length ? ` [${body.errors.map((e) => `${e.field}: ${e.reason}`).join('; ')}]` : '';
  return `${response.status}${body.code ? ` ${body.code}` : ''}: ${body.message ?? ''}${errors}`;
}
