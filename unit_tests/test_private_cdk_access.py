"""Only source_stripe/cdk_seams.py touches airbyte-cdk's private attributes and methods.

Every other module of source_stripe is scanned (with `ast`) and fails, naming file:line, on:
  (a) `x._name` (a single leading underscore, not a dunder) where `x` is not `self`/`cls`;
  (b) `super()._name`, unless one of the class's source_stripe bases defines `_name`;
  (c) `self._name`/`cls._name` where `_name` is not defined by the class or one of its source_stripe bases
      (`def _name`, `_name = …`/`_name: T` in the class body, or `self._name = …` in one of their methods);
  (d) a class defining a `_name` that an airbyte_cdk class of its MRO also defines (overriding a CDK private),
      checked on the imported classes;
  (e) `from airbyte_cdk… import _name` (or a private airbyte_cdk module).
`getattr(x, "_name")` (and setattr, hasattr, delattr) counts as `x._name`.
A private of ours used from outside its class is caught by (a) too: keep privates private, whoever owns them.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import textwrap
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Dict, Iterator, List, Mapping, Optional, Set, Tuple

import pytest

PACKAGE_DIR = Path(__file__).resolve().parents[1] / "source_stripe"
SEAMS = "cdk_seams.py"
# requests has no public way to set a response's body: `Response.content` caches it in `_content`.
# response_body.replace_body is the one place that sets it.
# `os._exit` is the standard library's documented way to leave without waiting for threads: a continuous run stopped
# in the middle of a poll leaves that way (run.py).
ALLOWED: Set[Tuple[str, str]] = {("components/response_body.py", "_content"), ("run.py", "_exit")}
SELF_NAMES = ("self", "cls")
DYNAMIC_ACCESS = ("getattr", "setattr", "hasattr", "delattr")

ClassKey = Tuple[str, str]  # (module, qualified name)


def is_private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


# --------------------------------------------------------------------------------------------------------------------
# What our classes define, and which of their bases are ours.
# --------------------------------------------------------------------------------------------------------------------
def self_assignments(function: ast.AST) -> Iterator[ast.Attribute]:
    """`self.x`/`cls.x` targets assigned anywhere in `function` (nested functions included, nested classes not)."""
    pending = list(ast.iter_child_nodes(function))
    while pending:
        node = pending.pop()
        if isinstance(node, ast.ClassDef):
            continue
        if (
            isinstance(node, ast.Attribute)
            and isinstance(node.ctx, ast.Store)
            and isinstance(node.value, ast.Name)
            and node.value.id in SELF_NAMES
        ):
            yield node
        pending.extend(ast.iter_child_nodes(node))


def defined_names(node: ast.ClassDef) -> Dict[str, int]:
    """The private names a class body defines, with their lines."""
    names: Dict[str, int] = {}

    def add(name: str, line: int) -> None:
        if is_private(name):
            names.setdefault(name, line)

    for statement in node.body:
        if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef)):
            add(statement.name, statement.lineno)
            for target in self_assignments(statement):
                add(target.attr, target.lineno)
        elif isinstance(statement, ast.ClassDef):
            add(statement.name, statement.lineno)
        elif isinstance(statement, ast.AnnAssign) and isinstance(statement.target, ast.Name):
            add(statement.target.id, statement.lineno)
        elif isinstance(statement, ast.Assign):
            for target in statement.targets:
                for name in ast.walk(target):
                    if isinstance(name, ast.Name):
                        add(name.id, statement.lineno)
    return names


@dataclass
class ClassInfo:
    key: ClassKey
    node: ast.ClassDef
    defined: Dict[str, int]
    bases: List[ClassKey] = field(default_factory=list)  # the bases defined in source_stripe


@dataclass
class ModuleInfo:
    name: str
    path: str  # relative to source_stripe/
    tree: ast.Module
    imported: Dict[str, str] = field(default_factory=dict)  # local name -> dotted source_stripe name


def module_name(relative: Path) -> str:
    parts = ["source_stripe", *relative.with_suffix("").parts]
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def absolute_module(module: ModuleInfo, node: ast.ImportFrom) -> str:
    if not node.level:
        return node.module or ""
    package = module.name.split(".")
    if not module.path.endswith("__init__.py"):
        package = package[:-1]
    package = package[: len(package) - node.level + 1]
    return ".".join(package + ([node.module] if node.module else []))


class Package:
    """The parsed modules and classes of a package, with each class's source_stripe bases resolved by name."""

    def __init__(self, modules: List[ModuleInfo]) -> None:
        self.modules = modules
        self.classes: Dict[int, ClassInfo] = {}  # by id() of the ClassDef node
        self.by_key: Dict[ClassKey, ClassInfo] = {}
        module_names = {module.name for module in modules}
        for module in modules:
            for node in ast.walk(module.tree):
                if isinstance(node, ast.ImportFrom):
                    source = absolute_module(module, node)
                    for alias in node.names:
                        if source.split(".")[0] == "source_stripe":
                            module.imported[alias.asname or alias.name] = f"{source}.{alias.name}"
                elif isinstance(node, ast.Import):
                    for alias in node.names:
                        if alias.name.split(".")[0] == "source_stripe":
                            local = alias.asname or alias.name.split(".")[0]  # `import a.b` binds `a`
                            module.imported[local] = alias.name if alias.asname else local
            for node, qualname in self.class_defs(module.tree):
                info = ClassInfo(key=(module.name, qualname), node=node, defined=defined_names(node))
                self.classes[id(node)] = info
                self.by_key[info.key] = info
        for module in modules:
            for node, _ in self.class_defs(module.tree):
                info = self.classes[id(node)]
                for base in node.bases:
                    key = self._resolve(module, base, module_names)
                    if key in self.by_key:
                        info.bases.append(key)

    @staticmethod
    def class_defs(tree: ast.AST, prefix: str = "") -> Iterator[Tuple[ast.ClassDef, str]]:
        for node in ast.iter_child_nodes(tree):
            if isinstance(node, ast.ClassDef):
                qualname = f"{prefix}{node.name}"
                yield node, qualname
                yield from Package.class_defs(node, f"{qualname}.")
            elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                yield from Package.class_defs(node, f"{prefix}{node.name}.<locals>.")
            else:
                yield from Package.class_defs(node, prefix)

    def _resolve(self, module: ModuleInfo, base: ast.expr, module_names: Set[str]) -> Optional[ClassKey]:
        """The (module, name) of a base written `Name` or `module.Name`, when it is a class of this package."""
        dotted = ast.unparse(base)
        head, _, rest = dotted.partition(".")
        if head in module.imported:
            dotted = module.imported[head] + (f".{rest}" if rest else "")
        elif not rest:
            return (module.name, dotted)
        owner, _, name = dotted.rpartition(".")
        return (owner, name) if owner in module_names else None

    def ancestors(self, info: ClassInfo) -> Iterator[ClassInfo]:
        """The class's source_stripe bases, transitively."""
        seen: Set[ClassKey] = set()
        pending = list(info.bases)
        while pending:
            key = pending.pop()
            if key not in seen and key in self.by_key:
                seen.add(key)
                yield self.by_key[key]
                pending.extend(self.by_key[key].bases)

    def defines(self, info: ClassInfo, name: str, include_self: bool = True) -> bool:
        own = include_self and name in info.defined
        return own or any(name in ancestor.defined for ancestor in self.ancestors(info))


