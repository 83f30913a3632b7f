// The Node-RED editor in Chromium: what it thinks of the deployed flows (every node of a known type and
// valid, as after an import), and a picture of each flow as it shows it. The functions handed to
// page.evaluate run in the browser; the project compiles without the DOM library, so the part of the
// browser they use is typed here.

import type { Browser, Page } from 'playwright-core';

interface EditorNode {
  id: string;
  type: string;
  valid?: boolean;
  validationErrors?: string[];
}

interface Box {
  left: number;
  top: number;
  right: number;
  bottom: number;
}

/** What the page code below uses: the editor's API and a little of the DOM. */
interface PageGlobals {
  RED?: {
    nodes: {
      version(): unknown;
      eachNode(f: (n: EditorNode) => void): void;
      eachConfig(f: (n: EditorNode) => void): void;
      getType(type: string): unknown;
      remove(id: string): unknown;
    };
    menu: { setSelected(id: string, on: boolean): void };
    view: { redraw(full: boolean): void };
    workspaces: { show(id: string): void; active(): string };
  };
  document: {
    querySelector(selector: string): unknown;
    querySelectorAll(selector: string): ArrayLike<{ getBoundingClientRect(): Box }>;
  };
  requestAnimationFrame(callback: () => void): void;
}

export async function openEditor(browser: Browser, url: string, timeoutMs: number): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 1280, height: 720 } });
  await page.goto(url);
  await page.waitForFunction(
    () => {
      const g = globalThis as unknown as PageGlobals;
      return g.RED?.nodes?.version() !== undefined && g.document.querySelector('.red-ui-flow-node') !== null;
    },
    null,
    { timeout: timeoutMs },
  );
  return page;
}

/** Nodes the editor does not know or finds invalid, as it would show them after an import. */
export function editorProblems(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const RED = (globalThis as unknown as PageGlobals).RED!;
    const found: string[] = [];
    const check = (n: EditorNode) => {
      if (n.type !== 'tab' && !RED.nodes.getType(n.type)) found.push(`${n.id}: unknown type ${n.type}`);
      if (n.valid === false) found.push(`${n.id} (${n.type}): invalid ${JSON.stringify(n.validationErrors)}`);
    };
    RED.nodes.eachNode(check);
    RED.nodes.eachConfig(check);
    return found;
  });
}

/**
 * A PNG of each tab's nodes as the editor draws them, live (statuses under the nodes), cropped to the
 * nodes; `hidden` nodes are taken out of the picture first (in the page only: nothing is deployed).
 */
export async function flowPictures(
  page: Page,
  tabs: string[],
  hidden: string[],
  save: (tab: string, png: Buffer) => void,
): Promise<void> {
  await page.evaluate((ids) => {
    const RED = (globalThis as unknown as PageGlobals).RED!;
    RED.menu.setSelected('menu-item-sidebar', false);
    RED.menu.setSelected('menu-item-palette', false);
    for (const id of ids) RED.nodes.remove(id);
    RED.view.redraw(true);
  }, hidden);
  for (const tab of tabs) {
    await page.evaluate((id) => (globalThis as unknown as PageGlobals).RED!.workspaces.show(id), tab);
    await page.waitForFunction(
      (id) => (globalThis as unknown as PageGlobals).RED!.workspaces.active() === id,
      tab,
    );
    // Two animation frames: the workspace has been drawn.
    await page.evaluate(
      () =>
        new Promise<void>((resolve) => {
          const g = globalThis as unknown as PageGlobals;
          g.requestAnimationFrame(() => g.requestAnimationFrame(resolve));
        }),
    );
    const clip = await page.evaluate(() => {
      const g = globalThis as unknown as PageGlobals;
      const boxes = Array.from(
        g.document.querySelectorAll('#red-ui-workspace-chart .red-ui-flow-node-group'),
      ).map((n) => n.getBoundingClientRect());
      const MARGIN_PX = 16;
      const left = Math.max(0, Math.min(...boxes.map((b) => b.left)) - MARGIN_PX);
      const top = Math.max(0, Math.min(...boxes.map((b) => b.top)) - MARGIN_PX);
      return {
        x: left,
        y: top,
        width: Math.max(...boxes.map((b) => b.right)) + MARGIN_PX - left,
        height: Math.max(...boxes.map((b) => b.bottom)) + MARGIN_PX - top,
      };
    });
    save(tab, await page.screenshot({ clip }));
  }
}
