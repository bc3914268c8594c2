// The Preview panel against the real server's relay: a page served by `python3 -m http.server`
// started in the workspace's terminal is seen in the panel's frame and in a new tab with its image and script
// (the capability path /api/v1/previews/{ticket}/ carries the ticket in their relative URLs), and refused to
// another user (404).
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { Api, CodeyardServer, launchBrowser, newPage, screenshot, waitFor } from "./lib/harness.mjs";
import { PASSWORD, createWorkspace, openWorkspace, runInTerminal, signUp, waitForTerminal } from "./lib/steps.mjs";

let server;
let browser;

before(async () => {
  server = await CodeyardServer.start("preview");
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.dispose();
});

const PAGE = `<!doctype html><title>served</title><h1>Hello from the pod</h1><img alt=dot src=dot.svg><p id=said></p><script src=app.js></script>`;
const SCRIPT = `document.getElementById("said").textContent = "script ran";`;
const DOT = `<svg xmlns='http://www.w3.org/2000/svg' width='4' height='4'><rect width='4' height='4'/></svg>`;

test("the preview of what a workspace serves", async (t) => {
  const page = await newPage(browser);
  let ws = "";

  await t.test("a server started in the terminal shows in the Preview panel", async () => {
    await signUp(page, server.url, "pia");
    ws = await createWorkspace(page, "site");
    const api = new Api(server.url);
    await api.login("pia", PASSWORD);
    await api.put(ws, "site/index.html", PAGE);
    await api.put(ws, "site/dot.svg", DOT);
    await api.put(ws, "site/app.js", SCRIPT);
    await openWorkspace(page, "site");
    await waitForTerminal(page);
    await runInTerminal(page, "cd site && python3 -m http.server 8000", "Serving HTTP on");

    await page.getByRole("tab", { name: "Preview" }).click();
    await page.getByLabel("Port").fill("8000");
    await page.getByRole("button", { name: "Open preview" }).click();
    const frame = page.frameLocator('iframe[title="Preview of port 8000"]');
    await frame.getByRole("heading", { name: "Hello from the pod" }).waitFor();
    // The page runs sandboxed (an opaque origin: no cookies); its image and script load
    // because their relative URLs keep the ticket in the path.
    await frame.getByText("script ran").waitFor();
    await waitFor(() => frame.locator("img").evaluate((img) => img.complete && img.naturalWidth > 0), { what: "the image in the frame" });
    assert.equal(await frame.locator("img").evaluate((img) => img.naturalWidth), 4);
    await screenshot(page, "preview-panel");
    assert.deepEqual(page.problems, []);
  });

  await t.test("it opens in a new tab", async () => {
    const [tab] = await Promise.all([page.context().waitForEvent("page"), page.getByRole("button", { name: "Open in new tab" }).click()]);
    await tab.getByRole("heading", { name: "Hello from the pod" }).waitFor();
    await tab.getByText("script ran").waitFor();
    await waitFor(() => tab.locator("img").evaluate((img) => img.complete && img.naturalWidth > 0), { what: "the image in the tab" });
    assert.ok(/\/api\/v1\/previews\/[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\/$/.test(tab.url()), tab.url());
    await tab.close();
  });

  await t.test("a port nothing listens on says so", async () => {
    await page.getByLabel("Port").fill("8001");
    await page.getByRole("button", { name: "Open preview" }).click();
    const frame = page.frameLocator('iframe[title="Preview of port 8001"]');
    await frame.getByText("nothing listens on port 8001").waitFor();
  });

  await t.test("another user is refused (404)", async () => {
    const other = await newPage(browser);
    await signUp(other, server.url, "quinn");
    const api = new Api(server.url);
    await api.login("quinn", PASSWORD);
    assert.equal((await api.call("GET", `/workspaces/${ws}/ports/8000/`)).status, 404);
    assert.equal((await api.call("POST", `/workspaces/${ws}/previews`, { json: { port: 8000 } })).status, 404);
    // Quinn's browser has no ticket for it: the page itself is refused too.
    const res = await other.goto(`${server.url}/api/v1/workspaces/${ws}/ports/8000/`);
    assert.equal(res.status(), 401);
    assert.equal(await other.getByText("Hello from the pod").count(), 0);
    await other.close();
  });
});
