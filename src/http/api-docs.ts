import { readFileSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import { ASYNCAPI_FILE } from '../docs/asyncapi.js';
import { openApiDocument } from '../docs/openapi.js';

/** The page's stylesheet, a file of its own: the Content-Security-Policy allows no inline style. */
const STYLE = `body{font:15px/1.45 system-ui,sans-serif;max-width:900px;margin:2em auto;padding:0 1em;color:#1d2330}
pre{background:#f3f5f9;padding:8px;overflow:auto;font-size:12px}section{border-top:1px solid #dde2ec;margin-top:1.5em}
h2 small{font-size:12px;background:#3b6ef5;color:#fff;border-radius:4px;padding:1px 6px;vertical-align:middle}
`;

/**
 * API documentation, served without any CDN: GET /docs (a plain HTML page rendered on the server,
 * with /docs/style.css), /docs/openapi.json (HTTP routes) and /docs/asyncapi.yaml (Socket.IO events).
 */
export function registerApiDocs(app: FastifyInstance): void {
  const openapi = openApiDocument();
  const page = renderPage(openapi);
  app.get('/docs/openapi.json', async () => openapi);
  app.get('/docs/asyncapi.yaml', async (_request, reply) =>
    reply.type('application/yaml; charset=utf-8').send(readFileSync(ASYNCAPI_FILE, 'utf8')),
  );
  app.get('/docs', async (_request, reply) => reply.type('text/html; charset=utf-8').send(page));
  app.get('/docs/style.css', async (_request, reply) => reply.type('text/css; charset=utf-8').send(STYLE));
}

interface Operation {
  summary?: string;
  security?: unknown[];
  parameters?: { name: string; in: string; required: boolean; schema: unknown }[];
  requestBody?: { content: Record<string, { schema: unknown }> };
  responses: Record<string, { description: string; content?: Record<string, { schema?: unknown }> }>;
}

const escape = (text: string) =>
  text.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string,
  );
const pre = (value: unknown) => `<pre>${escape(JSON.stringify(value, null, 2))}</pre>`;

/** One section per operation: parameters, request body and responses, with their JSON Schemas. */
function renderPage(document: Record<string, unknown>): string {
  const info = document.info as { title: string; description: string };
  const paths = document.paths as Record<string, Record<string, Operation>>;
  const sections = Object.entries(paths).flatMap(([path, operations]) =>
    Object.entries(operations).map(([method, op]) => {
      const parts = [
        `<h2><code>${method.toUpperCase()} ${escape(path)}</code>${op.security ? ' <small>Bearer</small>' : ''}</h2>`,
      ];
      if (op.summary) parts.push(`<p>${escape(op.summary)}</p>`);
      if (op.parameters?.length) {
        parts.push('<h3>Parameters</h3><ul>');
        for (const p of op.parameters) {
          parts.push(
            `<li><code>${escape(p.name)}</code> (${p.in}${p.required ? ', required' : ''}) ${escape(JSON.stringify(p.schema))}</li>`,
          );
        }
        parts.push('</ul>');
      }
      const body = op.requestBody?.content['application/json']?.schema;
      if (body) parts.push('<h3>Body</h3>', pre(body));
      parts.push('<h3>Responses</h3><ul>');
      for (const [status, response] of Object.entries(op.responses)) {
        const schema = response.content?.['application/json']?.schema;
        parts.push(`<li><b>${status}</b> ${escape(response.description)}${schema ? pre(schema) : ''}</li>`);
      }
      parts.push('</ul>');
      return `<section>${parts.join('')}</section>`;
    }),
  );
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escape(info.title)}</title>
<link rel="stylesheet" href="/docs/style.css"></head>
<body><h1>${escape(info.title)}</h1><p>${escape(info.description)}</p>
<p>Machine-readable: <a href="/docs/openapi.json">OpenAPI 3.1 (HTTP)</a> · <a href="/docs/asyncapi.yaml">AsyncAPI 3 (Socket.IO events)</a></p>
<h3>Components</h3>${pre((document.components as { schemas: unknown }).schemas)}
${sections.join('\n')}
</body></html>`;
}
