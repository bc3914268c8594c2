// A run outlives its WebSocket (issue 17): a page reload during a run picks the same run up
// again (its id kept in the tab's sessionStorage), shows the output it printed meanwhile and
// then live output and the verdict; and what a person types while a C program still compiles
// reaches the program's scanf.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { Api, CodeyardServer, launchBrowser, newPage, waitFor } from "./lib/harness.mjs";
import { PASSWORD, createWorkspace, openWorkspace, signUp, treeRow } from "./lib/steps.mjs";

let server;
let browser;

before(async () => {
  server = await CodeyardServer.start("run-reconnect");
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.dispose();
});

const outputText = (page) => page.locator("[data-testid=run-output] .xterm-rows").innerText();
const verdictText = async (page) => {
  const v = page.getByTestId("verdict");
  return (await v.count()) > 0 ? v.innerText() : "";
};

async function waitOutput(page, re, what) {
  await waitFor(async () => re.test(await outputText(page)), { timeout: 60_000, what });
}

async function openFile(page, path) {
  await treeRow(page, path).click();
  await page.locator(`[role=tab][data-path="${path}"][aria-selected=true]`).waitFor();
}

test("Run outlives a reload, and early input waits for the program", async (t) => {
  const page = await newPage(browser);
  const api = new Api(server.url);
  let ws = "";

  await t.test("set up", async () => {
    await signUp(page, server.url, "hopper");
    ws = await createWorkspace(page, "reconnect");
    await openWorkspace(page, "reconnect");
    await api.login("hopper", PASSWORD);
    await api.put(ws, "count.py", "import time\nfor i in range(30):\n    print('tick', i, flush=True)\n    time.sleep(0.1)\n");
    // A thousand functions for gcc -O2: a second or more of compiling, longer than the typing.
    let source = "#include <stdio.h>\n";
    for (let i = 0; i < 1000; i++) source += `int f${i}(int x) { return x * ${i} + (x >> 3) - (x ^ ${i * 7}); }\n`;
    source += 'int main(void) { int a, b; scanf("%d %d", &a, &b); printf("sum %d\\n", a + b); return 0; }\n';
    await api.put(ws, "sum.c", source);
    await treeRow(page, "count.py").waitFor();
  });

  await t.test("a reload during a run keeps showing its output and the verdict", async () => {
    await openFile(page, "count.py");
    await page.keyboard.press("F5");
    await waitOutput(page, /tick 3\n/, "the first ticks");
    await page.reload();
    // The same run again: what it printed before and during the reload, then the rest.
    await page.getByRole("region", { name: "Output" }).waitFor();
    await waitOutput(page, /tick 29\n/, "the last tick after the reload");
    await waitFor(async () => /^OK · exit 0/.test(await verdictText(page)), { timeout: 60_000, what: "the verdict" });
    // The rows on screen (the panel shows the last few): consecutive ticks up to the last, none
    // missing or twice where the reload's replay met the live output.
    const ticks = [...(await outputText(page)).matchAll(/tick (\d+)/g)].map((m) => Number(m[1]));
    assert.ok(ticks.length >= 3, `ticks on screen: ${ticks}`);
    assert.deepEqual(ticks, ticks.map((_, i) => 30 - ticks.length + i));
    assert.match(await page.getByTestId("run-command").innerText(), /^\$ python3 count\.py$/);
  });

  await t.test("input typed while C compiles reaches scanf", async () => {
    await openFile(page, "sum.c");
    await page.keyboard.press("F5");
    await page.getByText("Compiling…").waitFor();
    await page.getByTestId("run-output").click();
    await page.keyboard.type("40 2");
    await page.keyboard.press("Enter");
    // Typed before the program ran: the compile was still going on.
    assert.equal(await page.getByText("Compiling…").count(), 1);
    await waitFor(async () => /^OK · exit 0/.test(await verdictText(page)), { timeout: 120_000, what: "the verdict" });
    assert.match(await outputText(page), /sum 42/);
  });

  assert.deepEqual(page.problems, []);
});
