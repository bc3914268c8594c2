// The problems pages end to end against the real server, its job queue and grader: the hello
// example problem is imported with the real CLI; a person finds it in the list, opens it, runs
// their code with a custom input (queued -> done, the output shown), submits a wrong answer
// (wrong_answer on a test in the results table), fixes it (accepted, full score), and the
// progress page shows it solved; a reload keeps the code typed for the problem. A second server
// with `limits.jobs_per_minute=1` shows the queue's 429 as a sentence with the wait, on the
// page, not an error page. Every wait is on a condition.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { CodeyardServer, launchBrowser, newPage, screenshot, waitFor } from "./lib/harness.mjs";
import { signUp } from "./lib/steps.mjs";

const CLI_BIN = process.env.CODEYARD_CLI_BIN ?? "";
const HELLO = join(process.cwd(), "..", "..", "examples", "problems", "hello");
const SUM = join(process.cwd(), "..", "..", "examples", "problems", "sum");
const GRADE = 120_000; // a queued job on a loaded 2-core machine, pods included
let browser;
const servers = [];

async function serverWithHello(name, settings = []) {
  const server = await CodeyardServer.start(name, { settings });
  servers.push(server);
  execFileSync(CLI_BIN, ["problems", "import", HELLO, "--data", server.dataDir], { stdio: "pipe" });
  return server;
}

before(async () => {
  if (!CLI_BIN) throw new Error("CODEYARD_CLI_BIN must be set (run through ctest)");
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  for (const s of servers) await s.dispose();
});

/** Replaces the solution editor's text (insertText: no auto-closed brackets or quotes). */
async function setCode(page, text) {
  await page.locator("[data-testid=problem-editor] .monaco-editor .view-lines").click();
  await page.keyboard.press("Control+A");
  await page.keyboard.press("Delete");
  await page.keyboard.insertText(text);
}

async function openHello(page, base) {
  await page.getByRole("link", { name: "Problems", exact: true }).click();
  const row = page.locator("tr[data-problem=hello]");
  await row.waitFor();
  await row.getByRole("link", { name: "Hello, World!" }).click();
  await page.getByRole("heading", { name: "Hello, World!", level: 1 }).waitFor();
  await page.locator("[data-testid=problem-editor] .monaco-editor").waitFor();
  assert.match(page.url(), new RegExp(`^${base}/problems/hello$`));
  await page.getByLabel("Language").selectOption("python");
}

async function submitAndWait(page) {
  await page.getByRole("button", { name: "Submit" }).click();
  const state = page.locator("[data-testid=submission-state]");
  await waitFor(async () => (await state.getAttribute("data-state")) === "done", { timeout: GRADE, what: "the submission's result" });
  return page.getByTestId("submission-verdict").innerText();
}

test("list, run, submit wrong then right, progress", async () => {
  const server = await serverWithHello("problems");
  const page = await newPage(browser);
  await signUp(page, server.url, "solver");
  await openHello(page, server.url);
  assert.match(await page.getByTestId("statement").innerText(), /Hello/);

  await setCode(page, "import sys\nprint('got ' + sys.stdin.read().strip())\n");
  await page.getByLabel("Custom input").fill("forty-two");
  await page.getByRole("button", { name: "Run" }).click();
  const runState = page.locator("[data-testid=run-state]");
  await waitFor(async () => (await runState.getAttribute("data-state")) === "done", { timeout: GRADE, what: "the run's result" });
  assert.equal(await page.getByTestId("run-verdict").innerText(), "ok");
  assert.equal((await page.getByTestId("run-stdout").innerText()).trim(), "got forty-two");

  await setCode(page, 'print("hello world")\n');
  assert.equal(await submitAndWait(page), "wrong_answer");
  const wrong = page.locator("[aria-label='Test results'] tr[data-verdict=wrong_answer]");
  assert.ok((await wrong.count()) >= 1, "a test row shows wrong_answer");
  await screenshot(page, "problems-wrong-answer");

  // The code is kept per problem and language: a reload shows it again.
  await page.reload();
  await page.locator("[data-testid=problem-editor] .monaco-editor").waitFor();
  await waitFor(async () => (await page.locator("[data-testid=problem-editor] .view-lines").innerText()).replace(/\u00a0/g, " ").includes("hello world"), {
    what: "the kept code after a reload",
  });

  await setCode(page, 'print("Hello, World!")\n');
  assert.equal(await submitAndWait(page), "accepted");
  const score = await page.getByTestId("submission-score").innerText();
  const result = await page.getByTestId("submission-result").innerText();
  assert.match(result, new RegExp(`score ${score} / ${score}`));
  assert.ok(Number(score) > 0);
  await screenshot(page, "problems-accepted");

  await page.getByRole("link", { name: "Progress", exact: true }).click();
  const row = page.locator("tr[data-problem=hello]");
  await row.waitFor();
  assert.equal(await row.getAttribute("data-solved"), "yes");
  assert.deepEqual(page.problems, []);
});

test("over the per-minute job limit: a message with the wait, not an error page", async () => {
  const server = await serverWithHello("problems-limit", ["limits.jobs_per_minute=1"]);
  const page = await newPage(browser);
  await signUp(page, server.url, "limited");
  await openHello(page, server.url);
  await setCode(page, 'print("Hello, World!")\n');
  const run = page.getByRole("button", { name: "Run" });
  await run.click();
  const runState = page.locator("[data-testid=run-state]");
  await waitFor(async () => (await runState.getAttribute("data-state")) === "done", { timeout: GRADE, what: "the first run" });
  await run.click();
  const refusal = page.getByTestId("run-refusal");
  await refusal.waitFor();
  assert.match(await refusal.innerText(), /^You are over your limit of 1 jobs per minute; try again in \d+ s\.$/);
  await page.getByRole("heading", { name: "Hello, World!", level: 1 }).waitFor(); // still the page
  await screenshot(page, "problems-rate-limited");
  assert.deepEqual(page.problems, []);
});

test("a statement's image renders from the problem's assets", async () => {
  const server = await serverWithHello("problems-image");
  execFileSync(CLI_BIN, ["problems", "import", SUM, "--data", server.dataDir], { stdio: "pipe" });
  const page = await newPage(browser);
  await signUp(page, server.url, "viewer");
  await page.getByRole("link", { name: "Problems", exact: true }).click();
  const row = page.locator("tr[data-problem=sum]");
  await row.waitFor();
  await row.getByRole("link").first().click();
  const image = page.getByTestId("statement").getByRole("img", { name: "Numbers flowing into a sum" });
  await image.waitFor();
  // Decoded and laid out: the data: URI holds the package's SVG, not a broken link.
  await waitFor(async () => (await image.evaluate((img) => img.complete && img.naturalWidth)) > 0, {
    timeout: 10_000,
    what: "the statement image decoded",
  });
  assert.match(await image.getAttribute("src"), /^data:image\/svg\+xml;base64,/);
  await screenshot(page, "problems-statement-image");
  assert.deepEqual(page.problems, []);
});
