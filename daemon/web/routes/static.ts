// The page itself: index.html (revalidated every time: it names the current assets) and the
// content-hashed assets (cached for a year, immutable), each in brotli or gzip as the browser accepts.

import { encodedBody, type Asset, type AssetCatalog } from '../assets.js';
import { header, problem, type Route, type WebRequest, type WebResponse } from '../http.js';

export function staticRoutes(deps: { assets: Pick<AssetCatalog, 'get'> }): Route[] {
  const serve = async (req: WebRequest, path: string): Promise<WebResponse> => {
    const asset = await deps.assets.get(path);
    if (!asset) return problem(404, 'not-found', 'Not found.');
    return assetResponse(asset, req);
  };
  return [
    { method: 'GET', path: '/', access: 'public', handler: (req) => serve(req, '/') },
    { method: 'GET', path: '/index.html', access: 'public', handler: (req) => serve(req, '/') },
    {
      method: 'GET',
      path: '/assets/:file',
      access: 'public',
      handler: (req) => serve(req, req.path),
    },
    { method: 'GET', path: '/assets/:dir/:file', access: 'public', handler: (req) => serve(req, req.path) },
    {
      method: 'GET',
      path: '/favicon.ico',
      access: 'public',
      handler: () => ({ status: 404, headers: { 'cache-control': 'max-age=86400' } }),
    },
  ];
}

export function assetResponse(asset: Asset, req: WebRequest): WebResponse {
  const cache = asset.immutable ? 'public, max-age=31536000, immutable' : 'no-cache';
  if (header(req, 'if-none-match') === asset.etag)
    return { status: 304, headers: { etag: asset.etag, 'cache-control': cache } };
  const { body, encoding } = encodedBody(asset, header(req, 'accept-encoding'));
  return {
    status: 200,
    headers: {
      'content-type': asset.type,
      'cache-control': cache,
      etag: asset.etag,
      vary: 'accept-encoding',
      ...(encoding ? { 'content-encoding': encoding } : {}),
    },
    body,
  };
}
