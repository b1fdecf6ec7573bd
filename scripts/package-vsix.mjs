#!/usr/bin/env node
// `npm run package`: builds the production bundles and writes a platform-specific .vsix.
//
//   node scripts/package-vsix.mjs [--target linux-x64] [--backends cpu,vulkan,metal,cuda] [--out FILE]
//
// The extension and the daemon are esbuild bundles; the only runtime files from node_modules
// are the packages the bundles keep external because they load native binaries relative to
// themselves: node-llama-cpp and its production dependencies, plus the @node-llama-cpp/*
// prebuilt binaries of the target platform for the chosen GPU backends (default: cpu,
// vulkan, metal — CUDA adds ~550 MB and is opt-in), and koffi (the FFI that derives
// precision variants through llama.cpp's quantizer) with its binary for the target. A .vsix is a zip (Open Packaging Conventions) with an extension.vsixmanifest;
// it is written here with node:zlib, so packaging needs no extra dependency.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import zlib from "node:zlib";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const say = (message) => process.stdout.write(`[package] ${message}\n`);
const fail = (message) => {
  process.stderr.write(`[package] ERROR: ${message}\n`);
  process.exit(1);
};

// ---------------------------------------------------------------------------------------
// Options

/** VS Code's target platform names → node-llama-cpp's binary package prefixes. */
const TARGETS = {
  "linux-x64": "linux-x64",
  "linux-arm64": "linux-arm64",
  "linux-armhf": "linux-armv7l",
  "darwin-x64": "mac-x64",
  "darwin-arm64": "mac-arm64",
  "win32-x64": "win-x64",
  "win32-arm64": "win-arm64",
};
/** VS Code's target platform names → koffi's binary package (@koromix/koffi-*) suffixes. */
const KOFFI_TARGETS = {
  "linux-x64": "linux-x64",
  "linux-arm64": "linux-arm64",
  "linux-armhf": "linux-arm",
  "darwin-x64": "darwin-x64",
  "darwin-arm64": "darwin-arm64",
  "win32-x64": "win32-x64",
  "win32-arm64": "win32-arm64",
};
const BACKEND_SUFFIXES = { cpu: [""], vulkan: ["-vulkan"], metal: ["-metal"], cuda: ["-cuda", "-cuda-ext"] };

function parseArgs(argv) {
  const hostArch = process.arch === "arm" ? "armhf" : process.arch;
  const options = { target: `${process.platform}-${hostArch}`, backends: ["cpu", "vulkan", "metal"], out: null };
  for (let i = 0; i < argv.length; i++) {
    const value = () => argv[++i] ?? fail(`${argv[i - 1]} needs a value`);
    if (argv[i] === "--target") options.target = value();
    else if (argv[i] === "--backends") options.backends = value().split(",").map((b) => b.trim()).filter(Boolean);
    else if (argv[i] === "--out") options.out = path.resolve(value());
    else if (argv[i] === "--help") {
      process.stdout.write("usage: node scripts/package-vsix.mjs [--target linux-x64] [--backends cpu,vulkan,metal,cuda] [--out FILE]\n");
      process.exit(0);
    } else fail(`unknown argument ${argv[i]}`);
  }
  if (!(options.target in TARGETS)) fail(`--target must be one of ${Object.keys(TARGETS).join(", ")}; got ${options.target}`);
  for (const backend of options.backends) if (!(backend in BACKEND_SUFFIXES)) fail(`unknown backend ${backend} (use ${Object.keys(BACKEND_SUFFIXES).join(", ")})`);
  return options;
}

// ---------------------------------------------------------------------------------------
// What goes in

/** Finds an installed package the way Node would from `fromDir`. */
function resolvePackage(name, fromDir) {
  for (let dir = fromDir; ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, "node_modules", name);
    if (existsSync(path.join(candidate, "package.json"))) return candidate;
    if (dir === root || path.dirname(dir) === dir) return null;
  }
}

/**
 * The packages the bundles load at run time (esbuild.mjs's externals): each with its
 * production dependencies (transitively) and, of its optional dependencies, only the target's
 * chosen binary packages.
 */
