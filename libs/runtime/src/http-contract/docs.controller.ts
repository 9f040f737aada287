import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Controller, Get, Header, Inject, NotFoundException, Res } from '@nestjs/common';
import type { Response } from 'express';
import { Public } from '@iris/auth';
import type { OpenApiDocument } from './openapi';

export const OPENAPI_DOCUMENT = Symbol('OPENAPI_DOCUMENT');

/** Scalar's standalone bundle, from the installed package (its `exports` hide the file from require.resolve). */
function scalarBundle(): string | undefined {
  const file = join('@scalar', 'api-reference', 'dist', 'browser', 'standalone.js');
  return (require.resolve.paths('@scalar/api-reference') ?? []).map((dir) => join(dir, file)).find((path) => existsSync(path));
}

const page = (title: string) => `<!doctype html>
<html>
  <head>
    <title>${title.replace(/[<>&"]/g, '')}</title>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
  </head>
  <body>
    <div id="app"></div>
    <script src="/docs/ui/standalone.js"></script>
    <script>Scalar.createApiReference('#app', { url: '/docs', withDefaultFonts: false, hideClientButton: false });</script>
  </body>
</html>
`;

/** `/docs`: the service's OpenAPI document; `/docs/ui`: the same rendered (Scalar, from node_modules). */
@Controller('docs')
@Public()
export class ApiDocsController {
  private readonly bundle = scalarBundle();

  constructor(@Inject(OPENAPI_DOCUMENT) private readonly document: OpenApiDocument) {}

  @Get()
  openApi(): OpenApiDocument {
    return this.document;
  }

  @Get('ui')
  @Header('content-type', 'text/html; charset=utf-8')
  ui(): string {
    return page(this.document.info.title);
  }

  @Get('ui/standalone.js')
  script(@Res() response: Response): void {
    if (!this.bundle) throw new NotFoundException({ code: 'NOT_INSTALLED', message: '@scalar/api-reference is not installed', errors: [] });
    response.type('text/javascript').sendFile(this.bundle, { maxAge: 3_600_000 });
  }
}