# --------------------------------------------------------------------------------------------------------------------
# Rules (a), (b), (c), (e): a walk of each module.
# --------------------------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Finding:
    path: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"source_stripe/{self.path}:{self.line}: {self.message}"


class PrivateAccessChecker(ast.NodeVisitor):
    def __init__(self, package: Package, module: ModuleInfo) -> None:
        self.package = package
        self.module = module
        self.classes: List[ClassInfo] = []
        self.findings: List[Finding] = []

    def flag(self, node: ast.AST, message: str) -> None:
        self.findings.append(Finding(self.module.path, getattr(node, "lineno", 0), message))

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        self.classes.append(self.package.classes[id(node)])
        self.generic_visit(node)
        self.classes.pop()

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        source = absolute_module(self.module, node)
        if source.split(".")[0] == "airbyte_cdk":
            if any(is_private(part) for part in source.split(".")):
                self.flag(node, f"(e) import from a private airbyte_cdk module {source}")
            for alias in node.names:
                if is_private(alias.name):
                    self.flag(node, f"(e) `from {source} import {alias.name}`: a CDK private")

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            parts = alias.name.split(".")
            if parts[0] == "airbyte_cdk" and any(is_private(part) for part in parts):
                self.flag(node, f"(e) import of a private airbyte_cdk module {alias.name}")

    def visit_Attribute(self, node: ast.Attribute) -> None:
        if is_private(node.attr):
            self.check(node, node.value, node.attr)
        self.generic_visit(node)

    def visit_Call(self, node: ast.Call) -> None:
        """`getattr(x, "_name")` and its kin are `x._name` spelt another way."""
        if isinstance(node.func, ast.Name) and node.func.id in DYNAMIC_ACCESS and len(node.args) >= 2:
            name = node.args[1]
            if isinstance(name, ast.Constant) and isinstance(name.value, str) and is_private(name.value):
                self.check(node, node.args[0], name.value)
        self.generic_visit(node)

    def check(self, node: ast.AST, value: ast.expr, name: str) -> None:
        owner = self.classes[-1] if self.classes else None
        if isinstance(value, ast.Call) and isinstance(value.func, ast.Name) and value.func.id == "super":
            if owner is None or not self.package.defines(owner, name, include_self=False):
                self.flag(node, f"(b) super().{name}: not defined by a source_stripe base (a CDK private?)")
        elif isinstance(value, ast.Name) and value.id in SELF_NAMES:
            if owner is None:
                self.flag(node, f"(c) {value.id}.{name} outside a class")
            elif not self.package.defines(owner, name):
                where = f"{owner.key[1]} or its source_stripe bases"
                self.flag(node, f"(c) {value.id}.{name}: not defined by {where} (a CDK private?)")
        elif (self.module.path, name) not in ALLOWED:
            self.flag(node, f"(a) {ast.unparse(value)}.{name}: a private attribute of another object")


