/** A small HTTP client of the registry API (Node's fetch), as the CLI uses it. */
export interface RegistryClientOptions {
  baseUrl: string;
  token?: string;
}

export interface ApiResponse<T = any> {
  status: number;
  body: T;
}

export class RegistryClient {
  constructor(private readonly options: RegistryClientOptions) {}

  pushYaml(agent: string, text: string, codeRef?: string): Promise<ApiResponse> {
    const query = codeRef ? `?codeRef=${encodeURIComponent(codeRef)}` : '';
    return this.request('POST', `/v1/agents/${encodeURIComponent(agent)}/versions${query}`, { body: text, contentType: 'application/yaml' });
  }

  listVersions(agent: string): Promise<ApiResponse> {
    return this.request('GET', `/v1/agents/${encodeURIComponent(agent)}/versions`);
  }

  async versionYaml(agent: string, ref: string): Promise<ApiResponse<string>> {
    return this.request('GET', `/v1/agents/${encodeURIComponent(agent)}/versions/${encodeURIComponent(ref)}/yaml`, { text: true });
  }

  private async request(method: string, path: string, options: { body?: string; contentType?: string; text?: boolean } = {}): Promise<ApiResponse> {
    const headers: Record<string, string> = {};
    if (this.options.token) headers.authorization = `Bearer ${this.options.token}`;
    if (options.contentType) headers['content-type'] = options.contentType;
    const response = await fetch(new URL(path, this.options.baseUrl), { method, headers, body: options.body });
    const raw = await response.text();
    if (options.text && response.ok) return { status: response.status, body: raw };
    let body: unknown = raw;
    try {
      body = JSON.parse(raw);
    } catch {
      // not JSON: keep the text
    }
    return { status: response.status, body };
  }
}

/** One line saying why the registry refused a request: status, code, message, field issues. */
export function describeRefusal(response: ApiResponse): string {
  const body = response.body as { code?: string; message?: string; errors?: Array<{ field: string; reason: string }> } | string;
  if (typeof body !== 'object' || body === null) return `${response.status} ${String(body).slice(0, 200)}`;
  const issues = body.errors?.length ? ` [${body.errors.map((e) => `${e.field}: ${e.reason}`).join('; ')}]` : '';
  return `${response.status}${body.code ? ` ${body.code}` : ''}: ${body.message ?? ''}${issues}`;
}
