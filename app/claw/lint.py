"""`claw lint`: a SQL linter on pglast (PostgreSQL's own parser). It parses every SQL file
under sql/ migrations/ functions/ policies/ and prints `file:line rule message`.

Rules
  L000  a file that does not parse; a suppression without a reason
  L001  SECURITY DEFINER function without search_path pinned, or a search_path pinned to
        anything but `pg_catalog, pg_temp` (left out, pg_temp is searched first)
  L002  a view without security_invoker = true
  L003  GRANT of TRUNCATE or REFERENCES (or ALL, which includes them)
  L004  a table in a tenant schema without ENABLE and FORCE ROW LEVEL SECURITY
  L005  CREATE INDEX without CONCURRENTLY on a table an earlier migration created
  L006  ADD COLUMN with a volatile default, or NOT NULL without a default, on an existing table
  L007  ALTER COLUMN ... TYPE in a migration

Suppress one finding on the statement's line, or in the comment lines right above it:
  -- claw-lint: allow L004 reference data, no tenant rows
A suppression needs a reason; one without is itself a finding (L000).

Cross-file context (which tables earlier migrations created; which tables are RLS-enabled
and forced anywhere) always comes from the whole tree, so linting one file gives the same
result for it as linting the repository.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from pglast import ast, enums, parse_sql
from pglast.parser import ParseError

TENANT_SCHEMAS = frozenset({"tenancy", "audit", "authz", "ontology", "governance", "queue",
                            "events", "edge",
                            "flow", "llm", "connect", "messaging"})
LINT_DIRS = ("sql", "migrations", "functions", "policies")
RULES: dict[str, str] = {
    "L000": "unparsable file or suppression without a reason",
    "L001": "search_path not pinned to pg_catalog, pg_temp (SECURITY DEFINER, or any SET)",
    "L002": "view without security_invoker",
    "L003": "GRANT of TRUNCATE or REFERENCES",
    "L004": "tenant table without ENABLE and FORCE ROW LEVEL SECURITY",
    "L005": "CREATE INDEX without CONCURRENTLY on an existing table",
    "L006": "ADD COLUMN with a volatile default or NOT NULL without default on an existing table",
    "L007": "ALTER COLUMN ... TYPE",
}
# Defaults that do not force a table rewrite (evaluated once for ADD COLUMN).
NON_VOLATILE_FUNCS = frozenset({"now", "transaction_timestamp", "statement_timestamp"})
SUPPRESS = re.compile(r"--\s*claw-lint:\s*allow\s+(L\d{3}(?:\s*,\s*L\d{3})*)(.*)$")
TRUE_VALUES = frozenset({"true", "on", "1", "yes"})
SAFE_SEARCH_PATH = ("pg_catalog", "pg_temp")


@dataclass(frozen=True)
class Finding:
    path: str
    line: int
    rule: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line} {self.rule} {self.message}"


@dataclass
class Statement:
    node: ast.Node
    line: int


@dataclass
class SqlFile:
    path: Path
    rel: str
    text: str
    statements: list[Statement] = field(default_factory=list)
    error: Finding | None = None

    @property
    def is_migration(self) -> bool:
        return self.rel.startswith("migrations/")


def _qualified(rel: ast.RangeVar) -> str | None:
    return f"{rel.schemaname}.{rel.relname}" if rel.schemaname else None


def _name(rel: ast.RangeVar) -> str:
    return _qualified(rel) or rel.relname


def _first_code_line(text: str, offset: int) -> int:
    """1-based line of the first keyword at or after a character offset (pglast reports
    character offsets), skipping blanks and comments pglast counts as part of the statement."""
    line = text[:offset].count("\n") + 1
    for raw in text[offset:].split("\n"):
        stripped = raw.strip()
        if stripped and not stripped.startswith("--"):
            return line
        line += 1
    return line


def parse_file(path: Path, root: Path) -> SqlFile:
    try:
        rel = str(path.resolve().relative_to(root.resolve()))
    except ValueError:
        rel = str(path)
    text = path.read_text()
    f = SqlFile(path=path, rel=rel, text=text)
    try:
        for raw in parse_sql(text):
            f.statements.append(Statement(raw.stmt, _first_code_line(text, raw.stmt_location)))
    except ParseError as exc:
        offset = exc.args[1] if len(exc.args) > 1 and isinstance(exc.args[1], int) else 0
        line = text[:offset].count("\n") + 1
        f.error = Finding(rel, line, "L000", f"does not parse: {exc.args[0]}")
    return f


def tree_files(root: Path) -> list[Path]:
    files: list[Path] = []
    for d in LINT_DIRS:
        if (root / d).is_dir():
            files.extend(sorted((root / d).rglob("*.sql")))
    return files


def _is_true(arg: ast.Node | None) -> bool:
    if arg is None:
        return True
    value = getattr(arg, "sval", None) or getattr(arg, "boolval", None) or getattr(arg, "ival", None)
    return str(value).lower() in TRUE_VALUES


def _funcs(node: object) -> Iterable[str]:
    """Names of every function called anywhere below a node."""
    if isinstance(node, ast.FuncCall):
        yield node.funcname[-1].sval
    if isinstance(node, ast.Node):
        for attr in node:
            yield from _funcs(getattr(node, attr))
    elif isinstance(node, tuple):
        for item in node:
            yield from _funcs(item)


class Linter:
    def __init__(self, files: list[SqlFile]) -> None:
        self.files = files
        self.rls_enabled: set[str] = set()
        self.rls_forced: set[str] = set()
        for f in files:
            for st in f.statements:
                if isinstance(st.node, ast.AlterTableStmt) and st.node.relation:
                    name = _name(st.node.relation)
                    for cmd in st.node.cmds or ():
                        if cmd.subtype == enums.AlterTableType.AT_EnableRowSecurity:
                            self.rls_enabled.add(name)
                        elif cmd.subtype == enums.AlterTableType.AT_ForceRowSecurity:
                            self.rls_forced.add(name)

    def tables_before(self, migration: SqlFile) -> set[str]:
        """Tables created by migrations that sort before this one."""
        created: set[str] = set()
        for f in self.files:
            if f.is_migration and f.rel < migration.rel:
                for st in f.statements:
                    if isinstance(st.node, ast.CreateStmt):
                        created.add(_name(st.node.relation))
        return created

    def check(self, f: SqlFile) -> list[Finding]:
        if f.error:
            return [f.error]
        found: list[Finding] = []
        existing = self.tables_before(f) if f.is_migration else set()
        for st in f.statements:
            for rule, message in self.check_statement(f, st.node, existing):
                found.append(Finding(f.rel, st.line, rule, message))
        return apply_suppressions(f, found)

    def check_statement(self, f: SqlFile, node: ast.Node,
                        existing: set[str]) -> Iterable[tuple[str, str]]:
        if isinstance(node, ast.CreateFunctionStmt):
            opts = {o.defname: o for o in node.options or ()}
            paths = [tuple(getattr(a.val, "sval", None) for a in o.arg.args or ())
                     for o in node.options or ()
                     if o.defname == "set" and isinstance(o.arg, ast.VariableSetStmt)
                     and o.arg.name == "search_path"]
            name = ".".join(n.sval for n in node.funcname)
            # pg_temp must be listed, last: left out, PostgreSQL searches it FIRST for
            # relation and type names, and every login role can create a domain there
            # (tests/test_temp_schema_attacks.py)
            if any(p != SAFE_SEARCH_PATH for p in paths):
                yield "L001", (f"function {name} pins search_path to {paths[0]!r}; pin "
                               "SET search_path = pg_catalog, pg_temp (pg_temp last)")
            elif "security" in opts and _is_true(opts["security"].arg) and not paths:
                yield "L001", (f"SECURITY DEFINER function {name} has no pinned search_path; "
                               "add SET search_path = pg_catalog, pg_temp, qualify every name")
        elif isinstance(node, ast.ViewStmt):
            opts = {o.defname: o for o in node.options or ()}
            if "security_invoker" not in opts or not _is_true(opts["security_invoker"].arg):
                yield "L002", (f"view {_name(node.view)} runs with its owner's rights; "
                               "create it WITH (security_invoker = true)")
        elif isinstance(node, ast.GrantStmt) and node.is_grant:
            privs = [p.priv_name for p in node.privileges] if node.privileges else ["all"]
            bad = [p for p in privs if p in ("truncate", "references", "all")]
            if bad and node.objtype == enums.ObjectType.OBJECT_TABLE:
                yield "L003", (f"GRANT {', '.join(p.upper() for p in bad)}: TRUNCATE and "
                               "REFERENCES are not subject to row level security; grant only "
                               "what is needed")
        elif isinstance(node, ast.CreateStmt):
            name = _qualified(node.relation)
            if (name and node.relation.schemaname in TENANT_SCHEMAS
                    and not (name in self.rls_enabled and name in self.rls_forced)):
                yield "L004", (f"tenant table {name} needs ALTER TABLE {name} ENABLE ROW LEVEL "
                               "SECURITY and FORCE ROW LEVEL SECURITY")
        elif isinstance(node, ast.IndexStmt) and f.is_migration:
            name = _name(node.relation)
            if not node.concurrent and name in existing:
                yield "L005", (f"CREATE INDEX on existing table {name} blocks writes; use "
                               "CREATE INDEX CONCURRENTLY in a migration marked "
                               "'-- transactional: false'")
        elif isinstance(node, ast.AlterTableStmt) and f.is_migration and node.relation:
            name = _name(node.relation)
            for cmd in node.cmds or ():
                if cmd.subtype == enums.AlterTableType.AT_AlterColumnType:
                    yield "L007", (f"ALTER COLUMN {cmd.name} TYPE on {name} rewrites the table "
                                   "under an exclusive lock; add a new column and backfill")
                elif cmd.subtype == enums.AlterTableType.AT_AddColumn and name in existing:
                    yield from self.check_add_column(name, cmd.def_)

    @staticmethod
    def check_add_column(table: str, col: ast.ColumnDef) -> Iterable[tuple[str, str]]:
        constraints = col.constraints or ()
        default = next((c for c in constraints
                        if c.contype == enums.ConstrType.CONSTR_DEFAULT), None)
        not_null = col.is_not_null or any(
            c.contype == enums.ConstrType.CONSTR_NOTNULL for c in constraints)
        if default is not None:
            volatile = sorted({fn for fn in _funcs(default.raw_expr)
                               if fn not in NON_VOLATILE_FUNCS})
            if volatile:
                yield "L006", (f"ADD COLUMN {col.colname} on existing table {table} with "
                               f"volatile default ({', '.join(volatile)}) rewrites the table; "
                               "add the column without default, then backfill in batches")
        elif not_null:
            yield "L006", (f"ADD COLUMN {col.colname} NOT NULL without a default fails on a "
                           f"non-empty {table}; add a default or backfill before SET NOT NULL")


def apply_suppressions(f: SqlFile, found: list[Finding]) -> list[Finding]:
    lines = f.text.split("\n")
    result: list[Finding] = []
    bad_suppressions: dict[int, Finding] = {}
    for finding in found:
        allowed = False
        idx = finding.line - 1
        candidates = [idx]
        j = idx - 1
        while j >= 0 and lines[j].strip().startswith("--"):
            candidates.append(j)
            j -= 1
        for c in candidates:
            m = SUPPRESS.search(lines[c]) if c < len(lines) else None
            if not m:
                continue
            rules = {r.strip() for r in m.group(1).split(",")}
            if finding.rule not in rules:
                continue
            if m.group(2).strip():
                allowed = True
            else:
                bad_suppressions[c + 1] = Finding(
                    f.rel, c + 1, "L000", f"suppression of {finding.rule} needs a reason")
        if not allowed:
            result.append(finding)
    return sorted([*result, *bad_suppressions.values()], key=lambda x: (x.line, x.rule))


def lint_paths(root: Path, files: Sequence[Path] | None = None) -> list[Finding]:
    root = root.resolve()
    tree = {p.resolve(): p for p in tree_files(root)}
    targets = [p.resolve() for p in files] if files is not None else sorted(tree)
    for t in targets:
        tree.setdefault(t, t)
    parsed = {p: parse_file(p, root) for p in tree}
    linter = Linter(list(parsed.values()))
    findings: list[Finding] = []
    for t in targets:
        findings.extend(linter.check(parsed[t]))
    return findings


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="claw lint", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("files", nargs="*", type=Path)
    parser.add_argument("--root", type=Path, default=Path.cwd())
    args = parser.parse_args(argv)
    missing = [str(p) for p in args.files if not p.exists()]
    if missing:
        print(f"claw lint: no such file: {', '.join(missing)}", file=sys.stderr)
        return 2
    findings = lint_paths(args.root, args.files or None)
    for finding in findings:
        print(finding)
    count = len(args.files) if args.files else len(tree_files(args.root.resolve()))
    print(f"claw lint: {len(findings)} finding(s) in {count} file(s)", file=sys.stderr)
    return 1 if findings else 0


if __name__ == "__main__":
    sys.exit(main())
