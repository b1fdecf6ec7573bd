-- Neovim's built-in LSP client (0.7, headless) against `hearth lsp --stdio`: attach the
-- server, open a file, ask for completion at a position, write what came back.
-- Run by test/daemon/editors.test.ts: nvim --headless -u NONE -c "luafile THIS".
local env = function(name) return assert(os.getenv(name), name .. " is not set") end
local out = env("HEARTH_OUT")
local function finish(ok, message)
  local f = assert(io.open(out, "w"))
  f:write((ok and "OK " or "FAIL ") .. message)
  f:close()
  vim.cmd(ok and "qa!" or "cq!")
end

vim.cmd("edit " .. env("HEARTH_FILE"))
local bufnr = vim.api.nvim_get_current_buf()
local client_id = vim.lsp.start_client({
  name = "hearth",
  cmd = { env("HEARTH_NODE"), env("HEARTH_BIN"), "lsp", "--stdio", "--home", env("HEARTH_HOME"), "--model", env("HEARTH_MODEL"), "--threads", "1", "--idle-timeout", "0" },
  root_dir = env("HEARTH_ROOT"),
})
if not client_id then return finish(false, "start_client failed") end
vim.lsp.buf_attach_client(bufnr, client_id)
local ready = vim.wait(120000, function()
  local client = vim.lsp.get_client_by_id(client_id)
  return client ~= nil and client.initialized == true
end, 50)
if not ready then return finish(false, "the server did not initialize") end

-- Type "to" after "return " on line 4 as two edits (Neovim's versions jump by its
-- changedtick), then ask at the end of it.
vim.api.nvim_buf_set_text(bufnr, 3, 9, 3, 9, { "t" })
vim.api.nvim_buf_set_text(bufnr, 3, 10, 3, 10, { "o" })
vim.api.nvim_win_set_cursor(0, { 4, 11 })
local responses = vim.lsp.buf_request_sync(bufnr, "textDocument/completion", vim.lsp.util.make_position_params(), 120000)
if not responses then return finish(false, "no answer to textDocument/completion") end
for _, response in pairs(responses) do
  if response.err then return finish(false, "error: " .. vim.inspect(response.err)) end
  local items = response.result and (response.result.items or response.result) or {}
  local first = items[1]
  if first and first.textEdit and #first.textEdit.newText > 0 then
    return finish(true, first.label .. "\n" .. first.textEdit.newText)
  end
  return finish(false, "no item: " .. vim.inspect(response.result))
end
finish(false, "no response from hearth")