function runtimePackages(options) {
  const prefix = TARGETS[options.target];
  const llamaBinaries = options.backends.flatMap((backend) => BACKEND_SUFFIXES[backend].map((suffix) => `@node-llama-cpp/${prefix}${suffix}`));
  const koffiBinary = `@koromix/koffi-${KOFFI_TARGETS[options.target]}`;
  const binaries = [...llamaBinaries, koffiBinary];
  const found = new Map();
  const visit = (name, fromDir, optional) => {
    const dir = resolvePackage(name, fromDir);
    if (dir === null) {
      if (optional) return;
      fail(`${name} is not installed (run npm ci)`);
    }
    if (found.has(dir)) return;
    const pkg = JSON.parse(readFileSync(path.join(dir, "package.json"), "utf8"));
    found.set(dir, pkg.name);
    for (const dep of Object.keys(pkg.dependencies ?? {})) visit(dep, dir, false);
    // Optional dependencies are platform binaries: only the target's chosen ones.
    for (const dep of Object.keys(pkg.optionalDependencies ?? {})) if (binaries.includes(dep)) visit(dep, dir, true);
  };
  visit("node-llama-cpp", root, false);
  visit("koffi", root, false);
  const included = [...found.values()];
  const llama = included.filter((n) => n.startsWith("@node-llama-cpp/"));
  if (llama.length === 0) fail(`no node-llama-cpp binaries for ${options.target} (${llamaBinaries.join(", ")}) are installed; package on that platform, or install them`);
  // Without it, Switch Precision fails in the installed extension when it derives a variant.
  if (!included.includes(koffiBinary)) fail(`${koffiBinary} (koffi's binary for ${options.target}) is not installed; package on that platform, or install it`);
  say(`native binaries: ${[...llama, koffiBinary].sort().join(", ")}`);
  return [...found.entries()];
}

/**
 * What a runtime package keeps: not its nested node_modules (those packages are visited on
 * their own), nor what never runs: source maps, type declarations, docs, and the llama.cpp
 * source bundle node-llama-cpp only needs to build from source.
 */
function skipRuntimeFile(relative, packageName) {
  if (relative === "node_modules" || relative.startsWith(`node_modules${path.sep}`)) return true;
  if (relative === path.join("llama", "gitRelease.bundle")) return true;
  // koffi's C++ sources and build helpers: its prebuilt binary package is what loads.
  if (packageName === "koffi" && (/^(vendor|doc|lib)$/.test(relative) || /\.(cc|hh|inc|S|asm|def)$|CMakeLists\.txt$/.test(relative))) return true;
  return /\.(map|d\.ts|d\.mts|d\.cts|md)$/i.test(relative) && !/license/i.test(relative);
}

function walk(dir, skip = () => false) {
  const files = [];
  const visit = (current) => {
    for (const entry of readdirSync(current, { withFileTypes: true })) {
      const full = path.join(current, entry.name);
      const relative = path.relative(dir, full);
      if (skip(relative)) continue;
      if (entry.isDirectory()) visit(full);
      else if (entry.isFile()) files.push(full);
    }
  };
  visit(dir);
  return files;
}

/** The manifest as VS Code needs it: no scripts or dev tooling. */
function extensionManifest() {
  const pkg = JSON.parse(readFileSync(path.join(root, "package.json"), "utf8"));
  delete pkg.devDependencies;
  delete pkg.scripts;
  delete pkg.private;
  return pkg;
}

// ---------------------------------------------------------------------------------------
// The .vsix (OPC zip) around it

const xml = (text) => String(text).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&apos;" })[c]);

