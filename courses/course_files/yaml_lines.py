"""Parsing YAML while remembering the line of every value, so errors can say `file:line`."""

from __future__ import annotations

from typing import Any

import yaml
from django.utils.translation import gettext as _

# libyaml is much faster on the seed content; its nodes carry the same start marks.
_BaseLoader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class LineLoader(_BaseLoader):
    """A SafeLoader that also maps each path in the document to the 1-based line where it starts.

    After `load()`, `lines[("modules", 0, "title")]` is the line of that value. Mapping keys that
    occur twice are collected in `duplicates` (plain PyYAML silently keeps the last one).
    """

    # Dates (`reviewed_on: 2026-12-01`) stay text, as JSON Schema and the plan expect; the plan
    # checks that they are real dates.
    yaml_implicit_resolvers = {
        first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
        for first, resolvers in _BaseLoader.yaml_implicit_resolvers.items()
    }

    def load(self):
        self.lines: dict[tuple, int] = {}
        self.duplicates: list[tuple[tuple, int]] = []
        self._seen_nodes: set[int] = set()
        try:
            node = self.get_single_node()
            if node is None:
                return None
            self._record(node, ())
            return self.construct_document(node)
        finally:
            self.dispose()

    def _record(self, node, path, line=None):
        # A mapping value is located at its key: `options:` rather than the first option below it.
        self.lines[path] = line or node.start_mark.line + 1
        # An alias (*name) reuses a node. Content files have no need for them, and refusing them
        # keeps a "billion laughs" document from expanding exponentially here or in validation.
        if id(node) in self._seen_nodes:
            # The alias node's own mark is where the anchor was defined; report where it is used.
            raise YamlSyntaxError(
                line or self.lines.get(path[:-1]),
                _(
                    "YAML-verwijzingen (&anker en *alias) worden niet ondersteund; "
                    "schrijf de tekst uit"
                ),
            )
        self._seen_nodes.add(id(node))
        if isinstance(node, yaml.MappingNode):
            seen = set()
            for key_node, value_node in node.value:
                key = key_node.value if isinstance(key_node, yaml.ScalarNode) else None
                key_line = key_node.start_mark.line + 1
                if key in seen:
                    self.duplicates.append((path + (key,), key_line))
                seen.add(key)
                self._record(value_node, path + (key,), key_line)
        elif isinstance(node, yaml.SequenceNode):
            for index, item in enumerate(node.value):
                self._record(item, path + (index,))


class YamlSyntaxError(Exception):
    def __init__(self, line: int | None, message: str):
        self.line = line
        self.message = message
        super().__init__(message)


def parse_yaml(text: str):
    """Return `(data, lines, duplicates)` for YAML `text`; raise YamlSyntaxError with the line."""
    loader = LineLoader(text)
    try:
        data = loader.load()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or exc.context or str(exc)
        raise YamlSyntaxError(
            mark.line + 1 if mark else None,
            _("ongeldige YAML (controleer de inspringing en aanhalingstekens): %(problem)s")
            % {"problem": problem},
        ) from exc
    except yaml.YAMLError as exc:
        raise YamlSyntaxError(None, _("ongeldige YAML: %(problem)s") % {"problem": exc}) from exc
    return data, loader.lines, loader.duplicates


def line_for(lines: dict[tuple, int], path) -> int | None:
    """The line of `path`, or of its nearest ancestor that has one."""
    path = tuple(path)
    while path:
        if path in lines:
            return lines[path]
        path = path[:-1]
    return lines.get(())
