"""Derives the Stripe API table from Stripe's own Python SDK (the `stripe` package, generated from Stripe's OpenAPI
spec), so that the connector is held to what Stripe says, not to what we believe.

    python scripts/stripe_api_table.py           # writes third_party/stripe_python/*.tsv
    python scripts/stripe_api_table.py --check   # exits 1 when the checked-in table differs from the SDK's

It reads the SDK's source files (nothing of it is imported or run), so the `stripe` package only has to be installed
(`pip install -e ".[tests]"` pins it). Two tables:

- `list_endpoints.tsv`: every `GET /v1/…` list endpoint (a service's `list` method returning a `ListObject`): its
  path, the object it returns, whether it accepts `created[…]`, its required and optional filters, and the first
  line of its documentation.
- `event_types.tsv`: every event type of `/v1/events`, with the object its `data.object` carries (the SDK's thin
  event classes name it: `fetch_related_object`), `-` when the event carries no object of a list.

A new `stripe` release is then a diff of these files to read.
"""

from __future__ import annotations

import argparse
import ast
import importlib.util
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, Iterator, List, Optional, Tuple, TypeVar

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "third_party" / "stripe_python"
LIST_ENDPOINTS = OUT / "list_endpoints.tsv"
EVENT_TYPES = OUT / "event_types.tsv"
PAGINATION = frozenset({"created", "ending_before", "expand", "limit", "starting_after"})
LIST_OBJECT = re.compile(r"^ListObject\[(.+)\]$")
T = TypeVar("T")


@dataclass(frozen=True)
class ListEndpoint:
    path: str
    object: str
    created: bool
    required: Tuple[str, ...]
    optional: Tuple[str, ...]
    doc: str

    def row(self) -> str:
        return "\t".join(
            [self.path, self.object, "yes" if self.created else "no", ",".join(self.required) or "-",
             ",".join(self.optional) or "-", self.doc]
        )


def sdk_root() -> Path:
    spec = importlib.util.find_spec("stripe")
    if spec is None or not spec.submodule_search_locations:
        sys.exit("stripe_api_table: the `stripe` package is not installed (pip install -e '.[tests]')")
    return Path(list(spec.submodule_search_locations)[0])


def sdk_version(root: Path) -> str:
    match = re.search(r'VERSION = "([^"]+)"', (root / "_version.py").read_text(encoding="utf-8"))
    return match.group(1) if match else "unknown"


def _modules(root: Path) -> Iterator[Tuple[Path, ast.Module]]:
    for path in sorted(root.rglob("*.py")):
        yield path, ast.parse(path.read_text(encoding="utf-8"))


def object_names(root: Path, trees: List[Tuple[Path, ast.Module]]) -> Dict[Tuple[str, str], str]:
    """{(module, class name): OBJECT_NAME} of every API resource class of the SDK (`stripe.checkout._session`,
    `Session`); class names repeat across modules (a Checkout and a Financial Connections `Session`)."""
    names: Dict[Tuple[str, str], str] = {}
    for path, tree in trees:
        module = _module_name(root, path)
        for node in tree.body:
            if not isinstance(node, ast.ClassDef):
                continue
            for statement in node.body:
                if (
                    isinstance(statement, ast.AnnAssign)
                    and isinstance(statement.target, ast.Name)
                    and statement.target.id == "OBJECT_NAME"
                    and isinstance(statement.value, ast.Constant)
                ):
                    names[(module, node.name)] = str(statement.value.value)
    return names


def _module_name(root: Path, path: Path) -> str:
    return ".".join(("stripe",) + path.relative_to(root).with_suffix("").parts)


def _imported(tree: ast.Module, name: str, table: Dict[Tuple[str, str], T]) -> Optional[T]:
    """The entry of `table` for `name` as the module `tree` imports it."""
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and any(alias.name == name for alias in node.names):
            if (node.module, name) in table:
                return table[(node.module, name)]
    return None


def _objects_of(tree: ast.Module, annotation: str, objects: Dict[Tuple[str, str], str]) -> str:
    """The OBJECT_NAME(s) of a return annotation's class or `Union[...]` of classes, `|`-joined."""
    names = re.findall(r"\w+", annotation.replace("Union", " "))
    return "|".join(sorted(_imported(tree, name, objects) or name for name in names))


def param_classes(root: Path, trees: List[Tuple[Path, ast.Module]]) -> Dict[Tuple[str, str], Dict[str, bool]]:
    """{(module, params class name): {field: required}} of the SDK's request parameter TypedDicts (names repeat
    across modules: Climate's and the catalog's `ProductListParams`)."""
    classes: Dict[Tuple[str, str], Dict[str, bool]] = {}
    for path, tree in trees:
        module = _module_name(root, path)
        for node in tree.body:
            if isinstance(node, ast.ClassDef) and node.name.endswith("Params"):
                fields = {}
                for statement in node.body:
                    if isinstance(statement, ast.AnnAssign) and isinstance(statement.target, ast.Name):
                        annotation = ast.unparse(statement.annotation)
                        fields[statement.target.id] = not annotation.startswith("NotRequired")
                classes[(module, node.name)] = fields
    return classes


