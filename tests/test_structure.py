"""The package's shape: one CLI package, domain packages without argparse or printing, persistence
that only does I/O on public state, no import cycle between the stance classifier and its files."""
import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src" / "topicstance"
DOMAIN = ("ingest", "embed", "topics", "stance", "report")


def _trees(folder: Path):
    for f in sorted(folder.rglob("*.py")):
        yield f, ast.parse(f.read_text(encoding="utf-8"))


def _imports(tree) -> set[str]:
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            out.add(("." * node.level) + (node.module or ""))
    return out


def test_the_commands_live_in_one_cli_package():
    assert (SRC / "cli" / "__init__.py").is_file() and not (SRC / "commands").exists()
    assert not (SRC / "cli.py").exists()
    assert not [p for p in DOMAIN if (SRC / p / "cli.py").exists()]


def test_domain_packages_hold_no_argparse_and_no_printing():
    found = []
    for pkg in DOMAIN:
        for f, tree in _trees(SRC / pkg):
            if "argparse" in _imports(tree):
                found.append(f"{f.relative_to(SRC)}: imports argparse")
            for node in ast.walk(tree):
                if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "print":
                    found.append(f"{f.relative_to(SRC)}:{node.lineno}: print")
    assert found == []


def test_persistence_reads_no_private_attribute_of_a_model():
    found = []
    for f in (SRC / "stance" / "persist.py", SRC / "topics" / "persistence.py"):
        for node in ast.walk(ast.parse(f.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Attribute) and node.attr.startswith("_") and not node.attr.startswith("__") \
                    and isinstance(node.value, ast.Name) and node.value.id in ("model", "clf"):
                found.append(f"{f.name}:{node.lineno}: {node.value.id}.{node.attr}")
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "getattr" \
                    and len(node.args) > 1 and isinstance(node.args[1], ast.Constant) \
                    and str(node.args[1].value).startswith("_"):
                found.append(f"{f.name}:{node.lineno}: getattr {node.args[1].value}")
    assert found == []


def test_the_stance_files_module_does_not_import_the_classifier():
    imports = _imports(ast.parse((SRC / "stance" / "persist.py").read_text(encoding="utf-8")))
    assert not {i for i in imports if i.endswith("classifier")}
