/**
 * `hearth pull`, `hearth models` and `hearth rm` as users run them (the CLI as a real
 * process), against a real HTTP server on 127.0.0.1 that serves a generated GGUF the way the
 * hub does, through HF_ENDPOINT, and drops, truncates or overfills its answers on demand. The
 * daemon then loads models by `hf:` URI and by catalog name through the same endpoint.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { existsSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { runCli, startDaemon, tempHome, untilStatus } from "../helpers/daemon-process.js";
import { closedPort, startModelServer, type ModelServer } from "../helpers/model-server.js";
import { testModels } from "../helpers/test-models.js";

const sha256 = (data: Buffer): string => createHash("sha256").update(data).digest("hex");

describe("hearth pull / models / rm", function () {
  this.timeout(180_000);
  let server: ModelServer;
  let model: Buffer;
  let home: string;
  let env: NodeJS.ProcessEnv;
  const pulled = (file: string): string => path.join(home, "models", "pulled", file);

  before(async () => {
    model = readFileSync((await testModels()).target);
    server = await startModelServer();
    home = tempHome("hearth-pull-");
    env = { HF_ENDPOINT: server.endpoint, HEARTH_HOME: home, HEARTH_CATALOG: "" };
  });
  after(async () => {
    await server.close();
    rmSync(home, { recursive: true, force: true });
  });

  it("lists models, pull and rm in hearth --help, each with its own --help, and refuses a name it cannot fetch", async () => {
    const help = await runCli(["--help"]);
    for (const command of ["models", "pull", "rm"]) {
      assert.match(help.stdout, new RegExp(`^  ${command} `, "m"));
      const own = await runCli([command, "--help"]);
      assert.equal(own.code, 0, command);
      assert.match(own.stdout, new RegExp(`Usage: hearth ${command}`));
    }
    const unknown = await runCli(["pull", "no-such-model"], env);
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /"no-such-model" is no model of the catalog.*Run `hearth models`/);
    assert.equal((await runCli(["pull"], env)).code, 2);
  });

  it("pulls an hf: URI through HF_ENDPOINT with a plain progress line per 10%, into a private 0600 file", async () => {
    server.serve("org", "tiny-GGUF", "tiny-q8_0.gguf", model);
    const result = await runCli(["pull", "hf:org/tiny-GGUF/tiny-q8_0.gguf"], env);
    assert.equal(result.code, 0, result.stderr);
    const percents = [...result.stdout.matchAll(/^hearth pull \S+: (\d+)% \(/gm)].map((m) => Number(m[1]));
    assert.ok(percents.length >= 3, `progress lines: ${result.stdout}`);
    assert.deepEqual(percents, [...percents].sort((a, b) => a - b), "progress only goes up");
    assert.equal(percents.at(-1), 100);
    assert.ok(percents.every((p) => p % 10 === 0), "one line per 10% step");
    assert.match(result.stdout, /MB\/s, ETA/);
    const file = pulled("hf_org_tiny-GGUF_tiny-q8_0.gguf");
    assert.ok(readFileSync(file).equals(model), "byte-identical");
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.equal(statSync(path.dirname(file)).mode & 0o777, 0o700);
    assert.ok(server.requests.some((r) => r.url === "/org/tiny-GGUF/resolve/main/tiny-q8_0.gguf?download=true"), "fetched from the HF_ENDPOINT server");
    const again = await runCli(["pull", "hf:org/tiny-GGUF/tiny-q8_0.gguf"], env);
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, /already downloaded/);
  });

  it("resumes a transfer the server cut midway with a Range request, to a byte-identical file", async () => {
    const cutAt = 300_000;
    server.serve("org", "cut-GGUF", "cut.gguf", model, { kind: "cut-once", bytes: cutAt });
    const before = server.requests.length;
    const result = await runCli(["pull", "hf:org/cut-GGUF/cut.gguf", "--json"], env);
    assert.equal(result.code, 0, result.stderr);
    const output = JSON.parse(result.stdout) as { requests: number; bytes: number; sha256: string; path: string };
    assert.equal(output.requests, 2);
    assert.equal(output.bytes, model.length);
    assert.equal(output.sha256, sha256(model));
    const gets = server.requests.slice(before).filter((r) => r.method === "GET");
    assert.equal(gets[0]?.range, null);
    // The client keeps what reached it before the cut: at most what the server sent.
    const resumedAt = Number(/^bytes=(\d+)-$/.exec(gets[1]?.range ?? "")?.[1]);
    assert.ok(resumedAt > 0 && resumedAt <= cutAt, `the second request resumes where the first was cut: ${gets[1]?.range}`);
    assert.ok(readFileSync(output.path).equals(model));
  });

  it("keeps a cut download's bytes when the server keeps failing, and resumes them on the next pull", async () => {
    const cutAt = 400_000;
    server.serve("org", "flaky-GGUF", "flaky.gguf", model, { kind: "cut-always", bytes: cutAt });
    const failed = await runCli(["pull", "hf:org/flaky-GGUF/flaky.gguf"], env);
    assert.equal(failed.code, 1);
    assert.match(failed.stderr, /Run the same `hearth pull` again/);
    const part = `${pulled("hf_org_flaky-GGUF_flaky.gguf")}.part`;
    const kept = statSync(part).size;
    assert.ok(kept > 0 && kept <= cutAt, `${kept} bytes kept`);
    assert.match(failed.stderr, new RegExp(`failed 5 times in a row .*; ${kept} bytes are kept in `));
    assert.equal(statSync(part).mode & 0o777, 0o600);
    assert.equal(existsSync(pulled("hf_org_flaky-GGUF_flaky.gguf")), false, "no half file under the final name");

    server.misbehave("org", "flaky-GGUF", { kind: "none" });
    const before = server.requests.length;
    const resumed = await runCli(["pull", "hf:org/flaky-GGUF/flaky.gguf", "--json"], env);
    assert.equal(resumed.code, 0, resumed.stderr);
    const output = JSON.parse(resumed.stdout) as { resumedFrom: number; path: string };
    assert.equal(output.resumedFrom, kept);
    assert.equal(server.requests.slice(before).find((r) => r.method === "GET")?.range, `bytes=${kept}-`);
    assert.ok(readFileSync(output.path).equals(model), "byte-identical after resuming");
    assert.equal(existsSync(part), false);
  });

  it("starts over when the file changed on the server since the partial download (If-Range)", async () => {
    const changed = Buffer.from(model);
    for (let i = 0; i < changed.length; i += 4096) changed[i] = (changed[i]! + 1) & 0xff;
    server.serve("org", "moving-GGUF", "moving.gguf", model, { kind: "cut-always", bytes: 250_000 }, '"first"');
    assert.equal((await runCli(["pull", "hf:org/moving-GGUF/moving.gguf"], env)).code, 1);
    const part = `${pulled("hf_org_moving-GGUF_moving.gguf")}.part`;
    assert.ok(statSync(part).size > 0);
    assert.equal(readFileSync(`${part}.etag`, "utf8"), '"first"');

    server.serve("org", "moving-GGUF", "moving.gguf", changed, { kind: "none" }, '"second"');
    const before = server.requests.length;
    const result = await runCli(["pull", "hf:org/moving-GGUF/moving.gguf", "--json"], env);
    assert.equal(result.code, 0, result.stderr);
    const get = server.requests.slice(before).find((r) => r.method === "GET");
    assert.equal(get?.ifRange, '"first"', "the resume asked for the rest of the same file only");
    const output = JSON.parse(result.stdout) as { path: string };
    assert.ok(readFileSync(output.path).equals(changed), "the new file whole, not the old start spliced to the new end");
    assert.equal(existsSync(`${part}.etag`), false);
  });

  it("refuses an answer longer than the size it must have, and one that announces more", async () => {
    server.serve("org", "over-GGUF", "over.gguf", model, { kind: "oversized", extra: 100_000 });
    const over = await runCli(["pull", "hf:org/over-GGUF/over.gguf", "--size", String(model.length)], env);
    assert.equal(over.code, 1);
    assert.match(over.stderr, new RegExp(`sent more than the ${model.length} bytes this model may have`));
    assert.equal(existsSync(`${pulled("hf_org_over-GGUF_over.gguf")}.part`), false, "an oversized answer is not kept");
    assert.equal(existsSync(pulled("hf_org_over-GGUF_over.gguf")), false);

    server.serve("org", "liar-GGUF", "liar.gguf", model, { kind: "announces-more", extra: 1 });
    const liar = await runCli(["pull", "hf:org/liar-GGUF/liar.gguf", "--size", String(model.length)], env);
    assert.equal(liar.code, 1);
    assert.match(liar.stderr, new RegExp(`announces ${model.length + 1} bytes, more than the ${model.length}`));
  });

  it("refuses a truncated answer whose server never resumes", async () => {
    server.serve("org", "short-GGUF", "short.gguf", model, { kind: "announces-more", extra: 50_000 });
    const short = await runCli(["pull", "hf:org/short-GGUF/short.gguf"], env);
    assert.equal(short.code, 1);
    assert.match(short.stderr, /failed 5 times in a row \(the connection dropped after \d+ bytes\)/);
    assert.ok(statSync(`${pulled("hf_org_short-GGUF_short.gguf")}.part`).size <= model.length, "kept only what arrived, to resume");
    assert.equal(existsSync(pulled("hf_org_short-GGUF_short.gguf")), false);
  });

  it("lets one process download a file at a time: a second pull and an rm of it are refused while the first runs", async () => {
    server.serve("org", "slow-GGUF", "slow.gguf", model, { kind: "stall", bytes: 200_000 });
    const first = runCli(["pull", "hf:org/slow-GGUF/slow.gguf"], env);
    await server.stalled();
    const second = await runCli(["pull", "hf:org/slow-GGUF/slow.gguf"], env);
    assert.equal(second.code, 1);
    assert.match(second.stderr, /Another process \(pid \d+\) is downloading hf_org_slow-GGUF_slow\.gguf right now/);
    const removal = await runCli(["rm", "hf:org/slow-GGUF/slow.gguf"], env);
    assert.equal(removal.code, 1);
    assert.match(removal.stderr, /is being downloaded by process \d+/);
    server.release();
    const done = await first;
    assert.equal(done.code, 0, done.stderr);
    assert.ok(readFileSync(pulled("hf_org_slow-GGUF_slow.gguf")).equals(model));
    assert.equal(existsSync(`${pulled("hf_org_slow-GGUF_slow.gguf")}.lock`), false, "the lock goes with the pull");
  });

  it("says at once that the hub cannot be reached, rather than retrying an offline machine", async () => {
    const offlineEnv = { ...env, HF_ENDPOINT: `http://127.0.0.1:${await closedPort()}/` };
    const result = await runCli(["pull", "hf:org/tiny-GGUF/other.gguf"], offlineEnv);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /Could not download: could not reach http:\/\/127\.0\.0\.1:\d+\/org\/tiny-GGUF\/resolve\/main\/other\.gguf/);
    assert.match(result.stderr, /set HF_ENDPOINT to a mirror you can reach/);
    assert.equal(existsSync(`${pulled("hf_org_tiny-GGUF_other.gguf")}.part`), false);
    const manifest = await runCli(["pull", "hf:org/tiny-GGUF"], offlineEnv);
    assert.equal(manifest.code, 1);
    assert.match(manifest.stderr, /Could not reach http:\/\/127\.0\.0\.1:\d+\/ to resolve hf:org\/tiny-GGUF/);
  });

  it("sends HF_TOKEN to the hub alone, for a private repository", async () => {
    server.serve("org", "private-GGUF", "private.gguf", model, { kind: "private", token: "hf_test_token" });
    const denied = await runCli(["pull", "hf:org/private-GGUF/private.gguf"], env);
    assert.equal(denied.code, 1);
    assert.match(denied.stderr, /answered HTTP 401.*set HF_TOKEN to a Hugging Face token that may read it/);
    const allowed = await runCli(["pull", "hf:org/private-GGUF/private.gguf"], { ...env, HF_TOKEN: "hf_test_token" });
    assert.equal(allowed.code, 0, allowed.stderr);
    assert.ok(readFileSync(pulled("hf_org_private-GGUF_private.gguf")).equals(model));
    assert.doesNotMatch(allowed.stdout + allowed.stderr, /hf_test_token/, "the token is never printed");
    // A plain URL on this machine is not the hub here (HF_ENDPOINT names another port): no token goes to it.
    const other = await startModelServer();
    try {
      other.serve("org", "plain-GGUF", "plain.gguf", model);
      const plain = await runCli(["pull", `${other.endpoint}org/plain-GGUF/resolve/main/plain.gguf`], { ...env, HF_TOKEN: "hf_test_token" });
      assert.equal(plain.code, 0, plain.stderr);
      assert.ok(other.requests.length > 0 && other.requests.every((r) => r.authorization === null));
    } finally {
      await other.close();
    }
  });

  it("refuses and deletes a file whose sha256 differs from the one asked for", async () => {
    server.serve("org", "hash-GGUF", "hash.gguf", model);
    const wrong = "0".repeat(64);
    const result = await runCli(["pull", "hf:org/hash-GGUF/hash.gguf", "--sha256", wrong], env);
    assert.equal(result.code, 1);
    assert.match(result.stderr, new RegExp(`sha256 is ${sha256(model)}, not the expected ${wrong}; it was deleted`));
    assert.equal(existsSync(pulled("hf_org_hash-GGUF_hash.gguf")), false);
    assert.equal(existsSync(`${pulled("hf_org_hash-GGUF_hash.gguf")}.part`), false);
  });

  it("pulls a team catalog's model by name (manifest-resolved hf: URI), lists it as downloaded, and removes it", async () => {
    server.serve("team", "coder-GGUF", "coder-q8_0.gguf", model);
    const catalogFile = path.join(home, "team-catalog.json");
    writeFileSync(
      catalogFile,
      JSON.stringify({
        models: [
          {
            name: "team-coder",
            title: "Team coder (generated)",
            roles: ["completion"],
            uri: "hf:team/coder-GGUF",
            quantization: "Q8_0",
            parameters: "1M",
            sizeBytes: model.length,
            sizeExact: true,
            sha256: sha256(model),
            contextLength: 4096,
            format: "fim-qwen",
            shape: { layers: 4, kvHeads: 2, headDim: 32 },
            licence: "Apache-2.0",
            source: "generated for this test",
          },
        ],
      }),
    );
    const teamEnv = { ...env, HEARTH_CATALOG: catalogFile };
    const listedBefore = JSON.parse((await runCli(["models", "--json"], teamEnv)).stdout) as { models: Array<{ name: string; downloaded: boolean }> };
    assert.equal(listedBefore.models.find((m) => m.name === "team-coder")?.downloaded, false);
    assert.ok(listedBefore.models.some((m) => m.name === "qwen2.5-coder-1.5b"), "the built-in catalog is listed too");

    const pull = await runCli(["pull", "team-coder"], teamEnv);
    assert.equal(pull.code, 0, pull.stderr);
    assert.ok(server.requests.some((r) => r.url === "/v2/team/coder-GGUF/manifests/latest" && r.userAgent === "llama-cpp"), "the manifest named the file");

    const listed = await runCli(["models", "--json"], teamEnv);
    assert.equal(listed.code, 0, listed.stderr);
    const report = JSON.parse(listed.stdout) as {
      machine: { ramTotalBytes: number };
      recommendedTier: string | null;
      models: Array<{ name: string; downloaded: boolean; path: string | null; memoryBytes: number; fits: { ram: boolean } }>;
    };
    assert.ok(report.machine.ramTotalBytes > 0);
    assert.ok(report.recommendedTier !== null);
    const entry = report.models.find((m) => m.name === "team-coder");
    assert.equal(entry?.downloaded, true);
    assert.ok(entry?.path && readFileSync(entry.path).equals(model));
    assert.equal(report.models.find((m) => m.name === "qwen2.5-coder-7b")?.downloaded, false);
    const human = await runCli(["models"], teamEnv);
    assert.match(human.stdout, /^team-coder\s+completion\s+\S+ \S+\s+\S+ \S+\s+\S+\s+yes$/m);

    const removed = await runCli(["rm", "team-coder"], teamEnv);
    assert.equal(removed.code, 0, removed.stderr);
    assert.equal(existsSync(entry.path), false);
    const after = JSON.parse((await runCli(["models", "--json"], teamEnv)).stdout) as { models: Array<{ name: string; downloaded: boolean }> };
    assert.equal(after.models.find((m) => m.name === "team-coder")?.downloaded, false);
    const again = await runCli(["rm", "team-coder"], teamEnv);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /team-coder is not downloaded/);
  });

  it("loads `--model hf:…` in the daemon through HF_ENDPOINT, pulls `--model NAME` itself, and loads it again offline", async () => {
    server.serve("org", "daemon-GGUF", "daemon-q8_0.gguf", model);
    const daemonHome = tempHome("hearth-pull-daemon-");
    const daemon = await startDaemon({ model: "hf:org/daemon-GGUF/daemon-q8_0.gguf", home: daemonHome, env: { HF_ENDPOINT: server.endpoint, HEARTH_CATALOG: "" } });
    try {
      const client = await daemon.connect();
      const status = await untilStatus(client, "the model loaded or failed", (s) => s.modelState.state !== "loading", 60_000);
      client.dispose();
      assert.equal(status.modelState.state, "ready", JSON.stringify(status.modelState));
      assert.ok(server.requests.some((r) => r.url.startsWith("/org/daemon-GGUF/resolve/main/daemon-q8_0.gguf")), "fetched from HF_ENDPOINT");
      assert.equal(status.model.path, path.join(daemonHome, "models", "pulled", "hf_org_daemon-GGUF_daemon-q8_0.gguf"), "stored where `hearth pull` stores it");
    } finally {
      await daemon.stop({ keepHome: true });
    }

    // The same home: a catalog model pulled once loads from disk when the hub is unreachable.
    const catalogFile = path.join(daemonHome, "team-catalog.json");
    writeFileSync(
      catalogFile,
      JSON.stringify({
        models: [
          {
            name: "offline-coder",
            title: "Offline coder (generated)",
            roles: ["completion"],
            uri: "hf:org/team-GGUF/team-q8_0.gguf",
            quantization: "Q8_0",
            parameters: "1M",
            sizeBytes: model.length,
            sizeExact: true,
            contextLength: 4096,
            format: "fim-qwen",
            shape: { layers: 4, kvHeads: 2, headDim: 32 },
            licence: "Apache-2.0",
            source: "generated for this test",
          },
        ],
      }),
    );
    server.serve("org", "team-GGUF", "team-q8_0.gguf", model);
    // `--model NAME`: the daemon pulls the catalog model itself, as `hearth pull` would, with progress.
    const pulling = await startDaemon({ model: "offline-coder", home: daemonHome, env: { HF_ENDPOINT: server.endpoint, HEARTH_CATALOG: catalogFile } });
    try {
      const client = await pulling.connect();
      const status = await untilStatus(client, "the model loaded or failed", (s) => s.modelState.state !== "loading", 60_000);
      client.dispose();
      assert.equal(status.modelState.state, "ready", JSON.stringify(status.modelState));
      assert.match(pulling.stderr(), /Downloading offline-coder: 100%/);
    } finally {
      await pulling.stop({ keepHome: true });
    }
    const offline = await startDaemon({ model: "offline-coder", home: daemonHome, env: { HF_ENDPOINT: `http://127.0.0.1:${await closedPort()}/`, HEARTH_CATALOG: catalogFile } });
    try {
      const client = await offline.connect();
      const status = await untilStatus(client, "the model loaded or failed", (s) => s.modelState.state !== "loading", 60_000);
      client.dispose();
      assert.equal(status.modelState.state, "ready", JSON.stringify(status.modelState));
      assert.equal(status.model.path, path.join(daemonHome, "models", "pulled", "hf_org_team-GGUF_team-q8_0.gguf"), "the pulled file, found offline");
    } finally {
      await offline.stop();
    }
  });
});
