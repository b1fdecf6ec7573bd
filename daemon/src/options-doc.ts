/**
 * docs/settings.md's tables, written from the options table (options.ts), so the docs say
 * what the daemon and the extension do. The Environment column says which variable stands in
 * for a missing flag; the Default column says what applies when neither is there. The unit test compares them with the file, and
 * `UPDATE_GOLDEN=1` rewrites them there.
 */
import { boundsTextOf, extensionSettings, serveOptions, type ExtensionSetting, type ServeOption } from "./options.js";

export const SETTINGS_DOC_START = "<!-- settings:start (written from daemon/src/options.ts) -->";
export const SETTINGS_DOC_END = "<!-- settings:end -->";

const cell = (text: string): string => text.replace(/\|/g, "\\|").replace(/\n/g, " ");
const code = (text: string): string => (text === "" ? "" : `\`${text}\``);

function flagCell(option: ServeOption): string {
  return code(`--${option.flag}${option.kind === "switch" ? "" : ` ${option.value}`}`);
}

function extensionBounds(setting: ExtensionSetting): string {
  if (setting.choices !== undefined) return `one of ${setting.choices.join(", ")}`;
  if (setting.min !== undefined && setting.max !== undefined) return `${setting.min} to ${setting.max}`;
  return "";
}

/** The two tables: `hearth serve`'s flags with their settings, then the settings only the extension reads. */
export function settingsTables(): string {
  const lines = [
    "### Daemon options",
    "",
    "| Flag | VS Code setting | Environment | Default | Bounds | What it does |",
    "| --- | --- | --- | --- | --- | --- |",
  ];
  for (const option of Object.values(serveOptions) as readonly ServeOption[]) {
    const defaultText = option.kind === "switch" ? "off" : (option.defaultText ?? String(option.default));
    lines.push(`| ${flagCell(option)} | ${code(option.setting ?? "")} | ${code(option.env === undefined ? "" : `$${option.env}`)} | ${cell(defaultText)} | ${cell(boundsTextOf(option))} | ${cell(option.description)} |`);
  }
  lines.push("", "### Extension settings", "", "| VS Code setting | Default | Bounds | What it does |", "| --- | --- | --- | --- |");
  for (const setting of Object.values(extensionSettings) as readonly ExtensionSetting[]) {
    lines.push(`| ${code(setting.setting)} | ${code(JSON.stringify(setting.default))} | ${cell(extensionBounds(setting))} | ${cell(setting.description)} |`);
  }
  return lines.join("\n");
}