def parse_module(path: Path, root: Path) -> ModuleInfo:
    relative = path.relative_to(root)
    return ModuleInfo(name=module_name(relative), path=relative.as_posix(), tree=ast.parse(path.read_text(), str(path)))


def scanned_files() -> List[Path]:
    return sorted(path for path in PACKAGE_DIR.rglob("*.py") if path.relative_to(PACKAGE_DIR).as_posix() != SEAMS)


@lru_cache(maxsize=1)
def source_stripe_package() -> Package:
    return Package([parse_module(path, PACKAGE_DIR) for path in sorted(PACKAGE_DIR.rglob("*.py"))])


def findings_in(package: Package, module: ModuleInfo) -> List[Finding]:
    checker = PrivateAccessChecker(package, module)
    checker.visit(module.tree)
    return checker.findings


# --------------------------------------------------------------------------------------------------------------------
# Rule (d): overriding a CDK private, on the imported classes.
# --------------------------------------------------------------------------------------------------------------------
@lru_cache(maxsize=None)
def cdk_privates(cdk_class: type) -> Set[str]:
    """The private names an airbyte_cdk class defines: in its body, or as `self._x = …` in its methods."""
    names = {name for name in vars(cdk_class) if is_private(name)}
    names |= {name for name in vars(cdk_class).get("__annotations__", {}) if is_private(name)}
    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(cdk_class)))
    except (OSError, TypeError, SyntaxError):
        return names
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            names |= {target.attr for target in self_assignments(node) if is_private(target.attr)}
    return names


