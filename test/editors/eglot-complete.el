;;; eglot-complete.el --- Emacs 28 + eglot (batch) against `hearth lsp --stdio'.
;; Opens a JavaScript file in a git project, connects eglot to the bridge, asks for
;; completion at point and writes the candidates.  Run by test/daemon/editors.test.ts:
;; emacs --batch -l THIS
(require 'eglot)
(defun hearth-env (name) (or (getenv name) (error "%s is not set" name)))
(defun hearth-finish (ok message)
  (with-temp-file (hearth-env "HEARTH_OUT") (insert (if ok "OK " "FAIL ") message))
  (kill-emacs (if ok 0 1)))
(condition-case err
    (progn
      (setq eglot-sync-connect 120 eglot-connect-timeout 120)
      (add-to-list 'eglot-server-programs
                   `(js-mode . (,(hearth-env "HEARTH_NODE") ,(hearth-env "HEARTH_BIN") "lsp" "--stdio"
                                "--home" ,(hearth-env "HEARTH_HOME") "--model" ,(hearth-env "HEARTH_MODEL")
                                "--threads" "1" "--idle-timeout" "0")))
      (find-file (hearth-env "HEARTH_FILE"))
      (js-mode)
      (let* ((project (project-current nil default-directory))
             (contact (cdr (assoc 'js-mode eglot-server-programs))))
        (unless project (error "no project for %s" default-directory))
        (eglot '(js-mode) project 'eglot-lsp-server contact "javascript"))
      (unless (eglot-current-server) (error "eglot did not connect"))
      ;; Line 4, after "return ".
      (goto-char (point-min))
      (forward-line 3)
      (move-to-column 9)
      (let* ((capf (eglot-completion-at-point))
             (candidates (and capf (all-completions "" (nth 2 capf)))))
        (if candidates
            (hearth-finish t (mapconcat #'identity candidates "\n"))
          (hearth-finish nil "no completion candidates"))))
  (error (hearth-finish nil (format "%S" err))))