function vsixManifest(pkg, target, hasReadme) {
  const tags = pkg.keywords ?? [];
  const icon = pkg.icon ? `extension/${pkg.icon.replace(/^\.\//, "")}` : null;
  return `<?xml version="1.0" encoding="utf-8"?>
<PackageManifest Version="2.0.0" xmlns="http://schemas.microsoft.com/developer/vsx-schema/2011" xmlns:d="http://schemas.microsoft.com/developer/vsx-schema-design/2011">
  <Metadata>
    <Identity Language="en-US" Id="${xml(pkg.name)}" Version="${xml(pkg.version)}" Publisher="${xml(pkg.publisher)}" TargetPlatform="${xml(target)}"/>
    <DisplayName>${xml(pkg.displayName ?? pkg.name)}</DisplayName>
    <Description xml:space="preserve">${xml(pkg.description ?? "")}</Description>
    <Tags>${xml(tags.join(","))}</Tags>
    <Categories>${xml((pkg.categories ?? []).join(","))}</Categories>
    <GalleryFlags>Public</GalleryFlags>
    <Properties>
      <Property Id="Microsoft.VisualStudio.Code.Engine" Value="${xml(pkg.engines?.vscode ?? "*")}"/>
      <Property Id="Microsoft.VisualStudio.Code.ExtensionDependencies" Value=""/>
      <Property Id="Microsoft.VisualStudio.Code.ExtensionPack" Value=""/>
      <Property Id="Microsoft.VisualStudio.Code.ExtensionKind" Value="${xml((pkg.extensionKind ?? ["workspace"]).join(","))}"/>
      <Property Id="Microsoft.VisualStudio.Code.LocalizedLanguages" Value=""/>
      <Property Id="Microsoft.VisualStudio.Services.GitHubFlavoredMarkdown" Value="true"/>
      <Property Id="Microsoft.VisualStudio.Services.Content.Pricing" Value="Free"/>
    </Properties>${icon ? `\n    <Icon>${xml(icon)}</Icon>` : ""}
  </Metadata>
  <Installation>
    <InstallationTarget Id="Microsoft.VisualStudio.Code"/>
  </Installation>
  <Dependencies/>
  <Assets>
    <Asset Type="Microsoft.VisualStudio.Code.Manifest" Path="extension/package.json" Addressable="true"/>${hasReadme ? '\n    <Asset Type="Microsoft.VisualStudio.Services.Content.Details" Path="extension/README.md" Addressable="true"/>' : ""}${icon ? `\n    <Asset Type="Microsoft.VisualStudio.Services.Icons.Default" Path="${xml(icon)}" Addressable="true"/>` : ""}
  </Assets>
</PackageManifest>
`;
}

const CONTENT_TYPES = { ".json": "application/json", ".js": "application/javascript", ".cjs": "application/javascript", ".mjs": "application/javascript", ".md": "text/markdown", ".png": "image/png", ".svg": "image/svg+xml", ".css": "text/css", ".html": "text/html", ".txt": "text/plain", ".vsixmanifest": "text/xml", ".xml": "text/xml" };

function contentTypes(names) {
  const extensions = new Set();
  const overrides = [];
  for (const name of names) {
    const ext = path.posix.extname(name).toLowerCase();
    // OPC gives every part a content type: by extension, or one by one for names without one.
    if (ext === "" || ext === ".") overrides.push(name);
    else extensions.add(ext);
  }
  const defaults = [...extensions].sort().map((ext) => `<Default Extension="${xml(ext)}" ContentType="${CONTENT_TYPES[ext] ?? "application/octet-stream"}"/>`);
  const parts = overrides.map((name) => `<Override PartName="/${xml(encodeURI(name))}" ContentType="application/octet-stream"/>`);
  return `<?xml version="1.0" encoding="utf-8"?>\n<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">${[...defaults, ...parts].join("")}</Types>\n`;
}

/** A minimal zip writer (deflate, no zip64: a .vsix stays far below 4 GB and 65,535 entries). */
function zip(entries) {
  const locals = [];
  const centrals = [];
  let offset = 0;
  // Fixed timestamp (1 Jan 2020) so the same inputs give the same bytes.
  const dosTime = 0;
  const dosDate = ((2020 - 1980) << 9) | (1 << 5) | 1;
  for (const { name, data } of entries) {
    const nameBytes = Buffer.from(name, "utf8");
    const deflated = zlib.deflateRawSync(data, { level: 9 });
    const stored = deflated.length >= data.length;
    const body = stored ? data : deflated;
    const crc = zlib.crc32(data);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(0x0800, 6); // UTF-8 names
    local.writeUInt16LE(stored ? 0 : 8, 8);
    local.writeUInt16LE(dosTime, 10);
    local.writeUInt16LE(dosDate, 12);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(body.length, 18);
    local.writeUInt32LE(data.length, 22);
    local.writeUInt16LE(nameBytes.length, 26);
    local.writeUInt16LE(0, 28);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE((3 << 8) | 20, 4); // made by Unix, version 2.0
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(0x0800, 8);
    central.writeUInt16LE(stored ? 0 : 8, 10);
    central.writeUInt16LE(dosTime, 12);
    central.writeUInt16LE(dosDate, 14);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(body.length, 20);
    central.writeUInt32LE(data.length, 24);
    central.writeUInt16LE(nameBytes.length, 28);
    central.writeUInt32LE((0o100644 << 16) >>> 0, 38); // regular file, rw-r--r--
    central.writeUInt32LE(offset, 42);
    locals.push(local, nameBytes, body);
    centrals.push(central, nameBytes);
    offset += local.length + nameBytes.length + body.length;
  }
  const centralSize = centrals.reduce((n, b) => n + b.length, 0);
  if (entries.length > 0xffff || offset > 0xffffffff) fail("the package is too large for a plain zip");
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(centralSize, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, ...centrals, end]);
}