def cdk_overrides(cls: type, defined: Mapping[str, int], path: str) -> List[Finding]:
    findings = []
    for base in cls.__mro__[1:]:
        if base.__module__.split(".")[0] != "airbyte_cdk":
            continue
        cdk_class = f"{base.__module__}.{base.__qualname__}"
        for name in sorted(set(defined) & cdk_privates(base)):
            message = f"(d) {cls.__qualname__}.{name} overrides {cdk_class}.{name}, a CDK private"
            findings.append(Finding(path, defined[name], message))
    return findings


def runtime_class(module: str, qualname: str) -> Optional[type]:
    """The class `qualname` of `module` once imported; None for a class made inside a function."""
    if "<locals>" in qualname:
        return None
    target: object = importlib.import_module(module)
    for part in qualname.split("."):
        target = getattr(target, part, None)
    return target if isinstance(target, type) else None


# --------------------------------------------------------------------------------------------------------------------
# The scan.
# --------------------------------------------------------------------------------------------------------------------
def file_id(path: Path) -> str:
    return path.relative_to(PACKAGE_DIR).as_posix()


def module_of(path: Path) -> ModuleInfo:
    package = source_stripe_package()
    (module,) = [module for module in package.modules if module.path == file_id(path)]
    return module


@pytest.mark.parametrize("path", scanned_files(), ids=file_id)
def test_only_cdk_seams_touches_a_private_attribute(path):
    findings = findings_in(source_stripe_package(), module_of(path))
    assert not findings, "CDK privates belong in source_stripe/cdk_seams.py:\n" + "\n".join(map(str, findings))


@pytest.mark.parametrize("path", scanned_files(), ids=file_id)
def test_no_class_overrides_a_private_of_its_cdk_bases(path):
    package, module = source_stripe_package(), module_of(path)
    findings: List[Finding] = []
    for node, qualname in Package.class_defs(module.tree):
        cls = runtime_class(module.name, qualname)
        if cls is not None:
            findings += cdk_overrides(cls, package.classes[id(node)].defined, module.path)
    assert not findings, "CDK privates belong in source_stripe/cdk_seams.py:\n" + "\n".join(map(str, findings))


def test_every_allowed_private_is_still_used_where_it_is_allowed():
    for path, name in ALLOWED:
        assert f".{name}" in (PACKAGE_DIR / path).read_text(), f"{path} no longer uses {name}: drop it from ALLOWED"


# --------------------------------------------------------------------------------------------------------------------
# The checker catches what it should: planted violations.
# --------------------------------------------------------------------------------------------------------------------
def snippet_findings(code: str, path: str = "snippet.py") -> List[str]:
    module = ModuleInfo(name="source_stripe.snippet", path=path, tree=ast.parse(textwrap.dedent(code)))
    return [finding.message for finding in findings_in(Package([module]), module)]


FLAGGED = {
    "a CDK private of self": (
        "(c)",
        """
        class Source(YamlDeclarativeSource):
            def streams(self, config):
                return self._source_config["streams"]
        """,
    ),
    "a CDK private of self, assigned through": (
        "(c)",
        """
        class Source(YamlDeclarativeSource):
            def __init__(self):
                self._constructor.x = 1
        """,
    ),
    "a private of another object": (
        "(a)",
        """
        def seconds(cursor, value):
            return cursor._connector_state_converter.parse_value(value)
        """,
    ),
    "a private of a call's result": (
        "(a)",
        """
        class A:
            def f(self):
                return make(self)._hidden
        """,
    ),
    "a CDK private through super()": (
        "(b)",
        """
        class Source(ConcurrentDeclarativeSource):
            def _validate_source(self):
                super()._validate_source()
        """,
    ),
    "self outside a class": (
        "(c)",
        """
        def f(self):
            return self._anything
        """,
    ),
    "a private name imported from the CDK": (
        "(e)",
        "from airbyte_cdk.sources.declarative.concurrent_declarative_source import _private",
    ),
    "a private CDK module": ("(e)", "from airbyte_cdk._internal import thing"),
    "a private read with getattr": (
        "(a)",
        """
        def fields(cursor):
            return getattr(cursor, "_slice_boundary_fields_wrapper")
        """,
    ),
    "a response body set outside response_body.py": (
        "(a)",
        """
        def f(response):
            response._content = b""
        """,
    ),
}


