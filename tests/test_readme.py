"""Every Python example in README.md runs as written."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"
BLOCKS = re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), re.DOTALL)
YAML_BLOCKS = re.findall(r"```yaml\n(.*?)```", README.read_text(encoding="utf-8"), re.DOTALL)


@pytest.mark.parametrize("source", BLOCKS, ids=[f"block{n}" for n in range(len(BLOCKS))])
def test_readme_example_runs(source: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "runstore.yaml").write_text(YAML_BLOCKS[0], encoding="utf-8")
    if "class Test" in source:  # a third party's conformance test: it must compile
        compile(source, "README.md", "exec")
        return
    namespace: dict[str, object] = {}
    exec(compile(source, "README.md", "exec"), namespace)
    store = namespace.get("store")
    if store is not None:
        store.close()  # type: ignore[attr-defined]
