"""The data the project's experiments read: LSP Extended (``lsp``) and CIFAR-10."""
