-- Neovim's built-in LSP client (0.7, headless) running the next-edit snippet of
-- docs/editors.md against `hearth lsp --stdio` with a next-edit model: make an edit, press
-- <leader>n, wait for the answer; when it has edits, press <leader>a and write the buffer.
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
  cmd = { env("HEARTH_NODE"), env("HEARTH_BIN"), "lsp", "--stdio", "--home", env("HEARTH_HOME"), "--model", env("HEARTH_MODEL"), "--threads", "1", "--idle-timeout", "0", "--next-edit-model", env("HEARTH_NEXT_EDIT_MODEL"), "--next-edit-format", "sweep" },
  root_dir = env("HEARTH_ROOT"),
})
if not client_id then return finish(false, "start_client failed") end
vim.lsp.buf_attach_client(bufnr, client_id)
local ready = vim.wait(120000, function()
  local client = vim.lsp.get_client_by_id(client_id)
  return client ~= nil and client.initialized == true
end, 50)
if not ready then return finish(false, "the server did not initialize") end

-- The snippet exactly as the docs show it.
vim.cmd("luafile " .. env("HEARTH_SNIPPET"))

local function text()
  -- As the document is sent: the lines and the final newline (eol).
  return table.concat(vim.api.nvim_buf_get_lines(bufnr, 0, -1, false), "\n") .. "\n"
end

-- Rename the parameter (the kind of edit a next edit follows), the cursor after it.
vim.api.nvim_buf_set_text(bufnr, 0, 13, 0, 19, { "items" })
vim.api.nvim_win_set_cursor(0, { 1, 18 })
local before = text()
vim.api.nvim_feedkeys("\\n", "x", false)
local answered = vim.wait(120000, function() return vim.b[bufnr].hearth_next_edit ~= nil end, 50)
if not answered then return finish(false, "no answer to hearth/nextEdit") end
local result = vim.b[bufnr].hearth_next_edit
local edits = result.edits or {}
local marks = #vim.api.nvim_buf_get_extmarks(bufnr, vim.api.nvim_create_namespace("hearth_next_edit"), 0, -1, {})
local after = vim.NIL
if #edits > 0 then
  vim.api.nvim_feedkeys("\\a", "x", false)
  after = text()
end
finish(true, vim.fn.json_encode({ before = before, edits = #edits > 0 and edits or vim.NIL, marks = marks, after = after, format = result.format }))
