"""Python components referenced from manifest.yaml: only what the declarative framework cannot do (cleanly or fast)."""