def _string(node: ast.AST) -> Optional[str]:
    """A path literal: `"/v1/x"` or `"/v1/x/{id}/y".format(...)`."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "format":
        return _string(node.func.value)
    return None


def _request_path(function: ast.FunctionDef) -> Optional[str]:
    for node in ast.walk(function):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "_request":
            if len(node.args) >= 2 and isinstance(node.args[0], ast.Constant) and node.args[0].value == "get":
                return _string(node.args[1])
    return None


def _params_class(function: ast.FunctionDef) -> Optional[str]:
    for argument in function.args.args:
        if argument.arg == "params" and argument.annotation is not None:
            match = re.search(r"(\w+Params)", ast.unparse(argument.annotation))
            return match.group(1) if match else None
    return None


def _first_line(function: ast.FunctionDef) -> str:
    doc = (ast.get_docstring(function) or "").strip()
    line = doc.splitlines()[0] if doc else ""
    return re.sub(r"\s+", " ", line).strip()


def list_endpoints(root: Path, trees: List[Tuple[Path, ast.Module]]) -> List[ListEndpoint]:
    objects = object_names(root, trees)
    params = param_classes(root, trees)
    endpoints: Dict[str, ListEndpoint] = {}
    for path, tree in trees:
        if not path.name.endswith("_service.py"):
            continue
        for node in ast.walk(tree):
            if not isinstance(node, ast.FunctionDef) or node.name != "list" or node.returns is None:
                continue
            returned = LIST_OBJECT.match(ast.unparse(node.returns).strip("'\""))
            url = _request_path(node)
            if not returned or not url or not url.startswith("/v1/"):
                continue
            fields = _imported(tree, _params_class(node) or "", params) or {}
            path_parameters = tuple(re.findall(r"\{(\w+)\}", url))
            required = path_parameters + tuple(sorted(name for name, needed in fields.items() if needed))
            optional = tuple(sorted(name for name, needed in fields.items() if not needed and name not in PAGINATION))
            endpoints[url] = ListEndpoint(
                path=url[len("/v1/"):],
                object=_objects_of(tree, returned.group(1), objects),
                created="created" in fields,
                required=required,
                optional=optional,
                doc=_first_line(node),
            )
    return sorted(endpoints.values(), key=lambda endpoint: endpoint.path)


def event_types(root: Path, trees: List[Tuple[Path, ast.Module]]) -> List[Tuple[str, str]]:
    """(event type, object of its data.object) of every `/v1/events` type."""
    objects = object_names(root, trees)
    listed = _event_type_literal(root)
    related: Dict[str, str] = {}
    for path, tree in trees:
        if path.parent.name != "events" or not path.name.startswith("_v1_"):
            continue
        lookup = None
        for node in ast.walk(tree):
            if isinstance(node, ast.Assign) and any(getattr(t, "id", "") == "LOOKUP_TYPE" for t in node.targets):
                lookup = str(node.value.value)  # type: ignore[attr-defined]
            if isinstance(node, ast.FunctionDef) and node.name == "fetch_related_object" and node.returns is not None:
                related_class = ast.unparse(node.returns).strip("'\"")
                if lookup:
                    related[lookup[len("v1."):]] = _objects_of(tree, related_class, objects)
    return [(event_type, related.get(event_type, "-")) for event_type in listed]


def _event_type_literal(root: Path) -> List[str]:
    tree = ast.parse((root / "_event.py").read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.AnnAssign) and getattr(node.target, "id", "") == "type":
            return sorted(
                element.value
                for element in ast.walk(node.annotation)
                if isinstance(element, ast.Constant) and isinstance(element.value, str) and "." in element.value
            )
    raise SystemExit("stripe_api_table: no event types found in stripe/_event.py")


def tables() -> Dict[Path, str]:
    root = sdk_root()
    trees = list(_modules(root))
    header = f"# Derived from Stripe's Python SDK, stripe=={sdk_version(root)} (MIT, Stripe Inc.) by scripts/stripe_api_table.py.\n"
    endpoints = header + "# path\tobject\tcreated\trequired\toptional\tdoc\n" + "".join(
        endpoint.row() + "\n" for endpoint in list_endpoints(root, trees)
    )
    events = header + "# type\tobject\n" + "".join(f"{name}\t{obj}\n" for name, obj in event_types(root, trees))
    return {LIST_ENDPOINTS: endpoints, EVENT_TYPES: events}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="compare with the checked-in table, write nothing")
    args = parser.parse_args()
    stale = []
    for path, text in tables().items():
        if args.check:
            if not path.is_file() or path.read_text(encoding="utf-8") != text:
                stale.append(path.relative_to(ROOT))
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
    if stale:
        print(f"stripe_api_table: out of date with the installed stripe SDK: {', '.join(map(str, stale))}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