/**
 * The extension's page: extension/README.md (not the repository's README, which is for
 * developers), with each image it shows embedded as a data: URI from the packaged file. The
 * extension page's webview allows only https: and data: images, and an installed extension
 * may be offline: a relative path or a repository URL would show a broken image.
 */
function extensionPage() {
  const source = path.join(root, "extension", "README.md");
  if (!existsSync(source)) fail("extension/README.md is missing: it is the extension's page");
  const text = readFileSync(source, "utf8").replace(/!\[([^\]]*)\]\(([^)\s]+)\)/g, (whole, alt, target) => {
    if (/^[a-z]+:/i.test(target)) return whole;
    const image = path.resolve(path.dirname(source), target);
    const type = { ".png": "image/png", ".svg": "image/svg+xml", ".jpg": "image/jpeg", ".gif": "image/gif" }[path.extname(image).toLowerCase()];
    if (!type || !existsSync(image)) fail(`extension/README.md shows ${target}, which is not an image file here`);
    return `![${alt}](data:${type};base64,${readFileSync(image).toString("base64")})`;
  });
  return Buffer.from(text);
}

// ---------------------------------------------------------------------------------------

const options = parseArgs(process.argv.slice(2));
say(`building production bundles`);
const build = spawnSync(process.execPath, ["esbuild.mjs", "--production"], { cwd: root, stdio: "inherit" });
if (build.status !== 0) fail("node esbuild.mjs --production failed");

const pkg = extensionManifest();
for (const required of ["publisher", "main", "engines"]) if (!pkg[required]) fail(`package.json has no "${required}"; run node extension/manifest.mjs`);
const files = new Map(); // name in the vsix → absolute path
const add = (absolute) => files.set(`extension/${path.relative(root, absolute).split(path.sep).join("/")}`, absolute);
for (const file of ["dist/extension.cjs", "dist/hearth.mjs", "bin/hearth.cjs"]) {
  if (!existsSync(path.join(root, file))) fail(`${file} is missing after the build`);
  add(path.join(root, file));
}
// media/: the webview's files, the icon, the README's screenshots (not a failed test run's leftovers).
const notShipped = (relative) => relative === "jsconfig.json" || relative === path.join("screenshots", "failure.png") || relative.endsWith(".log");
for (const file of walk(path.join(root, "media"), notShipped)) add(file);
for (const file of ["LICENSE", "LICENSE.md", "CHANGELOG.md"]) if (existsSync(path.join(root, file))) add(path.join(root, file));
// The walkthrough's media (markdown, images) are read from the installed extension: each must be a file the package carries.
for (const walkthrough of pkg.contributes?.walkthroughs ?? []) {
  for (const step of walkthrough.steps ?? []) {
    for (const key of ["image", "markdown", "svg"]) {
      const media = step.media?.[key];
      if (media === undefined) continue;
      const name = `extension/${media}`;
      if (!files.has(name)) fail(`walkthrough step ${step.id} shows ${media}, which the package does not carry (media/ is packaged)`);
    }
  }
}
const readme = extensionPage();
for (const [dir, name] of runtimePackages(options)) for (const file of walk(dir, (relative) => skipRuntimeFile(relative, name))) add(file);

const entries = [
  { name: "extension.vsixmanifest", data: Buffer.from(vsixManifest(pkg, options.target, true)) },
  { name: "extension/package.json", data: Buffer.from(`${JSON.stringify(pkg, null, 2)}\n`) },
  { name: "extension/README.md", data: readme },
  ...[...files.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([name, absolute]) => ({ name, data: readFileSync(absolute) })),
];
entries.unshift({ name: "[Content_Types].xml", data: Buffer.from(contentTypes(entries.map((e) => e.name))) });

const out = options.out ?? path.join(root, `${pkg.name}-${pkg.version}-${options.target}.vsix`);
mkdirSync(path.dirname(out), { recursive: true });
writeFileSync(out, zip(entries));
const unpacked = entries.reduce((n, e) => n + e.data.length, 0);
say(`wrote ${path.relative(process.cwd(), out) || out}: ${entries.length} files, ${(statSync(out).size / 1024 ** 2).toFixed(1)} MB (${(unpacked / 1024 ** 2).toFixed(1)} MB unpacked)`);
