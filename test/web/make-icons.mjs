#!/usr/bin/env node
// Renders the dashboard's icon (daemon/web/client/icons/icon.svg) to the PNG sizes phones want for the
// home screen (192, 512, and 180 for iOS), with Debian's Chromium. Run after changing the SVG:
//   node test/web/make-icons.mjs

import { readFileSync } from 'node:fs';
import { chromium } from 'playwright-core';

const dir = new URL('../../daemon/web/client/icons/', import.meta.url).pathname;
const svg = readFileSync(`${dir}icon.svg`, 'utf8');
const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu'],
});
try {
  for (const size of [180, 192, 512]) {
    const page = await browser.newPage({ viewport: { width: size, height: size } });
    await page.setContent(
      `<html><body style="margin:0;background:transparent">${svg.replace('<svg ', `<svg width="${size}" height="${size}" `)}</body></html>`,
    );
    await page.screenshot({ path: `${dir}icon-${size}.png`, omitBackground: true });
    await page.close();
  }
} finally {
  await browser.close();
}