@pytest.mark.parametrize("rule, code", FLAGGED.values(), ids=FLAGGED.keys())
def test_the_checker_flags_a_planted_private_access(rule, code):
    findings = snippet_findings(code)
    assert findings and all(message.startswith(rule) for message in findings), findings


PASSED = {
    "assigned in __init__": """
        class A:
            def __init__(self):
                self._own = 1

            def f(self):
                return self._own
        """,
    "declared in the class body": """
        class A:
            _cache: int = 0
            _other = None

            def f(self):
                return self._cache, self._other
        """,
    "defined by our base, through super()": """
        class A:
            def _helper(self):
                pass

        class B(A):
            def _helper(self):
                return super()._helper()
        """,
    "read in a nested function": """
        class A:
            def f(self):
                self._x = 1

                def inner():
                    return self._x

                return inner
        """,
    "through cls": """
        class A:
            @classmethod
            def make(cls):
                return cls._build()

            @staticmethod
            def _build():
                pass
        """,
    "dunders": """
        class A(Base):
            def f(self, x):
                return self.__class__, x.__dict__, super().__init__()
        """,
}


@pytest.mark.parametrize("code", PASSED.values(), ids=PASSED.keys())
def test_the_checker_passes_privates_our_own_classes_define(code):
    assert snippet_findings(code) == []


def test_the_allowed_body_setter_is_allowed_only_in_response_body():
    code = "def replace_body(response, content):\n    response._content = content"
    assert snippet_findings(code, path="components/response_body.py") == []
    assert snippet_findings(code, path="components/windows.py")


def planted_class(code: str) -> Tuple[type, Dict[str, int]]:
    code = textwrap.dedent(code)
    namespace: Dict[str, object] = {}
    exec(compile(code, "<planted>", "exec"), namespace)
    (node,) = [node for node in ast.parse(code).body if isinstance(node, ast.ClassDef)]
    return namespace[node.name], defined_names(node)  # type: ignore[return-value]


CURSOR = "from airbyte_cdk.sources.streams.concurrent.cursor import ConcurrentCursor\n"
RETRIEVER = "from airbyte_cdk.sources.declarative.retrievers.simple_retriever import SimpleRetriever\n"
OVERRIDES = {
    "a method": (
        "_get_concurrent_state",
        CURSOR
        + """
class Planted(ConcurrentCursor):
    def _get_concurrent_state(self, state):
        return None
""",
    ),
    "an attribute the CDK sets in __init__": (
        "_lock",
        CURSOR
        + """
class Planted(ConcurrentCursor):
    def bind(self):
        self._lock = None
""",
    ),
    "a dataclass field": (
        "_primary_key",
        RETRIEVER
        + """
class Planted(SimpleRetriever):
    _primary_key: str = ""
""",
    ),
}


@pytest.mark.parametrize("overridden, code", OVERRIDES.values(), ids=OVERRIDES.keys())
def test_the_checker_flags_a_planted_override_of_a_cdk_private(overridden, code):
    cls, defined = planted_class(code)
    findings = cdk_overrides(cls, defined, "planted.py")
    assert [finding.message.split(" ")[1] for finding in findings] == [f"Planted.{overridden}"], findings


def test_the_checker_passes_a_private_the_cdk_bases_do_not_define():
    cls, defined = planted_class(
        CURSOR
        + """
class Planted(ConcurrentCursor):
    _planner = None

    def _window(self):
        self._prefetched = None
"""
    )
    assert cdk_overrides(cls, defined, "planted.py") == []
