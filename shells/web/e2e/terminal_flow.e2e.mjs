// The terminal in the IDE, against the real server's terminal WebSocket: run the file saved in
// Monaco from the shell and see its output, a file made by a shell command appears in the
// explorer, the terminal follows its panel's size, a reload re-attaches to the same shell with
// its scrollback, and a server restart under the open page is recovered from by itself.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { CodeyardServer, launchBrowser, newPage, screenshot, waitFor } from "./lib/harness.mjs";
import {
  createWorkspace,
  newFile,
  openWorkspace,
  runInTerminal,
  saveWithKeyboard,
  signUp,
  terminalText,
  treeRow,
  typeInEditor,
  waitForIde,
  waitForTerminal,
} from "./lib/steps.mjs";

let server;
let browser;

before(async () => {
  server = await CodeyardServer.start("terminal");
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.dispose();
});

const clean = (text) => text.replace(/\u00a0/g, " ");

/** The last match of `re` (with a capture group) in the terminal's text. */
async function lastMatch(page, re) {
  const all = [...clean(await terminalText(page)).matchAll(re)];
  return all.length ? all[all.length - 1] : null;
}

/** Runs `echo` with a fresh marker so the answer is told apart from earlier ones. */
async function shellPid(page) {
  const marker = `m${Date.now() % 100000}`;
  await runInTerminal(page, `echo ${marker}=$$`, new RegExp(`${marker}=\\d+`));
  return (await lastMatch(page, new RegExp(`${marker}=(\\d+)`, "g")))[1];
}

async function sttySize(page) {
  const marker = `s${Date.now() % 100000}`;
  await runInTerminal(page, `echo ${marker} $(stty size)`, new RegExp(`${marker} \\d+ \\d+`));
  const m = await lastMatch(page, new RegExp(`${marker} (\\d+) (\\d+)`, "g"));
  return { rows: Number(m[1]), cols: Number(m[2]) };
}

test("the terminal: run, files, resize, reload, restart", async (t) => {
  const page = await newPage(browser);
  let pid = "";

  await t.test("a saved file runs in the terminal", async () => {
    await signUp(page, server.url, "dennis");
    await createWorkspace(page, "shell work");
    await openWorkspace(page, "shell work");
    await waitForTerminal(page);
    await newFile(page, "main.py");
    await typeInEditor(page, 'print("hello from the terminal")\n');
    await saveWithKeyboard(page);
    await runInTerminal(page, "python3 main.py", "hello from the terminal");
    await screenshot(page, "10-terminal");
  });

  await t.test("a file made in the shell appears in the explorer", async () => {
    // $((...)) makes the answer differ from the echoed command line.
    await runInTerminal(page, "echo x > made.txt && echo done-$((40+2))", "done-42");
    await treeRow(page, "made.txt").waitFor();
  });

  await t.test("the terminal follows its panel's size", async () => {
    const before = await sttySize(page);
    const splitter = page.getByRole("separator", { name: "Resize the terminal" });
    await splitter.focus();
    for (let i = 0; i < 5; i++) await page.keyboard.press("ArrowUp"); // the panel grows by 100 px
    await waitFor(async () => (await sttySize(page)).rows > before.rows, { what: "more rows after the resize" });
  });

  await t.test("a reload re-attaches to the same shell with its scrollback", async () => {
    pid = await shellPid(page);
    await page.reload();
    await waitForIde(page, "shell work");
    await waitForTerminal(page);
    await waitFor(async () => clean(await terminalText(page)).includes("done-42"), { what: "the scrollback" });
    assert.equal(await shellPid(page), pid);
    await treeRow(page, "made.txt").waitFor();
  });

  await t.test("after a server restart the terminal reconnects by itself", async () => {
    await server.stop();
    await page.getByTestId("terminal-banner").waitFor();
    await screenshot(page, "11-terminal-reconnecting");
    await server.launch();
    await waitForTerminal(page);
    await page.getByTestId("terminal-banner").waitFor({ state: "detached" });
    await runInTerminal(page, "echo back-$((2+3))", "back-5");
  });

  assert.deepEqual(page.problems, []);
});
